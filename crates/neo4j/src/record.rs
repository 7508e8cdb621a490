//! [`Record`]: one row of a result, its keys shared with every other row.
//!
//! Owns key lookup, typed access ([`FromValue`]) and serde mapping onto
//! user structs. Must not decode bytes (that is `value::wire`) or know
//! about streams.

use std::sync::Arc;

use serde::de::DeserializeOwned;

use crate::value::{de_entries, FromValue, Value};
use crate::Error;

/// One row of a result: values in the order of the result's keys.
///
/// Indexing (`record["name"]`, `record[0]`) panics on a missing key or an
/// index out of range, like std's maps and slices; the accessors
/// ([`get`](Self::get), [`get_at`](Self::get_at),
/// [`get_value`](Self::get_value)) return an error or `None` instead.
///
/// ```
/// use neo4j::{Record, Value};
/// # let record = Record::__from_parts(&["name", "age"], vec!["Ada".into(), 36.into()]);
/// // record: RETURN 'Ada' AS name, 36 AS age
/// assert_eq!(record.keys(), ["name", "age"]);
/// assert_eq!(record.get::<String>("name")?, "Ada");
/// assert_eq!(record.get_at::<i64>(1)?, 36);
/// assert_eq!(record.get_value("age"), Some(&Value::Integer(36)));
///
/// #[derive(serde::Deserialize)]
/// struct Row { name: String, age: u8 }
/// let row: Row = record.to()?;
/// assert_eq!((row.name.as_str(), row.age), ("Ada", 36));
/// # Ok::<(), neo4j::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    keys: Arc<[String]>,
    values: Row,
}

/// A record's values: a single value is kept inline (no allocation per
/// row for one-column results, the common streaming case).
#[derive(Clone)]
enum Row {
    One([Value; 1]),
    Many(Vec<Value>),
}

impl Row {
    fn into_vec(self) -> Vec<Value> {
        match self {
            Row::One([v]) => vec![v],
            Row::Many(v) => v,
        }
    }
}

impl std::ops::Deref for Row {
    type Target = [Value];
    fn deref(&self) -> &[Value] {
        match self {
            Row::One(v) => v,
            Row::Many(v) => v,
        }
    }
}

impl std::ops::DerefMut for Row {
    fn deref_mut(&mut self) -> &mut [Value] {
        match self {
            Row::One(v) => v,
            Row::Many(v) => v,
        }
    }
}

impl PartialEq for Row {
    fn eq(&self, other: &Row) -> bool {
        **self == **other
    }
}

impl std::fmt::Debug for Row {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        (**self).fmt(f)
    }
}

/// What [`Record::get_value`] accepts: a key (`&str`) or a position (`usize`).
///
/// ```
/// # let record = neo4j::Record::__from_parts(&["a"], vec![1.into()]);
/// assert_eq!(record.get_value("a"), record.get_value(0));
/// ```
pub trait RecordIndex: sealed::Sealed {
    #[doc(hidden)]
    fn position(&self, keys: &[String]) -> Option<usize>;
    #[doc(hidden)]
    fn describe(&self) -> String;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for &str {}
    impl Sealed for usize {}
}

impl RecordIndex for &str {
    fn position(&self, keys: &[String]) -> Option<usize> {
        keys.iter().position(|k| k == self)
    }
    fn describe(&self) -> String {
        (*self).to_owned()
    }
}

impl RecordIndex for usize {
    fn position(&self, keys: &[String]) -> Option<usize> {
        (*self < keys.len()).then_some(*self)
    }
    fn describe(&self) -> String {
        format!("#{self}")
    }
}

impl Record {
    /// A record of `values` under `keys` (same length; the session checks).
    pub(crate) fn new(keys: Arc<[String]>, values: Vec<Value>) -> Record {
        Record {
            keys,
            values: Row::Many(values),
        }
    }

    /// A one-value record, without allocating.
    pub(crate) fn one(keys: Arc<[String]>, value: Value) -> Record {
        Record {
            keys,
            values: Row::One([value]),
        }
    }

    /// For examples and tests only.
    #[doc(hidden)]
    pub fn __from_parts(keys: &[&str], values: Vec<Value>) -> Record {
        Record {
            keys: keys.iter().map(|k| (*k).to_owned()).collect(),
            values: Row::Many(values),
        }
    }

    /// The keys, in `RETURN` order.
    ///
    /// ```
    /// # let record = neo4j::Record::__from_parts(&["a", "b"], vec![1.into(), 2.into()]);
    /// assert_eq!(record.keys(), ["a", "b"]);
    /// ```
    pub fn keys(&self) -> &[String] {
        &self.keys
    }

    /// The values, in key order.
    ///
    /// ```
    /// # let record = neo4j::Record::__from_parts(&["a"], vec![1.into()]);
    /// assert_eq!(record.values(), [neo4j::Value::Integer(1)]);
    /// ```
    pub fn values(&self) -> &[Value] {
        &self.values
    }

    /// Number of values.
    ///
    /// ```
    /// # let record = neo4j::Record::__from_parts(&["a"], vec![1.into()]);
    /// assert_eq!(record.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether the record has no values.
    ///
    /// ```
    /// # let record = neo4j::Record::__from_parts(&[], vec![]);
    /// assert!(record.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The value under a key (`&str`) or at a position (`usize`).
    ///
    /// ```
    /// # let record = neo4j::Record::__from_parts(&["a"], vec![1.into()]);
    /// assert_eq!(record.get_value("a"), Some(&neo4j::Value::Integer(1)));
    /// assert_eq!(record.get_value("zz"), None);
    /// assert_eq!(record.get_value(5), None);
    /// ```
    pub fn get_value<I: RecordIndex>(&self, index: I) -> Option<&Value> {
        index.position(&self.keys).and_then(|i| self.values.get(i))
    }

    fn typed<T: FromValue, I: RecordIndex>(&self, index: I) -> Result<T, Error> {
        match self.get_value(&index) {
            Some(v) => T::from_value(v.clone()).map_err(|e| e.with_key(&index.describe())),
            None => Err(Error::Conversion {
                key: Some(index.describe()),
                message: format!("no such key in the record; keys are {:?}", self.keys()),
            }),
        }
    }

    /// The value under `key`, converted to `T`.
    ///
    /// # Errors
    /// [`Error::Conversion`] naming the key when it is missing or its value
    /// does not convert.
    ///
    /// ```
    /// # let record = neo4j::Record::__from_parts(&["age"], vec![36.into()]);
    /// assert_eq!(record.get::<i64>("age")?, 36);
    /// let e = record.get::<String>("age").unwrap_err();
    /// assert_eq!(e.to_string(), "cannot convert `age`: expected String, found Integer");
    /// assert!(record.get::<i64>("agee").unwrap_err().to_string().contains("`agee`"));
    /// # Ok::<(), neo4j::Error>(())
    /// ```
    pub fn get<T: FromValue>(&self, key: &str) -> Result<T, Error> {
        self.typed(key)
    }

    /// The value at `index`, converted to `T`.
    ///
    /// # Errors
    /// As [`get`](Record::get); the key is named `#index`.
    ///
    /// ```
    /// # let record = neo4j::Record::__from_parts(&["n"], vec![1.into()]);
    /// assert_eq!(record.get_at::<i32>(0)?, 1);
    /// assert!(record.get_at::<i32>(1).is_err());
    /// # Ok::<(), neo4j::Error>(())
    /// ```
    pub fn get_at<T: FromValue>(&self, index: usize) -> Result<T, Error> {
        self.typed(index)
    }

    /// Moves the value under `key` out (leaving `Null`), converted to `T`;
    /// avoids the clone [`get`](Record::get) makes.
    ///
    /// # Errors
    /// As [`get`](Record::get).
    ///
    /// ```
    /// # let mut record = neo4j::Record::__from_parts(&["s"], vec!["big".into()]);
    /// assert_eq!(record.take::<String>("s")?, "big");
    /// assert!(record.get_value("s").unwrap().is_null());
    /// # Ok::<(), neo4j::Error>(())
    /// ```
    pub fn take<T: FromValue>(&mut self, key: &str) -> Result<T, Error> {
        match key
            .position(&self.keys)
            .and_then(|i| self.values.get_mut(i))
        {
            Some(v) => T::from_value(std::mem::take(v)).map_err(|e| e.with_key(key)),
            None => Err(Error::Conversion {
                key: Some(key.to_owned()),
                message: format!("no such key in the record; keys are {:?}", self.keys()),
            }),
        }
    }

    /// The values, consuming the record.
    ///
    /// ```
    /// # let record = neo4j::Record::__from_parts(&["a"], vec![1.into()]);
    /// assert_eq!(record.into_values(), vec![neo4j::Value::Integer(1)]);
    /// ```
    pub fn into_values(self) -> Vec<Value> {
        self.values.into_vec()
    }

    /// Maps the record onto `T` with serde: each key is a field (or map
    /// entry); nodes and relationships map by their properties.
    ///
    /// # Errors
    /// [`Error::Conversion`] naming the key (as a dotted path for nested
    /// values) that is missing or does not fit.
    ///
    /// ```
    /// #[derive(serde::Deserialize)]
    /// struct Person { name: String }
    /// #[derive(serde::Deserialize)]
    /// struct Row { p: Person, score: f64 }
    /// # let node = neo4j::Node::new("1", ["Person"], [("name", "Ada")].into_iter().collect());
    /// # let record = neo4j::Record::__from_parts(&["p", "score"], vec![node.into(), 0.5.into()]);
    /// // record: MATCH (p:Person) RETURN p, 0.5 AS score
    /// let row: Row = record.to()?;
    /// assert_eq!(row.p.name, "Ada");
    /// # Ok::<(), neo4j::Error>(())
    /// ```
    pub fn to<T: DeserializeOwned>(&self) -> Result<T, Error> {
        self.clone().into_type()
    }

    /// As [`to`](Record::to), consuming the record (no clone).
    ///
    /// # Errors
    /// As [`to`](Record::to).
    ///
    /// ```
    /// # let record = neo4j::Record::__from_parts(&["a"], vec![1.into()]);
    /// let m: std::collections::HashMap<String, i64> = record.into_type()?;
    /// assert_eq!(m["a"], 1);
    /// # Ok::<(), neo4j::Error>(())
    /// ```
    pub fn into_type<T: DeserializeOwned>(self) -> Result<T, Error> {
        let keys = self.keys;
        let entries = keys.iter().cloned().zip(self.values.into_vec());
        T::deserialize(de_entries(entries))
    }

    /// `(key, value)` pairs in order.
    ///
    /// ```
    /// # let record = neo4j::Record::__from_parts(&["a"], vec![1.into()]);
    /// for (k, v) in record.iter() {
    ///     assert_eq!((k, v), ("a", &neo4j::Value::Integer(1)));
    /// }
    /// ```
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &Value)> + '_ {
        self.keys.iter().map(String::as_str).zip(self.values.iter())
    }
}

impl<I: RecordIndex> RecordIndex for &I {
    fn position(&self, keys: &[String]) -> Option<usize> {
        (**self).position(keys)
    }
    fn describe(&self) -> String {
        (**self).describe()
    }
}

impl<I: RecordIndex> sealed::Sealed for &I {}

impl<'a> IntoIterator for &'a Record {
    type Item = (&'a str, &'a Value);
    type IntoIter = std::iter::Zip<
        std::iter::Map<std::slice::Iter<'a, String>, fn(&'a String) -> &'a str>,
        std::slice::Iter<'a, Value>,
    >;
    fn into_iter(self) -> Self::IntoIter {
        let f: fn(&'a String) -> &'a str = String::as_str;
        self.keys.iter().map(f).zip(self.values.iter())
    }
}

impl IntoIterator for Record {
    type Item = (String, Value);
    type IntoIter = std::vec::IntoIter<(String, Value)>;
    fn into_iter(self) -> Self::IntoIter {
        self.keys
            .iter()
            .cloned()
            .zip(self.values.into_vec())
            .collect::<Vec<_>>()
            .into_iter()
    }
}

impl std::ops::Index<&str> for Record {
    type Output = Value;
    /// # Panics
    /// If the key is missing; use [`Record::get_value`] to avoid that.
    fn index(&self, key: &str) -> &Value {
        match self.get_value(key) {
            Some(v) => v,
            None => panic!("no key `{key}` in record with keys {:?}", self.keys()),
        }
    }
}

impl std::ops::Index<usize> for Record {
    type Output = Value;
    /// # Panics
    /// If `i` is not below [`Record::len`], like a slice's `Index`; use
    /// [`Record::get_value`] to get `None` instead.
    fn index(&self, i: usize) -> &Value {
        &self.values[i]
    }
}
