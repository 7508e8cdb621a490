//! Project automation, run as `cargo xtask <command>`.
//!
//! - `test`: formatting, lints, unit tests, then the server tests against
//!   real servers, then the TestKit subset (the CI entry point).
//! - `server start|stop|status|env`: Neo4j 2026.x and 5.26, ArcadeDB and
//!   Neo4j 3.1.1 on 127.0.0.1.
//! - `testkit`: the Neo4j TestKit stub and TLS suites against our backend;
//!   `testkit neo4j`: its real-server suite against Neo4j 2026.x and 5.26.
//! - `demo`: the README's first command.
//! - `bench`: our driver against its peers on the same servers (docs/benchmarks.md).
//! - `fuzz`: the cargo-fuzz targets of `fuzz/`, one after the other
//!   (docs/reliability.md).
//! - `faults`: the fault-injection suite against Neo4j 2026.x, 5.26 and
//!   ArcadeDB (docs/reliability.md).
//! - `soak`: a mixed workload against a Neo4j that is killed and restarted
//!   meanwhile, then checks of every write's answer, leaks and memory
//!   (docs/reliability.md).
//!
//! Everything xtask installs goes under `target/` (servers) or the user's
//! cache directory (TestKit); everything it starts binds 127.0.0.1.

mod bench;
mod demo;
mod faults;
mod fuzz;
mod server;
mod soak;
mod test;
mod testkit;
mod testkit_neo4j;
mod util;

use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask <command>
  test                       fmt, clippy, tests, server tests, TestKit subset (CI)
  server start|stop|status|env  real servers under target/servers (see `server help`)
  testkit [FILTER...] [--list-failures] [--strict]   TestKit stub + TLS suites
  testkit neo4j [--version 2026|5.26|both] [FILTER...]   TestKit's real-server suite
  demo [--server neo4j|arcadedb]   start Neo4j (or ArcadeDB) and run the quickstart example
  bench [--quick] [--workload W] [--peer P] [--server S]   driver benchmarks vs peers
  fuzz [TARGET...] [--time S] [--runs N] [--asan]   fuzz targets, S seconds each (default 60)
  faults [--no-servers] [--log]   fault injection through bolt-proxy against Neo4j and ArcadeDB
  soak [--minutes N] [--seed S] [--port P]   workload against a Neo4j killed and restarted meanwhile";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rest = args.get(1..).unwrap_or_default();
    let result = match args.first().map(String::as_str) {
        Some("test") => test::run(rest),
        Some("server") => server::cli(rest),
        Some("testkit") => testkit::cli(rest),
        Some("demo") => demo::run(rest),
        Some("bench") => bench::cli(rest),
        Some("fuzz") => fuzz::cli(rest),
        Some("faults") => faults::run(rest),
        Some("soak") => soak::cli(rest),
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            Ok(())
        }
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: error: {e}");
            ExitCode::FAILURE
        }
    }
}
