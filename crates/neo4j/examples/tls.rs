//! TLS three ways against a server with a self-signed certificate:
//!
//! 1. `bolt+ssc://`: encrypted, any certificate accepted (no verification;
//!    for development only);
//! 2. a pinned certificate: `with_der_encoded_server_certificate`, only that
//!    exact certificate is accepted;
//! 3. a custom CA: `TrustStrategy::TrustCustomCaSignedCertificates` with the
//!    PEM file, the host name (`localhost`) checked against it;
//!
//! and, for contrast, `bolt+s://` (system CAs), which refuses it.
//!
//! Reads `BOLT_TEST_ARCADEDB_TLS_ADDR` (default 127.0.0.1:17688),
//! `BOLT_TEST_ARCADEDB_TLS_CERT_PEM`, `BOLT_TEST_ARCADEDB_TLS_CERT_DER`,
//! `BOLT_TEST_ARCADEDB_USER`, `_PASSWORD` and `_DATABASES` (as exported by
//! `cargo xtask server env` after `cargo xtask server start arcadedb --tls`):
//! `cargo run -p neo4j --example tls`.

use neo4j::{Config, ConfigBuilder, Error, GraphDatabase, SessionConfig, TrustStrategy};

fn env(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

fn required(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        eprintln!(
            "{name} is not set: start the TLS server and `eval \"$(cargo xtask server env)\"`"
        );
        std::process::exit(2)
    })
}

fn builder() -> ConfigBuilder {
    Config::builder().with_auth((
        env("BOLT_TEST_ARCADEDB_USER", "root"),
        env("BOLT_TEST_ARCADEDB_PASSWORD", "bolt-test-pw"),
    ))
}

/// Connects with `uri` and `config`, runs one query, reports the outcome.
async fn try_tls(what: &str, uri: &str, config: ConfigBuilder) -> Result<(), Error> {
    let database = env("BOLT_TEST_ARCADEDB_DATABASES", "testdb")
        .split(',')
        .next()
        .unwrap_or("testdb")
        .to_owned();
    let driver = GraphDatabase::driver(uri, config.build()?)?;
    let outcome = async {
        let mut session = driver.session(SessionConfig::new().with_database(database));
        let x: i64 = session
            .run("RETURN 7 AS x", neo4j::params! {})
            .await?
            .single()
            .await?
            .get("x")?;
        session.close().await?;
        Ok::<_, Error>(x)
    }
    .await;
    driver.close().await;
    match &outcome {
        Ok(x) => println!("{what:<28} {uri:<32} ok (RETURN 7 gave {x})"),
        Err(e) => println!("{what:<28} {uri:<32} refused: {e}"),
    }
    outcome.map(|_| ())
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let addr = env("BOLT_TEST_ARCADEDB_TLS_ADDR", "127.0.0.1:17688");
    let port = addr.rsplit(':').next().unwrap_or("17688").to_owned();
    let pem = required("BOLT_TEST_ARCADEDB_TLS_CERT_PEM");
    let der = std::fs::read(required("BOLT_TEST_ARCADEDB_TLS_CERT_DER"))
        .map_err(|e| Error::Usage(format!("cannot read the DER certificate: {e}")))?;

    // 1. Self-signed certificates accepted (encrypted, not verified).
    try_tls(
        "+ssc (any certificate)",
        &format!("bolt+ssc://{addr}"),
        builder(),
    )
    .await?;

    // 2. Exactly this certificate (implies encryption).
    try_tls(
        "pinned certificate",
        &format!("bolt://{addr}"),
        builder().with_der_encoded_server_certificate(der),
    )
    .await?;

    // 3. Certificates signed by a CA of ours (here the self-signed
    //    certificate is its own CA); the host name must match it.
    try_tls(
        "custom CA",
        &format!("bolt://localhost:{port}"),
        builder()
            .with_encrypted(true)
            .with_trust(TrustStrategy::TrustCustomCaSignedCertificates(vec![
                pem.into()
            ])),
    )
    .await?;

    // System CAs do not know the self-signed certificate.
    let refused = try_tls(
        "system CAs",
        &format!("bolt+s://localhost:{port}"),
        builder(),
    )
    .await;
    assert!(
        refused.is_err(),
        "a self-signed certificate must not pass system CA checks"
    );
    Ok(())
}
