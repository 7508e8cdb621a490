//! The workload of `cargo xtask soak` (docs/reliability.md, "Soak").
//!
//! xtask starts a Neo4j of its own, runs this binary and, while the
//! workload runs, kills the server with SIGKILL and restarts it on the
//! same data at random moments. This binary owns the client side: 64
//! tasks (by default) run a seeded mix of managed, explicit and
//! auto-commit reads and writes through one driver, every write with ids
//! of its own, and each write's answer is logged as acknowledged, failed
//! (certainly not committed) or unknown. When the time is up it closes
//! the driver and checks that no task, file descriptor or socket was left
//! behind, then reads the database back with a fresh driver and checks
//! the answers against it: every acknowledged write present, none twice,
//! no failed write present, no write half applied, and how many unknown
//! outcomes committed. It prints a summary and writes it as JSON, and the
//! write log as JSON lines; it exits with 1 when a check failed.
//!
//! Talking to xtask: the settings come in `SOAK_*` variables; on stdout a
//! line `SOAK started` says the workload began (xtask may start killing)
//! and `SOAK workload-done` that it ended (xtask restarts the server if it
//! is down and kills no more); every other line is for humans. When stdin
//! reaches its end (xtask is gone), the process exits.

mod probe;
mod verify;
mod workload;

use std::io::Read;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use neo4j::{Config, Driver, GraphDatabase};
use serde_json::{json, Value as Json};

/// How long a connection may take to come from the pool (the bound the
/// soak checks).
pub const ACQUISITION_TIMEOUT: Duration = Duration::from_secs(10);
/// How long managed transactions keep retrying.
pub const MAX_RETRY_TIME: Duration = Duration::from_secs(20);
/// Fewer connections than tasks, so that tasks wait for the pool.
pub const POOL_SIZE: usize = 32;
const CONNECTION_TIMEOUT: Duration = Duration::from_secs(5);
const READ_TIMEOUT: Duration = Duration::from_secs(30);
/// How long the counts of tasks and descriptors get to settle after the
/// driver is closed.
const SETTLE: Duration = Duration::from_secs(10);
/// The database every query runs in.
pub const DATABASE: &str = "neo4j";

/// What xtask passes in `SOAK_*` variables.
struct Settings {
    uri: String,
    user: String,
    password: String,
    seed: u64,
    seconds: u64,
    tasks: usize,
    out: PathBuf,
}

impl Settings {
    fn from_env() -> Result<Settings, String> {
        let var = |k: &str| std::env::var(k).map_err(|_| format!("{k} is not set"));
        let num = |k: &str, default: Option<u64>| -> Result<u64, String> {
            match (std::env::var(k), default) {
                (Ok(v), _) => v.parse().map_err(|_| format!("{k}: `{v}` is not a number")),
                (Err(_), Some(d)) => Ok(d),
                (Err(_), None) => Err(format!("{k} is not set")),
            }
        };
        Ok(Settings {
            uri: var("SOAK_URI")?,
            user: var("SOAK_USER")?,
            password: var("SOAK_PASSWORD")?,
            seed: num("SOAK_SEED", None)?,
            seconds: num("SOAK_SECONDS", Some(600))?,
            tasks: num("SOAK_TASKS", Some(64))? as usize,
            out: PathBuf::from(var("SOAK_OUT")?),
        })
    }
}

/// A small seeded generator (SplitMix64): the schedule of operations is a
/// function of the seed (their timing is not).
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `lo..=hi`.
    pub fn between(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo + 1)
    }
}

fn new_driver(s: &Settings, max_retry: Duration) -> Result<Driver, neo4j::Error> {
    let config = Config::builder()
        .with_auth((s.user.clone(), s.password.clone()))
        .with_max_connection_pool_size(POOL_SIZE)
        .with_connection_acquisition_timeout(ACQUISITION_TIMEOUT)
        .with_connection_timeout(CONNECTION_TIMEOUT)
        .with_connection_read_timeout(READ_TIMEOUT)
        .with_max_retry_time(max_retry)
        .build()?;
    GraphDatabase::driver(&s.uri, config)
}

/// Exits when stdin ends before `done` is set: xtask is gone, and so is
/// whoever would stop the server and read the results.
fn watch_parent(done: Arc<AtomicBool>) {
    std::thread::spawn(move || {
        let mut sink = [0u8; 64];
        let mut stdin = std::io::stdin();
        while matches!(stdin.read(&mut sink), Ok(n) if n > 0) {}
        if !done.load(Ordering::SeqCst) {
            eprintln!("soak: stdin closed (xtask gone): exiting");
            std::process::exit(3);
        }
    });
}

fn main() -> std::process::ExitCode {
    let settings = match Settings::from_env() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("soak: {e} (run it with `cargo xtask soak`)");
            return std::process::ExitCode::from(2);
        }
    };
    let done = Arc::new(AtomicBool::new(false));
    watch_parent(done.clone());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let summary = rt.block_on(run(&settings));
    done.store(true, Ordering::SeqCst);
    match summary {
        Ok(pass) if pass => std::process::ExitCode::SUCCESS,
        Ok(_) => std::process::ExitCode::FAILURE,
        Err(e) => {
            eprintln!("soak: error: {e}");
            std::process::ExitCode::from(2)
        }
    }
}

/// The whole run; `Ok(pass)`.
async fn run(s: &Settings) -> Result<bool, String> {
    let label = format!("Soak_{}", s.seed);
    let handle = tokio::runtime::Handle::current();
    let say = |m: String| println!("soak: {m}");

    // The index the checks read by, made before the baseline with a
    // driver of its own (closed before the baseline is taken).
    {
        let d = new_driver(s, Duration::from_secs(60)).map_err(|e| e.to_string())?;
        d.execute_query(format!(
            "CREATE INDEX soak_op_{} IF NOT EXISTS FOR (x:{label}) ON (x.op)",
            s.seed
        ))
        .database(DATABASE)
        .run()
        .await
        .map_err(|e| format!("creating the index: {e}"))?;
        d.close().await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;

    let base = probe::Counts::now(&handle);
    let rss_start = probe::rss_kb();
    say(format!(
        "baseline: {} tasks, {} fds ({} sockets), RSS {} KiB",
        base.tasks, base.fds, base.sockets, rss_start
    ));
    let sampler = probe::RssSampler::start(Duration::from_secs(2));

    let driver = new_driver(s, MAX_RETRY_TIME).map_err(|e| e.to_string())?;
    let t0 = Instant::now();
    println!("SOAK started");
    let outcome = workload::run(
        &driver,
        workload::Plan {
            label: label.clone(),
            seed: s.seed,
            tasks: s.tasks,
            duration: Duration::from_secs(s.seconds),
        },
    )
    .await;
    let ran = t0.elapsed();
    println!("SOAK workload-done");

    driver.close().await;
    drop(driver);
    // The sampler opens /proc/self/status now and then: stopped first.
    let rss = sampler.stop();
    let rss_end = probe::rss_kb();
    let end = probe::Counts::settle(&handle, &base, SETTLE).await;
    say(format!(
        "after close: {} tasks, {} fds ({} sockets), RSS {} KiB",
        end.tasks, end.fds, end.sockets, rss_end
    ));

    let check_driver = new_driver(s, Duration::from_secs(60)).map_err(|e| e.to_string())?;
    let verdict = verify::run(&check_driver, &label, &outcome).await;
    check_driver.close().await;
    let verdict = verdict?;

    let leaks_ok = end.tasks <= base.tasks && end.fds <= base.fds && end.sockets <= base.sockets;
    let rss_max = rss
        .iter()
        .map(|&(_, kb)| kb)
        .max()
        .unwrap_or(rss_end)
        .max(rss_end);
    let after_warmup = rss
        .iter()
        .find(|&&(t, _)| t >= 60.0)
        .map(|&(_, kb)| kb)
        .unwrap_or(rss_end);
    let hangs_ok = outcome.hangs.is_empty() && outcome.stuck_tasks == 0;
    let acq = &outcome.acquisition;
    let acq_ok = acq.violations == 0;
    let pass = verdict.ok && leaks_ok && hangs_ok && acq_ok && outcome.read_mismatches.is_empty();

    let summary = json!({
        "seed": s.seed,
        "label": label,
        "uri": s.uri,
        "tasks": s.tasks,
        "planned_s": s.seconds,
        "ran_s": (ran.as_secs_f64() * 10.0).round() / 10.0,
        "config": {
            "max_connection_pool_size": POOL_SIZE,
            "connection_acquisition_timeout_s": ACQUISITION_TIMEOUT.as_secs(),
            "connection_timeout_s": CONNECTION_TIMEOUT.as_secs(),
            "connection_read_timeout_s": READ_TIMEOUT.as_secs(),
            "max_retry_time_s": MAX_RETRY_TIME.as_secs(),
            "op_limit_s": workload::OP_LIMIT.as_secs(),
        },
        "operations": outcome.ops_json(),
        "writes": outcome.writes_json(),
        "errors": outcome.errors,
        "error_examples": outcome.error_examples,
        "session_close_errors": outcome.close_errors,
        "read_mismatches": outcome.read_mismatches,
        "hangs": outcome.hangs,
        "stuck_tasks": outcome.stuck_tasks,
        "acquisition": {
            "timeout_ms": ms(ACQUISITION_TIMEOUT),
            "slack_ms": ms(workload::SLACK),
            "measured": acq.samples,
            "max_first_answer_ms": ms(acq.max),
            "max_first_answer_op": acq.max_what,
            "autocommit_client_side_max_ms": ms(acq.client_max),
            "autocommit_client_side_max_op": acq.client_max_what,
            "explicit_begin_max_ms": ms(acq.begin_max),
            "timeouts": acq.timeouts,
            "timeout_error_max_ms": ms(acq.timeout_error_max),
            "violations": acq.violations,
            "slow_errors": acq.slow_errors,
            "managed_max_ms": ms(acq.managed_max),
            "managed_bound_ms": ms(MAX_RETRY_TIME + ACQUISITION_TIMEOUT + READ_TIMEOUT),
            "pool_max_in_use": acq.pool_max_in_use,
            "pool_max_waiting": acq.pool_max_waiting,
            "ok": acq_ok,
        },
        "leaks": {
            "tasks_start": base.tasks, "tasks_end": end.tasks,
            "fds_start": base.fds, "fds_end": end.fds,
            "sockets_start": base.sockets, "sockets_end": end.sockets,
            "ok": leaks_ok,
        },
        "rss_kib": {
            "start": rss_start, "after_60s": after_warmup, "max": rss_max, "end": rss_end,
            "own_log_kib": outcome.log_bytes() / 1024,
            "samples": rss.iter().map(|&(t, kb)| json!([t, kb])).collect::<Vec<Json>>(),
        },
        "verification": verdict.json,
        "pass": pass,
    });
    write_outputs(s, &summary, &outcome)?;
    print_summary(&summary);
    Ok(pass)
}

fn ms(d: Duration) -> u64 {
    d.as_millis() as u64
}

fn write_outputs(s: &Settings, summary: &Json, outcome: &workload::Outcome) -> Result<(), String> {
    if let Some(dir) = s.out.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let text = serde_json::to_string_pretty(summary).map_err(|e| e.to_string())? + "\n";
    std::fs::write(&s.out, text).map_err(|e| format!("cannot write {}: {e}", s.out.display()))?;
    let log = s.out.with_extension("writes.jsonl");
    let mut lines = String::new();
    for w in &outcome.writes {
        lines += &w.to_json().to_string();
        lines.push('\n');
    }
    std::fs::write(&log, lines).map_err(|e| format!("cannot write {}: {e}", log.display()))?;
    println!("soak: wrote {} and {}", s.out.display(), log.display());
    Ok(())
}

fn print_summary(j: &Json) {
    let g = |p: &str| j.pointer(p).cloned().unwrap_or(Json::Null);
    println!("soak: ---- summary (seed {}) ----", g("/seed"));
    println!("soak: ran {} s with {} tasks", g("/ran_s"), g("/tasks"));
    if let Some(ops) = j.get("operations").and_then(Json::as_object) {
        for (k, v) in ops {
            println!("soak:   {k:<18} {v}");
        }
    }
    println!("soak: writes {}", g("/writes"));
    println!("soak: errors {}", g("/errors"));
    println!("soak: verification {}", g("/verification"));
    println!("soak: leaks {}", g("/leaks"));
    println!(
        "soak: RSS KiB start {} after 60 s {} max {} end {} (of which the soak's own write log {})",
        g("/rss_kib/start"),
        g("/rss_kib/after_60s"),
        g("/rss_kib/max"),
        g("/rss_kib/end"),
        g("/rss_kib/own_log_kib")
    );
    let mut acq = g("/acquisition");
    if let Some(o) = acq.as_object_mut() {
        o.remove("samples");
    }
    println!("soak: acquisition {acq}");
    println!(
        "soak: hangs {} stuck tasks {} read mismatches {}",
        g("/hangs"),
        g("/stuck_tasks"),
        g("/read_mismatches")
    );
    println!(
        "soak: {}",
        if g("/pass") == Json::Bool(true) {
            "PASS"
        } else {
            "FAIL"
        }
    );
}
