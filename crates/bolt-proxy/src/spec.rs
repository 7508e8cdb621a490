//! Fault specifications: what to do, where in the Bolt conversation, and
//! on which connection, parsed from strings such as `close@PULL:2`.
//!
//! Owns the grammar and the matching of one unit of traffic against a
//! spec; it does no I/O (that is the private `conn` module).
//!
//! ```text
//! plan     = spec *( "," spec )                 (empty: no faults)
//! spec     = action "@" point [ ":" nth ] [ "#" conns ]
//! action   = "close" | "reset" | "stall" | "truncate"
//!          | "drip" [ "=" duration ]            (default 5ms a byte)
//!          | "delay" "=" duration
//! duration = integer ( "ms" | "s" )
//! point    = "handshake"                        the server's handshake answer
//!          | request                            a client message, to the server
//!          | [ request "." ] response           a server message, to the client
//! request  = HELLO | INIT | LOGON | LOGOFF | GOODBYE | RESET | ACK_FAILURE | RUN
//!          | BEGIN | COMMIT | ROLLBACK | PULL | PULL_ALL | DISCARD | DISCARD_ALL
//!          | ROUTE | TELEMETRY
//! response = SUCCESS | RECORD | FAILURE | IGNORED
//!          | "reply"                            any summary (SUCCESS, FAILURE, IGNORED)
//! nth      = integer >= 1                       the nth match on the connection (default 1)
//! conns    = integer >= 1                       only the nth accepted connection
//!          | "*"                                every connection (the default)
//!          | "once"                             the first match on any connection, then never
//! ```
//!
//! Names are case-insensitive. `COMMIT.reply` is the answer to COMMIT,
//! `PULL.RECORD:3` the third record answering a PULL, `RECORD:3` the
//! third record of the connection.
//!
//! ```
//! use std::time::Duration;
//! use bolt_proxy::{Action, Conns, FaultPlan, FaultSpec};
//!
//! let spec: FaultSpec = "close@PULL.RECORD:3#2".parse()?;
//! assert_eq!(spec.action, Action::Close);
//! assert_eq!((spec.nth, spec.conns), (3, Conns::Nth(2)));
//! assert_eq!(spec.to_string(), "close@PULL.RECORD:3#2");
//!
//! let plan: FaultPlan = "delay=500ms@RUN, reset@handshake#once".parse()?;
//! assert_eq!(plan.specs()[0].action, Action::Delay(Duration::from_millis(500)));
//! # Ok::<(), bolt_proxy::ParseError>(())
//! ```

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use bolt_proto::message::{tag, RequestKind, ResponseKind};

/// The pause between two bytes of `drip` when the spec names none.
pub const DEFAULT_DRIP_INTERVAL: Duration = Duration::from_millis(5);

/// What happens to the matched unit of traffic (and the connection).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Forward nothing of it; close both sockets (FIN to client and
    /// server).
    Close,
    /// Forward nothing of it; reset both sockets (`SO_LINGER` 0, then
    /// close: the peers see RST).
    Reset,
    /// Forward nothing of it and nothing after it, in either direction,
    /// keeping both sockets open (a half-open connection, as behind a
    /// dead router). What the peers send is read and thrown away; when
    /// the client closes its side, the server's is closed too.
    Stall,
    /// Forward about half of its bytes (cutting a chunk in two), then
    /// close both sockets.
    Truncate,
    /// Forward it one byte at a time, pausing this long between bytes,
    /// then carry on normally.
    Drip(Duration),
    /// Wait this long, then forward it and carry on normally.
    Delay(Duration),
}

impl Action {
    /// Whether the connection survives the fault (`drip`, `delay`).
    ///
    /// ```
    /// use bolt_proxy::Action;
    /// assert!(Action::Delay(std::time::Duration::ZERO).is_benign());
    /// assert!(!Action::Truncate.is_benign());
    /// ```
    pub fn is_benign(self) -> bool {
        matches!(self, Action::Drip(_) | Action::Delay(_))
    }
}

/// Where in the conversation a fault fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Point {
    /// The server's handshake answer (the 4-byte version, or the whole
    /// manifest), on its way to the client.
    Handshake,
    /// A client message of this kind, on its way to the server. INIT and
    /// HELLO share a tag, so either name matches both (as do `PULL` and
    /// `PULL_ALL`, `DISCARD` and `DISCARD_ALL`).
    Request(RequestKind),
    /// A server message on its way to the client.
    Response {
        /// Its kind; `None` is any summary (SUCCESS, FAILURE or IGNORED).
        kind: Option<ResponseKind>,
        /// The request it answers (RECORDs answer the oldest request
        /// still waiting for its summary); `None` is any.
        to: Option<RequestKind>,
    },
}

/// Which connections a spec applies to, by the order the proxy accepted
/// them (the first is 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conns {
    /// Every connection, each counting its own matches.
    Every,
    /// Only the nth connection.
    Nth(u64),
    /// The first connection on which the spec's match count is reached;
    /// after it fired once the spec is spent.
    Once,
}

/// One fault: an action at the `nth` match of a point, on some
/// connections. See the [module docs](self) for the string form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FaultSpec {
    /// What to do.
    pub action: Action,
    /// Where.
    pub point: Point,
    /// At which match of the point on a connection (1 = the first).
    pub nth: u32,
    /// On which connections.
    pub conns: Conns,
}

impl FaultSpec {
    /// A spec firing at the first match of `point` on every connection.
    ///
    /// ```
    /// use bolt_proxy::{Action, FaultSpec, Point};
    /// use bolt_proto::message::RequestKind;
    /// let s = FaultSpec::new(Action::Stall, Point::Request(RequestKind::Commit));
    /// assert_eq!(s.to_string(), "stall@COMMIT");
    /// ```
    pub fn new(action: Action, point: Point) -> FaultSpec {
        FaultSpec {
            action,
            point,
            nth: 1,
            conns: Conns::Every,
        }
    }

    /// The same spec at the `nth` match (at least 1).
    pub fn nth(mut self, nth: u32) -> FaultSpec {
        self.nth = nth.max(1);
        self
    }

    /// The same spec on other connections.
    pub fn on(mut self, conns: Conns) -> FaultSpec {
        self.conns = conns;
        self
    }

    /// Whether a unit of traffic is at this spec's point (the match count
    /// and connection are the caller's).
    pub(crate) fn matches(&self, unit: &UnitKind) -> bool {
        match (self.point, unit) {
            (Point::Handshake, UnitKind::HandshakeAnswer) => true,
            (Point::Request(kind), UnitKind::Request { tag }) => kind.tag() == *tag,
            (Point::Response { kind, to }, UnitKind::Response { tag, to: answered }) => {
                let kind_ok = match kind {
                    Some(k) => response_tag(k) == *tag,
                    None => matches!(*tag, tag::SUCCESS | tag::FAILURE | tag::IGNORED),
                };
                let to_ok = match to {
                    None => true,
                    Some(req) => *answered == Some(req.tag()),
                };
                kind_ok && to_ok
            }
            _ => false,
        }
    }
}

/// What a unit of traffic is, as far as matching goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UnitKind {
    /// The server's handshake answer.
    HandshakeAnswer,
    /// A client message with this tag.
    Request { tag: u8 },
    /// A server message with this tag, answering the request with tag `to`.
    Response { tag: u8, to: Option<u8> },
    /// Anything else (the client's preamble or manifest choice, NOOPs,
    /// messages too short to have a tag).
    Other,
}

fn response_tag(kind: ResponseKind) -> u8 {
    match kind {
        ResponseKind::Success => tag::SUCCESS,
        ResponseKind::Record => tag::RECORD,
        ResponseKind::Ignored => tag::IGNORED,
        ResponseKind::Failure => tag::FAILURE,
    }
}

const REQUESTS: &[(&str, RequestKind)] = &[
    ("HELLO", RequestKind::Hello),
    ("INIT", RequestKind::Init),
    ("LOGON", RequestKind::Logon),
    ("LOGOFF", RequestKind::Logoff),
    ("GOODBYE", RequestKind::Goodbye),
    ("ACK_FAILURE", RequestKind::AckFailure),
    ("RESET", RequestKind::Reset),
    ("RUN", RequestKind::Run),
    ("BEGIN", RequestKind::Begin),
    ("COMMIT", RequestKind::Commit),
    ("ROLLBACK", RequestKind::Rollback),
    ("DISCARD", RequestKind::Discard),
    ("DISCARD_ALL", RequestKind::Discard),
    ("PULL", RequestKind::Pull),
    ("PULL_ALL", RequestKind::Pull),
    ("ROUTE", RequestKind::Route),
    ("TELEMETRY", RequestKind::Telemetry),
];

const RESPONSES: &[(&str, ResponseKind)] = &[
    ("SUCCESS", ResponseKind::Success),
    ("RECORD", ResponseKind::Record),
    ("FAILURE", ResponseKind::Failure),
    ("IGNORED", ResponseKind::Ignored),
];

/// A fault spec or plan that does not follow the grammar (see the
/// [module docs](self)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    input: String,
    reason: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "bad fault spec {:?}: {}", self.input, self.reason)
    }
}

impl std::error::Error for ParseError {}

fn parse_duration(s: &str) -> Option<Duration> {
    if let Some(ms) = s.strip_suffix("ms") {
        return ms.parse().ok().map(Duration::from_millis);
    }
    s.strip_suffix('s')?.parse().ok().map(Duration::from_secs)
}

fn parse_action(s: &str) -> Result<Action, String> {
    let (name, arg) = match s.split_once('=') {
        Some((n, a)) => (n, Some(a)),
        None => (s, None),
    };
    let duration = |what: &str| -> Result<Duration, String> {
        let a = arg.ok_or_else(|| format!("{what} needs a duration, e.g. {what}=500ms"))?;
        parse_duration(a).ok_or_else(|| format!("{a:?} is not a duration (e.g. 500ms or 2s)"))
    };
    let action = match name.to_ascii_lowercase().as_str() {
        "close" => Action::Close,
        "reset" => Action::Reset,
        "stall" => Action::Stall,
        "truncate" => Action::Truncate,
        "drip" if arg.is_none() => Action::Drip(DEFAULT_DRIP_INTERVAL),
        "drip" => Action::Drip(duration("drip")?),
        "delay" => Action::Delay(duration("delay")?),
        other => return Err(format!("unknown action {other:?}")),
    };
    if arg.is_some() && !matches!(action, Action::Drip(_) | Action::Delay(_)) {
        return Err(format!("{name} takes no argument"));
    }
    Ok(action)
}

fn lookup<T: Copy>(table: &[(&str, T)], name: &str) -> Option<T> {
    table
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, k)| *k)
}

fn parse_point(s: &str) -> Result<Point, String> {
    if s.eq_ignore_ascii_case("handshake") {
        return Ok(Point::Handshake);
    }
    let response = |name: &str| -> Option<Option<ResponseKind>> {
        if name.eq_ignore_ascii_case("reply") {
            Some(None)
        } else {
            lookup(RESPONSES, name).map(Some)
        }
    };
    if let Some((req, rsp)) = s.split_once('.') {
        let to = lookup(REQUESTS, req).ok_or_else(|| format!("unknown request {req:?}"))?;
        let kind = response(rsp).ok_or_else(|| format!("unknown response {rsp:?}"))?;
        return Ok(Point::Response { kind, to: Some(to) });
    }
    if let Some(kind) = lookup(REQUESTS, s) {
        return Ok(Point::Request(kind));
    }
    if let Some(kind) = response(s) {
        return Ok(Point::Response { kind, to: None });
    }
    Err(format!("unknown point {s:?}"))
}

impl FromStr for FaultSpec {
    type Err = ParseError;

    fn from_str(input: &str) -> Result<FaultSpec, ParseError> {
        let err = |reason: String| ParseError {
            input: input.to_owned(),
            reason,
        };
        let s = input.trim();
        let (action, rest) = s
            .split_once('@')
            .ok_or_else(|| err("expected ACTION@POINT".into()))?;
        let action = parse_action(action.trim()).map_err(err)?;
        let (rest, conns) = match rest.split_once('#') {
            None => (rest, Conns::Every),
            Some((r, c)) => {
                let conns = match c.trim() {
                    "*" => Conns::Every,
                    c if c.eq_ignore_ascii_case("once") => Conns::Once,
                    c => match c.parse::<u64>() {
                        Ok(n) if n >= 1 => Conns::Nth(n),
                        _ => return Err(err(format!("bad connection {c:?} (N >= 1, * or once)"))),
                    },
                };
                (r, conns)
            }
        };
        let (point, nth) = match rest.split_once(':') {
            None => (rest, 1),
            Some((p, n)) => match n.trim().parse::<u32>() {
                Ok(n) if n >= 1 => (p, n),
                _ => return Err(err(format!("bad count {n:?} (N >= 1)"))),
            },
        };
        let point = parse_point(point.trim()).map_err(err)?;
        Ok(FaultSpec {
            action,
            point,
            nth,
            conns,
        })
    }
}

fn fmt_duration(f: &mut fmt::Formatter<'_>, d: Duration) -> fmt::Result {
    if d.subsec_nanos() == 0 && d.as_secs() > 0 {
        write!(f, "{}s", d.as_secs())
    } else {
        write!(f, "{}ms", d.as_millis())
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::Close => f.write_str("close"),
            Action::Reset => f.write_str("reset"),
            Action::Stall => f.write_str("stall"),
            Action::Truncate => f.write_str("truncate"),
            Action::Drip(d) if *d == DEFAULT_DRIP_INTERVAL => f.write_str("drip"),
            Action::Drip(d) => {
                f.write_str("drip=")?;
                fmt_duration(f, *d)
            }
            Action::Delay(d) => {
                f.write_str("delay=")?;
                fmt_duration(f, *d)
            }
        }
    }
}

fn response_name(kind: Option<ResponseKind>) -> &'static str {
    match kind {
        None => "reply",
        Some(ResponseKind::Success) => "SUCCESS",
        Some(ResponseKind::Record) => "RECORD",
        Some(ResponseKind::Failure) => "FAILURE",
        Some(ResponseKind::Ignored) => "IGNORED",
    }
}

impl fmt::Display for Point {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Point::Handshake => f.write_str("handshake"),
            Point::Request(k) => f.write_str(k.name()),
            Point::Response { kind, to: None } => f.write_str(response_name(*kind)),
            Point::Response { kind, to: Some(k) } => {
                write!(f, "{}.{}", k.name(), response_name(*kind))
            }
        }
    }
}

impl fmt::Display for FaultSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.action, self.point)?;
        if self.nth != 1 {
            write!(f, ":{}", self.nth)?;
        }
        match self.conns {
            Conns::Every => Ok(()),
            Conns::Nth(n) => write!(f, "#{n}"),
            Conns::Once => f.write_str("#once"),
        }
    }
}

/// The faults a proxy injects: any number of [`FaultSpec`]s. On each unit
/// of traffic every spec at that point counts a match; the first spec
/// whose count is reached fires (at most once per connection).
///
/// ```
/// use bolt_proxy::FaultPlan;
/// let plan: FaultPlan = "stall@COMMIT#1, truncate@RECORD:2".parse()?;
/// assert_eq!(plan.specs().len(), 2);
/// assert_eq!(plan.to_string(), "stall@COMMIT#1,truncate@RECORD:2");
/// assert!("".parse::<FaultPlan>()?.specs().is_empty());
/// # Ok::<(), bolt_proxy::ParseError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FaultPlan {
    specs: Vec<FaultSpec>,
}

impl FaultPlan {
    /// No faults: a plain (logging) proxy.
    pub fn none() -> FaultPlan {
        FaultPlan::default()
    }

    /// The plan with one more spec.
    pub fn with(mut self, spec: FaultSpec) -> FaultPlan {
        self.specs.push(spec);
        self
    }

    /// The specs, in order.
    pub fn specs(&self) -> &[FaultSpec] {
        &self.specs
    }
}

impl From<FaultSpec> for FaultPlan {
    fn from(spec: FaultSpec) -> FaultPlan {
        FaultPlan { specs: vec![spec] }
    }
}

impl FromStr for FaultPlan {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<FaultPlan, ParseError> {
        let specs = s
            .split([',', ';'])
            .filter(|p| !p.trim().is_empty())
            .map(str::parse)
            .collect::<Result<_, _>>()?;
        Ok(FaultPlan { specs })
    }
}

impl fmt::Display for FaultPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.specs.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{s}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_briefs_examples_parse_and_print_back() {
        for s in [
            "stall@COMMIT",
            "close@PULL:2",
            "truncate@RECORD",
            "drip@HELLO",
            "delay=500ms@RUN",
            "reset@handshake",
            "close@COMMIT.reply#once",
            "drip=2ms@PULL.RECORD:3#4",
            "delay=2s@ROUTE.SUCCESS",
        ] {
            let spec: FaultSpec = s.parse().unwrap();
            assert_eq!(spec.to_string(), s);
        }
    }

    #[test]
    fn names_are_case_insensitive_and_aliases_map_to_one_kind() {
        let a: FaultSpec = "CLOSE@pull_all".parse().unwrap();
        assert_eq!(a.point, Point::Request(RequestKind::Pull));
        let b: FaultSpec = "close@Init".parse().unwrap();
        assert!(b.matches(&UnitKind::Request { tag: tag::HELLO }));
    }

    #[test]
    fn bad_specs_are_errors_naming_the_problem() {
        for (s, why) in [
            ("close", "ACTION@POINT"),
            ("explode@RUN", "unknown action"),
            ("close=1s@RUN", "takes no argument"),
            ("delay@RUN", "needs a duration"),
            ("delay=fast@RUN", "not a duration"),
            ("close@WALK", "unknown point"),
            ("close@RUN.TEA", "unknown response"),
            ("close@TEA.SUCCESS", "unknown request"),
            ("close@RUN:0", "bad count"),
            ("close@RUN:-1", "bad count"),
            ("close@RUN#0", "bad connection"),
            ("close@RUN#x", "bad connection"),
            ("", "ACTION@POINT"),
            ("@", "unknown action"),
            ("close@", "unknown point"),
        ] {
            let e = s.parse::<FaultSpec>().unwrap_err().to_string();
            assert!(e.contains(why), "{s:?}: {e}");
        }
    }

    #[test]
    fn arbitrary_strings_never_panic() {
        let bytes: Vec<u8> = (0..=255).collect();
        for w in 1..6 {
            for chunk in bytes.windows(w) {
                let s = String::from_utf8_lossy(chunk);
                let _ = s.parse::<FaultPlan>();
                let _ = format!("close@{s}").parse::<FaultPlan>();
                let _ = format!("delay={s}@RUN:{s}#{s}").parse::<FaultPlan>();
            }
        }
        let _ = "delay=99999999999999999999s@RUN".parse::<FaultPlan>();
        let _ = "delay=18446744073709551615s@RUN".parse::<FaultPlan>();
    }

    #[test]
    fn responses_match_by_kind_and_by_the_request_they_answer() {
        let commit_reply: FaultSpec = "close@COMMIT.reply".parse().unwrap();
        let ok = |t, to| UnitKind::Response { tag: t, to };
        assert!(commit_reply.matches(&ok(tag::SUCCESS, Some(tag::COMMIT))));
        assert!(commit_reply.matches(&ok(tag::FAILURE, Some(tag::COMMIT))));
        assert!(!commit_reply.matches(&ok(tag::RECORD, Some(tag::COMMIT))));
        assert!(!commit_reply.matches(&ok(tag::SUCCESS, Some(tag::RUN))));
        let record: FaultSpec = "close@RECORD".parse().unwrap();
        assert!(record.matches(&ok(tag::RECORD, None)));
        assert!(!record.matches(&UnitKind::Request { tag: tag::RECORD }));
        let hs: FaultSpec = "close@handshake".parse().unwrap();
        assert!(hs.matches(&UnitKind::HandshakeAnswer));
        assert!(!hs.matches(&UnitKind::Other));
    }

    #[test]
    fn plans_split_on_commas_and_semicolons() {
        let p: FaultPlan = " close@RUN ; delay=1s@PULL , ".parse().unwrap();
        assert_eq!(p.specs().len(), 2);
        assert!("close@RUN,nonsense".parse::<FaultPlan>().is_err());
    }
}
