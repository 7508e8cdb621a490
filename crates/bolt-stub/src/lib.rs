//! A scripted Bolt server half for tests, built on bolt-proto: server
//! handshake, chunk framing, request decoding and response encoding over a
//! 127.0.0.1 TCP listener on port 0. Every decoded request is logged with
//! the number of its connection and answered by a handler.
//!
//! It plays the server's part of the protocol only as far as tests need:
//! after a FAILURE it answers IGNORED until RESET (or ACK_FAILURE), as a
//! server does. What a test expects of the client stays in the test; the
//! answers a crate's tests usually want (server agent, connection ids,
//! bookmarks) are that crate's own `default_answer`.
//!
//! Test support only (`publish = false`): used as a dev-dependency by the
//! bolt-pool and neo4j tests. It must not depend on bolt-pool or neo4j.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bolt_proto::framing::{ChunkDecoder, ChunkEncoder};
use bolt_proto::handshake::{ServerHandshake, ServerProgress};
use bolt_proto::message::{Failure, Record, Request, RequestKind, Response, Success};
use bolt_proto::Version;
use bytes::BytesMut;
use packstream::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

/// What the stub does with a request.
pub enum Action {
    /// Send these responses.
    Reply(Vec<Response>),
    /// Send nothing (the client waits in vain).
    Silent,
    /// Close the socket.
    Close,
    /// Send these responses and close the socket in the same step: the
    /// client finds the answers and the end of the stream together, as
    /// when a server answers with a FAILURE and hangs up at once (unlike
    /// `Reply` now and `Close` at a later request, which the stub never
    /// reaches after a FAILURE: it answers IGNORED until RESET).
    ReplyThenClose(Vec<Response>),
    /// Wait, then send these responses.
    Delayed(Duration, Vec<Response>),
    /// Send these responses, then a NOOP (an empty chunk) every so often
    /// until the client goes away, never answering again: a server that
    /// keeps a connection alive without finishing.
    ReplyThenNoops(Vec<Response>, Duration),
}

/// How a stub answers: called with the connection's number (0, 1, ... in
/// the order they were accepted) and the decoded request.
pub type Handler = Arc<dyn Fn(usize, &Request) -> Action + Send + Sync>;

/// A running stub: its address, its request log, and switches that cut its
/// connections.
#[derive(Clone)]
pub struct Stub {
    /// Where it listens (127.0.0.1, a port of its own).
    pub addr: SocketAddr,
    log: Arc<Mutex<Vec<(usize, Request)>>>,
    accepted: Arc<AtomicUsize>,
    /// Connections whose client ended the stream (EOF after the handshake).
    ended: Arc<AtomicUsize>,
    down: Arc<AtomicBool>,
    cut: Arc<Notify>,
}

impl Stub {
    /// `127.0.0.1:port`, as URIs and routing tables name it.
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.addr.port())
    }

    /// The same address as bolt-net's type.
    pub fn bolt_address(&self) -> bolt_net::Address {
        bolt_net::Address::new("127.0.0.1", self.addr.port())
    }

    /// Every request it decoded, with its connection's number, in order.
    pub fn requests(&self) -> Vec<(usize, Request)> {
        self.log.lock().unwrap().clone()
    }

    /// The names of the requests (`"HELLO"`, `"RUN"`, ...) with their
    /// connection's number, in order.
    pub fn named_requests(&self) -> Vec<(usize, &'static str)> {
        self.requests()
            .iter()
            .map(|(c, r)| (*c, r.kind().name()))
            .collect()
    }

    /// The names of the requests, in order.
    pub fn names(&self) -> Vec<&'static str> {
        self.named_requests().into_iter().map(|(_, n)| n).collect()
    }

    /// How many requests of `kind` it received.
    pub fn count(&self, kind: RequestKind) -> usize {
        self.requests()
            .iter()
            .filter(|(_, r)| r.kind() == kind)
            .count()
    }

    /// Every RUN's query text.
    pub fn queries(&self) -> Vec<String> {
        self.requests()
            .into_iter()
            .filter_map(|(_, r)| match r {
                Request::Run(run) => Some(run.query),
                _ => None,
            })
            .collect()
    }

    /// The work messages it got, in order (HELLO, LOGON and GOODBYE left
    /// out).
    pub fn script(&self) -> Vec<&'static str> {
        self.requests()
            .into_iter()
            .filter_map(|(_, r)| match r.kind() {
                RequestKind::Hello | RequestKind::Logon | RequestKind::Goodbye => None,
                k => Some(k.name()),
            })
            .collect()
    }

    /// How many connections it accepted.
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    /// How many connections the client closed (the stub read the end of
    /// the stream after the handshake).
    pub fn client_closed(&self) -> usize {
        self.ended.load(Ordering::SeqCst)
    }

    /// From now on, close every connection at its next request (or next
    /// NOOP) and accept none (the server "dies").
    pub fn kill(&self) {
        self.down.store(true, Ordering::SeqCst);
    }

    /// Close every connection waiting for a request now; new ones are
    /// still accepted (the network cut them).
    pub fn drop_connections(&self) {
        self.cut.notify_waiters();
    }
}

/// A SUCCESS with these metadata entries.
pub fn success(entries: &[(&str, Value)]) -> Response {
    let mut s = Success::default();
    for (k, v) in entries {
        s.metadata.insert(*k, v.clone());
    }
    Response::Success(s)
}

/// A SUCCESS without metadata.
pub fn ok() -> Response {
    Response::Success(Success::default())
}

/// A FAILURE with this code and message.
pub fn failure(code: &str, message: &str) -> Response {
    Response::Failure(Failure::new(code, message))
}

/// A RECORD with one value.
pub fn record(v: impl Into<Value>) -> Response {
    Response::Record(Record {
        fields: vec![v.into()],
    })
}

/// Starts a stub speaking `version`, answering with `handler`.
pub async fn start(
    version: Version,
    handler: impl Fn(usize, &Request) -> Action + Send + Sync + 'static,
) -> Stub {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let stub = Stub {
        addr: listener.local_addr().unwrap(),
        log: Arc::default(),
        accepted: Arc::default(),
        ended: Arc::default(),
        down: Arc::default(),
        cut: Arc::default(),
    };
    let handler: Handler = Arc::new(handler);
    let s = stub.clone();
    tokio::spawn(async move {
        let mut n = 0;
        while let Ok((sock, _)) = listener.accept().await {
            if s.down.load(Ordering::SeqCst) {
                drop(sock);
                continue;
            }
            s.accepted.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(serve(sock, n, version, s.clone(), handler.clone()));
            n += 1;
        }
    });
    stub
}

/// Whether `req` is answered normally in the failed state.
fn clears_failure(kind: RequestKind) -> bool {
    matches!(kind, RequestKind::Reset | RequestKind::AckFailure)
}

async fn serve(mut sock: TcpStream, conn: usize, version: Version, stub: Stub, handler: Handler) {
    let mut hs = ServerHandshake::new([version]);
    let mut buf = BytesMut::with_capacity(4096);
    loop {
        let mut tmp = [0u8; 64];
        let n = match sock.read(&mut tmp).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        match hs.feed(&tmp[..n]) {
            Ok(ServerProgress::NeedMore) => {}
            Ok(ServerProgress::Send(b)) => {
                let _ = sock.write_all(&b).await;
            }
            Ok(ServerProgress::Done(d)) => {
                let _ = sock.write_all(&d.reply).await;
                buf.extend_from_slice(&d.trailing);
                break;
            }
            Err(_) => return,
        }
    }
    let mut dec = ChunkDecoder::new();
    let enc = ChunkEncoder::new();
    let mut failed = false;
    loop {
        let body = loop {
            match dec.decode(&mut buf) {
                Ok(Some(b)) => break b,
                Ok(None) => {}
                Err(_) => return,
            }
            tokio::select! {
                r = sock.read_buf(&mut buf) => match r {
                    Ok(0) => {
                        stub.ended.fetch_add(1, Ordering::SeqCst);
                        return;
                    }
                    Err(_) => return,
                    Ok(_) => {}
                },
                _ = stub.cut.notified() => return,
            }
        };
        if stub.down.load(Ordering::SeqCst) {
            return;
        }
        let Ok(req) = Request::decode(&body, version) else {
            return;
        };
        stub.log.lock().unwrap().push((conn, req.clone()));
        let kind = req.kind();
        let action = if failed && !clears_failure(kind) && kind != RequestKind::Goodbye {
            Action::Reply(vec![Response::Ignored])
        } else {
            handler(conn, &req)
        };
        let mut noops = None;
        let (rs, close) = match action {
            Action::Silent => continue,
            Action::Close => return,
            Action::Reply(rs) => (rs, false),
            Action::ReplyThenClose(rs) => (rs, true),
            Action::Delayed(d, rs) => {
                tokio::time::sleep(d).await;
                (rs, false)
            }
            Action::ReplyThenNoops(rs, every) => {
                noops = Some(every);
                (rs, false)
            }
        };
        let mut out = BytesMut::new();
        for r in rs {
            match &r {
                Response::Failure(_) => failed = true,
                Response::Success(_) if clears_failure(kind) => failed = false,
                _ => {}
            }
            let mut body = Vec::new();
            r.encode(version, &mut body).unwrap();
            enc.write_body(&mut out, &body).unwrap();
        }
        if sock.write_all(&out).await.is_err() {
            return;
        }
        if close {
            // FIN right behind the answers (the socket is dropped on return).
            let _ = sock.shutdown().await;
            return;
        }
        if let Some(every) = noops {
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(every) => {}
                    _ = stub.cut.notified() => return,
                }
                if stub.down.load(Ordering::SeqCst) {
                    return;
                }
                let mut noop = BytesMut::new();
                ChunkEncoder::write_noop(&mut noop);
                if sock.write_all(&noop).await.is_err() {
                    return;
                }
            }
        }
    }
}
