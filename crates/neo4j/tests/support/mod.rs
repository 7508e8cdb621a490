//! Cluster members for the routing tests: scripted Bolt server halves built
//! on bolt-proto (server handshake, chunk framing, request decoding,
//! response encoding) over 127.0.0.1 TCP listeners on port 0. Each keeps a
//! log of the requests it decoded and answers through a handler. Also the
//! driver settings the stub tests share.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bolt_proto::framing::{ChunkDecoder, ChunkEncoder};
use bolt_proto::handshake::{ServerHandshake, ServerProgress};
use bolt_proto::message::{Failure, Record, Request, RequestKind, Response, Success};
use bolt_proto::Version;
use bytes::BytesMut;
use packstream::{Map, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What a member does with a request.
pub enum Action {
    /// Send these responses.
    Reply(Vec<Response>),
    /// Close the socket.
    Close,
    /// Send these responses and close the socket in the same step: the
    /// client finds the answers and the end of the stream together, as
    /// when a server answers with a FAILURE and hangs up at once (unlike
    /// `Reply` now and `Close` at a later request, which the stub never
    /// reaches after a FAILURE: it answers IGNORED until RESET).
    ReplyThenClose(Vec<Response>),
    /// Wait, then send these responses.
    Delayed(std::time::Duration, Vec<Response>),
}

pub type Handler = Arc<dyn Fn(usize, &Request) -> Action + Send + Sync>;

/// A running member: its address, its request log, and a switch that makes
/// it refuse (close) every new and current connection.
#[derive(Clone)]
pub struct Member {
    pub addr: SocketAddr,
    log: Arc<Mutex<Vec<(usize, Request)>>>,
    down: Arc<AtomicBool>,
}

impl Member {
    /// `127.0.0.1:port`, as routing tables name it.
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.addr.port())
    }

    pub fn requests(&self) -> Vec<(usize, Request)> {
        self.log.lock().unwrap().clone()
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

    /// From now on, close every connection at its next request and accept
    /// none (the server "dies").
    pub fn kill(&self) {
        self.down.store(true, Ordering::SeqCst);
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
}

/// The driver settings of the stub tests: any credentials (members accept
/// all), a 2 s connection timeout, 5 s of retries.
pub fn config() -> neo4j::ConfigBuilder {
    neo4j::Config::builder()
        .with_auth(("neo4j", "pw"))
        .with_connection_timeout(Duration::from_secs(2))
        .with_max_retry_time(Duration::from_secs(5))
}

/// A `bolt://` driver to `m` with `config` (e.g. [`config`] changed).
pub fn bolt_driver(m: &Member, config: neo4j::ConfigBuilder) -> neo4j::Driver {
    neo4j::GraphDatabase::driver(format!("bolt://{}", m.address()), config.build().unwrap())
        .unwrap()
}

pub fn success(entries: &[(&str, Value)]) -> Response {
    let mut s = Success::default();
    for (k, v) in entries {
        s.metadata.insert(*k, v.clone());
    }
    Response::Success(s)
}

/// A RECORD with one value.
pub fn record(v: impl Into<Value>) -> Response {
    Response::Record(Record {
        fields: vec![v.into()],
    })
}

pub fn ok() -> Response {
    Response::Success(Success::default())
}

pub fn failure(code: &str, message: &str) -> Response {
    Response::Failure(Failure::new(code, message))
}

fn strings(v: &[String]) -> Value {
    Value::List(v.iter().map(|s| Value::from(s.as_str())).collect())
}

/// The `rt` map of a ROUTE answer.
pub fn rt(ttl: i64, db: &str, routers: &[String], readers: &[String], writers: &[String]) -> Value {
    let server = |role: &str, addrs: &[String]| {
        let mut m = Map::new();
        m.insert("role", role);
        m.insert("addresses", strings(addrs));
        Value::Map(m)
    };
    let mut m = Map::new();
    m.insert("ttl", ttl);
    m.insert("db", db);
    m.insert(
        "servers",
        Value::List(vec![
            server("ROUTE", routers),
            server("READ", readers),
            server("WRITE", writers),
        ]),
    );
    Value::Map(m)
}

/// HELLO/LOGON/RESET/BEGIN/COMMIT answered SUCCESS, RUN with `fields:
/// ["n"]`, PULL with one record `1` and a bookmark, GOODBYE closes.
pub fn default_answer(conn: usize, req: &Request) -> Action {
    match req.kind() {
        RequestKind::Hello => Action::Reply(vec![success(&[
            ("server", "Neo4j/5.0.0".into()),
            ("connection_id", format!("bolt-{conn}").into()),
        ])]),
        RequestKind::Run => Action::Reply(vec![success(&[("fields", vec!["n"].into())])]),
        RequestKind::Pull => Action::Reply(vec![
            Response::Record(Record {
                fields: vec![1.into()],
            }),
            success(&[("bookmark", "bm:1".into())]),
        ]),
        RequestKind::Goodbye => Action::Close,
        _ => Action::Reply(vec![ok()]),
    }
}

/// A member speaking `version`, answering with `handler`.
pub async fn start(
    version: Version,
    handler: impl Fn(usize, &Request) -> Action + Send + Sync + 'static,
) -> Member {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let member = Member {
        addr: listener.local_addr().unwrap(),
        log: Arc::default(),
        down: Arc::default(),
    };
    let handler: Handler = Arc::new(handler);
    let m = member.clone();
    tokio::spawn(async move {
        let mut n = 0;
        while let Ok((sock, _)) = listener.accept().await {
            if m.down.load(Ordering::SeqCst) {
                drop(sock);
                continue;
            }
            tokio::spawn(serve(sock, n, version, m.clone(), handler.clone()));
            n += 1;
        }
    });
    member
}

async fn serve(mut sock: TcpStream, conn: usize, version: Version, m: Member, handler: Handler) {
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
            match sock.read_buf(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        };
        if m.down.load(Ordering::SeqCst) {
            return;
        }
        let Ok(req) = Request::decode(&body, version) else {
            return;
        };
        m.log.lock().unwrap().push((conn, req.clone()));
        let action = if failed && !matches!(req.kind(), RequestKind::Reset | RequestKind::Goodbye) {
            Action::Reply(vec![Response::Ignored])
        } else {
            handler(conn, &req)
        };
        let action = match action {
            Action::Delayed(d, rs) => {
                tokio::time::sleep(d).await;
                Action::Reply(rs)
            }
            a => a,
        };
        let (rs, close) = match action {
            Action::Close | Action::Delayed(..) => return,
            Action::Reply(rs) => (rs, false),
            Action::ReplyThenClose(rs) => (rs, true),
        };
        let mut out = BytesMut::new();
        for r in rs {
            match &r {
                Response::Failure(_) => failed = true,
                Response::Success(_) if req.kind() == RequestKind::Reset => failed = false,
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
    }
}
