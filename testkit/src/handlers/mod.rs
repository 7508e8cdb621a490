//! What each request does: the per-connection state (drivers, session
//! tasks, kept errors) and the dispatch from requests to the facade.
//!
//! Driver-level requests run here; everything addressed to a session, its
//! transactions or results is forwarded to that session's task
//! ([`session`]), which owns the borrowing objects.

mod auth_manager;
mod bookmark_manager;
mod driver;
mod session;
mod summary;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use neo4j::{
    AccessMode, AuthTokenManager, BookmarkManager, Bookmarks, Driver, Error, RoutingControl,
    SessionConfig,
};
use tokio::sync::{mpsc, oneshot};

use crate::cypher::{from_value, to_value_map};
use crate::errors::{backend, driver_error, Failure};
use crate::fake_time::FakeClock;
use crate::features::{checks_subtests, skip_reason, subtest_skip_reason, FEATURES};
use crate::link::Link;
use crate::protocol::requests::{NewSession, Request};
use crate::protocol::responses::Response;
use crate::protocol::Id;

use self::session::Envelope;

/// How long a forwarded request may take before the backend gives up on
/// it (the driver's own timeouts are shorter; TestKit waits 10 s).
const FORWARD_DEADLINE: Duration = Duration::from_secs(120);

struct SessionHandle {
    tx: mpsc::UnboundedSender<Envelope>,
    task: tokio::task::JoinHandle<()>,
}

/// Everything created on one TestKit connection.
pub(crate) struct Backend {
    link: Arc<Link>,
    drivers: HashMap<Id, Driver>,
    bookmark_managers: HashMap<Id, Arc<dyn BookmarkManager>>,
    /// Client certificate providers TestKit created (each answers through
    /// `ClientCertificateProviderRequest` callbacks).
    certificate_providers: HashSet<Id>,
    auth_managers: HashMap<Id, Arc<dyn AuthTokenManager>>,
    sessions: HashMap<Id, SessionHandle>,
    /// Transaction and result ids → the session that owns them.
    owners: HashMap<Id, Id>,
    /// Every driver error sent, for `RetryableNegative`.
    errors: HashMap<Id, Error>,
    /// Summaries of consumed results, still readable after their session
    /// closed.
    summaries: HashMap<Id, serde_json::Value>,
    /// The clock every driver gets (`Backend:MockTime`).
    clock: Arc<FakeClock>,
}

impl Backend {
    /// Empty state for a new connection.
    pub(crate) fn new(link: Arc<Link>) -> Backend {
        Backend {
            link,
            drivers: HashMap::new(),
            bookmark_managers: HashMap::new(),
            certificate_providers: HashSet::new(),
            auth_managers: HashMap::new(),
            sessions: HashMap::new(),
            owners: HashMap::new(),
            errors: HashMap::new(),
            summaries: HashMap::new(),
            clock: Arc::default(),
        }
    }

    /// Handles one request and returns its response.
    pub(crate) async fn handle(&mut self, req: Request) -> Response {
        match self.dispatch(req).await {
            Ok(r) => r,
            Err(Failure::Driver(e)) => {
                let id = self.link.next_id();
                let r = driver_error(id, &e);
                self.errors.insert(id, e);
                r
            }
            Err(Failure::Frontend(msg)) => Response::FrontendError { msg },
            Err(Failure::Backend(msg)) => Response::BackendError { msg },
        }
    }

    fn bookmark_manager(&self, id: Id) -> Result<Arc<dyn BookmarkManager>, Failure> {
        self.bookmark_managers
            .get(&id)
            .cloned()
            .ok_or_else(|| backend(format!("no bookmark manager with id {id}")))
    }

    fn driver(&self, id: Id) -> Result<&Driver, Failure> {
        self.drivers
            .get(&id)
            .ok_or_else(|| backend(format!("no driver with id {id}")))
    }

    async fn dispatch(&mut self, req: Request) -> Result<Response, Failure> {
        Ok(match req {
            Request::GetFeatures {} => Response::FeatureList {
                features: FEATURES.to_vec(),
            },
            Request::StartTest { test_name } => match skip_reason(&test_name) {
                Some(reason) => Response::SkipTest {
                    reason: reason.to_owned(),
                },
                None if checks_subtests(&test_name) => Response::RunSubTests {},
                None => Response::RunTest {},
            },
            Request::StartSubTest {
                test_name,
                subtest_arguments,
            } => match subtest_skip_reason(&test_name, &subtest_arguments) {
                Some(reason) => Response::SkipTest { reason },
                None => Response::RunTest {},
            },
            Request::FakeTimeInstall {} => {
                self.clock.install();
                Response::FakeTimeAck {}
            }
            Request::FakeTimeTick { increment_ms } => {
                let ms = u64::try_from(increment_ms)
                    .map_err(|_| backend(format!("FakeTimeTick: negative {increment_ms} ms")))?;
                self.clock.tick(Duration::from_millis(ms));
                Response::FakeTimeAck {}
            }
            Request::FakeTimeUninstall {} => {
                self.clock.uninstall();
                Response::FakeTimeAck {}
            }
            Request::NewDriver(nd) => {
                if let Some(p) = nd.client_certificate_provider_id {
                    if !self.certificate_providers.contains(&p) {
                        return Err(backend(format!(
                            "no client certificate provider with id {p}"
                        )));
                    }
                }
                let manager = match nd.auth_token_manager_id {
                    Some(id) => {
                        Some(self.auth_managers.get(&id).cloned().ok_or_else(|| {
                            backend(format!("no auth token manager with id {id}"))
                        })?)
                    }
                    None => None,
                };
                let d = driver::new_driver(&nd, &self.link, self.clock.clone(), manager)?;
                let id = self.link.next_id();
                self.drivers.insert(id, d);
                Response::Driver { id }
            }
            Request::NewBookmarkManager {
                initial_bookmarks,
                bookmarks_supplier_registered,
                bookmarks_consumer_registered,
            } => {
                let id = self.link.next_id();
                let m = bookmark_manager::new_manager(
                    &self.link,
                    id,
                    initial_bookmarks.as_deref(),
                    bookmarks_supplier_registered,
                    bookmarks_consumer_registered,
                );
                self.bookmark_managers.insert(id, m);
                Response::BookmarkManager { id }
            }
            Request::NewAuthTokenManager {} => {
                let id = self.link.next_id();
                self.auth_managers
                    .insert(id, auth_manager::new_manager(&self.link, id));
                Response::AuthTokenManager { id }
            }
            Request::NewBasicAuthTokenManager {} => {
                let id = self.link.next_id();
                self.auth_managers
                    .insert(id, auth_manager::new_basic(&self.link, id));
                Response::BasicAuthTokenManager { id }
            }
            Request::NewBearerAuthTokenManager {} => {
                let id = self.link.next_id();
                self.auth_managers.insert(
                    id,
                    auth_manager::new_bearer(&self.link, id, self.clock.clone()),
                );
                Response::BearerAuthTokenManager { id }
            }
            Request::AuthTokenManagerClose { id } => {
                self.auth_managers.remove(&id);
                Response::AuthTokenManager { id }
            }
            Request::VerifyAuthentication {
                driver_id,
                authorization_token,
            } => {
                let auth = if authorization_token.is_null() {
                    None
                } else {
                    Some(driver::auth_token(&authorization_token)?)
                };
                let d = self.driver(driver_id)?.clone();
                let authenticated = d.verify_authentication(auth).await?;
                Response::DriverIsAuthenticated {
                    id: self.link.next_id(),
                    authenticated,
                }
            }
            Request::BookmarkManagerClose { id } => {
                self.bookmark_managers.remove(&id);
                Response::BookmarkManager { id }
            }
            Request::NewClientCertificateProvider {} => {
                let id = self.link.next_id();
                self.certificate_providers.insert(id);
                Response::ClientCertificateProvider { id }
            }
            Request::ClientCertificateProviderClose { id } => {
                self.certificate_providers.remove(&id);
                Response::ClientCertificateProvider { id }
            }
            Request::DriverClose { driver_id } => {
                if let Some(d) = self.drivers.get(&driver_id) {
                    d.close().await;
                }
                Response::Driver { id: driver_id }
            }
            Request::VerifyConnectivity { driver_id } => {
                self.driver(driver_id)?.verify_connectivity().await?;
                Response::Driver { id: driver_id }
            }
            Request::GetServerInfo { driver_id } => {
                let info = self.driver(driver_id)?.server_info().await?;
                Response::ServerInfo {
                    address: format!("{}:{}", info.address.host(), info.address.port()),
                    agent: info.agent,
                    protocol_version: format!(
                        "{}.{}",
                        info.protocol_version.0, info.protocol_version.1
                    ),
                }
            }
            Request::CheckMultiDBSupport { driver_id } => {
                let available = self.driver(driver_id)?.supports_multi_db().await?;
                Response::MultiDBSupport {
                    id: self.link.next_id(),
                    available,
                }
            }
            Request::CheckDriverIsEncrypted { driver_id } => Response::DriverIsEncrypted {
                encrypted: self.driver(driver_id)?.is_encrypted(),
            },
            Request::CheckSessionAuthSupport { driver_id } => {
                let d = self.driver(driver_id)?.clone();
                let available = d.supports_session_auth().await?;
                Response::SessionAuthSupport {
                    id: self.link.next_id(),
                    available,
                }
            }
            Request::ExecuteQuery {
                driver_id,
                cypher,
                params,
                config,
            } => {
                // Absent: the driver's default manager; -1: none.
                let manager = match config.bookmark_manager_id {
                    None => None,
                    Some(-1) => Some(None),
                    Some(n) => {
                        let id = u64::try_from(n).map(Id).map_err(|_| {
                            backend(format!("ExecuteQuery: bad bookmarkManagerId {n}"))
                        })?;
                        Some(Some(self.bookmark_manager(id)?))
                    }
                };
                let d = self.driver(driver_id)?;
                let mut q = d
                    .execute_query(cypher)
                    .transaction_config(session::tx_config(&config.tx_meta, &config.timeout)?);
                if let Some(p) = params {
                    q = q.params(to_value_map(&p).map_err(backend)?);
                }
                if let Some(db) = config.database {
                    q = q.database(db);
                }
                if let Some(u) = config.impersonated_user {
                    q = q.impersonated_user(u);
                }
                if let Some(m) = manager {
                    q = q.bookmark_manager(m);
                }
                if !config.authorization_token.is_null() {
                    q = q.auth(driver::auth_token(&config.authorization_token)?);
                }
                if config.routing.as_deref() == Some("r") {
                    q = q.routing(RoutingControl::Read);
                }
                let eager = q.run().await?;
                Response::EagerResult {
                    keys: eager.keys.clone(),
                    records: eager
                        .records
                        .iter()
                        .map(|r| {
                            serde_json::json!({"values": r.values().iter().map(from_value).collect::<Vec<_>>()})
                        })
                        .collect(),
                    summary: summary::summary(&eager.summary),
                }
            }
            Request::NewSession(ns) => self.new_session(&ns)?,
            Request::GetConnectionPoolMetrics { driver_id, address } => {
                let want = driver::parse_address(&address)
                    .ok_or_else(|| backend(format!("bad address `{address}`")))?;
                let m = self
                    .driver(driver_id)?
                    .pool_metrics()
                    .into_iter()
                    .find(|(a, _)| *a == want)
                    .map(|(_, m)| m)
                    .unwrap_or_default();
                Response::ConnectionPoolMetrics {
                    in_use: u64::from(m.in_use),
                    idle: u64::from(m.idle),
                }
            }
            Request::GetRoutingTable {
                driver_id,
                database,
            } => {
                let d = self.driver(driver_id)?;
                // No table yet (or discovery failed): an empty one.
                let t = d.routing_table(database.as_deref()).unwrap_or_default();
                let list = |v: &[neo4j::ServerAddress]| {
                    v.iter()
                        .map(|a| format!("{}:{}", a.host(), a.port()))
                        .collect::<Vec<_>>()
                };
                Response::RoutingTable {
                    database: t.database.clone(),
                    ttl: t.ttl.as_secs(),
                    routers: list(&t.routers),
                    readers: list(&t.readers),
                    writers: list(&t.writers),
                }
            }
            Request::ForcedRoutingTableUpdate {
                driver_id,
                database,
                bookmarks,
            } => {
                let d = self.driver(driver_id)?.clone();
                d.force_routing_table_update(
                    database.as_deref(),
                    bookmarks.as_deref().unwrap_or_default(),
                )
                .await?;
                Response::Driver { id: driver_id }
            }
            Request::SessionClose { session_id } => {
                if !self.sessions.contains_key(&session_id) {
                    // Closing twice is fine.
                    return Ok(Response::Session { id: session_id });
                }
                let r = self
                    .forward(session_id, Request::SessionClose { session_id }, None)
                    .await;
                if let Some(h) = self.sessions.remove(&session_id) {
                    drop(h.tx);
                }
                r?
            }
            req @ (Request::SessionRun { .. }
            | Request::SessionBeginTransaction { .. }
            | Request::SessionReadTransaction { .. }
            | Request::SessionWriteTransaction { .. }
            | Request::SessionLastBookmarks { .. }
            | Request::RetryablePositive { .. }) => {
                let sid = session_of(&req).unwrap_or(Id(0));
                self.forward(sid, req, None).await?
            }
            Request::RetryableNegative {
                session_id,
                error_id,
            } => {
                let error = parse_error_id(&error_id).and_then(|id| self.errors.remove(&id));
                let req = Request::RetryableNegative {
                    session_id,
                    error_id,
                };
                self.forward(session_id, req, error).await?
            }
            req @ (Request::TransactionRun { .. }
            | Request::TransactionCommit { .. }
            | Request::TransactionRollback { .. }
            | Request::TransactionClose { .. }
            | Request::ResultNext { .. }
            | Request::ResultPeek { .. }
            | Request::ResultSingle { .. }
            | Request::ResultSingleOptional { .. }
            | Request::ResultList { .. }
            | Request::ResultConsume { .. }) => {
                let owned = owned_id(&req).unwrap_or(Id(0));
                let sid = *self
                    .owners
                    .get(&owned)
                    .ok_or_else(|| backend(format!("no transaction or result with id {owned}")))?;
                if !self.sessions.contains_key(&sid) {
                    // The session is closed: what a closed session's
                    // objects answer.
                    return match (&req, self.summaries.get(&owned)) {
                        (Request::ResultConsume { .. }, Some(s)) => {
                            Ok(Response::Summary(s.clone()))
                        }
                        (Request::TransactionClose { tx_id }, _) => {
                            Ok(Response::Transaction { id: *tx_id })
                        }
                        (
                            Request::TransactionRun { .. }
                            | Request::TransactionCommit { .. }
                            | Request::TransactionRollback { .. },
                            _,
                        ) => Err(Failure::Driver(Error::Usage(
                            "the transaction's session is closed".into(),
                        ))),
                        _ => Err(Failure::Driver(Error::ResultConsumed)),
                    };
                }
                let is_consume = matches!(req, Request::ResultConsume { .. });
                let r = self.forward(sid, req, None).await?;
                if let (true, Response::Summary(s)) = (is_consume, &r) {
                    self.summaries.insert(owned, s.clone());
                }
                r
            }
            req => {
                return Err(backend(format!(
                    "Feature not supported: {}",
                    request_name(&req)
                )))
            }
        })
    }

    fn new_session(&mut self, ns: &NewSession) -> Result<Response, Failure> {
        let d = self.driver(ns.driver_id)?.clone();
        let mut cfg =
            SessionConfig::new().with_default_access_mode(match ns.access_mode.as_str() {
                "r" => AccessMode::Read,
                _ => AccessMode::Write,
            });
        if let Some(db) = &ns.database {
            cfg = cfg.with_database(db.clone());
        }
        if !ns.authorization_token.is_null() {
            cfg = cfg.with_auth(driver::auth_token(&ns.authorization_token)?);
        }
        if let Some(b) = &ns.bookmarks {
            cfg = cfg.with_bookmarks(Bookmarks::from_raw_values(b.iter().cloned()));
        }
        if let Some(id) = ns.bookmark_manager_id {
            cfg = cfg.with_bookmark_manager(self.bookmark_manager(id)?);
        }
        if let Some(n) = ns.fetch_size {
            cfg = cfg.with_fetch_size(n);
        }
        if let Some(u) = &ns.impersonated_user {
            cfg = cfg.with_impersonated_user(u.clone());
        }
        if let Some(f) = driver::notification_filter(
            ns.notifications_min_severity.as_deref(),
            ns.notifications_disabled_categories.as_deref(),
        )? {
            cfg = cfg.with_notification_filter(f);
        }
        let s = d.session(cfg);
        let id = self.link.next_id();
        let (tx, rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(session::run(s, id, rx, Arc::clone(&self.link)));
        self.sessions.insert(id, SessionHandle { tx, task });
        Ok(Response::Session { id })
    }

    /// Sends `req` to the session task `sid` and waits for its answer;
    /// learns the ids of transactions and results it creates.
    async fn forward(
        &mut self,
        sid: Id,
        req: Request,
        error: Option<Error>,
    ) -> Result<Response, Failure> {
        let h = self
            .sessions
            .get(&sid)
            .ok_or_else(|| backend(format!("no open session with id {sid}")))?;
        let (reply, rx) = oneshot::channel();
        h.tx.send(Envelope { req, error, reply })
            .map_err(|_| backend(format!("session {sid} has ended")))?;
        let r = match tokio::time::timeout(FORWARD_DEADLINE, rx).await {
            Ok(Ok(r)) => r,
            Ok(Err(_)) => Err(backend(format!(
                "session {sid} ended while handling the request"
            ))),
            Err(_) => Err(backend(format!(
                "session {sid} did not answer within {FORWARD_DEADLINE:?}"
            ))),
        };
        if let Ok(
            Response::Result { id, .. }
            | Response::Transaction { id }
            | Response::RetryableTry { id },
        ) = &r
        {
            self.owners.insert(*id, sid);
        }
        r
    }

    /// Drops everything: session tasks end, drivers close (bounded wait).
    pub(crate) async fn shutdown(mut self) {
        let sessions: Vec<_> = self.sessions.drain().map(|(_, h)| h).collect();
        for h in &sessions {
            let _ = &h.tx;
        }
        let tasks: Vec<_> = sessions
            .into_iter()
            .map(|h| {
                drop(h.tx);
                h.task
            })
            .collect();
        for t in tasks {
            if tokio::time::timeout(Duration::from_secs(5), &mut Box::pin(t))
                .await
                .is_err()
            {
                eprintln!("a session task did not end in time");
            }
        }
        for (_, d) in self.drivers.drain() {
            let _ = tokio::time::timeout(Duration::from_secs(5), d.close()).await;
        }
    }
}

fn parse_error_id(j: &serde_json::Value) -> Option<Id> {
    match j {
        serde_json::Value::Number(n) => n.as_u64().map(Id),
        serde_json::Value::String(s) => s.trim().parse().ok().map(Id),
        _ => None,
    }
}

fn session_of(req: &Request) -> Option<Id> {
    match req {
        Request::SessionRun { session_id, .. }
        | Request::SessionBeginTransaction { session_id, .. }
        | Request::SessionReadTransaction { session_id, .. }
        | Request::SessionWriteTransaction { session_id, .. }
        | Request::SessionLastBookmarks { session_id }
        | Request::RetryablePositive { session_id }
        | Request::RetryableNegative { session_id, .. }
        | Request::SessionClose { session_id } => Some(*session_id),
        _ => None,
    }
}

fn owned_id(req: &Request) -> Option<Id> {
    match req {
        Request::TransactionRun { tx_id, .. }
        | Request::TransactionCommit { tx_id }
        | Request::TransactionRollback { tx_id }
        | Request::TransactionClose { tx_id } => Some(*tx_id),
        Request::ResultNext { result_id }
        | Request::ResultPeek { result_id }
        | Request::ResultSingle { result_id }
        | Request::ResultSingleOptional { result_id }
        | Request::ResultList { result_id }
        | Request::ResultConsume { result_id } => Some(*result_id),
        _ => None,
    }
}

/// The request's name, for messages.
fn request_name(req: &Request) -> String {
    let dbg = format!("{req:?}");
    dbg.split(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or_default()
        .to_owned()
}
