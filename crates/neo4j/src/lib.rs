//! A fast, complete async driver for Neo4j and other Bolt-speaking graph
//! databases.
//!
//! Create one [`Driver`] per application with [`GraphDatabase::driver`],
//! from a URI and a [`Config`], and share it (it is cheap to clone and
//! thread-safe):
//!
//! ```
//! use std::time::Duration;
//! use neo4j::{AuthToken, Config, GraphDatabase};
//!
//! let config = Config::builder()
//!     .with_auth(AuthToken::basic_auth("neo4j", "password"))
//!     .with_connection_timeout(Duration::from_secs(5))
//!     .build()?;
//! let driver = GraphDatabase::driver("bolt://localhost:7687", config)?;
//! assert!(!driver.is_closed());
//! # Ok::<(), neo4j::Error>(())
//! ```
//!
//! The URI scheme picks the kind of driver and, with `+s`/`+ssc`, the
//! transport security (see the `docs/uri.md` guide page):
//! `bolt://` a direct driver to one server, `neo4j://` a routing driver for
//! a cluster.
//!
//! Work happens in [`Session`]s: auto-commit queries ([`Session::run`]),
//! explicit transactions ([`Session::begin_transaction`]) and managed
//! transactions retried on transient errors ([`Session::execute_write`]);
//! or in one call with [`Driver::execute_query`]:
//!
//! ```no_run
//! use neo4j::{params, Config, GraphDatabase, SessionConfig};
//! # async fn demo() -> Result<(), neo4j::Error> {
//! let config = Config::builder().with_auth(("neo4j", "password")).build()?;
//! let driver = GraphDatabase::driver("bolt://localhost:7687", config)?;
//! let mut session = driver.session(SessionConfig::new().with_database("neo4j"));
//! let mut result = session.run("MATCH (p:Person) RETURN p.name AS name", params! {}).await?;
//! while let Some(record) = result.next().await {
//!     println!("{}", record?.get::<String>("name")?);
//! }
//! let summary = result.consume().await?;
//! println!("{:?}", summary.counters());
//! # Ok(()) }
//! ```
//!
//! Credentials: a fixed [`AuthToken`], or an [`AuthTokenManager`] for
//! tokens that change ([`AuthTokenManagers::basic`] /
//! [`AuthTokenManagers::bearer`]); per session with
//! [`SessionConfig::with_auth`]; checked with
//! [`Driver::verify_authentication`] (the `docs/authentication.md` page).
//!
//! Modules: [`config`] (all options and their defaults), [`result`]
//! (streams and summaries), [`retry`] (the managed-transaction retry
//! rule). Errors are one enum, [`Error`].

mod address;
mod auth;
mod auth_manager;
mod bookmark_manager;
mod bookmarks;
pub mod config;
mod driver;
mod error;
mod params;
mod query;
mod record;
pub mod result;
pub mod retry;
mod routing;
mod session;
mod transaction;
mod uri;
pub mod value;

pub use crate::address::{ServerAddress, DEFAULT_PORT};
pub use crate::auth::{AuthToken, AuthValue};
pub use crate::auth_manager::{AuthTokenManager, AuthTokenManagers, BoxFuture, ExpiringAuthToken};
pub use crate::bookmark_manager::{
    BookmarkManager, BookmarkManagerConfig, BookmarksConsumer, BookmarksSupplier,
};
pub use crate::bookmarks::Bookmarks;
pub use crate::config::{
    ClientCertificate, ClientCertificateProvider, Clock, Config, ConfigBuilder, ConfigError,
    MinimumSeverity, NotificationCategory, NotificationFilter, RotatingClientCertificateProvider,
    StaticClientCertificateProvider, TrustStrategy, FETCH_ALL,
};
pub use crate::driver::{Driver, GraphDatabase, PoolMetrics};
pub use crate::error::{Classification, Error, GqlError, GqlErrorClassification, TlsErrorKind};
pub use crate::params::Params;
pub use crate::query::{EagerResult, ExecuteQuery, Query, RoutingControl};
pub use crate::record::{Record, RecordIndex};
pub use crate::result::{RecordStream, ResultSummary, ServerInfo, SingleOptional};
pub use crate::routing::RoutingTableInfo;
pub use crate::session::{AccessMode, Session, SessionConfig};
pub use crate::transaction::{ManagedTransaction, Transaction, TransactionConfig};
pub use crate::uri::{UriError, UriErrorKind};
pub use crate::value::{
    from_value, to_value, Date, DateTime, DateTimeZoneId, Duration, FromValue, LocalDateTime,
    LocalTime, Node, Path, Point2D, Point3D, Relationship, Time, Value, ValueMap,
};

#[doc(hidden)]
pub mod __bench {
    //! Internal entry points re-exported for the benches; not public API.
    use crate::{Error, Params, Value};
    pub use bolt_proto::structure::StructCtx;

    /// See `value::wire::decode_record_fields`.
    #[inline]
    pub fn decode_record_fields(fields: &[u8], ctx: StructCtx) -> Result<Vec<Value>, Error> {
        crate::value::wire::decode_record_fields(fields, ctx)
    }

    /// See `value::wire::encode_value`.
    #[inline]
    pub fn encode_value(buf: &mut Vec<u8>, v: &Value, ctx: StructCtx) -> Result<(), Error> {
        crate::value::wire::encode_value(buf, v, ctx)
    }

    /// See `params::encode_params`.
    #[inline]
    pub fn encode_params(buf: &mut Vec<u8>, p: &Params, ctx: StructCtx) -> Result<(), Error> {
        crate::params::encode_params(buf, p, ctx)
    }
}
