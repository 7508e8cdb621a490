//! Client-to-server messages: [`Request`] and the structs it carries.
//!
//! Owns the wire shape of every request in every supported version, both
//! directions (a client encodes them, a server or proxy decodes them). Must
//! not track state or touch I/O.

use packstream::encode::{write_int, write_null, write_string, write_struct_header};
use packstream::{Map, Value};

use super::wire::{open, read_fields, write_entries, write_map, write_str_list, Ctx, Entries, F};
use super::{DecodeError, EncodeError, EncodedMap, Side};
use crate::Version;

/// Structure tags of the request messages.
///
/// ```
/// use bolt_proto::message::tag;
/// assert_eq!(tag::RUN, 0x10);
/// ```
pub mod tag {
    /// HELLO (3.0+) and INIT (1–2).
    pub const HELLO: u8 = 0x01;
    /// INIT (Bolt 1–2); the same tag as HELLO.
    pub const INIT: u8 = 0x01;
    /// GOODBYE (3.0+).
    pub const GOODBYE: u8 = 0x02;
    /// ACK_FAILURE (Bolt 1–2).
    pub const ACK_FAILURE: u8 = 0x0E;
    /// RESET.
    pub const RESET: u8 = 0x0F;
    /// RUN.
    pub const RUN: u8 = 0x10;
    /// BEGIN (3.0+).
    pub const BEGIN: u8 = 0x11;
    /// COMMIT (3.0+).
    pub const COMMIT: u8 = 0x12;
    /// ROLLBACK (3.0+).
    pub const ROLLBACK: u8 = 0x13;
    /// DISCARD (4.0+) and DISCARD_ALL (before).
    pub const DISCARD: u8 = 0x2F;
    /// PULL (4.0+) and PULL_ALL (before).
    pub const PULL: u8 = 0x3F;
    /// TELEMETRY (5.4+).
    pub const TELEMETRY: u8 = 0x54;
    /// ROUTE (4.3+).
    pub const ROUTE: u8 = 0x66;
    /// LOGON (5.1+).
    pub const LOGON: u8 = 0x6A;
    /// LOGOFF (5.1+).
    pub const LOGOFF: u8 = 0x6B;
    /// SUCCESS.
    pub const SUCCESS: u8 = 0x70;
    /// RECORD.
    pub const RECORD: u8 = 0x71;
    /// IGNORED.
    pub const IGNORED: u8 = 0x7E;
    /// FAILURE.
    pub const FAILURE: u8 = 0x7F;
}

/// Which request a message is, without its fields.
///
/// ```
/// use bolt_proto::message::RequestKind;
/// use bolt_proto::Version;
/// assert_eq!(RequestKind::Pull.wire_name(Version::V3_0), "PULL_ALL");
/// assert!(!RequestKind::Route.is_available_in(Version::V4_2));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestKind {
    /// INIT (Bolt 1–2).
    Init,
    /// HELLO (3.0+).
    Hello,
    /// LOGON (5.1+).
    Logon,
    /// LOGOFF (5.1+).
    Logoff,
    /// GOODBYE (3.0+).
    Goodbye,
    /// ACK_FAILURE (Bolt 1–2).
    AckFailure,
    /// RESET.
    Reset,
    /// RUN.
    Run,
    /// BEGIN (3.0+).
    Begin,
    /// COMMIT (3.0+).
    Commit,
    /// ROLLBACK (3.0+).
    Rollback,
    /// DISCARD / DISCARD_ALL.
    Discard,
    /// PULL / PULL_ALL.
    Pull,
    /// ROUTE (4.3+).
    Route,
    /// TELEMETRY (5.4+).
    Telemetry,
}

impl RequestKind {
    /// The structure tag.
    ///
    /// ```
    /// assert_eq!(bolt_proto::message::RequestKind::Logon.tag(), 0x6A);
    /// ```
    pub fn tag(self) -> u8 {
        match self {
            RequestKind::Init | RequestKind::Hello => tag::HELLO,
            RequestKind::Logon => tag::LOGON,
            RequestKind::Logoff => tag::LOGOFF,
            RequestKind::Goodbye => tag::GOODBYE,
            RequestKind::AckFailure => tag::ACK_FAILURE,
            RequestKind::Reset => tag::RESET,
            RequestKind::Run => tag::RUN,
            RequestKind::Begin => tag::BEGIN,
            RequestKind::Commit => tag::COMMIT,
            RequestKind::Rollback => tag::ROLLBACK,
            RequestKind::Discard => tag::DISCARD,
            RequestKind::Pull => tag::PULL,
            RequestKind::Route => tag::ROUTE,
            RequestKind::Telemetry => tag::TELEMETRY,
        }
    }

    /// The modern message name (`"PULL"`, `"DISCARD"`, ...).
    ///
    /// ```
    /// assert_eq!(bolt_proto::message::RequestKind::Pull.name(), "PULL");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            RequestKind::Init => "INIT",
            RequestKind::Hello => "HELLO",
            RequestKind::Logon => "LOGON",
            RequestKind::Logoff => "LOGOFF",
            RequestKind::Goodbye => "GOODBYE",
            RequestKind::AckFailure => "ACK_FAILURE",
            RequestKind::Reset => "RESET",
            RequestKind::Run => "RUN",
            RequestKind::Begin => "BEGIN",
            RequestKind::Commit => "COMMIT",
            RequestKind::Rollback => "ROLLBACK",
            RequestKind::Discard => "DISCARD",
            RequestKind::Pull => "PULL",
            RequestKind::Route => "ROUTE",
            RequestKind::Telemetry => "TELEMETRY",
        }
    }

    /// The name the given version uses (`PULL_ALL` before 4.0).
    ///
    /// ```
    /// use bolt_proto::{message::RequestKind, Version};
    /// assert_eq!(RequestKind::Discard.wire_name(Version::V4_0), "DISCARD");
    /// ```
    pub fn wire_name(self, version: Version) -> &'static str {
        match self {
            RequestKind::Pull if !version.has_pull_n() => "PULL_ALL",
            RequestKind::Discard if !version.has_pull_n() => "DISCARD_ALL",
            other => other.name(),
        }
    }

    /// Whether the version has this message.
    ///
    /// ```
    /// use bolt_proto::{message::RequestKind, Version};
    /// assert!(RequestKind::Telemetry.is_available_in(Version::V5_4));
    /// assert!(!RequestKind::Telemetry.is_available_in(Version::V5_3));
    /// ```
    pub fn is_available_in(self, version: Version) -> bool {
        match self {
            RequestKind::Init | RequestKind::AckFailure => version.is_legacy(),
            RequestKind::Hello
            | RequestKind::Goodbye
            | RequestKind::Begin
            | RequestKind::Commit
            | RequestKind::Rollback => version.has_hello(),
            RequestKind::Logon | RequestKind::Logoff => version.has_logon(),
            RequestKind::Route => version.has_route(),
            RequestKind::Telemetry => version.has_telemetry(),
            RequestKind::Reset | RequestKind::Run | RequestKind::Discard | RequestKind::Pull => {
                true
            }
        }
    }
}

/// Every client-to-server message.
///
/// ```
/// use bolt_proto::message::{Pull, Request, Run};
/// use bolt_proto::Version;
/// let run = Request::Run(Run::new("RETURN 1 AS n"));
/// let mut buf = Vec::new();
/// run.encode(Version::V4_4, &mut buf).unwrap();
/// assert_eq!(Request::decode(&buf, Version::V4_4).unwrap(), run);
/// // PULL {n: -1} is PULL_ALL before 4.0:
/// let mut buf = Vec::new();
/// Request::Pull(Pull::all()).encode(Version::V3_0, &mut buf).unwrap();
/// assert_eq!(buf, [0xB0, 0x3F]);
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Request {
    /// INIT (Bolt 1–2).
    Init(Init),
    /// HELLO (3.0+).
    Hello(Hello),
    /// LOGON (5.1+).
    Logon(Logon),
    /// LOGOFF (5.1+).
    Logoff,
    /// GOODBYE (3.0+).
    Goodbye,
    /// ACK_FAILURE (Bolt 1–2).
    AckFailure,
    /// RESET.
    Reset,
    /// RUN.
    Run(Run),
    /// BEGIN (3.0+).
    Begin(Begin),
    /// COMMIT (3.0+).
    Commit,
    /// ROLLBACK (3.0+).
    Rollback,
    /// DISCARD (4.0+) or DISCARD_ALL (before: `n` must be -1 and `qid` unset).
    Discard(Pull),
    /// PULL (4.0+) or PULL_ALL (before: `n` must be -1 and `qid` unset).
    Pull(Pull),
    /// ROUTE (4.3+).
    Route(Route),
    /// TELEMETRY (5.4+).
    Telemetry(Telemetry),
}

/// INIT (Bolt 1–2): user agent and authentication token.
///
/// ```
/// use bolt_proto::message::Init;
/// let init = Init { user_agent: "me/1.0".into(), auth: packstream::Map::new() };
/// assert_eq!(init.user_agent, "me/1.0");
/// ```
/// `Debug` hides the secrets of `auth` (see [`RedactedAuth`]).
#[derive(Clone, PartialEq, Default)]
pub struct Init {
    /// Client name and version.
    pub user_agent: String,
    /// Authentication token (`scheme`, `principal`, `credentials`, ...).
    pub auth: Map,
}

/// HELLO (3.0+).
///
/// ```
/// use bolt_proto::message::Hello;
/// let hello = Hello::new("me/1.0");
/// assert!(hello.auth.is_none());
/// ```
/// `Debug` hides the secrets of `auth` (see [`RedactedAuth`]).
#[derive(Clone, PartialEq, Default)]
pub struct Hello {
    /// Client name and version (`user_agent`).
    pub user_agent: String,
    /// Authentication entries, merged into HELLO before 5.1 (from 5.1 they
    /// travel in LOGON and setting this is an error).
    pub auth: Option<Map>,
    /// Routing context (`routing`, 4.1+).
    pub routing: Option<Map>,
    /// Protocol patches asked for (`patch_bolt`, 4.3–4.4), e.g. `"utc"`.
    pub patch_bolt: Vec<String>,
    /// Notification filters (5.2+).
    pub notifications: NotificationFilter,
    /// Driver identification (`bolt_agent`, 5.3+).
    pub bolt_agent: Option<BoltAgent>,
    /// Any other entries, written after the modelled ones.
    pub extra: Map,
}

impl Hello {
    /// A HELLO with only a user agent.
    ///
    /// ```
    /// assert_eq!(bolt_proto::message::Hello::new("x").user_agent, "x");
    /// ```
    pub fn new(user_agent: impl Into<String>) -> Self {
        Hello {
            user_agent: user_agent.into(),
            ..Hello::default()
        }
    }
}

/// The `bolt_agent` map of HELLO (5.3+).
///
/// ```
/// use bolt_proto::message::BoltAgent;
/// let a = BoltAgent { product: "neo4j-rust/0.1".into(), ..Default::default() };
/// assert!(a.platform.is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BoltAgent {
    /// Driver name and version (required).
    pub product: String,
    /// Operating system and architecture.
    pub platform: Option<String>,
    /// Language and version.
    pub language: Option<String>,
    /// Language runtime details.
    pub language_details: Option<String>,
}

/// Notification filters in HELLO, BEGIN and RUN (5.2+).
///
/// `disabled_categories` is written as `notifications_disabled_categories`
/// in 5.2–5.4 and `notifications_disabled_classifications` from 5.5.
/// `Some(vec![])` (disable nothing) differs from `None` (server default).
///
/// ```
/// use bolt_proto::message::NotificationFilter;
/// let f = NotificationFilter { minimum_severity: Some("OFF".into()), disabled_categories: None };
/// assert!(!f.is_empty());
/// assert!(NotificationFilter::default().is_empty());
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NotificationFilter {
    /// `notifications_minimum_severity`: `"OFF"`, `"WARNING"`, `"INFORMATION"`.
    pub minimum_severity: Option<String>,
    /// Disabled categories (classifications from 5.5).
    pub disabled_categories: Option<Vec<String>>,
}

impl NotificationFilter {
    /// Whether no filter is set.
    ///
    /// ```
    /// assert!(bolt_proto::message::NotificationFilter::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.minimum_severity.is_none() && self.disabled_categories.is_none()
    }

    fn categories_key(version: Version) -> &'static str {
        if version >= Version::V5_5 {
            "notifications_disabled_classifications"
        } else {
            "notifications_disabled_categories"
        }
    }

    fn push<'a>(&'a self, version: Version, out: &mut impl Extend<(&'a str, F<'a>)>) {
        if let Some(s) = &self.minimum_severity {
            out.extend([("notifications_minimum_severity", F::Str(s))]);
        }
        if let Some(c) = &self.disabled_categories {
            out.extend([(Self::categories_key(version), F::StrList(c))]);
        }
    }

    fn take(m: &mut Map, version: Version, cx: Ctx) -> Result<Self, DecodeError> {
        if !version.has_notification_filters() {
            return Ok(NotificationFilter::default());
        }
        Ok(NotificationFilter {
            minimum_severity: cx.opt_string(
                "notifications_minimum_severity",
                m.remove("notifications_minimum_severity"),
            )?,
            disabled_categories: cx.opt_str_list(
                "notifications_disabled_categories",
                m.remove(Self::categories_key(version)),
            )?,
        })
    }
}

/// LOGON (5.1+): the authentication token.
///
/// ```
/// use bolt_proto::message::Logon;
/// let mut auth = packstream::Map::new();
/// auth.insert("scheme", "none");
/// let logon = Logon { auth };
/// assert_eq!(logon.auth.get("scheme").and_then(|v| v.as_str()), Some("none"));
/// ```
/// `Debug` hides the secrets of `auth` (see [`RedactedAuth`]).
#[derive(Clone, PartialEq, Default)]
pub struct Logon {
    /// `scheme`, `principal`, `credentials`, ...
    pub auth: Map,
}

impl std::fmt::Debug for Init {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Init")
            .field("user_agent", &self.user_agent)
            .field("auth", &RedactedAuth(&self.auth))
            .finish()
    }
}

impl std::fmt::Debug for Hello {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hello")
            .field("user_agent", &self.user_agent)
            .field("auth", &self.auth.as_ref().map(RedactedAuth))
            .field("routing", &self.routing)
            .field("patch_bolt", &self.patch_bolt)
            .field("notifications", &self.notifications)
            .field("bolt_agent", &self.bolt_agent)
            .field("extra", &self.extra)
            .finish()
    }
}

impl std::fmt::Debug for Logon {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Logon")
            .field("auth", &RedactedAuth(&self.auth))
            .finish()
    }
}

/// An auth token map as `Debug` shows it: `scheme`, `principal` and
/// `realm` as they are, the names of custom `parameters`, and
/// `"<redacted>"` for every other value (`credentials`, parameter values,
/// entries of custom schemes), which may be secrets. The `Debug` of
/// [`Init`], [`Hello`] and [`Logon`] (and so of a logged [`Request`]) uses
/// it; so should anything else that prints an auth map.
///
/// ```
/// use bolt_proto::message::RedactedAuth;
/// let mut auth = packstream::Map::new();
/// auth.insert("scheme", "basic");
/// auth.insert("principal", "neo4j");
/// auth.insert("credentials", "hunter2");
/// let shown = format!("{:?}", RedactedAuth(&auth));
/// assert!(shown.contains("neo4j") && !shown.contains("hunter2"));
/// ```
#[derive(Clone, Copy)]
pub struct RedactedAuth<'a>(pub &'a Map);

impl std::fmt::Debug for RedactedAuth<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        const HIDDEN: &str = "<redacted>";
        /// Names shown, values hidden.
        struct Names<'a>(&'a Map);
        impl std::fmt::Debug for Names<'_> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_map()
                    .entries(self.0.iter().map(|(k, _)| (k, HIDDEN)))
                    .finish()
            }
        }
        let mut m = f.debug_map();
        for (k, v) in self.0.iter() {
            match (k, v) {
                ("scheme" | "principal" | "realm", v) => m.entry(&k, v),
                ("parameters", Value::Map(p)) => m.entry(&k, &Names(p)),
                _ => m.entry(&k, &HIDDEN),
            };
        }
        m.finish()
    }
}

/// Access mode of a transaction.
///
/// ```
/// use bolt_proto::message::AccessMode;
/// assert_eq!(AccessMode::default(), AccessMode::Write);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum AccessMode {
    /// Write (the default, not written on the wire).
    #[default]
    Write,
    /// Read (`mode: "r"`).
    Read,
}

/// The metadata map shared by BEGIN and auto-commit RUN (3.0+).
///
/// Each field is checked against the negotiated version when encoding:
/// `db` needs 4.0, `imp_user` 4.4, notification filters 5.2.
///
/// ```
/// use bolt_proto::message::TxExtra;
/// let tx = TxExtra { db: Some("neo4j".into()), ..Default::default() };
/// assert!(!tx.is_empty());
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TxExtra {
    /// `bookmarks` (written when not empty).
    pub bookmarks: Vec<String>,
    /// `tx_timeout` in milliseconds.
    pub tx_timeout: Option<i64>,
    /// `tx_metadata`.
    pub tx_metadata: Option<Map>,
    /// `tx_metadata` already encoded; when set, written instead of
    /// [`tx_metadata`](Self::tx_metadata). Never set by decoding.
    pub encoded_tx_metadata: Option<EncodedMap>,
    /// `mode`.
    pub mode: AccessMode,
    /// `db` (4.0+).
    pub db: Option<String>,
    /// `imp_user` (4.4+).
    pub imp_user: Option<String>,
    /// Notification filters (5.2+).
    pub notifications: NotificationFilter,
    /// Any other entries.
    pub extra: Map,
}

impl TxExtra {
    /// Whether nothing is set (the map is written empty).
    ///
    /// ```
    /// assert!(bolt_proto::message::TxExtra::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.bookmarks.is_empty()
            && self.tx_timeout.is_none()
            && self.tx_metadata.is_none()
            && self.encoded_tx_metadata.is_none()
            && self.mode == AccessMode::Write
            && self.db.is_none()
            && self.imp_user.is_none()
            && self.notifications.is_empty()
            && self.extra.is_empty()
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
            e.push(("bookmarks", F::StrList(&self.bookmarks)));
        }
        if let Some(t) = self.tx_timeout {
            e.push(("tx_timeout", F::Int(t)));
        }
        if let Some(m) = &self.encoded_tx_metadata {
            e.push(("tx_metadata", F::Raw(m.as_bytes())));
        } else if let Some(m) = &self.tx_metadata {
            e.push(("tx_metadata", F::Map(m)));
        }
        if self.mode == AccessMode::Read {
            e.push(("mode", F::Str("r")));
        }
        if let Some(db) = &self.db {
            e.push(("db", F::Str(db)));
        }
        if let Some(u) = &self.imp_user {
            e.push(("imp_user", F::Str(u)));
        }
        self.notifications.push(version, &mut e);
        write_entries(buf, e.as_slice(), &self.extra)
    }

    fn from_map(mut m: Map, version: Version, cx: Ctx) -> Result<Self, DecodeError> {
        let bookmarks = cx
            .opt_str_list("bookmarks", m.remove("bookmarks"))?
            .unwrap_or_default();
        let tx_timeout = cx.opt_int("tx_timeout", m.remove("tx_timeout"))?;
        let tx_metadata = cx.opt_map("tx_metadata", m.remove("tx_metadata"))?;
        let mode = match cx.opt_string("mode", m.remove("mode"))?.as_deref() {
            None | Some("w") => AccessMode::Write,
            Some("r") => AccessMode::Read,
            Some(_) => {
                return Err(DecodeError::InvalidValue {
                    message: cx.message,
                    field: "mode",
                    reason: "must be \"r\" or \"w\"",
                })
            }
        };
        let db = if version.has_pull_n() {
            cx.opt_string("db", m.remove("db"))?
        } else {
            None
        };
        let imp_user = if version.has_impersonation() {
            cx.opt_string("imp_user", m.remove("imp_user"))?
        } else {
            None
        };
        let notifications = NotificationFilter::take(&mut m, version, cx)?;
        Ok(TxExtra {
            bookmarks,
            tx_timeout,
            tx_metadata,
            encoded_tx_metadata: None,
            mode,
            db,
            imp_user,
            notifications,
            extra: m,
        })
    }
}

/// RUN: a query, its parameters and (3.0+) auto-commit metadata.
///
/// In an explicit transaction `tx` stays empty.
///
/// ```
/// use bolt_proto::message::Run;
/// let mut run = Run::new("RETURN $x");
/// run.parameters.insert("x", 1);
/// assert_eq!(run.parameters.len(), 1);
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Run {
    /// Cypher text.
    pub query: String,
    /// Query parameters (written with `packstream::encode::write_value`).
    pub parameters: Map,
    /// Query parameters already encoded; when set, written instead of
    /// [`parameters`](Self::parameters) (which should then be empty).
    /// Never set by decoding.
    pub encoded_parameters: Option<EncodedMap>,
    /// The extra map (3.0+; must be empty for Bolt 1–2).
    pub tx: TxExtra,
}

impl Run {
    /// A RUN without parameters.
    ///
    /// ```
    /// assert_eq!(bolt_proto::message::Run::new("RETURN 1").query, "RETURN 1");
    /// ```
    pub fn new(query: impl Into<String>) -> Self {
        Run {
            query: query.into(),
            ..Run::default()
        }
    }
}

/// BEGIN (3.0+): opens an explicit transaction.
///
/// ```
/// use bolt_proto::message::{AccessMode, Begin};
/// let mut b = Begin::default();
/// b.tx.mode = AccessMode::Read;
/// assert_eq!(b.tx.mode, AccessMode::Read);
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Begin {
    /// The transaction metadata.
    pub tx: TxExtra,
}

/// The fields of PULL and DISCARD.
///
/// Before 4.0 the message is PULL_ALL / DISCARD_ALL, which carries nothing:
/// only `n == -1`, no `qid` and an empty `extra` can be expressed.
///
/// ```
/// use bolt_proto::message::Pull;
/// let p = Pull::n(1000);
/// assert_eq!((p.n, p.qid), (1000, None));
/// assert_eq!(Pull::all().n, -1);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Pull {
    /// How many records (-1: all).
    pub n: i64,
    /// Which result in the transaction (`None`: the last one; not written).
    pub qid: Option<i64>,
    /// Any other entries.
    pub extra: Map,
}

/// DISCARD carries the same fields as PULL.
pub type Discard = Pull;

impl Pull {
    /// Everything (`n: -1`).
    ///
    /// ```
    /// assert_eq!(bolt_proto::message::Pull::all().n, -1);
    /// ```
    pub fn all() -> Self {
        Pull::n(-1)
    }

    /// At most `n` records of the last result.
    ///
    /// ```
    /// assert_eq!(bolt_proto::message::Pull::n(5).n, 5);
    /// ```
    pub fn n(n: i64) -> Self {
        Pull {
            n,
            qid: None,
            extra: Map::new(),
        }
    }
}

/// ROUTE (4.3+): ask for a routing table.
///
/// ```
/// use bolt_proto::message::Route;
/// let r = Route { db: Some("neo4j".into()), ..Default::default() };
/// assert!(r.bookmarks.is_empty());
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Route {
    /// Routing context (at least `address`).
    pub routing: Map,
    /// Bookmarks.
    pub bookmarks: Vec<String>,
    /// Database (`None`: the home database).
    pub db: Option<String>,
    /// Impersonated user (4.4+).
    pub imp_user: Option<String>,
    /// Other entries of the 4.4+ extra map.
    pub extra: Map,
}

/// TELEMETRY (5.4+): which driver API ran the work.
///
/// ```
/// use bolt_proto::message::Telemetry;
/// assert_eq!(Telemetry { api: Telemetry::MANAGED_TRANSACTION }.api, 0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Telemetry {
    /// The API code.
    pub api: i64,
}

impl Telemetry {
    /// Managed transaction functions (`execute_read`/`execute_write`).
    pub const MANAGED_TRANSACTION: i64 = 0;
    /// Unmanaged (explicit) transactions.
    pub const UNMANAGED_TRANSACTION: i64 = 1;
    /// Auto-commit transactions.
    pub const AUTO_COMMIT_TRANSACTION: i64 = 2;
    /// `execute_query`.
    pub const DRIVER_LEVEL: i64 = 3;
}

const AUTH_KEYS: [&str; 5] = ["scheme", "principal", "credentials", "realm", "parameters"];

impl Request {
    /// The message kind.
    ///
    /// ```
    /// use bolt_proto::message::{Request, RequestKind};
    /// assert_eq!(Request::Reset.kind(), RequestKind::Reset);
    /// ```
    pub fn kind(&self) -> RequestKind {
        match self {
            Request::Init(_) => RequestKind::Init,
            Request::Hello(_) => RequestKind::Hello,
            Request::Logon(_) => RequestKind::Logon,
            Request::Logoff => RequestKind::Logoff,
            Request::Goodbye => RequestKind::Goodbye,
            Request::AckFailure => RequestKind::AckFailure,
            Request::Reset => RequestKind::Reset,
            Request::Run(_) => RequestKind::Run,
            Request::Begin(_) => RequestKind::Begin,
            Request::Commit => RequestKind::Commit,
            Request::Rollback => RequestKind::Rollback,
            Request::Discard(_) => RequestKind::Discard,
            Request::Pull(_) => RequestKind::Pull,
            Request::Route(_) => RequestKind::Route,
            Request::Telemetry(_) => RequestKind::Telemetry,
        }
    }

    /// Appends the message body (one PackStream structure, not chunked) for
    /// `version`. On error `buf` is left unchanged.
    ///
    /// ```
    /// use bolt_proto::message::{Request, Telemetry};
    /// use bolt_proto::Version;
    /// let mut buf = Vec::new();
    /// Request::Telemetry(Telemetry { api: 2 }).encode(Version::V5_4, &mut buf).unwrap();
    /// assert_eq!(buf, [0xB1, 0x54, 0x02]);
    /// assert!(Request::Telemetry(Telemetry { api: 2 }).encode(Version::V5_3, &mut buf).is_err());
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
        let kind = self.kind();
        let message = kind.wire_name(version);
        if !kind.is_available_in(version) {
            return Err(EncodeError::NotInVersion { message, version });
        }
        let not_in = |field| EncodeError::FieldNotInVersion {
            message,
            field,
            version,
        };
        let t = kind.tag();
        match self {
            Request::Init(init) => {
                write_struct_header(buf, t, 2)?;
                write_string(buf, &init.user_agent)?;
                write_map(buf, &init.auth)?;
            }
            Request::Hello(h) => {
                let agent_value = match &h.bolt_agent {
                    None => None,
                    Some(_) if !version.has_bolt_agent() => return Err(not_in("bolt_agent")),
                    Some(a) => {
                        let mut m = Map::with_capacity(4);
                        m.insert("product", a.product.as_str());
                        for (k, v) in [
                            ("platform", &a.platform),
                            ("language", &a.language),
                            ("language_details", &a.language_details),
                        ] {
                            if let Some(v) = v {
                                m.insert(k, v.as_str());
                            }
                        }
                        Some(Value::Map(m))
                    }
                };
                let mut e: Vec<(&str, F<'_>)> = vec![("user_agent", F::Str(&h.user_agent))];
                if let Some(auth) = &h.auth {
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
                if let Some(r) = &h.routing {
                    if !version.has_routing_context() {
                        return Err(not_in("routing"));
                    }
                    e.push(("routing", F::Map(r)));
                }
                if !h.patch_bolt.is_empty() {
                    if !(Version::V4_3..=Version::V4_4).contains(&version) {
                        return Err(not_in("patch_bolt"));
                    }
                    e.push(("patch_bolt", F::StrList(&h.patch_bolt)));
                }
                if !h.notifications.is_empty() && !version.has_notification_filters() {
                    return Err(not_in("notifications_minimum_severity"));
                }
                h.notifications.push(version, &mut e);
                if let Some(v) = &agent_value {
                    e.push(("bolt_agent", F::Value(v)));
                }
                write_struct_header(buf, t, 1)?;
                write_entries(buf, &e, &h.extra)?;
            }
            Request::Logon(l) => {
                write_struct_header(buf, t, 1)?;
                write_map(buf, &l.auth)?;
            }
            Request::Logoff
            | Request::Goodbye
            | Request::AckFailure
            | Request::Reset
            | Request::Commit
            | Request::Rollback => write_struct_header(buf, t, 0)?,
            Request::Run(run) => {
                run.tx.check(message, version)?;
                let legacy = !version.has_hello();
                write_struct_header(buf, t, if legacy { 2 } else { 3 })?;
                write_string(buf, &run.query)?;
                match &run.encoded_parameters {
                    Some(p) => buf.extend_from_slice(p.as_bytes()),
                    None => write_map(buf, &run.parameters)?,
                }
                if !legacy {
                    run.tx.write(buf, version)?;
                }
            }
            Request::Begin(b) => {
                b.tx.check(message, version)?;
                write_struct_header(buf, t, 1)?;
                b.tx.write(buf, version)?;
            }
            Request::Discard(p) | Request::Pull(p) => {
                if version.has_pull_n() {
                    write_struct_header(buf, t, 1)?;
                    let mut e = Entries::<'_, 2>::new();
                    e.push(("n", F::Int(p.n)));
                    if let Some(q) = p.qid {
                        e.push(("qid", F::Int(q)));
                    }
                    write_entries(buf, e.as_slice(), &p.extra)?;
                } else {
                    if p.n != -1 {
                        return Err(EncodeError::InvalidField {
                            message,
                            field: "n",
                            reason: "must be -1 (all) before Bolt 4.0",
                        });
                    }
                    if p.qid.is_some() {
                        return Err(not_in("qid"));
                    }
                    if !p.extra.is_empty() {
                        return Err(not_in("extra"));
                    }
                    write_struct_header(buf, t, 0)?;
                }
            }
            Request::Route(r) => {
                write_struct_header(buf, t, 3)?;
                write_map(buf, &r.routing)?;
                write_str_list(buf, &r.bookmarks)?;
                if version.has_impersonation() {
                    let mut e = Vec::new();
                    if let Some(db) = &r.db {
                        e.push(("db", F::Str(db)));
                    }
                    if let Some(u) = &r.imp_user {
                        e.push(("imp_user", F::Str(u)));
                    }
                    write_entries(buf, &e, &r.extra)?;
                } else {
                    if r.imp_user.is_some() {
                        return Err(not_in("imp_user"));
                    }
                    if !r.extra.is_empty() {
                        return Err(not_in("extra"));
                    }
                    match &r.db {
                        Some(db) => write_string(buf, db)?,
                        None => write_null(buf),
                    }
                }
            }
            Request::Telemetry(tm) => {
                write_struct_header(buf, t, 1)?;
                write_int(buf, tm.api);
            }
        }
        Ok(())
    }

    /// Decodes one message body as a request of `version` (the server side).
    ///
    /// Unknown metadata entries land in the `extra` maps; entries a version
    /// does not define are not interpreted (they stay in `extra` too).
    ///
    /// ```
    /// use bolt_proto::message::Request;
    /// use bolt_proto::Version;
    /// assert_eq!(Request::decode(&[0xB0, 0x0F], Version::V1).unwrap(), Request::Reset);
    /// assert!(Request::decode(&[0xB0, 0x12], Version::V1).is_err()); // COMMIT
    /// ```
    pub fn decode(body: &[u8], version: Version) -> Result<Request, DecodeError> {
        let (t, len, dec) = open(body)?;
        let kind = match t {
            tag::HELLO if version.is_legacy() => RequestKind::Init,
            tag::HELLO => RequestKind::Hello,
            tag::GOODBYE => RequestKind::Goodbye,
            tag::ACK_FAILURE => RequestKind::AckFailure,
            tag::RESET => RequestKind::Reset,
            tag::RUN => RequestKind::Run,
            tag::BEGIN => RequestKind::Begin,
            tag::COMMIT => RequestKind::Commit,
            tag::ROLLBACK => RequestKind::Rollback,
            tag::DISCARD => RequestKind::Discard,
            tag::PULL => RequestKind::Pull,
            tag::ROUTE => RequestKind::Route,
            tag::TELEMETRY => RequestKind::Telemetry,
            tag::LOGON => RequestKind::Logon,
            tag::LOGOFF => RequestKind::Logoff,
            tag => {
                return Err(DecodeError::UnknownTag {
                    tag,
                    side: Side::Request,
                    version,
                })
            }
        };
        let message = kind.wire_name(version);
        if !kind.is_available_in(version) {
            return Err(DecodeError::NotInVersion { message, version });
        }
        let expected = match kind {
            RequestKind::Init => 2,
            RequestKind::Run if version.is_legacy() => 2,
            RequestKind::Run | RequestKind::Route => 3,
            RequestKind::Pull | RequestKind::Discard if !version.has_pull_n() => 0,
            RequestKind::Hello
            | RequestKind::Logon
            | RequestKind::Begin
            | RequestKind::Pull
            | RequestKind::Discard
            | RequestKind::Telemetry => 1,
            RequestKind::Logoff
            | RequestKind::Goodbye
            | RequestKind::AckFailure
            | RequestKind::Reset
            | RequestKind::Commit
            | RequestKind::Rollback => 0,
        };
        if len != expected {
            return Err(DecodeError::FieldCount {
                message,
                expected,
                found: len,
                version,
            });
        }
        let cx = Ctx { message };
        let mut f = read_fields(dec, len)?.into_iter();
        // `expected` fields were checked above, so `next()` always yields.
        let mut next = || f.next().unwrap_or(Value::Null);
        Ok(match kind {
            RequestKind::Init => Request::Init(Init {
                user_agent: cx.string("user_agent", next())?,
                auth: cx.map("auth", next())?,
            }),
            RequestKind::Hello => {
                Request::Hello(decode_hello(cx.map("extra", next())?, version, cx)?)
            }
            RequestKind::Logon => Request::Logon(Logon {
                auth: cx.map("auth", next())?,
            }),
            RequestKind::Logoff => Request::Logoff,
            RequestKind::Goodbye => Request::Goodbye,
            RequestKind::AckFailure => Request::AckFailure,
            RequestKind::Reset => Request::Reset,
            RequestKind::Commit => Request::Commit,
            RequestKind::Rollback => Request::Rollback,
            RequestKind::Run => {
                let query = cx.string("query", next())?;
                let parameters = cx.map("parameters", next())?;
                let tx = if version.is_legacy() {
                    TxExtra::default()
                } else {
                    TxExtra::from_map(cx.map("extra", next())?, version, cx)?
                };
                Request::Run(Run {
                    query,
                    parameters,
                    encoded_parameters: None,
                    tx,
                })
            }
            RequestKind::Begin => Request::Begin(Begin {
                tx: TxExtra::from_map(cx.map("extra", next())?, version, cx)?,
            }),
            RequestKind::Pull | RequestKind::Discard => {
                let p = if version.has_pull_n() {
                    let mut m = cx.map("extra", next())?;
                    let n = match m.remove("n") {
                        Some(v) => cx.int("n", v)?,
                        None => {
                            return Err(DecodeError::MissingField {
                                message,
                                field: "n",
                            })
                        }
                    };
                    let qid = cx.opt_int("qid", m.remove("qid"))?;
                    Pull { n, qid, extra: m }
                } else {
                    Pull::all()
                };
                if kind == RequestKind::Pull {
                    Request::Pull(p)
                } else {
                    Request::Discard(p)
                }
            }
            RequestKind::Route => {
                let routing = cx.map("routing", next())?;
                let bookmarks = match next() {
                    Value::Null => Vec::new(),
                    v => cx.str_list("bookmarks", v)?,
                };
                let (db, imp_user, extra) = if version.has_impersonation() {
                    let mut m = cx.map("extra", next())?;
                    let db = cx.opt_string("db", m.remove("db"))?;
                    let imp = cx.opt_string("imp_user", m.remove("imp_user"))?;
                    (db, imp, m)
                } else {
                    (cx.opt_string("db", Some(next()))?, None, Map::new())
                };
                Request::Route(Route {
                    routing,
                    bookmarks,
                    db,
                    imp_user,
                    extra,
                })
            }
            RequestKind::Telemetry => Request::Telemetry(Telemetry {
                api: cx.int("api", next())?,
            }),
        })
    }
}

fn decode_hello(mut m: Map, version: Version, cx: Ctx) -> Result<Hello, DecodeError> {
    let user_agent = match m.remove("user_agent") {
        Some(v) => cx.string("user_agent", v)?,
        None => {
            return Err(DecodeError::MissingField {
                message: cx.message,
                field: "user_agent",
            })
        }
    };
    let auth = if !version.has_logon() && AUTH_KEYS.iter().any(|k| m.contains_key(k)) {
        let mut auth = Map::new();
        for k in AUTH_KEYS {
            if let Some(v) = m.remove(k) {
                auth.insert(k, v);
            }
        }
        Some(auth)
    } else {
        None
    };
    let routing = if version.has_routing_context() {
        cx.opt_map("routing", m.remove("routing"))?
    } else {
        None
    };
    let patch_bolt = if (Version::V4_3..=Version::V4_4).contains(&version) {
        cx.opt_str_list("patch_bolt", m.remove("patch_bolt"))?
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let notifications = NotificationFilter::take(&mut m, version, cx)?;
    let bolt_agent = if version.has_bolt_agent() {
        match cx.opt_map("bolt_agent", m.remove("bolt_agent"))? {
            None => None,
            Some(mut a) => Some(BoltAgent {
                product: match a.remove("product") {
                    Some(v) => cx.string("bolt_agent.product", v)?,
                    None => {
                        return Err(DecodeError::MissingField {
                            message: cx.message,
                            field: "bolt_agent.product",
                        })
                    }
                },
                platform: cx.opt_string("bolt_agent.platform", a.remove("platform"))?,
                language: cx.opt_string("bolt_agent.language", a.remove("language"))?,
                language_details: cx
                    .opt_string("bolt_agent.language_details", a.remove("language_details"))?,
            }),
        }
    } else {
        None
    };
    Ok(Hello {
        user_agent,
        auth,
        routing,
        patch_bolt,
        notifications,
        bolt_agent,
        extra: m,
    })
}
