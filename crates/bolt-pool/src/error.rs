//! Typed errors of connections and pools.
//!
//! Owns [`PoolError`] (everything a connection or a pool can fail with) and
//! [`ProtocolError`] (the peer broke the Bolt protocol). Nothing here does
//! I/O; the connection and pool modules decide which error applies.

use std::net::SocketAddr;
use std::time::Duration;

use bolt_net::{Address, NetError, TlsErrorKind};
use bolt_proto::framing::FramingError;
use bolt_proto::handshake::{HandshakeError, OfferError};
use bolt_proto::message::{DecodeError, EncodeError, Failure, ResponseKind};
use bolt_proto::state::StateError;

/// What a connection or a pool can fail with.
///
/// Errors that make a connection unusable (network, protocol, timeouts)
/// also mark it broken, so the pool never hands it out again; usage errors
/// ([`Encode`](Self::Encode), [`IllegalRequest`](Self::IllegalRequest),
/// [`NothingToReceive`](Self::NothingToReceive)) leave it as it was.
///
/// ```
/// use bolt_pool::PoolError;
/// let e = PoolError::Auth {
///     code: "Neo.ClientError.Security.Unauthorized".into(),
///     message: "bad credentials".into(),
/// };
/// assert!(e.is_auth() && !e.is_connection_failure());
/// assert!(e.to_string().contains("Unauthorized"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PoolError {
    /// Resolving, connecting or TLS failed.
    #[error(transparent)]
    Net(#[from] NetError),
    /// Reading or writing an open connection failed.
    #[error("I/O error with {address}: {source}")]
    Io {
        /// The server's socket address.
        address: SocketAddr,
        /// The error.
        source: std::io::Error,
    },
    /// The Bolt version handshake failed (no common version, bad bytes).
    #[error("Bolt handshake with {address} failed: {source}")]
    Handshake {
        /// The server's socket address.
        address: SocketAddr,
        /// What went wrong.
        source: HandshakeError,
    },
    /// The configured version offer is invalid.
    #[error("invalid Bolt version offer: {0}")]
    Offer(#[from] OfferError),
    /// The server broke the Bolt protocol (bad framing, undecodable or
    /// unexpected message).
    #[error("Bolt protocol error with {address}: {source}")]
    Protocol {
        /// The server's socket address.
        address: SocketAddr,
        /// What was wrong.
        source: ProtocolError,
    },
    /// The server's agent (HELLO's `server`) does not start with the
    /// prefix required by [`OpenOptions::required_agent_prefix`](crate::OpenOptions::required_agent_prefix).
    #[error("the server at {address} is not a compatible server: its agent `{agent}` does not start with `{expected}`")]
    UnexpectedServer {
        /// The server's socket address.
        address: SocketAddr,
        /// The agent it announced.
        agent: String,
        /// The required prefix.
        expected: String,
    },
    /// The server answered with FAILURE.
    #[error("server error {}: {}", .0.code, .0.message)]
    Server(Box<Failure>),
    /// Authentication failed (`Neo.ClientError.Security.*` in answer to
    /// INIT / HELLO / LOGON). Never worth retrying with the same token.
    #[error("authentication failed: {code}: {message}")]
    Auth {
        /// The Neo4j status code.
        code: String,
        /// The server's message.
        message: String,
    },
    /// A read or write did not finish in time; the connection is broken.
    #[error("{what} timed out after {after:?}")]
    Timeout {
        /// What was being waited for.
        what: &'static str,
        /// The timeout that expired.
        after: Duration,
    },
    /// The server closed the connection.
    #[error("the server at {address} closed the connection")]
    Closed {
        /// The server's socket address.
        address: SocketAddr,
    },
    /// The connection is broken (an earlier error, or it was closed) and
    /// cannot be used.
    #[error("the connection is broken or closed")]
    Broken,
    /// The request cannot be written in the negotiated version. Nothing was
    /// queued.
    #[error(transparent)]
    Encode(#[from] EncodeError),
    /// The request is not allowed in the server's (predicted) state. Nothing
    /// was queued.
    #[error(transparent)]
    IllegalRequest(#[from] StateError),
    /// `recv` was called with no request awaiting a response.
    #[error("no request is awaiting a response")]
    NothingToReceive,
    /// The pool was closed.
    #[error("the connection pool for {address} is closed")]
    PoolClosed {
        /// The server the pool is for.
        address: Address,
    },
    /// No connection could be acquired (a free slot waited for, or a new one
    /// opened) within `connection_acquisition_timeout`.
    #[error(
        "no connection to {address} could be acquired within {timeout:?} \
         (connection_acquisition_timeout)"
    )]
    AcquisitionTimeout {
        /// The server the pool is for.
        address: Address,
        /// The configured timeout.
        timeout: Duration,
    },
    /// A configuration value is out of range.
    #[error("invalid pool configuration: {0}")]
    InvalidConfig(String),
    /// The connection cannot switch to another auth token: LOGOFF / LOGON
    /// need Bolt 5.1 or later.
    #[error("re-authentication (LOGOFF/LOGON) needs Bolt 5.1 or later; the server speaks Bolt {version}")]
    ReauthUnsupported {
        /// The negotiated version.
        version: bolt_proto::Version,
    },
}

impl PoolError {
    /// Whether this is an authentication failure.
    ///
    /// ```
    /// assert!(!bolt_pool::PoolError::Broken.is_auth());
    /// ```
    pub fn is_auth(&self) -> bool {
        matches!(self, PoolError::Auth { .. })
    }

    /// Whether the connection (or opening one) failed for network or
    /// protocol reasons: worth retrying on another connection. A failed
    /// TLS security check is not one ([`is_security_failure`](Self::is_security_failure)):
    /// another try fails the same way.
    ///
    /// ```
    /// use bolt_pool::PoolError;
    /// assert!(PoolError::Broken.is_connection_failure());
    /// assert!(!PoolError::NothingToReceive.is_connection_failure());
    /// ```
    pub fn is_connection_failure(&self) -> bool {
        matches!(
            self,
            PoolError::Net(_)
                | PoolError::Io { .. }
                | PoolError::Handshake { .. }
                | PoolError::Protocol { .. }
                | PoolError::Timeout { .. }
                | PoolError::Closed { .. }
                | PoolError::UnexpectedServer { .. }
                | PoolError::Broken
        ) && !self.is_security_failure()
    }

    /// The TLS failure behind this error, if any: one of connecting
    /// ([`NetError::tls_error_kind`]), or one reported by the first reads
    /// of an open connection (with TLS 1.3 a server refuses a client
    /// certificate only after the client's handshake has finished).
    ///
    /// ```
    /// assert_eq!(bolt_pool::PoolError::Broken.tls_error_kind(), None);
    /// ```
    pub fn tls_error_kind(&self) -> Option<TlsErrorKind> {
        match self {
            PoolError::Net(e) => e.tls_error_kind(),
            PoolError::Io { source, .. } => TlsErrorKind::of_io_error(source),
            _ => None,
        }
    }

    /// Whether a TLS security check failed: an untrusted, expired, not
    /// yet valid, wrongly named or not pinned server certificate, a
    /// refused client certificate, or a host that cannot be a TLS server
    /// name ([`TlsErrorKind::is_security_failure`]). Not a connection
    /// failure: retrying cannot help.
    ///
    /// ```
    /// assert!(!bolt_pool::PoolError::Broken.is_security_failure());
    /// ```
    pub fn is_security_failure(&self) -> bool {
        self.tls_error_kind()
            .is_some_and(TlsErrorKind::is_security_failure)
    }

    /// The FAILURE, for [`Server`](Self::Server) errors.
    ///
    /// ```
    /// use bolt_proto::message::Failure;
    /// let e = bolt_pool::PoolError::Server(Box::new(Failure::new("Neo.ClientError.X.Y", "m")));
    /// assert_eq!(e.failure().unwrap().code, "Neo.ClientError.X.Y");
    /// ```
    pub fn failure(&self) -> Option<&Failure> {
        match self {
            PoolError::Server(f) => Some(f),
            _ => None,
        }
    }

    /// The error for a FAILURE answering `INIT` / `HELLO` / `LOGON`: a
    /// `Neo.ClientError.Security.*` code is [`Auth`](Self::Auth), anything
    /// else [`Server`](Self::Server).
    ///
    /// ```
    /// use bolt_proto::message::Failure;
    /// use bolt_pool::PoolError;
    /// let f = Failure::new("Neo.ClientError.Security.Unauthorized", "no");
    /// assert!(PoolError::from_auth_failure(f).is_auth());
    /// let f = Failure::new("Neo.DatabaseError.General.UnknownError", "boom");
    /// assert!(!PoolError::from_auth_failure(f).is_auth());
    /// ```
    pub fn from_auth_failure(f: Failure) -> PoolError {
        if f.code.starts_with("Neo.ClientError.Security.") {
            PoolError::Auth {
                code: f.code,
                message: f.message,
            }
        } else {
            PoolError::Server(Box::new(f))
        }
    }
}

/// How the server broke the Bolt protocol.
///
/// ```
/// use bolt_pool::ProtocolError;
/// use bolt_proto::framing::FramingError;
/// let e = ProtocolError::from(FramingError::EmptyMessage);
/// assert!(matches!(e, ProtocolError::Framing(_)));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProtocolError {
    /// The chunked stream is malformed (or a message is over the size limit).
    #[error(transparent)]
    Framing(#[from] FramingError),
    /// A message body is not a valid response.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// A response arrived that no pending request expects.
    #[error(transparent)]
    Unexpected(#[from] StateError),
    /// INIT / HELLO / LOGON (or a re-authentication's LOGOFF) was answered
    /// with neither SUCCESS nor FAILURE.
    #[error("authentication was answered with {0:?}")]
    UnexpectedInOpen(ResponseKind),
    /// RESET was answered with IGNORED.
    #[error("the server ignored RESET")]
    ResetNotAcknowledged,
    /// A message arrived on an idle connection.
    #[error("the server sent {0} byte(s) on an idle connection")]
    UnsolicitedData(usize),
}
