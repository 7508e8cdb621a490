//! Opening a connection: connect (bolt-net), version handshake, then
//! INIT (Bolt 1–2), HELLO with the auth token (3.0–5.0), or HELLO and LOGON
//! pipelined in one write (5.1+).
//!
//! Owns [`OpenOptions`] and `Connection::open`. Every wait is bounded: the
//! socket by the connect options' `connection_timeout`, each later step by
//! it too (`open`) or by the pool's acquisition timeout (`open_within`). Credentials are never logged:
//! `OpenOptions`'s `Debug` shows only the auth scheme and principal.

use std::time::{Duration, Instant};

use bolt_net::{Address, BoltStream, ConnectOptions};
use bolt_proto::framing::{ChunkDecoder, ChunkEncoder};
use bolt_proto::handshake::{
    ClientHandshake, ClientProgress, HandshakeError, Negotiated, VersionOffer,
};
use bolt_proto::message::{
    BoltAgent, Hello, Init, Logon, NotificationFilter, Request, Response, Success,
};
use bolt_proto::state::ClientState;
use bolt_proto::Version;
use bytes::{Bytes, BytesMut};
use packstream::{Map, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::Connection;
use crate::error::PoolError;

/// The default user agent: `bolt-pool/<version>`.
///
/// ```
/// assert!(bolt_pool::DEFAULT_USER_AGENT.starts_with("bolt-pool/"));
/// ```
pub const DEFAULT_USER_AGENT: &str = concat!("bolt-pool/", env!("CARGO_PKG_VERSION"));

/// The default bound on each read once a connection is open, and on
/// waiting for each whole response message, NOOPs or not
/// ([`OpenOptions::read_timeout`]): 5 minutes, long enough for slow
/// queries to produce their first record on a server that sends no
/// keep-alives, short enough that a vanished server is noticed.
///
/// ```
/// assert_eq!(bolt_pool::DEFAULT_READ_TIMEOUT.as_secs(), 300);
/// ```
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(300);

/// The shortest read timeout a server's `connection.recv_timeout_seconds`
/// hint can set: 1 second (the hint's unit). See
/// [`OpenOptions::read_timeout`] for how the hint applies.
///
/// ```
/// assert_eq!(bolt_pool::MIN_HINTED_READ_TIMEOUT.as_secs(), 1);
/// ```
pub const MIN_HINTED_READ_TIMEOUT: Duration = Duration::from_secs(1);

/// The default bound on each write: 60 seconds.
///
/// ```
/// assert_eq!(bolt_pool::DEFAULT_WRITE_TIMEOUT.as_secs(), 60);
/// ```
pub const DEFAULT_WRITE_TIMEOUT: Duration = Duration::from_secs(60);

/// What to say when opening a connection: auth token, agents, routing
/// context, versions offered, notification filters and I/O timeouts.
///
/// ```
/// use std::time::Duration;
/// use bolt_pool::OpenOptions;
/// use bolt_proto::handshake::VersionOffer;
///
/// let mut auth = packstream::Map::new();
/// auth.insert("scheme", "basic");
/// auth.insert("principal", "neo4j");
/// auth.insert("credentials", "secret");
/// let opts = OpenOptions::new(auth)
///     .with_user_agent("my-app/1.0")
///     .with_versions(VersionOffer::exactly(bolt_proto::Version::V4_4)?)
///     .with_read_timeout(Duration::from_secs(30));
/// assert!(!format!("{opts:?}").contains("secret"));
/// # Ok::<(), bolt_proto::handshake::OfferError>(())
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub struct OpenOptions {
    /// The auth token (`scheme`, `principal`, `credentials`, ...), sent in
    /// INIT / HELLO or LOGON.
    pub auth: Map,
    /// The `user_agent` of INIT / HELLO.
    pub user_agent: String,
    /// The `bolt_agent` of HELLO (sent from 5.3).
    pub bolt_agent: BoltAgent,
    /// The routing context of HELLO (sent from 4.1); `None` for a direct
    /// driver.
    pub routing_context: Option<Map>,
    /// The versions offered in the handshake.
    pub versions: VersionOffer,
    /// Offered on a second connection when the server refuses every
    /// version of `versions` (answers `00 00 00 00`): four slots cannot
    /// name every version old servers need (servers before 4.3 read no
    /// ranges), so rarely needed ones can wait for a refusal.
    pub fallback_versions: Option<VersionOffer>,
    /// The server agent (HELLO's `server`) must start with this, e.g.
    /// `Neo4j/` as the official drivers require; `None` accepts any.
    pub required_agent_prefix: Option<String>,
    /// Notification filters for HELLO (5.2+; set on older servers it is an
    /// error).
    pub notifications: NotificationFilter,
    /// Bound on waiting for each response message once open, NOOPs or
    /// not, and on each read: how long a reply (or the next batch of
    /// records) may take before the connection is given up as dead
    /// ([`PoolError::Timeout`]). Default [`DEFAULT_READ_TIMEOUT`];
    /// `Duration::MAX` never gives up.
    ///
    /// A server's `connection.recv_timeout_seconds` hint (HELLO SUCCESS
    /// `hints`; the server promises to send something, e.g. keep-alive
    /// NOOPs, at least that often) can only shorten the bound on each read
    /// (silence): the connection uses the hint clamped to
    /// [`MIN_HINTED_READ_TIMEOUT`]`..=read_timeout`. A hint of zero,
    /// negative or not an integer is ignored, so a server can neither turn
    /// the deadline off nor lengthen it. Each whole message keeps this
    /// bound. See [`Connection`](crate::Connection)'s module doc on read
    /// deadlines.
    pub read_timeout: Duration,
    /// Bound on each write once open.
    pub write_timeout: Duration,
    /// The largest message accepted from the server.
    pub max_message_size: usize,
}

impl std::fmt::Debug for OpenOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let get = |k: &str| self.auth.get(k).and_then(Value::as_str);
        f.debug_struct("OpenOptions")
            .field("auth_scheme", &get("scheme"))
            .field("auth_principal", &get("principal"))
            .field("user_agent", &self.user_agent)
            .field("bolt_agent", &self.bolt_agent)
            .field("routing_context", &self.routing_context)
            .field("versions", &self.versions)
            .field("fallback_versions", &self.fallback_versions)
            .field("required_agent_prefix", &self.required_agent_prefix)
            .field("notifications", &self.notifications)
            .field("read_timeout", &self.read_timeout)
            .field("write_timeout", &self.write_timeout)
            .field("max_message_size", &self.max_message_size)
            .finish()
    }
}

impl Default for OpenOptions {
    /// No auth token (`{}`), default agents, every version, default timeouts.
    fn default() -> Self {
        OpenOptions {
            auth: Map::new(),
            user_agent: DEFAULT_USER_AGENT.to_owned(),
            bolt_agent: BoltAgent {
                product: DEFAULT_USER_AGENT.to_owned(),
                platform: Some(format!(
                    "{}; {}",
                    std::env::consts::OS,
                    std::env::consts::ARCH
                )),
                language: Some("Rust".to_owned()),
                language_details: None,
            },
            routing_context: None,
            versions: VersionOffer::default(),
            fallback_versions: None,
            required_agent_prefix: None,
            notifications: NotificationFilter::default(),
            read_timeout: DEFAULT_READ_TIMEOUT,
            write_timeout: DEFAULT_WRITE_TIMEOUT,
            max_message_size: bolt_proto::framing::DEFAULT_MAX_MESSAGE_SIZE,
        }
    }
}

impl OpenOptions {
    /// The defaults with this auth token.
    ///
    /// ```
    /// let o = bolt_pool::OpenOptions::new(packstream::Map::new());
    /// assert!(o.routing_context.is_none());
    /// ```
    pub fn new(auth: Map) -> Self {
        OpenOptions {
            auth,
            ..OpenOptions::default()
        }
    }

    /// Sets the `user_agent`.
    ///
    /// ```
    /// let o = bolt_pool::OpenOptions::default().with_user_agent("app/2");
    /// assert_eq!(o.user_agent, "app/2");
    /// ```
    pub fn with_user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Sets the `bolt_agent`.
    ///
    /// ```
    /// use bolt_proto::message::BoltAgent;
    /// let a = BoltAgent { product: "neo4j-rust/0.1".into(), ..Default::default() };
    /// let o = bolt_pool::OpenOptions::default().with_bolt_agent(a);
    /// assert_eq!(o.bolt_agent.product, "neo4j-rust/0.1");
    /// ```
    pub fn with_bolt_agent(mut self, bolt_agent: BoltAgent) -> Self {
        self.bolt_agent = bolt_agent;
        self
    }

    /// Sets the routing context (sent in HELLO from 4.1).
    ///
    /// ```
    /// let mut ctx = packstream::Map::new();
    /// ctx.insert("address", "db:7687");
    /// let o = bolt_pool::OpenOptions::default().with_routing_context(Some(ctx));
    /// assert!(o.routing_context.is_some());
    /// ```
    pub fn with_routing_context(mut self, routing_context: Option<Map>) -> Self {
        self.routing_context = routing_context;
        self
    }

    /// Sets the versions offered.
    ///
    /// ```
    /// use bolt_proto::{handshake::VersionOffer, Version};
    /// let o = bolt_pool::OpenOptions::default().with_versions(VersionOffer::exactly(Version::V3_0)?);
    /// assert!(o.versions.accepts(Version::V3_0));
    /// # Ok::<(), bolt_proto::handshake::OfferError>(())
    /// ```
    pub fn with_versions(mut self, versions: VersionOffer) -> Self {
        self.versions = versions;
        self
    }

    /// Sets the versions offered on a second connection when the server
    /// refuses all of [`versions`](Self::versions).
    ///
    /// ```
    /// use bolt_proto::{handshake::VersionOffer, Version};
    /// let o = bolt_pool::OpenOptions::default()
    ///     .with_fallback_versions(VersionOffer::exactly(Version::V1)?);
    /// assert!(o.fallback_versions.is_some());
    /// # Ok::<(), bolt_proto::handshake::OfferError>(())
    /// ```
    pub fn with_fallback_versions(mut self, versions: VersionOffer) -> Self {
        self.fallback_versions = Some(versions);
        self
    }

    /// Refuses servers whose agent does not start with `prefix`
    /// ([`PoolError::UnexpectedServer`]).
    ///
    /// ```
    /// let o = bolt_pool::OpenOptions::default().with_required_agent_prefix("Neo4j/");
    /// assert_eq!(o.required_agent_prefix.as_deref(), Some("Neo4j/"));
    /// ```
    pub fn with_required_agent_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.required_agent_prefix = Some(prefix.into());
        self
    }

    /// Sets the notification filters of HELLO.
    ///
    /// ```
    /// use bolt_proto::message::NotificationFilter;
    /// let f = NotificationFilter { minimum_severity: Some("WARNING".into()), ..Default::default() };
    /// let o = bolt_pool::OpenOptions::default().with_notifications(f);
    /// assert!(!o.notifications.is_empty());
    /// ```
    pub fn with_notifications(mut self, notifications: NotificationFilter) -> Self {
        self.notifications = notifications;
        self
    }

    /// Sets the bound on each read and on waiting for each whole
    /// response message (see [`read_timeout`](Self::read_timeout) for how
    /// the server's hint applies).
    ///
    /// ```
    /// let o = bolt_pool::OpenOptions::default().with_read_timeout(std::time::Duration::from_secs(1));
    /// assert_eq!(o.read_timeout.as_secs(), 1);
    /// ```
    pub fn with_read_timeout(mut self, timeout: Duration) -> Self {
        self.read_timeout = timeout;
        self
    }

    /// Sets the bound on each write.
    ///
    /// ```
    /// let o = bolt_pool::OpenOptions::default().with_write_timeout(std::time::Duration::from_secs(1));
    /// assert_eq!(o.write_timeout.as_secs(), 1);
    /// ```
    pub fn with_write_timeout(mut self, timeout: Duration) -> Self {
        self.write_timeout = timeout;
        self
    }
}

impl Connection {
    /// Opens an authenticated connection: resolve and connect with
    /// `connect` (TCP, TLS), negotiate the version, then authenticate:
    /// INIT on Bolt 1–2; HELLO carrying the token on 3.0–5.0 (with the
    /// routing context from 4.1 and `patch_bolt: ["utc"]` on 4.3–4.4);
    /// HELLO then LOGON, pipelined, on 5.1+ (`bolt_agent` from 5.3).
    ///
    /// The handshake and the authentication replies are each bounded by
    /// `connect.connection_timeout()`. A `Neo.ClientError.Security.*`
    /// FAILURE is [`PoolError::Auth`].
    ///
    /// ```no_run
    /// use bolt_pool::{Connection, OpenOptions};
    /// # async fn demo() -> Result<(), bolt_pool::PoolError> {
    /// let address = "localhost:7687".parse().map_err(bolt_net::NetError::from)?;
    /// let conn = Connection::open(&address, &Default::default(), &OpenOptions::default()).await?;
    /// println!("Bolt {} with {}", conn.version(), conn.server_agent());
    /// # Ok(()) }
    /// ```
    pub async fn open(
        address: &Address,
        connect: &ConnectOptions,
        options: &OpenOptions,
    ) -> Result<Connection, PoolError> {
        Connection::open_within(address, connect, options, connect.connection_timeout()).await
    }

    /// [`open`](Self::open) with `step_limit` bounding each step after the
    /// TCP (and TLS) connect — version handshake, authentication replies —
    /// instead of the connection timeout. A pool passes its acquisition
    /// timeout: in the official drivers the connection timeout covers only
    /// establishing the socket, the acquisition timeout the whole opening.
    pub(crate) async fn open_within(
        address: &Address,
        connect: &ConnectOptions,
        options: &OpenOptions,
        step_limit: Duration,
    ) -> Result<Connection, PoolError> {
        let started = Instant::now();
        let first = handshake(address, connect, &options.versions, step_limit).await;
        let (stream, peer, negotiated) = match (first, &options.fallback_versions) {
            (
                Err(PoolError::Handshake {
                    source: HandshakeError::ServerRejected { .. },
                    ..
                }),
                Some(fallback),
            ) => {
                tracing::debug!(%address, offer = ?fallback, "versions refused; offering the fallback ones");
                handshake(address, connect, fallback, step_limit).await?
            }
            (r, _) => r?,
        };
        let limit = step_limit;
        let version = negotiated.version;

        let now = Instant::now();
        let mut conn = Connection {
            stream,
            rbuf: BytesMut::from(&negotiated.trailing[..]),
            wbuf: super::outbox::Outbox::with_capacity(1024),
            decoder: ChunkDecoder::with_max_message_size(options.max_message_size),
            encoder: ChunkEncoder::new(),
            current: Bytes::new(),
            consumed: 0,
            held: false,
            deadline: None,
            message_due: None,
            state: ClientState::new(version),
            version,
            address: address.clone(),
            peer,
            server_agent: String::new(),
            connection_id: None,
            hints: Map::new(),
            utc_patch: false,
            created_at: now,
            pool_serial: 0,
            last_used: now,
            idle_since: now,
            broken: false,
            out_of_step: false,
            // Each step of the open sequence is bounded by `step_limit`.
            read_timeout: limit,
            message_timeout: limit,
            write_timeout: limit,
            last_answered: None,
            auth: options.auth.clone(),
            authenticated_at: now,
            swallow: 0,
            return_checked: false,
            user_data: None,
        };

        // Authentication, in one write.
        if version.is_legacy() {
            conn.queue(&Request::Init(Init {
                user_agent: options.user_agent.clone(),
                auth: options.auth.clone(),
            }))?;
        } else {
            let mut hello = Hello::new(options.user_agent.clone());
            if !version.has_logon() {
                hello.auth = Some(options.auth.clone());
            }
            if version.has_routing_context() {
                hello.routing = options.routing_context.clone();
            }
            if (Version::V4_3..=Version::V4_4).contains(&version) {
                hello.patch_bolt = vec!["utc".to_owned()];
            }
            hello.notifications = options.notifications.clone();
            if version.has_bolt_agent() {
                hello.bolt_agent = Some(options.bolt_agent.clone());
            }
            conn.queue(&Request::Hello(hello))?;
            if version.has_logon() {
                conn.queue(&Request::Logon(Logon {
                    auth: options.auth.clone(),
                }))?;
            }
        }
        conn.flush().await?;
        let success = match conn.recv().await? {
            Response::Success(s) => s,
            Response::Failure(f) => return Err(PoolError::from_auth_failure(f)),
            other => return Err(unexpected(&mut conn, other)),
        };
        if version.has_logon() {
            match conn.recv().await? {
                Response::Success(_) => {}
                Response::Failure(f) => return Err(PoolError::from_auth_failure(f)),
                other => return Err(unexpected(&mut conn, other)),
            }
        }
        conn.adopt_hello(success, options);
        if let Some(prefix) = &options.required_agent_prefix {
            if !conn.server_agent.starts_with(prefix.as_str()) {
                tracing::debug!(peer = %peer, agent = %conn.server_agent, "server agent refused");
                return Err(PoolError::UnexpectedServer {
                    address: peer,
                    agent: std::mem::take(&mut conn.server_agent),
                    expected: prefix.clone(),
                });
            }
        }
        tracing::debug!(
            address = %conn.address,
            peer = %peer,
            version = %version,
            id = ?conn.connection_id,
            server = %conn.server_agent,
            elapsed = ?started.elapsed(),
            "bolt connection opened"
        );
        Ok(conn)
    }

    /// Takes what HELLO / INIT SUCCESS says and switches to the open-state
    /// timeouts.
    fn adopt_hello(&mut self, success: Success, options: &OpenOptions) {
        self.server_agent = success.server().unwrap_or_default().to_owned();
        self.connection_id = success.connection_id().map(str::to_owned);
        self.utc_patch = success.patch_bolt().contains(&"utc");
        let Success { mut metadata } = success;
        if let Some(Value::Map(h)) = metadata.remove("hints") {
            self.hints = h;
        }
        let hint = self
            .hints
            .get("connection.recv_timeout_seconds")
            .and_then(Value::as_int);
        // The hint bounds silence (the server sends NOOPs at least that
        // often while it works); each whole message keeps the configured
        // bound.
        self.read_timeout = hinted_read_timeout(options.read_timeout, hint);
        self.message_timeout = options.read_timeout;
        self.write_timeout = options.write_timeout;
    }
}

/// The read timeout of a connection configured with `configured` whose
/// server hinted `hint` seconds: the hint clamped to
/// `MIN_HINTED_READ_TIMEOUT..=configured`; a non-positive hint is ignored.
fn hinted_read_timeout(configured: Duration, hint: Option<i64>) -> Duration {
    match hint {
        Some(secs) if secs > 0 => Duration::from_secs(secs.unsigned_abs())
            .max(MIN_HINTED_READ_TIMEOUT)
            .min(configured),
        _ => configured,
    }
}

fn unexpected(conn: &mut Connection, got: Response) -> PoolError {
    let address = conn.peer;
    conn.fail(PoolError::Protocol {
        address,
        source: crate::error::ProtocolError::UnexpectedInOpen(got.kind()),
    })
}

/// Connects (TCP, TLS: bounded by `connect.connection_timeout()`) and
/// negotiates the Bolt version with `offer`; each handshake read and write
/// is bounded by `limit`.
async fn handshake(
    address: &Address,
    connect: &ConnectOptions,
    offer: &VersionOffer,
    limit: Duration,
) -> Result<(BoltStream, std::net::SocketAddr, Negotiated), PoolError> {
    let (mut stream, peer) = bolt_net::connect(address, connect).await?;
    let io = |source| PoolError::Io {
        address: peer,
        source,
    };
    let timed_out = |what| PoolError::Timeout { what, after: limit };
    let (mut hs, preamble) = ClientHandshake::new(offer.clone());
    tokio::time::timeout(limit, stream.write_all(&preamble))
        .await
        .map_err(|_| timed_out("sending the Bolt handshake"))?
        .map_err(io)?;
    let mut buf = [0u8; 64];
    let negotiated = loop {
        let n = tokio::time::timeout(limit, stream.read(&mut buf))
            .await
            .map_err(|_| timed_out("waiting for the Bolt handshake reply"))?
            .map_err(io)?;
        if n == 0 {
            return Err(match hs.eof() {
                Err(source) => PoolError::Handshake {
                    address: peer,
                    source,
                },
                Ok(()) => PoolError::Closed { address: peer },
            });
        }
        match hs.feed(&buf[..n]) {
            Ok(ClientProgress::NeedMore) => {}
            Ok(ClientProgress::Done(n)) => break n,
            Err(source) => {
                return Err(PoolError::Handshake {
                    address: peer,
                    source,
                })
            }
        }
    };
    if !negotiated.reply.is_empty() {
        tokio::time::timeout(limit, stream.write_all(&negotiated.reply))
            .await
            .map_err(|_| timed_out("sending the Bolt handshake choice"))?
            .map_err(io)?;
    }
    Ok((stream, peer, negotiated))
}
