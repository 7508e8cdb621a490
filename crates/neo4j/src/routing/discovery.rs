//! Asking one router for a routing table over an open connection.
//!
//! Owns the discovery exchange per Bolt version (ROUTE from 4.3, with
//! `imp_user` from 4.4; `dbms.routing.getRoutingTable` on the `system`
//! database for 4.0–4.2; `dbms.cluster.routing.getRoutingTable` for 3.x) and
//! the verdict on a failed one: try the next router, or stop. Must not
//! choose routers nor keep tables (see `provider`).

use bolt_pool::{Connection, PoolError};
use bolt_proto::message::{AccessMode, Failure, Pull, Request, Response, Route, Run, TxExtra};
use bolt_proto::Version;
use packstream::{Map, Value};

use super::table::{rt_from_record, RoutingTable, TableError};
use crate::driver::errors::unexpected_ignored;
use crate::error::Error;

const PROCEDURE_4X: &str = "CALL dbms.routing.getRoutingTable($context, $database)";
const PROCEDURE_4X_HOME: &str = "CALL dbms.routing.getRoutingTable($context)";
const PROCEDURE_3X: &str = "CALL dbms.cluster.routing.getRoutingTable($context)";

/// Server failures that end discovery at once: asking another router
/// would get the same answer.
const FATAL_CODES: [&str; 6] = [
    "Neo.ClientError.Database.DatabaseNotFound",
    "Neo.ClientError.Transaction.InvalidBookmark",
    "Neo.ClientError.Transaction.InvalidBookmarkMixture",
    "Neo.ClientError.Statement.ArgumentError",
    "Neo.ClientError.Request.Invalid",
    "Neo.ClientError.Statement.TypeError",
];

/// What to ask for.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Discovery<'a> {
    /// The routing context (URI query plus `address`).
    pub(crate) routing_context: &'a Map,
    /// The database; `None` for the user's home database.
    pub(crate) database: Option<&'a str>,
    /// The impersonated user (4.4+).
    pub(crate) imp_user: Option<&'a str>,
    /// Bookmarks the answer must reflect.
    pub(crate) bookmarks: &'a [String],
}

/// Why discovery through one router failed.
#[derive(Debug)]
pub(crate) enum DiscoveryError {
    /// The router could not be reached or the connection broke: forget it
    /// and try the next one.
    Unreachable(Error),
    /// The router answered but not with a usable table: try the next one.
    Invalid(Error),
    /// Stop discovery and report this error.
    Fatal(Error),
}

/// The requests of a discovery for `version`, in order.
pub(crate) fn requests(version: Version, d: &Discovery<'_>) -> Result<Vec<Request>, Error> {
    if d.imp_user.is_some() && !version.has_impersonation() {
        return Err(Error::Unsupported(format!(
            "impersonation needs Bolt 4.4 or later; the server speaks Bolt {version}"
        )));
    }
    if version.has_route() {
        return Ok(vec![Request::Route(Route {
            routing: d.routing_context.clone(),
            bookmarks: d.bookmarks.to_vec(),
            db: d.database.map(str::to_owned),
            imp_user: d.imp_user.map(str::to_owned),
            extra: Map::new(),
        })]);
    }
    let mut params = Map::new();
    params.insert("context", Value::Map(d.routing_context.clone()));
    let mut tx = TxExtra {
        mode: AccessMode::Read,
        ..TxExtra::default()
    };
    let query = if version >= Version::V4_0 {
        tx.db = Some("system".to_owned());
        tx.bookmarks = d.bookmarks.to_vec();
        match d.database {
            Some(db) => {
                params.insert("database", db);
                PROCEDURE_4X
            }
            None => PROCEDURE_4X_HOME,
        }
    } else {
        if let Some(db) = d.database {
            return Err(Error::Unsupported(format!(
                "database `{db}` cannot be selected over Bolt {version}; \
                 databases need Bolt 4.0 or later"
            )));
        }
        PROCEDURE_3X
    };
    Ok(vec![
        Request::Run(Run {
            query: query.to_owned(),
            parameters: params,
            tx,
            ..Run::default()
        }),
        Request::Pull(Pull::all()),
    ])
}

/// Maps a connection-level failure during discovery.
pub(crate) fn from_pool_error(e: PoolError) -> DiscoveryError {
    // A failed TLS security check ends discovery, as in the official
    // drivers: the other routers are configured alike.
    if e.is_security_failure() {
        return DiscoveryError::Fatal(Error::from(e));
    }
    if e.is_connection_failure() {
        return DiscoveryError::Unreachable(Error::ServiceUnavailable(e.to_string()));
    }
    match e {
        PoolError::Server(f) => from_failure(*f),
        PoolError::Auth { code, message } => {
            DiscoveryError::Fatal(Error::from_server_failure(code, message, None))
        }
        PoolError::Encode(e) => DiscoveryError::Fatal(Error::Unsupported(e.to_string())),
        PoolError::AcquisitionTimeout { timeout, .. } => {
            DiscoveryError::Unreachable(Error::ConnectionAcquisitionTimeout(timeout))
        }
        PoolError::PoolClosed { .. } => DiscoveryError::Fatal(Error::DriverClosed),
        e => DiscoveryError::Invalid(Error::ServiceUnavailable(e.to_string())),
    }
}

/// The verdict on a FAILURE answering discovery.
pub(crate) fn from_failure(f: Failure) -> DiscoveryError {
    let code = f.code.clone();
    if code == "Neo.ClientError.Procedure.ProcedureNotFound" {
        return DiscoveryError::Fatal(Error::ServiceUnavailable(format!(
            "the server does not support routing ({code}: {}); use a bolt:// URI",
            f.message
        )));
    }
    let err = Error::from_failure(f);
    let security = code.starts_with("Neo.ClientError.Security.")
        && code != "Neo.ClientError.Security.AuthorizationExpired";
    if security || FATAL_CODES.contains(&code.as_str()) {
        DiscoveryError::Fatal(err)
    } else {
        DiscoveryError::Invalid(err)
    }
}

/// Runs discovery on `conn` and parses the answer. The caller bounds the
/// whole exchange with a deadline and returns the connection to its pool.
pub(crate) async fn discover(
    conn: &mut Connection,
    d: &Discovery<'_>,
) -> Result<RoutingTable, DiscoveryError> {
    let reqs = requests(conn.version(), d).map_err(DiscoveryError::Fatal)?;
    let routed = matches!(reqs.first(), Some(Request::Route(_)));
    for r in &reqs {
        conn.queue(r).map_err(from_pool_error)?;
    }
    conn.flush().await.map_err(from_pool_error)?;
    let mut rt: Option<Map> = None;
    let mut columns: Vec<String> = Vec::new();
    let mut failure: Option<Failure> = None;
    let mut ignored = None;
    while conn.pending() > 0 {
        match conn.recv().await.map_err(from_pool_error)? {
            Response::Success(mut s) if routed => {
                // Taken, not cloned: the answer may be large.
                rt = match s.metadata.remove("rt") {
                    Some(Value::Map(m)) => Some(m),
                    _ => None,
                };
            }
            Response::Success(s) => {
                if let Some(f) = s.fields() {
                    columns = f.into_iter().map(str::to_owned).collect();
                }
            }
            Response::Record(r) if !routed && rt.is_none() => {
                rt = Some(rt_from_record(&columns, r.fields));
            }
            Response::Record(_) => {}
            Response::Failure(f) => failure = Some(f),
            Response::Ignored => ignored = ignored.or_else(|| unexpected_ignored(conn)),
        }
    }
    if let Some(f) = failure {
        return Err(from_failure(f));
    }
    if let Some(e) = ignored {
        // Not processed, for no reason given: another router may answer.
        return Err(DiscoveryError::Invalid(e));
    }
    let rt = rt.ok_or_else(|| {
        DiscoveryError::Invalid(Error::ServiceUnavailable(
            "the router sent no routing table".into(),
        ))
    })?;
    RoutingTable::parse(&rt, d.database).map_err(|e| from_table_error(conn.address(), e))
}

/// The verdict on an unusable table from `router`: over a cap (see
/// `table`) is a protocol violation that ends discovery (every router of a
/// cluster serves the same table, and asking the others would only parse
/// it again); anything else sends discovery to the next router.
fn from_table_error(router: &bolt_net::Address, e: TableError) -> DiscoveryError {
    match e {
        TableError::TooLarge { .. } => DiscoveryError::Fatal(Error::Protocol(format!(
            "router {router} sent an oversized routing table: {e}"
        ))),
        TableError::Malformed(_) => DiscoveryError::Invalid(Error::ServiceUnavailable(format!(
            "router {router} sent an unusable routing table: {e}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> Map {
        let mut m = Map::new();
        m.insert("address", "h:7687");
        m
    }

    #[test]
    fn route_from_4_3_with_imp_user_from_4_4() {
        let c = ctx();
        let b = vec!["bm".to_owned()];
        let d = Discovery {
            routing_context: &c,
            database: Some("adb"),
            imp_user: Some("bob"),
            bookmarks: &b,
        };
        let r = requests(Version::V4_4, &d).unwrap();
        match &r[..] {
            [Request::Route(r)] => {
                assert_eq!(r.db.as_deref(), Some("adb"));
                assert_eq!(r.imp_user.as_deref(), Some("bob"));
                assert_eq!(r.bookmarks, b);
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            requests(Version::V4_3, &d),
            Err(Error::Unsupported(_))
        ));
    }

    #[test]
    fn procedures_before_4_3() {
        let c = ctx();
        let d = Discovery {
            routing_context: &c,
            database: Some("adb"),
            imp_user: None,
            bookmarks: &[],
        };
        let r = requests(Version::V4_1, &d).unwrap();
        let Request::Run(run) = &r[0] else {
            panic!("{r:?}")
        };
        assert_eq!(run.query, PROCEDURE_4X);
        assert_eq!(run.tx.db.as_deref(), Some("system"));
        assert_eq!(run.tx.mode, AccessMode::Read);
        assert_eq!(
            run.parameters.get("database").and_then(Value::as_str),
            Some("adb")
        );
        let home = Discovery {
            database: None,
            ..d
        };
        let r = requests(Version::V4_0, &home).unwrap();
        assert!(matches!(&r[0], Request::Run(run) if run.query == PROCEDURE_4X_HOME));
        let r = requests(Version::V3_0, &home).unwrap();
        assert!(
            matches!(&r[0], Request::Run(run) if run.query == PROCEDURE_3X && run.tx.db.is_none())
        );
        assert!(matches!(
            requests(Version::V3_0, &d),
            Err(Error::Unsupported(_))
        ));
    }

    #[test]
    fn failure_verdicts() {
        let v = |code: &str| from_failure(Failure::new(code, "m"));
        assert!(matches!(
            v("Neo.ClientError.Database.DatabaseNotFound"),
            DiscoveryError::Fatal(_)
        ));
        assert!(matches!(
            v("Neo.ClientError.Security.Forbidden"),
            DiscoveryError::Fatal(_)
        ));
        assert!(matches!(
            v("Neo.ClientError.Security.AuthorizationExpired"),
            DiscoveryError::Invalid(_)
        ));
        assert!(matches!(
            v("Neo.TransientError.General.DatabaseUnavailable"),
            DiscoveryError::Invalid(_)
        ));
        assert!(matches!(
            v("Neo.ClientError.Procedure.ProcedureNotFound"),
            DiscoveryError::Fatal(Error::ServiceUnavailable(_))
        ));
        assert!(matches!(
            from_pool_error(PoolError::Broken),
            DiscoveryError::Unreachable(_)
        ));
    }

    #[test]
    fn an_oversized_table_ends_discovery_a_malformed_one_does_not() {
        let router = bolt_net::Address::new("r", 1);
        let big = TableError::TooLarge {
            what: "READ",
            listed: 1001,
            cap: 1000,
        };
        match from_table_error(&router, big) {
            DiscoveryError::Fatal(Error::Protocol(m)) => {
                assert!(m.contains("r:1") && m.contains("at most 1000"), "{m}")
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            from_table_error(&router, TableError::Malformed("no readers".into())),
            DiscoveryError::Invalid(Error::ServiceUnavailable(_))
        ));
    }

    /// A 5.7+ FAILURE answering ROUTE keeps its GQL side (description,
    /// diagnostic record with the classification, causes), as a FAILURE
    /// of any other request does; Neo4j answers an unknown database so.
    #[test]
    fn failure_keeps_its_gql_fields() {
        let mut diag = Map::new();
        diag.insert("_classification", "CLIENT_ERROR");
        let f = Failure {
            gql_status: Some("22000".into()),
            description: Some("error: data exception".into()),
            diagnostic_record: Some(diag),
            cause: Some(Box::new(bolt_proto::message::FailureCause {
                gql_status: "22N51".into(),
                description: "error: database not found".into(),
                ..Default::default()
            })),
            ..Failure::new("Neo.ClientError.Database.DatabaseNotFound", "no such db")
        };
        let DiscoveryError::Fatal(e) = from_failure(f) else {
            panic!("fatal");
        };
        let gql = e.gql().unwrap();
        assert_eq!(gql.gql_status, "22000");
        assert_eq!(gql.status_description, "error: data exception");
        assert_eq!(
            gql.classification(),
            crate::GqlErrorClassification::ClientError
        );
        assert_eq!(gql.cause.as_ref().unwrap().gql_status, "22N51");
    }
}
