//! The routing driver against a small cluster of scripted server halves
//! (tests/support): discovery, read/write routing, forgetting failed
//! members, TTL expiry, the resolver, home database resolution.

mod queries;
mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bolt_proto::message::{Request, RequestKind};
use bolt_proto::Version;
use neo4j::{
    params, AccessMode, Config, Driver, Error, GraphDatabase, ServerAddress, SessionConfig,
};
use packstream::Value;
use queries::{begin, managed_single, run_consumed, tx_run_consumed};
use support::{answering, default_answer, failure, rt, start, success, Action, Member};

/// What the router answers: (ttl, routers, readers, writers), changeable.
type Answer = Arc<Mutex<(i64, Vec<String>, Vec<String>, Vec<String>)>>;

/// A router answering ROUTE with `answer` (its own address may be added to
/// the routers as `"self"`), and counting ROUTEs.
async fn router(answer: Answer) -> (Member, Arc<AtomicUsize>) {
    let routes = Arc::new(AtomicUsize::new(0));
    let r = routes.clone();
    let me: Arc<Mutex<String>> = Arc::default();
    let me2 = me.clone();
    let m = start(Version::V5_0, move |conn, req| match req {
        Request::Route(route) => {
            r.fetch_add(1, Ordering::SeqCst);
            let (ttl, routers, readers, writers) = answer.lock().unwrap().clone();
            let own = me2.lock().unwrap().clone();
            let routers: Vec<String> = routers
                .into_iter()
                .map(|a| if a == "self" { own.clone() } else { a })
                .collect();
            let db = route.db.clone().unwrap_or_else(|| "homedb".to_owned());
            Action::Reply(vec![success(&[(
                "rt",
                rt(ttl, &db, &routers, &readers, &writers),
            )])])
        }
        _ => default_answer(conn, req),
    })
    .await;
    *me.lock().unwrap() = m.address();
    (m, routes)
}

/// A [`router`] answering `answer` and a `neo4j://` driver routed by it.
async fn routed(answer: Answer) -> (Member, Arc<AtomicUsize>, Driver) {
    let (router, routes) = router(answer).await;
    let d = routing_driver(&router);
    (router, routes, d)
}

fn answer(ttl: i64, readers: &[&Member], writers: &[&Member]) -> Answer {
    Arc::new(Mutex::new((
        ttl,
        vec!["self".to_owned()],
        readers.iter().map(|m| m.address()).collect(),
        writers.iter().map(|m| m.address()).collect(),
    )))
}

fn driver(uri: &str) -> Driver {
    GraphDatabase::driver(uri, support::config().build().unwrap()).unwrap()
}

/// A `neo4j://` driver with `m` as its initial router.
fn routing_driver(m: &Member) -> Driver {
    driver(&format!("neo4j://{}", m.address()))
}

/// Runs `RETURN 1 AS n` in a new session with the default configuration,
/// then closes it.
async fn run_in_new_session(d: &Driver) {
    let mut s = d.session(SessionConfig::new());
    run_consumed(&mut s, "RETURN 1 AS n").await;
    s.close().await.unwrap();
}

fn session(d: &Driver, db: &str, mode: AccessMode) -> neo4j::Session {
    d.session(
        SessionConfig::new()
            .with_database(db)
            .with_default_access_mode(mode),
    )
}

async fn run_1(d: &Driver, db: &str, mode: AccessMode) -> Result<i64, Error> {
    let mut s = session(d, db, mode);
    let rec = s.run("RETURN 1 AS n", params! {}).await?.single().await?;
    rec.get::<i64>("n")
}

fn addr(m: &Member) -> ServerAddress {
    ServerAddress::new("127.0.0.1", m.addr.port())
}

async fn closed_port() -> u16 {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    l.local_addr().unwrap().port()
}

#[tokio::test]
async fn reads_go_to_readers_writes_to_writers() {
    let reader = start(Version::V5_0, default_answer).await;
    let writer = start(Version::V5_0, default_answer).await;
    let (router, routes) = router(answer(300, &[&reader], &[&writer])).await;
    for scheme in ["neo4j", "bolt+routing"] {
        let d = driver(&format!("{scheme}://{}?region=eu", router.address()));
        assert_eq!(run_1(&d, "adb", AccessMode::Read).await.unwrap(), 1);
        assert_eq!(run_1(&d, "adb", AccessMode::Write).await.unwrap(), 1);
        assert_eq!(run_1(&d, "adb", AccessMode::Read).await.unwrap(), 1);
        let t = d.routing_table(Some("adb")).unwrap();
        assert_eq!(t.database.as_deref(), Some("adb"));
        assert_eq!(t.ttl, Duration::from_secs(300));
        assert_eq!(t.routers, vec![addr(&router)]);
        assert_eq!(t.readers, vec![addr(&reader)]);
        assert_eq!(t.writers, vec![addr(&writer)]);
        let metrics = d.pool_metrics();
        assert!(metrics
            .iter()
            .any(|(a, m)| a == &addr(&reader) && m.idle == 1));
        d.close().await;
    }
    // One discovery per driver: the table stays fresh.
    assert_eq!(routes.load(Ordering::SeqCst), 2);
    assert_eq!(reader.queries(), vec!["RETURN 1 AS n"; 4]);
    assert_eq!(writer.queries(), vec!["RETURN 1 AS n"; 2]);
    // Routing context (query + address) in HELLO and ROUTE; db in ROUTE.
    let expect_ctx = |m: &packstream::Map| {
        assert_eq!(m.get("region").and_then(Value::as_str), Some("eu"));
        assert_eq!(
            m.get("address").and_then(Value::as_str),
            Some(router.address().as_str())
        );
    };
    for (_, r) in router.requests() {
        match r {
            Request::Route(route) => {
                expect_ctx(&route.routing);
                assert_eq!(route.db.as_deref(), Some("adb"));
            }
            Request::Hello(h) => expect_ctx(h.routing.as_ref().unwrap()),
            _ => {}
        }
    }
    for (_, r) in reader.requests() {
        if let Request::Run(run) = r {
            assert_eq!(run.tx.db.as_deref(), Some("adb"));
            assert_eq!(run.tx.mode, bolt_proto::message::AccessMode::Read);
        }
    }
}

#[tokio::test]
async fn not_a_leader_forgets_the_writer_and_the_retry_finds_the_new_one() {
    let reader = start(Version::V5_0, default_answer).await;
    let old = answering(RequestKind::Run, || {
        Action::Reply(vec![failure(
            "Neo.ClientError.Cluster.NotALeader",
            "no longer the leader",
        )])
    })
    .await;
    let new = start(Version::V5_0, default_answer).await;
    let table = answer(300, &[&reader], &[&old]);
    let (_router, routes, d) = routed(table.clone()).await;
    // Auto-commit: the server's error (retryable, with its code) and the
    // writer is forgotten for that database only.
    run_1(&d, "other", AccessMode::Write).await.unwrap_err();
    let err = run_1(&d, "adb", AccessMode::Write).await.unwrap_err();
    assert_eq!(
        err.code(),
        Some("Neo.ClientError.Cluster.NotALeader"),
        "{err}"
    );
    assert!(err.is_retryable());
    assert!(d.routing_table(Some("adb")).unwrap().writers.is_empty());
    assert_eq!(
        d.routing_table(Some("adb")).unwrap().readers,
        vec![addr(&reader)]
    );
    // Managed transaction: the router now names the new leader.
    table.lock().unwrap().3 = vec![new.address()];
    let before = routes.load(Ordering::SeqCst);
    let mut s = session(&d, "adb", AccessMode::Write);
    let n = s
        .execute_write(
            |tx| async move { managed_single(&tx, "CREATE (n) RETURN 1 AS n", "n").await },
        )
        .await
        .unwrap();
    assert_eq!(n, 1);
    assert_eq!(routes.load(Ordering::SeqCst), before + 1);
    assert_eq!(
        d.routing_table(Some("adb")).unwrap().writers,
        vec![addr(&new)]
    );
    assert_eq!(new.queries(), vec!["CREATE (n) RETURN 1 AS n"]);
    d.close().await;
}

#[tokio::test]
async fn reader_dying_mid_stream_is_forgotten_and_rediscovered() {
    let dying = answering(RequestKind::Pull, || Action::Close).await;
    let healthy = start(Version::V5_0, default_answer).await;
    let writer = start(Version::V5_0, default_answer).await;
    let table = answer(300, &[&dying], &[&writer]);
    let (_router, routes, d) = routed(table.clone()).await;
    let err = run_1(&d, "adb", AccessMode::Read).await.unwrap_err();
    assert!(matches!(err, Error::SessionExpired(_)), "{err}");
    let t = d.routing_table(Some("adb")).unwrap();
    assert!(t.readers.is_empty(), "{t:?}");
    // No reader left: the next read rediscovers and finds the healthy one.
    table.lock().unwrap().2 = vec![healthy.address()];
    assert_eq!(run_1(&d, "adb", AccessMode::Read).await.unwrap(), 1);
    assert_eq!(routes.load(Ordering::SeqCst), 2);
    assert_eq!(healthy.queries().len(), 1);
    // The dead reader's pool is gone.
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(d.pool_metrics().iter().all(|(a, _)| a != &addr(&dying)));
    d.close().await;
}

#[tokio::test]
async fn unreachable_reader_is_skipped_at_acquisition() {
    let port = closed_port().await;
    let healthy = start(Version::V5_0, default_answer).await;
    let writer = start(Version::V5_0, default_answer).await;
    let table = answer(300, &[&healthy], &[&writer]);
    table
        .lock()
        .unwrap()
        .2
        .insert(0, format!("127.0.0.1:{port}"));
    let (_router, _, d) = routed(table).await;
    for _ in 0..3 {
        assert_eq!(run_1(&d, "adb", AccessMode::Read).await.unwrap(), 1);
    }
    let t = d.routing_table(Some("adb")).unwrap();
    assert_eq!(t.readers, vec![addr(&healthy)]);
    d.close().await;
}

#[tokio::test]
async fn ttl_expiry_triggers_rediscovery() {
    let reader = start(Version::V5_0, default_answer).await;
    let writer = start(Version::V5_0, default_answer).await;
    let (_router, routes, d) = routed(answer(1, &[&reader], &[&writer])).await;
    run_1(&d, "adb", AccessMode::Read).await.unwrap();
    run_1(&d, "adb", AccessMode::Read).await.unwrap();
    assert_eq!(routes.load(Ordering::SeqCst), 1);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    run_1(&d, "adb", AccessMode::Read).await.unwrap();
    assert_eq!(routes.load(Ordering::SeqCst), 2);
    d.close().await;
}

#[tokio::test]
async fn initial_address_goes_through_the_resolver() {
    let reader = start(Version::V5_0, default_answer).await;
    let writer = start(Version::V5_0, default_answer).await;
    let (router, routes) = router(answer(300, &[&reader], &[&writer])).await;
    let dead = closed_port().await;
    let live = router.addr.port();
    let asked: Arc<Mutex<Vec<ServerAddress>>> = Arc::default();
    let a2 = asked.clone();
    let config = Config::builder()
        .with_auth(("neo4j", "pw"))
        .with_resolver(move |a: &ServerAddress| {
            a2.lock().unwrap().push(a.clone());
            vec![
                ServerAddress::new("127.0.0.1", dead),
                ServerAddress::new("127.0.0.1", live),
            ]
        })
        .build()
        .unwrap();
    let d = GraphDatabase::driver("neo4j://foo:9999", config).unwrap();
    assert_eq!(run_1(&d, "adb", AccessMode::Read).await.unwrap(), 1);
    assert_eq!(
        *asked.lock().unwrap(),
        vec![ServerAddress::new("foo", 9999)]
    );
    assert_eq!(routes.load(Ordering::SeqCst), 1);
    // The routing context names the URI's address, not a resolved one.
    let ctx_address = router.requests().into_iter().find_map(|(_, r)| match r {
        Request::Route(route) => route
            .routing
            .get("address")
            .and_then(Value::as_str)
            .map(str::to_owned),
        _ => None,
    });
    assert_eq!(ctx_address.as_deref(), Some("foo:9999"));
    // Members from the table are not passed to the resolver.
    assert_eq!(asked.lock().unwrap().len(), 1);
    d.close().await;
}

#[tokio::test]
async fn no_reachable_router_is_service_unavailable() {
    let port = closed_port().await;
    let d = driver(&format!("neo4j://127.0.0.1:{port}"));
    let err = run_1(&d, "adb", AccessMode::Read).await.unwrap_err();
    assert!(
        matches!(err, Error::ServiceUnavailable(ref m) if m.contains("routing")),
        "{err}"
    );
    let err = d
        .force_routing_table_update(Some("adb"), &[])
        .await
        .unwrap_err();
    assert!(matches!(err, Error::ServiceUnavailable(_)), "{err}");
}

#[tokio::test]
async fn no_writers_fail_writes_with_session_expired_after_rediscovery() {
    let reader = start(Version::V5_0, default_answer).await;
    let (_router, routes, d) = routed(answer(300, &[&reader], &[])).await;
    assert_eq!(run_1(&d, "adb", AccessMode::Read).await.unwrap(), 1);
    let mut s = session(&d, "adb", AccessMode::Write);
    let err = s.run("CREATE ()", params! {}).await.err().unwrap();
    assert!(
        matches!(err, Error::SessionExpired(ref m) if m.contains("writer")),
        "{err}"
    );
    // The write asked the cluster again before giving up.
    assert_eq!(routes.load(Ordering::SeqCst), 2);
    d.close().await;
}

#[tokio::test]
async fn least_connected_reader_is_chosen() {
    let r1 = start(Version::V5_0, default_answer).await;
    let r2 = start(Version::V5_0, default_answer).await;
    let writer = start(Version::V5_0, default_answer).await;
    let (_router, _, d) = routed(answer(300, &[&r1, &r2], &[&writer])).await;
    // Hold one reader busy with an open transaction; every other read must
    // go to the other reader.
    let mut busy = session(&d, "adb", AccessMode::Read);
    let tx = busy.begin_transaction(Default::default()).await.unwrap();
    tx_run_consumed(&tx, "RETURN 1 AS n").await;
    let in_use: Vec<ServerAddress> = d
        .pool_metrics()
        .into_iter()
        .filter(|(_, m)| m.in_use == 1)
        .map(|(a, _)| a)
        .collect();
    assert_eq!(in_use.len(), 1);
    let free = if in_use[0] == addr(&r1) { &r2 } else { &r1 };
    for _ in 0..4 {
        run_1(&d, "adb", AccessMode::Read).await.unwrap();
    }
    assert_eq!(free.queries().len(), 4);
    tx.rollback().await.unwrap();
    // Equal load: reads take turns.
    for _ in 0..4 {
        run_1(&d, "adb", AccessMode::Read).await.unwrap();
    }
    assert!(r1.queries().len() >= 2 && r2.queries().len() >= 2);
    d.close().await;
}

#[tokio::test]
async fn home_database_is_resolved_and_pinned() {
    let reader = start(Version::V5_0, default_answer).await;
    let writer = start(Version::V5_0, default_answer).await;
    let (router, routes, d) = routed(answer(300, &[&reader], &[&writer])).await;
    let mut s = d.session(SessionConfig::new().with_default_access_mode(AccessMode::Read));
    for _ in 0..2 {
        run_consumed(&mut s, "RETURN 1 AS n").await;
    }
    // One ROUTE without a database; its answer names the home database,
    // which every RUN then carries.
    assert_eq!(routes.load(Ordering::SeqCst), 1);
    let route_dbs: Vec<Option<String>> = router
        .requests()
        .into_iter()
        .filter_map(|(_, r)| match r {
            Request::Route(route) => Some(route.db),
            _ => None,
        })
        .collect();
    assert_eq!(route_dbs, vec![None]);
    for (_, r) in reader.requests() {
        if let Request::Run(run) = r {
            assert_eq!(run.tx.db.as_deref(), Some("homedb"));
        }
    }
    assert!(d.routing_table(Some("homedb")).is_some());
    d.close().await;
}

#[tokio::test]
async fn bookmarks_and_impersonation_flow_into_route() {
    let reader = start(Version::V5_0, default_answer).await;
    let writer = start(Version::V5_0, default_answer).await;
    let (router, _, d) = routed(answer(300, &[&reader], &[&writer])).await;
    let mut s = d.session(
        SessionConfig::new()
            .with_database("adb")
            .with_bookmarks(neo4j::Bookmarks::from_raw_values(["bm:0"]))
            .with_impersonated_user("alice"),
    );
    run_consumed(&mut s, "RETURN 1 AS n").await;
    let route = router
        .requests()
        .into_iter()
        .find_map(|(_, r)| match r {
            Request::Route(route) => Some(route),
            _ => None,
        })
        .unwrap();
    assert_eq!(route.bookmarks, vec!["bm:0".to_owned()]);
    assert_eq!(route.imp_user.as_deref(), Some("alice"));
    d.close().await;
}

// ---- Bolt 5.8: the home-database cache (optimistic routing) ----

/// How a one-member Bolt 5.8 "cluster" behaves: whether it says it does
/// server-side routing, the home database it resolves, a database whose
/// ROUTE fails (it was dropped), and the TTL of its tables.
#[derive(Clone)]
struct Cluster58 {
    ssr: bool,
    home: Arc<Mutex<String>>,
    gone: Arc<Mutex<Option<String>>>,
    ttl: i64,
    /// Readers other than the member itself.
    readers: Arc<Mutex<Option<Vec<String>>>>,
}

impl Cluster58 {
    fn new(ssr: bool, home: &str, ttl: i64) -> Cluster58 {
        Cluster58 {
            ssr,
            home: Arc::new(Mutex::new(home.to_owned())),
            gone: Arc::default(),
            ttl,
            readers: Arc::default(),
        }
    }

    /// A member that is router, reader and writer of every database; RUN
    /// and BEGIN answers name the database (the home one when none was
    /// sent), as Bolt 5.8 servers do.
    async fn start(&self) -> Member {
        let me: Arc<Mutex<String>> = Arc::default();
        let me2 = me.clone();
        let c = self.clone();
        let m = start(Version::V5_8, move |conn, req| {
            let home = c.home.lock().unwrap().clone();
            match req {
                Request::Hello(_) => {
                    let mut hints = packstream::Map::new();
                    hints.insert("ssr.enabled", c.ssr);
                    Action::Reply(vec![success(&[
                        ("server", "Neo4j/5.26.0".into()),
                        ("connection_id", format!("bolt-{conn}").into()),
                        ("hints", Value::Map(hints)),
                    ])])
                }
                Request::Route(route) => {
                    if route.db.is_some() && route.db == *c.gone.lock().unwrap() {
                        return Action::Reply(vec![failure(
                            "Neo.ClientError.Database.DatabaseNotFound",
                            "no such database",
                        )]);
                    }
                    let own = vec![me2.lock().unwrap().clone()];
                    let db = route.db.clone().unwrap_or(home);
                    let readers = c.readers.lock().unwrap().clone().unwrap_or(own.clone());
                    Action::Reply(vec![success(&[(
                        "rt",
                        rt(c.ttl, &db, &own, &readers, &own),
                    )])])
                }
                Request::Run(run) => {
                    let db = run.tx.db.clone().unwrap_or(home);
                    Action::Reply(vec![success(&[
                        ("fields", vec!["n"].into()),
                        ("db", db.into()),
                    ])])
                }
                Request::Begin(begin) => {
                    let db = begin.tx.db.clone().unwrap_or(home);
                    Action::Reply(vec![success(&[("db", db.into())])])
                }
                _ => default_answer(conn, req),
            }
        })
        .await;
        *me.lock().unwrap() = m.address();
        m
    }

    /// Starts the member and a `neo4j://` driver routed by it.
    async fn start_with_driver(&self) -> (Member, Driver) {
        let m = self.start().await;
        let d = routing_driver(&m);
        (m, d)
    }
}

/// The databases named by the member's ROUTEs and by its RUNs / BEGINs
/// (`None`: no database sent).
fn dbs_sent(m: &Member) -> (Vec<Option<String>>, Vec<Option<String>>) {
    let mut routes = Vec::new();
    let mut work = Vec::new();
    for (_, r) in m.requests() {
        match r {
            Request::Route(route) => routes.push(route.db),
            Request::Run(run) => work.push(run.tx.db),
            Request::Begin(begin) => work.push(begin.tx.db),
            _ => {}
        }
    }
    (routes, work)
}

fn home(s: &str) -> Option<String> {
    Some(s.to_owned())
}

#[tokio::test]
async fn ssr_cluster_routes_new_sessions_with_the_cached_home_database() {
    let c = Cluster58::new(true, "homedb", 300);
    let (m, d) = c.start_with_driver().await;
    // First session: the cache is empty; ROUTE resolves (and caches) it.
    run_in_new_session(&d).await;
    // Second session: no ROUTE; the first RUN goes to the cached database's
    // member without a database, the answer pins it; then it is named.
    let mut s2 = d.session(SessionConfig::new());
    run_consumed(&mut s2, "RETURN 1 AS n").await;
    run_consumed(&mut s2, "RETURN 1 AS n").await;
    s2.close().await.unwrap();
    // Explicit transactions: BEGIN without a database too.
    let mut s3 = d.session(SessionConfig::new());
    s3.execute_read(|tx| async move { tx.run("RETURN 1 AS n", params! {}).await?.consume().await })
        .await
        .unwrap();
    run_consumed(&mut s3, "RETURN 1 AS n").await;
    s3.close().await.unwrap();
    let (routes, work) = dbs_sent(&m);
    assert_eq!(routes, vec![None]);
    // s1 RUN, s2 RUN + RUN, s3 BEGIN + RUN in it (never a db) + RUN.
    assert_eq!(
        work,
        vec![
            home("homedb"),
            None,
            home("homedb"),
            None,
            None,
            home("homedb")
        ]
    );
    // Another user has no cache entry: its home database is asked for.
    let mut s4 = d.session(SessionConfig::new().with_impersonated_user("alice"));
    run_consumed(&mut s4, "RETURN 1 AS n").await;
    s4.close().await.unwrap();
    let (routes, work) = dbs_sent(&m);
    assert_eq!(routes, vec![None, None]);
    assert_eq!(work.last().unwrap(), &home("homedb"));
    d.close().await;
}

#[tokio::test]
async fn a_wrong_guess_is_corrected_by_the_server_answer() {
    let c = Cluster58::new(true, "old", 300);
    let (m, d) = c.start_with_driver().await;
    run_in_new_session(&d).await;
    // The user's home database changes on the server.
    *c.home.lock().unwrap() = "new".to_owned();
    let mut s2 = d.session(SessionConfig::new());
    run_consumed(&mut s2, "RETURN 1 AS n").await; // guessed `old`, sent none; the server says `new`
    run_consumed(&mut s2, "RETURN 1 AS n").await; // pinned `new`: its table is fetched, `new` named
    s2.close().await.unwrap();
    let mut s3 = d.session(SessionConfig::new());
    run_consumed(&mut s3, "RETURN 1 AS n").await; // the cache learnt `new`
    s3.close().await.unwrap();
    let (routes, work) = dbs_sent(&m);
    assert_eq!(routes, vec![None, home("new")]);
    assert_eq!(work, vec![home("old"), None, home("new"), None]);
    assert!(d.routing_table(Some("new")).is_some());
    d.close().await;
}

#[tokio::test]
async fn a_correction_is_cached_when_the_session_ends_after_one_unit_of_work() {
    for how in ["close", "drop", "commit"] {
        let c = Cluster58::new(true, "old", 300);
        let (m, d) = c.start_with_driver().await;
        run_in_new_session(&d).await;
        *c.home.lock().unwrap() = "new".to_owned();
        // One unit of work on the guess `old`; the server names `new`.
        let mut s2 = d.session(SessionConfig::new());
        match how {
            "close" => {
                run_consumed(&mut s2, "RETURN 1 AS n").await;
                s2.close().await.unwrap();
            }
            "drop" => {
                run_consumed(&mut s2, "RETURN 1 AS n").await;
                drop(s2);
            }
            _ => {
                s2.execute_read(|tx| async move {
                    tx.run("RETURN 1 AS n", params! {}).await?.consume().await
                })
                .await
                .unwrap();
                // The next session is opened while this one lives on.
                std::mem::forget(s2);
            }
        }
        // The next session guesses `new`: it needs that table first.
        run_in_new_session(&d).await;
        let (routes, _) = dbs_sent(&m);
        assert_eq!(routes, vec![None, home("new")], "{how}");
        d.close().await;
    }
}

#[tokio::test]
async fn a_cached_database_that_cannot_be_routed_falls_back_to_resolution() {
    // TTL 0: every unit of work asks for a fresh table.
    let c = Cluster58::new(true, "old", 0);
    let (m, d) = c.start_with_driver().await;
    run_in_new_session(&d).await;
    // `old` is dropped: ROUTE for it fails; the home database is now `new`.
    *c.home.lock().unwrap() = "new".to_owned();
    *c.gone.lock().unwrap() = home("old");
    run_in_new_session(&d).await;
    let (routes, work) = dbs_sent(&m);
    // s1: ROUTE home; its RUN's acquisition: ROUTE old (stale at once).
    // s2: ROUTE old fails, the guess is forgotten, ROUTE home, ROUTE new.
    assert_eq!(routes.first(), Some(&None));
    assert!(
        routes.ends_with(&[home("old"), None, home("new")]),
        "{routes:?}"
    );
    assert_eq!(work, vec![home("old"), home("new")]);
    d.close().await;
}

#[tokio::test]
async fn without_server_side_routing_every_session_resolves_its_home_database() {
    let c = Cluster58::new(false, "homedb", 300);
    let (m, d) = c.start_with_driver().await;
    for _ in 0..2 {
        run_in_new_session(&d).await;
    }
    let (routes, work) = dbs_sent(&m);
    assert_eq!(routes, vec![None, None]);
    assert_eq!(work, vec![home("homedb"), home("homedb")]);
    d.close().await;
}

// ---- Procedure discovery: Bolt 3 (3.x) and Bolt 4.1 (4.0–4.2) ----

/// The `servers` list of a routing procedure's record.
fn servers(routers: &[String], readers: &[String], writers: &[String]) -> Value {
    let server = |role: &str, addrs: &[String]| {
        let mut m = packstream::Map::new();
        m.insert("role", role);
        m.insert(
            "addresses",
            Value::List(addrs.iter().map(|a| Value::from(a.as_str())).collect()),
        );
        Value::Map(m)
    };
    Value::List(vec![
        server("ROUTE", routers),
        server("READ", readers),
        server("WRITE", writers),
    ])
}

/// A router speaking `version` that answers the routing procedure (any
/// `CALL dbms.…getRoutingTable` RUN, then its PULL) with itself as
/// router and the given readers and writers.
async fn procedure_router(version: Version, readers: &[&Member], writers: &[&Member]) -> Member {
    let readers: Vec<String> = readers.iter().map(|m| m.address()).collect();
    let writers: Vec<String> = writers.iter().map(|m| m.address()).collect();
    procedure_router_listing(version, readers, writers).await
}

/// [`procedure_router`] with the readers and writers as addresses.
async fn procedure_router_listing(
    version: Version,
    readers: Vec<String>,
    writers: Vec<String>,
) -> Member {
    let me: Arc<Mutex<String>> = Arc::default();
    let me2 = me.clone();
    let calling: Arc<Mutex<std::collections::HashSet<usize>>> = Arc::default();
    let m = start(version, move |conn, req| match req {
        Request::Run(run) if run.query.contains("getRoutingTable") => {
            calling.lock().unwrap().insert(conn);
            Action::Reply(vec![success(&[("fields", vec!["ttl", "servers"].into())])])
        }
        Request::Pull(_) if calling.lock().unwrap().remove(&conn) => {
            let own = vec![me2.lock().unwrap().clone()];
            Action::Reply(vec![
                bolt_proto::message::Response::Record(bolt_proto::message::Record {
                    fields: vec![300.into(), servers(&own, &readers, &writers)],
                }),
                success(&[]),
            ])
        }
        _ => default_answer(conn, req),
    })
    .await;
    *me.lock().unwrap() = m.address();
    m
}

/// A writer whose commits (auto-commit PULLs) give bookmark `bm:w`.
async fn bookmarking_writer(version: Version) -> Member {
    start(version, |conn, req| match req {
        Request::Pull(_) => Action::Reply(vec![
            support::record(1),
            success(&[("bookmark", "bm:w".into())]),
        ]),
        _ => default_answer(conn, req),
    })
    .await
}

/// The routing-procedure RUNs a member received.
fn procedure_runs(m: &Member) -> Vec<bolt_proto::message::Run> {
    m.requests()
        .into_iter()
        .filter_map(|(_, r)| match r {
            Request::Run(run) if run.query.contains("getRoutingTable") => Some(run),
            _ => None,
        })
        .collect()
}

/// Every user RUN of a member.
fn user_runs(m: &Member) -> Vec<bolt_proto::message::Run> {
    m.requests()
        .into_iter()
        .filter_map(|(_, r)| match r {
            Request::Run(run) if !run.query.contains("getRoutingTable") => Some(run),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn bolt3_cluster_discovers_with_the_3x_procedure() {
    let reader = start(Version::V3_0, default_answer).await;
    let writer = bookmarking_writer(Version::V3_0).await;
    let router = procedure_router(Version::V3_0, &[&reader], &[&writer]).await;
    let d = driver(&format!("neo4j://{}?region=eu", router.address()));
    // A write, then a read chained on its bookmark.
    let mut w = d.session(SessionConfig::new().with_default_access_mode(AccessMode::Write));
    run_consumed(&mut w, "RETURN 1 AS n").await;
    let bookmarks = w.last_bookmarks();
    w.close().await.unwrap();
    let mut r = d.session(
        SessionConfig::new()
            .with_default_access_mode(AccessMode::Read)
            .with_bookmarks(bookmarks),
    );
    run_consumed(&mut r, "RETURN 1 AS n").await;
    r.close().await.unwrap();
    // One discovery, with the 3.x procedure and the routing context.
    let calls = procedure_runs(&router);
    assert_eq!(calls.len(), 1);
    assert_eq!(
        calls[0].query,
        "CALL dbms.cluster.routing.getRoutingTable($context)"
    );
    let ctx = match calls[0].parameters.get("context") {
        Some(Value::Map(m)) => m.clone(),
        other => panic!("no context: {other:?}"),
    };
    assert_eq!(ctx.get("region").and_then(Value::as_str), Some("eu"));
    assert_eq!(
        ctx.get("address").and_then(Value::as_str),
        Some(router.address().as_str())
    );
    // The table is the home database's (no name before 4.3).
    let t = d.routing_table(None).unwrap();
    assert_eq!(t.routers, vec![addr(&router)]);
    assert_eq!(t.readers, vec![addr(&reader)]);
    assert_eq!(t.writers, vec![addr(&writer)]);
    // The write went to the writer, the read to the reader with the bookmark.
    let w_runs = user_runs(&writer);
    assert_eq!(w_runs.len(), 1);
    assert_eq!(w_runs[0].tx.mode, bolt_proto::message::AccessMode::Write);
    let r_runs = user_runs(&reader);
    assert_eq!(r_runs.len(), 1);
    assert_eq!(r_runs[0].tx.mode, bolt_proto::message::AccessMode::Read);
    assert_eq!(r_runs[0].tx.bookmarks, vec!["bm:w".to_owned()]);
    assert!(user_runs(&router).is_empty());
    // Bolt 3 has no databases: naming one is a clear error.
    let mut s = d.session(SessionConfig::new().with_database("adb"));
    let err = s.run("RETURN 1", params! {}).await.unwrap_err();
    assert!(matches!(err, Error::Unsupported(_)), "{err:?}");
    assert!(err.to_string().contains("Bolt 4.0"), "{err}");
    d.close().await;
}

#[tokio::test]
async fn bolt41_cluster_discovers_with_the_4x_procedure_on_system() {
    let reader = start(Version::V4_1, default_answer).await;
    let writer = bookmarking_writer(Version::V4_1).await;
    let router = procedure_router(Version::V4_1, &[&reader], &[&writer]).await;
    let d = routing_driver(&router);
    let mut w = d.session(
        SessionConfig::new()
            .with_database("adb")
            .with_default_access_mode(AccessMode::Write),
    );
    run_consumed(&mut w, "RETURN 1 AS n").await;
    let bookmarks = w.last_bookmarks();
    w.close().await.unwrap();
    let mut r = d.session(
        SessionConfig::new()
            .with_database("adb")
            .with_default_access_mode(AccessMode::Read)
            .with_bookmarks(bookmarks),
    );
    run_consumed(&mut r, "RETURN 1 AS n").await;
    r.close().await.unwrap();
    // The home database: the procedure without a database, table unnamed.
    let mut h = d.session(SessionConfig::new().with_default_access_mode(AccessMode::Read));
    run_consumed(&mut h, "RETURN 1 AS n").await;
    h.close().await.unwrap();

    let calls = procedure_runs(&router);
    assert_eq!(calls.len(), 2, "adb once, the home database once");
    assert_eq!(
        calls[0].query,
        "CALL dbms.routing.getRoutingTable($context, $database)"
    );
    assert_eq!(
        calls[0].parameters.get("database").and_then(Value::as_str),
        Some("adb")
    );
    assert_eq!(
        calls[1].query,
        "CALL dbms.routing.getRoutingTable($context)"
    );
    for c in &calls {
        // On the system database, in read mode.
        assert_eq!(c.tx.db.as_deref(), Some("system"));
        assert_eq!(c.tx.mode, bolt_proto::message::AccessMode::Read);
        assert!(c.parameters.get("context").is_some());
    }
    // adb's table was still fresh for the read session: only the write
    // session's discovery ran for adb, and it had no bookmarks yet.
    assert!(calls[0].tx.bookmarks.is_empty());
    assert_eq!(
        d.routing_table(Some("adb")).unwrap().readers,
        vec![addr(&reader)]
    );
    assert!(d.routing_table(None).is_some());
    let w_runs = user_runs(&writer);
    assert_eq!(w_runs.len(), 1);
    assert_eq!(w_runs[0].tx.db.as_deref(), Some("adb"));
    let r_runs = user_runs(&reader);
    assert_eq!(r_runs.len(), 2);
    assert_eq!(r_runs[0].tx.db.as_deref(), Some("adb"));
    assert_eq!(r_runs[0].tx.bookmarks, vec!["bm:w".to_owned()]);
    assert_eq!(r_runs[1].tx.db, None);
    d.close().await;
}

#[tokio::test]
async fn bolt41_discovery_carries_the_session_bookmarks() {
    let reader = start(Version::V4_1, default_answer).await;
    let router = procedure_router(Version::V4_1, &[&reader], &[&reader]).await;
    let d = routing_driver(&router);
    let mut s = d.session(
        SessionConfig::new()
            .with_database("adb")
            .with_bookmarks(neo4j::Bookmarks::from_raw_values(["bm:0"])),
    );
    run_consumed(&mut s, "RETURN 1 AS n").await;
    s.close().await.unwrap();
    let calls = procedure_runs(&router);
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].tx.bookmarks, vec!["bm:0".to_owned()]);
    d.close().await;
}

// ---- Failure handling and pool hygiene ----

/// Waits (up to 2 s) until `cond` holds.
async fn eventually(mut cond: impl FnMut() -> bool) -> bool {
    for _ in 0..200 {
        if cond() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    cond()
}

#[tokio::test]
async fn forbidden_on_read_only_database_forgets_the_writer_and_managed_work_retries() {
    let reader = start(Version::V5_0, default_answer).await;
    let read_only = answering(RequestKind::Run, || {
        Action::Reply(vec![failure(
            "Neo.ClientError.General.ForbiddenOnReadOnlyDatabase",
            "read only",
        )])
    })
    .await;
    let new = start(Version::V5_0, default_answer).await;
    let table = answer(300, &[&reader], &[&read_only]);
    let (_router, routes, d) = routed(table.clone()).await;
    let t2 = table.clone();
    let new_addr = new.address();
    let mut s = session(&d, "adb", AccessMode::Write);
    let attempts = Arc::new(AtomicUsize::new(0));
    let a2 = attempts.clone();
    let n = s
        .execute_write(move |tx| {
            // The first attempt already holds the refusing writer; the
            // cluster names the new one from now on.
            if a2.fetch_add(1, Ordering::SeqCst) == 0 {
                t2.lock().unwrap().3 = vec![new_addr.clone()];
            }
            async move { managed_single(&tx, "CREATE (n) RETURN 1 AS n", "n").await }
        })
        .await
        .unwrap();
    assert_eq!(n, 1);
    assert_eq!(attempts.load(Ordering::SeqCst), 2);
    assert_eq!(read_only.queries().len(), 1);
    assert_eq!(new.queries(), vec!["CREATE (n) RETURN 1 AS n"]);
    assert_eq!(routes.load(Ordering::SeqCst), 2);
    assert_eq!(
        d.routing_table(Some("adb")).unwrap().writers,
        vec![addr(&new)]
    );
    d.close().await;
}

#[tokio::test]
async fn writer_lost_mid_transaction_is_session_expired_and_managed_work_retries() {
    let reader = start(Version::V5_0, default_answer).await;
    let dying = answering(RequestKind::Run, || Action::Close).await;
    let new = start(Version::V5_0, default_answer).await;
    let table = answer(300, &[&reader], &[&dying]);
    let (_router, _, d) = routed(table.clone()).await;
    // Unmanaged: the loss is SessionExpired and the writer is forgotten.
    let mut s = session(&d, "adb", AccessMode::Write);
    let tx = begin(&mut s).await;
    let err = tx.run("CREATE ()", params! {}).await.err().unwrap();
    assert!(matches!(err, Error::SessionExpired(_)), "{err}");
    assert!(err.is_retryable());
    drop(tx);
    s.close().await.ok();
    assert!(d.routing_table(Some("adb")).unwrap().writers.is_empty());
    // Managed: retried until the rediscovered writer takes it.
    table.lock().unwrap().3 = vec![new.address()];
    let mut s = session(&d, "adb", AccessMode::Write);
    s.execute_write(|tx| async move { tx.run("CREATE ()", params! {}).await?.consume().await })
        .await
        .unwrap();
    assert_eq!(new.queries(), vec!["CREATE ()"]);
    d.close().await;
}

#[tokio::test]
async fn all_routers_failing_re_resolves_the_initial_address() {
    let reader = start(Version::V5_0, default_answer).await;
    let writer = start(Version::V5_0, default_answer).await;
    let (first, _) = router(answer(300, &[&reader], &[&writer])).await;
    let (second, second_routes) = router(answer(300, &[&reader], &[&writer])).await;
    let target = Arc::new(AtomicUsize::new(first.addr.port() as usize));
    let asked = Arc::new(AtomicUsize::new(0));
    let (t2, a2) = (target.clone(), asked.clone());
    let config = Config::builder()
        .with_auth(("neo4j", "pw"))
        .with_resolver(move |_: &ServerAddress| {
            a2.fetch_add(1, Ordering::SeqCst);
            vec![ServerAddress::new(
                "127.0.0.1",
                t2.load(Ordering::SeqCst) as u16,
            )]
        })
        .build()
        .unwrap();
    let d = GraphDatabase::driver("neo4j://cluster.example:7687", config).unwrap();
    assert_eq!(run_1(&d, "adb", AccessMode::Read).await.unwrap(), 1);
    assert_eq!(asked.load(Ordering::SeqCst), 1);
    assert_eq!(
        d.routing_table(Some("adb")).unwrap().routers,
        vec![addr(&first)]
    );
    // The only known router dies; the name now resolves to another one.
    first.kill();
    target.store(second.addr.port() as usize, Ordering::SeqCst);
    d.force_routing_table_update(Some("adb"), &[])
        .await
        .unwrap();
    assert_eq!(asked.load(Ordering::SeqCst), 2);
    assert_eq!(second_routes.load(Ordering::SeqCst), 1);
    assert_eq!(
        d.routing_table(Some("adb")).unwrap().routers,
        vec![addr(&second)]
    );
    assert_eq!(run_1(&d, "adb", AccessMode::Read).await.unwrap(), 1);
    d.close().await;
}

#[tokio::test]
async fn servers_leaving_every_table_lose_their_idle_connections() {
    let old = start(Version::V5_0, default_answer).await;
    let new = start(Version::V5_0, default_answer).await;
    let table = answer(300, &[&old], &[&old]);
    let (_router, _, d) = routed(table.clone()).await;
    // One connection to `old` in use (an open transaction), one idle.
    let mut busy = session(&d, "adb", AccessMode::Read);
    let tx = begin(&mut busy).await;
    assert_eq!(run_1(&d, "adb", AccessMode::Read).await.unwrap(), 1);
    let m = d.pool_metrics();
    let (_, old_pool) = m.iter().find(|(a, _)| a == &addr(&old)).unwrap();
    assert_eq!((old_pool.in_use, old_pool.idle), (1, 1));
    // `old` leaves the cluster.
    *table.lock().unwrap() = (
        300,
        vec!["self".into()],
        vec![new.address()],
        vec![new.address()],
    );
    d.force_routing_table_update(Some("adb"), &[])
        .await
        .unwrap();
    // Its idle connection is closed at once; its pool is gone.
    assert!(eventually(|| old.count(RequestKind::Goodbye) == 1).await);
    assert!(d.pool_metrics().iter().all(|(a, _)| a != &addr(&old)));
    // The transaction in flight finishes there; then its connection closes.
    tx_run_consumed(&tx, "RETURN 1 AS n").await;
    tx.commit().await.unwrap();
    busy.close().await.unwrap();
    assert!(eventually(|| old.count(RequestKind::Goodbye) == 2).await);
    // New work goes to the new member.
    assert_eq!(run_1(&d, "adb", AccessMode::Read).await.unwrap(), 1);
    assert_eq!(new.queries().len(), 1);
    d.close().await;
}

#[tokio::test]
async fn one_server_without_server_side_routing_disables_guessing() {
    // The reader does not route server-side; the router does.
    let reader = Cluster58::new(false, "homedb", 300).start().await;
    let c = Cluster58::new(true, "homedb", 300);
    *c.readers.lock().unwrap() = Some(vec![reader.address()]);
    let router = c.start().await;
    let d = routing_driver(&router);
    for _ in 0..2 {
        let mut s = d.session(SessionConfig::new().with_default_access_mode(AccessMode::Read));
        run_consumed(&mut s, "RETURN 1 AS n").await;
        s.close().await.unwrap();
    }
    // Both sessions asked for the home database; both RUNs named it.
    let (routes, _) = dbs_sent(&router);
    assert_eq!(routes, vec![None, None]);
    let (_, work) = dbs_sent(&reader);
    assert_eq!(work, vec![home("homedb"), home("homedb")]);
    d.close().await;
}

#[tokio::test]
async fn a_refused_begin_counts_even_when_the_reader_then_hangs_up() {
    // A managed transaction pipelines BEGIN with its first RUN. The reader
    // refuses BEGIN (TokenExpired, not retryable) and closes before
    // answering RUN: the refusal is reported at once, not a retryable
    // SessionExpired for the lost connection.
    let reader = answering(RequestKind::Begin, || {
        Action::ReplyThenClose(vec![failure(
            "Neo.ClientError.Security.TokenExpired",
            "expired",
        )])
    })
    .await;
    let writer = start(Version::V5_0, default_answer).await;
    let (_router, _, d) = routed(answer(300, &[&reader], &[&writer])).await;
    let mut s = session(&d, "adb", AccessMode::Read);
    let r = s
        .execute_read(|tx| async move { tx.run("RETURN 1", params! {}).await?.consume().await })
        .await;
    let err = r.unwrap_err();
    assert_eq!(
        err.code(),
        Some("Neo.ClientError.Security.TokenExpired"),
        "{err}"
    );
    assert!(!err.is_retryable());
    assert_eq!(reader.count(RequestKind::Begin), 1);
    let _ = s.close().await;
    d.close().await;
}

/// Time that moves only when told to.
#[derive(Debug)]
struct ManualClock(Mutex<std::time::Instant>);

impl neo4j::Clock for ManualClock {
    fn now(&self) -> std::time::Instant {
        *self.0.lock().unwrap()
    }
}

#[tokio::test]
async fn routing_tables_age_by_the_drivers_clock() {
    let reader = start(Version::V5_0, default_answer).await;
    let writer = start(Version::V5_0, default_answer).await;
    let (router, routes) = router(answer(300, &[&reader], &[&writer])).await;
    let clock = Arc::new(ManualClock(Mutex::new(std::time::Instant::now())));
    let config = Config::builder()
        .with_auth(("neo4j", "pw"))
        .with_connection_timeout(Duration::from_secs(2))
        .with_clock(clock.clone())
        .build()
        .unwrap();
    let d = GraphDatabase::driver(format!("neo4j://{}", router.address()), config).unwrap();
    assert_eq!(run_1(&d, "adb", AccessMode::Read).await.unwrap(), 1);
    assert_eq!(run_1(&d, "adb", AccessMode::Read).await.unwrap(), 1);
    assert_eq!(routes.load(Ordering::SeqCst), 1, "the table is fresh");
    // Five minutes pass by the driver's clock (not by the wall clock).
    *clock.0.lock().unwrap() += Duration::from_secs(301);
    assert_eq!(run_1(&d, "adb", AccessMode::Read).await.unwrap(), 1);
    assert_eq!(
        routes.load(Ordering::SeqCst),
        2,
        "the expired table is fetched again"
    );
    d.close().await;
}

// ---- Oversized tables ----

/// `member` then `n - 1` more addresses, one role's worth of a table over
/// the driver's cap of 1000 per role when `n` is 1001.
fn listing(member: &Member, n: usize) -> Vec<String> {
    let mut v = vec![member.address()];
    v.extend((1..n).map(|i| format!("127.0.0.1:{i}")));
    v
}

/// The error of a refused oversized table: a protocol violation naming the
/// cap, not retried.
fn assert_oversized(err: &Error) {
    match err {
        Error::Protocol(m) => {
            assert!(m.contains("READ") && m.contains("at most 1000"), "{m}")
        }
        other => panic!("expected a protocol error naming the cap, got {other:?}"),
    }
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn a_route_answer_over_the_cap_is_a_protocol_error_naming_it() {
    let reader = start(Version::V5_0, default_answer).await;
    let table = Arc::new(Mutex::new((
        300,
        vec!["self".to_owned()],
        listing(&reader, 1001),
        vec![],
    )));
    let (_router, routes, d) = routed(table).await;
    let err = run_1(&d, "adb", AccessMode::Read).await.unwrap_err();
    assert_oversized(&err);
    assert_eq!(routes.load(Ordering::SeqCst), 1);
    assert!(d.routing_table(Some("adb")).is_none());
    assert!(reader.queries().is_empty());
    d.close().await;
}

#[tokio::test]
async fn a_procedure_record_over_the_cap_is_a_protocol_error_naming_it() {
    let reader = start(Version::V4_1, default_answer).await;
    let router = procedure_router_listing(Version::V4_1, listing(&reader, 1001), vec![]).await;
    let d = routing_driver(&router);
    let err = run_1(&d, "adb", AccessMode::Read).await.unwrap_err();
    assert_oversized(&err);
    assert!(d.routing_table(Some("adb")).is_none());
    assert_eq!(procedure_runs(&router).len(), 1);
    assert!(reader.queries().is_empty());
    d.close().await;
}

// ---- Refreshing: per database, coalesced, within the acquisition timeout ----

/// A router (itself the only router) naming `reader` as reader and writer,
/// answering ROUTE for database `stalled` never (`delay: None`) or after
/// `delay`, for the others at once.
async fn stalling_router(
    stalled: &'static str,
    delay: Option<Duration>,
    reader: &Member,
) -> Member {
    let servers = vec![reader.address()];
    let me: Arc<Mutex<String>> = Arc::default();
    let me2 = me.clone();
    let m = start(Version::V5_0, move |conn, req| match req {
        Request::Route(route) => {
            let db = route.db.clone().unwrap_or_else(|| "homedb".to_owned());
            let own = vec![me2.lock().unwrap().clone()];
            let reply = vec![success(&[("rt", rt(300, &db, &own, &servers, &servers))])];
            match (db == stalled, delay) {
                (true, None) => Action::Silent,
                (true, Some(delay)) => Action::Delayed(delay, reply),
                (false, _) => Action::Reply(reply),
            }
        }
        _ => default_answer(conn, req),
    })
    .await;
    *me.lock().unwrap() = m.address();
    m
}

/// How many ROUTEs `m` received for database `db`.
fn routes_for(m: &Member, db: &str) -> usize {
    m.requests()
        .iter()
        .filter(|(_, r)| matches!(r, Request::Route(route) if route.db.as_deref() == Some(db)))
        .count()
}

#[tokio::test]
async fn a_stalled_refresh_of_one_database_does_not_hold_up_another() {
    let reader = start(Version::V5_0, default_answer).await;
    let router = stalling_router("stalled", None, &reader).await;
    // The default acquisition timeout (60 s): the stalled refresh stays
    // pending for the whole test.
    let d = routing_driver(&router);
    let first = tokio::spawn({
        let d = d.clone();
        async move { run_1(&d, "stalled", AccessMode::Read).await }
    });
    assert!(eventually(|| routes_for(&router, "stalled") == 1).await);
    // While that ROUTE is unanswered, a session of another database runs
    // to its end (the bound only turns a hang into a failure).
    let other = tokio::time::timeout(
        Duration::from_secs(10),
        run_1(&d, "other", AccessMode::Read),
    )
    .await
    .expect("the other database's session waited for the stalled refresh");
    assert_eq!(other.unwrap(), 1);
    assert!(!first.is_finished(), "the stalled refresh is still pending");
    // A second session of the stalled database waits for the refresh in
    // flight instead of sending a ROUTE of its own.
    let second = tokio::spawn({
        let d = d.clone();
        async move { run_1(&d, "stalled", AccessMode::Read).await }
    });
    run_1(&d, "other", AccessMode::Read).await.unwrap();
    assert!(!eventually(|| second.is_finished() || routes_for(&router, "stalled") > 1).await);
    first.abort();
    second.abort();
    d.close().await;
}

#[tokio::test]
async fn concurrent_refreshes_of_one_database_send_one_route() {
    let reader = start(Version::V5_0, default_answer).await;
    let router = stalling_router("slow", Some(Duration::from_millis(300)), &reader).await;
    let d = routing_driver(&router);
    let sessions: Vec<_> = (0..5)
        .map(|_| {
            let d = d.clone();
            tokio::spawn(async move { run_1(&d, "slow", AccessMode::Read).await })
        })
        .collect();
    for s in sessions {
        assert_eq!(s.await.unwrap().unwrap(), 1);
    }
    assert_eq!(routes_for(&router, "slow"), 1);
    assert_eq!(reader.queries().len(), 5);
    d.close().await;
}

/// A `neo4j://` driver routed by `m` with a 500 ms acquisition timeout.
fn impatient_driver(m: &Member) -> Driver {
    let config = support::config()
        .with_connection_acquisition_timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    GraphDatabase::driver(format!("neo4j://{}", m.address()), config).unwrap()
}

fn assert_acquisition_timeout(err: &Error) {
    assert!(
        matches!(err, Error::ConnectionAcquisitionTimeout(t) if *t == Duration::from_millis(500)),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_router_that_never_answers_fails_the_session_with_the_acquisition_timeout() {
    let reader = start(Version::V5_0, default_answer).await;
    let router = stalling_router("stalled", None, &reader).await;
    let d = impatient_driver(&router);
    // Without the deadline the ROUTE waits for the connection's read
    // timeout (5 min); the bound only turns that hang into a failure.
    let (first, waiting) = tokio::time::timeout(Duration::from_secs(20), async {
        tokio::join!(
            run_1(&d, "stalled", AccessMode::Read),
            run_1(&d, "stalled", AccessMode::Read)
        )
    })
    .await
    .expect("the sessions hung on the unanswered ROUTE");
    assert_acquisition_timeout(&first.unwrap_err());
    assert_acquisition_timeout(&waiting.unwrap_err());
    assert!(!Error::ConnectionAcquisitionTimeout(Duration::ZERO).is_retryable());
    assert!(d.routing_table(Some("stalled")).is_none());
    // The router still serves the other databases.
    assert_eq!(run_1(&d, "other", AccessMode::Read).await.unwrap(), 1);
    d.close().await;
}

#[tokio::test]
async fn a_router_that_stops_answering_is_skipped_by_the_next_refresh() {
    let reader = start(Version::V5_0, default_answer).await;
    let backup = stalling_router("none", None, &reader).await;
    // The first router names itself and the backup, with a TTL of 0 (each
    // session refreshes), then goes silent.
    let silent = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let me: Arc<Mutex<String>> = Arc::default();
    let (silent2, me2, readers, backup_addr) = (
        silent.clone(),
        me.clone(),
        vec![reader.address()],
        backup.address(),
    );
    let first = start(Version::V5_0, move |conn, req| match req {
        Request::Route(_) if silent2.load(Ordering::SeqCst) => Action::Silent,
        Request::Route(_) => {
            let routers = vec![me2.lock().unwrap().clone(), backup_addr.clone()];
            Action::Reply(vec![success(&[(
                "rt",
                rt(0, "adb", &routers, &readers, &readers),
            )])])
        }
        _ => default_answer(conn, req),
    })
    .await;
    *me.lock().unwrap() = first.address();
    let d = impatient_driver(&first);
    assert_eq!(run_1(&d, "adb", AccessMode::Read).await.unwrap(), 1);
    silent.store(true, Ordering::SeqCst);
    let err = tokio::time::timeout(Duration::from_secs(20), run_1(&d, "adb", AccessMode::Read))
        .await
        .expect("the session hung on the unanswered ROUTE")
        .unwrap_err();
    assert_acquisition_timeout(&err);
    assert_eq!(
        d.routing_table(Some("adb")).unwrap().routers,
        vec![addr(&backup)],
        "the silent router is forgotten as a router"
    );
    assert_eq!(run_1(&d, "adb", AccessMode::Read).await.unwrap(), 1);
    assert_eq!(routes_for(&backup, "adb"), 1);
    d.close().await;
}

#[tokio::test]
async fn a_route_answered_ignored_is_reported_as_ignored() {
    let router = answering(RequestKind::Route, || {
        Action::Reply(vec![bolt_proto::message::Response::Ignored])
    })
    .await;
    let d = routing_driver(&router);
    let e = run_1(&d, "adb", AccessMode::Read).await.unwrap_err();
    assert!(matches!(e, Error::ServiceUnavailable(_)), "{e:?}");
    assert!(e.to_string().contains("ignored ROUTE"), "{e}");
    d.close().await;
}

/// The acquisition timeout of [`slow_route_then_silent_reader`]'s driver.
const ONE_ACQUISITION: Duration = Duration::from_secs(2);

/// A routing driver whose router answers ROUTE for `db` after 1.2 s of
/// the driver's 2 s acquisition timeout, naming one reader that never
/// answers HELLO (the members are returned to keep them running).
async fn slow_route_then_silent_reader(db: &'static str) -> (Driver, Member, Member) {
    let reader = start(Version::V5_0, |conn, req| match req.kind() {
        RequestKind::Hello => Action::Silent,
        _ => default_answer(conn, req),
    })
    .await;
    let router = stalling_router(db, Some(Duration::from_millis(1200)), &reader).await;
    let config = support::config()
        .with_connection_acquisition_timeout(ONE_ACQUISITION)
        .build()
        .unwrap();
    let d = GraphDatabase::driver(format!("neo4j://{}", router.address()), config).unwrap();
    (d, router, reader)
}

/// `work` fails with the acquisition timeout once the timeout is spent in
/// all (2 s), not after the ROUTE's 1.2 s plus another 2 s for the pool.
async fn fails_after_one_acquisition_timeout(
    work: impl std::future::Future<Output = Result<(), Error>>,
) {
    let started = std::time::Instant::now();
    let err = work.await.unwrap_err();
    let took = started.elapsed();
    assert!(
        matches!(err, Error::ConnectionAcquisitionTimeout(t) if t == ONE_ACQUISITION),
        "{err:?} after {took:?}"
    );
    assert!(
        took >= Duration::from_millis(1900) && took < ONE_ACQUISITION + Duration::from_millis(600),
        "took {took:?}"
    );
}

#[tokio::test]
async fn a_refresh_and_the_pool_wait_share_one_acquisition_timeout() {
    let (d, _router, _reader) = slow_route_then_silent_reader("slow").await;
    fails_after_one_acquisition_timeout(async {
        run_1(&d, "slow", AccessMode::Read).await.map(drop)
    })
    .await;
    assert!(
        d.routing_table(Some("slow")).is_some(),
        "the refresh itself succeeded"
    );
    d.close().await;
}

#[tokio::test]
async fn home_database_resolution_and_the_pool_wait_share_one_acquisition_timeout() {
    // A session without a database: resolving the home database and the
    // wait for the reader fit in one acquisition timeout.
    let (d, _router, _reader) = slow_route_then_silent_reader("homedb").await;
    let mut s = d.session(SessionConfig::new().with_default_access_mode(AccessMode::Read));
    fails_after_one_acquisition_timeout(async { s.run("RETURN 1", params! {}).await.map(drop) })
        .await;
    d.close().await;
}

/// A session waits for the pool's only connection while the session
/// holding it loses it: the server is forgotten and its pool closed under
/// the waiting acquisition. The driver is not closed, so the waiting
/// session must not be told it is: it gets a connection from a new pool.
#[tokio::test]
async fn a_pool_closed_under_a_waiting_acquisition_is_not_a_closed_driver() {
    let me: Arc<Mutex<String>> = Arc::default();
    let me2 = me.clone();
    let pulls = Arc::new(AtomicUsize::new(0));
    let p2 = pulls.clone();
    // One member, router, reader and writer; the first PULL's connection
    // is closed instead of answered.
    let m = start(Version::V5_0, move |conn, req| match req {
        Request::Route(route) => {
            let own = vec![me2.lock().unwrap().clone()];
            let db = route.db.clone().unwrap_or_else(|| "homedb".to_owned());
            Action::Reply(vec![success(&[("rt", rt(300, &db, &own, &own, &own))])])
        }
        Request::Pull(_) if p2.fetch_add(1, Ordering::SeqCst) == 0 => Action::Close,
        _ => default_answer(conn, req),
    })
    .await;
    *me.lock().unwrap() = m.address();
    let d = GraphDatabase::driver(
        format!("neo4j://{}", m.address()),
        support::config()
            .with_max_connection_pool_size(1)
            .with_connection_acquisition_timeout(Duration::from_secs(2))
            .build()
            .unwrap(),
    )
    .unwrap();
    let db = || SessionConfig::new().with_database("neo4j");
    let mut a = d.session(db());
    let r = a.run("RETURN 1 AS n", params! {}).await.unwrap();
    // B waits for the one connection, which A holds.
    let d2 = d.clone();
    let b = tokio::spawn(async move {
        let mut b = d2.session(SessionConfig::new().with_database("neo4j"));
        let n = b
            .run("RETURN 1 AS n", params! {})
            .await?
            .single()
            .await?
            .get::<i64>("n");
        b.close().await?;
        n
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    // A's PULL: the server closes the connection.
    assert!(r.collect().await.is_err());
    a.close().await.ok();
    let got = tokio::time::timeout(Duration::from_secs(5), b)
        .await
        .expect("the waiting session hung")
        .unwrap();
    assert!(
        !matches!(got, Err(Error::DriverClosed)),
        "an open driver reported closed: {got:?}"
    );
    assert_eq!(got.unwrap(), 1);
    d.close().await;
}

/// A refresh waiting for the router's only connection while the session
/// holding it loses it: the router is forgotten and its pool closed under
/// the wait. The driver is open, so the refresh must not report
/// `DriverClosed`; it waits on a new pool, within the acquisition timeout
/// it started with (here the new connection never gets HELLO answered).
#[tokio::test]
async fn a_router_pool_closed_under_a_waiting_refresh_is_not_a_closed_driver() {
    let me: Arc<Mutex<String>> = Arc::default();
    let me2 = me.clone();
    let pulls = Arc::new(AtomicUsize::new(0));
    let p2 = pulls.clone();
    let hellos = AtomicUsize::new(0);
    // The first connection works until its first PULL, which closes it;
    // no later connection gets an answer to HELLO.
    let m = start(Version::V5_0, move |conn, req| match req {
        Request::Hello(_) if hellos.fetch_add(1, Ordering::SeqCst) > 0 => Action::Silent,
        Request::Route(route) => {
            let own = vec![me2.lock().unwrap().clone()];
            let db = route.db.clone().unwrap_or_else(|| "homedb".to_owned());
            Action::Reply(vec![success(&[("rt", rt(300, &db, &own, &own, &own))])])
        }
        Request::Pull(_) if p2.fetch_add(1, Ordering::SeqCst) == 0 => Action::Close,
        _ => default_answer(conn, req),
    })
    .await;
    *me.lock().unwrap() = m.address();
    let d = GraphDatabase::driver(
        format!("neo4j://{}", m.address()),
        support::config()
            .with_max_connection_pool_size(1)
            .with_connection_timeout(Duration::from_secs(10))
            .with_connection_acquisition_timeout(ONE_ACQUISITION)
            .build()
            .unwrap(),
    )
    .unwrap();
    let mut a = d.session(SessionConfig::new());
    let r = a.run("RETURN 1 AS n", params! {}).await.unwrap();
    // B (no database: a refresh for the home database) waits for the one
    // connection, which A holds, for 1.5 s of its 2.
    let d2 = d.clone();
    let started = std::time::Instant::now();
    let b = tokio::spawn(async move { d2.supports_multi_db().await });
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(r.collect().await.is_err());
    a.close().await.ok();
    let got = tokio::time::timeout(Duration::from_secs(10), b)
        .await
        .expect("the waiting acquisition hung")
        .unwrap();
    let took = started.elapsed();
    assert!(
        matches!(got, Err(Error::ConnectionAcquisitionTimeout(_))),
        "{got:?} after {took:?}"
    );
    assert!(
        took < ONE_ACQUISITION + Duration::from_millis(600),
        "took {took:?}"
    );
    d.close().await;
}
