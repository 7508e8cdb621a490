//! Sessions, results, transactions and bookmarks against ArcadeDB, on the
//! default Bolt version (5.4) and forced 4.4 and 3.0.

mod common;
mod queries;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use futures_util::StreamExt;
use neo4j::{params, AccessMode, Bookmarks, Error, Session};
use queries::{begin, managed_count, run_consumed, single, tx_run_consumed};

async fn count(s: &mut Session, label: &str) -> i64 {
    single(s, format!("MATCH (n:{label}) RETURN count(n) AS c"))
        .await
        .get("c")
        .unwrap()
}

#[tokio::test]
#[ignore = "needs a server: cargo xtask test"]
async fn auto_commit_run_streams_records_in_batches() {
    let driver = driver();
    let mut s = driver.session(session_cfg().with_fetch_size(7));
    let mut r = s
        .run(
            "UNWIND range(1, $n) AS i RETURN i, i * 2 AS d",
            params! {"n" => 25},
        )
        .await
        .unwrap();
    assert_eq!(r.keys(), ["i", "d"]);
    assert_eq!(r.peek().await.unwrap().unwrap().get::<i64>("i").unwrap(), 1);
    let mut sum = 0;
    while let Some(rec) = r.next().await {
        let rec = rec.unwrap();
        sum += rec.get::<i64>("i").unwrap();
        assert_eq!(
            rec.get::<i64>("d").unwrap(),
            2 * rec.get::<i64>("i").unwrap()
        );
    }
    assert_eq!(sum, 325);
    let summary = r.consume().await.unwrap();
    assert_eq!(
        summary.query().text(),
        "UNWIND range(1, $n) AS i RETURN i, i * 2 AS d"
    );
    assert_eq!(
        summary.query().params().get("n"),
        Some(&neo4j::Value::Integer(25))
    );
    assert_eq!(summary.server().protocol_version.0, 5);
    // As a futures Stream, across several batches.
    let n = s
        .run("UNWIND range(1, 30) AS i RETURN i", params! {})
        .await
        .unwrap()
        .map(|r| r.unwrap().get::<i64>("i").unwrap())
        .collect::<Vec<_>>()
        .await;
    assert_eq!(n, (1..=30).collect::<Vec<_>>());
    // single / collect
    let one = single(&mut s, "RETURN 1 AS x").await;
    assert_eq!(one.get::<i64>("x").unwrap(), 1);
    let e = s
        .run("UNWIND [1, 2] AS x RETURN x", params! {})
        .await
        .unwrap()
        .single()
        .await;
    assert!(matches!(e, Err(Error::ResultNotSingle(_))), "{e:?}");
    let all = s
        .run("UNWIND [1, 2, 3] AS x RETURN x", params! {})
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 3);
    s.close().await.unwrap();
    driver.close().await;
}

#[tokio::test]
#[ignore = "needs a server: cargo xtask test"]
async fn unconsumed_results_are_discarded_and_counters_reported() {
    let driver = driver();
    let l = label("Disc");
    let mut s = driver.session(session_cfg().with_fetch_size(2));
    {
        let mut r = s
            .run("UNWIND range(1, 100) AS i RETURN i", params! {})
            .await
            .unwrap();
        r.next().await.unwrap().unwrap();
        // dropped with records left on the server
    }
    let summary = run_consumed(&mut s, format!("CREATE (:{l} {{a: 1}}), (:{l} {{a: 2}})")).await;
    assert_eq!(summary.counters().nodes_created, 2);
    assert!(summary.counters().contains_updates());
    assert_eq!(count(&mut s, &l).await, 2);
    s.close().await.unwrap();
    let m = driver.pool_metrics();
    assert_eq!(m[0].1.in_use, 0, "{m:?}");
    driver.close().await;
}

#[tokio::test]
#[ignore = "needs a server: cargo xtask test"]
async fn errors_leave_the_session_usable() {
    let driver = driver();
    let mut s = driver.session(session_cfg());
    let e = s.run("THIS IS NOT CYPHER", params! {}).await.unwrap_err();
    assert!(matches!(e, Error::Server { .. }), "{e:?}");
    assert!(!e.is_retryable());
    assert_eq!(count(&mut s, "NoSuchLabelAtAll").await, 0);
    // In a transaction: the failure fails the transaction, the session lives on.
    let tx = begin(&mut s).await;
    assert!(tx.run("NOT CYPHER EITHER", params! {}).await.is_err());
    assert!(!tx.is_open());
    assert!(tx.run("RETURN 1", params! {}).await.is_err());
    tx.rollback().await.unwrap();
    assert_eq!(count(&mut s, "NoSuchLabelAtAll").await, 0);
    s.close().await.unwrap();
    driver.close().await;
}

async fn commit_and_rollback(driver: &neo4j::Driver, cfg: neo4j::SessionConfig) {
    let l = label("Tx");
    let mut s = driver.session(cfg.clone());
    let tx = begin(&mut s).await;
    tx.run(format!("CREATE (:{l} {{v: $v}})"), params! {"v" => 1})
        .await
        .unwrap()
        .consume()
        .await
        .unwrap();
    // A result left unconsumed inside the transaction is discarded.
    let _ = tx
        .run("UNWIND range(1, 10) AS x RETURN x", params! {})
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let bm = s.last_bookmarks();
    let mut other = driver.session(cfg.clone().with_bookmarks(bm));
    assert_eq!(
        count(&mut other, &l).await,
        1,
        "commit visible to another session"
    );

    let tx = begin(&mut s).await;
    tx_run_consumed(&tx, format!("CREATE (:{l} {{v: 2}})")).await;
    tx.rollback().await.unwrap();
    assert_eq!(count(&mut other, &l).await, 1, "rollback not visible");

    let tx = begin(&mut s).await;
    tx_run_consumed(&tx, format!("CREATE (:{l} {{v: 3}})")).await;
    tx.close().await.unwrap();
    assert_eq!(count(&mut other, &l).await, 1, "close rolls back");

    // Dropped while open: rolled back, connection not leaked.
    {
        let tx = begin(&mut s).await;
        tx_run_consumed(&tx, format!("CREATE (:{l} {{v: 4}})")).await;
    }
    assert_eq!(
        count(&mut s, &l).await,
        1,
        "dropped transaction rolled back"
    );
    other.close().await.unwrap();
    s.close().await.unwrap();
}

#[tokio::test]
#[ignore = "needs a server: cargo xtask test"]
async fn explicit_transactions_bolt_5() {
    let d = driver();
    commit_and_rollback(&d, session_cfg()).await;
    assert_eq!(d.server_info().await.unwrap().protocol_version, (5, 4));
    d.close().await;
}

#[tokio::test]
#[ignore = "needs a server: cargo xtask test"]
async fn explicit_transactions_bolt_4_4() {
    let d = driver_with(builder().with_protocol_versions([(4, 4)]));
    assert_eq!(d.server_info().await.unwrap().protocol_version, (4, 4));
    assert!(d.supports_multi_db().await.unwrap());
    commit_and_rollback(&d, session_cfg()).await;
    d.close().await;
}

#[tokio::test]
#[ignore = "needs a server: cargo xtask test"]
async fn explicit_transactions_bolt_3_0() {
    let d = driver_with(builder().with_protocol_versions([(3, 0)]));
    assert_eq!(d.server_info().await.unwrap().protocol_version, (3, 0));
    assert!(!d.supports_multi_db().await.unwrap());
    // No database selection before 4.0: the first database is the default.
    commit_and_rollback(&d, neo4j::SessionConfig::new()).await;
    let mut s = d.session(session_cfg());
    let e = s.run("RETURN 1", params! {}).await.unwrap_err();
    assert!(matches!(e, Error::Unsupported(_)), "{e:?}");
    d.close().await;
}

#[tokio::test]
#[ignore = "needs a server: cargo xtask test"]
async fn dropped_transaction_connection_is_reset_by_the_pool() {
    let d = driver_with(builder().with_max_connection_pool_size(1));
    let l = label("Drop");
    {
        let mut s = d.session(session_cfg());
        let tx = begin(&mut s).await;
        tx_run_consumed(&tx, format!("CREATE (:{l})")).await;
        // session and transaction dropped together: the pool RESETs.
    }
    let mut s = d.session(session_cfg());
    assert_eq!(count(&mut s, &l).await, 0);
    s.close().await.unwrap();
    let m = d.pool_metrics()[0].1;
    assert_eq!((m.in_use, m.created), (0, 1), "{m:?}");
    d.close().await;
}

#[tokio::test]
#[ignore = "needs a server: cargo xtask test"]
async fn bookmarks_chain_sessions_and_two_databases_are_separate() {
    let d = driver();
    let dbs = databases();
    let l = label("Db");
    let mut a = d.session(session_cfg());
    run_consumed(&mut a, format!("CREATE (:{l})")).await;
    let bm = a.last_bookmarks();
    let mut b = d.session(session_cfg().with_bookmarks(bm.clone()));
    assert_eq!(count(&mut b, &l).await, 1);
    let combined = bm + Bookmarks::new();
    assert!(combined.len() <= 1);
    let mut other = d.session(neo4j::SessionConfig::new().with_database(dbs[1].clone()));
    assert_eq!(count(&mut other, &l).await, 0, "other database is separate");
    let summary = run_consumed(&mut other, "RETURN 1").await;
    if let Some(db) = summary.database() {
        assert_eq!(db, dbs[1]);
    }
    for s in [a, b, other] {
        s.close().await.unwrap();
    }
    d.close().await;
}

#[tokio::test]
#[ignore = "needs a server: cargo xtask test"]
async fn managed_transactions_commit_and_pass_user_errors() {
    let d = driver();
    let l = label("Managed");
    let mut s = d.session(session_cfg());
    let created = s
        .execute_write(|tx| {
            let l = l.clone();
            async move {
                let sum = tx
                    .run(format!("CREATE (:{l}), (:{l})"), params! {})
                    .await?
                    .consume()
                    .await?;
                Ok::<_, Error>(sum.counters().nodes_created)
            }
        })
        .await
        .unwrap();
    assert_eq!(created, 2);
    assert_eq!(managed_count(&mut s, &l).await, 2);

    #[derive(Debug)]
    enum AppError {
        Db(Error),
        Mine,
    }
    impl From<Error> for AppError {
        fn from(e: Error) -> Self {
            AppError::Db(e)
        }
    }
    let calls = AtomicU32::new(0);
    let r: Result<(), AppError> = s
        .execute_write(|tx| {
            calls.fetch_add(1, Ordering::SeqCst);
            let l = l.clone();
            async move {
                tx.run(format!("CREATE (:{l})"), params! {})
                    .await?
                    .consume()
                    .await?;
                Err(AppError::Mine)
            }
        })
        .await;
    assert!(matches!(r, Err(AppError::Mine)));
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "user errors are not retried"
    );
    assert_eq!(count(&mut s, &l).await, 2, "rolled back");
    let r: Result<(), AppError> = s
        .execute_write(|tx| async move {
            tx.run("NOT CYPHER", params! {}).await?;
            Ok(())
        })
        .await;
    assert!(
        matches!(r, Err(AppError::Db(Error::Server { .. }))),
        "{r:?}"
    );
    s.close().await.unwrap();
    d.close().await;
}

#[tokio::test]
#[ignore = "needs a server: cargo xtask test"]
async fn managed_transactions_retry_transient_errors_until_max_retry_time() {
    let d = driver_with(builder().with_max_retry_time(Duration::from_millis(2500)));
    let l = label("Retry");
    let mut s = d.session(session_cfg());
    let calls = Arc::new(AtomicU32::new(0));
    let started = Instant::now();
    let n = s
        .execute_write(|tx| {
            let calls = calls.clone();
            let l = l.clone();
            async move {
                tx.run(format!("CREATE (:{l})"), params! {})
                    .await?
                    .consume()
                    .await?;
                if calls.fetch_add(1, Ordering::SeqCst) < 2 {
                    return Err(Error::from_server_failure(
                        "Neo.TransientError.Transaction.DeadlockDetected",
                        "provoked",
                        None,
                    ));
                }
                Ok(calls.load(Ordering::SeqCst))
            }
        })
        .await
        .unwrap();
    assert_eq!(n, 3);
    assert!(
        started.elapsed() >= Duration::from_millis(2400),
        "backoff 1 s + 2 s (±20%)"
    );
    assert_eq!(count(&mut s, &l).await, 1, "failed attempts rolled back");

    // Always failing: gives up once max_retry_time is spent.
    let calls = AtomicU32::new(0);
    let started = Instant::now();
    let r: Result<(), Error> = s
        .execute_write(|_tx| {
            calls.fetch_add(1, Ordering::SeqCst);
            async {
                Err(Error::from_server_failure(
                    "Neo.TransientError.General.DatabaseUnavailable",
                    "always",
                    None,
                ))
            }
        })
        .await;
    assert!(r.unwrap_err().is_retryable());
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(2500) && took < Duration::from_secs(9),
        "{took:?}"
    );
    assert!(calls.load(Ordering::SeqCst) >= 3);
    s.close().await.unwrap();
    d.close().await;
}

#[tokio::test]
#[ignore = "needs a server: cargo xtask test"]
async fn execute_query_is_eager_and_chained() {
    let d = driver();
    let l = label("Eq");
    let r = d
        .execute_query(format!("CREATE (n:{l} {{x: $x}}) RETURN n.x AS x"))
        .param("x", 5)
        .database(db())
        .run()
        .await
        .unwrap();
    assert_eq!(r.keys, ["x"]);
    assert_eq!(r.records[0].get::<i64>("x").unwrap(), 5);
    assert_eq!(r.summary.counters().nodes_created, 1);
    let r = d
        .execute_query(format!("MATCH (n:{l}) RETURN count(n) AS c"))
        .database(db())
        .routing(neo4j::RoutingControl::Read)
        .await
        .unwrap();
    assert_eq!(r.records[0].get::<i64>("c").unwrap(), 1);
    d.close().await;
}

#[tokio::test]
#[ignore = "needs a server: cargo xtask test"]
async fn read_mode_sessions_and_closed_driver() {
    let d = driver();
    let mut s = d.session(session_cfg().with_default_access_mode(AccessMode::Read));
    assert_eq!(count(&mut s, "Nothing").await, 0);
    s.close().await.unwrap();
    d.verify_connectivity().await.unwrap();
    d.close().await;
    let mut s = d.session(session_cfg());
    assert!(matches!(
        s.run("RETURN 1", params! {}).await,
        Err(Error::DriverClosed)
    ));
    assert!(matches!(
        d.verify_connectivity().await,
        Err(Error::DriverClosed)
    ));
}
