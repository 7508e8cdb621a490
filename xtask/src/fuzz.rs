//! `cargo xtask fuzz`: builds the cargo-fuzz targets of `fuzz/` and runs
//! each for a while, one after the other (one libFuzzer process at a
//! time), and the short smoke run of `cargo xtask test`.
//!
//! Owns installing cargo-fuzz (from crates.io, when missing), building the
//! targets with `RUSTC_BOOTSTRAP=1` on the stable toolchain, the corpora
//! under `target/fuzz-corpus/<target>` (seeded from the committed
//! `fuzz/seeds/<target>`), crash artifacts under
//! `target/fuzz-artifacts/<target>/` and libFuzzer logs under
//! `target/fuzz-logs/`. Knows nothing about what a target tests
//! (`fuzz/fuzz_targets/*.rs` and docs/reliability.md say that).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::{self, say, Res};

/// Every target, in the order they run.
pub const TARGETS: [&str; 5] = [
    "packstream_decode",
    "bolt_framing",
    "bolt_messages",
    "handshake",
    "session",
];

/// Seconds per target of the smoke run in `cargo xtask test`.
pub const SMOKE_SECS: u64 = 15;

const USAGE: &str = "usage: cargo xtask fuzz [TARGET...] [--time S] [--runs N] [--asan]
  targets: packstream_decode bolt_framing bolt_messages handshake session (default: all)
  --time S   seconds per target (default 60; with --runs alone: no time limit)
  --runs N   stop a target after N executions
  --asan     build with AddressSanitizer (default: no sanitizer; our crates forbid unsafe code)";

/// A deadline for installing and building (a cold build takes minutes),
/// the same as every cargo command of `cargo xtask test`.
const BUILD_LIMIT: Duration = Duration::from_secs(45 * 60);
/// What libFuzzer may use before an input counts as an out-of-memory finding.
const RSS_LIMIT_MB: u32 = 2048;
/// Seconds one input may take before it counts as a hang.
const HANG_SECS: u32 = 10;

/// What to run.
#[derive(Debug, Clone)]
pub struct Options {
    /// Targets to run, in order.
    pub targets: Vec<String>,
    /// Seconds per target (`None`: no time limit, `runs` must be set).
    pub time: Option<u64>,
    /// Executions per target.
    pub runs: Option<u64>,
    /// Build with AddressSanitizer.
    pub asan: bool,
}

/// What one target's run did.
#[derive(Debug, Default)]
struct Outcome {
    execs: u64,
    per_sec: u64,
    took: Duration,
    corpus: usize,
    crash: Option<String>,
}

/// Entry point of `cargo xtask fuzz`.
pub fn cli(args: &[String]) -> Res {
    let mut opts = Options {
        targets: Vec::new(),
        time: None,
        runs: None,
        asan: false,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--time" => opts.time = Some(number(it.next(), "--time")?),
            "--runs" => opts.runs = Some(number(it.next(), "--runs")?),
            "--asan" => opts.asan = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            t if TARGETS.contains(&t) => opts.targets.push(t.to_owned()),
            _ => return Err(format!("unknown target or option `{a}`\n{USAGE}")),
        }
    }
    if opts.targets.is_empty() {
        opts.targets = TARGETS.iter().map(|t| t.to_string()).collect();
    }
    if opts.time.is_none() && opts.runs.is_none() {
        opts.time = Some(60);
    }
    ensure_cargo_fuzz()?;
    run(&opts)
}

fn number(v: Option<&String>, what: &str) -> Res<u64> {
    v.and_then(|v| v.parse().ok())
        .ok_or_else(|| format!("{what} needs a number\n{USAGE}"))
}

/// The `fuzz` stage of `cargo xtask test`: every target for
/// [`SMOKE_SECS`] seconds. Skips (with a printed reason) when cargo-fuzz
/// cannot be installed; fails on a crash.
pub fn smoke() -> Res {
    if let Err(why) = ensure_cargo_fuzz() {
        say(format!("fuzz SKIPPED: cargo-fuzz is not available: {why}"));
        return Ok(());
    }
    run(&Options {
        targets: TARGETS.iter().map(|t| t.to_string()).collect(),
        time: Some(SMOKE_SECS),
        runs: None,
        asan: false,
    })
}

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

/// Installs cargo-fuzz from crates.io unless `cargo fuzz` already works.
fn ensure_cargo_fuzz() -> Res {
    let works = |c: &mut Command| {
        c.args(["fuzz", "--version"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if works(&mut cargo()) {
        return Ok(());
    }
    say("cargo-fuzz not found; installing it: cargo install cargo-fuzz --locked (a few minutes)");
    util::run(
        cargo().args(["install", "cargo-fuzz", "--locked"]),
        BUILD_LIMIT,
    )?;
    if works(&mut cargo()) {
        Ok(())
    } else {
        Err("`cargo fuzz --version` still fails after installing cargo-fuzz".into())
    }
}

/// The build directory: one per sanitizer, so switching does not rebuild.
fn build_dir(asan: bool) -> PathBuf {
    util::target_dir().join(if asan { "fuzz-asan" } else { "fuzz" })
}

fn host_triple() -> Res<String> {
    let out = util::output(
        Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into())).arg("-vV"),
        Duration::from_secs(60),
    )?;
    out.lines()
        .find_map(|l| l.strip_prefix("host: "))
        .map(str::to_owned)
        .ok_or_else(|| "`rustc -vV` printed no host triple".into())
}

/// Builds every target (release, debug assertions on, as cargo-fuzz does).
fn build(asan: bool) -> Res<PathBuf> {
    let root = util::workspace_root();
    let dir = build_dir(asan);
    let t0 = Instant::now();
    let mut cmd = cargo();
    cmd.current_dir(&root)
        .env("RUSTC_BOOTSTRAP", "1")
        .args(["fuzz", "build", "--fuzz-dir", "fuzz", "-s"])
        .arg(if asan { "address" } else { "none" })
        .arg("--target-dir")
        .arg(&dir);
    say(format!(
        "building the fuzz targets: {}",
        util::describe(&cmd)
    ));
    util::run(&mut cmd, BUILD_LIMIT)?;
    say(format!(
        "fuzz targets built in {}",
        util::secs(t0.elapsed())
    ));
    Ok(dir.join(host_triple()?).join("release"))
}

/// Builds, then runs each target in turn; fails if any crashed.
pub fn run(opts: &Options) -> Res {
    let bin_dir = build(opts.asan)?;
    let root = util::workspace_root();
    let mut crashes = Vec::new();
    let mut lines = Vec::new();
    for target in &opts.targets {
        let o = run_one(&bin_dir.join(target), &root, target, opts)?;
        let line = format!(
            "{target}: {} execs in {} ({}/s), corpus {} inputs, {}",
            o.execs,
            util::secs(o.took),
            o.per_sec,
            o.corpus,
            match &o.crash {
                Some(a) => format!("CRASH: {a}"),
                None => "no crash".into(),
            }
        );
        say(&line);
        lines.push(line);
        if let Some(a) = o.crash {
            crashes.push(format!("{target}: {a}"));
        }
    }
    say("fuzz summary:");
    for l in &lines {
        say(format!("  {l}"));
    }
    if crashes.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "fuzzing found {} crash(es); reproduce with the target binary and the artifact:\n{}",
            crashes.len(),
            crashes.join("\n")
        ))
    }
}

fn run_one(bin: &Path, root: &Path, target: &str, opts: &Options) -> Res<Outcome> {
    let corpus = util::target_dir().join("fuzz-corpus").join(target);
    let artifacts = util::target_dir().join("fuzz-artifacts").join(target);
    let logs = util::target_dir().join("fuzz-logs");
    for d in [&corpus, &artifacts, &logs] {
        util::mkdir(d)?;
    }
    let log = logs.join(format!("{target}.log"));
    let log_file =
        std::fs::File::create(&log).map_err(|e| format!("cannot create {}: {e}", log.display()))?;
    let mut cmd = Command::new(bin);
    cmd.current_dir(root)
        .arg(&corpus)
        .arg(root.join("fuzz/seeds").join(target))
        .arg(format!("-rss_limit_mb={RSS_LIMIT_MB}"))
        .arg(format!("-timeout={HANG_SECS}"))
        .arg(format!("-artifact_prefix={}/", artifacts.display()))
        .arg("-print_final_stats=1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log_file);
    if let Some(t) = opts.time {
        cmd.arg(format!("-max_total_time={t}"));
    }
    if let Some(n) = opts.runs {
        cmd.arg(format!("-runs={n}"));
    }
    // libFuzzer stops itself; the deadline only catches a stuck process.
    let limit = match opts.time {
        Some(t) => Duration::from_secs(t + 600),
        None => Duration::from_secs(7 * 24 * 3600),
    };
    say(format!(
        "fuzzing {target} ({}; log: {})",
        match (opts.time, opts.runs) {
            (Some(t), Some(n)) => format!("{t}s or {n} runs"),
            (Some(t), None) => format!("{t}s"),
            (None, Some(n)) => format!("{n} runs"),
            (None, None) => "no limit".into(),
        },
        log.display()
    ));
    let t0 = Instant::now();
    let status = util::run_status(&mut cmd, limit)?;
    let took = t0.elapsed();
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    let stat = |key: &str| -> u64 {
        text.lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0)
    };
    let mut o = Outcome {
        execs: stat("stat::number_of_executed_units:"),
        per_sec: stat("stat::average_exec_per_sec:"),
        took,
        corpus: std::fs::read_dir(&corpus).map(|d| d.count()).unwrap_or(0),
        crash: None,
    };
    if !status.success() {
        let artifact = text
            .lines()
            .find_map(|l| l.split("Test unit written to ").nth(1))
            .map(str::to_owned);
        eprintln!("{}", util::tail(&text, 40));
        o.crash =
            Some(artifact.unwrap_or_else(|| {
                format!("{target} exited with {status}; see {}", log.display())
            }));
    }
    Ok(o)
}
