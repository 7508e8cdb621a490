//! Between [`Value`] and PackStream bytes, for the negotiated Bolt version.
//!
//! Owns the hot path the session uses for every RECORD
//! ([`decode_record_fields`]: bytes straight into [`Value`]s, no
//! intermediate tree, strings copied once) and the encoding of parameters
//! ([`encode_value`]). Structure shapes follow [`StructCtx`]: element ids
//! from 5.0, UTC date-times from 5.0 or with the 4.4 `utc` patch. Never
//! panics on input; every malformed byte is an [`Error::Protocol`].

use std::sync::Arc;

use bolt_proto::structure::{tag, StructCtx};
use bolt_proto::Version;
use packstream::{encode as enc, Decoder};

use super::graph::{NodeData, PathData, RelationshipData};
use super::map::Key;
use super::temporal::{is_utc_zone, MAX_OFFSET, NANOS_PER_DAY, NANOS_PER_SEC};
use super::*;

/// How deep lists, maps and structures may nest in received values.
const MAX_DEPTH: usize = 64;

#[cold]
fn proto(e: packstream::Error) -> Error {
    Error::Protocol(format!("malformed value: {e}"))
}

/// The error for a byte that starts no value (end of input or a reserved
/// marker).
#[cold]
fn fail(d: &Decoder<'_>) -> Error {
    match d.peek_kind() {
        Err(e) => proto(e),
        Ok(k) => Error::Protocol(format!("malformed value: unexpected {k}")),
    }
}

/// `raw` as text; `end` is the decoder's position just after it.
#[inline]
fn utf8(raw: &[u8], end: usize) -> Result<&str, Error> {
    std::str::from_utf8(raw).map_err(|_| {
        proto(packstream::Error::InvalidUtf8 {
            offset: end - raw.len(),
        })
    })
}

#[cold]
fn bad(structure: &str, what: impl std::fmt::Display) -> Error {
    Error::Protocol(format!("malformed {structure} structure: {what}"))
}

/// Decodes the fields of a RECORD: `fields` is the RECORD's single field,
/// the encoded list, with nothing after it.
///
/// # Errors
/// [`Error::Protocol`] for malformed bytes, unknown structure tags,
/// structures of the wrong shape for `ctx`, or trailing bytes.
pub(crate) fn decode_record_fields(fields: &[u8], ctx: StructCtx) -> Result<Vec<Value>, Error> {
    let mut r = Reader::new(fields, ctx);
    let n = r.d.read_list_header().map_err(proto)?;
    let out = r.values(n, 1)?;
    r.d.finish().map_err(proto)?;
    Ok(out)
}

/// Decodes the `n` values of a RECORD (`raw`: its encoded values after the
/// list header, as `RecordView::raw` gives them).
///
/// # Errors
/// As [`decode_record_fields`].
pub(crate) fn decode_record_values(
    raw: &[u8],
    n: usize,
    ctx: StructCtx,
    keys: &mut KeyCache,
) -> Result<Vec<Value>, Error> {
    let mut r = Reader::new(raw, ctx);
    r.cache = Some(keys);
    let out = r.values(n, 1)?;
    r.d.finish().map_err(proto)?;
    Ok(out)
}

/// Decodes the values of a one-value RECORD (`raw` as for
/// [`decode_record_values`]) without a `Vec`.
///
/// # Errors
/// As [`decode_record_fields`].
#[inline]
pub(crate) fn decode_record_one(
    raw: &[u8],
    ctx: StructCtx,
    keys: &mut KeyCache,
) -> Result<Value, Error> {
    // Fast path: a record of one scalar, matched with its exact length
    // (so nothing trails it), as the general path would decode it.
    Ok(match *raw {
        [m @ (0x00..=0x7F | 0xF0..=0xFF)] => Value::Integer(i64::from(m as i8)),
        [0xC8, a] => Value::Integer(i64::from(a as i8)),
        [0xC9, a, b] => Value::Integer(i64::from(i16::from_be_bytes([a, b]))),
        [0xCA, a, b, c, d] => Value::Integer(i64::from(i32::from_be_bytes([a, b, c, d]))),
        [0xCB, a, b, c, d, e, f, g, h] => {
            Value::Integer(i64::from_be_bytes([a, b, c, d, e, f, g, h]))
        }
        [0xC1, a, b, c, d, e, f, g, h] => {
            Value::Float(f64::from_be_bytes([a, b, c, d, e, f, g, h]))
        }
        [0xC0] => Value::Null,
        [0xC2] => Value::Boolean(false),
        [0xC3] => Value::Boolean(true),
        _ => return decode_one_value(raw, ctx, keys),
    })
}

/// [`decode_record_one`] for any value.
#[inline(never)]
fn decode_one_value(raw: &[u8], ctx: StructCtx, keys: &mut KeyCache) -> Result<Value, Error> {
    let mut r = Reader::new(raw, ctx);
    r.cache = Some(keys);
    let out = r.value(0)?;
    r.d.finish().map_err(proto)?;
    Ok(out)
}

/// The map keys of the last record a stream decoded, in the order they were
/// read. The records of one result almost always repeat them (property
/// names, map literals), so a key whose bytes equal the cached key at the
/// same position is copied from here: no UTF-8 check, no new string. Keys
/// that differ replace the cached ones; at most [`KeyCache::MAX`] are kept.
#[derive(Debug, Default)]
pub(crate) struct KeyCache {
    keys: Vec<Key>,
}

impl KeyCache {
    /// Keys kept per stream (the first ones read in a record).
    const MAX: usize = 64;
}

/// Converts a value that arrived in metadata (e.g. a SUCCESS field).
///
/// # Errors
/// As [`decode_record_fields`].
pub(crate) fn value_from_bolt(v: packstream::Value, ctx: StructCtx) -> Result<Value, Error> {
    // Rare path: re-encode and use the one decoder, so both paths agree.
    let bytes = v.to_bytes().map_err(proto)?;
    let mut r = Reader::new(&bytes, ctx);
    let out = r.value(0)?;
    r.d.finish().map_err(proto)?;
    Ok(out)
}

/// Writes `v` as PackStream for `ctx`.
///
/// # Errors
/// [`Error::Conversion`] for a graph value (they cannot be parameters), a
/// temporal or spatial value before Bolt 2, a zoned date-time in the other
/// wire form, or an oversize value.
pub(crate) fn encode_value(buf: &mut Vec<u8>, v: &Value, ctx: StructCtx) -> Result<(), Error> {
    encode_nested(buf, v, ctx, 0)
}

/// How deep lists and maps may nest in a value sent to the server. The
/// encoder recurses once per level (about 3.4 KB of stack a level in a
/// debug build, measured: 600 levels overflowed a 2 MiB tokio worker
/// stack, which aborts the process): the bound keeps a user's value from
/// doing that, and stays above real documents and the 64 levels the
/// driver reads back.
pub(crate) const MAX_SEND_DEPTH: usize = 100;

/// [`encode_value`] of a value `depth` lists or maps deep.
fn encode_nested(buf: &mut Vec<u8>, v: &Value, ctx: StructCtx, depth: usize) -> Result<(), Error> {
    if depth >= MAX_SEND_DEPTH && matches!(v, Value::List(_) | Value::Map(_)) {
        return Err(Error::conversion(format!(
            "lists and maps nested more than {MAX_SEND_DEPTH} deep cannot be sent"
        )));
    }
    let too_large = |e: packstream::Error| Error::conversion(e.to_string());
    match v {
        Value::Null => enc::write_null(buf),
        Value::Boolean(b) => enc::write_bool(buf, *b),
        Value::Integer(i) => enc::write_int(buf, *i),
        Value::Float(f) => enc::write_float(buf, *f),
        Value::Bytes(b) => enc::write_bytes(buf, b).map_err(too_large)?,
        Value::String(s) => enc::write_string(buf, s).map_err(too_large)?,
        Value::List(l) => {
            enc::write_list_header(buf, l.len()).map_err(too_large)?;
            for (i, x) in l.iter().enumerate() {
                encode_nested(buf, x, ctx, depth + 1).map_err(|e| match e {
                    Error::Conversion { key, message } => Error::Conversion {
                        key,
                        message: format!("list element {i}: {message}"),
                    },
                    e => e,
                })?;
            }
        }
        Value::Map(m) => encode_map_nested(buf, m, ctx, depth + 1)?,
        Value::Node(_) | Value::Relationship(_) | Value::Path(_) => {
            return Err(Error::conversion(format!(
                "a {} cannot be sent as a parameter; send its element id or properties",
                v.type_name()
            )))
        }
        _ => encode_struct(buf, v, ctx)?,
    }
    Ok(())
}

/// Writes a map; errors name the failing key.
pub(crate) fn encode_map(buf: &mut Vec<u8>, m: &ValueMap, ctx: StructCtx) -> Result<(), Error> {
    encode_map_nested(buf, m, ctx, 0)
}

/// [`encode_map`] of a map `depth` lists or maps deep.
fn encode_map_nested(
    buf: &mut Vec<u8>,
    m: &ValueMap,
    ctx: StructCtx,
    depth: usize,
) -> Result<(), Error> {
    enc::write_map_header(buf, m.len()).map_err(|e| Error::conversion(e.to_string()))?;
    for (k, x) in m {
        enc::write_string(buf, k).map_err(|e| Error::conversion(e.to_string()))?;
        encode_nested(buf, x, ctx, depth).map_err(|e| e.with_key(k))?;
    }
    Ok(())
}

fn encode_struct(buf: &mut Vec<u8>, v: &Value, ctx: StructCtx) -> Result<(), Error> {
    if ctx.version < Version::V2 {
        return Err(Error::conversion(format!(
            "a {} cannot be sent in Bolt {}: temporal and spatial types need Bolt 2",
            v.type_name(),
            ctx.version
        )));
    }
    let header = |buf: &mut Vec<u8>, t: u8, n: usize| {
        buf.push(0xB0 | n as u8);
        buf.push(t);
    };
    match v {
        Value::Date(d) => {
            header(buf, tag::DATE, 1);
            enc::write_int(buf, d.days_since_epoch());
        }
        Value::Time(t) => {
            header(buf, tag::TIME, 2);
            enc::write_int(buf, t.time().nanos_of_day());
            enc::write_int(buf, i64::from(t.offset_seconds()));
        }
        Value::LocalTime(t) => {
            header(buf, tag::LOCAL_TIME, 1);
            enc::write_int(buf, t.nanos_of_day());
        }
        Value::LocalDateTime(t) => {
            header(buf, tag::LOCAL_DATE_TIME, 2);
            enc::write_int(buf, t.seconds_since_epoch());
            enc::write_int(buf, i64::from(t.nanosecond()));
        }
        Value::DateTime(t) => {
            let off = i64::from(t.offset_seconds());
            if ctx.utc() {
                header(buf, tag::DATE_TIME, 3);
                enc::write_int(buf, t.timestamp());
            } else {
                let local = t.timestamp().checked_add(off).ok_or_else(|| {
                    Error::conversion("DateTime seconds overflow when applying the offset")
                })?;
                header(buf, tag::LEGACY_DATE_TIME, 3);
                enc::write_int(buf, local);
            }
            enc::write_int(buf, i64::from(t.nanosecond()));
            enc::write_int(buf, off);
        }
        Value::DateTimeZoneId(z) => {
            // The server's form: the UTC instant (Bolt 5+, 4.4 patched) or
            // the wall clock; a value made with its offset has both.
            let (t, seconds) = if ctx.utc() {
                (tag::DATE_TIME_ZONE_ID, z.timestamp())
            } else {
                (
                    tag::LEGACY_DATE_TIME_ZONE_ID,
                    z.local().map(|l| l.seconds_since_epoch()),
                )
            };
            let Some(seconds) = seconds else {
                return Err(Error::conversion(format!(
                    "{z}: this server (Bolt {}) needs the {} time, which needs a time-zone database to compute \
                     (make the value with DateTimeZoneId::new and the zone's offset)",
                    ctx.version,
                    if ctx.utc() { "UTC" } else { "wall-clock" }
                )));
            };
            header(buf, t, 3);
            enc::write_int(buf, seconds);
            enc::write_int(buf, i64::from(z.nanos));
            enc::write_string(buf, &z.zone_id).map_err(|e| Error::conversion(e.to_string()))?;
        }
        Value::Duration(d) => {
            header(buf, tag::DURATION, 4);
            enc::write_int(buf, d.months());
            enc::write_int(buf, d.days());
            enc::write_int(buf, d.seconds());
            enc::write_int(buf, d.nanoseconds());
        }
        Value::Point2D(p) => {
            header(buf, tag::POINT_2D, 3);
            enc::write_int(buf, p.srid);
            enc::write_float(buf, p.x);
            enc::write_float(buf, p.y);
        }
        Value::Point3D(p) => {
            header(buf, tag::POINT_3D, 4);
            enc::write_int(buf, p.srid);
            enc::write_float(buf, p.x);
            enc::write_float(buf, p.y);
            enc::write_float(buf, p.z);
        }
        _ => unreachable!("encode_value handles every other variant"),
    }
    Ok(())
}

struct Reader<'a, 'c> {
    d: Decoder<'a>,
    ctx: StructCtx,
    /// Elements that may still be pre-allocated (bounded by the input
    /// length, so lying nested headers cannot multiply allocations).
    budget: usize,
    /// The stream's key cache, if any, and the position of the next key.
    cache: Option<&'c mut KeyCache>,
    key_index: usize,
}

impl<'a> Reader<'a, '_> {
    fn new(input: &'a [u8], ctx: StructCtx) -> Self {
        Reader {
            d: Decoder::new(input),
            ctx,
            budget: input.len(),
            cache: None,
            key_index: 0,
        }
    }

    /// Reads a map key, from the cache when the bytes match.
    #[inline]
    fn key(&mut self) -> Result<Key, Error> {
        let raw = self.d.read_str_bytes().map_err(proto)?;
        let Some(cache) = self.cache.as_deref_mut() else {
            return Ok(Key::new(utf8(raw, self.d.position())?));
        };
        let i = self.key_index;
        self.key_index += 1;
        if let Some(k) = cache.keys.get(i) {
            if k.as_bytes() == raw {
                return Ok(k.clone());
            }
        }
        let k = Key::new(utf8(raw, self.d.position())?);
        if let Some(old) = cache.keys.get_mut(i) {
            *old = k.clone();
        } else if i == cache.keys.len() && i < KeyCache::MAX {
            cache.keys.push(k.clone());
        }
        Ok(k)
    }

    #[inline(always)]
    fn prealloc(&mut self, n: usize) -> usize {
        let c = n.min(self.budget);
        self.budget -= c;
        c
    }

    #[inline]
    fn values(&mut self, n: usize, depth: usize) -> Result<Vec<Value>, Error> {
        let mut out = Vec::with_capacity(self.prealloc(n));
        for _ in 0..n {
            out.push(self.value(depth)?);
        }
        Ok(out)
    }

    #[inline]
    fn enter(&self, depth: usize) -> Result<usize, Error> {
        if depth >= MAX_DEPTH {
            Err(Error::Protocol(format!(
                "malformed value: nesting deeper than {MAX_DEPTH} at offset {}",
                self.d.position()
            )))
        } else {
            Ok(depth + 1)
        }
    }

    #[inline]
    fn value(&mut self, depth: usize) -> Result<Value, Error> {
        let Some(&m) = self.d.rest().first() else {
            return Err(fail(&self.d));
        };
        let d = &mut self.d;
        Ok(match m {
            0x00..=0x7F | 0xF0..=0xFF | 0xC8..=0xCB => Value::Integer(d.read_int().map_err(proto)?),
            0x80..=0x8F | 0xD0..=0xD2 => Value::String(d.read_str().map_err(proto)?.to_owned()),
            0xC0 => {
                d.read_null().map_err(proto)?;
                Value::Null
            }
            0xC1 => Value::Float(d.read_float().map_err(proto)?),
            0xC2 | 0xC3 => Value::Boolean(d.read_bool().map_err(proto)?),
            0xCC..=0xCE => Value::Bytes(d.read_bytes().map_err(proto)?.to_vec()),
            0x90..=0x9F | 0xD4..=0xD6 => {
                let n = d.read_list_header().map_err(proto)?;
                let depth = self.enter(depth)?;
                Value::List(self.values(n, depth)?)
            }
            0xA0..=0xAF | 0xD8..=0xDA => Value::Map(self.map(depth)?),
            0xB0..=0xBF | 0xDC | 0xDD => self.structure(depth)?,
            _ => return Err(fail(d)),
        })
    }

    fn map(&mut self, depth: usize) -> Result<ValueMap, Error> {
        let n = self.d.read_map_header().map_err(proto)?;
        let depth = self.enter(depth)?;
        let mut entries = Vec::with_capacity(self.prealloc(n));
        for _ in 0..n {
            let k = self.key()?;
            entries.push((k, self.value(depth)?));
        }
        Ok(ValueMap::from_entries_unchecked(entries))
    }

    fn int(&mut self, s: &str, field: &str) -> Result<i64, Error> {
        self.d
            .read_int()
            .map_err(|e| bad(s, format_args!("field `{field}`: {e}")))
    }

    fn float(&mut self, s: &str, field: &str) -> Result<f64, Error> {
        self.d
            .read_float()
            .map_err(|e| bad(s, format_args!("field `{field}`: {e}")))
    }

    fn string(&mut self, s: &str, field: &str) -> Result<String, Error> {
        self.d
            .read_str()
            .map(str::to_owned)
            .map_err(|e| bad(s, format_args!("field `{field}`: {e}")))
    }

    fn nanos(&mut self, s: &str) -> Result<u32, Error> {
        let n = self.int(s, "nanoseconds")?;
        if (0..NANOS_PER_SEC).contains(&n) {
            Ok(n as u32)
        } else {
            Err(bad(s, format_args!("nanoseconds {n} out of range")))
        }
    }

    fn offset(&mut self, s: &str) -> Result<i32, Error> {
        let o = self.int(s, "tz_offset_seconds")?;
        match i32::try_from(o) {
            Ok(o) if (-MAX_OFFSET..=MAX_OFFSET).contains(&o) => Ok(o),
            _ => Err(bad(s, format_args!("offset {o} s out of range"))),
        }
    }

    fn nanos_of_day(&mut self, s: &str) -> Result<i64, Error> {
        let n = self.int(s, "nanoseconds")?;
        if (0..NANOS_PER_DAY).contains(&n) {
            Ok(n)
        } else {
            Err(bad(
                s,
                format_args!("nanoseconds {n} out of range for a time of day"),
            ))
        }
    }

    fn props(&mut self, s: &str, depth: usize) -> Result<ValueMap, Error> {
        match self.d.rest().first() {
            Some(0xA0..=0xAF | 0xD8..=0xDA) => self.map(depth),
            _ => Err(bad(s, "field `properties` must be a map")),
        }
    }

    fn expect(&self, s: &str, n: usize, expected: usize) -> Result<(), Error> {
        if n == expected {
            Ok(())
        } else {
            Err(bad(
                s,
                format_args!(
                    "{n} field(s), expected {expected} in Bolt {}",
                    self.ctx.version
                ),
            ))
        }
    }

    /// Reads the element id (5.0+) or derives it from the legacy id.
    fn element_id(&mut self, s: &str, field: &str, legacy: i64) -> Result<String, Error> {
        if self.ctx.element_ids() {
            self.string(s, field)
        } else {
            Ok(legacy.to_string())
        }
    }

    fn node_fields(&mut self, n: usize, depth: usize) -> Result<Node, Error> {
        const S: &str = "Node";
        let e = self.ctx.element_ids();
        self.expect(S, n, if e { 4 } else { 3 })?;
        let id = self.int(S, "id")?;
        let count = self
            .d
            .read_list_header()
            .map_err(|e| bad(S, format_args!("field `labels`: {e}")))?;
        let mut labels = Vec::with_capacity(self.prealloc(count));
        for _ in 0..count {
            labels.push(self.string(S, "labels")?);
        }
        let properties = self.props(S, depth)?;
        let element_id = self.element_id(S, "element_id", id)?;
        Ok(Node(Arc::new(NodeData {
            id,
            element_id,
            labels,
            properties,
        })))
    }

    fn relationship_fields(&mut self, n: usize, depth: usize) -> Result<Relationship, Error> {
        const S: &str = "Relationship";
        let e = self.ctx.element_ids();
        self.expect(S, n, if e { 8 } else { 5 })?;
        let id = self.int(S, "id")?;
        let start_id = self.int(S, "start_node_id")?;
        let end_id = self.int(S, "end_node_id")?;
        let rel_type = self.string(S, "type")?;
        let properties = self.props(S, depth)?;
        let element_id = self.element_id(S, "element_id", id)?;
        let start_element_id = self.element_id(S, "start_node_element_id", start_id)?;
        let end_element_id = self.element_id(S, "end_node_element_id", end_id)?;
        Ok(Relationship(Arc::new(RelationshipData {
            id,
            element_id,
            start_id,
            start_element_id,
            end_id,
            end_element_id,
            rel_type,
            properties,
        })))
    }

    /// An unbound relationship: (id, element id, type, properties).
    fn unbound_fields(
        &mut self,
        n: usize,
        depth: usize,
    ) -> Result<(i64, String, String, ValueMap), Error> {
        const S: &str = "UnboundRelationship";
        let e = self.ctx.element_ids();
        self.expect(S, n, if e { 4 } else { 3 })?;
        let id = self.int(S, "id")?;
        let rel_type = self.string(S, "type")?;
        let properties = self.props(S, depth)?;
        let element_id = self.element_id(S, "element_id", id)?;
        Ok((id, element_id, rel_type, properties))
    }

    fn struct_list<T>(
        &mut self,
        field: &str,
        want: u8,
        depth: usize,
        mut f: impl FnMut(&mut Self, usize, usize) -> Result<T, Error>,
    ) -> Result<Vec<T>, Error> {
        const S: &str = "Path";
        let count = self
            .d
            .read_list_header()
            .map_err(|e| bad(S, format_args!("field `{field}`: {e}")))?;
        let mut out = Vec::with_capacity(self.prealloc(count));
        for _ in 0..count {
            let (t, n) = self
                .d
                .read_struct_header()
                .map_err(|e| bad(S, format_args!("field `{field}`: {e}")))?;
            if t != want {
                return Err(bad(S, format_args!("field `{field}` holds tag {t:#04x}")));
            }
            out.push(f(self, n, depth)?);
        }
        Ok(out)
    }

    /// A Path: its distinct nodes, its distinct unbound relationships and
    /// the indices that walk them. Each step shares the entities it visits
    /// (an [`Arc`] clone), so the work and memory per step
    /// are constant however large the entities: the indices cannot
    /// multiply the input. A relationship gets its end nodes at its first
    /// visit; a later visit that joins other nodes is malformed (the nodes
    /// are distinct, so a relationship joins the same two at every visit).
    fn path_fields(&mut self, n: usize, depth: usize) -> Result<Path, Error> {
        const S: &str = "Path";
        /// An unbound relationship, then the relationship made at its first
        /// visit with the indices of its start and end nodes.
        enum Step {
            Unbound(i64, String, String, ValueMap),
            Bound(usize, usize, Relationship),
        }
        self.expect(S, n, 3)?;
        let depth = self.enter(depth)?;
        let nodes = self.struct_list("nodes", tag::NODE, depth, |r, n, d| r.node_fields(n, d))?;
        let mut rels = self.struct_list(
            "relationships",
            tag::UNBOUND_RELATIONSHIP,
            depth,
            |r, n, d| {
                let (id, element_id, rel_type, properties) = r.unbound_fields(n, d)?;
                Ok(Step::Unbound(id, element_id, rel_type, properties))
            },
        )?;
        let count = self
            .d
            .read_list_header()
            .map_err(|e| bad(S, format_args!("field `indices`: {e}")))?;
        if count % 2 != 0 {
            return Err(bad(S, "odd number of indices"));
        }
        let Some(first) = nodes.first() else {
            return Err(bad(S, "no nodes"));
        };
        let mut walk_nodes = Vec::with_capacity(self.prealloc(count / 2 + 1));
        let mut walk_rels = Vec::with_capacity(self.prealloc(count / 2));
        walk_nodes.push(first.clone());
        let mut prev = 0;
        for _ in 0..count / 2 {
            let ri = self.int(S, "indices")?;
            let ni = self.int(S, "indices")?;
            let next = usize::try_from(ni)
                .ok()
                .filter(|&i| i < nodes.len())
                .ok_or_else(|| bad(S, format_args!("node index {ni} out of range")))?;
            let rel = usize::try_from(ri.unsigned_abs())
                .ok()
                .and_then(|i| i.checked_sub(1))
                .and_then(|i| rels.get_mut(i))
                .ok_or_else(|| bad(S, format_args!("relationship index {ri} out of range")))?;
            let (start, end) = if ri > 0 { (prev, next) } else { (next, prev) };
            let shared = match rel {
                Step::Bound(s, e, r) if (*s, *e) == (start, end) => r.clone(),
                Step::Bound(..) => {
                    return Err(bad(
                        S,
                        format_args!("relationship index {ri} joins other nodes than before"),
                    ))
                }
                Step::Unbound(id, element_id, rel_type, properties) => {
                    let (a, b) = (&nodes[start].0, &nodes[end].0);
                    let r = Relationship(Arc::new(RelationshipData {
                        id: *id,
                        element_id: std::mem::take(element_id),
                        start_id: a.id,
                        start_element_id: a.element_id.clone(),
                        end_id: b.id,
                        end_element_id: b.element_id.clone(),
                        rel_type: std::mem::take(rel_type),
                        properties: std::mem::take(properties),
                    }));
                    *rel = Step::Bound(start, end, r.clone());
                    r
                }
            };
            walk_rels.push(shared);
            walk_nodes.push(nodes[next].clone());
            prev = next;
        }
        Ok(Path(Box::new(PathData {
            nodes: walk_nodes,
            relationships: walk_rels,
        })))
    }

    fn structure(&mut self, depth: usize) -> Result<Value, Error> {
        let (t, n) = self.d.read_struct_header().map_err(proto)?;
        let depth = self.enter(depth)?;
        Ok(match t {
            tag::NODE => Value::Node(self.node_fields(n, depth)?),
            tag::RELATIONSHIP => Value::Relationship(self.relationship_fields(n, depth)?),
            tag::PATH => Value::Path(self.path_fields(n, depth)?),
            tag::DATE => {
                self.expect("Date", n, 1)?;
                Value::Date(Date::from_days_since_epoch(self.int("Date", "days")?))
            }
            tag::TIME => {
                self.expect("Time", n, 2)?;
                let nanos = self.nanos_of_day("Time")?;
                Value::Time(Time::raw(nanos, self.offset("Time")?))
            }
            tag::LOCAL_TIME => {
                self.expect("LocalTime", n, 1)?;
                Value::LocalTime(LocalTime::raw(self.nanos_of_day("LocalTime")?))
            }
            tag::LOCAL_DATE_TIME => {
                const S: &str = "LocalDateTime";
                self.expect(S, n, 2)?;
                let secs = self.int(S, "seconds")?;
                Value::LocalDateTime(LocalDateTime::raw(secs, self.nanos(S)?))
            }
            tag::DATE_TIME | tag::LEGACY_DATE_TIME => {
                const S: &str = "DateTime";
                self.expect(S, n, 3)?;
                let secs = self.int(S, "seconds")?;
                let nanos = self.nanos(S)?;
                let off = self.offset(S)?;
                let utc = if t == tag::DATE_TIME {
                    secs
                } else {
                    secs.checked_sub(i64::from(off))
                        .ok_or_else(|| bad(S, "seconds overflow when applying the offset"))?
                };
                Value::DateTime(DateTime::raw(utc, nanos, off))
            }
            tag::DATE_TIME_ZONE_ID | tag::LEGACY_DATE_TIME_ZONE_ID => {
                const S: &str = "DateTimeZoneId";
                self.expect(S, n, 3)?;
                let seconds = self.int(S, "seconds")?;
                let nanos = self.nanos(S)?;
                let zone_id = self.string(S, "tz_id")?.into_boxed_str();
                Value::DateTimeZoneId(DateTimeZoneId {
                    seconds,
                    nanos,
                    utc: t == tag::DATE_TIME_ZONE_ID || is_utc_zone(&zone_id),
                    offset: None,
                    zone_id,
                })
            }
            tag::DURATION => {
                const S: &str = "Duration";
                self.expect(S, n, 4)?;
                Value::Duration(Duration::new(
                    self.int(S, "months")?,
                    self.int(S, "days")?,
                    self.int(S, "seconds")?,
                    self.int(S, "nanoseconds")?,
                ))
            }
            tag::POINT_2D => {
                const S: &str = "Point2D";
                self.expect(S, n, 3)?;
                Value::Point2D(Point2D {
                    srid: self.int(S, "srid")?,
                    x: self.float(S, "x")?,
                    y: self.float(S, "y")?,
                })
            }
            tag::POINT_3D => {
                const S: &str = "Point3D";
                self.expect(S, n, 4)?;
                Value::Point3D(Point3D {
                    srid: self.int(S, "srid")?,
                    x: self.float(S, "x")?,
                    y: self.float(S, "y")?,
                    z: self.float(S, "z")?,
                })
            }
            tag::UNBOUND_RELATIONSHIP => {
                return Err(Error::Protocol(
                    "malformed value: UnboundRelationship outside a Path".into(),
                ))
            }
            t => {
                return Err(Error::Protocol(format!(
                    "malformed value: unknown structure tag {t:#04x} with {n} field(s)"
                )))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::{Date, DateTimeZoneId, LocalDateTime, LocalTime};
    use bolt_proto::message::RecordView;
    use bolt_proto::Version;

    fn stockholm() -> DateTimeZoneId {
        let local = LocalDateTime::new(
            Date::from_ymd(2022, 6, 7).unwrap(),
            LocalTime::from_hms_nano(11, 52, 5, 0).unwrap(),
        );
        DateTimeZoneId::new(local, 7200, "Europe/Stockholm").unwrap()
    }

    fn round_trip(v: &Value, version: Version) -> (u8, i64) {
        let mut buf = Vec::new();
        encode_value(&mut buf, v, StructCtx::new(version)).unwrap();
        // Struct header 0xB3, tag, then the seconds.
        let secs = match packstream::decode(&buf).unwrap() {
            packstream::Value::Structure(s) => s.fields[0].as_int().unwrap(),
            other => panic!("{other:?}"),
        };
        (buf[1], secs)
    }

    #[test]
    fn zoned_date_time_with_offset_encodes_for_every_version() {
        let z = Value::DateTimeZoneId(stockholm());
        let wall = stockholm().local().unwrap().seconds_since_epoch();
        assert_eq!(
            round_trip(&z, Version::V5_0),
            (tag::DATE_TIME_ZONE_ID, wall - 7200)
        );
        assert_eq!(
            round_trip(&z, Version::V4_4),
            (tag::LEGACY_DATE_TIME_ZONE_ID, wall)
        );
        // Without the offset, only the form it was made from works.
        let utc_only = Value::DateTimeZoneId(
            DateTimeZoneId::from_timestamp(0, 0, "Europe/Stockholm").unwrap(),
        );
        let mut buf = Vec::new();
        assert!(matches!(
            encode_value(&mut buf, &utc_only, StructCtx::new(Version::V4_4)),
            Err(Error::Conversion { .. })
        ));
    }

    fn record(v: &Value) -> Vec<u8> {
        let mut body = vec![0xB1, 0x71, 0x91];
        encode_value(&mut body, v, StructCtx::new(Version::V5_0)).unwrap();
        body
    }

    fn decode_cached(body: &[u8], cache: &mut KeyCache) -> Result<Value, Error> {
        let view = RecordView::decode(body).unwrap();
        decode_record_one(view.raw(), StructCtx::new(Version::V5_0), cache)
    }

    #[test]
    fn key_cache_follows_changing_keys() {
        let mut cache = KeyCache::default();
        let row = |keys: &[&str]| -> Value {
            let inner: ValueMap = [("n", 1)].into_iter().collect();
            let mut m: ValueMap = keys.iter().map(|k| (*k, 0)).collect();
            m.insert("inner", inner);
            Value::Map(m)
        };
        let long = "a key longer than twenty-four bytes (on the heap)";
        for keys in [
            &["id", "name"][..],
            &["id", "name"],
            &["ix", "name"],
            &["id"],
            &["id", long, "é"],
            &["id", long, "é"],
            &[],
        ] {
            let v = row(keys);
            assert_eq!(decode_cached(&record(&v), &mut cache).unwrap(), v);
        }
    }

    #[test]
    fn key_cache_never_admits_invalid_utf8() {
        let mut cache = KeyCache::default();
        let v = Value::Map([("id", 1)].into_iter().collect());
        let mut body = record(&v);
        assert_eq!(decode_cached(&body, &mut cache).unwrap(), v);
        // Same length as the cached "id", not UTF-8.
        let at = body.iter().position(|&b| b == b'i').unwrap();
        body[at..at + 2].copy_from_slice(&[0xFF, 0xFE]);
        let err = decode_cached(&body, &mut cache).unwrap_err().to_string();
        assert!(err.contains("invalid UTF-8"), "{err}");
        assert!(err.contains(&format!("offset {}", at - 3)), "{err}");
    }

    #[test]
    fn key_cache_is_bounded() {
        let mut cache = KeyCache::default();
        let v = Value::Map((0..100).map(|i| (format!("k{i}"), i)).collect());
        for _ in 0..2 {
            assert_eq!(decode_cached(&record(&v), &mut cache).unwrap(), v);
        }
        assert_eq!(cache.keys.len(), KeyCache::MAX);
    }

    /// A RECORD's fields: one Path of nodes `a` (with a `blob` property of
    /// `blob` bytes) and `b`, one relationship `r` (with the same
    /// property) and `indices` (Bolt 5.0 shapes).
    fn path_record(blob: usize, indices: &[i64]) -> Vec<u8> {
        let big = "x".repeat(blob);
        let mut b = Vec::new();
        enc::write_list_header(&mut b, 1).unwrap();
        enc::write_struct_header(&mut b, tag::PATH, 3).unwrap();
        enc::write_list_header(&mut b, 2).unwrap();
        for (id, eid) in [(0, "a"), (1, "b")] {
            enc::write_struct_header(&mut b, tag::NODE, 4).unwrap();
            enc::write_int(&mut b, id);
            enc::write_list_header(&mut b, 1).unwrap();
            enc::write_string(&mut b, "L").unwrap();
            enc::write_map_header(&mut b, 1).unwrap();
            enc::write_string(&mut b, "blob").unwrap();
            enc::write_string(&mut b, &big).unwrap();
            enc::write_string(&mut b, eid).unwrap();
        }
        enc::write_list_header(&mut b, 1).unwrap();
        enc::write_struct_header(&mut b, tag::UNBOUND_RELATIONSHIP, 4).unwrap();
        enc::write_int(&mut b, 7);
        enc::write_string(&mut b, "T").unwrap();
        enc::write_map_header(&mut b, 1).unwrap();
        enc::write_string(&mut b, "blob").unwrap();
        enc::write_string(&mut b, &big).unwrap();
        enc::write_string(&mut b, "r").unwrap();
        enc::write_list_header(&mut b, indices.len()).unwrap();
        for &i in indices {
            enc::write_int(&mut b, i);
        }
        b
    }

    fn decode_path(bytes: &[u8]) -> Result<Path, Error> {
        let mut values = decode_record_fields(bytes, StructCtx::new(Version::V5_0))?;
        match values.pop() {
            Some(Value::Path(p)) => Ok(p),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn path_steps_share_their_entities() {
        // a -r-> b, then back and forth over r: 2 bytes of indices per
        // step. Copying the 64 KiB entities at every step would cost
        // 2,000 x 64 KiB; sharing costs a pointer per step.
        const STEPS: usize = 2_000;
        let indices: Vec<i64> = (0..STEPS)
            .flat_map(|s| if s % 2 == 0 { [1, 1] } else { [-1, 0] })
            .collect();
        let bytes = path_record(64 * 1024, &indices);
        assert!(bytes.len() < 4 * 64 * 1024, "{}", bytes.len());
        let p = decode_path(&bytes).unwrap();
        assert_eq!(p.len(), STEPS);
        let (a, b) = (&p.nodes()[0], &p.nodes()[1]);
        assert_eq!((a.element_id(), b.element_id()), ("a", "b"));
        for (i, n) in p.nodes().iter().enumerate() {
            let same = if i % 2 == 0 { a } else { b };
            assert_eq!(n, same);
            // One entity, not a copy: the same properties in memory.
            assert!(
                std::ptr::eq(n.properties(), same.properties()),
                "node {i} copied"
            );
        }
        let r = &p.relationships()[0];
        assert_eq!(
            (r.start_node_element_id(), r.end_node_element_id()),
            ("a", "b")
        );
        for (i, x) in p.relationships().iter().enumerate() {
            assert!(
                std::ptr::eq(x.properties(), r.properties()),
                "relationship {i} copied"
            );
        }
    }

    #[test]
    fn path_relationship_joining_other_nodes_on_a_revisit_is_malformed() {
        // r goes a -> b, then b -> a in its own direction: not one
        // relationship.
        let err = decode_path(&path_record(1, &[1, 1, 1, 0])).unwrap_err();
        assert!(
            err.to_string()
                .contains("relationship index 1 joins other nodes"),
            "{err}"
        );
        // Traversed backwards it is the same relationship.
        let p = decode_path(&path_record(1, &[1, 1, -1, 0])).unwrap();
        assert_eq!(p.relationships()[0], p.relationships()[1]);
    }
}
