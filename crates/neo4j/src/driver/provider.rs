//! Where sessions get their connections: the `ConnectionProvider` seam.
//!
//! A direct driver has one pool for the URI's server; a routing driver
//! (not built yet) will pick a pool per access mode and database from its
//! routing table behind the same `acquire` call. Owns pool creation
//! (lazily, inside the caller's tokio runtime) and closing.

use std::sync::{Arc, OnceLock};

use bolt_net::{Address, ConnectOptions};
use bolt_pool::{OpenOptions, Pool, PoolConfig, PoolMetrics, PooledConnection};
use bolt_proto::message::AccessMode;

use crate::driver::auth::AuthFor;
use crate::error::Error;
use crate::routing::{RouteHook, RouteRequest, RoutingProvider};

/// What a unit of work asks a provider for. Direct drivers ignore all but
/// nothing; routing drivers need every field.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AcquireRequest<'a> {
    pub(crate) mode: AccessMode,
    pub(crate) database: Option<&'a str>,
    pub(crate) bookmarks: &'a [String],
    pub(crate) imp_user: Option<&'a str>,
    /// The credentials the connection must be logged on with.
    pub(crate) auth: AuthFor<'a>,
    /// When a routing driver's acquisition (refresh included) must be
    /// done; `None`: one acquisition timeout from now.
    pub(crate) deadline: Option<tokio::time::Instant>,
}

/// Hands out pooled connections for units of work.
#[allow(clippy::large_enum_variant)] // one per driver, behind its Arc
pub(crate) enum ConnectionProvider {
    /// One server, one pool.
    Direct(DirectProvider),
    /// A cluster: routing tables and a pool per member (`crate::routing`).
    Routing(Arc<RoutingProvider>),
}

impl ConnectionProvider {
    pub(crate) async fn acquire(&self, req: AcquireRequest<'_>) -> Result<PooledConnection, Error> {
        match self {
            ConnectionProvider::Direct(d) => d.acquire(req).await,
            // Boxed: routing's future is kilobytes, and this one is
            // embedded in (and moved with) every query's future.
            ConnectionProvider::Routing(r) => {
                Box::pin(r.acquire(RouteRequest {
                    mode: req.mode,
                    database: req.database,
                    bookmarks: req.bookmarks,
                    imp_user: req.imp_user,
                    auth: req.auth,
                    deadline: req.deadline,
                }))
                .await
            }
        }
    }

    /// The home database a session without one should pin: asked of the
    /// cluster by a routing driver; `None` for a direct driver (the server
    /// picks) and for routing servers before 4.3 (they do not name it).
    pub(crate) async fn resolve_home_database(
        &self,
        imp_user: Option<&str>,
        bookmarks: &[String],
        auth: AuthFor<'_>,
        deadline: Option<tokio::time::Instant>,
    ) -> Result<Option<String>, Error> {
        match self {
            ConnectionProvider::Direct(_) => Ok(None),
            ConnectionProvider::Routing(r) => {
                r.resolve_home_database(imp_user, bookmarks, auth, deadline)
                    .await
            }
        }
    }

    /// What a unit of work on `database` reports failures to (routing
    /// drivers only).
    pub(crate) fn route_hook(&self, database: Option<&str>) -> Option<RouteHook> {
        match self {
            ConnectionProvider::Direct(_) => None,
            ConnectionProvider::Routing(r) => {
                Some(RouteHook::new(r.clone(), database.map(str::to_owned)))
            }
        }
    }

    /// The routing provider, for routing drivers.
    pub(crate) fn routing(&self) -> Option<&RoutingProvider> {
        match self {
            ConnectionProvider::Direct(_) => None,
            ConnectionProvider::Routing(r) => Some(r),
        }
    }

    pub(crate) async fn close(&self) {
        match self {
            ConnectionProvider::Direct(d) => d.close().await,
            ConnectionProvider::Routing(r) => r.close().await,
        }
    }

    pub(crate) fn metrics(&self) -> Vec<(Address, PoolMetrics)> {
        match self {
            ConnectionProvider::Direct(d) => d
                .pool
                .get()
                .map(|p| vec![(d.address.clone(), p.metrics())])
                .unwrap_or_default(),
            ConnectionProvider::Routing(r) => r.metrics(),
        }
    }
}

/// The provider of a direct (`bolt://`) driver.
pub(crate) struct DirectProvider {
    address: Address,
    connect: ConnectOptions,
    open: OpenOptions,
    config: PoolConfig,
    pool: OnceLock<Pool>,
}

impl DirectProvider {
    pub(crate) fn new(
        address: Address,
        connect: ConnectOptions,
        open: OpenOptions,
        config: PoolConfig,
    ) -> DirectProvider {
        DirectProvider {
            address,
            connect,
            open,
            config,
            pool: OnceLock::new(),
        }
    }

    fn pool(&self) -> Result<&Pool, Error> {
        if let Some(p) = self.pool.get() {
            return Ok(p);
        }
        let pool = Pool::new(
            self.address.clone(),
            self.connect.clone(),
            self.open.clone(),
            self.config.clone(),
        )?;
        // A racing creator may have won; its pool is as good as ours.
        let _ = self.pool.set(pool);
        self.pool
            .get()
            .ok_or_else(|| Error::Usage("connection pool could not be created".into()))
    }

    async fn acquire(&self, req: AcquireRequest<'_>) -> Result<PooledConnection, Error> {
        let pool = self.pool()?;
        // Read only for the debug log below (a clock read per query else).
        let started = tracing::enabled!(tracing::Level::DEBUG).then(std::time::Instant::now);
        let conn = req.auth.acquire(pool).await.map_err(Error::from).inspect_err(|e| {
            tracing::debug!(address = %self.address, error = %e, "connection acquisition failed");
        })?;
        tracing::debug!(
            address = %self.address,
            id = ?conn.connection_id(),
            mode = ?req.mode,
            database = ?req.database,
            bookmarks = req.bookmarks.len(),
            imp_user = ?req.imp_user,
            waited = ?started.map(|t| t.elapsed()),
            "connection acquired"
        );
        Ok(conn)
    }

    async fn close(&self) {
        if let Some(p) = self.pool.get() {
            p.close().await;
        }
    }
}
