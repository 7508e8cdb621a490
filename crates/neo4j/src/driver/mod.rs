//! The driver object: created from a URI and a [`Config`], shared by cloning,
//! closed once.
//!
//! Owns [`GraphDatabase::driver`] (validation of URI + config, choice of
//! driver by scheme) and [`Driver`] with its immutable connection details and
//! open/closed state. Sessions, transactions and pools attach to
//! [`Driver`]'s shared inner state; they live in their own modules.

pub(crate) mod auth;
mod connector;
pub(crate) mod errors;
mod options;
pub(crate) mod provider;

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use bolt_pool::PooledConnection;
use bolt_proto::message::RequestKind;

use self::auth::{AuthFor, DriverAuth};
use self::connector::Connector;
use self::provider::{AcquireRequest, ConnectionProvider, DirectProvider};
use crate::address::ServerAddress;
use crate::auth::AuthToken;
use crate::bookmark_manager::{BookmarkManager, BookmarkManagerConfig, DefaultBookmarkManager};
use crate::config::Config;
use crate::error::Error;
use crate::query::{ExecuteQuery, Query};
use crate::result::ServerInfo;
use crate::routing::{HomeDbKey, RouteHook, RoutingProvider, RoutingTableInfo};
use crate::session::{Session, SessionConfig};
use crate::uri::{ParsedUri, SchemeKind};

/// Connection pool metrics of one server, from [`Driver::pool_metrics`].
///
/// ```no_run
/// # fn demo(driver: &neo4j::Driver) {
/// for (address, m) in driver.pool_metrics() {
///     println!("{address}: {} in use, {} idle", m.in_use, m.idle);
/// }
/// # }
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PoolMetrics {
    /// Connections lent out.
    pub in_use: u32,
    /// Connections idle in the pool.
    pub idle: u32,
    /// Connections being opened.
    pub opening: u32,
    /// Callers waiting for a connection.
    pub waiting: u32,
    /// Connections opened so far.
    pub created: u64,
    /// Connections closed so far.
    pub closed: u64,
}

/// Entry point: creates drivers.
///
/// ```
/// use neo4j::{Config, GraphDatabase};
///
/// let config = Config::builder().with_auth(("neo4j", "password")).build()?;
/// let driver = GraphDatabase::driver("bolt://localhost:7687", config)?;
/// assert!(!driver.is_encrypted());
/// # Ok::<(), neo4j::Error>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct GraphDatabase;

impl GraphDatabase {
    /// Creates a driver for `uri` with `config`.
    ///
    /// No connection is opened yet: this only checks the URI (scheme, host,
    /// port, routing context) and the config against it, e.g. that `+s`/
    /// `+ssc` schemes are not combined with explicit `encrypted`, `trust` or
    /// `der_encoded_server_certificate` options.
    ///
    /// `bolt`, `bolt+s` and `bolt+ssc` give a direct driver to one server.
    /// `neo4j`, `neo4j+s`, `neo4j+ssc` and the legacy `bolt+routing` give a
    /// routing driver: it asks the cluster (through the URI's address, which
    /// goes through the custom resolver) for routing tables, and sends reads
    /// to readers and writes to writers. The URI's query parameters form the
    /// routing context sent to the cluster.
    ///
    /// ```
    /// use neo4j::{Config, Error, GraphDatabase};
    ///
    /// let driver = GraphDatabase::driver("bolt+s://db.example.com", Config::default())?;
    /// assert!(driver.is_encrypted());
    ///
    /// let conflict = Config::builder().with_encrypted(true).build()?;
    /// let err = GraphDatabase::driver("bolt+s://db.example.com", conflict).unwrap_err();
    /// assert!(matches!(err, Error::Configuration(_)));
    /// # Ok::<(), neo4j::Error>(())
    /// ```
    pub fn driver(uri: impl AsRef<str>, config: Config) -> Result<Driver, Error> {
        let parsed = ParsedUri::parse(uri.as_ref())?;
        let kind = parsed.kind;
        let connector = Connector::new(parsed, &config)?;
        let connect = options::connect_options(&config, &connector)?;
        let open = options::open_options(&config)?;
        let provider = match (kind, &connector.routing_context) {
            (SchemeKind::Routing, Some(query)) => {
                ConnectionProvider::Routing(Arc::new(RoutingProvider::new(
                    options::to_net_address(&connector.address),
                    query,
                    connect,
                    open,
                    options::pool_config(&config),
                )?))
            }
            _ => ConnectionProvider::Direct(DirectProvider::new(
                options::to_net_address(&connector.address),
                connect,
                open,
                options::pool_config(&config),
            )),
        };
        Ok(Driver {
            inner: Arc::new(Inner {
                auth: match config.auth_manager() {
                    Some(m) => {
                        DriverAuth::Managed(Arc::clone(m), config.connection_acquisition_timeout())
                    }
                    None => DriverAuth::fixed(config.auth().clone()),
                },
                config,
                connector,
                provider,
                closed: AtomicBool::new(false),
                query_bookmark_manager: GraphDatabase::bookmark_manager(
                    BookmarkManagerConfig::default(),
                ),
            }),
        })
    }

    /// A new default [`BookmarkManager`]: hand it to the sessions that
    /// must see each other's commits
    /// ([`SessionConfig::with_bookmark_manager`](crate::SessionConfig::with_bookmark_manager)).
    ///
    /// ```
    /// use neo4j::{BookmarkManagerConfig, Bookmarks, GraphDatabase, SessionConfig};
    /// let manager = GraphDatabase::bookmark_manager(BookmarkManagerConfig {
    ///     initial_bookmarks: Bookmarks::from_raw_values(["bm:1"]),
    ///     ..Default::default()
    /// });
    /// assert_eq!(manager.get_bookmarks().len(), 1);
    /// let cfg = SessionConfig::new().with_bookmark_manager(manager);
    /// # let _ = cfg;
    /// ```
    pub fn bookmark_manager(config: BookmarkManagerConfig) -> Arc<dyn BookmarkManager> {
        Arc::new(DefaultBookmarkManager::new(config))
    }
}

/// The codes for which [`Driver::verify_authentication`] answers `false`.
const REFUSED_CREDENTIALS: [&str; 4] = [
    "Neo.ClientError.Security.CredentialsExpired",
    "Neo.ClientError.Security.Forbidden",
    "Neo.ClientError.Security.TokenExpired",
    "Neo.ClientError.Security.Unauthorized",
];

/// A handle to a database: connection details, configuration and the
/// connection pool. Cheap to clone; all clones share the same state, so
/// closing one closes all.
///
/// A driver is `Send + Sync`; create one per application and share it.
/// Its connection details never change after creation.
///
/// ```
/// use neo4j::{Config, GraphDatabase};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let driver = GraphDatabase::driver("bolt://localhost", Config::default())?;
/// let shared = driver.clone();
/// driver.close().await;
/// assert!(shared.is_closed());
/// # Ok::<(), neo4j::Error>(())
/// # }).unwrap();
/// ```
#[derive(Clone)]
pub struct Driver {
    inner: Arc<Inner>,
}

struct Inner {
    auth: DriverAuth,
    config: Config,
    connector: Connector,
    provider: ConnectionProvider,
    closed: AtomicBool,
    /// The bookmark manager chaining `execute_query` calls.
    query_bookmark_manager: Arc<dyn BookmarkManager>,
}

impl Driver {
    /// Whether connections are encrypted (from the scheme or the config).
    ///
    /// ```
    /// use neo4j::{Config, GraphDatabase};
    /// let d = GraphDatabase::driver("bolt+ssc://localhost", Config::default())?;
    /// assert!(d.is_encrypted());
    /// # Ok::<(), neo4j::Error>(())
    /// ```
    pub fn is_encrypted(&self) -> bool {
        self.inner.connector.is_encrypted()
    }

    /// Whether [`close`](Self::close) was called on this driver or a clone.
    ///
    /// ```
    /// # let d = neo4j::GraphDatabase::driver("bolt://localhost", neo4j::Config::default())?;
    /// assert!(!d.is_closed());
    /// # Ok::<(), neo4j::Error>(())
    /// ```
    pub fn is_closed(&self) -> bool {
        self.inner.closed.load(Ordering::Acquire)
    }

    /// Closes the driver and every pooled connection. Idempotent. Afterwards
    /// new work fails with [`Error::DriverClosed`].
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let d = neo4j::GraphDatabase::driver("bolt://localhost", neo4j::Config::default())?;
    /// d.close().await;
    /// d.close().await; // no effect
    /// assert!(d.is_closed());
    /// # Ok::<(), neo4j::Error>(())
    /// # }).unwrap();
    /// ```
    pub async fn close(&self) {
        self.inner.closed.store(true, Ordering::Release);
        self.inner.provider.close().await;
    }

    /// A connection for a unit of work.
    pub(crate) async fn acquire(
        &self,
        req: AcquireRequest<'_>,
    ) -> Result<PooledConnection, crate::Error> {
        if self.is_closed() {
            return Err(crate::Error::DriverClosed);
        }
        self.inner.provider.acquire(req).await
    }

    /// The home database a session without one pins (routing drivers ask
    /// the cluster; `None` otherwise).
    pub(crate) async fn resolve_home_database(
        &self,
        imp_user: Option<&str>,
        bookmarks: &[String],
        session_auth: Option<&AuthToken>,
        deadline: Option<tokio::time::Instant>,
    ) -> Result<Option<String>, crate::Error> {
        if self.is_closed() {
            return Err(crate::Error::DriverClosed);
        }
        self.inner
            .provider
            .resolve_home_database(imp_user, bookmarks, self.auth_for(session_auth), deadline)
            .await
    }

    /// For routing drivers, when an acquisition starting now must be done
    /// (one acquisition timeout from now): a session resolving its home
    /// database and then acquiring passes it to both.
    pub(crate) fn acquisition_deadline(&self) -> Option<tokio::time::Instant> {
        self.inner.provider.routing().map(|r| r.refresh_deadline())
    }

    /// The home database cached for `key` that a session without a
    /// database may route with (routing drivers whose servers all do
    /// server-side routing; see `routing::home_db`).
    pub(crate) fn home_db_guess(&self, key: &HomeDbKey) -> Option<String> {
        self.inner.provider.routing()?.home_db_guess(key)
    }

    /// Caches `database` as `key`'s home database (routing drivers).
    pub(crate) fn learn_home_db(&self, key: HomeDbKey, database: &str) {
        if let Some(r) = self.inner.provider.routing() {
            r.learn_home_db(key, database);
        }
    }

    /// Drops `key`'s cached home database (routing drivers).
    pub(crate) fn forget_home_db(&self, key: &HomeDbKey) {
        if let Some(r) = self.inner.provider.routing() {
            r.forget_home_db(key);
        }
    }

    /// Where a unit of work on `database` reports failures (routing only).
    pub(crate) fn route_hook(&self, database: Option<&str>) -> Option<RouteHook> {
        self.inner.provider.route_hook(database)
    }

    /// Diagnostics: whether this driver routes (a `neo4j://` scheme).
    ///
    /// ```
    /// use neo4j::{Config, GraphDatabase};
    /// assert!(GraphDatabase::driver("neo4j://localhost", Config::default())?.is_routing());
    /// assert!(!GraphDatabase::driver("bolt://localhost", Config::default())?.is_routing());
    /// # Ok::<(), neo4j::Error>(())
    /// ```
    pub fn is_routing(&self) -> bool {
        self.inner.provider.routing().is_some()
    }

    /// Diagnostics (for tests and tools such as TestKit): a snapshot of the
    /// routing table kept for `database` (`None`: the home database of a
    /// server before 4.3, which does not name it). `None` for direct
    /// drivers and for databases without a table yet.
    ///
    /// ```
    /// use neo4j::{Config, GraphDatabase};
    /// let d = GraphDatabase::driver("neo4j://localhost", Config::default())?;
    /// assert!(d.routing_table(Some("neo4j")).is_none()); // nothing asked yet
    /// # Ok::<(), neo4j::Error>(())
    /// ```
    pub fn routing_table(&self, database: Option<&str>) -> Option<RoutingTableInfo> {
        self.inner.provider.routing()?.routing_table(database)
    }

    /// Diagnostics (for tests and tools such as TestKit): asks the cluster
    /// for the routing table of `database` now, whatever the age of the
    /// one kept, passing `bookmarks`. Fails like discovery does
    /// ([`Error::ServiceUnavailable`] when no router answers); a direct
    /// driver has nothing to update and returns `Ok`.
    ///
    /// ```no_run
    /// # async fn demo(driver: neo4j::Driver) -> Result<(), neo4j::Error> {
    /// driver.force_routing_table_update(Some("testdb"), &[]).await?;
    /// println!("{:?}", driver.routing_table(Some("testdb")));
    /// # Ok(()) }
    /// ```
    pub async fn force_routing_table_update(
        &self,
        database: Option<&str>,
        bookmarks: &[String],
    ) -> Result<(), crate::Error> {
        if self.is_closed() {
            return Err(crate::Error::DriverClosed);
        }
        match self.inner.provider.routing() {
            Some(r) => {
                r.force_update(database, None, bookmarks, self.auth_for(None))
                    .await
            }
            None => Ok(()),
        }
    }

    async fn any_connection(&self) -> Result<PooledConnection, crate::Error> {
        self.acquire(AcquireRequest {
            mode: bolt_proto::message::AccessMode::Read,
            database: None,
            bookmarks: &[],
            imp_user: None,
            auth: self.auth_for(None),
            deadline: None,
        })
        .await
    }

    /// The credentials for an acquisition: the session's token, else the
    /// driver's.
    pub(crate) fn auth_for<'a>(&'a self, session: Option<&'a AuthToken>) -> AuthFor<'a> {
        AuthFor {
            driver: &self.inner.auth,
            session,
            force: false,
        }
    }

    /// Checks credentials with the server: logs a connection on with
    /// `auth` (`None`: the driver's own token, from its manager if it has
    /// one) and says whether the server accepted them. A pooled connection
    /// is logged off and on again (LOGOFF / LOGON); a new one logs on while
    /// opening. The connection goes back to the pool afterwards.
    ///
    /// `Ok(false)` when the server refused the credentials
    /// (`Neo.ClientError.Security.Unauthorized`, `...TokenExpired`,
    /// `...CredentialsExpired`, `...Forbidden`); other failures are
    /// errors. Needs Bolt 5.1+ ([`Error::Unsupported`] before), like
    /// session auth.
    ///
    /// ```no_run
    /// use neo4j::AuthToken;
    /// # async fn demo(driver: neo4j::Driver) -> Result<(), neo4j::Error> {
    /// let ok = driver
    ///     .verify_authentication(Some(AuthToken::basic_auth("jane", "her-password")))
    ///     .await?;
    /// println!("jane may log in: {ok}");
    /// # Ok(()) }
    /// ```
    pub async fn verify_authentication(&self, auth: Option<AuthToken>) -> Result<bool, Error> {
        if self.is_closed() {
            return Err(Error::DriverClosed);
        }
        let token = match (auth, &self.inner.auth) {
            (Some(t), _) => t,
            (None, DriverAuth::Static(t, ..)) => t.clone(),
            (None, DriverAuth::Managed(m, _)) => {
                let deadline = self.inner.config.connection_acquisition_timeout();
                auth::manager_token(m.as_ref(), deadline).await?
            }
        };
        let auth = AuthFor {
            driver: &self.inner.auth,
            session: Some(&token),
            force: true,
        };
        let acquired = self
            .acquire(AcquireRequest {
                mode: bolt_proto::message::AccessMode::Read,
                database: Some("system"),
                bookmarks: &[],
                imp_user: None,
                auth,
                deadline: None,
            })
            .await;
        match acquired {
            Ok(conn) => {
                conn.release().await;
                Ok(true)
            }
            Err(e) if e.code().is_some_and(|c| REFUSED_CREDENTIALS.contains(&c)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Whether the server (a cluster member, for a routing driver)
    /// supports session auth ([`SessionConfig::with_auth`]): Bolt 5.1+.
    ///
    /// ```no_run
    /// # async fn demo(driver: neo4j::Driver) -> Result<(), neo4j::Error> {
    /// if driver.supports_session_auth().await? { /* user switching works */ }
    /// # Ok(()) }
    /// ```
    pub async fn supports_session_auth(&self) -> Result<bool, Error> {
        let conn = self.any_connection().await?;
        let yes = conn.supports_reauth();
        conn.release().await;
        Ok(yes)
    }

    /// A connection known to be alive, for the connectivity checks: one
    /// reused from the pool is RESET first (a fresh one has just answered
    /// HELLO), as the official drivers do; a dead one is dropped and
    /// another taken.
    async fn live_connection(&self) -> Result<PooledConnection, crate::Error> {
        let mut tries = 0;
        loop {
            let mut conn = self.any_connection().await?;
            let fresh = matches!(
                conn.last_answered(),
                None | Some(RequestKind::Hello | RequestKind::Logon | RequestKind::Init)
            );
            if fresh {
                return Ok(conn);
            }
            match conn.reset().await {
                Ok(()) => return Ok(conn),
                Err(e) => {
                    tracing::debug!(error = %e, "pooled connection failed its RESET; taking another");
                    conn.release().await;
                    tries += 1;
                    if tries >= 3 {
                        return Err(e.into());
                    }
                }
            }
        }
    }

    /// Opens a session. Cheap: no connection is taken until the session
    /// runs something.
    ///
    /// ```no_run
    /// # async fn demo(driver: neo4j::Driver) -> Result<(), neo4j::Error> {
    /// let mut session = driver.session(neo4j::SessionConfig::new().with_database("testdb"));
    /// session.run("RETURN 1", neo4j::params! {}).await?.consume().await?;
    /// session.close().await?;
    /// # Ok(()) }
    /// ```
    pub fn session(&self, config: SessionConfig) -> Session {
        Session::new(self.clone(), config)
    }

    /// Starts a query for [`ExecuteQuery::run`]: a managed transaction with
    /// retries, returning every record at once. Calls are causally chained
    /// (each waits for the previous one's commit).
    ///
    /// ```no_run
    /// # async fn demo(driver: neo4j::Driver) -> Result<(), neo4j::Error> {
    /// let result = driver
    ///     .execute_query("RETURN $x AS x")
    ///     .param("x", 1)
    ///     .database("testdb")
    ///     .run()
    ///     .await?;
    /// assert_eq!(result.records[0].get::<i64>("x")?, 1);
    /// # Ok(()) }
    /// ```
    pub fn execute_query(&self, query: impl Into<Query>) -> ExecuteQuery {
        ExecuteQuery::new(self.clone(), query.into())
    }

    /// The bookmark manager [`execute_query`](Self::execute_query) uses
    /// unless told otherwise: every call waits for the commits of the
    /// earlier ones. Give it to sessions to chain them with
    /// `execute_query` calls.
    ///
    /// ```
    /// use neo4j::{Config, GraphDatabase, SessionConfig};
    /// let driver = GraphDatabase::driver("bolt://localhost", Config::default())?;
    /// let cfg = SessionConfig::new().with_bookmark_manager(driver.execute_query_bookmark_manager());
    /// assert!(driver.execute_query_bookmark_manager().get_bookmarks().is_empty());
    /// # let _ = cfg;
    /// # Ok::<(), neo4j::Error>(())
    /// ```
    pub fn execute_query_bookmark_manager(&self) -> Arc<dyn BookmarkManager> {
        Arc::clone(&self.inner.query_bookmark_manager)
    }

    /// Checks that a connection can be opened (or taken from the pool) and
    /// authenticated.
    ///
    /// ```no_run
    /// # async fn demo(driver: neo4j::Driver) -> Result<(), neo4j::Error> {
    /// driver.verify_connectivity().await?;
    /// # Ok(()) }
    /// ```
    pub async fn verify_connectivity(&self) -> Result<(), crate::Error> {
        let conn = self.live_connection().await?;
        conn.release().await;
        Ok(())
    }

    /// The server's address, agent and protocol version.
    ///
    /// ```no_run
    /// # async fn demo(driver: neo4j::Driver) -> Result<(), neo4j::Error> {
    /// let info = driver.server_info().await?;
    /// println!("{} {:?}", info.agent, info.protocol_version);
    /// # Ok(()) }
    /// ```
    pub async fn server_info(&self) -> Result<ServerInfo, crate::Error> {
        let conn = self.live_connection().await?;
        let v = conn.version();
        let info = ServerInfo {
            address: ServerAddress::new(conn.server_address().host(), conn.server_address().port()),
            agent: conn.server_agent().to_owned(),
            protocol_version: (v.major, v.minor),
        };
        conn.release().await;
        Ok(info)
    }

    /// Whether the server can select databases (Bolt 4.0+).
    ///
    /// ```no_run
    /// # async fn demo(driver: neo4j::Driver) -> Result<(), neo4j::Error> {
    /// if driver.supports_multi_db().await? { /* name a database */ }
    /// # Ok(()) }
    /// ```
    pub async fn supports_multi_db(&self) -> Result<bool, crate::Error> {
        let conn = self.any_connection().await?;
        let yes = conn.version() >= bolt_proto::Version::V4_0;
        conn.release().await;
        Ok(yes)
    }

    /// Pool metrics per server address: connections in use, idle, being
    /// opened, waiters, created and closed so far.
    ///
    /// ```
    /// let d = neo4j::GraphDatabase::driver("bolt://localhost", neo4j::Config::default())?;
    /// assert!(d.pool_metrics().is_empty()); // no pool before first use
    /// # Ok::<(), neo4j::Error>(())
    /// ```
    pub fn pool_metrics(&self) -> Vec<(ServerAddress, PoolMetrics)> {
        self.inner
            .provider
            .metrics()
            .into_iter()
            .map(|(a, m)| {
                (
                    ServerAddress::new(a.host(), a.port()),
                    PoolMetrics {
                        in_use: m.in_use,
                        idle: m.idle,
                        opening: m.opening,
                        waiting: m.waiting,
                        created: m.created,
                        closed: m.closed,
                    },
                )
            })
            .collect()
    }

    /// The configuration the driver was created with.
    ///
    /// ```
    /// # let d = neo4j::GraphDatabase::driver("bolt://localhost", neo4j::Config::default())?;
    /// assert_eq!(d.config().max_connection_pool_size(), 100);
    /// # Ok::<(), neo4j::Error>(())
    /// ```
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The server address from the URI (default port filled in).
    ///
    /// ```
    /// # let d = neo4j::GraphDatabase::driver("bolt://[::1]", neo4j::Config::default())?;
    /// assert_eq!(d.address().to_string(), "[::1]:7687");
    /// # Ok::<(), neo4j::Error>(())
    /// ```
    pub fn address(&self) -> &ServerAddress {
        &self.inner.connector.address
    }
}

impl fmt::Debug for Driver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.inner.connector;
        f.debug_struct("Driver")
            .field("address", &c.address)
            .field("tls", &c.tls)
            .field("routing_context", &c.routing_context)
            .field("closed", &self.is_closed())
            .field("config", &self.inner.config)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AuthToken, UriErrorKind};

    const fn assert_send_sync_clone<T: Send + Sync + Clone + 'static>() {}
    const fn assert_send_sync<T: Send + Sync + 'static>() {}
    const _: () = assert_send_sync_clone::<Driver>();
    const _: () = assert_send_sync_clone::<Config>();
    const _: () = assert_send_sync::<Error>();

    #[test]
    fn direct_driver_is_created() {
        let d = GraphDatabase::driver("bolt://example.com:7688", Config::default()).unwrap();
        assert_eq!(d.address(), &ServerAddress::new("example.com", 7688));
        assert!(!d.is_encrypted());
        assert!(!d.is_closed());
        assert!(GraphDatabase::driver("bolt+s://h", Config::default())
            .unwrap()
            .is_encrypted());
        let enc = Config::builder().with_encrypted(true).build().unwrap();
        assert!(GraphDatabase::driver("bolt://h", enc)
            .unwrap()
            .is_encrypted());
    }

    #[test]
    fn routing_schemes_give_routing_drivers() {
        for uri in [
            "neo4j://h",
            "neo4j+s://h",
            "neo4j+ssc://h?x=y",
            "bolt+routing://h",
        ] {
            let d = GraphDatabase::driver(uri, Config::default()).unwrap();
            assert!(d.is_routing(), "{uri}");
            assert!(d.routing_table(None).is_none());
        }
        assert!(!GraphDatabase::driver("bolt://h", Config::default())
            .unwrap()
            .is_routing());
    }

    #[test]
    fn uri_errors_come_before_config_errors() {
        let cfg = Config::builder().with_encrypted(true).build().unwrap();
        match GraphDatabase::driver("bolt+s://h/path", cfg.clone()).unwrap_err() {
            Error::InvalidUri(e) => assert_eq!(e.kind(), UriErrorKind::PathNotAllowed),
            e => panic!("{e}"),
        }
        match GraphDatabase::driver("neo4j+s://h", cfg).unwrap_err() {
            Error::Configuration(e) => assert_eq!(e.option(), "encrypted"),
            e => panic!("{e}"),
        }
    }

    #[tokio::test]
    async fn close_is_shared_and_idempotent() {
        let d = GraphDatabase::driver("bolt://h", Config::default()).unwrap();
        let clone = d.clone();
        let thread = std::thread::spawn(move || clone.is_closed());
        assert!(!thread.join().unwrap());
        d.close().await;
        d.close().await;
        assert!(d.is_closed());
        assert!(d.clone().is_closed());
    }

    #[test]
    fn debug_hides_secrets() {
        let cfg = Config::builder()
            .with_auth(AuthToken::basic_auth("u", "HIDDEN-PW"))
            .build()
            .unwrap();
        let d = GraphDatabase::driver("bolt://h", cfg).unwrap();
        let dbg = format!("{d:?}");
        assert!(!dbg.contains("HIDDEN-PW"), "{dbg}");
        assert!(dbg.contains("h:7687"), "{dbg}");
    }
}
