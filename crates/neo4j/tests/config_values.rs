//! Bad and extreme values from users: every one is refused with an error
//! naming the option and the value (at `build()`, at driver creation, or
//! at the session's first call), or works; none panics. Runs without a
//! server (scripted stubs where a connection is needed).

mod support;

use std::time::Duration;

use bolt_proto::message::{Request, RequestKind};
use bolt_proto::Version;
use neo4j::{
    params, ClientCertificate, Config, ConfigError, Error, GraphDatabase, SessionConfig,
    TransactionConfig, TrustStrategy,
};
use support::{bolt_driver, config, default_answer, start};

fn refused(b: neo4j::ConfigBuilder) -> ConfigError {
    match b.build() {
        Ok(c) => panic!("accepted: {c:?}"),
        Err(e) => e,
    }
}

#[test]
fn bad_driver_options_are_refused_naming_option_and_value() {
    let b = Config::builder;
    let cases: Vec<(neo4j::ConfigBuilder, &str, &str)> = vec![
        (
            b().with_max_connection_pool_size(0),
            "max_connection_pool_size",
            "at least 1",
        ),
        (b().with_fetch_size(0), "fetch_size", "got 0"),
        (b().with_fetch_size(-2), "fetch_size", "got -2"),
        (
            b().with_fetch_size(i64::MIN),
            "fetch_size",
            "got -9223372036854775808",
        ),
        (
            b().with_max_connection_lifetime(Duration::ZERO),
            "max_connection_lifetime",
            "zero",
        ),
        (
            b().with_connection_acquisition_timeout(Duration::ZERO),
            "connection_acquisition_timeout",
            "zero",
        ),
        (
            b().with_connection_timeout(Duration::ZERO),
            "connection_timeout",
            "zero",
        ),
        (
            b().with_connection_read_timeout(Duration::ZERO),
            "connection_read_timeout",
            "zero",
        ),
        (b().with_user_agent(""), "user_agent", "empty"),
        (b().with_user_agent(" \t"), "user_agent", "empty"),
        (b().with_user_agent("app\0x"), "user_agent", "'\\0'"),
        (
            b().with_user_agent("app/1\r\nX-Injected: 1"),
            "user_agent",
            "'\\r'",
        ),
        (
            b().with_user_agent("app\u{1b}[31m"),
            "user_agent",
            "control",
        ),
        (
            b().with_trust(TrustStrategy::TrustCustomCaSignedCertificates(vec![])),
            "trust",
            "at least one CA file",
        ),
        (
            b().with_der_encoded_server_certificate(Vec::new()),
            "der_encoded_server_certificate",
            "empty",
        ),
        (
            b().with_client_certificate(ClientCertificate::new("", "key.pem")),
            "client_certificate",
            "must not be empty",
        ),
        (b().with_protocol_versions([]), "protocol_versions", "got 0"),
        (
            b().with_protocol_versions([(5, 0); 5]),
            "protocol_versions",
            "got 5",
        ),
        (
            b().with_protocol_versions([(255, 255)]),
            "protocol_versions",
            "Bolt 255.255",
        ),
    ];
    for (builder, option, problem) in cases {
        let e = refused(builder);
        assert_eq!(e.option(), option, "{e}");
        assert!(e.problem().contains(problem), "{e}: no {problem:?}");
        assert!(e.to_string().contains(option), "{e}");
    }
}

#[test]
fn extreme_driver_options_are_accepted() {
    let forever = Duration::MAX;
    let c = Config::builder()
        .with_max_connection_pool_size(usize::MAX)
        .with_fetch_size(i64::MAX)
        .with_max_connection_lifetime(forever)
        .with_connection_acquisition_timeout(forever)
        .with_connection_timeout(forever)
        .with_connection_read_timeout(forever)
        .with_max_retry_time(forever)
        .with_liveness_check_timeout(forever)
        .with_user_agent("app/1 (ünïcode ✓)")
        .build()
        .unwrap();
    assert_eq!(c.max_connection_pool_size(), usize::MAX);
    for uri in ["bolt://localhost", "neo4j://localhost"] {
        GraphDatabase::driver(uri, c.clone()).unwrap();
    }
}

#[test]
fn files_that_do_not_exist_fail_driver_creation_naming_option_and_path() {
    let missing = std::env::temp_dir().join("neo4j-config-values-no-such-file.pem");
    let ca = Config::builder()
        .with_encrypted(true)
        .with_trust(TrustStrategy::TrustCustomCaSignedCertificates(vec![
            missing.clone(),
        ]))
        .build()
        .unwrap();
    let cert = Config::builder()
        .with_encrypted(true)
        .with_client_certificate(ClientCertificate::new(&missing, &missing))
        .build()
        .unwrap();
    for (config, option) in [(ca, "trust"), (cert, "client_certificate")] {
        match GraphDatabase::driver("bolt://localhost", config) {
            Err(Error::Configuration(e)) => {
                assert_eq!(e.option(), option, "{e}");
                assert!(e.problem().contains("no-such-file"), "{e}");
            }
            other => panic!("{option}: {other:?}"),
        }
    }
}

#[test]
fn bad_uris_are_refused_not_panicking() {
    for uri in [
        "",
        "localhost:7687",
        "bolt://",
        "bolt://:7687",
        "bolt://h:0",
        "bolt://h:65536",
        "bolt://h:99999999999999999999",
        "http://h",
        "bolt://h/db",
        "bolt://h?region=eu",
        "neo4j://h?address=x:1",
        "neo4j://h?a=1&a=2",
        "neo4j://h?=1",
        "bolt://[::1",
        "bolt://user:secret@h:1:2",
        "bolt://\u{0}",
        "neo4j://h\u{7f}",
    ] {
        match GraphDatabase::driver(uri, Config::default()) {
            Err(Error::InvalidUri(e)) => {
                assert!(!e.problem().is_empty(), "{uri:?}");
                assert!(!e.to_string().contains("secret"), "{uri:?}: {e}");
            }
            other => panic!("{uri:?}: {other:?}"),
        }
    }
}

/// A Bolt 5.0 stub answering everything with the defaults.
async fn stub() -> support::Member {
    start(Version::V5_0, default_answer).await
}

#[tokio::test]
async fn bad_session_options_fail_the_first_call_naming_option_and_value() {
    let m = stub().await;
    let d = bolt_driver(&m, config());
    let cases = [
        (SessionConfig::new().with_database(""), "database", "\"\""),
        (
            SessionConfig::new().with_database("  "),
            "database",
            "\"  \"",
        ),
        (
            SessionConfig::new().with_fetch_size(0),
            "fetch_size",
            "got 0",
        ),
        (
            SessionConfig::new().with_fetch_size(-2),
            "fetch_size",
            "got -2",
        ),
        (
            SessionConfig::new().with_fetch_size(i64::MIN),
            "fetch_size",
            "got -9223372036854775808",
        ),
        (
            SessionConfig::new().with_impersonated_user(""),
            "impersonated_user",
            "\"\"",
        ),
        (
            SessionConfig::new().with_impersonated_user(" "),
            "impersonated_user",
            "\" \"",
        ),
    ];
    let named = |r: Result<(), Error>, option: &str, problem: &str| match r {
        Err(Error::Configuration(e)) => {
            assert_eq!(e.option(), option, "{e}");
            assert!(e.problem().contains(problem), "{e}: no {problem:?}");
        }
        other => panic!("{option} {problem}: {other:?}"),
    };
    for (cfg, option, problem) in cases {
        let mut s = d.session(cfg);
        let run = s.run("RETURN 1", params! {}).await.map(drop);
        named(run, option, problem);
        let begin = s
            .begin_transaction(TransactionConfig::new())
            .await
            .map(drop);
        named(begin, option, problem);
        let started = std::time::Instant::now();
        let managed = s
            .execute_read(|tx| async move { tx.run("RETURN 1", params! {}).await.map(drop) })
            .await;
        named(managed, option, problem);
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "a configuration error is not retried"
        );
        s.close().await.unwrap();
    }
    let query = d.execute_query("RETURN 1").database("").run().await;
    named(query.map(drop), "database", "\"\"");
    let query = d
        .execute_query("RETURN 1")
        .impersonated_user(" ")
        .run()
        .await;
    named(query.map(drop), "impersonated_user", "\" \"");
    assert_eq!(m.count(RequestKind::Run), 0, "{:?}", m.names());
    assert_eq!(m.count(RequestKind::Begin), 0, "{:?}", m.names());
}

#[tokio::test]
async fn extreme_values_that_reach_the_wire_are_sent_sanely() {
    let m = stub().await;
    let d = bolt_driver(&m, config().with_max_connection_pool_size(usize::MAX));
    let mut s = d.session(SessionConfig::new().with_fetch_size(i64::MAX));
    for timeout in [Duration::MAX, Duration::from_nanos(1), Duration::ZERO] {
        let tx = s
            .begin_transaction(TransactionConfig::new().with_timeout(timeout))
            .await
            .unwrap();
        let n: i64 = tx
            .run("RETURN 1", params! {})
            .await
            .unwrap()
            .single()
            .await
            .unwrap()
            .get("n")
            .unwrap();
        assert_eq!(n, 1);
        tx.commit().await.unwrap();
    }
    s.close().await.unwrap();
    let timeouts: Vec<Option<i64>> = m
        .requests()
        .into_iter()
        .filter_map(|(_, r)| match r {
            Request::Begin(b) => Some(b.tx.tx_timeout),
            _ => None,
        })
        .collect();
    // Duration::MAX is clamped to i64::MAX ms; a sub-millisecond timeout
    // is rounded up (0 would mean the server's default); zero is sent as 0.
    assert_eq!(timeouts, [Some(i64::MAX), Some(1), Some(0)]);
    let pulls: Vec<i64> = m
        .requests()
        .into_iter()
        .filter_map(|(_, r)| match r {
            Request::Pull(p) => Some(p.n),
            _ => None,
        })
        .collect();
    assert!(pulls.iter().all(|n| *n == i64::MAX), "{pulls:?}");
}

/// Temporal values at the ends of their ranges: accessors, `Display`,
/// conversions and encoding for every Bolt form answer or refuse, never
/// overflow (debug builds check arithmetic).
#[test]
fn extreme_temporal_values_never_overflow() {
    use bolt_proto::structure::StructCtx;
    use neo4j::{Date, DateTime, DateTimeZoneId, LocalDateTime, LocalTime, Time, Value};

    let last_time = LocalTime::from_hms_nano(23, 59, 59, 999_999_999).unwrap();
    let mut values: Vec<Value> = Vec::new();
    for days in [i64::MIN, i64::MIN + 1, -1, 0, i64::MAX - 1, i64::MAX] {
        let date = Date::from_days_since_epoch(days);
        let _ = (date.year_month_day(), date.to_string());
        let local = LocalDateTime::new(date, last_time);
        let _ = (local.date(), local.time(), local.to_string());
        values.extend([date.into(), local.into()]);
        for offset in [i32::MIN, -86_400, 0, 86_400, i32::MAX] {
            if let Some(dt) = DateTime::from_local(local, offset) {
                let _ = (
                    dt.local(),
                    dt.to_string(),
                    std::time::SystemTime::try_from(dt),
                );
                values.push(dt.into());
            }
            if let Some(z) = DateTimeZoneId::new(local, offset, "Europe/Paris") {
                let _ = (z.timestamp(), z.local(), z.to_string());
                values.push(z.into());
            }
            if let Some(t) = Time::new(last_time, offset) {
                values.push(t.into());
            }
        }
        let z = DateTimeZoneId::from_local(local, "Asia/Tokyo");
        let _ = (z.timestamp(), z.local(), z.offset_seconds(), z.to_string());
        values.push(z.into());
    }
    for seconds in [i64::MIN, -1, 0, i64::MAX] {
        for nanos in [0, 999_999_999] {
            for offset in [i32::MIN, 0, i32::MAX] {
                if let Some(dt) = DateTime::from_timestamp(seconds, nanos, offset) {
                    let _ = (
                        dt.local(),
                        dt.to_string(),
                        std::time::SystemTime::try_from(dt),
                    );
                    values.push(dt.into());
                }
            }
            if let Some(z) = DateTimeZoneId::from_timestamp(seconds, nanos, "UTC") {
                let _ = (z.timestamp(), z.local(), z.to_string());
                values.push(z.into());
            }
        }
    }
    for n in [i64::MIN, -1, 0, i64::MAX] {
        let d = neo4j::Duration::new(n, n, n, n);
        let _ = (d.to_string(), std::time::Duration::try_from(d));
        values.push(d.into());
    }
    values.push(Value::from(std::time::Duration::MAX));
    for ctx in [
        StructCtx::new(Version::V3_0),
        StructCtx::new(Version::V4_4),
        StructCtx::new(Version::V4_4).with_utc_patch(true),
        StructCtx::new(Version::V5_0),
    ] {
        for v in &values {
            let mut buf = Vec::new();
            // Ok, or an error naming why this server cannot take it.
            if let Err(e) = neo4j::__bench::encode_value(&mut buf, v, ctx) {
                assert!(!e.to_string().is_empty());
            }
        }
    }
}

/// Resolvers answering nothing: the work fails with `ServiceUnavailable`
/// (naming no address to try), promptly, for direct and routing drivers.
#[tokio::test]
async fn resolvers_answering_nothing_fail_with_service_unavailable() {
    let none = |_: &neo4j::ServerAddress| Vec::new();
    let no_ips = |_: &str| Vec::new();
    for (uri, config) in [
        ("bolt://db.example", config().with_resolver(none)),
        ("neo4j://db.example", config().with_resolver(none)),
        ("bolt://db.example", config().with_dns_resolver(no_ips)),
        ("neo4j://db.example", config().with_dns_resolver(no_ips)),
    ] {
        let config = config
            .with_connection_acquisition_timeout(Duration::from_secs(3))
            .with_max_retry_time(Duration::ZERO)
            .build()
            .unwrap();
        let d = GraphDatabase::driver(uri, config).unwrap();
        let mut s = d.session(SessionConfig::new());
        let started = std::time::Instant::now();
        let r = s.run("RETURN 1", params! {}).await.map(drop);
        assert!(
            matches!(r, Err(Error::ServiceUnavailable(_))),
            "{uri}: {r:?}"
        );
        assert!(started.elapsed() < Duration::from_secs(2), "{uri}");
    }
}

/// A parameter nested deeper than any server reads is refused with an
/// error, not a stack overflow (which aborts the process) while encoding.
#[test]
fn deeply_nested_parameters_are_refused_not_overflowing_the_stack() {
    use bolt_proto::structure::StructCtx;
    use neo4j::Value;
    // Run on a thread with tokio's default worker stack (2 MiB), where
    // queries are encoded.
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(|| {
            for (depth, ok) in [
                (1, true),
                (64, true),
                (100, true),
                (101, false),
                (100_000, false),
            ] {
                let mut v = Value::from(1);
                for i in 0..depth {
                    v = if i % 2 == 0 {
                        Value::List(vec![v])
                    } else {
                        Value::Map([("k", v)].into_iter().collect())
                    };
                }
                let mut buf = Vec::new();
                let r = neo4j::__bench::encode_value(&mut buf, &v, StructCtx::new(Version::V5_0));
                assert_eq!(r.is_ok(), ok, "depth {depth}: {r:?}");
                if let Err(e) = r {
                    assert!(e.to_string().contains("nested"), "{e}");
                }
                // Dropping is iterative-free recursion too: take it apart
                // level by level so the test itself does not overflow.
                let mut v = v;
                loop {
                    v = match v {
                        Value::List(mut l) => match l.pop() {
                            Some(x) => x,
                            None => break,
                        },
                        Value::Map(m) => match m.into_iter().next() {
                            Some((_, x)) => x,
                            None => break,
                        },
                        _ => break,
                    };
                }
            }
        })
        .unwrap()
        .join()
        .unwrap();
}

#[tokio::test]
async fn a_parameter_nested_too_deep_fails_the_query_and_the_session_goes_on() {
    let m = stub().await;
    let d = bolt_driver(&m, config());
    let mut s = d.session(SessionConfig::new());
    let mut deep = neo4j::Value::from(1);
    for _ in 0..101 {
        deep = neo4j::Value::List(vec![deep]);
    }
    let r = s.run("RETURN $p", params! {"p" => deep}).await.map(drop);
    match r {
        Err(Error::Conversion { message, .. }) => assert!(message.contains("100"), "{message}"),
        other => panic!("{other:?}"),
    }
    let n: i64 = s
        .run("RETURN 1", params! {})
        .await
        .unwrap()
        .single()
        .await
        .unwrap()
        .get("n")
        .unwrap();
    assert_eq!(n, 1);
    s.close().await.unwrap();
    assert_eq!(m.queries(), ["RETURN 1"]);
}
