//! Cancellation against real Neo4j servers (the newest release and the
//! 5.26 LTS, Community): every await point of the driver's API is cut
//! by dropping the caller's future, and what follows is checked.
//!
//! The technique: [`cut`] polls an operation's future by hand and drops
//! it after exactly `k` `Poll::Pending`s, for `k` = 1, 2, ... until the
//! operation completes without being cut. Whatever the driver's
//! internals, every point where the operation waits on the network (or a
//! lock, or a timer) is thus hit in turn. After each cut, the same
//! session (where it is still open) and a new session of the same driver
//! run a verification query with values of their own, and every record
//! is checked: nothing of the cut query (whose values are distinct) may
//! reach them. Every later call is bounded by [`BOUND`]: a call that
//! waits for abandoned work fails the test.
//!
//! The drivers (`bolt://` and `neo4j://`, which Community answers with
//! itself) have a pool of one connection and a short acquisition timeout:
//! a cut that leaked the connection fails the next acquisition.
//!
//! Ignored unless asked for: `cargo xtask test` runs them in its servers
//! stage; by hand,
//! `cargo test -p neo4j --test cancellation -- --ignored --nocapture`
//! (with the `BOLT_TEST_NEO4J*` variables of docs/testing.md).

mod scenarios;
mod server_side;

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use neo4j::{params, Config, ConfigBuilder, Driver, GraphDatabase, Record, Session, SessionConfig};

#[path = "../support/mod.rs"]
mod support;
#[path = "../neo4j_server/target.rs"]
mod target;
pub use support::cut;
pub use target::{targets, Target};

impl Target {
    /// The drivers' config: the server's credentials, a pool of one
    /// connection with a short acquisition timeout (a leaked connection
    /// fails the next acquisition), batches of [`FETCH`] records.
    pub fn builder(&self) -> ConfigBuilder {
        Config::builder()
            .with_auth((self.user.clone(), self.password.clone()))
            .with_max_connection_pool_size(1)
            .with_connection_acquisition_timeout(Duration::from_secs(3))
            .with_max_retry_time(Duration::from_secs(2))
            .with_fetch_size(FETCH)
    }

    /// A driver to `scheme://addr` with [`builder`](Self::builder)'s
    /// config.
    pub fn driver(&self, scheme: &str) -> Driver {
        GraphDatabase::driver(
            format!("{scheme}://{}", self.addr),
            self.builder().build().unwrap(),
        )
        .unwrap()
    }
}

/// A session on the database `neo4j`.
pub fn db_cfg() -> SessionConfig {
    SessionConfig::new().with_database("neo4j")
}

/// Records per batch: a cut query returns [`ROWS`] records, several
/// batches, so reading it waits several times.
pub const FETCH: i64 = 7;
/// The records of a cut query.
pub const ROWS: i64 = 30;
/// The bound on every call after a cut.
pub const BOUND: Duration = Duration::from_secs(8);
/// A cut search gives up (and fails) past this many cuts.
pub const MAX_CUTS: usize = 400;

/// A value no other query of this process returns.
pub fn tag(prefix: &str) -> String {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    format!(
        "{prefix}-{}-{}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    )
}

/// `fut` within [`BOUND`], else a panic naming `what`.
pub async fn bounded<F: Future>(what: &str, fut: F) -> F::Output {
    match tokio::time::timeout(BOUND, fut).await {
        Ok(v) => v,
        Err(_) => panic!("{what} did not finish within {BOUND:?}: it waits for abandoned work"),
    }
}

/// The query a cut interrupts: [`ROWS`] records `(tag, i)`.
pub fn cut_query() -> (String, String) {
    let t = tag("cut");
    (
        format!("UNWIND range(1, {ROWS}) AS i RETURN '{t}' AS tag, i"),
        t,
    )
}

/// Checks that `records` are `(tag, i)` for `i` in `from..=to`, in order.
pub fn check_rows(records: &[Record], tag: &str, from: i64, to: i64, what: &str) {
    let got: Vec<(String, i64)> = records
        .iter()
        .map(|r| (r.get::<String>("tag").unwrap(), r.get::<i64>("i").unwrap()))
        .collect();
    let want: Vec<(String, i64)> = (from..=to).map(|i| (tag.to_owned(), i)).collect();
    assert_eq!(got, want, "{what}: wrong records");
}

/// Runs a verification query on `s` (bounded): three records of a tag of
/// its own, checked exactly.
pub async fn verify(s: &mut Session, what: &str) {
    let t = tag("verify");
    let records = bounded(what, async {
        s.run(
            "UNWIND range(1, 3) AS i RETURN $t AS tag, i",
            params! {"t" => t.clone()},
        )
        .await?
        .collect()
        .await
    })
    .await
    .unwrap_or_else(|e| panic!("{what}: the verification query failed: {e}"));
    check_rows(&records, &t, 1, 3, what);
}

/// Verifies on a new session of `driver` (it must get the pool's one
/// connection), then closes it.
pub async fn verify_new_session(driver: &Driver, what: &str) {
    let mut s = driver.session(db_cfg());
    verify(&mut s, what).await;
    bounded(what, s.close())
        .await
        .unwrap_or_else(|e| panic!("{what}: closing the verification session: {e}"));
}

/// What one scenario did: the cuts it executed (`k` = 1 up to the first
/// run that completed).
#[derive(Debug, Clone)]
pub struct Tally {
    /// `newest` or `lts`.
    pub server: &'static str,
    /// `bolt` or `neo4j`.
    pub scheme: &'static str,
    /// What was cut.
    pub scenario: &'static str,
    /// How many cuts were executed (and checked).
    pub cuts: usize,
}

/// Runs `step(k)` for `k` = 1, 2, ... until it reports that its operation
/// completed without being cut; each step does its own checks.
pub async fn search<F, Fut>(
    tallies: &mut Vec<Tally>,
    server: &'static str,
    scheme: &'static str,
    scenario: &'static str,
    mut step: F,
) where
    F: FnMut(usize) -> Fut,
    Fut: Future<Output = bool>,
{
    for k in 1..=MAX_CUTS {
        if step(k).await {
            tallies.push(Tally {
                server,
                scheme,
                scenario,
                cuts: k - 1,
            });
            return;
        }
    }
    panic!("{server} {scheme} {scenario}: not done after {MAX_CUTS} cuts");
}

/// Prints the tallies as the rows of docs/reliability.md's table.
pub fn report(tallies: &[Tally]) {
    let total: usize = tallies.iter().map(|t| t.cuts).sum();
    eprintln!("| server | driver | scenario | cuts |");
    for t in tallies {
        eprintln!(
            "| {} | {} | {} | {} |",
            t.server, t.scheme, t.scenario, t.cuts
        );
    }
    eprintln!("total cuts: {total}");
}

/// Logs to stderr as `RUST_LOG` says (nothing by default).
fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .try_init();
}

/// Runs `part`'s scenarios against both servers, over both driver
/// kinds, and prints the tallies.
async fn run_part(part: scenarios::Part) {
    init_tracing();
    let started = std::time::Instant::now();
    let mut tallies = Vec::new();
    for t in targets() {
        eprintln!("--- against {} ({} at {})", t.name, t.version, t.addr);
        for scheme in ["bolt", "neo4j"] {
            scenarios::all_on(&mut tallies, &t, scheme, part).await;
        }
    }
    report(&tallies);
    eprintln!("{part:?}: {:?}", started.elapsed());
}

#[tokio::test]
#[ignore = "needs a server: cargo xtask test"]
async fn cuts_in_auto_commit_work_leave_session_and_driver_working() {
    run_part(scenarios::Part::AutoCommit).await;
}

#[tokio::test]
#[ignore = "needs a server: cargo xtask test"]
async fn cuts_in_explicit_transactions_leave_session_and_driver_working() {
    run_part(scenarios::Part::Explicit).await;
}

#[tokio::test]
#[ignore = "needs a server: cargo xtask test"]
async fn cuts_in_managed_transactions_leave_session_and_driver_working() {
    run_part(scenarios::Part::Managed).await;
}

#[tokio::test]
#[ignore = "needs a server: cargo xtask test"]
async fn cuts_of_close_and_of_a_new_drivers_first_query_leave_the_driver_working() {
    run_part(scenarios::Part::Close).await;
}

/// Each way a cut long query goes on, against both servers.
async fn long_query_cases(mode: server_side::Mode, schemes: &[&'static str]) {
    use server_side::Then;
    init_tracing();
    for t in targets() {
        for &scheme in schemes {
            for then in [Then::Drop, Then::Close, Then::Reuse] {
                let took = server_side::cut_long_query(&t, scheme, mode, then).await;
                eprintln!(
                    "{} {scheme} {mode:?} then {then:?}: gone after {took:?}",
                    t.name
                );
            }
        }
    }
}

#[tokio::test]
#[ignore = "needs a server: cargo xtask test"]
async fn a_cut_auto_commit_query_is_terminated_on_the_server() {
    long_query_cases(server_side::Mode::AutoCommit, &["bolt", "neo4j"]).await;
}

#[tokio::test]
#[ignore = "needs a server: cargo xtask test"]
async fn a_cut_query_of_an_explicit_transaction_is_terminated_on_the_server() {
    long_query_cases(server_side::Mode::Explicit, &["bolt"]).await;
}

#[tokio::test]
#[ignore = "needs a server: cargo xtask test"]
async fn a_cut_managed_transaction_is_terminated_on_the_server() {
    long_query_cases(server_side::Mode::Managed, &["bolt"]).await;
}

#[tokio::test]
#[ignore = "needs a server: cargo xtask test"]
async fn the_long_query_outlasts_the_bound_when_left_alone() {
    for t in targets() {
        server_side::long_query_outlasts_the_bound(&t).await;
    }
}
