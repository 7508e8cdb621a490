//! Driver configuration: every option of the driver, its default and its
//! validation.
//!
//! Owns [`Config`] (immutable once built) and [`ConfigBuilder`]. Values are
//! checked one by one in [`ConfigBuilder::build`]; checks that need the URI
//! scheme (e.g. `+s` with an explicit `encrypted`) happen when the driver is
//! created. This module must not open connections or read files.
//!
//! | option | default |
//! |---|---|
//! | `auth` | [`AuthToken::none()`] |
//! | `encrypted` | `false` (unless the scheme is `+s`/`+ssc`, or a pinned certificate is set) |
//! | `trust` | [`TrustStrategy::TrustSystemCaSignedCertificates`] |
//! | `der_encoded_server_certificate` | none |
//! | `client_certificate` | none |
//! | `client_certificate_provider` | none |
//! | `user_agent` | `neo4j-rust/<version>` |
//! | `max_connection_lifetime` | 1 hour |
//! | `max_connection_pool_size` | 100 |
//! | `connection_acquisition_timeout` | 60 seconds |
//! | `connection_timeout` | 30 seconds |
//! | `connection_read_timeout` | 5 minutes (a server's `connection.recv_timeout_seconds` hint may lower it) |
//! | `keep_alive` | `true` |
//! | `max_retry_time` | 30 seconds |
//! | `resolver` | none (DNS only) |
//! | `fetch_size` | 1000 |
//! | `liveness_check_timeout` | none (never checked) |
//! | `notification_filter` | server default |
//! | `telemetry_disabled` | `false` |

mod certificate_provider;
mod clock;
mod error;
mod notifications;
mod security;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

pub use self::certificate_provider::{
    ClientCertificateProvider, RotatingClientCertificateProvider, StaticClientCertificateProvider,
};
pub use self::clock::Clock;
pub use self::error::ConfigError;
pub use self::notifications::{MinimumSeverity, NotificationCategory, NotificationFilter};
pub use self::security::{ClientCertificate, TrustStrategy};
use crate::address::ServerAddress;
use crate::auth::AuthToken;
use crate::auth_manager::AuthTokenManager;

/// Default for `max_connection_lifetime`: 1 hour.
///
/// ```
/// assert_eq!(neo4j::config::DEFAULT_MAX_CONNECTION_LIFETIME.as_secs(), 3600);
/// ```
pub const DEFAULT_MAX_CONNECTION_LIFETIME: Duration = Duration::from_secs(3600);
/// Default for `max_connection_pool_size`: 100 connections per server.
///
/// ```
/// assert_eq!(neo4j::config::DEFAULT_MAX_CONNECTION_POOL_SIZE, 100);
/// ```
pub const DEFAULT_MAX_CONNECTION_POOL_SIZE: usize = 100;
/// Default for `connection_acquisition_timeout`: 60 seconds.
///
/// ```
/// assert_eq!(neo4j::config::DEFAULT_CONNECTION_ACQUISITION_TIMEOUT.as_secs(), 60);
/// ```
pub const DEFAULT_CONNECTION_ACQUISITION_TIMEOUT: Duration = Duration::from_secs(60);
/// Default for `connection_timeout`: 30 seconds.
///
/// ```
/// assert_eq!(neo4j::config::DEFAULT_CONNECTION_TIMEOUT.as_secs(), 30);
/// ```
pub const DEFAULT_CONNECTION_TIMEOUT: Duration = Duration::from_secs(30);
/// Default for `connection_read_timeout`: 5 minutes.
///
/// ```
/// assert_eq!(neo4j::config::DEFAULT_CONNECTION_READ_TIMEOUT.as_secs(), 300);
/// ```
pub const DEFAULT_CONNECTION_READ_TIMEOUT: Duration = bolt_pool::DEFAULT_READ_TIMEOUT;
/// Default for `max_retry_time`: 30 seconds.
///
/// ```
/// assert_eq!(neo4j::config::DEFAULT_MAX_RETRY_TIME.as_secs(), 30);
/// ```
pub const DEFAULT_MAX_RETRY_TIME: Duration = Duration::from_secs(30);
/// Default for `fetch_size`: 1000 records per batch.
///
/// ```
/// assert_eq!(neo4j::config::DEFAULT_FETCH_SIZE, 1000);
/// ```
pub const DEFAULT_FETCH_SIZE: i64 = 1000;
/// The `fetch_size` value meaning "fetch all records in one batch".
///
/// ```
/// let c = neo4j::Config::builder().with_fetch_size(neo4j::FETCH_ALL).build().unwrap();
/// assert_eq!(c.fetch_size(), -1);
/// ```
pub const FETCH_ALL: i64 = -1;

/// A `fetch_size` (the driver's, or a session's) is positive or
/// [`FETCH_ALL`].
pub(crate) fn check_fetch_size(n: i64) -> Result<(), ConfigError> {
    if n == 0 || n < FETCH_ALL {
        return Err(ConfigError::new(
            "fetch_size",
            format!("got {n}; must be positive, or -1 to fetch all records at once"),
        ));
    }
    Ok(())
}

type ResolverFn = dyn Fn(&ServerAddress) -> Vec<ServerAddress> + Send + Sync;
type DnsResolverFn = dyn Fn(&str) -> Vec<std::net::IpAddr> + Send + Sync;

/// The driver's configuration. Build one with [`Config::builder`]; it cannot
/// change afterwards (a driver's connection details are immutable).
///
/// `Debug` output never shows credentials or key passwords.
///
/// ```
/// use std::time::Duration;
/// use neo4j::{AuthToken, Config};
///
/// let config = Config::builder()
///     .with_auth(AuthToken::basic_auth("neo4j", "password"))
///     .with_max_connection_pool_size(50)
///     .with_connection_timeout(Duration::from_secs(5))
///     .build()?;
/// assert_eq!(config.max_connection_pool_size(), 50);
/// assert!(!format!("{config:?}").contains("password"));
/// # Ok::<(), neo4j::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct Config {
    auth: AuthToken,
    auth_manager: Option<Arc<dyn AuthTokenManager>>,
    encrypted: Option<bool>,
    trust: Option<TrustStrategy>,
    der_encoded_server_certificate: Option<Vec<u8>>,
    client_certificate: Option<ClientCertificate>,
    client_certificate_provider: Option<Arc<dyn ClientCertificateProvider>>,
    user_agent: String,
    max_connection_lifetime: Duration,
    max_connection_pool_size: usize,
    connection_acquisition_timeout: Duration,
    connection_timeout: Duration,
    connection_read_timeout: Duration,
    keep_alive: bool,
    max_retry_time: Duration,
    resolver: Option<Arc<ResolverFn>>,
    dns_resolver: Option<Arc<DnsResolverFn>>,
    fetch_size: i64,
    liveness_check_timeout: Option<Duration>,
    notification_filter: NotificationFilter,
    telemetry_disabled: bool,
    protocol_versions: Option<Vec<(u8, u8)>>,
    clock: Option<Arc<dyn Clock>>,
}

impl Default for Config {
    /// All defaults (see the [module docs](self)).
    fn default() -> Self {
        Config {
            auth: AuthToken::none(),
            auth_manager: None,
            encrypted: None,
            trust: None,
            der_encoded_server_certificate: None,
            client_certificate: None,
            client_certificate_provider: None,
            user_agent: default_user_agent(),
            max_connection_lifetime: DEFAULT_MAX_CONNECTION_LIFETIME,
            max_connection_pool_size: DEFAULT_MAX_CONNECTION_POOL_SIZE,
            connection_acquisition_timeout: DEFAULT_CONNECTION_ACQUISITION_TIMEOUT,
            connection_timeout: DEFAULT_CONNECTION_TIMEOUT,
            connection_read_timeout: DEFAULT_CONNECTION_READ_TIMEOUT,
            keep_alive: true,
            max_retry_time: DEFAULT_MAX_RETRY_TIME,
            resolver: None,
            dns_resolver: None,
            fetch_size: DEFAULT_FETCH_SIZE,
            liveness_check_timeout: None,
            notification_filter: NotificationFilter::default(),
            telemetry_disabled: false,
            protocol_versions: None,
            clock: None,
        }
    }
}

/// `neo4j-rust/<crate version>`.
fn default_user_agent() -> String {
    concat!("neo4j-rust/", env!("CARGO_PKG_VERSION")).to_owned()
}

impl Config {
    /// Starts a builder with every option at its default.
    ///
    /// ```
    /// let config = neo4j::Config::builder().build().unwrap();
    /// assert_eq!(config.fetch_size(), 1000);
    /// ```
    pub fn builder() -> ConfigBuilder {
        ConfigBuilder {
            config: Config::default(),
        }
    }

    /// The credentials sent to the server.
    ///
    /// ```
    /// assert_eq!(neo4j::Config::default().auth().scheme(), "none");
    /// ```
    pub fn auth(&self) -> &AuthToken {
        &self.auth
    }

    /// The auth token manager, if one was set (it then supplies the
    /// driver's credentials in place of [`auth`](Self::auth)).
    ///
    /// ```
    /// assert!(neo4j::Config::default().auth_manager().is_none());
    /// ```
    pub fn auth_manager(&self) -> Option<&Arc<dyn AuthTokenManager>> {
        self.auth_manager.as_ref()
    }

    /// Whether encryption was asked for: the explicit `encrypted` value, else
    /// `true` if a pinned server certificate is set, else `false`. A `+s`/
    /// `+ssc` URI scheme turns encryption on regardless; see
    /// [`Driver::is_encrypted`](crate::Driver::is_encrypted).
    ///
    /// ```
    /// assert!(!neo4j::Config::default().encrypted());
    /// ```
    pub fn encrypted(&self) -> bool {
        self.encrypted
            .unwrap_or(self.der_encoded_server_certificate.is_some())
    }

    /// The trust strategy for encrypted connections.
    ///
    /// ```
    /// assert_eq!(neo4j::Config::default().trust(),
    ///            &neo4j::TrustStrategy::TrustSystemCaSignedCertificates);
    /// ```
    pub fn trust(&self) -> &TrustStrategy {
        const DEFAULT: TrustStrategy = TrustStrategy::TrustSystemCaSignedCertificates;
        self.trust.as_ref().unwrap_or(&DEFAULT)
    }

    /// The pinned server certificate (DER), if set.
    ///
    /// ```
    /// assert!(neo4j::Config::default().der_encoded_server_certificate().is_none());
    /// ```
    pub fn der_encoded_server_certificate(&self) -> Option<&[u8]> {
        self.der_encoded_server_certificate.as_deref()
    }

    /// The client certificate for mutual TLS, if set.
    ///
    /// ```
    /// assert!(neo4j::Config::default().client_certificate().is_none());
    /// ```
    pub fn client_certificate(&self) -> Option<&ClientCertificate> {
        self.client_certificate.as_ref()
    }

    /// The client certificate provider for mutual TLS, if set.
    ///
    /// ```
    /// assert!(neo4j::Config::default().client_certificate_provider().is_none());
    /// ```
    pub fn client_certificate_provider(&self) -> Option<&Arc<dyn ClientCertificateProvider>> {
        self.client_certificate_provider.as_ref()
    }

    /// The user agent sent in `HELLO`.
    ///
    /// ```
    /// assert!(neo4j::Config::default().user_agent().starts_with("neo4j-rust/"));
    /// ```
    pub fn user_agent(&self) -> &str {
        &self.user_agent
    }

    /// Connections older than this are closed instead of reused.
    ///
    /// ```
    /// assert_eq!(neo4j::Config::default().max_connection_lifetime().as_secs(), 3600);
    /// ```
    pub fn max_connection_lifetime(&self) -> Duration {
        self.max_connection_lifetime
    }

    /// The most connections kept open to one server.
    ///
    /// ```
    /// assert_eq!(neo4j::Config::default().max_connection_pool_size(), 100);
    /// ```
    pub fn max_connection_pool_size(&self) -> usize {
        self.max_connection_pool_size
    }

    /// How long a session waits for a pooled connection (including opening a
    /// new one).
    ///
    /// ```
    /// assert_eq!(neo4j::Config::default().connection_acquisition_timeout().as_secs(), 60);
    /// ```
    pub fn connection_acquisition_timeout(&self) -> Duration {
        self.connection_acquisition_timeout
    }

    /// How long opening one TCP connection may take.
    ///
    /// ```
    /// assert_eq!(neo4j::Config::default().connection_timeout().as_secs(), 30);
    /// ```
    pub fn connection_timeout(&self) -> Duration {
        self.connection_timeout
    }

    /// How long a read on an open connection may wait for the server
    /// before the connection is given up as dead (a server's
    /// `connection.recv_timeout_seconds` hint may lower it; see
    /// [`ConfigBuilder::with_connection_read_timeout`]).
    ///
    /// ```
    /// assert_eq!(neo4j::Config::default().connection_read_timeout().as_secs(), 300);
    /// ```
    pub fn connection_read_timeout(&self) -> Duration {
        self.connection_read_timeout
    }

    /// Whether TCP keep-alive is enabled on connections.
    ///
    /// ```
    /// assert!(neo4j::Config::default().keep_alive());
    /// ```
    pub fn keep_alive(&self) -> bool {
        self.keep_alive
    }

    /// How long managed transactions keep retrying retryable errors.
    ///
    /// ```
    /// assert_eq!(neo4j::Config::default().max_retry_time().as_secs(), 30);
    /// ```
    pub fn max_retry_time(&self) -> Duration {
        self.max_retry_time
    }

    /// Whether a custom resolver is set.
    ///
    /// ```
    /// assert!(!neo4j::Config::default().has_resolver());
    /// ```
    pub fn has_resolver(&self) -> bool {
        self.resolver.is_some()
    }

    /// Applies the custom resolver to the URI's address: its answer, or
    /// `[address]` when no resolver is set. DNS resolution of the results
    /// happens later, in the network layer.
    ///
    /// ```
    /// use neo4j::{Config, ServerAddress};
    /// let a = ServerAddress::new("db", 7687);
    /// assert_eq!(Config::default().resolve(&a), vec![a.clone()]);
    /// ```
    pub fn resolve(&self, address: &ServerAddress) -> Vec<ServerAddress> {
        match &self.resolver {
            Some(r) => r(address),
            None => vec![address.clone()],
        }
    }

    /// Whether a DNS resolver hook is set.
    ///
    /// ```
    /// assert!(!neo4j::Config::default().has_dns_resolver());
    /// ```
    pub fn has_dns_resolver(&self) -> bool {
        self.dns_resolver.is_some()
    }

    /// The DNS resolver hook, if set (for the network layer).
    pub(crate) fn dns_resolver(&self) -> Option<Arc<DnsResolverFn>> {
        self.dns_resolver.clone()
    }

    /// Records fetched per batch; [`FETCH_ALL`] (-1) fetches everything at
    /// once.
    ///
    /// ```
    /// assert_eq!(neo4j::Config::default().fetch_size(), 1000);
    /// ```
    pub fn fetch_size(&self) -> i64 {
        self.fetch_size
    }

    /// Pooled connections idle for longer than this are checked with a
    /// round trip before use; `None` never checks.
    ///
    /// ```
    /// assert_eq!(neo4j::Config::default().liveness_check_timeout(), None);
    /// ```
    pub fn liveness_check_timeout(&self) -> Option<Duration> {
        self.liveness_check_timeout
    }

    /// The clock of lifetime, liveness and routing TTL decisions; `None`:
    /// the system's.
    ///
    /// ```
    /// assert!(neo4j::Config::default().clock().is_none());
    /// ```
    pub fn clock(&self) -> Option<&Arc<dyn Clock>> {
        self.clock.as_ref()
    }

    /// Which notifications the server should send.
    ///
    /// ```
    /// assert!(neo4j::Config::default().notification_filter().is_server_default());
    /// ```
    pub fn notification_filter(&self) -> &NotificationFilter {
        &self.notification_filter
    }

    /// Whether sending API usage telemetry to the server is disabled.
    ///
    /// ```
    /// assert!(!neo4j::Config::default().telemetry_disabled());
    /// ```
    pub fn telemetry_disabled(&self) -> bool {
        self.telemetry_disabled
    }

    /// The Bolt versions offered in the handshake, if restricted with
    /// [`ConfigBuilder::with_protocol_versions`]; `None` offers every
    /// supported version.
    ///
    /// ```
    /// assert_eq!(neo4j::Config::default().protocol_versions(), None);
    /// ```
    pub fn protocol_versions(&self) -> Option<&[(u8, u8)]> {
        self.protocol_versions.as_deref()
    }

    /// Names of the transport security options that were set explicitly
    /// (these conflict with `+s`/`+ssc` schemes).
    pub(crate) fn explicit_security_options(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        if self.encrypted.is_some() {
            out.push("encrypted");
        }
        if self.trust.is_some() {
            out.push("trust");
        }
        if self.der_encoded_server_certificate.is_some() {
            out.push("der_encoded_server_certificate");
        }
        out
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("auth", &self.auth)
            .field("auth_manager", &self.auth_manager)
            .field("encrypted", &self.encrypted)
            .field("trust", &self.trust)
            .field(
                "der_encoded_server_certificate",
                &self
                    .der_encoded_server_certificate
                    .as_ref()
                    .map(|c| format!("<{} bytes>", c.len())),
            )
            .field("client_certificate", &self.client_certificate)
            .field(
                "client_certificate_provider",
                &self
                    .client_certificate_provider
                    .as_ref()
                    .map(|_| "<provider>"),
            )
            .field("user_agent", &self.user_agent)
            .field("max_connection_lifetime", &self.max_connection_lifetime)
            .field("max_connection_pool_size", &self.max_connection_pool_size)
            .field(
                "connection_acquisition_timeout",
                &self.connection_acquisition_timeout,
            )
            .field("connection_timeout", &self.connection_timeout)
            .field("connection_read_timeout", &self.connection_read_timeout)
            .field("keep_alive", &self.keep_alive)
            .field("max_retry_time", &self.max_retry_time)
            .field("resolver", &self.resolver.as_ref().map(|_| "<fn>"))
            .field("dns_resolver", &self.dns_resolver.as_ref().map(|_| "<fn>"))
            .field("fetch_size", &self.fetch_size)
            .field("liveness_check_timeout", &self.liveness_check_timeout)
            .field("notification_filter", &self.notification_filter)
            .field("telemetry_disabled", &self.telemetry_disabled)
            .field("protocol_versions", &self.protocol_versions)
            .field("clock", &self.clock)
            .finish()
    }
}

/// Builds a [`Config`]; every method sets one option, [`build`](Self::build)
/// checks them all.
///
/// ```
/// use std::time::Duration;
/// use neo4j::{Config, TrustStrategy};
///
/// let config = Config::builder()
///     .with_auth(("neo4j", "password"))
///     .with_encrypted(true)
///     .with_trust(TrustStrategy::TrustAllCertificates)
///     .with_max_retry_time(Duration::from_secs(10))
///     .build()?;
/// assert!(config.encrypted());
/// # Ok::<(), neo4j::ConfigError>(())
/// ```
#[derive(Debug, Clone)]
#[must_use = "call .build() to get a Config"]
pub struct ConfigBuilder {
    config: Config,
}

impl ConfigBuilder {
    /// `auth`: the credentials (an [`AuthToken`] or a `(user, password)`
    /// tuple). Default: [`AuthToken::none()`].
    ///
    /// ```
    /// let c = neo4j::Config::builder().with_auth(("neo4j", "pw")).build().unwrap();
    /// assert_eq!(c.auth().scheme(), "basic");
    /// ```
    pub fn with_auth(mut self, auth: impl Into<AuthToken>) -> Self {
        self.config.auth = auth.into();
        self.config.auth_manager = None;
        self
    }

    /// `auth` from a manager: the driver asks `manager` for the token each
    /// time it takes a connection, and re-authenticates pooled connections
    /// when it changes (see [`AuthTokenManager`]). Replaces
    /// [`with_auth`](Self::with_auth) (the last one set wins).
    ///
    /// ```
    /// use neo4j::{AuthToken, AuthTokenManagers, Config};
    /// let manager = AuthTokenManagers::basic(|| async {
    ///     Ok(AuthToken::basic_auth("neo4j", "rotated-password"))
    /// });
    /// let config = Config::builder().with_auth_manager(manager).build()?;
    /// assert!(config.auth_manager().is_some());
    /// # Ok::<(), neo4j::ConfigError>(())
    /// ```
    pub fn with_auth_manager(mut self, manager: Arc<dyn AuthTokenManager>) -> Self {
        self.config.auth_manager = Some(manager);
        self
    }

    /// `encrypted`: use TLS. Default `false`. Conflicts with `+s`/`+ssc`
    /// schemes, which set encryption themselves.
    ///
    /// ```
    /// let c = neo4j::Config::builder().with_encrypted(true).build().unwrap();
    /// assert!(c.encrypted());
    /// ```
    pub fn with_encrypted(mut self, encrypted: bool) -> Self {
        self.config.encrypted = Some(encrypted);
        self
    }

    /// `trust`: which server certificates to accept when encrypted. Default:
    /// system CAs. Conflicts with `+s`/`+ssc` schemes.
    ///
    /// ```
    /// use neo4j::{Config, TrustStrategy};
    /// let c = Config::builder().with_trust(TrustStrategy::TrustAllCertificates).build().unwrap();
    /// assert_eq!(c.trust(), &TrustStrategy::TrustAllCertificates);
    /// ```
    pub fn with_trust(mut self, trust: TrustStrategy) -> Self {
        self.config.trust = Some(trust);
        self
    }

    /// `der_encoded_server_certificate`: pin the server certificate. Only a
    /// server presenting exactly this DER-encoded certificate is accepted.
    /// Implies `encrypted`; conflicts with `encrypted(false)`, with `trust`
    /// and with `+s`/`+ssc` schemes.
    ///
    /// ```
    /// let c = neo4j::Config::builder()
    ///     .with_der_encoded_server_certificate(vec![0x30, 0x82])
    ///     .build()
    ///     .unwrap();
    /// assert!(c.encrypted());
    /// ```
    pub fn with_der_encoded_server_certificate(mut self, der: impl Into<Vec<u8>>) -> Self {
        self.config.der_encoded_server_certificate = Some(der.into());
        self
    }

    /// `client_certificate`: present this certificate for mutual TLS (used
    /// only on encrypted connections). Default: none.
    ///
    /// ```
    /// use neo4j::{ClientCertificate, Config};
    /// let c = Config::builder()
    ///     .with_client_certificate(ClientCertificate::new("c.pem", "k.pem"))
    ///     .build()
    ///     .unwrap();
    /// assert!(c.client_certificate().is_some());
    /// ```
    pub fn with_client_certificate(mut self, certificate: ClientCertificate) -> Self {
        self.config.client_certificate = Some(certificate);
        self
    }

    /// `client_certificate_provider`: ask this provider for the client
    /// certificate each time a connection is opened, for certificates that
    /// rotate (see [`ClientCertificateProvider`]; used only on encrypted
    /// connections). Conflicts with `client_certificate`. Default: none.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use neo4j::{ClientCertificate, Config, RotatingClientCertificateProvider};
    /// let provider = Arc::new(RotatingClientCertificateProvider::new(
    ///     ClientCertificate::new("c.pem", "k.pem"),
    /// ));
    /// let c = Config::builder()
    ///     .with_client_certificate_provider(provider.clone())
    ///     .build()
    ///     .unwrap();
    /// assert!(c.client_certificate_provider().is_some());
    /// ```
    pub fn with_client_certificate_provider(
        mut self,
        provider: Arc<dyn ClientCertificateProvider>,
    ) -> Self {
        self.config.client_certificate_provider = Some(provider);
        self
    }

    /// `user_agent`: sent to the server in `HELLO`. Default
    /// `neo4j-rust/<version>`. Must not be empty or contain control
    /// characters (NUL, line breaks...): servers write it to their logs
    /// and connection listings.
    ///
    /// ```
    /// let c = neo4j::Config::builder().with_user_agent("my-app/1.2").build().unwrap();
    /// assert_eq!(c.user_agent(), "my-app/1.2");
    /// ```
    pub fn with_user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.config.user_agent = user_agent.into();
        self
    }

    /// `max_connection_lifetime`: connections older than this are closed
    /// rather than reused. Default 1 hour. Must be positive; use a very large
    /// value to keep connections forever.
    ///
    /// ```
    /// use std::time::Duration;
    /// let c = neo4j::Config::builder()
    ///     .with_max_connection_lifetime(Duration::from_secs(600))
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(c.max_connection_lifetime(), Duration::from_secs(600));
    /// ```
    pub fn with_max_connection_lifetime(mut self, lifetime: Duration) -> Self {
        self.config.max_connection_lifetime = lifetime;
        self
    }

    /// `max_connection_pool_size`: most connections per server. Default 100.
    /// Must be at least 1.
    ///
    /// ```
    /// let c = neo4j::Config::builder().with_max_connection_pool_size(10).build().unwrap();
    /// assert_eq!(c.max_connection_pool_size(), 10);
    /// ```
    pub fn with_max_connection_pool_size(mut self, size: usize) -> Self {
        self.config.max_connection_pool_size = size;
        self
    }

    /// `connection_acquisition_timeout`: how long to wait for a connection
    /// from the pool, opening included. Default 60 s. Must be positive.
    ///
    /// ```
    /// use std::time::Duration;
    /// let c = neo4j::Config::builder()
    ///     .with_connection_acquisition_timeout(Duration::from_secs(5))
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(c.connection_acquisition_timeout().as_secs(), 5);
    /// ```
    pub fn with_connection_acquisition_timeout(mut self, timeout: Duration) -> Self {
        self.config.connection_acquisition_timeout = timeout;
        self
    }

    /// `connection_timeout`: how long opening a TCP connection may take.
    /// Default 30 s. Must be positive.
    ///
    /// ```
    /// use std::time::Duration;
    /// let c = neo4j::Config::builder()
    ///     .with_connection_timeout(Duration::from_millis(1500))
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(c.connection_timeout().as_millis(), 1500);
    /// ```
    pub fn with_connection_timeout(mut self, timeout: Duration) -> Self {
        self.config.connection_timeout = timeout;
        self
    }

    /// `connection_read_timeout`: how long a read on an open connection
    /// may wait for the server (the answer to a request, the next batch
    /// of records, a liveness check's RESET) before the connection is
    /// closed and the work fails with a retryable
    /// [`Error::ServiceUnavailable`](crate::Error::ServiceUnavailable) (a
    /// routing driver: [`Error::SessionExpired`](crate::Error::SessionExpired)).
    /// This is what bounds noticing a server that vanished without closing
    /// the connection (a half-open connection) during a query. Default
    /// 5 minutes; must be positive; `Duration::MAX` never gives up.
    ///
    /// It must be longer than the slowest query takes to produce its first
    /// record (or its next batch) unless the server sends keep-alives.
    /// A server that does (Neo4j with `server.bolt.connection_keep_alive`)
    /// says so with the `connection.recv_timeout_seconds` hint; a
    /// connection then uses the hint when it is shorter than this setting
    /// (at least 1 s). A hint can shorten the timeout, never lengthen it
    /// or turn it off; a hint of zero or less is ignored. The official
    /// drivers have no such setting but honour the hint the same way.
    ///
    /// ```
    /// use std::time::Duration;
    /// let c = neo4j::Config::builder()
    ///     .with_connection_read_timeout(Duration::from_secs(60))
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(c.connection_read_timeout(), Duration::from_secs(60));
    /// ```
    pub fn with_connection_read_timeout(mut self, timeout: Duration) -> Self {
        self.config.connection_read_timeout = timeout;
        self
    }

    /// `keep_alive`: enable TCP keep-alive. Default `true`.
    ///
    /// ```
    /// let c = neo4j::Config::builder().with_keep_alive(false).build().unwrap();
    /// assert!(!c.keep_alive());
    /// ```
    pub fn with_keep_alive(mut self, keep_alive: bool) -> Self {
        self.config.keep_alive = keep_alive;
        self
    }

    /// `max_retry_time` (`max_transaction_retry_time` in 5.x drivers): how
    /// long managed transactions retry retryable errors. Default 30 s; zero
    /// disables retries.
    ///
    /// ```
    /// use std::time::Duration;
    /// let c = neo4j::Config::builder().with_max_retry_time(Duration::ZERO).build().unwrap();
    /// assert_eq!(c.max_retry_time(), Duration::ZERO);
    /// ```
    pub fn with_max_retry_time(mut self, max_retry_time: Duration) -> Self {
        self.config.max_retry_time = max_retry_time;
        self
    }

    /// `resolver`: maps the URI's address to the addresses to try, in
    /// order, before DNS. Used for the initial address only (routers learned
    /// from a routing table are not passed to it). Returning an empty list
    /// makes the connection fail with
    /// [`ServiceUnavailable`](crate::Error::ServiceUnavailable).
    ///
    /// ```
    /// use neo4j::{Config, ServerAddress};
    /// let c = Config::builder()
    ///     .with_resolver(|a: &ServerAddress| vec![
    ///         ServerAddress::new("10.0.0.1", a.port()),
    ///         ServerAddress::new("10.0.0.2", a.port()),
    ///     ])
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(c.resolve(&ServerAddress::new("cluster", 7687)).len(), 2);
    /// ```
    pub fn with_resolver(
        mut self,
        resolver: impl Fn(&ServerAddress) -> Vec<ServerAddress> + Send + Sync + 'static,
    ) -> Self {
        self.config.resolver = Some(Arc::new(resolver));
        self
    }

    /// A DNS resolver hook: maps a host name to its IP addresses, in place
    /// of the system's DNS. Unlike [`with_resolver`](Self::with_resolver)
    /// it applies to every host name the driver connects to (after the
    /// custom resolver, and also to routing table members); IP literals
    /// skip it. An empty answer fails that address like an unknown host.
    /// It is called from async code: keep it quick.
    ///
    /// ```
    /// use std::net::{IpAddr, Ipv4Addr};
    /// let c = neo4j::Config::builder()
    ///     .with_dns_resolver(|host: &str| match host {
    ///         "db.internal" => vec![IpAddr::V4(Ipv4Addr::new(10, 0, 0, 7))],
    ///         _ => vec![],
    ///     })
    ///     .build()
    ///     .unwrap();
    /// assert!(c.has_dns_resolver());
    /// ```
    pub fn with_dns_resolver(
        mut self,
        dns_resolver: impl Fn(&str) -> Vec<std::net::IpAddr> + Send + Sync + 'static,
    ) -> Self {
        self.config.dns_resolver = Some(Arc::new(dns_resolver));
        self
    }

    /// `fetch_size`: records requested per batch. Default 1000. Must be
    /// positive, or [`FETCH_ALL`] (-1) for everything at once.
    ///
    /// ```
    /// let c = neo4j::Config::builder().with_fetch_size(neo4j::FETCH_ALL).build().unwrap();
    /// assert_eq!(c.fetch_size(), -1);
    /// ```
    pub fn with_fetch_size(mut self, fetch_size: i64) -> Self {
        self.config.fetch_size = fetch_size;
        self
    }

    /// `liveness_check_timeout`: check pooled connections idle for longer
    /// than this before handing them out (zero checks every time). Default:
    /// never.
    ///
    /// ```
    /// use std::time::Duration;
    /// let c = neo4j::Config::builder()
    ///     .with_liveness_check_timeout(Duration::from_secs(30))
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(c.liveness_check_timeout(), Some(Duration::from_secs(30)));
    /// ```
    pub fn with_liveness_check_timeout(mut self, timeout: Duration) -> Self {
        self.config.liveness_check_timeout = Some(timeout);
        self
    }

    /// The [`Clock`] that `max_connection_lifetime`,
    /// `liveness_check_timeout` and routing table TTLs are judged by. Default: the system's
    /// monotonic clock. Network timeouts are not affected.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::time::Instant;
    /// #[derive(Debug)]
    /// struct System;
    /// impl neo4j::Clock for System {
    ///     fn now(&self) -> Instant { Instant::now() }
    /// }
    /// let c = neo4j::Config::builder().with_clock(Arc::new(System)).build().unwrap();
    /// assert!(c.clock().is_some());
    /// ```
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.config.clock = Some(clock);
        self
    }

    /// `notification_filter`: minimum severity and disabled categories /
    /// classifications of notifications. Default: the server's choice.
    /// Needs Bolt 5.2+ servers.
    ///
    /// ```
    /// use neo4j::{Config, NotificationFilter};
    /// let c = Config::builder()
    ///     .with_notification_filter(NotificationFilter::disable_all())
    ///     .build()
    ///     .unwrap();
    /// assert!(!c.notification_filter().is_server_default());
    /// ```
    pub fn with_notification_filter(mut self, filter: NotificationFilter) -> Self {
        self.config.notification_filter = filter;
        self
    }

    /// `telemetry_disabled`: do not tell the server which driver APIs are
    /// used (Bolt 5.4+ `TELEMETRY`). Default `false`.
    ///
    /// ```
    /// let c = neo4j::Config::builder().with_telemetry_disabled(true).build().unwrap();
    /// assert!(c.telemetry_disabled());
    /// ```
    pub fn with_telemetry_disabled(mut self, disabled: bool) -> Self {
        self.config.telemetry_disabled = disabled;
        self
    }

    /// `protocol_versions`: offer only these Bolt versions `(major, minor)`
    /// in the handshake, at most four, in order of preference. Meant for
    /// tests and conformance tools (e.g. forcing Bolt 4.4 against a 5.x
    /// server); by default every supported version is offered.
    ///
    /// ```
    /// let c = neo4j::Config::builder()
    ///     .with_protocol_versions([(4, 4), (3, 0)])
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(c.protocol_versions(), Some(&[(4, 4), (3, 0)][..]));
    /// assert!(neo4j::Config::builder().with_protocol_versions([(9, 9)]).build().is_err());
    /// ```
    pub fn with_protocol_versions(mut self, versions: impl IntoIterator<Item = (u8, u8)>) -> Self {
        self.config.protocol_versions = Some(versions.into_iter().collect());
        self
    }

    /// Checks every option and returns the [`Config`], or the first problem
    /// found, naming the option.
    ///
    /// ```
    /// use std::time::Duration;
    /// let err = neo4j::Config::builder()
    ///     .with_connection_timeout(Duration::ZERO)
    ///     .build()
    ///     .unwrap_err();
    /// assert_eq!(err.option(), "connection_timeout");
    /// ```
    pub fn build(self) -> Result<Config, ConfigError> {
        let c = &self.config;
        if c.max_connection_pool_size == 0 {
            return Err(ConfigError::new(
                "max_connection_pool_size",
                "must be at least 1",
            ));
        }
        check_fetch_size(c.fetch_size)?;
        for (option, value) in [
            ("max_connection_lifetime", c.max_connection_lifetime),
            (
                "connection_acquisition_timeout",
                c.connection_acquisition_timeout,
            ),
            ("connection_timeout", c.connection_timeout),
            ("connection_read_timeout", c.connection_read_timeout),
        ] {
            if value.is_zero() {
                return Err(ConfigError::new(option, "must be longer than zero"));
            }
        }
        if c.user_agent.trim().is_empty() {
            return Err(ConfigError::new("user_agent", "must not be empty"));
        }
        if let Some(ch) = c.user_agent.chars().find(|ch| ch.is_control()) {
            return Err(ConfigError::new(
                "user_agent",
                format!(
                    "must not contain control characters, found {ch:?} in {:?}",
                    c.user_agent
                ),
            ));
        }
        if let Some(TrustStrategy::TrustCustomCaSignedCertificates(paths)) = &c.trust {
            if paths.is_empty() {
                return Err(ConfigError::new(
                    "trust",
                    "TrustCustomCaSignedCertificates needs at least one CA file",
                ));
            }
        }
        if let Some(der) = &c.der_encoded_server_certificate {
            if der.is_empty() {
                return Err(ConfigError::new(
                    "der_encoded_server_certificate",
                    "the certificate is empty",
                ));
            }
            if c.encrypted == Some(false) {
                return Err(ConfigError::new(
                    "der_encoded_server_certificate",
                    "a pinned server certificate needs encryption, but `encrypted` is false",
                ));
            }
            if c.trust.is_some() {
                return Err(ConfigError::new(
                    "der_encoded_server_certificate",
                    "a pinned server certificate replaces certificate verification; \
                     do not also set `trust`",
                ));
            }
        }
        if let Some(versions) = &c.protocol_versions {
            if versions.is_empty() || versions.len() > 4 {
                return Err(ConfigError::new(
                    "protocol_versions",
                    format!("offer between 1 and 4 versions, got {}", versions.len()),
                ));
            }
            if let Some((ma, mi)) = versions
                .iter()
                .find(|(ma, mi)| !bolt_proto::Version::new(*ma, *mi).is_supported())
            {
                return Err(ConfigError::new(
                    "protocol_versions",
                    format!("Bolt {ma}.{mi} is not supported by this driver"),
                ));
            }
        }
        if c.client_certificate.is_some() && c.client_certificate_provider.is_some() {
            return Err(ConfigError::new(
                "client_certificate",
                "set either a client certificate or a client certificate provider, not both",
            ));
        }
        if let Some(cert) = &c.client_certificate {
            if cert.cert_file().as_os_str().is_empty() || cert.key_file().as_os_str().is_empty() {
                return Err(ConfigError::new(
                    "client_certificate",
                    "the certificate and key file paths must not be empty",
                ));
            }
        }
        Ok(self.config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_official_5x_drivers() {
        let c = Config::default();
        assert_eq!(c.auth(), &AuthToken::none());
        assert!(!c.encrypted());
        assert_eq!(c.trust(), &TrustStrategy::TrustSystemCaSignedCertificates);
        assert_eq!(c.der_encoded_server_certificate(), None);
        assert_eq!(c.client_certificate(), None);
        assert_eq!(
            c.user_agent(),
            format!("neo4j-rust/{}", env!("CARGO_PKG_VERSION"))
        );
        assert_eq!(c.max_connection_lifetime(), Duration::from_secs(3600));
        assert_eq!(c.max_connection_pool_size(), 100);
        assert_eq!(c.connection_acquisition_timeout(), Duration::from_secs(60));
        assert_eq!(c.connection_timeout(), Duration::from_secs(30));
        assert_eq!(c.connection_read_timeout(), Duration::from_secs(300));
        assert!(c.keep_alive());
        assert_eq!(c.max_retry_time(), Duration::from_secs(30));
        assert!(!c.has_resolver());
        assert_eq!(c.fetch_size(), 1000);
        assert_eq!(c.liveness_check_timeout(), None);
        assert!(c.notification_filter().is_server_default());
        assert!(!c.telemetry_disabled());
        assert!(c.explicit_security_options().is_empty());
        // The builder starts from the same defaults.
        assert_eq!(
            format!("{:?}", Config::builder().build().unwrap()),
            format!("{c:?}")
        );
    }

    fn option_of(b: ConfigBuilder) -> &'static str {
        b.build().unwrap_err().option()
    }

    #[test]
    fn invalid_values_name_the_option() {
        let b = Config::builder;
        assert_eq!(
            option_of(b().with_max_connection_pool_size(0)),
            "max_connection_pool_size"
        );
        assert_eq!(option_of(b().with_fetch_size(0)), "fetch_size");
        assert_eq!(option_of(b().with_fetch_size(-2)), "fetch_size");
        assert_eq!(
            option_of(b().with_max_connection_lifetime(Duration::ZERO)),
            "max_connection_lifetime"
        );
        assert_eq!(
            option_of(b().with_connection_acquisition_timeout(Duration::ZERO)),
            "connection_acquisition_timeout"
        );
        assert_eq!(
            option_of(b().with_connection_timeout(Duration::ZERO)),
            "connection_timeout"
        );
        assert_eq!(
            option_of(b().with_connection_read_timeout(Duration::ZERO)),
            "connection_read_timeout"
        );
        assert_eq!(option_of(b().with_user_agent(" ")), "user_agent");
        assert_eq!(
            option_of(b().with_trust(TrustStrategy::TrustCustomCaSignedCertificates(vec![]))),
            "trust"
        );
        assert_eq!(
            option_of(b().with_der_encoded_server_certificate(Vec::new())),
            "der_encoded_server_certificate"
        );
        assert_eq!(
            option_of(b().with_client_certificate(ClientCertificate::new("", "k"))),
            "client_certificate"
        );
        assert_eq!(
            option_of(
                b().with_client_certificate(ClientCertificate::new("c", "k"))
                    .with_client_certificate_provider(Arc::new(
                        StaticClientCertificateProvider::new(ClientCertificate::new("c", "k"))
                    ))
            ),
            "client_certificate"
        );
    }

    #[test]
    fn boundary_values_are_accepted() {
        let c = Config::builder()
            .with_fetch_size(-1)
            .with_max_connection_pool_size(1)
            .with_max_retry_time(Duration::ZERO)
            .with_liveness_check_timeout(Duration::ZERO)
            .build()
            .unwrap();
        assert_eq!(c.fetch_size(), FETCH_ALL);
        assert_eq!(
            Config::builder()
                .with_fetch_size(1)
                .build()
                .unwrap()
                .fetch_size(),
            1
        );
    }

    #[test]
    fn pinned_certificate_implies_encryption_and_conflicts() {
        let c = Config::builder()
            .with_der_encoded_server_certificate([1u8, 2, 3])
            .build()
            .unwrap();
        assert!(c.encrypted());
        assert_eq!(c.der_encoded_server_certificate(), Some(&[1u8, 2, 3][..]));
        assert_eq!(
            c.explicit_security_options(),
            vec!["der_encoded_server_certificate"]
        );

        let e = Config::builder()
            .with_der_encoded_server_certificate([1u8])
            .with_encrypted(false)
            .build()
            .unwrap_err();
        assert!(e.problem().contains("encrypted"), "{e}");

        let e = Config::builder()
            .with_der_encoded_server_certificate([1u8])
            .with_trust(TrustStrategy::TrustAllCertificates)
            .build()
            .unwrap_err();
        assert!(e.problem().contains("trust"), "{e}");

        // Explicit encrypted(true) with pinning is fine.
        assert!(Config::builder()
            .with_der_encoded_server_certificate([1u8])
            .with_encrypted(true)
            .build()
            .is_ok());
    }

    #[test]
    fn explicit_security_options_are_tracked() {
        let c = Config::builder()
            .with_encrypted(false)
            .with_trust(TrustStrategy::TrustAllCertificates)
            .build()
            .unwrap();
        assert_eq!(c.explicit_security_options(), vec!["encrypted", "trust"]);
    }

    #[test]
    fn debug_never_prints_secrets() {
        let c = Config::builder()
            .with_auth(AuthToken::basic_auth("alice", "PW-SECRET"))
            .with_client_certificate(ClientCertificate::new("c", "k").with_password("KEY-SECRET"))
            .with_resolver(|a: &ServerAddress| vec![a.clone()])
            .build()
            .unwrap();
        let d = format!("{c:?}");
        assert!(!d.contains("PW-SECRET") && !d.contains("KEY-SECRET"), "{d}");
        assert!(
            d.contains("alice") && d.contains("resolver: Some(\"<fn>\")"),
            "{d}"
        );
        let b = format!(
            "{:?}",
            Config::builder().with_auth(AuthToken::bearer_auth("BEARER-SECRET"))
        );
        assert!(!b.contains("BEARER-SECRET"), "{b}");
    }

    #[test]
    fn debug_of_tokens_managers_and_session_configs_never_prints_secrets() {
        let custom = AuthToken::custom_auth(
            Some("alice"),
            Some("hunter2-secret"),
            None::<String>,
            "plugin",
            [("api_key", crate::AuthValue::from("hunter2-secret"))],
        );
        let manager = crate::AuthTokenManagers::basic(|| async {
            Ok(AuthToken::basic_auth("alice", "hunter2-secret"))
        });
        let c = Config::builder().with_auth(custom.clone()).build().unwrap();
        let m = Config::builder()
            .with_auth_manager(manager)
            .build()
            .unwrap();
        let session = crate::SessionConfig::new().with_auth(custom.clone());
        for shown in [
            format!("{custom:?}"),
            format!("{c:#?}"),
            format!("{m:?}"),
            format!("{session:?}"),
        ] {
            assert!(!shown.contains("hunter2"), "{shown}");
        }
    }

    #[test]
    fn resolver_is_applied() {
        let c = Config::builder()
            .with_resolver(|a: &ServerAddress| {
                vec![
                    ServerAddress::new("x", a.port() + 1),
                    ServerAddress::new("y", 1),
                ]
            })
            .build()
            .unwrap();
        assert!(c.has_resolver());
        assert_eq!(
            c.resolve(&ServerAddress::new("h", 10)),
            vec![ServerAddress::new("x", 11), ServerAddress::new("y", 1)]
        );
    }
}
