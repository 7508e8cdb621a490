//! Bookmark managers as they reach a scripted server (tests/support):
//! sessions sharing a manager wait for each other's commits,
//! `execute_query` chains through the driver's manager unless told
//! otherwise, and the manager's supplier and consumer are called.

mod queries;
mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bolt_proto::message::{Request, RequestKind};
use bolt_proto::Version;
use neo4j::{BookmarkManagerConfig, Bookmarks, Config, Driver, GraphDatabase, SessionConfig};
use queries::{begin, tx_run_consumed};
use support::{default_answer, start, success, Action, Member};

/// Answers each COMMIT with a new bookmark `bm:<n>`.
async fn server() -> Member {
    let commits = Arc::new(AtomicUsize::new(0));
    start(Version::V5_0, move |conn, req| match req.kind() {
        RequestKind::Commit => {
            let n = commits.fetch_add(1, Ordering::SeqCst) + 1;
            Action::Reply(vec![success(&[("bookmark", format!("bm:{n}").into())])])
        }
        _ => default_answer(conn, req),
    })
    .await
}

fn driver(m: &Member) -> Driver {
    let config = Config::builder()
        .with_auth(("neo4j", "pw"))
        .with_connection_timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    GraphDatabase::driver(format!("bolt://{}", m.address()), config).unwrap()
}

/// The bookmarks of each BEGIN, sorted.
fn begins(m: &Member) -> Vec<Vec<String>> {
    m.requests()
        .into_iter()
        .filter_map(|(_, r)| match r {
            Request::Begin(b) => {
                let mut v = b.tx.bookmarks.clone();
                v.sort();
                Some(v)
            }
            _ => None,
        })
        .collect()
}

async fn commit_one(d: &Driver, cfg: SessionConfig) {
    let mut s = d.session(cfg.with_database("db"));
    let tx = begin(&mut s).await;
    tx_run_consumed(&tx, "RETURN 1 AS n").await;
    tx.commit().await.unwrap();
    s.close().await.unwrap();
}

#[tokio::test]
async fn sessions_sharing_a_manager_wait_for_each_others_commits() {
    let m = server().await;
    let d = driver(&m);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen2 = Arc::clone(&seen);
    let manager = GraphDatabase::bookmark_manager(BookmarkManagerConfig {
        initial_bookmarks: Bookmarks::from_raw_values(["bm:0"]),
        bookmarks_supplier: Some(Arc::new(|| Bookmarks::from_raw_values(["extra"]))),
        bookmarks_consumer: Some(Arc::new(move |b: &Bookmarks| {
            seen2.lock().unwrap().push(b.clone())
        })),
    });
    let with = || SessionConfig::new().with_bookmark_manager(Arc::clone(&manager));
    commit_one(&d, with()).await;
    // Own bookmarks are sent with the manager's; the commit supersedes both.
    commit_one(
        &d,
        with().with_bookmarks(Bookmarks::from_raw_values(["own"])),
    )
    .await;
    // A session without the manager waits for nothing.
    commit_one(&d, SessionConfig::new()).await;
    commit_one(&d, with()).await;
    assert_eq!(
        begins(&m),
        [
            vec!["bm:0", "extra"],
            vec!["bm:1", "extra", "own"],
            vec![],
            vec!["bm:2", "extra"],
        ]
    );
    assert_eq!(
        seen.lock().unwrap().as_slice(),
        [
            Bookmarks::from_raw_values(["bm:1"]),
            Bookmarks::from_raw_values(["bm:2"]),
            Bookmarks::from_raw_values(["bm:4"]),
        ]
    );
    assert_eq!(
        manager.get_bookmarks(),
        Bookmarks::from_raw_values(["bm:4", "extra"])
    );
    d.close().await;
}

#[tokio::test]
async fn execute_query_chains_through_the_drivers_manager_unless_replaced() {
    let m = server().await;
    let d = driver(&m);
    d.execute_query("RETURN 1").database("db").await.unwrap();
    d.execute_query("RETURN 1").database("db").await.unwrap();
    assert_eq!(
        d.execute_query_bookmark_manager().get_bookmarks(),
        Bookmarks::from_raw_values(["bm:2"])
    );
    // Disabled: waits for nothing, records nothing.
    d.execute_query("RETURN 1")
        .database("db")
        .bookmark_manager(None)
        .await
        .unwrap();
    // Sessions can join the chain.
    commit_one(
        &d,
        SessionConfig::new().with_bookmark_manager(d.execute_query_bookmark_manager()),
    )
    .await;
    let own = GraphDatabase::bookmark_manager(BookmarkManagerConfig::default());
    d.execute_query("RETURN 1")
        .database("db")
        .bookmark_manager(Some(Arc::clone(&own)))
        .await
        .unwrap();
    assert_eq!(
        begins(&m),
        [
            vec![],
            vec!["bm:1".to_owned()],
            vec![],
            vec!["bm:2".to_owned()],
            vec![],
        ]
    );
    assert_eq!(own.get_bookmarks(), Bookmarks::from_raw_values(["bm:5"]));
    assert_eq!(
        d.execute_query_bookmark_manager().get_bookmarks(),
        Bookmarks::from_raw_values(["bm:4"])
    );
    d.close().await;
}
