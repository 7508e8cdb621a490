//! Typed errors for everything between an address string and a ready stream.
//!
//! Owns [`NetError`] and the classification of rustls failures into
//! [`TlsErrorKind`]; rustls types never appear in these errors, only as
//! boxed `source()`s.

use std::error::Error as StdError;
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::address::{Address, AddressError};

/// A failure to turn an address into a connected (and possibly encrypted)
/// stream. Never a panic: every network condition maps to one of these.
///
/// ```
/// use bolt_net::NetError;
/// let err: NetError = "[::1".parse::<bolt_net::Address>().unwrap_err().into();
/// assert!(matches!(err, NetError::InvalidAddress(_)));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NetError {
    /// The address string does not parse.
    #[error(transparent)]
    InvalidAddress(#[from] AddressError),

    /// A host could not be resolved (DNS failed or timed out, or a custom
    /// resolver returned nothing).
    #[error("cannot resolve {address}: {source}")]
    Resolution {
        /// The address whose host was looked up.
        address: Address,
        /// What went wrong.
        source: io::Error,
    },

    /// The server actively refused the TCP connection.
    #[error("connection refused by {address}")]
    ConnectionRefused {
        /// The socket address connected to.
        address: SocketAddr,
    },

    /// A phase of a connection attempt did not finish within
    /// `connection_timeout`.
    #[error("{phase} with {address} timed out after {timeout:?}")]
    TimedOut {
        /// Which phase was still running.
        phase: Phase,
        /// The socket address connected to.
        address: SocketAddr,
        /// The deadline that expired (the `connection_timeout`).
        timeout: Duration,
    },

    /// The TLS handshake failed.
    #[error("TLS with {address} (server name {server_name:?}) failed: {kind}: {source}")]
    Tls {
        /// What kind of failure.
        kind: TlsErrorKind,
        /// The socket address connected to.
        address: SocketAddr,
        /// The name the certificate was checked against (and sent as SNI).
        server_name: String,
        /// The underlying TLS error.
        source: Box<dyn StdError + Send + Sync>,
    },

    /// The TLS settings cannot be turned into a working configuration
    /// (unreadable or invalid CA/certificate/key files, ...).
    #[error(transparent)]
    TlsConfig(#[from] TlsConfigError),

    /// Any other I/O failure while connecting.
    #[error("I/O error with {address}: {source}")]
    Io {
        /// The socket address connected to.
        address: SocketAddr,
        /// The error.
        source: io::Error,
    },

    /// Several addresses were tried and each failed; in the order tried.
    #[error("cannot connect to {address}: {} attempts failed: {}", .attempts.len(), Attempts(.attempts))]
    AllAttemptsFailed {
        /// The address asked for (before any resolution).
        address: Address,
        /// Every address tried, with its error.
        attempts: Vec<Attempt>,
    },
}

impl NetError {
    /// The TLS failure behind this error, if any (looking inside
    /// [`NetError::AllAttemptsFailed`] for the first TLS failure).
    ///
    /// ```
    /// let err: bolt_net::NetError = "x:0".parse::<bolt_net::Address>().unwrap_err().into();
    /// assert_eq!(err.tls_error_kind(), None);
    /// ```
    pub fn tls_error_kind(&self) -> Option<TlsErrorKind> {
        match self {
            NetError::Tls { kind, .. } => Some(*kind),
            NetError::AllAttemptsFailed { attempts, .. } => {
                attempts.iter().find_map(|a| a.error.tls_error_kind())
            }
            _ => None,
        }
    }

    /// Every attempt made: the attempts of [`NetError::AllAttemptsFailed`],
    /// or none for a single failure (which names its address itself).
    ///
    /// ```
    /// let err: bolt_net::NetError = "x:0".parse::<bolt_net::Address>().unwrap_err().into();
    /// assert!(err.attempts().is_empty());
    /// ```
    pub fn attempts(&self) -> &[Attempt] {
        match self {
            NetError::AllAttemptsFailed { attempts, .. } => attempts,
            _ => &[],
        }
    }
}

/// One failed try at one address, inside [`NetError::AllAttemptsFailed`].
///
/// ```
/// # fn show(err: &bolt_net::NetError) {
/// for attempt in err.attempts() {
///     println!("{} -> {:?}: {}", attempt.address, attempt.resolved, attempt.error);
/// }
/// # }
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub struct Attempt {
    /// The address tried (after the custom resolver, before DNS).
    pub address: Address,
    /// The socket address connected to, or `None` if DNS failed.
    pub resolved: Option<SocketAddr>,
    /// Why it failed.
    pub error: NetError,
}

struct Attempts<'a>(&'a [Attempt]);

impl fmt::Display for Attempts<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, a) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            // the error names the socket address; name the host too unless
            // it was an IP literal (then it would say the same twice)
            match (a.resolved, a.address.ip()) {
                (Some(_), Some(_)) => write!(f, "[{}]", a.error)?,
                (Some(_), None) => write!(f, "[{}: {}]", a.address.host(), a.error)?,
                (None, _) => write!(f, "[{}]", a.error)?,
            }
        }
        Ok(())
    }
}

/// The phase of a connection attempt that timed out.
///
/// ```
/// assert_eq!(bolt_net::Phase::TlsHandshake.to_string(), "TLS handshake");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Phase {
    /// Establishing the TCP connection.
    Connect,
    /// The TLS handshake.
    TlsHandshake,
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Phase::Connect => "TCP connect",
            Phase::TlsHandshake => "TLS handshake",
        })
    }
}

/// Why a TLS handshake failed, classified from the TLS library's error.
///
/// ```
/// use bolt_net::TlsErrorKind;
/// assert_eq!(TlsErrorKind::UnknownIssuer.to_string(), "certificate signed by an unknown issuer");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TlsErrorKind {
    /// The server's certificate chain does not lead to a trusted CA.
    UnknownIssuer,
    /// The certificate is not valid for the host name (or IP) connected to.
    NameMismatch,
    /// The certificate is not the pinned `der_encoded_server_certificate`.
    PinnedCertificateMismatch,
    /// The certificate has expired.
    Expired,
    /// The certificate is not valid yet.
    NotYetValid,
    /// The certificate is otherwise invalid (bad encoding, signature,
    /// purpose, revoked...).
    InvalidCertificate,
    /// The server requires a client certificate and none was configured.
    ClientCertificateRequired,
    /// The server rejected the client certificate.
    ClientCertificateRejected,
    /// The host is neither a valid DNS name nor an IP address, so it cannot
    /// be used as a TLS server name.
    InvalidServerName,
    /// Any other handshake failure (protocol mismatch, not a TLS server,
    /// alert from the server, closed connection...).
    HandshakeFailure,
}

impl fmt::Display for TlsErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TlsErrorKind::UnknownIssuer => "certificate signed by an unknown issuer",
            TlsErrorKind::NameMismatch => "certificate not valid for the server name",
            TlsErrorKind::PinnedCertificateMismatch => {
                "certificate does not match the pinned certificate"
            }
            TlsErrorKind::Expired => "certificate expired",
            TlsErrorKind::NotYetValid => "certificate not valid yet",
            TlsErrorKind::InvalidCertificate => "invalid certificate",
            TlsErrorKind::ClientCertificateRequired => {
                "server requires a client certificate but none is configured"
            }
            TlsErrorKind::ClientCertificateRejected => "server rejected the client certificate",
            TlsErrorKind::InvalidServerName => "host is not a valid TLS server name",
            TlsErrorKind::HandshakeFailure => "handshake failure",
        })
    }
}

impl TlsErrorKind {
    /// Whether this is a failed security check (certificate trust, name,
    /// validity, pinning; the client certificate; the server name): every
    /// kind but [`HandshakeFailure`](Self::HandshakeFailure). Connecting
    /// again will fail the same way until the configuration or the
    /// certificates change, so such failures are not worth retrying,
    /// unlike a handshake cut short by the network.
    ///
    /// ```
    /// use bolt_net::TlsErrorKind;
    /// assert!(TlsErrorKind::UnknownIssuer.is_security_failure());
    /// assert!(TlsErrorKind::PinnedCertificateMismatch.is_security_failure());
    /// assert!(!TlsErrorKind::HandshakeFailure.is_security_failure());
    /// ```
    pub fn is_security_failure(self) -> bool {
        !matches!(self, TlsErrorKind::HandshakeFailure)
    }

    /// Classify an I/O error from a TLS stream, e.g. one returned by the first
    /// read after connecting: with TLS 1.3 a server that rejects (or misses)
    /// the client certificate says so only after the client's handshake has
    /// finished. `None` if the error did not come from TLS.
    ///
    /// ```
    /// let e = std::io::Error::new(std::io::ErrorKind::Other, "plain I/O");
    /// assert_eq!(bolt_net::TlsErrorKind::of_io_error(&e), None);
    /// ```
    pub fn of_io_error(err: &io::Error) -> Option<TlsErrorKind> {
        err.get_ref()?
            .downcast_ref::<rustls::Error>()
            .map(classify_rustls)
    }
}

/// Marker error used by the pinned-certificate verifier.
#[derive(Debug, thiserror::Error)]
#[error("the server's certificate is not the pinned certificate")]
pub(crate) struct PinnedMismatch;

pub(crate) fn classify_rustls(err: &rustls::Error) -> TlsErrorKind {
    use rustls::{AlertDescription as A, CertificateError as C};
    match err {
        rustls::Error::InvalidCertificate(c) => match c {
            C::UnknownIssuer => TlsErrorKind::UnknownIssuer,
            C::NotValidForName | C::NotValidForNameContext { .. } => TlsErrorKind::NameMismatch,
            C::Expired | C::ExpiredContext { .. } => TlsErrorKind::Expired,
            C::NotValidYet | C::NotValidYetContext { .. } => TlsErrorKind::NotYetValid,
            C::Other(o) if o.0.downcast_ref::<PinnedMismatch>().is_some() => {
                TlsErrorKind::PinnedCertificateMismatch
            }
            _ => TlsErrorKind::InvalidCertificate,
        },
        rustls::Error::AlertReceived(A::CertificateRequired) => {
            TlsErrorKind::ClientCertificateRequired
        }
        rustls::Error::AlertReceived(
            A::BadCertificate
            | A::UnsupportedCertificate
            | A::CertificateRevoked
            | A::CertificateExpired
            | A::CertificateUnknown
            | A::UnknownCA
            | A::AccessDenied,
        ) => TlsErrorKind::ClientCertificateRejected,
        _ => TlsErrorKind::HandshakeFailure,
    }
}

/// Map an error from the TLS handshake (tokio-rustls reports rustls errors
/// inside `io::Error`).
pub(crate) fn tls_handshake_error(
    err: io::Error,
    address: SocketAddr,
    server_name: &str,
) -> NetError {
    let kind = TlsErrorKind::of_io_error(&err).unwrap_or(TlsErrorKind::HandshakeFailure);
    let source: Box<dyn StdError + Send + Sync> = if kind == TlsErrorKind::PinnedCertificateMismatch
    {
        Box::new(PinnedMismatch)
    } else if err.kind() == io::ErrorKind::UnexpectedEof {
        "the server closed the connection during the TLS handshake".into()
    } else if err.get_ref().is_some_and(|e| e.is::<rustls::Error>()) {
        err.into_inner().unwrap_or_else(|| "TLS error".into())
    } else {
        Box::new(err)
    };
    NetError::Tls {
        kind,
        address,
        server_name: server_name.to_owned(),
        source,
    }
}

/// Map an I/O error from a TCP connect.
pub(crate) fn connect_error(err: io::Error, address: SocketAddr) -> NetError {
    match err.kind() {
        io::ErrorKind::ConnectionRefused => NetError::ConnectionRefused { address },
        _ => NetError::Io {
            address,
            source: err,
        },
    }
}

/// Invalid TLS settings, found when building the TLS configuration.
///
/// ```
/// use bolt_net::{TlsConfig, Trust, NetError, TlsConfigError};
/// let err = TlsConfig::new(Trust::CustomCaFiles(vec!["/nonexistent/ca.pem".into()]))
///     .build()
///     .unwrap_err();
/// assert!(matches!(err, NetError::TlsConfig(TlsConfigError::ReadFile { .. })));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsConfigError {
    /// A file could not be read.
    #[error("cannot read {what} file {path:?}: {source}")]
    ReadFile {
        /// What the file was for ("CA certificate", "client certificate", "client key").
        what: &'static str,
        /// The path given.
        path: PathBuf,
        /// The error.
        source: io::Error,
    },
    /// PEM or DER data is malformed, or holds no item of the needed kind.
    #[error("invalid {what} ({origin}): {reason}")]
    InvalidPem {
        /// What the data was for.
        what: &'static str,
        /// A file path or "bytes".
        origin: String,
        /// What is wrong.
        reason: String,
    },
    /// A certificate was not accepted as a trust anchor.
    #[error("invalid CA certificate ({origin}): {reason}")]
    InvalidCaCertificate {
        /// A file path or "bytes".
        origin: String,
        /// What is wrong.
        reason: String,
    },
    /// No CA certificates were loaded (custom CA list empty).
    #[error("no CA certificates to trust: {0}")]
    NoCaCertificates(String),
    /// The client certificate and key cannot be used together (unsupported
    /// key type, key not matching the certificate...).
    #[error("bad client certificate configuration: {0}")]
    BadClientCertificate(String),
    /// The TLS library rejected the configuration.
    #[error("TLS configuration rejected: {0}")]
    Rejected(String),
    /// The pinned certificate is empty.
    #[error("the pinned server certificate is empty")]
    EmptyPinnedCertificate,
}
