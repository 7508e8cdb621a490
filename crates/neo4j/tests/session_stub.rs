//! Session, transaction and result semantics against scripted server
//! halves (tests/support): what reaches the server and which error the
//! user sees when a connection drops or a query fails midway.

mod queries;
mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bolt_proto::message::{Record, Request, RequestKind, Response, TxExtra};
use bolt_proto::Version;
use neo4j::{params, Driver, Error, SessionConfig};
use packstream::{Structure, Value};
use queries::{begin, run_consumed, tx_run_consumed};
use support::{answering, bolt_driver, config, default_answer, start, Action, Member};

fn driver(m: &Member) -> Driver {
    bolt_driver(m, config())
}

fn session(d: &Driver) -> neo4j::Session {
    d.session(SessionConfig::new().with_database("db"))
}

#[tokio::test]
async fn a_connection_lost_on_commit_is_an_incomplete_commit_and_not_retried() {
    let m = answering(RequestKind::Commit, || Action::Close).await;
    let d = driver(&m);
    let mut s = session(&d);
    let attempts = Arc::new(AtomicUsize::new(0));
    let r = tokio::time::timeout(
        Duration::from_secs(10),
        s.execute_write(|tx| {
            let attempts = attempts.clone();
            async move {
                attempts.fetch_add(1, Ordering::SeqCst);
                tx.run("RETURN 1 AS n", params! {}).await?.consume().await
            }
        }),
    )
    .await
    .unwrap();
    let e = r.unwrap_err();
    assert!(matches!(e, Error::IncompleteCommit(_)), "{e:?}");
    assert!(!e.is_retryable());
    assert_eq!(attempts.load(Ordering::SeqCst), 1);
    assert_eq!(m.script(), ["BEGIN", "RUN", "PULL", "COMMIT"]);
    s.close().await.unwrap();
    d.close().await;
}

#[tokio::test]
async fn records_before_a_failure_are_delivered_first() {
    let m = answering(RequestKind::Pull, || {
        Action::Reply(vec![
            support::record(1),
            support::record(2),
            support::failure("Neo.TransientError.Database.DatabaseUnavailable", "gone"),
        ])
    })
    .await;
    let d = driver(&m);
    let mut s = session(&d);
    let mut r = s.run("RETURN 1 AS n", params! {}).await.unwrap();
    for want in [1, 2] {
        let n: i64 = r.next().await.unwrap().unwrap().get("n").unwrap();
        assert_eq!(n, want);
    }
    let e = r.next().await.unwrap().unwrap_err();
    assert_eq!(
        e.code(),
        Some("Neo.TransientError.Database.DatabaseUnavailable")
    );
    assert!(r.next().await.is_none());
    drop(r);
    // Peeking also shows the records before the failure.
    let mut r = s.run("RETURN 1 AS n", params! {}).await.unwrap();
    assert!(r.peek().await.unwrap().is_ok());
    assert_eq!(r.collect().await.unwrap_err().code(), e.code());
    s.close().await.unwrap();
    d.close().await;
}

#[tokio::test]
async fn a_lost_connection_is_reported_once_not_again_by_close() {
    let m = answering(RequestKind::Pull, || Action::Close).await;
    let d = driver(&m);
    let mut s = session(&d);
    let mut r = s.run("RETURN 1 AS n", params! {}).await.unwrap();
    let e = r.next().await.unwrap().unwrap_err();
    assert!(matches!(e, Error::ServiceUnavailable(_)), "{e:?}");
    assert!(r.next().await.is_none());
    drop(r);
    s.close().await.unwrap();
    d.close().await;
}

#[tokio::test]
async fn an_open_transaction_is_rolled_back_when_its_session_closes() {
    let m = start(Version::V5_0, default_answer).await;
    let d = driver(&m);
    let mut s = session(&d);
    let tx = begin(&mut s).await;
    let r = tx.run("RETURN 1 AS n", params! {}).await.unwrap();
    drop(r);
    drop(tx); // dropped while open
    s.close().await.unwrap();
    assert_eq!(m.script(), ["BEGIN", "RUN", "PULL", "ROLLBACK"]);
    // Used again instead of closed, the session also rolls back first.
    let mut s = session(&d);
    let tx = begin(&mut s).await;
    drop(tx); // dropped while open
    run_consumed(&mut s, "RETURN 1 AS n").await;
    s.close().await.unwrap();
    assert_eq!(m.script()[4..], ["BEGIN", "ROLLBACK", "RUN", "PULL"]);
    d.close().await;
}

#[tokio::test]
async fn connectivity_checks_reset_a_pooled_connection_first() {
    let m = start(Version::V5_0, default_answer).await;
    let d = driver(&m);
    // A fresh connection has just answered HELLO: no RESET.
    d.verify_connectivity().await.unwrap();
    assert_eq!(m.script(), Vec::<&str>::new());
    let mut s = session(&d);
    run_consumed(&mut s, "RETURN 1 AS n").await;
    s.close().await.unwrap();
    d.verify_connectivity().await.unwrap();
    assert_eq!(m.script(), ["RUN", "PULL", "RESET"]);
    let info = d.server_info().await.unwrap();
    assert_eq!(info.agent, "Neo4j/5.0.0");
    assert_eq!(m.script(), ["RUN", "PULL", "RESET", "RESET"]);
    // One connection throughout.
    assert!(m.requests().iter().all(|(c, _)| *c == 0));
    d.close().await;
}

#[tokio::test]
async fn servers_not_announcing_neo4j_are_refused() {
    for (agent, accepted) in [
        ("Neo4j/Funky!", true),
        ("Neo4j/5.26.0 compatible (ArcadeDB 26.10.2)", true),
        ("neo4j/4.1.0", false),
        ("FooBar/4.3.0", false),
    ] {
        let m = start(Version::V5_0, move |conn, req| match req {
            Request::Hello(_) => Action::Reply(vec![support::success(&[
                ("server", agent.into()),
                ("connection_id", "bolt-1".into()),
            ])]),
            _ => default_answer(conn, req),
        })
        .await;
        let d = driver(&m);
        let r = d.verify_connectivity().await;
        assert_eq!(r.is_ok(), accepted, "{agent}: {r:?}");
        if let Err(e) = r {
            assert!(matches!(e, Error::ServiceUnavailable(_)), "{e:?}");
            assert!(e.to_string().contains(agent), "{e}");
        }
        d.close().await;
    }
}

#[tokio::test]
async fn a_transaction_keeps_an_earlier_result_open_and_pulls_it_by_qid() {
    let runs = Arc::new(AtomicUsize::new(0));
    let r = runs.clone();
    let m = start(Version::V5_0, move |conn, req| match req {
        Request::Run(_) => {
            let qid = r.fetch_add(1, Ordering::SeqCst) as i64;
            Action::Reply(vec![support::success(&[
                ("fields", vec!["n"].into()),
                ("qid", qid.into()),
            ])])
        }
        Request::Pull(p) if p.qid == Some(0) => {
            Action::Reply(vec![support::record("o2"), support::ok()])
        }
        Request::Pull(_) if r.load(Ordering::SeqCst) == 1 => Action::Reply(vec![
            support::record("o1"),
            support::success(&[("has_more", true.into())]),
        ]),
        Request::Pull(_) => Action::Reply(vec![support::record("i1"), support::ok()]),
        _ => default_answer(conn, req),
    })
    .await;
    let d = driver(&m);
    let mut s = d.session(SessionConfig::new().with_database("db").with_fetch_size(1));
    let tx = begin(&mut s).await;
    let mut outer = tx.run("OUTER", params! {}).await.unwrap();
    let first: String = outer.next().await.unwrap().unwrap().get("n").unwrap();
    assert_eq!(first, "o1");
    // A second result while the first is open: the first is not discarded.
    let inner = tx.run("INNER", params! {}).await.unwrap().collect().await;
    let inner: Vec<String> = inner.unwrap().iter().map(|r| r.get("n").unwrap()).collect();
    assert_eq!(inner, ["i1"]);
    let second: String = outer.next().await.unwrap().unwrap().get("n").unwrap();
    assert_eq!(second, "o2");
    assert!(outer.next().await.is_none());
    drop(outer);
    tx.commit().await.unwrap();
    let pulls: Vec<Option<i64>> = m
        .requests()
        .into_iter()
        .filter_map(|(_, r)| match r {
            Request::Pull(p) => Some(p.qid),
            _ => None,
        })
        .collect();
    // The earlier result names its qid once a later RUN opened another.
    assert_eq!(pulls, [None, None, Some(0)]);
    assert_eq!(
        m.script(),
        ["BEGIN", "RUN", "PULL", "RUN", "PULL", "PULL", "COMMIT"]
    );
    s.close().await.unwrap();
    d.close().await;
}

#[tokio::test]
async fn commit_discards_an_earlier_open_result_by_its_qid() {
    // OUTER stays open (has_more) while INNER, run after it, is consumed:
    // a DISCARD without qid before COMMIT would address INNER, which the
    // server has finished (Neo4j fails it: "No such statement: 1").
    let runs = Arc::new(AtomicUsize::new(0));
    let r = runs.clone();
    let m = start(Version::V5_0, move |conn, req| match req {
        Request::Run(_) => {
            let qid = r.fetch_add(1, Ordering::SeqCst) as i64;
            Action::Reply(vec![support::success(&[
                ("fields", vec!["n"].into()),
                ("qid", qid.into()),
            ])])
        }
        Request::Pull(_) if r.load(Ordering::SeqCst) == 1 => Action::Reply(vec![
            support::record("o1"),
            support::success(&[("has_more", true.into())]),
        ]),
        Request::Pull(_) => Action::Reply(vec![support::record("i1"), support::ok()]),
        _ => default_answer(conn, req),
    })
    .await;
    let d = driver(&m);
    let mut s = d.session(SessionConfig::new().with_database("db").with_fetch_size(1));
    let tx = begin(&mut s).await;
    let mut outer = tx.run("OUTER", params! {}).await.unwrap();
    let first: String = outer.next().await.unwrap().unwrap().get("n").unwrap();
    assert_eq!(first, "o1");
    let inner = tx.run("INNER", params! {}).await.unwrap().collect().await;
    assert_eq!(inner.unwrap().len(), 1);
    drop(outer);
    tx.commit().await.unwrap();
    assert_eq!(
        m.script(),
        ["BEGIN", "RUN", "PULL", "RUN", "PULL", "DISCARD", "COMMIT"]
    );
    let discards: Vec<Option<i64>> = m
        .requests()
        .into_iter()
        .filter_map(|(_, r)| match r {
            Request::Discard(p) => Some(p.qid),
            _ => None,
        })
        .collect();
    assert_eq!(discards, [Some(0)]);
    s.close().await.unwrap();
    d.close().await;
}

#[tokio::test]
async fn server_info_names_the_resolved_address_connected_to() {
    let m = start(Version::V5_0, default_answer).await;
    let stub = m.address();
    let (host, port) = stub.rsplit_once(':').unwrap();
    let (host, port) = (host.to_owned(), port.parse::<u16>().unwrap());
    // Nothing listens on port 1: the resolver's second answer connects.
    let cfg = config()
        .with_resolver(move |_: &neo4j::ServerAddress| {
            vec![
                neo4j::ServerAddress::new("127.0.0.1", 1),
                neo4j::ServerAddress::new(host.clone(), port),
            ]
        })
        .build()
        .unwrap();
    let d = neo4j::GraphDatabase::driver("bolt://logical:7687", cfg).unwrap();
    let mut s = session(&d);
    let summary = s
        .run("RETURN 1", params! {})
        .await
        .unwrap()
        .consume()
        .await
        .unwrap();
    assert_eq!(summary.server().address.to_string(), stub);
    assert_eq!(d.server_info().await.unwrap().address.to_string(), stub);
    s.close().await.unwrap();
    d.close().await;
}

#[tokio::test]
async fn earlier_results_of_a_failed_transaction_repeat_its_failure() {
    let runs = Arc::new(AtomicUsize::new(0));
    let r = runs.clone();
    let m = start(Version::V5_0, move |conn, req| match req {
        Request::Run(_) if r.fetch_add(1, Ordering::SeqCst) == 1 => {
            Action::Reply(vec![support::failure(
                "Neo.ClientError.Statement.SyntaxError",
                "bad",
            )])
        }
        Request::Pull(_) if r.load(Ordering::SeqCst) == 1 => Action::Reply(vec![
            support::record(1),
            support::success(&[("has_more", true.into())]),
        ]),
        _ => default_answer(conn, req),
    })
    .await;
    let d = driver(&m);
    let mut s = d.session(SessionConfig::new().with_database("db").with_fetch_size(1));
    let tx = begin(&mut s).await;
    let mut res = tx.run("RETURN 1", params! {}).await.unwrap();
    let e = tx.run("invalid", params! {}).await.unwrap_err();
    assert!(e.to_string().contains("SyntaxError"), "{e}");
    // The record already fetched is still delivered, then the failure.
    assert!(res.next().await.unwrap().is_ok());
    let again = res.next().await.unwrap().unwrap_err();
    assert!(again.to_string().contains("SyntaxError"), "{again}");
    drop(res);
    tx.close().await.unwrap();
    assert_eq!(m.script()[..4], ["BEGIN", "RUN", "PULL", "RUN"]);
    assert_eq!(m.count(RequestKind::Pull), 2, "no PULL after the failure");
    s.close().await.unwrap();
    d.close().await;
}

#[tokio::test]
async fn an_autocommit_result_asks_for_the_next_batch_while_the_caller_reads_this_one() {
    let pulls = Arc::new(AtomicUsize::new(0));
    let p = pulls.clone();
    let m = start(Version::V5_0, move |conn, req| match req {
        Request::Pull(_) => {
            let batch = p.fetch_add(1, Ordering::SeqCst) as i64;
            let mut out: Vec<_> = (1..=8).map(|i| support::record(batch * 8 + i)).collect();
            if batch < 2 {
                out.push(support::success(&[("has_more", true.into())]));
            } else {
                out.truncate(1);
                out.push(support::ok());
            }
            Action::Reply(out)
        }
        _ => default_answer(conn, req),
    })
    .await;
    let d = driver(&m);
    let mut s = d.session(SessionConfig::new().with_database("db").with_fetch_size(8));
    let mut r = s.run("RETURN 1", params! {}).await.unwrap();
    let mut got = Vec::new();
    for _ in 0..6 {
        got.push(r.next().await.unwrap().unwrap().get_at::<i64>(0).unwrap());
    }
    // Two of eight left: not yet.
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(m.count(RequestKind::Pull), 1);
    got.push(r.next().await.unwrap().unwrap().get_at::<i64>(0).unwrap());
    // One left (under a quarter of the batch): the next PULL goes out now,
    // before the caller asks for record 9.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while m.count(RequestKind::Pull) < 2 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(m.count(RequestKind::Pull), 2);
    while let Some(rec) = r.next().await {
        got.push(rec.unwrap().get_at::<i64>(0).unwrap());
    }
    assert_eq!(got, (1..=17).collect::<Vec<i64>>());
    drop(r);
    // Consuming early discards instead of pulling ahead.
    pulls.store(0, Ordering::SeqCst);
    let r = s.run("RETURN 1", params! {}).await.unwrap();
    r.consume().await.unwrap();
    assert_eq!(
        m.script(),
        ["RUN", "PULL", "PULL", "PULL", "RUN", "PULL", "DISCARD"]
    );
    s.close().await.unwrap();
    d.close().await;
}

/// A value the driver cannot decode (a structure of unknown tag 0x7A).
fn undecodable() -> Response {
    Response::Record(Record {
        fields: vec![Value::Structure(Structure {
            tag: 0x7A,
            fields: vec![1.into()],
        })],
    })
}

#[tokio::test]
async fn an_undecodable_record_is_an_error_where_it_stands_in_the_stream() {
    // Records are decoded when read: the ones before the bad one arrive,
    // then a protocol error, then the end.
    let m = answering(RequestKind::Pull, || {
        Action::Reply(vec![
            support::record(1),
            undecodable(),
            support::record(3),
            support::success(&[("bookmark", "bm:1".into())]),
        ])
    })
    .await;
    let d = driver(&m);
    let mut s = session(&d);
    let mut r = s.run("RETURN 1 AS n", params! {}).await.unwrap();
    let n: i64 = r.next().await.unwrap().unwrap().get("n").unwrap();
    assert_eq!(n, 1);
    let e = r.next().await.unwrap().unwrap_err();
    assert!(matches!(e, Error::Protocol(_)), "{e:?}");
    assert!(r.next().await.is_none());
    assert!(matches!(r.consume().await, Err(Error::ResultConsumed)));
    // Through `peek` and the `Stream` impl alike.
    let mut r = s.run("RETURN 1 AS n", params! {}).await.unwrap();
    assert!(r.peek().await.unwrap().is_ok());
    assert!(r.next().await.unwrap().is_ok());
    assert!(matches!(r.peek().await, Some(Err(Error::Protocol(_)))));
    assert!(r.peek().await.is_none());
    drop(r);
    let mut r = s.run("RETURN 1 AS n", params! {}).await.unwrap();
    let got: Vec<_> = futures_util::StreamExt::collect::<Vec<_>>(&mut r).await;
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(matches!(got[1], Err(Error::Protocol(_))), "{got:?}");
    drop(r);
    s.close().await.unwrap();
    d.close().await;
}

#[tokio::test]
async fn an_undecodable_record_breaks_a_connection_the_stream_still_holds() {
    // A batch with more to come: the stream still holds the connection, so
    // the bad record breaks it (no DISCARD is sent on it) and the next
    // query runs on a new one.
    let m = start(Version::V5_0, |conn, req| match req {
        Request::Pull(_) if conn == 0 => Action::Reply(vec![
            support::record(1),
            undecodable(),
            support::success(&[("has_more", true.into())]),
        ]),
        _ => default_answer(conn, req),
    })
    .await;
    let d = driver(&m);
    let mut s = d.session(SessionConfig::new().with_database("db").with_fetch_size(2));
    let mut r = s.run("RETURN 1 AS n", params! {}).await.unwrap();
    assert!(r.next().await.unwrap().is_ok());
    let e = r.next().await.unwrap().unwrap_err();
    assert!(matches!(e, Error::Protocol(_)), "{e:?}");
    assert!(r.next().await.is_none());
    drop(r);
    let n: i64 = s
        .run("RETURN 1 AS n", params! {})
        .await
        .unwrap()
        .single()
        .await
        .unwrap()
        .get("n")
        .unwrap();
    assert_eq!(n, 1);
    let on = |c: usize| -> Vec<&'static str> {
        m.requests()
            .into_iter()
            .filter(|(i, _)| *i == c)
            .map(|(_, r)| r.kind().name())
            .filter(|k| !matches!(*k, "HELLO" | "LOGON" | "GOODBYE"))
            .collect()
    };
    assert_eq!(on(0), ["RUN", "PULL"]);
    assert_eq!(on(1), ["RUN", "PULL"]);
    s.close().await.unwrap();
    d.close().await;
}

/// The RUN and BEGIN messages are kept with the pooled connection and
/// filled in place for the next unit of work, whichever session runs it:
/// a later session must send its own settings, none of an earlier one's.
#[tokio::test]
async fn a_reused_connection_sends_each_sessions_own_settings() {
    let m = start(Version::V5_0, default_answer).await;
    let d = bolt_driver(&m, config().with_max_connection_pool_size(1));
    let with_all = neo4j::TransactionConfig::new()
        .with_timeout(Duration::from_secs(7))
        .with_metadata(params! {"app" => "a"});
    // Session 1: database, impersonation, timeout and metadata; an
    // auto-commit query ("RETURN 1") and an explicit transaction (BEGIN,
    // "RETURN 2").
    let mut s1 = d.session(
        SessionConfig::new()
            .with_database("db1")
            .with_impersonated_user("alice"),
    );
    s1.run_with_config(neo4j::Query::new("RETURN 1"), with_all.clone())
        .await
        .unwrap()
        .consume()
        .await
        .unwrap();
    let tx = s1.begin_transaction(with_all).await.unwrap();
    tx_run_consumed(&tx, "RETURN 2").await;
    tx.commit().await.unwrap();
    s1.close().await.unwrap();
    // Session 2 on the same (only) connection, with none of it: "RETURN 3"
    // auto-commit, then BEGIN and "RETURN 4".
    let mut s2 = d.session(SessionConfig::new().with_database("db2"));
    run_consumed(&mut s2, "RETURN 3").await;
    let tx = begin(&mut s2).await;
    tx_run_consumed(&tx, "RETURN 4").await;
    tx.commit().await.unwrap();
    s2.close().await.unwrap();

    let sent = m.requests();
    assert!(
        sent.iter().all(|(conn, _)| *conn == sent[0].0),
        "one connection"
    );
    // Each message's metadata, named by the query it ran or the BEGIN it
    // was, in order: RETURN 1, BEGIN, RETURN 2, RETURN 3, BEGIN, RETURN 4.
    let extras: Vec<(String, TxExtra)> = sent
        .iter()
        .filter_map(|(_, r)| match r {
            Request::Run(run) => Some((run.query.clone(), run.tx.clone())),
            Request::Begin(b) => Some(("BEGIN".into(), b.tx.clone())),
            _ => None,
        })
        .collect();
    let names: Vec<&str> = extras.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["RETURN 1", "BEGIN", "RETURN 2", "RETURN 3", "BEGIN", "RETURN 4"]
    );
    for (name, tx) in &extras[..2] {
        assert_eq!(tx.db.as_deref(), Some("db1"), "{name}");
        assert_eq!(tx.imp_user.as_deref(), Some("alice"), "{name}");
        assert_eq!(tx.tx_timeout, Some(7000), "{name}");
        // Decoded by the stub: the metadata arrives as a map.
        assert!(tx.tx_metadata.is_some(), "{name}");
    }
    // Session 2's RUN starts without session 1's bookmarks; its BEGIN
    // carries the bookmark of that RUN. Nothing else but the database.
    assert!(extras[3].1.bookmarks.is_empty(), "{:?}", extras[3].1);
    for (name, tx) in [&extras[3], &extras[4]] {
        let mut only_db = TxExtra {
            bookmarks: tx.bookmarks.clone(),
            ..TxExtra::default()
        };
        only_db.db = Some("db2".into());
        assert_eq!(tx, &only_db, "{name}");
    }
    // The RUNs inside the transactions carry no transaction metadata.
    for (name, tx) in [&extras[2], &extras[5]] {
        assert!(tx.is_empty(), "{name}: {tx:?}");
    }
}

/// A Bolt 5.0 member answering each `kind` request with IGNORED (with no
/// FAILURE before it: the server did not process the request).
async fn ignoring(kind: RequestKind) -> Member {
    answering(kind, || Action::Reply(vec![Response::Ignored])).await
}

#[tokio::test]
async fn a_commit_answered_ignored_is_an_error_and_not_retried() {
    let m = ignoring(RequestKind::Commit).await;
    let d = driver(&m);
    let mut s = session(&d);
    let tx = begin(&mut s).await;
    tx_run_consumed(&tx, "RETURN 1 AS n").await;
    let e = tx.commit().await.unwrap_err();
    assert!(matches!(e, Error::Protocol(_)), "{e:?}");
    assert!(!e.is_retryable());
    assert!(s.last_bookmarks().is_empty());
    // A managed transaction does not report success, nor runs again.
    let attempts = Arc::new(AtomicUsize::new(0));
    let r = s
        .execute_write(|tx| {
            let attempts = attempts.clone();
            async move {
                attempts.fetch_add(1, Ordering::SeqCst);
                tx.run("RETURN 1 AS n", params! {}).await?.consume().await
            }
        })
        .await;
    let e = r.unwrap_err();
    assert!(matches!(e, Error::Protocol(_)), "{e:?}");
    assert_eq!(attempts.load(Ordering::SeqCst), 1);
    // The connection was reset before it was used again.
    run_consumed(&mut s, "RETURN 1 AS n").await;
    let tx = ["BEGIN", "RUN", "PULL", "COMMIT", "RESET"];
    assert_eq!(m.script(), [&tx[..], &tx[..], &["RUN", "PULL"]].concat());
    s.close().await.unwrap();
    d.close().await;
}

#[tokio::test]
async fn a_rollback_answered_ignored_is_an_error() {
    let m = ignoring(RequestKind::Rollback).await;
    let d = driver(&m);
    let mut s = session(&d);
    let tx = begin(&mut s).await;
    tx_run_consumed(&tx, "RETURN 1 AS n").await;
    let e = tx.rollback().await.unwrap_err();
    assert!(matches!(e, Error::Protocol(_)), "{e:?}");
    run_consumed(&mut s, "RETURN 1 AS n").await;
    assert_eq!(
        m.script(),
        ["BEGIN", "RUN", "PULL", "ROLLBACK", "RESET", "RUN", "PULL"]
    );
    s.close().await.unwrap();
    d.close().await;
}

#[tokio::test]
async fn a_begin_answered_ignored_is_an_error_and_the_connection_is_reset() {
    let m = ignoring(RequestKind::Begin).await;
    let d = driver(&m);
    let mut s = session(&d);
    // Explicit: BEGIN's answer is awaited.
    let e = s
        .begin_transaction(neo4j::TransactionConfig::new())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Protocol(_)), "{e:?}");
    assert!(!e.is_retryable());
    // Managed: BEGIN is pipelined with the first RUN (answered SUCCESS
    // here), or read by the commit when the closure ran nothing.
    let attempts = Arc::new(AtomicUsize::new(0));
    for query in [Some("RETURN 1 AS n"), None] {
        let r = s
            .execute_write(|tx| {
                let attempts = attempts.clone();
                async move {
                    attempts.fetch_add(1, Ordering::SeqCst);
                    if let Some(q) = query {
                        tx.run(q, params! {}).await?.consume().await?;
                    }
                    Ok::<_, Error>(())
                }
            })
            .await;
        let e = r.unwrap_err();
        assert!(matches!(e, Error::Protocol(_)), "{e:?}");
    }
    assert_eq!(attempts.load(Ordering::SeqCst), 2);
    run_consumed(&mut s, "RETURN 1 AS n").await;
    assert_eq!(
        m.script(),
        [
            "BEGIN", "RESET", // explicit
            "BEGIN", "RUN", "PULL", "RESET", // managed, with a query
            "BEGIN", "RESET", // managed, without one
            "RUN", "PULL"
        ]
    );
    s.close().await.unwrap();
    d.close().await;
}

/// A Bolt 5.0 member that answers the PULL of each `CREATE (:Lost)` with a
/// transient FAILURE (RUN succeeds, so `run` returns a result).
async fn failing_lost_writes() -> Member {
    let lost = Arc::new(std::sync::atomic::AtomicBool::new(false));
    start(Version::V5_0, move |conn, req| match req {
        Request::Run(r) if r.query == "CREATE (:Lost)" => {
            lost.store(true, Ordering::SeqCst);
            Action::Reply(vec![support::success(&[("fields", Value::List(vec![]))])])
        }
        Request::Pull(_) if lost.swap(false, Ordering::SeqCst) => {
            Action::Reply(vec![support::failure(
                "Neo.TransientError.Transaction.Outdated",
                "write lost",
            )])
        }
        _ => default_answer(conn, req),
    })
    .await
}

#[tokio::test]
async fn a_dropped_autocommit_result_that_failed_reports_its_failure_on_the_next_call() {
    const CODE: &str = "Neo.TransientError.Transaction.Outdated";
    let m = failing_lost_writes().await;
    let d = driver(&m);
    let mut s = session(&d);
    // run: the next query is not run; the one after it is.
    drop(s.run("CREATE (:Lost)", params! {}).await.unwrap());
    let e = s.run("RETURN 1 AS n", params! {}).await.unwrap_err();
    assert_eq!(e.code(), Some(CODE), "{e:?}");
    run_consumed(&mut s, "RETURN 1 AS n").await;
    // begin_transaction.
    drop(s.run("CREATE (:Lost)", params! {}).await.unwrap());
    let e = s
        .begin_transaction(neo4j::TransactionConfig::new())
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(CODE), "{e:?}");
    begin(&mut s).await.commit().await.unwrap();
    // execute_write: the earlier work's failure, even a retryable one, is
    // not the transaction's: returned before it starts, not retried.
    let attempts = Arc::new(AtomicUsize::new(0));
    let work = |tx: neo4j::ManagedTransaction| {
        let attempts = attempts.clone();
        async move {
            attempts.fetch_add(1, Ordering::SeqCst);
            tx.run("RETURN 1 AS n", params! {}).await?.consume().await
        }
    };
    drop(s.run("CREATE (:Lost)", params! {}).await.unwrap());
    let e = s.execute_write(work).await.unwrap_err();
    assert_eq!(e.code(), Some(CODE), "{e:?}");
    assert_eq!(attempts.load(Ordering::SeqCst), 0);
    s.execute_write(work).await.unwrap();
    assert_eq!(attempts.load(Ordering::SeqCst), 1);
    // close.
    drop(s.run("CREATE (:Lost)", params! {}).await.unwrap());
    let e = s.close().await.unwrap_err();
    assert_eq!(e.code(), Some(CODE), "{e:?}");
    d.close().await;
}

#[tokio::test]
async fn records_reach_the_caller_as_they_arrive_not_when_the_batch_ends() {
    // One record, then NOOPs every 5 ms and never a summary.
    let m = answering(RequestKind::Pull, || {
        Action::ReplyThenNoops(vec![support::record(1)], Duration::from_millis(5))
    })
    .await;
    let d = driver(&m);
    let mut s = session(&d);
    let mut r = s.run("RETURN 1 AS n", params! {}).await.unwrap();
    let first = tokio::time::timeout(Duration::from_secs(2), r.next())
        .await
        .expect("the record waited for the end of its batch");
    assert_eq!(first.unwrap().unwrap().get::<i64>("n").unwrap(), 1);
    // NOOPs are neither records nor errors: the stream waits on (up to
    // the read timeout: bolt-pool's tests show it ends there).
    let waiting = tokio::time::timeout(Duration::from_millis(300), r.next()).await;
    assert!(waiting.is_err(), "{waiting:?}");
    assert!(format!("{r:?}").contains("buffered: 0"), "{r:?}");
    // The server goes away: the wait ends with it.
    m.kill();
    let e = tokio::time::timeout(Duration::from_secs(5), r.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap_err();
    assert!(matches!(e, Error::ServiceUnavailable(_)), "{e:?}");
    drop(r);
    drop(s);
    d.close().await;
}

#[tokio::test]
async fn more_records_than_the_fetch_size_are_a_protocol_error() {
    // Asked for 2, the server sends 3.
    let m = answering(RequestKind::Pull, || {
        Action::Reply(vec![
            support::record(1),
            support::record(2),
            support::record(3),
            support::success(&[("has_more", true.into())]),
        ])
    })
    .await;
    let d = driver(&m);
    let mut s = d.session(SessionConfig::new().with_database("db").with_fetch_size(2));
    let too_many =
        |e: &Error| matches!(e, Error::Protocol(m) if m.contains("more RECORDs than the 2"));
    let mut r = s.run("RETURN 1 AS n", params! {}).await.unwrap();
    let mut got = Vec::new();
    // Bounded: a driver taking every record would pull forever.
    while let Some(rec) = tokio::time::timeout(Duration::from_secs(5), r.next())
        .await
        .unwrap()
    {
        got.push(rec);
        assert!(got.len() <= 3, "{got:?}");
    }
    assert!(got.last().unwrap().as_ref().is_err_and(too_many), "{got:?}");
    assert!(got.iter().filter(|r| r.is_ok()).count() <= 2, "{got:?}");
    drop(r);
    // In a transaction, where a batch is read whole before it is handed out.
    let tx = begin(&mut s).await;
    let mut r = tx.run("RETURN 1 AS n", params! {}).await.unwrap();
    let e = r.next().await.unwrap().unwrap_err();
    assert!(too_many(&e), "{e:?}");
    drop(r);
    drop(tx);
    drop(s);
    d.close().await;
}

#[tokio::test]
async fn last_bookmarks_does_not_finish_a_dropped_result_the_next_call_does() {
    // Each PULL's SUCCESS carries the bookmark `bm:<n>`; `CREATE (:Lost)`'s
    // PULL fails instead.
    let pulls = Arc::new(AtomicUsize::new(0));
    let lost = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (pulls2, lost2) = (pulls.clone(), lost.clone());
    let m = start(Version::V5_0, move |conn, req| match req {
        Request::Run(r) => {
            lost2.store(r.query == "CREATE (:Lost)", Ordering::SeqCst);
            default_answer(conn, req)
        }
        Request::Pull(_) if lost2.load(Ordering::SeqCst) => Action::Reply(vec![support::failure(
            "Neo.TransientError.Transaction.Outdated",
            "write lost",
        )]),
        Request::Pull(_) => {
            let n = pulls2.fetch_add(1, Ordering::SeqCst) + 1;
            Action::Reply(vec![
                support::record(1),
                support::success(&[("bookmark", format!("bm:{n}").into())]),
            ])
        }
        _ => default_answer(conn, req),
    })
    .await;
    let d = driver(&m);
    let mut s = session(&d);
    let raw = |s: &neo4j::Session| {
        s.last_bookmarks()
            .raw_values()
            .map(String::from)
            .collect::<Vec<_>>()
    };

    // A result dropped before its end: its bookmark is not known yet
    // (nothing waits for the network here)...
    drop(s.run("RETURN 1 AS n", params! {}).await.unwrap());
    assert!(raw(&s).is_empty(), "{:?}", raw(&s));
    // ...the next call finishes it, and its unit of work waits for it.
    let tx = begin(&mut s).await;
    let sent: Vec<Vec<String>> = m
        .requests()
        .into_iter()
        .filter_map(|(_, r)| match r {
            Request::Begin(b) => Some(b.tx.bookmarks.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(sent, [vec!["bm:1".to_owned()]]);
    tx.commit().await.unwrap();

    // A dropped result whose query failed: last_bookmarks keeps the
    // bookmarks from before it and reports nothing; the next call returns
    // the failure, and the bookmarks stay those from before it.
    let before = raw(&s);
    drop(s.run("CREATE (:Lost)", params! {}).await.unwrap());
    assert_eq!(raw(&s), before);
    let e = s.run("RETURN 1 AS n", params! {}).await.unwrap_err();
    assert_eq!(e.code(), Some("Neo.TransientError.Transaction.Outdated"));
    assert_eq!(raw(&s), before);
    s.close().await.unwrap();
    d.close().await;
}
