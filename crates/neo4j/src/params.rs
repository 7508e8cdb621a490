//! [`Params`]: the named parameters a query takes, and the [`params!`]
//! macro.
//!
//! Owns building parameters (macro, iterators of pairs, any `Serialize`
//! struct) and writing them for RUN. Must not know about sessions.

use bolt_proto::structure::StructCtx;
use serde::Serialize;

use crate::value::{to_value, wire, Value, ValueMap};
use crate::Error;

/// Query parameters: names to values, in insertion order.
///
/// ```
/// use neo4j::{params, Params, Value};
/// let p = params! { "name" => "Alice", "age" => 33, "tags" => vec!["a", "b"] };
/// assert_eq!(p.get("age"), Some(&Value::Integer(33)));
///
/// let p: Params = [("x", 1), ("y", 2)].into_iter().collect();
/// assert_eq!(p.len(), 2);
///
/// #[derive(serde::Serialize)]
/// struct Person { name: String, age: i64 }
/// let p = Params::from_serialize(&Person { name: "Bob".into(), age: 40 })?;
/// assert_eq!(p.get("name").unwrap().as_str(), Some("Bob"));
/// # Ok::<(), neo4j::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Params(ValueMap);

impl Params {
    /// No parameters.
    ///
    /// ```
    /// assert!(neo4j::Params::new().is_empty());
    /// ```
    pub const fn new() -> Params {
        Params(ValueMap::new())
    }

    /// Adds (or replaces) a parameter.
    ///
    /// ```
    /// let mut p = neo4j::Params::new();
    /// p.insert("limit", 10);
    /// assert_eq!(p.get("limit"), Some(&neo4j::Value::Integer(10)));
    /// ```
    pub fn insert(&mut self, name: impl Into<String>, value: impl Into<Value>) -> &mut Params {
        self.0.insert(name, value);
        self
    }

    /// Adds a parameter, builder style.
    ///
    /// ```
    /// let p = neo4j::Params::new().with("a", 1).with("b", "two");
    /// assert_eq!(p.len(), 2);
    /// ```
    pub fn with(mut self, name: impl Into<String>, value: impl Into<Value>) -> Params {
        self.0.insert(name, value);
        self
    }

    /// The parameters of a `Serialize` value that serializes as a map or
    /// struct: each field becomes a parameter (`Option::None` becomes
    /// `Null`; temporal values stay typed).
    ///
    /// # Errors
    /// [`Error::Conversion`] if `value` is not a map or struct, or a field
    /// cannot be converted (e.g. a `u64` above `i64::MAX`), naming the field.
    ///
    /// ```
    /// #[derive(serde::Serialize)]
    /// struct Filter { min_age: u8, name: Option<String> }
    /// let p = neo4j::Params::from_serialize(&Filter { min_age: 18, name: None })?;
    /// assert!(p.get("name").unwrap().is_null());
    /// assert!(neo4j::Params::from_serialize(&42).is_err());
    /// # Ok::<(), neo4j::Error>(())
    /// ```
    pub fn from_serialize<T: Serialize + ?Sized>(value: &T) -> Result<Params, Error> {
        match to_value(value)? {
            Value::Map(m) => Ok(Params(m)),
            Value::Null => Ok(Params::new()),
            other => Err(Error::conversion(format!(
                "parameters must serialize as a map or struct, found {}",
                other.type_name()
            ))),
        }
    }

    /// The parameter `name`.
    ///
    /// ```
    /// assert!(neo4j::Params::new().get("x").is_none());
    /// ```
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name)
    }

    /// Number of parameters.
    ///
    /// ```
    /// assert_eq!(neo4j::params! { "a" => 1 }.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    ///
    /// ```
    /// assert!(neo4j::params! {}.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The parameters as a map.
    ///
    /// ```
    /// let p = neo4j::params! { "a" => 1 };
    /// assert_eq!(p.as_map().keys().collect::<Vec<_>>(), ["a"]);
    /// ```
    pub fn as_map(&self) -> &ValueMap {
        &self.0
    }

    /// The parameters as a map, consuming them.
    ///
    /// ```
    /// let m = neo4j::params! { "a" => 1 }.into_map();
    /// assert_eq!(m.len(), 1);
    /// ```
    pub fn into_map(self) -> ValueMap {
        self.0
    }
}

/// Writes the parameters as the PackStream map RUN carries.
///
/// # Errors
/// [`Error::Conversion`] naming the parameter that cannot be sent (a graph
/// value, a temporal value the server's version cannot take, an oversize
/// value).
pub(crate) fn encode_params(buf: &mut Vec<u8>, p: &Params, ctx: StructCtx) -> Result<(), Error> {
    wire::encode_map(buf, &p.0, ctx)
}

impl<K: Into<String>, V: Into<Value>> FromIterator<(K, V)> for Params {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Params {
        Params(iter.into_iter().collect())
    }
}

impl<K: Into<String>, V: Into<Value>> Extend<(K, V)> for Params {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, iter: I) {
        self.0.extend(iter)
    }
}

impl From<ValueMap> for Params {
    fn from(m: ValueMap) -> Params {
        Params(m)
    }
}

impl<K: Into<String>, V: Into<Value>, S> From<std::collections::HashMap<K, V, S>> for Params {
    fn from(m: std::collections::HashMap<K, V, S>) -> Params {
        m.into_iter().collect()
    }
}

impl<K: Into<String>, V: Into<Value>> From<std::collections::BTreeMap<K, V>> for Params {
    fn from(m: std::collections::BTreeMap<K, V>) -> Params {
        m.into_iter().collect()
    }
}

impl<K: Into<String>, V: Into<Value>, const N: usize> From<[(K, V); N]> for Params {
    fn from(a: [(K, V); N]) -> Params {
        a.into_iter().collect()
    }
}

impl<'a> IntoIterator for &'a Params {
    type Item = (&'a str, &'a Value);
    type IntoIter = <&'a ValueMap as IntoIterator>::IntoIter;
    fn into_iter(self) -> Self::IntoIter {
        (&self.0).into_iter()
    }
}

/// Builds [`Params`] from `name => value` pairs; values are anything
/// `Into<Value>`.
///
/// ```
/// let p = neo4j::params! { "name" => "Alice", "age" => 33, "nick" => None::<String> };
/// assert_eq!(p.len(), 3);
/// assert!(p.get("nick").unwrap().is_null());
/// ```
#[macro_export]
macro_rules! params {
    () => { $crate::Params::new() };
    ($($name:expr => $value:expr),+ $(,)?) => {{
        let mut p = $crate::Params::new();
        $( p.insert($name, $value); )+
        p
    }};
}
