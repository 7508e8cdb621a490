//! Bookmark managers: causal consistency shared by many sessions.
//!
//! Owns the [`BookmarkManager`] trait and the driver's default
//! implementation ([`GraphDatabase::bookmark_manager`](crate::GraphDatabase::bookmark_manager)
//! with a [`BookmarkManagerConfig`]). A session configured with a manager
//! sends its own bookmarks plus the manager's with each transaction and,
//! after each commit, tells the manager which bookmarks the commit made
//! obsolete and which one replaces them. Sessions are wired in
//! `session/`; this module knows nothing about connections.

use std::fmt;
use std::sync::{Arc, Mutex};

use crate::bookmarks::Bookmarks;

/// Keeps the bookmarks of many sessions, so each sees the others' commits.
///
/// Calls come from the driver's tasks, once per transaction: an
/// implementation must be quick and must not block on async work of the
/// same runtime.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use neo4j::{BookmarkManager, Bookmarks, SessionConfig};
///
/// /// Keeps only the latest bookmark.
/// #[derive(Default)]
/// struct Latest(Mutex<Bookmarks>);
///
/// impl BookmarkManager for Latest {
///     fn get_bookmarks(&self) -> Bookmarks {
///         self.0.lock().unwrap().clone()
///     }
///     fn update_bookmarks(&self, _previous: &Bookmarks, new: &Bookmarks) {
///         *self.0.lock().unwrap() = new.clone();
///     }
/// }
///
/// let cfg = SessionConfig::new().with_bookmark_manager(Arc::new(Latest::default()));
/// assert!(cfg.bookmark_manager().is_some());
/// ```
pub trait BookmarkManager: Send + Sync {
    /// The bookmarks a new transaction must wait for.
    fn get_bookmarks(&self) -> Bookmarks;

    /// A transaction that waited for `previous` committed and produced
    /// `new` (which supersedes `previous`).
    fn update_bookmarks(&self, previous: &Bookmarks, new: &Bookmarks);
}

/// Extra bookmarks asked for on each [`BookmarkManager::get_bookmarks`].
pub type BookmarksSupplier = Arc<dyn Fn() -> Bookmarks + Send + Sync>;
/// Told the manager's whole new set after each update.
pub type BookmarksConsumer = Arc<dyn Fn(&Bookmarks) + Send + Sync>;

/// Options of the default bookmark manager.
///
/// ```
/// use std::sync::Arc;
/// use neo4j::{BookmarkManagerConfig, Bookmarks, GraphDatabase};
/// let manager = GraphDatabase::bookmark_manager(BookmarkManagerConfig {
///     initial_bookmarks: Bookmarks::from_raw_values(["bm:1"]),
///     bookmarks_supplier: Some(Arc::new(|| Bookmarks::from_raw_values(["bm:other"]))),
///     bookmarks_consumer: Some(Arc::new(|b: &Bookmarks| println!("now {} bookmarks", b.len()))),
/// });
/// assert_eq!(manager.get_bookmarks().len(), 2);
/// ```
#[derive(Clone, Default)]
pub struct BookmarkManagerConfig {
    /// The bookmarks the manager starts with.
    pub initial_bookmarks: Bookmarks,
    /// Called on each `get_bookmarks`; what it returns is sent too, but
    /// not kept by the manager.
    pub bookmarks_supplier: Option<BookmarksSupplier>,
    /// Called with the manager's new set after each update.
    pub bookmarks_consumer: Option<BookmarksConsumer>,
}

impl fmt::Debug for BookmarkManagerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BookmarkManagerConfig")
            .field("initial_bookmarks", &self.initial_bookmarks)
            .field("bookmarks_supplier", &self.bookmarks_supplier.is_some())
            .field("bookmarks_consumer", &self.bookmarks_consumer.is_some())
            .finish()
    }
}

/// The driver's bookmark manager: a set of bookmarks where each update
/// removes the previous ones and adds the new ones.
pub(crate) struct DefaultBookmarkManager {
    bookmarks: Mutex<Bookmarks>,
    supplier: Option<BookmarksSupplier>,
    consumer: Option<BookmarksConsumer>,
}

impl DefaultBookmarkManager {
    pub(crate) fn new(config: BookmarkManagerConfig) -> DefaultBookmarkManager {
        DefaultBookmarkManager {
            bookmarks: Mutex::new(config.initial_bookmarks),
            supplier: config.bookmarks_supplier,
            consumer: config.bookmarks_consumer,
        }
    }

    fn current(&self) -> std::sync::MutexGuard<'_, Bookmarks> {
        self.bookmarks.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl BookmarkManager for DefaultBookmarkManager {
    fn get_bookmarks(&self) -> Bookmarks {
        let own = self.current().clone();
        match &self.supplier {
            Some(supply) => own + supply(),
            None => own,
        }
    }

    fn update_bookmarks(&self, previous: &Bookmarks, new: &Bookmarks) {
        if new.is_empty() {
            return;
        }
        let now = {
            let mut current = self.current();
            let kept = current.raw_values().filter(|b| {
                !previous.raw_values().any(|p| p == *b) && !new.raw_values().any(|n| n == *b)
            });
            let updated = Bookmarks::from_raw_values(kept.map(str::to_owned)) + new.clone();
            *current = updated.clone();
            updated
        };
        // Outside the lock: the consumer may call back into the manager.
        if let Some(consume) = &self.consumer {
            consume(&now);
        }
    }
}

impl fmt::Debug for DefaultBookmarkManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DefaultBookmarkManager")
            .field("bookmarks", &*self.current())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn bm(v: &[&str]) -> Bookmarks {
        Bookmarks::from_raw_values(v.iter().copied())
    }

    #[test]
    fn update_replaces_previous_and_keeps_unrelated() {
        let m = DefaultBookmarkManager::new(BookmarkManagerConfig {
            initial_bookmarks: bm(&["a", "b", "c"]),
            ..Default::default()
        });
        m.update_bookmarks(&bm(&["a", "b", "x"]), &bm(&["d"]));
        assert_eq!(m.get_bookmarks(), bm(&["c", "d"]));
        // An empty update changes nothing.
        m.update_bookmarks(&bm(&["c", "d"]), &Bookmarks::new());
        assert_eq!(m.get_bookmarks(), bm(&["c", "d"]));
    }

    #[test]
    fn supplier_adds_without_being_kept_and_consumer_sees_new_set() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let calls = Arc::new(AtomicUsize::new(0));
        let (seen2, calls2) = (Arc::clone(&seen), Arc::clone(&calls));
        let m = DefaultBookmarkManager::new(BookmarkManagerConfig {
            initial_bookmarks: bm(&["a"]),
            bookmarks_supplier: Some(Arc::new(move || {
                calls2.fetch_add(1, Ordering::SeqCst);
                bm(&["s"])
            })),
            bookmarks_consumer: Some(Arc::new(move |b: &Bookmarks| {
                seen2.lock().unwrap().push(b.clone())
            })),
        });
        let got = m.get_bookmarks();
        assert_eq!(got, bm(&["a", "s"]));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        m.update_bookmarks(&got, &bm(&["n"]));
        assert_eq!(seen.lock().unwrap().as_slice(), [bm(&["n"])]);
        assert_eq!(m.get_bookmarks(), bm(&["n", "s"]));
    }
}
