//! [`PoolConfig`]: size, acquisition timeout, lifetime and liveness check,
//! with the official drivers' defaults. Owns validation of those values
//! only.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::clock::{Clock, SystemClock};
use crate::error::PoolError;

/// The default `max_connection_pool_size`: 100 per server.
///
/// ```
/// assert_eq!(bolt_pool::DEFAULT_MAX_CONNECTION_POOL_SIZE, 100);
/// ```
pub const DEFAULT_MAX_CONNECTION_POOL_SIZE: u32 = 100;

/// The default `connection_acquisition_timeout`: 60 seconds.
///
/// ```
/// assert_eq!(bolt_pool::DEFAULT_CONNECTION_ACQUISITION_TIMEOUT.as_secs(), 60);
/// ```
pub const DEFAULT_CONNECTION_ACQUISITION_TIMEOUT: Duration = Duration::from_secs(60);

/// The default `max_connection_lifetime`: one hour.
///
/// ```
/// assert_eq!(bolt_pool::DEFAULT_MAX_CONNECTION_LIFETIME.as_secs(), 3600);
/// ```
pub const DEFAULT_MAX_CONNECTION_LIFETIME: Duration = Duration::from_secs(3600);

/// How a pool behaves. Defaults match the official 5.x drivers.
///
/// ```
/// use std::time::Duration;
/// use bolt_pool::PoolConfig;
///
/// let config = PoolConfig::default()
///     .with_max_connection_pool_size(10)
///     .with_connection_acquisition_timeout(Duration::from_secs(5))
///     .with_max_connection_lifetime(Some(Duration::from_secs(600)))
///     .with_liveness_check_timeout(Some(Duration::from_secs(30)));
/// assert_eq!(config.max_connection_pool_size, 10);
/// assert!(config.validate().is_ok());
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PoolConfig {
    /// Most connections (idle and in use) per server. Default 100.
    pub max_connection_pool_size: u32,
    /// Longest an acquisition may take, waiting for a free slot and
    /// opening a new connection together. Default 60 s.
    pub connection_acquisition_timeout: Duration,
    /// Age after which a connection is closed on release and never handed
    /// out; `None` keeps connections forever. Default 1 h.
    pub max_connection_lifetime: Option<Duration>,
    /// When set, a connection idle for longer than this is checked with a
    /// RESET round trip before it is handed out. Default off.
    pub liveness_check_timeout: Option<Duration>,
    /// The time source of lifetime and liveness decisions. Default
    /// [`SystemClock`].
    pub clock: Arc<dyn Clock>,
}

impl PartialEq for PoolConfig {
    /// Equal values and the same clock instance.
    fn eq(&self, other: &Self) -> bool {
        self.max_connection_pool_size == other.max_connection_pool_size
            && self.connection_acquisition_timeout == other.connection_acquisition_timeout
            && self.max_connection_lifetime == other.max_connection_lifetime
            && self.liveness_check_timeout == other.liveness_check_timeout
            && std::ptr::addr_eq(Arc::as_ptr(&self.clock), Arc::as_ptr(&other.clock))
    }
}

impl Default for PoolConfig {
    fn default() -> Self {
        PoolConfig {
            max_connection_pool_size: DEFAULT_MAX_CONNECTION_POOL_SIZE,
            connection_acquisition_timeout: DEFAULT_CONNECTION_ACQUISITION_TIMEOUT,
            max_connection_lifetime: Some(DEFAULT_MAX_CONNECTION_LIFETIME),
            liveness_check_timeout: None,
            clock: Arc::new(SystemClock),
        }
    }
}

impl PoolConfig {
    /// Sets `max_connection_pool_size` (at least 1).
    ///
    /// ```
    /// let c = bolt_pool::PoolConfig::default().with_max_connection_pool_size(5);
    /// assert_eq!(c.max_connection_pool_size, 5);
    /// ```
    pub fn with_max_connection_pool_size(mut self, size: u32) -> Self {
        self.max_connection_pool_size = size;
        self
    }

    /// Sets `connection_acquisition_timeout`.
    ///
    /// ```
    /// let c = bolt_pool::PoolConfig::default()
    ///     .with_connection_acquisition_timeout(std::time::Duration::from_secs(1));
    /// assert_eq!(c.connection_acquisition_timeout.as_secs(), 1);
    /// ```
    pub fn with_connection_acquisition_timeout(mut self, timeout: Duration) -> Self {
        self.connection_acquisition_timeout = timeout;
        self
    }

    /// Sets `max_connection_lifetime` (`None`: unlimited).
    ///
    /// ```
    /// let c = bolt_pool::PoolConfig::default().with_max_connection_lifetime(None);
    /// assert!(c.max_connection_lifetime.is_none());
    /// ```
    pub fn with_max_connection_lifetime(mut self, lifetime: Option<Duration>) -> Self {
        self.max_connection_lifetime = lifetime;
        self
    }

    /// Sets `liveness_check_timeout` (`None`: never check).
    ///
    /// ```
    /// let c = bolt_pool::PoolConfig::default()
    ///     .with_liveness_check_timeout(Some(std::time::Duration::ZERO));
    /// assert_eq!(c.liveness_check_timeout, Some(std::time::Duration::ZERO));
    /// ```
    pub fn with_liveness_check_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.liveness_check_timeout = timeout;
        self
    }

    /// Sets the clock of lifetime and liveness decisions.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let c = bolt_pool::PoolConfig::default().with_clock(Arc::new(bolt_pool::SystemClock));
    /// # let _ = c;
    /// ```
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Checks the values: the pool size must be at least 1.
    ///
    /// ```
    /// let c = bolt_pool::PoolConfig::default().with_max_connection_pool_size(0);
    /// assert!(c.validate().unwrap_err().to_string().contains("max_connection_pool_size"));
    /// ```
    pub fn validate(&self) -> Result<(), PoolError> {
        if self.max_connection_pool_size == 0 {
            return Err(PoolError::InvalidConfig(
                "max_connection_pool_size must be at least 1".to_owned(),
            ));
        }
        Ok(())
    }

    /// Whether a connection created at `created` (by the clock) has
    /// outlived the lifetime.
    pub(crate) fn is_expired(&self, created: Instant) -> bool {
        self.max_connection_lifetime.is_some() && self.is_expired_at(created, self.clock.now())
    }

    /// [`is_expired`](Self::is_expired) at `now` (by the clock).
    pub(crate) fn is_expired_at(&self, created: Instant, now: Instant) -> bool {
        match self.max_connection_lifetime {
            Some(lifetime) => now.saturating_duration_since(created) >= lifetime,
            None => false,
        }
    }
}
