//! Fault injection between the driver and real servers: a
//! [`bolt_proxy::Proxy`] sits between a driver and Neo4j (2026.x and the
//! 5.26 LTS) or ArcadeDB, and breaks the connection at one point of a
//! scripted workload (the handshake, HELLO, LOGON, RUN auto-commit and in
//! a transaction, mid-stream in a PULL, BEGIN, COMMIT, the answer to
//! COMMIT, ROLLBACK, the DISCARD of a dropped result, the RESET after a
//! FAILURE, ROUTE) in one way (close, reset, stall, truncate, drip,
//! delay). For each case it checks what the
//! user sees (a typed error, or success where the fault is benign or a
//! retry is safe), that it comes within the configured deadline, that the
//! same driver's next query succeeds (the pool stays healthy) and, for
//! writes, that the database holds exactly what the driver reported
//! (nothing committed that was reported failed; a COMMIT whose answer was
//! lost is `IncompleteCommit` and never retried).
//!
//! Ignored unless asked for (the servers' `BOLT_TEST_*` variables, see
//! docs/testing.md): `cargo xtask test` runs it in its servers stage; by
//! hand, `cargo test -p neo4j --test faults -- --ignored --nocapture`
//! prints the table of docs/reliability.md ("Fault injection") for each
//! server, and writes it to `target/fault-injection/<server>.md`. Set
//! `FAULTS_LOG=1` to print every message the proxies forward.
//!
//! Every fault is one-shot (`#once`): the first match on any connection.
//! The cases of a server run four at a time, each with its own proxy,
//! driver and label; the servers may be shared with other runs.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bolt_proxy::Proxy;
use neo4j::{params, Config, ConfigBuilder, Driver, Error, GraphDatabase, SessionConfig};
use tokio::sync::Semaphore;

/// The deadlines every faulted driver runs with.
const CONNECTION_TIMEOUT: Duration = Duration::from_secs(2);
const READ_TIMEOUT: Duration = Duration::from_secs(2);
const ACQUISITION_TIMEOUT: Duration = Duration::from_secs(5);
const MAX_RETRY_TIME: Duration = Duration::from_secs(3);
/// Scheduling slack on top of a deadline (a shared 2-core machine).
const SLACK: Duration = Duration::from_millis(1500);
/// Past this a case is reported as a hang.
const HANG: Duration = Duration::from_secs(30);
const FETCH_SIZE: i64 = 10;
const CONCURRENT_CASES: usize = 4;

/// A server under test.
#[derive(Debug, Clone)]
struct Target {
    name: &'static str,
    addr: String,
    user: String,
    password: String,
    db: String,
}

#[path = "../neo4j_server/target.rs"]
mod neo4j_target;
use neo4j_target::var;

impl Target {
    fn neo4j(server: neo4j_target::Target) -> Target {
        Target {
            name: server.name,
            addr: server.addr,
            user: server.user,
            password: server.password,
            db: "neo4j".into(),
        }
    }

    fn arcadedb() -> Target {
        Target {
            name: "arcadedb",
            addr: var("BOLT_TEST_ARCADEDB_ADDR"),
            user: var("BOLT_TEST_ARCADEDB_USER"),
            password: var("BOLT_TEST_ARCADEDB_PASSWORD"),
            db: var("BOLT_TEST_ARCADEDB_DATABASES")
                .split(',')
                .next()
                .unwrap()
                .to_owned(),
        }
    }

    fn builder(&self) -> ConfigBuilder {
        Config::builder().with_auth((self.user.clone(), self.password.clone()))
    }

    fn session(&self) -> SessionConfig {
        SessionConfig::new().with_database(&self.db)
    }

    /// A driver straight to the server, for checking what was committed.
    fn direct(&self) -> Driver {
        GraphDatabase::driver(
            format!("bolt://{}", self.addr),
            self.builder().build().unwrap(),
        )
        .unwrap()
    }
}

/// Where the fault fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum At {
    Handshake,
    Hello,
    Logon,
    Run,
    RunInTx,
    PullMidStream,
    Begin,
    Commit,
    CommitReply,
    Rollback,
    Discard,
    Reset,
    Route,
}

impl At {
    const ALL: [At; 13] = [
        At::Handshake,
        At::Hello,
        At::Logon,
        At::Run,
        At::RunInTx,
        At::PullMidStream,
        At::Begin,
        At::Commit,
        At::CommitReply,
        At::Rollback,
        At::Discard,
        At::Reset,
        At::Route,
    ];

    /// The proxy's point.
    fn point(self) -> &'static str {
        match self {
            At::Handshake => "handshake",
            At::Hello => "HELLO",
            At::Logon => "LOGON",
            At::Run => "RUN",
            // The second RUN of the connection: the transaction's second
            // query.
            At::RunInTx => "RUN:2",
            // The 15th record: the 5th of the second batch of 10.
            At::PullMidStream => "PULL.RECORD:15",
            At::Begin => "BEGIN",
            At::Commit => "COMMIT",
            At::CommitReply => "COMMIT.reply",
            At::Rollback => "ROLLBACK",
            At::Discard => "DISCARD",
            At::Reset => "RESET",
            At::Route => "ROUTE",
        }
    }

    /// What the workload does at this point, for the table.
    fn workload(self) -> &'static str {
        match self {
            At::Handshake | At::Hello | At::Logon => "auto-commit `RETURN 1`, fresh driver",
            At::Run => "auto-commit `CREATE`",
            At::RunInTx => "explicit transaction: `CREATE`, `RETURN 1`, then `commit()`",
            At::PullMidStream => "auto-commit, 100 records, fetch size 10",
            At::Begin | At::Commit | At::CommitReply => "`execute_write` of one `CREATE`",
            At::Rollback => "explicit transaction: `CREATE`, then `rollback()`",
            At::Discard => "auto-commit, 100 records, 1 read, then `Session::close`",
            At::Reset => "a syntax error, then `RETURN 1` in the same session",
            At::Route => "`neo4j://` driver, `RETURN 1`",
        }
    }

    fn managed(self) -> bool {
        matches!(self, At::Begin | At::Commit | At::CommitReply)
    }

    fn writes(self) -> bool {
        self.managed() || matches!(self, At::Run | At::RunInTx | At::Rollback)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Fault {
    Close,
    Reset,
    Stall,
    Truncate,
    Drip,
    Delay,
}

impl Fault {
    const ALL: [Fault; 6] = [
        Fault::Close,
        Fault::Reset,
        Fault::Stall,
        Fault::Truncate,
        Fault::Drip,
        Fault::Delay,
    ];

    fn action(self) -> &'static str {
        match self {
            Fault::Close => "close",
            Fault::Reset => "reset",
            Fault::Stall => "stall",
            Fault::Truncate => "truncate",
            Fault::Drip => "drip=5ms",
            Fault::Delay => "delay=500ms",
        }
    }

    fn benign(self) -> bool {
        matches!(self, Fault::Drip | Fault::Delay)
    }
}

/// What a case must show.
#[derive(Debug, Clone)]
struct Expect {
    /// `ok`, or the error variant.
    outcome: &'static str,
    /// How many times the managed transaction's closure runs.
    calls: Option<u32>,
    /// How many nodes the workload leaves in the database.
    nodes: Option<i64>,
    /// The bound on the time to the outcome, and which setting makes it.
    deadline: (Duration, &'static str),
}

/// The expected behaviour: the rules of the developers' guide applied to
/// each point.
fn expect(at: At, fault: Fault) -> Expect {
    // Every wait on an open connection is bounded by the read timeout;
    // a lost connection is noticed at once.
    let read = (READ_TIMEOUT, "read");
    if fault.benign() {
        return Expect {
            outcome: "ok",
            calls: at.managed().then_some(1),
            nodes: at
                .writes()
                .then_some(if at == At::Rollback { 0 } else { 1 }),
            deadline: read,
        };
    }
    match at {
        // A silent server while the connection opens: the acquisition
        // timeout bounds the whole opening (the connection timeout only
        // the TCP connect; the read timeout applies once it is open), as
        // in the official drivers.
        At::Handshake | At::Hello | At::Logon if fault == Fault::Stall => Expect {
            outcome: "ConnectionAcquisitionTimeout",
            calls: None,
            nodes: None,
            deadline: (ACQUISITION_TIMEOUT, "acquisition"),
        },
        // The connection failed before the query ran, or during its
        // stream; routing: the only router failed.
        At::Handshake
        | At::Hello
        | At::Logon
        | At::Run
        | At::RunInTx
        | At::PullMidStream
        | At::Rollback
        | At::Discard
        | At::Route => Expect {
            outcome: "ServiceUnavailable",
            calls: None,
            nodes: matches!(at, At::Run | At::RunInTx | At::Rollback).then_some(0),
            deadline: read,
        },
        // The RESET of a connection a FAILURE left: that connection is
        // dropped and the next query gets another.
        At::Reset => Expect {
            outcome: "ok",
            calls: None,
            nodes: None,
            deadline: read,
        },
        // Before COMMIT: retried on a fresh connection, committed once.
        At::Begin => Expect {
            outcome: "ok",
            calls: Some(2),
            nodes: Some(1),
            deadline: (MAX_RETRY_TIME + READ_TIMEOUT, "retry + read"),
        },
        // COMMIT sent, its answer lost: unknown, never retried.
        At::Commit | At::CommitReply => Expect {
            outcome: "IncompleteCommit",
            calls: Some(1),
            nodes: Some(if at == At::Commit { 0 } else { 1 }),
            deadline: read,
        },
    }
}

fn variant(e: &Error) -> String {
    match e {
        Error::ServiceUnavailable(_) => "ServiceUnavailable".into(),
        Error::SessionExpired(_) => "SessionExpired".into(),
        Error::IncompleteCommit(_) => "IncompleteCommit".into(),
        Error::Protocol(_) => "Protocol".into(),
        Error::ConnectionAcquisitionTimeout(_) => "ConnectionAcquisitionTimeout".into(),
        Error::Server { code, .. } => format!("Server({code})"),
        Error::Authentication { .. } => "Authentication".into(),
        Error::Security { .. } => "Security".into(),
        Error::DriverClosed => "DriverClosed".into(),
        other => {
            let s = format!("{other:?}");
            s.chars().take(40).collect()
        }
    }
}

/// One case's measurements.
#[derive(Debug)]
struct Row {
    at: At,
    fault: Fault,
    expect: Expect,
    outcome: String,
    detail: String,
    calls: u32,
    records: u64,
    elapsed: Duration,
    healthy: Result<Duration, String>,
    nodes: Option<i64>,
    problems: Vec<String>,
}

fn label() -> String {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let seq = SEQ.fetch_add(1, Ordering::Relaxed);
    format!("Fault_{}_{nanos}_{seq}", std::process::id())
}

async fn create(tx: &neo4j::ManagedTransaction, label: &str) -> Result<(), Error> {
    tx.run(format!("CREATE (:{label})"), params! {})
        .await?
        .consume()
        .await
        .map(|_| ())
}

/// Runs the workload of `at` on `driver`: `Ok` with a note, or the error.
async fn workload(
    t: &Target,
    at: At,
    driver: &Driver,
    label: &str,
    calls: &AtomicU32,
    records: &AtomicU64,
) -> Result<(), Error> {
    let mut s = driver.session(t.session());
    match at {
        At::Handshake | At::Hello | At::Logon | At::Route => {
            s.run("RETURN 1 AS x", params! {}).await?.single().await?;
        }
        At::Run => {
            s.run(format!("CREATE (:{label})"), params! {})
                .await?
                .consume()
                .await?;
        }
        At::PullMidStream => {
            let mut r = s
                .run("UNWIND range(1, 100) AS i RETURN i", params! {})
                .await?;
            while let Some(rec) = r.next().await {
                rec?;
                records.fetch_add(1, Ordering::SeqCst);
            }
            if records.load(Ordering::SeqCst) != 100 {
                return Err(Error::Usage("not every record arrived".into()));
            }
        }
        At::RunInTx => {
            let tx = s.begin_transaction(neo4j::TransactionConfig::new()).await?;
            tx.run(format!("CREATE (:{label})"), params! {})
                .await?
                .consume()
                .await?;
            let failed = match tx.run("RETURN 1", params! {}).await {
                Ok(r) => r.consume().await.err(),
                Err(e) => Some(e),
            };
            // Whatever the query's fate, commit must not report success
            // for a transaction whose connection was lost.
            match (failed, tx.commit().await) {
                (None, committed) => committed?,
                (Some(e), Err(_)) => return Err(e),
                (Some(e), Ok(())) => {
                    return Err(Error::Usage(format!(
                        "commit reported success after the transaction failed: {e}"
                    )))
                }
            }
        }
        At::Rollback => {
            let tx = s.begin_transaction(neo4j::TransactionConfig::new()).await?;
            tx.run(format!("CREATE (:{label})"), params! {})
                .await?
                .consume()
                .await?;
            tx.rollback().await?;
        }
        At::Discard => {
            let mut r = s
                .run("UNWIND range(1, 100) AS i RETURN i", params! {})
                .await?;
            r.next().await.transpose()?;
            records.fetch_add(1, Ordering::SeqCst);
            drop(r);
        }
        At::Reset => {
            // The server's FAILURE leaves the connection needing a RESET
            // before its next use; the fault hits that RESET.
            let failed = match s.run("RETURN 1 +", params! {}).await {
                Ok(r) => r.consume().await.err(),
                Err(e) => Some(e),
            };
            match failed {
                Some(Error::Server { .. }) => {}
                other => {
                    return Err(Error::Usage(format!(
                        "expected the syntax error, got {other:?}"
                    )))
                }
            }
            s.run("RETURN 1 AS x", params! {}).await?.single().await?;
        }
        At::Begin | At::Commit | At::CommitReply => {
            s.execute_write(|tx| {
                calls.fetch_add(1, Ordering::SeqCst);
                async move { create(&tx, label).await }
            })
            .await?;
        }
    }
    s.close().await
}

async fn count(direct: &Driver, t: &Target, label: &str) -> i64 {
    let mut s = direct.session(t.session());
    let n = s
        .run(
            format!("MATCH (n:{label}) RETURN count(n) AS c"),
            params! {},
        )
        .await
        .unwrap()
        .single()
        .await
        .unwrap()
        .get::<i64>("c")
        .unwrap();
    s.run(format!("MATCH (n:{label}) DELETE n"), params! {})
        .await
        .unwrap()
        .consume()
        .await
        .unwrap();
    s.close().await.unwrap();
    n
}

async fn run_case(t: Target, direct: Arc<Driver>, at: At, fault: Fault) -> Row {
    let spec = format!("{}@{}#once", fault.action(), at.point());
    let log = std::env::var_os("FAULTS_LOG").is_some();
    let tag = format!("{}/{spec}", t.name);
    let proxy = Proxy::builder(t.addr.clone())
        .plan(spec.parse().unwrap())
        .observe(move |e| {
            if log {
                eprintln!("[{tag}] {e}");
            }
        })
        .bind("127.0.0.1:0")
        .await
        .unwrap();
    let scheme = if at == At::Route { "neo4j" } else { "bolt" };
    let config = t
        .builder()
        .with_connection_timeout(CONNECTION_TIMEOUT)
        .with_connection_read_timeout(READ_TIMEOUT)
        .with_connection_acquisition_timeout(ACQUISITION_TIMEOUT)
        .with_max_retry_time(MAX_RETRY_TIME)
        .with_fetch_size(FETCH_SIZE)
        .build()
        .unwrap();
    let driver =
        GraphDatabase::driver(format!("{scheme}://{}", proxy.local_addr()), config).unwrap();
    let label = label();
    let calls = AtomicU32::new(0);
    let records = AtomicU64::new(0);
    let expect = expect(at, fault);
    let mut problems = Vec::new();

    let started = Instant::now();
    let result =
        tokio::time::timeout(HANG, workload(&t, at, &driver, &label, &calls, &records)).await;
    let elapsed = started.elapsed();
    let (outcome, detail) = match &result {
        Err(_) => ("HANG".to_owned(), format!("no outcome after {HANG:?}")),
        Ok(Ok(())) => ("ok".to_owned(), String::new()),
        Ok(Err(e)) => (variant(e), e.to_string()),
    };

    // The same driver's next query, through a connection the proxy no
    // longer faults.
    let h_started = Instant::now();
    let healthy = match tokio::time::timeout(HANG, async {
        let mut s = driver.session(t.session());
        let x = s
            .run("RETURN 7 AS x", params! {})
            .await?
            .single()
            .await?
            .get::<i64>("x")?;
        s.close().await?;
        Ok::<_, Error>(x)
    })
    .await
    {
        Ok(Ok(7)) => Ok(h_started.elapsed()),
        Ok(Ok(x)) => Err(format!("wrong answer {x}")),
        Ok(Err(e)) => Err(format!("{} ({e})", variant(&e))),
        Err(_) => Err("HANG".into()),
    };
    // Nothing left in use or waiting (the session closed, returned its
    // connection).
    let mut busy = Vec::new();
    for _ in 0..100 {
        busy = driver
            .pool_metrics()
            .into_iter()
            .filter(|(_, m)| m.in_use > 0 || m.waiting > 0)
            .map(|(a, m)| format!("{a}: {} in use, {} waiting", m.in_use, m.waiting))
            .collect::<Vec<_>>();
        if busy.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    if !busy.is_empty() {
        problems.push(format!("the pool is not idle: {}", busy.join(", ")));
    }
    let nodes = if at.writes() {
        Some(count(&direct, &t, &label).await)
    } else {
        None
    };
    driver.close().await;
    let fired = proxy.fired().len();
    proxy.shutdown().await;

    // The checks.
    if fired != 1 {
        problems.push(format!("the fault fired {fired} times, not once"));
    }
    if outcome != expect.outcome {
        problems.push(format!(
            "expected {}, got {outcome}: {detail}",
            expect.outcome
        ));
    }
    if elapsed > expect.deadline.0 + SLACK {
        problems.push(format!(
            "took {elapsed:?}, deadline {:?} ({})",
            expect.deadline.0, expect.deadline.1
        ));
    }
    if let Err(e) = &healthy {
        problems.push(format!("the next query failed: {e}"));
    }
    let calls = calls.load(Ordering::SeqCst);
    if let Some(want) = expect.calls {
        if calls != want {
            problems.push(format!("the closure ran {calls} times, expected {want}"));
        }
    }
    if let (Some(want), Some(got)) = (expect.nodes, nodes) {
        if want != got {
            problems.push(format!("{got} nodes committed, expected {want}"));
        }
    }
    Row {
        at,
        fault,
        expect,
        outcome,
        detail,
        calls,
        records: records.load(Ordering::SeqCst),
        elapsed,
        healthy,
        nodes,
        problems,
    }
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

fn table(t: &Target, rows: &[Row]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Server: {} ({}). Deadlines: connection {}, read {}, acquisition {}, max retry {}; fetch size {FETCH_SIZE}.\n",
        t.name,
        t.addr,
        secs(CONNECTION_TIMEOUT),
        secs(READ_TIMEOUT),
        secs(ACQUISITION_TIMEOUT),
        secs(MAX_RETRY_TIME),
    );
    out.push_str(
        "| point | fault | expected | got | deadline | time | next query | closure runs | nodes | verdict |\n\
         |---|---|---|---|---|---|---|---|---|---|\n",
    );
    for r in rows {
        let mut got = r.outcome.clone();
        if r.at == At::PullMidStream && r.outcome != "ok" {
            let _ = write!(got, " after {} records", r.records);
        }
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} ({}) | {} | {} | {} | {} | {} |",
            r.at.point(),
            r.fault.action(),
            r.expect.outcome,
            got,
            secs(r.expect.deadline.0),
            r.expect.deadline.1,
            secs(r.elapsed),
            match &r.healthy {
                Ok(d) => format!("ok ({})", secs(*d)),
                Err(e) => e.clone(),
            },
            if r.at.managed() {
                r.calls.to_string()
            } else {
                "-".into()
            },
            match (r.nodes, r.expect.nodes) {
                (Some(n), Some(w)) => format!("{n} (expected {w})"),
                (Some(n), None) => n.to_string(),
                _ => "-".into(),
            },
            if r.problems.is_empty() {
                "pass"
            } else {
                "FAIL"
            },
        );
    }
    out
}

async fn suite(t: Target, points: &[At]) {
    let direct = Arc::new(t.direct());
    let gate = Arc::new(Semaphore::new(CONCURRENT_CASES));
    let mut cases = tokio::task::JoinSet::new();
    for &at in points {
        for fault in Fault::ALL {
            let (t, direct, gate) = (t.clone(), direct.clone(), gate.clone());
            cases.spawn(async move {
                let _permit = gate.acquire_owned().await.unwrap();
                run_case(t, direct, at, fault).await
            });
        }
    }
    let started = Instant::now();
    let mut rows = Vec::new();
    while let Some(row) = cases.join_next().await {
        rows.push(row.unwrap());
    }
    rows.sort_by_key(|r| (r.at, r.fault));
    let mut report = table(&t, &rows);
    report.push_str("\nWorkloads:");
    for at in points {
        let _ = write!(report, " `{}`: {};", at.point(), at.workload());
    }
    report.pop();
    report.push('.');
    let _ = writeln!(
        report,
        "\n{} cases in {}.",
        rows.len(),
        secs(started.elapsed())
    );
    eprintln!("{report}");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/fault-injection");
    if std::fs::create_dir_all(&dir).is_ok() {
        let _ = std::fs::write(dir.join(format!("{}.md", t.name)), &report);
    }
    let mut failures = String::new();
    for r in &rows {
        if !r.detail.is_empty() {
            eprintln!("{} {}: {}", r.at.point(), r.fault.action(), r.detail);
        }
        for p in &r.problems {
            let _ = writeln!(failures, "{} at {}: {p}", r.fault.action(), r.at.point());
        }
    }
    Arc::try_unwrap(direct).ok().unwrap().close().await;
    assert!(failures.is_empty(), "{}:\n{failures}", t.name);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a server: cargo xtask test"]
async fn neo4j_newest() {
    suite(Target::neo4j(neo4j_target::Target::newest()), &At::ALL).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a server: cargo xtask test"]
async fn neo4j_lts() {
    suite(Target::neo4j(neo4j_target::Target::lts()), &At::ALL).await;
}

/// ArcadeDB (Bolt 5.4: HELLO then LOGON; its ROUTE answers with itself).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a server: cargo xtask test"]
async fn arcadedb() {
    suite(Target::arcadedb(), &At::ALL).await;
}
