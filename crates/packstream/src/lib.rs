//! PackStream v1: the binary value format under the Bolt protocol.
//!
//! Owns values, their encoding and zero-copy decoding, and serde support.
//! Must not know about Bolt messages, sockets or chunking.
//!
//! | module | owns |
//! |---|---|
//! | [`Value`], [`Map`], [`Structure`], [`ValueRef`] | in-memory values, owned and borrowed |
//! | [`encode`] | writing values, always with the smallest marker |
//! | [`Decoder`], [`decode`], [`decode_ref`] | reading values; never panics on any input |
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

mod decode;
pub mod encode;
mod error;
pub mod marker;
mod value;

pub use decode::{decode, decode_ref, Decoder, DEFAULT_MAX_DEPTH};
pub use error::Error;
pub use marker::Kind;
pub use value::{Map, MapIter, Structure, Value, ValueRef};
