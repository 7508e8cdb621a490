//! A `tokio-util` codec for the chunked stream.
//!
//! Owns the glue between [`framing`](crate::framing) and
//! `tokio_util::codec`: [`ChunkCodec`] decodes the stream into whole
//! message bodies ([`Bytes`]) and encodes bodies into chunks. It knows
//! nothing about message contents, so a message-level codec wraps it
//! (decode bodies with [`message`](crate::message), encode with
//! [`EncodeWith`]). The handshake happens before this codec is installed.
//!
//! ```
//! use bolt_proto::codec::{ChunkCodec, EncodeWith};
//! use bolt_proto::framing::FramingError;
//! use bytes::BytesMut;
//! use tokio_util::codec::{Decoder, Encoder};
//!
//! let mut codec = ChunkCodec::new();
//! let mut wire = BytesMut::new();
//! codec.encode(&[0xB0, 0x0F][..], &mut wire)?; // an encoded body
//! codec.encode(
//!     EncodeWith(|buf: &mut Vec<u8>| {
//!         buf.extend_from_slice(&[0xB0, 0x02]); // written in place
//!         Ok::<_, bolt_proto::codec::CodecError>(())
//!     }),
//!     &mut wire,
//! )?;
//! assert_eq!(&codec.decode(&mut wire)?.unwrap()[..], &[0xB0, 0x0F]);
//! assert_eq!(&codec.decode(&mut wire)?.unwrap()[..], &[0xB0, 0x02]);
//! # Ok::<(), bolt_proto::codec::CodecError>(())
//! ```

use std::io;

use bytes::{Bytes, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

use crate::framing::{ChunkDecoder, ChunkEncoder, FramingError};

/// Errors of [`ChunkCodec`]: the transport failed or the stream is
/// malformed.
///
/// ```
/// use bolt_proto::codec::CodecError;
/// use bolt_proto::framing::FramingError;
///
/// let e = CodecError::from(FramingError::EmptyMessage);
/// assert!(matches!(e, CodecError::Framing(FramingError::EmptyMessage)));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CodecError {
    /// Reading or writing the transport failed.
    #[error("Bolt connection I/O failed: {0}")]
    Io(#[from] io::Error),
    /// The chunked stream is malformed.
    #[error(transparent)]
    Framing(#[from] FramingError),
}

/// Frames message bodies: decodes to [`Bytes`], encodes `&[u8]`, [`Bytes`],
/// [`EncodeWith`] closures and [`Noop`]s.
///
/// ```
/// use bolt_proto::codec::ChunkCodec;
/// use bytes::BytesMut;
/// use tokio_util::codec::Decoder;
///
/// let mut codec = ChunkCodec::with_max_message_size(1024);
/// let mut src = BytesMut::from(&[0x00, 0x00, 0x00, 0x01, 0x01, 0x00, 0x00][..]);
/// assert_eq!(&codec.decode(&mut src).unwrap().unwrap()[..], &[0x01]);
/// ```
#[derive(Debug, Clone, Default)]
pub struct ChunkCodec {
    decoder: ChunkDecoder,
    encoder: ChunkEncoder,
}

impl ChunkCodec {
    /// A codec with the default limits.
    pub fn new() -> Self {
        Self::default()
    }

    /// A codec refusing incoming messages larger than `max` bytes.
    pub fn with_max_message_size(max: usize) -> Self {
        ChunkCodec {
            decoder: ChunkDecoder::with_max_message_size(max),
            encoder: ChunkEncoder::new(),
        }
    }

    /// A codec from a configured decoder and encoder.
    ///
    /// ```
    /// use bolt_proto::codec::ChunkCodec;
    /// use bolt_proto::framing::{ChunkDecoder, ChunkEncoder};
    /// use std::num::NonZeroU16;
    ///
    /// let codec = ChunkCodec::from_parts(
    ///     ChunkDecoder::with_max_message_size(1 << 20),
    ///     ChunkEncoder::with_max_chunk_size(NonZeroU16::new(8192).unwrap()),
    /// );
    /// assert_eq!(codec.decoder().max_message_size(), 1 << 20);
    /// ```
    pub fn from_parts(decoder: ChunkDecoder, encoder: ChunkEncoder) -> Self {
        ChunkCodec { decoder, encoder }
    }

    /// The chunk decoder.
    pub fn decoder(&self) -> &ChunkDecoder {
        &self.decoder
    }

    /// The chunk encoder, e.g. to write into a buffer outside a `Framed`.
    pub fn encoder_mut(&mut self) -> &mut ChunkEncoder {
        &mut self.encoder
    }
}

impl Decoder for ChunkCodec {
    type Item = Bytes;
    type Error = CodecError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Bytes>, CodecError> {
        Ok(self.decoder.decode(src)?)
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Bytes>, CodecError> {
        Ok(self.decoder.decode_eof(src)?)
    }
}

impl Encoder<&[u8]> for ChunkCodec {
    type Error = CodecError;

    fn encode(&mut self, body: &[u8], dst: &mut BytesMut) -> Result<(), CodecError> {
        Ok(self.encoder.write_body(dst, body)?)
    }
}

impl Encoder<Bytes> for ChunkCodec {
    type Error = CodecError;

    fn encode(&mut self, body: Bytes, dst: &mut BytesMut) -> Result<(), CodecError> {
        Ok(self.encoder.write_body(dst, &body)?)
    }
}

/// A message body written by a closure into a reusable buffer, for
/// [`ChunkCodec`]'s encoder; the closure's error type is the encoder's.
///
/// ```
/// use bolt_proto::codec::{ChunkCodec, CodecError, EncodeWith};
/// use bytes::BytesMut;
/// use tokio_util::codec::Encoder;
///
/// let mut out = BytesMut::new();
/// ChunkCodec::new().encode(
///     EncodeWith(|buf: &mut Vec<u8>| {
///         buf.push(0xB0);
///         buf.push(0x0F);
///         Ok::<_, CodecError>(())
///     }),
///     &mut out,
/// )?;
/// assert_eq!(&out[..], &[0, 2, 0xB0, 0x0F, 0, 0]);
/// # Ok::<(), CodecError>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct EncodeWith<F>(pub F);

impl<F, E> Encoder<EncodeWith<F>> for ChunkCodec
where
    F: FnOnce(&mut Vec<u8>) -> Result<(), E>,
    E: From<FramingError> + From<io::Error>,
{
    type Error = E;

    fn encode(&mut self, item: EncodeWith<F>, dst: &mut BytesMut) -> Result<(), E> {
        self.encoder.write_message(dst, item.0)
    }
}

/// A NOOP chunk (keep-alive), for [`ChunkCodec`]'s encoder.
///
/// ```
/// use bolt_proto::codec::{ChunkCodec, Noop};
/// use bytes::BytesMut;
/// use tokio_util::codec::Encoder;
///
/// let mut out = BytesMut::new();
/// ChunkCodec::new().encode(Noop, &mut out).unwrap();
/// assert_eq!(&out[..], &[0, 0]);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Noop;

impl Encoder<Noop> for ChunkCodec {
    type Error = CodecError;

    fn encode(&mut self, _: Noop, dst: &mut BytesMut) -> Result<(), CodecError> {
        ChunkEncoder::write_noop(dst);
        Ok(())
    }
}
