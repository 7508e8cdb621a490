//! `cargo xtask demo`: starts ArcadeDB (installing it if needed) on a free
//! port, runs the `neo4j` crate's quickstart example against it when that
//! example exists, else shows the server's handshake answer. The server is
//! always stopped.

use std::net::SocketAddr;
use std::time::Duration;

use crate::server::{self, handshake, Kind, Spec};
use crate::test::cargo;
use crate::util::{self, say, Res, LOOPBACK};

/// Entry point of `cargo xtask demo`.
pub fn run() -> Res {
    let port = util::free_port()?;
    let mut spec = Spec::new(Kind::ArcadeDb).port(port);
    spec.databases = vec!["demo".into()];
    if !util::port_free(spec.http_port) {
        spec.http_port = util::free_port()?;
    }
    let mut running = server::start(&spec, false)?;
    let env = server::env_vars(std::slice::from_ref(&running.state));
    let example = util::workspace_root().join("crates/neo4j/examples/quickstart.rs");
    let result = if example.is_file() {
        cargo(
            &["run", "-q", "-p", "neo4j", "--example", "quickstart"],
            &env,
        )
    } else {
        say(
            "the `neo4j` facade is not built yet (no crates/neo4j/examples/quickstart.rs); \
             showing the server's handshake answer instead",
        );
        let addr = SocketAddr::from((LOOPBACK, port));
        handshake::over_tcp(addr, &handshake::ARCADEDB_OFFER, Duration::from_secs(5))
            .map(|answer| {
                let (major, minor) = handshake::version(answer);
                println!(
                    "ArcadeDB at bolt://{addr} answered the Bolt handshake (offered 5.4-5.0, 4.4, 3.0) \
                     with {answer:02X?}: Bolt {major}.{minor}"
                );
            })
            .map_err(|e| format!("handshake with {addr} failed: {e}"))
    };
    let stopped = running.stop();
    say("demo server stopped");
    // A random port each time: do not let demo roots pile up.
    let _ = util::rmdir(&util::servers_dir().join(format!("arcadedb-{port}")));
    let _ = std::fs::remove_file(util::servers_dir().join(format!("arcadedb-{port}.log")));
    result.and(stopped)
}
