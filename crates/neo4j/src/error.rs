//! The driver's one error type and the rules that classify server failures.
//!
//! Owns [`Error`], [`Classification`] and the mapping from a server status
//! code (`Neo.<Classification>.<Category>.<Title>`) to an error, including the
//! 5.x reclassifications and the retry rule ([`Error::is_retryable`]). It must
//! not perform I/O; the protocol layer hands it a code and a message.

use crate::config::ConfigError;
use crate::uri::UriError;

/// How the server classifies a failure, taken from the second part of its
/// status code.
///
/// ```
/// use neo4j::{Classification, Error};
///
/// let e = Error::from_server_failure("Neo.DatabaseError.General.UnknownError", "boom", None);
/// assert_eq!(e.classification(), Some(Classification::DatabaseError));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Classification {
    /// The request was wrong (syntax, constraint, security...). Retrying the
    /// same work will fail again.
    ClientError,
    /// A temporary condition (deadlock, leader switch, memory pressure).
    /// Retrying may succeed.
    TransientError,
    /// The server failed; retrying is unlikely to help.
    DatabaseError,
    /// The code did not follow `Neo.<Classification>.<Category>.<Title>`.
    Unknown,
}

impl Classification {
    /// Classifies a status code by its second segment.
    ///
    /// ```
    /// use neo4j::Classification;
    /// assert_eq!(Classification::of_code("Neo.TransientError.General.OutOfMemoryError"),
    ///            Classification::TransientError);
    /// assert_eq!(Classification::of_code("garbage"), Classification::Unknown);
    /// ```
    pub fn of_code(code: &str) -> Classification {
        let mut parts = code.split('.');
        match (parts.next(), parts.next()) {
            (Some("Neo"), Some("ClientError")) => Classification::ClientError,
            (Some("Neo"), Some("TransientError")) => Classification::TransientError,
            (Some("Neo"), Some("DatabaseError")) => Classification::DatabaseError,
            _ => Classification::Unknown,
        }
    }
}

const UNAUTHORIZED: &str = "Neo.ClientError.Security.Unauthorized";
const TOKEN_EXPIRED: &str = "Neo.ClientError.Security.TokenExpired";
const AUTHORIZATION_EXPIRED: &str = "Neo.ClientError.Security.AuthorizationExpired";
const NOT_A_LEADER: &str = "Neo.ClientError.Cluster.NotALeader";
const FORBIDDEN_ON_READ_ONLY: &str = "Neo.ClientError.General.ForbiddenOnReadOnlyDatabase";

/// Old servers report these as transient, but retrying cannot help: the
/// transaction was ended on purpose. 5.x drivers rewrite them as client
/// errors; so do we.
const RECLASSIFIED: [(&str, &str); 2] = [
    (
        "Neo.TransientError.Transaction.Terminated",
        "Neo.ClientError.Transaction.Terminated",
    ),
    (
        "Neo.TransientError.Transaction.LockClientStopped",
        "Neo.ClientError.Transaction.LockClientStopped",
    ),
];

/// Everything that can go wrong in the driver.
///
/// Use [`is_retryable`](Error::is_retryable) to decide whether running the
/// same unit of work again may succeed, [`code`](Error::code) and
/// [`classification`](Error::classification) to inspect server failures.
///
/// ```
/// use neo4j::Error;
///
/// let e = Error::from_server_failure("Neo.TransientError.Transaction.DeadlockDetected", "deadlock", None);
/// assert!(e.is_retryable());
/// assert_eq!(e.to_string(), "Neo.TransientError.Transaction.DeadlockDetected: deadlock");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The server reported a failure.
    #[error("{code}: {message}")]
    Server {
        /// The status code, e.g. `Neo.ClientError.Statement.SyntaxError`
        /// (after 5.x reclassification, see [`Error::from_server_failure`]).
        code: String,
        /// The server's message.
        message: String,
        /// The GQL status code, if the server sent one (Bolt 5.7+).
        gql_status: Option<String>,
        /// Derived from `code`.
        classification: Classification,
    },
    /// The server refused the credentials
    /// (`Neo.ClientError.Security.Unauthorized`).
    #[error("authentication failed ({code}): {message}")]
    Authentication {
        /// The status code.
        code: String,
        /// The server's message.
        message: String,
    },
    /// The auth token (e.g. a bearer token) has expired
    /// (`Neo.ClientError.Security.TokenExpired`). Not retryable with the same
    /// token: supply a fresh one.
    #[error("auth token expired: {message}")]
    TokenExpired {
        /// The server's message.
        message: String,
    },
    /// The server's cached authorization expired mid-work
    /// (`Neo.ClientError.Security.AuthorizationExpired`). The driver closes
    /// the connection; retrying on a new one may succeed.
    #[error("authorization expired: {message}")]
    AuthorizationExpired {
        /// The server's message.
        message: String,
    },
    /// No server could be reached (connect failed, connection lost, no
    /// routing information). Retryable.
    #[error("service unavailable: {0}")]
    ServiceUnavailable(String),
    /// The server the work was bound to is no longer usable for it (e.g. a
    /// cluster member lost its role). Retryable.
    #[error("session expired: {0}")]
    SessionExpired(String),
    /// The connection was lost after COMMIT was sent and before the server
    /// answered: the transaction may or may not have been committed. Not
    /// retryable (running the work again could apply it twice), unlike the
    /// other kinds of lost connection; the official drivers'
    /// `IncompleteCommit` (a `ServiceUnavailable`).
    #[error("incomplete commit (the transaction may or may not have been committed): {0}")]
    IncompleteCommit(String),
    /// A configuration option was invalid or conflicted with the URI.
    #[error(transparent)]
    Configuration(#[from] ConfigError),
    /// The URI given to [`GraphDatabase::driver`](crate::GraphDatabase::driver)
    /// was refused.
    #[error(transparent)]
    InvalidUri(#[from] UriError),
    /// The server broke the Bolt protocol.
    #[error("protocol violation: {0}")]
    Protocol(String),
    /// The feature is not (yet) supported by this driver or by the server.
    #[error("not supported: {0}")]
    Unsupported(String),
    /// The driver was closed with [`Driver::close`](crate::Driver::close).
    #[error("the driver is closed")]
    DriverClosed,
    /// The result was already consumed or its transaction ended.
    #[error("the result has been consumed")]
    ResultConsumed,
    /// A single record was expected but the result had none or several.
    #[error("expected exactly one record: {0}")]
    ResultNotSingle(String),
    /// No pooled connection became free (and none could be opened) within
    /// the `connection_acquisition_timeout`. A client error: the pool is
    /// too small for the load, or connections are leaked.
    #[error(
        "failed to obtain a connection from the pool within {0:?} \
         (connection_acquisition_timeout)"
    )]
    ConnectionAcquisitionTimeout(std::time::Duration),
    /// The API was used in a way its state forbids, e.g. running a query on
    /// a committed transaction or in a session that has a transaction open.
    #[error("invalid use: {0}")]
    Usage(String),
    /// A value could not be converted to the type asked for (wrong type,
    /// out of range, missing key), or a parameter cannot be sent to the
    /// server (e.g. a node). `key` names the record key, map key or
    /// parameter involved, when there is one.
    ///
    /// ```
    /// use neo4j::{Error, Value};
    /// let e = i64::try_from(Value::from("x")).unwrap_err();
    /// assert!(matches!(e, Error::Conversion { key: None, .. }));
    /// assert_eq!(e.to_string(), "cannot convert value: expected Integer, found String");
    /// ```
    #[error("cannot convert {}: {message}", key.as_deref().map(|k| format!("`{k}`")).unwrap_or_else(|| "value".to_owned()))]
    Conversion {
        /// The key (record key, map key or parameter name), if any.
        key: Option<String>,
        /// What went wrong, e.g. `expected Integer, found String`.
        message: String,
    },
}

impl Error {
    /// Builds the error for a server `FAILURE` with this status code and
    /// message, as the official 5.x drivers do:
    ///
    /// * `Neo.TransientError.Transaction.Terminated` and
    ///   `Neo.TransientError.Transaction.LockClientStopped` are rewritten to
    ///   `Neo.ClientError.Transaction.*` (not retryable);
    /// * `Neo.ClientError.Security.Unauthorized` becomes
    ///   [`Error::Authentication`], `...TokenExpired` [`Error::TokenExpired`],
    ///   `...AuthorizationExpired` [`Error::AuthorizationExpired`];
    /// * everything else becomes [`Error::Server`] with the classification of
    ///   its code.
    ///
    /// ```
    /// use neo4j::{Classification, Error};
    ///
    /// let e = Error::from_server_failure("Neo.TransientError.Transaction.Terminated", "killed", None);
    /// assert_eq!(e.code(), Some("Neo.ClientError.Transaction.Terminated"));
    /// assert_eq!(e.classification(), Some(Classification::ClientError));
    /// assert!(!e.is_retryable());
    ///
    /// let e = Error::from_server_failure("Neo.ClientError.Security.Unauthorized", "bad pw", None);
    /// assert!(matches!(e, Error::Authentication { .. }));
    /// ```
    pub fn from_server_failure(
        code: impl Into<String>,
        message: impl Into<String>,
        gql_status: Option<String>,
    ) -> Error {
        let mut code = code.into();
        let message = message.into();
        if let Some((_, new)) = RECLASSIFIED.iter().find(|(old, _)| *old == code) {
            code = (*new).to_owned();
        }
        match code.as_str() {
            UNAUTHORIZED => Error::Authentication { code, message },
            TOKEN_EXPIRED => Error::TokenExpired { message },
            AUTHORIZATION_EXPIRED => Error::AuthorizationExpired { message },
            _ => Error::Server {
                classification: Classification::of_code(&code),
                code,
                message,
                gql_status,
            },
        }
    }

    /// The server status code, for errors that came from the server.
    ///
    /// ```
    /// use neo4j::Error;
    /// let e = Error::from_server_failure("Neo.ClientError.Security.TokenExpired", "old", None);
    /// assert_eq!(e.code(), Some("Neo.ClientError.Security.TokenExpired"));
    /// assert_eq!(Error::DriverClosed.code(), None);
    /// ```
    pub fn code(&self) -> Option<&str> {
        match self {
            Error::Server { code, .. } | Error::Authentication { code, .. } => Some(code),
            Error::TokenExpired { .. } => Some(TOKEN_EXPIRED),
            Error::AuthorizationExpired { .. } => Some(AUTHORIZATION_EXPIRED),
            _ => None,
        }
    }

    /// The server's classification, for errors that came from the server
    /// (security errors are client errors).
    ///
    /// ```
    /// use neo4j::{Classification, Error};
    /// let e = Error::from_server_failure("Neo.ClientError.Statement.SyntaxError", "oops", None);
    /// assert_eq!(e.classification(), Some(Classification::ClientError));
    /// assert_eq!(Error::ServiceUnavailable("down".into()).classification(), None);
    /// ```
    pub fn classification(&self) -> Option<Classification> {
        match self {
            Error::Server { classification, .. } => Some(*classification),
            Error::Authentication { .. }
            | Error::TokenExpired { .. }
            | Error::AuthorizationExpired { .. } => Some(Classification::ClientError),
            _ => None,
        }
    }

    /// Whether running the same unit of work again may succeed; managed
    /// transactions retry exactly these errors.
    ///
    /// True for transient server errors (after reclassification),
    /// [`ServiceUnavailable`](Error::ServiceUnavailable),
    /// [`SessionExpired`](Error::SessionExpired),
    /// [`AuthorizationExpired`](Error::AuthorizationExpired), and the cluster
    /// role errors `Neo.ClientError.Cluster.NotALeader` and
    /// `Neo.ClientError.General.ForbiddenOnReadOnlyDatabase` (a write reached
    /// a server that cannot take it; the routing driver forgets that writer
    /// and the retry goes to the new one).
    ///
    /// ```
    /// use neo4j::Error;
    /// assert!(Error::SessionExpired("leader moved".into()).is_retryable());
    /// assert!(!Error::from_server_failure("Neo.ClientError.Statement.SyntaxError", "", None).is_retryable());
    /// assert!(Error::from_server_failure("Neo.ClientError.Cluster.NotALeader", "", None).is_retryable());
    /// ```
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Server {
                code,
                classification,
                ..
            } => {
                *classification == Classification::TransientError
                    || code == NOT_A_LEADER
                    || code == FORBIDDEN_ON_READ_ONLY
            }
            Error::ServiceUnavailable(_)
            | Error::SessionExpired(_)
            | Error::AuthorizationExpired { .. } => true,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn srv(code: &str) -> Error {
        Error::from_server_failure(code, "msg", None)
    }

    #[test]
    fn classification_from_code() {
        for (code, class) in [
            (
                "Neo.ClientError.Statement.SyntaxError",
                Classification::ClientError,
            ),
            (
                "Neo.TransientError.Transaction.DeadlockDetected",
                Classification::TransientError,
            ),
            (
                "Neo.DatabaseError.General.UnknownError",
                Classification::DatabaseError,
            ),
            ("Neo.Other.X.Y", Classification::Unknown),
            ("Foo.ClientError.X.Y", Classification::Unknown),
            ("", Classification::Unknown),
        ] {
            assert_eq!(srv(code).classification(), Some(class), "{code}");
        }
    }

    #[test]
    fn retryable_rules() {
        let yes = [
            srv("Neo.TransientError.Transaction.DeadlockDetected"),
            srv("Neo.TransientError.General.DatabaseUnavailable"),
            srv(NOT_A_LEADER),
            srv(FORBIDDEN_ON_READ_ONLY),
            srv(AUTHORIZATION_EXPIRED),
            Error::ServiceUnavailable("x".into()),
            Error::SessionExpired("x".into()),
        ];
        for e in &yes {
            assert!(e.is_retryable(), "{e:?}");
        }
        let no = [
            srv("Neo.TransientError.Transaction.Terminated"),
            srv("Neo.TransientError.Transaction.LockClientStopped"),
            srv("Neo.ClientError.Statement.SyntaxError"),
            srv("Neo.DatabaseError.General.UnknownError"),
            srv("Neo.ClientError.Security.Forbidden"),
            srv(UNAUTHORIZED),
            srv(TOKEN_EXPIRED),
            srv("weird"),
            Error::Protocol("x".into()),
            Error::DriverClosed,
            Error::ResultConsumed,
        ];
        for e in &no {
            assert!(!e.is_retryable(), "{e:?}");
        }
    }

    #[test]
    fn reclassified_codes_are_rewritten() {
        let e = srv("Neo.TransientError.Transaction.LockClientStopped");
        assert_eq!(
            e.code(),
            Some("Neo.ClientError.Transaction.LockClientStopped")
        );
        assert_eq!(e.classification(), Some(Classification::ClientError));
    }

    #[test]
    fn security_mapping() {
        assert!(
            matches!(srv(UNAUTHORIZED), Error::Authentication { ref code, .. } if code == UNAUTHORIZED)
        );
        assert!(matches!(srv(TOKEN_EXPIRED), Error::TokenExpired { .. }));
        assert!(matches!(
            srv(AUTHORIZATION_EXPIRED),
            Error::AuthorizationExpired { .. }
        ));
        assert_eq!(
            srv(AUTHORIZATION_EXPIRED).code(),
            Some(AUTHORIZATION_EXPIRED)
        );
        assert_eq!(
            srv(UNAUTHORIZED).classification(),
            Some(Classification::ClientError)
        );
        // Other security codes stay generic client errors.
        assert!(matches!(
            srv("Neo.ClientError.Security.Forbidden"),
            Error::Server {
                classification: Classification::ClientError,
                ..
            }
        ));
    }

    #[test]
    fn gql_status_is_kept() {
        let e = Error::from_server_failure(
            "Neo.ClientError.Statement.SyntaxError",
            "m",
            Some("42001".into()),
        );
        assert!(matches!(e, Error::Server { gql_status: Some(ref g), .. } if g == "42001"));
    }

    #[test]
    fn display_is_informative() {
        assert_eq!(
            srv(UNAUTHORIZED).to_string(),
            format!("authentication failed ({UNAUTHORIZED}): msg")
        );
        assert_eq!(Error::DriverClosed.to_string(), "the driver is closed");
    }
}
