//! Results and what comes with them: streaming a million rows in batches,
//! fetch sizes at each level, the server's identity, summaries (counters,
//! query type, timings, database, plans), and telemetry.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use neo4j::result::QueryType;
use neo4j::{params, FETCH_ALL};

use crate::queries::{begin, run_consumed, tx_run_consumed};
use crate::{cleanup, db_cfg, label, on_each};

#[tokio::test]
#[ignore = "needs a server: cargo xtask test"]
async fn a_million_rows_stream_in_batches() {
    on_each(async |t| {
        let d = t.driver();
        let mut s = d.session(db_cfg().with_fetch_size(1000));
        let started = Instant::now();
        let mut r = s
            .run("UNWIND range(1, 1000000) AS i RETURN i", params! {})
            .await
            .unwrap();
        let (mut n, mut sum) = (0i64, 0i64);
        while let Some(rec) = r.next().await {
            let i: i64 = rec.unwrap().get_at(0).unwrap();
            n += 1;
            sum += i;
        }
        let summary = r.consume().await.unwrap();
        eprintln!("1M rows in {:?}", started.elapsed());
        assert_eq!(n, 1_000_000);
        assert_eq!(sum, 500_000_500_000);
        assert!(summary.result_consumed_after().is_some());
        s.close().await.unwrap();
        d.close().await;
    })
    .await;
}

#[tokio::test]
#[ignore = "needs a server: cargo xtask test"]
async fn fetch_sizes_of_driver_session_and_fetch_all_give_the_same_rows() {
    on_each(async |t| {
        let q = "UNWIND range(1, 2500) AS i RETURN i, toString(i) AS s";
        let want: Vec<i64> = (1..=2500).collect();
        for (driver_fetch, session_fetch) in [
            (1, None),
            (7, None),
            (1000, Some(3)),
            (2, Some(FETCH_ALL)),
            (FETCH_ALL, None),
            (2500, None),
            (2501, None),
        ] {
            let d = t.driver_by("bolt", t.builder().with_fetch_size(driver_fetch));
            let cfg = match session_fetch {
                Some(f) => db_cfg().with_fetch_size(f),
                None => db_cfg(),
            };
            let mut s = d.session(cfg);
            let recs = s.run(q, params! {}).await.unwrap().collect().await.unwrap();
            let got: Vec<i64> = recs.iter().map(|r| r.get("i").unwrap()).collect();
            assert_eq!(got, want, "fetch {driver_fetch} / {session_fetch:?}");
            assert_eq!(recs[41].get::<String>("s").unwrap(), "42");
            // The same in an explicit transaction, two results interleaved.
            let tx = begin(&mut s).await;
            let mut a = tx.run(q, params! {}).await.unwrap();
            let mut b = tx.run(q, params! {}).await.unwrap();
            let (mut sa, mut sb) = (0i64, 0i64);
            loop {
                let ra = a.next().await;
                let rb = b.next().await;
                match (ra, rb) {
                    (Some(x), Some(y)) => {
                        sa += x.unwrap().get::<i64>("i").unwrap();
                        sb += y.unwrap().get::<i64>("i").unwrap();
                    }
                    (None, None) => break,
                    other => panic!("uneven: {other:?}"),
                }
            }
            assert_eq!((sa, sb), (3_126_250, 3_126_250));
            drop((a, b));
            tx.commit().await.unwrap();
            s.close().await.unwrap();
            d.close().await;
        }
    })
    .await;
}

#[tokio::test]
#[ignore = "needs a server: cargo xtask test"]
async fn server_info_names_the_real_server_and_protocol() {
    on_each(async |t| {
        for scheme in ["bolt", "neo4j"] {
            let d = t.driver_by(scheme, t.builder());
            let info = d.server_info().await.unwrap();
            eprintln!("{scheme}: {info:?}");
            assert_eq!(info.agent, format!("Neo4j/{}", t.version), "{info:?}");
            // 5.8 today; a driver that learns Bolt 6 may negotiate more.
            assert!(
                info.protocol_version >= (5, 8) && info.protocol_version.0 <= 6,
                "{info:?}"
            );
            assert_eq!(info.address.to_string(), t.addr);
            assert!(d.supports_multi_db().await.unwrap());
            let mut s = d.session(db_cfg());
            let sum = run_consumed(&mut s, "RETURN 1").await;
            assert_eq!(sum.server(), &info);
            s.close().await.unwrap();
            d.close().await;
        }
    })
    .await;
}

#[tokio::test]
#[ignore = "needs a server: cargo xtask test"]
async fn summaries_report_counters_query_type_timings_and_database() {
    on_each(async |t| {
        let d = t.driver();
        let l = label("Summary");
        let mut s = d.session(db_cfg());

        let sum = run_consumed(&mut s, "RETURN 1 AS x").await;
        assert_eq!(sum.query_type(), Some(QueryType::ReadOnly));
        assert!(!sum.counters().contains_updates());
        assert_eq!(sum.database(), Some("neo4j"));
        assert!(sum.result_available_after().is_some());
        assert!(sum.result_consumed_after().is_some());
        assert_eq!(sum.query().text(), "RETURN 1 AS x");

        let q = format!(
            "CREATE (a:{l} {{p: 1, q: 'x'}})-[:R {{w: 2}}]->(b:{l}), (c:{l}) \
             RETURN a"
        );
        let sum = s
            .run(q.clone(), params! {"unused" => 3})
            .await
            .unwrap()
            .consume()
            .await
            .unwrap();
        let c = sum.counters();
        assert_eq!(
            (
                c.nodes_created,
                c.relationships_created,
                c.properties_set,
                c.labels_added
            ),
            (3, 1, 3, 3),
            "{c:?}"
        );
        assert!(c.contains_updates());
        assert_eq!(sum.query_type(), Some(QueryType::ReadWrite));
        assert_eq!(sum.query().text(), q);
        assert_eq!(
            sum.query().params().get("unused"),
            Some(&neo4j::Value::Integer(3))
        );

        let sum = run_consumed(&mut s, format!("MATCH (n:{l}) SET n:Extra REMOVE n.p")).await;
        let c = sum.counters();
        assert_eq!((c.labels_added, c.properties_set), (3, 1), "{c:?}");
        assert_eq!(sum.query_type(), Some(QueryType::WriteOnly));
        let sum = run_consumed(&mut s, format!("MATCH (n:{l}) REMOVE n:Extra")).await;
        assert_eq!(sum.counters().labels_removed, 3);

        let sum = run_consumed(&mut s, format!("MATCH (n:{l}) DETACH DELETE n")).await;
        let c = sum.counters();
        assert_eq!((c.nodes_deleted, c.relationships_deleted), (3, 1), "{c:?}");

        // Schema: an index of this test's own label, made and dropped.
        let idx = format!("idx_{}", l.to_lowercase());
        let sum = run_consumed(
            &mut s,
            format!("CREATE INDEX {idx} IF NOT EXISTS FOR (n:{l}) ON (n.p)"),
        )
        .await;
        assert_eq!(sum.query_type(), Some(QueryType::SchemaWrite));
        assert_eq!(sum.counters().indexes_added, 1);
        let sum = run_consumed(&mut s, format!("DROP INDEX {idx}")).await;
        assert_eq!(sum.counters().indexes_removed, 1);

        // System updates are counted on `system`.
        let mut sys = d.session(neo4j::SessionConfig::new().with_database("system"));
        let user = label("summary_user").to_lowercase();
        let sum = run_consumed(
            &mut sys,
            format!("CREATE USER {user} SET PASSWORD 'summary-pw-1' CHANGE NOT REQUIRED"),
        )
        .await;
        assert!(
            sum.counters().contains_system_updates(),
            "{:?}",
            sum.counters()
        );
        assert_eq!(sum.database(), Some("system"));
        run_consumed(&mut sys, format!("DROP USER {user}")).await;
        sys.close().await.unwrap();

        // Plans and profiles.
        let sum = run_consumed(&mut s, "EXPLAIN MATCH (n) RETURN n").await;
        assert!(sum.plan().is_some());
        assert!(sum.profile().is_none());
        let sum = run_consumed(&mut s, format!("PROFILE MATCH (n:{l}) RETURN n")).await;
        assert!(sum.profile().is_some());

        // Inside a transaction, the summary is the query's.
        let tx = begin(&mut s).await;
        let sum = tx_run_consumed(&tx, format!("CREATE (:{l})")).await;
        assert_eq!(sum.counters().nodes_created, 1);
        assert_eq!(sum.database(), Some("neo4j"));
        tx.rollback().await.unwrap();
        s.close().await.unwrap();
        cleanup(&d, &l).await;
        d.close().await;
    })
    .await;
}

/// A `tracing` writer into a shared buffer.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Every API kind (auto-commit, explicit, managed, execute_query) with
/// telemetry on, then off: the work succeeds either way, and the driver
/// sends TELEMETRY exactly when the server's HELLO hints ask for it
/// (`telemetry.enabled`, off by default on Neo4j).
#[tokio::test]
#[ignore = "needs a server: cargo xtask test"]
async fn telemetry_follows_the_server_hint_and_breaks_nothing() {
    on_each(async |t| {
        for disabled in [false, true] {
            let log = Captured::default();
            let w = log.clone();
            let subscriber = tracing_subscriber::fmt()
                .with_max_level(tracing::Level::TRACE)
                .with_ansi(false)
                .with_writer(move || w.clone())
                .finish();
            let guard = tracing::subscriber::set_default(subscriber);
            let d = t.driver_by("bolt", t.builder().with_telemetry_disabled(disabled));
            let mut s = d.session(db_cfg());
            run_consumed(&mut s, "RETURN 1").await;
            let tx = begin(&mut s).await;
            tx_run_consumed(&tx, "RETURN 2").await;
            tx.commit().await.unwrap();
            s.execute_read(
                |tx| async move { tx.run("RETURN 3", params! {}).await?.consume().await },
            )
            .await
            .unwrap();
            s.close().await.unwrap();
            d.execute_query("RETURN 4").database("neo4j").await.unwrap();
            d.close().await;
            drop(guard);
            let text = String::from_utf8_lossy(&log.0.lock().unwrap()).into_owned();
            let hello_success = text
                .lines()
                .find(|l| l.contains("S: SUCCESS") && l.contains("connection_id"))
                .unwrap_or_else(|| panic!("no HELLO SUCCESS in the log:\n{text}"))
                .to_owned();
            eprintln!("telemetry disabled={disabled}: {hello_success}");
            // Neo4j hints `connection.recv_timeout_seconds` and
            // `ssr.enabled`; `telemetry.enabled` only when configured.
            assert!(hello_success.contains("\"hints\""), "{hello_success}");
            let hinted = hello_success.contains("(\"telemetry.enabled\", Boolean(true))");
            let sent = text.contains("C: TELEMETRY");
            assert_eq!(sent, hinted && !disabled, "{hello_success}");
        }
    })
    .await;
}
