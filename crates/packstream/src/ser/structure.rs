//! Structures through serde: the newtype struct named
//! [`STRUCTURE_NAME`](crate::STRUCTURE_NAME) wrapping a tuple
//! `(tag, field1, field2, ...)` is written as a PackStream structure.

use serde::ser::{self, Impossible, Serialize};

use super::Serializer;
use crate::{Error, Structure, Value};

fn not_a_structure() -> Error {
    Error::Serde(format!(
        "a `{}` newtype must wrap a tuple or sequence (tag, fields...)",
        crate::STRUCTURE_NAME
    ))
}

fn bad_tag() -> Error {
    Error::Serde("structure tag must be an integer in 0..=255".into())
}

/// Accepts only a tuple/sequence; see the module docs.
pub(super) struct StructureSerializer<'a, 'b> {
    pub(super) ser: &'a mut Serializer<'b>,
}

/// Writes the fields of a structure; the first element is its tag.
#[derive(Debug)]
pub(crate) struct StructureCompound<'a, 'b> {
    ser: &'a mut Serializer<'b>,
    header_pos: Option<usize>,
    fields: usize,
}

impl StructureCompound<'_, '_> {
    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        match self.header_pos {
            None => {
                let tag = value.serialize(TagSerializer)?;
                self.header_pos = Some(self.ser.out.len());
                self.ser
                    .out
                    .extend_from_slice(&[crate::marker::TINY_STRUCT, tag]);
                Ok(())
            }
            Some(_) => {
                self.fields += 1;
                value.serialize(&mut *self.ser)
            }
        }
    }

    fn finish(self) -> Result<(), Error> {
        let pos = self.header_pos.ok_or_else(not_a_structure)?;
        if self.fields > 15 {
            return Err(Error::TooLarge {
                what: "structure",
                size: self.fields as u64,
                max: 15,
            });
        }
        self.ser.out[pos] = crate::marker::TINY_STRUCT | self.fields as u8;
        Ok(())
    }
}

macro_rules! compound_impl {
    ($trait:ident, $method:ident) => {
        impl ser::$trait for StructureCompound<'_, '_> {
            type Ok = ();
            type Error = Error;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
                self.element(value)
            }
            fn end(self) -> Result<(), Error> {
                self.finish()
            }
        }
    };
}
compound_impl!(SerializeSeq, serialize_element);
compound_impl!(SerializeTuple, serialize_element);
compound_impl!(SerializeTupleStruct, serialize_field);

macro_rules! reject {
    ($($method:ident($($arg:ty),*)),* $(,)?) => {$(
        fn $method(self, $(_: $arg),*) -> Result<Self::Ok, Error> {
            Err(not_a_structure())
        }
    )*};
}

impl<'a, 'b> ser::Serializer for StructureSerializer<'a, 'b> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = StructureCompound<'a, 'b>;
    type SerializeTuple = StructureCompound<'a, 'b>;
    type SerializeTupleStruct = StructureCompound<'a, 'b>;
    type SerializeTupleVariant = Impossible<(), Error>;
    type SerializeMap = Impossible<(), Error>;
    type SerializeStruct = Impossible<(), Error>;
    type SerializeStructVariant = Impossible<(), Error>;

    reject!(
        serialize_bool(bool),
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64),
        serialize_f32(f32),
        serialize_f64(f64),
        serialize_char(char),
        serialize_str(&str),
        serialize_bytes(&[u8]),
        serialize_none(),
        serialize_unit(),
        serialize_unit_struct(&'static str),
        serialize_unit_variant(&'static str, u32, &'static str),
    );
    fn serialize_some<T: Serialize + ?Sized>(self, _value: &T) -> Result<(), Error> {
        Err(not_a_structure())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<(), Error> {
        Err(not_a_structure())
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, Error> {
        Ok(StructureCompound {
            ser: self.ser,
            header_pos: None,
            fields: 0,
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<Self::SerializeTuple, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleStruct, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        Err(not_a_structure())
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, Error> {
        Err(not_a_structure())
    }
    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, Error> {
        Err(not_a_structure())
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        Err(not_a_structure())
    }
}

/// Serializes an integer 0..=255 into the tag byte.
struct TagSerializer;

macro_rules! tag_int {
    ($($method:ident($t:ty)),*) => {$(
        fn $method(self, v: $t) -> Result<u8, Error> {
            u8::try_from(v).map_err(|_| bad_tag())
        }
    )*};
}

macro_rules! tag_reject {
    ($($method:ident($($arg:ty),*)),* $(,)?) => {$(
        fn $method(self, $(_: $arg),*) -> Result<u8, Error> {
            Err(bad_tag())
        }
    )*};
}

impl ser::Serializer for TagSerializer {
    type Ok = u8;
    type Error = Error;
    type SerializeSeq = Impossible<u8, Error>;
    type SerializeTuple = Impossible<u8, Error>;
    type SerializeTupleStruct = Impossible<u8, Error>;
    type SerializeTupleVariant = Impossible<u8, Error>;
    type SerializeMap = Impossible<u8, Error>;
    type SerializeStruct = Impossible<u8, Error>;
    type SerializeStructVariant = Impossible<u8, Error>;

    fn serialize_u8(self, v: u8) -> Result<u8, Error> {
        Ok(v)
    }
    tag_int!(
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64)
    );
    tag_reject!(
        serialize_bool(bool),
        serialize_f32(f32),
        serialize_f64(f64),
        serialize_char(char),
        serialize_str(&str),
        serialize_bytes(&[u8]),
        serialize_none(),
        serialize_unit(),
        serialize_unit_struct(&'static str),
        serialize_unit_variant(&'static str, u32, &'static str),
    );
    fn serialize_some<T: Serialize + ?Sized>(self, _value: &T) -> Result<u8, Error> {
        Err(bad_tag())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<u8, Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<u8, Error> {
        Err(bad_tag())
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, Error> {
        Err(bad_tag())
    }
    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, Error> {
        Err(bad_tag())
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, Error> {
        Err(bad_tag())
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        Err(bad_tag())
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, Error> {
        Err(bad_tag())
    }
    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, Error> {
        Err(bad_tag())
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        Err(bad_tag())
    }
}

/// `(tag, fields...)` as a serde tuple; what [`Structure`]'s `Serialize` wraps.
pub(crate) struct StructureTuple<'s, F> {
    pub(crate) tag: u8,
    pub(crate) fields: &'s [F],
}

impl<F: Serialize> Serialize for StructureTuple<'_, F> {
    fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use ser::SerializeTuple;
        let mut t = s.serialize_tuple(1 + self.fields.len())?;
        t.serialize_element(&self.tag)?;
        for f in self.fields {
            t.serialize_element(f)?;
        }
        t.end()
    }
}

impl Serialize for Structure {
    fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_newtype_struct(
            crate::STRUCTURE_NAME,
            &StructureTuple {
                tag: self.tag,
                fields: &self.fields,
            },
        )
    }
}

impl Serialize for Value {
    fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use ser::{SerializeMap, SerializeSeq};
        match self {
            Value::Null => s.serialize_unit(),
            Value::Boolean(b) => s.serialize_bool(*b),
            Value::Integer(i) => s.serialize_i64(*i),
            Value::Float(f) => s.serialize_f64(*f),
            Value::Bytes(b) => s.serialize_bytes(b),
            Value::String(v) => s.serialize_str(v),
            Value::List(l) => {
                let mut seq = s.serialize_seq(Some(l.len()))?;
                for v in l {
                    seq.serialize_element(v)?;
                }
                seq.end()
            }
            Value::Map(m) => {
                let mut map = s.serialize_map(Some(m.len()))?;
                for (k, v) in m {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
            Value::Structure(st) => st.serialize(s),
        }
    }
}

impl Serialize for crate::Map {
    fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.iter())
    }
}

impl Serialize for crate::ValueRef<'_> {
    fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use crate::ValueRef as R;
        use ser::{SerializeMap, SerializeSeq};
        match self {
            R::Null => s.serialize_unit(),
            R::Boolean(b) => s.serialize_bool(*b),
            R::Integer(i) => s.serialize_i64(*i),
            R::Float(f) => s.serialize_f64(*f),
            R::Bytes(b) => s.serialize_bytes(b),
            R::String(v) => s.serialize_str(v),
            R::List(l) => {
                let mut seq = s.serialize_seq(Some(l.len()))?;
                for v in l {
                    seq.serialize_element(v)?;
                }
                seq.end()
            }
            R::Map(m) => {
                let mut map = s.serialize_map(Some(m.len()))?;
                for (k, v) in m {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
            R::Structure { tag, fields } => s.serialize_newtype_struct(
                crate::STRUCTURE_NAME,
                &StructureTuple { tag: *tag, fields },
            ),
        }
    }
}
