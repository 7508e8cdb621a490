//! Bench peer: the crates.io `neo4j` crate 0.2 (blocking API; `small_par`
//! uses 16 threads sharing one driver). Run by `cargo xtask bench`.

#[path = "common.rs"]
mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use common::*;
use neo4j_crate::address::Address;
use neo4j_crate::driver::auth::AuthToken;
use neo4j_crate::driver::{ConnectionConfig, Driver, DriverConfig, RoutingControl};
use neo4j_crate::retry::ExponentialBackoff;
use neo4j_crate::session::SessionConfig;
use neo4j_crate::{ValueReceive, ValueSend};

fn driver(a: &Args) -> Driver {
    let (host, port) = a.host_port();
    Driver::new(
        ConnectionConfig::new(Address::from((host.as_str(), port))),
        DriverConfig::new().with_auth(Arc::new(AuthToken::new_basic_auth(
            a.user.as_str(),
            a.password.as_str(),
        ))),
    )
}

fn session_config(db: &Arc<String>) -> SessionConfig {
    SessionConfig::new().with_database(db.clone())
}

fn once(a: &Args, d: &Driver, db: &Arc<String>) -> u64 {
    match a.workload.as_str() {
        "stream_ints" | "stream_maps" => {
            let q = if a.workload == "stream_maps" {
                q_maps(a.rows)
            } else {
                q_ints(a.rows)
            };
            let mut s = d.session(session_config(db));
            s.auto_commit(q)
                .with_receiver(|stream| {
                    let mut n = 0u64;
                    for rec in stream {
                        let rec = rec?;
                        let _v: Option<&ValueReceive> = rec.values().next();
                        n += 1;
                    }
                    Ok(n)
                })
                .run()
                .expect("stream")
        }
        "small_seq" => {
            let mut s = d.session(session_config(db));
            for _ in 0..a.ops {
                s.auto_commit(Q_ONE)
                    .with_receiver(|stream| stream.consume().map(drop))
                    .run()
                    .expect("run");
            }
            a.ops
        }
        "small_par" => {
            let next = AtomicU64::new(0);
            std::thread::scope(|scope| {
                let handles: Vec<_> = (0..a.conc)
                    .map(|_| {
                        scope.spawn(|| {
                            let mut done = 0;
                            loop {
                                let i = next.fetch_add(1, Ordering::Relaxed);
                                if i >= a.ops {
                                    return done;
                                }
                                let mut s = d.session(session_config(db));
                                let params: HashMap<String, ValueSend> =
                                    [("i".to_string(), ValueSend::Integer(i as i64))].into();
                                let v = s
                                    .auto_commit(Q_PARAM)
                                    .with_parameters(params)
                                    .with_receiver(|stream| {
                                        let rec = stream.single().expect("one record")?;
                                        let v = rec.values().next().cloned();
                                        Ok(v)
                                    })
                                    .run()
                                    .expect("run");
                                assert_eq!(v, Some(ValueReceive::Integer(i as i64)));
                                done += 1;
                            }
                        })
                    })
                    .collect();
                handles.into_iter().map(|h| h.join().expect("thread")).sum()
            })
        }
        "tx_write" => {
            let mut s = d.session(session_config(db));
            for i in 0..a.ops {
                s.transaction()
                    .with_routing_control(RoutingControl::Write)
                    .run_with_retry(ExponentialBackoff::default(), |tx| {
                        let params: HashMap<String, ValueSend> =
                            [("i".to_string(), ValueSend::Integer(i as i64))].into();
                        tx.query(Q_CREATE)
                            .with_parameters(params)
                            .run()?
                            .consume()?;
                        tx.commit()
                    })
                    .expect("tx");
            }
            a.ops
        }
        "connect" => {
            for _ in 0..a.ops {
                let d = driver(a);
                d.verify_connectivity().expect("verify");
                drop(d);
            }
            a.ops
        }
        w => panic!("unknown workload {w}"),
    }
}

fn main() {
    let a = Args::parse();
    let d = driver(&a);
    let db = Arc::new(a.db.clone());
    measure(&a, "0.2.0", |a| once(a, &d, &db));
}
