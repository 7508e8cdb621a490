//! Client certificates against a local rustls server that requires one:
//! password-protected keys (OpenSSL legacy PEM encryption, encrypted
//! PKCS#8) and a rotating [`ClientCertificateSource`].

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bolt_net::{
    connect, Address, ClientCertificate, ClientCertificateSource, ConnectOptions, NetError,
    TlsConfig, TlsConfigError, TlsErrorKind, Trust,
};
use common::*;
use rcgen::KeyPair;

const PLAIN_KEY: &str = include_str!("fixtures/key-pkcs8.pem");
const LEGACY_AES256: &str = include_str!("fixtures/key-legacy-aes256.pem");
const LEGACY_AES128: &str = include_str!("fixtures/key-legacy-aes128.pem");
const PKCS8_ENCRYPTED: &str = include_str!("fixtures/key-pkcs8-encrypted.pem");
const PASSWORD: &str = "thepassword";

/// A client certificate for the fixture key, signed by `client_ca`.
fn fixture_client_cert(client_ca: &Issued) -> String {
    let key = KeyPair::from_pem(PLAIN_KEY).unwrap();
    let params = rcgen::CertificateParams::new(vec!["client".to_owned()]).unwrap();
    params
        .signed_by(&key, &client_ca.cert, &client_ca.key)
        .unwrap()
        .pem()
}

fn options(tls: TlsConfig) -> Result<ConnectOptions, NetError> {
    Ok(ConnectOptions::new()
        .with_connection_timeout(Duration::from_secs(10))
        .with_tls(tls.build()?))
}

async fn try_connect(addr: std::net::SocketAddr, opts: &ConnectOptions) -> Result<(), NetError> {
    let (mut s, _) = connect(&Address::new("localhost", addr.port()), opts).await?;
    ping(&mut s).await.map_err(|source| NetError::Io {
        address: addr,
        source,
    })
}

#[tokio::test]
async fn encrypted_keys_work_with_their_password() {
    let pki = pki();
    // TLS 1.2 so that a refused client certificate shows in the handshake.
    let server = client_cert_server_tls12(&pki).await;
    let cert = fixture_client_cert(&pki.client_ca);
    for (name, key) in [
        ("legacy AES-256", LEGACY_AES256),
        ("legacy AES-128", LEGACY_AES128),
        ("PKCS#8 PBES2", PKCS8_ENCRYPTED),
        ("unencrypted, password ignored", PLAIN_KEY),
    ] {
        let tls = TlsConfig::new(Trust::CustomCaPem(pki.ca.pem().into_bytes()))
            .with_client_certificate(
                ClientCertificate::from_pem(cert.clone(), key).with_password(PASSWORD),
            );
        try_connect(server.addr, &options(tls).unwrap())
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    assert_eq!(server.seen.lock().unwrap().len(), 4);
    assert!(server.seen.lock().unwrap().iter().all(|s| s.client_cert));
}

#[test]
fn encrypted_keys_without_or_with_wrong_password_are_config_errors() {
    let pki = pki();
    let cert = fixture_client_cert(&pki.client_ca);
    for key in [LEGACY_AES256, LEGACY_AES128, PKCS8_ENCRYPTED] {
        for (password, expected) in [(None, "no password"), (Some("wrong"), "password")] {
            let mut c = ClientCertificate::from_pem(cert.clone(), key);
            if let Some(pw) = password {
                c = c.with_password(pw);
            }
            let err = TlsConfig::new(Trust::AllCertificates)
                .with_client_certificate(c)
                .build()
                .unwrap_err();
            match &err {
                NetError::TlsConfig(TlsConfigError::InvalidPem { what, reason, .. }) => {
                    assert_eq!(*what, "client key");
                    assert!(reason.contains(expected), "{reason}");
                }
                // A wrong password may, rarely, decrypt to garbage with valid
                // padding; rustls then refuses the key.
                NetError::TlsConfig(TlsConfigError::BadClientCertificate(_))
                    if password.is_some() => {}
                e => panic!("{e:?}"),
            }
        }
    }
}

/// A source whose answers the test scripts; counts calls.
struct Script {
    next: Mutex<Vec<Option<ClientCertificate>>>,
    calls: AtomicUsize,
}

impl Script {
    fn source(self: &Arc<Self>) -> ClientCertificateSource {
        let me = self.clone();
        ClientCertificateSource::new(move || {
            me.calls.fetch_add(1, Ordering::SeqCst);
            let mut next = me.next.lock().unwrap();
            if next.is_empty() {
                None
            } else {
                next.remove(0)
            }
        })
    }
}

#[tokio::test]
async fn rotating_source_is_asked_once_per_connection() {
    let pki = pki();
    let server = client_cert_server_tls12(&pki).await;
    let good = ClientCertificate::from_pem(pki.client.pem(), pki.client.key_pem());
    let stranger = signed(&ca("stranger CA"), &["client"]);
    let bad = ClientCertificate::from_pem(stranger.pem(), stranger.key_pem());
    let missing = ClientCertificate::from_pem_files("/nonexistent/c.pem", "/nonexistent/k.pem");
    let script = Arc::new(Script {
        // Per connection: new good; keep; new stranger; keep; broken; good.
        next: Mutex::new(vec![
            Some(good.clone()),
            None,
            Some(bad),
            None,
            Some(missing),
            Some(good),
        ]),
        calls: AtomicUsize::new(0),
    });
    let tls = TlsConfig::new(Trust::CustomCaPem(pki.ca.pem().into_bytes()))
        .with_client_certificate_source(script.source());
    let opts = options(tls).unwrap();
    assert_eq!(
        script.calls.load(Ordering::SeqCst),
        0,
        "not asked before connecting"
    );

    try_connect(server.addr, &opts).await.unwrap();
    try_connect(server.addr, &opts).await.unwrap();
    for _ in 0..2 {
        let e = try_connect(server.addr, &opts).await.unwrap_err();
        assert_eq!(
            e.tls_error_kind(),
            Some(TlsErrorKind::ClientCertificateRejected),
            "{e}"
        );
    }
    let e = try_connect(server.addr, &opts).await.unwrap_err();
    assert!(
        matches!(e, NetError::TlsConfig(TlsConfigError::ReadFile { .. })),
        "{e:?}"
    );
    try_connect(server.addr, &opts).await.unwrap();
    assert_eq!(script.calls.load(Ordering::SeqCst), 6);
}

#[tokio::test]
async fn source_without_certificate_connects_without_one() {
    let pki = pki();
    let server = tls_server(ServerOptions::new(&pki.server)).await;
    let script = Arc::new(Script {
        next: Mutex::new(vec![None]),
        calls: AtomicUsize::new(0),
    });
    let tls = TlsConfig::new(Trust::CustomCaPem(pki.ca.pem().into_bytes()))
        .with_client_certificate_source(script.source());
    try_connect(server.addr, &options(tls).unwrap())
        .await
        .unwrap();
    assert!(!server.seen.lock().unwrap()[0].client_cert);
    assert_eq!(script.calls.load(Ordering::SeqCst), 1);
}
