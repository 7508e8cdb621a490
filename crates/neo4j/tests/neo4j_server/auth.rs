//! Authentication: wrong credentials give a typed error and leave the
//! driver working; session auth (Bolt 5.1+ LOGOFF/LOGON) switches users on
//! a pooled connection and back. Wrong passwords are tried only for user
//! names that do not exist, so the shared `neo4j` user is never locked out
//! by the server's failed-attempt limit.

use neo4j::{params, AuthToken, Error, Session, SessionConfig};

use crate::queries::{run_consumed, single};
use crate::{db_cfg, label, on_each, Target};

async fn current_user(s: &mut Session) -> String {
    single(s, "SHOW CURRENT USER YIELD user RETURN user")
        .await
        .get("user")
        .unwrap()
}

/// A user of this test's own on `t`, dropped by [`drop_user`].
async fn create_user(t: &Target, name: &str, password: &str) {
    let d = t.driver();
    let mut s = d.session(SessionConfig::new().with_database("system"));
    run_consumed(
        &mut s,
        format!("CREATE USER {name} SET PASSWORD '{password}' CHANGE NOT REQUIRED"),
    )
    .await;
    s.close().await.unwrap();
    d.close().await;
}

async fn drop_user(t: &Target, name: &str) {
    let d = t.driver();
    let mut s = d.session(SessionConfig::new().with_database("system"));
    run_consumed(&mut s, format!("DROP USER {name} IF EXISTS")).await;
    s.close().await.unwrap();
    d.close().await;
}

#[tokio::test]
#[ignore = "needs a server: cargo xtask test"]
async fn wrong_credentials_are_an_authentication_error_and_the_driver_recovers() {
    on_each(async |t| {
        let nobody = label("nobody");
        // Driver-wide wrong credentials.
        let bad = t.driver_by(
            "bolt",
            t.builder()
                .with_auth(AuthToken::basic_auth(&nobody, "wrong-pw")),
        );
        let e = bad.verify_connectivity().await.unwrap_err();
        assert!(matches!(e, Error::Authentication { .. }), "{e:?}");
        assert_eq!(e.code(), Some("Neo.ClientError.Security.Unauthorized"));
        assert!(!e.is_retryable());
        let mut s = bad.session(db_cfg());
        let e = s.run("RETURN 1", params! {}).await.map(|_| ()).unwrap_err();
        assert!(matches!(e, Error::Authentication { .. }), "{e:?}");
        drop(s);
        bad.close().await;

        // Session auth with wrong credentials on a good driver.
        let d = t.driver_by("bolt", t.builder().with_max_connection_pool_size(2));
        let mut ok = d.session(db_cfg());
        assert_eq!(current_user(&mut ok).await, t.user);
        ok.close().await.unwrap();
        let mut s = d.session(db_cfg().with_auth(AuthToken::basic_auth(&nobody, "wrong-pw")));
        let e = s.run("RETURN 1", params! {}).await.map(|_| ()).unwrap_err();
        assert!(matches!(e, Error::Authentication { .. }), "{e:?}");
        drop(s);
        // verify_authentication answers without an error for refused
        // credentials, true for good ones.
        assert!(!d
            .verify_authentication(Some(AuthToken::basic_auth(&nobody, "wrong-pw")))
            .await
            .unwrap());
        assert!(d
            .verify_authentication(Some(AuthToken::basic_auth(&t.user, &t.password)))
            .await
            .unwrap());
        assert!(d.verify_authentication(None).await.unwrap());
        // The pool still serves the driver's own user, nothing leaked.
        for _ in 0..3 {
            let mut s = d.session(db_cfg());
            assert_eq!(current_user(&mut s).await, t.user);
            s.close().await.unwrap();
        }
        let m = d.pool_metrics();
        assert!(m.iter().all(|(_, p)| p.in_use == 0), "{m:?}");
        d.close().await;
    })
    .await;
}

/// With a pool of one connection, sessions alternate between the driver's
/// user and a user of their own: each switch re-authenticates the same
/// connection (LOGOFF/LOGON), and each session runs as its user.
#[tokio::test]
#[ignore = "needs a server: cargo xtask test"]
async fn session_auth_switches_users_on_a_pooled_connection() {
    on_each(async |t| {
        let user = label("bolt_test_user").to_lowercase();
        let password = "session-auth-pw-1";
        create_user(t, &user, password).await;
        let d = t.driver_by("bolt", t.builder().with_max_connection_pool_size(1));
        assert!(d.supports_session_auth().await.unwrap());
        for round in 0..2 {
            let mut mine = d.session(db_cfg().with_auth(AuthToken::basic_auth(&user, password)));
            assert_eq!(current_user(&mut mine).await, user, "round {round}");
            // A transaction in the session runs as that user too.
            let u = mine
                .execute_read(|tx| async move {
                    tx.run("SHOW CURRENT USER YIELD user RETURN user", params! {})
                        .await?
                        .single()
                        .await?
                        .get::<String>("user")
                })
                .await
                .unwrap();
            assert_eq!(u, user);
            mine.close().await.unwrap();
            let mut driver_user = d.session(db_cfg());
            assert_eq!(
                current_user(&mut driver_user).await,
                t.user,
                "round {round}"
            );
            driver_user.close().await.unwrap();
        }
        // execute_query with its own auth.
        let r = d
            .execute_query("SHOW CURRENT USER YIELD user RETURN user")
            .database("neo4j")
            .auth(AuthToken::basic_auth(&user, password))
            .await
            .unwrap();
        assert_eq!(r.records[0].get::<String>("user").unwrap(), user);
        assert_eq!(d.pool_metrics().len(), 1);
        d.close().await;
        drop_user(t, &user).await;
    })
    .await;
}
