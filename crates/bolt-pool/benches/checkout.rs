#![allow(missing_docs)] // criterion macros generate undocumented items
//! Checkout and return of an idle pooled connection: no I/O, no round trip.
//!
//! Target: under 1 µs per checkout + return.

#[path = "../tests/stub/mod.rs"]
mod stub;

use bolt_pool::{OpenOptions, Pool, PoolConfig, Pools};
use criterion::{criterion_group, criterion_main, Criterion};

/// Checkout + return through a `Pool` and through `Pools`.
pub fn checkout(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (pool, pools, address) = rt.block_on(async {
        let stub = stub::start(bolt_proto::Version::V5_4, stub::default_answer).await;
        let address = stub.bolt_address();
        let pool = Pool::new(
            address.clone(),
            Default::default(),
            OpenOptions::default(),
            PoolConfig::default(),
        )
        .expect("pool");
        drop(pool.acquire().await.expect("first connection"));
        let pools = Pools::new(
            Default::default(),
            OpenOptions::default(),
            PoolConfig::default(),
        )
        .expect("pools");
        drop(pools.acquire(&address).await.expect("first connection"));
        (pool, pools, address)
    });

    c.bench_function("pool checkout+return (idle)", |b| {
        b.to_async(&rt).iter(|| async {
            let conn = pool.acquire().await.expect("idle connection");
            drop(conn);
        })
    });
    c.bench_function("pools checkout+return by address (idle)", |b| {
        b.to_async(&rt).iter(|| async {
            let conn = pools.acquire(&address).await.expect("idle connection");
            drop(conn);
        })
    });
    assert_eq!(
        pool.metrics().created,
        1,
        "the bench must not open connections"
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default();
    targets = checkout
}
criterion_main!(benches);
