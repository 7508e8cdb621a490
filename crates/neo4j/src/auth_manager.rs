//! Auth token managers: where a driver gets its credentials when they
//! change over its lifetime (password rotation, expiring SSO tokens).
//!
//! Owns the [`AuthTokenManager`] trait and the ready-made managers of
//! [`AuthTokenManagers`]: static, basic (refreshed when the server refuses
//! the password) and bearer (refreshed before expiry and when the server
//! says the token expired). Applying a token to connections (re-auth,
//! reconnect) is the driver's job, not this module's.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::auth::AuthToken;
use crate::config::Clock;
use crate::error::Error;

/// A boxed, `Send` future, as returned by [`AuthTokenManager`]'s methods.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

const UNAUTHORIZED: &str = "Neo.ClientError.Security.Unauthorized";
const TOKEN_EXPIRED: &str = "Neo.ClientError.Security.TokenExpired";

/// Supplies the driver's auth token, which may change over time.
///
/// The driver calls [`get_token`](Self::get_token) each time it takes a
/// connection from its pool (and before opening one); a pooled connection
/// logged on with another token is re-authenticated (Bolt 5.1+: LOGOFF and
/// LOGON on the same connection) or replaced (older servers) before use.
/// `get_token` must answer within the driver's
/// `connection_acquisition_timeout`; otherwise the acquisition fails with
/// [`Error::ConnectionAcquisitionTimeout`].
/// When the server answers work done with the manager's token with a
/// `Neo.ClientError.Security.*` failure, the driver calls
/// [`handle_security_error`](Self::handle_security_error): returning `true`
/// says the manager will give a different token next time, and the error
/// becomes retryable (managed transactions retry it). It too must answer
/// within `connection_acquisition_timeout`; otherwise the error is
/// reported as is (not retryable).
///
/// Both methods must be fast and must not call back into the driver. Hand
/// a manager to [`ConfigBuilder::with_auth_manager`](crate::ConfigBuilder::with_auth_manager).
///
/// ```
/// use std::sync::Arc;
/// use neo4j::{AuthToken, AuthTokenManager, BoxFuture, Error};
///
/// /// Reads the password from wherever it is kept, every time.
/// #[derive(Debug)]
/// struct FromVault;
///
/// impl AuthTokenManager for FromVault {
///     fn get_token(&self) -> BoxFuture<'_, Result<AuthToken, Error>> {
///         Box::pin(async { Ok(AuthToken::basic_auth("neo4j", "from-the-vault")) })
///     }
///     fn handle_security_error<'a>(
///         &'a self,
///         _token: &'a AuthToken,
///         _error: &'a Error,
///     ) -> BoxFuture<'a, bool> {
///         Box::pin(async { false })
///     }
/// }
///
/// let config = neo4j::Config::builder().with_auth_manager(Arc::new(FromVault)).build()?;
/// assert!(config.auth_manager().is_some());
/// # Ok::<(), neo4j::ConfigError>(())
/// ```
pub trait AuthTokenManager: Send + Sync + fmt::Debug {
    /// The token to use now. An error fails the acquisition of a
    /// connection (and so the unit of work) with it.
    fn get_token(&self) -> BoxFuture<'_, Result<AuthToken, Error>>;

    /// Called with the token a connection used and the security error the
    /// server answered it with. Return `true` if the manager handled it
    /// (e.g. will supply a fresh token): the error is then retryable.
    fn handle_security_error<'a>(
        &'a self,
        token: &'a AuthToken,
        error: &'a Error,
    ) -> BoxFuture<'a, bool>;
}

/// An auth token with an optional expiry, as supplied to
/// [`AuthTokenManagers::bearer`].
///
/// ```
/// use std::time::Duration;
/// use neo4j::{AuthToken, ExpiringAuthToken};
/// let t = ExpiringAuthToken::new(AuthToken::bearer_auth("jwt"))
///     .expiring_in(Duration::from_secs(3600));
/// assert_eq!(t.expires_in(), Some(Duration::from_secs(3600)));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ExpiringAuthToken {
    token: AuthToken,
    expiry: Expiry,
}

/// When an [`ExpiringAuthToken`] expires.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expiry {
    Never,
    At(Instant),
    /// After this long, counted from when the manager received it (by
    /// the manager's clock).
    In(Duration),
}

impl ExpiringAuthToken {
    /// A token that never expires (until the server says so).
    ///
    /// ```
    /// let t = neo4j::ExpiringAuthToken::new(neo4j::AuthToken::bearer_auth("jwt"));
    /// assert!(t.expires_at().is_none());
    /// ```
    pub fn new(token: AuthToken) -> Self {
        ExpiringAuthToken {
            token,
            expiry: Expiry::Never,
        }
    }

    /// Expires at `at`.
    ///
    /// ```
    /// let at = std::time::Instant::now();
    /// let t = neo4j::ExpiringAuthToken::new(neo4j::AuthToken::none()).expiring_at(at);
    /// assert_eq!(t.expires_at(), Some(at));
    /// ```
    pub fn expiring_at(mut self, at: Instant) -> Self {
        self.expiry = Expiry::At(at);
        self
    }

    /// Expires `after` from when the manager receives it (measured by the
    /// manager's clock, see [`AuthTokenManagers::bearer_with_clock`]).
    ///
    /// ```
    /// use std::time::Duration;
    /// let t = neo4j::ExpiringAuthToken::new(neo4j::AuthToken::none())
    ///     .expiring_in(Duration::from_secs(60));
    /// assert_eq!(t.expires_in(), Some(Duration::from_secs(60)));
    /// ```
    pub fn expiring_in(mut self, after: Duration) -> Self {
        self.expiry = Expiry::In(after);
        self
    }

    /// The token.
    ///
    /// ```
    /// let t = neo4j::ExpiringAuthToken::new(neo4j::AuthToken::none());
    /// assert_eq!(t.token().scheme(), "none");
    /// ```
    pub fn token(&self) -> &AuthToken {
        &self.token
    }

    /// When it expires, if set with [`expiring_at`](Self::expiring_at).
    pub fn expires_at(&self) -> Option<Instant> {
        match self.expiry {
            Expiry::At(at) => Some(at),
            _ => None,
        }
    }

    /// How long it lasts after receipt, if set with
    /// [`expiring_in`](Self::expiring_in).
    pub fn expires_in(&self) -> Option<Duration> {
        match self.expiry {
            Expiry::In(d) => Some(d),
            _ => None,
        }
    }

    /// The instant it expires at, for a token received `now`.
    fn deadline(&self, now: Instant) -> Option<Instant> {
        match self.expiry {
            Expiry::Never => None,
            Expiry::At(at) => Some(at),
            // Too far away to represent: never.
            Expiry::In(d) => now.checked_add(d),
        }
    }
}

/// The system's monotonic clock.
#[derive(Debug)]
struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
}

impl From<AuthToken> for ExpiringAuthToken {
    fn from(token: AuthToken) -> Self {
        ExpiringAuthToken::new(token)
    }
}

/// The ready-made [`AuthTokenManager`]s.
///
/// ```
/// use neo4j::{AuthToken, AuthTokenManagers, ExpiringAuthToken};
/// use std::time::Duration;
///
/// // Password rotation: asked again when the server refuses the password.
/// let basic = AuthTokenManagers::basic(|| async {
///     Ok(AuthToken::basic_auth("neo4j", "current-password"))
/// });
/// // SSO: asked again before the token expires, or when the server says it did.
/// let bearer = AuthTokenManagers::bearer(|| async {
///     Ok(ExpiringAuthToken::new(AuthToken::bearer_auth("jwt")).expiring_in(Duration::from_secs(300)))
/// });
/// let config = neo4j::Config::builder().with_auth_manager(bearer).build()?;
/// # let _ = (basic, config);
/// # Ok::<(), neo4j::ConfigError>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct AuthTokenManagers;

impl AuthTokenManagers {
    /// Always the same token; handles no error. What
    /// [`ConfigBuilder::with_auth`](crate::ConfigBuilder::with_auth) amounts to.
    ///
    /// ```
    /// let m = neo4j::AuthTokenManagers::static_token(neo4j::AuthToken::basic_auth("u", "p"));
    /// # let _ = m;
    /// ```
    pub fn static_token(token: AuthToken) -> Arc<dyn AuthTokenManager> {
        Arc::new(StaticManager(token))
    }

    /// For password rotation: `provider` is called for the first token
    /// and again after the server refused the current one
    /// (`Neo.ClientError.Security.Unauthorized`, which is then retryable).
    ///
    /// ```
    /// let m = neo4j::AuthTokenManagers::basic(|| async {
    ///     Ok(neo4j::AuthToken::basic_auth("neo4j", std::env::var("PW").unwrap_or_default()))
    /// });
    /// # let _ = m;
    /// ```
    pub fn basic<F, Fut>(provider: F) -> Arc<dyn AuthTokenManager>
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<AuthToken, Error>> + Send + 'static,
    {
        Arc::new(RefreshingManager {
            provider: Box::new(move || {
                let fut = provider();
                Box::pin(async move { fut.await.map(ExpiringAuthToken::new) })
            }),
            handles: &[UNAUTHORIZED],
            current: tokio::sync::Mutex::new(None),
            clock: Arc::new(SystemClock),
        })
    }

    /// For expiring tokens (SSO): `provider` is called for the first token,
    /// again once it expired, and after the server said it expired or
    /// refused it (`Neo.ClientError.Security.TokenExpired` /
    /// `...Unauthorized`, which are then retryable).
    ///
    /// ```
    /// use std::time::Duration;
    /// let m = neo4j::AuthTokenManagers::bearer(|| async {
    ///     let jwt = "eyJ...".to_owned(); // fetched from the identity provider
    ///     Ok(neo4j::ExpiringAuthToken::new(neo4j::AuthToken::bearer_auth(jwt))
    ///         .expiring_in(Duration::from_secs(600)))
    /// });
    /// # let _ = m;
    /// ```
    pub fn bearer<F, Fut>(provider: F) -> Arc<dyn AuthTokenManager>
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<ExpiringAuthToken, Error>> + Send + 'static,
    {
        Self::bearer_with_clock(provider, Arc::new(SystemClock))
    }

    /// [`bearer`](Self::bearer), judging expiry by `clock` (e.g. the one
    /// given to [`ConfigBuilder::with_clock`](crate::ConfigBuilder::with_clock)
    /// in tests that move time).
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use std::time::{Duration, Instant};
    /// #[derive(Debug)]
    /// struct Manual(Mutex<Instant>);
    /// impl neo4j::Clock for Manual {
    ///     fn now(&self) -> Instant { *self.0.lock().unwrap() }
    /// }
    /// let clock = Arc::new(Manual(Mutex::new(Instant::now())));
    /// let m = neo4j::AuthTokenManagers::bearer_with_clock(
    ///     || async { Ok(neo4j::ExpiringAuthToken::new(neo4j::AuthToken::bearer_auth("t"))) },
    ///     clock,
    /// );
    /// # let _ = m;
    /// ```
    pub fn bearer_with_clock<F, Fut>(
        provider: F,
        clock: Arc<dyn Clock>,
    ) -> Arc<dyn AuthTokenManager>
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<ExpiringAuthToken, Error>> + Send + 'static,
    {
        Arc::new(RefreshingManager {
            provider: Box::new(move || Box::pin(provider())),
            handles: &[TOKEN_EXPIRED, UNAUTHORIZED],
            current: tokio::sync::Mutex::new(None),
            clock,
        })
    }
}

#[derive(Debug)]
struct StaticManager(AuthToken);

impl AuthTokenManager for StaticManager {
    fn get_token(&self) -> BoxFuture<'_, Result<AuthToken, Error>> {
        let t = self.0.clone();
        Box::pin(async move { Ok(t) })
    }

    fn handle_security_error<'a>(
        &'a self,
        _token: &'a AuthToken,
        _error: &'a Error,
    ) -> BoxFuture<'a, bool> {
        Box::pin(async { false })
    }
}

type Provider = Box<dyn Fn() -> BoxFuture<'static, Result<ExpiringAuthToken, Error>> + Send + Sync>;

/// Caches the provider's token until it expires or the server refuses it
/// with one of `handles`.
struct RefreshingManager {
    provider: Provider,
    handles: &'static [&'static str],
    /// The token and when it expires. Held across the provider call, so
    /// concurrent callers wait for one refresh instead of each calling the
    /// provider.
    current: tokio::sync::Mutex<Option<(AuthToken, Option<Instant>)>>,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for RefreshingManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RefreshingManager")
            .field("handles", &self.handles)
            .finish_non_exhaustive()
    }
}

impl AuthTokenManager for RefreshingManager {
    fn get_token(&self) -> BoxFuture<'_, Result<AuthToken, Error>> {
        Box::pin(async move {
            let mut current = self.current.lock().await;
            let now = self.clock.now();
            if let Some((t, _)) = current
                .as_ref()
                .filter(|(_, deadline)| deadline.is_none_or(|d| now < d))
            {
                return Ok(t.clone());
            }
            let fresh = (self.provider)().await?;
            let deadline = fresh.deadline(self.clock.now());
            *current = Some((fresh.token.clone(), deadline));
            Ok(fresh.token)
        })
    }

    fn handle_security_error<'a>(
        &'a self,
        token: &'a AuthToken,
        error: &'a Error,
    ) -> BoxFuture<'a, bool> {
        Box::pin(async move {
            let Some(code) = error.code() else {
                return false;
            };
            if !self.handles.contains(&code) {
                return false;
            }
            let mut current = self.current.lock().await;
            // Forget the token only if it is the one that failed (another
            // caller may have refreshed it already).
            if current.as_ref().is_some_and(|(t, _)| t == token) {
                *current = None;
            }
            true
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn sec(code: &str) -> Error {
        Error::from_server_failure(code, "m", None)
    }

    #[tokio::test]
    async fn basic_refreshes_only_after_unauthorized() {
        let calls = Arc::new(AtomicUsize::new(0));
        let c = calls.clone();
        let m = AuthTokenManagers::basic(move || {
            let n = c.fetch_add(1, Ordering::SeqCst);
            async move { Ok(AuthToken::basic_auth("u", format!("p{n}"))) }
        });
        let t0 = m.get_token().await.unwrap();
        assert_eq!(m.get_token().await.unwrap(), t0);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert!(!m.handle_security_error(&t0, &sec(TOKEN_EXPIRED)).await);
        assert_eq!(m.get_token().await.unwrap(), t0);
        assert!(m.handle_security_error(&t0, &sec(UNAUTHORIZED)).await);
        let t1 = m.get_token().await.unwrap();
        assert_ne!(t1, t0);
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        // A stale report about the old token keeps the new one.
        assert!(m.handle_security_error(&t0, &sec(UNAUTHORIZED)).await);
        assert_eq!(m.get_token().await.unwrap(), t1);
    }

    #[tokio::test]
    async fn bearer_refreshes_on_expiry_and_expired_errors() {
        let calls = Arc::new(AtomicUsize::new(0));
        let c = calls.clone();
        let m = AuthTokenManagers::bearer(move || {
            let n = c.fetch_add(1, Ordering::SeqCst);
            async move {
                let t = ExpiringAuthToken::new(AuthToken::bearer_auth(format!("t{n}")));
                // The first one is already expired.
                Ok(if n == 0 {
                    t.expiring_in(Duration::ZERO)
                } else {
                    t
                })
            }
        });
        let t0 = m.get_token().await.unwrap();
        let t1 = m.get_token().await.unwrap();
        assert_ne!(t0, t1);
        assert_eq!(m.get_token().await.unwrap(), t1);
        assert!(m.handle_security_error(&t1, &sec(TOKEN_EXPIRED)).await);
        assert!(
            !m.handle_security_error(&t1, &sec("Neo.ClientError.Security.MadeUp"))
                .await
        );
        assert_ne!(m.get_token().await.unwrap(), t1);
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn provider_errors_surface() {
        let m = AuthTokenManagers::basic(|| async { Err(Error::Usage("no vault".into())) });
        assert!(m.get_token().await.is_err());
        let s = AuthTokenManagers::static_token(AuthToken::none());
        assert_eq!(s.get_token().await.unwrap(), AuthToken::none());
        assert!(
            !s.handle_security_error(&AuthToken::none(), &sec(UNAUTHORIZED))
                .await
        );
    }
}
