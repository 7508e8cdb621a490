//! Against real servers (ignored by default; `cargo xtask test` runs them):
//! ArcadeDB (`BOLT_TEST_ARCADEDB_ADDR`, `_USER`, `_PASSWORD`, `_DATABASES`)
//! and Neo4j 3.1.1 (`BOLT_TEST_NEO4J31_ADDR`, Bolt 1, no auth).

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use bolt_net::{Address, ConnectOptions};
use bolt_pool::{Connection, OpenOptions, Pool, PoolConfig, PoolError};
use bolt_proto::handshake::VersionOffer;
use bolt_proto::message::{Request, Run};
use bolt_proto::Version;
use common::{assert_second_acquisition_times_out, first_int, peak_in_use};
use tokio::net::{TcpListener, TcpStream};

const NEEDS_SERVER: &str = "needs a server: cargo xtask test";

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set ({NEEDS_SERVER})"))
}

fn arcade() -> Address {
    env("BOLT_TEST_ARCADEDB_ADDR").parse().unwrap()
}

fn database() -> String {
    env("BOLT_TEST_ARCADEDB_DATABASES")
        .split(',')
        .next()
        .unwrap()
        .to_owned()
}

fn basic(password: &str) -> packstream::Map {
    let mut m = packstream::Map::new();
    m.insert("scheme", "basic");
    m.insert("principal", env("BOLT_TEST_ARCADEDB_USER"));
    m.insert("credentials", password);
    m
}

fn arcade_opts() -> OpenOptions {
    OpenOptions::new(basic(&env("BOLT_TEST_ARCADEDB_PASSWORD")))
        .with_read_timeout(Duration::from_secs(20))
}

fn connect_opts() -> ConnectOptions {
    ConnectOptions::new().with_connection_timeout(Duration::from_secs(10))
}

/// `RETURN 1 AS n` (on the test database where the version names one):
/// the integer returned.
async fn return_1(conn: &mut Connection) -> i64 {
    let mut run = Run::new("RETURN 1 AS n");
    if conn.version().has_pull_n() {
        run.tx.db = Some(database());
    }
    first_int(conn, run).await
}

fn arcade_pool(config: PoolConfig) -> Pool {
    Pool::new(arcade(), connect_opts(), arcade_opts(), config).unwrap()
}

#[tokio::test]
#[ignore = "needs a server: cargo xtask test"]
async fn arcadedb_every_version_runs_return_1() {
    for (offer, want) in [
        (VersionOffer::default(), Version::V5_4),
        (VersionOffer::exactly(Version::V4_4).unwrap(), Version::V4_4),
        (VersionOffer::exactly(Version::V3_0).unwrap(), Version::V3_0),
    ] {
        let opts = arcade_opts().with_versions(offer);
        let mut conn = Connection::open(&arcade(), &connect_opts(), &opts)
            .await
            .unwrap();
        assert_eq!(conn.version(), want);
        assert!(!conn.server_agent().is_empty());
        assert_eq!(return_1(&mut conn).await, 1, "Bolt {want}");
        conn.reset().await.unwrap();
        assert_eq!(return_1(&mut conn).await, 1, "Bolt {want} after RESET");
        conn.goodbye().await.unwrap();
    }
}

#[tokio::test]
#[ignore = "needs a server: cargo xtask test"]
async fn neo4j31_bolt1_init_runs_return_1() {
    let mut auth = packstream::Map::new();
    auth.insert("scheme", "none");
    let opts = OpenOptions::new(auth).with_versions(VersionOffer::exactly(Version::V1).unwrap());
    let address: Address = env("BOLT_TEST_NEO4J31_ADDR").parse().unwrap();
    let mut conn = Connection::open(&address, &connect_opts(), &opts)
        .await
        .unwrap();
    assert_eq!(conn.version(), Version::V1);
    assert!(
        conn.server_agent().starts_with("Neo4j/3.1"),
        "{}",
        conn.server_agent()
    );
    assert_eq!(return_1(&mut conn).await, 1);
    conn.reset().await.unwrap();
    assert_eq!(return_1(&mut conn).await, 1);
    conn.close().await;
}

#[tokio::test]
#[ignore = "needs a server: cargo xtask test"]
async fn arcadedb_wrong_password_is_an_auth_error() {
    let opts = OpenOptions::new(basic("not-the-password"));
    let err = Connection::open(&arcade(), &connect_opts(), &opts)
        .await
        .unwrap_err();
    assert!(err.is_auth(), "{err:?}");

    let p = Pool::new(arcade(), connect_opts(), opts, PoolConfig::default()).unwrap();
    let t = Instant::now();
    let err = p.acquire().await.unwrap_err();
    assert!(err.is_auth(), "{err:?}");
    assert!(
        t.elapsed() < Duration::from_secs(10),
        "not retried until the timeout"
    );
}

#[tokio::test]
#[ignore = "needs a server: cargo xtask test"]
async fn arcadedb_pool_size_holds_under_50_acquirers() {
    let p = arcade_pool(PoolConfig::default().with_max_connection_pool_size(4));
    let mut run = Run::new("RETURN 1 AS n");
    run.tx.db = Some(database());
    let peak = peak_in_use(&p, 50, run, Duration::ZERO).await;
    let m = p.metrics();
    assert!(peak <= 4, "{peak}");
    assert!(m.created <= 4, "{m:?}");
    assert_eq!(m.in_use, 0);
    p.close().await;
}

#[tokio::test]
#[ignore = "needs a server: cargo xtask test"]
async fn arcadedb_acquisition_timeout_fires_on_time() {
    let p = arcade_pool(
        PoolConfig::default()
            .with_max_connection_pool_size(1)
            .with_connection_acquisition_timeout(Duration::from_millis(500)),
    );
    assert_second_acquisition_times_out(
        &p,
        Duration::from_millis(500),
        Duration::from_millis(1500),
    )
    .await;
    p.close().await;
}

#[tokio::test]
#[ignore = "needs a server: cargo xtask test"]
async fn arcadedb_lifetime_expiry_replaces_connections() {
    let p = arcade_pool(
        PoolConfig::default().with_max_connection_lifetime(Some(Duration::from_millis(300))),
    );
    let mut c = p.acquire().await.unwrap();
    assert_eq!(return_1(&mut c).await, 1);
    let first = c.created_at();
    drop(c);
    tokio::time::sleep(Duration::from_millis(400)).await;
    let mut c = p.acquire().await.unwrap();
    assert!(
        c.created_at() > first,
        "an expired connection was handed out"
    );
    assert_eq!(return_1(&mut c).await, 1);
    drop(c);
    assert_eq!(p.metrics().created, 2);
    p.close().await;
}

/// A TCP proxy to the server whose connections the test can cut.
async fn proxy(to: Address) -> (Address, Arc<tokio::sync::Notify>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let kill = Arc::new(tokio::sync::Notify::new());
    let k = kill.clone();
    tokio::spawn(async move {
        while let Ok((mut a, _)) = listener.accept().await {
            let mut b = TcpStream::connect((to.host(), to.port())).await.unwrap();
            let k = k.clone();
            tokio::spawn(async move {
                tokio::select! {
                    _ = tokio::io::copy_bidirectional(&mut a, &mut b) => {}
                    _ = k.notified() => {}
                }
            });
        }
    });
    (Address::new("127.0.0.1", port), kill)
}

#[tokio::test]
#[ignore = "needs a server: cargo xtask test"]
async fn arcadedb_connection_killed_under_the_pool_is_not_handed_out() {
    let (via, kill) = proxy(arcade()).await;
    let p = Pool::new(via, connect_opts(), arcade_opts(), PoolConfig::default()).unwrap();
    let mut a = p.acquire().await.unwrap();
    let mut b = p.acquire().await.unwrap();
    assert_eq!(return_1(&mut a).await, 1);
    assert_eq!(return_1(&mut b).await, 1);
    drop(a); // idle
    kill.notify_waiters(); // both sockets cut
    tokio::time::sleep(Duration::from_millis(100)).await;
    // The idle one is noticed at checkout; a fresh one is opened.
    let mut c = p.acquire().await.unwrap();
    assert_eq!(return_1(&mut c).await, 1);
    assert_eq!(p.metrics().created, 3);
    // The in-use one fails on use, is broken and not returned to the pool.
    b.queue(&Request::Run(Run::new("RETURN 1"))).unwrap();
    assert!(b.recv().await.unwrap_err().is_connection_failure());
    drop(b);
    drop(c);
    let m = p.metrics();
    assert_eq!((m.idle, m.in_use), (1, 0), "{m:?}");
    p.close().await;
}

#[tokio::test]
#[ignore = "needs a server: cargo xtask test"]
async fn arcadedb_close_semantics() {
    let p = arcade_pool(PoolConfig::default());
    let mut a = p.acquire().await.unwrap();
    let b = p.acquire().await.unwrap();
    assert_eq!(return_1(&mut a).await, 1);
    drop(b);
    assert_eq!(p.metrics().idle, 1);
    p.close().await;
    assert_eq!(p.metrics().idle, 0);
    assert!(matches!(
        p.acquire().await,
        Err(PoolError::PoolClosed { .. })
    ));
    a.release().await;
    let m = p.metrics();
    assert_eq!((m.idle, m.in_use), (0, 0));
}
