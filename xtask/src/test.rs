//! `cargo xtask test`: the CI entry point.
//!
//! Stages, in order, stopping at the first failure: `cargo fmt --check`,
//! clippy with `-D warnings`, `cargo test --workspace`, a short fuzz run
//! (`crate::fuzz::smoke`); then real servers
//! (Neo4j 2026.x and 5.26 LTS, ArcadeDB plain and TLS, Neo4j 3.1.1) and the ignored server tests with
//! the `BOLT_TEST_*` variables; then the TestKit subset and TestKit's
//! real-server suite (Neo4j 2026.x and 5.26) when TestKit and our backend
//! are present. Servers are stopped whatever happens.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::server::{self, Kind, Running, Spec};
use crate::testkit;
use crate::testkit_neo4j;
use crate::util::{self, say, Res};

/// Ports of the servers `cargo xtask test` starts.
pub const ARCADEDB_PORT: u16 = 17687;
/// ArcadeDB with Bolt over TLS only.
pub const ARCADEDB_TLS_PORT: u16 = 17688;
/// Neo4j 3.1.1.
pub const NEO4J31_PORT: u16 = 17689;

const USAGE: &str =
    "usage: cargo xtask test [--skip fmt,clippy,test,fuzz,servers,testkit] [--no-servers] [--no-testkit]";
/// Deadline of one cargo command (a cold build of the workspace included).
const CARGO_LIMIT: Duration = Duration::from_secs(45 * 60);
const STAGES: [&str; 6] = ["fmt", "clippy", "test", "fuzz", "servers", "testkit"];

/// Runs `cargo <args>` with extra environment and a deadline, failing on a
/// non-zero exit.
pub fn cargo(args: &[&str], env: &[(String, String)]) -> Res {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    say(format!("cargo {}", args.join(" ")));
    let status = util::run_status(
        Command::new(cargo)
            .args(args)
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
        CARGO_LIMIT,
    )?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`cargo {}` failed ({status})", args.join(" ")))
    }
}

/// The servers of the test stage, as specs.
pub fn test_servers() -> Vec<Spec> {
    let mut plain = Spec::new(Kind::ArcadeDb).port(ARCADEDB_PORT);
    plain.databases = vec!["testdb".into(), "other".into()];
    let mut tls = Spec::new(Kind::ArcadeDb).port(ARCADEDB_TLS_PORT);
    tls.tls = true;
    let neo4j31 = Spec::new(Kind::Neo4j31).port(NEO4J31_PORT);
    // Neo4j serves plain Bolt and TLS on one port each (TLS optional).
    let mut newest = Spec::new(Kind::Neo4j).port(server::NEO4J_PORT);
    newest.tls = true;
    let mut lts = Spec::new(Kind::Neo4j).port(server::NEO4J_LTS_PORT);
    lts.version = server::neo4j::LTS.into();
    lts.tls = true;
    vec![plain, tls, neo4j31, newest, lts]
}

/// Installs (one after the other) and starts `specs` side by side. On any
/// failure the servers already up are stopped (by drop) before returning.
pub fn start_all(specs: &[Spec]) -> Res<Vec<Running>> {
    let mut installed: Vec<(Kind, &str)> = Vec::new();
    for spec in specs {
        if !installed.contains(&(spec.kind, spec.version.as_str())) {
            server::install(spec)?;
            installed.push((spec.kind, spec.version.as_str()));
        }
    }
    let results: Vec<Res<Running>> = std::thread::scope(|scope| {
        let handles: Vec<_> = specs
            .iter()
            .map(|spec| scope.spawn(move || server::start(spec, false)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err("server start panicked".into()))
            })
            .collect()
    });
    let mut running = Vec::new();
    let mut errors = Vec::new();
    for r in results {
        match r {
            Ok(s) => running.push(s),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(running)
    } else {
        drop(running);
        Err(errors.join("\n"))
    }
}

/// Stops every server, reporting all errors.
pub fn stop_all(running: &mut Vec<Running>) -> Res {
    let errors: Vec<String> = running.iter_mut().filter_map(|s| s.stop().err()).collect();
    running.clear();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("; "))
    }
}

/// Entry point of `cargo xtask test`.
pub fn run(args: &[String]) -> Res {
    let mut skip: Vec<String> = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--no-servers" => skip.push("servers".into()),
            "--no-testkit" => skip.push("testkit".into()),
            "--skip" => {
                let v = it.next().ok_or("--skip needs a list of stages")?;
                for stage in v.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                    if !STAGES.contains(&stage) {
                        return Err(format!(
                            "--skip: unknown stage `{stage}` (stages: {})",
                            STAGES.join(",")
                        ));
                    }
                    skip.push(stage.to_owned());
                }
            }
            _ => return Err(format!("unknown option `{a}`\n{USAGE}")),
        }
    }
    let t_all = Instant::now();
    let mut times: Vec<String> = Vec::new();
    for stage in STAGES {
        if skip.iter().any(|s| s == stage) {
            say(format!(
                "stage `{stage}` skipped (asked on the command line)"
            ));
            continue;
        }
        let t0 = Instant::now();
        let result = match stage {
            "fmt" => cargo(&["fmt", "--all", "--", "--check"], &[]),
            "clippy" => cargo(
                &[
                    "clippy",
                    "--workspace",
                    "--all-targets",
                    "--",
                    "-D",
                    "warnings",
                ],
                &[],
            ),
            "test" => cargo(&["test", "--workspace"], &[]),
            "fuzz" => crate::fuzz::smoke(),
            "servers" => server_tests(),
            _ => testkit_stage(),
        };
        let took = util::secs(t0.elapsed());
        match result {
            Ok(()) => say(format!("stage `{stage}` passed in {took}")),
            Err(e) => {
                say(format!("stage `{stage}` FAILED after {took}"));
                return Err(e);
            }
        }
        times.push(format!("{stage} {took}"));
    }
    say(format!(
        "all stages passed in {} ({})",
        util::secs(t_all.elapsed()),
        times.join(", ")
    ));
    Ok(())
}

/// Stage 5 (`servers`): servers up, ignored tests with the `BOLT_TEST_*` variables,
/// servers down (also when the tests fail).
fn server_tests() -> Res {
    let t0 = Instant::now();
    let mut running = start_all(&test_servers())?;
    say(format!("servers up in {}", util::secs(t0.elapsed())));
    let states: Vec<_> = running.iter().map(|r| r.state.clone()).collect();
    let env = server::env_vars(&states);
    for (k, v) in &env {
        say(format!("  {k}={v}"));
    }
    let tested = cargo(&["test", "--workspace", "--", "--ignored"], &env);
    let stopped = stop_all(&mut running);
    tested.and(stopped)
}

/// The TestKit folders `cargo xtask test` runs: a representative subset
/// that keeps CI well inside its time limit (the whole stub suite takes about
/// an hour here; `cargo xtask testkit` runs it on demand).
pub const CI_SUBSET: &[&str] = &[
    "session_run",
    "basic_query",
    "tx_run",
    "retry",
    "iteration",
    "summary",
    "errors",
    "versions",
    "bookmarks",
    "routing",
    // Home database resolution per session (4 tests, about 15 s).
    "homedb",
    // Connection acquisition timeout, liveness check (with fake time),
    // pool size, agents, telemetry (about 5 min); the server's receive
    // timeout hint (about 3 min).
    "driver_parameters",
    "configuration_hints",
    // The TLS suite (about 10 s): xtask builds TestKit's Go TLS server and
    // gives the backend TestKit's trusted root as its system CAs.
    "tls",
];

/// Stage 6 (`testkit`): TestKit's CI subset, then its whole real-server suite
/// (`tests/neo4j`, about 100 s per version with the server's start)
/// against Neo4j 2026.x and 5.26, each started on its own port
/// ([`testkit_neo4j::PORT`]) after stage 4's servers are gone; or a
/// printed reason why TestKit cannot run yet.
fn testkit_stage() -> Res {
    let opts = testkit::Options {
        filters: CI_SUBSET.iter().map(|s| s.to_string()).collect(),
        ..testkit::Options::default()
    };
    let stub = testkit::run(&opts);
    if let Err(testkit::Problem::Unavailable(why)) = &stub {
        say(format!("TestKit SKIPPED: {why}"));
        return Ok(());
    }
    let real = testkit_neo4j::run(&testkit_neo4j::Neo4jOptions::default());
    let mut errors = Vec::new();
    for result in [stub, real] {
        match result {
            Ok(()) => {}
            Err(testkit::Problem::Unavailable(why)) => {
                say(format!("TestKit tests/neo4j SKIPPED: {why}"))
            }
            Err(testkit::Problem::Failed(e)) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("\n"))
    }
}
