//! Server-to-client messages: [`Response`] (owned) and [`ResponseRef`]
//! (borrowed, with the lazy [`RecordView`] for the RECORD hot path).
//!
//! Owns SUCCESS / RECORD / IGNORED / FAILURE in every supported version,
//! both directions. Must not track state or touch I/O.

use packstream::encode::{write_list_header, write_struct_header, write_value};
use packstream::{Decoder, Kind, Map, Value, ValueRef};

use super::request::tag;
use super::wire::{open, read_fields, write_entries, write_map, Ctx, F};
use super::{DecodeError, EncodeError, Side};
use crate::Version;

/// Which response a message is.
///
/// ```
/// use bolt_proto::message::{Response, ResponseKind};
/// assert_eq!(Response::Ignored.kind(), ResponseKind::Ignored);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResponseKind {
    /// SUCCESS.
    Success,
    /// RECORD.
    Record,
    /// IGNORED.
    Ignored,
    /// FAILURE.
    Failure,
}

/// Every server-to-client message, owned.
///
/// ```
/// use bolt_proto::message::{Record, Response};
/// use bolt_proto::Version;
/// let rec = Response::Record(Record { fields: vec![1.into(), "a".into()] });
/// let mut buf = Vec::new();
/// rec.encode(Version::V5_0, &mut buf).unwrap();
/// assert_eq!(buf, [0xB1, 0x71, 0x92, 0x01, 0x81, b'a']);
/// assert_eq!(Response::decode(&buf, Version::V5_0).unwrap(), rec);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum Response {
    /// SUCCESS with its metadata.
    Success(Success),
    /// RECORD with its values.
    Record(Record),
    /// IGNORED.
    Ignored,
    /// FAILURE with its metadata.
    Failure(Failure),
}

/// SUCCESS: a metadata map, with accessors for the common entries.
///
/// ```
/// use bolt_proto::message::Success;
/// let mut s = Success::default();
/// s.metadata.insert("has_more", true);
/// assert!(s.has_more());
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Success {
    /// Everything the server sent.
    pub metadata: Map,
}

impl Success {
    fn str(&self, k: &str) -> Option<&str> {
        self.metadata.get(k).and_then(Value::as_str)
    }

    /// `has_more` (PULL/DISCARD: the stream is still open); false if absent.
    ///
    /// ```
    /// assert!(!bolt_proto::message::Success::default().has_more());
    /// ```
    pub fn has_more(&self) -> bool {
        self.metadata
            .get("has_more")
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }

    /// `fields` of a RUN: the column names.
    ///
    /// ```
    /// let mut s = bolt_proto::message::Success::default();
    /// s.metadata.insert("fields", vec!["n"]);
    /// assert_eq!(s.fields(), Some(vec!["n"]));
    /// ```
    pub fn fields(&self) -> Option<Vec<&str>> {
        self.metadata
            .get("fields")?
            .as_list()?
            .iter()
            .map(Value::as_str)
            .collect()
    }

    /// `qid` of a RUN in an explicit transaction (4.0+).
    ///
    /// ```
    /// let mut s = bolt_proto::message::Success::default();
    /// s.metadata.insert("qid", 3);
    /// assert_eq!(s.qid(), Some(3));
    /// ```
    pub fn qid(&self) -> Option<i64> {
        self.metadata.get("qid").and_then(Value::as_int)
    }

    /// `bookmark` after a commit.
    ///
    /// ```
    /// assert_eq!(bolt_proto::message::Success::default().bookmark(), None);
    /// ```
    pub fn bookmark(&self) -> Option<&str> {
        self.str("bookmark")
    }

    /// `db` (4.0+: the database used; 5.8: the resolved home database).
    ///
    /// ```
    /// assert_eq!(bolt_proto::message::Success::default().db(), None);
    /// ```
    pub fn db(&self) -> Option<&str> {
        self.str("db")
    }

    /// `server` agent string of HELLO / INIT.
    ///
    /// ```
    /// let mut s = bolt_proto::message::Success::default();
    /// s.metadata.insert("server", "Neo4j/5.0.0");
    /// assert_eq!(s.server(), Some("Neo4j/5.0.0"));
    /// ```
    pub fn server(&self) -> Option<&str> {
        self.str("server")
    }

    /// `connection_id` of HELLO.
    ///
    /// ```
    /// assert_eq!(bolt_proto::message::Success::default().connection_id(), None);
    /// ```
    pub fn connection_id(&self) -> Option<&str> {
        self.str("connection_id")
    }

    /// `patch_bolt` the server agreed to in HELLO (4.3–4.4), e.g. `["utc"]`.
    ///
    /// ```
    /// let mut s = bolt_proto::message::Success::default();
    /// s.metadata.insert("patch_bolt", vec!["utc"]);
    /// assert!(s.patch_bolt().contains(&"utc"));
    /// ```
    pub fn patch_bolt(&self) -> Vec<&str> {
        self.metadata
            .get("patch_bolt")
            .and_then(Value::as_list)
            .map(|l| l.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default()
    }
}

/// SUCCESS with its metadata still encoded, borrowed from the message
/// body: entries are found and decoded when asked for, so the common ones
/// (`has_more`, `fields`, `qid`, `bookmark`, `db`...) cost no allocation.
/// The map was checked when the message was decoded; a key sent twice
/// reads as its last value (as in the owned [`Success`]). Where the
/// values of the keys drivers read (`has_more`, `fields`, `bookmark`,
/// `db`, `t_last`...) start is noted in the same pass, so reading them
/// does not walk the map again; other keys are found by a walk.
///
/// ```
/// use bolt_proto::message::{ResponseRef, Success};
/// use bolt_proto::Version;
/// let mut s = Success::default();
/// s.metadata.insert("has_more", true);
/// s.metadata.insert("fields", vec!["n"]);
/// let mut buf = Vec::new();
/// bolt_proto::message::Response::Success(s.clone()).encode(Version::V5_0, &mut buf).unwrap();
/// let ResponseRef::Success(r) = ResponseRef::decode(&buf, Version::V5_0).unwrap() else {
///     panic!("not a SUCCESS")
/// };
/// assert!(r.has_more());
/// assert_eq!(r.fields(), Some(vec!["n"]));
/// assert_eq!(r.to_success(), s);
/// ```
#[derive(Clone, Copy)]
pub struct SuccessRef<'a> {
    /// The whole encoded map, header included.
    raw: &'a [u8],
    /// Where the value of each of [`KNOWN`] starts in `raw` (its last
    /// occurrence), 0 if absent (the map header is at 0); unused if
    /// `raw` is too long for `u32` offsets.
    at: [u32; KNOWN.len()],
}

impl PartialEq for SuccessRef<'_> {
    fn eq(&self, other: &Self) -> bool {
        // `at` is derived from `raw`.
        self.raw == other.raw
    }
}

impl Eq for SuccessRef<'_> {}

/// The keys whose value positions a [`SuccessRef`] notes when it is made.
const KNOWN: [&str; 11] = [
    "has_more",
    "fields",
    "qid",
    "t_first",
    "result_available_after",
    "db",
    "bookmark",
    "type",
    "t_last",
    "result_consumed_after",
    "stats",
];

/// The index of `key` in [`KNOWN`]: by length, then by fixed-size
/// compares (no `memcmp` call).
#[inline]
fn known(key: &[u8]) -> Option<usize> {
    #[inline(always)]
    fn is<const N: usize>(key: &[u8], want: &[u8; N]) -> bool {
        key.first_chunk::<N>() == Some(want)
    }
    let i = match key.len() {
        8 if is(key, b"has_more") => 0,
        6 if is(key, b"fields") => 1,
        3 if is(key, b"qid") => 2,
        7 if is(key, b"t_first") => 3,
        22 if is(key, b"result_available_after") => 4,
        2 if is(key, b"db") => 5,
        8 if is(key, b"bookmark") => 6,
        4 if is(key, b"type") => 7,
        6 if is(key, b"t_last") => 8,
        21 if is(key, b"result_consumed_after") => 9,
        5 if is(key, b"stats") => 10,
        _ => return None,
    };
    Some(i)
}

const HAS_MORE: usize = 0;
const FIELDS: usize = 1;
const QID: usize = 2;
const DB: usize = 5;
const BOOKMARK: usize = 6;

impl std::fmt::Debug for SuccessRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SuccessRef")
            .field("metadata", &self.metadata())
            .finish()
    }
}

impl Default for SuccessRef<'_> {
    fn default() -> Self {
        SuccessRef {
            raw: &[0xA0],
            at: [0; KNOWN.len()],
        }
    }
}

impl<'a> SuccessRef<'a> {
    /// Checks the single metadata field: a well-formed map and nothing after.
    fn from_decoder(mut dec: Decoder<'a>) -> Result<SuccessRef<'a>, DecodeError> {
        let start = dec.position();
        let rest = dec.rest();
        match dec.peek_kind()? {
            Kind::Map => {}
            found => {
                return Err(DecodeError::FieldType {
                    message: "SUCCESS",
                    field: "metadata",
                    expected: "map",
                    found,
                })
            }
        }
        let mut at = [0u32; KNOWN.len()];
        dec.skip_map_entries(|k, pos| {
            if let Some(i) = known(k) {
                // Too long for `u32`: `at` is not used (see `indexed`).
                at[i] = u32::try_from(pos - start).unwrap_or(0);
            }
        })?;
        let used = dec.position() - start;
        dec.finish()?;
        Ok(SuccessRef {
            raw: rest.get(..used).unwrap_or_default(),
            at,
        })
    }

    /// Whether `at` holds the known keys' positions (`raw` fits `u32`
    /// offsets).
    #[inline]
    fn indexed(&self) -> bool {
        u32::try_from(self.raw.len()).is_ok()
    }

    /// A decoder on the value of the known key `i` (see [`KNOWN`]).
    #[inline]
    fn known_decoder(&self, i: usize) -> Option<Decoder<'a>> {
        if !self.indexed() {
            return self.value_decoder_scan(KNOWN.get(i)?.as_bytes());
        }
        match *self.at.get(i)? {
            0 => None,
            p => self.raw.get(p as usize..).map(Decoder::new),
        }
    }

    /// A decoder on the value of `key`, found by walking the map.
    fn value_decoder_scan(&self, key: &[u8]) -> Option<Decoder<'a>> {
        let at = find_entry(self.raw, key)?;
        Some(Decoder::new(self.raw.get(at..)?))
    }

    /// Reads an encoded metadata map (header included), checking it.
    ///
    /// ```
    /// let s = bolt_proto::message::SuccessRef::from_map_bytes(&[0xA1, 0x83, b'q', b'i', b'd', 0x03]).unwrap();
    /// assert_eq!(s.qid(), Some(3));
    /// assert!(bolt_proto::message::SuccessRef::from_map_bytes(&[0x91, 0x01]).is_err());
    /// ```
    pub fn from_map_bytes(raw: &'a [u8]) -> Result<SuccessRef<'a>, DecodeError> {
        SuccessRef::from_decoder(Decoder::new(raw))
    }

    /// Wraps metadata bytes kept from [`raw`](Self::raw) without checking
    /// them again (they were checked when the message was decoded): one
    /// walk by structure only notes where the common entries are, so make
    /// one and read several entries from it. Bytes from elsewhere that are
    /// not a well-formed map read as missing entries: never a panic.
    ///
    /// ```
    /// use bolt_proto::message::SuccessRef;
    /// let kept = SuccessRef::from_map_bytes(&[0xA1, 0x83, b'q', b'i', b'd', 0x03]).unwrap().raw().to_vec();
    /// assert_eq!(SuccessRef::from_kept(&kept).qid(), Some(3));
    /// assert_eq!(SuccessRef::from_kept(&[0xA1, 0x81]).qid(), None);
    /// ```
    pub fn from_kept(raw: &'a [u8]) -> SuccessRef<'a> {
        let mut at = [0u32; KNOWN.len()];
        let ok = scan_entries(raw, |k, pos| {
            if let Some(i) = known(k) {
                at[i] = u32::try_from(pos).unwrap_or(0);
            }
        });
        if ok.is_none() {
            // Not a well-formed map: every entry reads as missing.
            at = [0; KNOWN.len()];
        }
        SuccessRef { raw, at }
    }

    /// The encoded metadata map, header included (to keep it past the
    /// message's lifetime, e.g. `to_vec()`, and read it again with
    /// [`from_map_bytes`](Self::from_map_bytes)).
    ///
    /// ```
    /// assert_eq!(bolt_proto::message::SuccessRef::default().raw(), &[0xA0]);
    /// ```
    pub fn raw(&self) -> &'a [u8] {
        self.raw
    }

    /// A decoder positioned on the value of `key` (its last occurrence),
    /// for reading it without building a [`ValueRef`] (e.g. a list of
    /// strings one by one).
    ///
    /// ```
    /// let s = bolt_proto::message::SuccessRef::from_map_bytes(&[0xA1, 0x81, b'q', 0x03]).unwrap();
    /// assert_eq!(s.value_decoder("q").unwrap().read_int().unwrap(), 3);
    /// assert!(s.value_decoder("x").is_none());
    /// ```
    pub fn value_decoder(&self, key: &str) -> Option<Decoder<'a>> {
        match known(key.as_bytes()) {
            Some(i) => self.known_decoder(i),
            None => self.value_decoder_scan(key.as_bytes()),
        }
    }

    /// Decoders positioned on the values of several `keys` (each its last
    /// occurrence), found in one pass over the map.
    ///
    /// ```
    /// let s = bolt_proto::message::SuccessRef::from_map_bytes(&[0xA2, 0x81, b'a', 0x01, 0x81, b'b', 0x02]).unwrap();
    /// let [b, x, a] = s.value_decoders(["b", "x", "a"]);
    /// assert_eq!((b.unwrap().read_int().unwrap(), x.is_none(), a.unwrap().read_int().unwrap()), (2, true, 1));
    /// ```
    pub fn value_decoders<const N: usize>(&self, keys: [&str; N]) -> [Option<Decoder<'a>>; N] {
        if self.indexed() {
            // Plain loops: `array::map` is not inlined here.
            let mut out = [const { None }; N];
            let mut all_known = true;
            for (o, k) in out.iter_mut().zip(keys) {
                match known(k.as_bytes()) {
                    Some(i) => *o = self.known_decoder(i),
                    None => {
                        all_known = false;
                        break;
                    }
                }
            }
            if all_known {
                return out;
            }
        }
        let mut at = [None; N];
        let complete = scan_entries(self.raw, |k, v| {
            for (i, want) in keys.iter().enumerate() {
                if k == want.as_bytes() {
                    at[i] = Some(v);
                }
            }
        });
        if complete.is_none() {
            return std::array::from_fn(|_| None);
        }
        at.map(|p| p.and_then(|p| self.raw.get(p..)).map(Decoder::new))
    }

    /// The value of `key`, borrowed (strings and bytes point into the
    /// message).
    ///
    /// ```
    /// let s = bolt_proto::message::SuccessRef::from_map_bytes(&[0xA1, 0x81, b'd', 0x81, b'x']).unwrap();
    /// assert_eq!(s.get("d"), Some(packstream::ValueRef::String("x")));
    /// ```
    pub fn get(&self, key: &str) -> Option<ValueRef<'a>> {
        self.value_decoder(key)?.read_value_ref().ok()
    }

    /// The value of `key`, owned.
    ///
    /// ```
    /// let s = bolt_proto::message::SuccessRef::from_map_bytes(&[0xA1, 0x81, b'q', 0x03]).unwrap();
    /// assert_eq!(s.get_value("q"), Some(packstream::Value::Integer(3)));
    /// ```
    pub fn get_value(&self, key: &str) -> Option<Value> {
        self.value_decoder(key)?.read_value().ok()
    }

    fn str(&self, key: &str) -> Option<&'a str> {
        match self.get(key)? {
            ValueRef::String(s) => Some(s),
            _ => None,
        }
    }

    /// An integer entry.
    ///
    /// ```
    /// let s = bolt_proto::message::SuccessRef::from_map_bytes(&[0xA1, 0x81, b't', 0x05]).unwrap();
    /// assert_eq!(s.int("t"), Some(5));
    /// ```
    pub fn int(&self, key: &str) -> Option<i64> {
        match self.get(key)? {
            ValueRef::Integer(i) => Some(i),
            _ => None,
        }
    }

    /// A string entry.
    ///
    /// ```
    /// let s = bolt_proto::message::SuccessRef::from_map_bytes(&[0xA1, 0x81, b'd', 0x81, b'x']).unwrap();
    /// assert_eq!(s.string("d"), Some("x"));
    /// ```
    pub fn string(&self, key: &str) -> Option<&'a str> {
        self.str(key)
    }

    /// Whether there are no entries.
    ///
    /// ```
    /// assert!(bolt_proto::message::SuccessRef::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.raw.first() == Some(&0xA0)
    }

    /// `has_more` (PULL/DISCARD: the stream is still open); false if absent.
    ///
    /// ```
    /// assert!(!bolt_proto::message::SuccessRef::default().has_more());
    /// ```
    pub fn has_more(&self) -> bool {
        match self.known_decoder(HAS_MORE) {
            Some(mut d) => d.read_bool().unwrap_or(false),
            None => false,
        }
    }

    /// `fields` of a RUN: the column names (`None` if absent or not all
    /// strings).
    ///
    /// ```
    /// assert_eq!(bolt_proto::message::SuccessRef::default().fields(), None);
    /// ```
    pub fn fields(&self) -> Option<Vec<&'a str>> {
        let mut dec = self.known_decoder(FIELDS)?;
        if dec.peek_kind().ok()? != Kind::List {
            return None;
        }
        let n = dec.read_list_header().ok()?;
        let mut out = Vec::with_capacity(n.min(dec.remaining()));
        for _ in 0..n {
            out.push(dec.read_str().ok()?);
        }
        Some(out)
    }

    /// `qid` of a RUN in an explicit transaction (4.0+).
    ///
    /// ```
    /// assert_eq!(bolt_proto::message::SuccessRef::default().qid(), None);
    /// ```
    pub fn qid(&self) -> Option<i64> {
        match self.known_decoder(QID)?.read_value_ref().ok()? {
            ValueRef::Integer(i) => Some(i),
            _ => None,
        }
    }

    /// `bookmark` after a commit.
    ///
    /// ```
    /// assert_eq!(bolt_proto::message::SuccessRef::default().bookmark(), None);
    /// ```
    pub fn bookmark(&self) -> Option<&'a str> {
        self.known_decoder(BOOKMARK)?.read_str().ok()
    }

    /// `db` (4.0+: the database used; 5.8: the resolved home database).
    ///
    /// ```
    /// assert_eq!(bolt_proto::message::SuccessRef::default().db(), None);
    /// ```
    pub fn db(&self) -> Option<&'a str> {
        self.known_decoder(DB)?.read_str().ok()
    }

    /// The whole metadata map, owned.
    ///
    /// ```
    /// assert!(bolt_proto::message::SuccessRef::default().metadata().is_empty());
    /// ```
    pub fn metadata(&self) -> Map {
        match packstream::decode(self.raw) {
            Ok(Value::Map(m)) => m,
            _ => Map::new(),
        }
    }

    /// The owned [`Success`].
    ///
    /// ```
    /// assert_eq!(bolt_proto::message::SuccessRef::default().to_success(), Default::default());
    /// ```
    pub fn to_success(&self) -> Success {
        Success {
            metadata: self.metadata(),
        }
    }
}

/// Calls `f(key, value position)` for each entry of the encoded map `b`,
/// in order; `None` if it is not a well-formed map. The map was checked
/// when its message was decoded, so values are skipped by structure only
/// (no UTF-8 check, no recursion), still bounds-checked.
fn scan_entries<'a>(b: &'a [u8], mut f: impl FnMut(&'a [u8], usize)) -> Option<()> {
    let mut dec = Decoder::new(b);
    let n = dec.read_map_header().ok()?;
    for _ in 0..n {
        let key = dec.read_str_bytes().ok()?;
        f(key, dec.position());
        dec.skip_value_unchecked().ok()?;
    }
    Some(())
}

/// Where the value of `key` starts in the encoded map `b` (its last
/// occurrence, as decoding into a [`Map`] keeps).
fn find_entry(b: &[u8], key: &[u8]) -> Option<usize> {
    let mut found = None;
    scan_entries(b, |k, v| {
        if k == key {
            found = Some(v);
        }
    })?;
    found
}

/// RECORD: one row of values.
///
/// ```
/// let r = bolt_proto::message::Record { fields: vec![packstream::Value::Null] };
/// assert_eq!(r.fields.len(), 1);
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Record {
    /// The values, in `fields` order.
    pub fields: Vec<Value>,
}

/// FAILURE.
///
/// Before 5.7 the map holds `code` and `message`; from 5.7 it holds
/// `neo4j_code`, `message`, `gql_status`, `description` and optionally
/// `diagnostic_record` and a nested `cause`. Setting GQL fields when
/// encoding for an older version is an error.
///
/// ```
/// use bolt_proto::message::Failure;
/// let f = Failure::new("Neo.ClientError.Statement.SyntaxError", "bad");
/// assert_eq!(f.code, "Neo.ClientError.Statement.SyntaxError");
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Failure {
    /// Neo4j status code (`code`, or `neo4j_code` from 5.7).
    pub code: String,
    /// Human-readable message.
    pub message: String,
    /// GQLSTATUS code (5.7+).
    pub gql_status: Option<String>,
    /// GQLSTATUS description (5.7+).
    pub description: Option<String>,
    /// Diagnostic record (5.7+).
    pub diagnostic_record: Option<Map>,
    /// The error that caused this one (5.7+).
    pub cause: Option<Box<FailureCause>>,
    /// Any other entries.
    pub metadata: Map,
}

impl Failure {
    /// A pre-5.7 style failure with a code and message.
    ///
    /// ```
    /// assert_eq!(bolt_proto::message::Failure::new("c", "m").message, "m");
    /// ```
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Failure {
            code: code.into(),
            message: message.into(),
            ..Failure::default()
        }
    }

    /// Whether any GQL (5.7+) field is set.
    ///
    /// ```
    /// assert!(!bolt_proto::message::Failure::new("c", "m").has_gql_fields());
    /// ```
    pub fn has_gql_fields(&self) -> bool {
        self.gql_status.is_some()
            || self.description.is_some()
            || self.diagnostic_record.is_some()
            || self.cause.is_some()
    }
}

/// A nested GQL error cause in FAILURE (5.7+).
///
/// ```
/// use bolt_proto::message::FailureCause;
/// let c = FailureCause { gql_status: "22N01".into(), ..Default::default() };
/// assert!(c.cause.is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FailureCause {
    /// Human-readable message.
    pub message: String,
    /// GQLSTATUS code.
    pub gql_status: String,
    /// GQLSTATUS description.
    pub description: String,
    /// Diagnostic record.
    pub diagnostic_record: Option<Map>,
    /// Its own cause.
    pub cause: Option<Box<FailureCause>>,
    /// Any other entries.
    pub extra: Map,
}

impl FailureCause {
    fn write(&self, buf: &mut Vec<u8>) -> Result<(), packstream::Error> {
        let mut e = vec![
            ("message", F::Str(&self.message)),
            ("gql_status", F::Str(&self.gql_status)),
            ("description", F::Str(&self.description)),
        ];
        if let Some(d) = &self.diagnostic_record {
            e.push(("diagnostic_record", F::Map(d)));
        }
        // The nested cause is written after the typed entries, through a value.
        let cause = match &self.cause {
            Some(c) => Some(c.to_value()?),
            None => None,
        };
        if let Some(c) = &cause {
            e.push(("cause", F::Value(c)));
        }
        write_entries(buf, &e, &self.extra)
    }

    fn to_value(&self) -> Result<Value, packstream::Error> {
        let mut buf = Vec::new();
        self.write(&mut buf)?;
        packstream::decode(&buf)
    }

    fn from_map(mut m: Map, cx: Ctx) -> Result<Self, DecodeError> {
        let req = |m: &mut Map, field: &'static str| match m.remove(field) {
            Some(v) => cx.string(field, v),
            None => Err(DecodeError::MissingField {
                message: cx.message,
                field,
            }),
        };
        Ok(FailureCause {
            message: req(&mut m, "message")?,
            gql_status: req(&mut m, "gql_status")?,
            description: req(&mut m, "description")?,
            diagnostic_record: cx.opt_map("diagnostic_record", m.remove("diagnostic_record"))?,
            cause: match cx.opt_map("cause", m.remove("cause"))? {
                Some(c) => Some(Box::new(FailureCause::from_map(c, cx)?)),
                None => None,
            },
            extra: m,
        })
    }
}

impl Response {
    /// The message kind.
    ///
    /// ```
    /// use bolt_proto::message::{Response, ResponseKind, Success};
    /// assert_eq!(Response::Success(Success::default()).kind(), ResponseKind::Success);
    /// ```
    pub fn kind(&self) -> ResponseKind {
        match self {
            Response::Success(_) => ResponseKind::Success,
            Response::Record(_) => ResponseKind::Record,
            Response::Ignored => ResponseKind::Ignored,
            Response::Failure(_) => ResponseKind::Failure,
        }
    }

    /// Appends the message body for `version` (the server side). On error
    /// `buf` is left unchanged.
    ///
    /// ```
    /// use bolt_proto::message::Response;
    /// use bolt_proto::Version;
    /// let mut buf = Vec::new();
    /// Response::Ignored.encode(Version::V1, &mut buf).unwrap();
    /// assert_eq!(buf, [0xB0, 0x7E]);
    /// ```
    pub fn encode(&self, version: Version, buf: &mut Vec<u8>) -> Result<(), EncodeError> {
        let start = buf.len();
        let r = self.encode_inner(version, buf);
        if r.is_err() {
            buf.truncate(start);
        }
        r
    }

    fn encode_inner(&self, version: Version, buf: &mut Vec<u8>) -> Result<(), EncodeError> {
        match self {
            Response::Success(s) => {
                write_struct_header(buf, tag::SUCCESS, 1)?;
                write_map(buf, &s.metadata)?;
            }
            Response::Record(r) => encode_record(&r.fields, buf)?,
            Response::Ignored => write_struct_header(buf, tag::IGNORED, 0)?,
            Response::Failure(f) => {
                let gql = version.has_gql_errors();
                if f.has_gql_fields() && !gql {
                    return Err(EncodeError::FieldNotInVersion {
                        message: "FAILURE",
                        field: "gql_status",
                        version,
                    });
                }
                let code_key = if gql { "neo4j_code" } else { "code" };
                let mut e = vec![(code_key, F::Str(&f.code)), ("message", F::Str(&f.message))];
                if let Some(s) = &f.gql_status {
                    e.push(("gql_status", F::Str(s)));
                }
                if let Some(s) = &f.description {
                    e.push(("description", F::Str(s)));
                }
                if let Some(d) = &f.diagnostic_record {
                    e.push(("diagnostic_record", F::Map(d)));
                }
                let cause = match &f.cause {
                    Some(c) => Some(c.to_value()?),
                    None => None,
                };
                if let Some(c) = &cause {
                    e.push(("cause", F::Value(c)));
                }
                write_struct_header(buf, tag::FAILURE, 1)?;
                write_entries(buf, &e, &f.metadata)?;
            }
        }
        Ok(())
    }

    /// Decodes one message body as a response of `version` (the client side).
    ///
    /// ```
    /// use bolt_proto::message::Response;
    /// use bolt_proto::Version;
    /// // SUCCESS {}
    /// let r = Response::decode(&[0xB1, 0x70, 0xA0], Version::V3_0).unwrap();
    /// assert!(matches!(r, Response::Success(s) if s.metadata.is_empty()));
    /// ```
    pub fn decode(body: &[u8], version: Version) -> Result<Response, DecodeError> {
        let (t, len, mut dec) = open(body)?;
        match t {
            tag::RECORD => {
                check_count("RECORD", 1, len, version)?;
                let n = read_list_header(&mut dec)?;
                let mut fields = Vec::with_capacity(n.min(dec.remaining()));
                for _ in 0..n {
                    fields.push(dec.read_value()?);
                }
                dec.finish()?;
                Ok(Response::Record(Record { fields }))
            }
            _ => decode_summary(t, len, dec, version).map(|r| match r {
                Summary::Success(s) => Response::Success(s.to_success()),
                Summary::Ignored => Response::Ignored,
                Summary::Failure(f) => Response::Failure(f),
            }),
        }
    }
}

/// Writes a RECORD body straight from values, without building a [`Record`].
///
/// ```
/// let mut buf = Vec::new();
/// bolt_proto::message::encode_record(&[1.into()], &mut buf).unwrap();
/// assert_eq!(buf, [0xB1, 0x71, 0x91, 0x01]);
/// ```
pub fn encode_record(fields: &[Value], buf: &mut Vec<u8>) -> Result<(), EncodeError> {
    write_struct_header(buf, tag::RECORD, 1)?;
    write_list_header(buf, fields.len())?;
    for f in fields {
        write_value(buf, f)?;
    }
    Ok(())
}

fn check_count(
    message: &'static str,
    expected: usize,
    found: usize,
    version: Version,
) -> Result<(), DecodeError> {
    if expected == found {
        Ok(())
    } else {
        Err(DecodeError::FieldCount {
            message,
            expected,
            found,
            version,
        })
    }
}

fn read_list_header(dec: &mut Decoder<'_>) -> Result<usize, DecodeError> {
    match dec.peek_kind()? {
        Kind::List => Ok(dec.read_list_header()?),
        found => Err(DecodeError::FieldType {
            message: "RECORD",
            field: "data",
            expected: "list",
            found,
        }),
    }
}

enum Summary<'a> {
    Success(SuccessRef<'a>),
    Ignored,
    Failure(Failure),
}

fn decode_summary<'a>(
    t: u8,
    len: usize,
    dec: Decoder<'a>,
    version: Version,
) -> Result<Summary<'a>, DecodeError> {
    match t {
        tag::SUCCESS => {
            check_count("SUCCESS", 1, len, version)?;
            SuccessRef::from_decoder(dec).map(Summary::Success)
        }
        tag::IGNORED => {
            check_count("IGNORED", 0, len, version)?;
            dec.finish()?;
            Ok(Summary::Ignored)
        }
        tag::FAILURE => {
            check_count("FAILURE", 1, len, version)?;
            let cx = Ctx { message: "FAILURE" };
            let m = cx.map("metadata", one(dec)?)?;
            Ok(Summary::Failure(decode_failure(m, version, cx)?))
        }
        tag => Err(DecodeError::UnknownTag {
            tag,
            side: Side::Response,
            version,
        }),
    }
}

fn one(dec: Decoder<'_>) -> Result<Value, DecodeError> {
    Ok(read_fields(dec, 1)?.pop().unwrap_or(Value::Null))
}

/// Used when a FAILURE lacks `code` (as other drivers do).
const UNKNOWN_CODE: &str = "Neo.DatabaseError.General.UnknownError";

fn decode_failure(mut m: Map, version: Version, cx: Ctx) -> Result<Failure, DecodeError> {
    let gql = version.has_gql_errors();
    let code = if gql {
        match m.remove("neo4j_code") {
            Some(v) => Some(v),
            None => m.remove("code"),
        }
    } else {
        m.remove("code")
    };
    let code = cx
        .opt_string("code", code)?
        .unwrap_or_else(|| UNKNOWN_CODE.to_owned());
    let message = cx
        .opt_string("message", m.remove("message"))?
        .unwrap_or_default();
    let mut f = Failure {
        code,
        message,
        ..Failure::default()
    };
    if gql {
        f.gql_status = cx.opt_string("gql_status", m.remove("gql_status"))?;
        f.description = cx.opt_string("description", m.remove("description"))?;
        f.diagnostic_record = cx.opt_map("diagnostic_record", m.remove("diagnostic_record"))?;
        f.cause = match cx.opt_map("cause", m.remove("cause"))? {
            Some(c) => Some(Box::new(FailureCause::from_map(c, cx)?)),
            None => None,
        };
    }
    f.metadata = m;
    Ok(f)
}

/// A response decoded without copying RECORD values: the hot path.
///
/// ```
/// use bolt_proto::message::ResponseRef;
/// use bolt_proto::Version;
/// let body = [0xB1, 0x71, 0x92, 0x01, 0x81, b'a'];
/// let ResponseRef::Record(rec) = ResponseRef::decode(&body, Version::V4_4).unwrap() else {
///     panic!("not a record")
/// };
/// assert_eq!(rec.len(), 2);
/// let vals = rec.values().unwrap();
/// assert_eq!(vals[1], packstream::ValueRef::String("a"));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum ResponseRef<'a> {
    /// SUCCESS, its metadata borrowed and read on demand.
    Success(SuccessRef<'a>),
    /// RECORD, borrowed and decoded on demand.
    Record(RecordView<'a>),
    /// IGNORED.
    Ignored,
    /// FAILURE (owned; boxed, so that the common answers, moved several
    /// times per query, stay small).
    Failure(Box<Failure>),
}

impl<'a> ResponseRef<'a> {
    /// Decodes a response body; a RECORD is only checked for its header.
    ///
    /// ```
    /// use bolt_proto::message::ResponseRef;
    /// assert_eq!(ResponseRef::decode(&[0xB0, 0x7E], bolt_proto::Version::V5_0).unwrap(), ResponseRef::Ignored);
    /// ```
    pub fn decode(body: &'a [u8], version: Version) -> Result<ResponseRef<'a>, DecodeError> {
        if let [0xB1, tag::RECORD, 0x90..=0x9F, ..] = body {
            return RecordView::decode(body).map(ResponseRef::Record);
        }
        let (t, len, dec) = open(body)?;
        if t == tag::RECORD {
            check_count("RECORD", 1, len, version)?;
            return RecordView::from_decoder(body, dec).map(ResponseRef::Record);
        }
        decode_summary(t, len, dec, version).map(|r| match r {
            Summary::Success(s) => ResponseRef::Success(s),
            Summary::Ignored => ResponseRef::Ignored,
            Summary::Failure(f) => ResponseRef::Failure(Box::new(f)),
        })
    }

    /// The message kind.
    ///
    /// ```
    /// use bolt_proto::message::{ResponseKind, ResponseRef};
    /// assert_eq!(ResponseRef::Ignored.kind(), ResponseKind::Ignored);
    /// ```
    pub fn kind(&self) -> ResponseKind {
        match self {
            ResponseRef::Success(_) => ResponseKind::Success,
            ResponseRef::Record(_) => ResponseKind::Record,
            ResponseRef::Ignored => ResponseKind::Ignored,
            ResponseRef::Failure(_) => ResponseKind::Failure,
        }
    }
}

/// The fields of a RECORD, still encoded: values are decoded when asked for,
/// strings and bytes borrow the message body.
///
/// ```
/// use bolt_proto::message::RecordView;
/// let view = RecordView::decode(&[0xB1, 0x71, 0x92, 0x2A, 0xC0]).unwrap();
/// let mut it = view.iter();
/// assert_eq!(it.next().unwrap().unwrap(), packstream::ValueRef::Integer(42));
/// assert_eq!(it.next().unwrap().unwrap(), packstream::ValueRef::Null);
/// assert!(it.next().is_none());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordView<'a> {
    len: usize,
    data: &'a [u8],
}

impl<'a> RecordView<'a> {
    /// Reads the RECORD header of a message body (any version: RECORD has
    /// never changed).
    ///
    /// ```
    /// assert!(bolt_proto::message::RecordView::decode(&[0xB1, 0x70, 0xA0]).is_err());
    /// ```
    #[inline]
    pub fn decode(body: &'a [u8]) -> Result<RecordView<'a>, DecodeError> {
        // Fast path: `B1 71` and a tiny list header (under 16 fields).
        // Each value takes at least one byte (the slow path's check).
        if let [0xB1, tag::RECORD, m @ 0x90..=0x9F, data @ ..] = body {
            let len = usize::from(m & 0x0F);
            if len <= data.len() {
                return Ok(RecordView { len, data });
            }
        }
        RecordView::decode_slow(body)
    }

    /// [`decode`](Self::decode) beyond the tiny-list fast path.
    #[inline(never)]
    fn decode_slow(body: &'a [u8]) -> Result<RecordView<'a>, DecodeError> {
        let (t, len, dec) = open(body)?;
        if t != tag::RECORD {
            return Err(DecodeError::UnknownTag {
                tag: t,
                side: Side::Response,
                version: Version::V5_8,
            });
        }
        check_count("RECORD", 1, len, Version::V5_8)?;
        RecordView::from_decoder(body, dec)
    }

    fn from_decoder(body: &'a [u8], mut dec: Decoder<'a>) -> Result<RecordView<'a>, DecodeError> {
        let n = read_list_header(&mut dec)?;
        // `position()` counts from the start of `body`.
        let data = body.get(dec.position()..).unwrap_or_default();
        Ok(RecordView { len: n, data })
    }

    /// Number of values.
    ///
    /// ```
    /// assert_eq!(bolt_proto::message::RecordView::decode(&[0xB1, 0x71, 0x90]).unwrap().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the record has no values.
    ///
    /// ```
    /// assert!(bolt_proto::message::RecordView::decode(&[0xB1, 0x71, 0x90]).unwrap().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The encoded values (after the list header).
    ///
    /// ```
    /// let v = bolt_proto::message::RecordView::decode(&[0xB1, 0x71, 0x91, 0x05]).unwrap();
    /// assert_eq!(v.raw(), &[0x05]);
    /// ```
    pub fn raw(&self) -> &'a [u8] {
        self.data
    }

    /// A decoder positioned on the first value, for callers that decode
    /// straight into their own types (e.g. with `read_int`).
    ///
    /// ```
    /// let v = bolt_proto::message::RecordView::decode(&[0xB1, 0x71, 0x91, 0x05]).unwrap();
    /// assert_eq!(v.decoder().read_int().unwrap(), 5);
    /// ```
    pub fn decoder(&self) -> Decoder<'a> {
        Decoder::new(self.data)
    }

    /// Iterates over the values, decoding each on demand. After the last
    /// value, leftover bytes are reported as an error.
    ///
    /// ```
    /// let v = bolt_proto::message::RecordView::decode(&[0xB1, 0x71, 0x91, 0x05]).unwrap();
    /// assert_eq!(v.iter().count(), 1);
    /// ```
    pub fn iter(&self) -> RecordFields<'a> {
        RecordFields {
            left: self.len,
            dec: Some(Decoder::new(self.data)),
        }
    }

    /// All values, borrowed.
    ///
    /// ```
    /// let v = bolt_proto::message::RecordView::decode(&[0xB1, 0x71, 0x91, 0x05]).unwrap();
    /// assert_eq!(v.values().unwrap(), vec![packstream::ValueRef::Integer(5)]);
    /// ```
    pub fn values(&self) -> Result<Vec<ValueRef<'a>>, DecodeError> {
        let mut out = Vec::with_capacity(self.len.min(self.data.len()));
        for v in self.iter() {
            out.push(v?);
        }
        Ok(out)
    }

    /// All values, owned.
    ///
    /// ```
    /// let v = bolt_proto::message::RecordView::decode(&[0xB1, 0x71, 0x91, 0x05]).unwrap();
    /// assert_eq!(v.to_owned_values().unwrap(), vec![packstream::Value::Integer(5)]);
    /// ```
    pub fn to_owned_values(&self) -> Result<Vec<Value>, DecodeError> {
        let mut dec = Decoder::new(self.data);
        let mut out = Vec::with_capacity(self.len.min(self.data.len()));
        for _ in 0..self.len {
            out.push(dec.read_value()?);
        }
        dec.finish()?;
        Ok(out)
    }
}

/// Iterator over the values of a [`RecordView`].
///
/// ```
/// let v = bolt_proto::message::RecordView::decode(&[0xB1, 0x71, 0x92, 0x01, 0x02]).unwrap();
/// let sum: i64 = v.iter().map(|x| match x.unwrap() {
///     packstream::ValueRef::Integer(i) => i,
///     _ => 0,
/// }).sum();
/// assert_eq!(sum, 3);
/// ```
#[derive(Debug, Clone)]
pub struct RecordFields<'a> {
    left: usize,
    dec: Option<Decoder<'a>>,
}

impl<'a> Iterator for RecordFields<'a> {
    type Item = Result<ValueRef<'a>, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        let dec = self.dec.as_mut()?;
        if self.left == 0 {
            let dec = self.dec.take()?;
            return match dec.finish() {
                Ok(()) => None,
                Err(e) => Some(Err(e.into())),
            };
        }
        self.left -= 1;
        match dec.read_value_ref() {
            Ok(v) => Some(Ok(v)),
            Err(e) => {
                self.dec = None;
                Some(Err(e.into()))
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.left + 1))
    }
}

/// Decodes a RECORD body into borrowed values in one call.
///
/// ```
/// let vals = bolt_proto::message::decode_record_ref(&[0xB1, 0x71, 0x91, 0x81, b'x']).unwrap();
/// assert_eq!(vals, vec![packstream::ValueRef::String("x")]);
/// ```
pub fn decode_record_ref(body: &[u8]) -> Result<Vec<ValueRef<'_>>, DecodeError> {
    RecordView::decode(body)?.values()
}
