//! A real TLS connection to ArcadeDB's Bolt listener (started by
//! `cargo xtask test`, or by hand with
//! `cargo xtask server start arcadedb --tls --port P` and
//! `eval "$(cargo xtask server env)"`).
//!
//! Reads `BOLT_TEST_ARCADEDB_TLS_ADDR` (`127.0.0.1:P`) and the server
//! certificate files `BOLT_TEST_ARCADEDB_TLS_CERT_DER` /
//! `BOLT_TEST_ARCADEDB_TLS_CERT_PEM`. Only the Bolt handshake bytes are
//! exchanged: this crate knows no Bolt messages.

use std::net::SocketAddr;
use std::time::Duration;

use bolt_net::{connect, Address, BoltStream, ConnectOptions, TlsConfig, TlsErrorKind, Trust};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run `cargo xtask test`, or start a server with `cargo xtask server start arcadedb --tls` and `eval \"$(cargo xtask server env)\"`")
    })
}

fn server() -> SocketAddr {
    var("BOLT_TEST_ARCADEDB_TLS_ADDR")
        .parse()
        .expect("BOLT_TEST_ARCADEDB_TLS_ADDR is ip:port")
}

fn options(trust: Trust) -> ConnectOptions {
    ConnectOptions::new()
        .with_connection_timeout(Duration::from_secs(10))
        .with_tls(TlsConfig::new(trust).build().unwrap())
}

/// Versions this client offers and ArcadeDB speaks: 5.0-5.4, 4.4, 3.0.
const OFFER: [u8; 20] = [
    0x60, 0x60, 0xB0, 0x17, // magic
    0x00, 0x04, 0x04, 0x05, // 5.4, range 4 (down to 5.0)
    0x00, 0x00, 0x04, 0x04, // 4.4
    0x00, 0x00, 0x00, 0x03, // 3.0
    0x00, 0x00, 0x00, 0x00, // none
];

async fn bolt_handshake(stream: &mut BoltStream) -> (u8, u8) {
    stream.write_all(&OFFER).await.unwrap();
    let mut answer = [0u8; 4];
    tokio::time::timeout(Duration::from_secs(10), stream.read_exact(&mut answer))
        .await
        .expect("handshake answer within 10 s")
        .expect("4-byte handshake answer");
    assert_eq!(&answer[..2], &[0, 0], "answer {answer:02x?}");
    let (major, minor) = (answer[3], answer[2]);
    assert!(
        (major == 5 && minor <= 4) || (major, minor) == (4, 4) || (major, minor) == (3, 0),
        "server chose {major}.{minor}, which we did not offer"
    );
    (major, minor)
}

#[tokio::test]
#[ignore = "needs a server: cargo xtask test"]
async fn trust_all_certificates() {
    let (mut s, peer) = connect(&Address::from(server()), &options(Trust::AllCertificates))
        .await
        .unwrap();
    assert_eq!(peer, server());
    assert!(s.is_encrypted());
    let version = bolt_handshake(&mut s).await;
    eprintln!("ArcadeDB over TLS chose Bolt {}.{}", version.0, version.1);
}

#[tokio::test]
#[ignore = "needs a server: cargo xtask test"]
async fn pinned_certificate() {
    let der = std::fs::read(var("BOLT_TEST_ARCADEDB_TLS_CERT_DER")).unwrap();
    let (mut s, _) = connect(
        &Address::from(server()),
        &options(Trust::PinnedCertificate(der)),
    )
    .await
    .unwrap();
    bolt_handshake(&mut s).await;

    // another certificate pinned: refused
    let mut wrong = std::fs::read(var("BOLT_TEST_ARCADEDB_TLS_CERT_DER")).unwrap();
    let last = wrong.len() - 1;
    wrong[last] ^= 1;
    let err = connect(
        &Address::from(server()),
        &options(Trust::PinnedCertificate(wrong)),
    )
    .await
    .unwrap_err();
    assert_eq!(
        err.tls_error_kind(),
        Some(TlsErrorKind::PinnedCertificateMismatch),
        "{err}"
    );
}

#[tokio::test]
#[ignore = "needs a server: cargo xtask test"]
async fn certificate_as_custom_ca_for_localhost() {
    let pem = var("BOLT_TEST_ARCADEDB_TLS_CERT_PEM");
    let address = Address::new("localhost", server().port());
    let (mut s, _) = connect(&address, &options(Trust::CustomCaFiles(vec![pem.into()])))
        .await
        .unwrap();
    bolt_handshake(&mut s).await;
}

#[tokio::test]
#[ignore = "needs a server: cargo xtask test"]
async fn system_cas_reject_the_self_signed_certificate() {
    let address = Address::new("localhost", server().port());
    let err = connect(&address, &options(Trust::SystemCas))
        .await
        .unwrap_err();
    assert_eq!(
        err.tls_error_kind(),
        Some(TlsErrorKind::UnknownIssuer),
        "{err}"
    );
}
