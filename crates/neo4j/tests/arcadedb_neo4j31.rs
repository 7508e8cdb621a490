//! Bolt 1 against the real Neo4j 3.1.1: auto-commit and explicit
//! transactions (`RUN "BEGIN"` / `"COMMIT"` / `"ROLLBACK"`, PULL_ALL).
//! (File named with the crate's server-test prefix.)

mod common;
mod queries;

use common::env;
use neo4j::{params, Config, GraphDatabase, SessionConfig};
use queries::{begin, run_consumed, single, tx_run_consumed};

fn driver() -> neo4j::Driver {
    // Neo4j 3.1 is started with auth disabled by xtask.
    GraphDatabase::driver(
        format!(
            "bolt://{}",
            env("BOLT_TEST_NEO4J31_ADDR", "127.0.0.1:17689")
        ),
        Config::default(),
    )
    .unwrap()
}

#[tokio::test]
#[ignore = "needs a server: cargo xtask test"]
async fn bolt1_auto_commit_and_transactions() {
    let d = driver();
    assert_eq!(d.server_info().await.unwrap().protocol_version, (1, 0));
    let l = common::label("Old");
    let mut s = d.session(SessionConfig::new());
    let rows = s
        .run("UNWIND range(1, $n) AS i RETURN i", params! {"n" => 5})
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    assert_eq!(rows.len(), 5);
    let sum = run_consumed(&mut s, format!("CREATE (:{l} {{x: 1}})")).await;
    assert_eq!(sum.counters().nodes_created, 1);

    let tx = begin(&mut s).await;
    tx_run_consumed(&tx, format!("CREATE (:{l} {{x: 2}})")).await;
    tx.commit().await.unwrap();
    let tx = begin(&mut s).await;
    tx_run_consumed(&tx, format!("CREATE (:{l} {{x: 3}})")).await;
    tx.rollback().await.unwrap();

    let mut other = d.session(SessionConfig::new().with_bookmarks(s.last_bookmarks()));
    let c: i64 = single(&mut other, format!("MATCH (n:{l}) RETURN count(n) AS c"))
        .await
        .get("c")
        .unwrap();
    assert_eq!(c, 2);
    // Errors leave the session usable.
    assert!(s.run("NOT CYPHER", params! {}).await.is_err());
    let n = single(&mut s, "RETURN 1 AS n").await;
    assert_eq!(n.get::<i64>("n").unwrap(), 1);
    // Managed transaction.
    let v = s
        .execute_write(|tx| async move {
            tx.run("RETURN 5 AS v", params! {})
                .await?
                .single()
                .await?
                .get::<i64>("v")
        })
        .await
        .unwrap();
    assert_eq!(v, 5);
    s.close().await.unwrap();
    other.close().await.unwrap();
    d.close().await;
}
