//! What the driver tells `tracing` (connection open/close, pool
//! acquisition, retries, every Bolt message at TRACE) and that neither the
//! log nor `Debug` output ever shows a secret.

mod support;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bolt_proto::message::{Request, RequestKind};
use bolt_proto::Version;
use neo4j::{
    params, AuthToken, AuthValue, Config, GraphDatabase, SessionConfig, TransactionConfig,
};
use support::{default_answer, failure, start, Action};

const SECRET: &str = "s3cret-Pa55word";

/// A `tracing` writer into a shared buffer.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// Runs auto-commit work and a managed transaction whose first attempt
/// fails with a transient error against a `version` stub, logging at TRACE
/// into the returned text.
async fn traced_work(version: Version, auth: AuthToken) -> String {
    let log = Captured::default();
    let w = log.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || w.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let begins = Arc::new(Mutex::new(0));
    let m = start(version, move |conn, req| match req.kind() {
        RequestKind::Begin => {
            let mut b = begins.lock().unwrap();
            *b += 1;
            if *b == 1 {
                Action::Reply(vec![failure(
                    "Neo.TransientError.General.PleaseRetry",
                    "try again",
                )])
            } else {
                default_answer(conn, req)
            }
        }
        _ => default_answer(conn, req),
    })
    .await;
    let config = Config::builder()
        .with_auth(auth)
        .with_max_retry_time(Duration::from_secs(5))
        .build()
        .unwrap();
    let d = GraphDatabase::driver(format!("bolt://{}", m.address()), config).unwrap();
    let mut s = d.session(SessionConfig::new().with_database("db"));
    s.run("RETURN 1 AS n", params! {"p" => 7})
        .await
        .unwrap()
        .consume()
        .await
        .unwrap();
    s.execute_write(|tx| async move { tx.run("RETURN 1 AS n", params! {}).await?.consume().await })
        .await
        .unwrap();
    s.close().await.unwrap();
    d.close().await;
    // The stub saw the real credentials (the log must not).
    let sent = m.requests().iter().any(|(_, r)| match r {
        Request::Hello(h) => format!("{:?}", h.auth).contains(SECRET),
        Request::Logon(l) => format!("{:?}", l.auth).contains(SECRET),
        _ => false,
    });
    assert!(sent, "the server did not get the credentials");
    log.text()
}

fn assert_logged(log: &str, what: &[&str]) {
    for w in what {
        assert!(log.contains(w), "{w:?} missing from the log:\n{log}");
    }
}

#[tokio::test]
async fn bolt_5_messages_connections_pool_and_retries_are_traced_without_secrets() {
    let log = traced_work(Version::V5_4, AuthToken::basic_auth("neo4j", SECRET)).await;
    assert_logged(
        &log,
        &[
            "opening bolt connection",
            "bolt connection opened",
            "connection acquired",
            "waited",
            "C: HELLO",
            "C: LOGON",
            "principal",
            "<redacted>",
            "C: RUN",
            "C: PULL",
            "S: SUCCESS",
            "S: RECORD",
            "C: BEGIN",
            "S: FAILURE",
            "Neo.TransientError.General.PleaseRetry",
            "transaction failed; retrying",
            "C: COMMIT",
            "connection released",
            "closing connection pool",
        ],
    );
    assert!(!log.contains(SECRET), "secret in the log:\n{log}");
}

#[tokio::test]
async fn bolt_4_hello_and_custom_auth_parameters_are_redacted() {
    let auth = AuthToken::custom_auth(
        Some("svc"),
        Some(SECRET),
        None::<String>,
        "plugin",
        [("api_key", AuthValue::from(SECRET))],
    );
    let log = traced_work(Version::V4_4, auth).await;
    assert_logged(
        &log,
        &["C: HELLO", "svc", "api_key", "<redacted>", "C: RUN"],
    );
    assert!(!log.contains(SECRET), "secret in the log:\n{log}");
}

#[test]
fn debug_output_never_shows_a_secret() {
    let tokens = [
        AuthToken::basic_auth("neo4j", SECRET),
        AuthToken::basic_auth_with_realm("neo4j", SECRET, "realm"),
        AuthToken::bearer_auth(SECRET),
        AuthToken::kerberos_auth(SECRET),
        AuthToken::custom_auth(
            Some("svc"),
            Some(SECRET),
            None::<String>,
            "plugin",
            [("api_key", AuthValue::from(SECRET))],
        ),
    ];
    for t in tokens {
        let shown = format!("{t:?} {t:#?}");
        assert!(!shown.contains(SECRET), "{shown}");
        assert!(shown.contains(t.scheme()), "{shown}");
        let config = Config::builder().with_auth(t).build().unwrap();
        let shown = format!("{config:?} {config:#?}");
        assert!(!shown.contains(SECRET), "{shown}");
        let driver = GraphDatabase::driver("bolt://127.0.0.1:7687", config).unwrap();
        let shown = format!("{driver:?}");
        assert!(!shown.contains(SECRET), "{shown}");
        let session = driver.session(SessionConfig::new());
        assert!(!format!("{session:?}").contains(SECRET));
    }
    // The principal is not a secret and helps debugging.
    assert!(format!("{:?}", AuthToken::basic_auth("neo4j", SECRET)).contains("neo4j"));
    let _ = TransactionConfig::new();
}
