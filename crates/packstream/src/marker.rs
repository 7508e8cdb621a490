//! Marker byte constants of PackStream v1 and the [`Kind`] of value a marker starts.
//!
//! Owns the wire numbers only; reading and writing live in `decode` and `encode`.
//!
//! ```
//! use packstream::marker;
//! assert_eq!(packstream::Value::Null.to_bytes().unwrap(), [marker::NULL]);
//! assert_eq!(marker::TINY_STRING | 3, 0x83); // a 3-byte string
//! ```

/// Null.
pub const NULL: u8 = 0xC0;
/// 64-bit IEEE 754 float follows.
pub const FLOAT_64: u8 = 0xC1;
/// Boolean false.
pub const FALSE: u8 = 0xC2;
/// Boolean true.
pub const TRUE: u8 = 0xC3;
/// 8-bit signed integer follows.
pub const INT_8: u8 = 0xC8;
/// 16-bit signed integer follows.
pub const INT_16: u8 = 0xC9;
/// 32-bit signed integer follows.
pub const INT_32: u8 = 0xCA;
/// 64-bit signed integer follows.
pub const INT_64: u8 = 0xCB;
/// Byte array, u8 length.
pub const BYTES_8: u8 = 0xCC;
/// Byte array, u16 length.
pub const BYTES_16: u8 = 0xCD;
/// Byte array, u32 length.
pub const BYTES_32: u8 = 0xCE;
/// String, u8 length.
pub const STRING_8: u8 = 0xD0;
/// String, u16 length.
pub const STRING_16: u8 = 0xD1;
/// String, u32 length.
pub const STRING_32: u8 = 0xD2;
/// List, u8 length.
pub const LIST_8: u8 = 0xD4;
/// List, u16 length.
pub const LIST_16: u8 = 0xD5;
/// List, u32 length.
pub const LIST_32: u8 = 0xD6;
/// Map, u8 length.
pub const MAP_8: u8 = 0xD8;
/// Map, u16 length.
pub const MAP_16: u8 = 0xD9;
/// Map, u32 length.
pub const MAP_32: u8 = 0xDA;
/// Legacy structure with u8 field count (early Bolt v1 servers); decoded, never written.
pub const STRUCT_8: u8 = 0xDC;
/// Legacy structure with u16 field count (early Bolt v1 servers); decoded, never written.
pub const STRUCT_16: u8 = 0xDD;
/// Tiny string: high nibble, low nibble is the byte length.
pub const TINY_STRING: u8 = 0x80;
/// Tiny list: high nibble, low nibble is the element count.
pub const TINY_LIST: u8 = 0x90;
/// Tiny map: high nibble, low nibble is the entry count.
pub const TINY_MAP: u8 = 0xA0;
/// Tiny structure: high nibble, low nibble is the field count.
pub const TINY_STRUCT: u8 = 0xB0;

/// The kind of a PackStream value, as told by its marker byte.
///
/// ```
/// use packstream::{Decoder, Kind};
/// assert_eq!(Decoder::new(&[0x91, 0x01]).peek_kind().unwrap(), Kind::List);
/// assert_eq!(Kind::from_marker(0xC4), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Null.
    Null,
    /// Boolean.
    Boolean,
    /// Integer (i64).
    Integer,
    /// Float (f64).
    Float,
    /// Byte array.
    Bytes,
    /// UTF-8 string.
    String,
    /// List of values.
    List,
    /// Map with string keys.
    Map,
    /// Structure: tag byte and fields.
    Structure,
}

impl Kind {
    /// The kind a marker byte starts, or `None` for reserved markers.
    ///
    /// ```
    /// use packstream::Kind;
    /// assert_eq!(Kind::from_marker(0x85), Some(Kind::String));
    /// assert_eq!(Kind::from_marker(0xF0), Some(Kind::Integer)); // TINY_INT -16
    /// ```
    #[inline]
    pub const fn from_marker(marker: u8) -> Option<Kind> {
        Some(match marker {
            0x00..=0x7F | 0xF0..=0xFF | INT_8..=INT_64 => Kind::Integer,
            0x80..=0x8F | STRING_8..=STRING_32 => Kind::String,
            0x90..=0x9F | LIST_8..=LIST_32 => Kind::List,
            0xA0..=0xAF | MAP_8..=MAP_32 => Kind::Map,
            0xB0..=0xBF | STRUCT_8 | STRUCT_16 => Kind::Structure,
            NULL => Kind::Null,
            FLOAT_64 => Kind::Float,
            FALSE | TRUE => Kind::Boolean,
            BYTES_8..=BYTES_32 => Kind::Bytes,
            _ => return None,
        })
    }

    /// A lower-case name for messages ("integer", "map", ...).
    ///
    /// ```
    /// assert_eq!(packstream::Kind::Map.name(), "map");
    /// ```
    pub const fn name(self) -> &'static str {
        match self {
            Kind::Null => "null",
            Kind::Boolean => "boolean",
            Kind::Integer => "integer",
            Kind::Float => "float",
            Kind::Bytes => "bytes",
            Kind::String => "string",
            Kind::List => "list",
            Kind::Map => "map",
            Kind::Structure => "structure",
        }
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
