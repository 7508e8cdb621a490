//! When and how long to wait before retrying a unit of work.
//!
//! Owns the retry policy of managed transactions, as pure logic: exponential
//! backoff starting at 1 second, doubling, with ±20% jitter, until the
//! configured `max_retry_time` has passed since the first attempt. It never
//! sleeps and never reads a clock: callers pass the elapsed time and a jitter
//! sample, which keeps it deterministic in tests. Which errors are retryable
//! is [`Error::is_retryable`]'s business.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::time::Duration;

use crate::error::Error;

/// First delay before a retry.
///
/// ```
/// assert_eq!(neo4j::retry::INITIAL_RETRY_DELAY.as_secs(), 1);
/// ```
pub const INITIAL_RETRY_DELAY: Duration = Duration::from_secs(1);
/// Factor applied to the delay after each retry.
///
/// ```
/// assert_eq!(neo4j::retry::RETRY_DELAY_MULTIPLIER, 2);
/// ```
pub const RETRY_DELAY_MULTIPLIER: u32 = 2;
/// Relative jitter: each delay is moved by up to ±20%.
///
/// ```
/// assert_eq!(neo4j::retry::RETRY_DELAY_JITTER, 0.2);
/// ```
pub const RETRY_DELAY_JITTER: f64 = 0.2;

/// The retry rule for managed transactions.
///
/// ```
/// use std::time::Duration;
/// use neo4j::retry::{RetryDecision, RetryPolicy};
/// use neo4j::Error;
///
/// let mut backoff = RetryPolicy::new(Duration::from_secs(30)).start();
/// let err = Error::SessionExpired("leader switch".into());
/// assert_eq!(backoff.on_failure(&err, Duration::from_millis(50), 0.0),
///            RetryDecision::RetryAfter(Duration::from_secs(1)));
/// assert_eq!(backoff.on_failure(&err, Duration::from_secs(2), 0.0),
///            RetryDecision::RetryAfter(Duration::from_secs(2)));
/// assert_eq!(backoff.on_failure(&err, Duration::from_secs(31), 0.0),
///            RetryDecision::GiveUp);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    max_retry_time: Duration,
}

impl RetryPolicy {
    /// A policy that retries until `max_retry_time` has passed since the
    /// first attempt began (zero: never retry).
    ///
    /// ```
    /// use std::time::Duration;
    /// let p = neo4j::retry::RetryPolicy::new(Duration::from_secs(5));
    /// assert_eq!(p.max_retry_time(), Duration::from_secs(5));
    /// ```
    pub fn new(max_retry_time: Duration) -> Self {
        RetryPolicy { max_retry_time }
    }

    /// The time budget for retries.
    ///
    /// ```
    /// let p = neo4j::retry::RetryPolicy::from(&neo4j::Config::default());
    /// assert_eq!(p.max_retry_time().as_secs(), 30);
    /// ```
    pub fn max_retry_time(&self) -> std::time::Duration {
        self.max_retry_time
    }

    /// Starts tracking one unit of work (call when its first attempt begins).
    ///
    /// ```
    /// let b = neo4j::retry::RetryPolicy::new(std::time::Duration::from_secs(1)).start();
    /// assert_eq!(b.retries(), 0);
    /// ```
    pub fn start(&self) -> Backoff {
        Backoff {
            policy: *self,
            next_delay: INITIAL_RETRY_DELAY,
            retries: 0,
        }
    }
}

impl From<&crate::Config> for RetryPolicy {
    /// Uses the config's `max_retry_time`.
    ///
    /// ```
    /// let c = neo4j::Config::builder().with_max_retry_time(std::time::Duration::from_secs(3)).build().unwrap();
    /// assert_eq!(neo4j::retry::RetryPolicy::from(&c).max_retry_time().as_secs(), 3);
    /// ```
    fn from(config: &crate::Config) -> Self {
        RetryPolicy::new(config.max_retry_time())
    }
}

/// What to do after an attempt failed.
///
/// ```
/// use std::time::Duration;
/// use neo4j::retry::{RetryDecision, RetryPolicy};
///
/// let mut b = RetryPolicy::new(Duration::from_secs(30)).start();
/// match b.on_failure(&neo4j::Error::SessionExpired("x".into()), Duration::ZERO, 0.0) {
///     RetryDecision::RetryAfter(d) => assert_eq!(d, Duration::from_secs(1)),
///     other => panic!("{other:?}"),
/// }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryDecision {
    /// Wait this long, then try again.
    RetryAfter(Duration),
    /// The error is retryable but the time budget is spent: report it.
    GiveUp,
    /// The error is not retryable: report it at once.
    NotRetryable,
}

/// The retry state of one unit of work; see [`RetryPolicy`].
///
/// A retry loop (sketch; the sleeping and timing are the caller's):
///
/// ```
/// use std::time::{Duration, Instant};
/// use neo4j::retry::{random_jitter, RetryDecision, RetryPolicy};
///
/// fn attempt(n: u32) -> Result<u32, neo4j::Error> {
///     if n < 2 { Err(neo4j::Error::ServiceUnavailable("down".into())) } else { Ok(n) }
/// }
/// let start = Instant::now();
/// let mut backoff = RetryPolicy::new(Duration::from_secs(30)).start();
/// let mut n = 0;
/// let result = loop {
///     match attempt(n) {
///         Ok(v) => break Ok(v),
///         Err(e) => match backoff.on_failure(&e, start.elapsed(), random_jitter()) {
///             RetryDecision::RetryAfter(_delay) => n += 1, // sleep(_delay) here
///             _ => break Err(e),
///         },
///     }
/// };
/// assert_eq!(result.unwrap(), 2);
/// assert_eq!(backoff.retries(), 2);
/// ```
#[derive(Debug, Clone)]
pub struct Backoff {
    policy: RetryPolicy,
    next_delay: Duration,
    retries: u32,
}

impl Backoff {
    /// Decides after a failed attempt.
    ///
    /// `elapsed` is the time since the first attempt began; `jitter` is a
    /// sample in `[-1.0, 1.0]` (e.g. from [`random_jitter`]) scaling the
    /// ±20% jitter; values outside are clamped, NaN counts as 0. Retries are
    /// allowed while `elapsed < max_retry_time`; the delay doubles on each
    /// retry.
    ///
    /// ```
    /// use std::time::Duration;
    /// use neo4j::retry::{RetryDecision, RetryPolicy};
    /// use neo4j::Error;
    ///
    /// let mut b = RetryPolicy::new(Duration::from_secs(30)).start();
    /// let e = Error::ServiceUnavailable("down".into());
    /// assert_eq!(b.on_failure(&e, Duration::ZERO, 1.0),
    ///            RetryDecision::RetryAfter(Duration::from_millis(1200)));
    /// assert_eq!(b.on_failure(&Error::DriverClosed, Duration::ZERO, 0.0),
    ///            RetryDecision::NotRetryable);
    /// ```
    pub fn on_failure(&mut self, error: &Error, elapsed: Duration, jitter: f64) -> RetryDecision {
        if !error.is_retryable() {
            return RetryDecision::NotRetryable;
        }
        if elapsed >= self.policy.max_retry_time {
            return RetryDecision::GiveUp;
        }
        let jitter = if jitter.is_nan() {
            0.0
        } else {
            jitter.clamp(-1.0, 1.0)
        };
        let factor = 1.0 + RETRY_DELAY_JITTER * jitter;
        let delay = Duration::try_from_secs_f64(self.next_delay.as_secs_f64() * factor)
            .unwrap_or(Duration::MAX);
        self.next_delay = self.next_delay.saturating_mul(RETRY_DELAY_MULTIPLIER);
        self.retries = self.retries.saturating_add(1);
        RetryDecision::RetryAfter(delay)
    }

    /// How many retries have been granted so far.
    ///
    /// ```
    /// use std::time::Duration;
    /// let mut b = neo4j::retry::RetryPolicy::new(Duration::from_secs(9)).start();
    /// b.on_failure(&neo4j::Error::SessionExpired("x".into()), Duration::ZERO, 0.0);
    /// assert_eq!(b.retries(), 1);
    /// ```
    pub fn retries(&self) -> u32 {
        self.retries
    }
}

/// A uniformly distributed jitter sample in `[-1.0, 1.0]`, from the
/// standard library's randomly keyed hasher.
///
/// ```
/// let j = neo4j::retry::random_jitter();
/// assert!((-1.0..=1.0).contains(&j));
/// ```
pub fn random_jitter() -> f64 {
    let bits = RandomState::new().hash_one(0u8) >> 11; // 53 random bits
    (bits as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn retryable() -> Error {
        Error::from_server_failure("Neo.TransientError.Transaction.DeadlockDetected", "", None)
    }

    #[test]
    fn delays_double_from_one_second() {
        let mut b = RetryPolicy::new(Duration::from_secs(60)).start();
        let delays: Vec<_> = (0..6)
            .map(|i| b.on_failure(&retryable(), Duration::from_secs(i), 0.0))
            .collect();
        let want: Vec<_> = [1, 2, 4, 8, 16, 32]
            .into_iter()
            .map(|s| RetryDecision::RetryAfter(Duration::from_secs(s)))
            .collect();
        assert_eq!(delays, want);
        assert_eq!(b.retries(), 6);
    }

    #[test]
    fn jitter_is_plus_minus_twenty_percent() {
        let p = RetryPolicy::new(Duration::from_secs(60));
        let d = |j: f64| {
            let mut b = p.start();
            b.on_failure(&retryable(), Duration::ZERO, 0.0);
            b.on_failure(&retryable(), Duration::ZERO, j) // base 2 s
        };
        assert_eq!(
            d(-1.0),
            RetryDecision::RetryAfter(Duration::from_millis(1600))
        );
        assert_eq!(
            d(1.0),
            RetryDecision::RetryAfter(Duration::from_millis(2400))
        );
        assert_eq!(
            d(0.5),
            RetryDecision::RetryAfter(Duration::from_millis(2200))
        );
        assert_eq!(d(7.0), d(1.0), "clamped");
        assert_eq!(d(-7.0), d(-1.0), "clamped");
        assert_eq!(d(f64::NAN), d(0.0));
    }

    #[test]
    fn gives_up_once_budget_is_spent() {
        let mut b = RetryPolicy::new(Duration::from_secs(30)).start();
        assert!(matches!(
            b.on_failure(&retryable(), Duration::from_millis(29_999), 0.0),
            RetryDecision::RetryAfter(_)
        ));
        assert_eq!(
            b.on_failure(&retryable(), Duration::from_secs(30), 0.0),
            RetryDecision::GiveUp
        );
        let mut never = RetryPolicy::new(Duration::ZERO).start();
        assert_eq!(
            never.on_failure(&retryable(), Duration::ZERO, 0.0),
            RetryDecision::GiveUp
        );
    }

    #[test]
    fn non_retryable_errors_stop_at_once_and_keep_state() {
        let mut b = RetryPolicy::new(Duration::from_secs(30)).start();
        let syntax = Error::from_server_failure("Neo.ClientError.Statement.SyntaxError", "", None);
        assert_eq!(
            b.on_failure(&syntax, Duration::ZERO, 0.0),
            RetryDecision::NotRetryable
        );
        assert_eq!(b.retries(), 0);
        assert_eq!(
            b.on_failure(&retryable(), Duration::ZERO, 0.0),
            RetryDecision::RetryAfter(Duration::from_secs(1))
        );
    }

    #[test]
    fn huge_backoff_saturates_instead_of_panicking() {
        let mut b = RetryPolicy::new(Duration::MAX).start();
        for _ in 0..200 {
            assert!(matches!(
                b.on_failure(&retryable(), Duration::ZERO, 1.0),
                RetryDecision::RetryAfter(_)
            ));
        }
    }

    #[test]
    fn random_jitter_stays_in_range_and_varies() {
        let samples: Vec<f64> = (0..1000).map(|_| random_jitter()).collect();
        assert!(samples.iter().all(|j| (-1.0..=1.0).contains(j)));
        assert!(samples.iter().any(|j| *j < -0.5) && samples.iter().any(|j| *j > 0.5));
    }
}
