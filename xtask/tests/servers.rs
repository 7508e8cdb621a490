//! Smoke tests of the servers `cargo xtask test` starts: each one answers
//! the Bolt handshake with a version it speaks. They need running servers
//! (so they are ignored) and read the `BOLT_TEST_*` variables; by hand:
//! `cargo xtask server start ...`, `eval "$(cargo xtask server env)"`,
//! `cargo test -p xtask -- --ignored`.

#[path = "../src/server/handshake.rs"]
mod handshake;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, ClientConnection, DigitallySignedStruct, SignatureScheme, StreamOwned};

const TIMEOUT: Duration = Duration::from_secs(10);

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!(
            "{name} is not set: run `cargo xtask test`, or start servers with \
             `cargo xtask server start ...` and `eval \"$(cargo xtask server env)\"`"
        )
    })
}

fn addr(name: &str) -> SocketAddr {
    let v = env(name);
    v.parse()
        .unwrap_or_else(|e| panic!("{name}={v} is not host:port: {e}"))
}

fn connect(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect_timeout(&addr, TIMEOUT).expect("connect");
    s.set_read_timeout(Some(TIMEOUT)).unwrap();
    s.set_write_timeout(Some(TIMEOUT)).unwrap();
    s
}

#[test]
#[ignore = "needs a server: cargo xtask test"]
fn arcadedb_picks_a_bolt_version_it_speaks() {
    let answer = handshake::over_tcp(
        addr("BOLT_TEST_ARCADEDB_ADDR"),
        &handshake::ARCADEDB_OFFER,
        TIMEOUT,
    )
    .expect("handshake");
    assert!(
        handshake::picked_from(answer, &handshake::ARCADEDB_OFFER),
        "ArcadeDB answered {answer:02X?}, not one of 5.4-5.0, 4.4, 3.0"
    );
    assert!(matches!(handshake::version(answer).0, 3..=5));
}

#[test]
#[ignore = "needs a server: cargo xtask test"]
fn arcadedb_answers_zero_to_versions_it_does_not_speak() {
    let offer = [[0, 0, 9, 9], [0, 0, 0, 2], [0; 4], [0; 4]];
    let mut s = connect(addr("BOLT_TEST_ARCADEDB_ADDR"));
    match handshake::exchange(&mut s, &offer) {
        Ok(answer) => assert_eq!(answer, [0; 4], "accepted an unknown version"),
        // Closing the connection instead of answering zero is also a refusal.
        Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::UnexpectedEof, "{e}"),
    }
}

/// Accepts exactly one certificate (the DER file the server exported).
#[derive(Debug)]
struct Pinned {
    der: Vec<u8>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.der.as_slice() {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::UnknownIssuer,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

fn tls_to(addr: SocketAddr, der: Vec<u8>) -> StreamOwned<ClientConnection, TcpStream> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = Pinned {
        der,
        provider: provider.clone(),
    };
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    let name = ServerName::try_from("localhost").unwrap();
    let conn = ClientConnection::new(Arc::new(config), name).expect("client connection");
    StreamOwned::new(conn, connect(addr))
}

#[test]
#[ignore = "needs a server: cargo xtask test"]
fn arcadedb_tls_handshake_with_the_pinned_certificate() {
    let der = std::fs::read(env("BOLT_TEST_ARCADEDB_TLS_CERT_DER")).expect("read DER");
    let pem = std::fs::read_to_string(env("BOLT_TEST_ARCADEDB_TLS_CERT_PEM")).expect("read PEM");
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");
    let mut tls = tls_to(addr("BOLT_TEST_ARCADEDB_TLS_ADDR"), der);
    let answer = handshake::exchange(&mut tls, &handshake::ARCADEDB_OFFER).expect("handshake");
    assert!(
        handshake::picked_from(answer, &handshake::ARCADEDB_OFFER),
        "ArcadeDB (TLS) answered {answer:02X?}"
    );
}

#[test]
#[ignore = "needs a server: cargo xtask test"]
fn arcadedb_tls_rejects_a_different_pinned_certificate() {
    let mut der = std::fs::read(env("BOLT_TEST_ARCADEDB_TLS_CERT_DER")).expect("read DER");
    let last = der.len() - 1;
    der[last] ^= 0xFF;
    let mut tls = tls_to(addr("BOLT_TEST_ARCADEDB_TLS_ADDR"), der);
    let err = handshake::exchange(&mut tls, &handshake::ARCADEDB_OFFER)
        .expect_err("a wrong pin must fail the TLS handshake");
    assert!(err.to_string().contains("UnknownIssuer"), "{err}");
}

#[test]
#[ignore = "needs a server: cargo xtask test"]
fn arcadedb_tls_port_does_not_speak_plain_bolt() {
    let mut s = connect(addr("BOLT_TEST_ARCADEDB_TLS_ADDR"));
    if let Ok(answer) = handshake::exchange(&mut s, &handshake::ARCADEDB_OFFER) {
        assert!(
            !handshake::picked_from(answer, &handshake::ARCADEDB_OFFER),
            "the TLS-only port answered a plain handshake with {answer:02X?}"
        );
    }
}

/// Writes one Bolt message as a single chunk plus the end marker.
fn send(s: &mut TcpStream, msg: &[u8]) {
    let mut buf = (msg.len() as u16).to_be_bytes().to_vec();
    buf.extend_from_slice(msg);
    buf.extend_from_slice(&[0, 0]);
    s.write_all(&buf).unwrap();
}

/// Reads one Bolt message (all chunks up to the end marker).
fn recv(s: &mut TcpStream) -> Vec<u8> {
    let mut msg = Vec::new();
    loop {
        let mut len = [0u8; 2];
        s.read_exact(&mut len).expect("chunk header");
        let len = u16::from_be_bytes(len) as usize;
        if len == 0 {
            return msg;
        }
        let start = msg.len();
        msg.resize(start + len, 0);
        s.read_exact(&mut msg[start..]).expect("chunk body");
    }
}

fn tiny_string(s: &str) -> Vec<u8> {
    let mut v = if s.len() < 16 {
        vec![0x80 | s.len() as u8]
    } else {
        vec![0xD0, s.len() as u8]
    };
    v.extend_from_slice(s.as_bytes());
    v
}

#[test]
#[ignore = "needs a server: cargo xtask test"]
fn neo4j31_speaks_bolt_v1_and_returns_non_ascii_strings() {
    let mut s = connect(addr("BOLT_TEST_NEO4J31_ADDR"));
    let answer = handshake::exchange(&mut s, &handshake::NEO4J31_OFFER).expect("handshake");
    assert_eq!(answer, [0, 0, 0, 1], "Neo4j 3.1 must pick Bolt v1");

    // INIT "xtask-smoke" {scheme: "none"} (the server runs without auth)
    let mut init = vec![0xB2, 0x01];
    init.extend(tiny_string("xtask-smoke"));
    init.push(0xA1);
    init.extend(tiny_string("scheme"));
    init.extend(tiny_string("none"));
    send(&mut s, &init);
    let reply = recv(&mut s);
    assert_eq!(&reply[..2], &[0xB1, 0x70], "INIT: {reply:02X?}");

    // RUN a query returning a non-ASCII string, then PULL_ALL. This is what
    // the SunMiscUTF8Encoder removal fixes on Java 17.
    let text = "grüße ✓";
    let mut run = vec![0xB2, 0x10];
    run.extend(tiny_string(&format!("RETURN '{text}' AS s")));
    run.push(0xA0);
    send(&mut s, &run);
    send(&mut s, &[0xB0, 0x3F]);
    let run_reply = recv(&mut s);
    assert_eq!(&run_reply[..2], &[0xB1, 0x70], "RUN: {run_reply:02X?}");
    let record = recv(&mut s);
    assert_eq!(&record[..3], &[0xB1, 0x71, 0x91], "RECORD: {record:02X?}");
    assert_eq!(&record[3..], tiny_string(text).as_slice(), "value");
    let done = recv(&mut s);
    assert_eq!(&done[..2], &[0xB1, 0x70], "PULL_ALL: {done:02X?}");
}

/// The exported PEM also works as a trust root for rustls' standard WebPKI
/// verifier (what a driver's "trust these certificates" option does).
#[test]
#[ignore = "needs a server: cargo xtask test"]
fn arcadedb_tls_exported_pem_works_as_a_webpki_root() {
    use rustls::pki_types::pem::PemObject;
    let pem = env("BOLT_TEST_ARCADEDB_TLS_CERT_PEM");
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(&pem).expect("read PEM") {
        roots.add(cert.expect("PEM certificate")).expect("add root");
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    let tls_addr = addr("BOLT_TEST_ARCADEDB_TLS_ADDR");
    for name in ["localhost", "127.0.0.1"] {
        let server_name = ServerName::try_from(name).unwrap();
        let conn = ClientConnection::new(Arc::new(config.clone()), server_name).unwrap();
        let mut tls = StreamOwned::new(conn, connect(tls_addr));
        let answer = handshake::exchange(&mut tls, &handshake::ARCADEDB_OFFER)
            .unwrap_or_else(|e| panic!("TLS as {name}: {e}"));
        assert!(handshake::picked_from(answer, &handshake::ARCADEDB_OFFER));
    }
}

/// Both Neo4j lines pick Bolt 5.x from a legacy offer, in plain Bolt and
/// over TLS with the exported certificate pinned (TLS is optional there).
#[test]
#[ignore = "needs a server: cargo xtask test"]
fn neo4j_speaks_bolt_5_plain_and_over_tls() {
    for prefix in ["BOLT_TEST_NEO4J", "BOLT_TEST_NEO4J_LTS"] {
        let plain = addr(&format!("{prefix}_ADDR"));
        let answer =
            handshake::over_tcp(plain, &handshake::NEO4J5_OFFER, TIMEOUT).expect("handshake");
        assert_eq!(
            handshake::version(answer),
            (5, 8),
            "{prefix}: answered {answer:02X?}"
        );
        let der = std::fs::read(env(&format!("{prefix}_TLS_CERT_DER"))).expect("read DER");
        let mut tls = tls_to(addr(&format!("{prefix}_TLS_ADDR")), der);
        let answer = handshake::exchange(&mut tls, &handshake::NEO4J5_OFFER)
            .unwrap_or_else(|e| panic!("{prefix} over TLS: {e}"));
        assert!(handshake::picked_from(answer, &handshake::NEO4J5_OFFER));
    }
}

/// The versions xtask resolved are the lines asked for.
#[test]
#[ignore = "needs a server: cargo xtask test"]
fn neo4j_versions_are_the_lines_asked_for() {
    let newest = env("BOLT_TEST_NEO4J_VERSION");
    assert!(newest.starts_with("2026."), "{newest}");
    let lts = env("BOLT_TEST_NEO4J_LTS_VERSION");
    assert!(lts.starts_with("5.26."), "{lts}");
}
