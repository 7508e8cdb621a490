//! Managed transactions against real server errors: a deadlock (transient)
//! is retried, a syntax error and a terminated transaction (client errors)
//! are not.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;

use neo4j::{params, AccessMode, Classification, Error, ManagedTransaction, TransactionConfig};
use tokio::sync::Barrier;

use crate::queries::run_consumed;
use crate::{cleanup, db_cfg, label, on_each};

/// Sets `n = n + 1` on the node of `label` with `id`, taking its write lock.
async fn bump(
    tx: &ManagedTransaction,
    label: &str,
    id: i64,
    errors: &Mutex<Vec<String>>,
) -> Result<(), Error> {
    let r = async {
        tx.run(
            format!("MATCH (x:{label} {{id: $id}}) SET x.n = x.n + 1"),
            params! {"id" => id},
        )
        .await?
        .consume()
        .await
    }
    .await;
    if let Err(e) = &r {
        errors
            .lock()
            .unwrap()
            .push(e.code().unwrap_or("<no code>").to_owned());
    }
    r.map(|_| ())
}

/// Two managed transactions lock two nodes in opposite order, meeting at a
/// barrier between their first and second lock: the server finds the
/// deadlock and fails one of them with
/// `Neo.TransientError.Transaction.DeadlockDetected`. That one is retried
/// (without the barrier) and both commit: one retry in all, each node
/// bumped twice.
#[tokio::test]
#[ignore = "needs a server: cargo xtask test"]
async fn a_deadlock_victim_is_retried_and_both_transactions_commit() {
    on_each(async |t| {
        let d = t.driver();
        let l = label("Deadlock");
        let mut setup = d.session(db_cfg());
        run_consumed(
            &mut setup,
            format!("CREATE (:{l} {{id: 1, n: 0}}), (:{l} {{id: 2, n: 0}})"),
        )
        .await;
        setup.close().await.unwrap();

        let barrier = Barrier::new(2);
        let errors = Mutex::new(Vec::new());
        let calls = [AtomicU32::new(0), AtomicU32::new(0)];
        let mut sa = d.session(db_cfg());
        let mut sb = d.session(db_cfg());
        let work = |who: usize, first: i64, second: i64| {
            let (barrier, errors, calls, l) = (&barrier, &errors, &calls, &l);
            move |tx: ManagedTransaction| async move {
                let attempt = calls[who].fetch_add(1, Ordering::SeqCst);
                bump(&tx, l, first, errors).await?;
                if attempt == 0 {
                    barrier.wait().await;
                }
                bump(&tx, l, second, errors).await?;
                Ok::<_, Error>(())
            }
        };
        let (ra, rb) = tokio::time::timeout(std::time::Duration::from_secs(60), async {
            tokio::join!(
                sa.execute_write(work(0, 1, 2)),
                sb.execute_write(work(1, 2, 1))
            )
        })
        .await
        .expect("the deadlock was resolved");
        ra.unwrap();
        rb.unwrap();
        let errors = errors.into_inner().unwrap();
        assert_eq!(
            errors,
            ["Neo.TransientError.Transaction.DeadlockDetected"],
            "exactly one victim"
        );
        let total: u32 = calls.iter().map(|c| c.load(Ordering::SeqCst)).sum();
        assert_eq!(total, 3, "two first attempts and one retry");
        let n = crate::queries::single(&mut sa, format!("MATCH (x:{l}) RETURN collect(x.n) AS n"))
            .await
            .get::<Vec<i64>>("n")
            .unwrap();
        assert_eq!(n, [2, 2], "each transaction counted once");
        sa.close().await.unwrap();
        sb.close().await.unwrap();
        cleanup(&d, &l).await;
        d.close().await;
    })
    .await;
}

#[tokio::test]
#[ignore = "needs a server: cargo xtask test"]
async fn client_errors_are_not_retried() {
    on_each(async |t| {
        let d = t.driver();
        let mut s = d.session(db_cfg());
        let calls = AtomicU32::new(0);
        let started = std::time::Instant::now();
        let e = s
            .execute_write(|tx| {
                calls.fetch_add(1, Ordering::SeqCst);
                async move {
                    tx.run("RETURN 1 +", params! {}).await?.consume().await?;
                    Ok::<_, Error>(())
                }
            })
            .await
            .unwrap_err();
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(e.code(), Some("Neo.ClientError.Statement.SyntaxError"));
        assert_eq!(e.classification(), Some(Classification::ClientError));
        assert!(!e.is_retryable());
        assert!(started.elapsed() < std::time::Duration::from_secs(5));

        // The closure's own error passes through, not retried either.
        #[derive(Debug)]
        enum AppError {
            Db(#[allow(dead_code)] Error),
            NotFound,
        }
        impl From<Error> for AppError {
            fn from(e: Error) -> Self {
                AppError::Db(e)
            }
        }
        let calls = AtomicU32::new(0);
        let e = s
            .execute_read(|tx| {
                calls.fetch_add(1, Ordering::SeqCst);
                async move {
                    let r = tx
                        .run("RETURN 1 AS x LIMIT 0", params! {})
                        .await?
                        .collect()
                        .await?;
                    if r.is_empty() {
                        return Err(AppError::NotFound);
                    }
                    Ok(())
                }
            })
            .await
            .unwrap_err();
        assert!(matches!(e, AppError::NotFound), "{e:?}");
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        // The session still works.
        assert_eq!(
            crate::queries::single(&mut s, "RETURN 2 AS x")
                .await
                .get::<i64>("x")
                .unwrap(),
            2
        );
        s.close().await.unwrap();
        d.close().await;
    })
    .await;
}

/// A transaction terminated by an administrator: the server reports
/// `Neo.ClientError.Transaction.Terminated` (older servers used a transient
/// code, which the driver reclassifies), and the unit of work is not rerun.
#[tokio::test]
#[ignore = "needs a server: cargo xtask test"]
async fn a_terminated_transaction_is_not_retried() {
    on_each(async |t| {
        let d = t.driver();
        let tag = label("terminate");
        let calls = AtomicU32::new(0);
        let mut s = d.session(db_cfg());
        let cfg = TransactionConfig::new().with_metadata(params! {"tag" => tag.clone()});
        let e = s
            .execute_with_config(AccessMode::Write, cfg, |tx| {
                calls.fetch_add(1, Ordering::SeqCst);
                let (d, tag) = (d.clone(), tag.clone());
                async move {
                    let id: String = tx
                        .run(
                            "SHOW TRANSACTIONS YIELD transactionId, metaData \
                             WHERE metaData.tag = $tag RETURN transactionId",
                            params! {"tag" => tag},
                        )
                        .await?
                        .single()
                        .await?
                        .get("transactionId")?;
                    let mut admin = d.session(db_cfg());
                    let killed = admin
                        .run("TERMINATE TRANSACTION $id", params! {"id" => id})
                        .await?
                        .single()
                        .await?;
                    assert_eq!(killed.get::<String>("message")?, "Transaction terminated.");
                    admin.close().await?;
                    tx.run("RETURN 1", params! {}).await?.consume().await?;
                    Ok::<_, Error>(())
                }
            })
            .await
            .unwrap_err();
        assert_eq!(calls.load(Ordering::SeqCst), 1, "not retried: {e:?}");
        assert_eq!(
            e.code(),
            Some("Neo.ClientError.Transaction.Terminated"),
            "{e:?}"
        );
        assert!(!e.is_retryable());
        s.close().await.unwrap();
        d.close().await;
    })
    .await;
}
