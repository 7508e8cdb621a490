//! `Address` parsing and formatting: `Display` output parses back to the
//! same address, for names, IPv4 and IPv6.

use std::net::{Ipv4Addr, Ipv6Addr};

use bolt_net::{Address, AddressErrorReason};
use proptest::prelude::*;

fn host() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?(\\.[a-z0-9]{1,8}){0,3}",
        any::<Ipv4Addr>().prop_map(|ip| ip.to_string()),
        any::<Ipv6Addr>().prop_map(|ip| ip.to_string()),
    ]
}

proptest! {
    #[test]
    fn display_round_trips(host in host(), port in 1u16..) {
        let a = Address::new(host, port);
        let text = a.to_string();
        prop_assert_eq!(text.parse::<Address>().unwrap(), a);
    }

    #[test]
    fn parsing_never_panics(s in "\\PC{0,40}") {
        let _ = s.parse::<Address>();
    }
}

#[test]
fn errors_name_the_bad_part() {
    let err = "localhost:seven".parse::<Address>().unwrap_err();
    assert_eq!(err.input(), "localhost:seven");
    assert_eq!(
        err.reason(),
        &AddressErrorReason::InvalidPort("seven".into())
    );
    assert!(err.to_string().contains("\"seven\""), "{err}");

    let err = "[::1]:7687x".parse::<Address>().unwrap_err();
    assert!(err.to_string().contains("7687x"), "{err}");

    let err = "neo4j://localhost".parse::<Address>().unwrap_err();
    assert!(err.to_string().contains("neo4j://"), "{err}");
}

#[test]
fn ipv6_in_brackets_with_and_without_port() {
    let a: Address = "[2001:db8::1]".parse().unwrap();
    assert_eq!((a.host(), a.port()), ("2001:db8::1", 7687));
    assert!(a.ip().is_some());
    assert_eq!(a.to_string(), "[2001:db8::1]:7687");
}
