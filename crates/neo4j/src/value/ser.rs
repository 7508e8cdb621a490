//! serde `Serialize` for [`Value`] and its parts, and a serializer into
//! [`Value`] ([`to_value`]), which is how parameters are built from user
//! structs.
//!
//! Temporal and spatial values serialize, for formats that are not
//! human-readable (like this one), as a tuple variant of the private enum
//! [`TYPED`] holding their exact parts, so they survive the round trip;
//! human-readable formats (JSON) get their ISO 8601 text. Graph values
//! serialize as plain structs.

use serde::ser::{self, Serialize, SerializeMap as _, SerializeStruct as _, Serializer};

use super::*;

/// The enum name that marks a typed (temporal or spatial, or graph when
/// deserializing) value's parts.
pub(crate) const TYPED: &str = "$neo4j::Value";

impl ser::Error for Error {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        Error::conversion(msg.to_string())
    }
}

/// Converts any `Serialize` value into a [`Value`].
///
/// Structs and maps become [`Value::Map`] (in field order), sequences and
/// tuples [`Value::List`], `None` and `()` `Null`, unit enum variants their
/// name, other variants a one-entry map; temporal and spatial values stay
/// typed.
///
/// # Errors
/// [`Error::Conversion`] for an unsigned integer above `i64::MAX` or a map
/// key that is not a string (or number, written as text).
///
/// ```
/// #[derive(serde::Serialize)]
/// struct Person { name: String, born: neo4j::Date }
/// let v = neo4j::to_value(&Person { name: "Ada".into(), born: neo4j::Date::from_ymd(1815, 12, 10).unwrap() })?;
/// let m = v.as_map().unwrap();
/// assert_eq!(m.get("name").unwrap().as_str(), Some("Ada"));
/// assert_eq!(m.get("born").unwrap().type_name(), "Date");
/// # Ok::<(), neo4j::Error>(())
/// ```
pub fn to_value<T: Serialize + ?Sized>(value: &T) -> Result<Value, Error> {
    value.serialize(ValueSerializer)
}

/// Serializes a typed value's parts as `TYPED::name(parts...)`.
fn typed<S: Serializer>(
    s: S,
    idx: u32,
    name: &'static str,
    parts: &[Value],
) -> Result<S::Ok, S::Error> {
    use ser::SerializeTupleVariant as _;
    let mut t = s.serialize_tuple_variant(TYPED, idx, name, parts.len())?;
    for p in parts {
        t.serialize_field(p)?;
    }
    t.end()
}

macro_rules! serialize_typed {
    ($($t:ty, $idx:literal, $name:literal, |$v:ident| $parts:expr;)*) => {$(
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                if s.is_human_readable() {
                    s.collect_str(self)
                } else {
                    let $v = self;
                    typed(s, $idx, $name, &$parts)
                }
            }
        }
    )*};
}

serialize_typed! {
    Date, 0, "Date", |v| [v.days_since_epoch().into()];
    Time, 1, "Time", |v| [v.time().nanos_of_day().into(), v.offset_seconds().into()];
    LocalTime, 2, "LocalTime", |v| [v.nanos_of_day().into()];
    LocalDateTime, 3, "LocalDateTime", |v| [v.seconds_since_epoch().into(), v.nanosecond().into()];
    DateTime, 4, "DateTime", |v| [v.timestamp().into(), v.nanosecond().into(), v.offset_seconds().into()];
    DateTimeZoneId, 5, "DateTimeZoneId", |v| [v.seconds.into(), v.nanos.into(), v.utc.into(), (&*v.zone_id).into(), v.offset.map_or(Value::Null, Value::from)];
    Duration, 6, "Duration", |v| [v.months().into(), v.days().into(), v.seconds().into(), v.nanoseconds().into()];
}

impl Serialize for Point2D {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            let mut st = s.serialize_struct("Point2D", 3)?;
            st.serialize_field("srid", &self.srid)?;
            st.serialize_field("x", &self.x)?;
            st.serialize_field("y", &self.y)?;
            st.end()
        } else {
            typed(
                s,
                7,
                "Point2D",
                &[self.srid.into(), self.x.into(), self.y.into()],
            )
        }
    }
}

impl Serialize for Point3D {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            let mut st = s.serialize_struct("Point3D", 4)?;
            st.serialize_field("srid", &self.srid)?;
            st.serialize_field("x", &self.x)?;
            st.serialize_field("y", &self.y)?;
            st.serialize_field("z", &self.z)?;
            st.end()
        } else {
            typed(
                s,
                8,
                "Point3D",
                &[
                    self.srid.into(),
                    self.x.into(),
                    self.y.into(),
                    self.z.into(),
                ],
            )
        }
    }
}

impl Serialize for ValueMap {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.len()))?;
        for (k, v) in self {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl Serialize for Node {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Node", 3)?;
        st.serialize_field("element_id", self.element_id())?;
        st.serialize_field("labels", self.labels())?;
        st.serialize_field("properties", self.properties())?;
        st.end()
    }
}

impl Serialize for Relationship {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Relationship", 5)?;
        st.serialize_field("element_id", self.element_id())?;
        st.serialize_field("start_node_element_id", self.start_node_element_id())?;
        st.serialize_field("end_node_element_id", self.end_node_element_id())?;
        st.serialize_field("type", self.rel_type())?;
        st.serialize_field("properties", self.properties())?;
        st.end()
    }
}

impl Serialize for Path {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Path", 2)?;
        st.serialize_field("nodes", self.nodes())?;
        st.serialize_field("relationships", self.relationships())?;
        st.end()
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null => s.serialize_unit(),
            Value::Boolean(b) => s.serialize_bool(*b),
            Value::Integer(i) => s.serialize_i64(*i),
            Value::Float(f) => s.serialize_f64(*f),
            Value::Bytes(b) => s.serialize_bytes(b),
            Value::String(x) => s.serialize_str(x),
            Value::List(l) => s.collect_seq(l),
            Value::Map(m) => m.serialize(s),
            Value::Node(x) => x.serialize(s),
            Value::Relationship(x) => x.serialize(s),
            Value::Path(x) => x.serialize(s),
            Value::Date(x) => x.serialize(s),
            Value::Time(x) => x.serialize(s),
            Value::LocalTime(x) => x.serialize(s),
            Value::DateTime(x) => x.serialize(s),
            Value::DateTimeZoneId(x) => x.serialize(s),
            Value::LocalDateTime(x) => x.serialize(s),
            Value::Duration(x) => x.serialize(s),
            Value::Point2D(x) => x.serialize(s),
            Value::Point3D(x) => x.serialize(s),
        }
    }
}

/// Builds a typed value from its serialized parts (the inverse of the
/// `Serialize` impls above; also used by `Deserialize for Value`).
pub(crate) fn typed_from_parts(name: &str, parts: Vec<Value>) -> Result<Value, Error> {
    let bad = || Error::conversion(format!("invalid parts for a {name}"));
    let int = |v: &Value| v.as_int().ok_or_else(bad);
    let float = |v: &Value| v.as_float().ok_or_else(bad);
    let nanos = |v: &Value| int(v).and_then(|n| u32::try_from(n).map_err(|_| bad()));
    let off = |v: &Value| int(v).and_then(|n| i32::try_from(n).map_err(|_| bad()));
    let p = parts.as_slice();
    Ok(match (name, p) {
        ("Date", [d]) => Value::Date(Date::from_days_since_epoch(int(d)?)),
        ("Time", [n, o]) => Value::Time(
            Time::new(
                LocalTime::from_nanos_of_day(int(n)?).ok_or_else(bad)?,
                off(o)?,
            )
            .ok_or_else(bad)?,
        ),
        ("LocalTime", [n]) => {
            Value::LocalTime(LocalTime::from_nanos_of_day(int(n)?).ok_or_else(bad)?)
        }
        ("LocalDateTime", [s, n]) => {
            Value::LocalDateTime(LocalDateTime::from_timestamp(int(s)?, nanos(n)?).ok_or_else(bad)?)
        }
        ("DateTime", [s, n, o]) => {
            Value::DateTime(DateTime::from_timestamp(int(s)?, nanos(n)?, off(o)?).ok_or_else(bad)?)
        }
        ("DateTimeZoneId", [s, n, Value::Boolean(utc), Value::String(z), o]) => {
            let n = nanos(n)?;
            if i64::from(n) >= temporal::NANOS_PER_SEC {
                return Err(bad());
            }
            let offset = match o {
                Value::Null => None,
                o => Some(off(o)?),
            };
            Value::DateTimeZoneId(DateTimeZoneId {
                seconds: int(s)?,
                nanos: n,
                utc: *utc,
                offset,
                zone_id: z.as_str().into(),
            })
        }
        ("Duration", [m, d, s, n]) => {
            Value::Duration(Duration::new(int(m)?, int(d)?, int(s)?, int(n)?))
        }
        ("Point2D", [s, x, y]) => Value::Point2D(Point2D {
            srid: int(s)?,
            x: float(x)?,
            y: float(y)?,
        }),
        ("Point3D", [s, x, y, z]) => Value::Point3D(Point3D {
            srid: int(s)?,
            x: float(x)?,
            y: float(y)?,
            z: float(z)?,
        }),
        _ => return de::graph_from_parts(name, parts),
    })
}

/// The serializer behind [`to_value`].
pub(crate) struct ValueSerializer;

fn unsigned(v: u64) -> Result<Value, Error> {
    i64::try_from(v)
        .map(Value::Integer)
        .map_err(|_| Error::conversion(format!("integer {v} does not fit a 64-bit signed integer")))
}

impl Serializer for ValueSerializer {
    type Ok = Value;
    type Error = Error;
    type SerializeSeq = SeqBuilder;
    type SerializeTuple = SeqBuilder;
    type SerializeTupleStruct = SeqBuilder;
    type SerializeTupleVariant = VariantSeqBuilder;
    type SerializeMap = MapBuilder;
    type SerializeStruct = MapBuilder;
    type SerializeStructVariant = VariantMapBuilder;

    fn is_human_readable(&self) -> bool {
        false
    }
    fn serialize_bool(self, v: bool) -> Result<Value, Error> {
        Ok(Value::Boolean(v))
    }
    fn serialize_i8(self, v: i8) -> Result<Value, Error> {
        Ok(v.into())
    }
    fn serialize_i16(self, v: i16) -> Result<Value, Error> {
        Ok(v.into())
    }
    fn serialize_i32(self, v: i32) -> Result<Value, Error> {
        Ok(v.into())
    }
    fn serialize_i64(self, v: i64) -> Result<Value, Error> {
        Ok(v.into())
    }
    fn serialize_i128(self, v: i128) -> Result<Value, Error> {
        i64::try_from(v).map(Value::Integer).map_err(|_| {
            Error::conversion(format!("integer {v} does not fit a 64-bit signed integer"))
        })
    }
    fn serialize_u8(self, v: u8) -> Result<Value, Error> {
        Ok(v.into())
    }
    fn serialize_u16(self, v: u16) -> Result<Value, Error> {
        Ok(v.into())
    }
    fn serialize_u32(self, v: u32) -> Result<Value, Error> {
        Ok(v.into())
    }
    fn serialize_u64(self, v: u64) -> Result<Value, Error> {
        unsigned(v)
    }
    fn serialize_u128(self, v: u128) -> Result<Value, Error> {
        i64::try_from(v).map(Value::Integer).map_err(|_| {
            Error::conversion(format!("integer {v} does not fit a 64-bit signed integer"))
        })
    }
    fn serialize_f32(self, v: f32) -> Result<Value, Error> {
        Ok(v.into())
    }
    fn serialize_f64(self, v: f64) -> Result<Value, Error> {
        Ok(v.into())
    }
    fn serialize_char(self, v: char) -> Result<Value, Error> {
        Ok(v.into())
    }
    fn serialize_str(self, v: &str) -> Result<Value, Error> {
        Ok(v.into())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<Value, Error> {
        Ok(Value::Bytes(v.to_vec()))
    }
    fn serialize_none(self) -> Result<Value, Error> {
        Ok(Value::Null)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<Value, Error> {
        v.serialize(self)
    }
    fn serialize_unit(self) -> Result<Value, Error> {
        Ok(Value::Null)
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<Value, Error> {
        Ok(Value::Null)
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<Value, Error> {
        Ok(variant.into())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        v: &T,
    ) -> Result<Value, Error> {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        v: &T,
    ) -> Result<Value, Error> {
        let mut m = ValueMap::with_capacity(1);
        m.insert(variant, v.serialize(self)?);
        Ok(Value::Map(m))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<SeqBuilder, Error> {
        Ok(SeqBuilder(Vec::with_capacity(len.unwrap_or(0).min(4096))))
    }
    fn serialize_tuple(self, len: usize) -> Result<SeqBuilder, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<SeqBuilder, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        name: &'static str,
        _: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<VariantSeqBuilder, Error> {
        Ok(VariantSeqBuilder {
            typed: name == TYPED,
            variant,
            items: Vec::with_capacity(len.min(4096)),
        })
    }
    fn serialize_map(self, len: Option<usize>) -> Result<MapBuilder, Error> {
        Ok(MapBuilder {
            map: ValueMap::with_capacity(len.unwrap_or(0).min(4096)),
            key: None,
        })
    }
    fn serialize_struct(self, _: &'static str, len: usize) -> Result<MapBuilder, Error> {
        self.serialize_map(Some(len))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<VariantMapBuilder, Error> {
        Ok(VariantMapBuilder {
            variant,
            map: ValueMap::with_capacity(len.min(4096)),
        })
    }
}

/// Collects a sequence.
pub(crate) struct SeqBuilder(Vec<Value>);

impl ser::SerializeSeq for SeqBuilder {
    type Ok = Value;
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        let i = self.0.len();
        self.0
            .push(v.serialize(ValueSerializer).map_err(|e| match e {
                Error::Conversion { key, message } => Error::Conversion {
                    key,
                    message: format!("element {i}: {message}"),
                },
                e => e,
            })?);
        Ok(())
    }
    fn end(self) -> Result<Value, Error> {
        Ok(Value::List(self.0))
    }
}

impl ser::SerializeTuple for SeqBuilder {
    type Ok = Value;
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        ser::SerializeSeq::serialize_element(self, v)
    }
    fn end(self) -> Result<Value, Error> {
        ser::SerializeSeq::end(self)
    }
}

impl ser::SerializeTupleStruct for SeqBuilder {
    type Ok = Value;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        ser::SerializeSeq::serialize_element(self, v)
    }
    fn end(self) -> Result<Value, Error> {
        ser::SerializeSeq::end(self)
    }
}

/// Collects a tuple variant: a typed value's parts, or `{variant: [..]}`.
pub(crate) struct VariantSeqBuilder {
    typed: bool,
    variant: &'static str,
    items: Vec<Value>,
}

impl ser::SerializeTupleVariant for VariantSeqBuilder {
    type Ok = Value;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        self.items.push(v.serialize(ValueSerializer)?);
        Ok(())
    }
    fn end(self) -> Result<Value, Error> {
        if self.typed {
            typed_from_parts(self.variant, self.items)
        } else {
            let mut m = ValueMap::with_capacity(1);
            m.insert(self.variant, Value::List(self.items));
            Ok(Value::Map(m))
        }
    }
}

/// Collects a map or struct.
pub(crate) struct MapBuilder {
    map: ValueMap,
    key: Option<String>,
}

/// Map keys must be text; numbers and chars are written as text.
fn key_string(v: Value) -> Result<String, Error> {
    match v {
        Value::String(s) => Ok(s),
        Value::Integer(i) => Ok(i.to_string()),
        Value::Boolean(b) => Ok(b.to_string()),
        other => Err(Error::conversion(format!(
            "map keys must be strings, found {}",
            other.type_name()
        ))),
    }
}

impl ser::SerializeMap for MapBuilder {
    type Ok = Value;
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, k: &T) -> Result<(), Error> {
        self.key = Some(key_string(k.serialize(ValueSerializer)?)?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
        let k = self
            .key
            .take()
            .ok_or_else(|| Error::conversion("map value without a key"))?;
        let v = v
            .serialize(ValueSerializer)
            .map_err(|e| de::nest_key(e, &k))?;
        self.map.insert(k, v);
        Ok(())
    }
    fn end(self) -> Result<Value, Error> {
        Ok(Value::Map(self.map))
    }
}

impl ser::SerializeStruct for MapBuilder {
    type Ok = Value;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        k: &'static str,
        v: &T,
    ) -> Result<(), Error> {
        let v = v
            .serialize(ValueSerializer)
            .map_err(|e| de::nest_key(e, k))?;
        self.map.insert(k, v);
        Ok(())
    }
    fn end(self) -> Result<Value, Error> {
        Ok(Value::Map(self.map))
    }
}

/// Collects a struct variant as `{variant: {..}}`.
pub(crate) struct VariantMapBuilder {
    variant: &'static str,
    map: ValueMap,
}

impl ser::SerializeStructVariant for VariantMapBuilder {
    type Ok = Value;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        k: &'static str,
        v: &T,
    ) -> Result<(), Error> {
        let v = v
            .serialize(ValueSerializer)
            .map_err(|e| de::nest_key(e, k))?;
        self.map.insert(k, v);
        Ok(())
    }
    fn end(self) -> Result<Value, Error> {
        let mut m = ValueMap::with_capacity(1);
        m.insert(self.variant, Value::Map(self.map));
        Ok(Value::Map(m))
    }
}
