//! The mixed workload: tasks that each pick an operation at random (seeded),
//! run it through the shared driver, log the answer, pause and go again
//! until the time is up.
//!
//! Writes create `n` (1-3) nodes `(:Soak_<seed> {op, j})`, `j` in `1..=n`,
//! with an `op` number no other write uses, and plain CREATE: a write the
//! driver ran twice shows as a duplicate, one half applied as a partial
//! write. Each write's answer is classified from what the driver says:
//!
//! - acknowledged: the driver returned success;
//! - failed: the driver's error guarantees nothing was committed. A
//!   transaction (managed or explicit) failed in any way but
//!   [`Error::IncompleteCommit`]: the driver reports a connection lost
//!   after COMMIT was sent as that, and every other error comes before
//!   COMMIT or is the server's refusal of it. An auto-commit query failed
//!   with a server FAILURE or without a connection
//!   ([`Error::ConnectionAcquisitionTimeout`]);
//! - unknown: [`Error::IncompleteCommit`]; an auto-commit query that lost
//!   its connection (the RUN may have reached the server, and an
//!   auto-commit query commits on its own); an operation that did not end
//!   within [`OP_LIMIT`] (a hang, itself a defect);
//! - rolled back: an explicit transaction the workload rolls back on
//!   purpose after its queries succeeded.
//!
//! Reads check what the writes claim: a managed read or an
//! `execute_query` reads back a random acknowledged write (all its nodes
//! must be there), an auto-commit read counts the label.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use neo4j::{params, Driver, Error, RoutingControl, Session, SessionConfig, TransactionConfig};
use serde_json::{json, Value as Json};

use crate::{Rng, ACQUISITION_TIMEOUT, DATABASE};

/// An operation running longer than this is reported as a hang (and
/// dropped: the driver must then recover from the cancellation).
pub const OP_LIMIT: Duration = Duration::from_secs(150);
/// What a measured wait may exceed the acquisition timeout by (the
/// request's own round trip, scheduling on a shared machine).
pub const SLACK: Duration = Duration::from_secs(1);
/// How often the progress line is printed.
const REPORT_EVERY: Duration = Duration::from_secs(15);

/// What to run.
pub struct Plan {
    /// The label of every node this run creates.
    pub label: String,
    /// Seeds every task's generator.
    pub seed: u64,
    /// Concurrent tasks.
    pub tasks: usize,
    /// How long new operations start.
    pub duration: Duration,
}

/// The kinds of operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// `execute_write` creating the nodes in one query.
    ManagedWrite,
    /// `begin_transaction`, two queries, `commit`.
    ExplicitWrite,
    /// `begin_transaction`, two queries, `rollback`.
    ExplicitRollback,
    /// `Session::run` of the CREATE, consumed.
    AutoWrite,
    /// `execute_read` of an acknowledged write.
    ManagedRead,
    /// `Session::run` counting the label.
    AutoRead,
    /// `Driver::execute_query` (read) of an acknowledged write.
    QueryRead,
}

/// The mix: kind and weight.
const MIX: [(Kind, u64); 7] = [
    (Kind::ManagedWrite, 25),
    (Kind::ExplicitWrite, 13),
    (Kind::ExplicitRollback, 2),
    (Kind::AutoWrite, 15),
    (Kind::ManagedRead, 25),
    (Kind::AutoRead, 10),
    (Kind::QueryRead, 10),
];

impl Kind {
    /// Its name in the summary.
    pub fn name(self) -> &'static str {
        match self {
            Kind::ManagedWrite => "managed_write",
            Kind::ExplicitWrite => "explicit_write",
            Kind::ExplicitRollback => "explicit_rollback",
            Kind::AutoWrite => "autocommit_write",
            Kind::ManagedRead => "managed_read",
            Kind::AutoRead => "autocommit_read",
            Kind::QueryRead => "execute_query_read",
        }
    }

    fn is_explicit(self) -> bool {
        matches!(self, Kind::ExplicitWrite | Kind::ExplicitRollback)
    }

    fn is_write(self) -> bool {
        matches!(
            self,
            Kind::ManagedWrite | Kind::ExplicitWrite | Kind::ExplicitRollback | Kind::AutoWrite
        )
    }

    fn pick(rng: &mut Rng) -> Kind {
        let total: u64 = MIX.iter().map(|&(_, w)| w).sum();
        let mut x = rng.between(0, total - 1);
        for &(k, w) in &MIX {
            if x < w {
                return k;
            }
            x -= w;
        }
        Kind::ManagedRead
    }
}

/// What the driver answered to a write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// Success.
    Acknowledged,
    /// An error that guarantees nothing was committed.
    Failed,
    /// Rolled back on purpose.
    RolledBack,
    /// May or may not have committed.
    Unknown,
}

impl Answer {
    /// Its name in the summary.
    pub fn name(self) -> &'static str {
        match self {
            Answer::Acknowledged => "acknowledged",
            Answer::Failed => "failed",
            Answer::RolledBack => "rolled_back",
            Answer::Unknown => "unknown",
        }
    }
}

/// One write and the driver's answer.
pub struct Write {
    /// Its `op` property.
    pub op: i64,
    /// How many nodes it creates.
    pub n: i64,
    /// How it was run.
    pub kind: Kind,
    /// The driver's answer.
    pub answer: Answer,
    /// The error's class and message, if any.
    pub error: Option<String>,
    /// Start and end, ms since the workload began.
    pub start_ms: u64,
    /// See `start_ms`.
    pub end_ms: u64,
}

impl Write {
    /// One line of the write log.
    pub fn to_json(&self) -> Json {
        json!({
            "op": self.op, "n": self.n, "kind": self.kind.name(),
            "answer": self.answer.name(), "error": self.error,
            "start_ms": self.start_ms, "end_ms": self.end_ms,
        })
    }
}

/// Waits for connections and first answers. The driver does not say how
/// long a call waited for its connection; where its answer separates the
/// parts, that wait is bounded: an auto-commit query's first answer minus
/// the server's own time to it (`result_available_after`), and the time
/// to an [`Error::ConnectionAcquisitionTimeout`]. Either above the
/// acquisition timeout plus [`SLACK`] is a violation.
#[derive(Default)]
pub struct Acquisition {
    /// Explicit and auto-commit operations measured (no retries inside).
    pub samples: u64,
    /// The longest time from asking to the first answer (BEGIN
    /// confirmed, RUN answered, or an error), server time included.
    pub max: Duration,
    /// Which operation that was.
    pub max_what: String,
    /// The longest explicit BEGIN confirmed.
    pub begin_max: Duration,
    /// The longest auto-commit first answer less the server's time to it.
    pub client_max: Duration,
    /// Which operation that was.
    pub client_max_what: String,
    /// How many acquisitions timed out, and the longest time to that error.
    pub timeouts: u64,
    /// See `timeouts`.
    pub timeout_error_max: Duration,
    /// Waits past the acquisition timeout plus [`SLACK`].
    pub violations: u64,
    /// First answers that were errors (other than an acquisition
    /// timeout) after more than the acquisition timeout: each says which
    /// error after how long, to tell a long wait for a connection from a
    /// server that answered late.
    pub slow_errors: Vec<String>,
    /// The longest managed transaction or `execute_query` (retries included).
    pub managed_max: Duration,
    /// Most connections in use at one sample (every second).
    pub pool_max_in_use: u32,
    /// Most callers waiting for a connection at one sample.
    pub pool_max_waiting: u32,
}

/// Everything the workload saw.
#[derive(Default)]
pub struct Outcome {
    /// Every write, in order of `op`.
    pub writes: Vec<Write>,
    /// Per kind: (attempts, successes).
    pub ops: BTreeMap<Kind, (u64, u64)>,
    /// "kind: error class" -> count.
    pub errors: BTreeMap<String, u64>,
    /// Error class -> the first message seen.
    pub error_examples: BTreeMap<String, String>,
    /// Errors of `Session::close`, by class.
    pub close_errors: BTreeMap<String, u64>,
    /// Reads that did not see an acknowledged write whole.
    pub read_mismatches: Vec<String>,
    /// Operations that ran past [`OP_LIMIT`].
    pub hangs: Vec<String>,
    /// Tasks that had not ended long after the time was up.
    pub stuck_tasks: usize,
    /// Waits.
    pub acquisition: Acquisition,
    /// Capacity of the list of acknowledged writes the reads pick from.
    pub acked_capacity: usize,
}

impl Outcome {
    /// Per kind: attempts, successes, errors.
    pub fn ops_json(&self) -> Json {
        let mut m = serde_json::Map::new();
        for (k, &(n, ok)) in &self.ops {
            m.insert(
                k.name().into(),
                json!({"attempts": n, "ok": ok, "errors": n - ok}),
            );
        }
        Json::Object(m)
    }

    /// About how much memory the write log holds: the RSS grows by this
    /// much without the driver having anything to do with it.
    pub fn log_bytes(&self) -> usize {
        let strings: usize = self
            .writes
            .iter()
            .filter_map(|w| w.error.as_ref().map(String::capacity))
            .sum();
        self.writes.capacity() * std::mem::size_of::<Write>()
            + self.acked_capacity * std::mem::size_of::<(i64, i64)>()
            + strings
    }

    /// Writes by answer, in all and per kind.
    pub fn writes_json(&self) -> Json {
        let mut all: BTreeMap<&str, u64> = BTreeMap::new();
        let mut by_kind: BTreeMap<&str, BTreeMap<&str, u64>> = BTreeMap::new();
        for w in &self.writes {
            *all.entry(w.answer.name()).or_default() += 1;
            *by_kind
                .entry(w.kind.name())
                .or_default()
                .entry(w.answer.name())
                .or_default() += 1;
        }
        json!({"total": self.writes.len(), "by_answer": all, "by_kind": by_kind})
    }
}

/// The state the tasks share.
struct Shared {
    label: String,
    create: String,
    next_op: AtomicU64,
    acked: Mutex<Vec<(i64, i64)>>,
    out: Mutex<Outcome>,
    t0: Instant,
    deadline: Instant,
}

impl Shared {
    fn ms(&self, at: Instant) -> u64 {
        at.saturating_duration_since(self.t0).as_millis() as u64
    }

    fn secs(&self) -> f64 {
        (self.t0.elapsed().as_secs_f64() * 10.0).round() / 10.0
    }

    fn out(&self) -> std::sync::MutexGuard<'_, Outcome> {
        self.out.lock().expect("outcome")
    }

    /// Notes the time to the first answer of an explicit or auto-commit
    /// operation: `server` is the server's own time to it, if known.
    fn first_answer(
        &self,
        kind: Kind,
        took: Duration,
        server: Option<Duration>,
        err: Option<&Error>,
    ) {
        let at = self.secs();
        let mut o = self.out();
        let a = &mut o.acquisition;
        a.samples += 1;
        if took > a.max {
            a.max = took;
            a.max_what = format!("{} at {at} s", kind.name());
        }
        let limit = ACQUISITION_TIMEOUT + SLACK;
        match (err, server) {
            (Some(Error::ConnectionAcquisitionTimeout(_)), _) => {
                a.timeouts += 1;
                a.timeout_error_max = a.timeout_error_max.max(took);
                a.violations += u64::from(took > limit);
            }
            (None, Some(server)) => {
                let client = took.saturating_sub(server);
                if client > a.client_max {
                    a.client_max = client;
                    a.client_max_what = format!(
                        "{} at {at} s ({} ms, server {} ms)",
                        kind.name(),
                        took.as_millis(),
                        server.as_millis()
                    );
                }
                a.violations += u64::from(client > limit);
            }
            (None, None) if kind.is_explicit() => a.begin_max = a.begin_max.max(took),
            (Some(e), _) if took > ACQUISITION_TIMEOUT => a.slow_errors.push(format!(
                "{} at {at} s: {} after {} ms",
                kind.name(),
                class(e),
                took.as_millis()
            )),
            _ => {}
        }
    }

    fn managed_took(&self, took: Duration) {
        let mut o = self.out();
        o.acquisition.managed_max = o.acquisition.managed_max.max(took);
    }

    fn error(&self, kind: Kind, e: &Error) {
        let class = class(e);
        let mut o = self.out();
        *o.errors
            .entry(format!("{}: {class}", kind.name()))
            .or_default() += 1;
        o.error_examples
            .entry(class)
            .or_insert_with(|| e.to_string().chars().take(300).collect());
    }

    async fn close(&self, session: Session) {
        if let Err(e) = session.close().await {
            *self.out().close_errors.entry(class(&e)).or_default() += 1;
        }
    }
}

/// The error's variant, or the server's code.
pub fn class(e: &Error) -> String {
    match e {
        Error::Server { code, .. } => code.clone(),
        _ => {
            let debug = format!("{e:?}");
            debug
                .split(['(', ' ', '{'])
                .next()
                .unwrap_or("?")
                .to_owned()
        }
    }
}

/// A transaction's failure: unknown only when the commit's answer was lost.
fn tx_answer(e: &Error) -> Answer {
    match e {
        Error::IncompleteCommit(_) => Answer::Unknown,
        _ => Answer::Failed,
    }
}

/// An auto-commit query's failure: failed only when the server said so or
/// no connection was had.
fn autocommit_answer(e: &Error) -> Answer {
    match e {
        Error::Server { .. }
        | Error::Authentication { .. }
        | Error::ConnectionAcquisitionTimeout(_)
        | Error::DriverClosed
        | Error::Usage(_) => Answer::Failed,
        _ => Answer::Unknown,
    }
}

/// Runs the workload until `plan.duration` has passed and every task has
/// ended.
pub async fn run(driver: &Driver, plan: Plan) -> Outcome {
    let t0 = Instant::now();
    let shared = Arc::new(Shared {
        create: format!(
            "UNWIND range($from, $to) AS j CREATE (:{} {{op: $op, j: j}})",
            plan.label
        ),
        label: plan.label,
        next_op: AtomicU64::new(1),
        acked: Mutex::new(Vec::new()),
        out: Mutex::new(Outcome::default()),
        t0,
        deadline: t0 + plan.duration,
    });
    let stop = Arc::new(AtomicBool::new(false));
    let reporter = tokio::spawn(report(driver.clone(), shared.clone(), stop.clone()));
    let mut handles: Vec<_> = (0..plan.tasks)
        .map(|i| {
            let seed = plan.seed ^ ((i as u64 + 1) << 40);
            tokio::spawn(worker(seed, driver.clone(), shared.clone()))
        })
        .collect();
    let give_up =
        tokio::time::Instant::from_std(shared.deadline + OP_LIMIT + Duration::from_secs(30));
    let mut stuck = 0;
    for h in &mut handles {
        if tokio::time::timeout_at(give_up, &mut *h).await.is_err() {
            stuck += 1;
            h.abort();
            let _ = h.await;
        }
    }
    stop.store(true, Ordering::SeqCst);
    let _ = reporter.await;
    let mut out = std::mem::take(&mut *shared.out());
    out.stuck_tasks = stuck;
    out.acked_capacity = shared.acked.lock().expect("acked").capacity();
    out.writes.sort_by_key(|w| w.op);
    out
}

async fn report(driver: Driver, sh: Arc<Shared>, stop: Arc<AtomicBool>) {
    let mut next = Instant::now() + REPORT_EVERY;
    while !stop.load(Ordering::SeqCst) {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let (mut in_use, mut waiting, mut idle) = (0, 0, 0);
        for (_, m) in driver.pool_metrics() {
            in_use += m.in_use;
            waiting += m.waiting;
            idle += m.idle;
        }
        {
            let mut o = sh.out();
            o.acquisition.pool_max_in_use = o.acquisition.pool_max_in_use.max(in_use);
            o.acquisition.pool_max_waiting = o.acquisition.pool_max_waiting.max(waiting);
        }
        if Instant::now() >= next {
            next += REPORT_EVERY;
            let o = sh.out();
            let attempts: u64 = o.ops.values().map(|&(n, _)| n).sum();
            let ok: u64 = o.ops.values().map(|&(_, ok)| ok).sum();
            let count = |a: Answer| o.writes.iter().filter(|w| w.answer == a).count();
            println!(
                "soak: {:>6.1} s: {attempts} ops ({} errors), writes ack {} failed {} unknown {}; \
                 pool in use {in_use} idle {idle} waiting {waiting}; RSS {} KiB",
                sh.secs(),
                attempts - ok,
                count(Answer::Acknowledged),
                count(Answer::Failed),
                count(Answer::Unknown),
                crate::probe::rss_kb(),
            );
        }
    }
}

async fn worker(seed: u64, driver: Driver, sh: Arc<Shared>) {
    let mut rng = Rng::new(seed);
    tokio::time::sleep(Duration::from_millis(rng.between(0, 500))).await;
    while Instant::now() < sh.deadline {
        let kind = Kind::pick(&mut rng);
        let ok = if kind.is_write() {
            write(kind, &driver, &sh, &mut rng).await
        } else {
            read(kind, &driver, &sh, &mut rng).await
        };
        {
            let mut o = sh.out();
            let e = o.ops.entry(kind).or_default();
            e.0 += 1;
            e.1 += u64::from(ok);
        }
        // After an error, back off: a server that is down refuses at once.
        let pause = if ok {
            rng.between(30, 200)
        } else {
            rng.between(250, 1000)
        };
        tokio::time::sleep(Duration::from_millis(pause)).await;
    }
}

fn session(driver: &Driver) -> Session {
    driver.session(SessionConfig::new().with_database(DATABASE))
}

async fn write(kind: Kind, driver: &Driver, sh: &Shared, rng: &mut Rng) -> bool {
    let op = sh.next_op.fetch_add(1, Ordering::SeqCst) as i64;
    let n = rng.between(1, 3) as i64;
    let start = Instant::now();
    let result = tokio::time::timeout(OP_LIMIT, write_once(kind, driver, sh, op, n)).await;
    let end = Instant::now();
    let (answer, error) = match result {
        Ok((answer, e)) => {
            if let Some(e) = &e {
                sh.error(kind, e);
            }
            (answer, e.map(|e| format!("{}: {e}", class(&e))))
        }
        Err(_) => {
            let what = format!(
                "{} op {op} started at {:.1} s",
                kind.name(),
                start.duration_since(sh.t0).as_secs_f64()
            );
            sh.out().hangs.push(what);
            (Answer::Unknown, Some("hang".to_owned()))
        }
    };
    if answer == Answer::Acknowledged {
        sh.acked.lock().expect("acked").push((op, n));
    }
    let ok = matches!(answer, Answer::Acknowledged | Answer::RolledBack) && error.is_none();
    sh.out().writes.push(Write {
        op,
        n,
        kind,
        answer,
        error,
        start_ms: sh.ms(start),
        end_ms: sh.ms(end),
    });
    ok
}

async fn write_once(
    kind: Kind,
    driver: &Driver,
    sh: &Shared,
    op: i64,
    n: i64,
) -> (Answer, Option<Error>) {
    let mut s = session(driver);
    let answer = match kind {
        Kind::ManagedWrite => {
            let t = Instant::now();
            let q = sh.create.clone();
            let r = s
                .execute_write(|tx| {
                    let q = q.clone();
                    async move {
                        let p = params! {"op" => op, "from" => 1_i64, "to" => n};
                        tx.run(q, p).await?.consume().await.map(drop)
                    }
                })
                .await;
            sh.managed_took(t.elapsed());
            match r {
                Ok(()) => (Answer::Acknowledged, None),
                Err(e) => (tx_answer(&e), Some(e)),
            }
        }
        Kind::ExplicitWrite | Kind::ExplicitRollback => {
            let t = Instant::now();
            let begun = s.begin_transaction(TransactionConfig::new()).await;
            sh.first_answer(kind, t.elapsed(), None, begun.as_ref().err());
            match begun {
                Err(e) => (Answer::Failed, Some(e)),
                Ok(tx) => {
                    // Two queries: a transaction applies both or neither.
                    let ran = async {
                        let p = params! {"op" => op, "from" => 1_i64, "to" => 1_i64};
                        tx.run(sh.create.as_str(), p).await?.consume().await?;
                        if n > 1 {
                            let p = params! {"op" => op, "from" => 2_i64, "to" => n};
                            tx.run(sh.create.as_str(), p).await?.consume().await?;
                        }
                        Ok::<(), Error>(())
                    }
                    .await;
                    match ran {
                        Err(e) => {
                            let _ = tx.rollback().await;
                            (Answer::Failed, Some(e))
                        }
                        // Never committed, whatever the rollback says.
                        Ok(()) if kind == Kind::ExplicitRollback => {
                            (Answer::RolledBack, tx.rollback().await.err())
                        }
                        Ok(()) => match tx.commit().await {
                            Ok(()) => (Answer::Acknowledged, None),
                            Err(e) => (tx_answer(&e), Some(e)),
                        },
                    }
                }
            }
        }
        Kind::AutoWrite => {
            let t = Instant::now();
            let p = params! {"op" => op, "from" => 1_i64, "to" => n};
            let ran = s.run(sh.create.as_str(), p).await;
            let first = t.elapsed();
            let r = match ran {
                Ok(stream) => {
                    let summary = stream.consume().await;
                    if let Ok(summary) = &summary {
                        let server = summary.result_available_after();
                        sh.first_answer(kind, first, server, None);
                    }
                    summary.map(drop)
                }
                Err(e) => {
                    sh.first_answer(kind, first, None, Some(&e));
                    Err(e)
                }
            };
            match r {
                Ok(()) => (Answer::Acknowledged, None),
                Err(e) => (autocommit_answer(&e), Some(e)),
            }
        }
        _ => unreachable!("not a write: {kind:?}"),
    };
    sh.close(s).await;
    answer
}

async fn read(kind: Kind, driver: &Driver, sh: &Shared, rng: &mut Rng) -> bool {
    // An acknowledged write to read back, or none (then 0 nodes expected).
    let (op, n) = {
        let acked = sh.acked.lock().expect("acked");
        if acked.is_empty() {
            (-1, 0)
        } else {
            acked[rng.between(0, acked.len() as u64 - 1) as usize]
        }
    };
    let by_op = format!("MATCH (x:{} {{op: $op}}) RETURN count(x) AS c", sh.label);
    let start = Instant::now();
    let read = async {
        match kind {
            Kind::ManagedRead => {
                let mut s = session(driver);
                let r = s
                    .execute_read(|tx| {
                        let q = by_op.clone();
                        async move {
                            tx.run(q, params! {"op" => op})
                                .await?
                                .single()
                                .await?
                                .get::<i64>("c")
                        }
                    })
                    .await;
                sh.managed_took(start.elapsed());
                sh.close(s).await;
                r.map(Some)
            }
            Kind::QueryRead => {
                let r = driver
                    .execute_query(by_op.as_str())
                    .param("op", op)
                    .database(DATABASE)
                    .routing(RoutingControl::Read)
                    .run()
                    .await;
                sh.managed_took(start.elapsed());
                match r {
                    Ok(eager) => match eager.records.first() {
                        Some(rec) => rec.get::<i64>("c").map(Some),
                        None => Err(Error::ResultNotSingle("no record".into())),
                    },
                    Err(e) => Err(e),
                }
            }
            Kind::AutoRead => {
                let mut s = session(driver);
                let q = format!("MATCH (x:{}) RETURN count(x) AS c", sh.label);
                let r = {
                    let ran = s.run(q, params! {}).await;
                    let first = start.elapsed();
                    match ran {
                        Ok(mut stream) => {
                            let count = match stream.next().await {
                                Some(rec) => rec.and_then(|r| r.get::<i64>("c")),
                                None => Err(Error::ResultNotSingle("no record".into())),
                            };
                            let summary = stream.consume().await;
                            if let Ok(summary) = &summary {
                                let server = summary.result_available_after();
                                sh.first_answer(kind, first, server, None);
                            }
                            // A failed stream's consume() says only that it
                            // was consumed: the failure is next()'s.
                            count.and(summary).map(|_| None)
                        }
                        Err(e) => {
                            sh.first_answer(kind, first, None, Some(&e));
                            Err(e)
                        }
                    }
                };
                sh.close(s).await;
                r
            }
            _ => unreachable!("not a read: {kind:?}"),
        }
    };
    match tokio::time::timeout(OP_LIMIT, read).await {
        Ok(Ok(Some(c))) if c != n => {
            let what = format!(
                "{} of op {op}: {c} nodes, acknowledged {n}, at {} s",
                kind.name(),
                sh.secs()
            );
            sh.out().read_mismatches.push(what);
            false
        }
        Ok(Ok(_)) => true,
        Ok(Err(e)) => {
            sh.error(kind, &e);
            false
        }
        Err(_) => {
            let what = format!(
                "{} started at {:.1} s",
                kind.name(),
                start.duration_since(sh.t0).as_secs_f64()
            );
            sh.out().hangs.push(what);
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_lost_commit_leaves_a_transaction_unknown() {
        assert_eq!(
            tx_answer(&Error::IncompleteCommit("lost".into())),
            Answer::Unknown
        );
        assert_eq!(
            tx_answer(&Error::ServiceUnavailable("refused".into())),
            Answer::Failed
        );
        let transient = Error::from_server_failure(
            "Neo.TransientError.General.DatabaseUnavailable",
            "starting",
            None,
        );
        assert_eq!(tx_answer(&transient), Answer::Failed);
    }

    #[test]
    fn a_lost_connection_leaves_an_autocommit_write_unknown() {
        assert_eq!(
            autocommit_answer(&Error::ServiceUnavailable("reset".into())),
            Answer::Unknown
        );
        let refused =
            Error::from_server_failure("Neo.ClientError.Statement.SyntaxError", "no", None);
        assert_eq!(autocommit_answer(&refused), Answer::Failed);
        assert_eq!(
            autocommit_answer(&Error::ConnectionAcquisitionTimeout(Duration::from_secs(1))),
            Answer::Failed
        );
    }

    #[test]
    fn the_mix_picks_every_kind() {
        let mut rng = Rng::new(7);
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..10_000 {
            seen.insert(Kind::pick(&mut rng));
        }
        assert_eq!(seen.len(), MIX.len());
    }
}
