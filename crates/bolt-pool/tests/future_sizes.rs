//! Guards against the checkout path growing large again: a pooled
//! connection and the futures of `acquire` / `release` are embedded in
//! (and moved with) every caller's future, once per auto-commit query.
//! Before the connection was boxed and the slow paths were, `acquire`'s
//! future was 4,304 bytes and a `PooledConnection` 672.

use std::mem::size_of_val;
use std::time::Duration;

use bolt_pool::{Pool, PooledConnection};

/// Generous (debug builds lay futures out larger than release builds):
/// the point is to catch the kilobytes coming back.
const LIMIT: usize = 512;

/// The size of the future `f` returns, without making one.
fn future_size<F: FnOnce(PooledConnection) -> Fut, Fut>(_: F) -> usize {
    std::mem::size_of::<Fut>()
}

#[test]
fn checkout_values_and_futures_stay_small() {
    assert!(std::mem::size_of::<PooledConnection>() <= 128);
    let release = future_size(|c| c.release());
    assert!(release <= LIMIT, "release: {release}");
    let close = future_size(|c| c.close());
    assert!(close <= LIMIT, "close: {close}");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        // Nothing listens here; the futures are measured, never polled.
        let pool = Pool::new(
            "127.0.0.1:9".parse().unwrap(),
            Default::default(),
            Default::default(),
            Default::default(),
        )
        .unwrap();
        let acquire = pool.acquire();
        assert!(
            size_of_val(&acquire) <= LIMIT,
            "acquire: {}",
            size_of_val(&acquire)
        );
        let within = pool.acquire_within(Duration::from_secs(1));
        assert!(
            size_of_val(&within) <= LIMIT,
            "acquire_within: {}",
            size_of_val(&within)
        );
        drop((acquire, within));
        let round_trip = async {
            if let Ok(conn) = pool.acquire().await {
                conn.release().await;
            }
        };
        assert!(
            size_of_val(&round_trip) <= LIMIT,
            "acquire + release: {}",
            size_of_val(&round_trip)
        );
    });
}
