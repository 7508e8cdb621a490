//! Requests TestKit sends (`nutkit/protocol/requests.py`), as one tagged
//! enum `{"name": ..., "data": {...}}`.
//!
//! Cypher values, auth tokens and other nested protocol objects stay
//! `serde_json::Value` here; [`crate::cypher`] and the handlers convert
//! them.

use serde::Deserialize;
use serde_json::{Map, Value as Json};

use super::Id;

/// Cypher query parameters or transaction metadata as sent by TestKit.
pub(crate) type JsonMap = Map<String, Json>;

/// Every request the backend understands.
#[derive(Debug, Deserialize)]
#[serde(tag = "name", content = "data")]
pub(crate) enum Request {
    GetFeatures {},
    FakeTimeInstall {},
    #[serde(rename_all = "camelCase")]
    FakeTimeTick {
        increment_ms: i64,
    },
    FakeTimeUninstall {},
    #[serde(rename_all = "camelCase")]
    StartTest {
        test_name: String,
    },
    #[serde(rename_all = "camelCase")]
    StartSubTest {
        test_name: String,
        /// The subtest's parameters by name (Cypher values as JSON).
        #[serde(default)]
        subtest_arguments: JsonMap,
    },
    NewDriver(Box<NewDriver>),
    #[serde(rename_all = "camelCase")]
    NewBookmarkManager {
        #[serde(default)]
        initial_bookmarks: Option<Vec<String>>,
        #[serde(default)]
        bookmarks_supplier_registered: bool,
        #[serde(default)]
        bookmarks_consumer_registered: bool,
    },
    BookmarkManagerClose {
        id: Id,
    },
    NewClientCertificateProvider {},
    ClientCertificateProviderClose {
        id: Id,
    },
    #[serde(rename_all = "camelCase")]
    DriverClose {
        driver_id: Id,
    },
    #[serde(rename_all = "camelCase")]
    VerifyConnectivity {
        driver_id: Id,
    },
    #[serde(rename_all = "camelCase")]
    GetServerInfo {
        driver_id: Id,
    },
    #[serde(rename_all = "camelCase")]
    CheckMultiDBSupport {
        driver_id: Id,
    },
    #[serde(rename_all = "camelCase")]
    CheckSessionAuthSupport {
        driver_id: Id,
    },
    #[serde(rename_all = "camelCase")]
    CheckDriverIsEncrypted {
        driver_id: Id,
    },
    #[serde(rename_all = "camelCase")]
    VerifyAuthentication {
        driver_id: Id,
        #[serde(default)]
        authorization_token: Json,
    },
    NewAuthTokenManager {},
    NewBasicAuthTokenManager {},
    NewBearerAuthTokenManager {},
    AuthTokenManagerClose {
        id: Id,
    },
    #[serde(rename_all = "camelCase")]
    ExecuteQuery {
        driver_id: Id,
        cypher: String,
        #[serde(default)]
        params: Option<JsonMap>,
        #[serde(default)]
        config: ExecuteQueryConfig,
    },
    NewSession(Box<NewSession>),
    #[serde(rename_all = "camelCase")]
    SessionClose {
        session_id: Id,
    },
    #[serde(rename_all = "camelCase")]
    SessionRun {
        session_id: Id,
        cypher: String,
        #[serde(default)]
        params: Option<JsonMap>,
        #[serde(default)]
        tx_meta: Option<JsonMap>,
        #[serde(default)]
        timeout: Option<Json>,
    },
    #[serde(rename_all = "camelCase")]
    SessionBeginTransaction {
        session_id: Id,
        #[serde(default)]
        tx_meta: Option<JsonMap>,
        #[serde(default)]
        timeout: Option<Json>,
    },
    #[serde(rename_all = "camelCase")]
    SessionReadTransaction {
        session_id: Id,
        #[serde(default)]
        tx_meta: Option<JsonMap>,
        #[serde(default)]
        timeout: Option<Json>,
    },
    #[serde(rename_all = "camelCase")]
    SessionWriteTransaction {
        session_id: Id,
        #[serde(default)]
        tx_meta: Option<JsonMap>,
        #[serde(default)]
        timeout: Option<Json>,
    },
    #[serde(rename_all = "camelCase")]
    SessionLastBookmarks {
        session_id: Id,
    },
    #[serde(rename_all = "camelCase")]
    RetryablePositive {
        session_id: Id,
    },
    #[serde(rename_all = "camelCase")]
    RetryableNegative {
        session_id: Id,
        #[serde(default)]
        error_id: Json,
    },
    #[serde(rename_all = "camelCase")]
    TransactionRun {
        tx_id: Id,
        cypher: String,
        #[serde(default)]
        params: Option<JsonMap>,
    },
    #[serde(rename_all = "camelCase")]
    TransactionCommit {
        tx_id: Id,
    },
    #[serde(rename_all = "camelCase")]
    TransactionRollback {
        tx_id: Id,
    },
    #[serde(rename_all = "camelCase")]
    TransactionClose {
        tx_id: Id,
    },
    #[serde(rename_all = "camelCase")]
    ResultNext {
        result_id: Id,
    },
    #[serde(rename_all = "camelCase")]
    ResultPeek {
        result_id: Id,
    },
    #[serde(rename_all = "camelCase")]
    ResultSingle {
        result_id: Id,
    },
    #[serde(rename_all = "camelCase")]
    ResultSingleOptional {
        result_id: Id,
    },
    #[serde(rename_all = "camelCase")]
    ResultList {
        result_id: Id,
    },
    #[serde(rename_all = "camelCase")]
    ResultConsume {
        result_id: Id,
    },
    #[serde(rename_all = "camelCase")]
    GetConnectionPoolMetrics {
        driver_id: Id,
        address: String,
    },
    #[serde(rename_all = "camelCase")]
    GetRoutingTable {
        driver_id: Id,
        #[serde(default)]
        database: Option<String>,
    },
    #[serde(rename_all = "camelCase")]
    ForcedRoutingTableUpdate {
        driver_id: Id,
        #[serde(default)]
        database: Option<String>,
        #[serde(default)]
        bookmarks: Option<Vec<String>>,
    },
    // Callback answers: routed to the waiting callback, never answered.
    // The resolvers' and certificate providers' answers are used; the others
    // are recognised (and their payload ignored) so that they are never
    // mistaken for requests.
    #[serde(rename_all = "camelCase")]
    ResolverResolutionCompleted {
        request_id: Id,
        addresses: Vec<String>,
    },
    #[serde(rename_all = "camelCase")]
    DomainNameResolutionCompleted {
        request_id: Id,
        #[serde(default)]
        addresses: Vec<String>,
    },
    #[serde(rename_all = "camelCase")]
    BookmarksSupplierCompleted {
        request_id: Id,
        #[serde(default)]
        bookmarks: Vec<String>,
    },
    #[serde(rename_all = "camelCase")]
    BookmarksConsumerCompleted {
        request_id: Id,
    },
    #[serde(rename_all = "camelCase")]
    AuthTokenManagerGetAuthCompleted {
        request_id: Id,
        #[serde(default)]
        auth: Json,
    },
    #[serde(rename_all = "camelCase")]
    AuthTokenManagerHandleSecurityExceptionCompleted {
        request_id: Id,
        #[serde(default)]
        handled: bool,
    },
    #[serde(rename_all = "camelCase")]
    BasicAuthTokenProviderCompleted {
        request_id: Id,
        #[serde(default)]
        auth: Json,
    },
    #[serde(rename_all = "camelCase")]
    BearerAuthTokenProviderCompleted {
        request_id: Id,
        #[serde(default)]
        auth: Json,
    },
    #[serde(rename_all = "camelCase")]
    ClientCertificateProviderCompleted {
        request_id: Id,
        #[serde(default)]
        has_update: bool,
        #[serde(default)]
        client_certificate: Json,
    },
}

impl Request {
    /// For answers to callbacks: the id of the callback request they answer.
    pub(crate) fn completes(&self) -> Option<Id> {
        match self {
            Request::ResolverResolutionCompleted { request_id, .. }
            | Request::DomainNameResolutionCompleted { request_id, .. }
            | Request::BookmarksSupplierCompleted { request_id, .. }
            | Request::BookmarksConsumerCompleted { request_id }
            | Request::AuthTokenManagerGetAuthCompleted { request_id, .. }
            | Request::AuthTokenManagerHandleSecurityExceptionCompleted { request_id, .. }
            | Request::BasicAuthTokenProviderCompleted { request_id, .. }
            | Request::BearerAuthTokenProviderCompleted { request_id, .. }
            | Request::ClientCertificateProviderCompleted { request_id, .. } => Some(*request_id),
            _ => None,
        }
    }
}

/// `NewDriver`'s data.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NewDriver {
    pub(crate) uri: String,
    #[serde(default)]
    pub(crate) authorization_token: Json,
    #[serde(default)]
    pub(crate) auth_token_manager_id: Option<Id>,
    #[serde(default)]
    pub(crate) user_agent: Option<String>,
    #[serde(default)]
    pub(crate) resolver_registered: bool,
    #[serde(default)]
    pub(crate) domain_name_resolver_registered: bool,
    #[serde(default)]
    pub(crate) connection_timeout_ms: Option<i64>,
    #[serde(default)]
    pub(crate) fetch_size: Option<i64>,
    #[serde(default)]
    pub(crate) max_tx_retry_time_ms: Option<i64>,
    #[serde(default)]
    pub(crate) liveness_check_timeout_ms: Option<i64>,
    #[serde(default)]
    pub(crate) max_connection_pool_size: Option<i64>,
    #[serde(default)]
    pub(crate) connection_acquisition_timeout_ms: Option<i64>,
    #[serde(default)]
    pub(crate) client_certificate: Json,
    #[serde(default)]
    pub(crate) client_certificate_provider_id: Option<Id>,
    #[serde(default)]
    pub(crate) notifications_min_severity: Option<String>,
    #[serde(default)]
    pub(crate) notifications_disabled_categories: Option<Vec<String>>,
    #[serde(default)]
    pub(crate) telemetry_disabled: Option<bool>,
    #[serde(default)]
    pub(crate) encrypted: Option<bool>,
    /// Absent: not configured; `null`: system CAs; `[]`: trust all; names:
    /// these CA files.
    #[serde(default, deserialize_with = "present")]
    pub(crate) trusted_certificates: Option<Option<Vec<String>>>,
}

/// `NewSession`'s data.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NewSession {
    pub(crate) driver_id: Id,
    pub(crate) access_mode: String,
    #[serde(default)]
    pub(crate) bookmarks: Option<Vec<String>>,
    #[serde(default)]
    pub(crate) database: Option<String>,
    #[serde(default)]
    pub(crate) fetch_size: Option<i64>,
    #[serde(default)]
    pub(crate) impersonated_user: Option<String>,
    #[serde(default)]
    pub(crate) bookmark_manager_id: Option<Id>,
    #[serde(default)]
    pub(crate) authorization_token: Json,
    #[serde(default)]
    pub(crate) notifications_min_severity: Option<String>,
    #[serde(default)]
    pub(crate) notifications_disabled_categories: Option<Vec<String>>,
}

/// `ExecuteQuery`'s `config`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ExecuteQueryConfig {
    #[serde(default)]
    pub(crate) routing: Option<String>,
    #[serde(default)]
    pub(crate) database: Option<String>,
    #[serde(default)]
    pub(crate) impersonated_user: Option<String>,
    #[serde(default)]
    pub(crate) tx_meta: Option<JsonMap>,
    #[serde(default)]
    pub(crate) timeout: Option<Json>,
    #[serde(default)]
    pub(crate) authorization_token: Json,
    #[serde(default)]
    pub(crate) bookmark_manager_id: Option<i64>,
}

/// Tells "key absent" (outer `None`, via `default`) from "key: null".
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// Parses a request body. `Err` carries the request name when it could be
/// read, to tell an unknown request from a malformed one.
pub(crate) fn parse(body: &str) -> Result<Request, ParseError> {
    match serde_json::from_str::<Request>(body) {
        Ok(r) => Ok(r),
        Err(e) => {
            #[derive(Deserialize)]
            struct Envelope {
                name: String,
            }
            let name = serde_json::from_str::<Envelope>(body).ok().map(|e| e.name);
            Err(ParseError {
                name,
                message: e.to_string(),
            })
        }
    }
}

/// A request that could not be parsed.
#[derive(Debug)]
pub(crate) struct ParseError {
    /// The request's `name`, if the envelope was readable.
    pub(crate) name: Option<String>,
    /// serde's message.
    pub(crate) message: String,
}

impl ParseError {
    /// Whether the request is one this backend does not know at all.
    pub(crate) fn is_unknown_request(&self) -> bool {
        self.name.is_some() && self.message.starts_with("unknown variant")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_requests_with_optional_keys() {
        let r = parse(
            r#"{"name":"SessionRun","data":{"sessionId":2,"cypher":"RETURN 1 AS n",
                "params":{"x":{"name":"CypherInt","data":{"value":1}}},"txMeta":null}}"#,
        )
        .unwrap();
        match r {
            Request::SessionRun {
                session_id,
                params,
                timeout,
                ..
            } => {
                assert_eq!(session_id, Id(2));
                assert_eq!(params.unwrap().len(), 1);
                assert!(timeout.is_none());
            }
            r => panic!("{r:?}"),
        }
    }

    #[test]
    fn trusted_certificates_absent_null_and_list_differ() {
        let base = r#""uri":"bolt://h","authorizationToken":null,"userAgent":null"#;
        let nd = |extra: &str| match parse(&format!(
            r#"{{"name":"NewDriver","data":{{{base}{extra}}}}}"#
        ))
        .unwrap()
        {
            Request::NewDriver(d) => d.trusted_certificates,
            r => panic!("{r:?}"),
        };
        assert_eq!(nd(""), None);
        assert_eq!(nd(r#","trustedCertificates":null"#), Some(None));
        assert_eq!(nd(r#","trustedCertificates":[]"#), Some(Some(vec![])));
    }

    #[test]
    fn unknown_and_malformed_requests_differ() {
        let e = parse(r#"{"name":"Nope","data":{}}"#).unwrap_err();
        assert!(e.is_unknown_request(), "{e:?}");
        let e = parse(r#"{"name":"SessionRun","data":{}}"#).unwrap_err();
        assert!(!e.is_unknown_request(), "{e:?}");
        assert_eq!(e.name.as_deref(), Some("SessionRun"));
        assert!(parse("not json").unwrap_err().name.is_none());
    }

    #[test]
    fn ids_may_be_strings() {
        match parse(r#"{"name":"DriverClose","data":{"driverId":"7"}}"#).unwrap() {
            Request::DriverClose { driver_id } => assert_eq!(driver_id, Id(7)),
            r => panic!("{r:?}"),
        }
        assert!(parse(r#"{"name":"ResultNext","data":{"resultId":2}}"#)
            .unwrap()
            .completes()
            .is_none());
        let c = parse(
            r#"{"name":"ResolverResolutionCompleted","data":{"requestId":3,"addresses":["a:1"]}}"#,
        )
        .unwrap();
        assert_eq!(c.completes(), Some(Id(3)));
    }
}
