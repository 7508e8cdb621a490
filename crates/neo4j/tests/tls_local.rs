//! TLS through the facade against local rustls servers that require a
//! client certificate, record which one each connection presented, then hang
//! up (like TestKit's TLS server): a fixed certificate, a rotating provider,
//! bad files named at driver creation, and a plain driver meeting a TLS
//! server (a prompt typed error, not a hang). Also a server whose
//! certificate fails the driver's checks (untrusted, not the pinned one):
//! a security error, not retried.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use neo4j::{
    ClientCertificate, ClientCertificateProvider, Config, Error, GraphDatabase,
    RotatingClientCertificateProvider, TlsErrorKind,
};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::WebPkiClientVerifier;
use tokio::net::TcpListener;

struct Ca {
    cert: rcgen::Certificate,
    key: KeyPair,
}

fn ca(name: &str) -> Ca {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let key = KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    Ca { cert, key }
}

/// A certificate for `name` signed by `ca`, written as PEM files in `dir`;
/// returns the facade's [`ClientCertificate`] and the certificate's DER.
fn client_cert(ca: &Ca, name: &str, dir: &Path) -> (ClientCertificate, Vec<u8>) {
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec![name.to_owned()])
        .unwrap()
        .signed_by(&key, &ca.cert, &ca.key)
        .unwrap();
    let (c, k) = (
        dir.join(format!("{name}.pem")),
        dir.join(format!("{name}.key")),
    );
    std::fs::write(&c, cert.pem()).unwrap();
    std::fs::write(&k, key.serialize_pem()).unwrap();
    (ClientCertificate::new(c, k), cert.der().to_vec())
}

fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("neo4j-mtls-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A TLS server on 127.0.0.1:0 requiring a client certificate signed by
/// `client_ca`; records each presented leaf certificate (DER), then closes.
async fn mtls_server(client_ca: &Ca) -> (u16, Arc<Mutex<Vec<Vec<u8>>>>) {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots.add(client_ca.cert.der().clone()).unwrap();
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .unwrap();
    let server_key = KeyPair::generate().unwrap();
    let server_cert = CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .self_signed(&server_key)
        .unwrap();
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_client_cert_verifier(verifier)
        .with_single_cert(
            vec![CertificateDer::from(server_cert.der().to_vec())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der())),
        )
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen2 = seen.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            if let Ok(tls) = acceptor.accept(tcp).await {
                if let Some(chain) = tls.get_ref().1.peer_certificates() {
                    seen2.lock().unwrap().push(chain[0].to_vec());
                }
            }
        }
    });
    (port, seen)
}

/// Opens one connection attempt through the driver (it fails: the server
/// hangs up after the TLS handshake).
async fn touch(driver: &neo4j::Driver) {
    let r = tokio::time::timeout(Duration::from_secs(20), driver.verify_connectivity()).await;
    assert!(matches!(r, Ok(Err(_))), "{r:?}");
}

fn config() -> neo4j::ConfigBuilder {
    Config::builder()
        .with_connection_timeout(Duration::from_secs(5))
        .with_connection_acquisition_timeout(Duration::from_secs(10))
}

#[tokio::test]
async fn fixed_client_certificate_is_presented() {
    let dir = temp_dir("fixed");
    let client_ca = ca("client CA");
    let (cert, der) = client_cert(&client_ca, "alice", &dir);
    let (port, seen) = mtls_server(&client_ca).await;
    let driver = GraphDatabase::driver(
        format!("bolt+ssc://localhost:{port}"),
        config().with_client_certificate(cert).build().unwrap(),
    )
    .unwrap();
    touch(&driver).await;
    let seen = seen.lock().unwrap().clone();
    assert!(!seen.is_empty() && seen.iter().all(|c| *c == der));
    driver.close().await;
    std::fs::remove_dir_all(dir).ok();
}

/// Counts calls to a rotating provider.
struct Counting(RotatingClientCertificateProvider, Mutex<usize>);

impl ClientCertificateProvider for Counting {
    fn get_certificate(&self) -> Option<ClientCertificate> {
        *self.1.lock().unwrap() += 1;
        self.0.get_certificate()
    }
}

#[tokio::test]
async fn rotating_provider_changes_the_certificate_of_new_connections() {
    let dir = temp_dir("rotating");
    let client_ca = ca("client CA");
    let (alice, alice_der) = client_cert(&client_ca, "alice", &dir);
    let (bob, bob_der) = client_cert(&client_ca, "bob", &dir);
    let (port, seen) = mtls_server(&client_ca).await;
    let provider = Arc::new(Counting(
        RotatingClientCertificateProvider::new(alice),
        Mutex::new(0),
    ));
    let driver = GraphDatabase::driver(
        format!("bolt+ssc://localhost:{port}"),
        config()
            .with_client_certificate_provider(provider.clone())
            .build()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(*provider.1.lock().unwrap(), 0, "asked only when connecting");
    touch(&driver).await;
    touch(&driver).await;
    let first = std::mem::take(&mut *seen.lock().unwrap());
    assert!(first.len() >= 2 && first.iter().all(|c| *c == alice_der));
    // One call per connection opened.
    assert_eq!(*provider.1.lock().unwrap(), first.len());

    provider.0.update_certificate(bob);
    touch(&driver).await;
    let second = seen.lock().unwrap().clone();
    assert!(!second.is_empty() && second.iter().all(|c| *c == bob_der));
    driver.close().await;
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test]
async fn unreadable_client_certificate_is_a_config_error_naming_it() {
    let cfg = Config::builder()
        .with_client_certificate(
            ClientCertificate::new("/nonexistent/c.pem", "/nonexistent/k.pem").with_password("pw"),
        )
        .build()
        .unwrap();
    match GraphDatabase::driver("bolt+s://localhost:7687", cfg) {
        Err(Error::Configuration(e)) => {
            assert_eq!(e.option(), "client_certificate");
            assert!(e.to_string().contains("/nonexistent/c.pem"), "{e}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn plain_driver_against_a_tls_server_fails_promptly() {
    let (port, seen) = mtls_server(&ca("client CA")).await;
    // Timeouts far above the test's own limit: the failure must come from
    // the server's refusal, not from a timeout.
    let driver = GraphDatabase::driver(
        format!("bolt://localhost:{port}"),
        Config::builder()
            .with_connection_timeout(Duration::from_secs(300))
            .with_connection_acquisition_timeout(Duration::from_secs(300))
            .build()
            .unwrap(),
    )
    .unwrap();
    assert!(!driver.is_encrypted());
    let r = tokio::time::timeout(Duration::from_secs(30), driver.verify_connectivity())
        .await
        .expect("a plain driver must not hang on a TLS server");
    assert!(matches!(r, Err(Error::ServiceUnavailable(_))), "{r:?}");
    assert!(seen.lock().unwrap().is_empty());
    driver.close().await;
    // Still answers after close.
    assert!(!driver.is_encrypted());
}

#[tokio::test]
async fn closed_drivers_still_report_encryption() {
    let d = GraphDatabase::driver("bolt+ssc://localhost:7687", Config::default()).unwrap();
    d.close().await;
    assert!(d.is_encrypted());
}

/// A TLS server on 127.0.0.1:0 with a self-signed certificate for
/// `localhost` and no client authentication; hangs up after the
/// handshake. Returns the port and the certificate (DER).
async fn self_signed_server() -> (u16, Vec<u8>) {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(cert.der().to_vec())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let _ = acceptor.accept(tcp).await;
        }
    });
    (port, cert.der().to_vec())
}

/// Asserts that `e` is the security error for `kind`, names the check and
/// keeps its cause.
fn assert_security(e: &Error, kind: TlsErrorKind) {
    assert!(
        matches!(e, Error::Security { kind: k, .. } if *k == kind),
        "{e:?}"
    );
    assert!(!e.is_retryable(), "{e:?}");
    assert!(e.to_string().contains(&kind.to_string()), "{e}");
    assert!(std::error::Error::source(e).is_some(), "{e:?}");
}

/// `execute_read` on a fresh session of `driver`: its error and how long
/// it took (a unit of work that is never reached).
async fn failing_read(driver: &neo4j::Driver) -> (Error, Duration) {
    let mut s = driver.session(neo4j::SessionConfig::new());
    let t = std::time::Instant::now();
    let r = tokio::time::timeout(
        Duration::from_secs(30),
        s.execute_read(
            |tx| async move { tx.run("RETURN 1", neo4j::params! {}).await?.consume().await },
        ),
    )
    .await
    .expect("no endless retries");
    let took = t.elapsed();
    (r.unwrap_err(), took)
}

#[tokio::test]
async fn untrusted_certificate_is_a_security_error_and_not_retried() {
    let (port, _) = self_signed_server().await;
    // Ten seconds of retries if the error were retryable.
    let cfg = || config().with_max_retry_time(Duration::from_secs(10));
    for uri in [
        format!("bolt+s://localhost:{port}"),
        format!("neo4j+s://localhost:{port}"),
    ] {
        let driver = GraphDatabase::driver(&uri, cfg().build().unwrap()).unwrap();
        let e = driver.verify_connectivity().await.unwrap_err();
        assert_security(&e, TlsErrorKind::UnknownIssuer);
        let (e, took) = failing_read(&driver).await;
        assert_security(&e, TlsErrorKind::UnknownIssuer);
        assert!(took < Duration::from_secs(2), "{uri}: retried for {took:?}");
        driver.close().await;
    }
}

#[tokio::test]
async fn wrong_pinned_certificate_is_a_security_error_naming_the_pin() {
    let (port, _) = self_signed_server().await;
    let (_, other) = self_signed_server().await;
    let driver = GraphDatabase::driver(
        format!("bolt://localhost:{port}"),
        config()
            .with_max_retry_time(Duration::from_secs(10))
            .with_der_encoded_server_certificate(other)
            .build()
            .unwrap(),
    )
    .unwrap();
    let (e, took) = failing_read(&driver).await;
    assert_security(&e, TlsErrorKind::PinnedCertificateMismatch);
    assert!(e.to_string().contains("pinned"), "{e}");
    assert!(took < Duration::from_secs(2), "retried for {took:?}");
    driver.close().await;
}

#[tokio::test]
async fn the_right_pinned_certificate_passes_the_tls_checks() {
    let (port, der) = self_signed_server().await;
    let driver = GraphDatabase::driver(
        format!("bolt://localhost:{port}"),
        config()
            .with_max_retry_time(Duration::ZERO)
            .with_der_encoded_server_certificate(der)
            .build()
            .unwrap(),
    )
    .unwrap();
    // The server hangs up after the handshake: network trouble, not a
    // security error.
    let e = driver.verify_connectivity().await.unwrap_err();
    assert!(matches!(e, Error::ServiceUnavailable(_)), "{e:?}");
    driver.close().await;
}
