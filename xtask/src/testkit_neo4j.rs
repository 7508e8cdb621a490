//! `cargo xtask testkit neo4j [--version 2026|5.26|both] [--port P]
//! [FILTER...]`: TestKit's real-server suite (`tests/neo4j`) against our
//! backend and a real Neo4j Community that this module starts and stops.
//!
//! This module owns the choice of servers and TestKit's `TEST_NEO4J_*`
//! variables for them; installing and starting Neo4j is [`crate::server`]'s,
//! running TestKit (backend, venv, runner) is [`crate::testkit`]'s. The
//! versions run one after the other on the same port, each with a fresh
//! server (the suite creates nodes).

use std::time::Instant;

use crate::server::{self, Kind, Spec, State};
use crate::testkit::{self, Options, Problem};
use crate::util::{self, say, Res};

/// The Bolt port of the server this suite starts (one at a time): not one
/// of the ports `cargo xtask test`'s server stage uses.
pub const PORT: u16 = 17694;

/// Every version line, in the order `both` runs them.
pub const VERSIONS: [&str; 2] = [server::neo4j::NEWEST, server::neo4j::LTS];

const USAGE: &str = "usage: cargo xtask testkit neo4j [--version 2026|5.26|both] [--port P] \
[--list-failures] [--backend-running] [FILTER...]\n\
FILTER: a module or class below tests.neo4j (test_tx_run, datatypes, \
test_summary.TestSummary.test_agent_string) or a full tests.neo4j... name; default: all of tests/neo4j.\n\
Starts Neo4j Community (2026.x, then 5.26 by default) on 127.0.0.1:P (default 17694), \
runs the suite, stops the server.";

/// Options of one `testkit neo4j` run.
pub struct Neo4jOptions {
    /// Version lines (`2026`, `5.26`) or exact versions, run in order.
    pub versions: Vec<String>,
    /// The Bolt port of the server.
    pub port: u16,
    /// Below `tests.neo4j`; empty: the whole suite.
    pub filters: Vec<String>,
    /// List each failing test.
    pub list_failures: bool,
    /// Use a backend already listening.
    pub backend_running: bool,
}

impl Default for Neo4jOptions {
    fn default() -> Self {
        Neo4jOptions {
            versions: VERSIONS.iter().map(|v| v.to_string()).collect(),
            port: PORT,
            filters: Vec::new(),
            list_failures: false,
            backend_running: false,
        }
    }
}

/// Entry point of `cargo xtask testkit neo4j ...`.
pub fn cli(args: &[String]) -> Res {
    let mut opts = Neo4jOptions::default();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--version" => {
                let v = it.next().ok_or("--version needs 2026, 5.26 or both")?;
                opts.versions = match v.as_str() {
                    "both" => VERSIONS.iter().map(|v| v.to_string()).collect(),
                    one => {
                        server::neo4j::maven_version(one)?;
                        vec![one.to_owned()]
                    }
                };
            }
            "--port" => {
                let p = it.next().ok_or("--port needs a port")?;
                opts.port = p
                    .parse()
                    .map_err(|_| format!("--port `{p}` is not a port"))?;
            }
            "--list-failures" => opts.list_failures = true,
            "--backend-running" => opts.backend_running = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            f if f.starts_with('-') => {
                return Err(format!("unknown option `{f}` for testkit neo4j\n{USAGE}"))
            }
            f => opts.filters.push(f.to_owned()),
        }
    }
    match run(&opts) {
        Ok(()) => Ok(()),
        Err(Problem::Unavailable(e)) | Err(Problem::Failed(e)) => Err(e),
    }
}

/// A filter as a dotted unittest name below `tests.neo4j`.
fn selector(filter: &str) -> String {
    if filter == "neo4j" {
        "tests.neo4j".into()
    } else if filter.starts_with("tests.") {
        filter.into()
    } else {
        format!("tests.neo4j.{filter}")
    }
}

/// TestKit's variables for the server in `state` (see TestKit's
/// `tests/neo4j/shared.py`): Community edition, no cluster, plain Bolt.
pub fn testkit_env(state: &State) -> Vec<(String, String)> {
    let pairs = [
        ("TEST_NEO4J_HOST", "127.0.0.1".to_owned()),
        ("TEST_NEO4J_PORT", state.port.to_string()),
        ("TEST_NEO4J_SCHEME", "bolt".into()),
        (
            "TEST_NEO4J_USER",
            state.user.clone().unwrap_or_else(|| "neo4j".into()),
        ),
        (
            "TEST_NEO4J_PASS",
            state
                .password
                .clone()
                .unwrap_or_else(|| server::DEFAULT_PASSWORD.into()),
        ),
        (
            "TEST_NEO4J_VERSION",
            testkit_version(state.version.as_deref().unwrap_or_default()),
        ),
        ("TEST_NEO4J_EDITION", "community".into()),
        ("TEST_NEO4J_CLUSTER", "false".into()),
        // The embedded server has no HTTP connector: the port of the test
        // that expects a Bolt connection to an HTTP port to fail (it is
        // refused instead).
        ("TEST_NEO4J_HTTP_PORT", state.http_port.to_string()),
    ];
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

/// The version as TestKit wants it: major.minor (`5.26`, `2026.08`).
/// TestKit compares `Neo4j/<it>` with the server agent cut after its
/// minor version, and reads the Bolt versions the server speaks from it.
fn testkit_version(exact: &str) -> String {
    exact.split('.').take(2).collect::<Vec<_>>().join(".")
}

/// Runs the suite against each version in turn, each on a fresh server.
/// Every version runs even when an earlier one failed.
pub fn run(opts: &Neo4jOptions) -> Result<(), Problem> {
    let t_all = Instant::now();
    let filters: Vec<String> = if opts.filters.is_empty() {
        vec!["tests.neo4j".into()]
    } else {
        opts.filters.iter().map(|f| selector(f)).collect()
    };
    let mut failed = Vec::new();
    let mut times = Vec::new();
    for version in &opts.versions {
        let t0 = Instant::now();
        let mut spec = Spec::new(Kind::Neo4j).port(opts.port);
        spec.version = version.clone();
        let mut running = server::start(&spec, false).map_err(Problem::Failed)?;
        let exact = running.state.version.clone().unwrap_or_default();
        say(format!(
            "TestKit tests/neo4j against Neo4j {exact} Community on 127.0.0.1:{}",
            opts.port
        ));
        let run_opts = Options {
            filters: filters.clone(),
            list_failures: opts.list_failures,
            backend_running: opts.backend_running,
            env: testkit_env(&running.state),
            results: Some(format!("results-neo4j-{version}")),
            ..Options::default()
        };
        let result = testkit::run(&run_opts);
        let stopped = running.stop();
        let took = util::secs(t0.elapsed());
        times.push(format!("Neo4j {exact} {took}"));
        match result {
            Ok(()) => {}
            Err(Problem::Unavailable(e)) => return Err(Problem::Unavailable(e)),
            Err(Problem::Failed(e)) => failed.push(format!("Neo4j {exact}: {e}")),
        }
        if let Err(e) = stopped {
            failed.push(format!("stopping Neo4j {exact}: {e}"));
        }
    }
    say(format!(
        "TestKit tests/neo4j took {} ({})",
        util::secs(t_all.elapsed()),
        times.join(", ")
    ));
    if failed.is_empty() {
        Ok(())
    } else {
        Err(Problem::Failed(failed.join("\n")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_name_tests_below_tests_neo4j() {
        assert_eq!(selector("test_tx_run"), "tests.neo4j.test_tx_run");
        assert_eq!(
            selector("datatypes.test_temporal_types"),
            "tests.neo4j.datatypes.test_temporal_types"
        );
        assert_eq!(
            selector("tests.neo4j.test_summary"),
            "tests.neo4j.test_summary"
        );
        assert_eq!(selector("neo4j"), "tests.neo4j");
    }

    #[test]
    fn versions_as_major_dot_minor() {
        assert_eq!(testkit_version("5.26.30"), "5.26");
        assert_eq!(testkit_version("2026.08.1"), "2026.08");
    }
}
