//! The checks after the workload: the database read back with a fresh
//! driver and compared with each write's answer.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};

use neo4j::{params, Driver, Error, SessionConfig};
use serde_json::{json, Value as Json};

use crate::workload::{Answer, Outcome, Write};
use crate::DATABASE;

/// How long the server gets to come back for the checks.
const SERVER_WAIT: Duration = Duration::from_secs(300);
/// Examples kept per kind of finding.
const EXAMPLES: usize = 10;

/// The checks' result.
pub struct Verdict {
    /// No acknowledged write missing, no duplicate, no failed write
    /// present, no partial write, no node of an unknown write.
    pub ok: bool,
    /// The figures and examples.
    pub json: Json,
}

/// (op -> every `j` found) for the label.
async fn read_all(driver: &Driver, label: &str) -> Result<HashMap<i64, Vec<i64>>, Error> {
    let mut session = driver.session(
        SessionConfig::new()
            .with_database(DATABASE)
            .with_fetch_size(10_000),
    );
    let mut found: HashMap<i64, Vec<i64>> = HashMap::new();
    let read = async {
        let q = format!("MATCH (x:{label}) RETURN x.op AS op, x.j AS j");
        let mut stream = session.run(q, params! {}).await?;
        while let Some(rec) = stream.next().await {
            let rec = rec?;
            found
                .entry(rec.get::<i64>("op")?)
                .or_default()
                .push(rec.get::<i64>("j")?);
        }
        Ok::<(), Error>(())
    }
    .await;
    let _ = session.close().await;
    read.map(|()| found)
}

/// Waits for the server, reads the label back and checks every write.
pub async fn run(driver: &Driver, label: &str, outcome: &Outcome) -> Result<Verdict, String> {
    let t0 = Instant::now();
    while let Err(e) = driver.verify_connectivity().await {
        if t0.elapsed() > SERVER_WAIT {
            return Err(format!("the server did not come back for the checks: {e}"));
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let mut found = None;
    for attempt in 1..=5 {
        match read_all(driver, label).await {
            Ok(f) => {
                found = Some(f);
                break;
            }
            Err(e) if attempt < 5 => {
                println!("soak: reading the nodes back failed ({e}); again");
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
            Err(e) => return Err(format!("reading the nodes back: {e}")),
        }
    }
    let found = found.unwrap_or_default();
    Ok(check(&found, outcome))
}

fn check(found: &HashMap<i64, Vec<i64>>, outcome: &Outcome) -> Verdict {
    let mut lost = Vec::new();
    let mut duplicates = Vec::new();
    let mut failed_present = Vec::new();
    let mut partial = Vec::new();
    let mut unknown: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    let mut acknowledged = 0u64;
    let example = |w: &Write, js: &[i64]| {
        let mut j = w.to_json();
        j["found_j"] = json!(js);
        j
    };
    for w in &outcome.writes {
        let js = found.get(&w.op).map(Vec::as_slice).unwrap_or(&[]);
        let mut distinct = js.to_vec();
        distinct.sort_unstable();
        distinct.dedup();
        let whole = distinct.iter().copied().eq(1..=w.n);
        if distinct.len() < js.len() {
            duplicates.push(example(w, js));
        }
        if !js.is_empty() && !whole {
            partial.push(example(w, js));
        }
        match w.answer {
            Answer::Acknowledged => {
                acknowledged += 1;
                if !whole {
                    lost.push(example(w, js));
                }
            }
            Answer::Failed | Answer::RolledBack => {
                if !js.is_empty() {
                    failed_present.push(example(w, js));
                }
            }
            Answer::Unknown => {
                let e = unknown.entry(w.kind.name()).or_default();
                if whole {
                    e.0 += 1;
                } else if js.is_empty() {
                    e.1 += 1;
                }
            }
        }
    }
    let issued: HashSet<i64> = outcome.writes.iter().map(|w| w.op).collect();
    let strays: Vec<i64> = found
        .keys()
        .filter(|op| !issued.contains(op))
        .copied()
        .collect();
    let ok = lost.is_empty()
        && duplicates.is_empty()
        && failed_present.is_empty()
        && partial.is_empty()
        && strays.is_empty();
    let list = |v: &[Json]| json!({"count": v.len(), "examples": &v[..v.len().min(EXAMPLES)]});
    let committed: u64 = unknown.values().map(|&(c, _)| c).sum();
    let absent: u64 = unknown.values().map(|&(_, a)| a).sum();
    let by_kind: BTreeMap<&str, Json> = unknown
        .iter()
        .map(|(k, &(c, a))| (*k, json!({"committed": c, "not_committed": a})))
        .collect();
    let json = json!({
        "nodes": found.values().map(Vec::len).sum::<usize>(),
        "writes_present": found.len(),
        "acknowledged_checked": acknowledged,
        "lost_acknowledged": list(&lost),
        "duplicates": list(&duplicates),
        "failed_but_present": list(&failed_present),
        "partial": list(&partial),
        "strays": strays.len(),
        "unknown": {"committed": committed, "not_committed": absent, "by_kind": by_kind},
        "ok": ok,
    });
    Verdict { ok, json }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::Kind;

    fn write(op: i64, n: i64, answer: Answer) -> Write {
        Write {
            op,
            n,
            kind: Kind::ManagedWrite,
            answer,
            error: None,
            start_ms: 0,
            end_ms: 0,
        }
    }

    fn count(v: &Verdict, key: &str) -> u64 {
        v.json[key]["count"].as_u64().expect(key)
    }

    #[test]
    fn every_kind_of_finding_is_caught() {
        let outcome = Outcome {
            writes: vec![
                write(1, 2, Answer::Acknowledged), // fine
                write(2, 2, Answer::Acknowledged), // lost: nothing there
                write(3, 1, Answer::Acknowledged), // applied twice
                write(4, 1, Answer::Failed),       // failed but present
                write(5, 3, Answer::Unknown),      // half applied
                write(6, 2, Answer::Unknown),      // committed
                write(7, 2, Answer::Unknown),      // not committed
                write(8, 1, Answer::RolledBack),   // fine
            ],
            ..Outcome::default()
        };
        let found: HashMap<i64, Vec<i64>> = [
            (1, vec![2, 1]),
            (3, vec![1, 1]),
            (4, vec![1]),
            (5, vec![1, 3]),
            (6, vec![1, 2]),
            (99, vec![1]),
        ]
        .into_iter()
        .collect();
        let v = check(&found, &outcome);
        assert!(!v.ok);
        // 3 is whole, twice over: a duplicate only.
        assert_eq!(count(&v, "lost_acknowledged"), 1, "{}", v.json);
        assert_eq!(count(&v, "duplicates"), 1);
        assert_eq!(count(&v, "failed_but_present"), 1);
        assert_eq!(count(&v, "partial"), 1);
        assert_eq!(v.json["strays"], 1);
        assert_eq!(v.json["unknown"]["committed"], 1);
        assert_eq!(v.json["unknown"]["not_committed"], 1);
        assert_eq!(v.json["acknowledged_checked"], 3);
    }

    #[test]
    fn a_clean_run_passes() {
        let outcome = Outcome {
            writes: vec![
                write(1, 3, Answer::Acknowledged),
                write(2, 1, Answer::Failed),
                write(3, 1, Answer::Unknown),
            ],
            ..Outcome::default()
        };
        let found: HashMap<i64, Vec<i64>> =
            [(1, vec![3, 1, 2]), (3, vec![1])].into_iter().collect();
        let v = check(&found, &outcome);
        assert!(v.ok, "{}", v.json);
        assert_eq!(v.json["unknown"]["committed"], 1);
    }
}
