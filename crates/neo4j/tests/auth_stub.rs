//! Authentication as it reaches a scripted server half (tests/support):
//! session auth (LOGOFF/LOGON on a pooled connection, refused before Bolt
//! 5.1), auth token managers (re-auth or reconnect when the token changes,
//! refresh after a refused password), AuthorizationExpired (every pooled
//! connection logs on again), `verify_authentication`, and failures
//! answering a pipelined BEGIN.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bolt_proto::message::{Request, RequestKind};
use bolt_proto::Version;
use neo4j::{
    params, AuthToken, AuthTokenManager, AuthTokenManagers, BoxFuture, Config, Driver, Error,
    GraphDatabase, SessionConfig,
};
use packstream::Value;
use support::{answering, default_answer, failure, start, Action, Member};

const UNAUTHORIZED: &str = "Neo.ClientError.Security.Unauthorized";
const TOKEN_EXPIRED: &str = "Neo.ClientError.Security.TokenExpired";
const AUTHORIZATION_EXPIRED: &str = "Neo.ClientError.Security.AuthorizationExpired";

fn driver(m: &Member, config: neo4j::ConfigBuilder) -> Driver {
    let config = config
        .with_max_retry_time(std::time::Duration::from_millis(300))
        .build()
        .unwrap();
    GraphDatabase::driver(format!("bolt://{}", m.address()), config).unwrap()
}

fn basic(user: &str) -> AuthToken {
    AuthToken::basic_auth(user, "pw")
}

/// The principal of every HELLO / LOGON carrying a token, in order.
fn logons(m: &Member) -> Vec<String> {
    m.requests()
        .into_iter()
        .filter_map(|(_, r)| {
            let auth = match r {
                Request::Logon(l) => l.auth,
                Request::Hello(h) => h.auth?,
                _ => return None,
            };
            auth.get("principal")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .collect()
}

async fn run_one(d: &Driver, config: SessionConfig) -> Result<(), Error> {
    let mut s = d.session(config);
    let r = async {
        s.run("RETURN 1 AS n", params! {}).await?.consume().await?;
        Ok(())
    }
    .await;
    s.close().await?;
    r
}

#[tokio::test]
async fn session_auth_switches_user_on_a_pooled_connection() {
    let m = start(Version::V5_1, default_answer).await;
    let d = driver(&m, Config::builder().with_auth(basic("driver")));
    run_one(&d, SessionConfig::new()).await.unwrap();
    run_one(&d, SessionConfig::new().with_auth(basic("alice")))
        .await
        .unwrap();
    // Same token again: no re-auth.
    run_one(&d, SessionConfig::new().with_auth(basic("alice")))
        .await
        .unwrap();
    run_one(&d, SessionConfig::new()).await.unwrap();
    assert_eq!(m.count(RequestKind::Hello), 1, "one connection");
    assert_eq!(m.count(RequestKind::Logoff), 2);
    assert_eq!(logons(&m), ["driver", "alice", "driver"]);
    assert_eq!(m.count(RequestKind::Reset), 0);
    d.close().await;
}

#[tokio::test]
async fn a_new_connection_logs_on_with_the_session_token() {
    let m = start(Version::V5_1, default_answer).await;
    let d = driver(&m, Config::builder().with_auth(basic("driver")));
    run_one(&d, SessionConfig::new().with_auth(basic("alice")))
        .await
        .unwrap();
    assert_eq!(logons(&m), ["alice"]);
    assert_eq!(m.count(RequestKind::Logoff), 0);
    d.close().await;
}

#[tokio::test]
async fn session_auth_before_bolt_5_1_is_unsupported() {
    let m = start(Version::V5_0, default_answer).await;
    let d = driver(&m, Config::builder().with_auth(basic("driver")));
    let e = run_one(&d, SessionConfig::new().with_auth(basic("alice")))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Unsupported(_)), "{e:?}");
    assert!(e.to_string().contains("5.1"), "{e}");
    assert_eq!(m.count(RequestKind::Run), 0);
    assert!(!d.supports_session_auth().await.unwrap());
    d.close().await;
}

/// A manager whose token the test changes; counts the calls.
#[derive(Debug, Default)]
struct Switchable {
    user: Mutex<String>,
    gets: AtomicUsize,
    handled: Mutex<Vec<(String, String)>>,
    handle: bool,
}

impl AuthTokenManager for Switchable {
    fn get_token(&self) -> BoxFuture<'_, Result<AuthToken, Error>> {
        self.gets.fetch_add(1, Ordering::SeqCst);
        let user = self.user.lock().unwrap().clone();
        Box::pin(async move { Ok(basic(&user)) })
    }

    fn handle_security_error<'a>(
        &'a self,
        token: &'a AuthToken,
        error: &'a Error,
    ) -> BoxFuture<'a, bool> {
        self.handled.lock().unwrap().push((
            token.principal().unwrap_or_default().to_owned(),
            error.code().unwrap_or_default().to_owned(),
        ));
        Box::pin(async move { self.handle })
    }
}

fn switchable(user: &str, handle: bool) -> Arc<Switchable> {
    Arc::new(Switchable {
        user: Mutex::new(user.to_owned()),
        handle,
        ..Default::default()
    })
}

#[tokio::test]
async fn a_changed_manager_token_reauthenticates_pooled_connections() {
    let m = start(Version::V5_1, default_answer).await;
    let mgr = switchable("v1", false);
    let d = driver(&m, Config::builder().with_auth_manager(mgr.clone()));
    run_one(&d, SessionConfig::new()).await.unwrap();
    run_one(&d, SessionConfig::new()).await.unwrap();
    *mgr.user.lock().unwrap() = "v2".into();
    run_one(&d, SessionConfig::new()).await.unwrap();
    assert_eq!(m.count(RequestKind::Hello), 1);
    assert_eq!(logons(&m), ["v1", "v2"]);
    assert_eq!(mgr.gets.load(Ordering::SeqCst), 3, "one per acquisition");
    // A session with its own token does not ask the manager.
    run_one(&d, SessionConfig::new().with_auth(basic("alice")))
        .await
        .unwrap();
    assert_eq!(mgr.gets.load(Ordering::SeqCst), 3);
    d.close().await;
}

#[tokio::test]
async fn a_changed_manager_token_replaces_connections_before_bolt_5_1() {
    let m = start(Version::V5_0, default_answer).await;
    let mgr = switchable("v1", false);
    let d = driver(&m, Config::builder().with_auth_manager(mgr.clone()));
    run_one(&d, SessionConfig::new()).await.unwrap();
    *mgr.user.lock().unwrap() = "v2".into();
    run_one(&d, SessionConfig::new()).await.unwrap();
    assert_eq!(m.count(RequestKind::Hello), 2);
    assert_eq!(logons(&m), ["v1", "v2"]);
    assert_eq!(m.count(RequestKind::Logoff), 0);
    d.close().await;
}

/// Answers the first RUN with `code` (then behaves).
async fn failing_first_run(version: Version, code: &'static str) -> Member {
    let runs = Arc::new(AtomicUsize::new(0));
    start(version, move |conn, req| {
        if req.kind() == RequestKind::Run && runs.fetch_add(1, Ordering::SeqCst) == 0 {
            return Action::Reply(vec![failure(code, "no")]);
        }
        default_answer(conn, req)
    })
    .await
}

#[tokio::test]
async fn the_manager_decides_whether_security_errors_are_retryable() {
    for handle in [false, true] {
        let m = failing_first_run(Version::V5_1, TOKEN_EXPIRED).await;
        let mgr = switchable("v1", handle);
        let d = driver(&m, Config::builder().with_auth_manager(mgr.clone()));
        let e = run_one(&d, SessionConfig::new()).await.unwrap_err();
        assert_eq!(e.code(), Some(TOKEN_EXPIRED));
        assert_eq!(e.is_retryable(), handle, "{e:?}");
        assert_eq!(
            *mgr.handled.lock().unwrap(),
            [("v1".to_owned(), TOKEN_EXPIRED.to_owned())]
        );
        // Session auth: the manager is not told.
        let m = failing_first_run(Version::V5_1, TOKEN_EXPIRED).await;
        let mgr = switchable("v1", handle);
        let d = driver(&m, Config::builder().with_auth_manager(mgr.clone()));
        let e = run_one(&d, SessionConfig::new().with_auth(basic("alice")))
            .await
            .unwrap_err();
        assert!(!e.is_retryable());
        assert!(mgr.handled.lock().unwrap().is_empty());
    }
}

#[tokio::test]
async fn authorization_expired_makes_pooled_connections_log_on_again() {
    let m = failing_first_run(Version::V5_1, AUTHORIZATION_EXPIRED).await;
    let d = driver(&m, Config::builder().with_auth(basic("driver")));
    let e = run_one(&d, SessionConfig::new()).await.unwrap_err();
    assert_eq!(e.code(), Some(AUTHORIZATION_EXPIRED));
    assert!(e.is_retryable());
    run_one(&d, SessionConfig::new()).await.unwrap();
    run_one(&d, SessionConfig::new()).await.unwrap();
    assert_eq!(m.count(RequestKind::Hello), 1);
    assert_eq!(m.count(RequestKind::Logoff), 1, "once, then fresh");
    assert_eq!(logons(&m), ["driver", "driver"]);
    d.close().await;

    // Before 5.1 the connection is replaced.
    let m = failing_first_run(Version::V5_0, AUTHORIZATION_EXPIRED).await;
    let d = driver(&m, Config::builder().with_auth(basic("driver")));
    run_one(&d, SessionConfig::new()).await.unwrap_err();
    run_one(&d, SessionConfig::new()).await.unwrap();
    assert_eq!(m.count(RequestKind::Hello), 2);
    d.close().await;
}

#[tokio::test]
async fn managed_transactions_retry_authorization_expired_only() {
    let m = failing_first_run(Version::V5_1, AUTHORIZATION_EXPIRED).await;
    let d = driver(&m, Config::builder().with_auth(basic("driver")));
    let mut s = d.session(SessionConfig::new());
    s.execute_read(|tx| async move { tx.run("RETURN 1", params! {}).await?.consume().await })
        .await
        .unwrap();
    s.close().await.unwrap();
    assert_eq!(m.count(RequestKind::Run), 2);

    let m = failing_first_run(Version::V5_1, TOKEN_EXPIRED).await;
    let d = driver(&m, Config::builder().with_auth(basic("driver")));
    let mut s = d.session(SessionConfig::new());
    let e = s
        .execute_read(|tx| async move { tx.run("RETURN 1", params! {}).await?.consume().await })
        .await
        .unwrap_err();
    assert!(matches!(e, Error::TokenExpired { .. }), "{e:?}");
    assert_eq!(m.count(RequestKind::Run), 1, "not retried");
}

#[tokio::test]
async fn a_failure_answering_begin_is_reported_even_if_the_server_hangs_up() {
    // BEGIN is answered with a FAILURE and the server hangs up at once: a
    // RUN pipelined after it finds the connection closed.
    let m = answering(RequestKind::Begin, || {
        Action::ReplyThenClose(vec![failure(TOKEN_EXPIRED, "Token expired")])
    })
    .await;
    let d = driver(&m, Config::builder().with_auth(basic("driver")));
    let mut s = d.session(SessionConfig::new());
    let e = s.begin_transaction(Default::default()).await.unwrap_err();
    assert!(matches!(e, Error::TokenExpired { .. }), "{e:?}");
    let e = s
        .execute_write(|tx| async move { tx.run("RETURN 1", params! {}).await?.consume().await })
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some(TOKEN_EXPIRED));
    s.close().await.unwrap();
    // execute_query sends BEGIN, RUN and PULL in one write.
    let e = d.execute_query("RETURN 1").await.unwrap_err();
    assert!(matches!(e, Error::TokenExpired { .. }), "{e:?}");
    assert_eq!(
        m.count(RequestKind::Begin),
        3,
        "TokenExpired is not retried"
    );
}

#[tokio::test]
async fn basic_manager_refreshes_the_password_after_unauthorized() {
    // The server refuses the first password at LOGON.
    let m = start(Version::V5_1, |conn, req| match req {
        Request::Logon(l) if l.auth.get("credentials") == Some(&Value::from("old")) => {
            Action::Reply(vec![failure(UNAUTHORIZED, "bad password")])
        }
        _ => default_answer(conn, req),
    })
    .await;
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let mgr = AuthTokenManagers::basic(move || {
        let n = c.fetch_add(1, Ordering::SeqCst);
        async move {
            Ok(AuthToken::basic_auth(
                "u",
                if n == 0 { "old" } else { "new" },
            ))
        }
    });
    let d = driver(&m, Config::builder().with_auth_manager(mgr));
    let e = run_one(&d, SessionConfig::new()).await.unwrap_err();
    assert!(matches!(e, Error::SecurityRetryable(_)), "{e:?}");
    assert_eq!(e.code(), Some(UNAUTHORIZED));
    run_one(&d, SessionConfig::new()).await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    d.close().await;
}

#[tokio::test]
async fn verify_authentication_logs_on_again_and_reports_refusals() {
    let m = start(Version::V5_1, |conn, req| match req {
        Request::Logon(l) if l.auth.get("principal") == Some(&Value::from("mallory")) => {
            Action::Reply(vec![failure(UNAUTHORIZED, "no")])
        }
        _ => default_answer(conn, req),
    })
    .await;
    let d = driver(&m, Config::builder().with_auth(basic("driver")));
    // Cold: the new connection logs on once.
    assert!(d.verify_authentication(None).await.unwrap());
    assert_eq!(logons(&m), ["driver"]);
    // Warm: the pooled connection logs off and on, even with its own token.
    assert!(d.verify_authentication(None).await.unwrap());
    assert!(d.verify_authentication(Some(basic("alice"))).await.unwrap());
    assert_eq!(logons(&m), ["driver", "driver", "alice"]);
    assert!(!d
        .verify_authentication(Some(basic("mallory")))
        .await
        .unwrap());
    // Normal work logs on with the driver's token again.
    run_one(&d, SessionConfig::new()).await.unwrap();
    assert_eq!(logons(&m).last().map(String::as_str), Some("driver"));
    d.close().await;

    let old = start(Version::V5_0, default_answer).await;
    let d = driver(&old, Config::builder().with_auth(basic("driver")));
    let e = d.verify_authentication(None).await.unwrap_err();
    assert!(matches!(e, Error::Unsupported(_)), "{e:?}");
}

#[tokio::test]
async fn reauthentication_is_pipelined_with_the_next_request() {
    // LOGOFF / LOGON are answered only together with the request after
    // them: a driver waiting for their answers first would hang.
    let owed = Arc::new(Mutex::new(0usize));
    let m = start(Version::V5_1, move |conn, req| {
        let mut owed = owed.lock().unwrap();
        match req.kind() {
            // A LOGON after a LOGOFF (not the one opening the connection).
            RequestKind::Logoff | RequestKind::Logon
                if req.kind() == RequestKind::Logoff || *owed > 0 =>
            {
                *owed += 1;
                Action::Reply(vec![])
            }
            _ => match default_answer(conn, req) {
                Action::Reply(own) => {
                    let mut all = vec![support::ok(); std::mem::take(&mut *owed)];
                    all.extend(own);
                    Action::Reply(all)
                }
                close => close,
            },
        }
    })
    .await;
    let d = driver(&m, Config::builder().with_auth(basic("driver")));
    run_one(&d, SessionConfig::new()).await.unwrap();
    let switched = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        run_one(&d, SessionConfig::new().with_auth(basic("alice"))),
    )
    .await
    .expect("re-authentication waited for its answers");
    switched.unwrap();
    assert_eq!(logons(&m), ["driver", "alice"]);
    assert_eq!(m.count(RequestKind::Hello), 1);
    d.close().await;
}

/// A manager whose `get_token` never answers.
#[derive(Debug)]
struct Silent;

impl AuthTokenManager for Silent {
    fn get_token(&self) -> BoxFuture<'_, Result<AuthToken, Error>> {
        Box::pin(std::future::pending())
    }
    fn handle_security_error<'a>(&'a self, _: &'a AuthToken, _: &'a Error) -> BoxFuture<'a, bool> {
        Box::pin(async { false })
    }
}

#[tokio::test]
async fn a_manager_that_never_answers_runs_into_the_acquisition_timeout() {
    let m = start(Version::V5_1, default_answer).await;
    let timeout = std::time::Duration::from_millis(200);
    let d = driver(
        &m,
        Config::builder()
            .with_auth_manager(Arc::new(Silent))
            .with_connection_acquisition_timeout(timeout),
    );
    let limit = std::time::Duration::from_secs(10);
    let r = tokio::time::timeout(limit, run_one(&d, SessionConfig::new()))
        .await
        .expect("the session waited on the manager without a deadline");
    assert!(
        matches!(r, Err(Error::ConnectionAcquisitionTimeout(t)) if t == timeout),
        "{r:?}"
    );
    let r = tokio::time::timeout(limit, d.verify_authentication(None))
        .await
        .expect("verify_authentication waited on the manager without a deadline");
    assert!(
        matches!(r, Err(Error::ConnectionAcquisitionTimeout(_))),
        "{r:?}"
    );
    assert_eq!(m.count(RequestKind::Hello), 0, "no connection was opened");
    d.close().await;
}

/// A manager that gives a token at once but never answers
/// `handle_security_error`.
#[derive(Debug)]
struct NeverHandles;

impl AuthTokenManager for NeverHandles {
    fn get_token(&self) -> BoxFuture<'_, Result<AuthToken, Error>> {
        Box::pin(async { Ok(basic("driver")) })
    }
    fn handle_security_error<'a>(&'a self, _: &'a AuthToken, _: &'a Error) -> BoxFuture<'a, bool> {
        Box::pin(std::future::pending())
    }
}

#[tokio::test]
async fn a_manager_that_never_handles_a_failure_does_not_hold_up_the_transaction() {
    // In one explicit transaction, a first result stays open (has_more)
    // while a second query is refused with TokenExpired. Reporting that
    // failure asks the manager, while the second result holds the
    // transaction's connection; the first result waits for it.
    let pulls = AtomicUsize::new(0);
    let m = start(Version::V5_1, move |conn, req| match req {
        Request::Run(r) if r.query == "FAIL" => {
            Action::Reply(vec![failure(TOKEN_EXPIRED, "Token expired")])
        }
        Request::Pull(_) if pulls.fetch_add(1, Ordering::SeqCst) == 0 => Action::Reply(vec![
            support::record(1),
            support::success(&[("has_more", true.into())]),
        ]),
        _ => default_answer(conn, req),
    })
    .await;
    let timeout = std::time::Duration::from_millis(200);
    let d = driver(
        &m,
        Config::builder()
            .with_auth_manager(Arc::new(NeverHandles))
            .with_connection_acquisition_timeout(timeout),
    );
    let mut s = d.session(SessionConfig::new().with_database("db"));
    let tx = s.begin_transaction(Default::default()).await.unwrap();
    let first = tx.run("RETURN 1", params! {}).await.unwrap();
    let limit = std::time::Duration::from_secs(10);
    let (second, first) = tokio::time::timeout(
        limit,
        futures_util::future::join(tx.run("FAIL", params! {}), first.consume()),
    )
    .await
    .expect("the transaction waited on the manager without a deadline");
    let e = second.unwrap_err();
    assert_eq!(e.code(), Some(TOKEN_EXPIRED), "{e:?}");
    assert!(!e.is_retryable(), "not handled by the manager: {e:?}");
    assert!(first.is_err(), "the transaction failed: {first:?}");
    tokio::time::timeout(limit, tx.rollback())
        .await
        .expect("rollback waited")
        .unwrap();
    s.close().await.unwrap();
    d.close().await;
}
