//! TLS trust modes against local rustls servers with rcgen certificates:
//! each mode positive and negative.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use bolt_net::{
    connect, Address, ClientCertificate, ConnectOptions, NetError, Resolver, TlsConfig,
    TlsConfigError, TlsErrorKind, Trust,
};
use common::*;

fn options(tls: TlsConfig) -> ConnectOptions {
    ConnectOptions::new()
        .with_connection_timeout(Duration::from_secs(10))
        .with_tls(tls.build().expect("TLS config builds"))
}

/// Connect to `host:port`, where host "localhost" resolves to 127.0.0.1.
async fn connect_to(
    host: &str,
    addr: SocketAddr,
    tls: TlsConfig,
) -> Result<bolt_net::BoltStream, NetError> {
    let address = Address::new(host, addr.port());
    connect(&address, &options(tls)).await.map(|(s, _)| s)
}

fn ca_trust(pki: &Pki) -> TlsConfig {
    TlsConfig::new(Trust::CustomCaPem(pki.ca.pem().into_bytes()))
}

#[track_caller]
fn assert_tls_kind(result: Result<bolt_net::BoltStream, NetError>, kind: TlsErrorKind) {
    match result {
        Ok(_) => panic!("connected, expected {kind:?}"),
        Err(e) => {
            assert_eq!(e.tls_error_kind(), Some(kind), "{e}");
            assert!(matches!(e, NetError::Tls { .. }), "{e:?}");
        }
    }
}

#[tokio::test]
async fn custom_ca_pem_accepts_signed_cert_and_sends_sni() {
    let pki = pki();
    let server = tls_server(ServerOptions::new(&pki.server)).await;
    let mut s = connect_to("localhost", server.addr, ca_trust(&pki))
        .await
        .unwrap();
    assert!(s.is_encrypted());
    assert_eq!(s.peer_addr(), server.addr);
    assert_eq!(s.local_addr().ip(), server.addr.ip());
    ping(&mut s).await.unwrap();
    let seen = server.seen.lock().unwrap().clone();
    assert_eq!(seen[0].sni.as_deref(), Some("localhost"));
}

#[tokio::test]
async fn custom_ca_file_accepts_signed_cert_by_ip() {
    let pki = pki();
    let dir = std::env::temp_dir().join(format!("bolt-net-ca-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // the file holds an unrelated CA first: every certificate in it is trusted
    let path = dir.join("ca.pem");
    std::fs::write(&path, format!("{}{}", ca("other").pem(), pki.ca.pem())).unwrap();
    let server = tls_server(ServerOptions::new(&pki.server)).await;
    let tls = TlsConfig::new(Trust::CustomCaFiles(vec![path]));
    let mut s = connect_to("127.0.0.1", server.addr, tls).await.unwrap();
    ping(&mut s).await.unwrap();
    // no SNI for IP addresses
    assert_eq!(server.seen.lock().unwrap()[0].sni, None);
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn wrong_ca_is_unknown_issuer() {
    let pki = pki();
    let server = tls_server(ServerOptions::new(&pki.server)).await;
    let tls = TlsConfig::new(Trust::CustomCaPem(ca("other").pem().into_bytes()));
    assert_tls_kind(
        connect_to("localhost", server.addr, tls).await,
        TlsErrorKind::UnknownIssuer,
    );
}

#[tokio::test]
async fn self_signed_under_ca_trust_is_unknown_issuer() {
    let pki = pki();
    let server = tls_server(ServerOptions::new(&self_signed(&["localhost"]))).await;
    assert_tls_kind(
        connect_to("localhost", server.addr, ca_trust(&pki)).await,
        TlsErrorKind::UnknownIssuer,
    );
}

#[tokio::test]
async fn system_cas_reject_private_ca() {
    let pki = pki();
    let server = tls_server(ServerOptions::new(&pki.server)).await;
    assert_tls_kind(
        connect_to("localhost", server.addr, TlsConfig::new(Trust::SystemCas)).await,
        TlsErrorKind::UnknownIssuer,
    );
}

#[tokio::test]
async fn wrong_host_name_is_name_mismatch() {
    let pki = pki();
    let cert = signed(&pki.ca, &["db.example.com"]);
    let server = tls_server(ServerOptions::new(&cert)).await;
    assert_tls_kind(
        connect_to("localhost", server.addr, ca_trust(&pki)).await,
        TlsErrorKind::NameMismatch,
    );
    // an IP is checked against IP SANs: this certificate has none
    assert_tls_kind(
        connect_to("127.0.0.1", server.addr, ca_trust(&pki)).await,
        TlsErrorKind::NameMismatch,
    );
}

#[tokio::test]
async fn name_checked_is_the_resolved_host_not_the_original() {
    // The custom resolver maps a logical name to "localhost"; the
    // certificate is checked against "localhost" (as the Python driver does).
    let pki = pki();
    let server = tls_server(ServerOptions::new(&pki.server)).await;
    let port = server.addr.port();
    let options = options(ca_trust(&pki)).with_resolver(Resolver::new(move |_: &Address| {
        vec![Address::new("localhost", port)]
    }));
    let (mut s, _) = connect(&"cluster.example.com:1".parse().unwrap(), &options)
        .await
        .unwrap();
    ping(&mut s).await.unwrap();
    assert_eq!(
        server.seen.lock().unwrap()[0].sni.as_deref(),
        Some("localhost")
    );
}

#[tokio::test]
async fn expired_cert_rejected_under_ca_trust() {
    let pki = pki();
    let server = tls_server(ServerOptions::new(&expired(&pki.ca, &["localhost"]))).await;
    assert_tls_kind(
        connect_to("localhost", server.addr, ca_trust(&pki)).await,
        TlsErrorKind::Expired,
    );
}

#[tokio::test]
async fn trust_all_accepts_self_signed_expired_and_wrong_name() {
    for cert in [
        self_signed(&["localhost"]),
        self_signed(&["db.example.com"]),
        expired(&ca("x"), &["elsewhere"]),
    ] {
        let server = tls_server(ServerOptions::new(&cert)).await;
        let mut s = connect_to(
            "localhost",
            server.addr,
            TlsConfig::new(Trust::AllCertificates),
        )
        .await
        .unwrap();
        ping(&mut s).await.unwrap();
    }
}

#[tokio::test]
async fn trust_all_still_verifies_the_handshake_signature() {
    // the server presents a certificate whose key it does not hold
    let presented = self_signed(&["localhost"]);
    let actual_key = self_signed(&["localhost"]);
    let server = tls_server(ServerOptions::impostor(&presented, &actual_key)).await;
    assert_tls_kind(
        connect_to(
            "localhost",
            server.addr,
            TlsConfig::new(Trust::AllCertificates),
        )
        .await,
        TlsErrorKind::InvalidCertificate,
    );
}

#[tokio::test]
async fn pinned_certificate_match_and_mismatch() {
    let cert = self_signed(&["elsewhere"]);
    let server = tls_server(ServerOptions::new(&cert)).await;
    let mut s = connect_to(
        "localhost",
        server.addr,
        TlsConfig::new(Trust::PinnedCertificate(cert.der())),
    )
    .await
    .unwrap();
    ping(&mut s).await.unwrap();

    let other = self_signed(&["localhost"]);
    assert_tls_kind(
        connect_to(
            "localhost",
            server.addr,
            TlsConfig::new(Trust::PinnedCertificate(other.der())),
        )
        .await,
        TlsErrorKind::PinnedCertificateMismatch,
    );

    // the pinned certificate presented without its key: signature check fails
    let impostor = tls_server(ServerOptions::impostor(&cert, &other)).await;
    assert_tls_kind(
        connect_to(
            "localhost",
            impostor.addr,
            TlsConfig::new(Trust::PinnedCertificate(cert.der())),
        )
        .await,
        TlsErrorKind::InvalidCertificate,
    );
}

#[tokio::test]
async fn mutual_tls_works() {
    let pki = pki();
    let server =
        tls_server(ServerOptions::new(&pki.server).require_client_cert(&pki.client_ca)).await;
    let tls = ca_trust(&pki).with_client_certificate(ClientCertificate::from_pem(
        pki.client.pem(),
        pki.client.key_pem(),
    ));
    let mut s = connect_to("localhost", server.addr, tls).await.unwrap();
    ping(&mut s).await.unwrap();
    assert!(server.seen.lock().unwrap()[0].client_cert);
}

#[tokio::test]
async fn mutual_tls_from_files_over_tls12() {
    let pki = pki();
    let dir = std::env::temp_dir().join(format!("bolt-net-mtls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert, key) = (dir.join("client.pem"), dir.join("client.key"));
    std::fs::write(&cert, pki.client.pem()).unwrap();
    std::fs::write(&key, pki.client.key_pem()).unwrap();
    let server = client_cert_server_tls12(&pki).await;
    let tls = ca_trust(&pki).with_client_certificate(ClientCertificate::from_pem_files(cert, key));
    let mut s = connect_to("localhost", server.addr, tls).await.unwrap();
    ping(&mut s).await.unwrap();
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn missing_client_cert_fails_in_handshake_over_tls12() {
    let pki = pki();
    let server = client_cert_server_tls12(&pki).await;
    assert_tls_kind(
        connect_to("localhost", server.addr, ca_trust(&pki)).await,
        TlsErrorKind::ClientCertificateRequired,
    );
}

#[tokio::test]
async fn missing_client_cert_fails_on_first_read_over_tls13() {
    // TLS 1.3: the client finishes its handshake before the server checks
    // the client certificate, so the server's refusal arrives on first read.
    let pki = pki();
    let server =
        tls_server(ServerOptions::new(&pki.server).require_client_cert(&pki.client_ca)).await;
    let result = connect_to("localhost", server.addr, ca_trust(&pki)).await;
    let err = match result {
        Err(e) => e.tls_error_kind(),
        Ok(mut s) => {
            let e = ping(&mut s).await.expect_err("server must refuse");
            TlsErrorKind::of_io_error(&e)
        }
    };
    assert_eq!(err, Some(TlsErrorKind::ClientCertificateRequired));
    assert!(server.seen.lock().unwrap().is_empty());
}

#[tokio::test]
async fn client_cert_from_wrong_ca_is_rejected() {
    let pki = pki();
    let server = client_cert_server_tls12(&pki).await;
    let stranger = signed(&ca("stranger CA"), &["client"]);
    let tls = ca_trust(&pki).with_client_certificate(ClientCertificate::from_pem(
        stranger.pem(),
        stranger.key_pem(),
    ));
    assert_tls_kind(
        connect_to("localhost", server.addr, tls).await,
        TlsErrorKind::ClientCertificateRejected,
    );
}

#[test]
fn bad_configs_name_the_problem() {
    let pki = pki();
    let err = |tls: TlsConfig| match tls.build() {
        Ok(_) => panic!("built"),
        Err(NetError::TlsConfig(e)) => e,
        Err(e) => panic!("{e:?}"),
    };

    let e = err(TlsConfig::new(Trust::CustomCaFiles(vec![
        "/nonexistent/ca.pem".into(),
    ])));
    assert!(matches!(
        e,
        TlsConfigError::ReadFile {
            what: "CA certificate",
            ..
        }
    ));
    assert!(e.to_string().contains("/nonexistent/ca.pem"), "{e}");

    let e = err(TlsConfig::new(Trust::CustomCaFiles(vec![])));
    assert!(matches!(e, TlsConfigError::NoCaCertificates(_)), "{e}");

    let e = err(TlsConfig::new(Trust::CustomCaPem(b"hello".to_vec())));
    assert!(matches!(e, TlsConfigError::InvalidPem { .. }), "{e}");

    let e = err(TlsConfig::new(Trust::PinnedCertificate(vec![])));
    assert!(matches!(e, TlsConfigError::EmptyPinnedCertificate), "{e}");

    // key does not belong to the certificate
    let e = err(TlsConfig::new(Trust::SystemCas).with_client_certificate(
        ClientCertificate::from_pem(pki.client.pem(), pki.server.key_pem()),
    ));
    assert!(matches!(e, TlsConfigError::BadClientCertificate(_)), "{e}");

    // a certificate where the key should be
    let e = err(TlsConfig::new(Trust::SystemCas).with_client_certificate(
        ClientCertificate::from_pem(pki.client.pem(), pki.client.pem()),
    ));
    assert!(
        matches!(
            e,
            TlsConfigError::InvalidPem {
                what: "client key",
                ..
            }
        ),
        "{e}"
    );

    let e = err(TlsConfig::new(Trust::SystemCas).with_client_certificate(
        ClientCertificate::from_pem_files("/nonexistent/c.pem", "/nonexistent/c.key"),
    ));
    assert!(
        matches!(
            e,
            TlsConfigError::ReadFile {
                what: "client certificate",
                ..
            }
        ),
        "{e}"
    );
}

#[tokio::test]
async fn one_connector_serves_many_connections() {
    let pki = pki();
    let server = tls_server(ServerOptions::new(&pki.server)).await;
    let options = options(ca_trust(&pki));
    let address = Address::new("localhost", server.addr.port());
    for _ in 0..3 {
        let (mut s, _) = connect(&address, &options).await.unwrap();
        ping(&mut s).await.unwrap();
    }
    assert_eq!(server.seen.lock().unwrap().len(), 3);
}

#[tokio::test]
async fn plain_server_under_tls_is_a_handshake_failure() {
    let addr = plain_server().await;
    // the echo server sends our ClientHello back: not a TLS server
    assert_tls_kind(
        connect_to("localhost", addr, TlsConfig::new(Trust::AllCertificates)).await,
        TlsErrorKind::HandshakeFailure,
    );
}

// A server presenting exactly a self-signed `CA:TRUE` certificate that is
// trusted as a custom CA (what `openssl req -x509` makes, and what Neo4j
// deployments often use): accepted as the official drivers do, with the
// name, validity period, purpose and handshake signature still checked.

fn trust_pem(pem: String) -> TlsConfig {
    TlsConfig::new(Trust::CustomCaPem(pem.into_bytes()))
}

/// The certificate error rustls reported for a refused handshake.
#[track_caller]
fn certificate_error(result: Result<bolt_net::BoltStream, NetError>) -> rustls::CertificateError {
    let err = match result {
        Ok(_) => panic!("connected, expected a certificate error"),
        Err(e) => e,
    };
    match err {
        NetError::Tls { ref source, .. } => match source.downcast_ref::<rustls::Error>() {
            Some(rustls::Error::InvalidCertificate(c)) => c.clone(),
            _ => panic!("not a certificate error: {err:?}"),
        },
        _ => panic!("not a TLS error: {err:?}"),
    }
}

/// Whether `err` is webpki's `CaUsedAsEndEntity`, as rustls reports it.
fn is_ca_used_as_end_entity(err: &rustls::CertificateError) -> bool {
    matches!(err, rustls::CertificateError::Other(o)
        if matches!(o.0.downcast_ref::<webpki::Error>(), Some(webpki::Error::CaUsedAsEndEntity)))
}

#[tokio::test]
async fn trusted_self_signed_ca_certificate_is_accepted_as_the_servers() {
    let cert = self_signed_ca(&["localhost", "127.0.0.1"]);
    let server = tls_server(ServerOptions::new(&cert)).await;
    for host in ["localhost", "127.0.0.1"] {
        let mut s = connect_to(host, server.addr, trust_pem(cert.pem()))
            .await
            .unwrap_or_else(|e| panic!("{host}: {e:?}"));
        ping(&mut s).await.unwrap();
    }
}

#[tokio::test]
async fn trusted_self_signed_ca_certificate_is_checked_for_the_name() {
    let cert = self_signed_ca(&["db.example.com"]);
    let server = tls_server(ServerOptions::new(&cert)).await;
    for host in ["localhost", "127.0.0.1"] {
        assert_tls_kind(
            connect_to(host, server.addr, trust_pem(cert.pem())).await,
            TlsErrorKind::NameMismatch,
        );
    }
}

#[tokio::test]
async fn trusted_self_signed_ca_certificate_is_checked_for_expiry() {
    let cert = expired_self_signed_ca(&["localhost"]);
    let server = tls_server(ServerOptions::new(&cert)).await;
    assert_tls_kind(
        connect_to("localhost", server.addr, trust_pem(cert.pem())).await,
        TlsErrorKind::Expired,
    );
}

#[tokio::test]
async fn trusted_self_signed_ca_certificate_is_checked_for_its_purpose() {
    let cert = client_only_self_signed_ca(&["localhost"]);
    let server = tls_server(ServerOptions::new(&cert)).await;
    assert_tls_kind(
        connect_to("localhost", server.addr, trust_pem(cert.pem())).await,
        TlsErrorKind::InvalidCertificate,
    );
    let err = certificate_error(connect_to("localhost", server.addr, trust_pem(cert.pem())).await);
    assert!(
        matches!(
            &err,
            rustls::CertificateError::InvalidPurposeContext {
                required: rustls::ExtendedKeyPurpose::ServerAuth,
                presented,
            } if presented == &[rustls::ExtendedKeyPurpose::ClientAuth]
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn another_self_signed_ca_certificate_than_the_trusted_one_is_refused() {
    let trusted = self_signed_ca(&["localhost"]);
    let presented = self_signed_ca(&["localhost"]);
    let server = tls_server(ServerOptions::new(&presented)).await;
    assert_tls_kind(
        connect_to("localhost", server.addr, trust_pem(trusted.pem())).await,
        TlsErrorKind::InvalidCertificate,
    );
    // WebPKI's refusal, unchanged
    let err =
        certificate_error(connect_to("localhost", server.addr, trust_pem(trusted.pem())).await);
    assert!(is_ca_used_as_end_entity(&err), "{err:?}");
}

#[tokio::test]
async fn trusted_self_signed_ca_certificate_without_its_key_is_refused() {
    // the server presents the trusted certificate but signs with another key
    let trusted = self_signed_ca(&["localhost"]);
    let other = self_signed_ca(&["localhost"]);
    let server = tls_server(ServerOptions::impostor(&trusted, &other)).await;
    let err =
        certificate_error(connect_to("localhost", server.addr, trust_pem(trusted.pem())).await);
    assert_eq!(err, rustls::CertificateError::BadSignature);
}

#[tokio::test]
async fn self_signed_ca_certificate_and_ca_signed_leaf_trusted_together() {
    let pki = pki();
    let own = self_signed_ca(&["localhost"]);
    let both = format!("{}{}", own.pem(), pki.ca.pem());
    for presented in [&own, &pki.server] {
        let server = tls_server(ServerOptions::new(presented)).await;
        let mut s = connect_to("localhost", server.addr, trust_pem(both.clone()))
            .await
            .unwrap();
        ping(&mut s).await.unwrap();
    }
    // the CA itself presented by a server that holds its key: trusted as an
    // anchor, but not valid for a name (it has none)
    let server = tls_server(ServerOptions::new(&pki.ca)).await;
    assert_tls_kind(
        connect_to("localhost", server.addr, trust_pem(both)).await,
        TlsErrorKind::NameMismatch,
    );
}
