//! Per-server pools on bb8: [`Pool`], its guard [`PooledConnection`],
//! [`PoolMetrics`], and [`Pools`], the set keyed by address.
//!
//! Owns handing out connections (acquisition deadline, lifetime, zero-I/O
//! idle check, optional liveness RESET), taking them back (RESET of a
//! connection returned mid-work, GOODBYE of one that expired or whose pool
//! closed) and closing pools. Must not open connections itself (the bb8
//! manager does) nor know about sessions or routing tables.

mod clock;
mod config;
mod manager;
mod set;

use std::future::Future;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bolt_net::{Address, ConnectOptions};

pub use clock::{Clock, SystemClock};
pub use config::{
    PoolConfig, DEFAULT_CONNECTION_ACQUISITION_TIMEOUT, DEFAULT_MAX_CONNECTION_LIFETIME,
    DEFAULT_MAX_CONNECTION_POOL_SIZE,
};
pub use manager::BoltManager;
pub use set::Pools;

use crate::connection::{Connection, OpenOptions};
use crate::error::PoolError;
use manager::Shared;

type Bb8Guard = bb8::PooledConnection<'static, BoltManager>;

/// A pool of connections to one server.
///
/// Cloning is cheap and shares the pool. Acquiring an idle connection does
/// no I/O; a connection is opened only when none is idle and the pool has
/// room. Create it inside a tokio runtime.
///
/// ```no_run
/// use bolt_pool::{OpenOptions, Pool, PoolConfig};
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let pool = Pool::new(
///     "localhost:7687".parse()?,
///     bolt_net::ConnectOptions::new(),
///     OpenOptions::default(),
///     PoolConfig::default(),
/// )?;
/// let conn = pool.acquire().await?;
/// println!("Bolt {}", conn.version());
/// drop(conn); // back to the pool
/// assert_eq!(pool.metrics().idle, 1);
/// pool.close().await;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Pool {
    shared: Arc<Shared>,
    bb8: bb8::Pool<BoltManager>,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("address", &self.shared.address)
            .field("config", &self.shared.config)
            .field("closed", &self.shared.is_closed())
            .finish_non_exhaustive()
    }
}

/// A snapshot of a pool's connections.
///
/// ```
/// let m = bolt_pool::PoolMetrics::default();
/// assert_eq!(m.in_use + m.idle + m.opening + m.waiting, 0);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PoolMetrics {
    /// Connections handed out (including those being reset or closed after
    /// their return).
    pub in_use: u32,
    /// Connections waiting in the pool.
    pub idle: u32,
    /// Connections being opened.
    pub opening: u32,
    /// Acquirers waiting for a connection.
    pub waiting: u32,
    /// Connections opened since the pool was created.
    pub created: u64,
    /// Connections closed since the pool was created (broken, expired or
    /// closed with the pool).
    pub closed: u64,
}

struct Waiting<'a>(&'a Shared);

/// What the zero-I/O checks say about a connection bb8 handed out.
enum Vetted {
    /// Fit to hand out.
    Ready(PooledConnection),
    /// Fit, but idle longer than the liveness check timeout: RESET first.
    Check(PooledConnection),
    /// Closed (expired, or closed by the server): try the next one.
    Skip,
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.waiting.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Pool {
    /// A pool for `address`. Must be called inside a tokio runtime (new
    /// connections are opened in tasks it spawns).
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// let pool = bolt_pool::Pool::new(
    ///     "localhost:7687".parse()?,
    ///     Default::default(),
    ///     Default::default(),
    ///     Default::default(),
    /// )?;
    /// # let _ = pool; Ok(()) }
    /// ```
    pub fn new(
        address: Address,
        connect: ConnectOptions,
        open: OpenOptions,
        config: PoolConfig,
    ) -> Result<Pool, PoolError> {
        config.validate()?;
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(PoolError::InvalidConfig(
                "a pool must be created inside a tokio runtime".to_owned(),
            ));
        }
        let manager = BoltManager::new(address, connect, open, config);
        let shared = manager.shared.clone();
        let cfg = &shared.config;
        // bb8 is given no lifetime: the lifetime is enforced here, by the
        // configured clock, as a connection is taken back and handed out
        // (`returned`, `vet`). A bb8 lifetime would only add its reaper, a
        // task per pool that wakes every few seconds and outlives a closed
        // pool until its next tick (a driver made and closed per request
        // would leave one behind each time).
        let bb8 = bb8::Pool::builder()
            .max_size(cfg.max_connection_pool_size)
            .min_idle(None)
            .test_on_check_out(false)
            .max_lifetime(None)
            .idle_timeout(None)
            .connection_timeout(
                cfg.connection_acquisition_timeout
                    .max(Duration::from_nanos(1)),
            )
            .retry_connection(false)
            .build_unchecked(manager);
        Ok(Pool { shared, bb8 })
    }

    /// The state shared with the bb8 manager.
    #[cfg(test)]
    pub(crate) fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// The server this pool connects to.
    ///
    /// ```no_run
    /// # fn demo(pool: &bolt_pool::Pool) {
    /// println!("{}", pool.address());
    /// # }
    /// ```
    pub fn address(&self) -> &Address {
        &self.shared.address
    }

    /// The pool's configuration.
    ///
    /// ```no_run
    /// # fn demo(pool: &bolt_pool::Pool) {
    /// assert_eq!(pool.config().max_connection_pool_size, 100);
    /// # }
    /// ```
    pub fn config(&self) -> &PoolConfig {
        &self.shared.config
    }

    /// Whether [`close`](Self::close) was called.
    ///
    /// ```no_run
    /// # async fn demo(pool: bolt_pool::Pool) {
    /// pool.close().await;
    /// assert!(pool.is_closed());
    /// # }
    /// ```
    pub fn is_closed(&self) -> bool {
        self.shared.is_closed()
    }

    /// Sets the auth token connections opened from now on log on with, in
    /// place of the [`OpenOptions`]' one. Connections already open keep
    /// theirs: compare [`Connection::auth`] after acquiring and
    /// [`reauthenticate`](Connection::reauthenticate) (or replace) those
    /// that differ.
    ///
    /// ```no_run
    /// # async fn demo(pool: bolt_pool::Pool) -> Result<(), bolt_pool::PoolError> {
    /// let mut token = packstream::Map::new();
    /// token.insert("scheme", "bearer");
    /// token.insert("credentials", "fresh");
    /// pool.set_auth(&token);
    /// let mut conn = pool.acquire().await?;
    /// if conn.auth() != &token {
    ///     conn.reauthenticate(token).await?;
    /// }
    /// # Ok(()) }
    /// ```
    pub fn set_auth(&self, auth: &packstream::Map) {
        self.shared.set_auth(auth);
    }

    /// Acquires a connection within `connection_acquisition_timeout`.
    ///
    /// ```no_run
    /// # async fn demo(pool: bolt_pool::Pool) -> Result<(), bolt_pool::PoolError> {
    /// let mut conn = pool.acquire().await?;
    /// conn.reset().await?;
    /// # Ok(()) }
    /// ```
    pub async fn acquire(&self) -> Result<PooledConnection, PoolError> {
        self.acquire_within(self.shared.config.connection_acquisition_timeout)
            .await
    }

    /// Acquires a connection within `timeout` (covering both waiting for a
    /// free slot and opening a connection).
    ///
    /// A connection is handed out only if it is not broken, has not
    /// outlived `max_connection_lifetime`, shows no sign of a server-side
    /// close (checked without a round trip), and — when
    /// `liveness_check_timeout` is set and it has been idle longer — passes
    /// a RESET round trip. Failing ones are closed and the next is tried,
    /// except one opened since this acquisition began (found closed, or
    /// failing its liveness check): a server that
    /// closes a connection it has just accepted (logon included) would
    /// have the pool open one after another until the timeout, so that
    /// failure is returned (as the official drivers fail the unit of
    /// work on a broken fresh connection; it is a connection failure,
    /// retryable). An open failure (network, auth) is returned as is.
    ///
    /// ```no_run
    /// # async fn demo(pool: bolt_pool::Pool) -> Result<(), bolt_pool::PoolError> {
    /// let conn = pool.acquire_within(std::time::Duration::from_secs(2)).await?;
    /// # let _ = conn; Ok(()) }
    /// ```
    pub async fn acquire_within(&self, timeout: Duration) -> Result<PooledConnection, PoolError> {
        let s = &*self.shared;
        if s.is_closed() {
            return Err(s.closed_error());
        }
        s.waiting.fetch_add(1, Ordering::AcqRel);
        let waiting = Waiting(s);
        let opens_before = s.open_count();
        let opened_before = s.opened.load(Ordering::Acquire);
        // The common case, an idle connection that passes the zero-I/O
        // checks, is served here without awaiting: no timer, no select, and
        // this future stays small (callers embed it several layers deep
        // and move it as often). Everything else runs boxed.
        let first = match self.take_idle(opened_before)? {
            Vetted::Ready(conn) => {
                drop(waiting);
                return Ok(conn);
            }
            Vetted::Check(conn) => Some(conn),
            Vetted::Skip => None,
        };
        // The clock is read only when waiting: the try above never waits
        // (open failures are counted from before it).
        let started = Instant::now();
        Box::pin(self.acquire_waiting(
            timeout,
            started,
            (opens_before, opened_before),
            first,
            waiting,
        ))
        .await
    }

    /// One try at bb8's idle set, without waiting: polls a `get` once
    /// (bb8 pops an idle connection on its first poll; with none, the
    /// try is dropped, which bb8 allows at any point) and vets what it
    /// hands out, until one passes or none is idle.
    fn take_idle(&self, opened_before: u64) -> Result<Vetted, PoolError> {
        let mut cx = Context::from_waker(std::task::Waker::noop());
        loop {
            let got = {
                let get = std::pin::pin!(self.bb8.get_owned());
                match get.poll(&mut cx) {
                    Poll::Ready(Ok(guard)) => guard,
                    // Timed out or failed at once: leave the reporting to
                    // the waiting path.
                    Poll::Ready(Err(_)) | Poll::Pending => return Ok(Vetted::Skip),
                }
            };
            match self.vet(got, opened_before)? {
                Vetted::Skip => continue,
                other => return Ok(other),
            }
        }
    }

    /// Waits for a connection (bb8's `get`, bounded by the deadline, the
    /// pool's close and open failures), vetting each; starts with
    /// `first`, a connection that still needs its liveness check.
    /// `before`: the pool's open-failure and opened-connection counts
    /// when the acquisition began.
    async fn acquire_waiting(
        &self,
        timeout: Duration,
        started: Instant,
        (opens_before, opened_before): (u64, u64),
        mut first: Option<PooledConnection>,
        waiting: Waiting<'_>,
    ) -> Result<PooledConnection, PoolError> {
        let s = &*self.shared;
        let deadline = crate::connection::saturating_deadline(
            tokio::time::Instant::from_std(started),
            timeout,
        );
        loop {
            let mut conn = match first.take() {
                Some(conn) => conn,
                None => {
                    let got = tokio::select! {
                        biased;
                        r = self.bb8.get_owned() => r,
                        e = s.next_error(opens_before) => match e {
                            Some(e) => return Err(e),
                            // An earlier open failed: ask bb8 again, which
                            // opens one for this acquirer if none is left.
                            None => continue,
                        },
                        _ = s.closed.cancelled() => return Err(s.closed_error()),
                        _ = tokio::time::sleep_until(deadline) => {
                            tracing::debug!(address = %s.address, ?timeout, "connection acquisition timed out");
                            return Err(self.timed_out(timeout));
                        }
                    };
                    let guard = match got {
                        Ok(g) => g,
                        Err(bb8::RunError::User(e)) => return Err(e),
                        Err(bb8::RunError::TimedOut) => return Err(self.timed_out(timeout)),
                    };
                    match self.vet(guard, opened_before)? {
                        Vetted::Ready(conn) => {
                            drop(waiting);
                            return Ok(conn);
                        }
                        Vetted::Check(conn) => conn,
                        Vetted::Skip => continue,
                    }
                }
            };
            let check = tokio::time::timeout_at(deadline, conn.reset()).await;
            if matches!(check, Ok(Ok(()))) {
                drop(waiting);
                return Ok(conn);
            }
            tracing::debug!(address = %s.address, "liveness check failed");
            let fresh = conn.pool_serial() > opened_before;
            conn.discard();
            if let (true, Ok(Err(e))) = (fresh, check) {
                // As in `vet`: a connection opened for this acquisition
                // failed at once; another would likely do the same.
                return Err(e);
            }
        }
    }

    /// The checks of a connection bb8 handed out that need no round trip:
    /// the pool still open, the connection not expired and not closed by
    /// the server. Failing ones are closed (`Skip`), but a closed one
    /// opened after `opened_before` (since the acquisition began) fails
    /// it; one idle longer than `liveness_check_timeout` still needs a
    /// RESET (`Check`).
    fn vet(&self, guard: Bb8Guard, opened_before: u64) -> Result<Vetted, PoolError> {
        let s = &*self.shared;
        let mut conn = PooledConnection {
            guard: Some(guard),
            shared: self.shared.clone(),
        };
        if s.is_closed() {
            conn.discard();
            return Err(s.closed_error());
        }
        let liveness = s.config.liveness_check_timeout;
        // One clock read serves both time checks (none when neither is on).
        let now = (s.config.max_connection_lifetime.is_some() || liveness.is_some())
            .then(|| s.config.clock.now());
        if now.is_some_and(|now| s.config.is_expired_at(conn.created_at(), now)) {
            tracing::debug!(address = %s.address, "closing expired connection");
            conn.retire();
            return Ok(Vetted::Skip);
        }
        if let Err(e) = conn.check_idle() {
            let fresh = conn.pool_serial() > opened_before;
            conn.discard();
            if fresh {
                // Opened for this acquisition (or during it) and closed
                // already: opening another at once would loop as fast as
                // the server accepts.
                tracing::debug!(address = %s.address, error = %e, "a fresh connection was closed by the server");
                return Err(e);
            }
            tracing::debug!(address = %s.address, "idle connection was closed by the server");
            return Ok(Vetted::Skip);
        }
        if let (Some(limit), Some(now)) = (liveness, now) {
            if now.saturating_duration_since(conn.idle_since()) > limit {
                return Ok(Vetted::Check(conn));
            }
        }
        Ok(Vetted::Ready(conn))
    }

    fn timed_out(&self, timeout: Duration) -> PoolError {
        PoolError::AcquisitionTimeout {
            address: self.shared.address.clone(),
            timeout,
        }
    }

    /// A snapshot of the pool's counters.
    ///
    /// ```no_run
    /// # fn demo(pool: &bolt_pool::Pool) {
    /// let m = pool.metrics();
    /// println!("{} in use, {} idle", m.in_use, m.idle);
    /// # }
    /// ```
    pub fn metrics(&self) -> PoolMetrics {
        let st = self.bb8.state();
        let stats = &st.statistics;
        PoolMetrics {
            in_use: st.connections.saturating_sub(st.idle_connections),
            idle: st.idle_connections,
            opening: self.shared.opening.load(Ordering::Acquire),
            waiting: self.shared.waiting.load(Ordering::Acquire),
            created: stats.connections_created,
            closed: stats.connections_closed_broken
                + stats.connections_closed_invalid
                + stats.connections_closed_max_lifetime
                + stats.connections_closed_idle_timeout,
        }
    }

    /// Closes the pool: later acquisitions (and those waiting) fail with
    /// [`PoolError::PoolClosed`]; every idle connection is closed now
    /// (GOODBYE where the version has it), each in-use one as it comes
    /// back. Returns once the idle ones are closed.
    ///
    /// ```no_run
    /// # async fn demo(pool: bolt_pool::Pool) {
    /// pool.close().await;
    /// assert!(pool.acquire().await.is_err());
    /// # }
    /// ```
    pub async fn close(&self) {
        let s = &*self.shared;
        if !s.is_closed() {
            tracing::debug!(address = %s.address, "closing connection pool");
        }
        s.closed.cancel();
        // bb8 cannot drop idle connections on demand: take them out one by
        // one (no I/O: the pool has idle ones), then say GOODBYE to all of
        // them at once, here (no task spawned per connection; each GOODBYE
        // is bounded by the write timeout).
        let mut idle = Vec::new();
        while self.bb8.state().idle_connections > 0 {
            let got = tokio::time::timeout(Duration::from_millis(50), self.bb8.get_owned()).await;
            let Ok(Ok(guard)) = got else { break };
            idle.push(guard);
        }
        futures_util::future::join_all(idle.into_iter().map(say_goodbye)).await;
    }
}

/// GOODBYE (unless broken) to an idle connection of a closing pool; it is
/// dropped, not returned.
async fn say_goodbye(mut guard: Bb8Guard) {
    if !guard.is_broken() {
        let _ = guard.goodbye_then_drop().await;
    }
    guard.mark_broken();
}

/// A connection borrowed from a [`Pool`]; derefs to [`Connection`].
///
/// Dropping it gives the connection back: as is when idle and READY;
/// after a RESET (in a background task) when returned mid-stream, in a
/// transaction or failed; after GOODBYE when it expired or the pool
/// closed; and not at all when broken. [`release`](Self::release) does the
/// same, awaiting the RESET / GOODBYE.
///
/// ```no_run
/// # async fn demo(pool: bolt_pool::Pool) -> Result<(), bolt_pool::PoolError> {
/// let mut conn = pool.acquire().await?;
/// conn.send(&bolt_proto::message::Request::Begin(Default::default())).await?;
/// conn.release().await; // RESET rolls the transaction back, then it is idle
/// # Ok(()) }
/// ```
pub struct PooledConnection {
    guard: Option<Bb8Guard>,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for PooledConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.guard {
            Some(g) => std::fmt::Debug::fmt(&**g, f),
            None => f.write_str("PooledConnection(released)"),
        }
    }
}

/// What a returned connection needs.
enum Return {
    Keep,
    Reset,
    Close,
    Drop,
}

/// Stamps a returned connection's idle time and says what it needs (one
/// clock read for both, none when neither lifetime nor liveness is on).
fn returned(shared: &Shared, conn: &mut Connection) -> Return {
    let config = &shared.config;
    let now = (config.max_connection_lifetime.is_some() || config.liveness_check_timeout.is_some())
        .then(|| config.clock.now());
    if let Some(now) = now {
        conn.set_idle_since(now);
    }
    if conn.is_broken() {
        Return::Drop
    } else if shared.is_closed()
        || now.is_some_and(|now| config.is_expired_at(conn.created_at(), now))
    {
        Return::Close
    } else if conn.is_ready() {
        conn.set_return_checked();
        Return::Keep
    } else {
        Return::Reset
    }
}

/// Resets or closes a returned connection, then lets bb8 take it back.
async fn settle(mut guard: Bb8Guard, what: Return) {
    match what {
        Return::Reset => {
            let limit = guard.read_timeout();
            if !matches!(tokio::time::timeout(limit, guard.reset()).await, Ok(Ok(()))) {
                guard.mark_broken();
            }
        }
        Return::Close => {
            let _ = guard.goodbye_then_drop().await;
            guard.mark_broken();
        }
        Return::Keep | Return::Drop => {}
    }
    drop(guard);
}

impl PooledConnection {
    /// Gives the connection back, awaiting the RESET (if it was returned
    /// mid-work) or GOODBYE (if it expired or the pool closed).
    ///
    /// ```no_run
    /// # async fn demo(pool: bolt_pool::Pool) -> Result<(), bolt_pool::PoolError> {
    /// pool.acquire().await?.release().await;
    /// # Ok(()) }
    /// ```
    pub async fn release(mut self) {
        if let Some(mut guard) = self.guard.take() {
            match returned(&self.shared, &mut guard) {
                Return::Keep | Return::Drop => drop(guard),
                // Boxed: only this rare path carries a RESET's or GOODBYE's
                // (large) future.
                what => Box::pin(settle(guard, what)).await,
            }
        }
    }

    /// Closes the connection instead of returning it to the pool (GOODBYE
    /// where the version has it).
    ///
    /// ```no_run
    /// # async fn demo(pool: bolt_pool::Pool) -> Result<(), bolt_pool::PoolError> {
    /// pool.acquire().await?.close().await;
    /// # Ok(()) }
    /// ```
    pub async fn close(mut self) {
        if let Some(guard) = self.guard.take() {
            Box::pin(settle(guard, Return::Close)).await;
        }
    }

    /// Marks every connection of this connection's pool that is logged on
    /// now (this one included) as needing to log on again before its next
    /// use (see [`is_auth_stale`](Self::is_auth_stale)): what a driver does
    /// when the server says the authorization expired.
    ///
    /// ```no_run
    /// # async fn demo(pool: bolt_pool::Pool) -> Result<(), bolt_pool::PoolError> {
    /// let conn = pool.acquire().await?;
    /// conn.mark_pool_auth_stale();
    /// assert!(conn.is_auth_stale());
    /// # Ok(()) }
    /// ```
    pub fn mark_pool_auth_stale(&self) {
        let mut before = self
            .shared
            .auth_stale_before
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        *before = Some(Instant::now());
        tracing::debug!(address = %self.shared.address, "pooled connections must log on again");
    }

    /// Whether this connection logged on before its pool's connections
    /// were marked stale: it must re-authenticate (or be replaced) before
    /// it is used.
    ///
    /// ```no_run
    /// # async fn demo(pool: bolt_pool::Pool) -> Result<(), bolt_pool::PoolError> {
    /// let conn = pool.acquire().await?;
    /// assert!(!conn.is_auth_stale());
    /// # Ok(()) }
    /// ```
    pub fn is_auth_stale(&self) -> bool {
        self.shared.is_auth_stale(self)
    }

    /// Marks broken and drops at once: bb8 forgets it and frees the slot.
    fn discard(&mut self) {
        if let Some(mut guard) = self.guard.take() {
            guard.mark_broken();
        }
    }

    /// Closes politely in the background (expired connections).
    fn retire(&mut self) {
        if let Some(guard) = self.guard.take() {
            spawn_or_drop(guard, Return::Close);
        }
    }
}

fn spawn_or_drop(mut guard: Bb8Guard, what: Return) {
    match tokio::runtime::Handle::try_current() {
        Ok(rt) => {
            rt.spawn(settle(guard, what));
        }
        Err(_) => guard.mark_broken(),
    }
}

impl Drop for PooledConnection {
    fn drop(&mut self) {
        let Some(mut guard) = self.guard.take() else {
            return;
        };
        match returned(&self.shared, &mut guard) {
            Return::Keep | Return::Drop => drop(guard),
            what => spawn_or_drop(guard, what),
        }
    }
}

impl Deref for PooledConnection {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        // The guard is only taken by `release`, `close` and `drop`, which
        // consume or end the value.
        match &self.guard {
            Some(g) => g,
            None => unreachable!(),
        }
    }
}

impl DerefMut for PooledConnection {
    fn deref_mut(&mut self) -> &mut Connection {
        match &mut self.guard {
            Some(g) => g,
            None => unreachable!(),
        }
    }
}
