//! The driver's one error type and the rules that classify server failures.
//!
//! Owns [`Error`], [`Classification`] and the mapping from a server status
//! code (`Neo.<Classification>.<Category>.<Title>`) to an error, including the
//! 5.x reclassifications and the retry rule ([`Error::is_retryable`]). It must
//! not perform I/O; the protocol layer hands it a code and a message.

use bolt_proto::message::{Failure, FailureCause};
use bolt_proto::structure::StructCtx;
use bolt_proto::Version;

pub use bolt_net::TlsErrorKind;

use crate::config::ConfigError;
use crate::uri::UriError;
use crate::value::wire::value_from_bolt;
use crate::value::{Value, ValueMap};

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

/// The GQL classification of a server error (`_classification` of its
/// diagnostic record, Bolt 5.7+).
///
/// ```
/// use neo4j::GqlErrorClassification;
/// assert_eq!(GqlErrorClassification::parse(Some("CLIENT_ERROR")), GqlErrorClassification::ClientError);
/// assert_eq!(GqlErrorClassification::parse(Some("MADE_UP")), GqlErrorClassification::Unknown);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum GqlErrorClassification {
    /// `CLIENT_ERROR`.
    ClientError,
    /// `DATABASE_ERROR`.
    DatabaseError,
    /// `TRANSIENT_ERROR`.
    TransientError,
    /// Missing or not known to this driver.
    Unknown,
}

impl GqlErrorClassification {
    /// Parses the raw classification.
    pub fn parse(raw: Option<&str>) -> GqlErrorClassification {
        match raw {
            Some("CLIENT_ERROR") => GqlErrorClassification::ClientError,
            Some("DATABASE_ERROR") => GqlErrorClassification::DatabaseError,
            Some("TRANSIENT_ERROR") => GqlErrorClassification::TransientError,
            _ => GqlErrorClassification::Unknown,
        }
    }

    /// The server's spelling (`UNKNOWN` for unknown).
    ///
    /// ```
    /// assert_eq!(neo4j::GqlErrorClassification::Unknown.as_str(), "UNKNOWN");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            GqlErrorClassification::ClientError => "CLIENT_ERROR",
            GqlErrorClassification::DatabaseError => "DATABASE_ERROR",
            GqlErrorClassification::TransientError => "TRANSIENT_ERROR",
            GqlErrorClassification::Unknown => "UNKNOWN",
        }
    }
}

/// The GQL side of a server error: status, description, diagnostic record
/// and the chain of causes (Bolt 5.7+). Before Bolt 5.7 the driver fills
/// it as the official drivers do: status `50N42`, description
/// `error: general processing exception - unexpected error. <message>`,
/// the default diagnostic record, no cause.
///
/// ```
/// use neo4j::{Error, GqlErrorClassification};
/// let e = Error::from_server_failure("Neo.ClientError.Statement.SyntaxError", "oops", None);
/// let gql = e.gql().unwrap();
/// assert_eq!(gql.gql_status, "50N42");
/// assert_eq!(gql.classification(), GqlErrorClassification::Unknown);
/// assert_eq!(gql.diagnostic_record.get("CURRENT_SCHEMA"), Some(&neo4j::Value::from("/")));
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct GqlError {
    /// The GQLSTATUS code, e.g. `42001`.
    pub gql_status: String,
    /// The status description.
    pub status_description: String,
    /// The server's message.
    pub message: String,
    /// The diagnostic record, `OPERATION`, `OPERATION_CODE` and
    /// `CURRENT_SCHEMA` defaulted to `""`, `"0"` and `"/"` when missing.
    pub diagnostic_record: ValueMap,
    /// The error that caused this one.
    pub cause: Option<Box<GqlError>>,
}

impl GqlError {
    /// The status used for errors of servers before Bolt 5.7.
    pub const UNKNOWN_STATUS: &'static str = "50N42";

    /// The filler for a server that sent no GQL fields.
    fn unknown(message: &str, gql_status: Option<String>) -> GqlError {
        GqlError {
            gql_status: gql_status.unwrap_or_else(|| Self::UNKNOWN_STATUS.to_owned()),
            status_description: format!(
                "error: general processing exception - unexpected error. {message}"
            ),
            message: message.to_owned(),
            diagnostic_record: diagnostic_record(None),
            cause: None,
        }
    }

    fn from_cause(c: &FailureCause, depth: usize) -> GqlError {
        GqlError {
            gql_status: c.gql_status.clone(),
            status_description: c.description.clone(),
            message: c.message.clone(),
            diagnostic_record: diagnostic_record(c.diagnostic_record.as_ref()),
            // Bounded: a hostile server cannot make us recurse without end.
            cause: match &c.cause {
                Some(n) if depth < MAX_CAUSE_DEPTH => {
                    Some(Box::new(GqlError::from_cause(n, depth + 1)))
                }
                _ => None,
            },
        }
    }

    /// `_classification` of the diagnostic record, when it is a string.
    ///
    /// ```
    /// let e = neo4j::Error::from_server_failure("Neo.ClientError.X.Y", "m", None);
    /// assert_eq!(e.gql().unwrap().raw_classification(), None);
    /// ```
    pub fn raw_classification(&self) -> Option<&str> {
        self.diagnostic_record
            .get("_classification")
            .and_then(Value::as_str)
    }

    /// The classification, parsed.
    pub fn classification(&self) -> GqlErrorClassification {
        GqlErrorClassification::parse(self.raw_classification())
    }
}

const MAX_CAUSE_DEPTH: usize = 64;

/// A FAILURE's diagnostic record as values, with the defaults filled in.
fn diagnostic_record(raw: Option<&packstream::Map>) -> ValueMap {
    let mut m = match raw {
        // GQL errors exist from Bolt 5.7: decode structures as 5.7 does.
        Some(raw) => match value_from_bolt(
            packstream::Value::Map(raw.clone()),
            StructCtx::new(Version::V5_7),
        ) {
            Ok(Value::Map(m)) => m,
            _ => ValueMap::default(),
        },
        None => ValueMap::default(),
    };
    for (k, v) in [
        ("OPERATION", ""),
        ("OPERATION_CODE", "0"),
        ("CURRENT_SCHEMA", "/"),
    ] {
        if !m.contains_key(k) {
            m.insert(k, v);
        }
    }
    m
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
        /// Derived from `code`.
        classification: Classification,
        /// GQL status, description, diagnostic record and causes (filled
        /// with defaults before Bolt 5.7).
        gql: Box<GqlError>,
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
    /// A security failure (`Neo.ClientError.Security.*`) that the driver's
    /// [`AuthTokenManager`](crate::AuthTokenManager) handled: the next
    /// attempt uses a new token, so it is retryable. Holds the server's
    /// error; [`code`](Error::code) and [`classification`](Error::classification)
    /// are its own.
    ///
    /// ```
    /// use neo4j::Error;
    /// let inner = Error::from_server_failure("Neo.ClientError.Security.Unauthorized", "bad pw", None);
    /// assert!(!inner.is_retryable());
    /// let e = Error::SecurityRetryable(Box::new(inner));
    /// assert!(e.is_retryable());
    /// assert_eq!(e.code(), Some("Neo.ClientError.Security.Unauthorized"));
    /// ```
    #[error("{0} (the auth token manager will supply new credentials; retryable)")]
    SecurityRetryable(Box<Error>),
    /// A TLS security check failed while connecting: the server's
    /// certificate is signed by an unknown issuer, expired, not valid yet,
    /// issued for another name, not the pinned
    /// `der_encoded_server_certificate` or otherwise invalid; the server
    /// refused (or required) the client certificate; or the host cannot
    /// be a TLS server name. `kind` says which. The official drivers'
    /// security error: not retryable (managed transactions give up at
    /// once; a routing driver does not forget the server), as trying again
    /// fails the same way until the certificates or the configuration
    /// change. A TLS handshake cut short by the network is
    /// [`ServiceUnavailable`](Error::ServiceUnavailable) instead.
    /// `source()` is the connection layer's error (address, server name,
    /// the TLS library's error).
    ///
    /// ```no_run
    /// use neo4j::{Config, Error, GraphDatabase, TlsErrorKind};
    /// # async fn demo() -> Result<(), Error> {
    /// let driver = GraphDatabase::driver("bolt+s://localhost:7687", Config::default())?;
    /// match driver.verify_connectivity().await {
    ///     Err(Error::Security { kind: TlsErrorKind::UnknownIssuer, .. }) => {
    ///         eprintln!("the server's certificate is not signed by a trusted CA");
    ///     }
    ///     Err(e) if e.is_retryable() => eprintln!("try again later: {e}"),
    ///     other => other?,
    /// }
    /// # Ok(()) }
    /// ```
    #[error("security error ({kind}): {source}")]
    Security {
        /// Which check failed.
        kind: TlsErrorKind,
        /// The connection layer's error.
        source: Box<dyn std::error::Error + Send + Sync>,
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
    /// The server broke the Bolt protocol, e.g. answered IGNORED (not
    /// processed) to a request with no FAILURE before it. Not retryable.
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
    /// too small for the load, or connections are leaked. A routing driver
    /// also gives it when refreshing a routing table (waiting for another
    /// session's refresh of the same database included) takes longer, e.g.
    /// because a router does not answer.
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
                gql: Box::new(GqlError::unknown(&message, gql_status)),
                code,
                message,
            },
        }
    }

    /// Builds the error for a server `FAILURE` message, keeping its GQL
    /// fields (Bolt 5.7+), see [`Error::from_server_failure`].
    pub(crate) fn from_failure(f: Failure) -> Error {
        let Failure {
            code,
            message,
            gql_status,
            description,
            diagnostic_record: diag,
            cause,
            ..
        } = f;
        let mut e = Error::from_server_failure(code, message, None);
        if let (Error::Server { gql, message, .. }, Some(status)) = (&mut e, gql_status) {
            **gql = GqlError {
                gql_status: status,
                status_description: description.unwrap_or_default(),
                message: message.clone(),
                diagnostic_record: diagnostic_record(diag.as_ref()),
                cause: cause.map(|c| Box::new(GqlError::from_cause(&c, 1))),
            };
        }
        e
    }

    /// The GQL side of a server error ([`Error::Server`] only).
    ///
    /// ```
    /// assert!(neo4j::Error::DriverClosed.gql().is_none());
    /// ```
    pub fn gql(&self) -> Option<&GqlError> {
        match self {
            Error::Server { gql, .. } => Some(gql),
            Error::SecurityRetryable(e) => e.gql(),
            _ => None,
        }
    }

    /// The GQL status code of a server error (`50N42` when the server
    /// predates Bolt 5.7).
    ///
    /// ```
    /// let e = neo4j::Error::from_server_failure("Neo.ClientError.X.Y", "m", Some("42001".into()));
    /// assert_eq!(e.gql_status(), Some("42001"));
    /// ```
    pub fn gql_status(&self) -> Option<&str> {
        self.gql().map(|g| g.gql_status.as_str())
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
            Error::SecurityRetryable(e) => e.code(),
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
            Error::SecurityRetryable(e) => e.classification(),
            _ => None,
        }
    }

    /// Whether running the same unit of work again may succeed; managed
    /// transactions retry exactly these errors.
    ///
    /// True for transient server errors (after reclassification),
    /// [`ServiceUnavailable`](Error::ServiceUnavailable),
    /// [`SessionExpired`](Error::SessionExpired),
    /// [`AuthorizationExpired`](Error::AuthorizationExpired),
    /// [`SecurityRetryable`](Error::SecurityRetryable), and the cluster
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
            | Error::AuthorizationExpired { .. }
            | Error::SecurityRetryable(_) => true,
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
            Error::Security {
                kind: TlsErrorKind::UnknownIssuer,
                source: "x".into(),
            },
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
        assert_eq!(e.gql_status(), Some("42001"));
    }

    #[test]
    fn gql_fields_from_a_5_7_failure() {
        let mut diag = packstream::Map::new();
        diag.insert("_classification", "TRANSIENT_ERROR");
        diag.insert("OPERATION", packstream::Value::Null);
        let mut f = Failure::new("Neo.TransientError.X.Y", "top");
        f.gql_status = Some("01N00".into());
        f.description = Some("desc".into());
        f.diagnostic_record = Some(diag);
        f.cause = Some(Box::new(FailureCause {
            message: "inner".into(),
            gql_status: "01N01".into(),
            description: "inner desc".into(),
            ..Default::default()
        }));
        let e = Error::from_failure(f);
        assert!(e.is_retryable());
        let g = e.gql().unwrap();
        assert_eq!(g.gql_status, "01N00");
        assert_eq!(g.status_description, "desc");
        assert_eq!(g.classification(), GqlErrorClassification::TransientError);
        assert_eq!(g.diagnostic_record.get("OPERATION"), Some(&Value::Null));
        assert_eq!(
            g.diagnostic_record.get("OPERATION_CODE"),
            Some(&Value::from("0"))
        );
        let c = g.cause.as_deref().unwrap();
        assert_eq!(c.message, "inner");
        assert_eq!(c.classification(), GqlErrorClassification::Unknown);
        assert_eq!(c.diagnostic_record.len(), 3);
        assert!(c.cause.is_none());
    }

    #[test]
    fn pre_5_7_failure_gets_defaults() {
        let e = Error::from_failure(Failure::new("Neo.ClientError.User.Uncool", "no"));
        let g = e.gql().unwrap();
        assert_eq!(g.gql_status, "50N42");
        assert_eq!(
            g.status_description,
            "error: general processing exception - unexpected error. no"
        );
        assert_eq!(g.raw_classification(), None);
        assert!(g.cause.is_none());
        assert!(std::mem::size_of::<Error>() <= 80);
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
