//! serde deserialization from PackStream: [`Deserializer`] and [`from_slice`].
//!
//! Owns the mapping from PackStream to serde's data model. Reads through
//! [`Decoder`], so the same guarantees hold: no panic, depth-limited, strings
//! and bytes borrowed from the input (`visit_borrowed_str`/`visit_borrowed_bytes`).

mod access;
mod key;
mod structure;
mod value;

use serde::de::{self, Deserialize, Visitor};

use crate::decode::Token;
use crate::marker::*;
use crate::{Decoder, Error};
use access::{BytesSeq, EnumAccess, MapAccess, SeqAccess};

/// Deserializes exactly one value from `input` (strings may borrow from it).
///
/// # Errors
/// Any decoding error, [`Error::Serde`] when the value does not fit `T`,
/// [`Error::TrailingBytes`] if input is left over.
///
/// ```
/// #[derive(serde::Deserialize, Debug, PartialEq)]
/// struct P<'a> { name: &'a str, age: u8 }
/// let input = [0xA2, 0x84, b'n', b'a', b'm', b'e', 0x82, b'A', b'l', 0x83, b'a', b'g', b'e', 0x21];
/// assert_eq!(packstream::from_slice::<P<'_>>(&input).unwrap(), P { name: "Al", age: 33 });
/// ```
pub fn from_slice<'de, T: Deserialize<'de>>(input: &'de [u8]) -> Result<T, Error> {
    let mut de = Deserializer::new(input);
    let v = T::deserialize(&mut de)?;
    de.end()?;
    Ok(v)
}

/// A serde `Deserializer` reading PackStream from a byte slice.
///
/// Use `&mut Deserializer` as the deserializer; it can read several values
/// in a row. Integers are range-checked into the requested type
/// ([`Error::IntegerOutOfRange`]); a structure is offered to visitors as a
/// newtype struct over the sequence `(tag, fields...)` (see
/// [`STRUCTURE_NAME`](crate::STRUCTURE_NAME)).
///
/// ```
/// use serde::Deserialize;
/// let input = [0x01, 0x82, b'h', b'i'];
/// let mut de = packstream::Deserializer::new(&input);
/// assert_eq!(u8::deserialize(&mut de).unwrap(), 1);
/// assert_eq!(<&str>::deserialize(&mut de).unwrap(), "hi");
/// de.end().unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct Deserializer<'de> {
    pub(crate) dec: Decoder<'de>,
    depth: usize,
}

impl<'de> Deserializer<'de> {
    /// A deserializer at the start of `input`.
    ///
    /// ```
    /// let _de = packstream::Deserializer::new(&[0xC0]);
    /// ```
    pub fn new(input: &'de [u8]) -> Self {
        Self::from_decoder(Decoder::new(input))
    }

    /// A deserializer continuing from `dec` (keeping its position and depth limit).
    ///
    /// ```
    /// use serde::Deserialize;
    /// let mut dec = packstream::Decoder::new(&[0xB1, 0x70, 0x05]);
    /// let (tag, _n) = dec.read_struct_header().unwrap();
    /// let mut de = packstream::Deserializer::from_decoder(dec);
    /// assert_eq!((tag, i64::deserialize(&mut de).unwrap()), (0x70, 5));
    /// ```
    pub fn from_decoder(dec: Decoder<'de>) -> Self {
        Deserializer { dec, depth: 0 }
    }

    /// The underlying decoder (e.g. to read the next value by hand).
    ///
    /// ```
    /// let de = packstream::Deserializer::new(&[0xC0]);
    /// assert_eq!(de.into_decoder().remaining(), 1);
    /// ```
    pub fn into_decoder(self) -> Decoder<'de> {
        self.dec
    }

    /// Succeeds only if all input was consumed.
    ///
    /// # Errors
    /// [`Error::TrailingBytes`].
    ///
    /// ```
    /// packstream::Deserializer::new(&[]).end().unwrap();
    /// ```
    pub fn end(&self) -> Result<(), Error> {
        self.dec.clone().finish()
    }

    #[inline]
    fn enter(&mut self, start: usize) -> Result<(), Error> {
        if self.depth >= self.dec.max_depth {
            return Err(Error::DepthLimitExceeded {
                limit: self.dec.max_depth,
                offset: start,
            });
        }
        self.depth += 1;
        Ok(())
    }

    #[inline]
    fn leave(&mut self) {
        self.depth -= 1;
    }

    #[inline]
    fn peek(&self) -> Result<u8, Error> {
        match self.dec.rest().first() {
            Some(&b) => Ok(b),
            None => Err(Error::UnexpectedEnd {
                offset: self.dec.pos,
                needed: 1,
            }),
        }
    }

    fn visit_list<V: Visitor<'de>>(
        &mut self,
        start: usize,
        n: usize,
        v: V,
    ) -> Result<V::Value, Error> {
        self.enter(start)?;
        let mut access = SeqAccess { de: self, left: n };
        let out = v.visit_seq(&mut access)?;
        let left = access.left;
        if left != 0 {
            return Err(de::Error::invalid_length(n, &"fewer list elements"));
        }
        self.leave();
        Ok(out)
    }

    fn visit_map<V: Visitor<'de>>(
        &mut self,
        start: usize,
        n: usize,
        v: V,
    ) -> Result<V::Value, Error> {
        self.enter(start)?;
        let mut access = MapAccess { de: self, left: n };
        let out = v.visit_map(&mut access)?;
        let left = access.left;
        if left != 0 {
            return Err(de::Error::invalid_length(n, &"fewer map entries"));
        }
        self.leave();
        Ok(out)
    }

    fn visit_structure<V: Visitor<'de>>(
        &mut self,
        start: usize,
        tag: u8,
        n: usize,
        v: V,
    ) -> Result<V::Value, Error> {
        self.enter(start)?;
        let out = v.visit_newtype_struct(structure::StructureDeserializer { de: self, tag, n })?;
        self.leave();
        Ok(out)
    }

    fn int<T: TryFrom<i64>>(&mut self, target: &'static str) -> Result<T, Error> {
        let i = self.dec.read_int()?;
        T::try_from(i).map_err(|_| Error::IntegerOutOfRange {
            value: i.into(),
            target,
        })
    }
}

macro_rules! int_method {
    ($($method:ident => $visit:ident($t:ty)),* $(,)?) => {$(
        #[inline]
        fn $method<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
            v.$visit(self.int::<$t>(stringify!($t))?)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for &mut Deserializer<'de> {
    type Error = Error;

    #[inline]
    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        let start = self.dec.pos;
        match self.dec.token()? {
            Token::Null => v.visit_unit(),
            Token::Bool(b) => v.visit_bool(b),
            Token::Int(i) => v.visit_i64(i),
            Token::Float(f) => v.visit_f64(f),
            Token::Bytes(b) => v.visit_borrowed_bytes(b),
            Token::Str(s) => v.visit_borrowed_str(s),
            Token::List(n) => self.visit_list(start, n, v),
            Token::Map(n) => self.visit_map(start, n, v),
            Token::Struct(tag, n) => self.visit_structure(start, tag, n, v),
        }
    }

    #[inline]
    fn deserialize_bool<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        v.visit_bool(self.dec.read_bool()?)
    }

    int_method!(
        deserialize_i8 => visit_i8(i8),
        deserialize_i16 => visit_i16(i16),
        deserialize_i32 => visit_i32(i32),
        deserialize_i64 => visit_i64(i64),
        deserialize_i128 => visit_i128(i128),
        deserialize_u8 => visit_u8(u8),
        deserialize_u16 => visit_u16(u16),
        deserialize_u32 => visit_u32(u32),
        deserialize_u64 => visit_u64(u64),
        deserialize_u128 => visit_u128(u128),
    );

    #[inline]
    fn deserialize_f32<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        self.deserialize_any(v)
    }
    #[inline]
    fn deserialize_f64<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        self.deserialize_any(v)
    }
    fn deserialize_char<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        self.deserialize_str(v)
    }
    #[inline]
    fn deserialize_str<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        v.visit_borrowed_str(self.dec.read_str()?)
    }
    #[inline]
    fn deserialize_string<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        self.deserialize_str(v)
    }
    fn deserialize_bytes<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        self.deserialize_any(v)
    }
    fn deserialize_byte_buf<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        self.deserialize_any(v)
    }
    #[inline]
    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        if self.peek()? == NULL {
            self.dec.pos += 1;
            v.visit_none()
        } else {
            v.visit_some(self)
        }
    }
    fn deserialize_unit<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        self.dec.read_null()?;
        v.visit_unit()
    }
    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        v: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_unit(v)
    }
    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        v: V,
    ) -> Result<V::Value, Error> {
        if name == crate::STRUCTURE_NAME {
            let start = self.dec.pos;
            let (tag, n) = self.dec.read_struct_header()?;
            self.visit_structure(start, tag, n, v)
        } else {
            v.visit_newtype_struct(self)
        }
    }
    #[inline]
    fn deserialize_seq<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        if let BYTES_8..=BYTES_32 = self.peek()? {
            let b = self.dec.read_bytes()?;
            v.visit_seq(BytesSeq { bytes: b.iter() })
        } else {
            self.deserialize_any(v)
        }
    }
    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, v: V) -> Result<V::Value, Error> {
        self.deserialize_seq(v)
    }
    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        v: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(v)
    }
    #[inline]
    fn deserialize_map<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        self.deserialize_any(v)
    }
    #[inline]
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_any(v)
    }
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, Error> {
        let start = self.dec.pos;
        match self.peek()? {
            0x80..=0x8F | STRING_8..=STRING_32 => {
                let s = self.dec.read_str()?;
                v.visit_enum(de::value::BorrowedStrDeserializer::new(s))
            }
            _ => {
                let n = self.dec.read_map_header()?;
                if n != 1 {
                    self.dec.pos = start;
                    return Err(Error::Serde(format!(
                        "an enum is a string or a map with exactly one entry, found a map with {n}"
                    )));
                }
                self.enter(start)?;
                let out = v.visit_enum(EnumAccess { de: self })?;
                self.leave();
                Ok(out)
            }
        }
    }
    #[inline]
    fn deserialize_identifier<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        self.deserialize_str(v)
    }
    fn deserialize_ignored_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        self.dec.skip_value()?;
        v.visit_unit()
    }
}

impl de::Error for Error {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        Error::Serde(msg.to_string())
    }
}
