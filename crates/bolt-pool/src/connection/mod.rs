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

mod open;

use std::net::SocketAddr;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bolt_net::{Address, BoltStream};
use bolt_proto::framing::{ChunkDecoder, ChunkEncoder, FramingError};
use bolt_proto::message::{EncodeError, Request, RequestKind, Response, ResponseKind, ResponseRef};
use bolt_proto::state::{ClientState, ServerState};
use bolt_proto::structure::StructCtx;
use bolt_proto::Version;
use bytes::{Buf, Bytes, BytesMut};
use packstream::{Map, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub use open::{OpenOptions, DEFAULT_READ_TIMEOUT, DEFAULT_USER_AGENT, DEFAULT_WRITE_TIMEOUT};

use crate::error::{PoolError, ProtocolError};

/// Read buffer growth step.
const READ_CHUNK: usize = 8 * 1024;

/// An open, authenticated Bolt connection to one server.
///
/// Queue requests with [`queue`](Self::queue) (no I/O), write them all
/// with [`flush`](Self::flush), then take the responses in order with
/// [`recv`](Self::recv) (owned) or [`recv_ref`](Self::recv_ref) (RECORDs
/// borrowed, zero-copy). Every read and write is bounded by
/// [`read_timeout`](Self::read_timeout) / [`write_timeout`](Self::write_timeout);
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
///         ResponseRef::Failure(f) => return Err(bolt_pool::PoolError::Server(Box::new(f))),
///         _ => {}
///     }
/// }
/// conn.close().await;
/// # Ok(()) }
/// ```
pub struct Connection {
    stream: BoltStream,
    rbuf: BytesMut,
    wbuf: BytesMut,
    decoder: ChunkDecoder,
    encoder: ChunkEncoder,
    /// The body of the message last returned by `recv_ref`.
    current: Bytes,
    state: ClientState,
    version: Version,
    address: Address,
    peer: SocketAddr,
    server_agent: String,
    connection_id: Option<String>,
    hints: Map,
    utc_patch: bool,
    created_at: Instant,
    last_used: Instant,
    /// When a pool last took the connection back, by the pool's clock.
    idle_since: Instant,
    broken: bool,
    read_timeout: Duration,
    write_timeout: Duration,
    last_answered: Option<RequestKind>,
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

/// A request as logged at TRACE level: auth tokens (HELLO, INIT, LOGON)
/// with `credentials` and custom `parameters` values hidden.
struct Redacted<'a>(&'a Request);

impl std::fmt::Debug for Redacted<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        fn hide(auth: &Map) -> Map {
            let mut m = auth.clone();
            if m.get("credentials").is_some() {
                m.insert("credentials", "<redacted>");
            }
            // Custom parameters: names shown, values may be secrets.
            if let Some(Value::Map(params)) = m.get("parameters") {
                let mut hidden = Map::with_capacity(params.len());
                for (k, _) in params.iter() {
                    hidden.insert(k, "<redacted>");
                }
                m.insert("parameters", Value::Map(hidden));
            }
            m
        }
        match self.0 {
            Request::Hello(h) => {
                let mut h = h.clone();
                h.auth = h.auth.as_ref().map(hide);
                write!(f, "{:?}", Request::Hello(h))
            }
            Request::Init(i) => {
                let mut i = i.clone();
                i.auth = hide(&i.auth);
                write!(f, "{:?}", Request::Init(i))
            }
            Request::Logon(l) => {
                let mut l = l.clone();
                l.auth = hide(&l.auth);
                write!(f, "{:?}", Request::Logon(l))
            }
            other => write!(f, "{other:?}"),
        }
    }
}

/// Logs a response at TRACE level (a RECORD by its field count only).
fn trace_response(peer: SocketAddr, id: Option<&str>, resp: &ResponseRef<'_>) {
    match resp {
        ResponseRef::Record(_) => tracing::trace!(%peer, ?id, "S: RECORD"),
        ResponseRef::Success(s) => {
            tracing::trace!(%peer, ?id, metadata = ?s.metadata, "S: SUCCESS")
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

    /// When a pool last took the connection back, by its clock.
    pub(crate) fn idle_since(&self) -> Instant {
        self.idle_since
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

    /// How many queued or sent requests still await their summary.
    ///
    /// ```no_run
    /// # fn demo(conn: &bolt_pool::Connection) {
    /// assert_eq!(conn.pending(), 0);
    /// # }
    /// ```
    pub fn pending(&self) -> usize {
        self.state.pending()
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
    /// READY state, nothing pending or queued.
    ///
    /// ```no_run
    /// # fn demo(conn: &bolt_pool::Connection) {
    /// assert!(conn.is_ready());
    /// # }
    /// ```
    pub fn is_ready(&self) -> bool {
        !self.broken
            && self.state.state() == ServerState::Ready
            && self.state.pending() == 0
            && self.wbuf.is_empty()
    }

    /// The timeout of each read.
    ///
    /// ```no_run
    /// # fn demo(conn: &bolt_pool::Connection) {
    /// println!("{:?}", conn.read_timeout());
    /// # }
    /// ```
    pub fn read_timeout(&self) -> Duration {
        self.read_timeout
    }

    /// Sets the timeout of each read (e.g. a transaction's own timeout).
    ///
    /// ```no_run
    /// # fn demo(mut conn: bolt_pool::Connection) {
    /// conn.set_read_timeout(std::time::Duration::from_secs(5));
    /// # }
    /// ```
    pub fn set_read_timeout(&mut self, timeout: Duration) {
        self.read_timeout = timeout;
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
        let mark = self.wbuf.len();
        let written = self.encoder.write_message(&mut self.wbuf, |buf| {
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
                message = ?Redacted(req),
                "C: {}",
                req.kind().name()
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
        while !self.wbuf.is_empty() {
            let write = tokio::time::timeout(self.write_timeout, self.stream.write(&self.wbuf));
            match write.await {
                Err(_) => return Err(self.write_timed_out()),
                Ok(Err(source)) => return Err(self.io_failed(source)),
                Ok(Ok(0)) => {
                    let address = self.peer;
                    return Err(self.fail(PoolError::Closed { address }));
                }
                Ok(Ok(n)) => self.wbuf.advance(n),
            }
        }
        self.wbuf.clear();
        match tokio::time::timeout(self.write_timeout, self.stream.flush()).await {
            Err(_) => return Err(self.write_timed_out()),
            Ok(Err(source)) => return Err(self.io_failed(source)),
            Ok(Ok(())) => {}
        }
        self.last_used = Instant::now();
        Ok(())
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
        let body = self.read_message().await?;
        let resp = match Response::decode(&body, self.version) {
            Ok(r) => r,
            Err(e) => return Err(self.protocol_failed(e.into())),
        };
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
        let body = self.read_message().await?;
        self.current = body;
        // Only field-level access below: `resp` borrows `self.current`.
        let resp = match ResponseRef::decode(&self.current, self.version) {
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
        match self.state.on_response_ref(&resp) {
            Ok(kind) => {
                self.last_answered = kind;
                if self.state.state() == ServerState::Defunct {
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
                (_, Some(f)) => Err(self.fail(PoolError::Server(Box::new(f)))),
                (ResponseKind::Success, None) => Ok(()),
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
        let shutdown = tokio::time::timeout(self.write_timeout, self.stream.shutdown()).await;
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
            let _ = self.goodbye().await;
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
        let mut cx = Context::from_waker(std::task::Waker::noop());
        if self.rbuf.capacity() - self.rbuf.len() < 64 {
            self.rbuf.reserve(READ_CHUNK);
        }
        let polled = tokio_util::io::poll_read_buf(
            std::pin::Pin::new(&mut self.stream),
            &mut cx,
            &mut self.rbuf,
        );
        match polled {
            Poll::Pending => Ok(()),
            Poll::Ready(Ok(0)) => {
                let address = self.peer;
                Err(self.fail(PoolError::Closed { address }))
            }
            Poll::Ready(Ok(_)) => {
                // Keep-alive NOOPs are fine; anything else is not.
                match self.decoder.decode(&mut self.rbuf) {
                    Ok(None) if self.rbuf.is_empty() && self.decoder.is_idle() => Ok(()),
                    Ok(_) => {
                        let n = self.rbuf.len();
                        Err(self.protocol_failed(ProtocolError::UnsolicitedData(n)))
                    }
                    Err(e) => Err(self.protocol_failed(e.into())),
                }
            }
            Poll::Ready(Err(source)) => Err(self.io_failed(source)),
        }
    }

    async fn prepare_recv(&mut self) -> Result<(), PoolError> {
        if self.broken {
            return Err(PoolError::Broken);
        }
        if self.state.pending() == 0 {
            return Err(PoolError::NothingToReceive);
        }
        if !self.wbuf.is_empty() {
            self.flush().await?;
        }
        Ok(())
    }

    fn answered(&mut self, kind: Option<RequestKind>) {
        self.last_answered = kind;
        if self.state.state() == ServerState::Defunct {
            self.mark_broken();
        }
    }

    /// Reads one whole message body, each socket read bounded by the read
    /// timeout.
    async fn read_message(&mut self) -> Result<Bytes, PoolError> {
        // Let the previous body go so the buffer can be reclaimed.
        self.current = Bytes::new();
        loop {
            match self.decoder.decode(&mut self.rbuf) {
                Ok(Some(body)) => return Ok(body),
                Ok(None) => {}
                Err(e) => return Err(self.protocol_failed(e.into())),
            }
            if self.rbuf.capacity() - self.rbuf.len() < 512 {
                self.rbuf.reserve(READ_CHUNK);
            }
            let read =
                tokio::time::timeout(self.read_timeout, self.stream.read_buf(&mut self.rbuf));
            match read.await {
                Err(_) => {
                    let after = self.read_timeout;
                    return Err(self.fail(PoolError::Timeout {
                        what: "waiting for a Bolt response",
                        after,
                    }));
                }
                Ok(Err(source)) => return Err(self.io_failed(source)),
                Ok(Ok(0)) => {
                    let address = self.peer;
                    return Err(self.fail(PoolError::Closed { address }));
                }
                // Stamped per socket read, not per message: a clock read
                // per RECORD was ~9% of streaming CPU.
                Ok(Ok(_)) => self.last_used = Instant::now(),
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
