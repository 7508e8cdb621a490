//! [`Map`]: PackStream's string-keyed dictionary, kept in insertion order.

use super::Value;

/// An insertion-ordered map from string keys to [`Value`]s.
///
/// Backed by a `Vec<(String, Value)>`: lookups are linear, which beats hashing
/// for the small maps Bolt carries (records, metadata). Inserting an existing
/// key replaces its value in place and keeps its position.
///
/// ```
/// use packstream::{Map, Value};
/// let mut m = Map::new();
/// m.insert("name", "Ada");
/// m.insert("age", 36);
/// assert_eq!(m.get("age"), Some(&Value::Integer(36)));
/// assert_eq!(m.keys().collect::<Vec<_>>(), ["name", "age"]);
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Map {
    entries: Vec<(String, Value)>,
}

impl Map {
    /// An empty map.
    ///
    /// ```
    /// assert!(packstream::Map::new().is_empty());
    /// ```
    pub const fn new() -> Self {
        Map {
            entries: Vec::new(),
        }
    }

    /// An empty map with room for `n` entries.
    ///
    /// ```
    /// let m = packstream::Map::with_capacity(4);
    /// assert_eq!(m.len(), 0);
    /// ```
    pub fn with_capacity(n: usize) -> Self {
        Map {
            entries: Vec::with_capacity(n),
        }
    }

    /// Inserts `v` under `k`; returns the old value if `k` was present (its
    /// position is kept).
    ///
    /// ```
    /// let mut m = packstream::Map::new();
    /// assert_eq!(m.insert("a", 1), None);
    /// assert_eq!(m.insert("a", 2), Some(1.into()));
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
    /// let m: packstream::Map = [("a", 1)].into_iter().collect();
    /// assert_eq!(m.get("a").and_then(|v| v.as_int()), Some(1));
    /// assert!(m.get("b").is_none());
    /// ```
    pub fn get(&self, k: &str) -> Option<&Value> {
        self.entries
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v)
    }

    /// Mutable access to the value under `k`.
    ///
    /// ```
    /// let mut m: packstream::Map = [("a", 1)].into_iter().collect();
    /// *m.get_mut("a").unwrap() = 2.into();
    /// assert_eq!(m.get("a"), Some(&2.into()));
    /// ```
    pub fn get_mut(&mut self, k: &str) -> Option<&mut Value> {
        self.entries
            .iter_mut()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v)
    }

    /// Removes `k`, keeping the order of the other entries.
    ///
    /// ```
    /// let mut m: packstream::Map = [("a", 1), ("b", 2)].into_iter().collect();
    /// assert_eq!(m.remove("a"), Some(1.into()));
    /// assert_eq!(m.len(), 1);
    /// ```
    pub fn remove(&mut self, k: &str) -> Option<Value> {
        let i = self.entries.iter().position(|(key, _)| key == k)?;
        Some(self.entries.remove(i).1)
    }

    /// Whether `k` is present.
    ///
    /// ```
    /// let m: packstream::Map = [("a", 1)].into_iter().collect();
    /// assert!(m.contains_key("a"));
    /// ```
    pub fn contains_key(&self, k: &str) -> bool {
        self.get(k).is_some()
    }

    /// Number of entries.
    ///
    /// ```
    /// let m: packstream::Map = [("a", 1)].into_iter().collect();
    /// assert_eq!(m.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the map has no entries.
    ///
    /// ```
    /// assert!(packstream::Map::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Entries in insertion order.
    ///
    /// ```
    /// let m: packstream::Map = [("a", 1)].into_iter().collect();
    /// for (k, v) in m.iter() { assert_eq!((k, v.as_int()), ("a", Some(1))); }
    /// ```
    pub fn iter(&self) -> Iter<'_> {
        Iter(self.entries.iter())
    }

    /// Keys in insertion order.
    ///
    /// ```
    /// let m: packstream::Map = [("a", 1), ("b", 2)].into_iter().collect();
    /// assert_eq!(m.keys().collect::<Vec<_>>(), ["a", "b"]);
    /// ```
    pub fn keys(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.entries.iter().map(|(k, _)| k.as_str())
    }

    /// Values in insertion order.
    ///
    /// ```
    /// let m: packstream::Map = [("a", 1), ("b", 2)].into_iter().collect();
    /// assert_eq!(m.values().filter_map(|v| v.as_int()).sum::<i64>(), 3);
    /// ```
    pub fn values(&self) -> impl ExactSizeIterator<Item = &Value> + '_ {
        self.entries.iter().map(|(_, v)| v)
    }

    /// Builds a map from decoded entries, keeping the last value of a repeated
    /// key at the position of its first occurrence (what [`Map::insert`] does),
    /// in linear time for large maps.
    pub(crate) fn from_entries(mut entries: Vec<(String, Value)>) -> Self {
        if entries.len() > 1 {
            dedup_last_wins(&mut entries);
        }
        Map { entries }
    }

    /// The entries as a slice, in order.
    ///
    /// ```
    /// let m: packstream::Map = [("a", 1)].into_iter().collect();
    /// assert_eq!(m.as_slice()[0].0, "a");
    /// ```
    pub fn as_slice(&self) -> &[(String, Value)] {
        &self.entries
    }

    /// Unwraps into the entries, in order.
    ///
    /// ```
    /// let m: packstream::Map = [("a", 1)].into_iter().collect();
    /// assert_eq!(m.into_vec(), vec![("a".to_string(), 1.into())]);
    /// ```
    pub fn into_vec(self) -> Vec<(String, Value)> {
        self.entries
    }
}

/// Keeps the last value per key, at the first key's position.
fn dedup_last_wins(entries: &mut Vec<(String, Value)>) {
    const LINEAR_LIMIT: usize = 16;
    let n = entries.len();
    if n <= LINEAR_LIMIT {
        // Quick check: most maps have no duplicates.
        let mut dup = false;
        'outer: for i in 1..n {
            for j in 0..i {
                if entries[i].0 == entries[j].0 {
                    dup = true;
                    break 'outer;
                }
            }
        }
        if !dup {
            return;
        }
    } else {
        let mut seen = std::collections::HashSet::with_capacity(n);
        if entries.iter().all(|(k, _)| seen.insert(k.as_str())) {
            return;
        }
    }
    // Slow path, only with duplicates present.
    let mut index: std::collections::HashMap<String, usize> =
        std::collections::HashMap::with_capacity(n);
    let mut out: Vec<(String, Value)> = Vec::with_capacity(n);
    for (k, v) in entries.drain(..) {
        match index.get(&k) {
            Some(&i) => out[i].1 = v,
            None => {
                index.insert(k.clone(), out.len());
                out.push((k, v));
            }
        }
    }
    *entries = out;
}

/// Iterator over `(&str, &Value)` in insertion order; see [`Map::iter`].
///
/// ```
/// let m: packstream::Map = [("a", 1), ("b", 2)].into_iter().collect();
/// let it: packstream::MapIter<'_> = m.iter();
/// assert_eq!(it.len(), 2);
/// ```
#[derive(Debug, Clone)]
pub struct Iter<'a>(std::slice::Iter<'a, (String, Value)>);

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a str, &'a Value);
    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|(k, v)| (k.as_str(), v))
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl ExactSizeIterator for Iter<'_> {}

impl<'a> IntoIterator for &'a Map {
    type Item = (&'a str, &'a Value);
    type IntoIter = Iter<'a>;
    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

impl IntoIterator for Map {
    type Item = (String, Value);
    type IntoIter = std::vec::IntoIter<(String, Value)>;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl<K: Into<String>, V: Into<Value>> FromIterator<(K, V)> for Map {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Map::from_entries(
            iter.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }
}

impl<K: Into<String>, V: Into<Value>> Extend<(K, V)> for Map {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, iter: I) {
        let before = self.entries.len();
        self.entries
            .extend(iter.into_iter().map(|(k, v)| (k.into(), v.into())));
        if self.entries.len() > before {
            dedup_last_wins(&mut self.entries);
        }
    }
}

impl std::ops::Index<&str> for Map {
    type Output = Value;
    /// The value of `k`.
    ///
    /// # Panics
    /// If the key is absent, like `HashMap`'s `Index`; use [`Map::get`]
    /// to get `None` instead.
    fn index(&self, k: &str) -> &Value {
        self.get(k).expect("key not present in packstream::Map")
    }
}
