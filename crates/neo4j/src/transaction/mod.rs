//! Transactions: explicit ([`Transaction`], from
//! [`Session::begin_transaction`](crate::Session::begin_transaction)) and
//! managed ([`ManagedTransaction`], the handle given to
//! [`Session::execute_read`](crate::Session::execute_read) /
//! [`execute_write`](crate::Session::execute_write) closures), and their
//! options ([`TransactionConfig`]).
//!
//! Both run on the session's connection slot; the Bolt exchanges (BEGIN,
//! COMMIT, ROLLBACK on every protocol version) live in `session::slot`.
//! The retry loop of managed transactions lives with the session.

use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Mutex;

use crate::error::Error;
use crate::params::Params;
use crate::query::Query;
use crate::result::{start, Link, RecordStream};
use crate::session::slot::{Slot, TxState};
use crate::session::Session;
use crate::value::ValueMap;

/// Options of a transaction: a timeout enforced by the server and metadata
/// shown in its transaction listings.
///
/// ```
/// use std::time::Duration;
/// let cfg = neo4j::TransactionConfig::new()
///     .with_timeout(Duration::from_secs(10))
///     .with_metadata(neo4j::params! {"app" => "billing"});
/// assert_eq!(cfg.timeout(), Some(Duration::from_secs(10)));
/// ```
#[derive(Debug, Clone, Default)]
pub struct TransactionConfig {
    timeout: Option<Duration>,
    metadata: Option<ValueMap>,
}

impl TransactionConfig {
    /// No timeout (the server's default), no metadata.
    ///
    /// ```
    /// let cfg = neo4j::TransactionConfig::new();
    /// assert_eq!(cfg.timeout(), None);
    /// ```
    pub fn new() -> Self {
        TransactionConfig::default()
    }

    /// The server aborts the transaction after this long (Bolt 3.0+).
    ///
    /// ```
    /// use std::time::Duration;
    /// let cfg = neo4j::TransactionConfig::new().with_timeout(Duration::from_millis(1500));
    /// assert_eq!(cfg.timeout(), Some(Duration::from_millis(1500)));
    /// ```
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Metadata attached to the transaction (Bolt 3.0+).
    ///
    /// ```
    /// let cfg = neo4j::TransactionConfig::new().with_metadata(neo4j::params! {"app" => "billing", "user" => 42});
    /// # let _ = cfg;
    /// ```
    pub fn with_metadata(mut self, metadata: impl Into<Params>) -> Self {
        self.metadata = Some(metadata.into().into_map());
        self
    }

    /// The timeout, if set.
    ///
    /// ```
    /// assert_eq!(neo4j::TransactionConfig::default().timeout(), None);
    /// ```
    pub fn timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// The metadata, if set.
    pub(crate) fn metadata(&self) -> Option<&ValueMap> {
        self.metadata.as_ref()
    }
}

/// An explicit transaction; borrows its session until it ends.
///
/// Several of its results may be open at once (each borrows the
/// transaction): on Bolt 4.0+ the server keeps them all and each is pulled
/// by its id; on older servers a new query discards the results still
/// open (reading one further then fails with [`Error::ResultConsumed`]).
/// Once a query of the transaction fails, its earlier results report that
/// failure instead of fetching more, and only a rollback is left.
///
/// End it with [`commit`](Self::commit), [`rollback`](Self::rollback) or
/// [`close`](Self::close). A transaction dropped while open is rolled back:
/// at once if the session is used again (or closed), otherwise by the pool,
/// which RESETs the connection before reusing it.
///
/// A future of the transaction cancelled (dropped, e.g. by
/// `tokio::time::timeout`) while it waits for a query's answer or records
/// ends the transaction: the next call RESETs the connection, which stops
/// the query on the server and rolls the transaction back, and fails with
/// [`Error::Usage`]; only [`rollback`](Self::rollback) is left. The
/// cancelled result itself may go on reading if nothing else ran.
///
/// ```no_run
/// # async fn demo(session: &mut neo4j::Session) -> Result<(), neo4j::Error> {
/// use neo4j::{params, TransactionConfig};
/// let tx = session.begin_transaction(TransactionConfig::new()).await?;
/// tx.run("CREATE (:Account {id: $id})", params! {"id" => 1}).await?.consume().await?;
/// tx.run("CREATE (:Account {id: $id})", params! {"id" => 2}).await?.consume().await?;
/// tx.commit().await?;
/// # Ok(()) }
/// ```
pub struct Transaction<'s> {
    session: &'s mut Session,
    /// The session's slot while the transaction runs, shared with its
    /// results; given back to the session when the transaction ends or is
    /// dropped.
    ///
    /// Waits on this lock carry no deadline of their own, and need none:
    /// `commit`/`rollback` take the transaction by value, so no result
    /// (they borrow it) is left to hold the lock; a result waits only
    /// while another result of the same transaction does one exchange,
    /// whose every read and write has the connection's deadline and whose
    /// one call into user code (the auth manager's
    /// `handle_security_error`) has the acquisition timeout. The one way
    /// to wait forever is a result future polled, kept and never polled
    /// again while its own task awaits another result: a self-deadlock, as
    /// with any async lock.
    slot: Arc<Mutex<Slot>>,
    /// Whether the slot went back to the session already.
    returned: bool,
    fetch_size: i64,
}

impl std::fmt::Debug for Transaction<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transaction")
            .field("fetch_size", &self.fetch_size)
            .finish_non_exhaustive()
    }
}

impl Drop for Transaction<'_> {
    fn drop(&mut self) {
        self.give_back();
    }
}

impl<'s> Transaction<'s> {
    pub(crate) fn new(session: &'s mut Session, fetch_size: i64) -> Self {
        let slot = std::mem::take(session.slot_mut());
        Transaction {
            session,
            slot: Arc::new(Mutex::new(slot)),
            returned: false,
            fetch_size,
        }
    }

    /// Puts the slot back into the session (once). Its results borrow the
    /// transaction, so none holds the lock by now.
    fn give_back(&mut self) {
        if self.returned {
            return;
        }
        if let Ok(mut slot) = self.slot.try_lock() {
            *self.session.slot_mut() = std::mem::take(&mut *slot);
            self.returned = true;
        }
    }

    /// Runs a query in the transaction. Earlier results stay readable
    /// (see [the type's documentation](Self)); results not consumed by the
    /// commit are discarded.
    ///
    /// ```no_run
    /// # async fn demo(tx: &neo4j::Transaction<'_>) -> Result<(), neo4j::Error> {
    /// let mut outer = tx.run("UNWIND [1, 2] AS x RETURN x", neo4j::params! {}).await?;
    /// while let Some(rec) = outer.next().await {
    ///     let x: i64 = rec?.get("x")?;
    ///     // A second result of the same transaction while the first is open.
    ///     tx.run("CREATE (:Seen {x: $x})", neo4j::params! {"x" => x}).await?.consume().await?;
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn run(
        &self,
        query: impl Into<String>,
        params: impl Into<Params>,
    ) -> Result<RecordStream<'_>, Error> {
        let q = Query::new(query).with_params(params);
        start(
            Link::Tx(self.slot.clone(), PhantomData),
            q,
            None,
            self.fetch_size,
        )
        .await
    }

    /// Commits; the session's bookmarks become the commit's bookmark.
    ///
    /// ```no_run
    /// # async fn demo(tx: neo4j::Transaction<'_>) -> Result<(), neo4j::Error> {
    /// tx.commit().await?;
    /// # Ok(()) }
    /// ```
    pub async fn commit(mut self) -> Result<(), Error> {
        let r = self.slot.lock().await.commit().await;
        self.give_back();
        match r {
            Ok(bm) => {
                self.session.after_commit(bm);
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// Rolls back.
    ///
    /// ```no_run
    /// # async fn demo(tx: neo4j::Transaction<'_>) -> Result<(), neo4j::Error> {
    /// tx.rollback().await?;
    /// # Ok(()) }
    /// ```
    pub async fn rollback(mut self) -> Result<(), Error> {
        let r = self.slot.lock().await.rollback().await;
        self.give_back();
        r
    }

    /// Rolls back if still open; otherwise does nothing.
    ///
    /// ```no_run
    /// # async fn demo(tx: neo4j::Transaction<'_>) -> Result<(), neo4j::Error> {
    /// tx.close().await?;
    /// # Ok(()) }
    /// ```
    pub async fn close(self) -> Result<(), Error> {
        if self.is_open() {
            self.rollback().await
        } else {
            Ok(())
        }
    }

    /// Whether the transaction can still run queries or commit (not failed,
    /// not ended).
    ///
    /// ```no_run
    /// # async fn demo(session: &mut neo4j::Session) -> Result<(), neo4j::Error> {
    /// let tx = session.begin_transaction(neo4j::TransactionConfig::new()).await?;
    /// assert!(tx.is_open());
    /// if tx.run("RETURN 1/0", neo4j::params! {}).await.is_err() {
    ///     assert!(!tx.is_open()); // failed: only rollback is left
    /// }
    /// tx.close().await?;
    /// # Ok(()) }
    /// ```
    pub fn is_open(&self) -> bool {
        // Locked only while one of its results talks to the server: open.
        self.slot
            .try_lock()
            .map(|s| s.tx == TxState::Open)
            .unwrap_or(true)
    }
}

/// The transaction handle of a managed transaction closure.
///
/// Cheap to clone; valid until the closure returns (then the driver commits
/// or rolls back, and further use fails with [`Error::Usage`]). One result
/// at a time: consume or drop a result before running the next query.
///
/// ```no_run
/// # async fn demo(session: &mut neo4j::Session) -> Result<(), neo4j::Error> {
/// let total: i64 = session
///     .execute_read(|tx| async move {
///         let rec = tx.run("MATCH (n) RETURN count(n) AS c", neo4j::params! {}).await?.single().await?;
///         rec.get::<i64>("c")
///     })
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct ManagedTransaction {
    slot: Arc<Mutex<Slot>>,
    fetch_size: i64,
}

impl std::fmt::Debug for ManagedTransaction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ManagedTransaction").finish_non_exhaustive()
    }
}

impl ManagedTransaction {
    /// A handle on `slot`, in `cell` (the session's from an earlier
    /// transaction) when nothing else holds that any more.
    pub(crate) fn new(
        slot: Slot,
        fetch_size: i64,
        cell: Option<Arc<Mutex<Slot>>>,
    ) -> (Self, Arc<Mutex<Slot>>) {
        let shared = match cell {
            Some(mut cell) => match Arc::get_mut(&mut cell) {
                Some(unshared) => {
                    *unshared.get_mut() = slot;
                    cell
                }
                None => Arc::new(Mutex::new(slot)),
            },
            None => Arc::new(Mutex::new(slot)),
        };
        (
            ManagedTransaction {
                slot: shared.clone(),
                fetch_size,
            },
            shared,
        )
    }

    /// Runs a query in the transaction.
    ///
    /// # Errors
    /// [`Error::Usage`] if an earlier result of this transaction is still
    /// alive, or the closure has returned.
    ///
    /// ```no_run
    /// # async fn demo(session: &mut neo4j::Session) -> Result<(), neo4j::Error> {
    /// session
    ///     .execute_write(|tx| async move {
    ///         tx.run("CREATE (:A)", neo4j::params! {}).await?.consume().await?;
    ///         // The first result is consumed: the next query may run.
    ///         tx.run("CREATE (:B)", neo4j::params! {}).await?.consume().await
    ///     })
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn run(
        &self,
        query: impl Into<String>,
        params: impl Into<Params>,
    ) -> Result<RecordStream<'static>, Error> {
        let guard = self.slot.clone().try_lock_owned().map_err(|_| {
            Error::Usage(
                "an earlier result of this transaction is still in use; consume or drop it \
                 before running the next query"
                    .into(),
            )
        })?;
        if guard.conn.is_none() {
            return Err(Error::Usage(
                "the managed transaction has ended (its closure returned)".into(),
            ));
        }
        let q = Query::new(query).with_params(params);
        start(Link::Shared(guard), q, None, self.fetch_size).await
    }
}
