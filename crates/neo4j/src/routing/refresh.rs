//! One routing-table refresh in flight per database.
//!
//! Owns the per-database refresh locks: a session that finds its
//! database's table stale takes that database's lock, so concurrent
//! refreshes of one database are coalesced (the first asks the routers,
//! the others wait and then find its fresh table), while refreshes of other
//! databases go on at the same time. A lock lives only while someone holds
//! or awaits it: the map does not grow with every database name ever
//! used. Must not talk to routers, keep tables or decide deadlines (see
//! `provider`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::OwnedMutexGuard;

use super::provider::Key;

/// The refresh locks of a routing provider, one per database being
/// refreshed.
#[derive(Debug, Default)]
pub(crate) struct RefreshLocks {
    locks: Mutex<HashMap<Key, Arc<tokio::sync::Mutex<()>>>>,
}

impl RefreshLocks {
    fn map(&self) -> MutexGuard<'_, HashMap<Key, Arc<tokio::sync::Mutex<()>>>> {
        self.locks.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits for `key`'s lock (not for other databases'). Cancel-safe:
    /// dropping the future gives up the place in line.
    pub(crate) async fn lock(&self, key: &Key) -> RefreshGuard<'_> {
        let lock = Arc::clone(self.map().entry(key.clone()).or_default());
        // From here on, dropping `guard` (on cancellation too) removes the
        // lock from the map once nobody else uses it.
        let mut guard = RefreshGuard {
            locks: self,
            key: key.clone(),
            lock: Some(Arc::clone(&lock)),
            held: None,
        };
        guard.held = Some(lock.lock_owned().await);
        guard
    }

    /// How many databases have a lock held or awaited (tests).
    #[cfg(test)]
    fn len(&self) -> usize {
        self.map().len()
    }
}

/// A held refresh lock of one database; dropping it lets the next waiter
/// in.
#[derive(Debug)]
pub(crate) struct RefreshGuard<'a> {
    locks: &'a RefreshLocks,
    key: Key,
    lock: Option<Arc<tokio::sync::Mutex<()>>>,
    held: Option<OwnedMutexGuard<()>>,
}

impl Drop for RefreshGuard<'_> {
    fn drop(&mut self) {
        drop(self.held.take());
        drop(self.lock.take());
        // Clones are only made under the map's mutex (in `lock`, before
        // waiting), so a count of one, checked under it, means no holder
        // and no waiter is left.
        let mut map = self.locks.map();
        if map
            .get(&self.key)
            .is_some_and(|l| Arc::strong_count(l) == 1)
        {
            map.remove(&self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn db(name: &str) -> Key {
        Some(name.to_owned())
    }

    #[tokio::test]
    async fn one_holder_per_database_others_go_on() {
        let locks = RefreshLocks::default();
        let a = locks.lock(&db("a")).await;
        // Another database and the home database are not held up.
        let b = locks.lock(&db("b")).await;
        let home = locks.lock(&None).await;
        assert_eq!(locks.len(), 3);
        // The same database waits for the holder.
        let second = tokio::time::timeout(Duration::from_millis(50), locks.lock(&db("a"))).await;
        assert!(second.is_err(), "a second holder of `a`");
        drop(a);
        let again = locks.lock(&db("a")).await;
        drop((again, b, home));
        assert_eq!(locks.len(), 0, "unused locks are dropped");
    }

    #[tokio::test]
    async fn a_cancelled_waiter_leaves_nothing_behind() {
        let locks = RefreshLocks::default();
        let held = locks.lock(&db("a")).await;
        let waiting = tokio::time::timeout(Duration::from_millis(10), locks.lock(&db("a"))).await;
        assert!(waiting.is_err(), "the waiter gave up");
        assert_eq!(locks.len(), 1);
        drop(held);
        assert_eq!(locks.len(), 0);
    }
}
