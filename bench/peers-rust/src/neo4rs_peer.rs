//! Bench peer: `neo4rs` 0.9.0-rc.11 (async, tokio; 0.8 speaks only Bolt
//! 4.0/4.1, which neither server offers), default settings (fetch size 200,
//! 16 pooled connections). Run by `cargo xtask bench`.

#[path = "common.rs"]
mod common;

use common::*;
use neo4rs::{query, ConfigBuilder, Graph};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

#[allow(dead_code)]
#[derive(serde::Deserialize)]
struct M {
    id: i64,
    name: String,
    score: f64,
    tags: Vec<String>,
    active: bool,
}

async fn graph(a: &Args) -> Graph {
    let config = ConfigBuilder::default()
        .uri(a.uri.trim_start_matches("bolt://"))
        .user(a.user.as_str())
        .password(a.password.as_str())
        .db(a.db.as_str())
        .build()
        .expect("config");
    Graph::connect(config).expect("connect")
}

async fn once(a: &Args, g: &Graph) -> u64 {
    match a.workload.as_str() {
        "stream_ints" | "stream_maps" => {
            let maps = a.workload == "stream_maps";
            let q = if maps { q_maps(a.rows) } else { q_ints(a.rows) };
            let mut rows = g.execute(query(&q)).await.expect("execute");
            let mut n = 0;
            while let Some(row) = rows.next().await.expect("row") {
                if maps {
                    let _: M = row.get("m").expect("m");
                } else {
                    let _: i64 = row.get("x").expect("x");
                }
                n += 1;
            }
            n
        }
        "small_seq" => {
            for _ in 0..a.ops {
                let mut rows = g.execute(query(Q_ONE)).await.expect("execute");
                while rows.next().await.expect("row").is_some() {}
            }
            a.ops
        }
        "small_par" => {
            let next = Arc::new(AtomicU64::new(0));
            let tasks: Vec<_> = (0..a.conc)
                .map(|_| {
                    let (g, next, ops) = (g.clone(), next.clone(), a.ops);
                    tokio::spawn(async move {
                        let mut done = 0;
                        loop {
                            let i = next.fetch_add(1, Ordering::Relaxed);
                            if i >= ops {
                                return done;
                            }
                            let q = query(Q_PARAM).param("i", i as i64);
                            let mut rows = g.execute(q).await.expect("execute");
                            let row = rows.next().await.expect("row").expect("one row");
                            assert_eq!(row.get::<i64>("$i").expect("$i"), i as i64);
                            while rows.next().await.expect("row").is_some() {}
                            done += 1;
                        }
                    })
                })
                .collect();
            let mut done = 0;
            for t in tasks {
                done += t.await.expect("task");
            }
            done
        }
        "tx_write" => {
            for i in 0..a.ops {
                let mut tx = g.start_txn().await.expect("begin");
                tx.run(query(Q_CREATE).param("i", i as i64))
                    .await
                    .expect("run");
                let _ = tx.commit().await.expect("commit");
            }
            a.ops
        }
        "connect" => {
            for _ in 0..a.ops {
                let g = graph(a).await;
                g.run(query(Q_ONE)).await.expect("verify");
                drop(g);
            }
            a.ops
        }
        w => panic!("unknown workload {w}"),
    }
}

fn main() {
    let a = Args::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let g = rt.block_on(graph(&a));
    // As for `bench-ours`: the workload runs in a spawned task, as driver
    // code does in an application; BENCH_RUNTIME=block_on runs it in
    // `block_on` on the main thread.
    let spawn = std::env::var("BENCH_RUNTIME").as_deref() != Ok("block_on");
    measure(&a, "0.9.0-rc.11", |a| {
        if !spawn {
            return rt.block_on(once(a, &g));
        }
        let (a, g) = (a.clone(), g.clone());
        rt.block_on(rt.spawn(async move { once(&a, &g).await }))
            .expect("bench task panicked")
    });
}
