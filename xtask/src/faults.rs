//! `cargo xtask faults`: the fault-injection suite (`crates/neo4j/tests/faults`,
//! docs/reliability.md) against Neo4j 2026.x, the 5.26 LTS and ArcadeDB.
//!
//! Starts those three servers as `cargo xtask test` does (or, with
//! `--no-servers`, uses the `BOLT_TEST_*` variables already exported),
//! runs the suite with its output shown, stops the servers whatever
//! happens and names the tables the suite wrote
//! (`target/fault-injection/<server>.md`). `--log` sets `FAULTS_LOG=1`:
//! every message each proxy forwards is printed.

use std::time::Instant;

use crate::server::{self, Kind};
use crate::test::{cargo, start_all, stop_all, test_servers};
use crate::util::{self, say, Res};

const USAGE: &str = "usage: cargo xtask faults [--no-servers] [--log]";

/// Entry point of `cargo xtask faults`.
pub fn run(args: &[String]) -> Res {
    let mut start = true;
    let mut log = false;
    for a in args {
        match a.as_str() {
            "--no-servers" => start = false,
            "--log" => log = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            _ => return Err(format!("unknown option `{a}`\n{USAGE}")),
        }
    }
    let t0 = Instant::now();
    let mut running = Vec::new();
    let mut env = Vec::new();
    if start {
        // The suite's servers: both Neo4j and plain ArcadeDB (not the TLS
        // ArcadeDB nor Neo4j 3.1.1).
        let specs: Vec<_> = test_servers()
            .into_iter()
            .filter(|s| s.kind == Kind::Neo4j || (s.kind == Kind::ArcadeDb && !s.tls))
            .collect();
        running = start_all(&specs)?;
        say(format!("servers up in {}", util::secs(t0.elapsed())));
        let states: Vec<_> = running.iter().map(|r| r.state.clone()).collect();
        env = server::env_vars(&states);
    }
    if log {
        env.push(("FAULTS_LOG".into(), "1".into()));
    }
    let tested = cargo(
        &[
            "test",
            "-p",
            "neo4j",
            "--test",
            "faults",
            "--",
            "--ignored",
            "--nocapture",
        ],
        &env,
    );
    let stopped = stop_all(&mut running);
    say("tables: target/fault-injection/{newest,lts,arcadedb}.md");
    say(format!("faults done in {}", util::secs(t0.elapsed())));
    tested.and(stopped)
}
