//! [`ValueRef`]: a decoded value whose strings and bytes borrow the input.

use super::{Map, Structure, Value};

/// A PackStream value borrowing strings and byte arrays from the input buffer.
///
/// Produced by [`decode_ref`](crate::decode_ref) and
/// [`Decoder::read_value_ref`](crate::Decoder::read_value_ref). Only list, map
/// and structure containers allocate. Map entries are kept exactly as on the
/// wire (a repeated key stays repeated; converting to [`Value`] keeps the last).
///
/// ```
/// use packstream::ValueRef;
/// let input = [0x92, 0x81, b'a', 0xCC, 0x01, 0xFF];
/// let v = packstream::decode_ref(&input).unwrap();
/// assert_eq!(v, ValueRef::List(vec![ValueRef::String("a"), ValueRef::Bytes(&[0xFF])]));
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub enum ValueRef<'a> {
    /// Null (also the default).
    #[default]
    Null,
    /// A boolean.
    Boolean(bool),
    /// A signed 64-bit integer.
    Integer(i64),
    /// A 64-bit float.
    Float(f64),
    /// A byte array borrowed from the input.
    Bytes(&'a [u8]),
    /// A string borrowed from the input.
    String(&'a str),
    /// A list.
    List(Vec<ValueRef<'a>>),
    /// Map entries in wire order.
    Map(Vec<(&'a str, ValueRef<'a>)>),
    /// A tagged structure.
    Structure {
        /// The tag byte.
        tag: u8,
        /// The fields.
        fields: Vec<ValueRef<'a>>,
    },
}

impl ValueRef<'_> {
    /// Copies into an owned [`Value`].
    ///
    /// ```
    /// let v = packstream::decode_ref(&[0x81, b'x']).unwrap();
    /// assert_eq!(v.to_owned_value(), packstream::Value::from("x"));
    /// ```
    pub fn to_owned_value(&self) -> Value {
        match self {
            ValueRef::Null => Value::Null,
            ValueRef::Boolean(b) => Value::Boolean(*b),
            ValueRef::Integer(i) => Value::Integer(*i),
            ValueRef::Float(f) => Value::Float(*f),
            ValueRef::Bytes(b) => Value::Bytes(b.to_vec()),
            ValueRef::String(s) => Value::String((*s).to_owned()),
            ValueRef::List(l) => Value::List(l.iter().map(ValueRef::to_owned_value).collect()),
            ValueRef::Map(m) => Value::Map(Map::from_entries(
                m.iter()
                    .map(|(k, v)| ((*k).to_owned(), v.to_owned_value()))
                    .collect(),
            )),
            ValueRef::Structure { tag, fields } => Value::Structure(Structure {
                tag: *tag,
                fields: fields.iter().map(ValueRef::to_owned_value).collect(),
            }),
        }
    }

    /// Converts into an owned [`Value`], reusing nothing but consuming `self`.
    ///
    /// ```
    /// let v = packstream::decode_ref(&[0x01]).unwrap();
    /// assert_eq!(v.into_owned_value(), packstream::Value::Integer(1));
    /// ```
    pub fn into_owned_value(self) -> Value {
        match self {
            ValueRef::List(l) => {
                Value::List(l.into_iter().map(ValueRef::into_owned_value).collect())
            }
            ValueRef::Map(m) => Value::Map(Map::from_entries(
                m.into_iter()
                    .map(|(k, v)| (k.to_owned(), v.into_owned_value()))
                    .collect(),
            )),
            ValueRef::Structure { tag, fields } => Value::Structure(Structure {
                tag,
                fields: fields.into_iter().map(ValueRef::into_owned_value).collect(),
            }),
            other => other.to_owned_value(),
        }
    }

    /// The [`Kind`](crate::Kind) of this value.
    ///
    /// ```
    /// assert_eq!(packstream::ValueRef::Null.kind(), packstream::Kind::Null);
    /// ```
    pub fn kind(&self) -> crate::Kind {
        use crate::Kind;
        match self {
            ValueRef::Null => Kind::Null,
            ValueRef::Boolean(_) => Kind::Boolean,
            ValueRef::Integer(_) => Kind::Integer,
            ValueRef::Float(_) => Kind::Float,
            ValueRef::Bytes(_) => Kind::Bytes,
            ValueRef::String(_) => Kind::String,
            ValueRef::List(_) => Kind::List,
            ValueRef::Map(_) => Kind::Map,
            ValueRef::Structure { .. } => Kind::Structure,
        }
    }

    /// The value under `key`, if this is a map (last occurrence wins).
    ///
    /// ```
    /// let input = [0xA1, 0x81, b'k', 0x05];
    /// let v = packstream::decode_ref(&input).unwrap();
    /// assert_eq!(v.get("k"), Some(&packstream::ValueRef::Integer(5)));
    /// ```
    pub fn get(&self, key: &str) -> Option<&Self> {
        match self {
            ValueRef::Map(m) => m.iter().rev().find(|(k, _)| *k == key).map(|(_, v)| v),
            _ => None,
        }
    }
}
