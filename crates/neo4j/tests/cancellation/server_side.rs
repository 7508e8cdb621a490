//! What a cut query does on the server: a query that runs for minutes is
//! cut once the server works on it, and another session watches it in
//! `SHOW TRANSACTIONS` until it is gone. It must be gone within
//! [`GONE_WITHIN`] of the moment the driver gets the chance to act: the
//! session dropped (the pool RESETs the connection in the background),
//! closed, or used again (the session RESETs the connection first). A
//! driver that pooled the connection without a RESET, or that waited for
//! the query to end, fails these tests.

use std::time::{Duration, Instant};

use neo4j::{params, Driver, SessionConfig, TransactionConfig};

use super::*;

/// How soon a cut query must be gone from the server.
pub const GONE_WITHIN: Duration = Duration::from_secs(5);

/// A query that runs for minutes on both servers (two billion rows
/// filtered to none), named by `marker` in its text.
pub fn long_query(marker: &str) -> String {
    format!(
        "UNWIND range(1, 2000000000) AS x WITH x WHERE x < 0 \
         RETURN count(x) AS c, '{marker}' AS marker"
    )
}

/// How many transactions of the server run a query naming `marker` (seen
/// from a session of `admin`; the watching query names it by parameter
/// only, so it does not count itself).
pub async fn running(admin: &Driver, marker: &str) -> i64 {
    let mut s = admin.session(SessionConfig::new().with_database("neo4j"));
    let n = bounded("SHOW TRANSACTIONS", async {
        s.run(
            "SHOW TRANSACTIONS YIELD currentQuery, status \
             WHERE currentQuery CONTAINS $m RETURN count(*) AS n",
            params! {"m" => marker},
        )
        .await?
        .single()
        .await?
        .get::<i64>("n")
    })
    .await
    .unwrap();
    bounded("closing the watching session", s.close())
        .await
        .unwrap();
    n
}

/// Waits until the query naming `marker` runs on the server (the test
/// proves nothing otherwise).
pub async fn wait_running(admin: &Driver, marker: &str) {
    let until = Instant::now() + Duration::from_secs(10);
    while running(admin, marker).await == 0 {
        assert!(
            Instant::now() < until,
            "the long query never showed in SHOW TRANSACTIONS"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the query naming `marker` is gone; how long it took.
pub async fn wait_gone(admin: &Driver, marker: &str, what: &str) -> Duration {
    let from = Instant::now();
    loop {
        if running(admin, marker).await == 0 {
            return from.elapsed();
        }
        assert!(
            from.elapsed() < GONE_WITHIN,
            "{what}: the cut query still runs on the server after {GONE_WITHIN:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// How the session of a cut query goes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Then {
    /// Dropped without `close`.
    Drop,
    /// Closed.
    Close,
    /// Used again: a verification query.
    Reuse,
}

/// Where the long query runs and is cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    AutoCommit,
    Explicit,
    Managed,
}

/// Cuts the long query after the server started it, then `then`; checks
/// it is gone within [`GONE_WITHIN`] and the driver works. Returns how
/// long the query took to go.
pub async fn cut_long_query(t: &Target, scheme: &'static str, mode: Mode, then: Then) -> Duration {
    let what = format!("{} {scheme} {mode:?} then {then:?}", t.name);
    let admin = t.driver("bolt");
    let d = t.driver(scheme);
    let marker = tag("long");
    let q = long_query(&marker);
    let mut s = d.session(db_cfg());
    let cut_after = Duration::from_millis(500);
    match mode {
        Mode::AutoCommit => {
            // RUN answered (the server started it), then the wait for its
            // record is cut.
            let r = bounded(&what, s.run(q, params! {})).await.unwrap();
            let single = tokio::time::timeout(cut_after, r.single()).await;
            assert!(single.is_err(), "{what}: the long query ended: {single:?}");
        }
        Mode::Explicit => {
            let tx = bounded(&what, s.begin_transaction(TransactionConfig::new()))
                .await
                .unwrap();
            // An explicit transaction's run reads the first batch.
            let run = tokio::time::timeout(cut_after, tx.run(q, params! {})).await;
            assert!(run.is_err(), "{what}: the long query ended");
            drop(run);
            drop(tx);
        }
        Mode::Managed => {
            let work = tokio::time::timeout(
                cut_after,
                s.execute_read(|tx| {
                    let q = q.clone();
                    async move { tx.run(q, params! {}).await?.single().await }
                }),
            )
            .await;
            assert!(work.is_err(), "{what}: the long query ended");
        }
    }
    if mode != Mode::Managed {
        // A managed transaction's connection went with its future.
        wait_running(&admin, &marker).await;
    }
    let cut_at = Instant::now();
    match then {
        Then::Drop => drop(s),
        Then::Close => bounded(&what, s.close()).await.unwrap(),
        Then::Reuse => {
            verify(&mut s, &what).await;
            bounded(&what, s.close()).await.unwrap();
        }
    }
    wait_gone(&admin, &marker, &what).await;
    let took = cut_at.elapsed();
    verify_new_session(&d, &what).await;
    bounded(&what, d.close()).await;
    bounded(&what, admin.close()).await;
    took
}

/// The long query left alone really runs for longer than the bound (else
/// the tests above prove nothing).
pub async fn long_query_outlasts_the_bound(t: &Target) {
    let d = t.driver("bolt");
    let mut s = d.session(db_cfg());
    let marker = tag("long-alone");
    let r = tokio::time::timeout(GONE_WITHIN * 2, async {
        s.run(long_query(&marker), params! {}).await?.single().await
    })
    .await;
    assert!(
        r.is_err(),
        "{}: the long query ended within {:?}: {r:?}",
        t.name,
        GONE_WITHIN * 2
    );
    drop(s);
    let admin = t.driver("bolt");
    wait_gone(&admin, &marker, "the long query alone").await;
    d.close().await;
    admin.close().await;
}
