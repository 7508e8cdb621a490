//! Test helpers: a throw-away PKI made with rcgen and local TLS/TCP servers
//! on 127.0.0.1:0.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rcgen::{
    date_time_ymd, BasicConstraints, Certificate, CertificateParams, DnType,
    ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::{ClientHello, ResolvesServerCert, WebPkiClientVerifier};
use rustls::sign::CertifiedKey;
use rustls::{RootCertStore, ServerConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A certificate and its key.
pub struct Issued {
    pub cert: Certificate,
    pub key: KeyPair,
}

impl Issued {
    pub fn der(&self) -> Vec<u8> {
        self.cert.der().to_vec()
    }
    pub fn pem(&self) -> String {
        self.cert.pem()
    }
    pub fn key_pem(&self) -> String {
        self.key.serialize_pem()
    }
    fn rustls_key(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key.serialize_der()))
    }
}

pub fn ca(name: &str) -> Issued {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let key = KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    Issued { cert, key }
}

fn leaf_params(names: &[&str]) -> CertificateParams {
    let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    let mut params = CertificateParams::new(names.clone()).unwrap();
    params.distinguished_name.push(
        DnType::CommonName,
        names.first().cloned().unwrap_or_default(),
    );
    params
}

/// A certificate for `names` (DNS names or IPs) signed by `ca`.
pub fn signed(ca: &Issued, names: &[&str]) -> Issued {
    let key = KeyPair::generate().unwrap();
    let cert = leaf_params(names)
        .signed_by(&key, &ca.cert, &ca.key)
        .unwrap();
    Issued { cert, key }
}

/// Like [`signed`], but valid only in 2000.
pub fn expired(ca: &Issued, names: &[&str]) -> Issued {
    let mut params = leaf_params(names);
    params.not_before = date_time_ymd(2000, 1, 1);
    params.not_after = date_time_ymd(2000, 12, 31);
    let key = KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, &ca.cert, &ca.key).unwrap();
    Issued { cert, key }
}

pub fn self_signed(names: &[&str]) -> Issued {
    let key = KeyPair::generate().unwrap();
    let cert = leaf_params(names).self_signed(&key).unwrap();
    Issued { cert, key }
}

/// A self-signed certificate for `names` with basicConstraints `CA:TRUE`,
/// as `openssl req -x509` makes by default: both the server's certificate
/// and its own CA.
pub fn self_signed_ca(names: &[&str]) -> Issued {
    self_signed_ca_with(names, |_| {})
}

/// Like [`self_signed_ca`], with `adjust` applied to the parameters first.
pub fn self_signed_ca_with(names: &[&str], adjust: impl FnOnce(&mut CertificateParams)) -> Issued {
    let mut params = leaf_params(names);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    adjust(&mut params);
    let key = KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    Issued { cert, key }
}

/// Like [`self_signed_ca`], but valid only in 2000.
pub fn expired_self_signed_ca(names: &[&str]) -> Issued {
    self_signed_ca_with(names, |params| {
        params.not_before = date_time_ymd(2000, 1, 1);
        params.not_after = date_time_ymd(2000, 12, 31);
    })
}

/// Like [`self_signed_ca`], but its extended key usage allows only client
/// authentication.
pub fn client_only_self_signed_ca(names: &[&str]) -> Issued {
    self_signed_ca_with(names, |params| {
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    })
}

/// Everything a test needs: a CA, a server certificate it signed for
/// localhost/127.0.0.1, and a separate client CA with a client certificate.
pub struct Pki {
    pub ca: Issued,
    pub server: Issued,
    pub client_ca: Issued,
    pub client: Issued,
}

pub fn pki() -> Pki {
    let client_ca = ca("test client CA");
    let ca = ca("test CA");
    let server = signed(&ca, &["localhost", "127.0.0.1"]);
    let client = signed(&client_ca, &["client"]);
    Pki {
        ca,
        server,
        client_ca,
        client,
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

#[derive(Debug)]
struct FixedCert(Arc<CertifiedKey>);

impl ResolvesServerCert for FixedCert {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.0.clone())
    }
}

/// Server settings.
pub struct ServerOptions {
    /// Certificate chain presented (leaf first).
    pub chain: Vec<Vec<u8>>,
    /// The key that signs the handshake (normally the leaf's).
    pub key: PrivateKeyDer<'static>,
    /// Require a client certificate signed by this CA.
    pub client_ca: Option<Vec<u8>>,
    /// Only TLS 1.2 (so that client-certificate failures show in the handshake).
    pub tls12_only: bool,
}

impl ServerOptions {
    pub fn new(cert: &Issued) -> Self {
        Self {
            chain: vec![cert.der()],
            key: cert.rustls_key(),
            client_ca: None,
            tls12_only: false,
        }
    }

    /// Present `cert` but sign with `key`'s key: a server that does not own
    /// its certificate.
    pub fn impostor(cert: &Issued, key: &Issued) -> Self {
        Self {
            chain: vec![cert.der()],
            key: key.rustls_key(),
            client_ca: None,
            tls12_only: false,
        }
    }

    pub fn require_client_cert(mut self, client_ca: &Issued) -> Self {
        self.client_ca = Some(client_ca.der());
        self
    }

    pub fn tls12_only(mut self) -> Self {
        self.tls12_only = true;
        self
    }
}

/// What the server saw for each completed handshake: the SNI sent, and
/// whether the client presented a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub sni: Option<String>,
    pub client_cert: bool,
}

pub struct TlsServer {
    pub addr: SocketAddr,
    pub seen: Arc<Mutex<Vec<Seen>>>,
    pub handshake_errors: Arc<Mutex<Vec<String>>>,
}

/// A TLS 1.2 echo server with `pki`'s server certificate that requires a
/// client certificate issued by `pki.client_ca` (TLS 1.2: a refused client
/// certificate shows in the handshake).
pub async fn client_cert_server_tls12(pki: &Pki) -> TlsServer {
    tls_server(
        ServerOptions::new(&pki.server)
            .require_client_cert(&pki.client_ca)
            .tls12_only(),
    )
    .await
}

/// A TLS echo server on 127.0.0.1:0.
pub async fn tls_server(options: ServerOptions) -> TlsServer {
    let provider = provider();
    let versions: &[&rustls::SupportedProtocolVersion] = if options.tls12_only {
        &[&rustls::version::TLS12]
    } else {
        rustls::DEFAULT_VERSIONS
    };
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(versions)
        .unwrap();
    let builder = match options.client_ca {
        None => builder.with_no_client_auth(),
        Some(ca) => {
            let mut roots = RootCertStore::empty();
            roots.add(CertificateDer::from(ca)).unwrap();
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .unwrap();
            builder.with_client_cert_verifier(verifier)
        }
    };
    let chain = options
        .chain
        .into_iter()
        .map(CertificateDer::from)
        .collect();
    let signing = rustls::crypto::ring::sign::any_supported_type(&options.key).unwrap();
    let config = builder.with_cert_resolver(Arc::new(FixedCert(Arc::new(CertifiedKey::new(
        chain, signing,
    )))));
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let handshake_errors = Arc::new(Mutex::new(Vec::new()));
    let (seen2, errors2) = (seen.clone(), handshake_errors.clone());
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            let (seen, errors) = (seen2.clone(), errors2.clone());
            tokio::spawn(async move {
                match acceptor.accept(tcp).await {
                    Err(e) => errors.lock().unwrap().push(e.to_string()),
                    Ok(mut tls) => {
                        let conn = tls.get_ref().1;
                        seen.lock().unwrap().push(Seen {
                            sni: conn.server_name().map(str::to_owned),
                            client_cert: conn.peer_certificates().is_some(),
                        });
                        echo(&mut tls).await;
                    }
                }
            });
        }
    });
    TlsServer {
        addr,
        seen,
        handshake_errors,
    }
}

async fn echo<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(s: &mut S) {
    let mut buf = [0u8; 1024];
    while let Ok(n) = s.read(&mut buf).await {
        if n == 0 || s.write_all(&buf[..n]).await.is_err() {
            break;
        }
    }
}

/// A plain TCP echo server on 127.0.0.1:0.
pub async fn plain_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            tokio::spawn(async move { echo(&mut tcp).await });
        }
    });
    addr
}

/// A server that accepts connections and never sends a byte (holding them
/// open for a minute).
pub async fn silent_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_secs(60)).await;
                drop(tcp);
            });
        }
    });
    addr
}

/// A port on 127.0.0.1 that refuses connections (bound, then closed).
pub fn closed_port() -> SocketAddr {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    addr
}

/// A listener whose accept queue is full and never drained, so a further
/// TCP connect gets no answer at all (its SYN is dropped): the only way to
/// make a TCP connect hang using loopback alone. Keep the returned value
/// alive while testing.
pub struct FullBacklog {
    pub addr: SocketAddr,
    _listener: tokio::net::TcpListener,
    _queued: Vec<std::net::TcpStream>,
}

pub async fn full_backlog() -> FullBacklog {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(0).unwrap();
    let addr = listener.local_addr().unwrap();
    let mut queued = Vec::new();
    let filled = tokio::task::spawn_blocking(move || {
        for _ in 0..64 {
            match std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
                Ok(s) => queued.push(s),
                Err(_) => return (queued, true),
            }
        }
        (queued, false)
    })
    .await
    .unwrap();
    assert!(filled.1, "accept queue never filled up");
    FullBacklog {
        addr,
        _listener: listener,
        _queued: filled.0,
    }
}

/// Write `ping` and expect it echoed back.
pub async fn ping(stream: &mut bolt_net::BoltStream) -> std::io::Result<()> {
    stream.write_all(b"ping").await?;
    let mut buf = [0u8; 4];
    stream.read_exact(&mut buf).await?;
    assert_eq!(&buf, b"ping");
    Ok(())
}
