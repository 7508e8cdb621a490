//! `bolt-replay`: a Bolt server for the benchmarks, built on `bolt-proto`
//! the way a custom tool would use it.
//!
//! It speaks Bolt 5.4 to 5.0 and 4.4, accepts any credentials, and answers
//! the `cargo xtask bench` workloads (recognised by query text, see
//! [`data`]) from pre-encoded memory, so what a benchmark measures against
//! it is the client's own cost. Every connection's round trips are counted
//! ([`conn`]) and the totals written as JSON to `--stats-file` shortly after
//! connections close (one write for every close within 20 ms).
//!
//! ```text
//! bolt-replay --port 18088 [--stats-file PATH]
//! ```
//!
//! It binds 127.0.0.1 only, prints `listening 127.0.0.1:PORT` once ready
//! and runs until killed. It is single-threaded on purpose, so that on a
//! small machine it leaves the other cores to the client being measured.

mod conn;
mod data;
mod stats;

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use tokio::net::TcpListener;

/// `host:port` this server listens on (for ROUTE answers).
static LISTEN_ADDR: OnceLock<String> = OnceLock::new();

fn main() -> std::process::ExitCode {
    let mut port = 18088u16;
    let mut stats_file = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match (a.as_str(), args.next()) {
            ("--port", Some(p)) => match p.parse() {
                Ok(p) => port = p,
                Err(_) => return usage(&format!("bad port {p:?}")),
            },
            ("--stats-file", Some(f)) => stats_file = Some(PathBuf::from(f)),
            _ => return usage(&format!("unknown argument {a:?}")),
        }
    }
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return usage(&format!("cannot start runtime: {e}")),
    };
    match rt.block_on(run(port, stats_file)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => usage(&format!("{e}")),
    }
}

fn usage(msg: &str) -> std::process::ExitCode {
    eprintln!("bolt-replay: {msg}\nusage: bolt-replay --port PORT [--stats-file PATH]");
    std::process::ExitCode::from(2)
}

async fn run(port: u16, stats_file: Option<PathBuf>) -> std::io::Result<()> {
    let listener = TcpListener::bind(("127.0.0.1", port)).await?;
    let addr = listener.local_addr()?;
    let _ = LISTEN_ADDR.set(addr.to_string());
    let stats = Arc::new(stats::Stats::new(stats_file));
    println!("listening {addr}");
    let mut next_id = 0u64;
    loop {
        let (sock, _) = listener.accept().await?;
        next_id += 1;
        stats.opened();
        tokio::spawn(conn::serve(sock, next_id, stats.clone()));
    }
}
