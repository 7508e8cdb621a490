//! Authenticated Bolt connections, pooled per server on bb8.
//!
//! This crate joins [`bolt_net`] (sockets, TLS) and [`bolt_proto`] (the
//! sans-I/O protocol) into working connections, and keeps them in pools.
//! It knows nothing about sessions, transactions, retries or routing
//! tables: the `neo4j` facade builds those on top.
//!
//! | module | owns |
//! |---|---|
//! | `connection` | [`Connection`]: buffers, framing, state, deadlines; opening one ([`OpenOptions`]) |
//! | `pool` | [`Pool`] per server on bb8 ([`BoltManager`]), [`PooledConnection`], [`PoolMetrics`], [`PoolConfig`], [`Clock`], [`Pools`] by address |
//! | `error` | [`PoolError`], [`ProtocolError`] |
//!
//! ```no_run
//! use bolt_pool::{Connection, OpenOptions};
//! use bolt_proto::message::{Pull, Request, Response, Run};
//!
//! # async fn demo() -> Result<(), bolt_pool::PoolError> {
//! let mut auth = packstream::Map::new();
//! auth.insert("scheme", "basic");
//! auth.insert("principal", "neo4j");
//! auth.insert("credentials", "secret");
//! let address = "localhost:7687".parse().map_err(bolt_net::NetError::from)?;
//! let mut conn = Connection::open(&address, &Default::default(), &OpenOptions::new(auth)).await?;
//! conn.queue(&Request::Run(Run::new("RETURN 1 AS n")))?;
//! conn.queue(&Request::Pull(Pull::all()))?;
//! while conn.pending() > 0 {
//!     if let Response::Record(r) = conn.recv().await? {
//!         assert_eq!(r.fields, vec![packstream::Value::Integer(1)]);
//!     }
//! }
//! # Ok(()) }
//! ```

mod connection;
mod error;
mod pool;

pub use connection::{
    Connection, OpenOptions, RecordBatch, DEFAULT_READ_TIMEOUT, DEFAULT_USER_AGENT,
    DEFAULT_WRITE_TIMEOUT, MIN_HINTED_READ_TIMEOUT,
};
pub use error::{PoolError, ProtocolError};
pub use pool::{
    BoltManager, Clock, Pool, PoolConfig, PoolMetrics, PooledConnection, Pools, SystemClock,
    DEFAULT_CONNECTION_ACQUISITION_TIMEOUT, DEFAULT_MAX_CONNECTION_LIFETIME,
    DEFAULT_MAX_CONNECTION_POOL_SIZE,
};
