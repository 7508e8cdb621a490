//! The opening version negotiation, client and server side.
//!
//! Owns the bytes exchanged before the first chunked message: the magic
//! `60 60 B0 17`, the four version slots, the server's answer and the
//! manifest-v1 exchange of Bolt 5.7+ (server manifest, then the client's
//! choice). It does no I/O and must not know about chunks or messages:
//! [`framing`](crate::framing) takes over once [`Negotiated`] is returned.
//!
//! ```text
//! C: 60 60 B0 17  00 00 01 FF  00 08 08 05  00 02 04 04  00 00 00 03
//! S: 00 00 04 05                          (plain: Bolt 5.4 chosen)
//! S: 00 00 01 FF  01  00 07 07 05  00     (manifest: 5.0-5.7, no capabilities)
//! C: 00 00 07 05  00                      (client chooses 5.7, no capabilities)
//! ```
//!
//! The state machines ([`ClientHandshake`], [`ServerHandshake`]) accept
//! input in pieces of any size, never panic, and bound the manifest:
//! varints are at most 5 bytes (counts) or 10 bytes (capabilities), and a
//! manifest lists at most [`MAX_MANIFEST_RANGES`] version ranges.
//!
//! ```
//! use bolt_proto::handshake::{
//!     ClientHandshake, ClientProgress, ServerHandshake, ServerProgress, VersionOffer,
//! };
//! use bolt_proto::Version;
//!
//! let (mut client, preamble) = ClientHandshake::new(VersionOffer::default());
//! let mut server = ServerHandshake::new([Version::V4_4]);
//! let ServerProgress::Done(s) = server.feed(&preamble)? else { unreachable!() };
//! let ClientProgress::Done(c) = client.feed(&s.reply)? else { unreachable!() };
//! assert_eq!((c.version, s.version), (Version::V4_4, Version::V4_4));
//! # Ok::<(), bolt_proto::handshake::HandshakeError>(())
//! ```

mod client;
mod error;
mod offer;
mod server;
mod varint;

use bytes::Bytes;

pub use client::{ClientHandshake, ClientProgress};
pub use error::{HandshakeError, OfferError};
pub use offer::{Capabilities, OfferSlot, VersionOffer, VersionRange};
pub use server::{ServerHandshake, ServerProgress};

use crate::Version;

/// The four bytes that open every Bolt connection.
///
/// ```
/// assert_eq!(bolt_proto::handshake::MAGIC, [0x60, 0x60, 0xB0, 0x17]);
/// ```
pub const MAGIC: [u8; 4] = [0x60, 0x60, 0xB0, 0x17];

/// The slot (and server answer) meaning "handshake manifest v1".
///
/// ```
/// assert_eq!(bolt_proto::handshake::MANIFEST_V1, [0x00, 0x00, 0x01, 0xFF]);
/// ```
pub const MANIFEST_V1: [u8; 4] = [0x00, 0x00, 0x01, 0xFF];

/// The answer meaning "no common version"; send it before closing when
/// negotiation fails.
///
/// ```
/// assert_eq!(bolt_proto::handshake::NO_VERSION, [0; 4]);
/// ```
pub const NO_VERSION: [u8; 4] = [0; 4];

/// The most version ranges a manifest may list; more is treated as
/// malformed input ([`HandshakeError::TooManyVersionRanges`]).
///
/// ```
/// assert!(bolt_proto::handshake::MAX_MANIFEST_RANGES >= 16);
/// ```
pub const MAX_MANIFEST_RANGES: usize = 64;

/// Reads one varint of at most `bits` bits at `buf[at..]`: the offset past
/// it and its value, `None` when `buf` ends first.
fn varint_at(
    buf: &[u8],
    at: usize,
    bits: u32,
    what: &'static str,
) -> Result<Option<(usize, u64)>, HandshakeError> {
    let mut reader = varint::VarIntReader::new(bits);
    for (i, &byte) in buf.iter().enumerate().skip(at) {
        match reader.push(byte) {
            varint::Step::More => {}
            varint::Step::Done(value) => return Ok(Some((i + 1, value))),
            varint::Step::Overflow => return Err(HandshakeError::VarIntOverflow { what }),
        }
    }
    Ok(None)
}

/// The length of a server's manifest-v1 answer at the start of `buf`
/// (`00 00 01 FF`, the range count, the ranges, the capabilities), for
/// code that only watches a handshake (a proxy); `None` when `buf` does not
/// hold all of it yet. Bounded as [`ClientHandshake`] bounds it.
///
/// ```
/// use bolt_proto::handshake::manifest_answer_len;
///
/// let answer = [0x00, 0x00, 0x01, 0xFF, 0x01, 0x00, 0x07, 0x07, 0x05, 0x00];
/// assert_eq!(manifest_answer_len(&answer)?, Some(10));
/// assert_eq!(manifest_answer_len(&answer[..9])?, None);
/// # Ok::<(), bolt_proto::handshake::HandshakeError>(())
/// ```
pub fn manifest_answer_len(buf: &[u8]) -> Result<Option<usize>, HandshakeError> {
    let Some((at, count)) = varint_at(buf, 4, 32, "version range count")? else {
        return Ok(None);
    };
    if count > MAX_MANIFEST_RANGES as u64 {
        return Err(HandshakeError::TooManyVersionRanges {
            count,
            max: MAX_MANIFEST_RANGES,
        });
    }
    let caps_at = at + 4 * count as usize;
    Ok(varint_at(buf, caps_at, 64, "capabilities")?.map(|(end, _)| end))
}

/// The length of a client's choice after a manifest at the start of `buf`
/// (the chosen version, then the capabilities varint); `None` when `buf`
/// does not hold all of it yet.
///
/// ```
/// use bolt_proto::handshake::manifest_choice_len;
///
/// assert_eq!(manifest_choice_len(&[0x00, 0x00, 0x07, 0x05, 0x00])?, Some(5));
/// assert_eq!(manifest_choice_len(&[0x00, 0x00, 0x07, 0x05])?, None);
/// # Ok::<(), bolt_proto::handshake::HandshakeError>(())
/// ```
pub fn manifest_choice_len(buf: &[u8]) -> Result<Option<usize>, HandshakeError> {
    Ok(varint_at(buf, 4, 64, "capabilities")?.map(|(end, _)| end))
}

/// The outcome of a successful handshake.
///
/// ```
/// use bolt_proto::handshake::{ClientHandshake, ClientProgress, VersionOffer};
/// use bolt_proto::Version;
///
/// let (mut hs, _) = ClientHandshake::new(VersionOffer::default());
/// let ClientProgress::Done(n) = hs.feed(&[0, 0, 0, 3]).unwrap() else { panic!() };
/// assert_eq!(n.version, Version::V3_0);
/// assert!(!n.manifest && n.reply.is_empty() && n.trailing.is_empty());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Negotiated {
    /// The protocol version both sides now speak.
    pub version: Version,
    /// The capabilities agreed in a manifest handshake (else empty).
    pub capabilities: Capabilities,
    /// Whether the manifest handshake was used.
    pub manifest: bool,
    /// Bytes to send to the peer before anything else (may be empty).
    pub reply: Bytes,
    /// Bytes received past the end of the handshake: the start of the
    /// chunked stream. Usually empty.
    pub trailing: Bytes,
}
