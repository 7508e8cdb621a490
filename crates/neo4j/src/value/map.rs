//! [`ValueMap`]: the insertion-ordered string-keyed map inside
//! [`Value::Map`], node and relationship properties, and parameters, and
//! its iterators ([`Iter`], [`IntoIter`]).
//!
//! Keys are stored in a private type: strings of up to 24 bytes live
//! inline, so decoding a map of short keys (the usual case: property names)
//! allocates nothing per key. The public API only ever hands out `&str`, or
//! an owned `String` where the map is consumed.

use std::fmt;
use std::iter::FusedIterator;

use compact_str::CompactString;

use super::Value;

/// A map key: inline up to 24 bytes, on the heap beyond. Private: never
/// part of a public signature.
pub(crate) type Key = CompactString;

/// An insertion-ordered map from string keys to [`Value`]s.
///
/// Backed by a vector of entries: lookups are linear, which beats hashing
/// for the small maps the server returns. Inserting an existing key
/// replaces its value and keeps its position. Short keys (up to 24 bytes)
/// are stored without a heap allocation of their own.
///
/// Equality ignores the order of entries, as Cypher maps are unordered and
/// the server sends them in an order of its own.
///
/// ```
/// use neo4j::{Value, ValueMap};
/// let mut m = ValueMap::new();
/// m.insert("name", "Ada");
/// m.insert("born", 1815);
/// assert_eq!(m.get("born"), Some(&Value::Integer(1815)));
/// assert_eq!(m.keys().collect::<Vec<_>>(), ["name", "born"]);
/// ```
#[derive(Debug, Clone, Default)]
pub struct ValueMap {
    entries: Vec<(Key, Value)>,
}

impl PartialEq for ValueMap {
    /// The same keys with equal values, in any order (keys are unique, so
    /// equal lengths and every entry found in `other` suffice). Entries in
    /// the same order are compared pairwise first, without lookups.
    fn eq(&self, other: &ValueMap) -> bool {
        self.entries.len() == other.entries.len()
            && (self.entries == other.entries
                || self.entries.iter().all(|(k, v)| other.get(k) == Some(v)))
    }
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
    pub(crate) fn from_entries_unchecked(entries: Vec<(Key, Value)>) -> Self {
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
        self.insert_key(Key::from(k.into()), v.into())
    }

    /// [`insert`](Self::insert) for a key already in its stored form.
    pub(crate) fn insert_key(&mut self, k: Key, v: Value) -> Option<Value> {
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
            .find(|(key, _)| key.as_str() == k)
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
            .find(|(key, _)| key.as_str() == k)
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
        let i = self.entries.iter().position(|(key, _)| key.as_str() == k)?;
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
    pub fn iter(&self) -> Iter<'_> {
        Iter(self.entries.iter())
    }

    /// Keys in insertion order.
    ///
    /// ```
    /// let m: neo4j::ValueMap = [("x", 1), ("y", 2)].into_iter().collect();
    /// assert_eq!(m.keys().collect::<Vec<_>>(), ["x", "y"]);
    /// ```
    pub fn keys(&self) -> impl ExactSizeIterator<Item = &str> + DoubleEndedIterator + '_ {
        self.entries.iter().map(|(k, _)| k.as_str())
    }

    /// Values in insertion order.
    ///
    /// ```
    /// let m: neo4j::ValueMap = [("x", 1)].into_iter().collect();
    /// assert_eq!(m.values().count(), 1);
    /// ```
    pub fn values(&self) -> impl ExactSizeIterator<Item = &Value> + DoubleEndedIterator + '_ {
        self.entries.iter().map(|(_, v)| v)
    }

    /// The entries, consuming the map.
    ///
    /// ```
    /// let m: neo4j::ValueMap = [("x", 1)].into_iter().collect();
    /// assert_eq!(m.into_vec(), vec![("x".to_string(), neo4j::Value::Integer(1))]);
    /// ```
    pub fn into_vec(self) -> Vec<(String, Value)> {
        self.into_iter().collect()
    }

    /// The entries with their keys in stored form, consuming the map.
    pub(crate) fn into_entries(self) -> std::vec::IntoIter<(Key, Value)> {
        self.entries.into_iter()
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
    type IntoIter = IntoIter;
    /// The entries in insertion order, keys as owned `String`s.
    fn into_iter(self) -> IntoIter {
        IntoIter(self.entries.into_iter())
    }
}

impl<'a> IntoIterator for &'a ValueMap {
    type Item = (&'a str, &'a Value);
    type IntoIter = Iter<'a>;
    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

/// The entries of a [`ValueMap`], borrowed, in insertion order (from
/// [`ValueMap::iter`]).
///
/// ```
/// let m: neo4j::ValueMap = [("a", 1), ("b", 2)].into_iter().collect();
/// let mut it: neo4j::value::map::Iter<'_> = m.iter();
/// assert_eq!(it.next_back().map(|(k, _)| k), Some("b"));
/// assert_eq!(it.len(), 1);
/// ```
#[derive(Clone)]
pub struct Iter<'a>(std::slice::Iter<'a, (Key, Value)>);

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a str, &'a Value);
    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|(k, v)| (k.as_str(), v))
    }
    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl DoubleEndedIterator for Iter<'_> {
    #[inline]
    fn next_back(&mut self) -> Option<Self::Item> {
        self.0.next_back().map(|(k, v)| (k.as_str(), v))
    }
}

impl ExactSizeIterator for Iter<'_> {}
impl FusedIterator for Iter<'_> {}

impl fmt::Debug for Iter<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.clone()).finish()
    }
}

/// The entries of a [`ValueMap`], owned, in insertion order (from its
/// `IntoIterator`); each key becomes a `String` as it is handed out.
///
/// ```
/// let m: neo4j::ValueMap = [("a", 1)].into_iter().collect();
/// let mut it: neo4j::value::map::IntoIter = m.into_iter();
/// assert_eq!(it.next(), Some(("a".to_string(), neo4j::Value::Integer(1))));
/// ```
pub struct IntoIter(std::vec::IntoIter<(Key, Value)>);

impl Iterator for IntoIter {
    type Item = (String, Value);
    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|(k, v)| (k.into_string(), v))
    }
    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl DoubleEndedIterator for IntoIter {
    #[inline]
    fn next_back(&mut self) -> Option<Self::Item> {
        self.0.next_back().map(|(k, v)| (k.into_string(), v))
    }
}

impl ExactSizeIterator for IntoIter {}
impl FusedIterator for IntoIter {}

impl fmt::Debug for IntoIter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.0.as_slice().iter().map(|(k, v)| (k.as_str(), v)))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equality_ignores_the_order_of_entries() {
        let ab: ValueMap = [("a", 1), ("b", 2)].into_iter().collect();
        let ba: ValueMap = [("b", 2), ("a", 1)].into_iter().collect();
        assert_eq!(ab, ba);
        assert_eq!(Value::Map(ab.clone()), Value::Map(ba.clone()));
        let other: ValueMap = [("b", 2), ("a", 3)].into_iter().collect();
        assert_ne!(ab, other);
        let longer: ValueMap = [("a", 1), ("b", 2), ("c", 3)].into_iter().collect();
        assert_ne!(ab, longer);
        assert_ne!(longer, ab);
        assert_eq!(ValueMap::new(), ValueMap::default());
    }

    #[test]
    fn short_and_long_keys_behave_alike() {
        let long = "a key longer than twenty-four bytes, kept on the heap";
        let mut m = ValueMap::new();
        m.insert("id", 1);
        m.insert(long, 2);
        m.insert(String::from("é"), 3);
        assert_eq!(m.insert(long.to_string(), 4), Some(Value::Integer(2)));
        assert_eq!(m.get(long), Some(&Value::Integer(4)));
        assert_eq!(m.keys().collect::<Vec<_>>(), ["id", long, "é"]);
        assert_eq!(m.iter().rev().map(|(k, _)| k).next(), Some("é"));
        let owned: Vec<(String, Value)> = m.clone().into_iter().collect();
        assert_eq!(owned[1], (long.to_string(), Value::Integer(4)));
        assert_eq!(m.clone().into_vec(), owned);
        assert_eq!(m.remove("id"), Some(Value::Integer(1)));
        assert_eq!(m.len(), 2);
    }

    #[test]
    fn debug_shows_keys_as_strings() {
        let m: ValueMap = [("a", 1)].into_iter().collect();
        assert_eq!(
            format!("{m:?}"),
            r#"ValueMap { entries: [("a", Integer(1))] }"#
        );
        assert_eq!(format!("{:?}", m.iter()), r#"[("a", Integer(1))]"#);
        assert_eq!(format!("{:?}", m.into_iter()), r#"[("a", Integer(1))]"#);
    }
}
