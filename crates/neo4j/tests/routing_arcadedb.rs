//! The routing driver (`neo4j://`) end to end against ArcadeDB, whose ROUTE
//! answers a one-server table. Needs a server: `cargo xtask test` (or
//! `cargo xtask server start arcadedb`, then `cargo test -- --ignored` with
//! the `BOLT_TEST_ARCADEDB_*` variables of docs/testing.md).

mod common;
mod queries;

use neo4j::{params, AccessMode, Config, Error, SessionConfig};
use queries::managed_count;

fn routing_driver() -> neo4j::Driver {
    common::driver_by("neo4j", common::builder())
}

#[tokio::test]
#[ignore = "needs a server: cargo xtask test"]
async fn arcadedb_neo4j_scheme_routes_reads_and_writes() {
    let d = routing_driver();
    assert!(d.is_routing());
    let db = common::db();
    let label = common::label("Routed");
    let mut w = d.session(SessionConfig::new().with_database(&db));
    let created = w
        .execute_write(|tx| {
            let label = label.clone();
            async move {
                tx.run(format!("CREATE (:{label} {{x: 1}})"), params! {})
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
        SessionConfig::new()
            .with_database(&db)
            .with_default_access_mode(AccessMode::Read)
            .with_bookmarks(bookmarks),
    );
    assert_eq!(managed_count(&mut r, &label).await, 1);
    r.close().await.unwrap();
    // The table ArcadeDB gave: one server in every role.
    let t = d
        .routing_table(Some(&db))
        .expect("a table for the database");
    assert!(
        !t.routers.is_empty() && !t.readers.is_empty() && !t.writers.is_empty(),
        "{t:?}"
    );
    d.force_routing_table_update(Some(&db), &[]).await.unwrap();
    d.verify_connectivity().await.unwrap();
    assert!(!d.pool_metrics().is_empty());
    d.close().await;
    let err = d
        .force_routing_table_update(Some(&db), &[])
        .await
        .unwrap_err();
    assert!(matches!(err, Error::DriverClosed));
}

#[tokio::test]
#[ignore = "needs a server: cargo xtask test"]
async fn arcadedb_bad_password_fails_discovery_with_an_auth_error() {
    let d = common::driver_by(
        "neo4j",
        Config::builder().with_auth((common::user(), "definitely-wrong".to_owned())),
    );
    let mut s = d.session(SessionConfig::new().with_database(common::db()));
    let err = s.run("RETURN 1", params! {}).await.err().unwrap();
    assert!(matches!(err, Error::Authentication { .. }), "{err}");
    d.close().await;
}
