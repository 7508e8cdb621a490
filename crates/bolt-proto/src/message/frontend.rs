//! Borrowed request writers: one function per client message, writing its
//! body straight into the caller's buffer from borrowed inputs.
//!
//! Owns the client's way of *writing* requests without building a
//! [`Request`](super::Request) first: the query text, parameters, bookmarks,
//! database, transaction metadata and notification filter are borrowed from
//! wherever the caller keeps them (a session's config, a query), so nothing
//! is copied into a message and nothing is allocated (except by HELLO,
//! written once per connection). Parameters are written by a caller's
//! closure straight into the message, so a caller with its own value types
//! encodes them once, in place, with its own error type.
//!
//! Each writer appends one message *body* (one PackStream structure, not
//! chunked) for the negotiated [`Version`], exactly the bytes
//! [`Request::encode`](super::Request::encode) writes for the same message
//! (tests compare them for every request kind at every version), and
//! refuses what the version cannot express with the same [`EncodeError`].
//! On error the buffer is left as it was. Chunking stays with
//! [`framing::ChunkEncoder`](crate::framing::ChunkEncoder), its one owner;
//! a connection frames what a writer wrote (bolt-pool's
//! `Connection::queue_with`). Must not track state (that is
//! [`crate::state`]) or decode anything (the owned
//! [`Request`](super::Request) types stay for decoding, stub servers and
//! TestKit).
//!
//! ```
//! use bolt_proto::message::frontend::{self, TxMeta};
//! use bolt_proto::message::{EncodeError, Request, Run};
//! use bolt_proto::Version;
//!
//! let bookmarks = vec!["bm:1".to_owned()];
//! let tx = TxMeta { bookmarks: (&bookmarks).into(), db: Some("neo4j"), ..TxMeta::default() };
//! let mut buf = Vec::new();
//! frontend::run(
//!     "RETURN $x AS x",
//!     |buf: &mut Vec<u8>| {
//!         buf.extend_from_slice(&[0xA1, 0x81, b'x', 0x01]); // {x: 1}
//!         Ok::<_, EncodeError>(())
//!     },
//!     &tx,
//!     Version::V5_8,
//!     &mut buf,
//! )?;
//! frontend::pull(1000, None, Version::V5_8, &mut buf)?;
//!
//! // The same bytes as the owned messages:
//! let mut run = Run::new("RETURN $x AS x");
//! run.parameters.insert("x", 1);
//! run.tx.bookmarks = bookmarks.clone();
//! run.tx.db = Some("neo4j".into());
//! let mut owned = Vec::new();
//! Request::Run(run).encode(Version::V5_8, &mut owned)?;
//! assert_eq!(buf[..owned.len()], owned[..]);
//! # Ok::<(), EncodeError>(())
//! ```

use packstream::encode::{
    write_int, write_map_header, write_null, write_string, write_struct_header,
};
use packstream::Map;

use super::wire::{write_entries, write_map, Entries, F};
use super::{
    tag, AccessMode, BoltAgent, EncodeError, EncodedMap, Hello, NotificationFilter, RequestKind,
    TxExtra,
};
use crate::Version;

/// No extra entries.
static NO_EXTRA: Map = Map::new();

/// A borrowed list of strings (bookmarks, notification categories, patch
/// names), whichever way the caller keeps them.
///
/// ```
/// use bolt_proto::message::frontend::Strs;
/// let owned = vec!["a".to_owned()];
/// assert_eq!(Strs::from(&owned).len(), 1);
/// assert!(Strs::default().is_empty());
/// assert_eq!(Strs::from(&["x", "y"][..]).len(), 2);
/// ```
#[derive(Debug, Clone, Copy)]
pub enum Strs<'a> {
    /// Owned strings.
    Strings(&'a [String]),
    /// String slices.
    Strs(&'a [&'a str]),
}

impl Strs<'_> {
    /// How many strings.
    ///
    /// ```
    /// assert_eq!(bolt_proto::message::frontend::Strs::default().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        match self {
            Strs::Strings(s) => s.len(),
            Strs::Strs(s) => s.len(),
        }
    }

    /// Whether there are none.
    ///
    /// ```
    /// assert!(bolt_proto::message::frontend::Strs::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn f<'b>(&self) -> F<'b>
    where
        Self: 'b,
    {
        match *self {
            Strs::Strings(s) => F::StrList(s),
            Strs::Strs(s) => F::Strs(s),
        }
    }
}

impl Default for Strs<'_> {
    fn default() -> Self {
        Strs::Strs(&[])
    }
}

impl<'a> From<&'a [String]> for Strs<'a> {
    fn from(s: &'a [String]) -> Self {
        Strs::Strings(s)
    }
}

impl<'a> From<&'a Vec<String>> for Strs<'a> {
    fn from(s: &'a Vec<String>) -> Self {
        Strs::Strings(s)
    }
}

impl<'a> From<&'a [&'a str]> for Strs<'a> {
    fn from(s: &'a [&'a str]) -> Self {
        Strs::Strs(s)
    }
}

/// A borrowed map value: a [`Map`] or one already encoded
/// ([`EncodedMap`], e.g. transaction metadata encoded once per session).
///
/// ```
/// use bolt_proto::message::{frontend::MapRef, EncodedMap};
/// let e = EncodedMap::default();
/// assert!(matches!(MapRef::from(&e), MapRef::Encoded(_)));
/// ```
#[derive(Debug, Clone, Copy)]
pub enum MapRef<'a> {
    /// A map, encoded when written.
    Map(&'a Map),
    /// A map already encoded, written verbatim.
    Encoded(&'a EncodedMap),
}

impl MapRef<'_> {
    fn f<'b>(&self) -> F<'b>
    where
        Self: 'b,
    {
        match *self {
            MapRef::Map(m) => F::Map(m),
            MapRef::Encoded(m) => F::Raw(m.as_bytes()),
        }
    }

    fn write(&self, buf: &mut Vec<u8>) -> Result<(), packstream::Error> {
        match *self {
            MapRef::Map(m) => write_map(buf, m),
            MapRef::Encoded(m) => {
                buf.extend_from_slice(m.as_bytes());
                Ok(())
            }
        }
    }
}

impl<'a> From<&'a Map> for MapRef<'a> {
    fn from(m: &'a Map) -> Self {
        MapRef::Map(m)
    }
}

impl<'a> From<&'a EncodedMap> for MapRef<'a> {
    fn from(m: &'a EncodedMap) -> Self {
        MapRef::Encoded(m)
    }
}

/// Notification filters of HELLO, BEGIN and RUN (5.2+), borrowed: the
/// borrowed form of [`NotificationFilter`].
///
/// ```
/// use bolt_proto::message::frontend::Notifications;
/// let off = Notifications { minimum_severity: Some("OFF"), ..Default::default() };
/// assert!(!off.is_empty());
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Notifications<'a> {
    /// `notifications_minimum_severity`.
    pub minimum_severity: Option<&'a str>,
    /// Disabled categories (written as classifications from 5.5).
    pub disabled_categories: Option<Strs<'a>>,
}

impl<'a> Notifications<'a> {
    /// Whether no filter is set.
    ///
    /// ```
    /// assert!(bolt_proto::message::frontend::Notifications::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.minimum_severity.is_none() && self.disabled_categories.is_none()
    }

    fn push(&self, version: Version, out: &mut impl Extend<(&'a str, F<'a>)>) {
        if let Some(s) = self.minimum_severity {
            out.extend([("notifications_minimum_severity", F::Str(s))]);
        }
        if let Some(c) = &self.disabled_categories {
            let key = if version >= Version::V5_5 {
                "notifications_disabled_classifications"
            } else {
                "notifications_disabled_categories"
            };
            out.extend([(key, c.f())]);
        }
    }
}

impl<'a> From<&'a NotificationFilter> for Notifications<'a> {
    fn from(f: &'a NotificationFilter) -> Self {
        Notifications {
            minimum_severity: f.minimum_severity.as_deref(),
            disabled_categories: f.disabled_categories.as_ref().map(Strs::from),
        }
    }
}

/// The metadata of BEGIN and auto-commit RUN (3.0+), borrowed: the
/// borrowed form of [`TxExtra`]. [`TxMeta::default()`] is the empty map (a
/// RUN inside an explicit transaction).
///
/// Each field is checked against the version when written: `db` needs
/// 4.0, `imp_user` 4.4, notification filters 5.2; before 3.0 the map must
/// be empty.
///
/// ```
/// use bolt_proto::message::{frontend::{self, TxMeta}, AccessMode};
/// use bolt_proto::Version;
/// let tx = TxMeta { mode: AccessMode::Read, db: Some("movies"), ..TxMeta::default() };
/// let mut buf = Vec::new();
/// frontend::begin(&tx, Version::V4_4, &mut buf).unwrap();
/// assert_eq!(buf[..3], [0xB1, 0x11, 0xA2]); // BEGIN {mode: "r", db: "movies"}
/// assert!(frontend::begin(&tx, Version::V3_0, &mut buf).is_err()); // no `db` before 4.0
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct TxMeta<'a> {
    /// `bookmarks` (written when not empty).
    pub bookmarks: Strs<'a>,
    /// `tx_timeout` in milliseconds.
    pub tx_timeout: Option<i64>,
    /// `tx_metadata`.
    pub tx_metadata: Option<MapRef<'a>>,
    /// `mode` (`"r"` written for [`AccessMode::Read`] only).
    pub mode: AccessMode,
    /// `db` (4.0+).
    pub db: Option<&'a str>,
    /// `imp_user` (4.4+).
    pub imp_user: Option<&'a str>,
    /// Notification filters (5.2+).
    pub notifications: Notifications<'a>,
    /// Any other entries, written after the modelled ones (those with a
    /// modelled entry's key are left out).
    pub extra: Option<&'a Map>,
}

impl<'a> TxMeta<'a> {
    /// Whether nothing is set (the map is written empty).
    ///
    /// ```
    /// assert!(bolt_proto::message::frontend::TxMeta::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.bookmarks.is_empty()
            && self.tx_timeout.is_none()
            && self.tx_metadata.is_none()
            && self.mode == AccessMode::Write
            && self.db.is_none()
            && self.imp_user.is_none()
            && self.notifications.is_empty()
            && self.extra.is_none_or(Map::is_empty)
    }

    fn check(&self, message: &'static str, version: Version) -> Result<(), EncodeError> {
        let bad = |field| {
            Err(EncodeError::FieldNotInVersion {
                message,
                field,
                version,
            })
        };
        if !version.has_hello() && !self.is_empty() {
            return bad("extra");
        }
        if self.db.is_some() && !version.has_pull_n() {
            return bad("db");
        }
        if self.imp_user.is_some() && !version.has_impersonation() {
            return bad("imp_user");
        }
        if !self.notifications.is_empty() && !version.has_notification_filters() {
            return bad("notifications_minimum_severity");
        }
        Ok(())
    }

    fn write(&self, buf: &mut Vec<u8>, version: Version) -> Result<(), packstream::Error> {
        // Bookmarks, timeout, metadata, mode, db, user, two notification
        // filters.
        let mut e = Entries::<'_, 8>::new();
        if !self.bookmarks.is_empty() {
            e.push(("bookmarks", self.bookmarks.f()));
        }
        if let Some(t) = self.tx_timeout {
            e.push(("tx_timeout", F::Int(t)));
        }
        if let Some(m) = &self.tx_metadata {
            e.push(("tx_metadata", m.f()));
        }
        if self.mode == AccessMode::Read {
            e.push(("mode", F::Str("r")));
        }
        if let Some(db) = self.db {
            e.push(("db", F::Str(db)));
        }
        if let Some(u) = self.imp_user {
            e.push(("imp_user", F::Str(u)));
        }
        self.notifications.push(version, &mut e);
        write_entries(buf, e.as_slice(), self.extra.unwrap_or(&NO_EXTRA))
    }
}

impl<'a> From<&'a TxExtra> for TxMeta<'a> {
    /// The borrowed view of `tx` (its already-encoded metadata preferred,
    /// as [`Request::encode`](super::Request::encode) does).
    fn from(tx: &'a TxExtra) -> Self {
        TxMeta {
            bookmarks: Strs::from(&tx.bookmarks),
            tx_timeout: tx.tx_timeout,
            tx_metadata: match (&tx.encoded_tx_metadata, &tx.tx_metadata) {
                (Some(e), _) => Some(MapRef::Encoded(e)),
                (None, Some(m)) => Some(MapRef::Map(m)),
                (None, None) => None,
            },
            mode: tx.mode,
            db: tx.db.as_deref(),
            imp_user: tx.imp_user.as_deref(),
            notifications: Notifications::from(&tx.notifications),
            extra: Some(&tx.extra),
        }
    }
}

/// The `bolt_agent` map of HELLO (5.3+), borrowed.
///
/// ```
/// use bolt_proto::message::frontend::BoltAgentRef;
/// let a = BoltAgentRef { product: "neo4j-rust/0.1", ..Default::default() };
/// assert!(a.platform.is_none());
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct BoltAgentRef<'a> {
    /// Driver name and version (required).
    pub product: &'a str,
    /// Operating system and architecture.
    pub platform: Option<&'a str>,
    /// Language and version.
    pub language: Option<&'a str>,
    /// Language runtime details.
    pub language_details: Option<&'a str>,
}

impl<'a> From<&'a BoltAgent> for BoltAgentRef<'a> {
    fn from(a: &'a BoltAgent) -> Self {
        BoltAgentRef {
            product: &a.product,
            platform: a.platform.as_deref(),
            language: a.language.as_deref(),
            language_details: a.language_details.as_deref(),
        }
    }
}

/// The fields of HELLO (3.0+), borrowed: the borrowed form of [`Hello`].
///
/// ```
/// use bolt_proto::message::frontend::{self, HelloFields};
/// use bolt_proto::Version;
/// let mut buf = Vec::new();
/// frontend::hello(&HelloFields { user_agent: "me/1.0", ..Default::default() }, Version::V5_1, &mut buf)?;
/// assert_eq!(buf[..3], [0xB1, 0x01, 0xA1]); // HELLO {user_agent: "me/1.0"}
/// # Ok::<(), bolt_proto::message::EncodeError>(())
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct HelloFields<'a> {
    /// `user_agent`.
    pub user_agent: &'a str,
    /// Authentication entries, merged into HELLO before 5.1 (from 5.1 they
    /// travel in LOGON and setting this is an error).
    pub auth: Option<&'a Map>,
    /// Routing context (`routing`, 4.1+).
    pub routing: Option<&'a Map>,
    /// Protocol patches (`patch_bolt`, 4.3–4.4; written when not empty).
    pub patch_bolt: Strs<'a>,
    /// Notification filters (5.2+).
    pub notifications: Notifications<'a>,
    /// Driver identification (`bolt_agent`, 5.3+).
    pub bolt_agent: Option<BoltAgentRef<'a>>,
    /// Any other entries, written after the modelled ones.
    pub extra: Option<&'a Map>,
}

impl<'a> From<&'a Hello> for HelloFields<'a> {
    fn from(h: &'a Hello) -> Self {
        HelloFields {
            user_agent: &h.user_agent,
            auth: h.auth.as_ref(),
            routing: h.routing.as_ref(),
            patch_bolt: Strs::from(&h.patch_bolt),
            notifications: Notifications::from(&h.notifications),
            bolt_agent: h.bolt_agent.as_ref().map(BoltAgentRef::from),
            extra: Some(&h.extra),
        }
    }
}

/// Runs `write` on `buf`, leaving `buf` as it was if it fails.
fn guarded<E>(
    buf: &mut Vec<u8>,
    write: impl FnOnce(&mut Vec<u8>) -> Result<(), E>,
) -> Result<(), E> {
    let start = buf.len();
    let r = write(buf);
    if r.is_err() {
        buf.truncate(start);
    }
    r
}

/// The message's name in `version`, or the error if it lacks the message.
fn available(kind: RequestKind, version: Version) -> Result<&'static str, EncodeError> {
    let message = kind.wire_name(version);
    if kind.is_available_in(version) {
        Ok(message)
    } else {
        Err(EncodeError::NotInVersion { message, version })
    }
}

/// A message without fields.
fn empty(kind: RequestKind, version: Version, buf: &mut Vec<u8>) -> Result<(), EncodeError> {
    available(kind, version)?;
    write_struct_header(buf, kind.tag(), 0)?;
    Ok(())
}

/// Whether `bytes` are exactly one PackStream map (debug check of a
/// caller's parameter writer).
fn is_one_map(bytes: &[u8]) -> bool {
    let mut d = packstream::Decoder::new(bytes);
    d.peek_kind().ok() == Some(packstream::Kind::Map)
        && d.skip_value().is_ok()
        && d.finish().is_ok()
}

/// Writes an empty parameter map: the `params` argument of [`run`] for a
/// query without parameters.
///
/// ```
/// use bolt_proto::message::{frontend::{self, TxMeta}, EncodeError};
/// use bolt_proto::Version;
/// let mut buf = Vec::new();
/// frontend::run::<EncodeError>("RETURN 1", frontend::no_params, &TxMeta::default(), Version::V1, &mut buf)?;
/// assert_eq!(buf[..2], [0xB2, 0x10]);
/// assert_eq!(*buf.last().unwrap(), 0xA0);
/// # Ok::<(), EncodeError>(())
/// ```
pub fn no_params<E>(buf: &mut Vec<u8>) -> Result<(), E> {
    buf.push(0xA0);
    Ok(())
}

/// A parameter writer for [`run`] writing `params` (a [`Map`] or an
/// [`EncodedMap`]).
///
/// ```
/// use bolt_proto::message::{frontend::{self, TxMeta}, EncodeError};
/// use bolt_proto::Version;
/// let mut p = packstream::Map::new();
/// p.insert("x", 1);
/// let mut buf = Vec::new();
/// frontend::run::<EncodeError>("RETURN $x", frontend::params(&p), &TxMeta::default(), Version::V4_4, &mut buf)?;
/// assert!(buf.ends_with(&[0xA1, 0x81, b'x', 0x01, 0xA0]));
/// # Ok::<(), EncodeError>(())
/// ```
pub fn params<'a, E: From<EncodeError>>(
    params: impl Into<MapRef<'a>>,
) -> impl FnOnce(&mut Vec<u8>) -> Result<(), E> + 'a {
    let params = params.into();
    move |buf| params.write(buf).map_err(|e| E::from(e.into()))
}

/// RUN: `query`, the parameter map `params` writes (exactly one PackStream
/// map, e.g. [`params`] or [`no_params`], or the caller's own encoder) and,
/// from 3.0, the metadata `tx` ([`TxMeta::default()`] inside an explicit
/// transaction; before 3.0 it must be empty).
///
/// The parameter writer's error is returned as it is (so a caller's
/// encoder keeps its own error type); on any error `buf` is left as it was.
///
/// ```
/// use bolt_proto::message::frontend::{self, TxMeta};
/// use bolt_proto::message::EncodeError;
/// use bolt_proto::Version;
/// let mut buf = Vec::new();
/// frontend::run("RETURN 1", frontend::no_params::<EncodeError>, &TxMeta::default(), Version::V5_8, &mut buf)?;
/// assert_eq!(buf[..3], [0xB3, 0x10, 0x88]); // RUN "RETURN 1" {} {}
/// assert_eq!(buf[11..], [0xA0, 0xA0]);
///
/// // A failing parameter writer writes nothing:
/// let failed = frontend::run(
///     "RETURN $x",
///     |_: &mut Vec<u8>| Err::<(), _>(EncodeError::InvalidField { message: "RUN", field: "x", reason: "no" }),
///     &TxMeta::default(),
///     Version::V5_8,
///     &mut buf,
/// );
/// assert!(failed.is_err());
/// assert_eq!(buf.len(), 13);
/// # Ok::<(), EncodeError>(())
/// ```
pub fn run<E: From<EncodeError>>(
    query: &str,
    params: impl FnOnce(&mut Vec<u8>) -> Result<(), E>,
    tx: &TxMeta<'_>,
    version: Version,
    buf: &mut Vec<u8>,
) -> Result<(), E> {
    guarded(buf, |buf| {
        let message = available(RequestKind::Run, version)?;
        tx.check(message, version)?;
        let legacy = !version.has_hello();
        write_struct_header(buf, tag::RUN, if legacy { 2 } else { 3 }).map_err(enc)?;
        write_string(buf, query).map_err(enc)?;
        let at = buf.len();
        params(buf)?;
        debug_assert!(
            is_one_map(&buf[at..]),
            "a RUN parameter writer must write exactly one map"
        );
        if !legacy {
            tx.write(buf, version).map_err(enc)?;
        }
        Ok(())
    })
}

fn enc<E: From<EncodeError>>(e: packstream::Error) -> E {
    E::from(EncodeError::PackStream(e))
}

/// BEGIN (3.0+) with the metadata `tx`.
///
/// ```
/// use bolt_proto::message::frontend::{self, TxMeta};
/// use bolt_proto::Version;
/// let mut buf = Vec::new();
/// frontend::begin(&TxMeta::default(), Version::V3_0, &mut buf)?;
/// assert_eq!(buf, [0xB1, 0x11, 0xA0]);
/// assert!(frontend::begin(&TxMeta::default(), Version::V2, &mut buf).is_err());
/// # Ok::<(), bolt_proto::message::EncodeError>(())
/// ```
pub fn begin(tx: &TxMeta<'_>, version: Version, buf: &mut Vec<u8>) -> Result<(), EncodeError> {
    guarded(buf, |buf| {
        let message = available(RequestKind::Begin, version)?;
        tx.check(message, version)?;
        write_struct_header(buf, tag::BEGIN, 1)?;
        tx.write(buf, version)?;
        Ok(())
    })
}

/// PULL `n` records (-1: all) of the result `qid` (`None`: the last one);
/// PULL_ALL before 4.0, where only `n = -1` and no `qid` can be expressed.
///
/// ```
/// use bolt_proto::message::frontend;
/// use bolt_proto::Version;
/// let mut buf = Vec::new();
/// frontend::pull(-1, None, Version::V3_0, &mut buf)?;
/// assert_eq!(buf, [0xB0, 0x3F]); // PULL_ALL
/// buf.clear();
/// frontend::pull(1000, Some(2), Version::V4_4, &mut buf)?;
/// assert_eq!(buf[..3], [0xB1, 0x3F, 0xA2]); // PULL {n: 1000, qid: 2}
/// assert!(frontend::pull(5, None, Version::V3_0, &mut buf).is_err());
/// # Ok::<(), bolt_proto::message::EncodeError>(())
/// ```
pub fn pull(
    n: i64,
    qid: Option<i64>,
    version: Version,
    buf: &mut Vec<u8>,
) -> Result<(), EncodeError> {
    pull_or_discard(RequestKind::Pull, n, qid, version, buf)
}

/// DISCARD `n` records (-1: all) of the result `qid` (`None`: the last
/// one); DISCARD_ALL before 4.0 (as [`pull`]).
///
/// ```
/// use bolt_proto::message::frontend;
/// use bolt_proto::Version;
/// let mut buf = Vec::new();
/// frontend::discard(-1, None, Version::V1, &mut buf)?;
/// assert_eq!(buf, [0xB0, 0x2F]); // DISCARD_ALL
/// # Ok::<(), bolt_proto::message::EncodeError>(())
/// ```
pub fn discard(
    n: i64,
    qid: Option<i64>,
    version: Version,
    buf: &mut Vec<u8>,
) -> Result<(), EncodeError> {
    pull_or_discard(RequestKind::Discard, n, qid, version, buf)
}

fn pull_or_discard(
    kind: RequestKind,
    n: i64,
    qid: Option<i64>,
    version: Version,
    buf: &mut Vec<u8>,
) -> Result<(), EncodeError> {
    guarded(buf, |buf| {
        let message = available(kind, version)?;
        if version.has_pull_n() {
            write_struct_header(buf, kind.tag(), 1)?;
            match qid {
                None => {
                    write_map_header(buf, 1)?;
                    write_string(buf, "n")?;
                    write_int(buf, n);
                }
                Some(q) => {
                    write_map_header(buf, 2)?;
                    write_string(buf, "n")?;
                    write_int(buf, n);
                    write_string(buf, "qid")?;
                    write_int(buf, q);
                }
            }
        } else {
            if n != -1 {
                return Err(EncodeError::InvalidField {
                    message,
                    field: "n",
                    reason: "must be -1 (all) before Bolt 4.0",
                });
            }
            if qid.is_some() {
                return Err(EncodeError::FieldNotInVersion {
                    message,
                    field: "qid",
                    version,
                });
            }
            write_struct_header(buf, kind.tag(), 0)?;
        }
        Ok(())
    })
}

/// COMMIT (3.0+).
///
/// ```
/// let mut buf = Vec::new();
/// bolt_proto::message::frontend::commit(bolt_proto::Version::V4_4, &mut buf)?;
/// assert_eq!(buf, [0xB0, 0x12]);
/// # Ok::<(), bolt_proto::message::EncodeError>(())
/// ```
pub fn commit(version: Version, buf: &mut Vec<u8>) -> Result<(), EncodeError> {
    empty(RequestKind::Commit, version, buf)
}

/// ROLLBACK (3.0+).
///
/// ```
/// let mut buf = Vec::new();
/// bolt_proto::message::frontend::rollback(bolt_proto::Version::V4_4, &mut buf)?;
/// assert_eq!(buf, [0xB0, 0x13]);
/// # Ok::<(), bolt_proto::message::EncodeError>(())
/// ```
pub fn rollback(version: Version, buf: &mut Vec<u8>) -> Result<(), EncodeError> {
    empty(RequestKind::Rollback, version, buf)
}

/// RESET (every version).
///
/// ```
/// let mut buf = Vec::new();
/// bolt_proto::message::frontend::reset(&mut buf);
/// assert_eq!(buf, [0xB0, 0x0F]);
/// ```
pub fn reset(buf: &mut Vec<u8>) {
    buf.extend_from_slice(&[0xB0, tag::RESET]);
}

/// GOODBYE (3.0+).
///
/// ```
/// let mut buf = Vec::new();
/// bolt_proto::message::frontend::goodbye(bolt_proto::Version::V5_0, &mut buf)?;
/// assert_eq!(buf, [0xB0, 0x02]);
/// # Ok::<(), bolt_proto::message::EncodeError>(())
/// ```
pub fn goodbye(version: Version, buf: &mut Vec<u8>) -> Result<(), EncodeError> {
    empty(RequestKind::Goodbye, version, buf)
}

/// ACK_FAILURE (Bolt 1–2).
///
/// ```
/// let mut buf = Vec::new();
/// bolt_proto::message::frontend::ack_failure(bolt_proto::Version::V2, &mut buf)?;
/// assert_eq!(buf, [0xB0, 0x0E]);
/// # Ok::<(), bolt_proto::message::EncodeError>(())
/// ```
pub fn ack_failure(version: Version, buf: &mut Vec<u8>) -> Result<(), EncodeError> {
    empty(RequestKind::AckFailure, version, buf)
}

/// LOGOFF (5.1+).
///
/// ```
/// let mut buf = Vec::new();
/// bolt_proto::message::frontend::logoff(bolt_proto::Version::V5_1, &mut buf)?;
/// assert_eq!(buf, [0xB0, 0x6B]);
/// # Ok::<(), bolt_proto::message::EncodeError>(())
/// ```
pub fn logoff(version: Version, buf: &mut Vec<u8>) -> Result<(), EncodeError> {
    empty(RequestKind::Logoff, version, buf)
}

/// LOGON (5.1+) with the auth token `auth`.
///
/// ```
/// let mut auth = packstream::Map::new();
/// auth.insert("scheme", "none");
/// let mut buf = Vec::new();
/// bolt_proto::message::frontend::logon(&auth, bolt_proto::Version::V5_1, &mut buf)?;
/// assert_eq!(buf[..3], [0xB1, 0x6A, 0xA1]);
/// # Ok::<(), bolt_proto::message::EncodeError>(())
/// ```
pub fn logon(auth: &Map, version: Version, buf: &mut Vec<u8>) -> Result<(), EncodeError> {
    guarded(buf, |buf| {
        available(RequestKind::Logon, version)?;
        write_struct_header(buf, tag::LOGON, 1)?;
        write_map(buf, auth)?;
        Ok(())
    })
}

/// INIT (Bolt 1–2): `user_agent` and the auth token `auth`.
///
/// ```
/// let mut buf = Vec::new();
/// bolt_proto::message::frontend::init("me/1.0", &packstream::Map::new(), bolt_proto::Version::V1, &mut buf)?;
/// assert_eq!(buf[..3], [0xB2, 0x01, 0x86]);
/// # Ok::<(), bolt_proto::message::EncodeError>(())
/// ```
pub fn init(
    user_agent: &str,
    auth: &Map,
    version: Version,
    buf: &mut Vec<u8>,
) -> Result<(), EncodeError> {
    guarded(buf, |buf| {
        available(RequestKind::Init, version)?;
        write_struct_header(buf, tag::INIT, 2)?;
        write_string(buf, user_agent)?;
        write_map(buf, auth)?;
        Ok(())
    })
}

/// HELLO (3.0+) with the fields `h` (each checked against the version).
///
/// ```
/// use bolt_proto::message::frontend::{self, HelloFields};
/// use bolt_proto::Version;
/// let mut routing = packstream::Map::new();
/// routing.insert("address", "localhost:7687");
/// let h = HelloFields { user_agent: "me/1.0", routing: Some(&routing), ..Default::default() };
/// let mut buf = Vec::new();
/// frontend::hello(&h, Version::V4_4, &mut buf)?;
/// assert_eq!(buf[..3], [0xB1, 0x01, 0xA2]);
/// assert!(frontend::hello(&h, Version::V4_0, &mut buf).is_err()); // routing context: 4.1+
/// # Ok::<(), bolt_proto::message::EncodeError>(())
/// ```
pub fn hello(h: &HelloFields<'_>, version: Version, buf: &mut Vec<u8>) -> Result<(), EncodeError> {
    guarded(buf, |buf| {
        let message = available(RequestKind::Hello, version)?;
        let not_in = |field| EncodeError::FieldNotInVersion {
            message,
            field,
            version,
        };
        let agent = match &h.bolt_agent {
            None => None,
            Some(_) if !version.has_bolt_agent() => return Err(not_in("bolt_agent")),
            Some(a) => {
                let rest = [
                    ("platform", a.platform),
                    ("language", a.language),
                    ("language_details", a.language_details),
                ];
                let mut m = Vec::with_capacity(64);
                write_map_header(&mut m, 1 + rest.iter().filter(|(_, v)| v.is_some()).count())?;
                write_string(&mut m, "product")?;
                write_string(&mut m, a.product)?;
                for (k, v) in rest {
                    if let Some(v) = v {
                        write_string(&mut m, k)?;
                        write_string(&mut m, v)?;
                    }
                }
                Some(m)
            }
        };
        let mut e: Vec<(&str, F<'_>)> = vec![("user_agent", F::Str(h.user_agent))];
        if let Some(auth) = h.auth {
            if version.has_logon() {
                return Err(not_in("auth"));
            }
            // Auth entries never shadow the modelled HELLO entries.
            const HELLO_KEYS: [&str; 6] = [
                "user_agent",
                "routing",
                "patch_bolt",
                "bolt_agent",
                "notifications_minimum_severity",
                "notifications_disabled_categories",
            ];
            for (k, v) in auth.iter() {
                if !HELLO_KEYS.contains(&k) && !k.starts_with("notifications_") {
                    e.push((k, F::Value(v)));
                }
            }
        }
        if let Some(r) = h.routing {
            if !version.has_routing_context() {
                return Err(not_in("routing"));
            }
            e.push(("routing", F::Map(r)));
        }
        if !h.patch_bolt.is_empty() {
            if !(Version::V4_3..=Version::V4_4).contains(&version) {
                return Err(not_in("patch_bolt"));
            }
            e.push(("patch_bolt", h.patch_bolt.f()));
        }
        if !h.notifications.is_empty() && !version.has_notification_filters() {
            return Err(not_in("notifications_minimum_severity"));
        }
        h.notifications.push(version, &mut e);
        if let Some(a) = &agent {
            e.push(("bolt_agent", F::Raw(a)));
        }
        write_struct_header(buf, tag::HELLO, 1)?;
        write_entries(buf, &e, h.extra.unwrap_or(&NO_EXTRA))?;
        Ok(())
    })
}

/// ROUTE (4.3+): the routing context, bookmarks, database (`None`: the
/// home database) and, from 4.4, the impersonated user.
///
/// ```
/// use bolt_proto::message::frontend::{self, Strs};
/// use bolt_proto::Version;
/// let mut routing = packstream::Map::new();
/// routing.insert("address", "localhost:7687");
/// let mut buf = Vec::new();
/// frontend::route(&routing, Strs::default(), Some("neo4j"), None, Version::V4_3, &mut buf)?;
/// assert_eq!(buf[..2], [0xB3, 0x66]);
/// assert!(buf.ends_with(&[0x90, 0x85, b'n', b'e', b'o', b'4', b'j'])); // [] "neo4j"
/// # Ok::<(), bolt_proto::message::EncodeError>(())
/// ```
pub fn route(
    routing: &Map,
    bookmarks: Strs<'_>,
    db: Option<&str>,
    imp_user: Option<&str>,
    version: Version,
    buf: &mut Vec<u8>,
) -> Result<(), EncodeError> {
    guarded(buf, |buf| {
        let message = available(RequestKind::Route, version)?;
        write_struct_header(buf, tag::ROUTE, 3)?;
        write_map(buf, routing)?;
        super::wire::write_f(buf, &bookmarks.f())?;
        if version.has_impersonation() {
            let mut e = Entries::<'_, 2>::new();
            if let Some(db) = db {
                e.push(("db", F::Str(db)));
            }
            if let Some(u) = imp_user {
                e.push(("imp_user", F::Str(u)));
            }
            write_entries(buf, e.as_slice(), &NO_EXTRA)?;
        } else {
            if imp_user.is_some() {
                return Err(EncodeError::FieldNotInVersion {
                    message,
                    field: "imp_user",
                    version,
                });
            }
            match db {
                Some(db) => write_string(buf, db)?,
                None => write_null(buf),
            }
        }
        Ok(())
    })
}

/// TELEMETRY (5.4+): which driver API ran the work (see
/// [`Telemetry`](super::Telemetry)'s constants).
///
/// ```
/// let mut buf = Vec::new();
/// bolt_proto::message::frontend::telemetry(2, bolt_proto::Version::V5_4, &mut buf)?;
/// assert_eq!(buf, [0xB1, 0x54, 0x02]);
/// # Ok::<(), bolt_proto::message::EncodeError>(())
/// ```
pub fn telemetry(api: i64, version: Version, buf: &mut Vec<u8>) -> Result<(), EncodeError> {
    guarded(buf, |buf| {
        available(RequestKind::Telemetry, version)?;
        write_struct_header(buf, tag::TELEMETRY, 1)?;
        write_int(buf, api);
        Ok(())
    })
}
