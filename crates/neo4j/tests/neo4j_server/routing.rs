//! `neo4j://` routing against a single Community server (its ROUTE answers
//! with itself in every role), home database resolution (a session without
//! a database runs on `neo4j`), and impersonation, which Community refuses.

use std::time::Duration;

use neo4j::{params, AccessMode, Error, RoutingControl, ServerAddress, SessionConfig};

use crate::queries::{managed_count, run_consumed};
use crate::{cleanup, db_cfg, label, on_each};

#[tokio::test]
#[ignore = "needs a server: cargo xtask test"]
async fn a_routing_driver_reads_and_writes_through_the_servers_own_table() {
    on_each(async |t| {
        let d = t.driver_by("neo4j", t.builder());
        assert!(d.is_routing());
        let l = label("Routed");
        let mut w = d.session(db_cfg());
        let created = w
            .execute_write(|tx| {
                let l = l.clone();
                async move {
                    tx.run(format!("CREATE (:{l} {{x: 1}})"), params! {})
                        .await?
                        .consume()
                        .await
                        .map(|s| s.counters().nodes_created)
                }
            })
            .await
            .unwrap();
        assert_eq!(created, 1);
        let bookmarks = w.last_bookmarks();
        w.close().await.unwrap();
        let mut r = d.session(
            db_cfg()
                .with_default_access_mode(AccessMode::Read)
                .with_bookmarks(bookmarks),
        );
        assert_eq!(managed_count(&mut r, &l).await, 1);
        // An auto-commit read in a read session goes to a reader too.
        let sum = run_consumed(&mut r, "RETURN 1").await;
        assert_eq!(sum.server().address.to_string(), t.addr);
        r.close().await.unwrap();

        let table = d.routing_table(Some("neo4j")).expect("a table for neo4j");
        eprintln!("{table:?}");
        let names = |v: &[ServerAddress]| v.iter().map(|a| a.to_string()).collect::<Vec<_>>();
        let me = vec![t.addr.clone()];
        assert_eq!(names(&table.routers), me);
        assert_eq!(names(&table.readers), me);
        assert_eq!(names(&table.writers), me);
        assert!(table.ttl > Duration::ZERO);
        d.force_routing_table_update(Some("neo4j"), &[])
            .await
            .unwrap();

        // execute_query routes both ways.
        let read = d
            .execute_query(format!("MATCH (n:{l}) RETURN count(n) AS c"))
            .database("neo4j")
            .routing(RoutingControl::Read)
            .await
            .unwrap();
        assert_eq!(read.records[0].get::<i64>("c").unwrap(), 1);
        d.verify_connectivity().await.unwrap();
        let info = d.server_info().await.unwrap();
        assert!(info.agent.starts_with("Neo4j/"), "{info:?}");
        cleanup(&d, &l).await;
        d.close().await;
    })
    .await;
}

/// Bolt 5.8: a session that names no database runs on the user's home
/// database (`neo4j`), and the summary says so; the routing driver learns
/// it from ROUTE.
#[tokio::test]
#[ignore = "needs a server: cargo xtask test"]
async fn a_session_without_database_runs_on_the_home_database() {
    on_each(async |t| {
        for scheme in ["bolt", "neo4j"] {
            let d = t.driver_by(scheme, t.builder());
            let l = label("Home");
            let mut s = d.session(SessionConfig::new());
            let sum = run_consumed(&mut s, format!("CREATE (:{l})")).await;
            assert_eq!(sum.database(), Some("neo4j"), "{scheme}");
            let r = s
                .run("CALL db.info() YIELD name RETURN name", params! {})
                .await
                .unwrap()
                .single()
                .await
                .unwrap();
            assert_eq!(r.get::<String>("name").unwrap(), "neo4j", "{scheme}");
            let bm = s.last_bookmarks();
            s.close().await.unwrap();
            // The node is in `neo4j`, named explicitly.
            let mut named = d.session(db_cfg().with_bookmarks(bm));
            assert_eq!(managed_count(&mut named, &l).await, 1, "{scheme}");
            named.close().await.unwrap();
            // Explicit transactions and managed ones resolve it too.
            let mut s = d.session(SessionConfig::new());
            let db = s
                .execute_read(|tx| async move {
                    Ok::<_, Error>(
                        tx.run("RETURN 1", params! {})
                            .await?
                            .consume()
                            .await?
                            .database()
                            .map(str::to_owned),
                    )
                })
                .await
                .unwrap();
            assert_eq!(db.as_deref(), Some("neo4j"), "{scheme}");
            s.close().await.unwrap();
            let eager = d.execute_query("RETURN 1 AS x").await.unwrap();
            assert_eq!(eager.summary.database(), Some("neo4j"), "{scheme}");
            if scheme == "neo4j" {
                // The table was fetched for the resolved home database.
                assert!(d.routing_table(Some("neo4j")).is_some(), "{scheme}");
            }
            // `system` is reachable by name.
            let mut sys = d.session(SessionConfig::new().with_database("system"));
            let sum = run_consumed(&mut sys, "SHOW DATABASES").await;
            assert_eq!(sum.database(), Some("system"));
            sys.close().await.unwrap();
            cleanup(&d, &l).await;
            d.close().await;
        }
    })
    .await;
}

/// Community has no impersonation: the server refuses it, and the driver
/// reports that as a typed, non-retryable error promptly (no hang, no
/// retry loop), on both kinds of driver.
#[tokio::test]
#[ignore = "needs a server: cargo xtask test"]
async fn impersonation_is_refused_cleanly_on_community() {
    on_each(async |t| {
        for scheme in ["bolt", "neo4j"] {
            let d = t.driver_by(scheme, t.builder());
            let started = std::time::Instant::now();
            let mut s = d.session(db_cfg().with_impersonated_user("somebody_else"));
            let e = tokio::time::timeout(Duration::from_secs(20), async {
                match s.run("RETURN 1", params! {}).await {
                    Ok(r) => r.consume().await.map(|_| ()),
                    Err(e) => Err(e),
                }
            })
            .await
            .expect("an answer, not a hang")
            .unwrap_err();
            eprintln!("{scheme}: {e:?}");
            assert_eq!(
                e.code(),
                Some("Neo.ClientError.Statement.ArgumentError"),
                "{e:?}"
            );
            assert!(
                e.to_string()
                    .contains("Impersonation is not supported in community edition"),
                "{e}"
            );
            assert_eq!(
                e.classification(),
                Some(neo4j::Classification::ClientError),
                "{e:?}"
            );
            assert!(!e.is_retryable(), "{e:?}");
            drop(s);
            // A managed transaction gives up at once too.
            let mut s = d.session(SessionConfig::new().with_impersonated_user("somebody_else"));
            let e = tokio::time::timeout(
                Duration::from_secs(20),
                s.execute_read(|tx| async move {
                    tx.run("RETURN 1", params! {}).await?.consume().await
                }),
            )
            .await
            .expect("no retry loop")
            .unwrap_err();
            assert!(!e.is_retryable(), "{e:?}");
            drop(s);
            assert!(started.elapsed() < Duration::from_secs(10));
            // The driver is still fine.
            let mut s = d.session(db_cfg());
            run_consumed(&mut s, "RETURN 1").await;
            s.close().await.unwrap();
            d.close().await;
        }
    })
    .await;
}
