//! What the server says about a query after its records: [`ResultSummary`]
//! with [`Counters`], [`Notification`]s, GQL status objects, the plan or
//! profile, timings, and [`ServerInfo`].
//!
//! Built from the metadata of RUN's and the last PULL's SUCCESS; holds no
//! connection.

use std::time::Duration;

use bolt_proto::message::SuccessRef;
use bolt_proto::structure::StructCtx;
use packstream::{Map, Value as PsValue, ValueRef};
use std::sync::{Arc, OnceLock};

use crate::address::ServerAddress;
use crate::config::NotificationCategory;
use crate::error::Error;
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
    /// The address connected to, before DNS resolution: with a custom
    /// resolver, its answer that was connected to.
    pub address: ServerAddress,
    /// The server agent, e.g. `Neo4j/5.20.0`.
    pub agent: String,
    /// The negotiated Bolt version `(major, minor)`.
    pub protocol_version: (u8, u8),
}

/// What kind of work a query did (`type` in the summary).
///
/// ```no_run
/// # async fn demo(s: &mut neo4j::Session) -> Result<(), neo4j::Error> {
/// use neo4j::result::QueryType;
/// let summary = s.run("MATCH (n) RETURN n", neo4j::params! {}).await?.consume().await?;
/// assert_eq!(summary.query_type(), Some(QueryType::ReadOnly));
/// # Ok(()) }
/// ```
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
    /// Reads the `stats` map where it lies in the message (a repeated key
    /// counts with its last value; entries of another type are ignored).
    fn from_stats(mut d: packstream::Decoder<'_>) -> Counters {
        let mut c = Counters::default();
        let Ok(n) = d.read_map_header() else {
            return c;
        };
        for _ in 0..n {
            let (Ok(k), Ok(v)) = (d.read_str(), d.read_value_ref()) else {
                break;
            };
            let slot = match k {
                "nodes-created" => &mut c.nodes_created,
                "nodes-deleted" => &mut c.nodes_deleted,
                "relationships-created" => &mut c.relationships_created,
                "relationships-deleted" => &mut c.relationships_deleted,
                "properties-set" => &mut c.properties_set,
                "labels-added" => &mut c.labels_added,
                "labels-removed" => &mut c.labels_removed,
                "indexes-added" => &mut c.indexes_added,
                "indexes-removed" => &mut c.indexes_removed,
                "constraints-added" => &mut c.constraints_added,
                "constraints-removed" => &mut c.constraints_removed,
                "system-updates" => &mut c.system_updates,
                "contains-updates" => {
                    c.contains_updates = match v {
                        ValueRef::Boolean(b) => Some(b),
                        _ => None,
                    };
                    continue;
                }
                "contains-system-updates" => {
                    c.contains_system_updates = match v {
                        ValueRef::Boolean(b) => Some(b),
                        _ => None,
                    };
                    continue;
                }
                _ => continue,
            };
            *slot = match v {
                ValueRef::Integer(i) => i,
                _ => 0,
            };
        }
        c
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
///
/// ```no_run
/// # fn demo(summary: &neo4j::ResultSummary) {
/// for n in summary.notifications().unwrap_or_default() {
///     if let Some(p) = n.position {
///         println!("line {}, column {} (offset {})", p.line, p.column, p.offset);
///     }
/// }
/// # }
/// ```
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
///
/// ```no_run
/// # async fn demo(s: &mut neo4j::Session) -> Result<(), neo4j::Error> {
/// let summary = s.run("MATCH (a), (b) RETURN a, b", neo4j::params! {}).await?.consume().await?;
/// for n in summary.notifications().unwrap_or_default() {
///     println!("{} [{:?}] {}", n.code, n.category, n.title);
/// }
/// # Ok(()) }
/// ```
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

/// A notification's or GQL status object's severity, parsed.
///
/// ```
/// use neo4j::result::NotificationSeverity;
/// assert_eq!(NotificationSeverity::parse(Some("WARNING")), NotificationSeverity::Warning);
/// assert_eq!(NotificationSeverity::parse(Some("LOUD")), NotificationSeverity::Unknown);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NotificationSeverity {
    /// `WARNING`.
    Warning,
    /// `INFORMATION`.
    Information,
    /// Missing or not known to this driver.
    Unknown,
}

impl NotificationSeverity {
    /// Parses the server's severity string.
    pub fn parse(raw: Option<&str>) -> NotificationSeverity {
        match raw {
            Some("WARNING") => NotificationSeverity::Warning,
            Some("INFORMATION") => NotificationSeverity::Information,
            _ => NotificationSeverity::Unknown,
        }
    }

    /// The server's spelling (`UNKNOWN` for unknown).
    ///
    /// ```
    /// assert_eq!(neo4j::result::NotificationSeverity::Warning.as_str(), "WARNING");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationSeverity::Warning => "WARNING",
            NotificationSeverity::Information => "INFORMATION",
            NotificationSeverity::Unknown => "UNKNOWN",
        }
    }
}

/// Parses a notification category / GQL classification; `None` when
/// missing or unknown to this driver.
///
/// ```
/// use neo4j::NotificationCategory;
/// use neo4j::result::parse_classification;
/// assert_eq!(parse_classification(Some("HINT")), Some(NotificationCategory::Hint));
/// assert_eq!(parse_classification(Some("ANYCAT")), None);
/// ```
pub fn parse_classification(raw: Option<&str>) -> Option<NotificationCategory> {
    Some(match raw? {
        "HINT" => NotificationCategory::Hint,
        "UNRECOGNIZED" => NotificationCategory::Unrecognized,
        "UNSUPPORTED" => NotificationCategory::Unsupported,
        "PERFORMANCE" => NotificationCategory::Performance,
        "DEPRECATION" => NotificationCategory::Deprecation,
        "GENERIC" => NotificationCategory::Generic,
        "SECURITY" => NotificationCategory::Security,
        "TOPOLOGY" => NotificationCategory::Topology,
        "SCHEMA" => NotificationCategory::Schema,
        _ => return None,
    })
}

impl Notification {
    /// The severity, parsed ([`severity`](Self::severity) is the raw one).
    ///
    /// ```no_run
    /// # fn demo(n: &neo4j::result::Notification) {
    /// println!("{:?}", n.severity_level());
    /// # }
    /// ```
    pub fn severity_level(&self) -> NotificationSeverity {
        NotificationSeverity::parse(Some(&self.severity))
    }

    /// The category, parsed; `None` when missing or unknown
    /// ([`category`](Self::category) is the raw one).
    ///
    /// ```no_run
    /// # fn demo(n: &neo4j::result::Notification) {
    /// println!("{:?}", n.category_level());
    /// # }
    /// ```
    pub fn category_level(&self) -> Option<NotificationCategory> {
        parse_classification(self.category.as_deref())
    }
}

/// A GQL status object of the summary (Bolt 5.5+ `statuses`), raw-ish.
///
/// ```no_run
/// # fn demo(summary: &neo4j::ResultSummary) {
/// for g in summary.gql_status_objects() {
///     println!("{} {:?} {:?}", g.gql_status, g.neo4j_code, g.diagnostic_record.get("_severity"));
/// }
/// # }
/// ```
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
    /// The legacy notification description, for notifications.
    pub description: Option<String>,
    /// The diagnostic record (severity, classification, position, ...),
    /// with `OPERATION`, `OPERATION_CODE` and `CURRENT_SCHEMA` defaulted to
    /// `""`, `"0"` and `"/"` when the server left them out.
    pub diagnostic_record: ValueMap,
}

impl GqlStatusObject {
    fn raw(&self, key: &str) -> Option<&str> {
        self.diagnostic_record.get(key).and_then(Value::as_str)
    }

    /// Whether this status is a notification (it has a legacy code).
    ///
    /// ```no_run
    /// # fn demo(g: &neo4j::result::GqlStatusObject) {
    /// if g.is_notification() { println!("{}", g.gql_status); }
    /// # }
    /// ```
    pub fn is_notification(&self) -> bool {
        self.neo4j_code.is_some()
    }

    /// `_severity` of the diagnostic record, as sent.
    ///
    /// ```no_run
    /// # fn demo(g: &neo4j::result::GqlStatusObject) {
    /// println!("{:?} {:?}", g.raw_severity(), g.severity());
    /// # }
    /// ```
    pub fn raw_severity(&self) -> Option<&str> {
        self.raw("_severity")
    }

    /// The severity, parsed.
    pub fn severity(&self) -> NotificationSeverity {
        NotificationSeverity::parse(self.raw_severity())
    }

    /// `_classification` of the diagnostic record, as sent.
    pub fn raw_classification(&self) -> Option<&str> {
        self.raw("_classification")
    }

    /// The classification, parsed; `None` when missing or unknown.
    ///
    /// ```no_run
    /// # fn demo(g: &neo4j::result::GqlStatusObject) {
    /// println!("{:?}", g.classification());
    /// # }
    /// ```
    pub fn classification(&self) -> Option<NotificationCategory> {
        parse_classification(self.raw_classification())
    }

    /// `_position` of the diagnostic record, when it is a map of integer
    /// `offset`, `line` and `column`.
    pub fn position(&self) -> Option<InputPosition> {
        match self.diagnostic_record.get("_position") {
            Some(Value::Map(p)) => {
                let i = |k: &str| p.get(k).and_then(Value::as_int);
                Some(InputPosition {
                    offset: i("offset")?,
                    line: i("line")?,
                    column: i("column")?,
                })
            }
            _ => None,
        }
    }

    fn note(gql_status: &str, status_description: &str) -> GqlStatusObject {
        GqlStatusObject {
            gql_status: gql_status.to_owned(),
            status_description: status_description.to_owned(),
            neo4j_code: None,
            title: None,
            description: None,
            diagnostic_record: default_diagnostic_record(),
        }
    }

    /// A notification of a pre-5.6 server as a GQL status object.
    fn from_notification(n: &Notification, raw_severity: Option<&str>) -> GqlStatusObject {
        let warning = raw_severity == Some("WARNING");
        let mut diag = default_diagnostic_record();
        if let Some(s) = raw_severity {
            diag.insert("_severity", s);
        }
        if let Some(c) = &n.category {
            diag.insert("_classification", c.as_str());
        }
        if let Some(p) = n.position {
            let mut m = ValueMap::default();
            m.insert("offset", p.offset);
            m.insert("line", p.line);
            m.insert("column", p.column);
            diag.insert("_position", Value::Map(m));
        }
        let status_description = if !n.description.is_empty() {
            n.description.clone()
        } else if warning {
            "warn: unknown warning".to_owned()
        } else {
            "info: unknown notification".to_owned()
        };
        GqlStatusObject {
            gql_status: if warning { "01N42" } else { "03N42" }.to_owned(),
            status_description,
            neo4j_code: Some(n.code.clone()),
            title: Some(n.title.clone()),
            description: Some(n.description.clone()),
            diagnostic_record: diag,
        }
    }
}

fn default_diagnostic_record() -> ValueMap {
    let mut m = ValueMap::default();
    fill_diagnostic_record(&mut m);
    m
}

fn fill_diagnostic_record(m: &mut ValueMap) {
    for (k, v) in [
        ("OPERATION", ""),
        ("OPERATION_CODE", "0"),
        ("CURRENT_SCHEMA", "/"),
    ] {
        if !m.contains_key(k) {
            m.insert(k, v);
        }
    }
}

/// Order of GQL statuses polyfilled from notifications, as the official
/// drivers sort them: no data, warnings, success, information.
fn precedence(g: &GqlStatusObject) -> u8 {
    match g.gql_status.get(..2) {
        Some("02") => 0,
        Some("01") => 1,
        Some("00") => 2,
        Some("03") => 3,
        _ => 4,
    }
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
#[derive(Clone)]
pub struct ResultSummary {
    query: Query,
    query_type: Option<QueryType>,
    counters: Counters,
    /// Shared with the session's other results on the same server.
    server: Arc<ServerInfo>,
    available_after: Option<Duration>,
    consumed_after: Option<Duration>,
    /// The final SUCCESS's metadata, still encoded: what is rarely asked
    /// for (notifications, GQL statuses, plan, profile, database) is read
    /// from it on first use.
    meta: Vec<u8>,
    ctx: StructCtx,
    had_record: bool,
    /// Whether RUN named any columns.
    has_keys: bool,
    /// What is read from `meta` on first use.
    lazy: OnceLock<Box<Lazy>>,
}

/// The parts of a summary read from its metadata on first use. Boxed
/// (allocated on the first such read): most summaries are never asked,
/// and a summary is moved whole on every query.
#[derive(Clone, Default)]
struct Lazy {
    statuses: OnceLock<Statuses>,
    plan: OnceLock<Option<Value>>,
    profile: OnceLock<Option<Value>>,
}

/// Notifications and GQL status objects, built together on first use.
#[derive(Debug, Clone)]
struct Statuses {
    notifications: Option<Vec<Notification>>,
    gql: Vec<GqlStatusObject>,
}

impl std::fmt::Debug for ResultSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResultSummary")
            .field("query", &self.query)
            .field("query_type", &self.query_type)
            .field("counters", &self.counters)
            .field("plan", &self.plan())
            .field("profile", &self.profile())
            .field("notifications", &self.notifications())
            .field("gql_status_objects", &self.gql_status_objects())
            .field("server", &self.server)
            .field("database", &self.database())
            .field("available_after", &self.available_after)
            .field("consumed_after", &self.consumed_after)
            .finish()
    }
}

/// What the summary needs from RUN's SUCCESS.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct RunInfo {
    /// `t_first` (or `result_available_after`), in milliseconds.
    pub(crate) available_after: Option<i64>,
    /// Whether `fields` named any column.
    pub(crate) has_keys: bool,
}

fn millis(ms: Option<i64>) -> Option<Duration> {
    ms.and_then(|ms| u64::try_from(ms).ok())
        .map(Duration::from_millis)
}

/// Reads kept metadata (checked when it arrived).
fn meta_view(raw: &[u8]) -> SuccessRef<'_> {
    SuccessRef::from_kept(raw)
}

fn text(m: &Map, k: &str) -> Option<String> {
    m.get(k).and_then(PsValue::as_str).map(str::to_owned)
}

fn notification(m: &Map) -> Notification {
    Notification {
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
    }
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

/// Notifications and GQL status objects from the final SUCCESS: as sent
/// from Bolt 5.6 (`statuses`), else polyfilled from `notifications`.
fn build_statuses(
    done: SuccessRef<'_>,
    ctx: StructCtx,
    had_record: bool,
    has_keys: bool,
) -> Statuses {
    let statuses = match done.get_value("statuses") {
        Some(PsValue::List(list)) => Some(
            list.iter()
                .filter_map(|s| match s {
                    PsValue::Map(m) => Some(GqlStatusObject {
                        gql_status: text(m, "gql_status").unwrap_or_default(),
                        status_description: text(m, "status_description").unwrap_or_default(),
                        neo4j_code: text(m, "neo4j_code"),
                        title: text(m, "title"),
                        description: text(m, "description"),
                        diagnostic_record: match m.get("diagnostic_record") {
                            Some(d) => {
                                let mut d = to_map(d, ctx);
                                fill_diagnostic_record(&mut d);
                                d
                            }
                            None => default_diagnostic_record(),
                        },
                    }),
                    _ => None,
                })
                .collect::<Vec<_>>(),
        ),
        _ => None,
    };
    match statuses {
        // Bolt 5.6+: notifications are the statuses that have a legacy code.
        Some(statuses) => {
            let notes = statuses
                .iter()
                .filter_map(|g| {
                    Some(Notification {
                        code: g.neo4j_code.clone()?,
                        title: g.title.clone().unwrap_or_default(),
                        description: g.description.clone().unwrap_or_default(),
                        severity: g.raw_severity().unwrap_or_default().to_owned(),
                        category: g.raw_classification().map(str::to_owned),
                        position: g.position(),
                    })
                })
                .collect();
            Statuses {
                notifications: Some(notes),
                gql: statuses,
            }
        }
        None => {
            let mut raw_severities = Vec::new();
            let notes = match done.get_value("notifications") {
                Some(PsValue::List(list)) => Some(
                    list.iter()
                        .filter_map(|n| match n {
                            PsValue::Map(m) => {
                                raw_severities.push(text(m, "severity"));
                                Some(notification(m))
                            }
                            _ => None,
                        })
                        .collect::<Vec<_>>(),
                ),
                _ => None,
            };
            let mut statuses = vec![if had_record {
                GqlStatusObject::note("00000", "note: successful completion")
            } else if has_keys {
                GqlStatusObject::note("02000", "note: no data")
            } else {
                GqlStatusObject::note("00001", "note: successful completion - omitted result")
            }];
            for (n, sev) in notes.iter().flatten().zip(&raw_severities) {
                statuses.push(GqlStatusObject::from_notification(n, sev.as_deref()));
            }
            statuses.sort_by_key(precedence);
            Statuses {
                notifications: notes,
                gql: statuses,
            }
        }
    }
}

impl ResultSummary {
    /// Builds the summary from what RUN's SUCCESS said and the final
    /// SUCCESS's encoded metadata (checked when it arrived). `had_record`:
    /// whether any RECORD arrived (for the GQL statuses polyfilled on
    /// servers before Bolt 5.6). Only the cheap parts are read now.
    ///
    /// # Errors
    /// [`Error::Protocol`] for a query type the Bolt protocol does not
    /// define.
    pub(crate) fn new(
        query: Query,
        server: Arc<ServerInfo>,
        run: RunInfo,
        done: Vec<u8>,
        ctx: StructCtx,
        had_record: bool,
    ) -> Result<ResultSummary, Error> {
        let view = meta_view(&done);
        let [ty, stats, t_last, legacy_t_last] =
            view.value_decoders(["type", "stats", "t_last", "result_consumed_after"]);
        let int = |d: Option<packstream::Decoder<'_>>| match d?.read_value_ref() {
            Ok(ValueRef::Integer(i)) => Some(i),
            _ => None,
        };
        let query_type = match ty.and_then(|mut d| d.read_value_ref().ok()) {
            None | Some(ValueRef::Null) => None,
            Some(ValueRef::String("r")) => Some(QueryType::ReadOnly),
            Some(ValueRef::String("rw")) => Some(QueryType::ReadWrite),
            Some(ValueRef::String("w")) => Some(QueryType::WriteOnly),
            Some(ValueRef::String("s")) => Some(QueryType::SchemaWrite),
            Some(other) => {
                return Err(Error::Protocol(format!(
                    "unexpected query type {:?} in the summary (expected r, w, rw or s)",
                    other.to_owned_value()
                )))
            }
        };
        let counters = match stats {
            Some(d) if d.peek_kind().ok() == Some(packstream::Kind::Map) => Counters::from_stats(d),
            _ => Counters::default(),
        };
        let consumed_after = millis(int(t_last).or_else(|| int(legacy_t_last)));
        Ok(ResultSummary {
            query,
            query_type,
            counters,
            server,
            available_after: millis(run.available_after),
            consumed_after,
            meta: done,
            ctx,
            had_record,
            has_keys: run.has_keys,
            lazy: OnceLock::new(),
        })
    }

    fn lazy(&self) -> &Lazy {
        self.lazy.get_or_init(Box::default)
    }

    fn statuses(&self) -> &Statuses {
        self.lazy().statuses.get_or_init(|| {
            build_statuses(
                meta_view(&self.meta),
                self.ctx,
                self.had_record,
                self.has_keys,
            )
        })
    }

    /// The query and its parameters.
    ///
    /// ```no_run
    /// # async fn demo(s: &mut neo4j::Session) -> Result<(), neo4j::Error> {
    /// let summary = s.run("RETURN $x", neo4j::params! {"x" => 1}).await?.consume().await?;
    /// assert_eq!(summary.query().text(), "RETURN $x");
    /// # Ok(()) }
    /// ```
    pub fn query(&self) -> &Query {
        &self.query
    }

    /// Read, write, read-write or schema.
    ///
    /// ```no_run
    /// # async fn demo(s: &mut neo4j::Session) -> Result<(), neo4j::Error> {
    /// use neo4j::result::QueryType;
    /// let summary = s.run("CREATE ()", neo4j::params! {}).await?.consume().await?;
    /// assert_eq!(summary.query_type(), Some(QueryType::WriteOnly));
    /// # Ok(()) }
    /// ```
    pub fn query_type(&self) -> Option<QueryType> {
        self.query_type
    }

    /// The update counters.
    ///
    /// ```no_run
    /// # async fn demo(s: &mut neo4j::Session) -> Result<(), neo4j::Error> {
    /// let summary = s.run("CREATE (:A)-[:R]->(:B)", neo4j::params! {}).await?.consume().await?;
    /// assert_eq!(summary.counters().nodes_created, 2);
    /// assert!(summary.counters().contains_updates());
    /// # Ok(()) }
    /// ```
    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    /// The plan of an `EXPLAIN`ed query, as the server sent it.
    ///
    /// ```no_run
    /// # async fn demo(s: &mut neo4j::Session) -> Result<(), neo4j::Error> {
    /// let summary = s.run("EXPLAIN MATCH (n) RETURN n", neo4j::params! {}).await?.consume().await?;
    /// println!("{:?}", summary.plan());
    /// # Ok(()) }
    /// ```
    pub fn plan(&self) -> Option<&Value> {
        self.lazy()
            .plan
            .get_or_init(|| {
                meta_view(&self.meta)
                    .get_value("plan")
                    .map(|v| to_value(&v, self.ctx))
            })
            .as_ref()
    }

    /// The profile of a `PROFILE`d query, as the server sent it.
    ///
    /// ```no_run
    /// # async fn demo(s: &mut neo4j::Session) -> Result<(), neo4j::Error> {
    /// let summary = s.run("PROFILE MATCH (n) RETURN n", neo4j::params! {}).await?.consume().await?;
    /// println!("{:?}", summary.profile());
    /// # Ok(()) }
    /// ```
    pub fn profile(&self) -> Option<&Value> {
        self.lazy()
            .profile
            .get_or_init(|| {
                meta_view(&self.meta)
                    .get_value("profile")
                    .map(|v| to_value(&v, self.ctx))
            })
            .as_ref()
    }

    /// Notifications (hints, warnings, deprecations); `None` when the
    /// server sent none at all (before Bolt 5.6 it may omit the entry),
    /// `Some(&[])` when it said there are none. From Bolt 5.6 they are
    /// the GQL status objects that carry a legacy notification code.
    ///
    /// ```no_run
    /// # async fn demo(s: &mut neo4j::Session) -> Result<(), neo4j::Error> {
    /// let summary = s.run("MATCH (a), (b) RETURN a, b", neo4j::params! {}).await?.consume().await?;
    /// for n in summary.notifications().unwrap_or_default() {
    ///     println!("{} {}: {}", n.severity, n.code, n.description);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn notifications(&self) -> Option<&[Notification]> {
        self.statuses().notifications.as_deref()
    }

    /// GQL status objects: as sent from Bolt 5.6 (in the server's order),
    /// before that derived from the notifications and whether records
    /// came (success / no data / omitted result first, then one per
    /// notification: warnings before, information after the outcome).
    ///
    /// ```no_run
    /// # async fn demo(s: &mut neo4j::Session) -> Result<(), neo4j::Error> {
    /// let summary = s.run("RETURN 1", neo4j::params! {}).await?.consume().await?;
    /// for g in summary.gql_status_objects() {
    ///     println!("{} {}", g.gql_status, g.status_description);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn gql_status_objects(&self) -> &[GqlStatusObject] {
        &self.statuses().gql
    }

    /// The server that ran the query.
    ///
    /// ```no_run
    /// # async fn demo(s: &mut neo4j::Session) -> Result<(), neo4j::Error> {
    /// let summary = s.run("RETURN 1", neo4j::params! {}).await?.consume().await?;
    /// println!("{} at {}", summary.server().agent, summary.server().address);
    /// # Ok(()) }
    /// ```
    pub fn server(&self) -> &ServerInfo {
        &self.server
    }

    /// The database the query ran in (Bolt 4.0+).
    ///
    /// ```no_run
    /// # async fn demo(s: &mut neo4j::Session) -> Result<(), neo4j::Error> {
    /// let summary = s.run("RETURN 1", neo4j::params! {}).await?.consume().await?;
    /// println!("ran in {:?}", summary.database());
    /// # Ok(()) }
    /// ```
    pub fn database(&self) -> Option<&str> {
        meta_view(&self.meta).db()
    }

    /// Time until the first record was available (server side).
    ///
    /// ```no_run
    /// # async fn demo(s: &mut neo4j::Session) -> Result<(), neo4j::Error> {
    /// let summary = s.run("RETURN 1", neo4j::params! {}).await?.consume().await?;
    /// println!("first record after {:?}", summary.result_available_after());
    /// # Ok(()) }
    /// ```
    pub fn result_available_after(&self) -> Option<Duration> {
        self.available_after
    }

    /// Time until the last record was consumed (server side).
    ///
    /// ```no_run
    /// # async fn demo(s: &mut neo4j::Session) -> Result<(), neo4j::Error> {
    /// let summary = s.run("RETURN 1", neo4j::params! {}).await?.consume().await?;
    /// println!("consumed after {:?}", summary.result_consumed_after());
    /// # Ok(()) }
    /// ```
    pub fn result_consumed_after(&self) -> Option<Duration> {
        self.consumed_after
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bolt_proto::Version;

    /// The metadata as it arrives: encoded.
    fn enc(m: &Map) -> Vec<u8> {
        let mut buf = Vec::new();
        packstream::encode::write_value(&mut buf, &PsValue::Map(m.clone())).unwrap();
        buf
    }

    fn run_info(run: &Map) -> RunInfo {
        RunInfo {
            available_after: run.get("t_first").and_then(PsValue::as_int),
            has_keys: matches!(run.get("fields"), Some(PsValue::List(l)) if !l.is_empty()),
        }
    }

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
            Arc::new(server),
            run_info(&run),
            enc(&done),
            StructCtx::new(Version::V5_4),
            false,
        )
        .unwrap();
        assert_eq!(s.query_type(), Some(QueryType::WriteOnly));
        assert_eq!(s.counters().nodes_created, 2);
        assert!(s.counters().contains_updates());
        assert_eq!(s.result_available_after(), Some(Duration::from_millis(5)));
        assert_eq!(s.result_consumed_after(), Some(Duration::from_millis(7)));
        assert_eq!(s.database(), Some("testdb"));
        assert_eq!(s.notifications().unwrap()[0].position.unwrap().column, 3);
        assert_eq!(s.query().text(), "CREATE ()");
        // Polyfilled statuses: no records and no keys, then the warning
        // sorted before the outcome.
        let g = s.gql_status_objects();
        assert_eq!(g.len(), 2);
        assert_eq!(g[0].gql_status, "01N42");
        assert_eq!(g[0].severity(), NotificationSeverity::Warning);
        assert_eq!(g[0].position().unwrap().line, 2);
        assert_eq!(g[0].status_description, "warn: unknown warning");
        assert_eq!(g[1].gql_status, "00001");
        assert!(!g[1].is_notification());
        assert_eq!(
            g[1].diagnostic_record.get("OPERATION_CODE"),
            Some(&Value::from("0"))
        );
    }

    fn server() -> ServerInfo {
        ServerInfo {
            address: ServerAddress::new("h", 1),
            agent: "x".into(),
            protocol_version: (5, 6),
        }
    }

    fn summary(run: &Map, done: &Map, had_record: bool) -> Result<ResultSummary, Error> {
        ResultSummary::new(
            Query::new("RETURN 1"),
            Arc::new(server()),
            run_info(run),
            enc(done),
            StructCtx::new(Version::V5_4),
            had_record,
        )
    }

    #[test]
    fn absent_and_empty_notifications_differ() {
        let mut run = Map::new();
        run.insert("fields", PsValue::List(vec![PsValue::from("n")]));
        let s = summary(&run, &Map::new(), true).unwrap();
        assert!(s.notifications().is_none());
        assert_eq!(s.gql_status_objects()[0].gql_status, "00000");
        let mut done = Map::new();
        done.insert("notifications", PsValue::List(vec![]));
        let s = summary(&run, &done, false).unwrap();
        assert_eq!(s.notifications(), Some(&[][..]));
        assert_eq!(s.gql_status_objects()[0].gql_status, "02000");
    }

    #[test]
    fn invalid_query_type_is_an_error() {
        let mut done = Map::new();
        done.insert("type", "wr");
        assert!(matches!(
            summary(&Map::new(), &done, false),
            Err(Error::Protocol(_))
        ));
    }

    #[test]
    fn statuses_give_notifications_and_defaults() {
        let mut diag = Map::new();
        diag.insert("_severity", "WARNING");
        diag.insert("_classification", "GENERIC");
        diag.insert("OPERATION", PsValue::Null);
        let mut note = Map::new();
        note.insert("gql_status", "01N01");
        note.insert("status_description", "warn: x");
        note.insert("neo4j_code", "Neo.ClientNotification.Foo.Bar");
        note.insert("description", "don't");
        note.insert("diagnostic_record", PsValue::Map(diag));
        let mut ok = Map::new();
        ok.insert("gql_status", "00000");
        ok.insert("status_description", "note: successful completion");
        let mut done = Map::new();
        done.insert(
            "statuses",
            PsValue::List(vec![PsValue::Map(ok), PsValue::Map(note)]),
        );
        let s = summary(&Map::new(), &done, false).unwrap();
        let n = s.notifications().unwrap();
        assert_eq!(n.len(), 1);
        assert_eq!(n[0].code, "Neo.ClientNotification.Foo.Bar");
        assert_eq!(n[0].description, "don't");
        assert_eq!(n[0].category_level(), Some(NotificationCategory::Generic));
        let g = s.gql_status_objects();
        assert_eq!(g[0].gql_status, "00000");
        assert_eq!(
            g[0].diagnostic_record.get("CURRENT_SCHEMA"),
            Some(&Value::from("/"))
        );
        // A null sent by the server is kept.
        assert_eq!(g[1].diagnostic_record.get("OPERATION"), Some(&Value::Null));
        assert_eq!(
            g[1].diagnostic_record.get("OPERATION_CODE"),
            Some(&Value::from("0"))
        );
        assert_eq!(g[1].classification(), Some(NotificationCategory::Generic));
        assert_eq!(g[1].severity(), NotificationSeverity::Warning);
    }
}
