//! A server that completes HELLO and then closes every connection: the
//! driver must not reconnect in a tight loop until the acquisition timeout
//! (it did: hundreds of connections a second). A freshly opened connection
//! found closed fails the acquisition with a retryable
//! `ServiceUnavailable`, so an auto-commit query fails at once and a
//! managed transaction backs off through its retry delays.

mod support;

use std::time::{Duration, Instant};

use bolt_proto::message::RequestKind;
use bolt_proto::Version;
use neo4j::{params, Error, SessionConfig};
use support::{bolt_driver, config, default_answer, start, Action, Member};

/// A Bolt 5.0 stub (credentials in HELLO, no LOGON) answering HELLO with
/// SUCCESS and closing the socket in the same step.
async fn closing_after_hello() -> Member {
    start(Version::V5_0, |conn, req| match req.kind() {
        RequestKind::Hello => match default_answer(conn, req) {
            Action::Reply(answer) => Action::ReplyThenClose(answer),
            other => other,
        },
        _ => default_answer(conn, req),
    })
    .await
}

#[tokio::test]
async fn a_query_fails_at_once_instead_of_reconnecting_until_the_acquisition_timeout() {
    let m = closing_after_hello().await;
    let d = bolt_driver(
        &m,
        config().with_connection_acquisition_timeout(Duration::from_secs(2)),
    );
    let mut s = d.session(SessionConfig::new());
    let started = Instant::now();
    let r = s.run("RETURN 1", params! {}).await.map(drop);
    let took = started.elapsed();
    let opened = m.accepted();
    eprintln!("{opened} connection(s) in {took:?}");
    match r {
        Err(e @ Error::ServiceUnavailable(_)) => assert!(e.is_retryable()),
        other => panic!("{other:?} after {took:?} and {opened} connections"),
    }
    assert!(
        took < Duration::from_secs(1),
        "took {took:?} ({opened} connections)"
    );
    assert!(opened <= 2, "{opened} connections opened for one query");
    assert_eq!(m.count(RequestKind::Run), 0);
}

#[tokio::test]
async fn a_managed_transaction_backs_off_between_its_tries() {
    let m = closing_after_hello().await;
    let d = bolt_driver(
        &m,
        config()
            .with_connection_acquisition_timeout(Duration::from_secs(2))
            .with_max_retry_time(Duration::from_secs(3)),
    );
    let mut s = d.session(SessionConfig::new());
    let started = Instant::now();
    let r = s
        .execute_read(|tx| async move { tx.run("RETURN 1", params! {}).await.map(drop) })
        .await;
    let took = started.elapsed();
    let opened = m.accepted();
    eprintln!("{opened} connection(s) in {took:?}");
    assert!(
        matches!(r, Err(Error::ServiceUnavailable(_))),
        "{r:?} after {took:?} and {opened} connections"
    );
    // Retries start 1 s apart and double (with jitter): within 3 s of
    // retrying, a handful of tries, each opening one connection (two at
    // most, should the close not be visible at once).
    assert!(opened <= 6, "{opened} connections in {took:?}");
    assert!(took < Duration::from_secs(10), "took {took:?}");
}
