//! [`Pools`]: one [`Pool`] per server address, created on first use, all
//! sharing the same connect options, open options and configuration.
//!
//! Owns the address → pool map and closing pools as a set. Must not decide
//! which address to use (the facade's routing does).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use bolt_net::{Address, ConnectOptions};

use super::{Pool, PoolConfig, PoolMetrics, PooledConnection};
use crate::connection::OpenOptions;
use crate::error::PoolError;

/// Pools keyed by server address: a direct driver uses one, a routing
/// driver one per cluster member. Cloning is cheap and shares the set.
///
/// ```no_run
/// use bolt_pool::{OpenOptions, PoolConfig, Pools};
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let pools = Pools::new(Default::default(), OpenOptions::default(), PoolConfig::default())?;
/// let reader: bolt_net::Address = "reader-1:7687".parse()?;
/// let conn = pools.acquire(&reader).await?;
/// drop(conn);
/// for (address, m) in pools.metrics() {
///     println!("{address}: {} in use, {} idle", m.in_use, m.idle);
/// }
/// pools.close().await;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Pools {
    inner: Arc<Inner>,
}

struct Inner {
    connect: ConnectOptions,
    open: OpenOptions,
    config: PoolConfig,
    pools: Mutex<Option<HashMap<Address, Pool>>>,
}

impl std::fmt::Debug for Pools {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pools")
            .field("config", &self.inner.config)
            .field("addresses", &self.addresses())
            .finish_non_exhaustive()
    }
}

impl Pools {
    /// An empty set; pools are created on first use.
    ///
    /// ```
    /// use bolt_pool::{PoolConfig, Pools};
    /// let err = Pools::new(
    ///     Default::default(),
    ///     Default::default(),
    ///     PoolConfig::default().with_max_connection_pool_size(0),
    /// )
    /// .unwrap_err();
    /// assert!(matches!(err, bolt_pool::PoolError::InvalidConfig(_)));
    /// ```
    pub fn new(
        connect: ConnectOptions,
        open: OpenOptions,
        config: PoolConfig,
    ) -> Result<Pools, PoolError> {
        config.validate()?;
        Ok(Pools {
            inner: Arc::new(Inner {
                connect,
                open,
                config,
                pools: Mutex::new(Some(HashMap::new())),
            }),
        })
    }

    fn map(&self) -> MutexGuard<'_, Option<HashMap<Address, Pool>>> {
        self.inner.pools.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The configuration every pool uses.
    ///
    /// ```
    /// let pools = bolt_pool::Pools::new(Default::default(), Default::default(), Default::default())?;
    /// assert_eq!(pools.config().max_connection_pool_size, 100);
    /// # Ok::<(), bolt_pool::PoolError>(())
    /// ```
    pub fn config(&self) -> &PoolConfig {
        &self.inner.config
    }

    /// The pool for `address`, created if needed (inside a tokio runtime).
    /// Fails with [`PoolError::PoolClosed`] once the set is closed.
    ///
    /// ```no_run
    /// # async fn demo(pools: bolt_pool::Pools) -> Result<(), Box<dyn std::error::Error>> {
    /// let pool = pools.pool(&"localhost:7687".parse()?)?;
    /// # let _ = pool; Ok(()) }
    /// ```
    pub fn pool(&self, address: &Address) -> Result<Pool, PoolError> {
        let mut map = self.map();
        let Some(map) = map.as_mut() else {
            return Err(PoolError::PoolClosed {
                address: address.clone(),
            });
        };
        if let Some(p) = map.get(address) {
            return Ok(p.clone());
        }
        let pool = Pool::new(
            address.clone(),
            self.inner.connect.clone(),
            self.inner.open.clone(),
            self.inner.config.clone(),
        )?;
        map.insert(address.clone(), pool.clone());
        Ok(pool)
    }

    /// Acquires a connection to `address` (see [`Pool::acquire`]).
    ///
    /// ```no_run
    /// # async fn demo(pools: bolt_pool::Pools) -> Result<(), Box<dyn std::error::Error>> {
    /// let conn = pools.acquire(&"localhost:7687".parse()?).await?;
    /// # let _ = conn; Ok(()) }
    /// ```
    pub async fn acquire(&self, address: &Address) -> Result<PooledConnection, PoolError> {
        self.pool(address)?.acquire().await
    }

    /// The addresses that have a pool.
    ///
    /// ```
    /// let pools = bolt_pool::Pools::new(Default::default(), Default::default(), Default::default())?;
    /// assert!(pools.addresses().is_empty());
    /// # Ok::<(), bolt_pool::PoolError>(())
    /// ```
    pub fn addresses(&self) -> Vec<Address> {
        self.map()
            .as_ref()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// Metrics of every pool.
    ///
    /// ```
    /// let pools = bolt_pool::Pools::new(Default::default(), Default::default(), Default::default())?;
    /// assert!(pools.metrics().is_empty());
    /// # Ok::<(), bolt_pool::PoolError>(())
    /// ```
    pub fn metrics(&self) -> Vec<(Address, PoolMetrics)> {
        self.map()
            .as_ref()
            .map(|m| m.iter().map(|(a, p)| (a.clone(), p.metrics())).collect())
            .unwrap_or_default()
    }

    /// Closes and forgets the pool of `address` (e.g. a server gone from
    /// the routing table).
    ///
    /// ```no_run
    /// # async fn demo(pools: bolt_pool::Pools) -> Result<(), Box<dyn std::error::Error>> {
    /// pools.remove(&"old-member:7687".parse()?).await;
    /// # Ok(()) }
    /// ```
    pub async fn remove(&self, address: &Address) {
        let pool = self.map().as_mut().and_then(|m| m.remove(address));
        if let Some(pool) = pool {
            pool.close().await;
        }
    }

    /// Closes and forgets every pool whose address `keep` rejects.
    ///
    /// ```no_run
    /// # async fn demo(pools: bolt_pool::Pools, members: Vec<bolt_net::Address>) {
    /// pools.retain(|a| members.contains(a)).await;
    /// # }
    /// ```
    pub async fn retain(&self, mut keep: impl FnMut(&Address) -> bool) {
        let removed: Vec<Pool> = match self.map().as_mut() {
            Some(m) => {
                let gone: Vec<Address> = m.keys().filter(|a| !keep(a)).cloned().collect();
                gone.iter().filter_map(|a| m.remove(a)).collect()
            }
            None => Vec::new(),
        };
        for pool in removed {
            pool.close().await;
        }
    }

    /// Closes every pool (see [`Pool::close`]); later calls to
    /// [`pool`](Self::pool) and [`acquire`](Self::acquire) fail with
    /// [`PoolError::PoolClosed`].
    ///
    /// ```no_run
    /// # async fn demo(pools: bolt_pool::Pools) {
    /// pools.close().await;
    /// # }
    /// ```
    pub async fn close(&self) {
        let pools = self.map().take();
        let closing = pools
            .into_iter()
            .flat_map(|m| m.into_values())
            .map(|p| async move { p.close().await });
        let mut set = tokio::task::JoinSet::new();
        for c in closing {
            set.spawn(c);
        }
        while set.join_next().await.is_some() {}
    }

    /// Whether [`close`](Self::close) was called.
    ///
    /// ```
    /// let pools = bolt_pool::Pools::new(Default::default(), Default::default(), Default::default())?;
    /// assert!(!pools.is_closed());
    /// # Ok::<(), bolt_pool::PoolError>(())
    /// ```
    pub fn is_closed(&self) -> bool {
        self.map().is_none()
    }
}
