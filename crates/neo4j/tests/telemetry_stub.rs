//! TELEMETRY (Bolt 5.4+) and notification filters (5.2+) as they reach a
//! scripted server half (tests/support): which API code is sent when, that
//! it rides in the same write as BEGIN / RUN, and that filters from the
//! driver config go into HELLO and those of a session into BEGIN and RUN.

mod queries;
mod support;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bolt_proto::message::{Request, RequestKind, Response};
use bolt_proto::Version;
use neo4j::{
    params, Config, ConfigBuilder, Driver, Error, MinimumSeverity, NotificationCategory,
    NotificationFilter, SessionConfig, TransactionConfig,
};
use packstream::{Map, Value};
use queries::{begin, managed_single, run_consumed, tx_run_consumed};
use support::{default_answer, failure, ok, start, success, Action, Member};

/// The server's HELLO answer about telemetry.
#[derive(Clone, Copy)]
enum Hint {
    Enabled,
    Disabled,
    Absent,
}

/// A server that answers TELEMETRY only together with the BEGIN or RUN
/// that follows it: a driver that waited for its answer before sending
/// more would hang. (BEGIN is answered at once: `begin_transaction` waits
/// for it, as in the official drivers.) `fail_first_begin` answers the first
/// BEGIN with a transient error; `close_first_telemetry` drops the first
/// connection at its first TELEMETRY.
async fn server(
    version: Version,
    hint: Hint,
    fail_first_begin: bool,
    close_first_telemetry: bool,
) -> Member {
    let owed: Arc<Mutex<HashMap<usize, usize>>> = Arc::default();
    let begins = Arc::new(Mutex::new(0usize));
    start(version, move |conn, req| {
        let mut owed = owed.lock().unwrap();
        let owed = owed.entry(conn).or_default();
        let mut answers = |own: Vec<Response>| {
            let mut all = vec![ok(); std::mem::take(owed)];
            all.extend(own);
            Action::Reply(all)
        };
        match req.kind() {
            RequestKind::Hello => {
                let mut hints = Map::new();
                match hint {
                    Hint::Enabled => {
                        hints.insert("telemetry.enabled", true);
                    }
                    Hint::Disabled => {
                        hints.insert("telemetry.enabled", false);
                    }
                    Hint::Absent => {}
                }
                Action::Reply(vec![success(&[
                    ("server", "Neo4j/5.20.0".into()),
                    ("connection_id", format!("bolt-{conn}").into()),
                    ("hints", Value::Map(hints)),
                ])])
            }
            RequestKind::Telemetry if close_first_telemetry && conn == 0 => Action::Close,
            RequestKind::Telemetry => {
                *owed += 1;
                Action::Reply(vec![])
            }
            RequestKind::Begin => {
                let mut b = begins.lock().unwrap();
                *b += 1;
                if fail_first_begin && *b == 1 {
                    answers(vec![failure(
                        "Neo.TransientError.General.PleaseRetry",
                        "try again",
                    )])
                } else {
                    answers(vec![ok()])
                }
            }
            RequestKind::Run | RequestKind::Commit | RequestKind::Rollback => {
                match default_answer(conn, req) {
                    Action::Reply(own) => answers(own),
                    other => other,
                }
            }
            _ => default_answer(conn, req),
        }
    })
    .await
}

fn driver_with(m: &Member, b: ConfigBuilder) -> Driver {
    let config = b
        .with_auth(("neo4j", "pw"))
        .with_connection_timeout(Duration::from_secs(2))
        .with_max_retry_time(Duration::from_secs(5));
    support::bolt_driver(m, config)
}

/// The work messages the server got, in order, with TELEMETRY's API code
/// (`TELEMETRY 2`); HELLO, LOGON, RESET and GOODBYE left out.
fn script(m: &Member) -> Vec<String> {
    m.requests()
        .into_iter()
        .filter_map(|(_, r)| match r {
            Request::Telemetry(t) => Some(format!("TELEMETRY {}", t.api)),
            r => match r.kind() {
                RequestKind::Hello
                | RequestKind::Logon
                | RequestKind::Reset
                | RequestKind::Goodbye => None,
                k => Some(k.name().to_owned()),
            },
        })
        .collect()
}

/// One of each API, with a deadline (a driver waiting for an answer the
/// server only gives to a later message would hang).
async fn every_api(d: &Driver) -> Result<(), Error> {
    let work = async {
        let mut s = d.session(SessionConfig::new().with_database("db"));
        s.run("RETURN 1 AS n", params! {}).await?.consume().await?;
        let tx = s.begin_transaction(TransactionConfig::new()).await?;
        tx.run("RETURN 1 AS n", params! {}).await?.consume().await?;
        tx.commit().await?;
        s.execute_read(
            |tx| async move { tx.run("RETURN 1 AS n", params! {}).await?.consume().await },
        )
        .await?;
        s.run("RETURN 1 AS n", params! {}).await?.consume().await?;
        s.close().await?;
        d.execute_query("RETURN 1 AS n").database("db").await?;
        Ok(())
    };
    tokio::time::timeout(Duration::from_secs(10), work)
        .await
        .expect("the driver waited for an answer the server gives only to a later message")
}

const WITH_TELEMETRY: [&str; 21] = [
    "TELEMETRY 2",
    "RUN",
    "PULL",
    "TELEMETRY 1",
    "BEGIN",
    "RUN",
    "PULL",
    "COMMIT",
    "TELEMETRY 0",
    "BEGIN",
    "RUN",
    "PULL",
    "COMMIT",
    "TELEMETRY 2",
    "RUN",
    "PULL",
    "TELEMETRY 3",
    "BEGIN",
    "RUN",
    "PULL",
    "COMMIT",
];

fn without_telemetry() -> Vec<String> {
    WITH_TELEMETRY
        .iter()
        .filter(|s| !s.starts_with("TELEMETRY"))
        .map(|s| s.to_string())
        .collect()
}

#[tokio::test]
async fn telemetry_precedes_each_api_call_in_the_same_write() {
    let m = server(Version::V5_4, Hint::Enabled, false, false).await;
    let d = driver_with(&m, Config::builder());
    every_api(&d).await.unwrap();
    assert_eq!(script(&m), WITH_TELEMETRY);
    // All of it on one pooled connection.
    assert!(m.requests().iter().all(|(c, _)| *c == 0));
    d.close().await;
}

#[tokio::test]
async fn no_telemetry_unless_the_server_asks_for_it() {
    for hint in [Hint::Disabled, Hint::Absent] {
        let m = server(Version::V5_4, hint, false, false).await;
        let d = driver_with(&m, Config::builder());
        every_api(&d).await.unwrap();
        assert_eq!(script(&m), without_telemetry());
        d.close().await;
    }
}

#[tokio::test]
async fn no_telemetry_when_the_config_disables_it() {
    let m = server(Version::V5_4, Hint::Enabled, false, false).await;
    let d = driver_with(&m, Config::builder().with_telemetry_disabled(true));
    every_api(&d).await.unwrap();
    assert_eq!(script(&m), without_telemetry());
    d.close().await;
}

#[tokio::test]
async fn no_telemetry_before_bolt_5_4() {
    let m = server(Version::V5_3, Hint::Enabled, false, false).await;
    let d = driver_with(&m, Config::builder());
    every_api(&d).await.unwrap();
    assert_eq!(script(&m), without_telemetry());
    d.close().await;
}

#[tokio::test]
async fn a_retried_transaction_does_not_repeat_acknowledged_telemetry() {
    let m = server(Version::V5_4, Hint::Enabled, true, false).await;
    let d = driver_with(&m, Config::builder());
    let mut s = d.session(SessionConfig::new().with_database("db"));
    let n = tokio::time::timeout(
        Duration::from_secs(10),
        s.execute_write(|tx| async move { managed_single(&tx, "RETURN 1 AS n", "n").await }),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(n, 1);
    // The first BEGIN failed (its RUN and PULL, pipelined with it, were
    // ignored); the retry sends no TELEMETRY: the server acknowledged it
    // before the BEGIN failed.
    assert_eq!(
        script(&m),
        [
            "TELEMETRY 0",
            "BEGIN",
            "RUN",
            "PULL",
            "BEGIN",
            "RUN",
            "PULL",
            "COMMIT"
        ]
    );
    d.close().await;
}

#[tokio::test]
async fn telemetry_lost_with_its_connection_is_sent_again() {
    let m = server(Version::V5_4, Hint::Enabled, false, true).await;
    let d = driver_with(&m, Config::builder());
    let eager = tokio::time::timeout(
        Duration::from_secs(10),
        d.execute_query("RETURN 1 AS n").database("db").run(),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(eager.records.len(), 1);
    let log = m.requests();
    let telemetry: Vec<(usize, i64)> = log
        .iter()
        .filter_map(|(c, r)| match r {
            Request::Telemetry(t) => Some((*c, t.api)),
            _ => None,
        })
        .collect();
    assert_eq!(telemetry, [(0, 3), (1, 3)]);
    d.close().await;
}

fn filter_of(r: &Request) -> Option<bolt_proto::message::NotificationFilter> {
    match r {
        Request::Hello(h) => Some(h.notifications.clone()),
        Request::Begin(b) => Some(b.tx.notifications.clone()),
        Request::Run(r) => Some(r.tx.notifications.clone()),
        _ => None,
    }
}

#[tokio::test]
async fn notification_filters_go_to_hello_begin_and_run() {
    let m = start(Version::V5_4, default_answer).await;
    let d = driver_with(
        &m,
        Config::builder().with_notification_filter(
            NotificationFilter::default()
                .with_minimum_severity(MinimumSeverity::Warning)
                .with_disabled_categories([NotificationCategory::Hint]),
        ),
    );
    // A session without its own filter: only HELLO carries the driver's.
    let mut s = d.session(SessionConfig::new().with_database("db"));
    run_consumed(&mut s, "RETURN 1 AS n").await;
    s.close().await.unwrap();
    // A session with its own: every BEGIN and auto-commit RUN carries it.
    let mut s = d.session(
        SessionConfig::new()
            .with_database("db")
            .with_notification_filter(NotificationFilter::disable_all()),
    );
    run_consumed(&mut s, "RETURN 1 AS n").await;
    let tx = begin(&mut s).await;
    tx_run_consumed(&tx, "RETURN 1 AS n").await;
    tx.commit().await.unwrap();
    s.close().await.unwrap();

    let got: Vec<(RequestKind, Option<String>, Option<Vec<String>>)> = m
        .requests()
        .iter()
        .filter_map(|(_, r)| {
            filter_of(r).map(|f| (r.kind(), f.minimum_severity, f.disabled_categories))
        })
        .collect();
    let s = |x: &str| Some(x.to_owned());
    assert_eq!(
        got,
        [
            (
                RequestKind::Hello,
                s("WARNING"),
                Some(vec!["HINT".to_owned()])
            ),
            (RequestKind::Run, None, None),
            (RequestKind::Run, s("OFF"), None),
            (RequestKind::Begin, s("OFF"), None),
            // RUN inside a transaction carries no transaction metadata.
            (RequestKind::Run, None, None),
        ]
    );
    d.close().await;
}

#[tokio::test]
async fn notification_filters_need_bolt_5_2() {
    let m = start(Version::V5_1, default_answer).await;
    let d = driver_with(
        &m,
        Config::builder().with_notification_filter(NotificationFilter::disable_all()),
    );
    let mut s = d.session(SessionConfig::new().with_database("db"));
    let e = s.run("RETURN 1", params! {}).await.unwrap_err();
    assert!(
        e.to_string().contains("notifications"),
        "error does not name the problem: {e}"
    );
}
