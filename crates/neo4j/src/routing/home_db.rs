//! The home-database cache of a routing driver (Bolt 5.8): which database
//! the server resolved as home for a user, so a later session of that user
//! can route its first unit of work at once instead of asking the cluster
//! first.
//!
//! A guess from the cache is only used while every connected server said
//! it does server-side routing (`ssr.enabled` in its HELLO hints): the
//! work then goes to a member of the guessed database but names no
//! database, so a wrong guess is still run on the right one by the server,
//! whose BEGIN / RUN SUCCESS names the real home database (see
//! `session`). Owns the cache and the key; must not route or talk to
//! servers.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Mutex;
use std::time::Instant;

use crate::auth::AuthToken;

/// Entries kept before the least recently used are dropped.
const MAX_ENTRIES: usize = 1000;

/// Whose home database an entry holds.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum HomeDbKey {
    /// The driver's own user (no impersonation, no session auth).
    DriverUser,
    /// A user by name: the impersonated user, or the principal of a
    /// session's basic auth (the same user either way).
    User(String),
    /// A session's other auth token, by a hash of its fields (the key
    /// holds no secret; a collision only makes a wrong guess, which
    /// server-side routing corrects).
    Token(u64),
}

/// The cache key of a unit of work: the impersonated user if any, else
/// the session's auth (its principal for basic auth), else the driver's
/// user. The one place that decides who a home database belongs to.
pub(crate) fn home_db_key(imp_user: Option<&str>, session_auth: Option<&AuthToken>) -> HomeDbKey {
    if let Some(user) = imp_user {
        return HomeDbKey::User(user.to_owned());
    }
    match session_auth {
        None => HomeDbKey::DriverUser,
        Some(auth) => match auth.principal() {
            Some(p) if auth.scheme() == "basic" => HomeDbKey::User(p.to_owned()),
            _ => {
                let mut h = std::collections::hash_map::DefaultHasher::new();
                format!("{:?}", auth.to_bolt_fields()).hash(&mut h);
                HomeDbKey::Token(h.finish())
            }
        },
    }
}

/// Home database per user, least recently used dropped first.
#[derive(Debug, Default)]
pub(crate) struct HomeDbCache {
    entries: Mutex<HashMap<HomeDbKey, (String, Instant)>>,
}

impl HomeDbCache {
    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<HomeDbKey, (String, Instant)>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The cached home database of `key` (marks it used).
    pub(crate) fn get(&self, key: &HomeDbKey) -> Option<String> {
        let mut entries = self.entries();
        let entry = entries.get_mut(key)?;
        entry.1 = Instant::now();
        Some(entry.0.clone())
    }

    /// Remembers `database` as `key`'s home database.
    pub(crate) fn set(&self, key: HomeDbKey, database: &str) {
        let mut entries = self.entries();
        if entries.len() >= MAX_ENTRIES && !entries.contains_key(&key) {
            // Drop the least recently used tenth.
            let mut by_age: Vec<(Instant, HomeDbKey)> =
                entries.iter().map(|(k, (_, t))| (*t, k.clone())).collect();
            by_age.sort_by_key(|(t, _)| *t);
            for (_, k) in by_age.into_iter().take(MAX_ENTRIES / 10) {
                entries.remove(&k);
            }
        }
        entries.insert(key, (database.to_owned(), Instant::now()));
    }

    /// Forgets `key`'s entry (a guess that could not be routed).
    pub(crate) fn remove(&self, key: &HomeDbKey) {
        self.entries().remove(key);
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_name_the_user() {
        assert_eq!(home_db_key(None, None), HomeDbKey::DriverUser);
        let alice = HomeDbKey::User("alice".into());
        assert_eq!(home_db_key(Some("alice"), None), alice);
        // A basic principal is the same user as an impersonated one.
        let basic = AuthToken::basic_auth("alice", "secret");
        assert_eq!(home_db_key(None, Some(&basic)), alice);
        // Impersonation wins over the session's auth.
        assert_eq!(
            home_db_key(Some("bob"), Some(&basic)),
            HomeDbKey::User("bob".into())
        );
        // Other tokens are told apart by their fields.
        let t1 = home_db_key(None, Some(&AuthToken::bearer_auth("t1")));
        let t2 = home_db_key(None, Some(&AuthToken::bearer_auth("t2")));
        assert!(matches!(t1, HomeDbKey::Token(_)));
        assert_ne!(t1, t2);
    }

    #[test]
    fn cache_sets_gets_forgets_and_stays_bounded() {
        let c = HomeDbCache::default();
        let k = HomeDbKey::User("u".into());
        assert_eq!(c.get(&k), None);
        c.set(k.clone(), "db1");
        c.set(k.clone(), "db2");
        assert_eq!(c.get(&k).as_deref(), Some("db2"));
        c.remove(&k);
        assert_eq!(c.get(&k), None);
        for i in 0..MAX_ENTRIES + 5 {
            c.set(HomeDbKey::User(format!("u{i}")), "db");
        }
        assert!(c.len() <= MAX_ENTRIES);
        // The newest survive.
        let last = HomeDbKey::User(format!("u{}", MAX_ENTRIES + 4));
        assert_eq!(c.get(&last).as_deref(), Some("db"));
    }
}
