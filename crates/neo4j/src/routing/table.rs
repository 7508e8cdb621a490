//! One routing table: the routers, readers and writers of one database, with
//! the time-to-live the cluster gave it.
//!
//! Owns parsing the `rt` answer of discovery (sans-I/O: a `packstream::Map`
//! in, a table or a typed problem out), freshness, purge age and forgetting
//! servers. Must not open connections or pick servers (see `discovery` and
//! `select`).

use std::time::{Duration, Instant};

use bolt_net::Address;
use bolt_proto::message::AccessMode;
use packstream::{Map, Value};

/// Longest TTL honoured; larger answers are clamped (a year is "forever").
const MAX_TTL: Duration = Duration::from_secs(365 * 24 * 60 * 60);

/// What was wrong with a discovery answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TableError(pub(crate) String);

impl std::fmt::Display for TableError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
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
    /// for the home database). Unknown roles are skipped; malformed
    /// entries are errors; a table without routers or readers is refused
    /// (the caller tries the next router).
    pub(crate) fn parse(rt: &Map, database: Option<&str>) -> Result<RoutingTable, TableError> {
        let ttl = match rt.get("ttl") {
            Some(Value::Integer(s)) => {
                Duration::from_secs(u64::try_from(*s).unwrap_or(0)).min(MAX_TTL)
            }
            other => {
                return Err(TableError(format!(
                    "`ttl` must be an integer, got {other:?}"
                )))
            }
        };
        let database = match rt.get("db") {
            Some(Value::String(db)) => Some(db.clone()),
            None | Some(Value::Null) => database.map(str::to_owned),
            Some(other) => return Err(TableError(format!("`db` must be a string, got {other:?}"))),
        };
        let servers = rt
            .get("servers")
            .and_then(Value::as_list)
            .ok_or_else(|| TableError("`servers` must be a list".into()))?;
        let mut table = RoutingTable {
            database,
            routers: Vec::new(),
            readers: Vec::new(),
            writers: Vec::new(),
            ttl,
            updated_at: Instant::now(),
            initialized_without_writers: false,
        };
        for server in servers {
            let server = server
                .as_map()
                .ok_or_else(|| TableError("each entry of `servers` must be a map".into()))?;
            let role = server
                .get("role")
                .and_then(Value::as_str)
                .ok_or_else(|| TableError("a server entry has no string `role`".into()))?;
            let addresses = server
                .get("addresses")
                .and_then(Value::as_list)
                .ok_or_else(|| TableError("a server entry has no `addresses` list".into()))?;
            let list = match role {
                "ROUTE" => &mut table.routers,
                "READ" => &mut table.readers,
                "WRITE" => &mut table.writers,
                _ => continue,
            };
            for a in addresses {
                let s = a
                    .as_str()
                    .ok_or_else(|| TableError("server addresses must be strings".into()))?;
                let address: Address = s
                    .parse()
                    .map_err(|e| TableError(format!("bad server address: {e}")))?;
                if !list.contains(&address) {
                    list.push(address);
                }
            }
        }
        if table.routers.is_empty() {
            return Err(TableError("the routing table has no routers".into()));
        }
        if table.readers.is_empty() {
            return Err(TableError("the routing table has no readers".into()));
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
