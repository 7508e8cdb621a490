//! Where sessions get their connections: the `ConnectionProvider` seam.
//!
//! A direct driver has one pool for the URI's server; a routing driver
//! (not built yet) will pick a pool per access mode and database from its
//! routing table behind the same `acquire` call. Owns pool creation
//! (lazily, inside the caller's tokio runtime) and closing.

use std::sync::OnceLock;

use bolt_net::{Address, ConnectOptions};
use bolt_pool::{OpenOptions, Pool, PoolConfig, PoolMetrics, PooledConnection};
use bolt_proto::message::AccessMode;

use crate::error::Error;

/// What a unit of work asks a provider for. Direct drivers ignore all but
/// nothing; routing drivers need every field.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AcquireRequest<'a> {
    pub(crate) mode: AccessMode,
    pub(crate) database: Option<&'a str>,
    pub(crate) bookmarks: &'a [String],
    pub(crate) imp_user: Option<&'a str>,
}

/// Hands out pooled connections for units of work.
pub(crate) enum ConnectionProvider {
    /// One server, one pool.
    Direct(DirectProvider),
}

impl ConnectionProvider {
    pub(crate) async fn acquire(&self, req: AcquireRequest<'_>) -> Result<PooledConnection, Error> {
        match self {
            ConnectionProvider::Direct(d) => d.acquire(req).await,
        }
    }

    pub(crate) async fn close(&self) {
        match self {
            ConnectionProvider::Direct(d) => d.close().await,
        }
    }

    pub(crate) fn metrics(&self) -> Vec<(Address, PoolMetrics)> {
        match self {
            ConnectionProvider::Direct(d) => d
                .pool
                .get()
                .map(|p| vec![(d.address.clone(), p.metrics())])
                .unwrap_or_default(),
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
        let started = std::time::Instant::now();
        let conn = pool.acquire().await.inspect_err(|e| {
            tracing::debug!(address = %self.address, error = %e, "connection acquisition failed");
        })?;
        tracing::debug!(
            address = %self.address,
            id = ?conn.connection_id(),
            mode = ?req.mode,
            database = ?req.database,
            bookmarks = req.bookmarks.len(),
            imp_user = ?req.imp_user,
            waited = ?started.elapsed(),
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
