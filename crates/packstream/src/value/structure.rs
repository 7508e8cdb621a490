//! [`Structure`]: a tagged record of fields, PackStream's extension point.

use super::Value;

/// A PackStream structure: a tag byte and up to 15 fields.
///
/// Bolt uses structures for messages and for graph and temporal types
/// (e.g. tag `0x4E` is a Node). This crate gives them no meaning.
///
/// ```
/// use packstream::{Structure, Value};
/// let s = Structure::new(0x58, vec![Value::Float(1.0), Value::Float(2.0)]);
/// assert_eq!(s.to_bytes_len(), 2 + 9 + 9);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Structure {
    /// The tag (signature) byte.
    pub tag: u8,
    /// The fields, in order.
    pub fields: Vec<Value>,
}

impl Structure {
    /// A structure with this tag and fields.
    ///
    /// ```
    /// let s = packstream::Structure::new(0x4E, vec![]);
    /// assert_eq!(s.tag, 0x4E);
    /// ```
    pub fn new(tag: u8, fields: Vec<Value>) -> Self {
        Structure { tag, fields }
    }

    /// The number of bytes [`Value::encode`] writes for this structure.
    ///
    /// ```
    /// assert_eq!(packstream::Structure::new(1, vec![1.into()]).to_bytes_len(), 3);
    /// ```
    pub fn to_bytes_len(&self) -> usize {
        2 + self.fields.iter().map(Value::encoded_len).sum::<usize>()
    }
}
