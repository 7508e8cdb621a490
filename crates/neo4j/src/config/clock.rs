//! [`Clock`]: the time source a driver judges connection lifetimes,
//! liveness checks and routing table expiry by. Owns nothing else:
//! timeouts on the network always run on tokio's timer.

use std::time::Instant;

/// Where a driver reads the time for `max_connection_lifetime`,
/// `liveness_check_timeout` and routing table TTL decisions. The default
/// is the system's monotonic clock; replace it only where time must be controlled (tests
/// of hour-long lifetimes that must not take an hour).
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use std::time::{Duration, Instant};
/// use neo4j::{Clock, Config};
///
/// /// Time that moves only when told to.
/// #[derive(Debug)]
/// struct Manual(Mutex<Instant>);
/// impl Clock for Manual {
///     fn now(&self) -> Instant {
///         *self.0.lock().unwrap()
///     }
/// }
/// let clock = Arc::new(Manual(Mutex::new(Instant::now())));
/// let config = Config::builder().with_clock(clock.clone()).build()?;
/// *clock.0.lock().unwrap() += Duration::from_secs(3600); // an hour passes
/// # let _ = config;
/// # Ok::<(), neo4j::ConfigError>(())
/// ```
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current instant.
    fn now(&self) -> Instant;
}
