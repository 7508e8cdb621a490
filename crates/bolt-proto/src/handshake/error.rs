//! Handshake errors.

use super::VersionRange;
use crate::Version;

/// A [`VersionOffer`](super::VersionOffer) or
/// [`VersionRange`] that cannot be built.
///
/// ```
/// use bolt_proto::handshake::{OfferError, VersionOffer};
/// use bolt_proto::Version;
///
/// let err = VersionOffer::exactly(Version::new(9, 9)).unwrap_err();
/// assert_eq!(err, OfferError::UnsupportedVersion(Version::new(9, 9)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OfferError {
    /// A range must stay within one major version and run from high to low.
    #[error("invalid version range {low}..={high}: both ends need the same major version and low <= high")]
    InvalidRange {
        /// The requested newest version.
        high: Version,
        /// The requested oldest version.
        low: Version,
    },
    /// The preamble has room for four slots only.
    #[error("a version offer has at most 4 slots")]
    TooManySlots,
    /// The manifest slot was given more than once.
    #[error("the manifest v1 slot appears more than once in the version offer")]
    DuplicateManifest,
    /// The offer has no version slot.
    #[error("a version offer needs at least one protocol version slot")]
    NoVersions,
    /// A version this crate does not speak.
    #[error("Bolt {0} is not supported by this driver")]
    UnsupportedVersion(Version),
}

/// The handshake failed. After an error the connection must be closed.
///
/// ```
/// use bolt_proto::handshake::{ClientHandshake, HandshakeError, VersionOffer};
///
/// let (mut hs, _preamble) = ClientHandshake::new(VersionOffer::default());
/// assert!(matches!(hs.feed(b"HTTP/1.1 400"), Err(HandshakeError::HttpResponse)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HandshakeError {
    /// The server answered with HTTP: the port is an HTTP endpoint, not Bolt.
    #[error("the server answered the Bolt handshake with HTTP; the address is probably an HTTP port, not a Bolt port")]
    HttpResponse,
    /// The server answered `00 00 00 00`: it speaks none of the offered versions.
    #[error("the server supports none of the offered Bolt versions ({offered})")]
    ServerRejected {
        /// The offered versions, for the message.
        offered: String,
    },
    /// The peer chose or offered no version this side accepts.
    #[error("no common Bolt version: the peer offered {peer}, this side accepts {ours}")]
    NoCommonVersion {
        /// What the peer offered.
        peer: String,
        /// What this side accepts.
        ours: String,
    },
    /// The client answered `00 00 00 00` to the server's manifest.
    #[error("the client supports none of the Bolt versions the server offered")]
    ClientRejected,
    /// The peer picked a version that was not offered.
    #[error("the peer chose Bolt {chosen}, which was not offered")]
    UnexpectedVersion {
        /// The version the peer chose.
        chosen: Version,
    },
    /// The answer is not a valid version answer.
    #[error("invalid handshake answer {0:02X?}")]
    InvalidAnswer([u8; 4]),
    /// The client did not open with the Bolt magic `60 60 B0 17`.
    #[error("the client did not open with the Bolt magic 60 60 B0 17 (got {0:02X?})")]
    BadMagic([u8; 4]),
    /// A manifest varint is longer or larger than allowed.
    #[error("malformed varint in the manifest handshake ({what})")]
    VarIntOverflow {
        /// Which field.
        what: &'static str,
    },
    /// The server announced an absurd number of version ranges.
    #[error("the server's manifest lists {count} version ranges (at most {max} allowed)")]
    TooManyVersionRanges {
        /// The announced count.
        count: u64,
        /// The limit.
        max: usize,
    },
    /// The peer chose capabilities that were not offered.
    #[error("the client asked for capabilities {asked:#x} beyond those offered {offered:#x}")]
    UnexpectedCapabilities {
        /// What was asked for.
        asked: u64,
        /// What was offered.
        offered: u64,
    },
    /// The peer sent bytes before reading the answer they depend on.
    #[error("the peer sent {count} bytes before reading the handshake answer")]
    PrematureData {
        /// How many bytes arrived too early.
        count: usize,
    },
    /// The connection closed before the handshake completed.
    #[error("the connection closed during the Bolt handshake ({received} of at least {expected} bytes received)")]
    UnexpectedEof {
        /// Bytes of the current step received.
        received: usize,
        /// Bytes the current step needs at least.
        expected: usize,
    },
    /// `feed` was called after the handshake finished or failed.
    #[error("the handshake is already {0}")]
    Finished(&'static str),
}

impl HandshakeError {
    pub(crate) fn list(ranges: impl IntoIterator<Item = VersionRange>) -> String {
        let parts: Vec<String> = ranges.into_iter().map(|r| r.to_string()).collect();
        if parts.is_empty() {
            "nothing".to_owned()
        } else {
            parts.join(", ")
        }
    }
}
