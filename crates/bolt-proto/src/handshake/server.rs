//! The server side of the handshake, for stub servers and proxies.

use bytes::Bytes;

use super::error::HandshakeError;
use super::varint::{self, Step, VarIntReader};
use super::{Capabilities, Negotiated, VersionRange, MAGIC, MANIFEST_V1};
use crate::Version;

/// How far a [`ServerHandshake`] has got.
///
/// ```
/// use bolt_proto::handshake::{ServerHandshake, ServerProgress};
/// use bolt_proto::Version;
///
/// let mut hs = ServerHandshake::new([Version::V4_4]);
/// assert_eq!(hs.feed(&[0x60, 0x60]).unwrap(), ServerProgress::NeedMore);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerProgress {
    /// Feed more bytes from the client.
    NeedMore,
    /// Send these bytes (the manifest) to the client, then keep feeding.
    Send(Bytes),
    /// The handshake is over: send [`Negotiated::reply`] (empty after a
    /// manifest handshake), then speak `version`.
    Done(Negotiated),
}

#[derive(Debug, Clone)]
enum State {
    Preamble,
    Choice,
    ChoiceCapabilities(Version, VarIntReader),
    Done,
    Failed,
}

/// The server side of the version handshake, as a state machine.
///
/// It reads the client's 20-byte preamble and picks the first version, in
/// the client's order of preference, that it supports. If the client
/// offers the manifest slot and the server was built
/// [`with_manifest`](ServerHandshake::with_manifest), it answers with its
/// manifest instead and reads the client's choice.
///
/// On [`HandshakeError::NoCommonVersion`] a server should send
/// [`NO_VERSION`](super::NO_VERSION) and close the connection.
///
/// ```
/// use bolt_proto::handshake::{ServerHandshake, ServerProgress, VersionOffer};
/// use bolt_proto::Version;
///
/// let mut hs = ServerHandshake::new([Version::V5_4, Version::V5_3, Version::V4_4]);
/// let preamble = VersionOffer::default().preamble();
/// let ServerProgress::Done(done) = hs.feed(&preamble).unwrap() else { panic!() };
/// assert_eq!(done.version, Version::V5_4);
/// assert_eq!(&done.reply[..], &[0, 0, 4, 5]);
/// ```
#[derive(Debug, Clone)]
pub struct ServerHandshake {
    supported: Vec<Version>,
    manifest: Option<Capabilities>,
    state: State,
    buf: [u8; 20],
    filled: usize,
    received: usize,
    offered: Capabilities,
}

impl ServerHandshake {
    /// A server speaking `supported` (order does not matter), answering
    /// plainly even if the client offers the manifest.
    pub fn new(supported: impl IntoIterator<Item = Version>) -> Self {
        let mut supported: Vec<Version> = supported.into_iter().collect();
        supported.sort_unstable_by(|a, b| b.cmp(a));
        supported.dedup();
        ServerHandshake {
            supported,
            manifest: None,
            state: State::Preamble,
            buf: [0; 20],
            filled: 0,
            received: 0,
            offered: Capabilities::EMPTY,
        }
    }

    /// Answers a client that offers the manifest slot with the manifest,
    /// announcing `capabilities` (like a Bolt 5.7+ server).
    ///
    /// ```
    /// use bolt_proto::handshake::{Capabilities, ServerHandshake, ServerProgress, VersionOffer};
    /// use bolt_proto::Version;
    ///
    /// let mut hs = ServerHandshake::new([Version::V5_8, Version::V5_7])
    ///     .with_manifest(Capabilities::EMPTY);
    /// let preamble = VersionOffer::default().preamble();
    /// let ServerProgress::Send(manifest) = hs.feed(&preamble).unwrap() else { panic!() };
    /// assert_eq!(&manifest[..], &[0, 0, 1, 0xFF, 1, 0, 1, 8, 5, 0]);
    /// let ServerProgress::Done(done) = hs.feed(&[0, 0, 8, 5, 0]).unwrap() else { panic!() };
    /// assert_eq!(done.version, Version::V5_8);
    /// ```
    pub fn with_manifest(mut self, capabilities: Capabilities) -> Self {
        self.manifest = Some(capabilities);
        self
    }

    /// The supported versions, newest first.
    pub fn supported(&self) -> &[Version] {
        &self.supported
    }

    /// The supported versions grouped into ranges, newest first, as the
    /// manifest lists them.
    pub fn supported_ranges(&self) -> Vec<VersionRange> {
        let mut out: Vec<VersionRange> = Vec::new();
        for &v in &self.supported {
            if let Some(last) = out.last_mut() {
                let low = last.low();
                if low.major == v.major && low.minor > 0 && low.minor - 1 == v.minor {
                    if let Ok(r) = VersionRange::new(last.high(), v) {
                        *last = r;
                        continue;
                    }
                }
            }
            out.push(VersionRange::single(v));
        }
        out
    }

    /// Feeds bytes received from the client.
    ///
    /// Bytes past the end of the handshake (a client may send its first
    /// message right behind its manifest choice) are returned in
    /// [`Negotiated::trailing`]. After `Done` or an error, further calls
    /// fail with [`HandshakeError::Finished`].
    pub fn feed(&mut self, input: &[u8]) -> Result<ServerProgress, HandshakeError> {
        match self.state {
            State::Done => return Err(HandshakeError::Finished("complete")),
            State::Failed => return Err(HandshakeError::Finished("failed")),
            _ => {}
        }
        for (i, &byte) in input.iter().enumerate() {
            self.received += 1;
            let step = self.step(byte);
            match step {
                Ok(ServerProgress::NeedMore) => {}
                Ok(ServerProgress::Done(mut done)) => {
                    self.state = State::Done;
                    done.trailing = Bytes::copy_from_slice(&input[i + 1..]);
                    return Ok(ServerProgress::Done(done));
                }
                Ok(ServerProgress::Send(bytes)) => {
                    if i + 1 < input.len() {
                        // The client spoke before reading the manifest.
                        self.state = State::Failed;
                        return Err(HandshakeError::PrematureData {
                            count: input.len() - i - 1,
                        });
                    }
                    return Ok(ServerProgress::Send(bytes));
                }
                Err(e) => {
                    self.state = State::Failed;
                    return Err(e);
                }
            }
        }
        Ok(ServerProgress::NeedMore)
    }

    /// Reports the end of the client's stream: an error unless the
    /// handshake already finished.
    ///
    /// ```
    /// use bolt_proto::handshake::{HandshakeError, ServerHandshake};
    /// use bolt_proto::Version;
    ///
    /// let mut hs = ServerHandshake::new([Version::V4_4]);
    /// hs.feed(&[0x60, 0x60, 0xB0, 0x17]).unwrap();
    /// assert!(matches!(hs.eof(), Err(HandshakeError::UnexpectedEof { received: 4, expected: 20 })));
    /// ```
    pub fn eof(&mut self) -> Result<(), HandshakeError> {
        let more = match self.state {
            State::Done => return Ok(()),
            State::Failed => return Err(HandshakeError::Finished("failed")),
            State::Preamble => 20 - self.filled,
            State::Choice => 4 - self.filled + 1,
            State::ChoiceCapabilities(..) => 1,
        };
        self.state = State::Failed;
        Err(HandshakeError::UnexpectedEof {
            received: self.received,
            expected: self.received + more,
        })
    }

    fn step(&mut self, byte: u8) -> Result<ServerProgress, HandshakeError> {
        match &mut self.state {
            State::Preamble => {
                self.buf[self.filled] = byte;
                self.filled += 1;
                if self.filled == 4 && self.buf[..4] != MAGIC {
                    return Err(HandshakeError::BadMagic(leading_word(&self.buf)));
                }
                if self.filled < 20 {
                    return Ok(ServerProgress::NeedMore);
                }
                self.filled = 0;
                self.preamble()
            }
            State::Choice => {
                self.buf[self.filled] = byte;
                self.filled += 1;
                if self.filled < 4 {
                    return Ok(ServerProgress::NeedMore);
                }
                self.filled = 0;
                let word = leading_word(&self.buf);
                if word == [0; 4] {
                    return Err(HandshakeError::ClientRejected);
                }
                if word[0] != 0 || word[1] != 0 {
                    return Err(HandshakeError::InvalidAnswer(word));
                }
                let chosen = Version::new(word[3], word[2]);
                if !self.supported.contains(&chosen) {
                    return Err(HandshakeError::UnexpectedVersion { chosen });
                }
                self.state = State::ChoiceCapabilities(chosen, VarIntReader::new(64));
                Ok(ServerProgress::NeedMore)
            }
            State::ChoiceCapabilities(version, reader) => match reader.push(byte) {
                Step::More => Ok(ServerProgress::NeedMore),
                Step::Overflow => Err(HandshakeError::VarIntOverflow {
                    what: "capabilities",
                }),
                Step::Done(bits) => {
                    let asked = Capabilities::from_bits(bits);
                    if asked.intersection(self.offered) != asked {
                        return Err(HandshakeError::UnexpectedCapabilities {
                            asked: bits,
                            offered: self.offered.bits(),
                        });
                    }
                    Ok(ServerProgress::Done(Negotiated {
                        version: *version,
                        capabilities: asked,
                        manifest: true,
                        reply: Bytes::new(),
                        trailing: Bytes::new(),
                    }))
                }
            },
            State::Done | State::Failed => Err(HandshakeError::Finished("complete")),
        }
    }

    fn preamble(&mut self) -> Result<ServerProgress, HandshakeError> {
        let slots: Vec<[u8; 4]> = self.buf[4..20].chunks_exact(4).map(leading_word).collect();
        if let Some(capabilities) = self.manifest {
            if slots.contains(&MANIFEST_V1) {
                let ranges = self.supported_ranges();
                let mut out = Vec::with_capacity(4 + 5 + 4 * ranges.len() + 10);
                out.extend_from_slice(&MANIFEST_V1);
                varint::write(&mut out, ranges.len() as u64);
                for r in &ranges {
                    out.extend_from_slice(&r.to_bytes());
                }
                varint::write(&mut out, capabilities.bits());
                self.offered = capabilities;
                self.state = State::Choice;
                return Ok(ServerProgress::Send(Bytes::from(out)));
            }
        }
        let offered = || {
            slots
                .iter()
                .filter(|s| **s != MANIFEST_V1 && **s != [0; 4])
                .map(|s| VersionRange::from_bytes(*s))
        };
        let chosen = offered()
            .flat_map(VersionRange::versions)
            .find(|v| self.supported.contains(v));
        let Some(version) = chosen else {
            return Err(HandshakeError::NoCommonVersion {
                peer: HandshakeError::list(offered()),
                ours: HandshakeError::list(self.supported_ranges()),
            });
        };
        Ok(ServerProgress::Done(Negotiated {
            version,
            capabilities: Capabilities::EMPTY,
            manifest: false,
            reply: Bytes::copy_from_slice(&VersionRange::single(version).to_bytes()),
            trailing: Bytes::new(),
        }))
    }
}

/// The first four bytes of `bytes`, zero-padded.
fn leading_word(bytes: &[u8]) -> [u8; 4] {
    let mut word = [0u8; 4];
    let n = bytes.len().min(4);
    word[..n].copy_from_slice(&bytes[..n]);
    word
}
