//! One client connection: handshake, then requests answered from
//! [`data`](crate::data), with round-trip accounting.
//!
//! A "batch" is everything decoded from one socket read that contains at
//! least one request: the replay server answers the whole batch with one
//! write, so a batch is one client round trip. Bytes already waiting right
//! after an answer went out were sent before the client could have seen
//! that answer, so they count as the same round trip (a client that writes
//! BEGIN and RUN in two syscalls without waiting makes one trip, not two). Batches holding HELLO or
//! LOGON are connection setup and counted apart; a batch of only GOODBYE
//! expects no answer and is not counted.

use std::sync::Arc;

use bolt_proto::framing::{ChunkDecoder, ChunkEncoder};
use bolt_proto::handshake::{ServerHandshake, ServerProgress, NO_VERSION};
use bolt_proto::message::{Request, Success};
use bolt_proto::{Response, Version};
use bytes::BytesMut;
use packstream::{Map, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::data::{result_of, Rows};
use crate::stats::{ConnStats, Stats};

/// Serves one connection until the client leaves or sends garbage.
pub async fn serve(mut sock: TcpStream, id: u64, stats: Arc<Stats>) {
    let _ = sock.set_nodelay(true);
    let mut local = ConnStats::default();
    let _ = serve_inner(&mut sock, id, &mut local).await;
    stats.merge(&local);
}

async fn serve_inner(sock: &mut TcpStream, id: u64, st: &mut ConnStats) -> std::io::Result<()> {
    let mut hs = ServerHandshake::new([
        Version::V5_4,
        Version::V5_3,
        Version::V5_2,
        Version::V5_1,
        Version::V5_0,
        Version::V4_4,
    ]);
    let mut inbuf = BytesMut::with_capacity(64 * 1024);
    let mut tmp = [0u8; 64];
    let negotiated = loop {
        let n = sock.read(&mut tmp).await?;
        if n == 0 {
            return Ok(());
        }
        match hs.feed(&tmp[..n]) {
            Ok(ServerProgress::NeedMore) => {}
            Ok(ServerProgress::Send(bytes)) => sock.write_all(&bytes).await?,
            Ok(ServerProgress::Done(done)) => break done,
            Err(_) => {
                sock.write_all(&NO_VERSION).await?;
                return Ok(());
            }
        }
    };
    sock.write_all(&negotiated.reply).await?;
    inbuf.extend_from_slice(&negotiated.trailing);
    let mut conn = Conn::new(negotiated.version, id);
    let mut decoder = ChunkDecoder::default();
    let mut out = BytesMut::with_capacity(256 * 1024);
    let trace = std::env::var_os("BOLT_REPLAY_TRACE").is_some();
    // Whether the bytes being decoded were already waiting when the last
    // answer went out: the client sent them without waiting for it, so they
    // belong to the same round trip.
    let mut continued = false;
    loop {
        let mut batch = Batch::default();
        while let Some(body) = decoder.decode(&mut inbuf).map_err(std::io::Error::other)? {
            let req = Request::decode(&body, conn.version).map_err(std::io::Error::other)?;
            batch.note(&req);
            st.count(&req);
            if trace {
                eprint!("{} ", req.kind().name());
            }
            if matches!(req, Request::Goodbye) {
                batch.goodbye = true;
                break;
            }
            conn.answer(req, &mut out);
        }
        batch.account(st, continued);
        if trace && batch.requests > 0 {
            eprintln!("|{} conn {id}", if continued { " (same trip)" } else { "" });
        }
        if !out.is_empty() {
            sock.write_all(&out).await?;
            out.clear();
        }
        if batch.goodbye {
            return Ok(());
        }
        continued = match sock.try_read_buf(&mut inbuf) {
            Ok(0) => return Ok(()),
            Ok(_) => batch.requests > 0 || continued,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                if sock.read_buf(&mut inbuf).await? == 0 {
                    return Ok(());
                }
                false
            }
            Err(e) => return Err(e),
        };
    }
}

/// What one socket read carried.
#[derive(Default)]
struct Batch {
    requests: u64,
    answered: u64,
    setup: bool,
    goodbye: bool,
}

impl Batch {
    fn note(&mut self, req: &Request) {
        self.requests += 1;
        match req {
            Request::Hello(_) | Request::Logon(_) | Request::Init(_) => self.setup = true,
            Request::Goodbye => {}
            _ => self.answered += 1,
        }
    }

    fn account(&self, st: &mut ConnStats, continued: bool) {
        if self.requests == 0 {
            return;
        }
        if self.setup {
            st.setup_batches += u64::from(!continued);
        } else if self.answered > 0 {
            st.batches += u64::from(!continued);
            st.batched_requests += self.answered;
        }
    }
}

/// The protocol state of one connection: the open result, if any.
struct Conn {
    version: Version,
    id: u64,
    rows: Rows,
    pos: usize,
    in_tx: bool,
    bookmark: u64,
    enc: ChunkEncoder,
    body: Vec<u8>,
}

impl Conn {
    fn new(version: Version, id: u64) -> Self {
        Conn {
            version,
            id,
            rows: Rows::Empty,
            pos: 0,
            in_tx: false,
            bookmark: 0,
            enc: ChunkEncoder::new(),
            body: Vec::with_capacity(256),
        }
    }

    fn success(&mut self, out: &mut BytesMut, meta: Map) {
        self.body.clear();
        if Response::Success(Success { metadata: meta })
            .encode(self.version, &mut self.body)
            .is_ok()
        {
            let _ = self.enc.write_body(out, &self.body);
        }
    }

    fn answer(&mut self, req: Request, out: &mut BytesMut) {
        let mut meta = Map::new();
        let discard = matches!(req, Request::Discard(_));
        match req {
            Request::Hello(_) | Request::Init(_) => {
                meta.insert("server", "Neo4j/5.26.0");
                meta.insert("connection_id", format!("bolt-{}", self.id));
            }
            Request::Run(run) => {
                let (fields, rows) = result_of(&run.query, &run.parameters);
                self.rows = rows;
                self.pos = 0;
                meta.insert("fields", fields);
                meta.insert("t_first", 0);
                if self.in_tx {
                    meta.insert("qid", 0);
                }
            }
            Request::Pull(pull) | Request::Discard(pull) => {
                let has_more = if discard {
                    self.rows = Rows::Empty;
                    false
                } else {
                    self.pull(pull.n, out)
                };
                if has_more {
                    meta.insert("has_more", true);
                } else {
                    meta.insert("type", "rw");
                    meta.insert("t_last", 0);
                    meta.insert("db", "testdb");
                    if !self.in_tx {
                        self.bookmark += 1;
                        meta.insert("bookmark", format!("replay:{}", self.bookmark));
                    }
                }
            }
            Request::Begin(_) => {
                self.in_tx = true;
            }
            Request::Commit => {
                self.in_tx = false;
                self.bookmark += 1;
                meta.insert("bookmark", format!("replay:{}", self.bookmark));
            }
            Request::Rollback | Request::Reset => {
                self.in_tx = false;
                self.rows = Rows::Empty;
            }
            Request::Route(_) => {
                meta.insert("rt", routing_table());
            }
            _ => {}
        }
        self.success(out, meta);
    }

    /// Writes up to `n` records (all if negative); true if more remain.
    fn pull(&mut self, n: i64, out: &mut BytesMut) -> bool {
        match std::mem::replace(&mut self.rows, Rows::Empty) {
            Rows::Empty => false,
            Rows::One(v) => {
                if n == 0 {
                    self.rows = Rows::One(v);
                    return true;
                }
                self.body.clear();
                if bolt_proto::message::encode_record(&[v], &mut self.body).is_ok() {
                    let _ = self.enc.write_body(out, &self.body);
                }
                false
            }
            Rows::Stream(s) => {
                let total = s.len();
                let to = if n < 0 {
                    total
                } else {
                    total.min(self.pos.saturating_add(n as usize))
                };
                out.extend_from_slice(s.slice(self.pos, to));
                self.pos = to;
                let more = to < total;
                if more {
                    self.rows = Rows::Stream(s);
                }
                more
            }
        }
    }
}

fn routing_table() -> Value {
    let addr = crate::LISTEN_ADDR.get().cloned().unwrap_or_default();
    let servers: Vec<Value> = ["WRITE", "READ", "ROUTE"]
        .into_iter()
        .map(|role| {
            let mut s = Map::new();
            s.insert("addresses", vec![addr.clone()]);
            s.insert("role", role);
            Value::Map(s)
        })
        .collect();
    let mut rt = Map::new();
    rt.insert("ttl", 300);
    rt.insert("db", "testdb");
    rt.insert("servers", Value::List(servers));
    Value::Map(rt)
}
