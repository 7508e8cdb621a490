//! The Neo4j servers under test, read from their `BOLT_TEST_NEO4J[_LTS]_*`
//! variables (docs/testing.md, "Environment of the server tests"): one
//! definition for every real-server test target (`neo4j_server`,
//! `cancellation`, `faults`), which include this file by path and add
//! the drivers they need in an `impl Target` of their own.
#![allow(dead_code)]

use std::path::PathBuf;

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

/// The value of the variable `name`; a panic naming it when it is unset.
pub fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!(
            "{name} is not set: the real-server tests need the BOLT_TEST_* \
             variables, see docs/testing.md (\"Environment of the server tests\")"
        )
    })
}

impl Target {
    /// The server of the variables `<prefix>_ADDR`, `_VERSION`, ...
    pub fn from_env(name: &'static str, prefix: &str) -> Target {
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

    /// The newest release.
    pub fn newest() -> Target {
        Target::from_env("newest", "BOLT_TEST_NEO4J")
    }

    /// The 5.26 LTS.
    pub fn lts() -> Target {
        Target::from_env("lts", "BOLT_TEST_NEO4J_LTS")
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
    [Target::newest(), Target::lts()]
}
