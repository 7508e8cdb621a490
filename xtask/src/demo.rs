//! `cargo xtask demo [--server neo4j|arcadedb]`: starts a real server
//! (installing it if needed: Neo4j newest 2026.x from Maven Central by
//! default, ArcadeDB from PyPI with `--server arcadedb`) on a free port,
//! runs the `neo4j` crate's quickstart example against it with
//! `NEO4J_URI`, `NEO4J_USERNAME`, `NEO4J_PASSWORD` and `NEO4J_DATABASE`, and
//! stops the server whatever happens.

use std::time::Instant;

use crate::server::{self, neo4j, Kind, Spec};
use crate::test::cargo;
use crate::util::{self, say, Res};

const USAGE: &str = "usage: cargo xtask demo [--server neo4j|arcadedb]";

/// Entry point of `cargo xtask demo`.
pub fn run(args: &[String]) -> Res {
    let kind = match args {
        [] => Kind::Neo4j,
        [flag, name] if flag == "--server" && name == "neo4j" => Kind::Neo4j,
        [flag, name] if flag == "--server" && name == "arcadedb" => Kind::ArcadeDb,
        _ => return Err(USAGE.into()),
    };
    let port = util::free_port()?;
    let mut spec = Spec::new(kind).port(port);
    let database = match kind {
        Kind::ArcadeDb => {
            spec.databases = vec!["demo".into()];
            if !util::port_free(spec.http_port) {
                spec.http_port = util::free_port()?;
            }
            "demo"
        }
        _ => "neo4j",
    };
    if kind == Kind::Neo4j && !neo4j::install_dir(neo4j::NEWEST).join("version").is_file() {
        say("first run: fetching Neo4j from Maven Central and compiling its launcher");
    }
    let t0 = Instant::now();
    let mut running = server::start(&spec, false)?;
    say(format!(
        "server up in {} (install included)",
        util::secs(t0.elapsed())
    ));
    let state = &running.state;
    let env: Vec<(String, String)> = vec![
        ("NEO4J_URI".into(), format!("bolt://127.0.0.1:{port}")),
        (
            "NEO4J_USERNAME".into(),
            state.user.clone().unwrap_or_default(),
        ),
        (
            "NEO4J_PASSWORD".into(),
            state.password.clone().unwrap_or_default(),
        ),
        ("NEO4J_DATABASE".into(), database.into()),
    ];
    let result = cargo(
        &["run", "-q", "-p", "neo4j", "--example", "quickstart"],
        &env,
    );
    let stopped = running.stop();
    say("demo server stopped");
    // A random port each time: do not let demo roots pile up.
    let name = kind.name();
    let _ = util::rmdir(&util::servers_dir().join(format!("{name}-{port}")));
    let _ = std::fs::remove_file(util::servers_dir().join(format!("{name}-{port}.log")));
    result.and(stopped)
}
