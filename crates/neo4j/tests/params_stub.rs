//! Driver parameters and connection hints against scripted server halves
//! (tests/support): eager BEGIN of explicit transactions, pipelined BEGIN of
//! managed ones, the `connection.recv_timeout_seconds`
//! hint, and the connection acquisition timeout.

mod queries;
mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bolt_proto::message::{Request, RequestKind, Response};
use bolt_proto::Version;
use neo4j::{params, Config, Driver, Error, GraphDatabase, SessionConfig, TransactionConfig};
use queries::{begin, run_consumed};
use support::{
    answering, bolt_driver, config, default_answer, failure, start, success, Action, Member,
};

fn session(d: &Driver) -> neo4j::Session {
    d.session(SessionConfig::new().with_database("db"))
}

/// HELLO SUCCESS hinting a receive timeout of `secs`.
fn hello_hinting(conn: usize, secs: i64) -> Response {
    let mut hints = packstream::Map::new();
    hints.insert("connection.recv_timeout_seconds", secs);
    success(&[
        ("server", "Neo4j/5.0.0".into()),
        ("connection_id", format!("bolt-{conn}").into()),
        ("hints", packstream::Value::Map(hints)),
    ])
}

/// A member refusing every BEGIN with `Neo.ClientError.MadeUp.Code`.
async fn refusing_begin() -> Member {
    answering(RequestKind::Begin, || {
        Action::Reply(vec![failure("Neo.ClientError.MadeUp.Code", "no")])
    })
    .await
}

/// A member answering BEGIN only together with the RUN after it: a driver
/// waiting for BEGIN's answer before sending RUN would hang (and hit the
/// 2 s read deadline).
async fn answering_begin_with_run() -> Member {
    start(Version::V5_0, |conn, req| match req {
        Request::Begin(_) => Action::Reply(vec![]),
        Request::Run(_) => Action::Reply(vec![
            support::ok(),
            success(&[("fields", vec!["n"].into())]),
        ]),
        _ => default_answer(conn, req),
    })
    .await
}

/// A member hinting a 1 s receive timeout whose connection 0 answers its
/// RUNs after 1.5 s.
async fn hinting_1s_with_a_slow_first_run() -> Member {
    start(Version::V5_0, |conn, req| match req {
        Request::Hello(_) => Action::Reply(vec![hello_hinting(conn, 1)]),
        Request::Run(_) if conn == 0 => Action::Delayed(
            Duration::from_millis(1500),
            vec![success(&[("fields", vec!["n"].into())])],
        ),
        _ => default_answer(conn, req),
    })
    .await
}

/// A unit of work running `RETURN 1` that counts its calls.
async fn counted_return_1(
    calls: Arc<AtomicUsize>,
    tx: neo4j::ManagedTransaction,
) -> Result<neo4j::ResultSummary, Error> {
    calls.fetch_add(1, Ordering::SeqCst);
    tx.run("RETURN 1", params! {}).await?.consume().await
}

#[tokio::test]
async fn begin_transaction_waits_for_begin_and_reports_its_failure() {
    let m = refusing_begin().await;
    let d = bolt_driver(&m, config());
    let mut s = session(&d);
    let e = s
        .begin_transaction(TransactionConfig::new())
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::Server { code, .. } if code == "Neo.ClientError.MadeUp.Code"),
        "{e:?}"
    );
    // BEGIN went out alone; no RUN followed.
    assert_eq!(m.script(), ["BEGIN", "RESET"]);
    s.close().await.unwrap();
    d.close().await;
}

#[tokio::test]
async fn a_managed_transaction_pipelines_begin_with_its_first_query() {
    // BEGIN is answered only once RUN and PULL arrived: a driver waiting
    // for BEGIN's answer first would hang (and hit the 2 s read deadline).
    let m = answering_begin_with_run().await;
    let d = bolt_driver(&m, config());
    let mut s = session(&d);
    let summary = tokio::time::timeout(
        Duration::from_secs(10),
        s.execute_write(
            |tx| async move { tx.run("RETURN 1 AS n", params! {}).await?.consume().await },
        ),
    )
    .await
    .unwrap();
    assert!(summary.is_ok(), "{summary:?}");
    assert_eq!(m.script(), ["BEGIN", "RUN", "PULL", "COMMIT"]);
    s.close().await.unwrap();
    d.close().await;
}

#[tokio::test]
async fn a_failed_begin_in_a_managed_transaction_is_reported_by_its_first_query() {
    let m = refusing_begin().await;
    let d = bolt_driver(&m, config());
    let mut s = session(&d);
    let calls = Arc::new(AtomicUsize::new(0));
    let r = s
        .execute_write(|tx| counted_return_1(calls.clone(), tx))
        .await;
    match &r {
        Err(e @ Error::Server { .. }) => assert_eq!(e.code(), Some("Neo.ClientError.MadeUp.Code")),
        other => panic!("expected the BEGIN failure, got {other:?}"),
    }
    // Not retryable: the closure ran once, and nothing was committed.
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(m.count(RequestKind::Commit), 0);
    s.close().await.unwrap();
    d.close().await;
}

#[tokio::test]
async fn a_refused_begin_is_reported_even_when_the_server_then_hangs_up() {
    // The server answers the pipelined BEGIN with TokenExpired and closes
    // before answering RUN: the failure is what counts (not retried), not
    // the lost connection (which would be retried).
    let m = answering(RequestKind::Begin, || {
        Action::ReplyThenClose(vec![failure(
            "Neo.ClientError.Security.TokenExpired",
            "expired",
        )])
    })
    .await;
    let d = bolt_driver(&m, config());
    let mut s = session(&d);
    let calls = Arc::new(AtomicUsize::new(0));
    let r = s
        .execute_read(|tx| counted_return_1(calls.clone(), tx))
        .await;
    match &r {
        Err(e) => assert_eq!(
            e.code(),
            Some("Neo.ClientError.Security.TokenExpired"),
            "{e:?}"
        ),
        Ok(_) => panic!("a refused BEGIN must fail the transaction"),
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(m.count(RequestKind::Begin), 1);
    let _ = s.close().await;
    d.close().await;
}

#[tokio::test]
async fn execute_query_still_pipelines_begin_with_run_and_pull() {
    // BEGIN is answered only once RUN and PULL arrived: a driver waiting
    // for BEGIN's answer first would hang (and hit the 2 s read deadline).
    let m = answering_begin_with_run().await;
    let d = bolt_driver(&m, config());
    let r = tokio::time::timeout(
        Duration::from_secs(10),
        d.execute_query("RETURN 1 AS n").run(),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(r.records.len(), 1);
    assert_eq!(m.script(), ["BEGIN", "RUN", "PULL", "COMMIT"]);
    d.close().await;
}

#[tokio::test]
async fn recv_timeout_hint_fails_the_query_and_the_driver_recovers() {
    // The server hints 1 s; connection 0 answers its first RUN after 1.5 s.
    let m = hinting_1s_with_a_slow_first_run().await;
    let d = bolt_driver(&m, config());
    let mut s = session(&d);
    let t = Instant::now();
    let e = match s.run("RETURN 1 AS n", params! {}).await {
        Err(e) => e,
        Ok(r) => r.consume().await.unwrap_err(),
    };
    assert!(matches!(e, Error::ServiceUnavailable(_)), "{e:?}");
    assert!(e.is_retryable());
    assert!(
        t.elapsed() < Duration::from_millis(1450),
        "{:?}",
        t.elapsed()
    );
    // The timed-out connection is gone; the next query gets a new one.
    let rec = s
        .run("RETURN 1 AS n", params! {})
        .await
        .unwrap()
        .single()
        .await
        .unwrap();
    assert_eq!(rec.get::<i64>("n").unwrap(), 1);
    let conns: std::collections::BTreeSet<usize> = m.requests().iter().map(|(c, _)| *c).collect();
    assert_eq!(conns.into_iter().collect::<Vec<_>>(), [0, 1]);
    s.close().await.unwrap();
    d.close().await;
}

#[tokio::test]
async fn recv_timeout_in_a_managed_transaction_is_retried() {
    let m = hinting_1s_with_a_slow_first_run().await;
    let d = bolt_driver(&m, config());
    let mut s = session(&d);
    let calls = Arc::new(AtomicUsize::new(0));
    let n: i64 = s
        .execute_write(|tx| {
            let calls = calls.clone();
            async move {
                calls.fetch_add(1, Ordering::SeqCst);
                let rec = tx.run("RETURN 1 AS n", params! {}).await?.single().await?;
                rec.get::<i64>("n")
            }
        })
        .await
        .unwrap();
    assert_eq!(n, 1);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    s.close().await.unwrap();
    d.close().await;
}

#[tokio::test]
async fn acquisition_timeout_bounds_waiting_for_a_busy_pool() {
    let m = start(Version::V5_0, default_answer).await;
    let d = bolt_driver(
        &m,
        config()
            .with_max_connection_pool_size(1)
            .with_connection_acquisition_timeout(Duration::from_millis(500)),
    );
    let mut s1 = session(&d);
    let tx = begin(&mut s1).await;
    let mut s2 = session(&d);
    let t = Instant::now();
    let e = s2
        .begin_transaction(TransactionConfig::new())
        .await
        .unwrap_err();
    let took = t.elapsed();
    assert!(matches!(e, Error::ConnectionAcquisitionTimeout(_)), "{e:?}");
    assert!(
        took >= Duration::from_millis(450) && took < Duration::from_millis(2000),
        "{took:?}"
    );
    tx.rollback().await.unwrap();
    // The pool recovered: the connection is free again.
    run_consumed(&mut s2, "RETURN 1 AS n").await;
    s1.close().await.unwrap();
    s2.close().await.unwrap();
    d.close().await;
}

#[tokio::test]
async fn is_encrypted_still_answers_after_close() {
    let d = GraphDatabase::driver("bolt+ssc://localhost:7687", Config::default()).unwrap();
    d.close().await;
    assert!(d.is_closed());
    assert!(d.is_encrypted());
    let d = GraphDatabase::driver("bolt://localhost:7687", Config::default()).unwrap();
    d.close().await;
    assert!(!d.is_encrypted());
}

#[tokio::test]
async fn duration_max_settings_do_not_panic() {
    // `Duration::MAX` ("wait forever") for every duration setting: a
    // session waiting on a full pool of one waits (the outer timeout ends
    // it) instead of panicking on `Instant` overflow, and queries work.
    let m = start(Version::V5_0, default_answer).await;
    let forever = Duration::MAX;
    let d = bolt_driver(
        &m,
        config()
            .with_max_connection_pool_size(1)
            .with_connection_timeout(forever)
            .with_connection_read_timeout(forever)
            .with_connection_acquisition_timeout(forever)
            .with_max_connection_lifetime(forever)
            .with_liveness_check_timeout(forever)
            .with_max_retry_time(forever),
    );
    let mut s1 = session(&d);
    let tx = begin(&mut s1).await;
    let mut s2 = session(&d);
    let waiting = tokio::time::timeout(
        Duration::from_millis(200),
        s2.begin_transaction(TransactionConfig::new()),
    )
    .await
    .is_err();
    assert!(waiting, "the pool is full: must still be waiting");
    tx.rollback().await.unwrap();
    let n: i64 = s2
        .execute_read(|tx| async move {
            tx.run("RETURN 1 AS n", params! {})
                .await?
                .single()
                .await?
                .get::<i64>("n")
        })
        .await
        .unwrap();
    assert_eq!(n, 1);
    s1.close().await.unwrap();
    s2.close().await.unwrap();
    d.close().await;
}

/// A member that never answers RUN / PULL on connection 0 (a half-open
/// connection, as far as the driver can tell), hinting `hint` seconds.
async fn stalling_first_connection(hint: Option<i64>) -> Member {
    start(Version::V5_0, move |conn, req| match req {
        Request::Hello(_) => match hint {
            Some(secs) => Action::Reply(vec![hello_hinting(conn, secs)]),
            None => default_answer(conn, req),
        },
        Request::Run(_) | Request::Pull(_) if conn == 0 => Action::Silent,
        _ => default_answer(conn, req),
    })
    .await
}

/// Runs `RETURN 1` on a new session of `d`: the error and how long it took.
async fn failing_query(d: &Driver) -> (Error, Duration) {
    let mut s = session(d);
    let t = Instant::now();
    let run = async {
        match s.run("RETURN 1 AS n", params! {}).await {
            Err(e) => e,
            Ok(r) => r.consume().await.unwrap_err(),
        }
    };
    let e = tokio::time::timeout(Duration::from_secs(10), run)
        .await
        .expect("the read timeout must end the wait");
    let took = t.elapsed();
    s.close().await.ok();
    (e, took)
}

#[tokio::test]
async fn connection_read_timeout_ends_a_stalled_query() {
    for hint in [None, Some(0), Some(i64::MAX)] {
        let m = stalling_first_connection(hint).await;
        let d = bolt_driver(
            &m,
            config().with_connection_read_timeout(Duration::from_millis(300)),
        );
        let (e, took) = failing_query(&d).await;
        assert!(matches!(e, Error::ServiceUnavailable(_)), "{hint:?}: {e:?}");
        assert!(e.is_retryable());
        assert!(
            took >= Duration::from_millis(250) && took < Duration::from_secs(2),
            "{hint:?}: {took:?}"
        );
        // The next query gets a new, working connection.
        let mut s = session(&d);
        run_consumed(&mut s, "RETURN 1 AS n").await;
        s.close().await.unwrap();
        d.close().await;
    }
}
