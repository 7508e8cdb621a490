//! How failures of the connection layer become the driver's [`Error`].
//!
//! Owns the mapping from bolt-pool's [`PoolError`]: authentication
//! failures keep their security class, failed TLS security checks become
//! [`Error::Security`] (the pool error as its source), other network
//! trouble becomes [`Error::ServiceUnavailable`] with its cause, server
//! FAILUREs go through [`Error::from_server_failure`], an exhausted pool
//! is [`Error::ConnectionAcquisitionTimeout`]. Also decides when an IGNORED
//! answer is an error ([`unexpected_ignored`]).

use bolt_pool::{Connection, PoolError};
use bolt_proto::message::{Failure, RequestKind};
use bolt_proto::state::ServerState;

use crate::error::Error;

/// A server FAILURE as an [`Error`].
pub(crate) fn from_failure(f: Failure) -> Error {
    Error::from_failure(f)
}

/// The error of an IGNORED just read on `conn` (the request was not
/// processed) when nothing explains it: no FAILURE before it (the server
/// FAILED) and no RESET on its way. Server and driver then disagree on
/// the protocol state, which running the work again does not fix: not
/// retryable; the connection is RESET before it is used again (bolt-pool
/// counts it not ready). `None` for an explained IGNORED, and for a
/// TELEMETRY's (the work does not need it; it stays owed).
pub(crate) fn unexpected_ignored(conn: &Connection) -> Option<Error> {
    if matches!(conn.state(), ServerState::Failed | ServerState::Interrupted) {
        return None;
    }
    match conn.last_answered() {
        Some(RequestKind::Telemetry) => None,
        kind => Some(Error::Protocol(format!(
            "the server ignored {} (not processed, with no failure before it)",
            kind.map_or("a request", RequestKind::name)
        ))),
    }
}

impl From<PoolError> for Error {
    fn from(e: PoolError) -> Error {
        if let Some(kind) = e.tls_error_kind().filter(|k| k.is_security_failure()) {
            return Error::Security {
                kind,
                source: Box::new(e),
            };
        }
        match e {
            PoolError::Auth { code, message } => Error::from_server_failure(code, message, None),
            PoolError::Server(f) => from_failure(*f),
            PoolError::AcquisitionTimeout { timeout, .. } => {
                Error::ConnectionAcquisitionTimeout(timeout)
            }
            PoolError::PoolClosed { .. } => Error::DriverClosed,
            PoolError::Encode(e) => Error::Unsupported(e.to_string()),
            PoolError::Offer(e) => Error::Unsupported(e.to_string()),
            PoolError::IllegalRequest(e) => Error::Usage(e.to_string()),
            PoolError::InvalidConfig(m) => Error::Usage(m),
            PoolError::NothingToReceive => Error::Protocol("no response was awaited".into()),
            e @ PoolError::Protocol { .. } => Error::Protocol(e.to_string()),
            e => Error::ServiceUnavailable(e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn mapping() {
        let auth = PoolError::Auth {
            code: "Neo.ClientError.Security.Unauthorized".into(),
            message: "bad".into(),
        };
        assert!(matches!(Error::from(auth), Error::Authentication { .. }));
        let exp = PoolError::Auth {
            code: "Neo.ClientError.Security.TokenExpired".into(),
            message: "old".into(),
        };
        assert!(matches!(Error::from(exp), Error::TokenExpired { .. }));
        let t = PoolError::AcquisitionTimeout {
            address: bolt_net::Address::new("h", 1),
            timeout: Duration::from_millis(5),
        };
        let e = Error::from(t);
        assert!(e
            .to_string()
            .contains("failed to obtain a connection from the pool"));
        assert!(!e.is_retryable());
        let s = Error::from(PoolError::Server(Box::new(Failure::new(
            "Neo.TransientError.Transaction.DeadlockDetected",
            "dl",
        ))));
        assert!(s.is_retryable());
        let net = Error::from(PoolError::Broken);
        assert!(matches!(net, Error::ServiceUnavailable(_)) && net.is_retryable());
        // A failed TLS security check: not retryable, its cause kept.
        let tls = |kind| PoolError::Io {
            address: ([127, 0, 0, 1], 7687).into(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidData, rustls_error(kind)),
        };
        let bad = Error::from(tls(true));
        assert!(
            matches!(
                bad,
                Error::Security {
                    kind: bolt_net::TlsErrorKind::UnknownIssuer,
                    ..
                }
            ),
            "{bad:?}"
        );
        assert!(!bad.is_retryable());
        assert!(std::error::Error::source(&bad).is_some());
        assert!(bad.to_string().contains("unknown issuer"), "{bad}");
        // A handshake cut short is network trouble.
        let cut = Error::from(tls(false));
        assert!(matches!(cut, Error::ServiceUnavailable(_)) && cut.is_retryable());
    }

    /// A rustls error as tokio-rustls reports it: an unknown issuer, or
    /// another failure.
    fn rustls_error(certificate: bool) -> rustls::Error {
        if certificate {
            rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer)
        } else {
            rustls::Error::General("cut short".into())
        }
    }
}
