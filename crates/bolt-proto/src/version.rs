//! Bolt protocol versions and the behaviour each one switches on.
//!
//! Owns the [`Version`] type only; the handshake decides which version is
//! used and the message modules ask it what to put on the wire.

use std::fmt;

/// A Bolt protocol version, `major.minor`.
///
/// ```
/// use bolt_proto::Version;
/// assert!(Version::V5_4 > Version::V4_4);
/// assert_eq!(Version::new(5, 1).to_string(), "5.1");
/// assert!(Version::V5_1.has_logon());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    /// Major version.
    pub major: u8,
    /// Minor version.
    pub minor: u8,
}

impl Version {
    /// Bolt 1 (Neo4j 3.0–3.4): INIT, ACK_FAILURE, PULL_ALL.
    pub const V1: Version = Version::new(1, 0);
    /// Bolt 2 (Neo4j 3.4): adds temporal and spatial structures.
    pub const V2: Version = Version::new(2, 0);
    /// Bolt 3.0 (Neo4j 3.5): HELLO, GOODBYE, BEGIN/COMMIT/ROLLBACK.
    pub const V3_0: Version = Version::new(3, 0);
    /// Bolt 4.0: PULL/DISCARD take `n` and `qid`; multi-database.
    pub const V4_0: Version = Version::new(4, 0);
    /// Bolt 4.1: routing context in HELLO.
    pub const V4_1: Version = Version::new(4, 1);
    /// Bolt 4.2.
    pub const V4_2: Version = Version::new(4, 2);
    /// Bolt 4.3: ROUTE message and NOOP chunks.
    pub const V4_3: Version = Version::new(4, 3);
    /// Bolt 4.4: ROUTE takes a map, impersonation, UTC date-time patch.
    pub const V4_4: Version = Version::new(4, 4);
    /// Bolt 5.0: element ids, UTC date-times.
    pub const V5_0: Version = Version::new(5, 0);
    /// Bolt 5.1: LOGON / LOGOFF.
    pub const V5_1: Version = Version::new(5, 1);
    /// Bolt 5.2: notification filters.
    pub const V5_2: Version = Version::new(5, 2);
    /// Bolt 5.3: `bolt_agent` in HELLO.
    pub const V5_3: Version = Version::new(5, 3);
    /// Bolt 5.4: TELEMETRY.
    pub const V5_4: Version = Version::new(5, 4);
    /// Bolt 5.5.
    pub const V5_5: Version = Version::new(5, 5);
    /// Bolt 5.6: GQL notification filters.
    pub const V5_6: Version = Version::new(5, 6);
    /// Bolt 5.7: GQL-style FAILURE metadata.
    pub const V5_7: Version = Version::new(5, 7);
    /// Bolt 5.8: home-database resolution fields.
    pub const V5_8: Version = Version::new(5, 8);

    /// Every version this crate speaks, newest first.
    pub const ALL: &'static [Version] = &[
        Version::V5_8,
        Version::V5_7,
        Version::V5_6,
        Version::V5_5,
        Version::V5_4,
        Version::V5_3,
        Version::V5_2,
        Version::V5_1,
        Version::V5_0,
        Version::V4_4,
        Version::V4_3,
        Version::V4_2,
        Version::V4_1,
        Version::V4_0,
        Version::V3_0,
        Version::V2,
        Version::V1,
    ];

    /// A version from its parts.
    pub const fn new(major: u8, minor: u8) -> Self {
        Version { major, minor }
    }

    /// Whether this crate speaks the version.
    pub fn is_supported(self) -> bool {
        Self::ALL.contains(&self)
    }

    /// Bolt 1–2: INIT / ACK_FAILURE / PULL_ALL / DISCARD_ALL instead of HELLO / RESET-only recovery.
    pub fn is_legacy(self) -> bool {
        self.major < 3
    }
    /// HELLO/GOODBYE and explicit transactions (3.0+).
    pub fn has_hello(self) -> bool {
        self.major >= 3
    }
    /// PULL and DISCARD carry `n` and `qid`; `db` in BEGIN/RUN (4.0+).
    pub fn has_pull_n(self) -> bool {
        self.major >= 4
    }
    /// Routing context in HELLO (4.1+).
    pub fn has_routing_context(self) -> bool {
        self >= Version::V4_1
    }
    /// The ROUTE message (4.3+).
    pub fn has_route(self) -> bool {
        self >= Version::V4_3
    }
    /// ROUTE takes an extra map and `imp_user` exists (4.4+).
    pub fn has_impersonation(self) -> bool {
        self >= Version::V4_4
    }
    /// Element ids on graph structures (5.0+).
    pub fn has_element_ids(self) -> bool {
        self.major >= 5
    }
    /// Date-times travel in UTC form (5.0+, or 4.4 with the `utc` patch).
    pub fn utc_datetimes_by_default(self) -> bool {
        self.major >= 5
    }
    /// Authentication moves from HELLO to LOGON (5.1+).
    pub fn has_logon(self) -> bool {
        self >= Version::V5_1
    }
    /// Notification filters in HELLO/BEGIN/RUN (5.2+).
    pub fn has_notification_filters(self) -> bool {
        self >= Version::V5_2
    }
    /// `bolt_agent` in HELLO (5.3+).
    pub fn has_bolt_agent(self) -> bool {
        self >= Version::V5_3
    }
    /// The TELEMETRY message (5.4+).
    pub fn has_telemetry(self) -> bool {
        self >= Version::V5_4
    }
    /// GQL-status FAILURE metadata (5.7+).
    pub fn has_gql_errors(self) -> bool {
        self >= Version::V5_7
    }
    /// Home-database resolution fields (5.8+).
    pub fn has_home_db_resolution(self) -> bool {
        self >= Version::V5_8
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}
