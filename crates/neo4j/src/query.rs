//! A query with its parameters ([`Query`]), and the one-call API
//! [`Driver::execute_query`](crate::Driver::execute_query)
//! ([`ExecuteQuery`], [`EagerResult`], [`RoutingControl`]).
//!
//! `execute_query` runs in a managed transaction (retried on transient
//! errors) and chains bookmarks between calls through the driver's
//! execute-query bookmark manager, like the official drivers.

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::Arc;

use crate::auth::AuthToken;
use crate::bookmark_manager::BookmarkManager;
use crate::driver::Driver;
use crate::error::Error;
use crate::params::Params;
use crate::record::Record;
use crate::result::ResultSummary;
use crate::session::{AccessMode, SessionConfig};
use crate::transaction::TransactionConfig;
use crate::value::Value;

/// A query text and its parameters.
///
/// ```
/// use neo4j::Query;
/// let q = Query::new("MATCH (p:Person {name: $name}) RETURN p").param("name", "Ann");
/// assert_eq!(q.text(), "MATCH (p:Person {name: $name}) RETURN p");
/// assert_eq!(q.params().len(), 1);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    text: String,
    params: Params,
}

impl Query {
    /// A query without parameters.
    ///
    /// ```
    /// let q = neo4j::Query::new("RETURN 1");
    /// assert!(q.params().is_empty());
    /// ```
    pub fn new(text: impl Into<String>) -> Query {
        Query {
            text: text.into(),
            params: Params::new(),
        }
    }

    /// Adds one parameter.
    ///
    /// ```
    /// let q = neo4j::Query::new("RETURN $a + $b").param("a", 1).param("b", 2);
    /// assert_eq!(q.params().len(), 2);
    /// ```
    pub fn param(mut self, name: impl Into<String>, value: impl Into<Value>) -> Query {
        self.params.insert(name, value);
        self
    }

    /// Replaces the parameters.
    ///
    /// ```
    /// let q = neo4j::Query::new("RETURN $a").with_params(neo4j::params! {"a" => 1});
    /// assert_eq!(q.params().len(), 1);
    /// ```
    pub fn with_params(mut self, params: impl Into<Params>) -> Query {
        self.params = params.into();
        self
    }

    /// The query text.
    ///
    /// ```
    /// assert_eq!(neo4j::Query::from("RETURN 1").text(), "RETURN 1");
    /// ```
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The parameters.
    ///
    /// ```
    /// let q = neo4j::Query::new("RETURN $x").param("x", "y");
    /// assert_eq!(q.params().len(), 1);
    /// ```
    pub fn params(&self) -> &Params {
        &self.params
    }

    /// Lends the text out (to a RUN being encoded); see
    /// [`put_text`](Self::put_text).
    pub(crate) fn take_text(&mut self) -> String {
        std::mem::take(&mut self.text)
    }

    /// Takes the text back after [`take_text`](Self::take_text).
    pub(crate) fn put_text(&mut self, text: String) {
        self.text = text;
    }

    pub(crate) fn into_parts(self) -> (String, Params) {
        (self.text, self.params)
    }
}

impl From<&str> for Query {
    fn from(s: &str) -> Query {
        Query::new(s)
    }
}

impl From<String> for Query {
    fn from(s: String) -> Query {
        Query::new(s)
    }
}

/// Whether `execute_query` reads or writes (which server of a cluster it
/// goes to; a direct driver uses its one server either way).
///
/// ```no_run
/// # async fn demo(driver: neo4j::Driver) -> Result<(), neo4j::Error> {
/// let r = driver
///     .execute_query("MATCH (n) RETURN count(n) AS c")
///     .routing(neo4j::RoutingControl::Read)
///     .await?;
/// # let _ = r; Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RoutingControl {
    /// Writers (the default).
    #[default]
    Write,
    /// Readers.
    Read,
}

/// All records of a query, its keys and summary.
///
/// ```no_run
/// # async fn demo(driver: neo4j::Driver) -> Result<(), neo4j::Error> {
/// let neo4j::EagerResult { keys, records, summary, .. } =
///     driver.execute_query("UNWIND [1, 2] AS x RETURN x").await?;
/// assert_eq!(keys, ["x"]);
/// assert_eq!(records.len(), 2);
/// println!("{:?}", summary.result_available_after());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct EagerResult {
    /// The column names.
    pub keys: Vec<String>,
    /// Every record.
    pub records: Vec<Record>,
    /// The summary.
    pub summary: ResultSummary,
}

/// A query waiting to be run by [`Driver::execute_query`]; set options,
/// then `.run().await` (or just `.await`).
///
/// ```no_run
/// # async fn demo(driver: neo4j::Driver) -> Result<(), neo4j::Error> {
/// use neo4j::{params, RoutingControl};
/// let result = driver
///     .execute_query("MATCH (p:Person) WHERE p.age > $min RETURN p.name AS name")
///     .params(params! {"min" => 30})
///     .database("testdb")
///     .routing(RoutingControl::Read)
///     .run()
///     .await?;
/// for r in &result.records {
///     println!("{}", r.get::<String>("name")?);
/// }
/// # Ok(()) }
/// ```
#[must_use = "call .run().await to execute the query"]
pub struct ExecuteQuery {
    driver: Driver,
    query: Query,
    database: Option<String>,
    imp_user: Option<String>,
    routing: RoutingControl,
    tx_config: TransactionConfig,
    bookmark_manager: Option<Arc<dyn BookmarkManager>>,
    auth: Option<AuthToken>,
}

impl std::fmt::Debug for ExecuteQuery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExecuteQuery")
            .field("query", &self.query)
            .field("database", &self.database)
            .field("imp_user", &self.imp_user)
            .field("routing", &self.routing)
            .field("tx_config", &self.tx_config)
            .field("bookmark_manager", &self.bookmark_manager.is_some())
            .field("auth", &self.auth)
            .finish()
    }
}

impl ExecuteQuery {
    pub(crate) fn new(driver: Driver, query: Query) -> ExecuteQuery {
        ExecuteQuery {
            bookmark_manager: Some(driver.execute_query_bookmark_manager()),
            driver,
            query,
            database: None,
            imp_user: None,
            routing: RoutingControl::Write,
            tx_config: TransactionConfig::default(),
            auth: None,
        }
    }

    /// Runs as another user: the connection logs on with `auth` (see
    /// [`SessionConfig::with_auth`]; Bolt 5.1+).
    ///
    /// ```no_run
    /// # async fn demo(driver: neo4j::Driver) -> Result<(), neo4j::Error> {
    /// let r = driver
    ///     .execute_query("RETURN 1")
    ///     .auth(neo4j::AuthToken::basic_auth("reporting", "pw"))
    ///     .await?;
    /// # let _ = r;
    /// # Ok(()) }
    /// ```
    pub fn auth(mut self, auth: impl Into<AuthToken>) -> Self {
        self.auth = Some(auth.into());
        self
    }

    /// Sets the parameters.
    ///
    /// ```no_run
    /// # async fn demo(driver: neo4j::Driver) -> Result<(), neo4j::Error> {
    /// let r = driver.execute_query("RETURN $a AS a").params(neo4j::params! {"a" => 1}).await?;
    /// # let _ = r;
    /// # Ok(()) }
    /// ```
    pub fn params(mut self, params: impl Into<Params>) -> Self {
        self.query = self.query.with_params(params);
        self
    }

    /// Adds one parameter.
    ///
    /// ```no_run
    /// # async fn demo(driver: neo4j::Driver) -> Result<(), neo4j::Error> {
    /// let r = driver.execute_query("RETURN $a AS a").param("a", 1).await?;
    /// # let _ = r;
    /// # Ok(()) }
    /// ```
    pub fn param(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.query = self.query.param(name, value);
        self
    }

    /// The database to use (default: the server's default database).
    ///
    /// ```no_run
    /// # async fn demo(driver: neo4j::Driver) -> Result<(), neo4j::Error> {
    /// let r = driver.execute_query("RETURN 1").database("testdb").await?;
    /// # let _ = r;
    /// # Ok(()) }
    /// ```
    pub fn database(mut self, database: impl Into<String>) -> Self {
        self.database = Some(database.into());
        self
    }

    /// Runs as this user (Bolt 4.4+).
    ///
    /// ```no_run
    /// # async fn demo(driver: neo4j::Driver) -> Result<(), neo4j::Error> {
    /// let r = driver.execute_query("RETURN 1").impersonated_user("jane").await?;
    /// # let _ = r;
    /// # Ok(()) }
    /// ```
    pub fn impersonated_user(mut self, user: impl Into<String>) -> Self {
        self.imp_user = Some(user.into());
        self
    }

    /// Read or write.
    ///
    /// ```no_run
    /// # async fn demo(driver: neo4j::Driver) -> Result<(), neo4j::Error> {
    /// let r = driver.execute_query("RETURN 1").routing(neo4j::RoutingControl::Read).await?;
    /// # let _ = r;
    /// # Ok(()) }
    /// ```
    pub fn routing(mut self, routing: RoutingControl) -> Self {
        self.routing = routing;
        self
    }

    /// Transaction metadata (shown by the server's `SHOW TRANSACTIONS`).
    ///
    /// ```no_run
    /// # async fn demo(driver: neo4j::Driver) -> Result<(), neo4j::Error> {
    /// let r = driver.execute_query("RETURN 1").metadata(neo4j::params! {"app" => "demo"}).await?;
    /// # let _ = r;
    /// # Ok(()) }
    /// ```
    pub fn metadata(mut self, metadata: impl Into<Params>) -> Self {
        self.tx_config = self.tx_config.with_metadata(metadata);
        self
    }

    /// The server-side transaction timeout.
    ///
    /// ```no_run
    /// # async fn demo(driver: neo4j::Driver) -> Result<(), neo4j::Error> {
    /// let r = driver.execute_query("RETURN 1").timeout(std::time::Duration::from_secs(5)).await?;
    /// # let _ = r;
    /// # Ok(()) }
    /// ```
    pub fn timeout(mut self, timeout: std::time::Duration) -> Self {
        self.tx_config = self.tx_config.with_timeout(timeout);
        self
    }

    /// Replaces the transaction configuration (metadata and timeout).
    ///
    /// ```no_run
    /// # async fn demo(driver: neo4j::Driver) -> Result<(), neo4j::Error> {
    /// let cfg = neo4j::TransactionConfig::new().with_timeout(std::time::Duration::from_secs(1));
    /// let r = driver.execute_query("RETURN 1").transaction_config(cfg).await?;
    /// # let _ = r;
    /// # Ok(()) }
    /// ```
    pub fn transaction_config(mut self, config: TransactionConfig) -> Self {
        self.tx_config = config;
        self
    }

    /// The bookmark manager chaining this query with other work: by
    /// default the driver's
    /// [`execute_query_bookmark_manager`](Driver::execute_query_bookmark_manager);
    /// `None` runs it without waiting for (or recording) any bookmark.
    ///
    /// ```no_run
    /// # async fn demo(driver: neo4j::Driver) -> Result<(), neo4j::Error> {
    /// use neo4j::{BookmarkManagerConfig, GraphDatabase};
    /// let own = GraphDatabase::bookmark_manager(BookmarkManagerConfig::default());
    /// driver.execute_query("CREATE ()").bookmark_manager(Some(own)).await?;
    /// driver.execute_query("RETURN 1").bookmark_manager(None).await?;
    /// # Ok(()) }
    /// ```
    pub fn bookmark_manager(mut self, manager: Option<Arc<dyn BookmarkManager>>) -> Self {
        self.bookmark_manager = manager;
        self
    }

    /// Runs the query in a managed transaction and returns all of its
    /// records.
    ///
    /// # Errors
    /// The first non-retryable error, or the last retryable one once
    /// `max_retry_time` has passed.
    ///
    /// ```no_run
    /// # async fn demo(driver: neo4j::Driver) -> Result<(), neo4j::Error> {
    /// let result = driver.execute_query("RETURN 1 AS n").run().await?;
    /// assert_eq!(result.records[0].get::<i64>("n")?, 1);
    /// # Ok(()) }
    /// ```
    pub async fn run(self) -> Result<EagerResult, Error> {
        let mut cfg = SessionConfig::new();
        if let Some(manager) = self.bookmark_manager {
            cfg = cfg.with_bookmark_manager(manager);
        }
        if let Some(db) = self.database {
            cfg = cfg.with_database(db);
        }
        if let Some(u) = self.imp_user {
            cfg = cfg.with_impersonated_user(u);
        }
        if let Some(a) = self.auth {
            cfg = cfg.with_auth(a);
        }
        let mode = match self.routing {
            RoutingControl::Write => AccessMode::Write,
            RoutingControl::Read => AccessMode::Read,
        };
        let mut session = self.driver.session(cfg).for_execute_query();
        let query = self.query;
        let work = |tx: crate::transaction::ManagedTransaction| {
            let query = query.clone();
            async move {
                let (text, params) = query.into_parts();
                tx.run(text, params).await?.into_eager().await
            }
        };
        let out = session
            .execute_with_config(mode, self.tx_config, work)
            .await?;
        session.close().await?;
        Ok(out)
    }
}

impl IntoFuture for ExecuteQuery {
    type Output = Result<EagerResult, Error>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.run())
    }
}
