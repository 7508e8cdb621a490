//! Managed transaction retries on a real transient error from ArcadeDB.
//!
//! ArcadeDB's transactions are optimistic: two transactions that change
//! the same record both run, and the second to commit fails with a
//! `ConcurrentModificationException`. Its Bolt plugin reports that as
//! `Neo.TransientError.Transaction.DeadlockDetected` (message: "Slot rebase
//! not possible on page ... (concurrent change to the same record). Please
//! retry the operation"), a transient error, so `execute_write` retries the
//! whole unit of work and the retry commits.

mod common;
mod queries;

use std::sync::atomic::{AtomicU32, Ordering};

use common::*;
use neo4j::{params, Classification, Error, TransactionConfig};
use queries::{begin, run_consumed, single};

async fn bump(s: &mut neo4j::Session, l: &str, by: i64) -> Result<(), Error> {
    let tx = s.begin_transaction(TransactionConfig::new()).await?;
    tx.run(
        format!("MATCH (x:{l} {{id: 1}}) SET x.n = x.n + $by"),
        params! {"by" => by},
    )
    .await?
    .consume()
    .await?;
    tx.commit().await
}

#[tokio::test]
#[ignore = "needs a server: cargo xtask test"]
async fn concurrent_commit_is_transient_and_execute_write_retries_it() {
    let d = driver();
    let l = label("Conflict");
    let mut s = d.session(session_cfg());
    run_consumed(&mut s, format!("CREATE (:{l} {{id: 1, n: 0}})")).await;

    // Two explicit transactions on the same node: the later commit fails.
    let mut a = d.session(session_cfg());
    let mut b = d.session(session_cfg());
    let ta = begin(&mut a).await;
    let tb = begin(&mut b).await;
    let set = format!("MATCH (x:{l} {{id: 1}}) SET x.n = x.n + 100");
    ta.run(set.clone(), params! {})
        .await
        .unwrap()
        .consume()
        .await
        .unwrap();
    tb.run(set, params! {})
        .await
        .unwrap()
        .consume()
        .await
        .unwrap();
    ta.commit().await.unwrap();
    let e = tb.commit().await.unwrap_err();
    assert_eq!(
        e.code(),
        Some("Neo.TransientError.Transaction.DeadlockDetected")
    );
    assert_eq!(e.classification(), Some(Classification::TransientError));
    assert!(e.is_retryable());
    assert!(e.to_string().contains("concurrent change"), "{e}");

    // A managed transaction whose first attempt loses the same race.
    let calls = AtomicU32::new(0);
    let other = d.clone();
    let l2 = l.clone();
    s.execute_write(|tx| {
        let n = calls.fetch_add(1, Ordering::SeqCst);
        let (other, l) = (other.clone(), l2.clone());
        async move {
            tx.run(
                format!("MATCH (x:{l} {{id: 1}}) SET x.n = x.n + 1"),
                params! {},
            )
            .await?
            .consume()
            .await?;
            if n == 0 {
                // Someone else changes the node and commits first.
                let mut o = other.session(session_cfg());
                bump(&mut o, &l, 10).await?;
                o.close().await?;
            }
            Ok::<_, Error>(())
        }
    })
    .await
    .unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 2, "one retry");
    let n: i64 = single(&mut s, format!("MATCH (x:{l}) RETURN x.n AS n"))
        .await
        .get("n")
        .unwrap();
    assert_eq!(n, 111, "100 + the other's 10 + the retried 1");
    s.close().await.unwrap();
    d.close().await;
}
