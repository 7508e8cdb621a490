//! The bench workloads' results, recognised by query text and pre-encoded.
//!
//! Owns the mapping from a query to the rows it returns. Large streams
//! (`UNWIND range(1, N) ...`) are encoded once per size as chunked RECORD
//! messages, so a PULL is answered with one memory copy. Knows nothing
//! about sockets or the Bolt state machine.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use bolt_proto::framing::ChunkEncoder;
use bolt_proto::message::encode_record;
use bytes::BytesMut;
use packstream::{Map, Value};

/// The result of one RUN.
#[derive(Debug, Clone)]
pub enum Rows {
    /// No records.
    Empty,
    /// Records stored pre-encoded.
    Stream(Arc<Encoded>),
    /// One record of one value.
    One(Value),
}

/// Chunked RECORD messages laid end to end, with each record's offset.
#[derive(Debug)]
pub struct Encoded {
    /// The chunked messages.
    pub bytes: Vec<u8>,
    /// `offsets[k]` is where record `k` starts; one extra entry at the end.
    pub offsets: Vec<usize>,
}

impl Encoded {
    /// The number of records.
    pub fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    /// The bytes of records `from..to`.
    pub fn slice(&self, from: usize, to: usize) -> &[u8] {
        &self.bytes[self.offsets[from]..self.offsets[to]]
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum StreamKind {
    Ints,
    Maps,
}

/// What a RUN returns: its field names and rows.
pub fn result_of(query: &str, params: &Map) -> (Vec<&'static str>, Rows) {
    let q = query.trim();
    if let Some(n) = range_size(q) {
        let kind = if q.contains("AS m") {
            StreamKind::Maps
        } else {
            StreamKind::Ints
        };
        let field = if kind == StreamKind::Maps { "m" } else { "x" };
        return (vec![field], Rows::Stream(stream(kind, n)));
    }
    if q == "RETURN 1" {
        return (vec!["1"], Rows::One(Value::Integer(1)));
    }
    if q == "RETURN $i" {
        let v = params.get("i").cloned().unwrap_or(Value::Null);
        return (vec!["$i"], Rows::One(v));
    }
    if let Some(rest) = q.strip_prefix("RETURN ") {
        // e.g. a driver's own connectivity probe ("RETURN 1 AS x").
        if let Some(name) = rest.split(" AS ").nth(1) {
            let name: &'static str = if name.trim() == "x" { "x" } else { "value" };
            return (vec![name], Rows::One(Value::Integer(1)));
        }
    }
    (Vec::new(), Rows::Empty)
}

/// `N` from `... range(1, N) ...`.
fn range_size(q: &str) -> Option<usize> {
    let start = q.find("range(1, ")? + "range(1, ".len();
    let end = start + q[start..].find(')')?;
    q[start..end].trim().parse().ok()
}

/// Encoded streams by kind and size, shared by every connection.
type Cache = Mutex<HashMap<(StreamKind, usize), Arc<Encoded>>>;

fn stream(kind: StreamKind, n: usize) -> Arc<Encoded> {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let mut guard = match cache.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    };
    guard
        .entry((kind, n))
        .or_insert_with(|| Arc::new(encode_stream(kind, n)))
        .clone()
}

fn encode_stream(kind: StreamKind, n: usize) -> Encoded {
    let enc = ChunkEncoder::new();
    let mut out = BytesMut::with_capacity(n * if kind == StreamKind::Ints { 10 } else { 70 });
    let mut offsets = Vec::with_capacity(n + 1);
    let mut body = Vec::with_capacity(128);
    for i in 1..=n as i64 {
        offsets.push(out.len());
        body.clear();
        let value = match kind {
            StreamKind::Ints => Value::Integer(i),
            StreamKind::Maps => {
                let mut m = Map::new();
                m.insert("id", i);
                m.insert("name", format!("name-{i}"));
                m.insert("score", i as f64 * 0.5);
                m.insert("tags", vec!["a", "b"]);
                m.insert("active", i % 2 == 0);
                Value::Map(m)
            }
        };
        // Encoding our own in-memory values cannot fail.
        if encode_record(&[value], &mut body).is_ok() {
            let _ = enc.write_body(&mut out, &body);
        }
    }
    offsets.push(out.len());
    Encoded {
        bytes: out.to_vec(),
        offsets,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_the_workloads() {
        let p = Map::new();
        let (f, rows) = result_of("UNWIND range(1, 5) AS x RETURN x", &p);
        assert_eq!(f, ["x"]);
        let Rows::Stream(s) = rows else { panic!() };
        assert_eq!(s.len(), 5);
        assert_eq!(s.slice(0, 1), [0, 4, 0xB1, 0x71, 0x91, 0x01, 0, 0]);
        let (f, rows) = result_of(
            "UNWIND range(1, 3) AS i RETURN {id: i, name: 'name-' + toString(i)} AS m",
            &p,
        );
        assert_eq!(f, ["m"]);
        assert!(matches!(rows, Rows::Stream(s) if s.len() == 3));
        let mut p = Map::new();
        p.insert("i", 7);
        assert!(matches!(
            result_of("RETURN $i", &p).1,
            Rows::One(Value::Integer(7))
        ));
        assert!(matches!(
            result_of("CREATE (:Bench {i: $i})", &p).1,
            Rows::Empty
        ));
    }
}
