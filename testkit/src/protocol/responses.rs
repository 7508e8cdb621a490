//! Responses and callback requests the backend sends
//! (`nutkit/protocol/responses.py`).
//!
//! TestKit builds each one with `Class(**data)`, so every variant here has
//! exactly the keys its Python constructor accepts: no more, none missing.

use serde::Serialize;
use serde_json::Value as Json;

use super::Id;

/// Everything the backend writes to TestKit.
#[derive(Debug, Serialize)]
#[serde(tag = "name", content = "data")]
pub(crate) enum Response {
    FeatureList {
        features: Vec<&'static str>,
    },
    RunTest {},
    RunSubTests {},
    FakeTimeAck {},
    SkipTest {
        reason: String,
    },
    Driver {
        id: Id,
    },
    BookmarkManager {
        id: Id,
    },
    Session {
        id: Id,
    },
    Transaction {
        id: Id,
    },
    Result {
        id: Id,
        keys: Vec<String>,
    },
    Record {
        values: Vec<Json>,
    },
    NullRecord {},
    /// `ResultSingleOptional`: `record` is `{"values": [...]}` or null.
    RecordOptional {
        record: Option<Json>,
        warnings: Vec<String>,
    },
    RecordList {
        records: Vec<Json>,
    },
    /// Built by the `handlers::summary` module, keys as `Summary` wants.
    Summary(Json),
    ServerInfo {
        address: String,
        agent: String,
        #[serde(rename = "protocolVersion")]
        protocol_version: String,
    },
    MultiDBSupport {
        id: Id,
        available: bool,
    },
    SessionAuthSupport {
        id: Id,
        available: bool,
    },
    DriverIsEncrypted {
        encrypted: bool,
    },
    Bookmarks {
        bookmarks: Vec<String>,
    },
    RetryableTry {
        id: Id,
    },
    RetryableDone {},
    EagerResult {
        keys: Vec<String>,
        records: Vec<Json>,
        summary: Json,
    },
    RoutingTable {
        database: Option<String>,
        ttl: u64,
        routers: Vec<String>,
        readers: Vec<String>,
        writers: Vec<String>,
    },
    ConnectionPoolMetrics {
        #[serde(rename = "inUse")]
        in_use: u64,
        idle: u64,
    },
    DriverError(Box<DriverError>),
    FrontendError {
        msg: String,
    },
    BackendError {
        msg: String,
    },
    // Callback requests (answered by TestKit with `...Completed`).
    ResolverResolutionRequired {
        id: Id,
        address: String,
    },
    DomainNameResolutionRequired {
        id: Id,
        name: String,
    },
    ClientCertificateProvider {
        id: Id,
    },
    ClientCertificateProviderRequest {
        id: Id,
        #[serde(rename = "clientCertificateProviderId")]
        client_certificate_provider_id: Id,
    },
    AuthTokenManager {
        id: Id,
    },
    BasicAuthTokenManager {
        id: Id,
    },
    BearerAuthTokenManager {
        id: Id,
    },
    AuthTokenManagerGetAuthRequest {
        id: Id,
        #[serde(rename = "authTokenManagerId")]
        auth_token_manager_id: Id,
    },
    AuthTokenManagerHandleSecurityExceptionRequest {
        id: Id,
        #[serde(rename = "authTokenManagerId")]
        auth_token_manager_id: Id,
        auth: Json,
        #[serde(rename = "errorCode")]
        error_code: String,
    },
    BasicAuthTokenProviderRequest {
        id: Id,
        #[serde(rename = "basicAuthTokenManagerId")]
        basic_auth_token_manager_id: Id,
    },
    BearerAuthTokenProviderRequest {
        id: Id,
        #[serde(rename = "bearerAuthTokenManagerId")]
        bearer_auth_token_manager_id: Id,
    },
    DriverIsAuthenticated {
        id: Id,
        authenticated: bool,
    },
    BookmarksSupplierRequest {
        id: Id,
        #[serde(rename = "bookmarkManagerId")]
        bookmark_manager_id: Id,
    },
    BookmarksConsumerRequest {
        id: Id,
        #[serde(rename = "bookmarkManagerId")]
        bookmark_manager_id: Id,
        bookmarks: Vec<String>,
    },
}

/// `DriverError`'s data. Optional GQL keys are left out when unknown.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DriverError {
    pub(crate) id: Id,
    pub(crate) error_type: String,
    pub(crate) msg: String,
    pub(crate) code: Option<String>,
    pub(crate) retryable: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) gql_status: Option<String>,
    /// GQL description, diagnostic record, classification and cause
    /// (`statusDescription`, `diagnosticRecord`, `classification`,
    /// `rawClassification`, `cause`), for server errors.
    #[serde(flatten)]
    pub(crate) gql: Option<serde_json::Map<String, Json>>,
}

impl Response {
    /// A `BackendError` with this message.
    pub(crate) fn backend_error(msg: impl Into<String>) -> Response {
        Response::BackendError { msg: msg.into() }
    }

    /// The JSON text of this response.
    pub(crate) fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|e| {
            // Only non-string map keys or failing Serialize impls can get
            // here; none exist in this enum, but never panic on it.
            serde_json::json!({"name": "BackendError", "data": {"msg": format!("cannot serialise response: {e}")}}).to_string()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn shapes_match_nutkit() {
        let j = |r: Response| serde_json::from_str::<Json>(&r.to_json()).unwrap();
        assert_eq!(
            j(Response::Result {
                id: Id(3),
                keys: vec!["n".into()]
            }),
            json!({"name": "Result", "data": {"id": 3, "keys": ["n"]}})
        );
        assert_eq!(
            j(Response::NullRecord {}),
            json!({"name": "NullRecord", "data": {}})
        );
        assert_eq!(
            j(Response::ConnectionPoolMetrics { in_use: 1, idle: 2 }),
            json!({"name": "ConnectionPoolMetrics", "data": {"inUse": 1, "idle": 2}})
        );
        assert_eq!(
            j(Response::ServerInfo {
                address: "h:1".into(),
                agent: "Neo4j/5".into(),
                protocol_version: "5.4".into()
            }),
            json!({"name": "ServerInfo", "data": {"address": "h:1", "agent": "Neo4j/5", "protocolVersion": "5.4"}})
        );
        let e = j(Response::DriverError(Box::new(DriverError {
            id: Id(1),
            error_type: "ServiceUnavailable".into(),
            msg: "m".into(),
            code: None,
            retryable: true,
            gql_status: None,
            gql: None,
        })));
        assert_eq!(
            e,
            json!({"name": "DriverError", "data": {"id": 1, "errorType": "ServiceUnavailable",
                   "msg": "m", "code": null, "retryable": true}})
        );
    }
}
