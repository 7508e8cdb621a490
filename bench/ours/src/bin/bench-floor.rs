//! `bench-floor`: the least a Bolt client can spend on the `small_seq`
//! workload (sequential auto-commit `RETURN 1`) and on `tx_write` (one
//! `CREATE` in an explicit transaction), to put the drivers' client CPU per
//! operation in proportion. It is not a driver: it sends pre-encoded bytes
//! (handshake for Bolt 5.4, HELLO, LOGON, then per query one write of
//! RUN+PULL; per transaction BEGIN+RUN+PULL, then COMMIT) and reads until
//! it has seen the answers, decoding nothing but the chunk headers.
//!
//! ```text
//! bench-floor --uri bolt://127.0.0.1:18088 --workload small_seq|tx_write \
//!     --ops 2000 --runs 5 --mode blocking|current_thread|spawn
//! ```
//!
//! `blocking` uses `std::net` (a write and a blocking read per query, as a
//! blocking driver does at best); `current_thread` and `spawn` use tokio's
//! `TcpStream` on the single-threaded runtime, or in a task spawned on the
//! multi-threaded one (as `bench-ours` runs). Prints one JSON line per run
//! with the wall and process CPU time, like the bench peers.

use std::io::{Read, Write};
use std::time::Instant;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// One chunked message from a PackStream body.
fn chunk(body: &[u8]) -> Vec<u8> {
    let mut v = (body.len() as u16).to_be_bytes().to_vec();
    v.extend_from_slice(body);
    v.extend_from_slice(&[0, 0]);
    v
}

/// A short PackStream string (under 256 bytes).
fn s(t: &str) -> Vec<u8> {
    let mut v = if t.len() < 16 {
        vec![0x80 | t.len() as u8]
    } else {
        vec![0xD0, u8::try_from(t.len()).expect("string under 256 bytes")]
    };
    v.extend_from_slice(t.as_bytes());
    v
}

fn handshake() -> [u8; 20] {
    let mut h = [0u8; 20];
    h[..4].copy_from_slice(&[0x60, 0x60, 0xB0, 0x17]);
    h[4..8].copy_from_slice(&[0, 0, 4, 5]); // exactly Bolt 5.4
    h
}

/// HELLO {user_agent} then LOGON {scheme, principal, credentials}.
fn setup(user: &str, password: &str) -> Vec<u8> {
    let mut hello = vec![0xB1, 0x01, 0xA1];
    hello.extend(s("user_agent"));
    hello.extend(s("bench-floor"));
    let mut logon = vec![0xB1, 0x6A, 0xA3];
    for (k, v) in [
        ("scheme", "basic"),
        ("principal", user),
        ("credentials", password),
    ] {
        logon.extend(s(k));
        logon.extend(s(v));
    }
    let mut out = chunk(&hello);
    out.extend(chunk(&logon));
    out
}

const PULL_1000: [u8; 8] = [0xB1, 0x3F, 0xA1, 0x81, b'n', 0xC9, 0x03, 0xE8];

/// What one operation writes, and how many answers each write gets.
/// `small_seq`: RUN "RETURN 1" {} {db} and PULL {n: 1000} in one write
/// (SUCCESS, RECORD, SUCCESS). `tx_write`: BEGIN {db}, RUN "CREATE ..."
/// {i: 1} {}, PULL in one write (3 SUCCESS), then COMMIT (1 SUCCESS).
fn operation(workload: &str, db: &str) -> Vec<(Vec<u8>, usize)> {
    let mut db_map = vec![0xA1];
    db_map.extend(s("db"));
    db_map.extend(s(db));
    match workload {
        "small_seq" => {
            let mut run = vec![0xB3, 0x10];
            run.extend(s("RETURN 1"));
            run.push(0xA0);
            run.extend(&db_map);
            let mut out = chunk(&run);
            out.extend(chunk(&PULL_1000));
            vec![(out, 3)]
        }
        "tx_write" => {
            let mut begin = vec![0xB1, 0x11];
            begin.extend(&db_map);
            let mut run = vec![0xB3, 0x10];
            run.extend(s("CREATE (:Bench {i: $i})"));
            run.push(0xA1);
            run.extend(s("i"));
            run.push(0x01);
            run.push(0xA0);
            let mut out = chunk(&begin);
            out.extend(chunk(&run));
            out.extend(chunk(&PULL_1000));
            vec![(out, 3), (chunk(&[0xB0, 0x12]), 1)]
        }
        w => panic!("bench-floor knows small_seq and tx_write, not {w}"),
    }
}

/// Counts whole messages in `buf[..len]` from `state` (bytes left in the
/// current chunk, or `None` at a chunk header); returns messages ended.
#[derive(Default)]
struct Counter {
    left: usize,
    header: Vec<u8>,
}

impl Counter {
    fn feed(&mut self, mut buf: &[u8]) -> usize {
        let mut ended = 0;
        while !buf.is_empty() {
            if self.left > 0 {
                let n = self.left.min(buf.len());
                self.left -= n;
                buf = &buf[n..];
                continue;
            }
            self.header.push(buf[0]);
            buf = &buf[1..];
            if self.header.len() == 2 {
                let n = u16::from_be_bytes([self.header[0], self.header[1]]) as usize;
                self.header.clear();
                if n == 0 {
                    ended += 1;
                } else {
                    self.left = n;
                }
            }
        }
        ended
    }
}

struct Args {
    addr: String,
    user: String,
    password: String,
    db: String,
    workload: String,
    warmup: u64,
    ops: u64,
    runs: u64,
    mode: String,
}

fn args() -> Args {
    let mut a = Args {
        addr: "127.0.0.1:18088".into(),
        user: "neo4j".into(),
        password: "password".into(),
        db: "testdb".into(),
        workload: "small_seq".into(),
        warmup: 1,
        ops: 2000,
        runs: 5,
        mode: "blocking".into(),
    };
    let v: Vec<String> = std::env::args().skip(1).collect();
    for p in v.chunks(2) {
        let val = p.get(1).cloned().unwrap_or_default();
        match p[0].as_str() {
            "--uri" => a.addr = val.trim_start_matches("bolt://").to_string(),
            "--user" => a.user = val,
            "--password" => a.password = val,
            "--db" => a.db = val,
            "--workload" => a.workload = val,
            "--ops" => a.ops = val.parse().expect("--ops N"),
            "--runs" => a.runs = val.parse().expect("--runs N"),
            "--warmup" => a.warmup = val.parse().expect("--warmup N"),
            // the other peers' arguments that mean nothing here
            "--rows" | "--conc" => {}
            "--mode" => a.mode = val,
            o => panic!("unknown argument {o}"),
        }
    }
    a
}

fn blocking(a: &Args) -> std::io::Result<()> {
    let mut t = std::net::TcpStream::connect(&a.addr)?;
    t.set_nodelay(true)?;
    t.write_all(&handshake())?;
    let mut v = [0u8; 4];
    t.read_exact(&mut v)?;
    let (setup, op) = (setup(&a.user, &a.password), operation(&a.workload, &a.db));
    let mut buf = vec![0u8; 65536];
    let mut c = Counter::default();
    t.write_all(&setup)?;
    let mut want = 2;
    while want > 0 {
        let n = t.read(&mut buf)?;
        assert!(n > 0, "server closed");
        want -= c.feed(&buf[..n]).min(want);
    }
    for run in 0..a.warmup + a.runs {
        let (w, cpu) = (Instant::now(), cpu_time::ProcessTime::now());
        for _ in 0..a.ops {
            for (bytes, answers) in &op {
                t.write_all(bytes)?;
                let mut want = *answers;
                while want > 0 {
                    let n = t.read(&mut buf)?;
                    assert!(n > 0, "server closed");
                    want -= c.feed(&buf[..n]).min(want);
                }
            }
        }
        report(run >= a.warmup, a.ops, w, cpu);
    }
    Ok(())
}

async fn tokio_client(a: &Args) -> std::io::Result<()> {
    let mut t = tokio::net::TcpStream::connect(&a.addr).await?;
    t.set_nodelay(true)?;
    t.write_all(&handshake()).await?;
    let mut v = [0u8; 4];
    t.read_exact(&mut v).await?;
    let (setup, op) = (setup(&a.user, &a.password), operation(&a.workload, &a.db));
    let mut buf = vec![0u8; 65536];
    let mut c = Counter::default();
    t.write_all(&setup).await?;
    let mut want = 2;
    while want > 0 {
        let n = t.read(&mut buf).await?;
        assert!(n > 0, "server closed");
        want -= c.feed(&buf[..n]).min(want);
    }
    for run in 0..a.warmup + a.runs {
        let (w, cpu) = (Instant::now(), cpu_time::ProcessTime::now());
        for _ in 0..a.ops {
            for (bytes, answers) in &op {
                t.write_all(bytes).await?;
                let mut want = *answers;
                while want > 0 {
                    let n = t.read(&mut buf).await?;
                    assert!(n > 0, "server closed");
                    want -= c.feed(&buf[..n]).min(want);
                }
            }
        }
        report(run >= a.warmup, a.ops, w, cpu);
    }
    Ok(())
}

/// Prints a measured run (warm-up runs are not printed).
fn report(measured: bool, ops: u64, wall: Instant, cpu: cpu_time::ProcessTime) {
    if measured {
        println!(
            "{}",
            serde_json::json!({
                "ops": ops,
                "wall_s": wall.elapsed().as_secs_f64(),
                "cpu_s": cpu.elapsed().as_secs_f64(),
            })
        );
    }
}

fn main() {
    let a = std::sync::Arc::new(args());
    let r = match a.mode.as_str() {
        "blocking" => blocking(&a),
        "current_thread" => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
            .block_on(tokio_client(&a)),
        "spawn" => {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .expect("runtime");
            let a2 = a.clone();
            rt.block_on(rt.spawn(async move { tokio_client(&a2).await }))
                .expect("task panicked")
        }
        m => panic!("unknown --mode {m}"),
    };
    r.expect("bench-floor failed");
    let total = (a.warmup + a.runs) * a.ops;
    println!(
        "{}",
        serde_json::json!({"done": true, "total_ops": total, "version": "-"})
    );
}
