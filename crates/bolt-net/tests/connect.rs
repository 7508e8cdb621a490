//! Resolution, TCP options, deadlines and the list of attempts, on loopback
//! only.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bolt_net::{connect, Address, ConnectOptions, NetError, Phase, Resolver, TlsConfig, Trust};
use common::*;
use socket2::SockRef;

const SHORT: Duration = Duration::from_millis(300);

#[tokio::test]
async fn plain_connect_sets_nodelay_and_keep_alive() {
    let addr = plain_server().await;
    let address: Address = addr.to_string().parse().unwrap();
    let (mut s, peer) = connect(&address, &ConnectOptions::new()).await.unwrap();
    assert_eq!(peer, addr);
    assert_eq!(s.peer_addr(), addr);
    // Both addresses are the socket's own (known at connect, not asked again).
    assert_eq!(s.peer_addr(), s.tcp().peer_addr().unwrap());
    assert_eq!(s.local_addr(), s.tcp().local_addr().unwrap());
    assert!(!s.is_encrypted());
    assert!(s.tcp().nodelay().unwrap());
    assert!(SockRef::from(s.tcp()).keepalive().unwrap());
    ping(&mut s).await.unwrap();

    let (s, _) = connect(&address, &ConnectOptions::new().with_keep_alive(false))
        .await
        .unwrap();
    assert!(!SockRef::from(s.tcp()).keepalive().unwrap());
    assert!(s.tcp().nodelay().unwrap());
}

#[tokio::test]
async fn dns_resolves_localhost() {
    let addr = plain_server().await;
    let address: Address = format!("localhost:{}", addr.port()).parse().unwrap();
    let (mut s, peer) = connect(&address, &ConnectOptions::new()).await.unwrap();
    assert_eq!(peer, addr);
    ping(&mut s).await.unwrap();
}

#[tokio::test]
async fn resolver_addresses_tried_in_order_until_one_connects() {
    let good = plain_server().await;
    let refused = closed_port();
    let calls = Arc::new(Mutex::new(Vec::new()));
    let calls2 = calls.clone();
    let resolver = Resolver::new(move |a: &Address| {
        calls2.lock().unwrap().push(a.clone());
        [refused, good].map(Address::from)
    });
    let options = ConnectOptions::new().with_resolver(resolver);
    let (mut s, peer) = connect(&"cluster.example.com:4321".parse().unwrap(), &options)
        .await
        .unwrap();
    assert_eq!(peer, good);
    // The resolver's answer that connected, before DNS.
    assert_eq!(s.server_address(), Some(&Address::from(good)));
    ping(&mut s).await.unwrap();
    assert_eq!(
        *calls.lock().unwrap(),
        vec![Address::new("cluster.example.com", 4321)]
    );
}

#[tokio::test]
async fn resolver_results_go_through_dns() {
    let good = plain_server().await;
    let resolver = Resolver::new(move |_: &Address| vec![Address::new("localhost", good.port())]);
    let options = ConnectOptions::new().with_resolver(resolver);
    let (_, peer) = connect(&"logical".parse().unwrap(), &options)
        .await
        .unwrap();
    assert_eq!(peer, good);
}

#[tokio::test]
async fn single_refusal_is_connection_refused() {
    let refused = closed_port();
    let err = connect(&Address::from(refused), &ConnectOptions::new())
        .await
        .unwrap_err();
    assert!(
        matches!(err, NetError::ConnectionRefused { address } if address == refused),
        "{err:?}"
    );
    assert!(err.to_string().contains(&refused.to_string()), "{err}");
}

#[tokio::test]
async fn empty_resolver_result_is_a_resolution_error_naming_the_host() {
    let options = ConnectOptions::new().with_resolver(Resolver::new(|_: &Address| None));
    let err = connect(&"nowhere:1".parse().unwrap(), &options)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, NetError::Resolution { address, .. } if address.host() == "nowhere"),
        "{err:?}"
    );
    assert!(err.to_string().contains("nowhere:1"), "{err}");
}

#[tokio::test]
async fn error_lists_every_address_tried() {
    let (a, b) = (closed_port(), closed_port());
    let silent = silent_server().await;
    let resolver = Resolver::new(move |_: &Address| [a, silent, b].map(Address::from));
    let options = ConnectOptions::new()
        .with_resolver(resolver)
        .with_connection_timeout(SHORT)
        .with_tls(TlsConfig::new(Trust::AllCertificates).build().unwrap());
    let err = connect(&"cluster:7687".parse().unwrap(), &options)
        .await
        .unwrap_err();
    let NetError::AllAttemptsFailed { address, attempts } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(address, &Address::new("cluster", 7687));
    let tried: Vec<_> = attempts.iter().map(|t| t.resolved.unwrap()).collect();
    assert_eq!(tried, vec![a, silent, b]);
    assert!(matches!(
        attempts[0].error,
        NetError::ConnectionRefused { .. }
    ));
    assert!(matches!(
        attempts[1].error,
        NetError::TimedOut {
            phase: Phase::TlsHandshake,
            ..
        }
    ));
    assert!(matches!(
        attempts[2].error,
        NetError::ConnectionRefused { .. }
    ));
    let text = err.to_string();
    for addr in [a, silent, b] {
        assert!(text.contains(&addr.to_string()), "{text}");
    }
    assert!(text.contains("cluster:7687"), "{text}");
}

#[tokio::test]
async fn tls_handshake_deadline_fires_on_a_silent_server() {
    let silent = silent_server().await;
    let options = ConnectOptions::new()
        .with_connection_timeout(SHORT)
        .with_tls(TlsConfig::new(Trust::AllCertificates).build().unwrap());
    let started = Instant::now();
    let err = connect(&Address::from(silent), &options).await.unwrap_err();
    let elapsed = started.elapsed();
    assert!(
        matches!(err, NetError::TimedOut { phase: Phase::TlsHandshake, address, timeout }
            if address == silent && timeout == SHORT),
        "{err:?}"
    );
    assert!(
        elapsed >= SHORT && elapsed < Duration::from_secs(5),
        "{elapsed:?}"
    );
}

#[tokio::test]
async fn plain_connect_to_a_silent_server_succeeds() {
    // without TLS nothing is read while connecting: no deadline applies
    let silent = silent_server().await;
    let options = ConnectOptions::new().with_connection_timeout(SHORT);
    let (s, _) = connect(&Address::from(silent), &options).await.unwrap();
    assert_eq!(s.peer_addr(), silent);
}

#[tokio::test]
async fn tcp_connect_deadline_fires_when_syn_gets_no_answer() {
    // A listener with a full accept queue drops further SYNs, so the TCP
    // connect itself hangs (loopback only; no unroutable addresses).
    let full = full_backlog().await;
    let options = ConnectOptions::new().with_connection_timeout(SHORT);
    let started = Instant::now();
    let err = connect(&Address::from(full.addr), &options)
        .await
        .unwrap_err();
    let elapsed = started.elapsed();
    assert!(
        matches!(err, NetError::TimedOut { phase: Phase::Connect, address, .. } if address == full.addr),
        "{err:?}"
    );
    assert!(
        elapsed >= SHORT && elapsed < Duration::from_secs(5),
        "{elapsed:?}"
    );
}

#[tokio::test]
async fn deadline_is_per_attempt() {
    // two silent servers, 300 ms each: both tried, each timing out
    let (a, b) = (silent_server().await, silent_server().await);
    let resolver = Resolver::new(move |_: &Address| [a, b].map(Address::from));
    let options = ConnectOptions::new()
        .with_resolver(resolver)
        .with_connection_timeout(SHORT)
        .with_tls(TlsConfig::new(Trust::AllCertificates).build().unwrap());
    let started = Instant::now();
    let err = connect(&"x".parse().unwrap(), &options).await.unwrap_err();
    assert!(started.elapsed() >= SHORT * 2);
    assert_eq!(err.attempts().len(), 2);
    for t in err.attempts() {
        assert!(matches!(t.error, NetError::TimedOut { .. }), "{err}");
    }
}

#[tokio::test]
async fn huge_timeout_does_not_overflow() {
    let addr = plain_server().await;
    let options = ConnectOptions::new().with_connection_timeout(Duration::MAX);
    connect(&Address::from(addr), &options).await.unwrap();
}

#[tokio::test]
async fn server_closing_during_handshake_is_a_tls_handshake_failure() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            drop(tcp);
        }
    });
    let options =
        ConnectOptions::new().with_tls(TlsConfig::new(Trust::AllCertificates).build().unwrap());
    let err = connect(&Address::from(addr), &options).await.unwrap_err();
    assert_eq!(
        err.tls_error_kind(),
        Some(bolt_net::TlsErrorKind::HandshakeFailure),
        "{err:?}"
    );
}
