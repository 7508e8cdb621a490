//! TLS settings and the TLS handshake, on rustls with the `ring` crypto
//! provider (chosen because it builds with only a C compiler: no cmake or
//! nasm, unlike aws-lc-rs).
//!
//! Owns the public settings ([`TlsConfig`], [`Trust`],
//! [`ClientCertificate`]), the built, shareable [`TlsConnector`] and the
//! handshake over an already connected TCP stream. `config.rs` turns
//! settings into a rustls `ClientConfig`; `verify.rs` holds the verifiers for
//! trust-all and pinned certificates and the custom-CA verifier (WebPKI plus
//! a trusted certificate presented as is), `x509.rs` the little DER reading
//! that one needs. Does not open sockets or resolve names.

mod config;
mod key;
mod verify;
mod x509;

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::pki_types::ServerName;
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_rustls::client::TlsStream;

use crate::error::{tls_handshake_error, NetError, Phase, TlsErrorKind};

/// Which server certificates to trust.
///
/// ```
/// use bolt_net::Trust;
/// let trust = Trust::CustomCaFiles(vec!["/etc/neo4j/ca.pem".into()]);
/// # let _ = trust;
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Trust {
    /// Accept any certificate, signed by anyone, for any name (`+ssc`
    /// schemes). The handshake signature is still verified, so the
    /// connection is encrypted but the server is not authenticated.
    AllCertificates,
    /// Certificates signed by a CA in the operating system's trust store
    /// (rustls-native-certs; Mozilla's list from webpki-roots if the system
    /// has none), valid for the host name connected to (`+s` schemes). The
    /// environment variables `SSL_CERT_FILE` (a PEM bundle) and
    /// `SSL_CERT_DIR` replace the system store when set.
    SystemCas,
    /// Certificates signed by a CA in these PEM files (each may hold several
    /// certificates), valid for the host name connected to.
    CustomCaFiles(Vec<PathBuf>),
    /// Like [`Trust::CustomCaFiles`], with the PEM text given directly.
    CustomCaPem(Vec<u8>),
    /// Accept exactly this DER-encoded end-entity certificate (the
    /// `der_encoded_server_certificate` option): no chain, name or expiry
    /// check, but the handshake signature is still verified.
    PinnedCertificate(Vec<u8>),
}

/// Where PEM data comes from.
#[derive(Clone, PartialEq, Eq)]
enum PemSource {
    File(PathBuf),
    Bytes(Vec<u8>),
}

impl fmt::Debug for PemSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PemSource::File(p) => f.debug_tuple("File").field(p).finish(),
            PemSource::Bytes(b) => write!(f, "Bytes({} bytes)", b.len()),
        }
    }
}

/// A client certificate chain and its private key, for mutual TLS.
///
/// The key is PEM: PKCS#8, PKCS#1 or SEC1; if it is password-protected
/// (encrypted PKCS#8, or OpenSSL's legacy `Proc-Type: 4,ENCRYPTED` with
/// AES-CBC), give the password with
/// [`with_password`](ClientCertificate::with_password). `Debug` hides the
/// password.
///
/// ```
/// use bolt_net::{ClientCertificate, TlsConfig, Trust};
/// let tls = TlsConfig::new(Trust::SystemCas)
///     .with_client_certificate(ClientCertificate::from_pem_files("client.pem", "client.key"));
/// # let _ = tls;
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct ClientCertificate {
    chain: PemSource,
    key: PemSource,
    password: Option<String>,
}

impl fmt::Debug for ClientCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCertificate")
            .field("chain", &self.chain)
            .field("key", &self.key)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl ClientCertificate {
    /// Certificate chain (leaf first) and key read from PEM files when the
    /// configuration is built.
    ///
    /// ```
    /// let c = bolt_net::ClientCertificate::from_pem_files("/certs/me.pem", "/certs/me.key");
    /// # let _ = c;
    /// ```
    pub fn from_pem_files(certificate: impl Into<PathBuf>, key: impl Into<PathBuf>) -> Self {
        Self {
            chain: PemSource::File(certificate.into()),
            key: PemSource::File(key.into()),
            password: None,
        }
    }

    /// Certificate chain (leaf first) and key given as PEM text.
    ///
    /// ```
    /// let c = bolt_net::ClientCertificate::from_pem(
    ///     b"-----BEGIN CERTIFICATE-----\n...".to_vec(),
    ///     b"-----BEGIN PRIVATE KEY-----\n...".to_vec(),
    /// );
    /// # let _ = c;
    /// ```
    pub fn from_pem(certificate: impl Into<Vec<u8>>, key: impl Into<Vec<u8>>) -> Self {
        Self {
            chain: PemSource::Bytes(certificate.into()),
            key: PemSource::Bytes(key.into()),
            password: None,
        }
    }

    /// The password that decrypts the key (ignored if the key is not
    /// encrypted).
    ///
    /// ```
    /// let c = bolt_net::ClientCertificate::from_pem_files("me.pem", "me.key")
    ///     .with_password("secret");
    /// assert!(!format!("{c:?}").contains("secret"));
    /// ```
    pub fn with_password(mut self, password: impl Into<String>) -> Self {
        self.password = Some(password.into());
        self
    }
}

type SourceFn = dyn Fn() -> Option<ClientCertificate> + Send + Sync;

/// Supplies the client certificate for each new connection, for
/// certificates that change while a driver runs (rotation).
///
/// Called once per [`connect`](crate::connect), before any TLS handshake:
/// `Some(certificate)` when it changed since the last call (and on the
/// first call), `None` to keep presenting the current one. A new certificate
/// is loaded at once; if that fails, the connection fails with
/// [`NetError::TlsConfig`]. The function runs in async code: keep it quick.
///
/// ```
/// use bolt_net::{ClientCertificate, ClientCertificateSource, TlsConfig, Trust};
/// let source = ClientCertificateSource::new(|| {
///     Some(ClientCertificate::from_pem_files("me.pem", "me.key"))
/// });
/// let tls = TlsConfig::new(Trust::SystemCas).with_client_certificate_source(source);
/// # let _ = tls;
/// ```
#[derive(Clone)]
pub struct ClientCertificateSource(Arc<SourceFn>);

impl ClientCertificateSource {
    /// A source from a function.
    ///
    /// ```
    /// let s = bolt_net::ClientCertificateSource::new(|| None);
    /// # let _ = s;
    /// ```
    pub fn new(f: impl Fn() -> Option<ClientCertificate> + Send + Sync + 'static) -> Self {
        ClientCertificateSource(Arc::new(f))
    }
}

impl fmt::Debug for ClientCertificateSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClientCertificateSource(..)")
    }
}

impl PartialEq for ClientCertificateSource {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for ClientCertificateSource {}

/// TLS settings: what to trust, and an optional client certificate.
///
/// With CA-based trust ([`Trust::SystemCas`], [`Trust::CustomCaFiles`],
/// [`Trust::CustomCaPem`]) the certificate must be valid for the host being
/// connected to, which is also sent as SNI; IP addresses work as server
/// names too (matched against IP SANs, no SNI sent). The host used is the one
/// after the custom resolver and before DNS.
///
/// Build it once per driver with [`TlsConfig::build`] (that loads and parses
/// certificates) and reuse the [`TlsConnector`] for every connection.
///
/// ```
/// use bolt_net::{TlsConfig, Trust};
/// let connector = TlsConfig::new(Trust::AllCertificates).build()?;
/// # let _ = connector;
/// # Ok::<(), bolt_net::NetError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsConfig {
    trust: Trust,
    client_certificate: Option<ClientCertificate>,
    client_certificate_source: Option<ClientCertificateSource>,
}

impl TlsConfig {
    /// Settings with the given trust and no client certificate.
    ///
    /// ```
    /// let tls = bolt_net::TlsConfig::new(bolt_net::Trust::SystemCas);
    /// # let _ = tls;
    /// ```
    pub fn new(trust: Trust) -> Self {
        Self {
            trust,
            client_certificate: None,
            client_certificate_source: None,
        }
    }

    /// Present this certificate when the server asks for one (mutual TLS).
    ///
    /// ```
    /// use bolt_net::{ClientCertificate, TlsConfig, Trust};
    /// let tls = TlsConfig::new(Trust::SystemCas)
    ///     .with_client_certificate(ClientCertificate::from_pem_files("me.pem", "me.key"));
    /// # let _ = tls;
    /// ```
    pub fn with_client_certificate(mut self, certificate: ClientCertificate) -> Self {
        self.client_certificate = Some(certificate);
        self
    }

    /// Ask `source` for the client certificate before each new connection
    /// (see [`ClientCertificateSource`]). A certificate it supplies replaces
    /// the one set with
    /// [`with_client_certificate`](TlsConfig::with_client_certificate).
    ///
    /// ```
    /// use bolt_net::{ClientCertificateSource, TlsConfig, Trust};
    /// let tls = TlsConfig::new(Trust::AllCertificates)
    ///     .with_client_certificate_source(ClientCertificateSource::new(|| None));
    /// assert!(tls.build().is_ok());
    /// ```
    pub fn with_client_certificate_source(mut self, source: ClientCertificateSource) -> Self {
        self.client_certificate_source = Some(source);
        self
    }

    /// The trust setting.
    ///
    /// ```
    /// use bolt_net::{TlsConfig, Trust};
    /// assert_eq!(TlsConfig::new(Trust::SystemCas).trust(), &Trust::SystemCas);
    /// ```
    pub fn trust(&self) -> &Trust {
        &self.trust
    }

    /// Load files, parse certificates and keys, and build the shareable
    /// connector. Reads files synchronously; call it once, at driver
    /// creation. Fails with [`NetError::TlsConfig`] naming the bad file or
    /// setting.
    ///
    /// ```
    /// use bolt_net::{TlsConfig, Trust, NetError};
    /// let err = TlsConfig::new(Trust::CustomCaPem(b"not PEM".to_vec())).build().unwrap_err();
    /// assert!(matches!(err, NetError::TlsConfig(_)));
    /// ```
    pub fn build(&self) -> Result<TlsConnector, NetError> {
        let rotating = self.client_certificate_source.as_ref().map(|source| {
            Arc::new(Rotating {
                source: source.clone(),
                settings: self.clone(),
                current: Mutex::new(None),
            })
        });
        Ok(TlsConnector {
            config: Arc::new(config::build(self)?),
            rotating,
        })
    }
}

/// The state of a connector whose client certificate rotates.
struct Rotating {
    source: ClientCertificateSource,
    /// The settings the connector was built from (trust, fixed certificate).
    settings: TlsConfig,
    /// The configuration with the latest supplied certificate, once one was.
    current: Mutex<Option<Arc<rustls::ClientConfig>>>,
}

/// Built TLS settings, cheap to clone and shared by every connection of a
/// driver.
///
/// ```
/// use bolt_net::{ConnectOptions, TlsConfig, Trust};
/// let connector = TlsConfig::new(Trust::SystemCas).build()?;
/// let options = ConnectOptions::new().with_tls(connector);
/// # let _ = options;
/// # Ok::<(), bolt_net::NetError>(())
/// ```
#[derive(Clone)]
pub struct TlsConnector {
    config: Arc<rustls::ClientConfig>,
    rotating: Option<Arc<Rotating>>,
}

impl TlsConnector {
    /// Escape hatch: use a rustls configuration built by hand (custom
    /// verifier, ALPN, key logging...). This exposes rustls' own types and
    /// follows its semver; prefer [`TlsConfig`]. Errors from custom verifiers
    /// are classified as well as rustls' error values allow.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let provider = Arc::new(rustls::crypto::ring::default_provider());
    /// let mut roots = rustls::RootCertStore::empty();
    /// roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    /// let config = rustls::ClientConfig::builder_with_provider(provider)
    ///     .with_safe_default_protocol_versions()
    ///     .unwrap()
    ///     .with_root_certificates(roots)
    ///     .with_no_client_auth();
    /// let connector = bolt_net::TlsConnector::from_rustls_config(Arc::new(config));
    /// # let _ = connector;
    /// ```
    pub fn from_rustls_config(config: Arc<rustls::ClientConfig>) -> Self {
        Self {
            config,
            rotating: None,
        }
    }

    /// The connector for the next connection: this one, or, with a
    /// [`ClientCertificateSource`], one presenting the certificate it
    /// supplies now (loaded here when it changed).
    pub(crate) fn for_next_connection(&self) -> Result<TlsConnector, NetError> {
        let Some(rotating) = &self.rotating else {
            return Ok(self.clone());
        };
        let supplied = (rotating.source.0)();
        let mut current = rotating
            .current
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(certificate) = supplied {
            let mut settings = rotating.settings.clone();
            settings.client_certificate = Some(certificate);
            *current = Some(Arc::new(config::build(&settings)?));
        }
        Ok(TlsConnector {
            config: current.clone().unwrap_or_else(|| self.config.clone()),
            rotating: None,
        })
    }

    /// Run the TLS handshake over `tcp`, failing at `deadline`.
    pub(crate) async fn handshake(
        &self,
        tcp: TcpStream,
        host: &str,
        address: SocketAddr,
        deadline: Instant,
        timeout: Duration,
    ) -> Result<TlsStream<TcpStream>, NetError> {
        let name = ServerName::try_from(host.to_owned()).map_err(|e| NetError::Tls {
            kind: TlsErrorKind::InvalidServerName,
            address,
            server_name: host.to_owned(),
            source: Box::new(e),
        })?;
        let connector = tokio_rustls::TlsConnector::from(self.config.clone());
        match tokio::time::timeout_at(deadline, connector.connect(name, tcp)).await {
            Err(_) => Err(NetError::TimedOut {
                phase: Phase::TlsHandshake,
                address,
                timeout,
            }),
            Ok(Err(e)) => Err(tls_handshake_error(e, address, host)),
            Ok(Ok(stream)) => Ok(stream),
        }
    }
}

impl fmt::Debug for TlsConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsConnector").finish_non_exhaustive()
    }
}
