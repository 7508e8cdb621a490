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

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use neo4j::{Config, ConfigBuilder, Driver, GraphDatabase, SessionConfig};

/// One Neo4j server under test, from its `BOLT_TEST_NEO4J[_LTS]_*`
/// variables.
#[derive(Debug, Clone)]
pub struct Target {
    /// `newest` or `lts`, for messages.
    pub name: &'static str,
    /// `host:port` of plain Bolt.
    pub addr: String,
    /// The Neo4j version the server reports (`2026.08.1`, `5.26.30`).
    pub version: String,
    /// User name and password (`neo4j`, an admin).
    pub user: String,
    /// The password of `user`.
    pub password: String,
    /// `host:port` of Bolt over TLS (the same port on Community: TLS is
    /// optional there).
    pub tls_addr: String,
    /// The server certificate, PEM (self-signed, a CA for `localhost` and
    /// `127.0.0.1`).
    pub cert_pem: PathBuf,
    /// The same certificate, DER (for pinning).
    pub cert_der: PathBuf,
}

fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!(
            "{name} is not set: the Neo4j server tests need the BOLT_TEST_NEO4J_* \
             variables, see docs/testing.md (\"Environment of the server tests\")"
        )
    })
}

impl Target {
    fn from_env(name: &'static str, prefix: &str) -> Target {
        Target {
            name,
            addr: var(&format!("{prefix}_ADDR")),
            version: var(&format!("{prefix}_VERSION")),
            user: var(&format!("{prefix}_USER")),
            password: var(&format!("{prefix}_PASSWORD")),
            tls_addr: var(&format!("{prefix}_TLS_ADDR")),
            cert_pem: var(&format!("{prefix}_TLS_CERT_PEM")).into(),
            cert_der: var(&format!("{prefix}_TLS_CERT_DER")).into(),
        }
    }

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

    /// The port of the TLS address.
    pub fn tls_port(&self) -> u16 {
        let (_, port) = self.tls_addr.rsplit_once(':').expect("host:port");
        port.parse().expect("a port number")
    }

    /// Whether this is the 5.26 LTS server (some server behaviour differs).
    pub fn is_lts(&self) -> bool {
        self.name == "lts"
    }
}

/// The servers under test: the newest release, then the LTS.
pub fn targets() -> [Target; 2] {
    [
        Target::from_env("newest", "BOLT_TEST_NEO4J"),
        Target::from_env("lts", "BOLT_TEST_NEO4J_LTS"),
    ]
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
