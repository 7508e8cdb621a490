//! One proxied connection: two pumps (client to server, server to client)
//! cutting their stream into units ([`crate::wire`]), reporting each unit,
//! asking the plan whether a fault fires there, and forwarding it (or
//! acting out the fault).
//!
//! Owns the socket-level effects of faults (FIN, RST, half-open) and the
//! state both pumps share: the handshake's outcome, the requests still
//! waiting for their summary (to tell which request a response answers),
//! the match counts and whether the connection was halted.

use std::collections::VecDeque;
use std::net::Shutdown;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use socket2::SockRef;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio::sync::watch;

use bolt_proto::message::tag;
use bolt_proto::Version;

use crate::spec::{Action, Conns, FaultSpec, UnitKind};
use crate::wire::{tag_of, Answer, Cut, Cutter, Stage};
use crate::{Direction, Event, Fired, Shared, What};

/// Whether, and how, a connection was halted by a fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Halt {
    Running,
    /// Closed or reset: both pumps end (dropping their halves).
    Ended,
    /// Stalled: both pumps read and discard, forwarding nothing.
    Stalled,
}

/// The handshake as the client-to-server pump needs to know it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hs {
    Pending,
    /// A version was chosen (or the stream is raw): chunked messages next.
    Messages,
    /// A manifest: the client's choice comes next.
    Manifest,
    /// No Bolt: forward the rest raw.
    Raw,
}

struct Conn {
    id: u64,
    shared: Arc<Shared>,
    counts: Mutex<Vec<u32>>,
    pending: Mutex<VecDeque<u8>>,
    version: Mutex<Option<Version>>,
    halt: watch::Sender<Halt>,
    hs: watch::Sender<Hs>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Conn {
    fn emit(&self, what: What) {
        if let Some(observer) = &self.shared.observer {
            observer(&Event {
                conn: self.id,
                what,
            });
        }
    }

    /// Counts a match for every spec at this unit; the first to reach its
    /// count fires.
    fn check(&self, unit: UnitKind) -> Option<FaultSpec> {
        if unit == UnitKind::Other {
            return None;
        }
        let specs = self.shared.plan.specs();
        let mut counts = lock(&self.counts);
        let mut fire = None;
        for (i, spec) in specs.iter().enumerate() {
            if !spec.matches(&unit) {
                continue;
            }
            match spec.conns {
                Conns::Nth(n) if n != self.id => continue,
                Conns::Once if self.shared.spent[i].load(std::sync::atomic::Ordering::SeqCst) => {
                    continue
                }
                _ => {}
            }
            counts[i] = counts[i].saturating_add(1);
            if counts[i] != spec.nth || fire.is_some() {
                continue;
            }
            if spec.conns == Conns::Once
                && self.shared.spent[i].swap(true, std::sync::atomic::Ordering::SeqCst)
            {
                continue;
            }
            fire = Some(*spec);
        }
        drop(counts);
        if let Some(spec) = fire {
            lock(&self.shared.fired).push(Fired {
                conn: self.id,
                spec,
            });
        }
        fire
    }

    fn version(&self) -> Option<Version> {
        *lock(&self.version)
    }
}

/// Serves one accepted connection until both directions end.
pub(crate) async fn serve(
    id: u64,
    client: TcpStream,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    let connect = tokio::time::timeout(
        shared.connect_timeout,
        TcpStream::connect(shared.upstream.as_str()),
    );
    let server = tokio::select! {
        r = connect => r,
        _ = shutdown.changed() => return,
    };
    let server = match server {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => {
            emit(&shared, id, What::UpstreamFailed(e.to_string()));
            return;
        }
        Err(_) => {
            emit(
                &shared,
                id,
                What::UpstreamFailed("connect timed out".into()),
            );
            return;
        }
    };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let conn = Arc::new(Conn {
        id,
        counts: Mutex::new(vec![0; shared.plan.specs().len()]),
        shared,
        pending: Mutex::new(VecDeque::new()),
        version: Mutex::new(None),
        halt: watch::Sender::new(Halt::Running),
        hs: watch::Sender::new(Hs::Pending),
    });
    let (client_rd, client_wr) = client.into_split();
    let (server_rd, server_wr) = server.into_split();
    let up = Pump::new(&conn, Direction::ToServer, client_rd, server_wr, &shutdown);
    let down = Pump::new(&conn, Direction::ToClient, server_rd, client_wr, &shutdown);
    tokio::join!(up.run(), down.run());
    conn.emit(What::Closed);
}

fn emit(shared: &Shared, conn: u64, what: What) {
    if let Some(observer) = &shared.observer {
        observer(&Event { conn, what });
    }
}

/// What a pump does after a unit.
enum Flow {
    Go,
    /// The connection was closed or reset: end.
    End,
    /// The connection stalled: read and discard until the end.
    Drain,
}

struct Pump {
    conn: Arc<Conn>,
    dir: Direction,
    rd: OwnedReadHalf,
    wr: OwnedWriteHalf,
    halt: watch::Receiver<Halt>,
    hs: watch::Receiver<Hs>,
    shutdown: watch::Receiver<bool>,
    cutter: Cutter,
}

impl Pump {
    fn new(
        conn: &Arc<Conn>,
        dir: Direction,
        rd: OwnedReadHalf,
        wr: OwnedWriteHalf,
        shutdown: &watch::Receiver<bool>,
    ) -> Pump {
        let stage = match dir {
            Direction::ToServer => Stage::Preamble,
            Direction::ToClient => Stage::Answer,
        };
        Pump {
            conn: conn.clone(),
            dir,
            rd,
            wr,
            halt: conn.halt.subscribe(),
            hs: conn.hs.subscribe(),
            shutdown: shutdown.clone(),
            cutter: Cutter::new(stage),
        }
    }

    fn halted(&self) -> Halt {
        *self.halt.borrow()
    }

    async fn run(mut self) {
        self.pump().await;
        // Dropping a write half would send FIN: a reset must not, and
        // every other ending already shut the socket down as it should.
        self.wr.forget();
    }

    async fn pump(&mut self) {
        let mut buf = BytesMut::with_capacity(16 * 1024);
        let flow = 'outer: loop {
            match self.halted() {
                Halt::Running => {}
                Halt::Ended => break Flow::End,
                Halt::Stalled => break Flow::Drain,
            }
            if self.cutter.stage() == Stage::AwaitAnswer {
                let next = match *self.hs.borrow() {
                    Hs::Pending => None,
                    Hs::Messages => Some(Stage::Messages),
                    Hs::Manifest => Some(Stage::Choice),
                    Hs::Raw => Some(Stage::Raw),
                };
                if let Some(stage) = next {
                    self.cutter.set_stage(stage);
                }
            }
            while let Some(cut) = self.cutter.next(&mut buf) {
                match self.unit(cut).await {
                    Flow::Go => {}
                    other => break 'outer other,
                }
                if self.halted() != Halt::Running {
                    continue 'outer;
                }
            }
            if self.dir == Direction::ToClient && self.cutter.stage() == Stage::Raw {
                // The server's answer was not Bolt: let the client's side
                // stop waiting for it.
                self.conn.hs.send_if_modified(|h| {
                    let pending = *h == Hs::Pending;
                    if pending {
                        *h = Hs::Raw;
                    }
                    pending
                });
            }
            buf.reserve(16 * 1024);
            let awaiting = self.cutter.stage() == Stage::AwaitAnswer;
            tokio::select! {
                r = self.rd.read_buf(&mut buf) => match r {
                    Ok(0) => {
                        // End of stream: pass on what was left uncut, then
                        // the FIN.
                        if !buf.is_empty() {
                            let rest = buf.split().freeze();
                            self.emit(What::Raw { direction: self.dir, len: rest.len() });
                            let _ = self.write(&rest).await;
                        }
                        if self.dir == Direction::ToClient {
                            self.conn.hs.send_if_modified(|h| {
                                let pending = *h == Hs::Pending;
                                if pending {
                                    *h = Hs::Raw;
                                }
                                pending
                            });
                        }
                        let _ = self.wr.shutdown().await;
                        return;
                    }
                    Ok(_) => {}
                    Err(_) => {
                        self.close_both();
                        self.conn.halt.send_replace(Halt::Ended);
                        return;
                    }
                },
                _ = self.halt.changed() => {}
                _ = self.hs.changed(), if awaiting => {}
                _ = self.shutdown.changed() => return,
            }
        };
        if let Flow::Drain = flow {
            self.drain().await;
        }
    }

    /// Stalled: reads and discards until the peer ends its side (or the
    /// proxy shuts down). When the client goes, the server's side is
    /// closed too, so that the server does not hold the session.
    async fn drain(&mut self) {
        let mut sink = vec![0u8; 16 * 1024];
        loop {
            tokio::select! {
                r = self.rd.read(&mut sink) => match r {
                    Ok(0) | Err(_) => {
                        if self.dir == Direction::ToServer {
                            self.close_both();
                        }
                        return;
                    }
                    Ok(_) => {}
                },
                _ = self.shutdown.changed() => return,
            }
        }
    }

    fn emit(&self, what: What) {
        self.conn.emit(what);
    }

    /// FIN to both peers (the write halves stay, so this goes through the
    /// sockets themselves).
    fn close_both(&self) {
        let _ = SockRef::from(self.rd.as_ref()).shutdown(Shutdown::Both);
        let _ = SockRef::from(self.wr.as_ref()).shutdown(Shutdown::Both);
    }

    /// Makes both sockets send RST when closed.
    fn linger_zero(&self) {
        let _ = SockRef::from(self.rd.as_ref()).set_linger(Some(Duration::ZERO));
        let _ = SockRef::from(self.wr.as_ref()).set_linger(Some(Duration::ZERO));
    }

    /// Writes all of `bytes` unless the connection halts or the proxy
    /// shuts down first; false if it did not get through.
    async fn write(&mut self, bytes: &[u8]) -> bool {
        tokio::select! {
            r = self.wr.write_all(bytes) => r.is_ok(),
            _ = self.halt.changed() => false,
            _ = self.shutdown.changed() => false,
        }
    }

    /// Sleeps unless the connection halts or the proxy shuts down first.
    async fn sleep(&mut self, d: Duration) -> bool {
        tokio::select! {
            _ = tokio::time::sleep(d) => true,
            _ = self.halt.changed() => false,
            _ = self.shutdown.changed() => false,
        }
    }

    /// Classifies, reports, checks and forwards one unit.
    async fn unit(&mut self, cut: Cut) -> Flow {
        let mut unit = UnitKind::Other;
        let mut request_tag = None;
        match &cut {
            Cut::Preamble(_) | Cut::Noop(_) => {}
            Cut::Raw(raw) => self.emit(What::Raw {
                direction: self.dir,
                len: raw.len(),
            }),
            Cut::Answer { outcome, .. } => {
                unit = UnitKind::HandshakeAnswer;
                let hs = match *outcome {
                    Answer::Version { major, minor } => {
                        let v = Version::new(major, minor);
                        *lock(&self.conn.version) = Some(v);
                        self.emit(What::Handshake {
                            version: Some(v),
                            manifest: false,
                        });
                        Hs::Messages
                    }
                    Answer::Manifest => Hs::Manifest,
                    Answer::NoVersion => {
                        self.emit(What::Handshake {
                            version: None,
                            manifest: false,
                        });
                        Hs::Raw
                    }
                };
                self.conn.hs.send_replace(hs);
            }
            Cut::Choice(raw) => {
                let v = Version::new(raw[3], raw[2]);
                *lock(&self.conn.version) = Some(v);
                self.emit(What::Handshake {
                    version: Some(v),
                    manifest: true,
                });
            }
            Cut::Message { body, .. } => {
                let t = tag_of(body);
                let answers = match (self.dir, t) {
                    (Direction::ToServer, Some(t)) => {
                        unit = UnitKind::Request { tag: t };
                        request_tag = (t != tag::GOODBYE).then_some(t);
                        None
                    }
                    (Direction::ToClient, Some(t)) => {
                        let to = {
                            let mut pending = lock(&self.conn.pending);
                            match t {
                                tag::RECORD => pending.front().copied(),
                                _ => pending.pop_front(),
                            }
                        };
                        unit = UnitKind::Response { tag: t, to };
                        to
                    }
                    (_, None) => None,
                };
                self.emit(What::Message {
                    direction: self.dir,
                    body: body.clone(),
                    version: self.conn.version(),
                    answers,
                });
            }
        }
        let raw: Bytes = cut.raw().clone();
        let Some(spec) = self.conn.check(unit) else {
            return self.forward(&raw, request_tag).await;
        };
        self.emit(What::Fault {
            spec,
            direction: self.dir,
        });
        match spec.action {
            Action::Close => {
                self.close_both();
                self.conn.halt.send_replace(Halt::Ended);
                Flow::End
            }
            Action::Reset => {
                self.linger_zero();
                self.conn.halt.send_replace(Halt::Ended);
                Flow::End
            }
            Action::Stall => {
                self.conn.halt.send_replace(Halt::Stalled);
                Flow::Drain
            }
            Action::Truncate => {
                let cut_at = (raw.len() / 2).clamp(1, raw.len().saturating_sub(1).max(1));
                let _ = self.write(&raw[..cut_at.min(raw.len())]).await;
                let _ = self.wr.flush().await;
                self.close_both();
                self.conn.halt.send_replace(Halt::Ended);
                Flow::End
            }
            Action::Delay(d) => {
                if !self.sleep(d).await {
                    return Flow::Go;
                }
                self.forward(&raw, request_tag).await
            }
            Action::Drip(d) => {
                self.note_request(request_tag);
                for i in 0..raw.len() {
                    if !self.write(&raw[i..=i]).await || !self.sleep(d).await {
                        return Flow::Go;
                    }
                }
                Flow::Go
            }
        }
    }

    /// Remembers a request forwarded to the server, so that its answer
    /// can be told apart. Called before the request goes out, so the
    /// answer never arrives first.
    fn note_request(&self, request_tag: Option<u8>) {
        if let Some(t) = request_tag {
            lock(&self.conn.pending).push_back(t);
        }
    }

    async fn forward(&mut self, raw: &[u8], request_tag: Option<u8>) -> Flow {
        self.note_request(request_tag);
        if !self.write(raw).await && self.halted() == Halt::Running {
            // The peer is gone: end both ways.
            self.close_both();
            self.conn.halt.send_replace(Halt::Ended);
            return Flow::End;
        }
        Flow::Go
    }
}
