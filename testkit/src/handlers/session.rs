//! One task per session ("actor"): it owns the [`Session`] and everything
//! that borrows it (an explicit transaction, the open result), and serves
//! the requests addressed to them one at a time.
//!
//! The facade's transactions and record streams borrow their session, so
//! they live on this task's stack: a request for something else ends the
//! borrow (the open result is discarded, an open transaction dropped) and
//! is handled one level up. Managed transactions run the session's retry
//! loop with a closure that serves TestKit's requests until
//! `RetryablePositive`/`RetryableNegative`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use neo4j::{AccessMode, Error, Query, RecordStream, Session, TransactionConfig};
use serde_json::{json, Value as Json};
use tokio::sync::{mpsc, oneshot, Mutex};

use crate::cypher::{check_zones, from_value, to_value_map};
use crate::errors::{backend, Failure};
use crate::link::Link;
use crate::protocol::requests::{JsonMap, Request};
use crate::protocol::responses::Response;
use crate::protocol::Id;

use super::summary::summary;

/// The answer to one forwarded request.
pub(crate) type Reply = Result<Response, Failure>;

/// A request forwarded to a session task, with its reply channel.
pub(crate) struct Envelope {
    pub(crate) req: Request,
    /// For `RetryableNegative`: the stored driver error it names.
    pub(crate) error: Option<Error>,
    pub(crate) reply: oneshot::Sender<Reply>,
}

type Inbox = Arc<Mutex<mpsc::UnboundedReceiver<Envelope>>>;

async fn recv(inbox: &Inbox) -> Option<Envelope> {
    inbox.lock().await.recv().await
}

fn answer(env: Envelope, r: Reply) {
    let _ = env.reply.send(r);
}

fn record(rec: &neo4j::Record) -> Json {
    json!({"values": rec.values().iter().map(from_value).collect::<Vec<_>>()})
}

fn params(p: &Option<JsonMap>) -> Result<neo4j::Params, Failure> {
    match p {
        None => Ok(neo4j::Params::new()),
        Some(m) => to_value_map(m).map(Into::into).map_err(backend),
    }
}

/// TestKit's transaction options as a [`TransactionConfig`].
pub(crate) fn tx_config(
    meta: &Option<JsonMap>,
    timeout: &Option<Json>,
) -> Result<TransactionConfig, Failure> {
    let mut c = TransactionConfig::new();
    if let Some(m) = meta {
        c = c.with_metadata(neo4j::Params::from(to_value_map(m).map_err(backend)?));
    }
    match timeout {
        None | Some(Json::Null) => {}
        Some(t) => {
            let ms = t
                .as_f64()
                .ok_or_else(|| backend(format!("timeout is not a number: {t}")))?;
            if ms < 0.0 {
                return Err(Failure::Driver(Error::Usage(format!(
                    "the transaction timeout must not be negative: {ms} ms"
                ))));
            }
            c = c.with_timeout(Duration::from_secs_f64(ms / 1000.0));
        }
    }
    Ok(c)
}

/// What became of results that are no longer open.
#[derive(Default)]
struct Finished {
    /// Consumed results: their summary, returned again on a second consume.
    summaries: HashMap<Id, Json>,
    /// Results read to their end and then closed by the backend (not by
    /// TestKit): they still answer like an exhausted result.
    drained: HashMap<Id, Json>,
    /// Auto-commit results read to their end by the backend because the
    /// session ran another query (as the 5.x drivers buffer them): the
    /// records not yet handed out, then the failure or the summary.
    buffered: HashMap<Id, Buffered>,
}

/// The rest of a result the backend read ahead.
struct Buffered {
    records: std::collections::VecDeque<Vec<Json>>,
    error: Option<Error>,
    summary: Option<Json>,
}

impl Buffered {
    /// Reads the rest of `stream`.
    async fn read(mut stream: RecordStream<'_>) -> Buffered {
        let mut records = std::collections::VecDeque::new();
        let mut error = None;
        while let Some(r) = stream.next().await {
            match r {
                Ok(rec) => records.push_back(rec.values().iter().map(from_value).collect()),
                Err(e) => {
                    error = Some(e);
                    break;
                }
            }
        }
        let summary = match error {
            None => stream.consume().await.ok().map(|s| summary(&s)),
            Some(_) => None,
        };
        Buffered {
            records,
            error,
            summary,
        }
    }

    /// Answers a result request from the buffer.
    fn answer(&mut self, req: &Request) -> Reply {
        let failed = |b: &mut Buffered| {
            Err(Failure::Driver(
                b.error.take().unwrap_or(Error::ResultConsumed),
            ))
        };
        match req {
            Request::ResultNext { .. } => match self.records.pop_front() {
                Some(values) => Ok(Response::Record { values }),
                None if self.error.is_some() => failed(self),
                None => Ok(Response::NullRecord {}),
            },
            Request::ResultPeek { .. } => match self.records.front() {
                Some(values) => Ok(Response::Record {
                    values: values.clone(),
                }),
                None if self.error.is_some() => failed(self),
                None => Ok(Response::NullRecord {}),
            },
            Request::ResultList { .. } if self.error.is_some() => failed(self),
            Request::ResultList { .. } => Ok(Response::RecordList {
                records: self
                    .records
                    .drain(..)
                    .map(|values| json!({ "values": values }))
                    .collect(),
            }),
            Request::ResultSingle { .. } => {
                let n = self.records.len();
                match self.records.pop_front() {
                    _ if self.error.is_some() => failed(self),
                    Some(values) if n == 1 => Ok(Response::Record { values }),
                    Some(_) => {
                        self.records.clear();
                        Err(Failure::Driver(Error::ResultNotSingle(
                            "the result has more than one record".into(),
                        )))
                    }
                    None => Err(Failure::Driver(Error::ResultNotSingle(
                        "the result is empty".into(),
                    ))),
                }
            }
            Request::ResultConsume { .. } => {
                self.records.clear();
                match self.summary.clone() {
                    Some(s) => Ok(Response::Summary(s)),
                    None => failed(self),
                }
            }
            Request::ResultSingleOptional { .. } if self.error.is_some() => failed(self),
            Request::ResultSingleOptional { .. } => {
                let first = self.records.pop_front();
                let mut warnings = Vec::new();
                if first.is_some() && !self.records.is_empty() {
                    self.records.clear();
                    warnings
                        .push("expected at most one record, but the result had multiple".into());
                }
                Ok(Response::RecordOptional {
                    record: first.map(|values| json!({ "values": values })),
                    warnings,
                })
            }
            _ => Err(backend("not a result request")),
        }
    }
}

impl Finished {
    /// Answers a result request for a result that is no longer open.
    fn answer(&mut self, env: Envelope) {
        let id = match &env.req {
            Request::ResultNext { result_id }
            | Request::ResultPeek { result_id }
            | Request::ResultSingle { result_id }
            | Request::ResultSingleOptional { result_id }
            | Request::ResultList { result_id }
            | Request::ResultConsume { result_id } => *result_id,
            _ => return answer(env, Err(backend("not a result request"))),
        };
        if let Some(b) = self.buffered.get_mut(&id) {
            let r = b.answer(&env.req);
            return answer(env, r);
        }
        let r = match (&env.req, self.summaries.get(&id), self.drained.get(&id)) {
            (Request::ResultConsume { .. }, Some(s), _)
            | (Request::ResultConsume { .. }, _, Some(s)) => Ok(Response::Summary(s.clone())),
            (Request::ResultNext { .. } | Request::ResultPeek { .. }, None, Some(_)) => {
                Ok(Response::NullRecord {})
            }
            (Request::ResultList { .. }, None, Some(_)) => {
                Ok(Response::RecordList { records: vec![] })
            }
            _ => Err(Failure::Driver(Error::ResultConsumed)),
        };
        answer(env, r);
    }
}

/// Serves requests for the open result `id` until one for something else
/// arrives (returned; the stream is dropped, which discards it) or the
/// connection ends (`None`).
///
/// `bookmarks` are the session's bookmarks while this result is open:
/// `SessionLastBookmarks` is answered with them without ending the result
/// (the session is borrowed). In an auto-commit result that has reached
/// its end, the result is consumed first and the session answers.
async fn result_loop(
    stream: RecordStream<'_>,
    id: Id,
    inbox: &Inbox,
    finished: &mut Finished,
    bookmarks: &[String],
    autocommit: bool,
) -> Option<Envelope> {
    let mut stream = Some(stream);
    let mut exhausted = false;
    loop {
        let env = recv(inbox).await?;
        if let Request::SessionLastBookmarks { .. } = env.req {
            if autocommit && (exhausted || stream.is_none()) {
                if let Some(st) = stream.take() {
                    if let Ok(sum) = st.consume().await {
                        finished.drained.insert(id, summary(&sum));
                    }
                }
                return Some(env);
            }
            let bookmarks = bookmarks.to_vec();
            answer(env, Ok(Response::Bookmarks { bookmarks }));
            continue;
        }
        let rid = match &env.req {
            Request::ResultNext { result_id }
            | Request::ResultPeek { result_id }
            | Request::ResultSingle { result_id }
            | Request::ResultSingleOptional { result_id }
            | Request::ResultList { result_id }
            | Request::ResultConsume { result_id } => *result_id,
            Request::SessionRun { .. } if autocommit => {
                // A query after this one: read this result to its end
                // first, so that it stays readable.
                if let Some(st) = stream.take() {
                    finished.buffered.insert(id, Buffered::read(st).await);
                }
                return Some(env);
            }
            _ => return Some(env),
        };
        if rid != id {
            finished.answer(env);
            continue;
        }
        if stream.is_none() {
            finished.answer(env);
            continue;
        }
        let (r, done) = result_request(&mut stream, id, &env.req, finished).await;
        exhausted |= done;
        answer(env, r);
    }
}

/// Answers the result request `req` for the open result `id` (taken out
/// of `stream` when consumed); also says whether the result is now read to
/// its end.
async fn result_request(
    stream: &mut Option<RecordStream<'_>>,
    id: Id,
    req: &Request,
    finished: &mut Finished,
) -> (Reply, bool) {
    let mut exhausted = false;
    let r = match (req, stream.as_mut()) {
        (_, None) => Err(Failure::Driver(Error::ResultConsumed)),
        (Request::ResultNext { .. }, Some(s)) => match s.next().await {
            Some(Ok(rec)) => record_response(&rec),
            Some(Err(e)) => Err(Failure::Driver(e)),
            None => {
                exhausted = true;
                Ok(Response::NullRecord {})
            }
        },
        (Request::ResultPeek { .. }, Some(s)) => match s.peek().await {
            Some(Ok(rec)) => record_response(rec),
            Some(Err(e)) => Err(Failure::Driver(e)),
            None => {
                exhausted = true;
                Ok(Response::NullRecord {})
            }
        },
        (Request::ResultSingle { .. }, Some(s)) => {
            exhausted = true;
            single(s).await
        }
        (Request::ResultList { .. }, Some(s)) => {
            // RecordStream::list pulls the rest at once (PULL n = -1).
            let listed = s.list().await;
            exhausted = true;
            match listed {
                Ok(recs) => Ok(Response::RecordList {
                    records: recs.iter().map(record).collect(),
                }),
                Err(e) => Err(Failure::Driver(e)),
            }
        }
        (Request::ResultSingleOptional { .. }, Some(s)) => {
            exhausted = true;
            single_optional(s).await
        }
        (Request::ResultConsume { .. }, Some(_)) => match stream.take() {
            Some(st) => match st.consume().await {
                Ok(sum) => {
                    let j = summary(&sum);
                    finished.summaries.insert(id, j.clone());
                    Ok(Response::Summary(j))
                }
                Err(e) => Err(Failure::Driver(e)),
            },
            None => Err(Failure::Driver(Error::ResultConsumed)),
        },
        _ => Err(backend("internal: request routed to the wrong handler")),
    };
    (r, exhausted)
}

/// A record as TestKit's `Record`; a zoned date-time whose zone the
/// time-zone database does not know fails, as it would for an application
/// turning it into a `chrono_tz` date-time.
fn record_response(rec: &neo4j::Record) -> Reply {
    for v in rec.values() {
        check_zones(v)
            .map_err(|message| Failure::Driver(Error::Conversion { key: None, message }))?;
    }
    Ok(Response::Record {
        values: rec.values().iter().map(from_value).collect(),
    })
}

/// `ResultSingleOptional`: the record (if any) and the facade's warnings.
async fn single_optional(s: &mut RecordStream<'_>) -> Reply {
    let found = s.single_optional().await.map_err(Failure::Driver)?;
    let record = match &found.record {
        Some(rec) => match record_response(rec)? {
            Response::Record { values } => Some(json!({ "values": values })),
            _ => None,
        },
        None => None,
    };
    Ok(Response::RecordOptional {
        record,
        warnings: found.warnings,
    })
}

/// `ResultSingle`: exactly one record left, else an error (the rest is
/// discarded).
async fn single(s: &mut RecordStream<'_>) -> Reply {
    let first = match s.next().await {
        Some(Ok(r)) => r,
        Some(Err(e)) => return Err(Failure::Driver(e)),
        None => {
            return Err(Failure::Driver(Error::ResultNotSingle(
                "the result is empty".into(),
            )))
        }
    };
    match s.peek().await {
        None => record_response(&first),
        Some(Err(e)) => Err(Failure::Driver(e)),
        Some(Ok(_)) => {
            while let Some(r) = s.next().await {
                if let Err(e) = r {
                    return Err(Failure::Driver(e));
                }
            }
            Err(Failure::Driver(Error::ResultNotSingle(
                "the result has more than one record".into(),
            )))
        }
    }
}

/// Serves the explicit transaction `id` (and its results) until it ends
/// (`None` when ended by commit/rollback/close or the connection closing)
/// or a request for something else arrives (returned; the transaction is
/// dropped, which rolls it back).
async fn tx_loop(
    tx: neo4j::Transaction<'_>,
    id: Id,
    inbox: &Inbox,
    link: &Link,
    finished: &mut Finished,
    bookmarks: &[String],
) -> Option<Envelope> {
    // Every result of the transaction stays open until consumed or the
    // transaction ends (they borrow it).
    let mut open: HashMap<Id, Option<RecordStream<'_>>> = HashMap::new();
    loop {
        let env = recv(inbox).await?;
        match &env.req {
            // The session is borrowed by the transaction; its bookmarks
            // cannot change before the commit.
            Request::SessionLastBookmarks { .. } => {
                let bookmarks = bookmarks.to_vec();
                answer(env, Ok(Response::Bookmarks { bookmarks }));
            }
            Request::TransactionRun {
                tx_id,
                cypher,
                params: p,
            } if *tx_id == id => {
                let p = match params(p) {
                    Ok(p) => p,
                    Err(f) => {
                        answer(env, Err(f));
                        continue;
                    }
                };
                match tx.run(cypher.clone(), p).await {
                    Ok(stream) => {
                        let rid = link.next_id();
                        let keys = stream.keys().to_vec();
                        answer(env, Ok(Response::Result { id: rid, keys }));
                        open.insert(rid, Some(stream));
                    }
                    Err(e) => answer(env, Err(Failure::Driver(e))),
                }
            }
            Request::TransactionCommit { tx_id } if *tx_id == id => {
                drop(open);
                let r = tx.commit().await;
                answer(
                    env,
                    r.map(|()| Response::Transaction { id }).map_err(Into::into),
                );
                return None;
            }
            Request::TransactionRollback { tx_id } if *tx_id == id => {
                drop(open);
                let r = tx.rollback().await;
                answer(
                    env,
                    r.map(|()| Response::Transaction { id }).map_err(Into::into),
                );
                return None;
            }
            Request::TransactionClose { tx_id } if *tx_id == id => {
                drop(open);
                let r = tx.close().await;
                answer(
                    env,
                    r.map(|()| Response::Transaction { id }).map_err(Into::into),
                );
                return None;
            }
            Request::ResultNext { result_id }
            | Request::ResultPeek { result_id }
            | Request::ResultSingle { result_id }
            | Request::ResultSingleOptional { result_id }
            | Request::ResultList { result_id }
            | Request::ResultConsume { result_id } => {
                let rid = *result_id;
                match open.get_mut(&rid) {
                    Some(stream) if stream.is_some() => {
                        let (r, _) = result_request(stream, rid, &env.req, finished).await;
                        answer(env, r);
                    }
                    _ => finished.answer(env),
                }
            }
            _ => return Some(env),
        }
    }
}

fn last_bookmarks(session: &Session) -> Vec<String> {
    session
        .last_bookmarks()
        .raw_values()
        .map(str::to_owned)
        .collect()
}

/// Answers requests for transactions that are no longer open.
fn ended_tx(env: Envelope) {
    let r = match &env.req {
        Request::TransactionClose { tx_id } => Ok(Response::Transaction { id: *tx_id }),
        _ => Err(Failure::Driver(Error::Usage(
            "the transaction is no longer open".into(),
        ))),
    };
    answer(env, r);
}

/// The session task: serves requests until `SessionClose` or the end of
/// the connection.
pub(crate) async fn run(
    mut session: Session,
    id: Id,
    inbox: mpsc::UnboundedReceiver<Envelope>,
    link: Arc<Link>,
) {
    let inbox: Inbox = Arc::new(Mutex::new(inbox));
    let mut finished = Finished::default();
    let mut pending: Option<Envelope> = None;
    loop {
        let env = match pending.take() {
            Some(e) => e,
            None => match recv(&inbox).await {
                Some(e) => e,
                None => break,
            },
        };
        match &env.req {
            Request::SessionRun {
                cypher,
                params: p,
                tx_meta,
                timeout,
                ..
            } => {
                let prepared = params(p).and_then(|p| Ok((p, tx_config(tx_meta, timeout)?)));
                let (p, cfg) = match prepared {
                    Ok(x) => x,
                    Err(f) => {
                        answer(env, Err(f));
                        continue;
                    }
                };
                let q = Query::new(cypher.clone()).with_params(p);
                let bookmarks = last_bookmarks(&session);
                match session.run_with_config(q, cfg).await {
                    Ok(stream) => {
                        let rid = link.next_id();
                        let keys = stream.keys().to_vec();
                        answer(env, Ok(Response::Result { id: rid, keys }));
                        pending =
                            result_loop(stream, rid, &inbox, &mut finished, &bookmarks, true).await;
                        if pending.is_none() {
                            break;
                        }
                    }
                    Err(e) => answer(env, Err(Failure::Driver(e))),
                }
            }
            Request::SessionBeginTransaction {
                tx_meta, timeout, ..
            } => {
                let cfg = match tx_config(tx_meta, timeout) {
                    Ok(c) => c,
                    Err(f) => {
                        answer(env, Err(f));
                        continue;
                    }
                };
                let bookmarks = last_bookmarks(&session);
                match session.begin_transaction(cfg).await {
                    Ok(tx) => {
                        let tid = link.next_id();
                        answer(env, Ok(Response::Transaction { id: tid }));
                        pending = tx_loop(tx, tid, &inbox, &link, &mut finished, &bookmarks).await;
                    }
                    Err(e) => answer(env, Err(Failure::Driver(e))),
                }
            }
            Request::SessionReadTransaction {
                tx_meta, timeout, ..
            }
            | Request::SessionWriteTransaction {
                tx_meta, timeout, ..
            } => {
                let mode = if matches!(env.req, Request::SessionReadTransaction { .. }) {
                    AccessMode::Read
                } else {
                    AccessMode::Write
                };
                let cfg = match tx_config(tx_meta, timeout) {
                    Ok(c) => c,
                    Err(f) => {
                        answer(env, Err(f));
                        continue;
                    }
                };
                if managed(&mut session, mode, cfg, env, &inbox, &link)
                    .await
                    .is_none()
                {
                    break;
                }
            }
            Request::SessionLastBookmarks { .. } => {
                let bookmarks = last_bookmarks(&session);
                answer(env, Ok(Response::Bookmarks { bookmarks }));
            }
            Request::SessionClose { .. } => {
                let r = session.close().await;
                answer(
                    env,
                    r.map(|()| Response::Session { id }).map_err(Into::into),
                );
                return;
            }
            Request::TransactionRun { .. }
            | Request::TransactionCommit { .. }
            | Request::TransactionRollback { .. }
            | Request::TransactionClose { .. } => ended_tx(env),
            Request::ResultNext { .. }
            | Request::ResultPeek { .. }
            | Request::ResultSingle { .. }
            | Request::ResultSingleOptional { .. }
            | Request::ResultList { .. }
            | Request::ResultConsume { .. } => finished.answer(env),
            Request::RetryablePositive { .. } | Request::RetryableNegative { .. } => answer(
                env,
                Err(backend(
                    "no transaction function is running in this session",
                )),
            ),
            _ => answer(env, Err(backend("request not handled by a session"))),
        }
    }
    // Connection gone: close quietly, within a deadline.
    let _ = tokio::time::timeout(Duration::from_secs(5), session.close()).await;
}

/// A `Session{Read,Write}Transaction`: runs the facade's retry loop; each
/// attempt sends `RetryableTry` and serves TestKit's requests until
/// `RetryablePositive` (commit) or `RetryableNegative` (fail the attempt).
/// Returns `None` when the connection ended meanwhile.
async fn managed(
    session: &mut Session,
    mode: AccessMode,
    cfg: TransactionConfig,
    env: Envelope,
    inbox: &Inbox,
    link: &Arc<Link>,
) -> Option<()> {
    // Who gets the next answer: the request that started the loop, then
    // the Retryable* request that ended the last attempt.
    let reply = Arc::new(std::sync::Mutex::new(Some(env.reply)));
    // The message of a TestKit-side (client) error that ended an attempt.
    let client_error: Arc<std::sync::Mutex<Option<String>>> = Default::default();
    let closed = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let bookmarks: Arc<[String]> = last_bookmarks(session).into();
    let take_reply = |r: &std::sync::Mutex<Option<oneshot::Sender<Reply>>>| {
        r.lock().unwrap_or_else(|p| p.into_inner()).take()
    };
    let put_reply = |r: &std::sync::Mutex<Option<oneshot::Sender<Reply>>>, s| {
        *r.lock().unwrap_or_else(|p| p.into_inner()) = Some(s);
    };
    let result = session
        .execute_with_config(mode, cfg, |tx| {
            let reply = Arc::clone(&reply);
            let client_error = Arc::clone(&client_error);
            let closed = Arc::clone(&closed);
            let inbox = Arc::clone(inbox);
            let link = Arc::clone(link);
            let bookmarks = Arc::clone(&bookmarks);
            async move {
                let tx_id = link.next_id();
                if let Some(r) = take_reply(&reply) {
                    let _ = r.send(Ok(Response::RetryableTry { id: tx_id }));
                }
                let mut finished = Finished::default();
                let mut pending = None;
                loop {
                    let env = match pending.take() {
                        Some(e) => e,
                        None => match recv(&inbox).await {
                            Some(e) => e,
                            None => {
                                closed.store(true, std::sync::atomic::Ordering::Relaxed);
                                return Err(Error::Usage("the TestKit connection closed".into()));
                            }
                        },
                    };
                    match env.req {
                        Request::TransactionRun {
                            tx_id: t,
                            ref cypher,
                            params: ref p,
                        } if t == tx_id => {
                            let p = match params(p) {
                                Ok(p) => p,
                                Err(f) => {
                                    answer(env, Err(f));
                                    continue;
                                }
                            };
                            match tx.run(cypher.clone(), p).await {
                                Ok(stream) => {
                                    let rid = link.next_id();
                                    let keys = stream.keys().to_vec();
                                    answer(env, Ok(Response::Result { id: rid, keys }));
                                    pending = result_loop(
                                        stream,
                                        rid,
                                        &inbox,
                                        &mut finished,
                                        &bookmarks,
                                        false,
                                    )
                                    .await;
                                }
                                Err(e) => answer(env, Err(Failure::Driver(e))),
                            }
                        }
                        Request::SessionLastBookmarks { .. } => {
                            let bookmarks = bookmarks.to_vec();
                            answer(env, Ok(Response::Bookmarks { bookmarks }));
                        }
                        Request::RetryablePositive { .. } => {
                            put_reply(&reply, env.reply);
                            return Ok(());
                        }
                        Request::RetryableNegative { ref error_id, .. } => {
                            let from_error = env.error;
                            let error_id = error_id.clone();
                            put_reply(&reply, env.reply);
                            return Err(match from_error {
                                Some(e) => e,
                                None => {
                                    let msg = format!(
                                        "error raised by the TestKit transaction function (errorId {error_id})"
                                    );
                                    *client_error.lock().unwrap_or_else(|p| p.into_inner()) =
                                        Some(msg.clone());
                                    Error::Usage(msg)
                                }
                            });
                        }
                        Request::ResultNext { .. }
                        | Request::ResultPeek { .. }
                        | Request::ResultSingle { .. }
                        | Request::ResultSingleOptional { .. }
                        | Request::ResultList { .. }
                        | Request::ResultConsume { .. } => finished.answer(env),
                        Request::TransactionCommit { .. }
                        | Request::TransactionRollback { .. }
                        | Request::TransactionClose { .. } => answer(
                            env,
                            Err(Failure::Driver(Error::Usage(
                                "a managed transaction is committed or rolled back by the driver"
                                    .into(),
                            ))),
                        ),
                        _ => answer(
                            env,
                            Err(backend("request not allowed inside a transaction function")),
                        ),
                    }
                }
            }
        })
        .await;
    if closed.load(std::sync::atomic::Ordering::Relaxed) {
        return None;
    }
    let r = match result {
        Ok(()) => Ok(Response::RetryableDone {}),
        Err(e) => match client_error
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        {
            Some(msg) if matches!(e, Error::Usage(_)) => Err(Failure::Frontend(msg)),
            _ => Err(Failure::Driver(e)),
        },
    };
    if let Some(s) = take_reply(&reply) {
        let _ = s.send(r);
    }
    Some(())
}
