//! The error type shared by encoding, decoding and serde.
//!
//! Owns [`Error`] and nothing else: every failure in this crate is one of
//! its variants, each naming the problem and, when decoding, the byte offset.

use crate::Kind;

/// Everything that can go wrong while encoding, decoding or (de)serializing.
///
/// Offsets are byte positions in the decoder's input.
///
/// ```
/// use packstream::{decode, Error};
/// // 0xC4 is a reserved marker.
/// let err = decode(&[0xC4]).unwrap_err();
/// assert!(matches!(err, Error::UnknownMarker { marker: 0xC4, offset: 0 }));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input ended in the middle of a value.
    #[error("unexpected end of input at offset {offset}: {needed} more byte(s) needed")]
    UnexpectedEnd {
        /// Where the missing bytes should have started.
        offset: usize,
        /// How many more bytes were needed.
        needed: usize,
    },
    /// A marker byte that PackStream v1 does not define.
    #[error("unknown marker byte 0x{marker:02X} at offset {offset}")]
    UnknownMarker {
        /// The byte found.
        marker: u8,
        /// Its position.
        offset: usize,
    },
    /// A string whose bytes are not valid UTF-8.
    #[error("invalid UTF-8 in string at offset {offset}")]
    InvalidUtf8 {
        /// Position of the first string byte.
        offset: usize,
    },
    /// Values nested deeper than the decoder's limit.
    #[error("nesting depth limit of {limit} exceeded at offset {offset}")]
    DepthLimitExceeded {
        /// The configured limit.
        limit: usize,
        /// Position of the container that went too deep.
        offset: usize,
    },
    /// A length header that announces more data than the input holds.
    #[error("declared size {size} at offset {offset} exceeds the {remaining} byte(s) remaining")]
    SizeExceedsInput {
        /// Position of the marker carrying the size.
        offset: usize,
        /// The declared size (bytes, or elements for containers).
        size: u64,
        /// Bytes left after the header.
        remaining: usize,
    },
    /// An integer that does not fit the target type (or PackStream's i64).
    #[error("integer {value} out of range for {target}")]
    IntegerOutOfRange {
        /// The value (widened).
        value: i128,
        /// The type it had to fit.
        target: &'static str,
    },
    /// Input left over after the one value that was expected.
    #[error("{count} trailing byte(s) at offset {offset}")]
    TrailingBytes {
        /// Where the trailing bytes start.
        offset: usize,
        /// How many there are.
        count: usize,
    },
    /// A value too large for PackStream to encode (e.g. a string over 4 GiB,
    /// a structure with more than 15 fields).
    #[error("{what} of size {size} is too large (maximum {max})")]
    TooLarge {
        /// What was being encoded.
        what: &'static str,
        /// Its size.
        size: u64,
        /// The maximum allowed.
        max: u64,
    },
    /// A value of another kind than the one asked for.
    #[error("expected {expected} at offset {offset}, found {found}")]
    UnexpectedType {
        /// What the caller asked for.
        expected: &'static str,
        /// What the input holds.
        found: Kind,
        /// Position of the marker.
        offset: usize,
    },
    /// A custom message from serde (`Serialize`/`Deserialize` impls).
    #[error("{0}")]
    Serde(String),
    /// An I/O error from the writer given to [`crate::to_writer`].
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
}
