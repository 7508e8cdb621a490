//! `cargo xtask soak [--minutes N] [--seed S] [--port P]`: the soak test
//! (docs/reliability.md, "Soak"). Not part of `cargo xtask test`.
//!
//! This module owns the server side of the soak: it builds the workload
//! (the `soak` crate, a binary that depends on the driver, which xtask
//! does not), starts a Neo4j 2026.x of its own on a fresh data directory
//! (port 17696 by default, apart from the shared test servers), runs the
//! workload against it, and while the workload runs kills the JVM with
//! SIGKILL and starts it again on the same data (Neo4j recovers it) at
//! moments drawn from the seed. When the workload says its time is up
//! the server is left running for its checks, then stopped; the kills
//! are added to the workload's JSON summary.
//!
//! No JVM outlives the run: the server shares xtask's process group
//! (Ctrl-C reaches it too and its shutdown hook stops it), every error
//! path stops it (`Running` stops on drop), and a small `sh` watchdog in
//! a process group of its own stops it if xtask itself dies some other
//! way (SIGKILL). The workload exits when its stdin (a pipe from xtask) closes.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::server::{self, neo4j, Kind, Running, Spec};
use crate::util::{self, say, Res};

/// The soak's own Neo4j port (the tests use 17690 and 17692).
const DEFAULT_PORT: u16 = 17696;
/// How long the server stays up between kills: seconds, drawn from this range.
const UP_S: (u64, u64) = (30, 90);
/// How long it stays down before the restart begins: milliseconds.
const DOWN_MS: (u64, u64) = (1000, 5000);
/// How long the workload gets for its checks after its time is up.
const CHECKS_LIMIT: Duration = Duration::from_secs(20 * 60);

const USAGE: &str = "usage: cargo xtask soak [--minutes N] [--seed S] [--port P]
  A mixed workload (64 tasks) against a Neo4j 2026.x of its own that is killed
  (SIGKILL) and restarted at random moments; then checks every write's answer
  against the database, leaks, memory and waits. Default 10 minutes, a seed
  from the clock, port 17696. Results in target/soak/<seed>/.";

/// The seeded generator of the kill schedule (SplitMix64).
struct Rng(u64);

impl Rng {
    fn between(&mut self, lo: u64, hi: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        lo + (z ^ (z >> 31)) % (hi - lo + 1)
    }
}

/// What the workload's stdout tells.
enum Event {
    Started,
    Done,
    Ended,
}

/// The workload process; killed if still running when dropped.
struct Workload {
    child: Child,
    // Held open: the workload exits when it closes.
    _stdin: Option<ChildStdin>,
}

impl Drop for Workload {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Entry point of `cargo xtask soak`.
pub fn cli(args: &[String]) -> Res {
    let mut minutes = 10.0_f64;
    let mut seed = None;
    let mut port = DEFAULT_PORT;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |flag: &str| it.next().ok_or_else(|| format!("{flag} needs a value"));
        match a.as_str() {
            "--minutes" => {
                let v = value("--minutes")?;
                minutes = v
                    .parse()
                    .ok()
                    .filter(|m: &f64| *m > 0.0 && m.is_finite())
                    .ok_or_else(|| format!("--minutes: `{v}` is not a positive number"))?;
            }
            "--seed" => {
                let v = value("--seed")?;
                seed = Some(
                    v.parse::<u64>()
                        .map_err(|_| format!("--seed: `{v}` is not a number"))?,
                );
            }
            "--port" => {
                let v = value("--port")?;
                port = v
                    .parse()
                    .ok()
                    .filter(|&p| p > 0)
                    .ok_or_else(|| format!("--port: `{v}` is not a port number"))?;
            }
            "-h" | "--help" | "help" => {
                println!("{USAGE}");
                return Ok(());
            }
            other => return Err(format!("unknown option `{other}`\n{USAGE}")),
        }
    }
    let seed = seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64 % 1_000_000_000)
            .unwrap_or(1)
    });
    let seconds = (minutes * 60.0).round().max(1.0) as u64;
    say(format!(
        "soak: seed {seed} (again with --seed {seed}), {seconds} s, Neo4j on 127.0.0.1:{port}"
    ));
    run(seed, seconds, port, minutes)
}

fn run(seed: u64, seconds: u64, port: u16, minutes: f64) -> Res {
    // A debug build: the workload's cost is small next to the JVM's, the
    // build reuses what the tests built, and overflow checks and debug
    // assertions stay on for a run meant to find defects.
    say("building the soak workload (cargo build -p soak)");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    util::run(
        Command::new(cargo)
            .current_dir(util::workspace_root())
            .args(["build", "-p", "soak"]),
        Duration::from_secs(3600),
    )?;
    let bin = util::target_dir().join("debug").join("soak");
    let out_dir = util::target_dir().join("soak").join(seed.to_string());
    util::rmdir(&out_dir)?;
    util::mkdir(&out_dir)?;
    let summary_file = out_dir.join("summary.json");
    let date = util::output(
        Command::new("date").args(["-u", "+%Y-%m-%dT%H:%M:%SZ"]),
        Duration::from_secs(5),
    )
    .map(|d| d.trim().to_owned())
    .unwrap_or_default();

    let _watchdog = Watchdog(watchdog()?);
    let mut spec = Spec::new(Kind::Neo4j).port(port);
    spec.version = neo4j::NEWEST.into();
    let mut server = server::start(&spec, false)?;
    let version = server.state.version.clone().unwrap_or_default();

    let mut child = Command::new(&bin)
        .env("SOAK_URI", format!("bolt://127.0.0.1:{port}"))
        .env("SOAK_USER", server.state.user.clone().unwrap_or_default())
        .env(
            "SOAK_PASSWORD",
            server.state.password.clone().unwrap_or_default(),
        )
        .env("SOAK_SEED", seed.to_string())
        .env("SOAK_SECONDS", seconds.to_string())
        .env("SOAK_OUT", &summary_file)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", bin.display()))?;
    let stdout = child.stdout.take().ok_or("no stdout pipe")?;
    let stdin = child.stdin.take();
    let mut workload = Workload {
        child,
        _stdin: stdin,
    };
    let (tx, events) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let event = match line.as_str() {
                "SOAK started" => Some(Event::Started),
                "SOAK workload-done" => Some(Event::Done),
                _ => None,
            };
            println!("{line}");
            if let Some(e) = event {
                let _ = tx.send(e);
            }
        }
        let _ = tx.send(Event::Ended);
    });

    // Wait for the workload to start (it makes an index first).
    match events.recv_timeout(Duration::from_secs(300)) {
        Ok(Event::Started) => {}
        _ => return Err("the workload did not start; see its output above".into()),
    }
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let mut rng = Rng(seed ^ 0x50A4_C0DE);
    let mut kills = Vec::new();
    loop {
        let up = Duration::from_secs(rng.between(UP_S.0, UP_S.1));
        let until = (Instant::now() + up).min(deadline);
        if over(&events, until) || Instant::now() >= deadline {
            break;
        }
        let at = started.elapsed();
        let pid = server.state.pid;
        server.kill()?;
        let n = kills.len() + 1;
        say(format!(
            "soak: {:.1} s: kill -9 of Neo4j (pid {pid}), kill {n}",
            at.as_secs_f64()
        ));
        keep_log(&server.state.log, &out_dir, n);
        let down = Duration::from_millis(rng.between(DOWN_MS.0, DOWN_MS.1));
        let ended = over(&events, Instant::now() + down);
        let t = Instant::now();
        spec.keep_data = true;
        server = server::start(&spec, false)
            .map_err(|e| format!("restarting Neo4j after kill {n} failed: {e}"))?;
        let restart = t.elapsed();
        let back = started.elapsed();
        say(format!(
            "soak: {:.1} s: Neo4j back (pid {}), down {:.1} s (restart {:.1} s)",
            back.as_secs_f64(),
            server.state.pid,
            (back - at).as_secs_f64(),
            restart.as_secs_f64()
        ));
        kills.push(json!({
            "at_s": round1(at),
            "pid": pid,
            "down_s": round1(back - at),
            "restart_s": round1(restart),
        }));
        if ended {
            break;
        }
    }
    say(format!(
        "soak: {} kills; no more; waiting for the workload's checks",
        kills.len()
    ));
    let t = Instant::now();
    let status = loop {
        match workload.child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if t.elapsed() > CHECKS_LIMIT => break None,
            Ok(None) => std::thread::sleep(Duration::from_millis(200)),
            Err(e) => return Err(format!("cannot wait for the workload: {e}")),
        }
    };
    drop(workload);
    stop(&mut server, &out_dir, kills.len() + 1);
    // Neo4j's own log of every life (recoveries included): the next fresh
    // start on this port wipes it.
    let debug_log = util::servers_dir()
        .join(format!("neo4j-{port}"))
        .join("data-home/logs/debug.log");
    if let Err(e) = std::fs::copy(&debug_log, out_dir.join("debug.log")) {
        say(format!("soak: cannot keep {}: {e}", debug_log.display()));
    }
    let merged = merge_summary(&summary_file, &kills, &version, port, minutes, &date);
    let status = status.ok_or_else(|| {
        format!(
            "the workload's checks did not end within {} min; killed",
            CHECKS_LIMIT.as_secs() / 60
        )
    })?;
    merged?;
    say(format!(
        "soak: {} kills; summary {}, write log {}, server logs neo4j-*.log and debug.log in {}",
        kills.len(),
        summary_file.display(),
        summary_file.with_extension("writes.jsonl").display(),
        out_dir.display()
    ));
    if status.success() {
        say("soak: PASS");
        Ok(())
    } else {
        Err(format!("soak: FAIL (workload {status}); see the summary"))
    }
}

/// Waits until `until` for the workload to say it is done (or end);
/// true if it did.
fn over(events: &Receiver<Event>, until: Instant) -> bool {
    loop {
        let left = until.saturating_duration_since(Instant::now());
        match events.recv_timeout(left) {
            Ok(Event::Done | Event::Ended) | Err(RecvTimeoutError::Disconnected) => return true,
            Ok(Event::Started) => {}
            Err(RecvTimeoutError::Timeout) => return false,
        }
    }
}

fn stop(server: &mut Running, out_dir: &Path, n: usize) {
    if let Err(e) = server.stop() {
        say(format!("soak: stopping Neo4j: {e}"));
    }
    keep_log(&server.state.log, out_dir, n);
}

/// Keeps the log of the server's `n`th life (the next start truncates it).
fn keep_log(log: &Path, out_dir: &Path, n: usize) {
    let to = out_dir.join(format!("neo4j-{n}.log"));
    if let Err(e) = std::fs::copy(log, &to) {
        say(format!("soak: cannot keep {}: {e}", log.display()));
    }
}

/// A shell that stops the servers xtask started should xtask die
/// without doing so (killed on its own, not by Ctrl-C): every second it
/// notes xtask's child processes that run the Neo4j launcher (but itself,
/// whose script names the launcher too), and once
/// xtask is gone it stops those (SIGTERM, SIGKILL 20 s later). In a
/// process group of its own, so that Ctrl-C leaves it to do its job;
/// xtask kills it at the end of a run.
fn watchdog() -> Res<Child> {
    use std::os::unix::process::CommandExt;
    const SCRIPT: &str = r#"launcher() { grep -qa XtaskNeo4j "/proc/$1/cmdline" 2>/dev/null; }
pids=""
while grep -qa . "/proc/$1/cmdline" 2>/dev/null; do
  seen=""
  for p in $(ps -o pid= --ppid "$1" 2>/dev/null); do
    [ "$p" != "$$" ] && launcher "$p" && seen="$seen $p"
  done
  pids="$seen"
  sleep 1
done
for p in $pids; do launcher "$p" && kill -TERM "$p"; done
sleep 20
for p in $pids; do launcher "$p" && kill -KILL "$p"; done"#;
    Command::new("sh")
        .args(["-c", SCRIPT, "xtask-soak-watchdog"])
        .arg(std::process::id().to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .map_err(|e| format!("cannot start the watchdog shell: {e}"))
}

/// Kills the watchdog when the run ends, however it ends.
struct Watchdog(Child);

impl Drop for Watchdog {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn round1(d: Duration) -> f64 {
    (d.as_secs_f64() * 10.0).round() / 10.0
}

/// Adds the server's side to the workload's summary.
fn merge_summary(
    file: &PathBuf,
    kills: &[Value],
    version: &str,
    port: u16,
    minutes: f64,
    date: &str,
) -> Res {
    let text = std::fs::read_to_string(file)
        .map_err(|e| format!("the workload wrote no summary ({}): {e}", file.display()))?;
    let mut summary: Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", file.display()))?;
    let down: f64 = kills
        .iter()
        .filter_map(|k| k["down_s"].as_f64())
        .sum::<f64>();
    summary["command"] = json!(format!("cargo xtask soak --minutes {minutes}"));
    summary["date"] = json!(date);
    summary["server"] = json!({
        "neo4j": version,
        "port": port,
        "kills": kills.len(),
        "down_s_total": (down * 10.0).round() / 10.0,
        "schedule": kills,
    });
    let text = serde_json::to_string_pretty(&summary).map_err(|e| e.to_string())? + "\n";
    std::fs::write(file, text).map_err(|e| format!("cannot write {}: {e}", file.display()))
}
