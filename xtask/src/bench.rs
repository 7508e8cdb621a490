//! `cargo xtask bench`: our driver side by side with its peers, same
//! workloads, same server, one run.
//!
//! Owns installing the peers (pip/npm/cargo, under `target/bench/`),
//! starting the servers (ArcadeDB via [`crate::server`], the `bolt-replay`
//! server of `bench/replay`), running every peer workload as a child
//! process, and reporting: the terminal table, `docs/benchmarks.md` (the
//! part between the `bench:begin`/`bench:end` markers) and
//! `docs/benchmarks.svg`. The peers themselves live in `bench/`; each prints
//! one JSON line per measured run (wall and process CPU seconds, operations)
//! and a final line with its version.
//!
//! Nothing here is part of `cargo xtask test`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::server::{self, Kind, Spec};
use crate::util::{self, say, Res};

const USAGE: &str = "usage: cargo xtask bench [--quick] [--workload a,b] [--peer a,b] [--server a,b] [--runs N] [--pin same|split] [--no-doc]
  workloads: stream_ints stream_maps small_seq small_par tx_write connect
  peers:     ours neo4rs neo4j-crate python python-rust-ext js floor
             (floor: no driver, pre-encoded bytes; small_seq and tx_write only)
  servers:   replay (bolt-replay, port 18088) arcadedb (port 18087, database testdb)
  --quick    a tenth of the work, 2 measured runs (a smoke run; numbers are rough)
  --pin same   on the replay server: server and peer on CPU 0 (taskset), no cross-CPU wake-ups
  --pin split  on the replay server: server on CPU 0, peer on CPU 1
             (ArcadeDB runs stay unpinned; the JVM needs every core)
  --no-doc   print the table only, leave docs/benchmarks.{md,svg} alone";

/// Bolt port of the ArcadeDB the bench starts.
const ARCADEDB_PORT: u16 = 18087;
/// Bolt port of the replay server.
const REPLAY_PORT: u16 = 18088;
/// Pinned peer versions (installed on first use).
const PY_NEO4J: &str = "neo4j==6.4.1";
const PY_RUST_EXT: &str = "neo4j-rust-ext==6.4.1.0";
const JS_DRIVER: &str = "neo4j-driver@6.3.0";

/// Every workload, in report order.
pub const WORKLOADS: [&str; 6] = [
    "stream_ints",
    "stream_maps",
    "small_seq",
    "small_par",
    "tx_write",
    "connect",
];
/// Every peer, in report order (ours first).
pub const PEERS: [&str; 7] = [
    "ours",
    "neo4rs",
    "neo4j-crate",
    "python",
    "python-rust-ext",
    "js",
    "floor",
];
/// The workloads `bench-floor` (the `floor` pseudo-peer) knows.
const FLOOR_WORKLOADS: [&str; 2] = ["small_seq", "tx_write"];
/// Every server.
pub const SERVERS: [&str; 2] = ["replay", "arcadedb"];

/// What a run does, from the command line.
#[derive(Debug, Clone)]
struct Opts {
    quick: bool,
    workloads: Vec<String>,
    peers: Vec<String>,
    servers: Vec<String>,
    runs: Option<u32>,
    pin: Pin,
    doc: bool,
    /// `/proc/loadavg`'s 1-minute figure when the run began (for the doc).
    load: String,
}

/// Where the replay server and the peer run (`--pin`). On a virtual
/// machine a loopback round trip between two CPUs costs each side a
/// wake-up of an idle vCPU, which dominates the client CPU of the
/// ping-pong workloads and moves it by 2-3x from run to run depending on
/// where the scheduler puts the threads; pinning makes it steady.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pin {
    /// Wherever the scheduler puts them.
    Off,
    /// Both on CPU 0.
    Same,
    /// Server on CPU 0, peer on CPU 1.
    Split,
}

impl Pin {
    /// The CPUs of (server, peer), if pinned.
    fn cpus(self) -> Option<(u32, u32)> {
        match self {
            Pin::Off => None,
            Pin::Same => Some((0, 0)),
            Pin::Split => Some((0, 1)),
        }
    }

    /// What the doc says about it.
    fn describe(self) -> &'static str {
        match self {
            Pin::Off => "not pinned (the scheduler places server and peer threads)",
            Pin::Same => {
                "replay server and peer pinned to CPU 0 (`--pin same`, taskset); ArcadeDB runs unpinned"
            }
            Pin::Split => {
                "replay server pinned to CPU 0, peer to CPU 1 (`--pin split`, taskset); ArcadeDB runs unpinned"
            }
        }
    }
}

/// A command running `program`, under `taskset -c cpu` when `cpu` is set.
fn launcher(program: impl AsRef<std::ffi::OsStr>, cpu: Option<u32>) -> Command {
    match cpu {
        None => Command::new(program),
        Some(c) => {
            let mut cmd = Command::new("taskset");
            cmd.args(["-c", &c.to_string()]).arg(program);
            cmd
        }
    }
}

fn parse(args: &[String]) -> Res<Opts> {
    let mut o = Opts {
        quick: false,
        workloads: WORKLOADS.iter().map(|s| s.to_string()).collect(),
        peers: PEERS.iter().map(|s| s.to_string()).collect(),
        servers: SERVERS.iter().map(|s| s.to_string()).collect(),
        runs: None,
        pin: Pin::Off,
        doc: true,
        load: std::fs::read_to_string("/proc/loadavg")
            .ok()
            .and_then(|l| l.split_whitespace().next().map(str::to_string))
            .unwrap_or_else(|| "?".into()),
    };
    let list = |v: Option<&String>, all: &[&str], what: &str| -> Res<Vec<String>> {
        let v = v.ok_or_else(|| format!("--{what} needs a value\n{USAGE}"))?;
        let items: Vec<String> = v.split(',').map(|s| s.trim().to_string()).collect();
        for i in &items {
            if !all.contains(&i.as_str()) {
                return Err(format!("unknown {what} {i:?}; one of {}", all.join(", ")));
            }
        }
        Ok(items)
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--quick" => o.quick = true,
            "--no-doc" => o.doc = false,
            "--workload" => o.workloads = list(it.next(), &WORKLOADS, "workload")?,
            "--peer" => o.peers = list(it.next(), &PEERS, "peer")?,
            "--server" => o.servers = list(it.next(), &SERVERS, "server")?,
            "--runs" => {
                let v = it.next().ok_or("--runs needs a number")?;
                o.runs = Some(v.parse().map_err(|_| format!("bad --runs {v:?}"))?);
            }
            "--pin" => {
                o.pin = match it.next().map(String::as_str) {
                    Some("same") => Pin::Same,
                    Some("split") => Pin::Split,
                    Some("off") => Pin::Off,
                    v => return Err(format!("--pin takes same, split or off, not {v:?}")),
                };
                if std::thread::available_parallelism().map_or(0, |n| n.get()) < 2
                    && o.pin == Pin::Split
                {
                    return Err("--pin split needs 2 CPUs".into());
                }
                if util::output(Command::new("taskset").arg("-V"), Duration::from_secs(10)).is_err()
                {
                    return Err("--pin needs `taskset` (util-linux) on PATH".into());
                }
            }
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    Ok(o)
}

/// How much work one run of a workload does on a server.
#[derive(Debug, Clone, Copy)]
struct Size {
    rows: u64,
    ops: u64,
    warmup: u32,
    runs: u32,
}

/// The sizes: full on the replay server; on ArcadeDB the workloads it
/// serves slowly are scaled down (the doc says so).
fn size(workload: &str, server: &str, o: &Opts) -> Size {
    let arcade = server == "arcadedb";
    let (rows, ops) = match workload {
        "stream_ints" => (if arcade { 200_000 } else { 1_000_000 }, 0),
        "stream_maps" => (if arcade { 20_000 } else { 100_000 }, 0),
        "small_seq" => (0, if arcade { 3_000 } else { 2_000 }),
        "small_par" => (0, if arcade { 2_000 } else { 4_000 }),
        "tx_write" => (0, if arcade { 500 } else { 1_000 }),
        // A run of 20 was ~5 ms on replay and swung by a third between
        // runs (the first connects of a run cost most).
        _ => (0, if arcade { 100 } else { 200 }),
    };
    let div = if o.quick { 10 } else { 1 };
    // Streams take longest in the slow peers: fewer measured runs. On
    // ArcadeDB the ping-pong workloads swing with the server (JIT, GC)
    // more than the fastest peers differ: more rounds.
    let streams = workload.starts_with("stream");
    let runs = o.runs.unwrap_or(if o.quick {
        2
    } else if streams {
        3
    } else if arcade {
        7
    } else {
        5
    });
    Size {
        rows: (rows / div).max(if rows > 0 { 1 } else { 0 }),
        ops: (ops / div).max(if ops > 0 { 2 } else { 0 }),
        warmup: 1,
        runs,
    }
}

/// One measured (server, workload, peer).
#[derive(Debug, Clone, Default)]
struct Measured {
    /// Per run: (wall s, cpu s, ops).
    runs: Vec<(f64, f64, f64)>,
    version: String,
    /// Operations the peer did in all, warm-up included.
    total_ops: f64,
    /// Replay server only: round trips per operation.
    round_trips: Option<f64>,
    error: Option<String>,
}

impl Measured {
    fn median_by(&self, f: impl Fn(&(f64, f64, f64)) -> f64) -> f64 {
        let mut v: Vec<f64> = self.runs.iter().map(f).collect();
        v.sort_by(|a, b| a.total_cmp(b));
        match v.len() {
            0 => f64::NAN,
            n if n % 2 == 1 => v[n / 2],
            n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
        }
    }
    /// Operations (rows or queries) per second, median run.
    fn rate(&self) -> f64 {
        self.median_by(|r| r.2 / r.0)
    }
    fn rate_min(&self) -> f64 {
        self.runs
            .iter()
            .map(|r| r.2 / r.0)
            .fold(f64::INFINITY, f64::min)
    }
    fn rate_max(&self) -> f64 {
        self.runs.iter().map(|r| r.2 / r.0).fold(0.0, f64::max)
    }
    /// Client CPU microseconds per operation, median run.
    fn cpu_us(&self) -> f64 {
        self.median_by(|r| r.1 / r.2 * 1e6)
    }
    fn ok(&self) -> bool {
        self.error.is_none() && !self.runs.is_empty()
    }
}

type Results = BTreeMap<(String, String, String), Measured>;

/// Entry point of `cargo xtask bench`.
pub fn cli(args: &[String]) -> Res {
    let o = parse(args)?;
    let t0 = Instant::now();
    install(&o)?;
    let mut results = Results::new();
    for server_name in &o.servers {
        let _arcade = if server_name == "arcadedb" {
            let spec = Spec::new(Kind::ArcadeDb).port(ARCADEDB_PORT);
            let running = server::start(&spec, false)?;
            wait_for_database()?;
            Some(running)
        } else {
            None
        };
        for w in &o.workloads {
            if server_name == "arcadedb" {
                warm_arcadedb(w, &o);
            }
            let peers: Vec<&String> = o
                .peers
                .iter()
                .filter(|p| *p != "floor" || FLOOR_WORKLOADS.contains(&w.as_str()))
                .collect();
            let measured = if server_name == "arcadedb" {
                interleaved(w, &peers, &o)
            } else {
                peers
                    .iter()
                    .map(|p| ((*p).clone(), measure(server_name, w, p, &o, None)))
                    .collect()
            };
            for (p, m) in measured {
                let line = if let Some(e) = &m.error {
                    format!("{server_name:8} {w:12} {p:16} FAILED: {e}")
                } else {
                    format!(
                        "{server_name:8} {w:12} {p:16} {:>12}/s  cpu {:>9}/op{}",
                        human(m.rate()),
                        micros(m.cpu_us()),
                        m.round_trips
                            .map(|r| if w.starts_with("stream") {
                                format!("  {r:.0} rows/round trip")
                            } else {
                                format!("  round trips {r:.3}/op")
                            })
                            .unwrap_or_default()
                    )
                };
                say(line);
                results.insert((server_name.clone(), w.clone(), p), m);
            }
        }
    }
    let table = table(&results, &o);
    println!("{table}");
    let verdict = targets(&results);
    println!("{verdict}");
    if o.doc {
        write_doc(&results, &o, &table, &verdict)?;
        say("wrote docs/benchmarks.md and docs/benchmarks.svg");
    }
    say(format!("bench done in {}", util::secs(t0.elapsed())));
    Ok(())
}

fn bench_dir() -> PathBuf {
    util::target_dir().join("bench")
}

fn py(venv: &str) -> PathBuf {
    bench_dir().join(venv).join("bin").join("python")
}

fn peers_rust_target() -> PathBuf {
    bench_dir().join("peers-rust")
}

/// Builds and installs what the selected peers need (idempotent).
fn install(o: &Opts) -> Res {
    let root = util::workspace_root();
    util::mkdir(&bench_dir())?;
    let want = |p: &str| o.peers.iter().any(|x| x == p);
    let hour = Duration::from_secs(3600);
    let mut cargo = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cargo
        .current_dir(&root)
        .args(["build", "--release", "-p", "bolt-replay"]);
    // bench-ours also probes ArcadeDB's readiness.
    if want("ours") || want("floor") || o.servers.iter().any(|s| s == "arcadedb") {
        cargo.args(["-p", "bench-ours"]);
    }
    say("building bolt-replay and bench-ours (release)");
    util::run(&mut cargo, hour)?;
    if want("neo4rs") || want("neo4j-crate") {
        say("building the Rust peers (bench/peers-rust, release; first time takes minutes)");
        let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
        c.current_dir(root.join("bench/peers-rust"))
            .env("CARGO_TARGET_DIR", peers_rust_target())
            .args(["build", "--release", "--locked"]);
        util::run(&mut c, hour)?;
    }
    for (peer, venv, pkgs) in [
        ("python", "py-pure", vec![PY_NEO4J]),
        ("python-rust-ext", "py-rust", vec![PY_NEO4J, PY_RUST_EXT]),
    ] {
        if !want(peer) || py(venv).exists() && marker_ok(venv, &pkgs) {
            continue;
        }
        say(format!(
            "installing {} into target/bench/{venv}",
            pkgs.join(" ")
        ));
        let dir = bench_dir().join(venv);
        util::run(Command::new("python3").args(["-m", "venv"]).arg(&dir), hour)?;
        util::run(
            Command::new(py(venv))
                .args(["-m", "pip", "install", "--quiet"])
                .args(&pkgs),
            hour,
        )?;
        std::fs::write(dir.join("bench-installed"), pkgs.join("\n"))
            .map_err(|e| format!("cannot write marker: {e}"))?;
    }
    if want("js") {
        let js = bench_dir().join("js");
        if !marker_ok("js", &[JS_DRIVER]) {
            util::mkdir(&js)?;
            say(format!("installing {JS_DRIVER} into target/bench/js"));
            util::run(
                Command::new("npm")
                    .args(["install", "--silent", "--no-audit", "--no-fund", "--prefix"])
                    .arg(&js)
                    .arg(JS_DRIVER),
                hour,
            )?;
            std::fs::write(js.join("bench-installed"), JS_DRIVER)
                .map_err(|e| format!("cannot write marker: {e}"))?;
        }
    }
    Ok(())
}

fn marker_ok(dir: &str, pkgs: &[&str]) -> bool {
    std::fs::read_to_string(bench_dir().join(dir).join("bench-installed"))
        .map(|s| s == pkgs.join("\n"))
        .unwrap_or(false)
}

/// The command that runs `peer` (arguments appended by [`measure`]).
fn peer_command(peer: &str, cpu: Option<u32>) -> Command {
    let root = util::workspace_root();
    let release = util::target_dir().join("release");
    let rust = peers_rust_target().join("release");
    match peer {
        "ours" => launcher(release.join("bench-ours"), cpu),
        "floor" => launcher(release.join("bench-floor"), cpu),
        "neo4rs" => launcher(rust.join("peer-neo4rs"), cpu),
        "neo4j-crate" => launcher(rust.join("peer-neo4j-crate"), cpu),
        "python" | "python-rust-ext" => {
            let venv = if peer == "python" {
                "py-pure"
            } else {
                "py-rust"
            };
            let mut c = launcher(py(venv), cpu);
            c.arg(root.join("bench/peers/python/bench.py"));
            c
        }
        _ => {
            let mut c = launcher("node", cpu);
            c.env("NODE_PATH", bench_dir().join("js").join("node_modules"))
                .arg(root.join("bench/peers/js/bench.js"));
            c
        }
    }
}

/// Starts a fresh replay server writing its stats to `stats`.
fn start_replay(stats: &Path, cpu: Option<u32>) -> Res<Child> {
    let _ = std::fs::remove_file(stats);
    if !util::port_free(REPLAY_PORT) {
        return Err(format!(
            "port 127.0.0.1:{REPLAY_PORT} is in use (another bolt-replay still running?)"
        ));
    }
    let bin = util::target_dir().join("release").join("bolt-replay");
    let child = launcher(&bin, cpu)
        .args(["--port", &REPLAY_PORT.to_string(), "--stats-file"])
        .arg(stats)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
    let addr = (util::LOOPBACK, REPLAY_PORT).into();
    util::wait_for(
        "bolt-replay to listen",
        Duration::from_secs(10),
        Duration::from_millis(20),
        || Ok(util::port_open(addr).then_some(())),
    )?;
    Ok(child)
}

/// ArcadeDB answers Bolt before its databases can be opened (the first
/// queries fail with DatabaseNotFound): probe with one `RETURN 1` until one
/// passes.
fn wait_for_database() -> Res {
    let bin = util::target_dir().join("release").join("bench-ours");
    util::wait_for(
        "ArcadeDB database testdb to open",
        Duration::from_secs(120),
        Duration::from_millis(500),
        || {
            let ok = util::output(
                Command::new(&bin)
                    .args(["--uri", &format!("bolt://127.0.0.1:{ARCADEDB_PORT}")])
                    .args(["--user", "root", "--password", server::DEFAULT_PASSWORD])
                    .args(["--db", "testdb", "--workload", "small_seq"])
                    .args(["--warmup", "0", "--runs", "1", "--ops", "1"]),
                Duration::from_secs(30),
            )
            .is_ok();
            Ok(ok.then_some(()))
        },
    )
}

/// Full-size runs of a workload that `warm_arcadedb` does before any peer
/// is measured on it.
const ARCADEDB_WARMUP_RUNS: u32 = 10;

/// ArcadeDB runs on the JVM: a query shape it has not served yet goes
/// through its interpreter and JIT compiler for the first ~100k rows or
/// ~1,000 transactions, and whichever peer came first (always `ours`)
/// measured that cold server, 3–7× slower on `stream_maps` than the peers
/// after it. So before the peers, `bench-ours` runs the workload unmeasured
/// [`ARCADEDB_WARMUP_RUNS`] times at full size (also under `--quick`).
fn warm_arcadedb(workload: &str, o: &Opts) {
    let size = size(workload, "arcadedb", o);
    let div = if o.quick { 10 } else { 1 };
    let mut cmd = peer_command("ours", None);
    cmd.args(["--uri", &format!("bolt://127.0.0.1:{ARCADEDB_PORT}")])
        .args(["--user", "root", "--password", server::DEFAULT_PASSWORD])
        .args(["--db", "testdb", "--workload", workload])
        .args(["--warmup", "0"])
        .args(["--runs", &ARCADEDB_WARMUP_RUNS.to_string()])
        .args(["--rows", &(size.rows * div).to_string()])
        .args(["--ops", &(size.ops * div).to_string()])
        .args(["--conc", "16"])
        .env("RUST_BACKTRACE", "0");
    if let Err(e) = util::output(&mut cmd, Duration::from_secs(600)) {
        say(format!(
            "arcadedb {workload}: server warm-up failed (measuring anyway): {}",
            failure_line(&e)
        ));
    }
}

/// Runs one peer on one workload against one server.
/// ArcadeDB: the measured runs of every peer taken in rounds, one run per
/// peer per round, the order rotated each round, so that a swing of the
/// server (JIT, garbage collection) falls on every peer instead of
/// deciding one peer's row. Each round's run has its own warm-up run.
fn interleaved(workload: &str, peers: &[&String], o: &Opts) -> Vec<(String, Measured)> {
    let rounds = size(workload, "arcadedb", o).runs.max(1);
    let mut all: Vec<(String, Measured)> = peers
        .iter()
        .map(|p| ((*p).clone(), Measured::default()))
        .collect();
    for r in 0..rounds as usize {
        for k in 0..all.len() {
            let i = (k + r) % all.len();
            if all[i].1.error.is_some() {
                continue;
            }
            let m = measure("arcadedb", workload, &all[i].0, o, Some(1));
            let acc = &mut all[i].1;
            if m.error.is_some() {
                *acc = m;
                continue;
            }
            acc.runs.extend(m.runs);
            acc.total_ops += m.total_ops;
            acc.version = m.version;
        }
    }
    all
}

/// Runs `peer` on `workload` against the server once (its warm-up, then
/// `runs` measured runs, by default the size's).
fn measure(server_name: &str, workload: &str, peer: &str, o: &Opts, runs: Option<u32>) -> Measured {
    let size = size(workload, server_name, o);
    let stats = bench_dir().join("replay-stats.json");
    let mut replay = None;
    let pinned = if server_name == "replay" {
        o.pin.cpus()
    } else {
        None
    };
    let port = if server_name == "replay" {
        match start_replay(&stats, pinned.map(|p| p.0)) {
            Ok(c) => replay = Some(c),
            Err(e) => {
                return Measured {
                    error: Some(e),
                    ..Measured::default()
                }
            }
        }
        REPLAY_PORT
    } else {
        ARCADEDB_PORT
    };
    let mut cmd = peer_command(peer, pinned.map(|p| p.1));
    cmd.args(["--uri", &format!("bolt://127.0.0.1:{port}")])
        .args(["--user", "root", "--password", server::DEFAULT_PASSWORD])
        .args(["--db", "testdb", "--workload", workload])
        .args(["--warmup", &size.warmup.to_string()])
        .args(["--runs", &runs.unwrap_or(size.runs).to_string()])
        .args(["--rows", &size.rows.to_string()])
        .args(["--ops", &size.ops.to_string()])
        .args(["--conc", "16"])
        .env("RUST_BACKTRACE", "0");
    let out = util::output(&mut cmd, Duration::from_secs(600));
    let mut m = match out {
        Ok(text) => parse_peer_output(&text),
        Err(e) => Measured {
            error: Some(failure_line(&e)),
            ..Measured::default()
        },
    };
    if let Some(mut child) = replay {
        if m.ok() {
            m.round_trips = replay_round_trips(&stats, workload, m.total_ops);
        }
        let _ = child.kill();
        let _ = child.wait();
    }
    m
}

/// The informative line of a failed peer's output: the panic message or
/// the exception, not the backtrace's tail.
fn failure_line(err: &str) -> String {
    let lines: Vec<&str> = err.lines().collect();
    let pick = lines
        .iter()
        .position(|l| l.contains("panicked at"))
        .and_then(|i| lines.get(i + 1))
        .or_else(|| {
            lines
                .iter()
                .rev()
                .find(|l| l.contains("Error") || l.contains("error"))
        });
    let line = pick
        .copied()
        .unwrap_or_else(|| lines.last().copied().unwrap_or(""));
    line.chars().take(240).collect()
}

fn parse_peer_output(text: &str) -> Measured {
    let mut m = Measured::default();
    for line in text.lines().filter(|l| l.starts_with('{')) {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if v.get("done").is_some() {
            m.version = v["version"].as_str().unwrap_or("?").to_string();
            m.total_ops = v["total_ops"].as_f64().unwrap_or(0.0);
        } else {
            let f = |k: &str| v[k].as_f64().unwrap_or(f64::NAN);
            m.runs.push((f("wall_s"), f("cpu_s"), f("ops")));
        }
    }
    if m.runs.is_empty() {
        m.error = Some(format!(
            "no measurements in the output:\n{}",
            util::tail(text, 5)
        ));
    }
    m
}

/// Round trips per operation from the replay server's stats, once every
/// connection of the finished peer has closed. For the streams it is the
/// other way round: rows per round trip.
fn replay_round_trips(stats: &Path, workload: &str, total_ops: f64) -> Option<f64> {
    let v = util::wait_for(
        "bolt-replay stats",
        Duration::from_secs(3),
        Duration::from_millis(20),
        || {
            let Ok(text) = std::fs::read_to_string(stats) else {
                return Ok(None);
            };
            let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) else {
                return Ok(None);
            };
            Ok((v["connections_opened"] == v["connections_closed"]).then_some(v))
        },
    )
    .ok()?;
    let rt = v["round_trips"].as_f64()?;
    let setup = v["setup_round_trips"].as_f64()?;
    Some(match workload {
        // per connect: handshake is not counted; HELLO/LOGON and the probe are
        "connect" => (rt + setup) / total_ops,
        // streams: rows per round trip (the table shows it as such)
        "stream_ints" | "stream_maps" => total_ops / rt.max(1.0),
        _ => rt / total_ops,
    })
}

fn human(x: f64) -> String {
    if !x.is_finite() {
        "-".into()
    } else if x >= 1e6 {
        format!("{:.2}M", x / 1e6)
    } else if x >= 1e3 {
        format!("{:.1}k", x / 1e3)
    } else {
        format!("{x:.1}")
    }
}

fn micros(us: f64) -> String {
    if !us.is_finite() {
        "-".into()
    } else if us >= 1000.0 {
        format!("{:.2} ms", us / 1000.0)
    } else if us >= 10.0 {
        format!("{us:.1} µs")
    } else {
        format!("{us:.2} µs")
    }
}

fn unit(workload: &str) -> &'static str {
    match workload {
        "stream_ints" | "stream_maps" => "rows",
        "tx_write" => "tx",
        "connect" => "connects",
        _ => "queries",
    }
}

/// The best other peer of a (server, workload) by `key` (higher is better).
fn best_other<'a>(
    r: &'a Results,
    server_name: &str,
    w: &str,
    key: impl Fn(&Measured) -> f64,
) -> Option<(&'a str, &'a Measured)> {
    r.iter()
        .filter(|((s, ww, p), m)| {
            s == server_name && ww == w && p != "ours" && p != "floor" && m.ok()
        })
        .map(|((_, _, p), m)| (p.as_str(), m))
        .max_by(|a, b| key(a.1).total_cmp(&key(b.1)))
}

/// The Markdown table (also printed to the terminal).
fn table(r: &Results, o: &Opts) -> String {
    let mut t = String::new();
    for s in &o.servers {
        let _ = writeln!(t, "\n### Server: {s}\n");
        let _ = writeln!(
            t,
            "| workload | peer | throughput (median) | min – max | client CPU / op (median) | CPU vs ours | round trips / op |"
        );
        let _ = writeln!(t, "|---|---|---:|---:|---:|---:|---:|");
        for w in &o.workloads {
            let ours_cpu = r
                .get(&(s.clone(), w.clone(), "ours".into()))
                .filter(|m| m.ok())
                .map(|m| m.cpu_us());
            for p in &o.peers {
                let Some(m) = r.get(&(s.clone(), w.clone(), p.clone())) else {
                    continue;
                };
                if !m.ok() {
                    let e = m.error.clone().unwrap_or_default();
                    let e = e.lines().last().unwrap_or("").replace('|', "/");
                    let _ = writeln!(t, "| {w} | {p} | failed: {e} | | | | |");
                    continue;
                }
                let u = unit(w);
                let vs = match ours_cpu {
                    Some(c) if p != "ours" => format!("{:.1}×", m.cpu_us() / c),
                    _ => String::new(),
                };
                let rt = m
                    .round_trips
                    .map(|x| {
                        if w.starts_with("stream") {
                            format!("{x:.0} rows per trip")
                        } else {
                            format!("{x:.3}")
                        }
                    })
                    .unwrap_or_else(|| "-".into());
                let _ = writeln!(
                    t,
                    "| {w} | {p} | {} {u}/s | {} – {} | {} | {vs} | {rt} |",
                    human(m.rate()),
                    human(m.rate_min()),
                    human(m.rate_max()),
                    micros(m.cpu_us()),
                );
            }
        }
    }
    t
}

/// The issue's targets for our driver, checked against the best other peer.
fn targets(r: &Results) -> String {
    let mut out =
        String::from("\n### Targets (ours against the best other peer of the same run)\n\n");
    let servers: Vec<&String> = {
        let mut v: Vec<&String> = r.keys().map(|k| &k.0).collect();
        v.dedup();
        v
    };
    for s in servers {
        for w in WORKLOADS {
            let Some(ours) = r.get(&(s.clone(), w.to_string(), "ours".into())) else {
                continue;
            };
            if !ours.ok() {
                let _ = writeln!(out, "- {s}/{w}: ours FAILED");
                continue;
            }
            if let Some((bp, best)) = best_other(r, s, w, |m| -m.cpu_us()) {
                let ratio = ours.cpu_us() / best.cpu_us();
                let limit = match w {
                    "stream_ints" => Some(0.25),
                    "stream_maps" => Some(1.0 / 3.0),
                    "small_seq" | "small_par" | "tx_write" => Some(0.5),
                    _ => None,
                };
                let verdict = match limit {
                    Some(l) if ratio <= l => format!("MET (≤ {l:.2})"),
                    Some(l) => format!("MISSED (target ≤ {l:.2})"),
                    None => "(no target)".into(),
                };
                let _ = writeln!(
                    out,
                    "- {s}/{w}: client CPU ours/{bp} = {ratio:.2} {verdict}"
                );
                if let (Some(l), Some(f)) = (
                    limit,
                    r.get(&(s.clone(), w.to_string(), "floor".into()))
                        .filter(|m| m.ok()),
                ) {
                    let goal = l * best.cpu_us();
                    let _ = writeln!(
                        out,
                        "  - floor (no driver) {}/op: the target asks for {}/op, {}",
                        micros(f.cpu_us()),
                        micros(goal),
                        if goal < f.cpu_us() {
                            "below what a client that does nothing spends"
                        } else {
                            "above the floor"
                        }
                    );
                }
            }
            if let Some((bp, best)) = best_other(r, s, w, Measured::rate) {
                let ahead = ours.rate() > best.rate();
                let _ = writeln!(
                    out,
                    "- {s}/{w}: throughput ours {} vs best other ({bp}) {} → {}",
                    human(ours.rate()),
                    human(best.rate()),
                    if ahead { "AHEAD" } else { "BEHIND" }
                );
            }
            if let Some(rt) = ours.round_trips {
                let want = match w {
                    "small_seq" | "small_par" => Some(1.0),
                    "tx_write" => Some(2.0),
                    _ => None,
                };
                if let Some(want) = want {
                    let ok = (rt - want).abs() < 0.01;
                    let _ = writeln!(
                        out,
                        "- {s}/{w}: round trips/op {rt:.3} (target {want}) {}",
                        if ok { "MET" } else { "MISSED" }
                    );
                }
            }
        }
    }
    out
}

/// Machine facts for the doc.
fn machine(o: &Opts) -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "?".into());
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            let kb: f64 = s
                .lines()
                .find(|l| l.starts_with("MemTotal"))?
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()?;
            Some(format!("{:.1} GiB", kb / 1024.0 / 1024.0))
        })
        .unwrap_or_else(|| "?".into());
    let nproc = std::thread::available_parallelism()
        .map(|n| n.get().to_string())
        .unwrap_or_else(|_| "?".into());
    let tool = |cmd: &str, arg: &str| {
        util::output(Command::new(cmd).arg(arg), Duration::from_secs(20))
            .map(|s| s.trim().to_string())
            .unwrap_or_else(|_| "?".into())
    };
    format!(
        "- CPU: {cpu}, {nproc} cores (load average {} when the run began)\n\
         - placement: {}\n\
         - memory: {mem}\n\
         - {}; {}; Node {}\n",
        o.load,
        o.pin.describe(),
        tool("rustc", "--version"),
        tool("python3", "--version"),
        tool("node", "--version"),
    )
}

fn versions(r: &Results) -> String {
    let mut v: BTreeMap<&str, &str> = BTreeMap::new();
    for ((_, _, p), m) in r {
        if m.ok() {
            v.insert(p, &m.version);
        }
    }
    let mut s = String::new();
    for p in PEERS {
        if let Some(ver) = v.get(p) {
            let what = match p {
                "ours" => "this workspace's `neo4j` crate",
                "neo4rs" => "crates.io `neo4rs`",
                "neo4j-crate" => "crates.io `neo4j` (blocking API)",
                "python" => "PyPI `neo4j` (pure Python)",
                "python-rust-ext" => "PyPI `neo4j` + `neo4j-rust-ext`",
                "floor" => {
                    "no driver: `bench-floor` writes pre-encoded Bolt bytes and \
                     counts the answers (blocking `std::net`), the least CPU any \
                     client spends per operation"
                }
                _ => "npm `neo4j-driver`",
            };
            let _ = writeln!(s, "- `{p}`: {what} {ver}");
        }
    }
    s
}

const BEGIN: &str =
    "<!-- bench:begin (generated by cargo xtask bench; edit outside the markers) -->";
const END: &str = "<!-- bench:end -->";

fn write_doc(r: &Results, o: &Opts, table: &str, verdict: &str) -> Res {
    let root = util::workspace_root();
    let md = root.join("docs/benchmarks.md");
    let mut sizes = String::new();
    for s in &o.servers {
        let list: Vec<String> = o
            .workloads
            .iter()
            .map(|w| {
                let z = size(w, s, o);
                let n = if z.rows > 0 { z.rows } else { z.ops };
                format!("{w} {n} {}", unit(w))
            })
            .collect();
        let (a, b) = (size("stream_ints", s, o).runs, size("small_seq", s, o).runs);
        let _ = writeln!(
            sizes,
            "- {s}: {} ({})",
            list.join(", "),
            if s == "arcadedb" {
                format!(
                    "{a} rounds for the streams, {b} for the others; in each round every peer, \
                     in an order rotated per round, does 1 warm-up run and 1 measured run"
                )
            } else {
                format!(
                    "1 warm-up run each, then {a} measured runs of the streams, {b} of the others"
                )
            },
        );
    }
    let generated = format!(
        "{BEGIN}\n\n## Results of the last run{}\n\nMachine:\n\n{}\nPeers:\n\n{}\nSizes per run:\n\n{sizes}\n![rows/s and client CPU per operation](benchmarks.svg)\n{table}\n{verdict}\n{END}",
        if o.quick { " (`--quick`: rough)" } else { "" },
        machine(o),
        versions(r),
    );
    let old = std::fs::read_to_string(&md).unwrap_or_default();
    let new = match (old.find(BEGIN), old.find(END)) {
        (Some(b), Some(e)) if e > b => {
            format!("{}{generated}{}", &old[..b], &old[e + END.len()..])
        }
        _ => format!("# Benchmarks\n\nRun with `cargo xtask bench`.\n\n{generated}\n"),
    };
    std::fs::write(&md, new).map_err(|e| format!("cannot write {}: {e}", md.display()))?;
    let svg = root.join("docs/benchmarks.svg");
    std::fs::write(&svg, chart(r, o)).map_err(|e| format!("cannot write {}: {e}", svg.display()))
}

/// A hand-drawn SVG: per server and workload, one bar per peer for
/// throughput (left) and client CPU per operation (right), each scaled to
/// the largest value of its group.
fn chart(r: &Results, o: &Opts) -> String {
    const ROW: f64 = 16.0;
    const LABEL: f64 = 120.0;
    const BAR: f64 = 300.0;
    const GAP: f64 = 110.0;
    let colors = [
        "#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#8c564b", "#ff7f0e", "#7f7f7f",
    ];
    let mut body = String::new();
    let mut y = 30.0;
    let x2 = LABEL + BAR + GAP;
    let _ = writeln!(
        body,
        r#"<text x="{LABEL}" y="18" font-weight="bold">throughput (ops/s, longer is better)</text><text x="{}" y="18" font-weight="bold">client CPU per op (shorter is better)</text>"#,
        x2
    );
    for s in &o.servers {
        for w in &o.workloads {
            let ms: Vec<(usize, &String, &Measured)> = o
                .peers
                .iter()
                .filter_map(|p| {
                    let i = PEERS.iter().position(|x| x == p)?;
                    r.get(&(s.clone(), w.clone(), p.clone()))
                        .filter(|m| m.ok())
                        .map(|m| (i, p, m))
                })
                .collect();
            if ms.is_empty() {
                continue;
            }
            y += 8.0;
            let _ = writeln!(
                body,
                r#"<text x="4" y="{}" font-weight="bold">{s} / {w} ({})</text>"#,
                y + 10.0,
                unit(w)
            );
            y += 16.0;
            let max_rate = ms.iter().map(|m| m.2.rate()).fold(0.0, f64::max);
            let max_cpu = ms.iter().map(|m| m.2.cpu_us()).fold(0.0, f64::max);
            for (i, p, m) in ms {
                let c = colors[i % colors.len()];
                let w1 = BAR * m.rate() / max_rate;
                let w2 = BAR * m.cpu_us() / max_cpu;
                let _ = writeln!(
                    body,
                    r#"<text x="{}" y="{}" text-anchor="end">{p}</text><rect x="{LABEL}" y="{y}" width="{w1:.1}" height="{}" fill="{c}"/><text x="{}" y="{}">{}/s</text><rect x="{x2}" y="{y}" width="{w2:.1}" height="{}" fill="{c}"/><text x="{}" y="{}">{}</text>"#,
                    LABEL - 6.0,
                    y + 11.0,
                    ROW - 3.0,
                    LABEL + w1 + 4.0,
                    y + 11.0,
                    human(m.rate()),
                    ROW - 3.0,
                    x2 + w2 + 4.0,
                    y + 11.0,
                    micros(m.cpu_us()),
                );
                y += ROW;
            }
        }
    }
    let width = x2 + BAR + GAP;
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{}\" font-family=\"sans-serif\" font-size=\"11\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n{body}</svg>\n",
        y + 10.0
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(runs: &[(f64, f64, f64)]) -> Measured {
        Measured {
            runs: runs.to_vec(),
            ..Measured::default()
        }
    }

    #[test]
    fn median_rate_and_cpu() {
        let x = m(&[(1.0, 0.5, 100.0), (2.0, 1.0, 100.0), (4.0, 0.25, 100.0)]);
        assert_eq!(x.rate(), 50.0);
        assert_eq!(x.rate_min(), 25.0);
        assert_eq!(x.rate_max(), 100.0);
        assert_eq!(x.cpu_us(), 5000.0);
    }

    #[test]
    fn peer_output_is_parsed() {
        let text = "noise\n{\"wall_s\": 0.5, \"cpu_s\": 0.25, \"ops\": 10}\n{\"done\": true, \"total_ops\": 20, \"version\": \"1.2\"}\n";
        let x = parse_peer_output(text);
        assert!(x.ok());
        assert_eq!(x.version, "1.2");
        assert_eq!(x.total_ops, 20.0);
        assert_eq!(x.rate(), 20.0);
        assert!(!parse_peer_output("nothing").ok());
    }

    #[test]
    fn failure_line_picks_the_panic_message() {
        let e = "`x` failed (exit status: 101): \nthread 'main' panicked at src/a.rs:1:2:\nverify: Disconnect\nstack backtrace:\n   0: foo";
        assert_eq!(failure_line(e), "verify: Disconnect");
        assert_eq!(
            failure_line("a\nneo4j.exceptions.ServiceUnavailable: gone"),
            "neo4j.exceptions.ServiceUnavailable: gone"
        );
    }

    #[test]
    fn filters_are_checked() {
        let o = parse(&["--peer".into(), "ours,js".into(), "--quick".into()]).unwrap();
        assert_eq!(o.peers, ["ours", "js"]);
        assert!(o.quick);
        assert!(parse(&["--peer".into(), "jdbc".into()]).is_err());
        let z = size("stream_ints", "replay", &o);
        assert_eq!((z.rows, z.runs), (100_000, 2));
    }

    #[test]
    fn chart_and_table_render() {
        let o = parse(&["--server".into(), "replay".into()]).unwrap();
        let mut r = Results::new();
        r.insert(
            ("replay".into(), "small_seq".into(), "ours".into()),
            m(&[(1.0, 0.1, 1000.0)]),
        );
        r.insert(
            ("replay".into(), "small_seq".into(), "js".into()),
            m(&[(2.0, 0.5, 1000.0)]),
        );
        let svg = chart(&r, &o);
        assert!(svg.starts_with("<svg") && svg.contains("small_seq"));
        let t = table(&r, &o);
        assert!(t.contains("| small_seq | js | 500.0 queries/s"), "{t}");
        assert!(targets(&r).contains("ours/js = 0.20 MET"));
    }
}
