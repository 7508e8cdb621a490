//! Round-trip counters, per connection and for the whole server, and their
//! JSON form (written to the stats file).
//!
//! Owns only counting; what counts as a batch is decided in
//! [`conn`](crate::conn).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;

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

/// Server-wide totals, written to `file` after every closed connection.
#[derive(Debug, Default)]
pub struct Stats {
    inner: Mutex<Totals>,
    file: Option<PathBuf>,
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

    /// A connection closed with these counters.
    pub fn merge(&self, c: &ConnStats) {
        let json = {
            let mut t = self.lock();
            t.closed += 1;
            t.all.batches += c.batches;
            t.all.batched_requests += c.batched_requests;
            t.all.setup_batches += c.setup_batches;
            for (k, v) in &c.by_kind {
                *t.all.by_kind.entry(k).or_default() += v;
            }
            to_json(&t)
        };
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
