//! One step of each cancellation scenario: set up, cut one operation
//! after `k` pendings, check what follows. Each returns whether the
//! operation completed without being cut (the search then stops).

use std::time::Instant;

use futures_util::StreamExt;
use neo4j::{params, Driver, Error, Record, TransactionConfig};

use super::*;

/// Every scenario on one driver, as one table of tallies.
pub async fn all_on(tallies: &mut Vec<Tally>, t: &Target, scheme: &'static str, part: Part) {
    let d = t.driver(scheme);
    let n = t.name;
    let started = Instant::now();
    match part {
        Part::AutoCommit => {
            search(tallies, n, scheme, "auto-commit: run", |k| {
                autocommit_run(&d, k)
            })
            .await;
            search(
                tallies,
                n,
                scheme,
                "auto-commit: next (then continue)",
                |k| autocommit_next(&d, k, Continue::Next),
            )
            .await;
            search(
                tallies,
                n,
                scheme,
                "auto-commit: stream (then continue)",
                |k| autocommit_next(&d, k, Continue::Stream),
            )
            .await;
            search(tallies, n, scheme, "auto-commit: next (then drop)", |k| {
                autocommit_next(&d, k, Continue::Drop)
            })
            .await;
            search(tallies, n, scheme, "auto-commit: consume", |k| {
                autocommit_consume(&d, k)
            })
            .await;
            search(tallies, n, scheme, "auto-commit: single", |k| {
                autocommit_single(&d, k)
            })
            .await;
            search(tallies, n, scheme, "auto-commit: run + collect", |k| {
                autocommit_whole(&d, k)
            })
            .await;
        }
        Part::Explicit => {
            search(tallies, n, scheme, "explicit: begin_transaction", |k| {
                tx_begin(&d, k)
            })
            .await;
            search(tallies, n, scheme, "explicit: tx run", |k| tx_run(&d, k)).await;
            search(
                tallies,
                n,
                scheme,
                "explicit: tx next (then continue)",
                |k| tx_next(&d, k),
            )
            .await;
            search(
                tallies,
                n,
                scheme,
                "explicit: next of one result, then another read",
                |k| tx_two_results(&d, k),
            )
            .await;
            search(tallies, n, scheme, "explicit: commit", |k| {
                tx_end(&d, k, true)
            })
            .await;
            search(tallies, n, scheme, "explicit: rollback", |k| {
                tx_end(&d, k, false)
            })
            .await;
            search(
                tallies,
                n,
                scheme,
                "explicit: begin + run + collect + commit",
                |k| tx_whole(&d, k),
            )
            .await;
        }
        Part::Managed => {
            search(tallies, n, scheme, "managed: execute_write (whole)", |k| {
                managed_whole(&d, k, true)
            })
            .await;
            search(tallies, n, scheme, "managed: execute_read (whole)", |k| {
                managed_whole(&d, k, false)
            })
            .await;
            search(
                tallies,
                n,
                scheme,
                "managed: run + collect inside the closure",
                |k| managed_inside(&d, k),
            )
            .await;
        }
        Part::Close => {
            search(
                tallies,
                n,
                scheme,
                "session close (unconsumed result)",
                |k| session_close(&d, k, false),
            )
            .await;
            search(
                tallies,
                n,
                scheme,
                "session close (open transaction)",
                |k| session_close(&d, k, true),
            )
            .await;
            search(tallies, n, scheme, "driver close", |k| {
                driver_close(t, scheme, k)
            })
            .await;
            search(tallies, n, scheme, "first query of a new driver", |k| {
                fresh_driver(t, scheme, k, true)
            })
            .await;
            search(
                tallies,
                n,
                scheme,
                "first query of a new driver, home database",
                |k| fresh_driver(t, scheme, k, false),
            )
            .await;
        }
    }
    bounded("driver close", d.close()).await;
    eprintln!("{n} {scheme} {part:?}: {:?}", started.elapsed());
}

/// Which scenarios a test runs (one test each, so they run in parallel).
#[derive(Debug, Clone, Copy)]
pub enum Part {
    AutoCommit,
    Explicit,
    Managed,
    Close,
}

/// What follows a cut read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Continue {
    /// Read on with `next`: every record exactly once.
    Next,
    /// Read on with `StreamExt::next` (the `Stream` impl).
    Stream,
    /// Drop the result.
    Drop,
}

/// Checks after a cut of auto-commit work: the session, then a new
/// session of the driver (the pool's only connection must come back).
async fn after(d: &Driver, mut s: neo4j::Session, what: &str) {
    verify(&mut s, what).await;
    bounded(what, s.close())
        .await
        .unwrap_or_else(|e| panic!("{what}: close: {e}"));
    verify_new_session(d, what).await;
}

async fn autocommit_run(d: &Driver, k: usize) -> bool {
    let what = format!("auto-commit run, k={k}");
    let mut s = d.session(db_cfg());
    let (q, _) = cut_query();
    let done = cut(async { s.run(q, params! {}).await.map(drop) }, k).await;
    if let Some(r) = &done {
        r.as_ref().unwrap();
    }
    after(d, s, &what).await;
    done.is_some()
}

async fn autocommit_next(d: &Driver, k: usize, then: Continue) -> bool {
    let what = format!("auto-commit read ({then:?}), k={k}");
    let mut s = d.session(db_cfg());
    let (q, t) = cut_query();
    let mut r = bounded(&what, s.run(q, params! {})).await.unwrap();
    let mut got: Vec<Record> = Vec::new();
    let done = cut(
        async {
            loop {
                let next = match then {
                    Continue::Stream => StreamExt::next(&mut r).await,
                    _ => r.next().await,
                };
                match next {
                    Some(rec) => got.push(rec.unwrap()),
                    None => break,
                }
            }
        },
        k,
    )
    .await
    .is_some();
    if then != Continue::Drop || done {
        bounded(&what, async {
            while let Some(rec) = r.next().await {
                got.push(rec.unwrap());
            }
        })
        .await;
        check_rows(&got, &t, 1, ROWS, &what);
        bounded(&what, r.consume()).await.unwrap();
    } else {
        check_rows(&got, &t, 1, got.len() as i64, &what);
        drop(r);
    }
    after(d, s, &what).await;
    done
}

async fn autocommit_consume(d: &Driver, k: usize) -> bool {
    let what = format!("auto-commit consume, k={k}");
    let mut s = d.session(db_cfg());
    let (q, _) = cut_query();
    let r = bounded(&what, s.run(q, params! {})).await.unwrap();
    let done = cut(r.consume(), k).await;
    if let Some(r) = &done {
        r.as_ref().unwrap();
    }
    after(d, s, &what).await;
    done.is_some()
}

async fn autocommit_single(d: &Driver, k: usize) -> bool {
    let what = format!("auto-commit single, k={k}");
    let mut s = d.session(db_cfg());
    let t = tag("single");
    let r = bounded(
        &what,
        s.run("RETURN $t AS tag, 1 AS i", params! {"t" => t.clone()}),
    )
    .await
    .unwrap();
    let done = cut(r.single(), k).await;
    if let Some(rec) = done.as_ref() {
        check_rows(&[rec.as_ref().unwrap().clone()], &t, 1, 1, &what);
    }
    after(d, s, &what).await;
    done.is_some()
}

async fn autocommit_whole(d: &Driver, k: usize) -> bool {
    let what = format!("auto-commit run + collect, k={k}");
    let mut s = d.session(db_cfg());
    let (q, t) = cut_query();
    let done = cut(async { s.run(q, params! {}).await?.collect().await }, k).await;
    if let Some(r) = &done {
        check_rows(r.as_ref().unwrap(), &t, 1, ROWS, &what);
    }
    after(d, s, &what).await;
    done.is_some()
}

async fn tx_begin(d: &Driver, k: usize) -> bool {
    let what = format!("explicit begin, k={k}");
    let mut s = d.session(db_cfg());
    let done = match cut(s.begin_transaction(TransactionConfig::new()), k).await {
        Some(tx) => {
            let tx = tx.unwrap();
            let (q, t) = cut_query();
            let recs = bounded(&what, async {
                tx.run(q, params! {}).await?.collect().await
            })
            .await
            .unwrap();
            check_rows(&recs, &t, 1, ROWS, &what);
            bounded(&what, tx.commit()).await.unwrap();
            true
        }
        None => false,
    };
    after(d, s, &what).await;
    done
}

/// Runs a verification query in `tx` after a cut in it: either exact
/// records or an error (the cut ended the transaction), never others.
async fn verify_in_tx(tx: &neo4j::Transaction<'_>, what: &str) -> Result<(), Error> {
    let t = tag("verify-tx");
    let recs = bounded(what, async {
        tx.run(
            "UNWIND range(1, 3) AS i RETURN $t AS tag, i",
            params! {"t" => t.clone()},
        )
        .await?
        .collect()
        .await
    })
    .await?;
    check_rows(&recs, &t, 1, 3, what);
    Ok(())
}

async fn tx_run(d: &Driver, k: usize) -> bool {
    let what = format!("explicit tx run, k={k}");
    let mut s = d.session(db_cfg());
    let tx = bounded(&what, s.begin_transaction(TransactionConfig::new()))
        .await
        .unwrap();
    let (q, _) = cut_query();
    let done = cut(async { tx.run(q, params! {}).await.map(drop) }, k).await;
    if let Some(r) = &done {
        r.as_ref().unwrap();
    }
    // The transaction goes on (and commits), or reports that the cut
    // ended it and rolls back.
    match verify_in_tx(&tx, &what).await {
        Ok(()) => bounded(&what, tx.commit())
            .await
            .unwrap_or_else(|e| panic!("{what}: commit after a good query: {e}")),
        Err(e) => {
            assert!(done.is_none(), "{what}: {e}");
            bounded(&what, tx.rollback())
                .await
                .unwrap_or_else(|e| panic!("{what}: rollback: {e}"));
        }
    }
    after(d, s, &what).await;
    done.is_some()
}

async fn tx_next(d: &Driver, k: usize) -> bool {
    let what = format!("explicit tx next, k={k}");
    let mut s = d.session(db_cfg());
    let tx = bounded(&what, s.begin_transaction(TransactionConfig::new()))
        .await
        .unwrap();
    let (q, t) = cut_query();
    let mut r = bounded(&what, tx.run(q, params! {})).await.unwrap();
    let mut got = Vec::new();
    let done = cut(
        async {
            while let Some(rec) = r.next().await {
                got.push(rec.unwrap());
            }
        },
        k,
    )
    .await
    .is_some();
    // Reading on the same result, nothing else in between: the
    // transaction goes on.
    bounded(&what, async {
        while let Some(rec) = r.next().await {
            got.push(rec.unwrap());
        }
    })
    .await;
    check_rows(&got, &t, 1, ROWS, &what);
    drop(r);
    verify_in_tx(&tx, &what).await.unwrap();
    bounded(&what, tx.commit()).await.unwrap();
    after(d, s, &what).await;
    done
}

async fn tx_two_results(d: &Driver, k: usize) -> bool {
    let what = format!("explicit two results, k={k}");
    let mut s = d.session(db_cfg());
    let tx = bounded(&what, s.begin_transaction(TransactionConfig::new()))
        .await
        .unwrap();
    let (q1, _) = cut_query();
    let (q2, t2) = cut_query();
    let mut r1 = bounded(&what, tx.run(q1, params! {})).await.unwrap();
    let mut r2 = bounded(&what, tx.run(q2, params! {})).await.unwrap();
    let done = cut(
        async {
            while let Some(rec) = r1.next().await {
                rec.unwrap();
            }
        },
        k,
    )
    .await
    .is_some();
    // The other result: its own records, or an error (the cut ended the
    // transaction), never the cut one's.
    let mut got = Vec::new();
    let rest = bounded(&what, async {
        while let Some(rec) = r2.next().await {
            got.push(rec?);
        }
        Ok::<_, Error>(())
    })
    .await;
    match rest {
        Ok(()) => check_rows(&got, &t2, 1, ROWS, &what),
        Err(e) => {
            assert!(!done, "{what}: {e}");
            check_rows(&got, &t2, 1, got.len() as i64, &what);
        }
    }
    drop((r1, r2));
    bounded(&what, tx.rollback())
        .await
        .unwrap_or_else(|e| panic!("{what}: rollback: {e}"));
    after(d, s, &what).await;
    done
}

async fn tx_end(d: &Driver, k: usize, commit: bool) -> bool {
    let what = format!(
        "explicit {}, k={k}",
        if commit { "commit" } else { "rollback" }
    );
    let mut s = d.session(db_cfg());
    let tx = bounded(&what, s.begin_transaction(TransactionConfig::new()))
        .await
        .unwrap();
    let (q, _) = cut_query();
    // An unconsumed result: the end discards it first (more to wait for).
    let r = bounded(&what, tx.run(q, params! {})).await.unwrap();
    drop(r);
    let done = if commit {
        cut(tx.commit(), k).await
    } else {
        cut(tx.rollback(), k).await
    };
    if let Some(r) = &done {
        r.as_ref().unwrap();
    }
    after(d, s, &what).await;
    done.is_some()
}

async fn tx_whole(d: &Driver, k: usize) -> bool {
    let what = format!("explicit whole, k={k}");
    let mut s = d.session(db_cfg());
    let (q, t) = cut_query();
    let done = cut(
        async {
            let tx = s.begin_transaction(TransactionConfig::new()).await?;
            let recs = tx.run(q, params! {}).await?.collect().await?;
            tx.commit().await?;
            Ok::<_, Error>(recs)
        },
        k,
    )
    .await;
    if let Some(r) = &done {
        check_rows(r.as_ref().unwrap(), &t, 1, ROWS, &what);
    }
    after(d, s, &what).await;
    done.is_some()
}

async fn managed_whole(d: &Driver, k: usize, write: bool) -> bool {
    let what = format!("managed whole (write: {write}), k={k}");
    let mut s = d.session(db_cfg());
    let (q, t) = cut_query();
    let work = |tx: neo4j::ManagedTransaction| {
        let q = q.clone();
        async move {
            let recs = tx.run(q, params! {}).await?.collect().await?;
            // A second query: more await points inside the closure.
            let t2 = tag("second");
            let one = tx
                .run("RETURN $t AS tag, 1 AS i", params! {"t" => t2.clone()})
                .await?
                .single()
                .await?;
            check_rows(&[one], &t2, 1, 1, "second query of the closure");
            Ok::<_, Error>(recs)
        }
    };
    let done = if write {
        cut(s.execute_write(work), k).await
    } else {
        cut(s.execute_read(work), k).await
    };
    if let Some(r) = &done {
        check_rows(r.as_ref().unwrap(), &t, 1, ROWS, &what);
    }
    after(d, s, &what).await;
    done.is_some()
}

async fn managed_inside(d: &Driver, k: usize) -> bool {
    let what = format!("managed inside, k={k}");
    let mut s = d.session(db_cfg());
    let done = std::sync::atomic::AtomicBool::new(false);
    let outcome = bounded(
        &what,
        s.execute_write(|tx| {
            let what = what.clone();
            let done = &done;
            async move {
                let (q, t) = cut_query();
                let first = cut(async { tx.run(q, params! {}).await?.collect().await }, k).await;
                if let Some(r) = first {
                    check_rows(&r?, &t, 1, ROWS, &what);
                    done.store(true, std::sync::atomic::Ordering::Relaxed);
                }
                let t2 = tag("verify-managed");
                let recs = tx
                    .run(
                        "UNWIND range(1, 3) AS i RETURN $t AS tag, i",
                        params! {"t" => t2.clone()},
                    )
                    .await?
                    .collect()
                    .await?;
                check_rows(&recs, &t2, 1, 3, &what);
                Ok::<_, Error>(())
            }
        }),
    )
    .await;
    let done = done.load(std::sync::atomic::Ordering::Relaxed);
    if done {
        outcome.unwrap();
    }
    after(d, s, &what).await;
    done
}

async fn session_close(d: &Driver, k: usize, open_tx: bool) -> bool {
    let what = format!("session close (open tx: {open_tx}), k={k}");
    let mut s = d.session(db_cfg());
    let (q, _) = cut_query();
    if open_tx {
        let tx = bounded(&what, s.begin_transaction(TransactionConfig::new()))
            .await
            .unwrap();
        let r = bounded(&what, tx.run(q, params! {})).await.unwrap();
        drop(r);
        drop(tx);
    } else {
        let r = bounded(&what, s.run(q, params! {})).await.unwrap();
        drop(r);
    }
    let done = cut(s.close(), k).await;
    if let Some(r) = done.as_ref() {
        r.as_ref().unwrap();
    }
    verify_new_session(d, &what).await;
    done.is_some()
}

async fn driver_close(t: &Target, scheme: &'static str, k: usize) -> bool {
    let what = format!("driver close ({scheme}), k={k}");
    let d = t.driver(scheme);
    verify_new_session(&d, &what).await;
    let done = cut(d.close(), k).await.is_some();
    bounded(&what, d.close()).await;
    let mut s = d.session(db_cfg());
    let r = bounded(&what, async {
        s.run("RETURN 1", params! {}).await.map(drop)
    })
    .await;
    assert!(
        matches!(r, Err(Error::DriverClosed)),
        "{what}: a closed driver ran a query: {r:?}"
    );
    done
}

/// `named`: the session names its database; else the driver resolves the
/// home database first (a routing driver asks the server).
async fn fresh_driver(t: &Target, scheme: &'static str, k: usize, named: bool) -> bool {
    let what = format!("first query of a new driver ({scheme}, named: {named}), k={k}");
    let d = t.driver(scheme);
    let mut s = d.session(if named {
        db_cfg()
    } else {
        neo4j::SessionConfig::new()
    });
    let (q, tg) = cut_query();
    let done = cut(async { s.run(q, params! {}).await?.collect().await }, k).await;
    if let Some(r) = &done {
        check_rows(r.as_ref().unwrap(), &tg, 1, ROWS, &what);
    }
    after(&d, s, &what).await;
    bounded(&what, d.close()).await;
    done.is_some()
}
