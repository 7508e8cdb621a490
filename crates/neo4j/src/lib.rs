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
//! Modules: [`config`] (all options and their defaults), [`retry`] (the
//! managed-transaction retry rule). Errors are one enum, [`Error`].

mod address;
mod auth;
pub mod config;
mod driver;
mod error;
pub mod retry;
mod uri;

pub use crate::address::{ServerAddress, DEFAULT_PORT};
pub use crate::auth::{AuthToken, AuthValue};
pub use crate::config::{
    ClientCertificate, Config, ConfigBuilder, ConfigError, MinimumSeverity, NotificationCategory,
    NotificationFilter, TrustStrategy, FETCH_ALL,
};
pub use crate::driver::{Driver, GraphDatabase};
pub use crate::error::{Classification, Error};
pub use crate::uri::{UriError, UriErrorKind};
