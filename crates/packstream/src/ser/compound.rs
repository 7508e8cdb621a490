//! [`Compound`]: serializes the elements of lists and maps (and so structs,
//! tuples and enum variants), fixing the header when the length was unknown
//! or wrong.

use serde::ser::{self, Serialize};

use super::{key::KeySerializer, Serializer};
use crate::{encode, Error};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Shape {
    List,
    Map,
}

/// The state of a list or map being serialized; returned by
/// [`Serializer`]'s `serialize_seq`, `serialize_map`, `serialize_struct`...
///
/// When the length is unknown up front (`serialize_seq(None)`, `#[serde(flatten)]`),
/// the header is inserted at the end, still in its smallest form.
///
/// ```
/// use serde::ser::{SerializeSeq, Serializer as _};
/// let mut buf = Vec::new();
/// let mut ser = packstream::Serializer::new(&mut buf);
/// let mut seq = (&mut ser).serialize_seq(None).unwrap();
/// seq.serialize_element(&1).unwrap();
/// seq.end().unwrap();
/// assert_eq!(buf, [0x91, 0x01]);
/// ```
#[derive(Debug)]
pub struct Compound<'a, 'b> {
    ser: &'a mut Serializer<'b>,
    shape: Shape,
    /// Where the header starts.
    header_pos: usize,
    /// How many bytes the written header takes (0 if none written yet).
    header_len: usize,
    declared: Option<usize>,
    count: usize,
}

impl<'a, 'b> Compound<'a, 'b> {
    fn start(ser: &'a mut Serializer<'b>, shape: Shape, len: Option<usize>) -> Result<Self, Error> {
        let header_pos = ser.out.len();
        if let Some(n) = len {
            write_header(ser.out, shape, n)?;
        }
        let header_len = ser.out.len() - header_pos;
        Ok(Compound {
            ser,
            shape,
            header_pos,
            header_len,
            declared: len,
            count: 0,
        })
    }

    #[inline]
    pub(super) fn list(ser: &'a mut Serializer<'b>, len: Option<usize>) -> Result<Self, Error> {
        Self::start(ser, Shape::List, len)
    }

    #[inline]
    pub(super) fn map(ser: &'a mut Serializer<'b>, len: Option<usize>) -> Result<Self, Error> {
        Self::start(ser, Shape::Map, len)
    }

    #[inline]
    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.count += 1;
        value.serialize(&mut *self.ser)
    }

    #[inline]
    fn key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.count += 1;
        key.serialize(KeySerializer {
            out: &mut *self.ser.out,
        })
    }

    #[inline]
    fn finish(self) -> Result<(), Error> {
        if self.declared == Some(self.count) {
            return Ok(());
        }
        let mut header = Vec::with_capacity(5);
        write_header(&mut header, self.shape, self.count)?;
        let range = self.header_pos..self.header_pos + self.header_len;
        self.ser.out.splice(range, header);
        Ok(())
    }
}

fn write_header(out: &mut Vec<u8>, shape: Shape, n: usize) -> Result<(), Error> {
    match shape {
        Shape::List => encode::write_list_header(out, n),
        Shape::Map => encode::write_map_header(out, n),
    }
}

impl ser::SerializeSeq for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    #[inline]
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.element(value)
    }
    #[inline]
    fn end(self) -> Result<(), Error> {
        self.finish()
    }
}

impl ser::SerializeTuple for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    #[inline]
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.element(value)
    }
    #[inline]
    fn end(self) -> Result<(), Error> {
        self.finish()
    }
}

impl ser::SerializeTupleStruct for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    #[inline]
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.element(value)
    }
    #[inline]
    fn end(self) -> Result<(), Error> {
        self.finish()
    }
}

impl ser::SerializeTupleVariant for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    #[inline]
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.element(value)
    }
    #[inline]
    fn end(self) -> Result<(), Error> {
        self.finish()
    }
}

impl ser::SerializeMap for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    #[inline]
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.key(key)
    }
    #[inline]
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        value.serialize(&mut *self.ser)
    }
    #[inline]
    fn end(self) -> Result<(), Error> {
        self.finish()
    }
}

impl ser::SerializeStruct for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    #[inline]
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.count += 1;
        encode::write_string(self.ser.out, key)?;
        value.serialize(&mut *self.ser)
    }
    #[inline]
    fn end(self) -> Result<(), Error> {
        self.finish()
    }
}

impl ser::SerializeStructVariant for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    #[inline]
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        ser::SerializeStruct::serialize_field(self, key, value)
    }
    #[inline]
    fn end(self) -> Result<(), Error> {
        self.finish()
    }
}
