//! serde serialization into PackStream: [`Serializer`], [`to_vec`], [`to_writer`].
//!
//! Owns the mapping from serde's data model to PackStream (see the crate docs
//! for the table). Writes through [`crate::encode`]; never reads input.

mod compound;
mod key;
mod structure;

use serde::ser::{self, Serialize};

use crate::encode;
use crate::Error;
pub use compound::Compound;

/// Serializes `value` into a new `Vec<u8>`.
///
/// # Errors
/// [`Error::IntegerOutOfRange`] for a `u64`/`u128`/`i128` outside `i64`,
/// [`Error::Serde`] for a non-string map key, [`Error::TooLarge`].
///
/// ```
/// #[derive(serde::Serialize)]
/// struct P { x: i64 }
/// assert_eq!(packstream::to_vec(&P { x: 1 }).unwrap(), [0xA1, 0x81, b'x', 0x01]);
/// ```
pub fn to_vec<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, Error> {
    let mut buf = Vec::with_capacity(64);
    value.serialize(&mut Serializer::new(&mut buf))?;
    Ok(buf)
}

/// Serializes `value` into `writer` (encoded in memory, then written at once).
///
/// # Errors
/// As [`to_vec`], plus [`Error::Io`].
///
/// ```
/// let mut out = Vec::new();
/// packstream::to_writer(&mut out, &[1u8, 2]).unwrap();
/// assert_eq!(out, [0x92, 0x01, 0x02]);
/// ```
pub fn to_writer<W: std::io::Write, T: Serialize + ?Sized>(
    mut writer: W,
    value: &T,
) -> Result<(), Error> {
    let buf = to_vec(value)?;
    writer.write_all(&buf)?;
    Ok(())
}

/// A serde `Serializer` appending PackStream to a `Vec<u8>`.
///
/// Use `&mut Serializer` as the serializer. Several values may be written
/// one after another into the same buffer.
///
/// ```
/// use serde::Serialize;
/// let mut buf = Vec::new();
/// let mut ser = packstream::Serializer::new(&mut buf);
/// (1, "a").serialize(&mut ser).unwrap();
/// Some(true).serialize(&mut ser).unwrap();
/// assert_eq!(buf, [0x92, 0x01, 0x81, b'a', 0xC3]);
/// ```
#[derive(Debug)]
pub struct Serializer<'b> {
    pub(crate) out: &'b mut Vec<u8>,
}

impl<'b> Serializer<'b> {
    /// A serializer appending to `out`.
    ///
    /// ```
    /// let mut buf = Vec::new();
    /// let _ser = packstream::Serializer::new(&mut buf);
    /// ```
    pub fn new(out: &'b mut Vec<u8>) -> Self {
        Serializer { out }
    }

    /// The buffer written so far.
    ///
    /// ```
    /// use serde::Serialize;
    /// let mut buf = Vec::new();
    /// let mut ser = packstream::Serializer::new(&mut buf);
    /// ().serialize(&mut ser).unwrap();
    /// assert_eq!(ser.output(), &[0xC0]);
    /// ```
    pub fn output(&self) -> &[u8] {
        self.out
    }
}

pub(crate) fn int_from_i128(v: i128) -> Result<i64, Error> {
    i64::try_from(v).map_err(|_| Error::IntegerOutOfRange {
        value: v,
        target: "PackStream integer (i64)",
    })
}

impl<'a, 'b> ser::Serializer for &'a mut Serializer<'b> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'a, 'b>;
    type SerializeTuple = Compound<'a, 'b>;
    type SerializeTupleStruct = Compound<'a, 'b>;
    type SerializeTupleVariant = Compound<'a, 'b>;
    type SerializeMap = Compound<'a, 'b>;
    type SerializeStruct = Compound<'a, 'b>;
    type SerializeStructVariant = Compound<'a, 'b>;

    #[inline]
    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        encode::write_bool(self.out, v);
        Ok(())
    }
    #[inline]
    fn serialize_i8(self, v: i8) -> Result<(), Error> {
        self.serialize_i64(v.into())
    }
    #[inline]
    fn serialize_i16(self, v: i16) -> Result<(), Error> {
        self.serialize_i64(v.into())
    }
    #[inline]
    fn serialize_i32(self, v: i32) -> Result<(), Error> {
        self.serialize_i64(v.into())
    }
    #[inline]
    fn serialize_i64(self, v: i64) -> Result<(), Error> {
        encode::write_int(self.out, v);
        Ok(())
    }
    fn serialize_i128(self, v: i128) -> Result<(), Error> {
        self.serialize_i64(int_from_i128(v)?)
    }
    #[inline]
    fn serialize_u8(self, v: u8) -> Result<(), Error> {
        self.serialize_i64(v.into())
    }
    #[inline]
    fn serialize_u16(self, v: u16) -> Result<(), Error> {
        self.serialize_i64(v.into())
    }
    #[inline]
    fn serialize_u32(self, v: u32) -> Result<(), Error> {
        self.serialize_i64(v.into())
    }
    #[inline]
    fn serialize_u64(self, v: u64) -> Result<(), Error> {
        self.serialize_i64(int_from_i128(v.into())?)
    }
    fn serialize_u128(self, v: u128) -> Result<(), Error> {
        let v = i128::try_from(v).map_err(|_| Error::IntegerOutOfRange {
            value: i128::MAX,
            target: "PackStream integer (i64)",
        })?;
        self.serialize_i128(v)
    }
    #[inline]
    fn serialize_f32(self, v: f32) -> Result<(), Error> {
        self.serialize_f64(v.into())
    }
    #[inline]
    fn serialize_f64(self, v: f64) -> Result<(), Error> {
        encode::write_float(self.out, v);
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result<(), Error> {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }
    #[inline]
    fn serialize_str(self, v: &str) -> Result<(), Error> {
        encode::write_string(self.out, v)
    }
    #[inline]
    fn serialize_bytes(self, v: &[u8]) -> Result<(), Error> {
        encode::write_bytes(self.out, v)
    }
    #[inline]
    fn serialize_none(self) -> Result<(), Error> {
        encode::write_null(self.out);
        Ok(())
    }
    #[inline]
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }
    #[inline]
    fn serialize_unit(self) -> Result<(), Error> {
        self.serialize_none()
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Error> {
        self.serialize_none()
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        if name == crate::STRUCTURE_NAME {
            value.serialize(structure::StructureSerializer { ser: self })
        } else {
            value.serialize(self)
        }
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        encode::write_map_header(self.out, 1)?;
        encode::write_string(self.out, variant)?;
        value.serialize(self)
    }
    #[inline]
    fn serialize_seq(self, len: Option<usize>) -> Result<Compound<'a, 'b>, Error> {
        Compound::list(self, len)
    }
    #[inline]
    fn serialize_tuple(self, len: usize) -> Result<Compound<'a, 'b>, Error> {
        Compound::list(self, Some(len))
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<Compound<'a, 'b>, Error> {
        Compound::list(self, Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Compound<'a, 'b>, Error> {
        encode::write_map_header(self.out, 1)?;
        encode::write_string(self.out, variant)?;
        Compound::list(self, Some(len))
    }
    #[inline]
    fn serialize_map(self, len: Option<usize>) -> Result<Compound<'a, 'b>, Error> {
        Compound::map(self, len)
    }
    #[inline]
    fn serialize_struct(self, _name: &'static str, len: usize) -> Result<Compound<'a, 'b>, Error> {
        Compound::map(self, Some(len))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Compound<'a, 'b>, Error> {
        encode::write_map_header(self.out, 1)?;
        encode::write_string(self.out, variant)?;
        Compound::map(self, Some(len))
    }
    fn collect_str<T: std::fmt::Display + ?Sized>(self, value: &T) -> Result<(), Error> {
        self.serialize_str(&value.to_string())
    }
}

impl ser::Error for Error {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        Error::Serde(msg.to_string())
    }
}
