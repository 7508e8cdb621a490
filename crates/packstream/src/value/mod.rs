//! Values: owned [`Value`] (with [`Map`] and [`Structure`]) and borrowed [`ValueRef`].
//!
//! Owns the in-memory shape of PackStream data and conversions between
//! shapes. Byte layout belongs to `encode`/`decode`; serde glue to `ser`/`de`.

mod from;
mod map;
mod structure;
mod value_ref;

pub use map::{Iter as MapIter, Map};
pub use structure::Structure;
pub use value_ref::ValueRef;

use crate::Error;

/// An owned PackStream value.
///
/// `PartialEq` follows IEEE 754 for floats, so `Float(NaN) != Float(NaN)`.
///
/// ```
/// use packstream::Value;
/// let v = Value::from(vec![Value::from(1), Value::from("two"), Value::Null]);
/// let bytes = v.to_bytes().unwrap();
/// assert_eq!(bytes, [0x93, 0x01, 0x83, b't', b'w', b'o', 0xC0]);
/// assert_eq!(packstream::decode(&bytes).unwrap(), v);
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    /// Null (also the default).
    #[default]
    Null,
    /// A boolean.
    Boolean(bool),
    /// A signed 64-bit integer.
    Integer(i64),
    /// A 64-bit float.
    Float(f64),
    /// A byte array.
    Bytes(Vec<u8>),
    /// A UTF-8 string.
    String(String),
    /// A list.
    List(Vec<Value>),
    /// A string-keyed map.
    Map(Map),
    /// A tagged structure.
    Structure(Structure),
}

impl Value {
    /// Appends this value's encoding to `buf`.
    ///
    /// # Errors
    /// [`Error::TooLarge`] for an oversize string/bytes/list/map or a structure
    /// with more than 15 fields.
    ///
    /// ```
    /// let mut buf = vec![];
    /// packstream::Value::Integer(128).encode(&mut buf).unwrap();
    /// assert_eq!(buf, [0xC9, 0x00, 0x80]);
    /// ```
    pub fn encode(&self, buf: &mut Vec<u8>) -> Result<(), Error> {
        crate::encode::write_value(buf, self)
    }

    /// This value's encoding in a new, exactly sized `Vec`.
    ///
    /// # Errors
    /// As [`Value::encode`].
    ///
    /// ```
    /// assert_eq!(packstream::Value::Null.to_bytes().unwrap(), [0xC0]);
    /// ```
    pub fn to_bytes(&self) -> Result<Vec<u8>, Error> {
        let mut buf = Vec::with_capacity(self.encoded_len());
        self.encode(&mut buf)?;
        Ok(buf)
    }

    /// The number of bytes [`Value::encode`] writes (for sizes that encode).
    ///
    /// ```
    /// assert_eq!(packstream::Value::from("hello").encoded_len(), 6);
    /// ```
    pub fn encoded_len(&self) -> usize {
        fn sized(n: usize, tiny: bool) -> usize {
            match n {
                0..=15 if tiny => 1,
                0..=0xFF => 2,
                0x100..=0xFFFF => 3,
                _ => 5,
            }
        }
        match self {
            Value::Null | Value::Boolean(_) => 1,
            Value::Integer(i) => match *i {
                -16..=127 => 1,
                -128..=127 => 2,
                -32768..=32767 => 3,
                -2147483648..=2147483647 => 5,
                _ => 9,
            },
            Value::Float(_) => 9,
            Value::Bytes(b) => sized(b.len(), false) + b.len(),
            Value::String(s) => sized(s.len(), true) + s.len(),
            Value::List(l) => {
                sized(l.len(), true) + l.iter().map(Value::encoded_len).sum::<usize>()
            }
            Value::Map(m) => {
                sized(m.len(), true)
                    + m.iter()
                        .map(|(k, v)| sized(k.len(), true) + k.len() + v.encoded_len())
                        .sum::<usize>()
            }
            Value::Structure(s) => s.to_bytes_len(),
        }
    }

    /// The [`Kind`](crate::Kind) of this value.
    ///
    /// ```
    /// assert_eq!(packstream::Value::from(1.5).kind(), packstream::Kind::Float);
    /// ```
    pub fn kind(&self) -> crate::Kind {
        use crate::Kind;
        match self {
            Value::Null => Kind::Null,
            Value::Boolean(_) => Kind::Boolean,
            Value::Integer(_) => Kind::Integer,
            Value::Float(_) => Kind::Float,
            Value::Bytes(_) => Kind::Bytes,
            Value::String(_) => Kind::String,
            Value::List(_) => Kind::List,
            Value::Map(_) => Kind::Map,
            Value::Structure(_) => Kind::Structure,
        }
    }

    /// Whether this is `Null`.
    ///
    /// ```
    /// assert!(packstream::Value::Null.is_null());
    /// ```
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The integer, if this is one.
    ///
    /// ```
    /// assert_eq!(packstream::Value::from(7).as_int(), Some(7));
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
    /// assert_eq!(packstream::Value::from(0.5).as_float(), Some(0.5));
    /// ```
    pub fn as_float(&self) -> Option<f64> {
        match self {
            Value::Float(f) => Some(*f),
            _ => None,
        }
    }

    /// The boolean, if this is one.
    ///
    /// ```
    /// assert_eq!(packstream::Value::from(true).as_bool(), Some(true));
    /// ```
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Boolean(b) => Some(*b),
            _ => None,
        }
    }

    /// The string, if this is one.
    ///
    /// ```
    /// assert_eq!(packstream::Value::from("x").as_str(), Some("x"));
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
    /// assert_eq!(packstream::Value::Bytes(vec![1]).as_bytes(), Some(&[1u8][..]));
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
    /// assert_eq!(packstream::Value::from(vec![1]).as_list().map(|l| l.len()), Some(1));
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
    /// let v = packstream::Value::Map([("a", 1)].into_iter().collect());
    /// assert_eq!(v.as_map().unwrap().len(), 1);
    /// ```
    pub fn as_map(&self) -> Option<&Map> {
        match self {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The structure, if this is one.
    ///
    /// ```
    /// let v = packstream::Value::from(packstream::Structure::new(1, vec![]));
    /// assert_eq!(v.as_structure().unwrap().tag, 1);
    /// ```
    pub fn as_structure(&self) -> Option<&Structure> {
        match self {
            Value::Structure(s) => Some(s),
            _ => None,
        }
    }

    /// A borrowed view of this value (allocates the container `Vec`s only).
    ///
    /// ```
    /// let v = packstream::Value::from("x");
    /// assert_eq!(v.as_value_ref(), packstream::ValueRef::String("x"));
    /// ```
    pub fn as_value_ref(&self) -> ValueRef<'_> {
        match self {
            Value::Null => ValueRef::Null,
            Value::Boolean(b) => ValueRef::Boolean(*b),
            Value::Integer(i) => ValueRef::Integer(*i),
            Value::Float(f) => ValueRef::Float(*f),
            Value::Bytes(b) => ValueRef::Bytes(b),
            Value::String(s) => ValueRef::String(s),
            Value::List(l) => ValueRef::List(l.iter().map(Value::as_value_ref).collect()),
            Value::Map(m) => ValueRef::Map(m.iter().map(|(k, v)| (k, v.as_value_ref())).collect()),
            Value::Structure(s) => ValueRef::Structure {
                tag: s.tag,
                fields: s.fields.iter().map(Value::as_value_ref).collect(),
            },
        }
    }
}
