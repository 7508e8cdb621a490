//! [`Clock`]: where a pool reads the time for connection lifetimes and
//! liveness checks, and [`SystemClock`], the real one. Owns nothing else:
//! socket deadlines and acquisition timeouts always run on tokio's timer.

use std::time::Instant;

/// The time source of a pool's lifetime and liveness decisions.
///
/// The default is [`SystemClock`]. Replace it only where time must be
/// controlled, e.g. a test that checks a one-hour lifetime without
/// waiting an hour. Instants from it are compared with instants from the
/// same clock only.
///
/// ```
/// use std::sync::Arc;
/// use std::time::{Duration, Instant};
/// use bolt_pool::{Clock, PoolConfig};
///
/// /// A clock an hour ahead of the system's.
/// #[derive(Debug)]
/// struct Ahead;
/// impl Clock for Ahead {
///     fn now(&self) -> Instant {
///         Instant::now() + Duration::from_secs(3600)
///     }
/// }
/// let config = PoolConfig::default().with_clock(Arc::new(Ahead));
/// assert!(config.clock.now() > Instant::now());
/// ```
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current instant.
    fn now(&self) -> Instant;
}

/// The system's monotonic clock ([`Instant::now`]).
///
/// ```
/// use bolt_pool::{Clock, SystemClock};
/// let t = SystemClock.now();
/// assert!(SystemClock.now() >= t);
/// ```
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
}
