//! Sessions: sequences of causally chained units of work.
//!
//! Owns [`SessionConfig`], [`Session`] and [`AccessMode`]. A session
//! borrows a connection from the driver's pool for each unit of work
//! (auto-commit query, explicit or managed transaction) and gives it back
//! when the work ends; it carries bookmarks from each commit to the next
//! transaction. Results and transactions live in their own modules; the
//! connection a unit of work holds is a `slot::Slot`.

pub(crate) mod slot;

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use bolt_proto::message::Telemetry;

use crate::auth::AuthToken;
use crate::bookmark_manager::BookmarkManager;
use crate::bookmarks::Bookmarks;
use crate::config::{check_fetch_size, ConfigError, NotificationFilter};
use crate::driver::provider::AcquireRequest;
use crate::driver::Driver;
use crate::error::Error;
use crate::params::Params;
use crate::query::Query;
use crate::result::{start, Link, RecordStream};
use crate::retry::{random_jitter, RetryDecision, RetryPolicy};
use crate::routing::{home_db_key, HomeDbKey};
use crate::transaction::{ManagedTransaction, Transaction, TransactionConfig};
use slot::{Slot, TxContext, TxState};

/// Whether work reads or writes (which cluster member serves it; a direct
/// driver sends both to its one server, with the mode for the server).
///
/// ```
/// use neo4j::{AccessMode, SessionConfig};
/// let readers = SessionConfig::new().with_default_access_mode(AccessMode::Read);
/// assert_eq!(readers.default_access_mode(), AccessMode::Read);
/// assert_eq!(AccessMode::default(), AccessMode::Write);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum AccessMode {
    /// Reads.
    Read,
    /// Writes (the default).
    #[default]
    Write,
}

/// Options of one session.
///
/// ```
/// use neo4j::{AccessMode, Bookmarks, SessionConfig};
/// let cfg = SessionConfig::new()
///     .with_database("testdb")
///     .with_default_access_mode(AccessMode::Read)
///     .with_fetch_size(500)
///     .with_bookmarks(Bookmarks::from_raw_values(["bm:1"]));
/// assert_eq!(cfg.database(), Some("testdb"));
/// ```
#[derive(Debug, Clone, Default)]
pub struct SessionConfig {
    database: Option<String>,
    mode: AccessMode,
    bookmarks: Bookmarks,
    fetch_size: Option<i64>,
    imp_user: Option<String>,
    notification_filter: Option<NotificationFilter>,
    bookmark_manager: ManagerRef,
    auth: Option<AuthToken>,
}

/// A session's bookmark manager, if any (a wrapper so the config stays
/// `Debug`).
#[derive(Clone, Default)]
struct ManagerRef(Option<Arc<dyn BookmarkManager>>);

impl std::fmt::Debug for ManagerRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() { "Some(..)" } else { "None" })
    }
}

impl SessionConfig {
    /// The defaults: server's default database, write mode, no bookmarks,
    /// the driver's fetch size.
    ///
    /// ```
    /// use neo4j::SessionConfig;
    /// let cfg = SessionConfig::new();
    /// assert_eq!(cfg.database(), None);
    /// ```
    pub fn new() -> SessionConfig {
        SessionConfig::default()
    }

    /// The database to use (Bolt 4.0+). Must not be empty or blank (leave
    /// it unset for the user's home database): the session's first call
    /// fails with [`Error::Configuration`] naming `database`.
    ///
    /// ```
    /// use neo4j::SessionConfig;
    /// assert_eq!(SessionConfig::new().with_database("testdb").database(), Some("testdb"));
    /// ```
    pub fn with_database(mut self, database: impl Into<String>) -> Self {
        self.database = Some(database.into());
        self
    }

    /// The access mode of [`Session::run`] and
    /// [`Session::begin_transaction`].
    ///
    /// ```
    /// use neo4j::SessionConfig;
    /// let cfg = SessionConfig::new().with_default_access_mode(neo4j::AccessMode::Read);
    /// assert_eq!(cfg.default_access_mode(), neo4j::AccessMode::Read);
    /// ```
    pub fn with_default_access_mode(mut self, mode: AccessMode) -> Self {
        self.mode = mode;
        self
    }

    /// Bookmarks the first transaction waits for.
    ///
    /// ```
    /// use neo4j::SessionConfig;
    /// let cfg = SessionConfig::new().with_bookmarks(neo4j::Bookmarks::from_raw_values(["bm:1"]));
    /// # let _ = cfg;
    /// ```
    pub fn with_bookmarks(mut self, bookmarks: Bookmarks) -> Self {
        self.bookmarks = bookmarks;
        self
    }

    /// Records per batch (positive, or -1 for all); default: the driver's.
    /// Another value (0, or negative other than -1) fails the session's
    /// first call with [`Error::Configuration`] naming `fetch_size`.
    ///
    /// ```
    /// use neo4j::SessionConfig;
    /// let all_at_once = SessionConfig::new().with_fetch_size(neo4j::FETCH_ALL);
    /// let small_batches = SessionConfig::new().with_fetch_size(100);
    /// # let _ = (all_at_once, small_batches);
    /// ```
    pub fn with_fetch_size(mut self, fetch_size: i64) -> Self {
        self.fetch_size = Some(fetch_size);
        self
    }

    /// Runs everything as this user (Bolt 4.4+). Must not be empty or
    /// blank: the session's first call fails with
    /// [`Error::Configuration`] naming `impersonated_user`.
    ///
    /// ```
    /// use neo4j::SessionConfig;
    /// let cfg = SessionConfig::new().with_impersonated_user("jane");
    /// # let _ = cfg;
    /// ```
    pub fn with_impersonated_user(mut self, user: impl Into<String>) -> Self {
        self.imp_user = Some(user.into());
        self
    }

    /// Which notifications the server should send for this session's
    /// work (Bolt 5.2+; sent with each BEGIN and auto-commit RUN), in place
    /// of the driver's [`Config::notification_filter`](crate::Config::notification_filter).
    ///
    /// ```
    /// use neo4j::{MinimumSeverity, NotificationCategory, NotificationFilter, SessionConfig};
    /// let cfg = SessionConfig::new().with_notification_filter(
    ///     NotificationFilter::default()
    ///         .with_minimum_severity(MinimumSeverity::Warning)
    ///         .with_disabled_categories([NotificationCategory::Hint]),
    /// );
    /// assert!(cfg.notification_filter().is_some());
    /// ```
    pub fn with_notification_filter(mut self, filter: NotificationFilter) -> Self {
        self.notification_filter = Some(filter);
        self
    }

    /// Shares bookmarks with other sessions through `manager`: each
    /// transaction waits for the session's bookmarks and the manager's,
    /// and each commit updates the manager.
    ///
    /// ```
    /// use neo4j::{BookmarkManagerConfig, GraphDatabase, SessionConfig};
    /// let manager = GraphDatabase::bookmark_manager(BookmarkManagerConfig::default());
    /// let a = SessionConfig::new().with_bookmark_manager(manager.clone());
    /// let b = SessionConfig::new().with_bookmark_manager(manager);
    /// assert!(a.bookmark_manager().is_some() && b.bookmark_manager().is_some());
    /// ```
    pub fn with_bookmark_manager(mut self, manager: Arc<dyn BookmarkManager>) -> Self {
        self.bookmark_manager = ManagerRef(Some(manager));
        self
    }

    /// Runs the session's work as another user: its connections log on
    /// with `auth` instead of the driver's credentials (user switching).
    /// Needs Bolt 5.1+, where a pooled connection switches user with
    /// LOGOFF / LOGON; on older servers the session's work fails with
    /// [`Error::Unsupported`]. The driver's auth token manager is not
    /// consulted for this session's connections.
    ///
    /// ```
    /// use neo4j::{AuthToken, SessionConfig};
    /// let cfg = SessionConfig::new().with_auth(AuthToken::basic_auth("reporting", "pw"));
    /// assert_eq!(cfg.auth().unwrap().principal(), Some("reporting"));
    /// ```
    pub fn with_auth(mut self, auth: impl Into<AuthToken>) -> Self {
        self.auth = Some(auth.into());
        self
    }

    /// The session's own credentials, if set.
    ///
    /// ```
    /// assert!(neo4j::SessionConfig::new().auth().is_none());
    /// ```
    pub fn auth(&self) -> Option<&AuthToken> {
        self.auth.as_ref()
    }

    /// The session's bookmark manager, if set.
    ///
    /// ```
    /// assert!(neo4j::SessionConfig::new().bookmark_manager().is_none());
    /// ```
    pub fn bookmark_manager(&self) -> Option<&Arc<dyn BookmarkManager>> {
        self.bookmark_manager.0.as_ref()
    }

    /// The session's notification filter, if set.
    ///
    /// ```
    /// assert!(neo4j::SessionConfig::new().notification_filter().is_none());
    /// ```
    pub fn notification_filter(&self) -> Option<&NotificationFilter> {
        self.notification_filter.as_ref()
    }

    /// The database, if set.
    ///
    /// ```
    /// assert_eq!(neo4j::SessionConfig::new().database(), None);
    /// ```
    pub fn database(&self) -> Option<&str> {
        self.database.as_deref()
    }

    /// The default access mode.
    ///
    /// ```
    /// use neo4j::{AccessMode, SessionConfig};
    /// assert_eq!(SessionConfig::new().default_access_mode(), AccessMode::Write);
    /// ```
    pub fn default_access_mode(&self) -> AccessMode {
        self.mode
    }

    /// The first invalid value, naming its option (the setter without
    /// `with_`). The official drivers' builders refuse such fetch sizes
    /// (e.g. .NET's `WithFetchSize`); an empty database name, which some
    /// of them read as the default database, is refused rather than
    /// guessed at.
    fn check(&self) -> Result<(), ConfigError> {
        if let Some(db) = self.database.as_deref().filter(|d| d.trim().is_empty()) {
            return Err(ConfigError::new(
                "database",
                format!("got {db:?}; leave it unset for the home database"),
            ));
        }
        if let Some(n) = self.fetch_size {
            check_fetch_size(n)?;
        }
        if let Some(user) = self.imp_user.as_deref().filter(|u| u.trim().is_empty()) {
            return Err(ConfigError::new(
                "impersonated_user",
                format!("got {user:?}; must name a user"),
            ));
        }
        Ok(())
    }
}

/// A sequence of units of work with causal chaining (bookmarks).
///
/// Not thread-safe by design (`&mut self` everywhere): use one session per
/// task; the driver is what is shared.
///
/// Cancellation: any of its futures may be dropped (e.g. by
/// `tokio::time::timeout`). One dropped while the server works on its
/// query leaves that query to the session's next call (or `close`), which
/// RESETs the connection first: the server stops the query (an auto-commit
/// write may or may not have been applied; its outcome is not reported),
/// and nothing of it reaches later queries. A session dropped instead
/// gives its connection back, and the pool RESETs it in the background. A
/// result merely dropped, not cancelled mid-wait, is discarded (DISCARD),
/// so that its query completes.
///
/// ```no_run
/// use neo4j::{params, Config, GraphDatabase, SessionConfig};
/// # async fn demo() -> Result<(), neo4j::Error> {
/// let driver = GraphDatabase::driver("bolt://localhost:7687", Config::default())?;
/// let mut session = driver.session(SessionConfig::new().with_database("testdb"));
/// session.run("CREATE (:Person {name: $n})", params! {"n" => "Ann"}).await?.consume().await?;
/// let count: i64 = session
///     .run("MATCH (p:Person) RETURN count(p) AS c", params! {})
///     .await?
///     .single()
///     .await?
///     .get("c")?;
/// println!("{count}");
/// session.close().await?;
/// # Ok(()) }
/// ```
pub struct Session {
    driver: Driver,
    config: SessionConfig,
    bookmarks: Bookmarks,
    /// What the current unit of work waits for: the session's bookmarks
    /// and its manager's (what a commit supersedes in the manager).
    sent: Bookmarks,
    fetch_size: i64,
    slot: Slot,
    /// The TELEMETRY API code of managed transactions run by this session
    /// (`execute_query` says it is the driver-level API).
    managed_api: i64,
    /// `config.database` is a guess from the driver's home-database cache
    /// (Bolt 5.8): work is routed with it but sent without a database
    /// until a server names the home database.
    guessed_db: bool,
    /// The cell managed transactions share their slot through, kept for
    /// the next one once no handle holds it.
    tx_cell: Option<Arc<tokio::sync::Mutex<Slot>>>,
    /// The config's first invalid value: every unit of work fails with it.
    invalid: Option<ConfigError>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("config", &self.config)
            .field("bookmarks", &self.bookmarks)
            .field("holds_connection", &self.slot.conn.is_some())
            .finish()
    }
}

impl Drop for Session {
    /// A session dropped without `close` still hands the home database a
    /// server named to the driver's cache.
    fn drop(&mut self) {
        self.take_resolved_db();
    }
}

impl Session {
    pub(crate) fn new(driver: Driver, config: SessionConfig) -> Session {
        let invalid = config.check().err();
        let fetch_size = config
            .fetch_size
            .filter(|_| invalid.is_none())
            .unwrap_or_else(|| driver.config().fetch_size());
        Session {
            invalid,
            bookmarks: config.bookmarks.clone(),
            sent: Bookmarks::new(),
            driver,
            config,
            fetch_size,
            slot: Slot::default(),
            managed_api: Telemetry::MANAGED_TRANSACTION,
            guessed_db: false,
            tx_cell: None,
        }
    }

    /// Marks the session as `execute_query`'s: its managed transactions
    /// report the driver-level API in TELEMETRY.
    pub(crate) fn for_execute_query(mut self) -> Self {
        self.managed_api = Telemetry::DRIVER_LEVEL;
        self
    }

    /// Owes a TELEMETRY with `api` for the next unit of work, unless the
    /// config disables telemetry.
    fn note_api(&mut self, api: i64) {
        self.slot.telemetry = (!self.driver.config().telemetry_disabled()).then_some(api);
    }

    /// The bookmarks after the last commit of this session (or the initial
    /// ones if nothing was committed yet).
    ///
    /// It does not wait for the network, so it does not finish an
    /// auto-commit result dropped before its end: until the session's next
    /// call (`run`, `begin_transaction`, `execute_*`, `close`) finishes it,
    /// that query's bookmark is not known and the bookmarks from before it
    /// are returned; if that query failed, nothing is reported here and the
    /// next call returns the failure (the bookmarks stay those from before
    /// it). Either way the session's own next unit of work waits for the
    /// dropped query's commit. To hand a query's bookmark to another
    /// session, finish its result (e.g. [`consume`](crate::RecordStream::consume))
    /// before calling this, as below.
    ///
    /// ```no_run
    /// # async fn demo(driver: neo4j::Driver) -> Result<(), neo4j::Error> {
    /// use neo4j::SessionConfig;
    /// let mut a = driver.session(SessionConfig::new().with_database("testdb"));
    /// a.run("CREATE (:Marker)", neo4j::params! {}).await?.consume().await?;
    /// let mut b = driver.session(
    ///     SessionConfig::new().with_database("testdb").with_bookmarks(a.last_bookmarks()),
    /// );
    /// // b's first transaction sees a's write.
    /// # Ok(()) }
    /// ```
    pub fn last_bookmarks(&self) -> Bookmarks {
        match self.slot.new_bookmark.get() {
            Some(b) => Bookmarks::single(b.to_owned()),
            None => self.bookmarks.clone(),
        }
    }

    /// Takes the bookmark of the last commit (an empty one changes
    /// nothing) and hands it to the bookmark manager.
    fn take_bookmark(&mut self) {
        let Some(b) = self.slot.new_bookmark.take().filter(|b| !b.is_empty()) else {
            return;
        };
        // Shared from here on: the next unit of work sends it without
        // copying (and an unchanged bookmark is not stored again).
        if self.bookmarks.is_single(&b) {
            self.slot.new_bookmark.recycle(b);
        } else {
            if self.config.bookmark_manager.0.is_none() {
                // `sent` (needed only for the manager's update, and set
                // again before the next unit of work) shares the old
                // bookmarks: without it they can be overwritten in place.
                self.sent = Bookmarks::new();
            }
            if let Some(old) = self.bookmarks.replace_single(b) {
                self.slot.new_bookmark.recycle(old);
            }
        }
        if let Some(manager) = &self.config.bookmark_manager.0 {
            manager.update_bookmarks(&self.sent, &self.bookmarks);
        }
    }

    /// The bookmarks the next unit of work waits for.
    fn bookmarks_to_send(&self) -> Bookmarks {
        match &self.config.bookmark_manager.0 {
            Some(manager) => self.bookmarks.clone() + manager.get_bookmarks(),
            None => self.bookmarks.clone(),
        }
    }

    /// What BEGIN / auto-commit RUN send besides the query (a function of
    /// the fields it reads, so the slot stays free to be borrowed).
    fn tx_context<'a>(
        session: &'a SessionConfig,
        sent: &'a Bookmarks,
        guessed_db: bool,
        mode: AccessMode,
        config: &'a TransactionConfig,
    ) -> TxContext<'a> {
        TxContext {
            bookmarks: sent,
            write: mode == AccessMode::Write,
            // A guessed home database is not sent: the server resolves the
            // home database itself (and names it in its answer).
            database: if guessed_db {
                None
            } else {
                session.database.as_deref()
            },
            imp_user: session.imp_user.as_deref(),
            config,
            notifications: session.notification_filter.as_ref(),
        }
    }

    /// Finishes what earlier work left behind (an abandoned result, a
    /// dropped transaction) and makes sure a connection is held.
    async fn prepare(&mut self, mode: AccessMode) -> Result<(), Error> {
        if let Some(e) = &self.invalid {
            return Err(Error::Configuration(e.clone()));
        }
        // The common case (nothing left behind, no connection held, a
        // direct driver: no routing, no home-database lookup) is the
        // general path below without the parts that cannot happen; it
        // stays small, as it is embedded in every query's future. The
        // rest runs boxed.
        if self.slot.tx != TxState::None || self.slot.conn.is_some() || self.driver.is_routing() {
            return Box::pin(self.prepare_general(mode)).await;
        }
        self.take_bookmark();
        self.take_resolved_db();
        let conn = self.acquire(mode, &[], None).await?;
        self.hold(conn);
        self.sent = self.bookmarks_to_send();
        self.slot.saw_retryable = false;
        Ok(())
    }

    /// A connection just acquired becomes the slot's.
    fn hold(&mut self, conn: bolt_pool::PooledConnection) {
        self.slot.conn = Some(conn);
        self.slot.route = self.driver.route_hook(self.config.database.as_deref());
        self.slot.auth = self.driver.auth_for(self.config.auth.as_ref()).hook();
    }

    /// [`prepare`](Self::prepare) in general.
    async fn prepare_general(&mut self, mode: AccessMode) -> Result<(), Error> {
        if self.slot.tx != TxState::None {
            // A transaction was dropped without commit or rollback.
            tracing::debug!("rolling back a dropped transaction");
            if let Err(e) = self.rollback_dropped().await {
                // The user let go of the transaction; the new work goes on.
                tracing::debug!(error = %e, "rolling back a dropped transaction failed");
            }
        }
        if self.slot.conn.is_some() {
            self.slot.drain().await?;
            if let Some(c) = &self.slot.conn {
                if !c.is_ready() {
                    self.slot.release().await;
                }
            }
        }
        self.take_bookmark();
        self.take_resolved_db();
        if self.slot.conn.is_none() {
            // Only a routing driver uses bookmarks to get a connection (in
            // ROUTE); the manager is asked again for BEGIN / RUN below, as
            // the official drivers do.
            let bookmarks = if self.driver.is_routing() {
                self.bookmarks_to_send()
            } else {
                Bookmarks::new()
            };
            let bookmarks = bookmarks.as_slice();
            // Resolving the home database and acquiring share one
            // acquisition timeout (routing drivers).
            let deadline = self.driver.acquisition_deadline();
            if self.config.database.is_none() {
                self.resolve_home_database(bookmarks, true, deadline)
                    .await?;
            }
            let conn = match self.acquire(mode, bookmarks, deadline).await {
                Err(e) if self.guessed_db && !matches!(e, Error::DriverClosed) => {
                    // The cached home database could not be routed (gone,
                    // unreachable): forget it and ask the cluster.
                    tracing::debug!(error = %e, guess = ?self.config.database, "routing with the cached home database failed");
                    self.driver.forget_home_db(&self.home_db_key());
                    self.resolve_home_database(bookmarks, false, deadline)
                        .await?;
                    self.acquire(mode, bookmarks, deadline).await?
                }
                r => r?,
            };
            self.hold(conn);
        }
        self.sent = self.bookmarks_to_send();
        self.slot.saw_retryable = false;
        Ok(())
    }

    /// Who this session's home database belongs to (the driver's cache
    /// key). Sessions have no auth of their own yet: the second argument
    /// is where a session-level auth token goes.
    fn home_db_key(&self) -> HomeDbKey {
        home_db_key(self.config.imp_user.as_deref(), self.config.auth.as_ref())
    }

    /// Pins the session's home database (routing drivers; direct drivers
    /// leave it to the server): the cached one as a guess when `may_guess`
    /// and the driver allows it, else the one the cluster names, which is
    /// cached.
    async fn resolve_home_database(
        &mut self,
        bookmarks: &[String],
        may_guess: bool,
        deadline: Option<tokio::time::Instant>,
    ) -> Result<(), Error> {
        let key = self.home_db_key();
        if may_guess {
            if let Some(db) = self.driver.home_db_guess(&key) {
                tracing::debug!(database = %db, "routing with the cached home database");
                self.config.database = Some(db);
                self.guessed_db = true;
                return Ok(());
            }
        }
        self.guessed_db = false;
        self.config.database = self
            .driver
            .resolve_home_database(
                self.config.imp_user.as_deref(),
                bookmarks,
                self.config.auth.as_ref(),
                deadline,
            )
            .await?;
        if let Some(db) = &self.config.database {
            self.driver.learn_home_db(key, db);
        }
        Ok(())
    }

    /// Takes the database a server named for the last unit of work: it
    /// pins a guessed home database (and updates the driver's cache).
    fn take_resolved_db(&mut self) {
        let Some(db) = self.slot.resolved_db.take() else {
            return;
        };
        if self.guessed_db {
            tracing::debug!(database = %db, guess = ?self.config.database, "the server named the home database");
            self.driver.learn_home_db(self.home_db_key(), &db);
            self.config.database = Some(db);
            self.guessed_db = false;
        }
    }

    async fn acquire(
        &self,
        mode: AccessMode,
        bookmarks: &[String],
        deadline: Option<tokio::time::Instant>,
    ) -> Result<bolt_pool::PooledConnection, Error> {
        self.driver
            .acquire(AcquireRequest {
                mode: match mode {
                    AccessMode::Read => bolt_proto::message::AccessMode::Read,
                    AccessMode::Write => bolt_proto::message::AccessMode::Write,
                },
                database: self.config.database.as_deref(),
                bookmarks,
                imp_user: self.config.imp_user.as_deref(),
                auth: self.driver.auth_for(self.config.auth.as_ref()),
                deadline,
            })
            .await
    }

    /// Runs an auto-commit query: RUN and the first PULL go out in one
    /// write; records stream as they are read.
    ///
    /// An earlier result of this session that was not consumed is
    /// discarded first. If its query failed (a result dropped before its
    /// end does not report it), that failure is returned instead and this
    /// query is not run; the next call starts afresh. So do
    /// [`begin_transaction`](Self::begin_transaction), the `execute_*`
    /// methods (without retrying: the failure is not their transaction's)
    /// and [`close`](Self::close).
    ///
    /// ```no_run
    /// # async fn demo(session: &mut neo4j::Session) -> Result<(), neo4j::Error> {
    /// let records = session
    ///     .run("MATCH (p:Person) WHERE p.age > $age RETURN p.name AS name", neo4j::params! {"age" => 30})
    ///     .await?
    ///     .collect()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn run(
        &mut self,
        query: impl Into<String>,
        params: impl Into<Params>,
    ) -> Result<RecordStream<'_>, Error> {
        self.run_with_config(
            Query::new(query).with_params(params),
            TransactionConfig::default(),
        )
        .await
    }

    /// [`run`](Self::run) with a [`Query`] and transaction options
    /// (timeout, metadata) for the auto-commit transaction.
    ///
    /// ```no_run
    /// # async fn demo(session: &mut neo4j::Session) -> Result<(), neo4j::Error> {
    /// use std::time::Duration;
    /// use neo4j::{Query, TransactionConfig};
    /// let cfg = TransactionConfig::new().with_timeout(Duration::from_secs(5));
    /// session.run_with_config(Query::new("RETURN 1"), cfg).await?.consume().await?;
    /// # Ok(()) }
    /// ```
    pub async fn run_with_config(
        &mut self,
        query: Query,
        config: TransactionConfig,
    ) -> Result<RecordStream<'_>, Error> {
        self.prepare(self.config.mode).await?;
        self.note_api(Telemetry::AUTO_COMMIT_TRANSACTION);
        let cx = Self::tx_context(
            &self.config,
            &self.sent,
            self.guessed_db,
            self.config.mode,
            &config,
        );
        let fetch_size = self.fetch_size;
        start(Link::Borrowed(&mut self.slot), query, Some(&cx), fetch_size).await
    }

    /// Begins an explicit transaction: sends BEGIN and waits for the
    /// server to accept it, so a failing BEGIN (a refused bookmark, an
    /// unreachable server) is reported here.
    ///
    /// ```no_run
    /// # async fn demo(session: &mut neo4j::Session) -> Result<(), neo4j::Error> {
    /// let mut tx = session.begin_transaction(neo4j::TransactionConfig::new()).await?;
    /// tx.run("CREATE (:A)", neo4j::params! {}).await?.consume().await?;
    /// tx.commit().await?;
    /// # Ok(()) }
    /// ```
    pub async fn begin_transaction(
        &mut self,
        config: TransactionConfig,
    ) -> Result<Transaction<'_>, Error> {
        self.note_api(Telemetry::UNMANAGED_TRANSACTION);
        self.begin_in_slot(self.config.mode, &config, Begin::Confirmed)
            .await?;
        let fetch_size = self.fetch_size;
        Ok(Transaction::new(self, fetch_size))
    }

    /// Begins a transaction in the slot. An explicit transaction's BEGIN
    /// is confirmed before the transaction is handed out (the official
    /// drivers' eager begin: a failing BEGIN is reported by
    /// `begin_transaction`). A managed transaction's BEGIN goes out with
    /// its first query (or COMMIT) in the same write, saving a round trip
    /// per transaction; a failing BEGIN is then reported by that first
    /// query, inside the closure, and the retry rules apply as for any
    /// failure there.
    async fn begin_in_slot(
        &mut self,
        mode: AccessMode,
        config: &TransactionConfig,
        begin: Begin,
    ) -> Result<(), Error> {
        self.prepare(mode).await?;
        let cx = Self::tx_context(&self.config, &self.sent, self.guessed_db, mode, config);
        if let Err(e) = self.slot.begin(&cx) {
            self.slot.release().await;
            return Err(e);
        }
        if begin == Begin::Confirmed {
            if let Err(e) = self.slot.confirm_begin().await {
                self.slot.release().await;
                return Err(e);
            }
        }
        Ok(())
    }

    pub(crate) fn slot_mut(&mut self) -> &mut Slot {
        &mut self.slot
    }

    pub(crate) fn after_commit(&mut self, bookmark: Option<String>) {
        if let Some(b) = bookmark {
            self.slot.new_bookmark.set_owned(b);
        }
        self.take_bookmark();
        self.take_resolved_db();
    }

    /// Runs `work` in a read transaction, retrying it on transient errors
    /// (see [`execute_write`](Self::execute_write)).
    ///
    /// ```no_run
    /// # async fn demo(session: &mut neo4j::Session) -> Result<(), neo4j::Error> {
    /// let names: Vec<String> = session
    ///     .execute_read(|tx| async move {
    ///         let mut out = Vec::new();
    ///         let mut r = tx.run("MATCH (p:Person) RETURN p.name AS n", neo4j::params! {}).await?;
    ///         while let Some(rec) = r.next().await {
    ///             out.push(rec?.get("n")?);
    ///         }
    ///         Ok::<_, neo4j::Error>(out)
    ///     })
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn execute_read<T, E, F, Fut>(
        &mut self,
        work: F,
    ) -> impl Future<Output = Result<T, E>> + use<'_, T, E, F, Fut>
    where
        F: FnMut(ManagedTransaction) -> Fut,
        Fut: Future<Output = Result<T, E>>,
        E: From<Error> + 'static,
    {
        // `execute`'s future as is: one layer (and one move of it) less.
        self.execute(AccessMode::Read, TransactionConfig::default(), work)
    }

    /// Runs `work` in a write transaction and commits it; retries the whole
    /// closure (with a fresh transaction) on retryable errors, with
    /// exponential backoff, until the driver's `max_retry_time` has passed.
    /// Non-retryable errors are returned at once.
    ///
    /// The closure gets a [`ManagedTransaction`] handle by value (it is a
    /// cheap `Clone`) and returns any future, so plain `async move` blocks
    /// work. Its error type `E` passes through: it only needs
    /// `From<neo4j::Error>`. A closure error is retried when it is a
    /// retryable [`neo4j::Error`](Error), or when a query of the
    /// transaction failed with a retryable error.
    ///
    /// ```no_run
    /// # async fn demo(session: &mut neo4j::Session) -> Result<(), neo4j::Error> {
    /// #[derive(Debug)]
    /// enum AppError { Db(neo4j::Error), Empty }
    /// impl From<neo4j::Error> for AppError {
    ///     fn from(e: neo4j::Error) -> Self { AppError::Db(e) }
    /// }
    /// let created = session
    ///     .execute_write(|tx| async move {
    ///         let s = tx.run("CREATE (n:Item) RETURN n", neo4j::params! {}).await?.consume().await?;
    ///         if s.counters().nodes_created == 0 { return Err(AppError::Empty); }
    ///         Ok(s.counters().nodes_created)
    ///     })
    ///     .await;
    /// # let _ = created; Ok(()) }
    /// ```
    pub fn execute_write<T, E, F, Fut>(
        &mut self,
        work: F,
    ) -> impl Future<Output = Result<T, E>> + use<'_, T, E, F, Fut>
    where
        F: FnMut(ManagedTransaction) -> Fut,
        Fut: Future<Output = Result<T, E>>,
        E: From<Error> + 'static,
    {
        // `execute`'s future as is: one layer (and one move of it) less.
        self.execute(AccessMode::Write, TransactionConfig::default(), work)
    }

    /// [`execute_read`](Self::execute_read) / [`execute_write`](Self::execute_write)
    /// with an access mode and transaction options.
    ///
    /// ```no_run
    /// # async fn demo(session: &mut neo4j::Session) -> Result<(), neo4j::Error> {
    /// use neo4j::{AccessMode, TransactionConfig};
    /// let cfg = TransactionConfig::new().with_metadata(neo4j::params! {"app" => "demo"});
    /// session
    ///     .execute_with_config(AccessMode::Write, cfg, |tx| async move {
    ///         tx.run("CREATE ()", neo4j::params! {}).await?.consume().await
    ///     })
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn execute_with_config<T, E, F, Fut>(
        &mut self,
        mode: AccessMode,
        config: TransactionConfig,
        work: F,
    ) -> impl Future<Output = Result<T, E>> + use<'_, T, E, F, Fut>
    where
        F: FnMut(ManagedTransaction) -> Fut,
        Fut: Future<Output = Result<T, E>>,
        E: From<Error> + 'static,
    {
        self.execute(mode, config, work)
    }

    async fn execute<T, E, F, Fut>(
        &mut self,
        mode: AccessMode,
        config: TransactionConfig,
        mut work: F,
    ) -> Result<T, E>
    where
        F: FnMut(ManagedTransaction) -> Fut,
        Fut: Future<Output = Result<T, E>>,
        E: From<Error> + 'static,
    {
        let policy = RetryPolicy::from(self.driver.config());
        let mut backoff = policy.start();
        let started = Instant::now();
        // An auto-commit result dropped unread whose query failed: that
        // failure is the earlier work's, returned before this transaction
        // starts rather than retried with it.
        if self.slot.tx == TxState::None {
            self.slot.drain().await.map_err(E::from)?;
        }
        // Sent with the first attempt's BEGIN; again only if it did not get
        // through (e.g. the connection died).
        self.note_api(self.managed_api);
        loop {
            let attempt = self.attempt(mode, &config, &mut work).await;
            let (err, retryable) = match attempt {
                Ok(v) => return Ok(v),
                Err(x) => x,
            };
            let as_driver = (&err as &dyn std::any::Any).downcast_ref::<Error>();
            let retryable = retryable || as_driver.is_some_and(Error::is_retryable);
            // The decision needs an `Error`; build a stand-in for user errors.
            let stand_in;
            let probe: &Error = match as_driver {
                Some(e) => e,
                None => {
                    stand_in = if retryable {
                        Error::SessionExpired("retryable failure in the transaction".into())
                    } else {
                        Error::Usage("not retryable".into())
                    };
                    &stand_in
                }
            };
            match backoff.on_failure(probe, started.elapsed(), random_jitter()) {
                RetryDecision::RetryAfter(delay) => {
                    tracing::info!(
                        error = %probe,
                        ?delay,
                        attempt = backoff.retries(),
                        "transaction failed; retrying"
                    );
                    // Boxed: rare, and kept out of every transaction's future.
                    Box::pin(tokio::time::sleep(delay)).await;
                }
                RetryDecision::GiveUp => {
                    tracing::warn!(error = %probe, retries = backoff.retries(), "giving up retrying: max_retry_time spent");
                    return Err(err);
                }
                RetryDecision::NotRetryable => return Err(err),
            }
        }
    }

    /// One attempt of a managed transaction; the error comes with whether
    /// the transaction saw a retryable failure.
    async fn attempt<T, E, F, Fut>(
        &mut self,
        mode: AccessMode,
        config: &TransactionConfig,
        work: &mut F,
    ) -> Result<T, (E, bool)>
    where
        F: FnMut(ManagedTransaction) -> Fut,
        Fut: Future<Output = Result<T, E>>,
        E: From<Error>,
    {
        if let Err(e) = self.begin_in_slot(mode, config, Begin::Pipelined).await {
            let r = e.is_retryable();
            return Err((E::from(e), r));
        }
        let (tx, shared) = ManagedTransaction::new(
            std::mem::take(&mut self.slot),
            self.fetch_size,
            self.tx_cell.take(),
        );
        let out = work(tx).await;
        // Take the connection back; a result still alive elsewhere holds it.
        let taken = shared.try_lock().map(|mut g| std::mem::take(&mut *g));
        if Arc::strong_count(&shared) == 1 {
            // No handle escaped the closure: the next transaction reuses
            // the cell instead of allocating one.
            self.tx_cell = Some(shared);
        }
        let mut slot = match taken {
            Ok(slot) => slot,
            Err(_) => {
                let e = Error::Usage(
                    "a result of the managed transaction is still in use after its closure \
                     returned"
                        .into(),
                );
                return Err((E::from(e), false));
            }
        };
        let saw = slot.saw_retryable;
        match out {
            Ok(v) => {
                let committed = slot.commit().await;
                self.slot = slot;
                match committed {
                    Ok(bm) => {
                        self.after_commit(bm);
                        Ok(v)
                    }
                    Err(e) => {
                        let r = e.is_retryable();
                        Err((E::from(e), r))
                    }
                }
            }
            Err(e) => {
                let _ = Box::pin(slot.rollback()).await;
                self.slot = slot;
                Err((e, saw))
            }
        }
    }

    /// Finishes pending work (discarding an unconsumed result, rolling
    /// back a dropped transaction) and gives the connection back.
    ///
    /// A failure of that work is returned, after the connection went back
    /// (as the official drivers do, a ROLLBACK of a transaction left open
    /// that fails is raised here).
    ///
    /// ```no_run
    /// # async fn demo(session: neo4j::Session) -> Result<(), neo4j::Error> {
    /// session.close().await?;
    /// # Ok(()) }
    /// ```
    pub async fn close(mut self) -> Result<(), Error> {
        let r = if self.slot.tx == TxState::None {
            self.slot.drain().await
        } else {
            self.rollback_dropped().await
        };
        self.take_bookmark();
        self.take_resolved_db();
        self.slot.release().await;
        r
    }

    /// Rolls back a transaction dropped while open: ROLLBACK after
    /// discarding its open result, as the official drivers do (a failed
    /// one is only RESET, when its connection goes back to the pool).
    /// The connection is given back either way; the ROLLBACK's failure is
    /// returned.
    async fn rollback_dropped(&mut self) -> Result<(), Error> {
        let r = if self.slot.tx == TxState::Open {
            self.slot.rollback().await
        } else {
            Ok(())
        };
        self.slot.release().await;
        r
    }
}

/// Whether a transaction's BEGIN is answered before the transaction is
/// handed out, or goes out with its first query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Begin {
    /// Explicit transactions: BEGIN's answer is awaited.
    Confirmed,
    /// Managed transactions and `execute_query`: BEGIN, RUN and PULL go
    /// out in one write.
    Pipelined,
}
