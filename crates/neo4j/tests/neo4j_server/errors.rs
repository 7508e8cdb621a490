//! Server errors as the driver presents them: status code, classification,
//! retryability, and the GQL side (status, description, diagnostic record,
//! cause chain) that Bolt 5.7+ servers send.

use neo4j::{params, Classification, Error, GqlErrorClassification, Session};

use crate::queries::single;
use crate::{db_cfg, on_each};

/// The error of running `query` and consuming its result.
async fn failure(s: &mut Session, query: &str) -> Error {
    let r = match s.run(query, params! {}).await {
        Ok(r) => r.consume().await.map(|_| ()),
        Err(e) => Err(e),
    };
    r.expect_err(query)
}

#[tokio::test]
#[ignore = "needs a server: cargo xtask test"]
async fn a_syntax_error_has_its_code_gql_status_classification_and_causes() {
    on_each(async |t| {
        let d = t.driver();
        let mut s = d.session(db_cfg());
        let e = failure(&mut s, "RETURN 1 +").await;
        eprintln!("{e:#?}");
        assert!(matches!(e, Error::Server { .. }), "{e:?}");
        assert_eq!(e.code(), Some("Neo.ClientError.Statement.SyntaxError"));
        assert_eq!(e.classification(), Some(Classification::ClientError));
        assert!(!e.is_retryable());
        assert!(
            e.to_string()
                .starts_with("Neo.ClientError.Statement.SyntaxError: "),
            "{e}"
        );
        let gql = e.gql().expect("a server error has a GQL side");
        assert_eq!(e.gql_status(), Some(gql.gql_status.as_str()));
        if t.is_lts() {
            // 5.26 speaks Bolt 5.7+ but has no GQL status for this error
            // yet: it sends 50N42 with its own description (the driver's
            // pre-5.7 filler would repeat the message) and no
            // classification.
            assert_eq!(gql.gql_status, neo4j::GqlError::UNKNOWN_STATUS, "{gql:?}");
            assert!(
                gql.status_description
                    .starts_with("error: general processing exception - unexpected error.")
                    && !gql.status_description.contains(&gql.message),
                "{gql:?}"
            );
            assert_eq!(gql.classification(), GqlErrorClassification::Unknown);
            assert!(gql.cause.is_none());
        } else {
            assert_eq!(gql.gql_status, "42001", "{gql:?}");
            assert_eq!(
                gql.status_description,
                "error: syntax error or access rule violation - invalid syntax"
            );
            assert_eq!(gql.raw_classification(), Some("CLIENT_ERROR"));
            assert_eq!(gql.classification(), GqlErrorClassification::ClientError);
            let pos = gql
                .diagnostic_record
                .get("_position")
                .and_then(|v| v.as_map())
                .expect("a position");
            assert_eq!(pos.get("column").and_then(|v| v.as_int()), Some(11));
            assert_eq!(pos.get("offset").and_then(|v| v.as_int()), Some(10));
            // The server explains the syntax error in a cause.
            let cause = gql.cause.as_deref().expect("a cause");
            assert_eq!(cause.gql_status, "42I06", "{cause:?}");
            assert!(
                cause
                    .status_description
                    .starts_with("error: syntax error or access rule violation - invalid input."),
                "{cause:?}"
            );
            assert!(cause.cause.is_none());
            assert_eq!(cause.classification(), GqlErrorClassification::ClientError);
        }
        assert_eq!(
            gql.diagnostic_record
                .get("CURRENT_SCHEMA")
                .and_then(|v| v.as_str()),
            Some("/")
        );
        assert!(gql.diagnostic_record.contains_key("OPERATION"));
        // The session is fine afterwards.
        assert_eq!(
            single(&mut s, "RETURN 1 AS x")
                .await
                .get::<i64>("x")
                .unwrap(),
            1
        );
        s.close().await.unwrap();
        d.close().await;
    })
    .await;
}

#[tokio::test]
#[ignore = "needs a server: cargo xtask test"]
async fn runtime_and_argument_errors_are_client_errors_with_their_gql_status() {
    on_each(async |t| {
        let d = t.driver();
        let mut s = d.session(db_cfg());
        // (query, code, GQL status and its cause's on the newest server,
        // the same on the LTS: 5.26 sends its catch-all 50N42 for these)
        let cases = [
            (
                "RETURN 1 / 0 AS x",
                "Neo.ClientError.Statement.ArithmeticError",
                ("22012", Some("22N28")),
                ("50N42", None),
            ),
            (
                "RETURN $missing AS x",
                "Neo.ClientError.Statement.ParameterMissing",
                ("42001", Some("42N81")),
                ("50N42", None),
            ),
            (
                "RETURN toInteger([1]) AS x",
                "Neo.ClientError.Statement.TypeError",
                ("22N38", Some("22N01")),
                ("50N42", None),
            ),
        ];
        let (mut got, mut want) = (Vec::new(), Vec::new());
        for (query, code, newest, lts) in cases {
            let e = failure(&mut s, query).await;
            assert_eq!(e.code(), Some(code), "{query}: {e:?}");
            assert_eq!(e.classification(), Some(Classification::ClientError));
            assert!(!e.is_retryable());
            let gql = e.gql().unwrap();
            if gql.gql_status != neo4j::GqlError::UNKNOWN_STATUS {
                assert_eq!(gql.classification(), GqlErrorClassification::ClientError);
            }
            got.push((
                query,
                gql.gql_status.clone(),
                gql.cause.as_ref().map(|c| c.gql_status.clone()),
            ));
            let (status, cause) = if t.is_lts() { lts } else { newest };
            want.push((query, status.to_owned(), cause.map(str::to_owned)));
        }
        assert_eq!(got, want);
        s.close().await.unwrap();
        d.close().await;
    })
    .await;
}

#[tokio::test]
#[ignore = "needs a server: cargo xtask test"]
async fn an_unknown_database_is_a_client_error_not_a_hang() {
    on_each(async |t| {
        for scheme in ["bolt", "neo4j"] {
            let d = t.driver_by(scheme, t.builder());
            let mut s = d.session(neo4j::SessionConfig::new().with_database("no_such_db_here"));
            let e = tokio::time::timeout(std::time::Duration::from_secs(20), async {
                match s.run("RETURN 1", params! {}).await {
                    Ok(r) => r.consume().await.map(|_| ()),
                    Err(e) => Err(e),
                }
            })
            .await
            .expect("an answer in time")
            .unwrap_err();
            eprintln!("{scheme}: {e:?}");
            assert_eq!(
                e.code(),
                Some("Neo.ClientError.Database.DatabaseNotFound"),
                "{scheme}: {e:?}"
            );
            assert!(!e.is_retryable());
            // The server answers RUN (bolt) and ROUTE (neo4j) with
            // different GQL statuses; 5.26 has none for RUN's.
            let gql = e.gql().unwrap();
            let got = (
                gql.gql_status.as_str(),
                gql.cause.as_ref().map(|c| c.gql_status.as_str()),
                gql.classification(),
            );
            let want = match (t.is_lts(), scheme) {
                (false, "bolt") => ("42001", Some("42N00"), GqlErrorClassification::ClientError),
                (false, _) => ("22000", Some("22N51"), GqlErrorClassification::ClientError),
                (true, "bolt") => ("50N42", None, GqlErrorClassification::Unknown),
                (true, _) => ("50N42", None, GqlErrorClassification::Unknown),
            };
            assert_eq!(got, want, "{scheme}: {gql:?}");
            drop(s);
            d.close().await;
        }
    })
    .await;
}
