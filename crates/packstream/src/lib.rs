//! PackStream v1: the binary value format under the Bolt protocol.
//!
//! Owns values, their encoding and zero-copy decoding, and serde support.
//! Must not know about Bolt messages, sockets or chunking.
//!
//! | item | owns |
//! |---|---|
//! | [`Value`], [`Map`], [`Structure`], [`ValueRef`] | in-memory values, owned and borrowed |
//! | [`encode`] | writing values, always with the smallest marker |
//! | [`Decoder`], [`decode`], [`decode_ref`] | reading values; never panics on any input |
//! | [`Serializer`], [`to_vec`], [`to_writer`] | serde → PackStream |
//! | [`Deserializer`], [`from_slice`] | PackStream → serde, borrowing strings and bytes |
//! | [`to_value`], [`from_value`] | serde types ↔ [`Value`] |
//! | [`marker`] | marker byte constants and [`Kind`] |
//! | [`Error`] | every failure |
//!
//! ```
//! use packstream::{decode, Map, Value};
//! let mut m = Map::new();
//! m.insert("name", "Ada");
//! m.insert("born", 1815);
//! let bytes = Value::Map(m.clone()).to_bytes().unwrap();
//! assert_eq!(decode(&bytes).unwrap(), Value::Map(m));
//! ```
//!
//! # Safety against hostile input
//!
//! Decoding never panics, recurses at most [`DEFAULT_MAX_DEPTH`] containers
//! deep (configurable with [`Decoder::with_max_depth`]), and never reserves
//! memory from a declared length that the remaining input could not hold.
//!
//! # serde data model
//!
//! | Rust / serde | PackStream |
//! |---|---|
//! | `bool` | Boolean |
//! | `i8`..`i64`, `u8`..`u32`; `u64`, `i128`, `u128` when in `i64` range | Integer (else [`Error::IntegerOutOfRange`]) |
//! | `f32`, `f64` | Float |
//! | `char`, `&str`, `String` | String |
//! | `&[u8]`/`Vec<u8>` via `serde_bytes` | Bytes (a plain `Vec<u8>` is a List, and reads Bytes too) |
//! | `None`, `()`, unit struct | Null |
//! | `Some(x)`, newtype struct | `x` |
//! | sequences, tuples, tuple structs | List |
//! | maps, structs | Map (keys are strings; integer/bool keys are written in decimal/text) |
//! | unit variant | String (the variant name) |
//! | newtype / tuple / struct variant | Map with one entry `{variant: content}` |
//! | newtype struct named [`STRUCTURE_NAME`] over `(tag, fields...)` | Structure |
//!
//! Deserializing borrows: `&'de str` and `&'de [u8]` (with `serde_bytes`)
//! point into the input. Integers are range-checked into the target type.
//!
//! ```
//! use serde::{Deserialize, Serialize};
//! #[derive(Serialize, Deserialize, Debug, PartialEq)]
//! enum Shape { Dot, Circle { r: f64 } }
//! #[derive(Serialize, Deserialize, Debug, PartialEq)]
//! struct Doc<'a> { title: &'a str, pages: Option<u16>, shapes: Vec<Shape> }
//!
//! let doc = Doc { title: "t", pages: None, shapes: vec![Shape::Dot, Shape::Circle { r: 1.0 }] };
//! let bytes = packstream::to_vec(&doc).unwrap();
//! assert_eq!(packstream::from_slice::<Doc<'_>>(&bytes).unwrap(), doc);
//! ```

mod convert;
mod de;
mod decode;
pub mod encode;
mod error;
pub mod marker;
mod ser;
mod value;

pub use convert::{from_value, to_value};
pub use de::{from_slice, Deserializer};
pub use decode::{decode, decode_ref, Decoder, DEFAULT_MAX_DEPTH};
pub use ser::{to_vec, to_writer, Compound, Serializer};

/// The serde newtype-struct name that marks a PackStream structure.
///
/// Serialize a structure as a newtype struct with this name wrapping a tuple
/// (or sequence) whose first element is the tag (an integer 0..=255) and the
/// rest the fields. Deserialize with `deserialize_newtype_struct(STRUCTURE_NAME, ..)`:
/// the visitor's `visit_newtype_struct` gets a deserializer whose content is
/// the sequence `(tag, fields...)`. `deserialize_any` offers structures the
/// same way, which is how [`Value`] reads them. Other serde formats see an
/// ordinary newtype over a tuple, e.g. JSON `[tag, field, ...]`.
///
/// ```
/// use serde::{de, ser::Serializer as _, Deserialize, Deserializer, Serialize, Serializer};
/// use packstream::STRUCTURE_NAME;
///
/// #[derive(Debug, PartialEq)]
/// struct Point2D { srid: i64, x: f64, y: f64 }
///
/// impl Serialize for Point2D {
///     fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
///         s.serialize_newtype_struct(STRUCTURE_NAME, &(0x58u8, self.srid, self.x, self.y))
///     }
/// }
///
/// impl<'de> Deserialize<'de> for Point2D {
///     fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
///         struct V;
///         impl<'de> de::Visitor<'de> for V {
///             type Value = Point2D;
///             fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
///                 f.write_str("a Point2D structure")
///             }
///             fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Point2D, D::Error> {
///                 let (tag, srid, x, y) = <(u8, i64, f64, f64)>::deserialize(d)?;
///                 if tag != 0x58 {
///                     return Err(de::Error::custom(format!("expected tag 0x58, got {tag:#x}")));
///                 }
///                 Ok(Point2D { srid, x, y })
///             }
///         }
///         d.deserialize_newtype_struct(STRUCTURE_NAME, V)
///     }
/// }
///
/// let p = Point2D { srid: 7203, x: 1.0, y: 2.0 };
/// let bytes = packstream::to_vec(&p).unwrap();
/// assert_eq!(&bytes[..4], &[0xB3, 0x58, 0xC9, 0x1C]);
/// assert_eq!(packstream::from_slice::<Point2D>(&bytes).unwrap(), p);
/// // The same bytes read as a generic value:
/// let v = packstream::decode(&bytes).unwrap();
/// assert_eq!(v.as_structure().unwrap().tag, 0x58);
/// ```
pub const STRUCTURE_NAME: &str = "$packstream::Structure";
pub use error::Error;
pub use marker::Kind;
pub use value::{Map, MapIter, Structure, Value, ValueRef};
