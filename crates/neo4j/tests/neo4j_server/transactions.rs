//! Explicit transactions (commit, rollback, close, drop), transaction
//! metadata, and causal chaining: a session's bookmarks passed to another
//! session, a shared bookmark manager, and `execute_query`'s own manager.

use neo4j::{
    params, AccessMode, BookmarkManagerConfig, Bookmarks, GraphDatabase, Session, TransactionConfig,
};

use crate::queries::{begin, run_consumed, single, tx_run_consumed};
use crate::{cleanup, db_cfg, label, on_each};

async fn count(s: &mut Session, label: &str) -> i64 {
    single(s, format!("MATCH (n:{label}) RETURN count(n) AS c"))
        .await
        .get("c")
        .unwrap()
}

#[tokio::test]
#[ignore = "needs a server: cargo xtask test"]
async fn rolled_back_work_leaves_nothing_and_committed_work_is_visible() {
    on_each(async |t| {
        let d = t.driver();
        let l = label("Tx");
        let mut s = d.session(db_cfg());
        let mut other = d.session(db_cfg());

        let tx = begin(&mut s).await;
        let summary =
            tx_run_consumed(&tx, format!("CREATE (:{l} {{v: 1}}), (:{l} {{v: 2}})")).await;
        assert_eq!(summary.counters().nodes_created, 2);
        // Seen inside, not outside, before the commit.
        let inside = tx
            .run(format!("MATCH (n:{l}) RETURN count(n) AS c"), params! {})
            .await
            .unwrap()
            .single()
            .await
            .unwrap();
        assert_eq!(inside.get::<i64>("c").unwrap(), 2);
        assert_eq!(count(&mut other, &l).await, 0, "uncommitted work is hidden");
        tx.rollback().await.unwrap();
        assert_eq!(count(&mut other, &l).await, 0, "rolled back");
        assert_eq!(count(&mut s, &l).await, 0, "rolled back, same session");

        // close() and drop roll back too.
        let tx = begin(&mut s).await;
        tx_run_consumed(&tx, format!("CREATE (:{l})")).await;
        tx.close().await.unwrap();
        {
            let tx = begin(&mut s).await;
            tx_run_consumed(&tx, format!("CREATE (:{l})")).await;
        }
        assert_eq!(count(&mut other, &l).await, 0, "closed and dropped");

        let tx = begin(&mut s).await;
        tx_run_consumed(&tx, format!("CREATE (:{l} {{v: 3}})")).await;
        // A result left unconsumed at commit is discarded, not lost work.
        let _ = tx
            .run("UNWIND range(1, 1000) AS x RETURN x", params! {})
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let mut fresh = d.session(db_cfg().with_bookmarks(s.last_bookmarks()));
        assert_eq!(count(&mut fresh, &l).await, 1, "committed");

        // A failed query fails the transaction; the session lives on.
        let tx = begin(&mut s).await;
        tx_run_consumed(&tx, format!("CREATE (:{l} {{v: 4}})")).await;
        let failed = match tx.run("RETURN 1/0 AS x", params! {}).await {
            Ok(r) => r.consume().await.map(|_| ()),
            Err(e) => Err(e),
        };
        let e = failed.unwrap_err();
        assert_eq!(e.code(), Some("Neo.ClientError.Statement.ArithmeticError"));
        assert!(!tx.is_open(), "a failed query ends the transaction");
        tx.rollback().await.unwrap();
        assert_eq!(
            count(&mut s, &l).await,
            1,
            "the failed transaction left nothing"
        );

        for sess in [s, other, fresh] {
            sess.close().await.unwrap();
        }
        cleanup(&d, &l).await;
        d.close().await;
    })
    .await;
}

#[tokio::test]
#[ignore = "needs a server: cargo xtask test"]
async fn transaction_metadata_reaches_the_server() {
    on_each(async |t| {
        let d = t.driver();
        let mut s = d.session(db_cfg());
        let tag = label("meta");
        let cfg = TransactionConfig::new()
            .with_metadata(params! {"app" => tag.clone(), "n" => 7})
            .with_timeout(std::time::Duration::from_secs(30));
        let tx = s.begin_transaction(cfg).await.unwrap();
        let r = tx
            .run(
                "SHOW TRANSACTIONS YIELD metaData, currentQuery \
                 WHERE currentQuery STARTS WITH 'SHOW TRANSACTIONS' AND metaData.app = $tag \
                 RETURN metaData",
                params! {"tag" => tag.clone()},
            )
            .await
            .unwrap()
            .single()
            .await
            .unwrap();
        let meta = r.get_value("metaData").unwrap().as_map().unwrap().clone();
        assert_eq!(meta.get("app").and_then(|v| v.as_str()), Some(tag.as_str()));
        assert_eq!(meta.get("n").and_then(|v| v.as_int()), Some(7));
        tx.commit().await.unwrap();
        s.close().await.unwrap();
        d.close().await;
    })
    .await;
}

#[tokio::test]
#[ignore = "needs a server: cargo xtask test"]
async fn bookmarks_chain_sessions_causally() {
    on_each(async |t| {
        let d = t.driver();
        let l = label("Causal");
        let mut w = d.session(db_cfg());
        assert!(w.last_bookmarks().is_empty(), "nothing done yet");
        run_consumed(&mut w, format!("CREATE (:{l} {{step: 1}})")).await;
        let first = w.last_bookmarks();
        assert_eq!(first.len(), 1, "{first:?}");
        assert!(first.raw_values().all(|b| !b.is_empty()));
        w.execute_write(|tx| {
            let l = l.clone();
            async move {
                tx.run(format!("CREATE (:{l} {{step: 2}})"), params! {})
                    .await?
                    .consume()
                    .await
            }
        })
        .await
        .unwrap();
        let second = w.last_bookmarks();
        assert_eq!(second.len(), 1);
        assert_ne!(first, second, "each commit moves the bookmark on");
        // A read-only query also ends with one bookmark from the server:
        // the same, or a newer one when other sessions committed meanwhile
        // (the server names the last transaction it closed).
        count(&mut w, &l).await;
        assert_eq!(w.last_bookmarks().len(), 1);
        w.close().await.unwrap();

        // A session that starts from them sees both writes.
        let mut r = d.session(
            db_cfg()
                .with_bookmarks(second.clone())
                .with_default_access_mode(AccessMode::Read),
        );
        assert_eq!(count(&mut r, &l).await, 2);
        r.close().await.unwrap();
        // Both bookmarks at once are accepted (the server waits for the
        // newest), as is one the server made for another session earlier.
        let both: Bookmarks = Bookmarks::from_raw_values(
            first
                .raw_values()
                .chain(second.raw_values())
                .map(str::to_owned),
        );
        let mut r = d.session(db_cfg().with_bookmarks(both));
        assert_eq!(count(&mut r, &l).await, 2);
        r.close().await.unwrap();
        // A bookmark the server never issued is refused with a client error.
        let mut bad =
            d.session(db_cfg().with_bookmarks(Bookmarks::from_raw_values(["not-a-real-bookmark"])));
        let e = bad
            .run("RETURN 1", params! {})
            .await
            .map(|_| ())
            .unwrap_err();
        assert_eq!(
            e.classification(),
            Some(neo4j::Classification::ClientError),
            "{e:?}"
        );
        assert!(!e.is_retryable(), "{e:?}");
        drop(bad);
        cleanup(&d, &l).await;
        d.close().await;
    })
    .await;
}

#[tokio::test]
#[ignore = "needs a server: cargo xtask test"]
async fn a_shared_bookmark_manager_chains_sessions_without_passing_bookmarks() {
    on_each(async |t| {
        let d = t.driver();
        let l = label("Managed");
        let updates = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let seen = updates.clone();
        let manager = GraphDatabase::bookmark_manager(BookmarkManagerConfig {
            bookmarks_consumer: Some(std::sync::Arc::new(move |_b: &Bookmarks| {
                seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            })),
            ..BookmarkManagerConfig::default()
        });
        let mut w = d.session(db_cfg().with_bookmark_manager(manager.clone()));
        run_consumed(&mut w, format!("CREATE (:{l})")).await;
        w.close().await.unwrap();
        let held = manager.get_bookmarks();
        assert_eq!(held.len(), 1, "{held:?}");
        assert!(updates.load(std::sync::atomic::Ordering::SeqCst) >= 1);
        let mut r = d.session(db_cfg().with_bookmark_manager(manager.clone()));
        assert_eq!(count(&mut r, &l).await, 1);
        r.close().await.unwrap();

        // execute_query chains through the driver's own manager.
        let created = d
            .execute_query(format!("CREATE (:{l}) RETURN 1 AS one"))
            .database("neo4j")
            .await
            .unwrap();
        assert_eq!(created.summary.counters().nodes_created, 1);
        assert!(!d
            .execute_query_bookmark_manager()
            .get_bookmarks()
            .is_empty());
        let read = d
            .execute_query(format!("MATCH (n:{l}) RETURN count(n) AS c"))
            .database("neo4j")
            .routing(neo4j::RoutingControl::Read)
            .await
            .unwrap();
        assert_eq!(read.records[0].get::<i64>("c").unwrap(), 2);
        cleanup(&d, &l).await;
        d.close().await;
    })
    .await;
}
