//! Cluster members for the stub tests: the scripted Bolt server of
//! [`bolt_stub`] (each a [`Member`] on its own 127.0.0.1 port, logging the
//! requests it decoded and answering through a handler), the answers these
//! tests usually want from it, the `rt` map of a ROUTE answer, the
//! driver settings the stub tests share, and [`cut`] for cancellation
//! tests (also usable by the real-server suites through
//! `#[path = "../support/mod.rs"]`).
#![allow(dead_code, unused_imports)]

use std::future::Future;
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;

use bolt_proto::message::{Request, RequestKind};
use bolt_proto::Version;
use packstream::{Map, Value};

pub use bolt_stub::{failure, ok, record, start, success, Action};

/// A running member: [`bolt_stub::Stub`] under the name the routing tests
/// give it.
pub type Member = bolt_stub::Stub;

/// The driver settings of the stub tests: any credentials (members accept
/// all), a 2 s connection timeout, 5 s of retries.
pub fn config() -> neo4j::ConfigBuilder {
    neo4j::Config::builder()
        .with_auth(("neo4j", "pw"))
        .with_connection_timeout(Duration::from_secs(2))
        .with_max_retry_time(Duration::from_secs(5))
}

/// A `bolt://` driver to `m` with `config` (e.g. [`config`] changed).
pub fn bolt_driver(m: &Member, config: neo4j::ConfigBuilder) -> neo4j::Driver {
    neo4j::GraphDatabase::driver(format!("bolt://{}", m.address()), config.build().unwrap())
        .unwrap()
}

fn strings(v: &[String]) -> Value {
    Value::List(v.iter().map(|s| Value::from(s.as_str())).collect())
}

/// The `rt` map of a ROUTE answer.
pub fn rt(ttl: i64, db: &str, routers: &[String], readers: &[String], writers: &[String]) -> Value {
    let server = |role: &str, addrs: &[String]| {
        let mut m = Map::new();
        m.insert("role", role);
        m.insert("addresses", strings(addrs));
        Value::Map(m)
    };
    let mut m = Map::new();
    m.insert("ttl", ttl);
    m.insert("db", db);
    m.insert(
        "servers",
        Value::List(vec![
            server("ROUTE", routers),
            server("READ", readers),
            server("WRITE", writers),
        ]),
    );
    Value::Map(m)
}

/// HELLO/LOGON/RESET/BEGIN/COMMIT answered SUCCESS, RUN with `fields:
/// ["n"]`, PULL with one record `1` and a bookmark, GOODBYE closes.
pub fn default_answer(conn: usize, req: &Request) -> Action {
    match req.kind() {
        RequestKind::Hello => Action::Reply(vec![success(&[
            ("server", "Neo4j/5.0.0".into()),
            ("connection_id", format!("bolt-{conn}").into()),
        ])]),
        RequestKind::Run => Action::Reply(vec![success(&[("fields", vec!["n"].into())])]),
        RequestKind::Pull => {
            Action::Reply(vec![record(1), success(&[("bookmark", "bm:1".into())])])
        }
        RequestKind::Goodbye => Action::Close,
        _ => Action::Reply(vec![ok()]),
    }
}

/// A Bolt 5.0 member answering every request of `kind` with `answer()`,
/// the others with [`default_answer`].
pub async fn answering(
    kind: RequestKind,
    answer: impl Fn() -> Action + Send + Sync + 'static,
) -> Member {
    start(Version::V5_0, move |conn, req| {
        if req.kind() == kind {
            answer()
        } else {
            default_answer(conn, req)
        }
    })
    .await
}

/// Polls `fut` and drops it after exactly `k` `Poll::Pending`s (`k` = 0:
/// never polled). `None` when it was cut; its output when it completed
/// first.
pub async fn cut<F: Future>(fut: F, k: usize) -> Option<F::Output> {
    if k == 0 {
        return None;
    }
    let mut fut = pin!(fut);
    let mut pendings = 0;
    std::future::poll_fn(|cx| match fut.as_mut().poll(cx) {
        Poll::Ready(v) => Poll::Ready(Some(v)),
        Poll::Pending => {
            pendings += 1;
            if pendings == k {
                Poll::Ready(None)
            } else {
                Poll::Pending
            }
        }
    })
    .await
}
