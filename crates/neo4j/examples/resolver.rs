//! A custom address resolver: the driver is built for `bolt://foo:9999`, a
//! name no DNS knows, and the resolver turns it into `[::1]:PORT` and
//! `127.0.0.1:PORT`, tried in that order (the first one fails when no server
//! listens on IPv6 loopback; the driver moves on to the next).
//!
//! This is the resolver example of the official drivers' "Driver Objects"
//! page (`("foo", 9999)` → `[("::1", 7687), ("127.0.0.1", 7687)]`), with the
//! port of a reachable local server.
//!
//! Reads `BOLT_TEST_ARCADEDB_ADDR` (its port is used; default 17687),
//! `_USER`, `_PASSWORD` and `_DATABASES`:
//! `BOLT_TEST_ARCADEDB_ADDR=127.0.0.1:7687 cargo run -p neo4j --example resolver`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use neo4j::{Config, GraphDatabase, ServerAddress, SessionConfig};

fn env(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

#[tokio::main]
async fn main() -> Result<(), neo4j::Error> {
    let addr = env("BOLT_TEST_ARCADEDB_ADDR", "127.0.0.1:17687");
    let port: u16 = addr
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or(7687);
    let database = env("BOLT_TEST_ARCADEDB_DATABASES", "testdb")
        .split(',')
        .next()
        .unwrap_or("testdb")
        .to_owned();

    let calls = Arc::new(AtomicUsize::new(0));
    let seen = calls.clone();
    let config = Config::builder()
        .with_auth((
            env("BOLT_TEST_ARCADEDB_USER", "root"),
            env("BOLT_TEST_ARCADEDB_PASSWORD", "bolt-test-pw"),
        ))
        .with_resolver(move |address: &ServerAddress| {
            seen.fetch_add(1, Ordering::SeqCst);
            if (address.host(), address.port()) == ("foo", 9999) {
                vec![
                    ServerAddress::new("::1", port),
                    ServerAddress::new("127.0.0.1", port),
                ]
            } else {
                vec![address.clone()]
            }
        })
        .build()?;

    let driver = GraphDatabase::driver("bolt://foo:9999", config)?;
    let n: i64 = driver
        .execute_query("RETURN 1 AS n")
        .database(&database)
        .await?
        .records[0]
        .get("n")?;
    let info = driver.server_info().await?;
    println!(
        "bolt://foo:9999 reached {} ({}); resolver called {} time(s); RETURN 1 gave {n}",
        info.address,
        info.agent,
        calls.load(Ordering::SeqCst)
    );

    let mut session = driver.session(SessionConfig::new().with_database(&database));
    session
        .run("RETURN 2", neo4j::params! {})
        .await?
        .consume()
        .await?;
    session.close().await?;
    driver.close().await;
    Ok(())
}
