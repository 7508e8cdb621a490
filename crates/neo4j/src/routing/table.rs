//! One routing table: the routers, readers and writers of one database, with
//! the time-to-live the cluster gave it.
//!
//! Owns parsing the `rt` answer of discovery (sans-I/O: a `packstream::Map`
//! in, a table or a typed problem out), freshness, purge age and forgetting
//! servers. Must not open connections or pick servers (see `discovery` and
//! `select`).
//!
//! # Size caps
//!
//! An answer may list at most [`MAX_SERVERS_PER_ROLE`] addresses for each
//! of `ROUTE`, `READ` and `WRITE`, and at most [`MAX_SERVERS_TOTAL`]
//! addresses (and `servers` entries) in all, unknown roles and duplicates
//! included. The official drivers set no cap; these are far above any real
//! cluster (every member listed once per role), so only a broken or
//! hostile router reaches them. Such an answer is refused whole with
//! [`TableError::TooLarge`], which names the cap: it is not truncated, as a
//! truncated table would route to an arbitrary part of the cluster. The
//! counts are checked from list lengths before any address is parsed.
//!
//! Parsing is linear in the size of the answer: duplicates are dropped
//! (first one kept, order otherwise unchanged) through a hash set per role,
//! and a procedure record's columns are picked by one pass over them.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use bolt_net::Address;
use bolt_proto::message::AccessMode;
use packstream::{Map, Value};

/// Longest TTL honoured; larger answers are clamped (a year is "forever").
const MAX_TTL: Duration = Duration::from_secs(365 * 24 * 60 * 60);

/// Most addresses one role (`ROUTE`, `READ`, `WRITE`) may list.
pub(crate) const MAX_SERVERS_PER_ROLE: usize = 1_000;

/// Most addresses (and most `servers` entries) one answer may list, all
/// roles together.
pub(crate) const MAX_SERVERS_TOTAL: usize = 3_000;

/// What was wrong with a discovery answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TableError {
    /// The answer lists more than a cap allows (see the module doc).
    TooLarge {
        /// What was counted: a role (`"ROUTE"`, `"READ"`, `"WRITE"`),
        /// `"servers entries"` or `"addresses in all roles"`.
        what: &'static str,
        /// How many were listed when the cap was passed.
        listed: usize,
        /// The cap.
        cap: usize,
    },
    /// A field is missing, of the wrong type or unparsable; or the table
    /// has no routers or readers.
    Malformed(String),
}

impl std::fmt::Display for TableError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TableError::TooLarge { what, listed, cap } => write!(
                f,
                "the routing table lists {listed} {what} (or more); \
                 the driver accepts at most {cap}"
            ),
            TableError::Malformed(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for TableError {}

fn malformed(m: impl Into<String>) -> TableError {
    TableError::Malformed(m.into())
}

/// The columns of the routing procedures' record that make a table.
const RECORD_COLUMNS: [&str; 3] = ["ttl", "servers", "db"];

/// The `rt` map of a routing procedure's record (Bolt before 4.3): the
/// `ttl`, `servers` and `db` columns, the first of each name; other
/// columns are dropped. One pass over the columns, however many the server
/// sent.
pub(crate) fn rt_from_record(columns: &[String], fields: Vec<Value>) -> Map {
    let mut picked: [Option<Value>; 3] = [None, None, None];
    for (name, value) in columns.iter().zip(fields) {
        if let Some(i) = RECORD_COLUMNS.iter().position(|c| c == name) {
            picked[i].get_or_insert(value);
        }
    }
    let mut rt = Map::with_capacity(RECORD_COLUMNS.len());
    for (name, value) in RECORD_COLUMNS.iter().zip(picked) {
        if let Some(value) = value {
            rt.insert(*name, value);
        }
    }
    rt
}

/// One role's addresses, in answer order without duplicates.
#[derive(Default)]
struct RoleList {
    addresses: Vec<Address>,
    seen: HashSet<Address>,
    /// Addresses listed so far, duplicates included (what the cap counts).
    listed: usize,
}

impl RoleList {
    fn push(&mut self, address: Address) {
        if self.seen.insert(address.clone()) {
            self.addresses.push(address);
        }
    }
}

/// The routing table of one database.
#[derive(Debug, Clone)]
pub(crate) struct RoutingTable {
    /// The database the table is for; `None` for the home (default)
    /// database of a server that does not name it (Bolt 3 to 4.2).
    pub(crate) database: Option<String>,
    pub(crate) routers: Vec<Address>,
    pub(crate) readers: Vec<Address>,
    pub(crate) writers: Vec<Address>,
    pub(crate) ttl: Duration,
    pub(crate) updated_at: Instant,
    /// The last discovery answer had no writers: the next discovery asks
    /// the initial address first (the cluster may have moved).
    pub(crate) initialized_without_writers: bool,
}

impl RoutingTable {
    /// An empty, already expired table (before the first discovery).
    pub(crate) fn empty(database: Option<String>) -> RoutingTable {
        RoutingTable {
            database,
            routers: Vec::new(),
            readers: Vec::new(),
            writers: Vec::new(),
            ttl: Duration::ZERO,
            updated_at: Instant::now(),
            initialized_without_writers: true,
        }
    }

    /// Parses `{ttl, db?, servers: [{addresses, role}]}` (the `rt` of
    /// ROUTE, or the `ttl`/`servers` columns of the procedures).
    ///
    /// The answer's `db` wins over `database` (the name asked for; `None`
    /// for the home database). Unknown roles are skipped; duplicates
    /// within a role are dropped; malformed entries are errors; a table
    /// without routers or readers is refused (the caller tries the next
    /// router); one over a cap is [`TableError::TooLarge`].
    pub(crate) fn parse(rt: &Map, database: Option<&str>) -> Result<RoutingTable, TableError> {
        let ttl = match rt.get("ttl") {
            Some(Value::Integer(s)) => {
                Duration::from_secs(u64::try_from(*s).unwrap_or(0)).min(MAX_TTL)
            }
            other => {
                return Err(malformed(format!(
                    "`ttl` must be an integer, got {other:?}"
                )))
            }
        };
        let database = match rt.get("db") {
            Some(Value::String(db)) => Some(db.clone()),
            None | Some(Value::Null) => database.map(str::to_owned),
            Some(other) => return Err(malformed(format!("`db` must be a string, got {other:?}"))),
        };
        let servers = rt
            .get("servers")
            .and_then(Value::as_list)
            .ok_or_else(|| malformed("`servers` must be a list"))?;
        if servers.len() > MAX_SERVERS_TOTAL {
            return Err(TableError::TooLarge {
                what: "servers entries",
                listed: servers.len(),
                cap: MAX_SERVERS_TOTAL,
            });
        }
        let mut routers = RoleList::default();
        let mut readers = RoleList::default();
        let mut writers = RoleList::default();
        let mut total = 0usize;
        for server in servers {
            let server = server
                .as_map()
                .ok_or_else(|| malformed("each entry of `servers` must be a map"))?;
            let role = server
                .get("role")
                .and_then(Value::as_str)
                .ok_or_else(|| malformed("a server entry has no string `role`"))?;
            let addresses = server
                .get("addresses")
                .and_then(Value::as_list)
                .ok_or_else(|| malformed("a server entry has no `addresses` list"))?;
            total = total.saturating_add(addresses.len());
            if total > MAX_SERVERS_TOTAL {
                return Err(TableError::TooLarge {
                    what: "addresses in all roles",
                    listed: total,
                    cap: MAX_SERVERS_TOTAL,
                });
            }
            let (list, what) = match role {
                "ROUTE" => (&mut routers, "ROUTE"),
                "READ" => (&mut readers, "READ"),
                "WRITE" => (&mut writers, "WRITE"),
                _ => continue,
            };
            list.listed += addresses.len();
            if list.listed > MAX_SERVERS_PER_ROLE {
                return Err(TableError::TooLarge {
                    what,
                    listed: list.listed,
                    cap: MAX_SERVERS_PER_ROLE,
                });
            }
            for a in addresses {
                let s = a
                    .as_str()
                    .ok_or_else(|| malformed("server addresses must be strings"))?;
                let address: Address = s
                    .parse()
                    .map_err(|e| malformed(format!("bad server address: {e}")))?;
                list.push(address);
            }
        }
        let mut table = RoutingTable {
            database,
            routers: routers.addresses,
            readers: readers.addresses,
            writers: writers.addresses,
            ttl,
            updated_at: Instant::now(),
            initialized_without_writers: false,
        };
        if table.routers.is_empty() {
            return Err(malformed("the routing table has no routers"));
        }
        if table.readers.is_empty() {
            return Err(malformed("the routing table has no readers"));
        }
        table.initialized_without_writers = table.writers.is_empty();
        Ok(table)
    }

    /// When the table expires (`None`: not within any sane horizon).
    fn expires_at(&self) -> Option<Instant> {
        self.updated_at.checked_add(self.ttl)
    }

    /// Usable for `mode` without discovery: not expired, has routers and a
    /// server for the mode.
    pub(crate) fn is_fresh(&self, mode: AccessMode, now: Instant) -> bool {
        let expired = self.expires_at().is_some_and(|t| t <= now);
        let has_server = match mode {
            AccessMode::Read => !self.readers.is_empty(),
            AccessMode::Write => !self.writers.is_empty(),
        };
        !expired && !self.routers.is_empty() && has_server
    }

    /// Expired for longer than `purge_delay`: the table may be dropped.
    pub(crate) fn is_purgeable(&self, now: Instant, purge_delay: Duration) -> bool {
        self.expires_at()
            .and_then(|t| t.checked_add(purge_delay))
            .is_some_and(|t| t <= now)
    }

    /// Forgets `address` in every role (it could not be reached).
    pub(crate) fn forget(&mut self, address: &Address) {
        self.routers.retain(|a| a != address);
        self.readers.retain(|a| a != address);
        self.writers.retain(|a| a != address);
    }

    /// Forgets `address` as a router (it did not answer discovery in
    /// time).
    pub(crate) fn forget_router(&mut self, address: &Address) {
        self.routers.retain(|a| a != address);
    }

    /// Forgets `address` as a writer (it refused a write).
    pub(crate) fn forget_writer(&mut self, address: &Address) {
        self.writers.retain(|a| a != address);
    }

    /// Every server in the table, any role.
    pub(crate) fn servers(&self) -> impl Iterator<Item = &Address> {
        self.routers
            .iter()
            .chain(self.readers.iter())
            .chain(self.writers.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(role: &str, addrs: &[&str]) -> Value {
        let mut m = Map::new();
        m.insert("role", role);
        m.insert(
            "addresses",
            Value::List(addrs.iter().map(|a| Value::from(*a)).collect()),
        );
        Value::Map(m)
    }

    fn rt(ttl: i64, db: Option<&str>, servers: Vec<Value>) -> Map {
        let mut m = Map::new();
        m.insert("ttl", ttl);
        if let Some(db) = db {
            m.insert("db", db);
        }
        m.insert("servers", Value::List(servers));
        m
    }

    fn full() -> Vec<Value> {
        vec![
            server("ROUTE", &["r1:7687", "r2:7687"]),
            server("READ", &["a:1", "b:2"]),
            server("WRITE", &["w:3"]),
        ]
    }

    #[test]
    fn parses_roles_ttl_and_db() {
        let t = RoutingTable::parse(&rt(300, Some("homedb"), full()), None).unwrap();
        assert_eq!(t.database.as_deref(), Some("homedb"));
        assert_eq!(t.ttl, Duration::from_secs(300));
        assert_eq!(t.routers.len(), 2);
        assert_eq!(t.readers[1], Address::new("b", 2));
        assert_eq!(t.writers, vec![Address::new("w", 3)]);
        assert!(!t.initialized_without_writers);
        assert!(t.is_fresh(AccessMode::Read, Instant::now()));
        assert!(t.is_fresh(AccessMode::Write, Instant::now()));
        // Asked-for name used when the answer has none.
        let t = RoutingTable::parse(&rt(1, None, full()), Some("x")).unwrap();
        assert_eq!(t.database.as_deref(), Some("x"));
    }

    #[test]
    fn refuses_tables_without_routers_or_readers() {
        let no_readers = vec![server("ROUTE", &["r:1"]), server("WRITE", &["w:1"])];
        assert!(RoutingTable::parse(&rt(1, None, no_readers), None).is_err());
        let no_routers = vec![server("READ", &["r:1"]), server("WRITE", &["w:1"])];
        assert!(RoutingTable::parse(&rt(1, None, no_routers), None).is_err());
        let no_writers = vec![server("ROUTE", &["r:1"]), server("READ", &["x:1"])];
        let t = RoutingTable::parse(&rt(10, None, no_writers), None).unwrap();
        assert!(t.initialized_without_writers);
        assert!(t.is_fresh(AccessMode::Read, Instant::now()));
        assert!(!t.is_fresh(AccessMode::Write, Instant::now()));
    }

    #[test]
    fn malformed_answers_are_errors_not_panics() {
        let mut bad_ttl = rt(1, None, full());
        bad_ttl.insert("ttl", "soon");
        assert!(RoutingTable::parse(&bad_ttl, None).is_err());
        let bad_addr = vec![server("ROUTE", &["r:notaport"]), server("READ", &["a:1"])];
        assert!(RoutingTable::parse(&rt(1, None, bad_addr), None).is_err());
        let mut not_list = rt(1, None, vec![]);
        not_list.insert("servers", 5);
        assert!(RoutingTable::parse(&not_list, None).is_err());
        assert!(RoutingTable::parse(&rt(1, None, vec![Value::from(1)]), None).is_err());
        // Unknown roles are skipped; huge and negative TTLs are clamped.
        let mut odd = full();
        odd.push(server("ARBITER", &["z:1"]));
        let t = RoutingTable::parse(&rt(i64::MAX, None, odd), None).unwrap();
        assert_eq!(t.ttl, MAX_TTL);
        assert!(t.servers().all(|a| a.host() != "z"));
        let t = RoutingTable::parse(&rt(-5, None, full()), None).unwrap();
        assert!(!t.is_fresh(AccessMode::Read, Instant::now()));
    }

    fn addresses(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("h{i}:{}", 1 + i % 60_000)).collect()
    }

    fn role(role: &str, addrs: &[String]) -> Value {
        let refs: Vec<&str> = addrs.iter().map(String::as_str).collect();
        server(role, &refs)
    }

    fn too_large(e: TableError) -> (&'static str, usize) {
        match e {
            TableError::TooLarge { what, cap, .. } => (what, cap),
            other => panic!("expected TooLarge, got {other:?}"),
        }
    }

    #[test]
    fn tables_over_a_cap_are_refused_naming_it() {
        let over = addresses(MAX_SERVERS_PER_ROLE + 1);
        let one = addresses(1);
        for name in ["ROUTE", "READ", "WRITE"] {
            let mut servers = vec![role("ROUTE", &one), role("READ", &one)];
            servers.push(role(name, &over));
            let e = RoutingTable::parse(&rt(1, None, servers), None).unwrap_err();
            assert!(
                e.to_string().contains(&MAX_SERVERS_PER_ROLE.to_string()),
                "{e}"
            );
            assert_eq!(too_large(e), (name, MAX_SERVERS_PER_ROLE));
        }
        // A role's count adds up over entries and includes duplicates.
        let half = addresses(MAX_SERVERS_PER_ROLE / 2 + 1);
        let split = vec![
            role("ROUTE", &one),
            role("READ", &half),
            role("READ", &half),
        ];
        let e = RoutingTable::parse(&rt(1, None, split), None).unwrap_err();
        assert_eq!(too_large(e), ("READ", MAX_SERVERS_PER_ROLE));
        // The total counts unknown roles too.
        let full_role = addresses(MAX_SERVERS_PER_ROLE);
        let mut many = vec![
            role("ROUTE", &full_role),
            role("READ", &full_role),
            role("WRITE", &full_role),
        ];
        many.push(role("ARBITER", &one));
        let e = RoutingTable::parse(&rt(1, None, many), None).unwrap_err();
        assert!(
            e.to_string().contains(&MAX_SERVERS_TOTAL.to_string()),
            "{e}"
        );
        assert_eq!(too_large(e), ("addresses in all roles", MAX_SERVERS_TOTAL));
        // So does the number of entries, even empty ones.
        let mut entries = full();
        entries.extend((0..MAX_SERVERS_TOTAL).map(|_| role("READ", &[])));
        let e = RoutingTable::parse(&rt(1, None, entries), None).unwrap_err();
        assert_eq!(too_large(e), ("servers entries", MAX_SERVERS_TOTAL));
    }

    #[test]
    fn a_huge_answer_is_refused_before_its_addresses_are_parsed() {
        // 100k entries that are not even addresses: the cap is checked
        // from the list's length, so the answer is refused as too large
        // (a parse of every entry would first find a bad address).
        let junk: Vec<String> = (0..100_000)
            .map(|i| format!("not an address {i}"))
            .collect();
        let servers = vec![role("ROUTE", &addresses(1)), role("READ", &junk)];
        let e = RoutingTable::parse(&rt(1, None, servers), None).unwrap_err();
        assert_eq!(too_large(e), ("addresses in all roles", MAX_SERVERS_TOTAL));
    }

    #[test]
    fn a_table_at_the_caps_parses_without_duplicates_in_answer_order() {
        let all = addresses(MAX_SERVERS_PER_ROLE);
        let servers = vec![role("ROUTE", &all), role("READ", &all), role("WRITE", &all)];
        let t = RoutingTable::parse(&rt(1, None, servers), None).unwrap();
        assert_eq!(t.routers.len(), MAX_SERVERS_PER_ROLE);
        assert_eq!(t.readers.len(), MAX_SERVERS_PER_ROLE);
        assert_eq!(t.writers[7], all[7].parse::<Address>().unwrap());
        // Duplicates within a role (also across its entries) are dropped,
        // the first one kept in place; across roles they stay.
        let servers = vec![
            server("ROUTE", &["r:1", "a:1"]),
            server("READ", &["b:2", "a:1", "b:2"]),
            server("READ", &["c:3", "a:1"]),
        ];
        let t = RoutingTable::parse(&rt(1, None, servers), None).unwrap();
        let names = |v: &[Address]| v.iter().map(Address::to_string).collect::<Vec<_>>();
        assert_eq!(names(&t.routers), ["r:1", "a:1"]);
        assert_eq!(names(&t.readers), ["b:2", "a:1", "c:3"]);
    }

    #[test]
    fn a_procedure_record_keeps_the_first_table_columns_only() {
        // Many extra columns (one pass picks the three it needs), and a
        // repeated `ttl`: the first one counts.
        let mut columns: Vec<String> = (0..100_000).map(|i| format!("c{i}")).collect();
        let mut fields: Vec<Value> = (0..100_000).map(Value::from).collect();
        for (name, value) in [
            ("ttl", Value::from(300)),
            ("servers", Value::List(full())),
            ("ttl", Value::from(5)),
        ] {
            columns.push(name.to_owned());
            fields.push(value);
        }
        let rt = rt_from_record(&columns, fields);
        assert_eq!(rt.len(), 2);
        let t = RoutingTable::parse(&rt, Some("x")).unwrap();
        assert_eq!(t.ttl, Duration::from_secs(300));
        assert_eq!(t.database.as_deref(), Some("x"));
        assert_eq!(t.readers.len(), 2);
        // Fewer fields than columns: the missing ones are absent.
        let rt = rt_from_record(&["ttl".to_owned(), "servers".to_owned()], vec![1.into()]);
        assert!(RoutingTable::parse(&rt, None).is_err());
    }

    #[test]
    fn expiry_purge_and_forgetting() {
        let mut t = RoutingTable::parse(&rt(10, None, full()), None).unwrap();
        let now = t.updated_at;
        assert!(t.is_fresh(AccessMode::Read, now + Duration::from_secs(9)));
        assert!(!t.is_fresh(AccessMode::Read, now + Duration::from_secs(10)));
        let delay = Duration::from_secs(30);
        assert!(!t.is_purgeable(now + Duration::from_secs(39), delay));
        assert!(t.is_purgeable(now + Duration::from_secs(40), delay));
        t.forget_writer(&Address::new("w", 3));
        assert!(!t.is_fresh(AccessMode::Write, now));
        t.forget(&Address::new("a", 1));
        t.forget(&Address::new("b", 2));
        assert!(!t.is_fresh(AccessMode::Read, now));
        assert_eq!(t.servers().count(), 2);
        assert!(!RoutingTable::empty(None).is_fresh(AccessMode::Read, now));
    }
}
