//! Which credentials a pooled connection must be logged on with before a
//! unit of work uses it, and what security failures do to the pool.
//!
//! Owns [`DriverAuth`] (the driver's static token or its
//! [`AuthTokenManager`]) and [`DriverAuth::acquire`]: the token is decided
//! per acquisition (the session's, else the manager's current one); a
//! pooled connection logged on with another token, or marked stale by an
//! `AuthorizationExpired`, logs on again (Bolt 5.1+: LOGOFF / LOGON,
//! pipelined with the unit of work's first request) or is
//! replaced (older servers; session auth there is an error). Also the
//! security-failure hook ([`on_security_error`]) that marks a pool stale
//! and asks the manager whether an error is handled. Must not pick
//! servers (routing does) nor open sockets (bolt-pool does).

use std::borrow::Cow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bolt_pool::{Pool, PoolError, PooledConnection};
use packstream::Map;

use crate::auth::AuthToken;
use crate::auth_manager::AuthTokenManager;
use crate::error::Error;

/// The manager's token an acquisition used, with the manager.
type Managed<'a> = Option<(AuthToken, &'a Arc<dyn AuthTokenManager>)>;

const AUTHORIZATION_EXPIRED: &str = "Neo.ClientError.Security.AuthorizationExpired";

/// How many pooled connections with an outdated token an acquisition may
/// replace (older servers) before giving up.
const MAX_REPLACED: usize = 256;

/// The driver-level credentials.
#[derive(Clone)]
pub(crate) enum DriverAuth {
    /// A fixed token (`Config::with_auth`), its auth map built once, and
    /// whether any acquisition set another token (a session's) on a pool
    /// of the driver: until one does, every pool's token is this one (the
    /// pools open with it) and checkouts need not set it.
    Static(AuthToken, Map, Arc<AtomicBool>),
    /// Asked for each acquisition (`Config::with_auth_manager`), and
    /// about security failures, within the duration (the connection
    /// acquisition timeout).
    Managed(Arc<dyn AuthTokenManager>, Duration),
}

impl std::fmt::Debug for DriverAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DriverAuth::Static(t, ..) => f.debug_tuple("Static").field(t).finish(),
            DriverAuth::Managed(m, _) => f.debug_tuple("Managed").field(m).finish(),
        }
    }
}

/// The credentials one acquisition asks for: the session's token if it
/// has one, else the driver's.
#[derive(Clone, Copy, Debug)]
pub(crate) struct AuthFor<'a> {
    pub(crate) driver: &'a DriverAuth,
    pub(crate) session: Option<&'a AuthToken>,
    /// Log a pooled connection on again even when its token is the one
    /// wanted (verifying credentials); new connections log on anyway.
    pub(crate) force: bool,
}

impl AuthFor<'_> {
    /// See [`DriverAuth::acquire`].
    pub(crate) async fn acquire(&self, pool: &Pool) -> Result<PooledConnection, AcquireError> {
        self.driver.acquire(pool, self.session, self.force).await
    }

    /// What security failures of connections acquired for this are
    /// reported to.
    pub(crate) fn hook(&self) -> AuthHook {
        self.driver.hook(self.session)
    }
}

/// Why an authenticated acquisition failed: the pool's error as is (the
/// routing driver tells unreachable servers by it), or the driver's error
/// (the auth manager failed or handled a security failure; session auth
/// on an old server).
#[derive(Debug)]
pub(crate) enum AcquireError {
    Pool(PoolError),
    Driver(Error),
}

impl From<AcquireError> for Error {
    fn from(e: AcquireError) -> Error {
        match e {
            AcquireError::Pool(e) => Error::from(e),
            AcquireError::Driver(e) => e,
        }
    }
}

/// Where a held connection's token came from: what security failures on
/// it are reported to.
#[derive(Clone, Default)]
pub(crate) struct AuthHook {
    /// The driver's manager, when the connection uses its token (not a
    /// session's).
    manager: Option<Arc<dyn AuthTokenManager>>,
    /// How long the manager may take to answer about a failure.
    deadline: Duration,
}

impl DriverAuth {
    /// The hook for connections acquired for `session` auth (or the
    /// driver's, when `None`).
    pub(crate) fn hook(&self, session: Option<&AuthToken>) -> AuthHook {
        match (self, session) {
            (DriverAuth::Managed(m, deadline), None) => AuthHook {
                manager: Some(Arc::clone(m)),
                deadline: *deadline,
            },
            _ => AuthHook::default(),
        }
    }

    /// A fixed driver token.
    pub(crate) fn fixed(token: AuthToken) -> DriverAuth {
        let map = token.to_bolt_map();
        DriverAuth::Static(token, map, Arc::new(AtomicBool::new(false)))
    }

    /// The auth map to log on with now, and the manager's token it came
    /// from (if it did).
    ///
    /// A manager's `get_token` is user code: it gets `deadline` (the
    /// connection acquisition timeout) and running over it is
    /// [`Error::ConnectionAcquisitionTimeout`].
    async fn token(
        &self,
        session: Option<&AuthToken>,
        deadline: std::time::Duration,
    ) -> Result<(Cow<'_, Map>, Managed<'_>), Error> {
        Ok(match (session, self) {
            (Some(t), _) => (Cow::Owned(t.to_bolt_map()), None),
            (None, DriverAuth::Static(_, map, _)) => (Cow::Borrowed(map), None),
            (None, DriverAuth::Managed(m, _)) => {
                let t = manager_token(m.as_ref(), deadline).await?;
                (Cow::Owned(t.to_bolt_map()), Some((t, m)))
            }
        })
    }

    /// A connection from `pool` logged on with the session's token (or the
    /// driver's current one), re-authenticating or replacing a pooled one
    /// logged on with another token or marked stale.
    pub(crate) async fn acquire(
        &self,
        pool: &Pool,
        session: Option<&AuthToken>,
        force: bool,
    ) -> Result<PooledConnection, AcquireError> {
        // The common case, the driver's fixed token on a connection logged
        // on with it, stays small (this future is embedded in every
        // query's); everything else runs boxed.
        let (DriverAuth::Static(_, wanted, others), None, false) = (self, session, force) else {
            return Box::pin(self.acquire_slow(pool, session, force)).await;
        };
        if others.load(Ordering::Acquire) {
            pool.set_auth(wanted);
        }
        let conn = match pool.acquire().await {
            Ok(c) => c,
            Err(e) => return Err(unmanaged_error(e)),
        };
        if conn.auth() == wanted && !conn.is_auth_stale() {
            return Ok(conn);
        }
        Box::pin(async move {
            if conn.supports_reauth() {
                let mut conn = conn;
                // LOGOFF / LOGON go out with the unit of work's first
                // request; a refused LOGON fails that request.
                return match conn.queue_reauthentication(wanted.clone()) {
                    Ok(()) => Ok(conn),
                    Err(e) => Err(unmanaged_error(e)),
                };
            }
            tracing::debug!(id = ?conn.connection_id(), "replacing a connection logged on with an outdated token");
            conn.close().await;
            self.acquire_slow(pool, session, force).await
        })
        .await
    }

    /// [`acquire`](Self::acquire) in general: any token, verifying
    /// credentials, replacing connections of older servers.
    async fn acquire_slow(
        &self,
        pool: &Pool,
        session: Option<&AuthToken>,
        force: bool,
    ) -> Result<PooledConnection, AcquireError> {
        for _ in 0..MAX_REPLACED {
            let started = std::time::Instant::now();
            let deadline = pool.config().connection_acquisition_timeout;
            let (wanted, managed) = self
                .token(session, deadline)
                .await
                .map_err(AcquireError::Driver)?;
            if let (DriverAuth::Static(.., others), Some(_)) = (self, session) {
                others.store(true, Ordering::Release);
            }
            pool.set_auth(&wanted);
            let mut conn = match pool.acquire().await {
                Ok(c) => c,
                Err(e) => return Err(open_error(e, managed, deadline).await),
            };
            if session.is_some() && !conn.supports_reauth() {
                let version = conn.version();
                conn.release().await;
                return Err(AcquireError::Driver(Error::Unsupported(format!(
                    "session auth (user switching) needs Bolt 5.1 or later; \
                     the server speaks Bolt {version}"
                ))));
            }
            let fresh = conn.authenticated_at() >= started;
            if conn.auth() == &*wanted && !conn.is_auth_stale() && (fresh || !force) {
                return Ok(conn);
            }
            if conn.supports_reauth() {
                if !force {
                    // LOGOFF / LOGON go out with the unit of work's first
                    // request; a refused LOGON fails that request.
                    return match conn.queue_reauthentication(wanted.into_owned()) {
                        Ok(()) => Ok(conn),
                        Err(e) => Err(open_error(e, managed, deadline).await),
                    };
                }
                // Verifying credentials: the answer is the point.
                return match conn.reauthenticate(wanted.into_owned()).await {
                    Ok(()) => Ok(conn),
                    Err(e) => Err(open_error(e, managed, deadline).await),
                };
            }
            // Older servers cannot switch: a new connection logs on with
            // the current token.
            tracing::debug!(id = ?conn.connection_id(), "replacing a connection logged on with an outdated token");
            conn.close().await;
        }
        Err(AcquireError::Driver(Error::ServiceUnavailable(
            "no connection logged on with the current auth token could be obtained".into(),
        )))
    }
}

/// The manager's current token, or [`Error::ConnectionAcquisitionTimeout`]
/// when it takes longer than `deadline`.
pub(crate) async fn manager_token(
    m: &dyn AuthTokenManager,
    deadline: std::time::Duration,
) -> Result<AuthToken, Error> {
    match tokio::time::timeout(deadline, m.get_token()).await {
        Ok(t) => t,
        Err(_) => {
            tracing::warn!(
                ?deadline,
                "the auth token manager did not answer get_token in time"
            );
            Err(Error::ConnectionAcquisitionTimeout(deadline))
        }
    }
}

/// A failure opening or re-authenticating a connection logged on with a
/// token no manager gave ([`open_error`] without a manager to ask).
fn unmanaged_error(e: PoolError) -> AcquireError {
    if e.is_auth() {
        AcquireError::Driver(Error::from(e))
    } else {
        AcquireError::Pool(e)
    }
}

/// A failure opening or re-authenticating a connection, after the
/// manager (if the token was its) had its say about a security failure.
async fn open_error(e: PoolError, managed: Managed<'_>, deadline: Duration) -> AcquireError {
    if !e.is_auth() {
        return AcquireError::Pool(e);
    }
    let e = Error::from(e);
    AcquireError::Driver(match managed {
        Some((token, m)) if is_security(&e) => handled(m.as_ref(), &token, e, deadline).await,
        _ => e,
    })
}

fn is_security(e: &Error) -> bool {
    e.code()
        .is_some_and(|c| c.starts_with("Neo.ClientError.Security."))
}

/// `e`, made retryable if the manager handles it. The manager's
/// `handle_security_error` is user code: it gets `deadline`; one that runs
/// over is taken as not handling the error (reported as is), so a unit of
/// work, and whatever waits for its connection (the other results of its
/// transaction), never waits on a manager that does not answer.
async fn handled(
    m: &dyn AuthTokenManager,
    token: &AuthToken,
    e: Error,
    deadline: Duration,
) -> Error {
    match tokio::time::timeout(deadline, m.handle_security_error(token, &e)).await {
        Ok(true) => Error::SecurityRetryable(Box::new(e)),
        Ok(false) => e,
        Err(_) => {
            tracing::warn!(
                ?deadline,
                error = %e,
                "the auth token manager did not answer handle_security_error in time; the error is reported as is"
            );
            e
        }
    }
}

/// What a security failure on `conn` means: `AuthorizationExpired` marks
/// every connection of its pool to log on again; the driver's manager (if
/// the connection logged on with its token) is asked whether it handles
/// the error, which then becomes retryable. Other errors pass unchanged.
pub(crate) async fn on_security_error(
    hook: &AuthHook,
    conn: Option<&PooledConnection>,
    e: Error,
) -> Error {
    if !is_security(&e) {
        return e;
    }
    if e.code() == Some(AUTHORIZATION_EXPIRED) {
        if let Some(c) = conn {
            c.mark_pool_auth_stale();
        }
    }
    match (&hook.manager, conn) {
        (Some(m), Some(c)) => match AuthToken::from_bolt_map(c.auth()) {
            Some(token) => handled(m.as_ref(), &token, e, hook.deadline).await,
            None => e,
        },
        _ => e,
    }
}
