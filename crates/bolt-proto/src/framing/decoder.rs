//! Reassembling messages from chunks.

use bytes::{Buf, Bytes, BytesMut};

use super::{FramingError, DEFAULT_MAX_MESSAGE_SIZE};

/// Reassembles whole message bodies from a chunked byte stream.
///
/// Feed it the receive buffer as bytes arrive, split anywhere (one byte at
/// a time works). NOOP chunks between messages are skipped. A message in a
/// single chunk is split out of the buffer without copying; only messages
/// spanning several chunks are copied together. A chunk is consumed only
/// once it is complete, so each call does work proportional to the
/// complete chunks it finds.
///
/// ```
/// use bolt_proto::framing::ChunkDecoder;
/// use bytes::BytesMut;
///
/// let mut dec = ChunkDecoder::new();
/// let mut src = BytesMut::new();
/// // A NOOP, then a message split over two chunks, arriving in pieces.
/// src.extend_from_slice(&[0x00, 0x00, 0x00, 0x02, 0xB1, 0x70]);
/// assert_eq!(dec.decode(&mut src).unwrap(), None);
/// src.extend_from_slice(&[0x00, 0x01, 0xA0, 0x00, 0x00]);
/// assert_eq!(&dec.decode(&mut src).unwrap().unwrap()[..], &[0xB1, 0x70, 0xA0]);
/// assert!(src.is_empty() && dec.is_idle());
/// ```
#[derive(Debug, Clone)]
pub struct ChunkDecoder {
    max_message_size: usize,
    message: BytesMut,
    in_message: bool,
}

impl ChunkDecoder {
    /// A decoder with the default maximum message size
    /// ([`DEFAULT_MAX_MESSAGE_SIZE`]).
    pub fn new() -> Self {
        Self::with_max_message_size(DEFAULT_MAX_MESSAGE_SIZE)
    }

    /// A decoder refusing messages larger than `max` bytes (the body, not
    /// counting chunk headers).
    ///
    /// ```
    /// use bolt_proto::framing::{ChunkDecoder, FramingError};
    /// use bytes::BytesMut;
    ///
    /// let mut dec = ChunkDecoder::with_max_message_size(2);
    /// let mut src = BytesMut::from(&[0x00, 0x03][..]);
    /// assert_eq!(
    ///     dec.decode(&mut src),
    ///     Err(FramingError::MessageTooLarge { size: 3, max: 2 })
    /// );
    /// ```
    pub fn with_max_message_size(max: usize) -> Self {
        ChunkDecoder {
            max_message_size: max,
            message: BytesMut::new(),
            in_message: false,
        }
    }

    /// The maximum message size.
    ///
    /// ```
    /// # use bolt_proto::framing::*;
    /// assert_eq!(ChunkDecoder::new().max_message_size(), DEFAULT_MAX_MESSAGE_SIZE);
    /// ```
    pub fn max_message_size(&self) -> usize {
        self.max_message_size
    }

    /// Whether no message is partly received (ignoring bytes still in the
    /// caller's buffer).
    ///
    /// ```
    /// # use bolt_proto::framing::*;
    /// assert!(ChunkDecoder::new().is_idle());
    /// ```
    pub fn is_idle(&self) -> bool {
        !self.in_message
    }

    /// Takes the next whole message body out of `src`, or `None` if more
    /// bytes are needed. Consumed bytes are removed from `src`.
    pub fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Bytes>, FramingError> {
        loop {
            if src.len() < 2 {
                return Ok(None);
            }
            let size = usize::from(u16::from_be_bytes([src[0], src[1]]));
            if size == 0 {
                src.advance(2);
                if self.in_message {
                    self.in_message = false;
                    return Ok(Some(self.message.split().freeze()));
                }
                continue; // NOOP
            }
            let total = self.message.len() + size;
            if total > self.max_message_size {
                self.message = BytesMut::new();
                self.in_message = false;
                return Err(FramingError::MessageTooLarge {
                    size: total,
                    max: self.max_message_size,
                });
            }
            if !self.in_message {
                // Fast path: a whole single-chunk message, taken without a copy.
                let needed = 2 + size + 2;
                if src.len() < needed {
                    src.reserve(needed - src.len());
                    return Ok(None);
                }
                if src[2 + size] == 0 && src[3 + size] == 0 {
                    src.advance(2);
                    let body = src.split_to(size).freeze();
                    src.advance(2);
                    return Ok(Some(body));
                }
            } else if src.len() < 2 + size {
                src.reserve(2 + size - src.len());
                return Ok(None);
            }
            // Several chunks: gather them.
            self.message.extend_from_slice(&src[2..2 + size]);
            src.advance(2 + size);
            self.in_message = true;
        }
    }

    /// Like [`decode`](Self::decode), for when the stream has ended: bytes
    /// left over, or a message left unfinished, are
    /// [`FramingError::Truncated`].
    ///
    /// ```
    /// use bolt_proto::framing::{ChunkDecoder, FramingError};
    /// use bytes::BytesMut;
    ///
    /// let mut dec = ChunkDecoder::new();
    /// let mut src = BytesMut::from(&[0x00, 0x00][..]); // a NOOP, then EOF
    /// assert_eq!(dec.decode_eof(&mut src), Ok(None));
    /// ```
    pub fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Bytes>, FramingError> {
        if let Some(message) = self.decode(src)? {
            return Ok(Some(message));
        }
        if src.is_empty() && !self.in_message {
            return Ok(None);
        }
        let buffered = src.len() + self.message.len();
        src.clear();
        self.message = BytesMut::new();
        self.in_message = false;
        Err(FramingError::Truncated { buffered })
    }
}

impl Default for ChunkDecoder {
    fn default() -> Self {
        Self::new()
    }
}
