//! [`FromValue`]: typed extraction from a [`Value`].
//!
//! Owns the conversion rules (checked integer narrowing, `Null` as `None`,
//! exact float from integer) and their error messages. Nothing here
//! allocates beyond the target type.

use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasher;

use super::*;

/// Types that can be taken out of a [`Value`]; used by
/// [`Record::get`](crate::Record::get), [`Node::get`] and
/// [`Value::try_into_type`].
///
/// Rules: integers narrow only when the value fits; `f64` also accepts an
/// integer that converts exactly (|i| ≤ 2⁵³); `Option<T>` is `None` for
/// `Null`; `Vec<T>` reads a list (and `Vec<u8>` also a byte array);
/// temporal values convert to `std` (and chrono, with the `chrono` feature)
/// types when exact.
///
/// ```
/// use neo4j::{FromValue, Value};
/// assert_eq!(i32::from_value(Value::from(7)).unwrap(), 7);
/// assert!(i8::from_value(Value::from(300)).is_err());
/// assert_eq!(Option::<String>::from_value(Value::Null).unwrap(), None);
/// assert_eq!(Vec::<u8>::from_value(Value::Bytes(vec![1, 2])).unwrap(), vec![1, 2]);
/// ```
pub trait FromValue: Sized {
    /// Converts the value.
    ///
    /// # Errors
    /// [`Error::Conversion`] naming the expected and found types.
    ///
    /// ```
    /// use neo4j::{FromValue, Value};
    /// let e = bool::from_value(Value::from(1)).unwrap_err();
    /// assert_eq!(e.to_string(), "cannot convert value: expected Boolean, found Integer");
    /// ```
    fn from_value(value: Value) -> Result<Self, Error>;
}

pub(crate) fn mismatch(expected: &str, found: &Value) -> Error {
    Error::conversion(format!("expected {expected}, found {}", found.type_name()))
}

impl FromValue for Value {
    fn from_value(value: Value) -> Result<Self, Error> {
        Ok(value)
    }
}

macro_rules! simple {
    ($($t:ty: $name:literal, $variant:ident);* $(;)?) => {$(
        impl FromValue for $t {
            fn from_value(value: Value) -> Result<Self, Error> {
                match value {
                    Value::$variant(v) => Ok(v),
                    other => Err(mismatch($name, &other)),
                }
            }
        }
    )*};
}

simple! {
    bool: "Boolean", Boolean;
    i64: "Integer", Integer;
    String: "String", String;
    ValueMap: "Map", Map;
    Node: "Node", Node;
    Relationship: "Relationship", Relationship;
    Path: "Path", Path;
    Date: "Date", Date;
    Time: "Time", Time;
    LocalTime: "LocalTime", LocalTime;
    DateTime: "DateTime", DateTime;
    DateTimeZoneId: "DateTimeZoneId", DateTimeZoneId;
    LocalDateTime: "LocalDateTime", LocalDateTime;
    Duration: "Duration", Duration;
    Point2D: "Point2D", Point2D;
    Point3D: "Point3D", Point3D;
}

macro_rules! narrow {
    ($($t:ty),*) => {$(
        impl FromValue for $t {
            fn from_value(value: Value) -> Result<Self, Error> {
                match value {
                    Value::Integer(i) => <$t>::try_from(i).map_err(|_| {
                        Error::conversion(format!("integer {i} out of range for {}", stringify!($t)))
                    }),
                    other => Err(mismatch("Integer", &other)),
                }
            }
        }
    )*};
}

narrow!(i8, i16, i32, u8, u16, u32, u64, usize, isize, i128, u128);

impl FromValue for f64 {
    fn from_value(value: Value) -> Result<Self, Error> {
        const EXACT: i64 = 1 << 53;
        match value {
            Value::Float(f) => Ok(f),
            Value::Integer(i) if (-EXACT..=EXACT).contains(&i) => Ok(i as f64),
            Value::Integer(i) => Err(Error::conversion(format!(
                "integer {i} cannot be represented exactly as f64"
            ))),
            other => Err(mismatch("Float", &other)),
        }
    }
}

impl FromValue for f32 {
    fn from_value(value: Value) -> Result<Self, Error> {
        f64::from_value(value).map(|f| f as f32)
    }
}

impl<T: FromValue> FromValue for Option<T> {
    fn from_value(value: Value) -> Result<Self, Error> {
        match value {
            Value::Null => Ok(None),
            v => T::from_value(v).map(Some),
        }
    }
}

impl<T: FromValue> FromValue for Vec<T> {
    fn from_value(value: Value) -> Result<Self, Error> {
        match value {
            Value::List(l) => l
                .into_iter()
                .enumerate()
                .map(|(i, v)| {
                    T::from_value(v).map_err(|e| match e {
                        Error::Conversion { key, message } => Error::Conversion {
                            key,
                            message: format!("list element {i}: {message}"),
                        },
                        e => e,
                    })
                })
                .collect(),
            Value::Bytes(b) => b
                .into_iter()
                .map(|x| T::from_value(Value::Integer(i64::from(x))))
                .collect(),
            other => Err(mismatch("List", &other)),
        }
    }
}

fn map_entries<T: FromValue, C: FromIterator<(String, T)>>(value: Value) -> Result<C, Error> {
    match value {
        Value::Map(m) => m
            .into_iter()
            .map(|(k, v)| match T::from_value(v) {
                Ok(t) => Ok((k, t)),
                Err(e) => Err(e.with_key(&k)),
            })
            .collect(),
        other => Err(mismatch("Map", &other)),
    }
}

impl<T: FromValue, S: BuildHasher + Default> FromValue for HashMap<String, T, S> {
    fn from_value(value: Value) -> Result<Self, Error> {
        map_entries(value)
    }
}

impl<T: FromValue> FromValue for BTreeMap<String, T> {
    fn from_value(value: Value) -> Result<Self, Error> {
        map_entries(value)
    }
}

impl FromValue for std::time::Duration {
    fn from_value(value: Value) -> Result<Self, Error> {
        Duration::from_value(value).and_then(std::time::Duration::try_from)
    }
}

impl FromValue for std::time::SystemTime {
    /// From a `DateTime`, or a `DateTimeZoneId` that knows its instant.
    fn from_value(value: Value) -> Result<Self, Error> {
        match value {
            Value::DateTime(dt) => dt.try_into(),
            Value::DateTimeZoneId(z) => match z.timestamp() {
                Some(s) => DateTime::raw(s, z.nanosecond(), 0).try_into(),
                None => Err(Error::conversion(format!(
                    "{z} is a wall-clock time; its instant needs a time-zone database"
                ))),
            },
            other => Err(mismatch("DateTime", &other)),
        }
    }
}

macro_rules! try_from_value {
    ($($t:ty),*) => {$(
        impl TryFrom<Value> for $t {
            type Error = Error;
            fn try_from(v: Value) -> Result<Self, Error> {
                <$t as FromValue>::from_value(v)
            }
        }
    )*};
}

try_from_value!(
    bool,
    i64,
    i32,
    f64,
    String,
    ValueMap,
    Node,
    Relationship,
    Path,
    Date,
    Time,
    LocalTime,
    DateTime,
    DateTimeZoneId,
    LocalDateTime,
    Duration,
    Point2D,
    Point3D
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules() {
        assert_eq!(u8::from_value(Value::from(255)).unwrap(), 255);
        let e = u8::from_value(Value::from(-1)).unwrap_err().to_string();
        assert!(e.contains("integer -1 out of range for u8"), "{e}");
        assert_eq!(f64::from_value(Value::from(3)).unwrap(), 3.0);
        assert!(f64::from_value(Value::from(i64::MAX)).is_err());
        let e = Vec::<i64>::from_value(Value::from(vec![Value::from(1), "x".into()]))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("list element 1: expected Integer, found String"),
            "{e}"
        );
        let m: ValueMap = [("a", 1), ("b", 2)].into_iter().collect();
        let h = HashMap::<String, i64>::from_value(Value::Map(m.clone())).unwrap();
        assert_eq!(h["b"], 2);
        let e = HashMap::<String, String>::from_value(Value::Map(m)).unwrap_err();
        assert!(matches!(e, Error::Conversion { key: Some(ref k), .. } if k == "a"));
        assert_eq!(
            std::time::Duration::from_value(Duration::new(0, 0, 1, 0).into()).unwrap(),
            std::time::Duration::from_secs(1)
        );
    }
}
