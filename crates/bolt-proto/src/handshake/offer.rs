//! What a client proposes: version ranges, offer slots and capabilities.

use std::fmt;

use super::error::OfferError;
use crate::Version;

/// A run of minor versions of one major version, as the handshake encodes
/// it: `00 <range> <minor> <major>` covers `major.minor` down to
/// `major.(minor - range)`.
///
/// ```
/// use bolt_proto::handshake::VersionRange;
/// use bolt_proto::Version;
///
/// let r = VersionRange::new(Version::V5_8, Version::V5_0).unwrap();
/// assert_eq!(r.to_bytes(), [0x00, 0x08, 0x08, 0x05]);
/// assert!(r.contains(Version::V5_3));
/// assert!(!r.contains(Version::V4_4));
/// assert_eq!(VersionRange::from_bytes([0, 2, 4, 4]).low(), Version::V4_2);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VersionRange {
    high: Version,
    range: u8,
}

impl VersionRange {
    /// The versions from `high` down to `low`, which must share a major
    /// version with `low <= high`.
    pub fn new(high: Version, low: Version) -> Result<Self, OfferError> {
        if high.major != low.major || low.minor > high.minor {
            return Err(OfferError::InvalidRange { high, low });
        }
        Ok(VersionRange {
            high,
            range: high.minor - low.minor,
        })
    }

    /// Exactly one version.
    pub const fn single(version: Version) -> Self {
        VersionRange {
            high: version,
            range: 0,
        }
    }

    /// Decodes a 4-byte entry. The reserved first byte is ignored, and a
    /// range reaching below minor 0 is cut at 0, so any bytes decode.
    pub const fn from_bytes(bytes: [u8; 4]) -> Self {
        let minor = bytes[2];
        let range = if bytes[1] > minor { minor } else { bytes[1] };
        VersionRange {
            high: Version::new(bytes[3], minor),
            range,
        }
    }

    /// Encodes as `00 <range> <minor> <major>`.
    pub const fn to_bytes(self) -> [u8; 4] {
        [0, self.range, self.high.minor, self.high.major]
    }

    /// The newest version covered.
    pub const fn high(self) -> Version {
        self.high
    }

    /// The oldest version covered.
    pub const fn low(self) -> Version {
        Version::new(self.high.major, self.high.minor - self.range)
    }

    /// Whether `version` lies in the range.
    pub fn contains(self, version: Version) -> bool {
        version.major == self.high.major
            && version.minor <= self.high.minor
            && version.minor >= self.high.minor - self.range
    }

    /// The covered versions, newest first.
    pub fn versions(self) -> impl Iterator<Item = Version> {
        let major = self.high.major;
        let high = self.high.minor;
        (0..=self.range).map(move |d| Version::new(major, high - d))
    }
}

impl fmt::Display for VersionRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.range == 0 {
            write!(f, "{}", self.high)
        } else {
            write!(f, "{}-{}", self.low(), self.high)
        }
    }
}

/// One of the four 4-byte slots of the client's opening preamble.
///
/// ```
/// use bolt_proto::handshake::{OfferSlot, VersionRange};
/// use bolt_proto::Version;
///
/// assert_eq!(OfferSlot::ManifestV1.to_bytes(), [0x00, 0x00, 0x01, 0xFF]);
/// let slot = OfferSlot::Versions(VersionRange::single(Version::V1));
/// assert_eq!(slot.to_bytes(), [0x00, 0x00, 0x00, 0x01]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OfferSlot {
    /// "I speak handshake manifest v1" (`00 00 01 FF`): a Bolt 5.7+ server
    /// answers with its own list of versions instead of choosing one.
    ManifestV1,
    /// A range of protocol versions.
    Versions(VersionRange),
}

impl OfferSlot {
    /// The slot's 4 bytes on the wire.
    pub const fn to_bytes(self) -> [u8; 4] {
        match self {
            OfferSlot::ManifestV1 => super::MANIFEST_V1,
            OfferSlot::Versions(r) => r.to_bytes(),
        }
    }
}

/// Capability bits negotiated by the manifest handshake.
///
/// The server announces the capabilities it offers; the client answers
/// with the subset it wants. No capability is defined by Bolt yet, so the
/// value is carried as raw bits.
///
/// ```
/// use bolt_proto::handshake::Capabilities;
///
/// let c = Capabilities::from_bits(0b101);
/// assert_eq!(c.intersection(Capabilities::from_bits(0b100)).bits(), 0b100);
/// assert!(Capabilities::EMPTY.is_empty());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Capabilities(u64);

impl Capabilities {
    /// No capabilities.
    pub const EMPTY: Capabilities = Capabilities(0);

    /// Capabilities from raw bits.
    pub const fn from_bits(bits: u64) -> Self {
        Capabilities(bits)
    }

    /// The raw bits.
    pub const fn bits(self) -> u64 {
        self.0
    }

    /// Whether no bit is set.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The bits set in both.
    pub const fn intersection(self, other: Capabilities) -> Capabilities {
        Capabilities(self.0 & other.0)
    }
}

/// The versions a client proposes: up to four slots, sent in order of
/// preference, plus the capabilities it would like if the server speaks
/// the manifest handshake.
///
/// Every version in the offer must be one this crate speaks
/// ([`Version::is_supported`]).
///
/// ```
/// use bolt_proto::handshake::{OfferSlot, VersionOffer, VersionRange};
/// use bolt_proto::Version;
///
/// // The default: manifest, 5.8-5.0, 4.4-4.2, 3.0.
/// let offer = VersionOffer::default();
/// assert_eq!(
///     offer.preamble()[4..],
///     [0, 0, 1, 0xFF, 0, 8, 8, 5, 0, 2, 4, 4, 0, 0, 0, 3]
/// );
/// assert!(offer.accepts(Version::V5_4) && !offer.accepts(Version::V4_1));
///
/// // Neo4j 3.1 speaks only Bolt 1.
/// let bolt1 = VersionOffer::exactly(Version::V1).unwrap();
/// assert_eq!(bolt1.preamble()[4..8], [0, 0, 0, 1]);
///
/// // Custom slots.
/// let custom = VersionOffer::new([
///     OfferSlot::Versions(VersionRange::new(Version::V5_4, Version::V5_0).unwrap()),
///     OfferSlot::Versions(VersionRange::single(Version::V4_4)),
/// ])
/// .unwrap();
/// assert_eq!(custom.slots().len(), 2);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionOffer {
    slots: Vec<OfferSlot>,
    capabilities: Capabilities,
}

impl VersionOffer {
    /// At most this many slots fit in the preamble.
    pub const MAX_SLOTS: usize = 4;

    /// An offer of the given slots, in order of preference.
    ///
    /// Fails if there are no version slots, more than four slots, the
    /// manifest slot appears twice, or a version is not one this crate
    /// speaks.
    pub fn new(slots: impl IntoIterator<Item = OfferSlot>) -> Result<Self, OfferError> {
        let slots: Vec<OfferSlot> = slots.into_iter().take(Self::MAX_SLOTS + 1).collect();
        if slots.len() > Self::MAX_SLOTS {
            return Err(OfferError::TooManySlots);
        }
        let mut manifest = 0;
        let mut ranges = 0;
        for slot in &slots {
            match slot {
                OfferSlot::ManifestV1 => manifest += 1,
                OfferSlot::Versions(r) => {
                    ranges += 1;
                    if let Some(v) = r.versions().find(|v| !v.is_supported()) {
                        return Err(OfferError::UnsupportedVersion(v));
                    }
                }
            }
        }
        if manifest > 1 {
            return Err(OfferError::DuplicateManifest);
        }
        if ranges == 0 {
            return Err(OfferError::NoVersions);
        }
        Ok(VersionOffer {
            slots,
            capabilities: Capabilities::EMPTY,
        })
    }

    /// An offer of exactly one version, without the manifest slot (for
    /// servers that must be held to one version, e.g. Bolt 1 for Neo4j 3.1).
    pub fn exactly(version: Version) -> Result<Self, OfferError> {
        Self::new([OfferSlot::Versions(VersionRange::single(version))])
    }

    /// The same offer, asking for `capabilities` in a manifest handshake.
    pub fn with_capabilities(mut self, capabilities: Capabilities) -> Self {
        self.capabilities = capabilities;
        self
    }

    /// The slots, in order of preference.
    pub fn slots(&self) -> &[OfferSlot] {
        &self.slots
    }

    /// The capabilities asked for in a manifest handshake.
    pub fn capabilities(&self) -> Capabilities {
        self.capabilities
    }

    /// Whether the offer includes the manifest v1 slot.
    pub fn offers_manifest(&self) -> bool {
        self.slots.contains(&OfferSlot::ManifestV1)
    }

    /// Whether `version` is covered by one of the version slots.
    pub fn accepts(&self, version: Version) -> bool {
        self.ranges().any(|r| r.contains(version))
    }

    /// The version slots' ranges, in order of preference.
    pub fn ranges(&self) -> impl Iterator<Item = VersionRange> + '_ {
        self.slots.iter().filter_map(|s| match s {
            OfferSlot::Versions(r) => Some(*r),
            OfferSlot::ManifestV1 => None,
        })
    }

    /// The 20 bytes the client sends first: magic and four slots, unused
    /// slots zero.
    pub fn preamble(&self) -> [u8; 20] {
        let mut out = [0u8; 20];
        out[..4].copy_from_slice(&super::MAGIC);
        for (i, slot) in self.slots.iter().enumerate() {
            out[4 + 4 * i..8 + 4 * i].copy_from_slice(&slot.to_bytes());
        }
        out
    }
}

impl Default for VersionOffer {
    /// Manifest v1, then 5.8 down to 5.0, 4.4 down to 4.2, and 3.0.
    fn default() -> Self {
        VersionOffer {
            slots: vec![
                OfferSlot::ManifestV1,
                OfferSlot::Versions(VersionRange {
                    high: Version::V5_8,
                    range: 8,
                }),
                OfferSlot::Versions(VersionRange {
                    high: Version::V4_4,
                    range: 2,
                }),
                OfferSlot::Versions(VersionRange::single(Version::V3_0)),
            ],
            capabilities: Capabilities::EMPTY,
        }
    }
}
