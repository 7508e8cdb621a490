//! Round-trip counters, per connection and for the whole server, and their
//! JSON form (written to the stats file).
//!
//! Owns only counting; what counts as a batch is decided in
//! [`conn`](crate::conn).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bolt_proto::message::Request;

/// Counters of one connection, merged into [`Stats`] when it closes.
#[derive(Debug, Default, Clone)]
pub struct ConnStats {
    /// Socket reads carrying answered requests (round trips), setup excluded.
    pub batches: u64,
    /// Requests in those batches.
    pub batched_requests: u64,
    /// Batches holding HELLO/LOGON/INIT.
    pub setup_batches: u64,
    /// Requests by message name.
    pub by_kind: BTreeMap<&'static str, u64>,
}

impl ConnStats {
    /// Counts one request by its kind.
    pub fn count(&mut self, req: &Request) {
        *self.by_kind.entry(req.kind().name()).or_default() += 1;
    }
}

/// How long after a connection closes the totals are written: closes
/// within it share one write. A write per close (a file written and
/// renamed, on the server's one thread, pinned to the client's CPU in
/// `--pin same` runs) made a connect cost twice what it does.
const WRITE_DELAY: Duration = Duration::from_millis(20);

/// Server-wide totals, written to `file` shortly after connections close.
#[derive(Debug, Default)]
pub struct Stats {
    inner: Mutex<Totals>,
    file: Option<PathBuf>,
    /// A write is scheduled.
    write_due: AtomicBool,
}

#[derive(Debug, Default)]
struct Totals {
    opened: u64,
    closed: u64,
    all: ConnStats,
}

impl Stats {
    /// Totals written to `file` (if any).
    pub fn new(file: Option<PathBuf>) -> Self {
        Stats {
            inner: Mutex::default(),
            file,
            write_due: AtomicBool::new(false),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Totals> {
        match self.inner.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    /// A connection was accepted.
    pub fn opened(&self) {
        self.lock().opened += 1;
    }

    /// A connection closed with these counters; the totals reach the file
    /// [`WRITE_DELAY`] later (with whatever closed meanwhile).
    pub fn merge(self: &Arc<Self>, c: &ConnStats) {
        {
            let mut t = self.lock();
            t.closed += 1;
            t.all.batches += c.batches;
            t.all.batched_requests += c.batched_requests;
            t.all.setup_batches += c.setup_batches;
            for (k, v) in &c.by_kind {
                *t.all.by_kind.entry(k).or_default() += v;
            }
        }
        if self.file.is_none() || self.write_due.swap(true, Ordering::AcqRel) {
            return;
        }
        let this = Arc::clone(self);
        tokio::spawn(async move {
            tokio::time::sleep(WRITE_DELAY).await;
            // Cleared before the totals are read: a close after this point
            // schedules a write of its own.
            this.write_due.store(false, Ordering::Release);
            this.write();
        });
    }

    fn write(&self) {
        let json = to_json(&self.lock());
        if let Some(file) = &self.file {
            let tmp = file.with_extension("tmp");
            if std::fs::write(&tmp, json.to_string()).is_ok() {
                let _ = std::fs::rename(&tmp, file);
            }
        }
    }
}

fn to_json(t: &Totals) -> serde_json::Value {
    let kinds: serde_json::Map<String, serde_json::Value> = t
        .all
        .by_kind
        .iter()
        .map(|(k, v)| (k.to_string(), (*v).into()))
        .collect();
    serde_json::json!({
        "connections_opened": t.opened,
        "connections_closed": t.closed,
        "round_trips": t.all.batches,
        "requests_in_round_trips": t.all.batched_requests,
        "setup_round_trips": t.all.setup_batches,
        "requests": kinds,
    })
}
