//! The driver against real Neo4j servers: the newest release (2026.x) and
//! the 5.26 LTS, both Community edition. Every test runs its body against
//! both, one after the other ([`on_each`]), and is ignored unless asked for:
//! `cargo xtask test` starts the servers and exports the `BOLT_TEST_NEO4J_*`
//! variables (docs/testing.md); by hand,
//! `cargo test -p neo4j --test neo4j_server -- --ignored`.
//!
//! Owns the targets (addresses, credentials, certificates of the two
//! servers) and the helpers every module shares. The servers may be shared
//! with other runs: tests create nodes only under labels of their own
//! ([`label`]) and delete nothing they did not create.

#[path = "../queries/mod.rs"]
mod queries;

mod auth;
mod errors;
mod notifications;
mod results;
mod retries;
mod routing;
mod tls;
mod transactions;
mod values;

mod target;
pub use target::{targets, Target};

use std::sync::atomic::{AtomicU64, Ordering};

use neo4j::{Config, ConfigBuilder, Driver, GraphDatabase, SessionConfig};

impl Target {
    /// A config builder with the server's credentials.
    pub fn builder(&self) -> ConfigBuilder {
        Config::builder().with_auth((self.user.clone(), self.password.clone()))
    }

    /// A driver to `scheme://addr` (plain address) with `builder`'s config.
    pub fn driver_by(&self, scheme: &str, builder: ConfigBuilder) -> Driver {
        GraphDatabase::driver(
            format!("{scheme}://{}", self.addr),
            builder.build().unwrap(),
        )
        .unwrap()
    }

    /// A direct (`bolt://`) driver with the server's credentials.
    pub fn driver(&self) -> Driver {
        self.driver_by("bolt", self.builder())
    }
}

/// Runs `body` against each server in turn; a panic names the server in
/// the line printed before it.
pub async fn on_each(body: impl AsyncFn(&Target)) {
    for t in targets() {
        eprintln!("--- against {} ({} at {})", t.name, t.version, t.addr);
        body(&t).await;
    }
}

/// A session on the database `neo4j` (Community has `neo4j` and `system`).
pub fn db_cfg() -> SessionConfig {
    SessionConfig::new().with_database("neo4j")
}

/// A label unique to this process and call, so that concurrent runs (also
/// other people's) never see each other's nodes.
pub fn label(prefix: &str) -> String {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let seq = SEQ.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}_{}_{nanos}_{seq}", std::process::id())
}

/// Deletes the nodes (and their relationships) of `label`, which the
/// calling test created.
pub async fn cleanup(driver: &Driver, label: &str) {
    let mut s = driver.session(db_cfg());
    queries::run_consumed(&mut s, format!("MATCH (n:{label}) DETACH DELETE n")).await;
    s.close().await.unwrap();
}
