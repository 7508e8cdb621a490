//! Steps the pool tests share, against the stub server and real ones
//! alike: run a query to its last record, check an acquisition timeout,
//! count the connections in use under concurrent acquirers.

#![allow(dead_code)]

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bolt_pool::{Connection, Pool, PoolError};
use bolt_proto::message::{Pull, Request, Response, Run};

/// Sends `run` with a PULL of everything and reads every answer: the first
/// field of the last record, an integer. Panics on a FAILURE.
pub async fn first_int(conn: &mut Connection, run: Run) -> i64 {
    conn.queue(&Request::Run(run)).unwrap();
    conn.queue(&Request::Pull(Pull::all())).unwrap();
    conn.flush().await.unwrap();
    let mut got = None;
    while conn.pending() > 0 {
        match conn.recv().await.unwrap() {
            Response::Record(r) => got = r.fields[0].as_int(),
            Response::Failure(f) => panic!("{f:?}"),
            _ => {}
        }
    }
    got.unwrap()
}

/// Asserts that `err` is the acquisition timeout.
pub fn assert_acquisition_timeout(err: &PoolError) {
    assert!(
        matches!(err, PoolError::AcquisitionTimeout { .. }),
        "{err:?}"
    );
}

/// With the only connection of `p` (pool size 1) held, a second
/// acquisition fails with the acquisition timeout, after at least
/// `timeout` and within `limit`.
pub async fn assert_second_acquisition_times_out(p: &Pool, timeout: Duration, limit: Duration) {
    let held = p.acquire().await.unwrap();
    let t = Instant::now();
    let err = p.acquire().await.unwrap_err();
    let took = t.elapsed();
    assert_acquisition_timeout(&err);
    assert!(took >= timeout && took < limit, "{took:?}");
    drop(held);
}

/// Starts `acquirers` tasks that each acquire a connection of `p`, run
/// `run` (which must return 1) and hold the connection `hold` longer;
/// waits for all and returns the most connections in use any of them saw.
pub async fn peak_in_use(p: &Pool, acquirers: usize, run: Run, hold: Duration) -> u32 {
    let peak = Arc::new(AtomicU32::new(0));
    let mut tasks = Vec::new();
    for _ in 0..acquirers {
        let (p, peak, run) = (p.clone(), peak.clone(), run.clone());
        tasks.push(tokio::spawn(async move {
            let mut c = p.acquire().await.unwrap();
            peak.fetch_max(p.metrics().in_use, Ordering::SeqCst);
            assert_eq!(first_int(&mut c, run).await, 1);
            if !hold.is_zero() {
                tokio::time::sleep(hold).await;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    peak.load(Ordering::SeqCst)
}
