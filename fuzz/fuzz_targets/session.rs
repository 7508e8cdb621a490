//! A whole driver session against a server whose every byte after the
//! handshake comes from the fuzzer: connect, auto-commit run, stream,
//! consume, then an explicit transaction (begin, run, stream, commit), so
//! the facade's handling of each response is fuzzed end to end.
//!
//! The driver has no in-memory transport, so the target keeps one
//! current-thread tokio runtime and one listener on 127.0.0.1:0 for the
//! whole process. For each connection the listener reads the 20-byte
//! preamble and answers the handshake (byte 0 of the input picks a version,
//! plain or by manifest, or takes the answer from the input itself). Then
//! it answers each chunked message the driver sends with the next reply
//! cut from the rest of the input: the bytes up to and including the next
//! message that is not a RECORD (every request gets RECORDs, then one
//! summary). When the driver asks for more than the input holds, or the
//! input ends in a partial reply, it half-closes, so the driver sees the
//! end of the stream instead of waiting. (Closing as soon as the input is
//! used up would make every idle connection look dead to the pool, which
//! then reconnects until its acquisition timeout: 2 s per input.) A reply sent before it is asked for would be refused as
//! unsolicited data by the pool's idle check, which is why the input is
//! not simply written up front.
//!
//! Byte 0: bits 0-2 the handshake answer (7: from the input), bit 3 the
//! fetch size (all or 2), bit 4 a database name or the home database,
//! bit 5 the explicit transaction rolls back instead of committing, bit 6
//! notification filters (the driver's: minimum severity and a disabled
//! category, sent in HELLO; the session's: a disabled classification, sent
//! in BEGIN and RUN; servers before Bolt 5.2 cannot take them). Any panic,
//! or a session taking more than 5 s, is a finding.

#![no_main]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use bolt_proto::framing::ChunkDecoder;
use bolt_proto::handshake::{ClientHandshake, ClientProgress, VersionOffer, MANIFEST_V1};
use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use neo4j::{
    Config, GraphDatabase, MinimumSeverity, NotificationCategory, NotificationFilter,
    SessionConfig, TransactionConfig, Value,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::Runtime;

/// The handshake answer, then the replies.
type Script = (Vec<u8>, Vec<u8>);

struct Harness {
    rt: Runtime,
    addr: SocketAddr,
    /// What the next connection is answered with: the handshake answer,
    /// then the replies.
    script: Arc<Mutex<Arc<Script>>>,
    /// Server connections still open.
    open: Arc<AtomicUsize>,
}

/// Handshake answers: plain versions and a manifest (5.0-5.8, no
/// capabilities); index 7 means the input starts with the answer.
const ANSWERS: [&[u8]; 7] = [
    &[0, 0, 8, 5],
    &[0, 0, 1, 0xFF, 1, 0, 8, 8, 5, 0],
    &[0, 0, 4, 5],
    &[0, 0, 0, 5],
    &[0, 0, 4, 4],
    &[0, 0, 2, 4],
    &[0, 0, 0, 3],
];

fn harness() -> &'static Harness {
    static HARNESS: OnceLock<Harness> = OnceLock::new();
    HARNESS.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let listener = rt
            .block_on(TcpListener::bind("127.0.0.1:0"))
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local address");
        let script = Arc::new(Mutex::new(Arc::new((Vec::new(), Vec::new()))));
        let open = Arc::new(AtomicUsize::new(0));
        let (s, o) = (script.clone(), open.clone());
        rt.spawn(async move {
            loop {
                let Ok((sock, _)) = listener.accept().await else {
                    continue;
                };
                let bytes = s.lock().expect("script lock").clone();
                o.fetch_add(1, Ordering::SeqCst);
                debug("accepted", &"a connection");
                let o = o.clone();
                tokio::spawn(async move {
                    serve(sock, &bytes.0, &bytes.1).await;
                    o.fetch_sub(1, Ordering::SeqCst);
                });
            }
        });
        Harness {
            rt,
            addr,
            script,
            open,
        }
    })
}

/// The length of the next reply at the start of `script`: whole messages
/// up to and including the first that is not a RECORD, NOOPs included;
/// `None` if no such message is complete (the rest is a partial reply).
fn reply_len(script: &[u8]) -> Option<usize> {
    let mut at = 0;
    let mut first: Option<usize> = None; // where the current message's body starts
    loop {
        let size = usize::from(u16::from_be_bytes([*script.get(at)?, *script.get(at + 1)?]));
        if size == 0 {
            at += 2;
            if let Some(body) = first.take() {
                if script.get(body + 1) != Some(&0x71) {
                    return Some(at);
                }
            }
            continue;
        }
        first.get_or_insert(at + 2);
        at += 2 + size;
        if at > script.len() {
            return None;
        }
    }
}

/// One scripted connection: preamble in, handshake answer out, then one
/// reply per message received (the replies to the messages of one read in
/// one write), then a half-close; drains until EOF, or stops at GOODBYE.
async fn serve(mut sock: TcpStream, answer: &[u8], mut replies: &[u8]) {
    let _ = sock.set_nodelay(true);
    let mut preamble = [0u8; 20];
    if sock.read_exact(&mut preamble).await.is_err() || sock.write_all(answer).await.is_err() {
        return;
    }
    if replies.is_empty() {
        // Nothing more to say (or a partial answer): end the stream now.
        let _ = sock.shutdown().await;
    }
    if answer.starts_with(&MANIFEST_V1) {
        // The client's choice: a version, then a varint of capabilities.
        let mut choice = [0u8; 4];
        if sock.read_exact(&mut choice).await.is_err() {
            return;
        }
        loop {
            match sock.read_u8().await {
                Ok(b) if b & 0x80 != 0 => {}
                Ok(_) => break,
                Err(_) => return,
            }
        }
    }
    let mut decoder = ChunkDecoder::new();
    let mut rbuf = BytesMut::with_capacity(4096);
    let mut open = !replies.is_empty();
    loop {
        match sock.read_buf(&mut rbuf).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        if !open {
            rbuf.clear();
            continue;
        }
        // Answer every whole request that has arrived (the driver pipelines
        // them) with one write: the driver reads the same bytes either way,
        // since the loopback delivers a write before the next read, and
        // one write instead of one per request saves system calls and
        // wake-ups on both sides.
        let mut out = 0;
        let mut end = false;
        loop {
            match decoder.decode(&mut rbuf) {
                // GOODBYE (a struct of no fields, tag 0x02): the driver
                // hangs up without reading any more, so nothing is answered.
                Ok(Some(request)) if request[..] == [0xB0, 0x02] => return,
                Ok(Some(_request)) => {}
                Ok(None) => break,
                Err(_) => return,
            }
            if replies[out..].is_empty() {
                // Asked for more than the input holds: end the stream.
                end = true;
                break;
            }
            match reply_len(&replies[out..]) {
                Some(n) => out += n,
                None => {
                    // A partial reply: the driver waits for the rest.
                    out = replies.len();
                    end = true;
                    break;
                }
            }
        }
        let (reply, rest) = replies.split_at(out);
        replies = rest;
        if !reply.is_empty() && sock.write_all(reply).await.is_err() {
            return;
        }
        if end {
            let _ = sock.shutdown().await;
            open = false;
            rbuf.clear();
        }
    }
}

/// `FUZZ_SESSION_DEBUG=1` prints what each step returned (for checking
/// that a seed drives the whole session).
fn debug(step: &str, what: &dyn std::fmt::Debug) {
    static ON: OnceLock<bool> = OnceLock::new();
    if *ON.get_or_init(|| std::env::var_os("FUZZ_SESSION_DEBUG").is_some()) {
        eprintln!("session: {step}: {what:?}");
    }
}

async fn session(addr: SocketAddr, opts: u8) {
    let mut config = Config::builder()
        .with_auth(("neo4j", "password"))
        .with_connection_timeout(Duration::from_millis(500))
        .with_connection_acquisition_timeout(Duration::from_secs(1))
        .with_max_retry_time(Duration::ZERO);
    if opts & 64 != 0 {
        // Sent in HELLO from Bolt 5.2; refused before.
        config = config.with_notification_filter(
            NotificationFilter::default()
                .with_minimum_severity(MinimumSeverity::Warning)
                .with_disabled_categories([NotificationCategory::Hint]),
        );
    }
    let config = config.build().expect("config");
    let driver = GraphDatabase::driver(format!("bolt://{addr}"), config).expect("driver");
    let mut cfg = SessionConfig::new().with_fetch_size(if opts & 8 != 0 { 2 } else { -1 });
    if opts & 16 != 0 {
        cfg = cfg.with_database("neo4j");
    }
    if opts & 64 != 0 {
        // Sent in BEGIN and RUN, over the driver's filter.
        cfg = cfg.with_notification_filter(
            NotificationFilter::default()
                .with_disabled_classifications([NotificationCategory::Performance]),
        );
    }
    let mut session = driver.session(cfg);

    let params = neo4j::params! { "x" => 1, "name" => "Ada" };
    match session
        .run("UNWIND range(1, $x) AS n RETURN n", params)
        .await
    {
        Ok(mut result) => {
            let keys = result.keys().to_vec();
            while let Some(record) = result.next().await {
                debug("record", &record);
                let Ok(record) = record else { break };
                for k in &keys {
                    let _ = record.get::<Value>(k);
                }
            }
            match result.consume().await {
                Ok(summary) => {
                    debug("summary", &summary.counters());
                    let _ = (summary.query_type(), summary.plan());
                    let _ = (summary.profile(), summary.notifications());
                }
                Err(e) => debug("consume", &e),
            }
        }
        Err(e) => debug("run", &e),
    }
    match session
        .begin_transaction(TransactionConfig::default())
        .await
    {
        Ok(tx) => {
            match tx.run("CREATE (n) RETURN n", neo4j::params! {}).await {
                Ok(mut result) => {
                    while let Some(record) = result.next().await {
                        debug("tx record", &record);
                        if record.is_err() {
                            break;
                        }
                    }
                    debug("tx consume", &result.consume().await.map(|_| ()));
                }
                Err(e) => debug("tx run", &e),
            }
            let end = if opts & 32 != 0 {
                tx.rollback().await
            } else {
                tx.commit().await
            };
            debug("tx end", &end);
        }
        Err(e) => debug("begin", &e),
    }
    debug("bookmarks", &session.last_bookmarks());
    debug("close", &session.close().await);
    driver.close().await;
}

fuzz_target!(|data: &[u8]| {
    let Some((&opts, rest)) = data.split_first() else {
        return;
    };
    let h = harness();
    let (answer, replies) = match ANSWERS.get(usize::from(opts & 7)) {
        Some(answer) => (answer.to_vec(), rest.to_vec()),
        None => {
            // The answer is in the input: as long as a client reads it.
            let (mut client, _) = ClientHandshake::new(VersionOffer::default());
            match client.feed(rest) {
                Ok(ClientProgress::Done(done)) => {
                    let n = rest.len() - done.trailing.len();
                    (rest[..n].to_vec(), rest[n..].to_vec())
                }
                _ => (rest.to_vec(), Vec::new()),
            }
        }
    };
    *h.script.lock().expect("script lock") = Arc::new((answer, replies));
    h.rt.block_on(async {
        if tokio::time::timeout(Duration::from_secs(5), session(h.addr, opts))
            .await
            .is_err()
        {
            panic!("the session hung for 5 s");
        }
        // Let the server side see the driver hang up before the next run.
        for _ in 0..100_000 {
            if h.open.load(Ordering::SeqCst) == 0 {
                break;
            }
            tokio::task::yield_now().await;
        }
    });
});
