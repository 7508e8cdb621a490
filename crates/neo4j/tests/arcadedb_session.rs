//! Sessions, results, transactions and bookmarks against ArcadeDB.

mod common;

use common::*;
use futures_util::StreamExt;
use neo4j::{params, Error, TransactionConfig};

const IGN: () = ();

#[tokio::test]
#[ignore = "needs a server: cargo xtask test"]
async fn auto_commit_run_streams_records() {
    let _ = IGN;
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
    assert_eq!(summary.server().protocol_version.0, 5);
    s.close().await.unwrap();
    driver.close().await;
}
