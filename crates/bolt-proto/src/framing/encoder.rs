//! Splitting messages into chunks.

use std::num::NonZeroU16;

use bytes::{BufMut, BytesMut};

use super::{FramingError, MAX_CHUNK_SIZE};

/// Writes message bodies as chunks, many messages into one output buffer
/// (pipelining), without allocating per message.
///
/// [`write_message`](Self::write_message) hands the body writer a reusable
/// scratch `Vec<u8>` (the type PackStream's `encode::write_*` functions
/// take), then chunks it into the output. [`write_message_vec`](Self::write_message_vec)
/// encodes straight into a `Vec<u8>` output with no intermediate copy.
///
/// ```
/// use bolt_proto::framing::{ChunkEncoder, FramingError};
/// use bytes::BytesMut;
///
/// let mut enc = ChunkEncoder::new();
/// let mut out = BytesMut::new();
/// for _ in 0..2 {
///     enc.write_message(&mut out, |buf| {
///         buf.extend_from_slice(&[0xB0, 0x0F]); // RESET
///         Ok::<_, FramingError>(())
///     })?;
/// }
/// assert_eq!(&out[..], &[0, 2, 0xB0, 0x0F, 0, 0, 0, 2, 0xB0, 0x0F, 0, 0]);
/// # Ok::<(), FramingError>(())
/// ```
#[derive(Debug, Clone)]
pub struct ChunkEncoder {
    scratch: Vec<u8>,
    max_chunk: usize,
}

impl ChunkEncoder {
    /// An encoder using the largest chunks ([`MAX_CHUNK_SIZE`]).
    pub fn new() -> Self {
        ChunkEncoder {
            scratch: Vec::new(),
            max_chunk: MAX_CHUNK_SIZE,
        }
    }

    /// An encoder that splits messages into chunks of at most `size` bytes
    /// (useful to exercise peers' reassembly).
    ///
    /// ```
    /// use bolt_proto::framing::ChunkEncoder;
    /// use bytes::BytesMut;
    /// use std::num::NonZeroU16;
    ///
    /// let enc = ChunkEncoder::with_max_chunk_size(NonZeroU16::new(2).unwrap());
    /// let mut out = BytesMut::new();
    /// enc.write_body(&mut out, &[1, 2, 3]).unwrap();
    /// assert_eq!(&out[..], &[0, 2, 1, 2, 0, 1, 3, 0, 0]);
    /// ```
    pub fn with_max_chunk_size(size: NonZeroU16) -> Self {
        ChunkEncoder {
            scratch: Vec::new(),
            max_chunk: usize::from(size.get()),
        }
    }

    /// Appends one message whose body `body` writes into a scratch buffer.
    ///
    /// If `body` fails, nothing is written to `dst`. An empty body is
    /// [`FramingError::EmptyMessage`].
    pub fn write_message<E, F>(&mut self, dst: &mut BytesMut, body: F) -> Result<(), E>
    where
        E: From<FramingError>,
        F: FnOnce(&mut Vec<u8>) -> Result<(), E>,
    {
        self.scratch.clear();
        let result = body(&mut self.scratch);
        let written = result.and_then(|()| self.write_body(dst, &self.scratch).map_err(E::from));
        // Don't keep a huge scratch buffer alive after one huge message.
        if self.scratch.capacity() > 4 * MAX_CHUNK_SIZE {
            self.scratch = Vec::new();
        }
        written
    }

    /// Appends one already-encoded message body.
    ///
    /// ```
    /// use bolt_proto::framing::{ChunkEncoder, FramingError};
    /// use bytes::BytesMut;
    ///
    /// let mut out = BytesMut::new();
    /// ChunkEncoder::new().write_body(&mut out, &[0xB0, 0x02])?; // GOODBYE
    /// assert_eq!(&out[..], &[0x00, 0x02, 0xB0, 0x02, 0x00, 0x00]);
    /// assert_eq!(
    ///     ChunkEncoder::new().write_body(&mut out, &[]),
    ///     Err(FramingError::EmptyMessage)
    /// );
    /// # Ok::<(), FramingError>(())
    /// ```
    pub fn write_body(&self, dst: &mut BytesMut, body: &[u8]) -> Result<(), FramingError> {
        if body.is_empty() {
            return Err(FramingError::EmptyMessage);
        }
        let chunks = body.len().div_ceil(self.max_chunk);
        dst.reserve(body.len() + 2 * chunks + 2);
        for chunk in body.chunks(self.max_chunk) {
            // A chunk never exceeds `max_chunk` <= u16::MAX.
            dst.put_u16(chunk.len() as u16);
            dst.put_slice(chunk);
        }
        dst.put_u16(0);
        Ok(())
    }

    /// Appends one message encoded directly into `dst` by `body`, with no
    /// intermediate buffer: a 2-byte header is reserved and patched, and a
    /// body over one chunk is split in place.
    ///
    /// If `body` fails, `dst` is restored to its previous length.
    ///
    /// ```
    /// use bolt_proto::framing::{ChunkEncoder, FramingError};
    ///
    /// let mut out = Vec::new();
    /// ChunkEncoder::new().write_message_vec(&mut out, |buf| {
    ///     buf.extend_from_slice(&[0xB0, 0x0F]);
    ///     Ok::<_, FramingError>(())
    /// })?;
    /// assert_eq!(out, [0, 2, 0xB0, 0x0F, 0, 0]);
    /// # Ok::<(), FramingError>(())
    /// ```
    pub fn write_message_vec<E, F>(&self, dst: &mut Vec<u8>, body: F) -> Result<(), E>
    where
        E: From<FramingError>,
        F: FnOnce(&mut Vec<u8>) -> Result<(), E>,
    {
        let start = dst.len();
        dst.extend_from_slice(&[0, 0]);
        if let Err(e) = body(dst) {
            dst.truncate(start);
            return Err(e);
        }
        let len = dst.len() - start - 2;
        if len == 0 {
            dst.truncate(start);
            return Err(FramingError::EmptyMessage.into());
        }
        let max = self.max_chunk;
        let chunks = len.div_ceil(max);
        if chunks > 1 {
            // Make room for the extra headers, then move chunks right,
            // last first, so no chunk is overwritten before it moves.
            dst.resize(dst.len() + 2 * (chunks - 1), 0);
            for j in (1..chunks).rev() {
                let from = start + 2 + j * max;
                let to = start + 2 + j * (max + 2);
                let n = max.min(len - j * max);
                dst.copy_within(from..from + n, to);
                dst[to - 2..to].copy_from_slice(&(n as u16).to_be_bytes());
            }
        }
        let first = max.min(len);
        dst[start..start + 2].copy_from_slice(&(first as u16).to_be_bytes());
        dst.extend_from_slice(&[0, 0]);
        Ok(())
    }

    /// Appends a NOOP chunk (`00 00`), a keep-alive the peer ignores
    /// (Bolt 4.3+).
    ///
    /// ```
    /// use bolt_proto::framing::ChunkEncoder;
    /// use bytes::BytesMut;
    ///
    /// let mut out = BytesMut::new();
    /// ChunkEncoder::write_noop(&mut out);
    /// assert_eq!(&out[..], &[0, 0]);
    /// ```
    pub fn write_noop(dst: &mut BytesMut) {
        dst.put_u16(0);
    }
}

impl Default for ChunkEncoder {
    fn default() -> Self {
        Self::new()
    }
}
