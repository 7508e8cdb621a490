//! A Bolt-aware TCP proxy for fault injection: it sits between a driver
//! and a server, follows the handshake (the preamble with its four version
//! proposals, the 4-byte answer or the manifest-v1 exchange) and then the
//! chunked message stream both ways, reports every message it forwards,
//! and injects faults at message boundaries picked by message kind: "close
//! instead of the 2nd PULL", "stall instead of COMMIT's SUCCESS", "drip the
//! HELLO byte by byte".
//!
//! | module | owns |
//! |---|---|
//! | [`spec`] | the fault grammar ([`FaultSpec`], [`FaultPlan`]) and matching |
//! | `wire` | cutting each direction's bytes into handshake parts, messages and NOOPs |
//! | `conn` | one proxied connection: forwarding, counting, acting out faults |
//! | this module | the listener ([`Proxy`]) and what it reports ([`Event`]) |
//!
//! `examples/proxy.rs` is the same on the command line:
//! `cargo run -p bolt-proxy --example proxy -- --listen 127.0.0.1:7688
//! --upstream 127.0.0.1:7687 --fault 'stall@COMMIT#once'` prints every
//! message and fault.
//!
//! Bytes are forwarded exactly as received (chunking included), one whole
//! unit at a time, so a fault never splits a message by accident. Plain
//! TCP only: a TLS stream would be opaque to it. Nothing it reads can make
//! it panic; what it cannot read as Bolt (a client that is not Bolt, a
//! message over 64 MiB) it forwards raw, without faults.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use bolt_proxy::{Proxy, FaultPlan};
//!
//! // Lose the answer to the first COMMIT on any connection, once.
//! let plan: FaultPlan = "close@COMMIT.reply#once".parse().unwrap();
//! let proxy = Proxy::builder("127.0.0.1:7687")
//!     .plan(plan)
//!     .observe(|e| eprintln!("{e}"))
//!     .bind("127.0.0.1:0")
//!     .await?;
//! let addr = proxy.local_addr(); // point the driver here
//! # let _ = addr;
//! // ... run the workload ...
//! assert_eq!(proxy.fired().len(), 1);
//! proxy.shutdown().await;
//! # Ok(())
//! # }
//! ```

mod conn;
pub mod spec;
mod wire;

use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use tokio::net::{TcpListener, ToSocketAddrs};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

use bolt_proto::message::RequestKind;
use bolt_proto::{Request, Response, Version};

pub use spec::{Action, Conns, FaultPlan, FaultSpec, ParseError, Point};

/// Which way a unit of traffic goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Client to server (requests).
    ToServer,
    /// Server to client (responses).
    ToClient,
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Direction::ToServer => "C>S",
            Direction::ToClient => "S>C",
        })
    }
}

/// A fault that fired: on which connection (the first accepted is 1),
/// which spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fired {
    /// The connection.
    pub conn: u64,
    /// The spec.
    pub spec: FaultSpec,
}

/// Something the proxy did, for its observer (see
/// [`ProxyBuilder::observe`]). `Display` gives one log line.
#[derive(Debug, Clone)]
pub struct Event {
    /// The connection, by accept order (the first is 1).
    pub conn: u64,
    /// What happened.
    pub what: What,
}

/// What an [`Event`] reports.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum What {
    /// A client connected.
    Accepted {
        /// Its address.
        peer: SocketAddr,
    },
    /// The upstream server could not be reached; the client is closed.
    UpstreamFailed(String),
    /// The version was agreed (`None`: the server answered "no version").
    Handshake {
        /// The version.
        version: Option<Version>,
        /// Whether by manifest.
        manifest: bool,
    },
    /// A message was cut from the stream (and is forwarded unless a
    /// [`What::Fault`] follows).
    Message {
        /// Its direction.
        direction: Direction,
        /// Its body (the chunks' payloads joined).
        body: Bytes,
        /// The agreed version, to decode it with.
        version: Option<Version>,
        /// For a response: the tag of the request it answers.
        answers: Option<u8>,
    },
    /// Bytes forwarded without being read as Bolt.
    Raw {
        /// Their direction.
        direction: Direction,
        /// How many.
        len: usize,
    },
    /// A fault fired on the unit reported just before.
    Fault {
        /// The spec.
        spec: FaultSpec,
        /// The direction of the unit.
        direction: Direction,
    },
    /// Both directions ended.
    Closed,
}

/// The longest a message's description gets in an [`Event`]'s `Display`.
const DESCRIBE_MAX: usize = 400;

fn request_name(t: u8, version: Option<Version>) -> String {
    let kinds = [
        RequestKind::Hello,
        RequestKind::Logon,
        RequestKind::Logoff,
        RequestKind::Goodbye,
        RequestKind::AckFailure,
        RequestKind::Reset,
        RequestKind::Run,
        RequestKind::Begin,
        RequestKind::Commit,
        RequestKind::Rollback,
        RequestKind::Discard,
        RequestKind::Pull,
        RequestKind::Route,
        RequestKind::Telemetry,
    ];
    match kinds.into_iter().find(|k| k.tag() == t) {
        Some(RequestKind::Hello) if version.is_some_and(|v| !v.has_hello()) => "INIT".into(),
        Some(k) => k.name().into(),
        None => format!("0x{t:02X}"),
    }
}

fn describe(direction: Direction, body: &[u8], version: Option<Version>) -> String {
    let Some(v) = version else {
        return format!("{} bytes (no version agreed)", body.len());
    };
    let mut s = match direction {
        Direction::ToServer => match Request::decode(body, v) {
            Ok(r) => format!("{r:?}"),
            Err(e) => format!("undecodable request ({e}), {} bytes", body.len()),
        },
        Direction::ToClient => match Response::decode(body, v) {
            Ok(r) => format!("{r:?}"),
            Err(e) => format!("undecodable response ({e}), {} bytes", body.len()),
        },
    };
    if s.len() > DESCRIBE_MAX {
        let mut end = DESCRIBE_MAX;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
        s.push_str("...");
    }
    s
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{} ", self.conn)?;
        match &self.what {
            What::Accepted { peer } => write!(f, "accepted {peer}"),
            What::UpstreamFailed(e) => write!(f, "upstream failed: {e}"),
            What::Handshake {
                version: Some(v),
                manifest,
            } => write!(
                f,
                "handshake: Bolt {v}{}",
                if *manifest { " (manifest)" } else { "" }
            ),
            What::Handshake { version: None, .. } => f.write_str("handshake: no common version"),
            What::Message {
                direction,
                body,
                version,
                answers,
            } => {
                write!(f, "{direction} ")?;
                if let Some(t) = answers {
                    write!(f, "[{}] ", request_name(*t, *version))?;
                }
                f.write_str(&describe(*direction, body, *version))
            }
            What::Raw { direction, len } => write!(f, "{direction} {len} raw bytes"),
            What::Fault { spec, direction } => write!(f, "{direction} FAULT {spec}"),
            What::Closed => f.write_str("closed"),
        }
    }
}

type Observer = Arc<dyn Fn(&Event) + Send + Sync>;

/// What every connection of a proxy shares.
pub(crate) struct Shared {
    pub(crate) upstream: String,
    pub(crate) plan: FaultPlan,
    /// Per spec: whether a `#once` spec fired.
    pub(crate) spent: Vec<AtomicBool>,
    pub(crate) fired: Mutex<Vec<Fired>>,
    pub(crate) observer: Option<Observer>,
    pub(crate) connect_timeout: Duration,
    accepted: AtomicU64,
}

/// Configures a [`Proxy`] before it listens.
#[must_use]
pub struct ProxyBuilder {
    upstream: String,
    plan: FaultPlan,
    observer: Option<Observer>,
    connect_timeout: Duration,
}

impl fmt::Debug for ProxyBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProxyBuilder")
            .field("upstream", &self.upstream)
            .field("plan", &self.plan.to_string())
            .field("observer", &self.observer.is_some())
            .field("connect_timeout", &self.connect_timeout)
            .finish()
    }
}

impl ProxyBuilder {
    /// The faults to inject (default: none).
    pub fn plan(mut self, plan: FaultPlan) -> Self {
        self.plan = plan;
        self
    }

    /// Calls `observer` for every [`Event`], from the connection's task:
    /// keep it quick.
    pub fn observe(mut self, observer: impl Fn(&Event) + Send + Sync + 'static) -> Self {
        self.observer = Some(Arc::new(observer));
        self
    }

    /// How long connecting to the upstream server may take (default 10 s);
    /// after it the client's connection is closed.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Listens on `listen` (e.g. `127.0.0.1:0`) and starts accepting.
    pub async fn bind(self, listen: impl ToSocketAddrs) -> std::io::Result<Proxy> {
        let listener = TcpListener::bind(listen).await?;
        let local_addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            spent: self
                .plan
                .specs()
                .iter()
                .map(|_| AtomicBool::new(false))
                .collect(),
            upstream: self.upstream,
            plan: self.plan,
            fired: Mutex::new(Vec::new()),
            observer: self.observer,
            connect_timeout: self.connect_timeout,
            accepted: AtomicU64::new(0),
        });
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(accept(listener, shared.clone(), stopped));
        Ok(Proxy {
            local_addr,
            shared,
            stop,
            task: Some(task),
        })
    }
}

/// A running proxy: accepts on [`local_addr`](Proxy::local_addr), connects
/// each client to the upstream server and forwards between them, injecting
/// its plan's faults. Dropping it stops everything (without waiting);
/// [`shutdown`](Proxy::shutdown) waits for the connections to end.
pub struct Proxy {
    local_addr: SocketAddr,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl fmt::Debug for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Proxy")
            .field("local_addr", &self.local_addr)
            .field("upstream", &self.shared.upstream)
            .field("plan", &self.shared.plan.to_string())
            .finish()
    }
}

impl Proxy {
    /// A proxy builder forwarding to `upstream` (`host:port`).
    pub fn builder(upstream: impl Into<String>) -> ProxyBuilder {
        ProxyBuilder {
            upstream: upstream.into(),
            plan: FaultPlan::none(),
            observer: None,
            connect_timeout: Duration::from_secs(10),
        }
    }

    /// Listens on `listen`, forwarding to `upstream` with `plan`'s faults.
    pub async fn bind(
        listen: impl ToSocketAddrs,
        upstream: impl Into<String>,
        plan: FaultPlan,
    ) -> std::io::Result<Proxy> {
        Proxy::builder(upstream).plan(plan).bind(listen).await
    }

    /// The address clients connect to.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// How many connections were accepted so far.
    pub fn connections(&self) -> u64 {
        self.shared.accepted.load(Ordering::SeqCst)
    }

    /// The faults that fired so far, in order.
    pub fn fired(&self) -> Vec<Fired> {
        self.shared
            .fired
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Stops accepting, ends every connection (stalled ones included) and
    /// waits for them.
    pub async fn shutdown(mut self) {
        self.stop.send_replace(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.send_replace(true);
    }
}

async fn accept(listener: TcpListener, shared: Arc<Shared>, mut stop: watch::Receiver<bool>) {
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            r = listener.accept() => {
                let Ok((client, peer)) = r else {
                    // Out of descriptors and the like: try again shortly.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                };
                let id = shared.accepted.fetch_add(1, Ordering::SeqCst) + 1;
                if let Some(o) = &shared.observer {
                    o(&Event { conn: id, what: What::Accepted { peer } });
                }
                conns.spawn(conn::serve(id, client, shared.clone(), stop.clone()));
            }
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
            _ = stop.changed() => break,
        }
    }
    drop(listener);
    while conns.join_next().await.is_some() {}
}

#[cfg(test)]
mod tests;
