//! Guards against the per-query futures growing large again: a session's
//! `run` future is embedded in (and moved with) every caller's future,
//! once per query; its rare paths (rolling back a dropped transaction,
//! draining an abandoned result, routing, home-database lookup) run
//! boxed.

use std::mem::size_of_val;

use neo4j::{params, Config, GraphDatabase, SessionConfig};

/// Generous (debug builds lay futures out larger than release builds;
/// these limits are for debug builds, where `run` measured 4,128 bytes
/// before its rare paths were boxed, 3,072 after): the point is to catch
/// the kilobytes coming back.
const LIMIT: usize = 3 * 1024 + 512;

#[test]
fn query_futures_stay_small() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        // Nothing listens here; the futures are measured, never polled.
        let driver = GraphDatabase::driver("bolt://127.0.0.1:9", Config::default()).unwrap();
        let mut session = driver.session(SessionConfig::new().with_database("db"));
        let run = session.run("RETURN 1", params! {});
        let n = size_of_val(&run);
        eprintln!("run: {n}");
        assert!(n <= LIMIT, "run: {n}");
        drop(run);
        let write = session.execute_write(|tx| async move {
            tx.run("RETURN 1", params! {}).await?.consume().await
        });
        let n = size_of_val(&write);
        eprintln!("execute_write: {n}");
        // The closure's own future (a query and its consume) is inside.
        assert!(n <= LIMIT + 1536, "execute_write: {n}");
        drop(write);
        let close = session.close();
        let n = size_of_val(&close);
        eprintln!("close: {n}");
        assert!(n <= LIMIT, "close: {n}");
    });
}
