//! The bb8 side: [`BoltManager`] (`bb8::ManageConnection` for one server)
//! and the state shared by a pool, its manager and its guards.
//!
//! Owns opening connections for bb8 (bounded by the acquisition timeout),
//! deciding whether a returned connection may go back to the idle set
//! (`has_broken`: never one that is not READY), the open / waiting
//! counters, and routing open failures — which bb8 does not report to its
//! caller — back to a waiting acquirer that started before the open did.
//! Must not hand out connections: that is the pool's job.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use bolt_net::{Address, ConnectOptions};
use bolt_proto::message::RedactedAuth;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::config::PoolConfig;
use crate::connection::{Connection, OpenOptions};
use crate::error::PoolError;

/// How many undelivered open failures are kept.
const MAX_QUEUED_ERRORS: usize = 64;

/// What a pool, its bb8 manager and its guards share. `Debug` shows the
/// auth token without its secrets.
pub(crate) struct Shared {
    pub(crate) address: Address,
    pub(crate) connect: ConnectOptions,
    pub(crate) open: OpenOptions,
    pub(crate) config: PoolConfig,
    pub(crate) closed: CancellationToken,
    pub(crate) opening: AtomicU32,
    pub(crate) waiting: AtomicU32,
    /// How many connections were opened so far (each is numbered with
    /// the count including it): an acquirer tells the connections opened
    /// since it started by their number.
    pub(crate) opened: AtomicU64,
    /// Open failures for waiting acquirers, each with the number of its
    /// open (see `open_seq`).
    errors: Mutex<VecDeque<(u64, PoolError)>>,
    /// How many opens were started so far. An acquirer takes only the
    /// failures of opens started after the count it saw when it started:
    /// an earlier open was started for another acquirer, which may have
    /// given up long ago.
    open_seq: AtomicU64,
    error_notify: Notify,
    /// The auth token new connections log on with, replacing `open.auth`
    /// (set by [`Pool::set_auth`](super::Pool::set_auth)).
    auth: Mutex<Option<packstream::Map>>,
    /// Connections that logged on before this instant must log on again
    /// before their next use ([`PooledConnection::mark_pool_auth_stale`](super::PooledConnection::mark_pool_auth_stale)).
    pub(crate) auth_stale_before: Mutex<Option<Instant>>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let auth = self.auth.lock().unwrap_or_else(|p| p.into_inner());
        f.debug_struct("Shared")
            .field("address", &self.address)
            .field("connect", &self.connect)
            .field("open", &self.open)
            .field("config", &self.config)
            .field("closed", &self.closed.is_cancelled())
            .field("opening", &self.opening)
            .field("waiting", &self.waiting)
            .field("auth", &auth.as_ref().map(RedactedAuth))
            .finish_non_exhaustive()
    }
}

impl Shared {
    pub(crate) fn new(
        address: Address,
        connect: ConnectOptions,
        open: OpenOptions,
        config: PoolConfig,
    ) -> Self {
        Shared {
            address,
            connect,
            open,
            config,
            closed: CancellationToken::new(),
            opening: AtomicU32::new(0),
            waiting: AtomicU32::new(0),
            opened: AtomicU64::new(0),
            errors: Mutex::new(VecDeque::new()),
            open_seq: AtomicU64::new(0),
            error_notify: Notify::new(),
            auth: Mutex::new(None),
            auth_stale_before: Mutex::new(None),
        }
    }

    /// Sets the token new connections log on with.
    pub(crate) fn set_auth(&self, auth: &packstream::Map) {
        let mut current = self.auth.lock().unwrap_or_else(|p| p.into_inner());
        if current.as_ref() != Some(auth) {
            *current = Some(auth.clone());
        }
    }

    /// The options a new connection opens with (the set token, if any).
    fn open_options(&self) -> std::borrow::Cow<'_, OpenOptions> {
        let auth = self.auth.lock().unwrap_or_else(|p| p.into_inner()).clone();
        match auth {
            Some(auth) if auth != self.open.auth => {
                let mut o = self.open.clone();
                o.auth = auth;
                std::borrow::Cow::Owned(o)
            }
            _ => std::borrow::Cow::Borrowed(&self.open),
        }
    }

    /// Whether `conn` logged on before the pool's connections were marked
    /// stale.
    pub(crate) fn is_auth_stale(&self, conn: &Connection) -> bool {
        let before = *self
            .auth_stale_before
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        before.is_some_and(|b| conn.authenticated_at() <= b)
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.is_cancelled()
    }

    pub(crate) fn closed_error(&self) -> PoolError {
        PoolError::PoolClosed {
            address: self.address.clone(),
        }
    }

    /// Whether a connection must not go back to the idle set.
    pub(crate) fn must_discard(&self, conn: &Connection) -> bool {
        conn.is_broken() || self.is_closed() || self.config.is_expired(conn.created_at())
    }

    /// Numbers an open that starts now.
    fn start_open(&self) -> u64 {
        self.open_seq.fetch_add(1, Ordering::AcqRel) + 1
    }

    /// Keeps the failure of open number `open` for an acquirer waiting
    /// now, and wakes every waiting acquirer (one that started after the
    /// open will look for a connection again). With none waiting, gives
    /// the error back.
    fn push_error(&self, open: u64, error: PoolError) -> Option<PoolError> {
        if self.waiting.load(Ordering::Acquire) == 0 {
            tracing::debug!(address = %self.address, %error, "bolt connection open failed (nobody waiting)");
            return Some(error);
        }
        let mut q = self.errors.lock().unwrap_or_else(|p| p.into_inner());
        if q.len() >= MAX_QUEUED_ERRORS {
            q.pop_front();
        }
        q.push_back((open, error));
        drop(q);
        self.error_notify.notify_waiters();
        None
    }

    /// How many opens were started so far: what an acquirer passes to
    /// [`next_error`](Self::next_error).
    pub(crate) fn open_count(&self) -> u64 {
        self.open_seq.load(Ordering::Acquire)
    }

    /// Waits for an open to fail: the failure of an open started after
    /// `since` (an [`open_count`](Self::open_count)), taken for this
    /// acquirer, or `None` when only earlier opens failed. Such an open
    /// may have been the one bb8 had this acquirer wait for, and bb8 does
    /// not open another for it by itself: the acquirer asks bb8 again.
    pub(crate) async fn next_error(&self, since: u64) -> Option<PoolError> {
        let notified = self.error_notify.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        if let Some(e) = self.take_error(since) {
            return Some(e);
        }
        notified.await;
        self.take_error(since)
    }

    fn take_error(&self, since: u64) -> Option<PoolError> {
        let mut q = self.errors.lock().unwrap_or_else(|p| p.into_inner());
        let at = q.iter().position(|(open, _)| *open > since)?;
        q.remove(at).map(|(_, e)| e)
    }
}

/// The bb8 connection manager for one server: opens authenticated
/// [`Connection`]s and tells bb8 which returned ones to drop.
///
/// [`Pool`](crate::Pool) uses it with `test_on_check_out` off (a checkout
/// costs no round trip); it is public for callers that want a bare bb8
/// pool. Its connections are boxed (`Box<Connection>`), so bb8 moves a
/// pointer, not the connection. An open failure goes to bb8's error sink
/// (bb8 does not return it from `get`); while a [`Pool`](crate::Pool)
/// acquirer waits, the pool reports it to that acquirer instead, and the
/// sink gets [`PoolError::Broken`].
///
/// ```no_run
/// use bolt_pool::{BoltManager, OpenOptions, PoolConfig};
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let manager = BoltManager::new(
///     "localhost:7687".parse()?,
///     bolt_net::ConnectOptions::new(),
///     OpenOptions::default(),
///     PoolConfig::default(),
/// );
/// let pool = bb8::Pool::builder().test_on_check_out(false).build(manager).await?;
/// let conn = pool.get().await?;
/// println!("{}", conn.server_agent());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct BoltManager {
    pub(crate) shared: Arc<Shared>,
}

impl BoltManager {
    /// A manager opening connections to `address`; `config` supplies the
    /// acquisition timeout (bounding each open) and the lifetime.
    pub fn new(
        address: Address,
        connect: ConnectOptions,
        open: OpenOptions,
        config: PoolConfig,
    ) -> Self {
        BoltManager {
            shared: Arc::new(Shared::new(address, connect, open, config)),
        }
    }
}

struct Counted<'a>(&'a AtomicU32);

impl<'a> Counted<'a> {
    fn new(c: &'a AtomicU32) -> Self {
        c.fetch_add(1, Ordering::AcqRel);
        Counted(c)
    }
}

impl Drop for Counted<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl bb8::ManageConnection for BoltManager {
    /// Boxed: bb8 moves its connections by value (into and out of the idle
    /// queue, its guard, our guard and every future returning one), and a
    /// `Connection` is ~600 bytes; a box moves as one pointer.
    type Connection = Box<Connection>;
    type Error = PoolError;

    async fn connect(&self) -> Result<Box<Connection>, PoolError> {
        let s = &self.shared;
        let open = s.start_open();
        match self.open().await {
            Ok(conn) => Ok(conn),
            // Reported here, where the open's number is known; bb8 only
            // hands what it gets to its error sink: the real error when no
            // acquirer of a `Pool` waits (a bare bb8 pool), else a
            // placeholder.
            Err(e) => Err(s.push_error(open, e).unwrap_or(PoolError::Broken)),
        }
    }

    async fn is_valid(&self, conn: &mut Box<Connection>) -> Result<(), PoolError> {
        // Boxed: this future is part of every bb8 `get` future (even with
        // `test_on_check_out` off), and a RESET's is large.
        Box::pin(conn.reset()).await
    }

    fn has_broken(&self, conn: &mut Box<Connection>) -> bool {
        if conn.take_return_checked() {
            // The pool checked the lifetime as it took the connection back,
            // a moment ago: one clock read per return.
            return conn.is_broken() || self.shared.is_closed();
        }
        // Not ready: a caller was cut while the pool reset it (`release`
        // awaits that RESET) and its answer is still to come; the next
        // user would read it as the answer to its own request. A new
        // connection costs less than finding out.
        self.shared.must_discard(conn) || !conn.is_ready()
    }
}

impl BoltManager {
    /// Opens a connection for bb8, within the acquisition timeout.
    async fn open(&self) -> Result<Box<Connection>, PoolError> {
        let s = &self.shared;
        if s.is_closed() {
            return Err(s.closed_error());
        }
        let _opening = Counted::new(&s.opening);
        let limit = s.config.connection_acquisition_timeout;
        tracing::debug!(address = %s.address, "opening bolt connection");
        // The acquisition timeout bounds the whole opening; the connection
        // timeout only the socket (as in the official drivers).
        let open = s.open_options();
        let opened = tokio::time::timeout(
            limit,
            Connection::open_within(&s.address, &s.connect, &open, limit),
        );
        match opened.await {
            Ok(Ok(conn)) if s.is_closed() => {
                conn.close().await;
                Err(s.closed_error())
            }
            Ok(Ok(mut conn)) => {
                conn.set_created_at(s.config.clock.now());
                conn.set_pool_serial(s.opened.fetch_add(1, Ordering::AcqRel) + 1);
                Ok(Box::new(conn))
            }
            Ok(Err(e)) => Err(e),
            Err(_) => Err(PoolError::AcquisitionTimeout {
                address: s.address.clone(),
                timeout: limit,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn debug_never_shows_the_auth_tokens() {
        let mut auth = packstream::Map::new();
        auth.insert("scheme", "basic");
        auth.insert("principal", "neo4j");
        auth.insert("credentials", "hunter2-secret");
        let pool = crate::Pool::new(
            Address::new("localhost", 7687),
            ConnectOptions::new(),
            OpenOptions::new(auth.clone()),
            PoolConfig::default(),
        )
        .unwrap();
        // The per-pool token (a session's, or a rotated one).
        pool.set_auth(&auth);
        let manager = BoltManager {
            shared: pool.shared().clone(),
        };
        for shown in [
            format!("{pool:?}"),
            format!("{manager:?}"),
            format!("{:?}", pool.shared()),
        ] {
            assert!(!shown.contains("hunter2"), "{shown}");
        }
        assert!(format!("{manager:#?}").contains("neo4j"));
    }
}
