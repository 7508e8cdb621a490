//! Driver errors as TestKit `DriverError`s, and the errors the backend
//! itself raises.
//!
//! Every `DriverError` sent gets an id and is kept until the connection
//! ends, so that `RetryableNegative{errorId}` can hand the very same error
//! back to the driver's retry loop.

use neo4j::{Error, GqlError};
use serde_json::{json, Value as Json};

use crate::cypher::from_value;

use crate::protocol::responses::{DriverError, Response};
use crate::protocol::Id;

/// Why a request failed.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The driver said no: becomes a `DriverError`.
    Driver(Error),
    /// TestKit-side code raised (RetryableNegative with no error id).
    Frontend(String),
    /// The backend cannot do this (bad request, unsupported feature,
    /// unknown id).
    Backend(String),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        Failure::Driver(e)
    }
}

/// Shorthand for a backend failure.
pub(crate) fn backend(msg: impl Into<String>) -> Failure {
    Failure::Backend(msg.into())
}

/// The driver's error class name (the `Error` variant), e.g.
/// `ServiceUnavailable`.
pub(crate) fn error_type(e: &Error) -> String {
    let dbg = format!("{e:?}");
    let end = dbg
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(dbg.len());
    dbg[..end].to_owned()
}

/// The GQL keys `DriverError` and `GqlError` share (all but `msg` and
/// `gqlStatus`), with the cause as a nested `GqlError`.
fn gql_keys(g: &GqlError) -> serde_json::Map<String, Json> {
    let mut m = serde_json::Map::new();
    m.insert("statusDescription".into(), json!(g.status_description));
    m.insert(
        "diagnosticRecord".into(),
        Json::Object(
            g.diagnostic_record
                .iter()
                .map(|(k, v)| (k.to_owned(), from_value(v)))
                .collect(),
        ),
    );
    m.insert("classification".into(), json!(g.classification().as_str()));
    m.insert("rawClassification".into(), json!(g.raw_classification()));
    if let Some(c) = &g.cause {
        let mut data = gql_keys(c);
        data.insert("msg".into(), json!(c.message));
        data.insert("gqlStatus".into(), json!(c.gql_status));
        m.insert("cause".into(), json!({"name": "GqlError", "data": data}));
    }
    m
}

/// The `DriverError` response for `e` with id `id`.
pub(crate) fn driver_error(id: Id, e: &Error) -> Response {
    // A security error the auth manager handled: the server's error, but
    // retryable.
    let (e, retryable) = match e {
        Error::SecurityRetryable(inner) => (&**inner, true),
        e => (e, e.is_retryable()),
    };
    let gql_status = e.gql_status().map(str::to_owned);
    let gql = e.gql().map(gql_keys);
    // For server failures TestKit compares `msg` with the server's message.
    let msg = match e {
        Error::Server { message, .. }
        | Error::Authentication { message, .. }
        | Error::TokenExpired { message }
        | Error::AuthorizationExpired { message } => message.clone(),
        other => other.to_string(),
    };
    Response::DriverError(Box::new(DriverError {
        id,
        error_type: error_type(e),
        msg,
        code: e.code().map(str::to_owned),
        retryable,
        gql_status,
        gql,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_type_is_the_variant_name() {
        assert_eq!(
            error_type(&Error::ServiceUnavailable("x".into())),
            "ServiceUnavailable"
        );
        assert_eq!(error_type(&Error::DriverClosed), "DriverClosed");
        let e = Error::from_server_failure("Neo.ClientError.Statement.SyntaxError", "bad", None);
        assert_eq!(error_type(&e), "Server");
        match driver_error(Id(4), &e) {
            Response::DriverError(d) => {
                assert_eq!(
                    d.code.as_deref(),
                    Some("Neo.ClientError.Statement.SyntaxError")
                );
                assert!(!d.retryable);
                assert_eq!(d.msg, "bad");
            }
            r => panic!("{r:?}"),
        }
    }
}
