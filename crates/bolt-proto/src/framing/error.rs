//! Framing errors.

/// The chunked stream is malformed, or a message cannot be framed.
///
/// After a decoding error the stream cannot be resynchronised: close the
/// connection.
///
/// ```
/// use bolt_proto::framing::{ChunkDecoder, FramingError};
/// use bytes::BytesMut;
///
/// let mut src = BytesMut::from(&[0x00, 0x05, 0xB1][..]);
/// let err = ChunkDecoder::new().decode_eof(&mut src).unwrap_err();
/// assert_eq!(err, FramingError::Truncated { buffered: 3 });
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FramingError {
    /// A message grew beyond the configured maximum.
    #[error("incoming Bolt message of at least {size} bytes exceeds the maximum message size of {max} bytes")]
    MessageTooLarge {
        /// The size reached so far (the message may be larger still).
        size: usize,
        /// The configured maximum.
        max: usize,
    },
    /// The stream ended in the middle of a message.
    #[error(
        "the connection closed in the middle of a Bolt message ({buffered} bytes of it received)"
    )]
    Truncated {
        /// Bytes of the unfinished message received so far.
        buffered: usize,
    },
    /// An empty message cannot be sent: on the wire it would be a NOOP.
    #[error("cannot send an empty Bolt message (it would read as a NOOP chunk)")]
    EmptyMessage,
}
