//! The values queries take and return: [`Value`] and its parts.
//!
//! Owns the public value model (scalars, lists, [`ValueMap`], graph,
//! temporal and spatial types), typed extraction ([`FromValue`]), serde
//! support, and the private wire conversions the session uses (decoding
//! RECORD fields straight from PackStream bytes, encoding parameters). It
//! must not do I/O or know about sessions.
//!
//! ```
//! use neo4j::{Value, ValueMap};
//! let v = Value::from(vec![Value::from(1), "two".into(), Value::Null]);
//! assert_eq!(v.type_name(), "List");
//! let m: ValueMap = [("name", "Ada")].into_iter().collect();
//! assert_eq!(Value::from(m).as_map().unwrap().get("name").unwrap().as_str(), Some("Ada"));
//! ```

#[cfg(feature = "chrono")]
mod chrono;
mod de;
mod from_value;
mod graph;
pub mod map;
mod ser;
mod spatial;
mod temporal;
pub(crate) mod wire;

use std::collections::{BTreeMap, HashMap};

pub(crate) use self::de::de_entries;
pub use self::de::from_value;
pub use self::from_value::FromValue;
pub use self::graph::{Node, Path, Relationship};
pub use self::map::ValueMap;
pub use self::ser::to_value;
pub use self::spatial::{Point2D, Point3D};
pub use self::temporal::{
    Date, DateTime, DateTimeZoneId, Duration, LocalDateTime, LocalTime, Time,
};

use crate::Error;

/// Any value a query can take as a parameter or return in a record.
///
/// Build one with `From`: `Value::from(42)`, `"x".into()`, vectors, maps,
/// `Option` (`None` is `Null`), temporal types (and chrono's with the
/// `chrono` feature). Read one with the `as_*` accessors, with
/// [`FromValue`]/`TryFrom` (`i64::try_from(v)`), or through serde
/// ([`from_value`]).
///
/// Graph values ([`Node`], [`Relationship`], [`Path`]) are only ever
/// received; sending one as a parameter is an error, as in the official
/// drivers.
///
/// ```
/// use neo4j::Value;
/// assert_eq!(Value::from(42), Value::Integer(42));
/// assert_eq!(Value::from(None::<i64>), Value::Null);
/// let v: Value = "x".into();
/// assert_eq!(v.as_str(), Some("x"));
/// assert_eq!(i64::try_from(Value::from(7)).unwrap(), 7);
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub enum Value {
    /// `null`.
    #[default]
    Null,
    /// A boolean.
    Boolean(bool),
    /// A 64-bit integer.
    Integer(i64),
    /// A 64-bit float.
    Float(f64),
    /// A byte array.
    Bytes(Vec<u8>),
    /// A string.
    String(String),
    /// A list.
    List(Vec<Value>),
    /// A map with string keys, in insertion order.
    Map(ValueMap),
    /// A node.
    Node(Node),
    /// A relationship.
    Relationship(Relationship),
    /// A path.
    Path(Path),
    /// A date.
    Date(Date),
    /// A time with a UTC offset.
    Time(Time),
    /// A time without zone.
    LocalTime(LocalTime),
    /// A date-time with a UTC offset.
    DateTime(DateTime),
    /// A date-time in a named zone.
    DateTimeZoneId(DateTimeZoneId),
    /// A date-time without zone.
    LocalDateTime(LocalDateTime),
    /// A duration.
    Duration(Duration),
    /// A 2D point.
    Point2D(Point2D),
    /// A 3D point.
    Point3D(Point3D),
}

impl Value {
    /// The name of the value's type, as used in error messages
    /// (`"Integer"`, `"Node"`, ...).
    ///
    /// ```
    /// assert_eq!(neo4j::Value::from(1.5).type_name(), "Float");
    /// ```
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "Null",
            Value::Boolean(_) => "Boolean",
            Value::Integer(_) => "Integer",
            Value::Float(_) => "Float",
            Value::Bytes(_) => "Bytes",
            Value::String(_) => "String",
            Value::List(_) => "List",
            Value::Map(_) => "Map",
            Value::Node(_) => "Node",
            Value::Relationship(_) => "Relationship",
            Value::Path(_) => "Path",
            Value::Date(_) => "Date",
            Value::Time(_) => "Time",
            Value::LocalTime(_) => "LocalTime",
            Value::DateTime(_) => "DateTime",
            Value::DateTimeZoneId(_) => "DateTimeZoneId",
            Value::LocalDateTime(_) => "LocalDateTime",
            Value::Duration(_) => "Duration",
            Value::Point2D(_) => "Point2D",
            Value::Point3D(_) => "Point3D",
        }
    }

    /// Whether the value is `Null`.
    ///
    /// ```
    /// assert!(neo4j::Value::Null.is_null());
    /// ```
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The boolean, if this is one.
    ///
    /// ```
    /// assert_eq!(neo4j::Value::from(true).as_bool(), Some(true));
    /// ```
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Boolean(b) => Some(*b),
            _ => None,
        }
    }

    /// The integer, if this is one.
    ///
    /// ```
    /// assert_eq!(neo4j::Value::from(3).as_int(), Some(3));
    /// assert_eq!(neo4j::Value::from(3.0).as_int(), None);
    /// ```
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Integer(i) => Some(*i),
            _ => None,
        }
    }

    /// The float, if this is one (integers are not converted).
    ///
    /// ```
    /// assert_eq!(neo4j::Value::from(0.5).as_float(), Some(0.5));
    /// ```
    pub fn as_float(&self) -> Option<f64> {
        match self {
            Value::Float(f) => Some(*f),
            _ => None,
        }
    }

    /// The string, if this is one.
    ///
    /// ```
    /// assert_eq!(neo4j::Value::from("a").as_str(), Some("a"));
    /// ```
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The bytes, if this is a byte array.
    ///
    /// ```
    /// assert_eq!(neo4j::Value::Bytes(vec![1]).as_bytes(), Some(&[1u8][..]));
    /// ```
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Value::Bytes(b) => Some(b),
            _ => None,
        }
    }

    /// The elements, if this is a list.
    ///
    /// ```
    /// assert_eq!(neo4j::Value::from(vec![1, 2]).as_list().unwrap().len(), 2);
    /// ```
    pub fn as_list(&self) -> Option<&[Value]> {
        match self {
            Value::List(l) => Some(l),
            _ => None,
        }
    }

    /// The map, if this is one.
    ///
    /// ```
    /// assert!(neo4j::Value::Map(Default::default()).as_map().unwrap().is_empty());
    /// ```
    pub fn as_map(&self) -> Option<&ValueMap> {
        match self {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The node, if this is one.
    ///
    /// ```
    /// let n = neo4j::Node::new("e", ["L"], Default::default());
    /// assert_eq!(neo4j::Value::from(n).as_node().unwrap().element_id(), "e");
    /// ```
    pub fn as_node(&self) -> Option<&Node> {
        match self {
            Value::Node(n) => Some(n),
            _ => None,
        }
    }

    /// The relationship, if this is one.
    ///
    /// ```
    /// assert!(neo4j::Value::Null.as_relationship().is_none());
    /// ```
    pub fn as_relationship(&self) -> Option<&Relationship> {
        match self {
            Value::Relationship(r) => Some(r),
            _ => None,
        }
    }

    /// The path, if this is one.
    ///
    /// ```
    /// assert!(neo4j::Value::Null.as_path().is_none());
    /// ```
    pub fn as_path(&self) -> Option<&Path> {
        match self {
            Value::Path(p) => Some(p),
            _ => None,
        }
    }

    /// Converts into `T` (see [`FromValue`]).
    ///
    /// # Errors
    /// [`Error::Conversion`] if the value does not fit `T`.
    ///
    /// ```
    /// let v = neo4j::Value::from(vec![1, 2]);
    /// assert_eq!(v.try_into_type::<Vec<i32>>().unwrap(), vec![1, 2]);
    /// ```
    pub fn try_into_type<T: FromValue>(self) -> Result<T, Error> {
        T::from_value(self)
    }
}

impl Error {
    /// Attaches `key` to a conversion error that has none.
    pub(crate) fn with_key(self, key: &str) -> Error {
        match self {
            Error::Conversion { key: None, message } => Error::Conversion {
                key: Some(key.to_owned()),
                message,
            },
            e => e,
        }
    }

    /// A conversion error without key.
    pub(crate) fn conversion(message: impl Into<String>) -> Error {
        Error::Conversion {
            key: None,
            message: message.into(),
        }
    }
}

macro_rules! from_via {
    ($($t:ty => $variant:ident ($conv:expr)),* $(,)?) => {$(
        impl From<$t> for Value {
            fn from(v: $t) -> Value {
                #[allow(clippy::redundant_closure_call)]
                Value::$variant(($conv)(v))
            }
        }
    )*};
}

from_via! {
    bool => Boolean(|v| v),
    i8 => Integer(i64::from),
    i16 => Integer(i64::from),
    i32 => Integer(i64::from),
    i64 => Integer(|v| v),
    u8 => Integer(i64::from),
    u16 => Integer(i64::from),
    u32 => Integer(i64::from),
    f32 => Float(f64::from),
    f64 => Float(|v| v),
    String => String(|v| v),
    &str => String(str::to_owned),
    &String => String(String::clone),
    Box<str> => String(String::from),
    std::borrow::Cow<'_, str> => String(std::borrow::Cow::into_owned),
    char => String(|c: char| c.to_string()),
    ValueMap => Map(|v| v),
    Node => Node(|v| v),
    Relationship => Relationship(|v| v),
    Path => Path(|v| v),
    Date => Date(|v| v),
    Time => Time(|v| v),
    LocalTime => LocalTime(|v| v),
    DateTime => DateTime(|v| v),
    DateTimeZoneId => DateTimeZoneId(|v| v),
    LocalDateTime => LocalDateTime(|v| v),
    Duration => Duration(|v| v),
    Point2D => Point2D(|v| v),
    Point3D => Point3D(|v| v),
    std::time::Duration => Duration(Duration::from),
    std::time::SystemTime => DateTime(DateTime::from),
}

impl<T: Into<Value>> From<Option<T>> for Value {
    /// `None` is `Null`.
    fn from(v: Option<T>) -> Value {
        v.map_or(Value::Null, Into::into)
    }
}

impl<T: Into<Value>> From<Vec<T>> for Value {
    /// A list (a `Vec<u8>` too: build byte arrays with [`Value::Bytes`]).
    fn from(v: Vec<T>) -> Value {
        Value::List(v.into_iter().map(Into::into).collect())
    }
}

impl<T: Into<Value> + Clone> From<&[T]> for Value {
    /// A list.
    fn from(v: &[T]) -> Value {
        Value::List(v.iter().cloned().map(Into::into).collect())
    }
}

impl<T: Into<Value>, const N: usize> From<[T; N]> for Value {
    /// A list.
    fn from(v: [T; N]) -> Value {
        Value::List(v.into_iter().map(Into::into).collect())
    }
}

impl<K: Into<String>, V: Into<Value>, S> From<HashMap<K, V, S>> for Value {
    /// A map (in the hash map's iteration order).
    fn from(m: HashMap<K, V, S>) -> Value {
        Value::Map(m.into_iter().collect())
    }
}

impl<K: Into<String>, V: Into<Value>> From<BTreeMap<K, V>> for Value {
    /// A map, keys sorted.
    fn from(m: BTreeMap<K, V>) -> Value {
        Value::Map(m.into_iter().collect())
    }
}

impl<V: Into<Value>> FromIterator<V> for Value {
    /// A list.
    fn from_iter<I: IntoIterator<Item = V>>(iter: I) -> Value {
        Value::List(iter.into_iter().map(Into::into).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_stays_small() {
        // Graph values are boxed so that records of scalars stay compact.
        assert!(
            std::mem::size_of::<Value>() <= 40,
            "{}",
            std::mem::size_of::<Value>()
        );
    }
}
