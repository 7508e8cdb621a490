//! Chunking messages into the byte stream and reassembling them.
//!
//! After the handshake every message travels as one or more chunks, each a
//! 2-byte big-endian size followed by that many bytes (at most
//! [`MAX_CHUNK_SIZE`]), and ends with an empty chunk `00 00`. An empty chunk
//! outside a message is a NOOP (keep-alive, Bolt 4.3+) and is skipped.
//!
//! ```text
//! 00 03 B1 70 A0 00 00        one message, one chunk: B1 70 A0
//! 00 02 B1 70 00 01 A0 00 00  the same message split over two chunks
//! 00 00                       a NOOP
//! ```
//!
//! This module owns only that framing: it sees message bodies as opaque
//! bytes and must not know about PackStream or message types (those live in
//! [`message`](crate::message)). It does no I/O; [`codec`](crate::codec)
//! plugs it into `tokio-util`.
//!
//! ```
//! use bolt_proto::framing::{ChunkDecoder, ChunkEncoder};
//! use bytes::BytesMut;
//!
//! let mut wire = BytesMut::new();
//! let mut enc = ChunkEncoder::new();
//! enc.write_body(&mut wire, &[0xB1, 0x70, 0xA0])?;
//! ChunkEncoder::write_noop(&mut wire);
//! enc.write_message(&mut wire, |buf| {
//!     buf.extend_from_slice(&[0xB0, 0x0F]);
//!     Ok::<_, bolt_proto::framing::FramingError>(())
//! })?;
//! assert_eq!(&wire[..], &[0, 3, 0xB1, 0x70, 0xA0, 0, 0, 0, 0, 0, 2, 0xB0, 0x0F, 0, 0]);
//!
//! let mut dec = ChunkDecoder::new();
//! assert_eq!(&dec.decode(&mut wire)?.unwrap()[..], &[0xB1, 0x70, 0xA0]);
//! assert_eq!(&dec.decode(&mut wire)?.unwrap()[..], &[0xB0, 0x0F]);
//! assert_eq!(dec.decode_eof(&mut wire)?, None);
//! # Ok::<(), bolt_proto::framing::FramingError>(())
//! ```

mod decoder;
mod encoder;
mod error;

pub use decoder::ChunkDecoder;
pub use encoder::ChunkEncoder;
pub use error::FramingError;

/// The largest chunk: its size must fit in 2 bytes.
///
/// ```
/// assert_eq!(bolt_proto::framing::MAX_CHUNK_SIZE, 65_535);
/// ```
pub const MAX_CHUNK_SIZE: usize = u16::MAX as usize;

/// The default limit on one reassembled message: 64 MiB.
///
/// Large enough for any realistic record (Neo4j itself rarely sends
/// messages beyond a few MiB) while keeping a broken or hostile peer from
/// making the client buffer without bound. Raise it with
/// [`ChunkDecoder::with_max_message_size`] for huge property values.
///
/// ```
/// assert_eq!(bolt_proto::framing::DEFAULT_MAX_MESSAGE_SIZE, 64 * 1024 * 1024);
/// ```
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 64 * 1024 * 1024;
