//! `Deserialize` for [`Value`], [`Map`], [`Structure`] and [`ValueRef`]: from
//! any serde format, and from PackStream including structures.

use serde::de::{self, Deserialize, MapAccess, SeqAccess, Visitor};

use crate::{Map, Structure, Value, ValueRef};

/// Upper bound for capacity taken from a foreign `size_hint`.
const HINT_CAP: usize = 4096;

fn out_of_range<E: de::Error>(v: impl std::fmt::Display) -> E {
    E::custom(format_args!(
        "integer {v} out of range for PackStream integer (i64)"
    ))
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a PackStream value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Boolean(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Integer(v))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Value, E> {
        i64::try_from(v)
            .map(Value::Integer)
            .map_err(|_| out_of_range(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        i64::try_from(v)
            .map(Value::Integer)
            .map_err(|_| out_of_range(v))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Value, E> {
        i64::try_from(v)
            .map(Value::Integer)
            .map_err(|_| out_of_range(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Float(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Value, E> {
        Ok(Value::Bytes(v.to_vec()))
    }
    fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<Value, E> {
        Ok(Value::Bytes(v))
    }
    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Value::deserialize(d)
    }
    fn visit_newtype_struct<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_seq(StructureVisitor).map(Value::Structure)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut v = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(HINT_CAP));
        while let Some(x) = seq.next_element()? {
            v.push(x);
        }
        Ok(Value::List(v))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Value, A::Error> {
        MapVisitor.visit_map(map).map(Value::Map)
    }
}

impl<'de> Deserialize<'de> for Value {
    /// Reads any value; a PackStream structure becomes [`Value::Structure`].
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

struct MapVisitor;

impl<'de> Visitor<'de> for MapVisitor {
    type Value = Map;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a map with string keys")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Map, A::Error> {
        let mut v = Vec::with_capacity(map.size_hint().unwrap_or(0).min(HINT_CAP));
        while let Some((k, x)) = map.next_entry::<String, Value>()? {
            v.push((k, x));
        }
        Ok(Map::from_entries(v))
    }
}

impl<'de> Deserialize<'de> for Map {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Map, D::Error> {
        d.deserialize_map(MapVisitor)
    }
}

/// Reads `(tag, fields...)`.
struct StructureVisitor;

impl<'de> Visitor<'de> for StructureVisitor {
    type Value = Structure;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a structure (tag, fields...)")
    }
    fn visit_newtype_struct<D: de::Deserializer<'de>>(self, d: D) -> Result<Structure, D::Error> {
        d.deserialize_seq(StructureVisitor)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Structure, A::Error> {
        let tag: u8 = seq
            .next_element()?
            .ok_or_else(|| de::Error::invalid_length(0, &self))?;
        let mut fields = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(16));
        while let Some(x) = seq.next_element()? {
            fields.push(x);
        }
        Ok(Structure { tag, fields })
    }
}

impl<'de> Deserialize<'de> for Structure {
    /// Reads a PackStream structure (or, from other formats, a sequence
    /// `[tag, fields...]`).
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Structure, D::Error> {
        d.deserialize_newtype_struct(crate::STRUCTURE_NAME, StructureVisitor)
    }
}

struct ValueRefVisitor;

impl<'de> Visitor<'de> for ValueRefVisitor {
    type Value = ValueRef<'de>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a PackStream value whose strings and bytes can be borrowed")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(ValueRef::Boolean(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(ValueRef::Integer(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        i64::try_from(v)
            .map(ValueRef::Integer)
            .map_err(|_| out_of_range(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(ValueRef::Float(v))
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(ValueRef::String(v))
    }
    fn visit_borrowed_bytes<E: de::Error>(self, v: &'de [u8]) -> Result<Self::Value, E> {
        Ok(ValueRef::Bytes(v))
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(ValueRef::Null)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(ValueRef::Null)
    }
    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        ValueRef::deserialize(d)
    }
    fn visit_newtype_struct<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(StructureRefVisitor)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut v = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(HINT_CAP));
        while let Some(x) = seq.next_element()? {
            v.push(x);
        }
        Ok(ValueRef::List(v))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut v = Vec::with_capacity(map.size_hint().unwrap_or(0).min(HINT_CAP));
        while let Some((k, x)) = map.next_entry::<&'de str, ValueRef<'de>>()? {
            v.push((k, x));
        }
        Ok(ValueRef::Map(v))
    }
}

struct StructureRefVisitor;

impl<'de> Visitor<'de> for StructureRefVisitor {
    type Value = ValueRef<'de>;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a structure (tag, fields...)")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let tag: u8 = seq
            .next_element()?
            .ok_or_else(|| de::Error::invalid_length(0, &self))?;
        let mut fields = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(16));
        while let Some(x) = seq.next_element()? {
            fields.push(x);
        }
        Ok(ValueRef::Structure { tag, fields })
    }
}

impl<'de> Deserialize<'de> for ValueRef<'de> {
    /// Reads any value, borrowing strings and bytes; fails on a deserializer
    /// that cannot lend them (PackStream's always can).
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<ValueRef<'de>, D::Error> {
        d.deserialize_any(ValueRefVisitor)
    }
}
