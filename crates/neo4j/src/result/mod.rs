//! Query results: [`RecordStream`] (records streamed lazily in batches of
//! `fetch_size`) and its [`ResultSummary`].
//!
//! A stream holds its connection directly (borrowed from the session or
//! transaction that ran it): no background task, no channel, no lock per
//! record. A batch's RECORD messages are copied from the connection's read
//! buffer still encoded and decoded into [`Value`](crate::Value)s one per
//! read (module `batch`). Records reach the caller as they arrive, not
//! when their batch is complete; only a result of an explicit transaction
//! reads each batch to its summary (a later query of the transaction must
//! not find it half read), which holds at most `fetch_size` records, as a
//! server sending more than a PULL asked for is a protocol error.
//! A stream dropped before its end is discarded (DISCARD) by the next
//! call of its session, or when the session closes; an auto-commit query
//! that failed meanwhile is reported by that call. A future cut while it
//! waits for RUN's answer or a batch (dropped, e.g. by a timeout) marks
//! the slot instead (`Slot::cut`): the same result may resume reading,
//! anything else RESETs the connection first (see `Slot::drain`).

mod batch;
mod summary;

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bolt_proto::message::{Pull, Request, ResponseRef, Run, SuccessRef, TxExtra};
use bolt_proto::structure::StructCtx;
use futures_util::future::BoxFuture;
use futures_util::{FutureExt, Stream};
use packstream::ValueRef;
use std::marker::PhantomData;
use tokio::sync::{Mutex, OwnedMutexGuard};

use batch::Batch;
use summary::RunInfo;
pub use summary::{
    parse_classification, Counters, GqlStatusObject, InputPosition, Notification,
    NotificationSeverity, QueryType, ResultSummary, ServerInfo,
};

use crate::driver::errors::{from_failure, unexpected_ignored};
use crate::error::Error;
use crate::query::{EagerResult, Query};
use crate::record::Record;
use crate::session::slot::{
    closed, conn_cache, encoded_params, repeat_error, while_cut, Slot, TxContext, TxState,
};
use crate::value::wire::KeyCache;

/// What [`RecordStream::single_optional`] found: the record (if any) and
/// warnings (one when the result had more than one record).
///
/// ```
/// let none = neo4j::SingleOptional::default();
/// assert!(none.record.is_none() && none.warnings.is_empty());
/// ```
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct SingleOptional {
    /// The first record; `None` when the result had none left.
    pub record: Option<Record>,
    /// Why the result was not exactly zero or one record (empty if it was).
    pub warnings: Vec<String>,
}

/// How a stream reaches its connection.
pub(crate) enum Link<'a> {
    /// Borrowed from a session (auto-commit).
    Borrowed(&'a mut Slot),
    /// Held through a managed transaction's lock.
    Shared(OwnedMutexGuard<Slot>),
    /// Shared with the other results of an explicit transaction (which
    /// outlives them: `'a` borrows it): locked for each exchange.
    Tx(Arc<Mutex<Slot>>, PhantomData<&'a ()>),
}

/// The slot of a [`Link`], locked if shared.
enum SlotRef<'s> {
    Direct(&'s mut Slot),
    Locked(OwnedMutexGuard<Slot>),
}

impl std::ops::Deref for SlotRef<'_> {
    type Target = Slot;
    fn deref(&self) -> &Slot {
        match self {
            SlotRef::Direct(s) => s,
            SlotRef::Locked(g) => g,
        }
    }
}

impl std::ops::DerefMut for SlotRef<'_> {
    fn deref_mut(&mut self) -> &mut Slot {
        match self {
            SlotRef::Direct(s) => s,
            SlotRef::Locked(g) => g,
        }
    }
}

async fn slot<'s>(link: &'s mut Link<'_>) -> SlotRef<'s> {
    match link {
        Link::Borrowed(s) => SlotRef::Direct(s),
        Link::Shared(g) => SlotRef::Direct(g),
        Link::Tx(m, _) => SlotRef::Locked(m.clone().lock_owned().await),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// A PULL is on its way; its batch is still to be read.
    Pulling,
    /// The last batch ended with `has_more`; the next needs a PULL.
    More,
    /// The final SUCCESS arrived.
    Done,
    /// The query failed (the error was returned once).
    Failed,
}

/// The records of one query, fetched lazily.
///
/// Read with [`next`](Self::next) (or as a `futures::Stream`), or all at once
/// with [`collect`](Self::collect); finish with [`consume`](Self::consume)
/// for the [`ResultSummary`].
///
/// ```no_run
/// # async fn demo(session: &mut neo4j::Session) -> Result<(), neo4j::Error> {
/// let mut result = session
///     .run("UNWIND range(1, $n) AS i RETURN i", neo4j::params! {"n" => 3})
///     .await?;
/// assert_eq!(result.keys(), ["i"]);
/// while let Some(record) = result.next().await {
///     let i: i64 = record?.get("i")?;
///     println!("{i}");
/// }
/// let summary = result.consume().await?;
/// println!("{:?}", summary.result_consumed_after());
/// # Ok(()) }
/// ```
pub struct RecordStream<'a> {
    /// Boxed: a result is moved whole several times per query (out of
    /// `run`, into `consume`, ...), and a box moves as one pointer.
    inner: Option<Box<Inner<'a>>>,
    /// A batch fetch started by `poll_next`, owning the state meanwhile.
    fetching: Option<BoxFuture<'a, (Box<Inner<'a>>, Option<Error>)>>,
}

struct Inner<'a> {
    link: Link<'a>,
    keys: Arc<[String]>,
    /// The fetched batch's records not read yet, still encoded.
    batch: Batch,
    /// A record `peek` decoded: the next one to read.
    peeked: Option<Record>,
    phase: Phase,
    fetch_size: i64,
    ctx: StructCtx,
    autocommit: bool,
    /// `t_first` of RUN's SUCCESS (`result_available_after` before 3.0).
    available_after: Option<i64>,
    /// The final SUCCESS's metadata, still encoded (read only for the
    /// summary).
    done_meta: Vec<u8>,
    query: Query,
    server: Arc<ServerInfo>,
    /// Whether any RECORD arrived (for the summary's GQL statuses).
    had_record: bool,
    /// A failure that ended the stream while records of its batch were
    /// still buffered: returned once they have been read.
    deferred: Option<Error>,
    /// In an explicit transaction: which of its RUNs this is (see
    /// `Slot::run_seq`); 0 otherwise.
    seq: u64,
    /// The server's id of this result in its transaction (Bolt 4.0+).
    qid: Option<i64>,
    /// The last record's map keys, reused by the next record's decoding.
    key_cache: KeyCache,
}

impl std::fmt::Debug for RecordStream<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("RecordStream");
        if let Some(i) = &self.inner {
            d.field("keys", &i.keys)
                .field(
                    "buffered",
                    &(i.batch.len() + usize::from(i.peeked.is_some())),
                )
                .field("phase", &i.phase);
        }
        d.finish_non_exhaustive()
    }
}

/// Starts a query on the slot's connection: RUN and the first PULL in one
/// write (after a pipelined BEGIN, if any). `cx` is the auto-commit
/// metadata; `None` inside a transaction.
pub(crate) async fn start<'a>(
    mut link: Link<'a>,
    mut query: Query,
    cx: Option<&TxContext<'_>>,
    fetch_size: i64,
) -> Result<RecordStream<'a>, Error> {
    let in_tx = matches!(link, Link::Tx(..));
    let mut guard = slot(&mut link).await;
    let s = &mut *guard;
    if s.tx == TxState::Failed {
        return Err(Error::Usage(
            "the transaction failed earlier and can only be rolled back".into(),
        ));
    }
    if s.pre_responses == 0 || s.cut.is_some() {
        // Nothing pipelined ahead of this RUN (a BEGIN is answered with
        // it): finish what earlier work left behind. Earlier results of
        // a transaction stay open where the server can keep several.
        // After a cut, whatever is owed (a BEGIN's answer included) is
        // the cut work's: the connection is reset.
        let keep_open = in_tx && s.conn()?.version().has_pull_n();
        s.drain_with(!keep_open).await?;
    }
    let seq = if in_tx {
        s.run_seq += 1;
        s.run_seq
    } else {
        0
    };
    let autocommit = cx.is_some();
    if autocommit {
        s.queue_telemetry()?;
    }
    let conn = s.conn.as_mut().ok_or_else(closed)?;
    let version = conn.version();
    let ctx = conn.struct_ctx();
    let params = encoded_params(query.params(), conn)?;
    // The connection's RUN message, reused: lent out, filled in place (the
    // text lent by the query, the metadata's strings overwritten),
    // encoded, emptied and given back.
    let mut req = conn_cache(conn)
        .and_then(|c| c.run.take())
        .unwrap_or_else(|| Box::new(Request::Run(Run::default())));
    if let Request::Run(run) = &mut *req {
        match cx.filter(|_| version.has_hello()) {
            Some(cx) => cx.fill(&mut run.tx, ctx)?,
            None if !run.tx.is_empty() => run.tx = TxExtra::default(),
            None => {}
        }
        run.encoded_parameters = params;
        run.query = query.take_text();
    }
    let queued = conn.queue(&req);
    if let Request::Run(run) = &mut *req {
        query.put_text(std::mem::take(&mut run.query));
        run.encoded_parameters = None;
    }
    // One lookup of the connection's cache gives the RUN back and takes
    // what the result needs from it: the last keys (shared when RUN names
    // the same) and the server.
    let (prev_keys, server) = match conn_cache(conn) {
        Some(c) => {
            c.run = Some(req);
            (c.keys.take(), c.server.clone())
        }
        None => (None, None),
    };
    queued?;
    let n = if version.has_pull_n() { fetch_size } else { -1 };
    if let Err(e) = conn.queue(&Request::Pull(Pull::n(n))) {
        // RUN is queued alone: the connection is not idle; RESET fixes it.
        conn.mark_broken();
        return Err(e.into());
    }
    let server = match server {
        Some(info) => info,
        None => s.server_info()?,
    };
    // Answers owed to a pipelined TELEMETRY / BEGIN come first.
    // A server failure that came first (a refused BEGIN) is the error to
    // report even if the server then hung up before answering RUN.
    let mut failure = None;
    let mut lost = None;
    let home_db = version.has_home_db_resolution();
    // Until RUN's answer is read, a cut leaves the slot marked. Counted
    // down as they are read: a cut leaves the unread ones owed (a RESET
    // must wait for a pipelined BEGIN's answer, see `Slot::drain`).
    while s.pre_responses > 0 {
        let conn = s.conn.as_mut().ok_or_else(closed)?;
        let got = while_cut!(s.cut, seq, conn.recv_ref());
        s.pre_responses -= 1;
        let db = match got {
            Ok(ResponseRef::Failure(f)) => {
                failure = failure.or(Some(from_failure(*f)));
                continue;
            }
            Ok(ResponseRef::Success(ok)) => ok.db().filter(|_| home_db).map(str::to_owned),
            Ok(ResponseRef::Ignored) => {
                if failure.is_none() {
                    failure = unexpected_ignored(conn);
                }
                continue;
            }
            Ok(ResponseRef::Record(_)) => continue,
            Err(e) => {
                s.pre_responses = 0;
                lost = Some(e);
                break;
            }
        };
        s.on_success(db);
    }
    let conn = s.conn.as_mut().ok_or_else(closed)?;
    let run_meta = match lost {
        Some(e) => Err(e),
        None => while_cut!(s.cut, seq, conn.recv_ref()),
    };
    let run_meta = match run_meta {
        Err(e) => {
            // A lost connection: a routing driver forgets the server and
            // reports SessionExpired. A server that answered the pipelined
            // BEGIN with a FAILURE and then hung up reports that FAILURE.
            let e = s.fail(failure.unwrap_or_else(|| Error::from(e))).await;
            if autocommit {
                s.release().await;
            }
            return Err(e);
        }
        Ok(resp) => resp,
    };
    let run_meta = match run_meta {
        ResponseRef::Success(ok) => Some(RunMeta::read(
            &ok,
            autocommit && version.has_home_db_resolution(),
            prev_keys.as_ref(),
        )),
        ResponseRef::Failure(f) => {
            failure = failure.or(Some(from_failure(*f)));
            None
        }
        ResponseRef::Ignored => None,
        ResponseRef::Record(_) => {
            conn.mark_broken();
            return Err(Error::Protocol("RECORD in answer to RUN".into()));
        }
    };
    let run_meta = match (run_meta, failure) {
        (Some(m), None) => m,
        (_, failure) => {
            let e = failure.unwrap_or_else(|| Error::Protocol("RUN was ignored".into()));
            // The PULL is answered IGNORED; read it, then recover.
            let _ = s.drain().await;
            let e = s.fail(e).await;
            if autocommit {
                s.release().await;
            }
            return Err(e);
        }
    };
    let RunMeta {
        keys,
        qid,
        available_after,
        db,
    } = run_meta;
    if db.is_some() {
        s.resolved_db = db;
    }
    if let Some(c) = s.conn.as_mut().and_then(conn_cache) {
        c.keys = Some(Arc::clone(&keys));
    }
    if seq != 0 {
        s.open_results.push((seq, qid));
    }
    drop(guard);
    let mut inner = Box::new(Inner {
        link,
        keys,
        batch: Batch::default(),
        peeked: None,
        phase: Phase::Pulling,
        fetch_size: n,
        ctx,
        autocommit,
        available_after,
        done_meta: Vec::new(),
        query,
        server,
        had_record: false,
        deferred: None,
        seq,
        qid,
        key_cache: KeyCache::default(),
    });
    if in_tx {
        // Read the first batch now: a later RUN of the transaction must
        // not find it unread on the connection. A failure is kept for the
        // first read.
        if let Err(e) = inner.fetch().await {
            inner.deferred = Some(e);
        }
    }
    Ok(RecordStream {
        inner: Some(inner),
        fetching: None,
    })
}

/// What a result keeps of RUN's SUCCESS, read from the message in place.
struct RunMeta {
    keys: Arc<[String]>,
    qid: Option<i64>,
    available_after: Option<i64>,
    /// `db` (kept only when asked for: a Bolt 5.8+ auto-commit RUN).
    db: Option<String>,
}

impl RunMeta {
    /// `prev`: the keys of the slot's last result, shared when RUN named
    /// the same ones (a query run again: no allocation per column).
    fn read(ok: &SuccessRef<'_>, want_db: bool, prev: Option<&Arc<[String]>>) -> RunMeta {
        let [fields, qid, t_first, legacy_t_first, db] =
            ok.value_decoders(["fields", "qid", "t_first", "result_available_after", "db"]);
        let int = |d: Option<packstream::Decoder<'_>>| match d?.read_value_ref() {
            Ok(ValueRef::Integer(i)) => Some(i),
            _ => None,
        };
        // Straight from the encoded list: no `ValueRef` list in between.
        let keys: Arc<[String]> = match fields {
            Some(mut d) if d.peek_kind().ok() == Some(packstream::Kind::List) => {
                let n = d.read_list_header().unwrap_or(0);
                match prev {
                    Some(prev) if prev.len() == n && same_keys(d.clone(), prev) => Arc::clone(prev),
                    _ => (0..n)
                        .map(|_| match d.read_value_ref() {
                            Ok(ValueRef::String(k)) => k.to_owned(),
                            _ => String::new(),
                        })
                        .collect(),
                }
            }
            _ => match prev {
                Some(prev) if prev.is_empty() => Arc::clone(prev),
                _ => Arc::from(Vec::new()),
            },
        };
        RunMeta {
            keys,
            qid: int(qid),
            available_after: int(t_first).or_else(|| int(legacy_t_first)),
            db: match db.filter(|_| want_db).map(|mut d| d.read_value_ref()) {
                Some(Ok(ValueRef::String(db))) => Some(db.to_owned()),
                _ => None,
            },
        }
    }
}

/// Whether the list entries `d` is at (after the header) are the strings
/// `keys`.
fn same_keys(mut d: packstream::Decoder<'_>, keys: &[String]) -> bool {
    keys.iter()
        .all(|k| matches!(d.read_value_ref(), Ok(ValueRef::String(s)) if s == k))
}

/// The PULL / DISCARD that continues a result of a transaction: with the
/// result's `qid` once a later RUN opened another result (Bolt 4.0+). A
/// failed transaction repeats its failure instead (nothing is sent); a
/// result the server could not keep open (Bolt 1–3: a later RUN
/// discarded it) is consumed.
fn more(s: &Slot, seq: u64, qid: Option<i64>, mut pull: Pull) -> Result<Pull, Error> {
    if seq == 0 {
        return Ok(pull);
    }
    if s.tx == TxState::Failed {
        return Err(match &s.tx_failure {
            Some(e) => repeat_error(e),
            None => Error::Usage("the transaction failed earlier".into()),
        });
    }
    if s.run_seq != seq {
        match qid {
            Some(q) if q >= 0 => pull.qid = Some(q),
            _ => return Err(Error::ResultConsumed),
        }
    }
    Ok(pull)
}

impl<'a> Inner<'a> {
    /// When the stream has more, asks to discard the rest.
    async fn discard_more(&mut self) -> Result<(), Error> {
        if self.phase == Phase::More {
            let mut guard = slot(&mut self.link).await;
            let discard = more(&guard, self.seq, self.qid, Pull::all()).inspect_err(|_| {
                self.phase = Phase::Failed;
            })?;
            guard.conn()?.queue(&Request::Discard(discard))?;
            self.phase = Phase::Pulling;
        }
        Ok(())
    }

    /// Reads records into the buffer (sending the batch's PULL first if
    /// needed): those already arrived, else the next to arrive, or the
    /// batch's summary. In an explicit transaction, the whole batch and
    /// its summary.
    async fn fetch(&mut self) -> Result<(), Error> {
        let mut guard = slot(&mut self.link).await;
        let s = &mut *guard;
        if s.cut.is_some_and(|seq| seq != self.seq) {
            // Another result of the transaction was cut while it read:
            // its answers come first on the wire. The connection is reset
            // (the transaction fails), never read as this result's.
            if let Err(e) = s.drain_with(false).await {
                self.phase = Phase::Failed;
                return Err(e);
            }
        }
        if self.phase == Phase::More {
            let pull = more(s, self.seq, self.qid, Pull::n(self.fetch_size)).inspect_err(|_| {
                self.phase = Phase::Failed;
            })?;
            s.conn()?.queue(&Request::Pull(pull))?;
            self.phase = Phase::Pulling;
        }
        let conn = s.conn.as_mut().ok_or_else(closed)?;
        if self.phase != Phase::Pulling {
            return Ok(());
        }
        // RECORDs in the read buffer: taken in bulk, without an
        // `.await` each; the summary after them read in place. During a
        // wait, a cut leaves the slot marked (this result resumes it; any
        // other exchange resets the connection).
        let whole_batch = self.seq != 0;
        let received = loop {
            let before = self.batch.len();
            let summary_next = conn.take_records(self.batch.records());
            self.had_record |= self.batch.len() > before;
            match summary_next {
                Ok(true) => {
                    break while_cut!(s.cut, self.seq, conn.recv_ref()).map_err(Error::from)
                }
                // Records to hand out: the caller gets them now (no cut:
                // the batch's rest is owed as for any result not read to
                // its end).
                Ok(false) if !whole_batch && !self.batch.is_empty() => return Ok(()),
                Ok(false) => {
                    if let Err(e) = while_cut!(s.cut, self.seq, conn.fill()) {
                        break Err(Error::from(e));
                    }
                }
                Err(e) => break Err(Error::from(e)),
            }
        };
        let failure = match received {
            Err(e) => {
                self.phase = Phase::Failed;
                let e = s.fail(e).await;
                if self.autocommit {
                    s.release().await;
                }
                return Err(e);
            }
            Ok(ResponseRef::Record(_)) => {
                // `take_records` stopped before a summary: cannot be.
                conn.mark_broken();
                Error::Protocol("a RECORD out of order".into())
            }
            Ok(ResponseRef::Success(ok)) => {
                if ok.has_more() {
                    self.phase = Phase::More;
                    return Ok(());
                }
                self.phase = Phase::Done;
                if self.seq != 0 {
                    s.open_results.retain(|(seq, _)| *seq != self.seq);
                }
                self.done_meta.clear();
                self.done_meta.extend_from_slice(ok.raw());
                if self.autocommit {
                    if let Some(b) = ok.bookmark() {
                        s.new_bookmark.set(b);
                    }
                    s.release().await;
                }
                return Ok(());
            }
            Ok(ResponseRef::Failure(f)) => from_failure(*f),
            Ok(ResponseRef::Ignored) => Error::Protocol("PULL was ignored".into()),
        };
        self.phase = Phase::Failed;
        let failure = s.fail(failure).await;
        if self.autocommit {
            s.release().await;
        }
        Err(failure)
    }

    /// Decodes the next buffered record; when the buffer falls to a
    /// quarter of a batch and more is to come, sends the next PULL at once
    /// (without waiting), so the server produces the next batch while the
    /// caller reads the rest of this one. Not in explicit transactions
    /// (their results share the connection with later queries) and not
    /// for one-record-at-a-time batches. A record that does not decode is
    /// an error for [`fail_record`](Self::fail_record).
    #[inline]
    fn pop(&mut self) -> Option<Result<Record, Error>> {
        if self.peeked.is_some() {
            return self.peeked.take().map(Ok);
        }
        let r = self.batch.pop(&self.keys, self.ctx, &mut self.key_cache)?;
        if self.phase == Phase::More
            && self.seq == 0
            && (self.batch.len() as i64) < self.fetch_size / 4
        {
            self.prefetch();
        }
        Some(r)
    }

    /// Ends the stream over a record that did not decode, as a failure
    /// while fetching would: the connection, if the stream still holds it
    /// (or its transaction does), is broken and the session or
    /// transaction fails. An auto-commit result that already gave its
    /// connection back (the final SUCCESS arrived; the framing was whole)
    /// leaves it be. The rest of the batch is dropped.
    #[cold]
    async fn fail_record(&mut self, e: Error) -> Error {
        self.batch.clear();
        self.deferred = None;
        let was = std::mem::replace(&mut self.phase, Phase::Failed);
        if was == Phase::Done && self.autocommit {
            return e;
        }
        let mut guard = slot(&mut self.link).await;
        let s = &mut *guard;
        if let Some(conn) = s.conn.as_mut() {
            conn.mark_broken();
        }
        let e = s.fail(e).await;
        if self.autocommit {
            s.release().await;
        }
        e
    }

    /// Queues the next PULL and writes it if the socket takes it now
    /// (else it leaves with the next read).
    #[inline(never)]
    fn prefetch(&mut self) {
        let s: &mut Slot = match &mut self.link {
            Link::Borrowed(s) => s,
            Link::Shared(g) => g,
            Link::Tx(..) => return,
        };
        let Some(conn) = s.conn.as_mut() else {
            return;
        };
        if conn.queue(&Request::Pull(Pull::n(self.fetch_size))).is_ok() {
            self.phase = Phase::Pulling;
            // A write error breaks the connection; the next read reports it.
            let _ = conn.try_flush();
        }
    }

    /// [`fetch`](Self::fetch), keeping a failure for later when the
    /// records that came before it are still to be read.
    async fn fetch_keep(&mut self) -> Result<(), Error> {
        match self.fetch().await {
            Err(e) if !self.batch.is_empty() => {
                self.deferred = Some(e);
                Ok(())
            }
            r => r,
        }
    }

    async fn next(&mut self) -> Option<Result<Record, Error>> {
        loop {
            match self.pop() {
                Some(Ok(r)) => return Some(Ok(r)),
                Some(Err(e)) => return Some(Err(self.fail_record(e).await)),
                None => {}
            }
            if let Some(e) = self.deferred.take() {
                return Some(Err(e));
            }
            match self.phase {
                Phase::Done | Phase::Failed => return None,
                Phase::Pulling | Phase::More => {}
            }
            if let Err(e) = self.fetch_keep().await {
                return Some(Err(e));
            }
        }
    }

    /// Discards the rest of the stream and builds the summary.
    async fn consume(&mut self) -> Result<ResultSummary, Error> {
        self.batch.clear();
        self.peeked = None;
        if let Some(e) = self.deferred.take() {
            return Err(e);
        }
        self.discard_more().await?;
        while self.phase == Phase::Pulling {
            self.fetch().await?;
            self.batch.clear();
            self.discard_more().await?;
        }
        if self.phase == Phase::Failed {
            return Err(Error::ResultConsumed);
        }
        // The stream ends here (every caller consumes it): the summary
        // takes the query and server info instead of copying them.
        let query = std::mem::replace(&mut self.query, Query::new(""));
        ResultSummary::new(
            query,
            Arc::clone(&self.server),
            RunInfo {
                available_after: self.available_after,
                has_keys: !self.keys.is_empty(),
            },
            std::mem::take(&mut self.done_meta),
            self.ctx,
            self.had_record,
        )
    }
}

impl<'a> RecordStream<'a> {
    /// The state, waiting for a batch fetch started by `poll_next`.
    async fn inner(&mut self) -> Result<&mut Inner<'a>, Error> {
        if let Some(f) = self.fetching.take() {
            let (inner, err) = f.await;
            self.inner = Some(inner);
            if let Some(e) = err {
                return Err(e);
            }
        }
        self.inner
            .as_deref_mut()
            .ok_or_else(|| Error::Protocol("result state lost".into()))
    }

    /// The column names.
    ///
    /// ```no_run
    /// # async fn demo(s: &mut neo4j::Session) -> Result<(), neo4j::Error> {
    /// let r = s.run("RETURN 1 AS a, 2 AS b", neo4j::Params::new()).await?;
    /// assert_eq!(r.keys(), ["a", "b"]);
    /// # Ok(()) }
    /// ```
    pub fn keys(&self) -> &[String] {
        self.inner.as_ref().map(|i| &i.keys[..]).unwrap_or(&[])
    }

    /// The next record; `None` at the end. Fetches the next batch from the
    /// server when the buffered one is used up.
    ///
    /// ```no_run
    /// # async fn demo(s: &mut neo4j::Session) -> Result<(), neo4j::Error> {
    /// let mut r = s.run("UNWIND [1, 2] AS x RETURN x", neo4j::Params::new()).await?;
    /// while let Some(rec) = r.next().await {
    ///     println!("{:?}", rec?.get_value("x"));
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn next(&mut self) -> Option<Result<Record, Error>> {
        // The common case, a record already buffered: no state machine.
        if self.fetching.is_none() {
            if let Some(i) = self.inner.as_mut() {
                match i.pop() {
                    Some(Ok(r)) => return Some(Ok(r)),
                    Some(Err(e)) => return Some(Err(i.fail_record(e).await)),
                    None => {}
                }
            }
        }
        match self.inner().await {
            Ok(i) => i.next().await,
            Err(e) => Some(Err(e)),
        }
    }

    /// The next record without taking it.
    ///
    /// ```no_run
    /// # async fn demo(s: &mut neo4j::Session) -> Result<(), neo4j::Error> {
    /// let mut r = s.run("RETURN 1 AS x", neo4j::Params::new()).await?;
    /// assert!(r.peek().await.is_some());
    /// assert!(r.next().await.is_some());
    /// # Ok(()) }
    /// ```
    pub async fn peek(&mut self) -> Option<Result<&Record, Error>> {
        let inner = match self.inner().await {
            Ok(i) => i,
            Err(e) => return Some(Err(e)),
        };
        while inner.peeked.is_none()
            && inner.batch.is_empty()
            && matches!(inner.phase, Phase::Pulling | Phase::More)
        {
            if let Err(e) = inner.fetch_keep().await {
                return Some(Err(e));
            }
        }
        if inner.peeked.is_none() {
            match inner.pop() {
                Some(Ok(r)) => inner.peeked = Some(r),
                Some(Err(e)) => return Some(Err(inner.fail_record(e).await)),
                None => {
                    if let Some(e) = inner.deferred.take() {
                        return Some(Err(e));
                    }
                }
            }
        }
        inner.peeked.as_ref().map(Ok)
    }

    /// Exactly one record; [`Error::ResultNotSingle`] if there are none or
    /// more (the rest is discarded).
    ///
    /// ```no_run
    /// # async fn demo(s: &mut neo4j::Session) -> Result<(), neo4j::Error> {
    /// let n: i64 = s.run("RETURN 42 AS n", neo4j::Params::new()).await?.single().await?.get("n")?;
    /// assert_eq!(n, 42);
    /// # Ok(()) }
    /// ```
    pub async fn single(mut self) -> Result<Record, Error> {
        let inner = self.inner().await?;
        let first = inner.next().await.transpose()?;
        let second = inner.next().await.transpose()?;
        inner.consume().await?;
        match (first, second) {
            (Some(r), None) => Ok(r),
            (None, _) => Err(Error::ResultNotSingle("the result is empty".into())),
            (Some(_), Some(_)) => Err(Error::ResultNotSingle(
                "the result has more than one record".into(),
            )),
        }
    }

    /// At most one record: `Ok(None)` when no record is left,
    /// `Ok(Some(record))` for exactly one. When more follow, the first is
    /// returned, the rest of the stream is read and thrown away (so the
    /// method cannot serve as another `next`), and a warning is logged and
    /// kept in [`SingleOptional::warnings`]. Called again on the exhausted
    /// stream it returns `None`.
    ///
    /// ```no_run
    /// # async fn demo(s: &mut neo4j::Session) -> Result<(), neo4j::Error> {
    /// let mut r = s.run("MATCH (p:Person {id: 7}) RETURN p.name AS name", neo4j::Params::new()).await?;
    /// match r.single_optional().await?.record {
    ///     Some(rec) => println!("found {:?}", rec.get_value("name")),
    ///     None => println!("no such person"),
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn single_optional(&mut self) -> Result<SingleOptional, Error> {
        let inner = self.inner().await?;
        let Some(first) = inner.next().await.transpose()? else {
            return Ok(SingleOptional::default());
        };
        let mut extra = 0usize;
        while let Some(r) = inner.next().await {
            r?;
            extra += 1;
        }
        let mut warnings = Vec::new();
        if extra > 0 {
            let w = format!(
                "expected at most one record, but the result had multiple ({} more were discarded)",
                extra
            );
            tracing::warn!("{w}");
            warnings.push(w);
        }
        Ok(SingleOptional {
            record: Some(first),
            warnings,
        })
    }

    /// Every remaining record.
    ///
    /// Ignores the fetch size: what the server has not sent yet comes in
    /// one batch (PULL with `n = -1`), since all of it is held at once
    /// anyway and smaller batches would only cost round trips.
    ///
    /// ```no_run
    /// # async fn demo(s: &mut neo4j::Session) -> Result<(), neo4j::Error> {
    /// let all = s.run("UNWIND range(1, 5) AS x RETURN x", neo4j::Params::new()).await?.collect().await?;
    /// assert_eq!(all.len(), 5);
    /// # Ok(()) }
    /// ```
    pub async fn collect(mut self) -> Result<Vec<Record>, Error> {
        self.list().await
    }

    /// Every remaining record, like [`collect`](Self::collect) (in one
    /// batch, whatever the fetch size), keeping the stream for
    /// [`consume`](Self::consume) and its summary.
    ///
    /// ```no_run
    /// # async fn demo(s: &mut neo4j::Session) -> Result<(), neo4j::Error> {
    /// let mut r = s.run("UNWIND range(1, 5) AS x RETURN x", neo4j::Params::new()).await?;
    /// let first = r.next().await.transpose()?;
    /// let rest = r.list().await?;
    /// assert_eq!((first.is_some(), rest.len()), (true, 4));
    /// let summary = r.consume().await?;
    /// # let _ = summary; Ok(()) }
    /// ```
    pub async fn list(&mut self) -> Result<Vec<Record>, Error> {
        let inner = self.inner().await?;
        inner.fetch_size = -1;
        let mut out = Vec::new();
        while let Some(r) = inner.next().await {
            out.push(r?);
        }
        Ok(out)
    }

    /// Every remaining record with the keys and summary.
    ///
    /// ```no_run
    /// # async fn demo(s: &mut neo4j::Session) -> Result<(), neo4j::Error> {
    /// let eager = s.run("RETURN 1 AS x", neo4j::Params::new()).await?.into_eager().await?;
    /// assert_eq!(eager.records.len(), 1);
    /// # Ok(()) }
    /// ```
    pub async fn into_eager(mut self) -> Result<EagerResult, Error> {
        let inner = self.inner().await?;
        inner.fetch_size = -1;
        let mut records = Vec::new();
        while let Some(r) = inner.next().await {
            records.push(r?);
        }
        let summary = inner.consume().await?;
        Ok(EagerResult {
            keys: inner.keys.to_vec(),
            records,
            summary,
        })
    }

    /// Discards the remaining records and returns the summary.
    ///
    /// ```no_run
    /// # async fn demo(s: &mut neo4j::Session) -> Result<(), neo4j::Error> {
    /// let summary = s.run("CREATE ()", neo4j::Params::new()).await?.consume().await?;
    /// assert_eq!(summary.counters().nodes_created, 1);
    /// # Ok(()) }
    /// ```
    pub async fn consume(mut self) -> Result<ResultSummary, Error> {
        self.inner().await?.consume().await
    }
}

impl<'a> Stream for RecordStream<'a> {
    type Item = Result<Record, Error>;

    /// Records from the buffer without allocation; a boxed future only
    /// when a new batch must be fetched.
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if let Some(f) = this.fetching.as_mut() {
                let (inner, err) = futures_util::ready!(f.poll_unpin(cx));
                this.fetching = None;
                this.inner = Some(inner);
                if let Some(e) = err {
                    return Poll::Ready(Some(Err(e)));
                }
            }
            let Some(inner) = this.inner.as_mut() else {
                return Poll::Ready(None);
            };
            match inner.pop() {
                Some(Ok(r)) => return Poll::Ready(Some(Ok(r))),
                Some(Err(e)) => {
                    let Some(mut inner) = this.inner.take() else {
                        return Poll::Ready(None);
                    };
                    this.fetching = Some(Box::pin(async move {
                        let e = inner.fail_record(e).await;
                        (inner, Some(e))
                    }));
                    continue;
                }
                None => {}
            }
            if let Some(e) = inner.deferred.take() {
                return Poll::Ready(Some(Err(e)));
            }
            if matches!(inner.phase, Phase::Done | Phase::Failed) {
                return Poll::Ready(None);
            }
            let Some(mut inner) = this.inner.take() else {
                return Poll::Ready(None);
            };
            this.fetching = Some(Box::pin(async move {
                let err = inner.fetch_keep().await.err();
                (inner, err)
            }));
        }
    }
}
