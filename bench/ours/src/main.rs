//! `bench-ours`: our `neo4j` driver running the `cargo xtask bench`
//! workloads, with the same arguments and JSON lines as the other peers
//! (the shared loop is `bench/peers-rust/src/common.rs`).
//!
//! Default settings throughout (fetch size, pool size), a multi-threaded
//! tokio runtime, the workload in a spawned task (see `main`); `small_par` runs 16 tasks on one
//! driver, each query in its own session.

#[path = "../../peers-rust/src/common.rs"]
mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use common::{q_ints, q_maps, Args, Q_CREATE, Q_ONE, Q_PARAM};
use neo4j::{params, AuthToken, Config, Driver, Error, GraphDatabase, SessionConfig, Value};

fn driver(a: &Args) -> Result<Driver, Error> {
    let config = Config::builder()
        .with_auth(AuthToken::basic_auth(&a.user, &a.password))
        .build()?;
    GraphDatabase::driver(&a.uri, config)
}

async fn once(a: &Args, d: &Driver) -> Result<u64, Error> {
    let cfg = || SessionConfig::new().with_database(a.db.clone());
    Ok(match a.workload.as_str() {
        "stream_ints" | "stream_maps" => {
            let q = if a.workload == "stream_maps" {
                q_maps(a.rows)
            } else {
                q_ints(a.rows)
            };
            let mut s = d.session(cfg());
            let mut n = 0;
            {
                let mut r = s.run(q, params! {}).await?;
                while let Some(rec) = r.next().await {
                    let rec = rec?;
                    let _: Option<&Value> = rec.values().first();
                    n += 1;
                }
            }
            s.close().await?;
            n
        }
        "small_seq" => {
            let mut s = d.session(cfg());
            for _ in 0..a.ops {
                s.run(Q_ONE, params! {}).await?.consume().await?;
            }
            s.close().await?;
            a.ops
        }
        "small_par" => {
            let next = Arc::new(AtomicU64::new(0));
            let tasks: Vec<_> = (0..a.conc)
                .map(|_| {
                    let (d, next, ops, db) = (d.clone(), next.clone(), a.ops, a.db.clone());
                    tokio::spawn(async move {
                        let mut done = 0;
                        loop {
                            let i = next.fetch_add(1, Ordering::Relaxed);
                            if i >= ops {
                                return Ok::<u64, Error>(done);
                            }
                            let mut s = d.session(SessionConfig::new().with_database(db.clone()));
                            let rec = s
                                .run(Q_PARAM, params! {"i" => i as i64})
                                .await?
                                .single()
                                .await?;
                            assert_eq!(rec.get_at::<i64>(0)?, i as i64);
                            s.close().await?;
                            done += 1;
                        }
                    })
                })
                .collect();
            let mut done = 0;
            for t in tasks {
                done += t.await.expect("bench task panicked")?;
            }
            done
        }
        "tx_write" => {
            let mut s = d.session(cfg());
            for i in 0..a.ops {
                s.execute_write(|tx| async move {
                    tx.run(Q_CREATE, params! {"i" => i as i64})
                        .await?
                        .consume()
                        .await
                })
                .await?;
            }
            s.close().await?;
            a.ops
        }
        "connect" => {
            for _ in 0..a.ops {
                let d = driver(a)?;
                d.verify_connectivity().await?;
                d.close().await;
            }
            a.ops
        }
        w => panic!("unknown workload {w}"),
    })
}

fn main() {
    let a = Args::parse();
    // The workload runs in a task spawned on a multi-threaded runtime, as
    // driver code does in an application (a request handler is a task).
    // BENCH_RUNTIME=block_on runs it in `Runtime::block_on` on the main
    // thread instead (every I/O wake-up then crosses threads), and
    // BENCH_RUNTIME=current_thread on the single-threaded runtime.
    let mode = std::env::var("BENCH_RUNTIME").unwrap_or_default();
    let rt = match mode.as_str() {
        "current_thread" => tokio::runtime::Builder::new_current_thread(),
        _ => tokio::runtime::Builder::new_multi_thread(),
    }
    .enable_all()
    .build()
    .expect("tokio runtime");
    let d = driver(&a).expect("driver");
    common::measure(&a, env!("CARGO_PKG_VERSION"), |a| {
        if mode == "block_on" || mode == "current_thread" {
            return rt.block_on(once(a, &d)).expect("workload failed");
        }
        let (a, d) = (a.clone(), d.clone());
        rt.block_on(rt.spawn(async move { once(&a, &d).await }))
            .expect("bench task panicked")
            .expect("workload failed")
    });
    rt.block_on(d.close());
}
