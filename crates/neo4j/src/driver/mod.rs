//! The driver object: created from a URI and a [`Config`], shared by cloning,
//! closed once.
//!
//! Owns [`GraphDatabase::driver`] (validation of URI + config, choice of
//! driver by scheme) and [`Driver`] with its immutable connection details and
//! open/closed state. Sessions, transactions and pools attach to
//! [`Driver`]'s shared inner state; they live in their own modules.

mod connector;

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use self::connector::Connector;
use crate::address::ServerAddress;
use crate::config::Config;
use crate::error::Error;
use crate::uri::{ParsedUri, SchemeKind};

/// Entry point: creates drivers.
///
/// ```
/// use neo4j::{Config, GraphDatabase};
///
/// let config = Config::builder().with_auth(("neo4j", "password")).build()?;
/// let driver = GraphDatabase::driver("bolt://localhost:7687", config)?;
/// assert!(!driver.is_encrypted());
/// # Ok::<(), neo4j::Error>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct GraphDatabase;

impl GraphDatabase {
    /// Creates a driver for `uri` with `config`.
    ///
    /// No connection is opened yet: this only checks the URI (scheme, host,
    /// port, routing context) and the config against it, e.g. that `+s`/
    /// `+ssc` schemes are not combined with explicit `encrypted`, `trust` or
    /// `der_encoded_server_certificate` options.
    ///
    /// `bolt`, `bolt+s` and `bolt+ssc` give a direct driver to one server.
    /// The routing schemes `neo4j`, `neo4j+s`, `neo4j+ssc` and `bolt+routing`
    /// are recognised and checked, then refused with
    /// [`Error::Unsupported`] until the routing driver lands.
    ///
    /// ```
    /// use neo4j::{Config, Error, GraphDatabase};
    ///
    /// let driver = GraphDatabase::driver("bolt+s://db.example.com", Config::default())?;
    /// assert!(driver.is_encrypted());
    ///
    /// let conflict = Config::builder().with_encrypted(true).build()?;
    /// let err = GraphDatabase::driver("bolt+s://db.example.com", conflict).unwrap_err();
    /// assert!(matches!(err, Error::Configuration(_)));
    /// # Ok::<(), neo4j::Error>(())
    /// ```
    pub fn driver(uri: impl AsRef<str>, config: Config) -> Result<Driver, Error> {
        let parsed = ParsedUri::parse(uri.as_ref())?;
        let kind = parsed.kind;
        let connector = Connector::new(parsed, &config)?;
        if kind == SchemeKind::Routing {
            return Err(Error::Unsupported(
                "the routing driver (neo4j://, neo4j+s://, neo4j+ssc://, bolt+routing://) \
                 is not yet supported; use a bolt:// URI to connect to a single server"
                    .into(),
            ));
        }
        Ok(Driver {
            inner: Arc::new(Inner {
                config,
                connector,
                closed: AtomicBool::new(false),
            }),
        })
    }
}

/// A handle to a database: connection details, configuration and (soon) the
/// connection pool. Cheap to clone; all clones share the same state, so
/// closing one closes all.
///
/// A driver is `Send + Sync`; create one per application and share it.
/// Its connection details never change after creation.
///
/// ```
/// use neo4j::{Config, GraphDatabase};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let driver = GraphDatabase::driver("bolt://localhost", Config::default())?;
/// let shared = driver.clone();
/// driver.close().await;
/// assert!(shared.is_closed());
/// # Ok::<(), neo4j::Error>(())
/// # }).unwrap();
/// ```
#[derive(Clone)]
pub struct Driver {
    inner: Arc<Inner>,
}

struct Inner {
    config: Config,
    connector: Connector,
    closed: AtomicBool,
}

impl Driver {
    /// Whether connections are encrypted (from the scheme or the config).
    ///
    /// ```
    /// use neo4j::{Config, GraphDatabase};
    /// let d = GraphDatabase::driver("bolt+ssc://localhost", Config::default())?;
    /// assert!(d.is_encrypted());
    /// # Ok::<(), neo4j::Error>(())
    /// ```
    pub fn is_encrypted(&self) -> bool {
        self.inner.connector.is_encrypted()
    }

    /// Whether [`close`](Self::close) was called on this driver or a clone.
    ///
    /// ```
    /// # let d = neo4j::GraphDatabase::driver("bolt://localhost", neo4j::Config::default())?;
    /// assert!(!d.is_closed());
    /// # Ok::<(), neo4j::Error>(())
    /// ```
    pub fn is_closed(&self) -> bool {
        self.inner.closed.load(Ordering::Acquire)
    }

    /// Closes the driver and every pooled connection. Idempotent. Afterwards
    /// new work fails with [`Error::DriverClosed`].
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let d = neo4j::GraphDatabase::driver("bolt://localhost", neo4j::Config::default())?;
    /// d.close().await;
    /// d.close().await; // no effect
    /// assert!(d.is_closed());
    /// # Ok::<(), neo4j::Error>(())
    /// # }).unwrap();
    /// ```
    pub async fn close(&self) {
        self.inner.closed.store(true, Ordering::Release);
    }

    /// The configuration the driver was created with.
    ///
    /// ```
    /// # let d = neo4j::GraphDatabase::driver("bolt://localhost", neo4j::Config::default())?;
    /// assert_eq!(d.config().max_connection_pool_size(), 100);
    /// # Ok::<(), neo4j::Error>(())
    /// ```
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The server address from the URI (default port filled in).
    ///
    /// ```
    /// # let d = neo4j::GraphDatabase::driver("bolt://[::1]", neo4j::Config::default())?;
    /// assert_eq!(d.address().to_string(), "[::1]:7687");
    /// # Ok::<(), neo4j::Error>(())
    /// ```
    pub fn address(&self) -> &ServerAddress {
        &self.inner.connector.address
    }
}

impl fmt::Debug for Driver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.inner.connector;
        f.debug_struct("Driver")
            .field("address", &c.address)
            .field("tls", &c.tls)
            .field("routing_context", &c.routing_context)
            .field("closed", &self.is_closed())
            .field("config", &self.inner.config)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AuthToken, UriErrorKind};

    const fn assert_send_sync_clone<T: Send + Sync + Clone + 'static>() {}
    const fn assert_send_sync<T: Send + Sync + 'static>() {}
    const _: () = assert_send_sync_clone::<Driver>();
    const _: () = assert_send_sync_clone::<Config>();
    const _: () = assert_send_sync::<Error>();

    #[test]
    fn direct_driver_is_created() {
        let d = GraphDatabase::driver("bolt://example.com:7688", Config::default()).unwrap();
        assert_eq!(d.address(), &ServerAddress::new("example.com", 7688));
        assert!(!d.is_encrypted());
        assert!(!d.is_closed());
        assert!(GraphDatabase::driver("bolt+s://h", Config::default())
            .unwrap()
            .is_encrypted());
        let enc = Config::builder().with_encrypted(true).build().unwrap();
        assert!(GraphDatabase::driver("bolt://h", enc)
            .unwrap()
            .is_encrypted());
    }

    #[test]
    fn routing_schemes_are_refused_clearly() {
        for uri in [
            "neo4j://h",
            "neo4j+s://h",
            "neo4j+ssc://h?x=y",
            "bolt+routing://h",
        ] {
            let err = GraphDatabase::driver(uri, Config::default()).unwrap_err();
            assert!(
                matches!(err, Error::Unsupported(ref m) if m.contains("routing")),
                "{err}"
            );
        }
    }

    #[test]
    fn uri_errors_come_before_config_errors() {
        let cfg = Config::builder().with_encrypted(true).build().unwrap();
        match GraphDatabase::driver("bolt+s://h/path", cfg.clone()).unwrap_err() {
            Error::InvalidUri(e) => assert_eq!(e.kind(), UriErrorKind::PathNotAllowed),
            e => panic!("{e}"),
        }
        match GraphDatabase::driver("neo4j+s://h", cfg).unwrap_err() {
            Error::Configuration(e) => assert_eq!(e.option(), "encrypted"),
            e => panic!("{e}"),
        }
    }

    #[tokio::test]
    async fn close_is_shared_and_idempotent() {
        let d = GraphDatabase::driver("bolt://h", Config::default()).unwrap();
        let clone = d.clone();
        let thread = std::thread::spawn(move || clone.is_closed());
        assert!(!thread.join().unwrap());
        d.close().await;
        d.close().await;
        assert!(d.is_closed());
        assert!(d.clone().is_closed());
    }

    #[test]
    fn debug_hides_secrets() {
        let cfg = Config::builder()
            .with_auth(AuthToken::basic_auth("u", "HIDDEN-PW"))
            .build()
            .unwrap();
        let d = GraphDatabase::driver("bolt://h", cfg).unwrap();
        let dbg = format!("{d:?}");
        assert!(!dbg.contains("HIDDEN-PW"), "{dbg}");
        assert!(dbg.contains("h:7687"), "{dbg}");
    }
}
