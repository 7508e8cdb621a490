//! The connection a session (or transaction) holds for one unit of work,
//! with what is still owed on it: a pipelined BEGIN awaiting its answer,
//! an abandoned result to discard, the bookmark of the last commit.
//!
//! Owns the Bolt exchanges shared by sessions and transactions: BEGIN,
//! COMMIT, ROLLBACK (as messages from 3.0, as `RUN "BEGIN"` etc. on Bolt
//! 1–2), draining abandoned results, and giving the connection back.

use std::sync::Arc;

use bolt_pool::PooledConnection;
use bolt_proto::message::{
    Begin, EncodedMap, Pull, Request, RequestKind, ResponseRef, Run, Telemetry, TxExtra,
};
use bolt_proto::state::ServerState;
use bolt_proto::structure::StructCtx;

use crate::address::ServerAddress;
use crate::bookmarks::Bookmarks;
use crate::driver::auth::{on_security_error, AuthHook};
use crate::driver::errors::{from_failure, unexpected_ignored};
use crate::error::Error;
use crate::params::{encode_params, Params};
use crate::result::ServerInfo;
use crate::transaction::TransactionConfig;
use crate::value::wire::encode_map;

/// Where the slot's transaction stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum TxState {
    /// No explicit transaction: auto-commit work.
    #[default]
    None,
    /// BEGIN sent (maybe not yet answered).
    Open,
    /// A query of the transaction failed; only rollback is possible.
    Failed,
}

/// A connection borrowed from the pool for a unit of work.
#[derive(Default)]
pub(crate) struct Slot {
    pub(crate) conn: Option<PooledConnection>,
    /// Responses owed to requests queued before the current RUN (a
    /// pipelined BEGIN: 1, or 2 for Bolt 1–2's `RUN "BEGIN"` + DISCARD).
    pub(crate) pre_responses: usize,
    pub(crate) tx: TxState,
    /// The bookmark of the last commit (explicit or auto-commit) not yet
    /// taken by the session.
    pub(crate) new_bookmark: NewBookmark,
    /// Whether the last transaction error was retryable (managed
    /// transactions decide on retries with it).
    pub(crate) saw_retryable: bool,
    /// Routing drivers: where failures of this connection are reported
    /// (they update the routing tables).
    pub(crate) route: Option<crate::routing::RouteHook>,
    /// The driver API code (Bolt 5.4+ TELEMETRY) owed with the next BEGIN
    /// or auto-commit RUN; cleared once the server acknowledged it, so a
    /// retried managed transaction sends it only until it got through.
    /// It outlives the connection: a retry on a new one sends it again.
    pub(crate) telemetry: Option<i64>,
    /// How many RUNs the open transaction has sent: a result of the
    /// transaction opened before the latest RUN must name its `qid` when it
    /// pulls more (Bolt 4.0+).
    pub(crate) run_seq: u64,
    /// The results of the open transaction the server still streams
    /// (`seq`, `qid`), oldest first: ending the transaction discards each
    /// by its `qid`, as a DISCARD without one addresses only the latest
    /// RUN's result, which may be finished while an earlier one is open
    /// (Neo4j: "No such statement").
    pub(crate) open_results: Vec<(u64, Option<i64>)>,
    /// The failure that ended the open transaction: results opened before
    /// it report it again instead of pulling more.
    pub(crate) tx_failure: Option<Error>,
    /// The database a Bolt 5.8+ server named in a BEGIN or auto-commit
    /// RUN SUCCESS (the resolved home database when none was sent), not
    /// yet taken by the session.
    pub(crate) resolved_db: Option<String>,
    /// Where security failures of this connection are reported (the
    /// driver's auth token manager, when the connection uses its token).
    pub(crate) auth: AuthHook,
    /// The result (its `seq`; 0 outside explicit transactions) whose
    /// exchange with the server was abandoned midway: set while a RUN's
    /// answer or a batch is awaited, cleared when the wait ends (both by
    /// [`while_cut!`]), so it stays set only when the caller's future was
    /// dropped during the wait.
    /// The next exchange RESETs the connection instead of waiting for
    /// the abandoned work (see [`Slot::drain`]).
    pub(crate) cut: Option<u64>,
}

/// What the driver keeps with each pooled connection (its
/// [`user_data_mut`](bolt_pool::Connection::user_data_mut)): made once,
/// shared by the results of every query on it, whichever session runs it.
#[derive(Default)]
pub(crate) struct ConnCache {
    /// The connection's server, for results and summaries.
    pub(crate) server: Option<Arc<ServerInfo>>,
    /// The keys of the last result, shared by the next one when RUN names
    /// the same (a query run again).
    pub(crate) keys: Option<Arc<[String]>>,
    /// The last BEGIN, kept so the next one is filled in place (its
    /// metadata's buffers reused, see [`TxContext::fill`], which sets
    /// every field a session's config decides); always a
    /// `Request::Begin`. Kept here, not in the session, so that a new
    /// session reuses it and sessions stay small to move.
    begin: Option<Box<Request>>,
    /// The last RUN, kept likewise; always a `Request::Run`, emptied of
    /// its text and parameters once encoded.
    pub(crate) run: Option<Box<Request>>,
}

/// The connection's [`ConnCache`], made on first use (`None` only if the
/// connection holds another type's data, which nothing here puts there).
pub(crate) fn conn_cache(conn: &mut PooledConnection) -> Option<&mut ConnCache> {
    let data = conn.user_data_mut();
    if data.is_none() {
        *data = Some(Box::<ConnCache>::default());
    }
    data.as_mut().and_then(|d| d.downcast_mut::<ConnCache>())
}

/// A commit's bookmark on its way to the session, written into a buffer
/// kept for it: the string the session gave back when the bookmark it
/// held was replaced (no allocation per commit).
#[derive(Default)]
pub(crate) struct NewBookmark {
    value: Option<String>,
    spare: String,
}

impl NewBookmark {
    /// Notes `b` (copied into the spare buffer).
    pub(crate) fn set(&mut self, b: &str) {
        let mut buf = std::mem::take(&mut self.spare);
        buf.clear();
        buf.push_str(b);
        if let Some(old) = self.value.replace(buf) {
            self.spare = old;
        }
    }

    /// Notes `b`, already owned.
    pub(crate) fn set_owned(&mut self, b: String) {
        if let Some(old) = self.value.replace(b) {
            self.spare = old;
        }
    }

    pub(crate) fn get(&self) -> Option<&str> {
        self.value.as_deref()
    }

    pub(crate) fn take(&mut self) -> Option<String> {
        self.value.take()
    }

    /// Keeps `buf` as the buffer of the next bookmark.
    pub(crate) fn recycle(&mut self, buf: String) {
        self.spare = buf;
    }
}

/// The error of work on a slot that holds no connection.
pub(crate) fn closed() -> Error {
    Error::Usage("the transaction is closed".into())
}

/// `while_cut!(slot.cut, seq, wait)`: awaits `wait`, an exchange of the
/// result `seq` with the server, with the slot's [`cut`](Slot::cut) mark
/// set for exactly that long. A caller's future dropped during the wait
/// leaves the mark set; however the wait ends (an answer, an error) it is
/// cleared, so no exit path of the caller can leave it behind. The field
/// is named alone so that `wait` may borrow the slot's connection. A
/// macro, not an async fn: a wrapping future would grow every query's
/// future (by 160 bytes, `run`'s in a debug build).
macro_rules! while_cut {
    ($cut:expr, $seq:expr, $wait:expr) => {{
        $cut = Some($seq);
        let got = $wait.await;
        $cut = None;
        got
    }};
}
pub(crate) use while_cut;

/// The error of a transaction that was reset because one of its
/// operations was cancelled while the server worked on it.
pub(crate) fn cancelled() -> Error {
    Error::Usage(
        "the transaction was rolled back: one of its operations was cancelled (its future \
         dropped) while the server worked on it"
            .into(),
    )
}

/// The error `e` once more, for every later operation of a failed
/// transaction (server failures keep their code and GQL details).
pub(crate) fn repeat_error(e: &Error) -> Error {
    match e {
        Error::Server {
            code,
            message,
            classification,
            gql,
        } => Error::Server {
            code: code.clone(),
            message: message.clone(),
            classification: *classification,
            gql: gql.clone(),
        },
        Error::Authentication { code, message } => Error::Authentication {
            code: code.clone(),
            message: message.clone(),
        },
        Error::TokenExpired { message } => Error::TokenExpired {
            message: message.clone(),
        },
        Error::AuthorizationExpired { message } => Error::AuthorizationExpired {
            message: message.clone(),
        },
        Error::SecurityRetryable(inner) => Error::SecurityRetryable(Box::new(repeat_error(inner))),
        Error::ServiceUnavailable(m) => Error::ServiceUnavailable(m.clone()),
        Error::SessionExpired(m) => Error::SessionExpired(m.clone()),
        other => Error::Usage(format!("the transaction failed earlier: {other}")),
    }
}

/// Everything BEGIN / auto-commit RUN need besides the query, borrowed
/// from the session for one message.
pub(crate) struct TxContext<'a> {
    pub(crate) bookmarks: &'a Bookmarks,
    pub(crate) write: bool,
    pub(crate) database: Option<&'a str>,
    pub(crate) imp_user: Option<&'a str>,
    pub(crate) config: &'a TransactionConfig,
    /// The session's notification filter (Bolt 5.2+), overriding the
    /// driver's (sent in HELLO); `None`: the connection's applies.
    pub(crate) notifications: Option<&'a crate::config::NotificationFilter>,
}

impl TxContext<'_> {
    /// Writes the BEGIN / RUN metadata into `tx`, every field of it we
    /// send. `tx` is the slot's, kept from one unit of work to the next:
    /// its strings (bookmarks, database, user) are overwritten in place,
    /// so an unchanged database and a bookmark of the usual length cost
    /// no allocation.
    pub(crate) fn fill(&self, tx: &mut TxExtra, ctx: StructCtx) -> Result<(), Error> {
        let bookmarks = self.bookmarks.as_slice();
        tx.bookmarks.truncate(bookmarks.len());
        let kept = tx.bookmarks.len();
        for (to, from) in tx.bookmarks.iter_mut().zip(bookmarks) {
            to.clone_from(from);
        }
        tx.bookmarks.extend(bookmarks[kept..].iter().cloned());
        set_str(&mut tx.db, self.database);
        set_str(&mut tx.imp_user, self.imp_user);
        tx.notifications = self
            .notifications
            .map(crate::config::NotificationFilter::to_bolt)
            .unwrap_or_default();
        tx.mode = if self.write {
            bolt_proto::message::AccessMode::Write
        } else {
            bolt_proto::message::AccessMode::Read
        };
        tx.tx_timeout = self.config.timeout().map(|t| {
            // Round sub-millisecond timeouts up: 0 means "server default".
            let ms = t.as_millis().max(u128::from(!t.is_zero()));
            i64::try_from(ms).unwrap_or(i64::MAX)
        });
        tx.encoded_tx_metadata = match self.config.metadata() {
            Some(meta) => {
                let mut buf = Vec::with_capacity(64);
                encode_map(&mut buf, meta, ctx)?;
                Some(encoded(buf)?)
            }
            None => None,
        };
        Ok(())
    }
}

/// `to` = `from`, reusing `to`'s buffer.
fn set_str(to: &mut Option<String>, from: Option<&str>) {
    match (to.as_mut(), from) {
        (Some(t), Some(f)) => {
            if t != f {
                t.clear();
                t.push_str(f);
            }
        }
        (_, f) => *to = f.map(str::to_owned),
    }
}

/// Whether the server's HELLO hints say `telemetry.enabled: true` (the
/// official drivers send TELEMETRY only then).
fn server_wants_telemetry(conn: &PooledConnection) -> bool {
    matches!(
        conn.hints().get("telemetry.enabled"),
        Some(packstream::Value::Boolean(true))
    )
}

/// Wraps a map our encoder wrote.
fn encoded(buf: Vec<u8>) -> Result<EncodedMap, Error> {
    EncodedMap::new(buf).map_err(|e| Error::Protocol(format!("encoded map rejected: {e}")))
}

/// Encodes parameters once, straight into the bytes RUN carries; `None`
/// when there are none (RUN writes an empty map).
pub(crate) fn encoded_params(
    params: &Params,
    conn: &PooledConnection,
) -> Result<Option<EncodedMap>, Error> {
    if params.is_empty() {
        return Ok(None);
    }
    let mut buf = Vec::with_capacity(16 + 16 * params.len());
    encode_params(&mut buf, params, conn.struct_ctx())?;
    encoded(buf).map(Some)
}

fn legacy(query: &str, bookmarks: &[String]) -> Request {
    let mut run = Run::new(query);
    if let Some(last) = bookmarks.last() {
        run.parameters.insert("bookmark", last.as_str());
        run.parameters.insert(
            "bookmarks",
            packstream::Value::List(
                bookmarks
                    .iter()
                    .map(|b| packstream::Value::String(b.clone()))
                    .collect(),
            ),
        );
    }
    Request::Run(run)
}

impl Slot {
    /// The held connection's server, for a result: made once per
    /// connection and shared by the results (and summaries) of every
    /// query on it.
    pub(crate) fn server_info(&mut self) -> Result<Arc<ServerInfo>, Error> {
        let conn = self.conn.as_mut().ok_or_else(closed)?;
        if let Some(info) = conn_cache(conn).and_then(|c| c.server.as_ref()) {
            return Ok(Arc::clone(info));
        }
        let v = conn.version();
        let address = conn.server_address();
        let info = Arc::new(ServerInfo {
            address: ServerAddress::new(address.host(), address.port()),
            agent: conn.server_agent().to_owned(),
            protocol_version: (v.major, v.minor),
        });
        if let Some(c) = conn_cache(conn) {
            c.server = Some(Arc::clone(&info));
        }
        Ok(info)
    }

    /// The held connection, or a usage error.
    pub(crate) fn conn(&mut self) -> Result<&mut PooledConnection, Error> {
        self.conn.as_mut().ok_or_else(closed)
    }

    /// Queues the TELEMETRY owed (if any, and if the connection speaks
    /// Bolt 5.4+ and its server asked for it with the `telemetry.enabled`
    /// hint); its answer is read with the next RUN's. Not flushed.
    pub(crate) fn queue_telemetry(&mut self) -> Result<(), Error> {
        let Some(api) = self.telemetry else {
            return Ok(());
        };
        let conn = self.conn()?;
        if !conn.version().has_telemetry() || !server_wants_telemetry(conn) {
            return Ok(());
        }
        conn.queue(&Request::Telemetry(Telemetry { api }))?;
        self.pre_responses += 1;
        Ok(())
    }

    /// Notes a SUCCESS just received: an acknowledged TELEMETRY is not
    /// owed any more; a BEGIN's may name the database (Bolt 5.8+: `db`,
    /// read from the message by the caller only on such a connection).
    pub(crate) fn on_success(&mut self, db: Option<String>) {
        if let Some(conn) = &self.conn {
            match conn.last_answered() {
                Some(RequestKind::Telemetry) => self.telemetry = None,
                Some(RequestKind::Begin) if db.is_some() => self.resolved_db = db,
                _ => {}
            }
        }
    }

    /// Queues BEGIN, after the TELEMETRY owed (not flushed: both go out
    /// with the first RUN).
    pub(crate) fn begin(&mut self, cx: &TxContext<'_>) -> Result<(), Error> {
        self.pre_responses = 0;
        self.run_seq = 0;
        self.open_results.clear();
        self.tx_failure = None;
        let modern = self.conn()?.version().has_hello();
        if modern {
            self.queue_telemetry()?;
            let conn = self.conn.as_mut().ok_or_else(closed)?;
            // The connection's BEGIN, lent out while it is filled and
            // queued.
            let mut req = conn_cache(conn)
                .and_then(|c| c.begin.take())
                .unwrap_or_else(|| Box::new(Request::Begin(Begin::default())));
            if let Request::Begin(b) = &mut *req {
                cx.fill(&mut b.tx, conn.struct_ctx())?;
            }
            let queued = conn.queue(&req);
            if let Some(c) = conn_cache(conn) {
                c.begin = Some(req);
            }
            queued?;
            self.pre_responses += 1;
        } else {
            let conn = self.conn()?;
            conn.queue(&legacy("BEGIN", cx.bookmarks.as_slice()))?;
            conn.queue(&Request::Discard(Pull::all()))?;
            self.pre_responses = 2;
        }
        self.tx = TxState::Open;
        Ok(())
    }

    /// Sends the queued BEGIN (after the TELEMETRY owed) and waits for its
    /// answer, so a transaction is known to have started before any of its
    /// work runs (the official drivers' eager begin). A failure fails the
    /// transaction and is returned (routed: a lost cluster member becomes
    /// [`Error::SessionExpired`]).
    pub(crate) async fn confirm_begin(&mut self) -> Result<(), Error> {
        let mut failure = None;
        while self.pre_responses > 0 {
            let got = {
                let conn = self.conn()?;
                let home_db = conn.version().has_home_db_resolution();
                match conn.recv_ref().await {
                    Err(e) => Err(Error::from(e)),
                    Ok(ResponseRef::Failure(f)) => Ok(Err(from_failure(*f))),
                    Ok(ResponseRef::Success(ok)) => {
                        Ok(Ok(Some(ok.db().filter(|_| home_db).map(str::to_owned))))
                    }
                    Ok(ResponseRef::Ignored) => match unexpected_ignored(conn) {
                        Some(e) => Ok(Err(e)),
                        None => Ok(Ok(None)),
                    },
                    Ok(ResponseRef::Record(_)) => Ok(Ok(None)),
                }
            };
            self.pre_responses -= 1;
            match got {
                Err(e) => {
                    self.pre_responses = 0;
                    // A FAILURE read before the connection was lost is
                    // what the caller needs to see.
                    let e = failure.take().unwrap_or(e);
                    return Err(self.fail(e).await);
                }
                Ok(Err(e)) => failure = failure.or(Some(e)),
                Ok(Ok(Some(db))) => self.on_success(db),
                Ok(Ok(None)) => {}
            }
        }
        match failure {
            Some(e) => Err(self.fail(e).await),
            None => Ok(()),
        }
    }

    /// Reads whatever earlier work left pending (an answered-but-unread
    /// BEGIN, an abandoned result) and discards open streams, so a new
    /// request can follow. A failure is returned: inside a transaction it
    /// fails the transaction; outside, it is the failure of an auto-commit
    /// query whose result was dropped unread, and the connection is given
    /// back.
    ///
    /// After a cut (a future dropped while it waited for the server, see
    /// [`Slot::cut`]) the connection is RESET instead: the server stops
    /// the abandoned query at once rather than being waited for, and its
    /// answers are thrown away. A transaction is thereby rolled back and
    /// fails with [`cancelled`]; outside one, the cut query's outcome is
    /// not reported (the caller gave up on it) and `Ok` is returned. A
    /// result merely dropped (not cut) is still discarded, so that its
    /// auto-commit write completes.
    pub(crate) async fn drain(&mut self) -> Result<(), Error> {
        self.drain_with(true).await
    }

    /// [`drain`](Self::drain); with `discard_open` false, results still
    /// open are left open (a transaction on Bolt 4.0+ may keep several,
    /// each pulled later by its `qid`).
    pub(crate) async fn drain_with(&mut self, discard_open: bool) -> Result<(), Error> {
        // Nothing owed, nothing open (the common case): no exchange, and
        // the general path's future (embedded in every query's) is boxed.
        let idle = match &self.conn {
            None => true,
            Some(_) if self.cut.is_some() => false,
            Some(c) => {
                !c.is_broken()
                    && c.pending() == 0
                    && !(discard_open
                        && matches!(c.state(), ServerState::Streaming | ServerState::TxStreaming))
            }
        };
        if idle {
            if self.conn.is_some() {
                self.pre_responses = 0;
            }
            return Ok(());
        }
        if self.cut.is_some() {
            return Box::pin(self.reset_cut()).await;
        }
        Box::pin(self.drain_general(discard_open)).await
    }

    /// RESETs the connection after a cut (see [`drain`](Self::drain)).
    async fn reset_cut(&mut self) -> Result<(), Error> {
        self.open_results.clear();
        let in_tx = self.tx != TxState::None;
        let Some(conn) = self.conn.as_mut() else {
            self.cut = None;
            return Ok(());
        };
        // The answers owed to a pipelined BEGIN (and TELEMETRY) first:
        // Neo4j fails and closes a connection whose RESET arrives while
        // it begins a transaction ("BEGIN cannot be handled by session in
        // the READY state"). Counted down as read, so a cut here resumes.
        let mut broken = conn.is_broken();
        while self.pre_responses > 0 && !broken {
            broken = conn.recv_ref().await.is_err();
            self.pre_responses -= 1;
        }
        self.pre_responses = 0;
        self.cut = None;
        if !broken {
            tracing::debug!(id = ?conn.connection_id(), "resetting a connection whose exchange was cancelled");
            // Bounded: each answer by the connection's read timeout. A
            // cut here leaves the RESET's answers to the next call's
            // drain (quick: the server stopped the work), or the pool's.
            broken = conn.reset().await.is_err();
        }
        if broken {
            // The pool drops it; later work gets another.
            self.release().await;
        }
        if in_tx {
            self.tx = TxState::Failed;
            self.tx_failure = Some(repeat_error(&cancelled()));
            return Err(cancelled());
        }
        Ok(())
    }

    /// [`drain_with`](Self::drain_with) in general.
    async fn drain_general(&mut self, discard_open: bool) -> Result<(), Error> {
        let in_tx = self.tx != TxState::None;
        let Some(conn) = self.conn.as_mut() else {
            return Ok(());
        };
        if conn.is_broken() {
            // Whatever broke it was reported when it happened; the
            // connection goes (the pool drops it), later work gets a new one.
            self.release().await;
            return Ok(());
        }
        let mut failure = None;
        let home_db = conn.version().has_home_db_resolution();
        loop {
            while conn.pending() > 0 {
                let resp = match conn.recv_ref().await {
                    Ok(r) => r,
                    // A FAILURE read before the connection was lost (e.g. a
                    // server answering BEGIN with one and hanging up) is
                    // what the caller needs to see.
                    Err(e) => match failure.take() {
                        Some(f) if in_tx => return Err(self.fail(f).await),
                        _ => return Err(e.into()),
                    },
                };
                match resp {
                    ResponseRef::Record(_) => {}
                    // After a FAILURE (read here or by the caller) the
                    // failure is the error; an IGNORED nothing explains
                    // is an error of its own.
                    ResponseRef::Ignored => {
                        if failure.is_none() {
                            failure = unexpected_ignored(conn);
                        }
                    }
                    ResponseRef::Success(s) => {
                        if let Some(b) = s.bookmark() {
                            self.new_bookmark.set(b);
                        }
                        let db = s.db().filter(|_| home_db).map(str::to_owned);
                        match conn.last_answered() {
                            Some(RequestKind::Telemetry) => self.telemetry = None,
                            Some(RequestKind::Begin) if db.is_some() => self.resolved_db = db,
                            _ => {}
                        }
                    }
                    ResponseRef::Failure(f) => {
                        if failure.is_none() {
                            failure = Some(from_failure(*f));
                        }
                    }
                }
            }
            self.pre_responses = 0;
            match conn.state() {
                ServerState::Streaming | ServerState::TxStreaming if discard_open => {
                    let mut discard = Pull::all();
                    // A transaction's earlier result by its qid (the latest
                    // RUN's is the server's default).
                    if let Some((seq, qid)) = self.open_results.first().copied() {
                        self.open_results.remove(0);
                        if seq != self.run_seq {
                            discard.qid = qid.filter(|q| *q >= 0);
                        }
                    }
                    conn.queue(&Request::Discard(discard))?;
                }
                _ => break,
            }
        }
        match failure {
            None => Ok(()),
            Some(e) if in_tx => Err(self.fail(e).await),
            Some(e) => {
                // The auto-commit query of a result dropped unread failed
                // (a write may be lost): the session's next call reports
                // it, as the official drivers do.
                let e = self.fail(e).await;
                self.release().await;
                Err(e)
            }
        }
    }

    /// Marks the transaction failed by `e`; returns the error to report
    /// (a routing driver turns a lost cluster member or a refused write
    /// into [`Error::SessionExpired`] and updates its routing table).
    ///
    /// Boxed: failures are rare, and the callers' futures are embedded in
    /// every query's.
    pub(crate) fn fail(&mut self, e: Error) -> futures_util::future::BoxFuture<'_, Error> {
        Box::pin(self.fail_now(e))
    }

    async fn fail_now(&mut self, e: Error) -> Error {
        let e = on_security_error(&self.auth, self.conn.as_ref(), e).await;
        let was_open = self.tx == TxState::Open;
        if was_open {
            self.tx = TxState::Failed;
        }
        let e = self.routed(e);
        if was_open {
            self.tx_failure = Some(repeat_error(&e));
        }
        self.saw_retryable |= e.is_retryable();
        e
    }

    /// Reports `e` to the routing driver, if any; returns the error to
    /// report.
    pub(crate) fn routed(&self, e: Error) -> Error {
        match (&self.route, &self.conn) {
            (Some(route), Some(conn)) => route.on_failure(conn.address(), &e).unwrap_or(e),
            _ => e,
        }
    }

    /// Commits the open transaction; returns the new bookmark.
    pub(crate) async fn commit(&mut self) -> Result<Option<String>, Error> {
        let r = self.finish(true).await;
        self.release().await;
        r
    }

    /// Rolls the open transaction back.
    pub(crate) async fn rollback(&mut self) -> Result<(), Error> {
        let r = self.finish(false).await.map(|_| ());
        self.release().await;
        r
    }

    async fn finish(&mut self, commit: bool) -> Result<Option<String>, Error> {
        match self.tx {
            TxState::None => {
                return Err(Error::Usage("the transaction is already closed".into()));
            }
            TxState::Failed if commit => {
                return Err(Error::Usage(
                    "the transaction failed earlier and can only be rolled back".into(),
                ))
            }
            TxState::Failed => return Ok(None), // RESET on release rolls back
            TxState::Open => {}
        }
        let drained = self.drain().await;
        if let Err(e) = drained {
            self.tx = TxState::None;
            return if commit { Err(e) } else { Ok(None) };
        }
        self.tx = TxState::None;
        let Some(conn) = self.conn.as_mut() else {
            // The connection broke (and was released) before the end.
            return if commit {
                Err(Error::ServiceUnavailable(
                    "the connection was lost before the commit".into(),
                ))
            } else {
                Ok(None)
            };
        };
        let name = if commit { "COMMIT" } else { "ROLLBACK" };
        if conn.version().has_hello() {
            conn.queue(if commit {
                &Request::Commit
            } else {
                &Request::Rollback
            })?;
        } else {
            conn.queue(&legacy(name, &[]))?;
            conn.queue(&Request::Discard(Pull::all()))?;
        }
        let mut failure = None;
        let mut ignored = false;
        while conn.pending() > 0 {
            let resp = match conn.recv_ref().await {
                Ok(r) => r,
                Err(e) if commit => {
                    // COMMIT may have reached the server: whether it
                    // committed is unknown, and running the work again
                    // could apply it twice.
                    let lost = Error::from(e);
                    let _ = self.routed(Error::ServiceUnavailable(lost.to_string()));
                    return Err(Error::IncompleteCommit(lost.to_string()));
                }
                Err(e) => return Err(self.routed(e.into())),
            };
            match resp {
                ResponseRef::Success(s) => {
                    if let Some(b) = s.bookmark() {
                        self.new_bookmark.set(b);
                    }
                }
                ResponseRef::Failure(f) => failure = failure.or(Some(from_failure(*f))),
                ResponseRef::Ignored => ignored = true,
                ResponseRef::Record(_) => {}
            }
        }
        if failure.is_none() && ignored {
            // Not processed: the transaction is still open on the server
            // (the RESET on release rolls it back), so it was certainly not
            // committed, unlike a COMMIT whose answer was lost. An IGNORED
            // with no FAILURE before it means server and driver disagree on
            // the protocol state: running the work again would not help.
            failure = Some(Error::Protocol(if commit {
                "the server ignored COMMIT: the transaction was not committed".into()
            } else {
                "the server ignored ROLLBACK (the transaction is rolled back when its \
                 connection is reset)"
                    .into()
            }));
        }
        // The commit's bookmark goes to the session with the result (the
        // slot may not reach it back: see `Transaction::give_back`).
        let bookmark = self.new_bookmark.take();
        match failure {
            Some(e) => {
                if let Some(b) = bookmark {
                    self.new_bookmark.recycle(b);
                }
                let e = on_security_error(&self.auth, self.conn.as_ref(), e).await;
                let e = self.routed(e);
                self.saw_retryable |= e.is_retryable();
                Err(e)
            }
            None => Ok(bookmark),
        }
    }

    /// Gives the connection back to the pool (RESET first if it is not
    /// idle, which also rolls back an open transaction).
    pub(crate) async fn release(&mut self) {
        self.tx = TxState::None;
        self.pre_responses = 0;
        self.cut = None;
        if let Some(conn) = self.conn.take() {
            // A server that answered with a FAILURE (or refused a LOGON)
            // and then closed the connection (e.g. after a security error)
            // is still a member:
            // only a connection lost otherwise makes the routing driver
            // forget the server, as the official drivers do.
            let refused = conn.state() == ServerState::Failed
                || conn.last_answered() == Some(RequestKind::Logon);
            if conn.is_broken() && !refused {
                if let Some(route) = &self.route {
                    route.on_broken(conn.address());
                }
            }
            tracing::debug!(id = ?conn.connection_id(), "connection released");
            conn.release().await;
        }
    }
}
