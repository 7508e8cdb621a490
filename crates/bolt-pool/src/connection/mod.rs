//! One authenticated Bolt connection: [`Connection`].
//!
//! Owns the socket, its read and write buffers, the chunk framing and the
//! client-side state tracking of one connection, and every read and write
//! deadline on it. Opening (handshake, HELLO / LOGON / INIT) lives in
//! `open`. Must not know about pools: a pool only asks whether a
//! connection is broken, idle and how old it is.
//!
//! Requests are queued into an output buffer without I/O and written
//! together by [`Connection::flush`], so RUN + PULL (or BEGIN + RUN + PULL)
//! cost one write. Responses come back one at a time, matched to the
//! requests by `bolt_proto::state`; [`Connection::recv_ref`] hands out
//! RECORDs as a lazy [`RecordView`](bolt_proto::message::RecordView)
//! borrowing the read buffer, without copying or allocating.
//!
//! Read deadlines. Two bounds apply while a response is awaited:
//! - *Each message*: a response message must be whole within the message
//!   timeout (the read timeout the connection was opened or last set with,
//!   or the server's `connection.recv_timeout_seconds` hint if longer),
//!   counted from the first read that waited for it. NOOPs and parts of
//!   chunks arriving meanwhile do not extend it, so a server that sends
//!   NOOPs (or a byte at a time) forever still ends in
//!   [`PoolError::Timeout`]. The clock restarts when a message is whole
//!   and when requests are written; a wait whose future was dropped
//!   starts over when resumed.
//! - *Silence*: a read that gets no byte at all within
//!   [`read_timeout`](Connection::read_timeout) fails; here a NOOP counts,
//!   being the keep-alive the server's hint promises at least once per
//!   hinted period. Without a hint both bounds are the read timeout.
//!
//! NOOPs cost nothing else: they are skipped in the read buffer, never
//! copied into a [`RecordBatch`].

mod open;
mod outbox;
mod records;

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bolt_net::{Address, BoltStream};
use bolt_proto::framing::{ChunkDecoder, ChunkEncoder, FramingError};
use bolt_proto::message::{
    EncodeError, RecordView, Request, RequestKind, Response, ResponseKind, ResponseRef,
};
use bolt_proto::state::{ClientState, ServerState};
use bolt_proto::structure::StructCtx;
use bolt_proto::Version;
use bytes::{Buf, Bytes, BytesMut};
use packstream::Map;
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::time::Sleep;

pub use open::{
    OpenOptions, DEFAULT_READ_TIMEOUT, DEFAULT_USER_AGENT, DEFAULT_WRITE_TIMEOUT,
    MIN_HINTED_READ_TIMEOUT,
};
pub use records::RecordBatch;

use crate::error::{PoolError, ProtocolError};

/// Read buffer growth step.
const READ_CHUNK: usize = 8 * 1024;

/// Where the next message body lies (no borrow, so the caller can still
/// use the connection before decoding it).
/// The bytes of the message `at` points to: in the read buffer, or the
/// joined message (free function so that other fields stay writable).
fn body<'a>(rbuf: &'a [u8], current: &'a [u8], at: Body) -> &'a [u8] {
    match at {
        Body::InPlace { start, len } => &rbuf[start..start + len],
        Body::Joined => current,
    }
}

#[derive(Clone, Copy)]
enum Body {
    /// A single-chunk message in place in `rbuf`.
    InPlace { start: usize, len: usize },
    /// A message joined from several chunks, in `current`.
    Joined,
}

/// What a network wait ended with.
enum Waited<T> {
    Done(std::io::Result<T>),
    TimedOut,
}

/// `now + after`, saturating far in the future.
fn deadline_after(after: Duration) -> tokio::time::Instant {
    saturating_deadline(tokio::time::Instant::now(), after)
}

/// `from + after`, or about 30 years after `from` when that overflows
/// (`Duration::MAX` means "wait forever"; adding it to an instant panics).
/// Every deadline built from a user's duration goes through here.
pub(crate) fn saturating_deadline(
    from: tokio::time::Instant,
    after: Duration,
) -> tokio::time::Instant {
    const FAR: Duration = Duration::from_secs(60 * 60 * 24 * 365 * 30);
    from.checked_add(after)
        .or_else(|| from.checked_add(FAR))
        .unwrap_or(from)
}

/// An open, authenticated Bolt connection to one server.
///
/// Queue requests with [`queue`](Self::queue) (no I/O), write them all
/// with [`flush`](Self::flush), then take the responses in order with
/// [`recv`](Self::recv) (owned) or [`recv_ref`](Self::recv_ref) (RECORDs
/// borrowed, zero-copy). Every read and write is bounded by
/// [`read_timeout`](Self::read_timeout) / [`write_timeout`](Self::write_timeout),
/// and every response message by the message timeout (see the module doc:
/// NOOPs do not extend it);
/// any I/O, timeout or protocol error marks the connection broken and every
/// later call fails with [`PoolError::Broken`].
///
/// ```no_run
/// use bolt_pool::{Connection, OpenOptions};
/// use bolt_proto::message::{Pull, Request, ResponseRef, Run};
///
/// # async fn demo() -> Result<(), bolt_pool::PoolError> {
/// let mut auth = packstream::Map::new();
/// auth.insert("scheme", "basic");
/// auth.insert("principal", "neo4j");
/// auth.insert("credentials", "secret");
/// let address = "localhost:7687".parse().map_err(bolt_net::NetError::from)?;
/// let mut conn =
///     Connection::open(&address, &Default::default(), &OpenOptions::new(auth)).await?;
/// conn.queue(&Request::Run(Run::new("RETURN 1 AS n")))?;
/// conn.queue(&Request::Pull(Pull::all()))?;
/// conn.flush().await?; // one write for both
/// while conn.pending() > 0 {
///     match conn.recv_ref().await? {
///         ResponseRef::Record(rec) => println!("{:?}", rec.values()),
///         ResponseRef::Failure(f) => return Err(bolt_pool::PoolError::Server(f)),
///         _ => {}
///     }
/// }
/// conn.close().await;
/// # Ok(()) }
/// ```
pub struct Connection {
    stream: BoltStream,
    rbuf: BytesMut,
    wbuf: outbox::Outbox,
    decoder: ChunkDecoder,
    encoder: ChunkEncoder,
    /// The body of the message last returned by `recv_ref` when it
    /// spanned several chunks (joined by the decoder).
    current: Bytes,
    /// Bytes at the front of `rbuf` already handed out (single-chunk
    /// messages borrowed in place); dropped from the buffer only before
    /// the next socket read or multi-chunk decode, not per message.
    consumed: usize,
    /// `current` holds a joined message not yet handed out (put back by
    /// `next_record`).
    held: bool,
    /// The deadline of the current network wait: one timer per
    /// connection, armed only when a read or write would block and pushed
    /// later on each such wait (cheap while it only moves forward).
    deadline: Option<Pin<Box<Sleep>>>,
    /// When the message being waited for must be whole (see the module
    /// doc): set by the first read that waits for it, cleared when a
    /// message is whole or requests are written.
    message_due: Option<tokio::time::Instant>,
    state: ClientState,
    version: Version,
    address: Address,
    peer: SocketAddr,
    server_agent: String,
    connection_id: Option<String>,
    hints: Map,
    utc_patch: bool,
    created_at: Instant,
    /// The pool's number for this connection (1, 2, ... in the order they
    /// were opened; 0 outside a pool).
    pool_serial: u64,
    last_used: Instant,
    /// When a pool last took the connection back, by the pool's clock.
    idle_since: Instant,
    broken: bool,
    /// The server answered IGNORED while the state tracking knew it
    /// neither FAILED nor INTERRUPTED: its real state is unknown, so the
    /// connection is not ready until a RESET succeeds.
    out_of_step: bool,
    read_timeout: Duration,
    /// The bound on waiting for one whole message (at least
    /// `read_timeout`).
    message_timeout: Duration,
    write_timeout: Duration,
    last_answered: Option<RequestKind>,
    /// The auth token the connection is logged on with.
    auth: Map,
    /// When it logged on (open, or the last re-authentication).
    authenticated_at: Instant,
    /// Answers to a pipelined LOGOFF / LOGON still to be read (and not
    /// handed to the caller).
    swallow: usize,
    /// A pool found the connection fit to keep as it took it back, just
    /// before handing it to bb8 (whose check follows at once).
    return_checked: bool,
    /// What the layer above keeps with this connection (see
    /// [`user_data_mut`](Connection::user_data_mut)).
    user_data: Option<Box<dyn std::any::Any + Send + Sync>>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("address", &self.address)
            .field("peer", &self.peer)
            .field("version", &self.version)
            .field("connection_id", &self.connection_id)
            .field("server_agent", &self.server_agent)
            .field("state", &self.state.state())
            .field("broken", &self.broken)
            .finish_non_exhaustive()
    }
}

impl Drop for Connection {
    /// A connection dropped while still usable says GOODBYE (3.0+) if the
    /// socket takes it at once; over TLS it just closes.
    fn drop(&mut self) {
        if !self.broken
            && self.wbuf.is_empty()
            && self.version.has_hello()
            && !self.stream.is_encrypted()
        {
            // GOODBYE: one chunk `B0 02`, then the end marker.
            let _ = self
                .stream
                .tcp()
                .try_write(&[0x00, 0x02, 0xB0, 0x02, 0x00, 0x00]);
            tracing::debug!(peer = %self.peer, id = ?self.connection_id, "bolt connection dropped");
        }
    }
}

/// Logs a response at TRACE level (a RECORD by its field count only).
fn trace_response(peer: SocketAddr, id: Option<&str>, resp: &ResponseRef<'_>) {
    match resp {
        ResponseRef::Record(_) => tracing::trace!(%peer, ?id, "S: RECORD"),
        ResponseRef::Success(s) => {
            tracing::trace!(%peer, ?id, metadata = ?s.metadata(), "S: SUCCESS")
        }
        ResponseRef::Failure(x) => tracing::trace!(%peer, ?id, failure = ?x, "S: FAILURE"),
        ResponseRef::Ignored => tracing::trace!(%peer, ?id, "S: IGNORED"),
    }
}

/// Where an encoding failure came from (the closure error type of
/// `ChunkEncoder::write_message`).
enum QueueError {
    Encode(EncodeError),
    Framing(FramingError),
}

impl From<FramingError> for QueueError {
    fn from(e: FramingError) -> Self {
        QueueError::Framing(e)
    }
}

/// Where a [`Connection::queue_with`] failure came from: the caller's
/// writer, or the framing.
enum Written<E> {
    By(E),
    Framing(FramingError),
}

impl<E> From<FramingError> for Written<E> {
    fn from(e: FramingError) -> Self {
        Written::Framing(e)
    }
}

impl Connection {
    /// The negotiated protocol version.
    ///
    /// ```no_run
    /// # fn demo(conn: &bolt_pool::Connection) {
    /// if conn.version() >= bolt_proto::Version::V5_0 { /* element ids */ }
    /// # }
    /// ```
    pub fn version(&self) -> Version {
        self.version
    }

    /// The context for decoding graph and temporal structures on this
    /// connection (version and the `utc` patch).
    ///
    /// ```no_run
    /// # fn demo(conn: &bolt_pool::Connection) {
    /// let ctx = conn.struct_ctx();
    /// assert_eq!(ctx.version, conn.version());
    /// # }
    /// ```
    pub fn struct_ctx(&self) -> StructCtx {
        StructCtx::new(self.version).with_utc_patch(self.utc_patch)
    }

    /// The server agent from the INIT / HELLO SUCCESS, e.g. `Neo4j/5.20.0`
    /// (empty if the server sent none).
    ///
    /// ```no_run
    /// # fn demo(conn: &bolt_pool::Connection) {
    /// println!("talking to {}", conn.server_agent());
    /// # }
    /// ```
    pub fn server_agent(&self) -> &str {
        &self.server_agent
    }

    /// The server's `connection_id` from HELLO SUCCESS (3.0+), e.g. `bolt-42`.
    ///
    /// ```no_run
    /// # fn demo(conn: &bolt_pool::Connection) {
    /// println!("{:?}", conn.connection_id());
    /// # }
    /// ```
    pub fn connection_id(&self) -> Option<&str> {
        self.connection_id.as_deref()
    }

    /// The address this connection was opened for (before resolution).
    ///
    /// ```no_run
    /// # fn demo(conn: &bolt_pool::Connection) {
    /// println!("{}", conn.address());
    /// # }
    /// ```
    pub fn address(&self) -> &Address {
        &self.address
    }

    /// The address the server was reached by, before DNS: the custom
    /// resolver's answer that was connected to, else [`address`](Self::address).
    ///
    /// ```no_run
    /// # fn demo(conn: &bolt_pool::Connection) {
    /// println!("{}", conn.server_address());
    /// # }
    /// ```
    pub fn server_address(&self) -> &Address {
        self.stream.server_address().unwrap_or(&self.address)
    }

    /// The server's socket address.
    ///
    /// ```no_run
    /// # fn demo(conn: &bolt_pool::Connection) {
    /// println!("{}", conn.peer_addr());
    /// # }
    /// ```
    pub fn peer_addr(&self) -> SocketAddr {
        self.peer
    }

    /// Whether the connection is TLS-encrypted.
    ///
    /// ```no_run
    /// # fn demo(conn: &bolt_pool::Connection) {
    /// assert!(!conn.is_encrypted());
    /// # }
    /// ```
    pub fn is_encrypted(&self) -> bool {
        self.stream.is_encrypted()
    }

    /// The auth token the connection is logged on with (sent in INIT /
    /// HELLO / LOGON). Contains the secret in clear: do not log it.
    ///
    /// ```no_run
    /// # fn demo(conn: &bolt_pool::Connection, wanted: &packstream::Map) {
    /// if conn.auth() != wanted { /* re-authenticate or replace it */ }
    /// # }
    /// ```
    pub fn auth(&self) -> &Map {
        &self.auth
    }

    /// When the connection logged on: when it was opened, or last
    /// re-authenticated with [`reauthenticate`](Self::reauthenticate).
    ///
    /// ```no_run
    /// # fn demo(conn: &bolt_pool::Connection) {
    /// println!("logged on {:?} ago", conn.authenticated_at().elapsed());
    /// # }
    /// ```
    pub fn authenticated_at(&self) -> Instant {
        self.authenticated_at
    }

    /// Whether the server can switch this connection to another auth
    /// token (LOGOFF / LOGON, Bolt 5.1+).
    ///
    /// ```no_run
    /// # fn demo(conn: &bolt_pool::Connection) {
    /// assert_eq!(conn.supports_reauth(), conn.version() >= bolt_proto::Version::V5_1);
    /// # }
    /// ```
    pub fn supports_reauth(&self) -> bool {
        self.version.has_logon()
    }

    /// Queues LOGOFF and LOGON with `auth` (Bolt 5.1+) without waiting:
    /// they go out with the next request, and their answers are read (not
    /// returned) before that request's. A refused LOGON then fails that
    /// read with [`PoolError::Auth`] and breaks the connection. The
    /// connection counts as logged on with `auth` at once.
    ///
    /// ```no_run
    /// use bolt_proto::message::{Pull, Request, Run};
    /// # async fn demo(mut conn: bolt_pool::Connection, auth: packstream::Map) -> Result<(), bolt_pool::PoolError> {
    /// conn.queue_reauthentication(auth)?;
    /// conn.queue(&Request::Run(Run::new("RETURN 1")))?;
    /// conn.queue(&Request::Pull(Pull::all()))?;
    /// while conn.pending() > 0 {
    ///     conn.recv().await?; // RUN's and PULL's answers; LOGOFF's and LOGON's are read first
    /// }
    /// # Ok(()) }
    /// ```
    pub fn queue_reauthentication(&mut self, auth: Map) -> Result<(), PoolError> {
        if !self.supports_reauth() {
            return Err(PoolError::ReauthUnsupported {
                version: self.version,
            });
        }
        self.queue(&Request::Logoff)?;
        if let Err(e) = self.queue(&Request::Logon(bolt_proto::message::Logon {
            auth: auth.clone(),
        })) {
            self.mark_broken();
            return Err(e);
        }
        self.swallow += 2;
        self.auth = auth;
        self.authenticated_at = Instant::now();
        Ok(())
    }

    /// Logs the idle connection on again with `auth`: LOGOFF and LOGON in
    /// one write, then both answers (Bolt 5.1+). A refused LOGON breaks
    /// the connection and is returned as [`PoolError::Auth`]; on older
    /// versions nothing is sent and the error is
    /// [`PoolError::ReauthUnsupported`].
    ///
    /// ```no_run
    /// # async fn demo(mut conn: bolt_pool::Connection) -> Result<(), bolt_pool::PoolError> {
    /// let mut auth = packstream::Map::new();
    /// auth.insert("scheme", "bearer");
    /// auth.insert("credentials", "fresh-token");
    /// conn.reauthenticate(auth).await?;
    /// # Ok(()) }
    /// ```
    pub async fn reauthenticate(&mut self, auth: Map) -> Result<(), PoolError> {
        if !self.supports_reauth() {
            return Err(PoolError::ReauthUnsupported {
                version: self.version,
            });
        }
        if self.state.pending() > 0 || self.state() != ServerState::Ready {
            self.reset().await?;
        }
        self.queue(&Request::Logoff)?;
        if let Err(e) = self.queue(&Request::Logon(bolt_proto::message::Logon {
            auth: auth.clone(),
        })) {
            // LOGOFF alone would leave it logged off.
            self.mark_broken();
            return Err(e);
        }
        self.flush().await?;
        let mut failure = None;
        let mut ignored = false;
        while self.state.pending() > 0 {
            match self.recv().await? {
                Response::Failure(f) => failure = failure.or(Some(f)),
                Response::Ignored => ignored = true,
                _ => {}
            }
        }
        if let Some(f) = failure {
            self.mark_broken();
            return Err(PoolError::from_auth_failure(f));
        }
        if ignored {
            // Not logged on with `auth` (nor, maybe, logged off).
            return Err(
                self.protocol_failed(ProtocolError::UnexpectedInOpen(ResponseKind::Ignored))
            );
        }
        self.auth = auth;
        self.authenticated_at = Instant::now();
        tracing::debug!(peer = %self.peer, id = ?self.connection_id, "bolt connection re-authenticated");
        Ok(())
    }

    /// The `hints` map of HELLO SUCCESS (4.3+), e.g.
    /// `connection.recv_timeout_seconds`.
    ///
    /// ```no_run
    /// # fn demo(conn: &bolt_pool::Connection) {
    /// let t = conn.hints().get("connection.recv_timeout_seconds");
    /// # let _ = t; }
    /// ```
    pub fn hints(&self) -> &Map {
        &self.hints
    }

    /// Whether the server agreed to the `utc` date-time patch (Bolt 4.3–4.4).
    ///
    /// ```no_run
    /// # fn demo(conn: &bolt_pool::Connection) {
    /// if conn.version() == bolt_proto::Version::V4_4 { assert!(conn.utc_patch()); }
    /// # }
    /// ```
    pub fn utc_patch(&self) -> bool {
        self.utc_patch
    }

    /// Data the layer above keeps with this connection for as long as it
    /// lives (`None` on a new one): what it derives from the connection
    /// once and reuses for every unit of work on it, e.g. a driver's view
    /// of the server. The pool never reads it.
    ///
    /// ```no_run
    /// # fn demo(conn: &mut bolt_pool::Connection) {
    /// let data = conn.user_data_mut().get_or_insert_with(|| Box::new(0u64));
    /// if let Some(uses) = data.downcast_mut::<u64>() {
    ///     *uses += 1;
    /// }
    /// # }
    /// ```
    pub fn user_data_mut(&mut self) -> &mut Option<Box<dyn std::any::Any + Send + Sync>> {
        &mut self.user_data
    }

    /// When the connection was opened.
    ///
    /// ```no_run
    /// # fn demo(conn: &bolt_pool::Connection) {
    /// println!("open for {:?}", conn.created_at().elapsed());
    /// # }
    /// ```
    pub fn created_at(&self) -> Instant {
        self.created_at
    }

    /// When the connection last wrote to or read from its socket.
    ///
    /// ```no_run
    /// # fn demo(conn: &bolt_pool::Connection) {
    /// println!("idle for {:?}", conn.last_used().elapsed());
    /// # }
    /// ```
    pub fn last_used(&self) -> Instant {
        self.last_used
    }

    /// Stamps the opening time by a pool's clock (lifetimes are judged
    /// with it).
    pub(crate) fn set_created_at(&mut self, at: Instant) {
        self.created_at = at;
        self.idle_since = at;
    }

    /// Numbers the connection in its pool's opening order.
    pub(crate) fn set_pool_serial(&mut self, serial: u64) {
        self.pool_serial = serial;
    }

    /// The pool's number for this connection (see
    /// [`set_pool_serial`](Self::set_pool_serial)).
    pub(crate) fn pool_serial(&self) -> u64 {
        self.pool_serial
    }

    /// When a pool last took the connection back, by its clock.
    pub(crate) fn idle_since(&self) -> Instant {
        self.idle_since
    }

    /// Notes that a pool found the connection fit to keep (not expired)
    /// as it took it back: bb8's check that follows at once need not read
    /// the clock again.
    pub(crate) fn set_return_checked(&mut self) {
        self.return_checked = true;
    }

    /// Whether [`set_return_checked`](Self::set_return_checked) was called
    /// since the last call (which clears it).
    pub(crate) fn take_return_checked(&mut self) -> bool {
        std::mem::take(&mut self.return_checked)
    }

    /// Notes that a pool took the connection back at `at` (its clock).
    pub(crate) fn set_idle_since(&mut self, at: Instant) {
        self.idle_since = at;
    }

    /// Whether the connection is unusable (an I/O, timeout or protocol
    /// error, a fatal FAILURE, or closed).
    ///
    /// ```no_run
    /// # fn demo(conn: &bolt_pool::Connection) {
    /// if conn.is_broken() { /* drop it */ }
    /// # }
    /// ```
    pub fn is_broken(&self) -> bool {
        self.broken
    }

    /// Marks the connection broken, e.g. after abandoning a response
    /// midway; it will be closed instead of reused.
    ///
    /// ```no_run
    /// # fn demo(mut conn: bolt_pool::Connection) {
    /// conn.mark_broken();
    /// assert!(conn.is_broken());
    /// # }
    /// ```
    pub fn mark_broken(&mut self) {
        if !self.broken {
            tracing::debug!(peer = %self.peer, id = ?self.connection_id, "bolt connection marked broken");
        }
        self.broken = true;
    }

    /// The server state as confirmed by the responses received so far.
    ///
    /// ```no_run
    /// # fn demo(conn: &bolt_pool::Connection) {
    /// use bolt_proto::state::ServerState;
    /// assert_eq!(conn.state(), ServerState::Ready);
    /// # }
    /// ```
    pub fn state(&self) -> ServerState {
        self.state.state()
    }

    /// The state the server will be in once every queued request succeeds.
    ///
    /// ```no_run
    /// # fn demo(conn: &bolt_pool::Connection) {
    /// println!("{}", conn.predicted_state());
    /// # }
    /// ```
    pub fn predicted_state(&self) -> ServerState {
        self.state.predicted_state()
    }

    /// How many queued or sent requests still await their summary (not
    /// counting a pipelined LOGOFF / LOGON, whose answers are read before
    /// the next ones and not returned).
    ///
    /// ```no_run
    /// # fn demo(conn: &bolt_pool::Connection) {
    /// assert_eq!(conn.pending(), 0);
    /// # }
    /// ```
    pub fn pending(&self) -> usize {
        self.state.pending() - self.swallow
    }

    /// The request answered by the last summary received (`None` after a
    /// RECORD, or before any response).
    ///
    /// ```no_run
    /// # async fn demo(mut conn: bolt_pool::Connection) -> Result<(), bolt_pool::PoolError> {
    /// conn.recv().await?;
    /// println!("{:?}", conn.last_answered());
    /// # Ok(()) }
    /// ```
    pub fn last_answered(&self) -> Option<RequestKind> {
        self.last_answered
    }

    /// Whether the connection is idle and ready for work: not broken, in
    /// READY state, nothing pending or queued, and no IGNORED since the
    /// last RESET that the state did not explain (a server answering
    /// IGNORED is in a state the client did not track).
    ///
    /// ```no_run
    /// # fn demo(conn: &bolt_pool::Connection) {
    /// assert!(conn.is_ready());
    /// # }
    /// ```
    pub fn is_ready(&self) -> bool {
        !self.broken
            && !self.out_of_step
            && self.state.state() == ServerState::Ready
            && self.state.pending() == 0
            && self.wbuf.is_empty()
    }

    /// The timeout of each read: silence (not even a NOOP) for this long
    /// fails a wait. The server's `connection.recv_timeout_seconds` hint
    /// when it sent one, else the configured read timeout, which also
    /// bounds each whole message (see the module doc).
    ///
    /// ```no_run
    /// # fn demo(conn: &bolt_pool::Connection) {
    /// println!("{:?}", conn.read_timeout());
    /// # }
    /// ```
    pub fn read_timeout(&self) -> Duration {
        self.read_timeout
    }

    /// Sets the timeout of each read and the bound on waiting for each
    /// whole response message, NOOPs or not (e.g. a transaction's own
    /// timeout).
    ///
    /// ```no_run
    /// # fn demo(mut conn: bolt_pool::Connection) {
    /// conn.set_read_timeout(std::time::Duration::from_secs(5));
    /// # }
    /// ```
    pub fn set_read_timeout(&mut self, timeout: Duration) {
        self.read_timeout = timeout;
        self.message_timeout = timeout;
    }

    /// The timeout of each write.
    ///
    /// ```no_run
    /// # fn demo(conn: &bolt_pool::Connection) {
    /// println!("{:?}", conn.write_timeout());
    /// # }
    /// ```
    pub fn write_timeout(&self) -> Duration {
        self.write_timeout
    }

    /// Sets the timeout of each write.
    ///
    /// ```no_run
    /// # fn demo(mut conn: bolt_pool::Connection) {
    /// conn.set_write_timeout(std::time::Duration::from_secs(5));
    /// # }
    /// ```
    pub fn set_write_timeout(&mut self, timeout: Duration) {
        self.write_timeout = timeout;
    }

    /// Encodes `req` into the output buffer, without I/O, and records it as
    /// awaiting a response.
    ///
    /// Fails, queuing nothing and leaving the connection usable, if the
    /// negotiated version cannot express the request
    /// ([`PoolError::Encode`]) or the server state forbids it
    /// ([`PoolError::IllegalRequest`]).
    ///
    /// ```no_run
    /// use bolt_proto::message::{Pull, Request, Run};
    /// # async fn demo(mut conn: bolt_pool::Connection) -> Result<(), bolt_pool::PoolError> {
    /// conn.queue(&Request::Run(Run::new("RETURN 1")))?;
    /// conn.queue(&Request::Pull(Pull::all()))?;
    /// conn.flush().await?;
    /// # Ok(()) }
    /// ```
    pub fn queue(&mut self, req: &Request) -> Result<(), PoolError> {
        if self.broken {
            return Err(PoolError::Broken);
        }
        let version = self.version;
        let mark = self.wbuf.mark();
        let written = self.encoder.write_message_vec(self.wbuf.vec(), |buf| {
            req.encode(version, buf).map_err(QueueError::Encode)
        });
        match written {
            Ok(()) => {}
            Err(QueueError::Encode(e)) => return Err(PoolError::Encode(e)),
            Err(QueueError::Framing(e)) => {
                return Err(PoolError::Protocol {
                    address: self.peer,
                    source: e.into(),
                })
            }
        }
        if let Err(e) = self.state.on_send(req) {
            self.wbuf.truncate(mark);
            return Err(PoolError::IllegalRequest(e));
        }
        if tracing::enabled!(tracing::Level::TRACE) {
            tracing::trace!(
                peer = %self.peer,
                id = ?self.connection_id,
                // Debug of HELLO / INIT / LOGON hides the secrets.
                message = ?req,
                "C: {}",
                req.kind().name()
            );
        }
        Ok(())
    }

    /// Queues a request of `kind` that `write` writes, from borrowed
    /// inputs, straight into the output buffer (with the negotiated
    /// version; see `bolt_proto::message::frontend` for the writers),
    /// without I/O, and records it as awaiting a response.
    ///
    /// The state tracking is asked first: a request the version lacks or
    /// the server state forbids fails with [`PoolError::IllegalRequest`]
    /// before `write` runs. Then `write` appends exactly one message body
    /// (the connection chunks it); its error is returned as it is (so a
    /// caller's own encoder keeps its error type) and nothing is queued.
    /// Either way the connection stays usable. PULL and DISCARD are
    /// refused ([`PoolError::Encode`]): the state tracking needs their
    /// `n`, so they go through [`queue`](Self::queue) (which allocates
    /// nothing for them).
    ///
    /// ```no_run
    /// use bolt_proto::message::frontend::{self, TxMeta};
    /// use bolt_proto::message::{Pull, Request, RequestKind};
    /// # async fn demo(mut conn: bolt_pool::Connection, bookmarks: Vec<String>) -> Result<(), bolt_pool::PoolError> {
    /// let tx = TxMeta { bookmarks: (&bookmarks).into(), db: Some("neo4j"), ..TxMeta::default() };
    /// // The writer's error type is the caller's (here `PoolError`; a
    /// // parameter encoder returning its own error fixes it by itself).
    /// conn.queue_with(RequestKind::Run, |buf, version| {
    ///     frontend::run::<bolt_pool::PoolError>("RETURN 1", frontend::no_params, &tx, version, buf)
    /// })?;
    /// conn.queue(&Request::Pull(Pull::all()))?;
    /// conn.flush().await?;
    /// # Ok(()) }
    /// ```
    pub fn queue_with<E, F>(&mut self, kind: RequestKind, write: F) -> Result<(), E>
    where
        E: From<PoolError>,
        F: FnOnce(&mut Vec<u8>, Version) -> Result<(), E>,
    {
        if self.broken {
            return Err(PoolError::Broken.into());
        }
        if matches!(kind, RequestKind::Pull | RequestKind::Discard) {
            return Err(PoolError::Encode(EncodeError::InvalidField {
                message: kind.wire_name(self.version),
                field: "n",
                reason: "queue PULL and DISCARD with `Connection::queue`",
            })
            .into());
        }
        self.state
            .check_send(kind)
            .map_err(|e| E::from(PoolError::IllegalRequest(e)))?;
        let version = self.version;
        let mark = self.wbuf.mark();
        // Chunked in place: the chunk header is back-patched once the
        // body is written.
        let written = self.encoder.write_message_vec(self.wbuf.vec(), |buf| {
            write(buf, version).map_err(Written::By)
        });
        match written {
            Ok(()) => {}
            Err(Written::By(e)) => return Err(e),
            Err(Written::Framing(e)) => {
                return Err(PoolError::Protocol {
                    address: self.peer,
                    source: e.into(),
                }
                .into())
            }
        }
        // Checked above: cannot fail, but never queue what is not tracked.
        if let Err(e) = self.state.on_send_kind(kind, false) {
            self.wbuf.truncate(mark);
            return Err(PoolError::IllegalRequest(e).into());
        }
        if tracing::enabled!(tracing::Level::TRACE) {
            tracing::trace!(
                peer = %self.peer,
                id = ?self.connection_id,
                bytes = self.wbuf.mark() - mark,
                "C: {}",
                kind.name()
            );
        }
        Ok(())
    }

    /// Writes every queued request in one go, each write bounded by the
    /// write timeout. Cancel-safe: what was not written stays queued.
    ///
    /// ```no_run
    /// # async fn demo(mut conn: bolt_pool::Connection) -> Result<(), bolt_pool::PoolError> {
    /// conn.queue(&bolt_proto::message::Request::Reset)?;
    /// conn.flush().await?;
    /// # Ok(()) }
    /// ```
    pub async fn flush(&mut self) -> Result<(), PoolError> {
        if self.broken {
            return Err(PoolError::Broken);
        }
        if self.wbuf.is_empty() {
            return Ok(());
        }
        // New requests: the wait for a response starts over.
        self.message_due = None;
        let after = self.write_timeout;
        let mut due = None;
        let waited = std::future::poll_fn(|cx| {
            while !self.wbuf.is_empty() {
                match Pin::new(&mut self.stream).poll_write(cx, self.wbuf.unsent()) {
                    Poll::Ready(Ok(0)) => {
                        return Poll::Ready(Waited::Done(Err(std::io::ErrorKind::WriteZero.into())))
                    }
                    Poll::Ready(Ok(n)) => self.wbuf.advance(n),
                    Poll::Ready(Err(e)) => return Poll::Ready(Waited::Done(Err(e))),
                    Poll::Pending => {
                        return wait_deadline(&mut self.deadline, &mut due, after, None, cx)
                    }
                }
            }
            match Pin::new(&mut self.stream).poll_flush(cx) {
                Poll::Ready(r) => Poll::Ready(Waited::Done(r)),
                Poll::Pending => wait_deadline(&mut self.deadline, &mut due, after, None, cx),
            }
        })
        .await;
        match waited {
            Waited::TimedOut => Err(self.write_timed_out()),
            Waited::Done(Err(e)) if e.kind() == std::io::ErrorKind::WriteZero => {
                let address = self.peer;
                Err(self.fail(PoolError::Closed { address }))
            }
            Waited::Done(Err(source)) => Err(self.io_failed(source)),
            Waited::Done(Ok(())) => {
                self.wbuf.clear();
                self.last_used = Instant::now();
                Ok(())
            }
        }
    }

    /// Writes what is queued as far as the socket takes it now, without
    /// waiting: `Ok(true)` when everything went out. What is left stays
    /// queued for the next [`flush`](Self::flush) (every receive flushes
    /// first). For sending a request early from synchronous code, e.g. the
    /// next PULL of a result while its caller still reads buffered records.
    ///
    /// ```no_run
    /// # fn demo(mut conn: bolt_pool::Connection) -> Result<(), bolt_pool::PoolError> {
    /// conn.queue(&bolt_proto::message::Request::Pull(bolt_proto::message::Pull::n(1000)))?;
    /// let all_out = conn.try_flush()?;
    /// # let _ = all_out; Ok(()) }
    /// ```
    pub fn try_flush(&mut self) -> Result<bool, PoolError> {
        if self.broken {
            return Err(PoolError::Broken);
        }
        let mut cx = Context::from_waker(std::task::Waker::noop());
        while !self.wbuf.is_empty() {
            match Pin::new(&mut self.stream).poll_write(&mut cx, self.wbuf.unsent()) {
                Poll::Ready(Ok(0)) => {
                    let address = self.peer;
                    return Err(self.fail(PoolError::Closed { address }));
                }
                Poll::Ready(Ok(n)) => self.wbuf.advance(n),
                Poll::Ready(Err(source)) => return Err(self.io_failed(source)),
                Poll::Pending => return Ok(false),
            }
        }
        match Pin::new(&mut self.stream).poll_flush(&mut cx) {
            Poll::Ready(Ok(())) => {
                self.wbuf.clear();
                self.last_used = Instant::now();
                Ok(true)
            }
            Poll::Ready(Err(source)) => Err(self.io_failed(source)),
            Poll::Pending => Ok(false),
        }
    }

    /// [`queue`](Self::queue) then [`flush`](Self::flush).
    ///
    /// ```no_run
    /// # async fn demo(mut conn: bolt_pool::Connection) -> Result<(), bolt_pool::PoolError> {
    /// conn.send(&bolt_proto::message::Request::Reset).await?;
    /// # Ok(()) }
    /// ```
    pub async fn send(&mut self, req: &Request) -> Result<(), PoolError> {
        self.queue(req)?;
        self.flush().await
    }

    /// Receives the next response, owned. Flushes queued requests first.
    /// A FAILURE is returned as [`Response::Failure`] (the server is then
    /// FAILED until RESET); a FAILURE of HELLO / LOGON / RESET also marks
    /// the connection broken.
    ///
    /// ```no_run
    /// use bolt_proto::message::Response;
    /// # async fn demo(mut conn: bolt_pool::Connection) -> Result<(), bolt_pool::PoolError> {
    /// conn.queue(&bolt_proto::message::Request::Reset)?;
    /// assert!(matches!(conn.recv().await?, Response::Success(_)));
    /// # Ok(()) }
    /// ```
    pub async fn recv(&mut self) -> Result<Response, PoolError> {
        self.prepare_recv().await?;
        self.read_response().await
    }

    /// Reads, decodes and accounts for the next response (owned): the
    /// shared step of [`recv`](Self::recv) and the re-auth answers.
    async fn read_response(&mut self) -> Result<Response, PoolError> {
        let at = self.read_message().await?;
        let body = body(&self.rbuf, &self.current, at);
        let resp = match Response::decode(body, self.version) {
            Ok(r) => r,
            Err(e) => return Err(self.protocol_failed(e.into())),
        };
        self.note_ignored(resp.kind());
        match self.state.on_response(&resp) {
            Ok(kind) => self.answered(kind),
            Err(e) => return Err(self.protocol_failed(e.into())),
        }
        if tracing::enabled!(tracing::Level::TRACE) {
            tracing::trace!(peer = %self.peer, id = ?self.connection_id, message = ?resp, "S: {}", format!("{:?}", resp.kind()).to_uppercase());
        }
        Ok(resp)
    }

    /// Receives the next response with RECORD values left encoded in the
    /// read buffer ([`ResponseRef::Record`] holds a lazy
    /// [`RecordView`](bolt_proto::message::RecordView)): the fast path for
    /// streaming results. The view borrows the connection until the next
    /// call.
    ///
    /// ```no_run
    /// use bolt_proto::message::{Pull, Request, ResponseRef, Run};
    /// # async fn demo(mut conn: bolt_pool::Connection) -> Result<(), bolt_pool::PoolError> {
    /// conn.queue(&Request::Run(Run::new("UNWIND range(1, 3) AS x RETURN x")))?;
    /// conn.queue(&Request::Pull(Pull::all()))?;
    /// let mut sum = 0;
    /// while conn.pending() > 0 {
    ///     if let ResponseRef::Record(rec) = conn.recv_ref().await? {
    ///         sum += rec.decoder().read_int().unwrap_or(0);
    ///     }
    /// }
    /// assert_eq!(sum, 6);
    /// # Ok(()) }
    /// ```
    pub async fn recv_ref(&mut self) -> Result<ResponseRef<'_>, PoolError> {
        self.prepare_recv().await?;
        let at = self.read_message().await?;
        self.accept(at)
    }

    /// The next response if it is already whole in the read buffer:
    /// [`recv_ref`](Self::recv_ref) without I/O and without `.await`, for
    /// draining a batch of RECORDs that arrived together. `None` when more
    /// bytes must be read first (then [`fill`](Self::fill) or
    /// `recv_ref`). Queued requests are not flushed.
    ///
    /// ```no_run
    /// use bolt_proto::message::{Pull, Request, ResponseRef, Run};
    /// # async fn demo(mut conn: bolt_pool::Connection) -> Result<(), bolt_pool::PoolError> {
    /// conn.queue(&Request::Run(Run::new("UNWIND range(1, 3) AS x RETURN x")))?;
    /// conn.queue(&Request::Pull(Pull::all()))?;
    /// let mut rows = 0;
    /// while conn.pending() > 0 {
    ///     match conn.try_recv_ref() {
    ///         Some(Ok(ResponseRef::Record(_))) => rows += 1,
    ///         Some(r) => { r?; }
    ///         None => conn.fill().await?,
    ///     }
    /// }
    /// assert_eq!(rows, 3);
    /// # Ok(()) }
    /// ```
    pub fn try_recv_ref(&mut self) -> Option<Result<ResponseRef<'_>, PoolError>> {
        if self.broken {
            return Some(Err(PoolError::Broken));
        }
        if self.state.pending() <= self.swallow {
            return Some(Err(PoolError::NothingToReceive));
        }
        if self.swallow > 0 {
            // The answers to a pipelined LOGOFF / LOGON come first: `fill`
            // reads them.
            return None;
        }
        match self.next_buffered() {
            Ok(None) => None,
            Ok(Some(at)) => Some(self.accept(at)),
            Err(e) => Some(Err(e)),
        }
    }

    /// The next response if it is a RECORD already whole in the read
    /// buffer, as a lazy view: the per-row fast path of streaming. `None`
    /// when no whole message is buffered or the next one is a summary
    /// (left for [`recv_ref`](Self::recv_ref)). No I/O, no `.await`.
    ///
    /// ```no_run
    /// use bolt_proto::message::{Pull, Request, ResponseRef, Run};
    /// # async fn demo(mut conn: bolt_pool::Connection) -> Result<(), bolt_pool::PoolError> {
    /// conn.queue(&Request::Run(Run::new("UNWIND range(1, 3) AS x RETURN x")))?;
    /// conn.queue(&Request::Pull(Pull::all()))?;
    /// let mut sum = 0;
    /// while conn.pending() > 0 {
    ///     while let Some(rec) = conn.next_record()? {
    ///         sum += rec.decoder().read_int().unwrap_or(0);
    ///     }
    ///     if let ResponseRef::Record(rec) = conn.recv_ref().await? {
    ///         sum += rec.decoder().read_int().unwrap_or(0);
    ///     }
    /// }
    /// assert_eq!(sum, 6);
    /// # Ok(()) }
    /// ```
    pub fn next_record(&mut self) -> Result<Option<RecordView<'_>>, PoolError> {
        if self.broken {
            return Err(PoolError::Broken);
        }
        if self.state.pending() == 0 || self.swallow > 0 {
            return Ok(None);
        }
        let Some(at) = self.next_buffered()? else {
            return Ok(None);
        };
        let b = body(&self.rbuf, &self.current, at);
        if !(b.len() > 2 && b[0] == 0xB1 && b[1] == bolt_proto::message::tag::RECORD) {
            // A summary: put it back for `recv_ref`.
            match at {
                Body::InPlace { start, .. } => self.consumed = start - 2,
                Body::Joined => self.held = true,
            }
            return Ok(None);
        }
        self.records_allowed(1)?;
        self.trace_records(1);
        let view = match RecordView::decode(body(&self.rbuf, &self.current, at)) {
            Ok(v) => v,
            Err(e) => {
                self.broken = true;
                tracing::debug!(peer = %self.peer, error = %e, "undecodable Bolt RECORD");
                return Err(PoolError::Protocol {
                    address: self.peer,
                    source: e.into(),
                });
            }
        };
        Ok(Some(view))
    }

    /// Moves every RECORD already whole in the read buffer into `batch`
    /// (after the records it holds), to be read from there one at a time:
    /// [`next_record`](Self::next_record) for a whole run of records at
    /// once, the protocol state checked once for the run and a run of
    /// single-chunk messages copied with one `memcpy` (NOOPs between runs
    /// skipped, never copied). Stops before the
    /// first summary (left for [`recv_ref`](Self::recv_ref)) or when no
    /// whole message is buffered: returns `true` in the first case (a
    /// summary is next, `recv_ref` answers without waiting), `false` in the
    /// second (then [`fill`](Self::fill)). No I/O, no `.await`. A RECORD
    /// whose header does not decode is reported when it is read from the
    /// batch.
    ///
    /// # Errors
    /// A broken connection, a RECORD the protocol state does not allow
    /// (among them one more than the PULL's `n`) or broken framing (these
    /// break the connection; the runs of records before them were taken).
    ///
    /// ```no_run
    /// # fn demo(mut conn: bolt_pool::Connection) -> Result<(), bolt_pool::PoolError> {
    /// let mut batch = bolt_pool::RecordBatch::default();
    /// let summary_next = conn.take_records(&mut batch)?;
    /// while let Some(Ok(record)) = batch.next() {
    ///     println!("{} values", record.len());
    /// }
    /// println!("then {}", if summary_next { "a summary" } else { "a wait" });
    /// # Ok(()) }
    /// ```
    pub fn take_records(&mut self, batch: &mut RecordBatch) -> Result<bool, PoolError> {
        if self.broken {
            return Err(PoolError::Broken);
        }
        if self.state.pending() == 0 || self.swallow > 0 {
            return Ok(false);
        }
        batch.prepare();
        // Fast path: runs of single-chunk RECORDs in place, each copied
        // whole; NOOPs between them are skipped, not copied.
        while !self.held && self.current.is_empty() && self.decoder.is_idle() {
            let b = &self.rbuf[self.consumed..];
            let max = self.decoder.max_message_size();
            let mut skip = 0;
            while let Some([0, 0, ..]) = b.get(skip..) {
                skip += 2; // a NOOP
            }
            let (mut at, mut count) = (skip, 0);
            while let Some([h0, h1, rest @ ..]) = b.get(at..) {
                let size = usize::from(u16::from_be_bytes([*h0, *h1]));
                match rest.split_at_checked(size) {
                    Some(([0xB1, bolt_proto::message::tag::RECORD, ..], [0, 0, ..]))
                        if size <= max =>
                    {
                        at += size + 4;
                        count += 1;
                    }
                    _ => break,
                }
            }
            if count > 0 {
                self.records_allowed(count)?;
                let start = self.consumed + skip;
                batch.push_run(&self.rbuf[start..self.consumed + at], count);
                self.message_due = None;
                self.trace_records(count);
            }
            self.consumed += at;
            // Stopped at a NOOP: more records may follow it.
            if !matches!(self.rbuf[self.consumed..], [0, 0, ..]) {
                break;
            }
        }
        loop {
            // Anything else (a summary, a message in several chunks, not
            // all here yet) the general way.
            let Some(at) = self.next_buffered()? else {
                return Ok(false);
            };
            let body = body(&self.rbuf, &self.current, at);
            if !matches!(body, [0xB1, bolt_proto::message::tag::RECORD, ..]) {
                // A summary: put it back for `recv_ref`.
                match at {
                    Body::InPlace { start, .. } => self.consumed = start - 2,
                    Body::Joined => self.held = true,
                }
                return Ok(true);
            }
            self.records_allowed(1)?;
            match at {
                Body::InPlace { start, len } => {
                    batch.push_run(&self.rbuf[start - 2..start + len + 2], 1);
                }
                Body::Joined => batch.push_joined(self.current.clone()),
            }
            self.trace_records(1);
        }
    }

    /// Checks that `count` RECORDs may arrive now, within the PULL's `n`
    /// (breaks the connection if not).
    fn records_allowed(&mut self, count: usize) -> Result<(), PoolError> {
        if let Err(e) = self.state.on_records(count) {
            self.broken = true;
            tracing::debug!(peer = %self.peer, error = %e, "unexpected Bolt response");
            return Err(PoolError::Protocol {
                address: self.peer,
                source: e.into(),
            });
        }
        self.last_answered = None;
        Ok(())
    }

    #[inline]
    fn trace_records(&self, count: usize) {
        if tracing::enabled!(tracing::Level::TRACE) {
            for _ in 0..count {
                tracing::trace!(peer = %self.peer, id = ?self.connection_id, "S: RECORD");
            }
        }
    }

    /// Flushes queued requests, then waits (bounded by the read timeout)
    /// until more response bytes arrived: the waiting half of
    /// [`try_recv_ref`](Self::try_recv_ref).
    ///
    /// ```no_run
    /// # async fn demo(mut conn: bolt_pool::Connection) -> Result<(), bolt_pool::PoolError> {
    /// conn.queue(&bolt_proto::message::Request::Reset)?;
    /// while conn.try_recv_ref().is_none() {
    ///     conn.fill().await?;
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn fill(&mut self) -> Result<(), PoolError> {
        let swallowing = self.swallow > 0;
        self.prepare_recv().await?;
        if swallowing {
            // Reading the LOGOFF / LOGON answers may have buffered more.
            return Ok(());
        }
        self.read_more().await
    }

    /// Decodes the message at `at` and tracks it.
    fn accept(&mut self, at: Body) -> Result<ResponseRef<'_>, PoolError> {
        let body = body(&self.rbuf, &self.current, at);
        let resp = match ResponseRef::decode(body, self.version) {
            Ok(r) => r,
            Err(e) => {
                self.broken = true;
                tracing::debug!(peer = %self.peer, error = %e, "undecodable Bolt response");
                return Err(PoolError::Protocol {
                    address: self.peer,
                    source: e.into(),
                });
            }
        };
        if matches!(resp, ResponseRef::Ignored) && !expects_ignored(&self.state) {
            // Fields, not `note_ignored`: `resp` borrows the read buffer.
            self.out_of_step = true;
        }
        match self.state.on_response_ref(&resp) {
            Ok(kind) => {
                self.last_answered = kind;
                if kind.is_some() && self.state.state() == ServerState::Defunct {
                    self.broken = true;
                }
                if tracing::enabled!(tracing::Level::TRACE) {
                    trace_response(self.peer, self.connection_id.as_deref(), &resp);
                }
                Ok(resp)
            }
            Err(e) => {
                self.broken = true;
                tracing::debug!(peer = %self.peer, error = %e, "unexpected Bolt response");
                Err(PoolError::Protocol {
                    address: self.peer,
                    source: e.into(),
                })
            }
        }
    }

    /// Sends RESET (after anything queued) and reads every pending
    /// response up to RESET's SUCCESS: afterwards the server is READY, any
    /// transaction rolled back and any result discarded. A failed RESET
    /// breaks the connection.
    ///
    /// ```no_run
    /// # async fn demo(mut conn: bolt_pool::Connection) -> Result<(), bolt_pool::PoolError> {
    /// conn.reset().await?;
    /// assert!(conn.is_ready());
    /// # Ok(()) }
    /// ```
    pub async fn reset(&mut self) -> Result<(), PoolError> {
        self.queue(&Request::Reset)?;
        self.flush().await?;
        loop {
            let (kind, failure) = {
                let resp = self.recv_ref().await?;
                let kind = resp.kind();
                match resp {
                    ResponseRef::Failure(f) => (kind, Some(f)),
                    _ => (kind, None),
                }
            };
            if self.last_answered != Some(RequestKind::Reset) {
                continue;
            }
            return match (kind, failure) {
                (_, Some(f)) => Err(self.fail(PoolError::Server(f))),
                (ResponseKind::Success, None) => {
                    self.out_of_step = false;
                    Ok(())
                }
                _ => {
                    let address = self.peer;
                    Err(self.fail(PoolError::Protocol {
                        address,
                        source: ProtocolError::ResetNotAcknowledged,
                    }))
                }
            };
        }
    }

    /// Sends GOODBYE where the version has it (3.0+) and closes the socket,
    /// each bounded by the write timeout. The connection is broken
    /// afterwards.
    ///
    /// ```no_run
    /// # async fn demo(mut conn: bolt_pool::Connection) -> Result<(), bolt_pool::PoolError> {
    /// conn.goodbye().await?;
    /// assert!(conn.is_broken());
    /// # Ok(()) }
    /// ```
    pub async fn goodbye(&mut self) -> Result<(), PoolError> {
        self.say_goodbye(true).await
    }

    /// [`goodbye`](Self::goodbye) for a connection about to be dropped:
    /// a plain socket is not shut down first (dropping it closes it and
    /// sends the same FIN; a shutdown before costs a system call and a
    /// second pass through the TCP stack, ~1.5 µs of a connect); TLS still
    /// ends with its close_notify.
    pub(crate) async fn goodbye_then_drop(&mut self) -> Result<(), PoolError> {
        self.say_goodbye(self.stream.is_encrypted()).await
    }

    async fn say_goodbye(&mut self, shut_down: bool) -> Result<(), PoolError> {
        if self.broken {
            return Err(PoolError::Broken);
        }
        let result = if self.version.has_hello() {
            // Whatever was queued goes first; GOODBYE ends the stream.
            match self.queue(&Request::Goodbye) {
                Ok(()) => self.flush().await,
                Err(e) => Err(e),
            }
        } else {
            Ok(())
        };
        let shutdown = if shut_down {
            tokio::time::timeout(self.write_timeout, self.stream.shutdown()).await
        } else {
            Ok(Ok(()))
        };
        self.broken = true;
        tracing::debug!(peer = %self.peer, id = ?self.connection_id, "bolt connection closed");
        result?;
        match shutdown {
            Ok(Ok(())) => Ok(()),
            Ok(Err(source)) => Err(PoolError::Io {
                address: self.peer,
                source,
            }),
            Err(_) => Err(PoolError::Timeout {
                what: "closing the connection",
                after: self.write_timeout,
            }),
        }
    }

    /// Closes the connection politely ([`goodbye`](Self::goodbye)),
    /// ignoring errors.
    ///
    /// ```no_run
    /// # async fn demo(conn: bolt_pool::Connection) {
    /// conn.close().await;
    /// # }
    /// ```
    pub async fn close(mut self) {
        if !self.broken {
            let _ = self.goodbye_then_drop().await;
        }
    }

    /// Checks, without I/O waits and usually without a system call, that an
    /// idle connection is still open: fails (and marks it broken) if the
    /// server closed it or sent anything but NOOPs while it was idle.
    ///
    /// ```no_run
    /// # fn demo(mut conn: bolt_pool::Connection) {
    /// if conn.check_idle().is_err() { /* the server went away */ }
    /// # }
    /// ```
    pub fn check_idle(&mut self) -> Result<(), PoolError> {
        if self.broken {
            return Err(PoolError::Broken);
        }
        self.drop_consumed();
        if self.held {
            let n = self.current.len();
            return Err(self.protocol_failed(ProtocolError::UnsolicitedData(n)));
        }
        // A plain socket tokio knows to be drained answers without a
        // system call (nor a waker registration): the common case.
        let mut probe = [0u8; 128];
        match self.stream.try_read(&mut probe) {
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => Ok(()),
            Ok(0) => {
                let address = self.peer;
                Err(self.fail(PoolError::Closed { address }))
            }
            Ok(n) => {
                // Keep-alive NOOPs are fine; anything else is not.
                self.rbuf.extend_from_slice(&probe[..n]);
                match self.decoder.decode(&mut self.rbuf) {
                    Ok(None) if self.rbuf.is_empty() && self.decoder.is_idle() => Ok(()),
                    Ok(_) => {
                        let n = self.rbuf.len();
                        Err(self.protocol_failed(ProtocolError::UnsolicitedData(n)))
                    }
                    Err(e) => Err(self.protocol_failed(e.into())),
                }
            }
            Err(source) => Err(self.io_failed(source)),
        }
    }

    async fn prepare_recv(&mut self) -> Result<(), PoolError> {
        if self.broken {
            return Err(PoolError::Broken);
        }
        if self.state.pending() <= self.swallow {
            return Err(PoolError::NothingToReceive);
        }
        if !self.wbuf.is_empty() {
            self.flush().await?;
        }
        if self.swallow > 0 {
            self.swallow_reauth().await?;
        }
        Ok(())
    }

    /// Reads the answers to a pipelined LOGOFF / LOGON; a FAILURE breaks
    /// the connection and is the error.
    async fn swallow_reauth(&mut self) -> Result<(), PoolError> {
        while self.swallow > 0 {
            let resp = self.read_response().await?;
            self.swallow -= 1;
            match resp {
                Response::Failure(f) => {
                    self.swallow = 0;
                    self.mark_broken();
                    return Err(PoolError::from_auth_failure(f));
                }
                Response::Ignored => {
                    // LOGOFF / LOGON not processed: not logged on as
                    // the connection claims.
                    self.swallow = 0;
                    return Err(self
                        .protocol_failed(ProtocolError::UnexpectedInOpen(ResponseKind::Ignored)));
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Notes an IGNORED the state tracking did not expect (see
    /// `out_of_step`); call before the response is tracked.
    fn note_ignored(&mut self, kind: ResponseKind) {
        if kind == ResponseKind::Ignored && !expects_ignored(&self.state) {
            self.out_of_step = true;
        }
    }

    fn answered(&mut self, kind: Option<RequestKind>) {
        self.last_answered = kind;
        if self.state.state() == ServerState::Defunct {
            self.mark_broken();
        }
    }

    /// Drops the messages handed out in place from the read buffer.
    fn drop_consumed(&mut self) {
        if self.consumed > 0 {
            self.rbuf.advance(self.consumed);
            self.consumed = 0;
        }
    }

    /// Finds the next whole message in the read buffer, without I/O. A
    /// message in one chunk (the common case) is left in place; only one
    /// spanning several chunks is joined by the decoder.
    fn next_buffered(&mut self) -> Result<Option<Body>, PoolError> {
        if self.held {
            self.held = false;
            return Ok(Some(Body::Joined));
        }
        if !self.current.is_empty() {
            // Let the previous joined body go so the buffer can be reclaimed.
            self.current = Bytes::new();
        }
        if self.decoder.is_idle() {
            loop {
                let b = &self.rbuf[self.consumed..];
                if b.len() < 2 {
                    break;
                }
                let size = usize::from(u16::from_be_bytes([b[0], b[1]]));
                if size == 0 {
                    self.consumed += 2; // NOOP
                    continue;
                }
                if size <= self.decoder.max_message_size()
                    && b.len() >= size + 4
                    && b[size + 2] == 0
                    && b[size + 3] == 0
                {
                    let start = self.consumed + 2;
                    self.consumed += size + 4;
                    self.message_due = None;
                    return Ok(Some(Body::InPlace { start, len: size }));
                }
                break;
            }
        }
        self.drop_consumed();
        match self.decoder.decode(&mut self.rbuf) {
            Ok(Some(body)) => {
                self.current = body;
                self.message_due = None;
                Ok(Some(Body::Joined))
            }
            Ok(None) => Ok(None),
            Err(e) => Err(self.protocol_failed(e.into())),
        }
    }

    /// Reads until one whole message body is buffered.
    async fn read_message(&mut self) -> Result<Body, PoolError> {
        loop {
            if let Some(at) = self.next_buffered()? {
                return Ok(at);
            }
            self.read_more().await?;
        }
    }

    /// One socket read into the read buffer, bounded by the read timeout
    /// and by the deadline of the message waited for (see the module doc).
    async fn read_more(&mut self) -> Result<(), PoolError> {
        self.drop_consumed();
        if self.rbuf.capacity() - self.rbuf.len() < 512 {
            self.rbuf.reserve(READ_CHUNK);
        }
        let after = self.read_timeout;
        let whole_within = self.message_timeout.max(after);
        // Kept here while the read is under way: if this future is
        // dropped, the wait starts over when resumed.
        let mut message_due = self.message_due.take();
        let mut due = None;
        let mut flooded = false;
        let waited = std::future::poll_fn(|cx| {
            match tokio_util::io::poll_read_buf(Pin::new(&mut self.stream), cx, &mut self.rbuf) {
                // A wait that never blocks (a flood of NOOPs) is checked
                // too: one clock read per socket read, only while the
                // same message is still incomplete.
                Poll::Ready(Ok(n))
                    if n > 0 && message_due.is_some_and(|m| tokio::time::Instant::now() >= m) =>
                {
                    flooded = true;
                    Poll::Ready(Waited::TimedOut)
                }
                Poll::Ready(r) => Poll::Ready(Waited::Done(r)),
                Poll::Pending => {
                    let message = *message_due.get_or_insert_with(|| deadline_after(whole_within));
                    wait_deadline(&mut self.deadline, &mut due, after, Some(message), cx)
                }
            }
        })
        .await;
        match waited {
            Waited::TimedOut
                if flooded || message_due.is_some_and(|m| due.is_some_and(|d| m <= d)) =>
            {
                Err(self.fail(PoolError::Timeout {
                    what: "waiting for a whole Bolt message (NOOPs do not extend the wait)",
                    after: whole_within,
                }))
            }
            Waited::TimedOut => Err(self.fail(PoolError::Timeout {
                what: "waiting for a Bolt response",
                after,
            })),
            Waited::Done(Err(source)) => Err(self.io_failed(source)),
            Waited::Done(Ok(0)) => {
                let address = self.peer;
                Err(self.fail(PoolError::Closed { address }))
            }
            // Stamped per socket read, not per message: a clock read
            // per RECORD was ~9% of streaming CPU.
            Waited::Done(Ok(_)) => {
                self.message_due = message_due;
                self.last_used = Instant::now();
                Ok(())
            }
        }
    }

    fn fail(&mut self, e: PoolError) -> PoolError {
        self.broken = true;
        // Hang up now: whoever holds the broken connection may keep it a
        // while (a failed transaction until its rollback), and the server
        // must not wait for that.
        self.stream.shutdown_now();
        tracing::debug!(peer = %self.peer, id = ?self.connection_id, error = %e, "bolt connection broken");
        e
    }

    fn io_failed(&mut self, source: std::io::Error) -> PoolError {
        let address = self.peer;
        self.fail(PoolError::Io { address, source })
    }

    fn write_timed_out(&mut self) -> PoolError {
        let after = self.write_timeout;
        self.fail(PoolError::Timeout {
            what: "writing Bolt requests",
            after,
        })
    }

    fn protocol_failed(&mut self, source: ProtocolError) -> PoolError {
        let address = self.peer;
        self.fail(PoolError::Protocol { address, source })
    }
}

/// Whether the tracked state explains an IGNORED: the server FAILED, or a
/// RESET is on its way (INTERRUPTED).
fn expects_ignored(state: &ClientState) -> bool {
    matches!(
        state.state(),
        ServerState::Failed | ServerState::Interrupted
    )
}

/// The timer half of a network wait whose I/O is pending: on the wait's
/// first pending poll its deadline (`due`) becomes `after` from now, or
/// `cap` if earlier; then reports whether it passed.
///
/// The connection's one timer is not moved on every wait (re-arming it
/// per query cost ~250 instructions): it is left where an earlier wait
/// put it as long as that is no later than `due`, and when it fires
/// before `due` it is moved to `due` and the wait goes on. So a wait
/// never ends early, at worst its task is woken once spuriously per
/// timeout period, and it is re-armed only when a wait needs it earlier.
fn wait_deadline<T>(
    slot: &mut Option<Pin<Box<Sleep>>>,
    due: &mut Option<tokio::time::Instant>,
    after: Duration,
    cap: Option<tokio::time::Instant>,
    cx: &mut Context<'_>,
) -> Poll<Waited<T>> {
    let at = *due.get_or_insert_with(|| {
        let at = deadline_after(after);
        cap.map_or(at, |cap| at.min(cap))
    });
    let sleep = match slot {
        Some(s) => {
            if s.deadline() > at {
                s.as_mut().reset(at);
            }
            s
        }
        None => slot.insert(Box::pin(tokio::time::sleep_until(at))),
    };
    loop {
        match sleep.as_mut().poll(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(()) if tokio::time::Instant::now() >= at => {
                return Poll::Ready(Waited::TimedOut)
            }
            // An earlier wait's deadline: this wait's is later.
            Poll::Ready(()) => sleep.as_mut().reset(at),
        }
    }
}
