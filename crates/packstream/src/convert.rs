//! Conversions between typed data and [`Value`] through serde:
//! [`to_value`] and [`from_value`].
//!
//! They go through the PackStream encoding, so a value converts exactly as
//! it would travel on the wire (same errors, same structure handling).

use serde::{de::DeserializeOwned, Serialize};

use crate::{Error, Value};

/// Converts any `Serialize` type into a [`Value`].
///
/// # Errors
/// As [`to_vec`](crate::to_vec).
///
/// ```
/// #[derive(serde::Serialize)]
/// struct P { x: i64, tags: Vec<&'static str> }
/// let v = packstream::to_value(&P { x: 1, tags: vec!["a"] }).unwrap();
/// assert_eq!(v.as_map().unwrap().get("x"), Some(&packstream::Value::Integer(1)));
/// ```
pub fn to_value<T: Serialize + ?Sized>(value: &T) -> Result<Value, Error> {
    crate::decode(&crate::to_vec(value)?)
}

/// Converts a [`Value`] into any `DeserializeOwned` type.
///
/// # Errors
/// [`Error::Serde`] when the value does not fit `T`, [`Error::TooLarge`] for
/// an unencodable value (e.g. a structure with more than 15 fields).
///
/// ```
/// use packstream::{from_value, Value};
/// let v = Value::from(vec![1, 2]);
/// assert_eq!(from_value::<(u8, i32)>(v).unwrap(), (1, 2));
/// ```
pub fn from_value<T: DeserializeOwned>(value: Value) -> Result<T, Error> {
    crate::from_slice(&value.to_bytes()?)
}
