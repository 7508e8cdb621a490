//! [`ValueMap`]: the insertion-ordered string-keyed map inside
//! [`Value::Map`](crate::Value::Map), node and relationship properties, and
//! parameters.

use super::Value;

/// An insertion-ordered map from string keys to [`Value`]s.
///
/// Backed by a `Vec<(String, Value)>`: lookups are linear, which beats
/// hashing for the small maps the server returns. Inserting an existing key
/// replaces its value and keeps its position.
///
/// ```
/// use neo4j::{Value, ValueMap};
/// let mut m = ValueMap::new();
/// m.insert("name", "Ada");
/// m.insert("born", 1815);
/// assert_eq!(m.get("born"), Some(&Value::Integer(1815)));
/// assert_eq!(m.keys().collect::<Vec<_>>(), ["name", "born"]);
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ValueMap {
    entries: Vec<(String, Value)>,
}

impl ValueMap {
    /// An empty map.
    ///
    /// ```
    /// assert!(neo4j::ValueMap::new().is_empty());
    /// ```
    pub const fn new() -> Self {
        ValueMap {
            entries: Vec::new(),
        }
    }

    /// An empty map with room for `n` entries.
    ///
    /// ```
    /// assert_eq!(neo4j::ValueMap::with_capacity(3).len(), 0);
    /// ```
    pub fn with_capacity(n: usize) -> Self {
        ValueMap {
            entries: Vec::with_capacity(n),
        }
    }

    /// Builds a map from entries as they are, without checking for
    /// duplicate keys (the decoder's fast path).
    pub(crate) fn from_entries_unchecked(entries: Vec<(String, Value)>) -> Self {
        ValueMap { entries }
    }

    /// Inserts `v` under `k`; returns the old value if `k` was present.
    ///
    /// ```
    /// let mut m = neo4j::ValueMap::new();
    /// assert_eq!(m.insert("a", 1), None);
    /// assert_eq!(m.insert("a", 2), Some(neo4j::Value::Integer(1)));
    /// assert_eq!(m.len(), 1);
    /// ```
    pub fn insert(&mut self, k: impl Into<String>, v: impl Into<Value>) -> Option<Value> {
        let k = k.into();
        let v = v.into();
        match self.entries.iter_mut().find(|(key, _)| *key == k) {
            Some((_, old)) => Some(std::mem::replace(old, v)),
            None => {
                self.entries.push((k, v));
                None
            }
        }
    }

    /// The value under `k`.
    ///
    /// ```
    /// let m: neo4j::ValueMap = [("a", 1)].into_iter().collect();
    /// assert_eq!(m.get("a"), Some(&neo4j::Value::Integer(1)));
    /// assert!(m.get("b").is_none());
    /// ```
    pub fn get(&self, k: &str) -> Option<&Value> {
        self.entries
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v)
    }

    /// The value under `k`, mutably.
    ///
    /// ```
    /// let mut m: neo4j::ValueMap = [("a", 1)].into_iter().collect();
    /// *m.get_mut("a").unwrap() = 5.into();
    /// assert_eq!(m.get("a"), Some(&neo4j::Value::Integer(5)));
    /// ```
    pub fn get_mut(&mut self, k: &str) -> Option<&mut Value> {
        self.entries
            .iter_mut()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v)
    }

    /// Removes and returns the value under `k` (later entries move up).
    ///
    /// ```
    /// let mut m: neo4j::ValueMap = [("a", 1), ("b", 2)].into_iter().collect();
    /// assert_eq!(m.remove("a"), Some(1.into()));
    /// assert_eq!(m.keys().collect::<Vec<_>>(), ["b"]);
    /// ```
    pub fn remove(&mut self, k: &str) -> Option<Value> {
        let i = self.entries.iter().position(|(key, _)| key == k)?;
        Some(self.entries.remove(i).1)
    }

    /// Whether `k` is present.
    ///
    /// ```
    /// let m: neo4j::ValueMap = [("a", 1)].into_iter().collect();
    /// assert!(m.contains_key("a"));
    /// ```
    pub fn contains_key(&self, k: &str) -> bool {
        self.get(k).is_some()
    }

    /// Number of entries.
    ///
    /// ```
    /// assert_eq!(neo4j::ValueMap::new().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the map is empty.
    ///
    /// ```
    /// assert!(neo4j::ValueMap::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Entries in insertion order.
    ///
    /// ```
    /// let m: neo4j::ValueMap = [("a", 1)].into_iter().collect();
    /// let (k, v) = m.iter().next().unwrap();
    /// assert_eq!((k, v), ("a", &neo4j::Value::Integer(1)));
    /// ```
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &Value)> + '_ {
        self.entries.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Keys in insertion order.
    ///
    /// ```
    /// let m: neo4j::ValueMap = [("x", 1), ("y", 2)].into_iter().collect();
    /// assert_eq!(m.keys().collect::<Vec<_>>(), ["x", "y"]);
    /// ```
    pub fn keys(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.entries.iter().map(|(k, _)| k.as_str())
    }

    /// Values in insertion order.
    ///
    /// ```
    /// let m: neo4j::ValueMap = [("x", 1)].into_iter().collect();
    /// assert_eq!(m.values().count(), 1);
    /// ```
    pub fn values(&self) -> impl ExactSizeIterator<Item = &Value> + '_ {
        self.entries.iter().map(|(_, v)| v)
    }

    /// The entries as a slice.
    ///
    /// ```
    /// let m: neo4j::ValueMap = [("x", 1)].into_iter().collect();
    /// assert_eq!(m.as_slice()[0].0, "x");
    /// ```
    pub fn as_slice(&self) -> &[(String, Value)] {
        &self.entries
    }

    /// The entries, consuming the map.
    ///
    /// ```
    /// let m: neo4j::ValueMap = [("x", 1)].into_iter().collect();
    /// assert_eq!(m.into_vec(), vec![("x".to_string(), neo4j::Value::Integer(1))]);
    /// ```
    pub fn into_vec(self) -> Vec<(String, Value)> {
        self.entries
    }
}

impl<K: Into<String>, V: Into<Value>> FromIterator<(K, V)> for ValueMap {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut m = ValueMap::new();
        m.extend(iter);
        m
    }
}

impl<K: Into<String>, V: Into<Value>> Extend<(K, V)> for ValueMap {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}

impl IntoIterator for ValueMap {
    type Item = (String, Value);
    type IntoIter = std::vec::IntoIter<(String, Value)>;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl<'a> IntoIterator for &'a ValueMap {
    type Item = (&'a str, &'a Value);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (String, Value)>,
        fn(&'a (String, Value)) -> (&'a str, &'a Value),
    >;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter().map(|(k, v)| (k.as_str(), v))
    }
}
