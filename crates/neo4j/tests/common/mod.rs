//! Shared helpers of the server tests: addresses and credentials from the
//! `BOLT_TEST_*` variables (see docs/testing.md).
#![allow(dead_code)]

use neo4j::{Config, ConfigBuilder, Driver, GraphDatabase, SessionConfig};

pub fn env(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

pub fn addr() -> String {
    env("BOLT_TEST_ARCADEDB_ADDR", "127.0.0.1:17687")
}

pub fn databases() -> Vec<String> {
    env("BOLT_TEST_ARCADEDB_DATABASES", "testdb,other")
        .split(',')
        .map(str::to_owned)
        .collect()
}

pub fn db() -> String {
    databases()[0].clone()
}

pub fn user() -> String {
    env("BOLT_TEST_ARCADEDB_USER", "root")
}

pub fn builder() -> ConfigBuilder {
    Config::builder().with_auth((user(), env("BOLT_TEST_ARCADEDB_PASSWORD", "bolt-test-pw")))
}

/// A driver to the ArcadeDB server by `scheme` (`bolt`, `neo4j`...).
pub fn driver_by(scheme: &str, builder: ConfigBuilder) -> Driver {
    GraphDatabase::driver(format!("{scheme}://{}", addr()), builder.build().unwrap()).unwrap()
}

pub fn driver_with(builder: ConfigBuilder) -> Driver {
    driver_by("bolt", builder)
}

pub fn driver() -> Driver {
    driver_with(builder())
}

/// A session on the default test database (named: ArcadeDB leaks database
/// selection across pooled connections).
pub fn session_cfg() -> SessionConfig {
    SessionConfig::new().with_database(db())
}

/// A label unique to this test run.
pub fn label(prefix: &str) -> String {
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{prefix}{n}")
}
