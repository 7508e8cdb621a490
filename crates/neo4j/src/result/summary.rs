//! What the server says about a query after its records: [`ResultSummary`]
//! with [`Counters`], [`Notification`]s, GQL status objects, the plan or
//! profile, timings, and [`ServerInfo`].
//!
//! Built from the metadata of RUN's and the last PULL's SUCCESS; holds no
//! connection.

use std::time::Duration;

use bolt_proto::structure::StructCtx;
use packstream::{Map, Value as PsValue};

use crate::address::ServerAddress;
use crate::query::Query;
use crate::value::wire::value_from_bolt;
use crate::value::{Value, ValueMap};

/// The server a unit of work ran on.
///
/// ```no_run
/// # async fn demo(driver: neo4j::Driver) -> Result<(), neo4j::Error> {
/// let info = driver.server_info().await?;
/// println!("{} at {} speaks Bolt {:?}", info.agent, info.address, info.protocol_version);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerInfo {
    /// The address connected to (before DNS resolution).
    pub address: ServerAddress,
    /// The server agent, e.g. `Neo4j/5.20.0`.
    pub agent: String,
    /// The negotiated Bolt version `(major, minor)`.
    pub protocol_version: (u8, u8),
}

/// What kind of work a query did (`type` in the summary).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QueryType {
    /// Read only (`r`).
    ReadOnly,
    /// Read and write (`rw`).
    ReadWrite,
    /// Write only (`w`).
    WriteOnly,
    /// Schema changes (`s`).
    SchemaWrite,
}

/// Update counters of a query (`stats` in the summary); all zero for reads.
///
/// ```
/// let c = neo4j::result::Counters::default();
/// assert!(!c.contains_updates());
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Counters {
    /// Nodes created.
    pub nodes_created: i64,
    /// Nodes deleted.
    pub nodes_deleted: i64,
    /// Relationships created.
    pub relationships_created: i64,
    /// Relationships deleted.
    pub relationships_deleted: i64,
    /// Properties set.
    pub properties_set: i64,
    /// Labels added.
    pub labels_added: i64,
    /// Labels removed.
    pub labels_removed: i64,
    /// Indexes added.
    pub indexes_added: i64,
    /// Indexes removed.
    pub indexes_removed: i64,
    /// Constraints added.
    pub constraints_added: i64,
    /// Constraints removed.
    pub constraints_removed: i64,
    /// System updates.
    pub system_updates: i64,
    contains_updates: Option<bool>,
    contains_system_updates: Option<bool>,
}

impl Counters {
    fn from_stats(m: &Map) -> Counters {
        let i = |k: &str| m.get(k).and_then(PsValue::as_int).unwrap_or(0);
        let b = |k: &str| m.get(k).and_then(PsValue::as_bool);
        Counters {
            nodes_created: i("nodes-created"),
            nodes_deleted: i("nodes-deleted"),
            relationships_created: i("relationships-created"),
            relationships_deleted: i("relationships-deleted"),
            properties_set: i("properties-set"),
            labels_added: i("labels-added"),
            labels_removed: i("labels-removed"),
            indexes_added: i("indexes-added"),
            indexes_removed: i("indexes-removed"),
            constraints_added: i("constraints-added"),
            constraints_removed: i("constraints-removed"),
            system_updates: i("system-updates"),
            contains_updates: b("contains-updates"),
            contains_system_updates: b("contains-system-updates"),
        }
    }

    /// Whether the query changed data or schema (the server's flag, else
    /// any non-zero counter).
    ///
    /// ```
    /// assert!(!neo4j::result::Counters::default().contains_updates());
    /// ```
    pub fn contains_updates(&self) -> bool {
        self.contains_updates.unwrap_or(
            self.nodes_created
                + self.nodes_deleted
                + self.relationships_created
                + self.relationships_deleted
                + self.properties_set
                + self.labels_added
                + self.labels_removed
                + self.indexes_added
                + self.indexes_removed
                + self.constraints_added
                + self.constraints_removed
                > 0,
        )
    }

    /// Whether the query changed the system database.
    ///
    /// ```
    /// assert!(!neo4j::result::Counters::default().contains_system_updates());
    /// ```
    pub fn contains_system_updates(&self) -> bool {
        self.contains_system_updates
            .unwrap_or(self.system_updates > 0)
    }
}

/// Where in the query a notification points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct InputPosition {
    /// Character offset, from 0.
    pub offset: i64,
    /// Line, from 1.
    pub line: i64,
    /// Column, from 1.
    pub column: i64,
}

/// A notification about the query (a hint, warning, deprecation...).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Notification {
    /// E.g. `Neo.ClientNotification.Statement.CartesianProduct`.
    pub code: String,
    /// Short summary.
    pub title: String,
    /// Long description.
    pub description: String,
    /// `WARNING`, `INFORMATION`, ... as sent.
    pub severity: String,
    /// `HINT`, `DEPRECATION`, ... as sent, if any.
    pub category: Option<String>,
    /// Position in the query, if any.
    pub position: Option<InputPosition>,
}

/// A GQL status object of the summary (Bolt 5.5+ `statuses`), raw-ish.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct GqlStatusObject {
    /// The GQLSTATUS code, e.g. `00000`, `01N50`.
    pub gql_status: String,
    /// Its description.
    pub status_description: String,
    /// The legacy notification code, for notifications.
    pub neo4j_code: Option<String>,
    /// The title, for notifications.
    pub title: Option<String>,
    /// The diagnostic record (severity, classification, position, ...).
    pub diagnostic_record: ValueMap,
}

/// Everything the server reported about one query.
///
/// ```no_run
/// # async fn demo(session: &mut neo4j::Session) -> Result<(), neo4j::Error> {
/// let result = session.run("CREATE (:Person {name: $n})", neo4j::params! {"n" => "Ann"}).await?;
/// let summary = result.consume().await?;
/// assert_eq!(summary.counters().nodes_created, 1);
/// println!("{:?} after {:?}", summary.query_type(), summary.result_available_after());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct ResultSummary {
    query: Query,
    query_type: Option<QueryType>,
    counters: Counters,
    plan: Option<Value>,
    profile: Option<Value>,
    notifications: Vec<Notification>,
    gql_status_objects: Vec<GqlStatusObject>,
    server: ServerInfo,
    database: Option<String>,
    available_after: Option<Duration>,
    consumed_after: Option<Duration>,
}

fn millis(m: &Map, keys: [&str; 2]) -> Option<Duration> {
    keys.iter()
        .find_map(|k| m.get(k).and_then(PsValue::as_int))
        .and_then(|ms| u64::try_from(ms).ok())
        .map(Duration::from_millis)
}

fn text(m: &Map, k: &str) -> Option<String> {
    m.get(k).and_then(PsValue::as_str).map(str::to_owned)
}

fn to_value(v: &PsValue, ctx: StructCtx) -> Value {
    value_from_bolt(v.clone(), ctx).unwrap_or(Value::Null)
}

fn to_map(v: &PsValue, ctx: StructCtx) -> ValueMap {
    match to_value(v, ctx) {
        Value::Map(m) => m,
        _ => ValueMap::default(),
    }
}

impl ResultSummary {
    pub(crate) fn new(
        query: Query,
        server: ServerInfo,
        run: &Map,
        done: &Map,
        ctx: StructCtx,
    ) -> ResultSummary {
        let query_type = match done.get("type").and_then(PsValue::as_str) {
            Some("r") => Some(QueryType::ReadOnly),
            Some("rw") => Some(QueryType::ReadWrite),
            Some("w") => Some(QueryType::WriteOnly),
            Some("s") => Some(QueryType::SchemaWrite),
            _ => None,
        };
        let counters = match done.get("stats") {
            Some(PsValue::Map(m)) => Counters::from_stats(m),
            _ => Counters::default(),
        };
        let notifications = match done.get("notifications") {
            Some(PsValue::List(list)) => list
                .iter()
                .filter_map(|n| match n {
                    PsValue::Map(m) => Some(Notification {
                        code: text(m, "code").unwrap_or_default(),
                        title: text(m, "title").unwrap_or_default(),
                        description: text(m, "description").unwrap_or_default(),
                        severity: text(m, "severity").unwrap_or_default(),
                        category: text(m, "category"),
                        position: match m.get("position") {
                            Some(PsValue::Map(p)) => {
                                let i = |k| p.get(k).and_then(PsValue::as_int).unwrap_or(0);
                                Some(InputPosition {
                                    offset: i("offset"),
                                    line: i("line"),
                                    column: i("column"),
                                })
                            }
                            _ => None,
                        },
                    }),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        let gql_status_objects = match done.get("statuses") {
            Some(PsValue::List(list)) => list
                .iter()
                .filter_map(|s| match s {
                    PsValue::Map(m) => Some(GqlStatusObject {
                        gql_status: text(m, "gql_status").unwrap_or_default(),
                        status_description: text(m, "status_description").unwrap_or_default(),
                        neo4j_code: text(m, "neo4j_code"),
                        title: text(m, "title"),
                        diagnostic_record: m
                            .get("diagnostic_record")
                            .map(|d| to_map(d, ctx))
                            .unwrap_or_default(),
                    }),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        ResultSummary {
            query,
            query_type,
            counters,
            plan: done.get("plan").map(|v| to_value(v, ctx)),
            profile: done.get("profile").map(|v| to_value(v, ctx)),
            notifications,
            gql_status_objects,
            server,
            database: text(done, "db"),
            available_after: millis(run, ["t_first", "result_available_after"]),
            consumed_after: millis(done, ["t_last", "result_consumed_after"]),
        }
    }

    /// The query and its parameters.
    pub fn query(&self) -> &Query {
        &self.query
    }

    /// Read, write, read-write or schema.
    pub fn query_type(&self) -> Option<QueryType> {
        self.query_type
    }

    /// The update counters.
    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    /// The plan of an `EXPLAIN`ed query, as the server sent it.
    pub fn plan(&self) -> Option<&Value> {
        self.plan.as_ref()
    }

    /// The profile of a `PROFILE`d query, as the server sent it.
    pub fn profile(&self) -> Option<&Value> {
        self.profile.as_ref()
    }

    /// Notifications (hints, warnings, deprecations).
    pub fn notifications(&self) -> &[Notification] {
        &self.notifications
    }

    /// GQL status objects (Bolt 5.5+; empty before).
    pub fn gql_status_objects(&self) -> &[GqlStatusObject] {
        &self.gql_status_objects
    }

    /// The server that ran the query.
    pub fn server(&self) -> &ServerInfo {
        &self.server
    }

    /// The database the query ran in (Bolt 4.0+).
    pub fn database(&self) -> Option<&str> {
        self.database.as_deref()
    }

    /// Time until the first record was available (server side).
    pub fn result_available_after(&self) -> Option<Duration> {
        self.available_after
    }

    /// Time until the last record was consumed (server side).
    pub fn result_consumed_after(&self) -> Option<Duration> {
        self.consumed_after
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bolt_proto::Version;

    #[test]
    fn builds_from_metadata() {
        let mut run = Map::new();
        run.insert("t_first", 5i64);
        let mut stats = Map::new();
        stats.insert("nodes-created", 2i64);
        stats.insert("properties-set", 3i64);
        let mut pos = Map::new();
        pos.insert("offset", 1i64);
        pos.insert("line", 2i64);
        pos.insert("column", 3i64);
        let mut note = Map::new();
        note.insert("code", "Neo.X");
        note.insert("severity", "WARNING");
        note.insert("position", PsValue::Map(pos));
        let mut done = Map::new();
        done.insert("type", "w");
        done.insert("stats", PsValue::Map(stats));
        done.insert("t_last", 7i64);
        done.insert("db", "testdb");
        done.insert("notifications", PsValue::List(vec![PsValue::Map(note)]));
        let server = ServerInfo {
            address: ServerAddress::new("h", 1),
            agent: "x".into(),
            protocol_version: (5, 4),
        };
        let s = ResultSummary::new(
            Query::new("CREATE ()"),
            server,
            &run,
            &done,
            StructCtx::new(Version::V5_4),
        );
        assert_eq!(s.query_type(), Some(QueryType::WriteOnly));
        assert_eq!(s.counters().nodes_created, 2);
        assert!(s.counters().contains_updates());
        assert_eq!(s.result_available_after(), Some(Duration::from_millis(5)));
        assert_eq!(s.result_consumed_after(), Some(Duration::from_millis(7)));
        assert_eq!(s.database(), Some("testdb"));
        assert_eq!(s.notifications()[0].position.unwrap().column, 3);
        assert_eq!(s.query().text(), "CREATE ()");
    }
}
