//! The connection provider of a routing driver: routing tables per
//! database, discovery through routers (then the initial address, through
//! the custom resolver), server choice per access mode, and what to do when
//! a server fails.
//!
//! Owns the tables, the per-server pools ([`Pools`]) and the rules for
//! forgetting servers. Must not run queries for users nor decide retries
//! (sessions and the retry loop do); it only turns failures of a cluster
//! member into the right error and table update.
//!
//! # Refreshing a table
//!
//! A stale table is refreshed under its database's lock (`refresh`): one
//! discovery in flight per database, the sessions that wait for it then
//! use its table; sessions of other databases neither wait for it nor
//! for each other. The whole refresh — waiting for that lock, acquiring
//! each router's connection, its answer, the next routers — is bounded by
//! the connection acquisition timeout, counted from when the session asked;
//! past it the session gets [`Error::ConnectionAcquisitionTimeout`]. A
//! router that took the request but did not answer in time loses its
//! connection (closed, not reset: a RESET would wait on the same silence)
//! and is forgotten as a router of that database, so the next refresh asks
//! another one first.
//!
//! The same deadline bounds getting a connection from the chosen reader's
//! or writer's pool after the refresh: an acquisition waits one
//! acquisition timeout in all.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bolt_net::{Address, ConnectOptions, Resolver};
use bolt_pool::{OpenOptions, PoolConfig, PoolError, PoolMetrics, PooledConnection, Pools};
use bolt_proto::message::AccessMode;
use packstream::Map;

use super::discovery::{self, Discovery, DiscoveryError};
use super::home_db::{HomeDbCache, HomeDbKey};
use super::refresh::{RefreshGuard, RefreshLocks};
use super::select::RoundRobin;
use super::table::RoutingTable;
use super::RoutingTableInfo;
use crate::driver::auth::{AcquireError, AuthFor};
use crate::error::Error;

/// How long an expired table is kept before it is dropped (and servers
/// only it named lose their pools), as in the official drivers.
pub(crate) const ROUTING_TABLE_PURGE_DELAY: Duration = Duration::from_secs(30);

const NOT_A_LEADER: &str = "Neo.ClientError.Cluster.NotALeader";
const FORBIDDEN_ON_READ_ONLY: &str = "Neo.ClientError.General.ForbiddenOnReadOnlyDatabase";
const DATABASE_UNAVAILABLE: &str = "Neo.TransientError.General.DatabaseUnavailable";

/// Tables are keyed by database name; `None` is the home database of a
/// server that does not name it (Bolt 3 to 4.2).
pub(super) type Key = Option<String>;

/// What a session's unit of work tells the routing provider about the
/// connection it holds: its failures and a broken connection update the
/// routing tables. Travels with the connection (cheap to clone).
#[derive(Clone, Debug)]
pub(crate) struct RouteHook {
    provider: Arc<RoutingProvider>,
    database: Option<String>,
}

impl RouteHook {
    pub(crate) fn new(provider: Arc<RoutingProvider>, database: Option<String>) -> RouteHook {
        RouteHook { provider, database }
    }

    /// See [`RoutingProvider::on_failure`].
    pub(crate) fn on_failure(&self, address: &Address, err: &Error) -> Option<Error> {
        self.provider
            .on_failure(address, self.database.as_deref(), err)
    }

    /// See [`RoutingProvider::on_broken`].
    pub(crate) fn on_broken(&self, address: &Address) {
        self.provider.on_broken(address);
    }
}

/// What a unit of work needs from the cluster.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RouteRequest<'a> {
    pub(crate) mode: AccessMode,
    /// The database (`None`: resolve the home database first, see
    /// [`RoutingProvider::resolve_home_database`]).
    pub(crate) database: Option<&'a str>,
    pub(crate) bookmarks: &'a [String],
    pub(crate) imp_user: Option<&'a str>,
    /// The credentials the connections (router's and server's) log on with.
    pub(crate) auth: AuthFor<'a>,
    /// When the acquisition, refresh included, must be done (`None`: one
    /// acquisition timeout from now).
    pub(crate) deadline: Option<tokio::time::Instant>,
}

/// The routing driver's connection provider. Create inside or outside a
/// runtime; pools are created on first use, inside the caller's runtime.
pub(crate) struct RoutingProvider {
    initial: Address,
    resolver: Option<Resolver>,
    routing_context: Map,
    pools: Pools,
    tables: Mutex<HashMap<Key, RoutingTable>>,
    /// One discovery in flight per database; its waiters then find the
    /// fresh table.
    refreshes: RefreshLocks,
    /// Bounds each refresh, waiting included (the connection acquisition
    /// timeout).
    refresh_timeout: Duration,
    readers_rr: RoundRobin,
    writers_rr: RoundRobin,
    purge_delay: Duration,
    closed: AtomicBool,
    /// Home databases resolved per user (Bolt 5.8 optimistic routing).
    home_db: HomeDbCache,
    /// Per server with a pool: whether its last connection said it does
    /// server-side routing (`ssr.enabled` hint, Bolt 5.8+).
    ssr: Mutex<HashMap<Address, bool>>,
    /// The driver's clock (the pool's): routing tables age by it.
    clock: Arc<dyn bolt_pool::Clock>,
}

impl std::fmt::Debug for RoutingProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RoutingProvider")
            .field("initial", &self.initial)
            .field("routing_context", &self.routing_context)
            .finish_non_exhaustive()
    }
}

/// The routing context sent in HELLO and discovery: the URI's query
/// parameters plus `address`, the initial `host:port`.
pub(crate) fn routing_context_map(initial: &Address, query: &[(String, String)]) -> Map {
    let mut m = Map::new();
    for (k, v) in query {
        m.insert(k.clone(), v.clone());
    }
    m.insert("address", initial.to_string());
    m
}

impl RoutingProvider {
    /// A provider for the cluster reached through `initial`.
    ///
    /// `connect` may carry the custom resolver; it is taken out and applied
    /// to the initial address only (servers named by routing tables are
    /// looked up in DNS). `open` gets the routing context.
    pub(crate) fn new(
        initial: Address,
        query: &[(String, String)],
        connect: ConnectOptions,
        open: OpenOptions,
        pool: PoolConfig,
    ) -> Result<RoutingProvider, Error> {
        let resolver = connect.resolver().cloned();
        let mut members = ConnectOptions::new()
            .with_connection_timeout(connect.connection_timeout())
            .with_keep_alive(connect.keep_alive());
        if let Some(tls) = connect.tls() {
            members = members.with_tls(tls.clone());
        }
        if let Some(dns) = connect.dns_resolver() {
            members = members.with_dns_resolver(dns.clone());
        }
        let routing_context = routing_context_map(&initial, query);
        let open = open.with_routing_context(Some(routing_context.clone()));
        let clock = pool.clock.clone();
        let refresh_timeout = pool.connection_acquisition_timeout;
        let pools = Pools::new(members, open, pool).map_err(|e| Error::Usage(e.to_string()))?;
        Ok(RoutingProvider {
            initial,
            resolver,
            routing_context,
            pools,
            tables: Mutex::new(HashMap::new()),
            refreshes: RefreshLocks::default(),
            refresh_timeout,
            readers_rr: RoundRobin::default(),
            writers_rr: RoundRobin::default(),
            purge_delay: ROUTING_TABLE_PURGE_DELAY,
            closed: AtomicBool::new(false),
            home_db: HomeDbCache::default(),
            ssr: Mutex::new(HashMap::new()),
            clock,
        })
    }

    fn tables(&self) -> MutexGuard<'_, HashMap<Key, RoutingTable>> {
        self.tables.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn ssr(&self) -> MutexGuard<'_, HashMap<Address, bool>> {
        self.ssr.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Notes whether `conn`'s server does server-side routing: Bolt 5.8+
    /// and `ssr.enabled: true` in its HELLO hints.
    fn note_ssr(&self, conn: &PooledConnection) {
        let enabled = conn.version().has_home_db_resolution()
            && matches!(
                conn.hints().get("ssr.enabled"),
                Some(packstream::Value::Boolean(true))
            );
        self.ssr().insert(conn.address().clone(), enabled);
    }

    /// Whether every server connected to does server-side routing (and
    /// there is at least one): only then is a cached home database used
    /// as a guess.
    pub(crate) fn ssr_enabled(&self) -> bool {
        let ssr = self.ssr();
        !ssr.is_empty() && ssr.values().all(|e| *e)
    }

    /// The cached home database of `key`, when it may be used as a guess
    /// (see [`ssr_enabled`](Self::ssr_enabled)).
    pub(crate) fn home_db_guess(&self, key: &HomeDbKey) -> Option<String> {
        if !self.ssr_enabled() {
            return None;
        }
        self.home_db.get(key)
    }

    /// Remembers `database` as `key`'s home database.
    pub(crate) fn learn_home_db(&self, key: HomeDbKey, database: &str) {
        self.home_db.set(key, database);
    }

    /// Forgets `key`'s cached home database (its guess could not be
    /// routed).
    pub(crate) fn forget_home_db(&self, key: &HomeDbKey) {
        self.home_db.remove(key);
    }

    fn check_open(&self) -> Result<(), Error> {
        if self.closed.load(Ordering::Acquire) {
            Err(Error::DriverClosed)
        } else {
            Ok(())
        }
    }

    /// A connection to a server of the right role for `req`'s database,
    /// discovering first when the table is stale. A server that cannot be
    /// reached is forgotten and the next candidate tried; when none is
    /// left the error is [`Error::SessionExpired`]. A pool closed under a
    /// waiting acquisition (its server forgotten meanwhile) is not a
    /// closed driver: the acquisition starts over once.
    pub(crate) async fn acquire(&self, req: RouteRequest<'_>) -> Result<PooledConnection, Error> {
        // One deadline for the refresh and the pool, and for both tries:
        // the session waits one acquisition timeout in all.
        let deadline = req.deadline.unwrap_or_else(|| self.refresh_deadline());
        if let Some(conn) = self.acquire_once(req, deadline).await? {
            return Ok(conn);
        }
        // The server was forgotten (a connection to it broke) and its pool
        // closed while this acquisition waited for it: once more, with the
        // table as it is now and a new pool. The driver is open:
        // `DriverClosed` would be wrong.
        tracing::debug!("the pool closed under an acquisition; acquiring again");
        Box::pin(self.acquire_once(req, deadline))
            .await?
            .ok_or_else(|| {
                Error::SessionExpired(
                    "the server's connection pool was closed while waiting for it".into(),
                )
            })
    }

    /// One try of [`acquire`](Self::acquire): `None` if the pool was closed
    /// under it while the driver is open.
    async fn acquire_once(
        &self,
        req: RouteRequest<'_>,
        deadline: tokio::time::Instant,
    ) -> Result<Option<PooledConnection>, Error> {
        self.check_open()?;
        let key: Key = req.database.map(str::to_owned);
        let table = self
            .ensure_fresh(
                &key,
                req.mode,
                (req.imp_user, req.bookmarks, req.auth),
                deadline,
            )
            .await?;
        let (mut candidates, rr, role) = match req.mode {
            AccessMode::Read => (table.readers, &self.readers_rr, "reader"),
            AccessMode::Write => (table.writers, &self.writers_rr, "writer"),
        };
        loop {
            let load = self.in_use();
            let Some(address) = rr
                .least_connected(&candidates, |a| load.get(a).copied().unwrap_or(0))
                .cloned()
            else {
                return Err(Error::SessionExpired(format!(
                    "no {role} is available for {}",
                    db_name(&key)
                )));
            };
            let acquired = self.pooled(&address, req.auth, deadline).await;
            if self.closed_under_open_driver(&acquired) {
                return Ok(None);
            }
            let Some(acquired) = acquired else {
                tracing::debug!(%address, "no connection before the acquisition deadline");
                return Err(self.refresh_timed_out());
            };
            match acquired {
                Ok(conn) => {
                    self.note_ssr(&conn);
                    tracing::debug!(%address, mode = ?req.mode, database = ?key, "routed connection acquired");
                    return Ok(Some(conn));
                }
                Err(AcquireError::Pool(e)) if e.is_connection_failure() => {
                    tracing::debug!(%address, error = %e, "cluster member unreachable; forgetting it");
                    self.deactivate(&address).await;
                    candidates.retain(|a| a != &address);
                }
                Err(AcquireError::Pool(e)) => return Err(pool_error(e)),
                Err(AcquireError::Driver(e)) => return Err(e),
            }
        }
    }

    /// Connections in use per server (for least-connected selection).
    fn in_use(&self) -> HashMap<Address, u32> {
        self.pools
            .metrics()
            .into_iter()
            .map(|(a, m)| (a, m.in_use))
            .collect()
    }

    /// Asks the cluster for the home database of the (impersonated) user:
    /// discovery for the home database, whose answer names it (`None` from
    /// servers before 4.3, which do not). The table is kept under that
    /// name, so the session's next [`acquire`](Self::acquire) naming it
    /// needs no second discovery.
    pub(crate) async fn resolve_home_database(
        &self,
        imp_user: Option<&str>,
        bookmarks: &[String],
        auth: AuthFor<'_>,
        deadline: Option<tokio::time::Instant>,
    ) -> Result<Option<String>, Error> {
        self.check_open()?;
        // Servers that do not name the home database (before 4.3) keep its
        // table under no name; while it is fresh there is nothing to ask.
        if self.fresh(&None, AccessMode::Read).is_some() {
            return Ok(None);
        }
        let deadline = deadline.unwrap_or_else(|| self.refresh_deadline());
        let _guard = self.lock_refresh(&None, deadline).await?;
        let table = self
            .update_table(&None, imp_user, bookmarks, auth, deadline)
            .await?;
        Ok(table.database)
    }

    /// The table for `key`, fresh for `mode` (discovering if needed,
    /// before `deadline`); `who`: the impersonated user, bookmarks and
    /// auth of the ROUTE.
    async fn ensure_fresh(
        &self,
        key: &Key,
        mode: AccessMode,
        (imp_user, bookmarks, auth): (Option<&str>, &[String], AuthFor<'_>),
        deadline: tokio::time::Instant,
    ) -> Result<RoutingTable, Error> {
        if let Some(t) = self.fresh(key, mode) {
            return Ok(t);
        }
        let _guard = self.lock_refresh(key, deadline).await?;
        if let Some(t) = self.fresh(key, mode) {
            return Ok(t);
        }
        self.purge_expired().await;
        self.update_table(key, imp_user, bookmarks, auth, deadline)
            .await
    }

    /// When a refresh (or an acquisition) starting now must be done (see
    /// the module doc).
    pub(crate) fn refresh_deadline(&self) -> tokio::time::Instant {
        let now = tokio::time::Instant::now();
        // A timeout too large to add is as good as none.
        now.checked_add(self.refresh_timeout)
            .unwrap_or_else(|| now + Duration::from_secs(100 * 365 * 24 * 60 * 60))
    }

    /// `key`'s refresh lock, waited for until `deadline`.
    async fn lock_refresh(
        &self,
        key: &Key,
        deadline: tokio::time::Instant,
    ) -> Result<RefreshGuard<'_>, Error> {
        tokio::time::timeout_at(deadline, self.refreshes.lock(key))
            .await
            .map_err(|_| {
                tracing::debug!(database = ?key, "routing table refresh of another session still running at the deadline");
                self.refresh_timed_out()
            })
    }

    /// The error of a refresh past its deadline.
    fn refresh_timed_out(&self) -> Error {
        Error::ConnectionAcquisitionTimeout(self.refresh_timeout)
    }

    fn fresh(&self, key: &Key, mode: AccessMode) -> Option<RoutingTable> {
        let tables = self.tables();
        tables
            .get(key)
            .filter(|t| t.is_fresh(mode, self.clock.now()))
            .cloned()
    }

    /// Drops tables expired for longer than the purge delay, and the pools
    /// of servers no table names any more.
    async fn purge_expired(&self) {
        let now = self.clock.now();
        let purged = {
            let mut tables = self.tables();
            let before = tables.len();
            tables.retain(|_, t| !t.is_purgeable(now, self.purge_delay));
            before != tables.len()
        };
        if purged {
            self.close_unused_pools().await;
        }
    }

    /// Closes the pools of servers that are in no table.
    async fn close_unused_pools(&self) {
        let keep: HashSet<Address> = self
            .tables()
            .values()
            .flat_map(|t| t.servers().cloned())
            .collect();
        self.ssr().retain(|a, _| keep.contains(a));
        self.pools.retain(|a| keep.contains(a)).await;
    }

    /// Discovery for `key`: the known routers, then the initial address
    /// through the resolver (initial address first when the last answer had
    /// no writers), all before `deadline`. Call with `key`'s refresh lock
    /// held.
    async fn update_table(
        &self,
        key: &Key,
        imp_user: Option<&str>,
        bookmarks: &[String],
        auth: AuthFor<'_>,
        deadline: tokio::time::Instant,
    ) -> Result<RoutingTable, Error> {
        let existing = self
            .tables()
            .get(key)
            .cloned()
            .unwrap_or_else(|| RoutingTable::empty(key.clone()));
        let d = Discovery {
            routing_context: &self.routing_context,
            database: key.as_deref(),
            imp_user,
            bookmarks,
        };
        let attempt = Attempt { key, deadline };
        let mut tried: HashSet<Address> = HashSet::new();
        let mut last: Option<Error> = None;
        let prefer_initial = existing.initialized_without_writers;
        if prefer_initial {
            if let Some(t) = self
                .via_initial(&d, auth, attempt, &mut tried, &mut last)
                .await?
            {
                return Ok(self.store(key, t).await);
            }
        }
        for router in &existing.routers {
            if let Some(t) = self
                .via_router(router, &d, auth, attempt, &mut tried, &mut last)
                .await?
            {
                return Ok(self.store(key, t).await);
            }
        }
        if !prefer_initial {
            if let Some(t) = self
                .via_initial(&d, auth, attempt, &mut tried, &mut last)
                .await?
            {
                return Ok(self.store(key, t).await);
            }
        }
        Err(Error::ServiceUnavailable(format!(
            "unable to retrieve routing information for {}{}",
            db_name(key),
            last.map(|e| format!(" (last error: {e})"))
                .unwrap_or_default()
        )))
    }

    /// Tries each address the resolver gives for the initial address.
    async fn via_initial(
        &self,
        d: &Discovery<'_>,
        auth: AuthFor<'_>,
        attempt: Attempt<'_>,
        tried: &mut HashSet<Address>,
        last: &mut Option<Error>,
    ) -> Result<Option<RoutingTable>, Error> {
        let resolved = match &self.resolver {
            Some(r) => r.resolve(&self.initial),
            None => vec![self.initial.clone()],
        };
        if resolved.is_empty() {
            *last = Some(Error::ServiceUnavailable(format!(
                "the custom resolver returned no addresses for {}",
                self.initial
            )));
        }
        for address in resolved {
            if let Some(t) = self
                .via_router(&address, d, auth, attempt, tried, last)
                .await?
            {
                return Ok(Some(t));
            }
        }
        Ok(None)
    }

    /// Discovery through one router: `Ok(None)` to try the next one,
    /// `Err` to stop.
    async fn via_router(
        &self,
        router: &Address,
        d: &Discovery<'_>,
        auth: AuthFor<'_>,
        attempt: Attempt<'_>,
        tried: &mut HashSet<Address>,
        last: &mut Option<Error>,
    ) -> Result<Option<RoutingTable>, Error> {
        if !tried.insert(router.clone()) {
            return Ok(None);
        }
        self.check_open()?;
        let mut acquired = self.pooled(router, auth, attempt.deadline).await;
        if self.closed_under_open_driver(&acquired) {
            // The router was forgotten (a connection to it broke) and its
            // pool closed while this waited for it, as in `acquire`: once
            // more, with a new pool, before the same deadline.
            tracing::debug!(%router, "the router's pool closed under the wait; waiting on a new one");
            acquired = Box::pin(self.pooled(router, auth, attempt.deadline)).await;
        }
        let acquired = acquired.ok_or_else(|| {
            tracing::debug!(%router, database = ?attempt.key, "no connection to the router before the refresh deadline");
            self.refresh_timed_out()
        })?;
        let result = match acquired {
            Err(AcquireError::Pool(PoolError::PoolClosed { .. }))
                if !self.closed.load(Ordering::Acquire) =>
            {
                // Closed under the wait again: the driver is open
                // (`DriverClosed` would be wrong), the next router is asked.
                *last = Some(Error::ServiceUnavailable(format!(
                    "the connection pool for {router} was closed while waiting for it"
                )));
                return Ok(None);
            }
            Err(AcquireError::Pool(e)) => Err(discovery::from_pool_error(e)),
            Err(AcquireError::Driver(e)) => Err(DiscoveryError::Fatal(e)),
            Ok(mut conn) => {
                self.note_ssr(&conn);
                let answer =
                    tokio::time::timeout_at(attempt.deadline, discovery::discover(&mut conn, d))
                        .await;
                let Ok(r) = answer else {
                    tracing::debug!(%router, database = ?attempt.key, "router did not answer before the refresh deadline; forgetting it as a router");
                    conn.mark_broken();
                    drop(conn);
                    if let Some(t) = self.tables().get_mut(attempt.key) {
                        t.forget_router(router);
                    }
                    return Err(self.refresh_timed_out());
                };
                if r.is_ok() {
                    conn.release().await;
                }
                r
            }
        };
        match result {
            Ok(mut t) => {
                t.updated_at = self.clock.now();
                tracing::debug!(%router, database = ?t.database, ttl = ?t.ttl, "routing table updated");
                Ok(Some(t))
            }
            Err(DiscoveryError::Unreachable(e)) => {
                tracing::debug!(%router, error = %e, "router unreachable");
                self.deactivate(router).await;
                *last = Some(e);
                Ok(None)
            }
            Err(DiscoveryError::Invalid(e)) => {
                tracing::debug!(%router, error = %e, "router gave no usable table");
                *last = Some(e);
                Ok(None)
            }
            Err(DiscoveryError::Fatal(e)) => Err(e),
        }
    }

    /// A connection from `address`'s pool before `deadline`; `None` once
    /// the deadline passed.
    async fn pooled(
        &self,
        address: &Address,
        auth: AuthFor<'_>,
        deadline: tokio::time::Instant,
    ) -> Option<Result<PooledConnection, AcquireError>> {
        match self.pools.pool(address) {
            Ok(pool) => tokio::time::timeout_at(deadline, auth.acquire(&pool))
                .await
                .ok(),
            Err(e) => Some(Err(AcquireError::Pool(e))),
        }
    }

    /// Whether [`pooled`](Self::pooled) found its pool closed under it
    /// while the driver is open: the server was forgotten meanwhile (a
    /// connection to it broke), not the driver closed.
    fn closed_under_open_driver(
        &self,
        acquired: &Option<Result<PooledConnection, AcquireError>>,
    ) -> bool {
        matches!(
            acquired,
            Some(Err(AcquireError::Pool(PoolError::PoolClosed { .. })))
        ) && !self.closed.load(Ordering::Acquire)
    }

    /// Keeps a new table (under the name the answer gave, for home-database
    /// discovery) and closes the pools of servers that left every table.
    async fn store(&self, key: &Key, table: RoutingTable) -> RoutingTable {
        {
            let mut tables = self.tables();
            let key = if key.is_none() {
                table.database.clone()
            } else {
                key.clone()
            };
            tables.insert(key, table.clone());
        }
        self.close_unused_pools().await;
        table
    }

    /// Forgets `address` in every table and closes its pool (it could not
    /// be reached).
    pub(crate) async fn deactivate(&self, address: &Address) {
        self.forget_everywhere(address);
        self.pools.remove(address).await;
    }

    /// [`deactivate`](Self::deactivate) without waiting: the pool is closed
    /// in the background (callers that cannot await).
    fn deactivate_soon(&self, address: &Address) {
        self.forget_everywhere(address);
        let pools = self.pools.clone();
        let address = address.clone();
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move { pools.remove(&address).await });
        }
    }

    fn forget_everywhere(&self, address: &Address) {
        self.ssr().remove(address);
        for t in self.tables().values_mut() {
            t.forget(address);
        }
    }

    /// Forgets `address` as a writer of `database` (it refused a write).
    pub(crate) fn forget_writer(&self, address: &Address, database: Option<&str>) {
        let key: Key = database.map(str::to_owned);
        if let Some(t) = self.tables().get_mut(&key) {
            t.forget_writer(address);
        }
    }

    /// Updates the tables after work on `address` for `database` failed
    /// with `err`; returns the error the user should see instead, if any:
    ///
    /// * `NotALeader` / `ForbiddenOnReadOnlyDatabase`: the writer is
    ///   forgotten for that database; the server's error is kept (it is
    ///   retryable and names its code, as in the official drivers);
    /// * a lost connection ([`Error::ServiceUnavailable`]): the server is
    ///   forgotten everywhere and its pool closed; [`Error::SessionExpired`];
    /// * `DatabaseUnavailable`: the server is forgotten (its pool closes
    ///   once no table names it); the error is kept;
    /// * anything else: nothing changes.
    pub(crate) fn on_failure(
        &self,
        address: &Address,
        database: Option<&str>,
        err: &Error,
    ) -> Option<Error> {
        match err {
            Error::Server { code, .. }
                if code == NOT_A_LEADER || code == FORBIDDEN_ON_READ_ONLY =>
            {
                tracing::debug!(%address, ?database, %code, "writer refused the write; forgetting it");
                self.forget_writer(address, database);
                None
            }
            Error::Server { code, .. } if code == DATABASE_UNAVAILABLE => {
                // The connection still works (and is reset on release);
                // the pool goes once no table names the server.
                tracing::debug!(%address, "database unavailable there; forgetting the server");
                self.forget_everywhere(address);
                None
            }
            Error::ServiceUnavailable(m) => {
                tracing::debug!(%address, error = %m, "cluster member lost; forgetting it");
                self.deactivate_soon(address);
                Some(Error::SessionExpired(format!(
                    "server {address} is no longer available: {m}"
                )))
            }
            _ => None,
        }
    }

    /// A connection to `address` came back broken: forget the server.
    pub(crate) fn on_broken(&self, address: &Address) {
        tracing::debug!(%address, "connection broke; forgetting the server");
        self.deactivate_soon(address);
    }

    /// Discovery for `database` now, whatever the table's age
    /// (diagnostics and tests).
    pub(crate) async fn force_update(
        &self,
        database: Option<&str>,
        imp_user: Option<&str>,
        bookmarks: &[String],
        auth: AuthFor<'_>,
    ) -> Result<(), Error> {
        self.check_open()?;
        let key: Key = database.map(str::to_owned);
        let deadline = self.refresh_deadline();
        let _guard = self.lock_refresh(&key, deadline).await?;
        self.update_table(&key, imp_user, bookmarks, auth, deadline)
            .await
            .map(|_| ())
    }

    /// A snapshot of the table for `database` (`None`: the unnamed home
    /// database of old servers).
    pub(crate) fn routing_table(&self, database: Option<&str>) -> Option<RoutingTableInfo> {
        let key: Key = database.map(str::to_owned);
        self.tables().get(&key).map(RoutingTableInfo::from_table)
    }

    /// Metrics of every server's pool.
    pub(crate) fn metrics(&self) -> Vec<(Address, PoolMetrics)> {
        self.pools.metrics()
    }

    /// Closes every pool; later calls fail with [`Error::DriverClosed`].
    pub(crate) async fn close(&self) {
        self.closed.store(true, Ordering::Release);
        self.tables().clear();
        self.ssr().clear();
        self.pools.close().await;
    }
}

/// Which table one refresh is for and when it must be done.
#[derive(Debug, Clone, Copy)]
struct Attempt<'a> {
    key: &'a Key,
    deadline: tokio::time::Instant,
}

fn db_name(key: &Key) -> String {
    match key {
        Some(db) => format!("database `{db}`"),
        None => "the home database".to_owned(),
    }
}

/// A pool failure outside discovery as an [`Error`].
fn pool_error(e: PoolError) -> Error {
    if e.is_security_failure() {
        return Error::from(e);
    }
    if e.is_connection_failure() {
        return Error::ServiceUnavailable(e.to_string());
    }
    match e {
        PoolError::Auth { code, message } => Error::from_server_failure(code, message, None),
        PoolError::Server(f) => Error::from_failure(*f),
        PoolError::AcquisitionTimeout { timeout, .. } => {
            Error::ConnectionAcquisitionTimeout(timeout)
        }
        PoolError::PoolClosed { .. } => Error::DriverClosed,
        PoolError::Encode(e) => Error::Unsupported(e.to_string()),
        PoolError::Offer(e) => Error::Unsupported(e.to_string()),
        e => Error::ServiceUnavailable(e.to_string()),
    }
}

impl RoutingTableInfo {
    fn from_table(t: &RoutingTable) -> RoutingTableInfo {
        let conv = |v: &[Address]| {
            v.iter()
                .map(|a| crate::ServerAddress::new(a.host(), a.port()))
                .collect()
        };
        RoutingTableInfo {
            database: t.database.clone(),
            ttl: t.ttl,
            routers: conv(&t.routers),
            readers: conv(&t.readers),
            writers: conv(&t.writers),
        }
    }
}
