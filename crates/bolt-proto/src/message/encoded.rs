//! [`EncodedMap`]: a PackStream map already written, carried by RUN
//! (parameters) and BEGIN / RUN (transaction metadata) so a caller with its
//! own value types encodes once, straight into the message.
//!
//! Owns checking that the bytes are exactly one map. Must not interpret
//! the entries.

use packstream::{Decoder, Kind, Map};

use super::DecodeError;

/// Exactly one PackStream map, already encoded; written into a message
/// verbatim.
///
/// Build it from bytes ([`new`](Self::new) checks they hold one whole map
/// and nothing else) or from a [`Map`].
///
/// ```
/// use bolt_proto::message::EncodedMap;
/// // {x: 1}
/// let m = EncodedMap::new(vec![0xA1, 0x81, b'x', 0x01]).unwrap();
/// assert_eq!(m.as_bytes(), [0xA1, 0x81, b'x', 0x01]);
/// assert!(EncodedMap::new(vec![0x01]).is_err()); // an integer, not a map
/// assert!(EncodedMap::new(vec![0xA0, 0xC0]).is_err()); // trailing bytes
/// ```
#[derive(Clone, PartialEq, Eq, Default)]
pub struct EncodedMap(Vec<u8>);

impl EncodedMap {
    /// Takes `bytes` if they are exactly one well-formed PackStream map.
    ///
    /// # Errors
    /// [`DecodeError::PackStream`] if they are not a map, are malformed or
    /// truncated, or have bytes after the map.
    ///
    /// ```
    /// assert!(bolt_proto::message::EncodedMap::new(vec![0xA0]).unwrap().is_empty());
    /// ```
    pub fn new(bytes: Vec<u8>) -> Result<EncodedMap, DecodeError> {
        let mut d = Decoder::new(&bytes);
        if d.peek_kind()? != Kind::Map {
            // Reading the header reports the wrong marker.
            d.read_map_header()?;
        }
        d.skip_value()?;
        d.finish()?;
        Ok(EncodedMap(bytes))
    }

    /// Encodes `map`.
    ///
    /// # Errors
    /// [`packstream::Error`] if a value is too large to encode.
    ///
    /// ```
    /// let mut m = packstream::Map::new();
    /// m.insert("x", 1);
    /// let e = bolt_proto::message::EncodedMap::from_map(&m).unwrap();
    /// assert_eq!(e.to_map().unwrap(), m);
    /// ```
    pub fn from_map(map: &Map) -> Result<EncodedMap, packstream::Error> {
        let mut buf = Vec::new();
        super::wire::write_map(&mut buf, map)?;
        Ok(EncodedMap(buf))
    }

    /// The encoded bytes.
    ///
    /// ```
    /// assert_eq!(bolt_proto::message::EncodedMap::default().as_bytes(), [0xA0]);
    /// ```
    pub fn as_bytes(&self) -> &[u8] {
        if self.0.is_empty() {
            &[0xA0]
        } else {
            &self.0
        }
    }

    /// Whether the map has no entries.
    ///
    /// ```
    /// assert!(bolt_proto::message::EncodedMap::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        matches!(self.as_bytes(), [0xA0])
    }

    /// Decodes the map (for logging and tests).
    ///
    /// # Errors
    /// None for a value built by this type's constructors.
    ///
    /// ```
    /// assert!(bolt_proto::message::EncodedMap::default().to_map().unwrap().is_empty());
    /// ```
    pub fn to_map(&self) -> Result<Map, DecodeError> {
        match packstream::decode(self.as_bytes())? {
            packstream::Value::Map(m) => Ok(m),
            _ => Ok(Map::new()),
        }
    }
}

impl std::fmt::Debug for EncodedMap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.to_map() {
            Ok(m) => write!(f, "{m:?}"),
            Err(_) => write!(f, "EncodedMap({:02X?})", self.as_bytes()),
        }
    }
}
