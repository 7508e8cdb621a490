//! Cancellation against a scripted server that answers every request
//! after a short delay, so that every response the driver awaits is a
//! `Poll::Pending`: dropping the caller's future after `k` of them, for
//! `k` = 1, 2, ... until the work completes, cuts the work at every
//! await point in turn, deterministically (the real-server suite,
//! `tests/cancellation`, sees fewer: a local server often answers before
//! the driver waits). Each query's record is its own text, so a record
//! reaching another query is seen; every later call is bounded.

#[path = "support/mod.rs"]
mod support;

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bolt_proto::message::Request;
use bolt_proto::Version;
use neo4j::{params, Driver, Error, Session, TransactionConfig};
use support::{cut, default_answer, record, success, Action, Member};

/// The bound on every call after a cut.
const BOUND: Duration = Duration::from_secs(5);

async fn bounded<F: Future>(what: &str, fut: F) -> F::Output {
    tokio::time::timeout(BOUND, fut)
        .await
        .unwrap_or_else(|_| panic!("{what}: not done within {BOUND:?}"))
}

/// What the server keeps per connection: the statements of the current
/// transaction (or the last auto-commit one) and how often each was
/// pulled.
#[derive(Default)]
struct Statements {
    in_tx: bool,
    pulled: Vec<(String, usize)>,
}

/// A Bolt 5.0 server answering each request 2 ms late. Each PULL gets one
/// record, `<query text>#<batch>`, and `has_more` after the first batch:
/// every result has two batches.
async fn slow_server() -> Member {
    let conns: Arc<Mutex<HashMap<usize, Statements>>> = Arc::default();
    let delay = Duration::from_millis(2);
    support::start(Version::V5_0, move |conn, req| {
        let mut conns = conns.lock().unwrap();
        let st = conns.entry(conn).or_default();
        let answers = match req {
            Request::Run(r) => {
                if !st.in_tx {
                    st.pulled.clear();
                }
                st.pulled.push((r.query.clone(), 0));
                let qid = st.pulled.len() as i64 - 1;
                vec![success(&[
                    ("fields", vec!["n"].into()),
                    ("qid", qid.into()),
                ])]
            }
            Request::Pull(p) | Request::Discard(p) => {
                let last = st.pulled.len().saturating_sub(1);
                let at = p.qid.filter(|q| *q >= 0).map_or(last, |q| q as usize);
                let Some((query, batches)) = st.pulled.get_mut(at) else {
                    return Action::Reply(vec![support::failure(
                        "Neo.ClientError.Request.Invalid",
                        "no such statement",
                    )]);
                };
                *batches += 1;
                let more = *batches < 2 && matches!(req, Request::Pull(_));
                let mut out = Vec::new();
                if matches!(req, Request::Pull(_)) {
                    out.push(record(format!("{query}#{batches}")));
                }
                out.push(if more {
                    success(&[("has_more", true.into())])
                } else {
                    success(&[("bookmark", "bm:1".into())])
                });
                out
            }
            Request::Begin(_) => {
                st.in_tx = true;
                st.pulled.clear();
                vec![support::ok()]
            }
            Request::Commit | Request::Rollback | Request::Reset => {
                st.in_tx = false;
                st.pulled.clear();
                vec![success(&[("bookmark", "bm:1".into())])]
            }
            _ => match default_answer(conn, req) {
                Action::Reply(answers) => answers,
                other => return other,
            },
        };
        Action::Delayed(delay, answers)
    })
    .await
}

/// Checks that `recs` are `query`'s two batches, nothing else.
fn own(recs: &[neo4j::Record], query: &str, what: &str) {
    let got: Vec<String> = recs.iter().map(|r| r.get::<String>("n").unwrap()).collect();
    assert_eq!(
        got,
        [format!("{query}#1"), format!("{query}#2")],
        "{what}: another query's records"
    );
}

/// A `bolt://` driver with a pool of one connection: a leaked connection
/// fails the next acquisition (1 s).
fn driver(m: &Member) -> Driver {
    support::bolt_driver(
        m,
        support::config()
            .with_max_connection_pool_size(1)
            .with_connection_acquisition_timeout(Duration::from_secs(1))
            .with_max_retry_time(Duration::from_millis(200)),
    )
}

/// Runs `RETURN '<name>'` on `s` and checks its records are its own.
async fn verify(s: &mut Session, name: &str) {
    let q = format!("RETURN '{name}'");
    let recs = bounded(name, async {
        s.run(q.clone(), params! {}).await?.collect().await
    })
    .await
    .unwrap_or_else(|e| panic!("{name}: {e}"));
    own(&recs, &q, name);
}

/// Checks the session, then a new session of the driver.
async fn after(d: &Driver, mut s: Session, what: &str) {
    verify(&mut s, &format!("{what} same session")).await;
    bounded(what, s.close()).await.unwrap();
    let mut s = d.session(Default::default());
    verify(&mut s, &format!("{what} new session")).await;
    bounded(what, s.close()).await.unwrap();
}

/// Cuts `work` after k = 1, 2, ... pendings until it completes; returns
/// how many cuts were made.
async fn every_cut<W, Fut>(d: &Driver, what: &str, mut work: W) -> usize
where
    W: FnMut(Session, usize) -> Fut,
    Fut: Future<Output = (Session, bool)>,
{
    for k in 1..200 {
        let (s, done) = work(d.session(Default::default()), k).await;
        after(d, s, &format!("{what} k={k}")).await;
        if done {
            return k - 1;
        }
    }
    panic!("{what}: not done after 200 cuts");
}

#[tokio::test]
async fn every_await_point_can_be_cut_and_no_record_reaches_another_query() {
    let m = slow_server().await;
    let d = driver(&m);
    let auto = every_cut(&d, "auto-commit", |mut s, k| async move {
        let q = "RETURN 'cut'".to_owned();
        let done = cut(
            async { s.run(q.clone(), params! {}).await?.collect().await },
            k,
        )
        .await
        .map(|r| own(&r.unwrap(), &q, "cut query"))
        .is_some();
        (s, done)
    })
    .await;
    let explicit = every_cut(&d, "explicit", |mut s, k| async move {
        let q = "RETURN 'cut-tx'".to_owned();
        let done = cut(
            async {
                let tx = s.begin_transaction(TransactionConfig::new()).await?;
                let recs = tx.run(q.clone(), params! {}).await?.collect().await?;
                tx.run("RETURN 'second'", params! {})
                    .await?
                    .consume()
                    .await?;
                tx.commit().await?;
                Ok::<_, Error>(recs)
            },
            k,
        )
        .await
        .map(|r| own(&r.unwrap(), &q, "cut query"))
        .is_some();
        (s, done)
    })
    .await;
    let managed = every_cut(&d, "managed", |mut s, k| async move {
        let done = cut(
            s.execute_write(|tx| async move {
                let recs = tx
                    .run("RETURN 'cut-m'", params! {})
                    .await?
                    .collect()
                    .await?;
                tx.run("RETURN 'second'", params! {})
                    .await?
                    .consume()
                    .await?;
                Ok::<_, Error>(recs)
            }),
            k,
        )
        .await
        .map(|r| own(&r.unwrap(), "RETURN 'cut-m'", "cut query"))
        .is_some();
        (s, done)
    })
    .await;
    // Two results of an explicit transaction: the first one's read is
    // cut; the second must get its own records (or an error: the cut
    // ended the transaction), never the first one's.
    let two = every_cut(&d, "two results", |mut s, k| async move {
        let what = format!("two results k={k}");
        let tx = bounded(&what, s.begin_transaction(TransactionConfig::new()))
            .await
            .unwrap();
        let mut r1 = bounded(&what, tx.run("RETURN 'r1'", params! {}))
            .await
            .unwrap();
        let mut r2 = bounded(&what, tx.run("RETURN 'r2'", params! {}))
            .await
            .unwrap();
        let done = cut(
            async {
                while let Some(rec) = r1.next().await {
                    rec.unwrap();
                }
            },
            k,
        )
        .await
        .is_some();
        let rest = bounded(&what, async {
            let mut v = Vec::new();
            while let Some(rec) = r2.next().await {
                v.push(rec?);
            }
            Ok::<_, Error>(v)
        })
        .await;
        match rest {
            Ok(v) => own(&v, "RETURN 'r2'", &what),
            Err(e) => assert!(!done, "{what}: {e}"),
        }
        drop((r1, r2));
        bounded(&what, tx.rollback()).await.unwrap();
        (s, done)
    })
    .await;
    eprintln!(
        "cuts: auto-commit {auto}, explicit {explicit}, managed {managed}, two results {two}"
    );
    // Every answer is awaited: RUN and two PULLs; BEGIN, those, a second
    // query, COMMIT; the managed BEGIN's answer arrives with its first
    // query's.
    assert!(
        auto >= 3 && explicit >= 8 && managed >= 7 && two >= 1,
        "{auto} {explicit} {managed} {two}"
    );
    bounded("driver close", d.close()).await;
}

/// Records handed out before their batch's summary has arrived are no
/// cut: a managed transaction that reads one record and returns commits
/// normally. The proxy holds back PULL's SUCCESS, so the driver returns
/// the record before the summary is read. (Failed before its fix: the
/// mark of the wait stayed, COMMIT reset the connection instead, and the
/// transaction failed as cancelled — TestKit's retry tests found it.)
#[tokio::test]
async fn records_handed_out_before_their_summary_are_no_cut() {
    let m = slow_server().await;
    let plan: bolt_proxy::FaultPlan = "delay=100ms@PULL.SUCCESS".parse().unwrap();
    let proxy = bolt_proxy::Proxy::bind("127.0.0.1:0", m.address().to_string(), plan)
        .await
        .unwrap();
    let d = neo4j::GraphDatabase::driver(
        format!("bolt://{}", proxy.local_addr()),
        support::config()
            .with_max_connection_pool_size(1)
            .with_connection_acquisition_timeout(Duration::from_secs(1))
            .build()
            .unwrap(),
    )
    .unwrap();
    let mut s = d.session(Default::default());
    let got = bounded(
        "execute_write",
        s.execute_write(|tx| async move {
            let mut r = tx.run("RETURN 'one'", params! {}).await?;
            let rec = r.next().await.transpose()?;
            Ok::<_, Error>(rec.map(|r| r.get::<String>("n").unwrap()))
        }),
    )
    .await
    .unwrap_or_else(|e| panic!("the transaction failed: {e}"));
    assert_eq!(got.as_deref(), Some("RETURN 'one'#1"));
    verify(&mut s, "after the transaction").await;
    bounded("close", s.close()).await.unwrap();
    d.close().await;
}
