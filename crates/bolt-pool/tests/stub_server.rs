//! Connection and pool behaviour against a scripted server half on
//! 127.0.0.1 (for what a real server cannot be made to do on demand).

mod common;
mod stub;

use std::sync::Arc;
use std::time::{Duration, Instant};

use bolt_net::ConnectOptions;
use bolt_pool::{Connection, OpenOptions, Pool, PoolConfig, PoolError};
use bolt_proto::message::{Pull, Request, RequestKind, Response, ResponseRef, Run};
use bolt_proto::state::ServerState;
use bolt_proto::Version;
use common::{
    assert_acquisition_timeout, assert_second_acquisition_times_out, first_int, peak_in_use,
};
use stub::{default_answer, failure, success, Action};

fn auth() -> packstream::Map {
    let mut m = packstream::Map::new();
    m.insert("scheme", "basic");
    m.insert("principal", "user");
    m.insert("credentials", "pw");
    m
}

fn connect_opts() -> ConnectOptions {
    ConnectOptions::new().with_connection_timeout(Duration::from_secs(2))
}

async fn open(stub: &stub::Stub) -> Connection {
    Connection::open(
        &stub.bolt_address(),
        &connect_opts(),
        &OpenOptions::new(auth()),
    )
    .await
    .unwrap()
}

/// Waits up to 2 s for the stub to have logged `n` requests named `name`.
async fn wait_for(stub: &stub::Stub, name: &str, n: usize) -> usize {
    poll_until(
        || stub.names().iter().filter(|x| **x == name).count(),
        |c| *c >= n,
    )
    .await
}

/// `get()` once `done` holds for it, or after 2 s (what it is then).
async fn poll_until<T>(get: impl Fn() -> T, done: impl Fn(&T) -> bool) -> T {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
    loop {
        let v = get();
        if done(&v) || tokio::time::Instant::now() >= deadline {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn pool(stub: &stub::Stub, config: PoolConfig) -> Pool {
    pool_via(stub, connect_opts(), config)
}

/// A pool to `stub` with these socket options.
fn pool_via(stub: &stub::Stub, connect: ConnectOptions, config: PoolConfig) -> Pool {
    Pool::new(
        stub.bolt_address(),
        connect,
        OpenOptions::new(auth()),
        config,
    )
    .unwrap()
}

/// RUN `RETURN 1` and PULL: the last record's integer.
async fn run_return_1(conn: &mut Connection) -> i64 {
    first_int(conn, Run::new("RETURN 1")).await
}

#[tokio::test]
async fn hello_and_logon_are_pipelined_and_metadata_kept() {
    // The stub answers HELLO only once LOGON has arrived too: a client
    // waiting for HELLO's answer before sending LOGON would time out.
    let seen_logon = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let s2 = seen_logon.clone();
    let stub = stub::start(Version::V5_4, move |c, req| match req.kind() {
        RequestKind::Hello => Action::Silent,
        RequestKind::Logon => {
            s2.store(true, std::sync::atomic::Ordering::SeqCst);
            let mut hints = packstream::Map::new();
            hints.insert("connection.recv_timeout_seconds", 7);
            Action::Reply(vec![
                success(&[
                    ("server", "Stub/5".into()),
                    ("connection_id", "bolt-9".into()),
                    ("hints", packstream::Value::Map(hints)),
                ]),
                stub::ok(),
            ])
        }
        _ => default_answer(c, req),
    })
    .await;
    let mut conn = open(&stub).await;
    assert!(seen_logon.load(std::sync::atomic::Ordering::SeqCst));
    assert_eq!(conn.version(), Version::V5_4);
    assert_eq!(conn.server_agent(), "Stub/5");
    assert_eq!(conn.connection_id(), Some("bolt-9"));
    assert_eq!(conn.read_timeout(), Duration::from_secs(7));
    assert_eq!(conn.state(), ServerState::Ready);
    assert_eq!(run_return_1(&mut conn).await, 1);
    assert_eq!(stub.names(), ["HELLO", "LOGON", "RUN", "PULL"]);
}

#[tokio::test]
async fn bolt_4_4_sends_utc_patch_and_auth_in_hello() {
    let stub = stub::start(Version::V4_4, |c, req| match req {
        Request::Hello(h) => {
            assert_eq!(h.patch_bolt, ["utc"]);
            assert!(h.auth.as_ref().unwrap().contains_key("credentials"));
            Action::Reply(vec![success(&[
                ("server", "Stub/4".into()),
                ("patch_bolt", vec!["utc"].into()),
            ])])
        }
        _ => default_answer(c, req),
    })
    .await;
    let mut conn = open(&stub).await;
    assert!(conn.utc_patch() && conn.struct_ctx().utc());
    assert_eq!(run_return_1(&mut conn).await, 1);
}

#[tokio::test]
async fn bolt_1_uses_init() {
    let stub = stub::start(Version::V1, default_answer).await;
    let opts = OpenOptions::new(auth())
        .with_versions(bolt_proto::handshake::VersionOffer::exactly(Version::V1).unwrap());
    let mut conn = Connection::open(&stub.bolt_address(), &connect_opts(), &opts)
        .await
        .unwrap();
    assert_eq!(conn.version(), Version::V1);
    assert_eq!(run_return_1(&mut conn).await, 1);
    assert_eq!(stub.names(), ["INIT", "RUN", "PULL"]);
}

#[tokio::test]
async fn auth_failure_is_typed() {
    let stub = stub::start(Version::V5_4, |c, req| match req.kind() {
        RequestKind::Logon => Action::Reply(vec![failure(
            "Neo.ClientError.Security.Unauthorized",
            "wrong password",
        )]),
        _ => default_answer(c, req),
    })
    .await;
    let err = Connection::open(
        &stub.bolt_address(),
        &connect_opts(),
        &OpenOptions::new(auth()),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&err, PoolError::Auth { code, .. } if code.ends_with("Unauthorized")),
        "{err:?}"
    );

    // Through a pool: reported at once, not after the acquisition timeout.
    let p = pool(
        &stub,
        PoolConfig::default().with_connection_acquisition_timeout(Duration::from_secs(20)),
    );
    let t = Instant::now();
    let err = p.acquire().await.unwrap_err();
    assert!(err.is_auth(), "{err:?}");
    assert!(t.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn silent_server_hits_the_read_deadline() {
    let stub = stub::start(Version::V5_0, |c, req| match req.kind() {
        RequestKind::Run => Action::Silent,
        _ => default_answer(c, req),
    })
    .await;
    let mut conn = open(&stub).await;
    conn.set_read_timeout(Duration::from_millis(200));
    conn.queue(&Request::Run(Run::new("RETURN 1"))).unwrap();
    let t = Instant::now();
    let err = conn.recv().await.unwrap_err();
    assert!(matches!(err, PoolError::Timeout { .. }), "{err:?}");
    assert!(t.elapsed() >= Duration::from_millis(200) && t.elapsed() < Duration::from_secs(2));
    assert!(conn.is_broken());
    assert!(matches!(conn.recv().await, Err(PoolError::Broken)));
}

#[tokio::test]
async fn server_closing_mid_stream_breaks_the_connection() {
    let stub = stub::start(Version::V5_0, |c, req| match req.kind() {
        RequestKind::Pull => Action::Reply(vec![Response::Record(bolt_proto::message::Record {
            fields: vec![1.into()],
        })]),
        RequestKind::Discard => Action::Close,
        _ => default_answer(c, req),
    })
    .await;
    let mut conn = open(&stub).await;
    conn.queue(&Request::Run(Run::new("UNWIND range(1,10) AS n RETURN n")))
        .unwrap();
    conn.queue(&Request::Pull(Pull::n(1))).unwrap();
    conn.queue(&Request::Discard(Pull::all())).unwrap();
    assert!(matches!(conn.recv().await.unwrap(), Response::Success(_)));
    assert!(matches!(
        conn.recv_ref().await.unwrap(),
        ResponseRef::Record(r) if r.decoder().read_int().unwrap() == 1
    ));
    let err = conn.recv().await.unwrap_err();
    assert!(matches!(err, PoolError::Closed { .. }), "{err:?}");
    assert!(conn.is_broken());
}

#[tokio::test]
async fn failure_then_ignored_then_reset() {
    let stub = stub::start(Version::V4_4, |c, req| match req {
        Request::Run(r) if r.query == "RETURN" => Action::Reply(vec![failure(
            "Neo.ClientError.Statement.SyntaxError",
            "bad",
        )]),
        _ => default_answer(c, req),
    })
    .await;
    let mut conn = open(&stub).await;
    conn.queue(&Request::Run(Run::new("RETURN"))).unwrap();
    conn.queue(&Request::Pull(Pull::all())).unwrap();
    let Response::Failure(f) = conn.recv().await.unwrap() else {
        panic!("expected FAILURE")
    };
    assert_eq!(f.code, "Neo.ClientError.Statement.SyntaxError");
    assert!(matches!(conn.recv().await.unwrap(), Response::Ignored));
    assert_eq!(conn.state(), ServerState::Failed);
    conn.reset().await.unwrap();
    assert!(conn.is_ready() && !conn.is_broken());
    assert_eq!(run_return_1(&mut conn).await, 1);
}

#[tokio::test]
async fn usage_errors_do_not_break() {
    let stub = stub::start(Version::V5_0, default_answer).await;
    let mut conn = open(&stub).await;
    assert!(matches!(
        conn.queue(&Request::Commit),
        Err(PoolError::IllegalRequest(_))
    ));
    assert!(matches!(
        conn.queue(&Request::Logoff),
        Err(PoolError::Encode(_))
    ));
    assert!(matches!(
        conn.recv().await,
        Err(PoolError::NothingToReceive)
    ));
    assert!(!conn.is_broken());
    assert_eq!(run_return_1(&mut conn).await, 1);
    conn.goodbye().await.unwrap();
    assert!(conn.is_broken());
}

#[tokio::test]
async fn pool_reuses_idle_connection_without_io() {
    let stub = stub::start(Version::V5_4, default_answer).await;
    let p = pool(&stub, PoolConfig::default());
    let mut c = p.acquire().await.unwrap();
    assert_eq!(run_return_1(&mut c).await, 1);
    let id = c.connection_id().map(str::to_owned);
    drop(c);
    let before = stub.requests().len();
    let c = p.acquire().await.unwrap();
    assert_eq!(c.connection_id().map(str::to_owned), id);
    assert_eq!(
        stub.requests().len(),
        before,
        "checkout must cost no round trip"
    );
    let m = p.metrics();
    assert_eq!((m.in_use, m.idle, m.created), (1, 0, 1));
    drop(c);
    assert_eq!(p.metrics().idle, 1);
}

#[tokio::test]
async fn connection_returned_mid_stream_is_reset_before_reuse() {
    let stub = stub::start(Version::V5_4, default_answer).await;
    let p = pool(
        &stub,
        PoolConfig::default().with_max_connection_pool_size(1),
    );
    let mut c = p.acquire().await.unwrap();
    c.send(&Request::Run(Run::new("RETURN 1"))).await.unwrap();
    assert!(matches!(c.recv().await.unwrap(), Response::Success(_)));
    assert_eq!(c.state(), ServerState::Streaming);
    drop(c); // RESET happens in the background, holding the slot
    let mut c = p.acquire().await.unwrap();
    assert!(c.is_ready());
    assert_eq!(run_return_1(&mut c).await, 1);
    assert_eq!(
        stub.names(),
        ["HELLO", "LOGON", "RUN", "RESET", "RUN", "PULL"]
    );
    assert_eq!(p.metrics().created, 1);
}

/// Cancellation: `release` awaits the RESET of a connection returned
/// mid-work; a caller whose future is dropped during that wait must not
/// leave the connection in the idle set with the RESET's answer still to
/// come (the next user would read it as the answer to its own request).
#[tokio::test]
async fn a_release_cut_during_its_reset_leaves_no_unready_connection_idle() {
    let stub = stub::start(Version::V5_4, |conn, req| match req.kind() {
        RequestKind::Reset => Action::Delayed(Duration::from_millis(300), vec![stub::ok()]),
        _ => default_answer(conn, req),
    })
    .await;
    let p = pool(
        &stub,
        PoolConfig::default().with_max_connection_pool_size(1),
    );
    let mut c = p.acquire().await.unwrap();
    c.send(&Request::Run(Run::new("RETURN 1"))).await.unwrap();
    assert!(matches!(c.recv().await.unwrap(), Response::Success(_)));
    let cut = tokio::time::timeout(Duration::from_millis(50), c.release()).await;
    assert!(cut.is_err(), "the RESET was answered before the cut");
    let mut c = tokio::time::timeout(Duration::from_secs(2), p.acquire())
        .await
        .expect("the pool's one connection leaked")
        .unwrap();
    assert!(
        c.is_ready(),
        "handed out with {} answers pending (state {})",
        c.pending(),
        c.state()
    );
    assert_eq!(run_return_1(&mut c).await, 1);
}

#[tokio::test]
async fn connection_killed_under_the_pool_is_not_handed_out() {
    let stub = stub::start(Version::V5_4, default_answer).await;
    let p = pool(&stub, PoolConfig::default());
    let mut c = p.acquire().await.unwrap();
    assert_eq!(run_return_1(&mut c).await, 1);
    drop(c);
    // The server closes the idle connection.
    stub.drop_connections();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut c = p.acquire().await.unwrap();
    assert_eq!(c.connection_id(), Some("stub-1"), "a fresh connection");
    assert_eq!(run_return_1(&mut c).await, 1);
    drop(c);
    let m = p.metrics();
    assert_eq!((m.created, m.idle, m.in_use), (2, 1, 0));
}

#[tokio::test]
async fn a_fresh_connection_closed_after_logon_fails_the_acquisition_without_reopening() {
    // The server completes HELLO and LOGON, then hangs up. Before, the
    // pool skipped the closed connection and opened the next at once,
    // until the acquisition timeout: thousands of connections a second.
    let stub = stub::start(Version::V5_4, |conn, req| match req.kind() {
        RequestKind::Logon => Action::ReplyThenClose(vec![stub::ok()]),
        _ => default_answer(conn, req),
    })
    .await;
    let p = pool(
        &stub,
        PoolConfig::default().with_connection_acquisition_timeout(Duration::from_secs(2)),
    );
    let started = Instant::now();
    let r = p.acquire().await;
    let took = started.elapsed();
    assert!(
        matches!(&r, Err(e @ PoolError::Closed { .. }) if e.is_connection_failure()),
        "{r:?} after {took:?}, {} connections",
        stub.accepted()
    );
    assert!(took < Duration::from_secs(1), "{took:?}");
    assert_eq!(stub.accepted(), 1);
    let m = p.metrics();
    assert_eq!((m.created, m.idle, m.in_use), (1, 0, 0));
    // The next acquisition opens one connection, and fails the same way.
    assert!(p.acquire().await.is_err());
    assert_eq!(stub.accepted(), 2);
}

#[tokio::test]
async fn a_fresh_connection_failing_its_liveness_check_fails_the_acquisition() {
    // Every connection is checked (liveness timeout zero); the server
    // answers HELLO and LOGON, then closes at the RESET check. Before, the
    // pool opened one connection after another until the timeout.
    let stub = stub::start(Version::V5_4, |conn, req| match req.kind() {
        RequestKind::Reset => Action::Close,
        _ => default_answer(conn, req),
    })
    .await;
    let p = pool(
        &stub,
        PoolConfig::default()
            .with_connection_acquisition_timeout(Duration::from_secs(2))
            .with_liveness_check_timeout(Some(Duration::ZERO)),
    );
    let started = Instant::now();
    let r = p.acquire().await;
    let took = started.elapsed();
    assert!(
        matches!(&r, Err(e) if e.is_connection_failure()),
        "{r:?} after {took:?}, {} connections",
        stub.accepted()
    );
    assert!(took < Duration::from_secs(1), "{took:?}");
    assert_eq!(stub.accepted(), 1);
}

#[tokio::test]
async fn broken_connection_is_dropped_on_return() {
    let stub = stub::start(Version::V5_4, default_answer).await;
    let p = pool(&stub, PoolConfig::default());
    let mut c = p.acquire().await.unwrap();
    c.mark_broken();
    drop(c);
    let m = p.metrics();
    assert_eq!((m.idle, m.in_use), (0, 0));
    let c = p.acquire().await.unwrap();
    assert_eq!(c.connection_id(), Some("stub-1"));
}

#[tokio::test]
async fn lifetime_expiry_replaces_connections() {
    let stub = stub::start(Version::V5_4, default_answer).await;
    let p = pool(
        &stub,
        PoolConfig::default().with_max_connection_lifetime(Some(Duration::from_millis(150))),
    );
    let c = p.acquire().await.unwrap();
    assert_eq!(c.connection_id(), Some("stub-0"));
    drop(c);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let c = p.acquire().await.unwrap();
    assert_eq!(c.connection_id(), Some("stub-1"));
    // Expired while in use: closed on return (GOODBYE), not kept.
    tokio::time::sleep(Duration::from_millis(200)).await;
    c.release().await;
    assert_eq!(p.metrics().idle, 0);
    // Both: the one expired while idle, and the one expired in use.
    assert_eq!(wait_for(&stub, "GOODBYE", 2).await, 2);
}

#[tokio::test]
async fn acquisition_timeout_fires_on_time() {
    let stub = stub::start(Version::V5_4, default_answer).await;
    let p = pool(
        &stub,
        PoolConfig::default()
            .with_max_connection_pool_size(1)
            .with_connection_acquisition_timeout(Duration::from_millis(300)),
    );
    assert_second_acquisition_times_out(
        &p,
        Duration::from_millis(300),
        Duration::from_millis(1000),
    )
    .await;
}

#[tokio::test]
async fn acquisition_timeout_covers_a_silent_server() {
    // HELLO is never answered: opening hangs, the acquisition must not.
    let stub = stub::start(Version::V5_4, |c, req| match req.kind() {
        RequestKind::Hello => Action::Silent,
        _ => default_answer(c, req),
    })
    .await;
    let p = pool_via(
        &stub,
        ConnectOptions::new().with_connection_timeout(Duration::from_secs(30)),
        PoolConfig::default().with_connection_acquisition_timeout(Duration::from_millis(300)),
    );
    let t = Instant::now();
    let err = p.acquire().await.unwrap_err();
    assert_acquisition_timeout(&err);
    assert!(t.elapsed() < Duration::from_secs(2));
}

/// An open that fails after the acquirer it was started for gave up is not
/// the failure of an acquirer that came later and waits for a connection
/// of its own (found by the fault-injection suite: a handshake stalled
/// until the acquisition timeout failed the next query, whose own
/// connection would have opened).
#[tokio::test]
async fn an_earlier_acquirers_open_failure_does_not_fail_a_later_acquirer() {
    // Connection 0 never answers HELLO (its open fails at the acquisition
    // timeout, 1 s); connection 1 answers after 800 ms.
    let stub = stub::start(Version::V5_4, |c, req| match (c, default_answer(c, req)) {
        (0, _) if req.kind() == RequestKind::Hello => Action::Silent,
        (1, Action::Reply(v)) if req.kind() == RequestKind::Hello => {
            Action::Delayed(Duration::from_millis(800), v)
        }
        (_, a) => a,
    })
    .await;
    let p = pool(
        &stub,
        PoolConfig::default().with_connection_acquisition_timeout(Duration::from_secs(1)),
    );
    let first = tokio::spawn({
        let p = p.clone();
        async move { p.acquire().await.map(|_| ()) }
    });
    tokio::time::sleep(Duration::from_millis(400)).await;
    // Waits from 0.4 s to 1.4 s; connection 0 fails at 1 s, connection 1
    // (opened for this acquirer) is ready at about 1.2 s.
    let second = p.acquire().await;
    assert!(first.await.unwrap().is_err());
    let conn = second.expect("the later acquirer gets its own connection");
    drop(conn);
    assert_eq!(stub.accepted(), 2);
}

#[tokio::test]
async fn pool_size_is_enforced_under_concurrency() {
    let stub = stub::start(Version::V5_4, default_answer).await;
    let p = pool(
        &stub,
        PoolConfig::default().with_max_connection_pool_size(5),
    );
    let peak = peak_in_use(&p, 50, Run::new("RETURN 1"), Duration::from_millis(5)).await;
    assert!(peak <= 5, "{peak}");
    assert!(stub.accepted() <= 5, "accepted {}", stub.accepted());
    assert_eq!(p.metrics().in_use, 0);
}

#[tokio::test]
async fn close_says_goodbye_and_refuses_later_acquisitions() {
    let stub = stub::start(Version::V5_4, default_answer).await;
    let p = pool(&stub, PoolConfig::default());
    let a = p.acquire().await.unwrap();
    let b = p.acquire().await.unwrap();
    drop(a); // idle
    p.close().await;
    assert_eq!(p.metrics().idle, 0);
    assert_eq!(
        wait_for(&stub, "GOODBYE", 1).await,
        1,
        "the idle one at once"
    );
    assert!(matches!(
        p.acquire().await,
        Err(PoolError::PoolClosed { .. })
    ));
    b.release().await; // the in-use one on return
    assert_eq!(wait_for(&stub, "GOODBYE", 2).await, 2);
    assert_eq!(p.metrics().in_use, 0);
}

#[tokio::test]
async fn close_says_goodbye_to_every_idle_connection() {
    let stub = stub::start(Version::V5_4, stays_after_goodbye).await;
    let p = pool(&stub, PoolConfig::default());
    let held: Vec<_> = [
        p.acquire().await.unwrap(),
        p.acquire().await.unwrap(),
        p.acquire().await.unwrap(),
    ]
    .into();
    drop(held); // three idle
    assert_eq!(p.metrics().idle, 3);
    p.close().await;
    assert_eq!(p.metrics().idle, 0);
    assert_eq!(wait_for(&stub, "GOODBYE", 3).await, 3);
    // And their sockets are closed (not merely told GOODBYE).
    assert_eq!(wait_for_closed(&stub, 3).await, 3);
}

/// A closed pool's only idle connection, and a connection closed by
/// hand, end their sockets too.
#[tokio::test]
async fn goodbye_then_the_socket_ends() {
    let stub = stub::start(Version::V5_4, stays_after_goodbye).await;
    let p = pool(&stub, PoolConfig::default());
    drop(p.acquire().await.unwrap());
    p.close().await;
    assert_eq!(wait_for(&stub, "GOODBYE", 1).await, 1);
    assert_eq!(wait_for_closed(&stub, 1).await, 1);
    let conn = open(&stub).await;
    conn.close().await;
    assert_eq!(wait_for(&stub, "GOODBYE", 2).await, 2);
    assert_eq!(wait_for_closed(&stub, 2).await, 2);
}

/// The usual answers, but GOODBYE leaves the socket open on the server's
/// side: only the client can end it.
fn stays_after_goodbye(conn: usize, req: &Request) -> Action {
    match req.kind() {
        RequestKind::Goodbye => Action::Silent,
        _ => default_answer(conn, req),
    }
}

/// How many connections the client closed, once `n` did or 2 s passed.
async fn wait_for_closed(stub: &stub::Stub, n: usize) -> usize {
    poll_until(|| stub.client_closed(), |c| *c >= n).await
}

/// A pool (with the default one-hour lifetime) leaves no task of its own
/// behind once closed and dropped: a driver made and closed per request
/// must not leave one each time.
#[tokio::test(flavor = "current_thread")]
async fn a_closed_pool_leaves_no_task_behind() {
    let stub = stub::start(Version::V5_4, default_answer).await;
    let tasks = || {
        tokio::runtime::Handle::current()
            .metrics()
            .num_alive_tasks()
    };
    let before = tasks();
    for _ in 0..3 {
        let p = pool(&stub, PoolConfig::default());
        assert!(p.config().max_connection_lifetime.is_some());
        p.acquire().await.unwrap().release().await;
        p.close().await;
        drop(p);
    }
    // The stub's connection tasks end as the GOODBYEs arrive; a reaper
    // would live on for 30 s.
    assert_eq!(
        poll_until(tasks, |n| *n <= before).await,
        before,
        "tasks alive after the pools closed"
    );
}

#[tokio::test]
async fn close_wakes_waiting_acquirers() {
    let stub = stub::start(Version::V5_4, default_answer).await;
    let p = pool(
        &stub,
        PoolConfig::default().with_max_connection_pool_size(1),
    );
    let held = p.acquire().await.unwrap();
    let p2 = p.clone();
    let waiter = tokio::spawn(async move { p2.acquire().await.map(|_| ()) });
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(p.metrics().waiting, 1);
    p.close().await;
    let r = tokio::time::timeout(Duration::from_secs(2), waiter)
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(r, Err(PoolError::PoolClosed { .. })));
    drop(held);
}

#[tokio::test]
async fn liveness_check_resets_long_idle_connections() {
    let stub = stub::start(Version::V5_4, default_answer).await;
    let p = pool(
        &stub,
        PoolConfig::default().with_liveness_check_timeout(Some(Duration::from_millis(50))),
    );
    drop(p.acquire().await.unwrap());
    drop(p.acquire().await.unwrap()); // idle for less than 50 ms: no check
    assert!(!stub.names().contains(&"RESET"));
    tokio::time::sleep(Duration::from_millis(100)).await;
    drop(p.acquire().await.unwrap());
    assert_eq!(stub.names(), ["HELLO", "LOGON", "RESET"]);
}

#[tokio::test]
async fn pools_are_keyed_by_address() {
    let s1 = stub::start(Version::V5_4, default_answer).await;
    let s2 = stub::start(Version::V4_4, default_answer).await;
    let pools = bolt_pool::Pools::new(
        connect_opts(),
        OpenOptions::new(auth()),
        PoolConfig::default(),
    )
    .unwrap();
    let a = pools.acquire(&s1.bolt_address()).await.unwrap();
    let b = pools.acquire(&s2.bolt_address()).await.unwrap();
    assert_eq!((a.version(), b.version()), (Version::V5_4, Version::V4_4));
    drop((a, b));
    let mut addrs = pools.addresses();
    addrs.sort();
    assert_eq!(addrs.len(), 2);
    pools.remove(&s2.bolt_address()).await;
    assert_eq!(pools.addresses(), vec![s1.bolt_address()]);
    pools.close().await;
    assert!(pools.is_closed());
    assert!(matches!(
        pools.acquire(&s1.bolt_address()).await,
        Err(PoolError::PoolClosed { .. })
    ));
}

#[tokio::test]
async fn last_used_moves_with_socket_io_not_per_message() {
    let stub = stub::start(Version::V5_0, default_answer).await;
    let mut conn = open(&stub).await;
    let opened = conn.last_used();
    tokio::time::sleep(Duration::from_millis(30)).await;
    assert_eq!(run_return_1(&mut conn).await, 1);
    // The exchange wrote and read the socket: the stamp moved with it.
    assert!(
        conn.last_used() >= opened + Duration::from_millis(30),
        "{:?} after {:?}",
        conn.last_used(),
        opened
    );
    assert!(conn.last_used().elapsed() < Duration::from_secs(1));
}

/// HELLO SUCCESS of a server hinting `connection.recv_timeout_seconds`.
fn hello_with_recv_timeout(conn: usize, secs: i64) -> Response {
    let mut hints = packstream::Map::new();
    hints.insert("connection.recv_timeout_seconds", secs);
    success(&[
        ("server", "Stub/5".into()),
        ("connection_id", format!("stub-{conn}").into()),
        ("hints", packstream::Value::Map(hints)),
    ])
}

#[tokio::test]
async fn pooled_open_is_bounded_by_the_acquisition_timeout_not_the_connection_timeout() {
    // Authentication answers after 600 ms: longer than the 200 ms
    // connection timeout (which covers only the socket), shorter than the
    // 5 s acquisition timeout (which covers the whole opening).
    let slow_hello = |c, req: &Request| match req.kind() {
        RequestKind::Logon => Action::Delayed(Duration::from_millis(600), vec![stub::ok()]),
        _ => default_answer(c, req),
    };
    let stub = stub::start(Version::V5_4, slow_hello).await;
    let connect = ConnectOptions::new().with_connection_timeout(Duration::from_millis(200));
    let p = pool_via(
        &stub,
        connect.clone(),
        PoolConfig::default().with_connection_acquisition_timeout(Duration::from_secs(5)),
    );
    let mut c = p.acquire().await.unwrap();
    assert_eq!(run_return_1(&mut c).await, 1);
    drop(c);

    // The same server with a 300 ms acquisition timeout: the acquisition
    // fails on time, with its own error.
    let p = pool_via(
        &stub,
        connect.clone(),
        PoolConfig::default().with_connection_acquisition_timeout(Duration::from_millis(300)),
    );
    let t = Instant::now();
    let err = p.acquire().await.unwrap_err();
    assert_acquisition_timeout(&err);
    assert!(
        t.elapsed() < Duration::from_millis(550),
        "{:?}",
        t.elapsed()
    );

    // Outside a pool, each step has the connection timeout.
    let err = Connection::open(&stub.bolt_address(), &connect, &OpenOptions::new(auth()))
        .await
        .unwrap_err();
    assert!(matches!(err, PoolError::Timeout { .. }), "{err:?}");
}

#[tokio::test]
async fn recv_timeout_hint_breaks_a_slow_connection_and_the_pool_recovers() {
    // Connection 0 answers its RUN after 1.5 s; the server hinted 1 s.
    let stub = stub::start(Version::V5_4, |c, req: &Request| match req.kind() {
        RequestKind::Hello => Action::Reply(vec![hello_with_recv_timeout(c, 1)]),
        RequestKind::Run if c == 0 => Action::Delayed(
            Duration::from_millis(1500),
            vec![success(&[("fields", vec!["n"].into())])],
        ),
        _ => default_answer(c, req),
    })
    .await;
    let p = pool(&stub, PoolConfig::default());
    let mut c = p.acquire().await.unwrap();
    assert_eq!(c.read_timeout(), Duration::from_secs(1));
    c.queue(&Request::Run(Run::new("RETURN 1"))).unwrap();
    c.queue(&Request::Pull(Pull::all())).unwrap();
    let t = Instant::now();
    let err = c.recv().await.unwrap_err();
    let took = t.elapsed();
    assert!(matches!(err, PoolError::Timeout { .. }), "{err:?}");
    assert!(err.is_connection_failure());
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_millis(1400),
        "{took:?}"
    );
    assert!(c.is_broken());
    drop(c);
    // The broken connection is gone; the next one is new and works.
    let mut c = p.acquire().await.unwrap();
    assert_eq!(c.connection_id(), Some("stub-1"));
    assert_eq!(run_return_1(&mut c).await, 1);
    drop(c);
    assert_eq!(p.metrics().idle, 1);
    assert_eq!(stub.accepted(), 2);
}

#[tokio::test]
async fn liveness_check_that_times_out_opens_a_new_connection() {
    // Connection 0 never answers RESET; the server hinted a 1 s read
    // timeout, so the liveness check gives up after 1 s.
    let stub = stub::start(Version::V5_4, |c, req: &Request| match req.kind() {
        RequestKind::Hello => Action::Reply(vec![hello_with_recv_timeout(c, 1)]),
        RequestKind::Reset if c == 0 => Action::Silent,
        _ => default_answer(c, req),
    })
    .await;
    let p = pool(
        &stub,
        PoolConfig::default().with_liveness_check_timeout(Some(Duration::from_millis(50))),
    );
    drop(p.acquire().await.unwrap());
    tokio::time::sleep(Duration::from_millis(100)).await;
    let t = Instant::now();
    let mut c = p.acquire().await.unwrap();
    assert!(
        t.elapsed() >= Duration::from_millis(900),
        "{:?}",
        t.elapsed()
    );
    assert_eq!(c.connection_id(), Some("stub-1"));
    assert_eq!(run_return_1(&mut c).await, 1);
    assert_eq!(
        stub.named_requests(),
        [
            (0, "HELLO"),
            (0, "LOGON"),
            (0, "RESET"),
            (1, "HELLO"),
            (1, "LOGON"),
            (1, "RUN"),
            (1, "PULL"),
        ]
    );
}

/// Time that moves only when told to.
#[derive(Debug)]
struct ManualClock(std::sync::Mutex<Instant>);

impl ManualClock {
    fn advance(&self, by: Duration) {
        *self.0.lock().unwrap() += by;
    }
}

impl bolt_pool::Clock for ManualClock {
    fn now(&self) -> Instant {
        *self.0.lock().unwrap()
    }
}

#[tokio::test]
async fn liveness_and_lifetime_follow_the_configured_clock() {
    let stub = stub::start(Version::V5_4, default_answer).await;
    let clock = Arc::new(ManualClock(std::sync::Mutex::new(Instant::now())));
    let p = pool(
        &stub,
        PoolConfig::default()
            .with_liveness_check_timeout(Some(Duration::from_secs(2)))
            .with_max_connection_lifetime(Some(Duration::from_secs(3600)))
            .with_clock(clock.clone()),
    );
    let resets = || stub.names().iter().filter(|n| **n == "RESET").count();
    drop(p.acquire().await.unwrap());
    // Real time passing does not count; the clock's does.
    tokio::time::sleep(Duration::from_millis(50)).await;
    clock.advance(Duration::from_millis(1999));
    drop(p.acquire().await.unwrap());
    assert_eq!(resets(), 0, "idle for 1999 ms by the clock: no check");
    clock.advance(Duration::from_millis(2001));
    drop(p.acquire().await.unwrap());
    assert_eq!(resets(), 1, "idle for 2001 ms by the clock: checked");
    // Just under the lifetime: the same connection; past it: a new one.
    clock.advance(Duration::from_secs(3600 - 5));
    let c = p.acquire().await.unwrap();
    assert_eq!(c.connection_id(), Some("stub-0"));
    drop(c);
    clock.advance(Duration::from_secs(10));
    let c = p.acquire().await.unwrap();
    assert_eq!(c.connection_id(), Some("stub-1"));
    assert_eq!(stub.accepted(), 2);
}

#[tokio::test]
async fn buffered_records_are_taken_without_waiting_and_summaries_left_for_recv_ref() {
    use bolt_proto::message::Record;
    let big = "x".repeat(70_000); // more than one chunk
    let sent = big.clone();
    let stub = stub::start(Version::V5_0, move |c, req| match req.kind() {
        RequestKind::Pull => Action::Reply(vec![
            Response::Record(Record {
                fields: vec![1.into()],
            }),
            Response::Record(Record {
                fields: vec![sent.clone().into()],
            }),
            Response::Record(Record {
                fields: vec![3.into()],
            }),
            success(&[]),
        ]),
        _ => default_answer(c, req),
    })
    .await;
    let mut conn = open(&stub).await;
    conn.queue(&Request::Run(Run::new("RETURN x"))).unwrap();
    conn.queue(&Request::Pull(Pull::all())).unwrap();
    assert!(matches!(
        conn.recv_ref().await.unwrap(),
        ResponseRef::Success(_)
    ));
    let mut got: Vec<packstream::Value> = Vec::new();
    loop {
        while let Some(rec) = conn.next_record().unwrap() {
            got.extend(rec.to_owned_values().unwrap());
        }
        match conn.recv_ref().await.unwrap() {
            ResponseRef::Record(rec) => got.extend(rec.to_owned_values().unwrap()),
            ResponseRef::Success(_) => break,
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(got, [1.into(), big.into(), 3.into()]);
    assert!(conn.is_ready());
    assert!(conn.next_record().unwrap().is_none());
    // Still in step: the next exchange reads its own answers.
    assert_eq!(run_return_1(&mut conn).await, 3);
}

#[tokio::test]
async fn the_read_deadline_is_armed_anew_for_each_wait() {
    let runs = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let r = runs.clone();
    let stub = stub::start(Version::V5_0, move |c, req| match req.kind() {
        RequestKind::Run if r.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 2 => {
            Action::Silent
        }
        _ => default_answer(c, req),
    })
    .await;
    let mut conn = open(&stub).await;
    conn.set_read_timeout(Duration::from_millis(300));
    assert_eq!(run_return_1(&mut conn).await, 1);
    // Idle past the first wait's deadline: it must not fire on the next.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(run_return_1(&mut conn).await, 1);
    conn.queue(&Request::Run(Run::new("RETURN 1"))).unwrap();
    let t = Instant::now();
    let err = conn.recv().await.unwrap_err();
    assert!(matches!(err, PoolError::Timeout { .. }), "{err:?}");
    assert!(t.elapsed() >= Duration::from_millis(300));
    assert!(conn.is_broken());
}

#[tokio::test]
async fn a_wait_outlasting_an_earlier_waits_deadline_is_not_cut_short() {
    // The connection's timer is left at an earlier wait's deadline while
    // that is no later than the current wait's: when it fires first, the
    // wait must go on to its own deadline, not time out.
    let runs = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let r = runs.clone();
    let stub = stub::start(Version::V5_0, move |c, req| match req.kind() {
        RequestKind::Run => match r.fetch_add(1, std::sync::atomic::Ordering::SeqCst) {
            1 => Action::Delayed(
                Duration::from_millis(350),
                vec![success(&[("fields", vec!["n"].into())])],
            ),
            2 => Action::Silent,
            _ => default_answer(c, req),
        },
        _ => default_answer(c, req),
    })
    .await;
    let mut conn = open(&stub).await;
    conn.set_read_timeout(Duration::from_millis(500));
    // Arms the timer at about t = 500 ms.
    assert_eq!(run_return_1(&mut conn).await, 1);
    tokio::time::sleep(Duration::from_millis(250)).await;
    // Waits from t = 250 to t = 600 ms: past the first wait's deadline,
    // within its own (t = 750 ms).
    let t = Instant::now();
    assert_eq!(run_return_1(&mut conn).await, 1);
    assert!(t.elapsed() >= Duration::from_millis(350));
    // A silent server still times out, after the full read timeout.
    conn.queue(&Request::Run(Run::new("RETURN 1"))).unwrap();
    let t = Instant::now();
    let err = conn.recv().await.unwrap_err();
    assert!(matches!(err, PoolError::Timeout { .. }), "{err:?}");
    assert!(t.elapsed() >= Duration::from_millis(500) && t.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn duration_max_settings_wait_forever_without_panicking() {
    // `Duration::MAX` is how a user says "wait forever": every deadline
    // built from one must saturate, not overflow `Instant` (which panics).
    let stub = stub::start(Version::V5_4, default_answer).await;
    let forever = Duration::MAX;
    let p = pool_via(
        &stub,
        ConnectOptions::new().with_connection_timeout(forever),
        PoolConfig::default()
            .with_max_connection_pool_size(1)
            .with_connection_acquisition_timeout(forever)
            .with_max_connection_lifetime(Some(forever))
            .with_liveness_check_timeout(Some(forever)),
    );
    let mut held = p.acquire().await.unwrap();
    held.set_read_timeout(forever);
    assert_eq!(run_return_1(&mut held).await, 1);
    // The pool is full: the second acquisition waits (forever), so only
    // the outer timeout ends it.
    let waiting = tokio::time::timeout(Duration::from_millis(200), p.acquire()).await;
    assert!(waiting.is_err(), "{waiting:?}");
    drop(held);
    // Back in the pool, checked against the lifetime and liveness bounds.
    let mut c = p.acquire().await.unwrap();
    assert_eq!(run_return_1(&mut c).await, 1);
    drop(c);

    let opts = OpenOptions::new(auth())
        .with_read_timeout(forever)
        .with_write_timeout(forever);
    let mut conn = Connection::open(
        &stub.bolt_address(),
        &ConnectOptions::new().with_connection_timeout(forever),
        &opts,
    )
    .await
    .unwrap();
    assert_eq!(conn.read_timeout(), forever);
    assert_eq!(run_return_1(&mut conn).await, 1);
}

#[tokio::test]
async fn recv_timeout_hint_is_clamped_to_the_configured_read_timeout() {
    // Connection n hints HINTS[n]; the configured read timeout is 300 s.
    const HINTS: [i64; 6] = [0, -5, 7, 600, i64::MAX, 1];
    let stub = stub::start(Version::V5_4, |c, req: &Request| match req.kind() {
        RequestKind::Hello => Action::Reply(vec![hello_with_recv_timeout(c, HINTS[c % 6])]),
        _ => default_answer(c, req),
    })
    .await;
    let configured = Duration::from_secs(300);
    let opts = OpenOptions::new(auth()).with_read_timeout(configured);
    let mut got = Vec::new();
    for _ in HINTS {
        let c = Connection::open(&stub.bolt_address(), &connect_opts(), &opts)
            .await
            .unwrap();
        got.push(c.read_timeout());
    }
    let secs = Duration::from_secs;
    // Zero and negative hints are ignored; a hint can shorten the
    // configured timeout, never lengthen it or turn it off.
    assert_eq!(
        got,
        [
            configured,
            configured,
            secs(7),
            configured,
            configured,
            secs(1)
        ]
    );
    // A configured timeout under the hint's 1 s unit stays as configured.
    let short = OpenOptions::new(auth()).with_read_timeout(Duration::from_millis(400));
    let c = Connection::open(&stub.bolt_address(), &connect_opts(), &short)
        .await
        .unwrap();
    assert_eq!(c.read_timeout(), Duration::from_millis(400));
}

#[tokio::test]
async fn a_huge_hint_does_not_turn_the_configured_read_timeout_off() {
    // The server hints "practically never" and then stalls on RUN: the
    // configured 300 ms still ends the wait.
    let stub = stub::start(Version::V5_4, |c, req: &Request| match req.kind() {
        RequestKind::Hello => Action::Reply(vec![hello_with_recv_timeout(c, i64::MAX)]),
        RequestKind::Run | RequestKind::Pull => Action::Silent,
        _ => default_answer(c, req),
    })
    .await;
    let opts = OpenOptions::new(auth()).with_read_timeout(Duration::from_millis(300));
    let mut c = Connection::open(&stub.bolt_address(), &connect_opts(), &opts)
        .await
        .unwrap();
    c.queue(&Request::Run(Run::new("RETURN 1"))).unwrap();
    c.queue(&Request::Pull(Pull::all())).unwrap();
    c.flush().await.unwrap();
    let t = Instant::now();
    let err = tokio::time::timeout(Duration::from_secs(5), c.recv())
        .await
        .expect("the read deadline must fire")
        .unwrap_err();
    let took = t.elapsed();
    assert!(matches!(err, PoolError::Timeout { .. }), "{err:?}");
    assert!(
        took >= Duration::from_millis(250) && took < Duration::from_secs(2),
        "{took:?}"
    );
}

#[tokio::test]
async fn an_ignored_with_no_failure_before_it_leaves_the_connection_not_ready_until_reset() {
    let stub = stub::start(Version::V5_0, |c, req| match req {
        Request::Run(r) if r.query == "IGNORE ME" => Action::Reply(vec![Response::Ignored]),
        _ => default_answer(c, req),
    })
    .await;
    let mut conn = open(&stub).await;
    conn.queue(&Request::Run(Run::new("IGNORE ME"))).unwrap();
    assert!(matches!(
        conn.recv_ref().await.unwrap(),
        ResponseRef::Ignored
    ));
    // The state tracking stays at READY (IGNORED changes nothing), yet
    // the server's real state is unknown.
    assert_eq!((conn.state(), conn.pending()), (ServerState::Ready, 0));
    assert!(!conn.is_ready() && !conn.is_broken());
    conn.reset().await.unwrap();
    assert!(conn.is_ready());
    assert_eq!(run_return_1(&mut conn).await, 1);
    // Through the owned `recv` too.
    conn.queue(&Request::Run(Run::new("IGNORE ME"))).unwrap();
    assert!(matches!(conn.recv().await.unwrap(), Response::Ignored));
    assert!(!conn.is_ready());
}

#[tokio::test]
async fn a_logon_answered_ignored_fails_re_authentication() {
    // Opening logs on as `user`; the switch to `other` is ignored.
    let stub = stub::start(Version::V5_1, |c, req| match req {
        Request::Logon(l) if l.auth.get("principal") == Some(&"other".into()) => {
            Action::Reply(vec![Response::Ignored])
        }
        _ => default_answer(c, req),
    })
    .await;
    let mut other = auth();
    other.insert("principal", "other");
    let mut conn = open(&stub).await;
    let err = conn.reauthenticate(other.clone()).await.unwrap_err();
    assert!(matches!(err, PoolError::Protocol { .. }), "{err:?}");
    assert!(conn.is_broken());
    // Pipelined with the next request: that request's read fails.
    let mut conn = open(&stub).await;
    conn.queue_reauthentication(other).unwrap();
    conn.queue(&Request::Run(Run::new("RETURN 1"))).unwrap();
    let err = conn.recv().await.unwrap_err();
    assert!(matches!(err, PoolError::Protocol { .. }), "{err:?}");
    assert!(conn.is_broken());
}

/// RUN, then PULL `n`, RUN's SUCCESS read.
async fn pull_started(conn: &mut Connection, n: i64) {
    conn.queue(&Request::Run(Run::new("UNWIND range(1, 10) AS n RETURN n")))
        .unwrap();
    conn.queue(&Request::Pull(Pull::n(n))).unwrap();
    assert!(matches!(
        conn.recv_ref().await.unwrap(),
        ResponseRef::Success(_)
    ));
}

/// Takes records into `batch` and reads on, as a result stream does,
/// until an error, which it returns.
async fn stream_until_error(
    conn: &mut Connection,
    batch: &mut bolt_pool::RecordBatch,
) -> PoolError {
    loop {
        match conn.take_records(batch) {
            Ok(true) => panic!("the server sends no summary"),
            Ok(false) => {}
            Err(e) => return e,
        }
        if let Err(e) = conn.fill().await {
            return e;
        }
    }
}

#[tokio::test]
async fn noops_neither_fill_a_batch_nor_extend_the_wait_for_a_message() {
    // One record, then a NOOP every millisecond and never a summary.
    let stub = stub::start(Version::V5_0, |c, req| match req.kind() {
        RequestKind::Pull => {
            Action::ReplyThenNoops(vec![stub::record(1)], Duration::from_millis(1))
        }
        _ => default_answer(c, req),
    })
    .await;
    let mut conn = open(&stub).await;
    conn.set_read_timeout(Duration::from_millis(300));
    pull_started(&mut conn, 10).await;
    let mut batch = bolt_pool::RecordBatch::default();
    // 150 ms of NOOPs (the wait given up, not failed): the record came
    // at once, and the batch holds it alone, `00 04 B1 71 91 01 00 00`.
    let early = tokio::time::timeout(
        Duration::from_millis(150),
        stream_until_error(&mut conn, &mut batch),
    )
    .await;
    assert!(early.is_err(), "{early:?}");
    assert_eq!(batch.len(), 1);
    assert_eq!(batch.held_bytes(), 8);
    // Waiting on: the NOOPs do not keep it going.
    let t = Instant::now();
    let err = tokio::time::timeout(
        Duration::from_secs(5),
        stream_until_error(&mut conn, &mut batch),
    )
    .await
    .expect("NOOPs kept the wait going past 5 s");
    assert!(matches!(err, PoolError::Timeout { .. }), "{err:?}");
    assert!(err.to_string().contains("NOOPs"), "{err}");
    assert!(
        t.elapsed() >= Duration::from_millis(300) && t.elapsed() < Duration::from_secs(2),
        "{:?}",
        t.elapsed()
    );
    assert!(conn.is_broken());
    assert_eq!(batch.held_bytes(), 8);
    assert_eq!(batch.next().unwrap().unwrap().len(), 1);
}

#[tokio::test]
async fn noops_do_not_extend_a_wait_for_a_summary_either() {
    let stub = stub::start(Version::V5_0, |c, req| match req.kind() {
        RequestKind::Pull => Action::ReplyThenNoops(vec![], Duration::from_millis(10)),
        _ => default_answer(c, req),
    })
    .await;
    let mut conn = open(&stub).await;
    conn.set_read_timeout(Duration::from_millis(300));
    pull_started(&mut conn, 10).await;
    let t = Instant::now();
    let err = tokio::time::timeout(Duration::from_secs(5), conn.recv())
        .await
        .expect("NOOPs kept the wait going past 5 s")
        .unwrap_err();
    assert!(matches!(err, PoolError::Timeout { .. }), "{err:?}");
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
}

#[tokio::test]
async fn a_hinted_server_keeps_a_wait_alive_with_noops_up_to_the_read_timeout() {
    // The hint (1 s) bounds silence, and NOOPs every 100 ms are the
    // keep-alive it promises: no timeout at 1 s. The wait for the message
    // still ends at the configured read timeout (2 s).
    let stub = stub::start(Version::V5_0, |c, req| match req.kind() {
        RequestKind::Hello => Action::Reply(vec![hello_with_recv_timeout(c, 1)]),
        RequestKind::Pull => Action::ReplyThenNoops(vec![], Duration::from_millis(100)),
        _ => default_answer(c, req),
    })
    .await;
    let mut conn = Connection::open(
        &stub.bolt_address(),
        &connect_opts(),
        &OpenOptions::new(auth()).with_read_timeout(Duration::from_secs(2)),
    )
    .await
    .unwrap();
    assert_eq!(conn.read_timeout(), Duration::from_secs(1));
    pull_started(&mut conn, 10).await;
    let t = Instant::now();
    let err = tokio::time::timeout(Duration::from_secs(6), conn.recv())
        .await
        .expect("NOOPs kept the wait going past 6 s")
        .unwrap_err();
    assert!(
        matches!(err, PoolError::Timeout { after, .. } if after == Duration::from_secs(2)),
        "{err:?}"
    );
    assert!(
        t.elapsed() >= Duration::from_secs(2) && t.elapsed() < Duration::from_secs(4),
        "{:?}",
        t.elapsed()
    );
}

#[tokio::test]
async fn more_records_than_the_pull_asked_for_are_a_protocol_error() {
    use bolt_pool::ProtocolError;
    use bolt_proto::state::StateError;
    let stub = stub::start(Version::V5_0, |c, req| match req.kind() {
        RequestKind::Pull => Action::Reply(vec![
            stub::record(1),
            stub::record(2),
            stub::record(3),
            success(&[("has_more", true.into())]),
        ]),
        _ => default_answer(c, req),
    })
    .await;
    let too_many = |e: &PoolError| {
        matches!(
            e,
            PoolError::Protocol {
                source: ProtocolError::Unexpected(StateError::TooManyRecords { requested: 2 }),
                ..
            }
        )
    };
    // In bulk, as a result stream takes them.
    let mut conn = open(&stub).await;
    pull_started(&mut conn, 2).await;
    let mut batch = bolt_pool::RecordBatch::default();
    let err = tokio::time::timeout(
        Duration::from_secs(5),
        stream_until_error(&mut conn, &mut batch),
    )
    .await
    .unwrap();
    assert!(too_many(&err), "{err:?}");
    assert!(batch.len() <= 2, "{}", batch.len());
    assert!(conn.is_broken());
    // One at a time.
    let mut conn = open(&stub).await;
    pull_started(&mut conn, 2).await;
    for _ in 0..2 {
        assert!(matches!(
            conn.recv_ref().await.unwrap(),
            ResponseRef::Record(_)
        ));
    }
    let err = conn.recv_ref().await.unwrap_err();
    assert!(too_many(&err), "{err:?}");
    assert!(conn.is_broken());
}

// ------------------------------------------------- queue_with (borrowed writers)

/// Receives every pending response; the last RECORD's first integer.
async fn drain_int(conn: &mut Connection) -> Option<i64> {
    let mut got = None;
    while conn.pending() > 0 {
        match conn.recv().await.unwrap() {
            Response::Record(r) => got = r.fields[0].as_int(),
            Response::Failure(f) => panic!("{f:?}"),
            _ => {}
        }
    }
    got
}

#[tokio::test]
async fn queue_with_writes_what_the_server_decodes() {
    use bolt_proto::message::frontend::{self, TxMeta};
    let stub = stub::start(Version::V5_8, default_answer).await;
    let mut conn = open(&stub).await;
    let bookmarks = vec!["bm:1".to_owned(), "bm:2".to_owned()];
    let mut params = packstream::Map::new();
    params.insert("x", 1);
    params.insert("y", "two");
    params.insert("z", true);
    // A query over one chunk (65,535 bytes): the connection chunks it.
    let query = format!("RETURN $x /*{}*/", "q".repeat(70_000));
    let tx = TxMeta {
        bookmarks: (&bookmarks).into(),
        db: Some("movies"),
        imp_user: Some("bob"),
        ..TxMeta::default()
    };
    conn.queue_with(RequestKind::Run, |buf, v| {
        frontend::run::<PoolError>(&query, frontend::params(&params), &tx, v, buf)
    })
    .unwrap();
    conn.queue(&Request::Pull(Pull::all())).unwrap();
    assert_eq!(conn.pending(), 2);
    conn.flush().await.unwrap();
    assert_eq!(drain_int(&mut conn).await, Some(1));
    // BEGIN / RUN / COMMIT of an explicit transaction the same way.
    conn.queue_with(RequestKind::Begin, |buf, v| {
        frontend::begin(&tx, v, buf).map_err(PoolError::from)
    })
    .unwrap();
    conn.queue_with(RequestKind::Run, |buf, v| {
        frontend::run::<PoolError>("RETURN 1", frontend::no_params, &TxMeta::default(), v, buf)
    })
    .unwrap();
    conn.queue(&Request::Pull(Pull::all())).unwrap();
    conn.queue_with(RequestKind::Commit, |buf, v| {
        frontend::commit(v, buf).map_err(PoolError::from)
    })
    .unwrap();
    conn.flush().await.unwrap();
    assert_eq!(drain_int(&mut conn).await, Some(1));
    assert!(conn.is_ready());

    let seen = stub.requests();
    let runs: Vec<&Run> = seen
        .iter()
        .filter_map(|(_, r)| match r {
            Request::Run(r) => Some(r),
            _ => None,
        })
        .collect();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0].query, query);
    assert_eq!(runs[0].parameters, params);
    assert_eq!(runs[0].tx.bookmarks, bookmarks);
    assert_eq!(runs[0].tx.db.as_deref(), Some("movies"));
    assert_eq!(runs[0].tx.imp_user.as_deref(), Some("bob"));
    assert!(runs[1].tx.is_empty());
    let Some((_, Request::Begin(b))) = seen.iter().find(|(_, r)| matches!(r, Request::Begin(_)))
    else {
        panic!("no BEGIN in {:?}", stub.names())
    };
    assert_eq!(b.tx.db.as_deref(), Some("movies"));
    assert_eq!(
        stub.names(),
        ["HELLO", "LOGON", "RUN", "PULL", "BEGIN", "RUN", "PULL", "COMMIT"]
    );
}

#[tokio::test]
async fn queue_with_asks_the_state_tracking_before_writing() {
    let stub = stub::start(Version::V5_0, default_answer).await;
    let mut conn = open(&stub).await;
    let mut called = false;
    // COMMIT outside a transaction, and a message Bolt 5.0 lacks: refused
    // before the writer runs.
    for kind in [RequestKind::Commit, RequestKind::Telemetry] {
        let r = conn.queue_with(kind, |buf, _| {
            called = true;
            buf.extend_from_slice(&[0xB0, kind.tag()]);
            Ok::<_, PoolError>(())
        });
        assert!(matches!(r, Err(PoolError::IllegalRequest(_))), "{r:?}");
    }
    assert!(!called, "the writer ran for a refused request");
    // PULL / DISCARD need their `n` for the state tracking.
    for kind in [RequestKind::Pull, RequestKind::Discard] {
        let r = conn.queue_with(kind, |_, _| Ok::<_, PoolError>(()));
        assert!(matches!(r, Err(PoolError::Encode(_))), "{r:?}");
    }
    assert_eq!(conn.pending(), 0);
    assert!(!conn.is_broken());
    assert_eq!(run_return_1(&mut conn).await, 1);
    assert_eq!(stub.names(), ["HELLO", "RUN", "PULL"]);
}

#[tokio::test]
async fn queue_with_a_failing_writer_queues_nothing() {
    #[derive(Debug)]
    enum Mine {
        Refused,
        Pool(PoolError),
    }
    impl From<PoolError> for Mine {
        fn from(e: PoolError) -> Self {
            Mine::Pool(e)
        }
    }
    let stub = stub::start(Version::V5_0, default_answer).await;
    let mut conn = open(&stub).await;
    let r = conn.queue_with(RequestKind::Run, |buf, _| {
        // Half a message, then the caller's own error.
        buf.extend_from_slice(&[0xB3, 0x10, 0x81, b'x']);
        Err(Mine::Refused)
    });
    assert!(matches!(r, Err(Mine::Refused)), "{r:?}");
    // A writer that writes nothing is refused by the framing.
    let r = conn.queue_with(RequestKind::Reset, |_, _| Ok::<_, Mine>(()));
    assert!(
        matches!(r, Err(Mine::Pool(PoolError::Protocol { .. }))),
        "{r:?}"
    );
    // Nothing was queued or tracked: the next request is the only one the
    // server sees, and the connection is fine.
    assert_eq!(conn.pending(), 0);
    assert!(!conn.is_broken());
    assert_eq!(run_return_1(&mut conn).await, 1);
    assert_eq!(stub.names(), ["HELLO", "RUN", "PULL"]);
}
