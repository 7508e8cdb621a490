//! A scripted Bolt server half for tests, built on bolt-proto: server
//! handshake, chunk framing, request decoding and response encoding over
//! 127.0.0.1 TCP. Each request is logged and answered by a handler.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bolt_proto::framing::{ChunkDecoder, ChunkEncoder};
use bolt_proto::handshake::{ServerHandshake, ServerProgress};
use bolt_proto::message::{Failure, Record, Request, RequestKind, Response, Success};
use bolt_proto::Version;
use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the stub does with a request.
pub enum Action {
    /// Send these responses.
    Reply(Vec<Response>),
    /// Send nothing.
    Silent,
    /// Close the socket.
    Close,
    /// Wait, then send these responses.
    Delayed(std::time::Duration, Vec<Response>),
}

pub type Handler = Arc<dyn Fn(usize, &Request) -> Action + Send + Sync>;

/// The stub server: its address and the log of requests per connection.
#[derive(Clone)]
pub struct Stub {
    pub addr: SocketAddr,
    pub log: Arc<Mutex<Vec<(usize, String)>>>,
    pub accepted: Arc<Mutex<usize>>,
    /// Connections whose socket to close now (test-side kill).
    pub kill: Arc<tokio::sync::Notify>,
}

impl Stub {
    pub fn address(&self) -> bolt_net::Address {
        bolt_net::Address::new("127.0.0.1", self.addr.port())
    }

    pub fn requests(&self) -> Vec<(usize, String)> {
        self.log.lock().unwrap().clone()
    }

    pub fn names(&self) -> Vec<String> {
        self.requests().into_iter().map(|(_, n)| n).collect()
    }

    pub fn accepted(&self) -> usize {
        *self.accepted.lock().unwrap()
    }
}

pub fn success(entries: &[(&str, packstream::Value)]) -> Response {
    let mut s = Success::default();
    for (k, v) in entries {
        s.metadata.insert(*k, v.clone());
    }
    Response::Success(s)
}

pub fn ok() -> Response {
    Response::Success(Success::default())
}

pub fn failure(code: &str, message: &str) -> Response {
    Response::Failure(Failure::new(code, message))
}

/// The usual answers: HELLO/INIT (server agent, connection id), LOGON, RUN
/// (`fields: ["n"]`), PULL (one record `1`), everything else SUCCESS {}.
pub fn default_answer(conn: usize, req: &Request) -> Action {
    match req.kind() {
        RequestKind::Hello | RequestKind::Init => Action::Reply(vec![success(&[
            ("server", "Stub/1.0".into()),
            ("connection_id", format!("stub-{conn}").into()),
        ])]),
        RequestKind::Run => Action::Reply(vec![success(&[("fields", vec!["n"].into())])]),
        RequestKind::Pull => Action::Reply(vec![
            Response::Record(Record {
                fields: vec![1.into()],
            }),
            ok(),
        ]),
        RequestKind::Goodbye => Action::Close,
        _ => Action::Reply(vec![ok()]),
    }
}

/// Starts a stub speaking `version`, answering with `handler`.
pub async fn start(version: Version, handler: Handler) -> Stub {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let stub = Stub {
        addr: listener.local_addr().unwrap(),
        log: Arc::default(),
        accepted: Arc::default(),
        kill: Arc::new(tokio::sync::Notify::new()),
    };
    let s = stub.clone();
    tokio::spawn(async move {
        let mut n = 0;
        while let Ok((sock, _)) = listener.accept().await {
            *s.accepted.lock().unwrap() += 1;
            let (s2, h) = (s.clone(), handler.clone());
            tokio::spawn(serve(sock, n, version, s2, h));
            n += 1;
        }
    });
    stub
}

async fn serve(mut sock: TcpStream, conn: usize, version: Version, stub: Stub, handler: Handler) {
    let mut hs = ServerHandshake::new([version]);
    let mut buf = BytesMut::with_capacity(4096);
    let mut rest = BytesMut::new();
    loop {
        let mut tmp = [0u8; 64];
        let Ok(n) = sock.read(&mut tmp).await else {
            return;
        };
        if n == 0 {
            return;
        }
        match hs.feed(&tmp[..n]) {
            Ok(ServerProgress::NeedMore) => {}
            Ok(ServerProgress::Send(b)) => {
                let _ = sock.write_all(&b).await;
            }
            Ok(ServerProgress::Done(d)) => {
                let _ = sock.write_all(&d.reply).await;
                rest.extend_from_slice(&d.trailing);
                break;
            }
            Err(_) => return,
        }
    }
    buf.extend_from_slice(&rest);
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
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                },
                _ = stub.kill.notified() => return,
            }
        };
        let Ok(req) = Request::decode(&body, version) else {
            return;
        };
        stub.log
            .lock()
            .unwrap()
            .push((conn, req.kind().name().to_owned()));
        let action = if failed
            && !matches!(
                req.kind(),
                RequestKind::Reset | RequestKind::AckFailure | RequestKind::Goodbye
            ) {
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
        match action {
            Action::Silent | Action::Delayed(..) => {}
            Action::Close => return,
            Action::Reply(rs) => {
                let mut out = BytesMut::new();
                for r in rs {
                    match &r {
                        Response::Failure(_) => failed = true,
                        Response::Success(_)
                            if matches!(
                                req.kind(),
                                RequestKind::Reset | RequestKind::AckFailure
                            ) =>
                        {
                            failed = false
                        }
                        _ => {}
                    }
                    let mut body = Vec::new();
                    r.encode(version, &mut body).unwrap();
                    enc.write_body(&mut out, &body).unwrap();
                }
                if sock.write_all(&out).await.is_err() {
                    return;
                }
            }
        }
    }
}
