//! Client-side routing for `neo4j://` (and `neo4j+s`, `neo4j+ssc`, the
//! legacy `bolt+routing`) drivers.
//!
//! A routing driver keeps one routing table per database: the cluster's
//! routers, readers and writers with a time-to-live. Work in read mode goes
//! to a reader, write mode to a writer, each time the member with the fewest
//! connections in use (ties take turns). A stale table is refreshed through
//! the known routers, then the URI's address (through the custom resolver),
//! one refresh at a time per database (other databases do not wait for
//! it), the whole refresh within the connection acquisition timeout.
//! Members that cannot be reached are forgotten and the work fails with a
//! retryable [`Error::SessionExpired`](crate::Error::SessionExpired); a
//! writer that refuses writes (`NotALeader`, `ForbiddenOnReadOnlyDatabase`)
//! is forgotten for that database and the server's (retryable) error kept.
//! A table listing more servers than a generous cap (`table`'s module doc)
//! is refused as [`Error::Protocol`](crate::Error::Protocol) naming the cap.
//!
//! With Bolt 5.8 servers doing server-side routing, a session without a
//! database routes its first unit of work with the home database cached
//! for its user (`home_db`) instead of asking the cluster first.
//!
//! Files: `table` (one table, parsing and freshness), `discovery` (asking a
//! router, per Bolt version), `select` (least connected), `home_db` (the
//! home-database cache and its key), `refresh` (one refresh in flight per
//! database), `provider` (the tables, the pools, refresh deadlines and
//! failure handling). This module does not run user
//! queries and does not retry: sessions and the retry loop do.

mod discovery;
mod home_db;
mod provider;
mod refresh;
mod select;
mod table;

use std::time::Duration;

use crate::address::ServerAddress;

pub(crate) use home_db::{home_db_key, HomeDbKey};
pub(crate) use provider::{RouteHook, RouteRequest, RoutingProvider};

/// A snapshot of one routing table, for diagnostics and tests
/// (see `Driver::routing_table`).
///
/// ```
/// let info = neo4j::RoutingTableInfo::default();
/// assert!(info.routers.is_empty() && info.database.is_none());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RoutingTableInfo {
    /// The database the table is for (`None`: the home database of a server
    /// that does not name it).
    pub database: Option<String>,
    /// The time-to-live the cluster gave the table.
    pub ttl: Duration,
    /// Servers that answer discovery.
    pub routers: Vec<ServerAddress>,
    /// Servers for read work.
    pub readers: Vec<ServerAddress>,
    /// Servers for write work.
    pub writers: Vec<ServerAddress>,
}
