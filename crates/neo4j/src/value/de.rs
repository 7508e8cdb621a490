//! serde `Deserialize` for [`Value`], and [`Value`] as a serde
//! `Deserializer` ([`from_value`]), which is how records map onto user
//! structs.
//!
//! Mapping: maps and nodes/relationships (by their properties, plus
//! `element_id`, `id`, `labels`/`type` when the struct asks for them and no
//! property has that name) deserialize into structs and maps; lists into
//! sequences; temporal values into strings (ISO 8601) when a string is
//! asked for, which is how chrono's types read them. Any other request
//! (`Value` itself) gets typed values exactly, through the private enum
//! `ser::TYPED`.

use std::sync::Arc;

use serde::de::value::{SeqDeserializer, StrDeserializer, StringDeserializer};
use serde::de::{self, Deserialize, DeserializeOwned, Deserializer, IntoDeserializer, Visitor};

use super::graph::{NodeData, RelationshipData};
use super::ser::typed_from_parts;
use super::*;

impl de::Error for Error {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        Error::conversion(msg.to_string())
    }
}

/// Converts a [`Value`] into any `DeserializeOwned` type.
///
/// # Errors
/// [`Error::Conversion`] naming the innermost key (as a dotted path) when
/// the value does not fit `T`.
///
/// ```
/// #[derive(serde::Deserialize, Debug, PartialEq)]
/// struct Person { name: String, age: u8 }
/// let v: neo4j::Value = [("name", neo4j::Value::from("Ada")), ("age", 36.into())]
///     .into_iter().collect::<neo4j::ValueMap>().into();
/// let p: Person = neo4j::from_value(v)?;
/// assert_eq!(p, Person { name: "Ada".into(), age: 36 });
/// # Ok::<(), neo4j::Error>(())
/// ```
pub fn from_value<T: DeserializeOwned>(value: Value) -> Result<T, Error> {
    T::deserialize(value)
}

const TYPED_NAMES: &[&str] = &[
    "Date",
    "Time",
    "LocalTime",
    "LocalDateTime",
    "DateTime",
    "DateTimeZoneId",
    "Duration",
    "Point2D",
    "Point3D",
    "Node",
    "Relationship",
    "Path",
];

/// Rebuilds a graph value from the parts [`into_parts`] gives.
pub(crate) fn graph_from_parts(name: &str, parts: Vec<Value>) -> Result<Value, Error> {
    let bad = || Error::conversion(format!("invalid parts for a {name}"));
    fn s(v: Value) -> Option<String> {
        match v {
            Value::String(s) => Some(s),
            _ => None,
        }
    }
    let mut it = parts.into_iter();
    let mut next = || it.next().ok_or_else(bad);
    Ok(match name {
        "Node" => {
            let id = next()?.as_int().ok_or_else(bad)?;
            let element_id = s(next()?).ok_or_else(bad)?;
            let labels = Vec::<String>::from_value(next()?)?;
            let properties = ValueMap::from_value(next()?)?;
            Value::Node(Node(Arc::new(NodeData {
                id,
                element_id,
                labels,
                properties,
            })))
        }
        "Relationship" => {
            let id = next()?.as_int().ok_or_else(bad)?;
            let element_id = s(next()?).ok_or_else(bad)?;
            let start_id = next()?.as_int().ok_or_else(bad)?;
            let start_element_id = s(next()?).ok_or_else(bad)?;
            let end_id = next()?.as_int().ok_or_else(bad)?;
            let end_element_id = s(next()?).ok_or_else(bad)?;
            let rel_type = s(next()?).ok_or_else(bad)?;
            let properties = ValueMap::from_value(next()?)?;
            Value::Relationship(Relationship(Arc::new(RelationshipData {
                id,
                element_id,
                start_id,
                start_element_id,
                end_id,
                end_element_id,
                rel_type,
                properties,
            })))
        }
        "Path" => {
            let nodes = Vec::<Node>::from_value(next()?)?;
            let rels = Vec::<Relationship>::from_value(next()?)?;
            Value::Path(Path::from_parts(nodes, rels)?)
        }
        _ => return Err(Error::conversion(format!("unknown typed value `{name}`"))),
    })
}

/// A typed value's name and exact parts (inverse of `typed_from_parts`).
fn into_parts(v: Value) -> (&'static str, Vec<Value>) {
    let name = v.type_name();
    let parts = match v {
        Value::Date(d) => vec![d.days_since_epoch().into()],
        Value::Time(t) => vec![t.time().nanos_of_day().into(), t.offset_seconds().into()],
        Value::LocalTime(t) => vec![t.nanos_of_day().into()],
        Value::LocalDateTime(t) => vec![t.seconds_since_epoch().into(), t.nanosecond().into()],
        Value::DateTime(t) => vec![
            t.timestamp().into(),
            t.nanosecond().into(),
            t.offset_seconds().into(),
        ],
        Value::DateTimeZoneId(z) => vec![
            z.seconds.into(),
            z.nanos.into(),
            z.utc.into(),
            String::from(z.zone_id).into(),
            z.offset.map_or(Value::Null, Value::from),
        ],
        Value::Duration(d) => vec![
            d.months().into(),
            d.days().into(),
            d.seconds().into(),
            d.nanoseconds().into(),
        ],
        Value::Point2D(p) => vec![p.srid.into(), p.x.into(), p.y.into()],
        Value::Point3D(p) => vec![p.srid.into(), p.x.into(), p.y.into(), p.z.into()],
        Value::Node(n) => {
            let n = Arc::unwrap_or_clone(n.0);
            vec![
                n.id.into(),
                n.element_id.into(),
                n.labels.into(),
                n.properties.into(),
            ]
        }
        Value::Relationship(r) => {
            let r = Arc::unwrap_or_clone(r.0);
            vec![
                r.id.into(),
                r.element_id.into(),
                r.start_id.into(),
                r.start_element_id.into(),
                r.end_id.into(),
                r.end_element_id.into(),
                r.rel_type.into(),
                r.properties.into(),
            ]
        }
        Value::Path(p) => {
            let p = *p.0;
            vec![p.nodes.into(), p.relationships.into()]
        }
        other => vec![other],
    };
    (name, parts)
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Boolean(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Integer(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        i64::try_from(v)
            .map(Value::Integer)
            .map_err(|_| E::custom(format!("integer {v} does not fit a 64-bit signed integer")))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_bytes<E>(self, v: &[u8]) -> Result<Value, E> {
        Ok(Value::Bytes(v.to_vec()))
    }
    fn visit_byte_buf<E>(self, v: Vec<u8>) -> Result<Value, E> {
        Ok(Value::Bytes(v))
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Value::deserialize(d)
    }
    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Value::deserialize(d)
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(v) = seq.next_element()? {
            out.push(v);
        }
        Ok(Value::List(out))
    }
    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = ValueMap::with_capacity(map.size_hint().unwrap_or(0).min(4096));
        while let Some((k, v)) = map.next_entry::<String, Value>()? {
            out.insert(k, v);
        }
        Ok(Value::Map(out))
    }
    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<Value, A::Error> {
        use de::VariantAccess as _;
        let (name, variant): (String, _) = data.variant()?;
        let parts: Value = variant.newtype_variant()?;
        if TYPED_NAMES.contains(&name.as_str()) {
            if let Value::List(parts) = parts {
                return typed_from_parts(&name, parts).map_err(de::Error::custom);
            }
        }
        let mut m = ValueMap::with_capacity(1);
        m.insert(name, parts);
        Ok(Value::Map(m))
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

macro_rules! deserialize_via_value {
    ($($t:ty),*) => {$(
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<$t, D::Error> {
                <$t as FromValue>::from_value(Value::deserialize(d)?).map_err(de::Error::custom)
            }
        }
    )*};
}

deserialize_via_value!(
    ValueMap,
    Node,
    Relationship,
    Path,
    Date,
    Time,
    LocalTime,
    LocalDateTime,
    DateTime,
    DateTimeZoneId,
    Duration,
    Point2D,
    Point3D
);

impl IntoDeserializer<'_, Error> for Value {
    type Deserializer = Value;
    fn into_deserializer(self) -> Value {
        self
    }
}

/// Prefixes the key path of a conversion error with `key`.
pub(crate) fn nest_key(e: Error, key: &str) -> Error {
    match e {
        Error::Conversion {
            key: inner,
            message,
        } => Error::Conversion {
            key: Some(match inner {
                Some(k) => format!("{key}.{k}"),
                None => key.to_owned(),
            }),
            message,
        },
        e => e,
    }
}

/// Map access over owned entries (keys of any string type); value errors
/// name their key.
pub(crate) struct Entries<I, K> {
    iter: I,
    key: Option<K>,
    value: Option<Value>,
}

impl<K: AsRef<str>, I: Iterator<Item = (K, Value)>> Entries<I, K> {
    pub(crate) fn new(iter: I) -> Self {
        Entries {
            iter,
            key: None,
            value: None,
        }
    }
}

impl<'de, K: AsRef<str>, I: Iterator<Item = (K, Value)>> de::MapAccess<'de> for Entries<I, K> {
    type Error = Error;

    fn next_key_seed<S: de::DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, Error> {
        match self.iter.next() {
            Some((k, v)) => {
                let out = seed.deserialize(StrDeserializer::<Error>::new(k.as_ref()))?;
                self.key = Some(k);
                self.value = Some(v);
                Ok(Some(out))
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: de::DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let v = self
            .value
            .take()
            .ok_or_else(|| Error::conversion("map value requested before its key"))?;
        let key = self.key.take();
        let key = key.as_ref().map_or("", AsRef::as_ref);
        seed.deserialize(v).map_err(|e| nest_key(e, key))
    }

    fn size_hint(&self) -> Option<usize> {
        self.iter.size_hint().1
    }
}

/// An enum variant: a name and, unless it is a unit variant, its content.
struct Variant {
    name: String,
    value: Option<Value>,
}

/// A variant's content (`None` for a unit variant).
struct Content(Option<Value>);

impl<'de> de::EnumAccess<'de> for Variant {
    type Error = Error;
    type Variant = Content;
    fn variant_seed<V: de::DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, Content), Error> {
        let v = seed.deserialize(StringDeserializer::<Error>::new(self.name))?;
        Ok((v, Content(self.value)))
    }
}

impl<'de> de::VariantAccess<'de> for Content {
    type Error = Error;
    fn unit_variant(self) -> Result<(), Error> {
        match self.0 {
            None | Some(Value::Null) => Ok(()),
            Some(v) => Err(Error::conversion(format!(
                "expected a unit variant, found {}",
                v.type_name()
            ))),
        }
    }
    fn newtype_variant_seed<T: de::DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, Error> {
        seed.deserialize(self.0.unwrap_or(Value::Null))
    }
    fn tuple_variant<V: Visitor<'de>>(self, _: usize, visitor: V) -> Result<V::Value, Error> {
        self.0.unwrap_or(Value::Null).deserialize_seq(visitor)
    }
    fn struct_variant<V: Visitor<'de>>(
        self,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.0.unwrap_or(Value::Null).deserialize_map(visitor)
    }
}

fn seq<'de, V: Visitor<'de>>(items: Vec<Value>, visitor: V) -> Result<V::Value, Error> {
    let mut d = SeqDeserializer::new(items.into_iter());
    let out = visitor.visit_seq(&mut d)?;
    d.end()?;
    Ok(out)
}

/// Properties plus the entity fields a struct asks for by name.
fn entity_entries(v: Value, fields: &[&str]) -> std::vec::IntoIter<(map::Key, Value)> {
    let (mut props, extras): (ValueMap, Vec<(&str, Value)>) = match v {
        Value::Node(n) => {
            let n = Arc::unwrap_or_clone(n.0);
            (
                n.properties,
                vec![
                    ("element_id", n.element_id.into()),
                    ("id", n.id.into()),
                    ("labels", n.labels.into()),
                ],
            )
        }
        Value::Relationship(r) => {
            let r = Arc::unwrap_or_clone(r.0);
            (
                r.properties,
                vec![
                    ("element_id", r.element_id.into()),
                    ("id", r.id.into()),
                    ("type", r.rel_type.into()),
                    ("start_node_element_id", r.start_element_id.into()),
                    ("end_node_element_id", r.end_element_id.into()),
                ],
            )
        }
        _ => return Vec::new().into_iter(),
    };
    for (k, v) in extras {
        if fields.contains(&k) && !props.contains_key(k) {
            props.insert(k, v);
        }
    }
    props.into_entries()
}

impl<'de> Deserializer<'de> for Value {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self {
            Value::Null => visitor.visit_unit(),
            Value::Boolean(b) => visitor.visit_bool(b),
            Value::Integer(i) => visitor.visit_i64(i),
            Value::Float(f) => visitor.visit_f64(f),
            Value::Bytes(b) => visitor.visit_byte_buf(b),
            Value::String(s) => visitor.visit_string(s),
            Value::List(l) => seq(l, visitor),
            Value::Map(m) => visitor.visit_map(Entries::new(m.into_entries())),
            other => {
                let (name, parts) = into_parts(other);
                visitor.visit_enum(Variant {
                    name: name.to_owned(),
                    value: Some(Value::List(parts)),
                })
            }
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self {
            Value::Null => visitor.visit_none(),
            v => visitor.visit_some(v),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self {
            Value::String(s) => visitor.visit_enum(s.into_deserializer()),
            Value::Map(m) if m.len() == 1 => {
                let (name, value) = m.into_iter().next().unwrap_or_default();
                visitor.visit_enum(Variant {
                    name,
                    value: Some(value),
                })
            }
            other => Err(Error::conversion(format!(
                "expected an enum (a string or a one-entry map), found {}",
                other.type_name()
            ))),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self {
            Value::Date(_)
            | Value::Time(_)
            | Value::LocalTime(_)
            | Value::LocalDateTime(_)
            | Value::DateTime(_)
            | Value::DateTimeZoneId(_)
            | Value::Duration(_) => visitor.visit_string(text(&self)),
            v => v.deserialize_any(visitor),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self {
            Value::Bytes(b) => seq(
                b.into_iter().map(|x| Value::Integer(x.into())).collect(),
                visitor,
            ),
            v => v.deserialize_any(visitor),
        }
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_struct("", &[], visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self {
            v @ (Value::Node(_) | Value::Relationship(_)) => {
                visitor.visit_map(Entries::new(entity_entries(v, fields)))
            }
            Value::Path(p) => {
                let p = *p.0;
                let entries = vec![
                    ("nodes", Value::from(p.nodes)),
                    ("relationships", Value::from(p.relationships)),
                ];
                visitor.visit_map(Entries::new(entries.into_iter()))
            }
            Value::Point2D(p) => {
                let entries = vec![
                    ("srid", p.srid.into()),
                    ("x", p.x.into()),
                    ("y", p.y.into()),
                ];
                visitor.visit_map(Entries::new(entries.into_iter()))
            }
            Value::Point3D(p) => {
                let entries = vec![
                    ("srid", p.srid.into()),
                    ("x", p.x.into()),
                    ("y", p.y.into()),
                    ("z", p.z.into()),
                ];
                visitor.visit_map(Entries::new(entries.into_iter()))
            }
            v => v.deserialize_any(visitor),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char
        bytes byte_buf unit unit_struct tuple tuple_struct identifier
    }

    fn is_human_readable(&self) -> bool {
        false
    }
}

/// A deserializer over `(key, value)` entries: a map (or struct) by key,
/// or a sequence (tuple) of the values in order.
pub(crate) struct EntriesDe<I>(I);

/// Deserializes entries, e.g. a record's.
pub(crate) fn de_entries<I: Iterator<Item = (String, Value)>>(entries: I) -> EntriesDe<I> {
    EntriesDe(entries)
}

impl<'de, I: Iterator<Item = (String, Value)>> Deserializer<'de> for EntriesDe<I> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_map(Entries::new(self.0))
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        seq(self.0.map(|(_, v)| v).collect(), visitor)
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _: usize, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct map struct enum identifier ignored_any
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::Date(x) => x.to_string(),
        Value::Time(x) => x.to_string(),
        Value::LocalTime(x) => x.to_string(),
        Value::LocalDateTime(x) => x.to_string(),
        Value::DateTime(x) => x.to_string(),
        Value::DateTimeZoneId(x) => x.to_string(),
        Value::Duration(x) => x.to_string(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_values_survive_serde() {
        let vals = [
            Value::Date(Date::from_days_since_epoch(-3)),
            Value::Time(Time::new(LocalTime::from_nanos_of_day(5).unwrap(), -60).unwrap()),
            Value::DateTimeZoneId(DateTimeZoneId::from_timestamp(7, 8, "Europe/Oslo").unwrap()),
            Value::Duration(Duration::new(1, 2, 3, 4)),
            Value::Point3D(Point3D {
                srid: 9157,
                x: 1.0,
                y: 2.0,
                z: 3.0,
            }),
            Value::Node(Node::new("n", ["L"], [("a", 1)].into_iter().collect())),
        ];
        for v in vals {
            // Value -> Value through the deserializer, and through the serializer.
            assert_eq!(from_value::<Value>(v.clone()).unwrap(), v);
            if !matches!(v, Value::Node(_)) {
                assert_eq!(to_value(&v).unwrap(), v);
            }
        }
    }

    #[test]
    fn errors_name_nested_keys() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Inner {
            city: String,
        }
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Outer {
            address: Inner,
        }
        let inner: ValueMap = [("city", 5)].into_iter().collect();
        let outer: ValueMap = [("address", inner)].into_iter().collect();
        let e = from_value::<Outer>(outer.into()).unwrap_err();
        assert!(
            matches!(e, Error::Conversion { key: Some(ref k), .. } if k == "address.city"),
            "{e:?}"
        );
    }
}
