//! The client side of the handshake.

use bytes::Bytes;

use super::error::HandshakeError;
use super::varint::{self, Step, VarIntReader};
use super::{
    Capabilities, Negotiated, VersionOffer, VersionRange, MANIFEST_V1, MAX_MANIFEST_RANGES,
};
use crate::Version;

/// How far a [`ClientHandshake`] has got.
///
/// ```
/// use bolt_proto::handshake::{ClientHandshake, ClientProgress, VersionOffer};
///
/// let (mut hs, _) = ClientHandshake::new(VersionOffer::default());
/// assert_eq!(hs.feed(&[0, 0]).unwrap(), ClientProgress::NeedMore);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientProgress {
    /// Feed more bytes from the server.
    NeedMore,
    /// The handshake is over: send [`Negotiated::reply`] (empty unless the
    /// manifest handshake was used), then speak `version`.
    Done(Negotiated),
}

#[derive(Debug, Clone)]
enum State {
    Answer,
    Count(VarIntReader),
    Entries { remaining: usize },
    Capabilities(VarIntReader),
    Done,
    Failed,
}

/// The client side of the version handshake, as a state machine.
///
/// Send the preamble returned by [`ClientHandshake::new`], then feed the
/// server's bytes as they arrive, in pieces of any size, until
/// [`ClientProgress::Done`]. Work per byte is bounded and no input panics.
/// If a manifest lists no version the client accepts
/// ([`HandshakeError::NoCommonVersion`]), send
/// [`NO_VERSION`](super::NO_VERSION) before closing.
///
/// ```
/// use bolt_proto::handshake::{ClientHandshake, ClientProgress, VersionOffer};
/// use bolt_proto::Version;
///
/// // A Bolt 5.7+ server answers with its manifest: 00 00 01 FF, one range
/// // (5.7 down to 5.0), no capabilities.
/// let (mut hs, preamble) = ClientHandshake::new(VersionOffer::default());
/// assert_eq!(preamble[..8], [0x60, 0x60, 0xB0, 0x17, 0, 0, 1, 0xFF]);
/// let server = [0, 0, 1, 0xFF, 1, 0, 7, 7, 5, 0];
/// let ClientProgress::Done(done) = hs.feed(&server).unwrap() else { panic!() };
/// assert_eq!(done.version, Version::V5_7);
/// assert_eq!(&done.reply[..], &[0, 0, 7, 5, 0]); // our choice + no capabilities
///
/// // An older server just picks a version.
/// let (mut hs, _) = ClientHandshake::new(VersionOffer::default());
/// let ClientProgress::Done(done) = hs.feed(&[0, 0, 4, 4]).unwrap() else { panic!() };
/// assert_eq!(done.version, Version::V4_4);
/// assert!(done.reply.is_empty());
/// ```
#[derive(Debug, Clone)]
pub struct ClientHandshake {
    offer: VersionOffer,
    state: State,
    word: [u8; 4],
    filled: usize,
    received: usize,
    server_ranges: Vec<VersionRange>,
}

impl ClientHandshake {
    /// A handshake proposing `offer`, and the 20 bytes to send first.
    pub fn new(offer: VersionOffer) -> (Self, [u8; 20]) {
        let preamble = offer.preamble();
        let hs = ClientHandshake {
            offer,
            state: State::Answer,
            word: [0; 4],
            filled: 0,
            received: 0,
            server_ranges: Vec::new(),
        };
        (hs, preamble)
    }

    /// The offer being proposed.
    pub fn offer(&self) -> &VersionOffer {
        &self.offer
    }

    /// Feeds bytes received from the server.
    ///
    /// Bytes past the end of the handshake are returned in
    /// [`Negotiated::trailing`]. After `Done` or an error, further calls
    /// fail with [`HandshakeError::Finished`].
    pub fn feed(&mut self, input: &[u8]) -> Result<ClientProgress, HandshakeError> {
        match self.state {
            State::Done => return Err(HandshakeError::Finished("complete")),
            State::Failed => return Err(HandshakeError::Finished("failed")),
            _ => {}
        }
        for (i, &byte) in input.iter().enumerate() {
            self.received += 1;
            match self.step(byte) {
                Ok(None) => {}
                Ok(Some(mut done)) => {
                    self.state = State::Done;
                    done.trailing = Bytes::copy_from_slice(&input[i + 1..]);
                    return Ok(ClientProgress::Done(done));
                }
                Err(e) => {
                    self.state = State::Failed;
                    return Err(e);
                }
            }
        }
        Ok(ClientProgress::NeedMore)
    }

    /// Reports the end of the server's stream: an error unless the
    /// handshake already finished.
    ///
    /// ```
    /// use bolt_proto::handshake::{ClientHandshake, HandshakeError, VersionOffer};
    ///
    /// let (mut hs, _) = ClientHandshake::new(VersionOffer::default());
    /// hs.feed(&[0, 0]).unwrap();
    /// assert_eq!(hs.eof(), Err(HandshakeError::UnexpectedEof { received: 2, expected: 4 }));
    /// ```
    pub fn eof(&mut self) -> Result<(), HandshakeError> {
        let more = match self.state {
            State::Done => return Ok(()),
            State::Failed => return Err(HandshakeError::Finished("failed")),
            State::Answer => 4 - self.filled,
            State::Count(_) => 2,
            State::Entries { remaining } => remaining * 4 - self.filled + 1,
            State::Capabilities(_) => 1,
        };
        self.state = State::Failed;
        Err(HandshakeError::UnexpectedEof {
            received: self.received,
            expected: self.received + more,
        })
    }

    fn take_word(&mut self, byte: u8) -> Option<[u8; 4]> {
        self.word[self.filled] = byte;
        self.filled += 1;
        if self.filled == 4 {
            self.filled = 0;
            Some(self.word)
        } else {
            None
        }
    }

    fn step(&mut self, byte: u8) -> Result<Option<Negotiated>, HandshakeError> {
        match &mut self.state {
            State::Answer => {
                let Some(word) = self.take_word(byte) else {
                    return Ok(None);
                };
                self.answer(word)
            }
            State::Count(reader) => match reader.push(byte) {
                Step::More => Ok(None),
                Step::Overflow => Err(HandshakeError::VarIntOverflow {
                    what: "version range count",
                }),
                Step::Done(count) => {
                    if count > MAX_MANIFEST_RANGES as u64 {
                        return Err(HandshakeError::TooManyVersionRanges {
                            count,
                            max: MAX_MANIFEST_RANGES,
                        });
                    }
                    let count = count as usize;
                    self.server_ranges = Vec::with_capacity(count);
                    self.state = if count == 0 {
                        State::Capabilities(VarIntReader::new(64))
                    } else {
                        State::Entries { remaining: count }
                    };
                    Ok(None)
                }
            },
            State::Entries { remaining } => {
                let left = *remaining;
                let Some(word) = self.take_word(byte) else {
                    return Ok(None);
                };
                self.server_ranges.push(VersionRange::from_bytes(word));
                self.state = if left == 1 {
                    State::Capabilities(VarIntReader::new(64))
                } else {
                    State::Entries {
                        remaining: left - 1,
                    }
                };
                Ok(None)
            }
            State::Capabilities(reader) => match reader.push(byte) {
                Step::More => Ok(None),
                Step::Overflow => Err(HandshakeError::VarIntOverflow {
                    what: "capabilities",
                }),
                Step::Done(bits) => self.choose(Capabilities::from_bits(bits)).map(Some),
            },
            State::Done | State::Failed => Err(HandshakeError::Finished("complete")),
        }
    }

    fn answer(&mut self, word: [u8; 4]) -> Result<Option<Negotiated>, HandshakeError> {
        if word == *b"HTTP" {
            return Err(HandshakeError::HttpResponse);
        }
        if word == [0; 4] {
            return Err(HandshakeError::ServerRejected {
                offered: HandshakeError::list(self.offer.ranges()),
            });
        }
        if word == MANIFEST_V1 && self.offer.offers_manifest() {
            self.state = State::Count(VarIntReader::new(32));
            return Ok(None);
        }
        if word[0] != 0 || word[1] != 0 {
            return Err(HandshakeError::InvalidAnswer(word));
        }
        let chosen = Version::new(word[3], word[2]);
        if !self.offer.accepts(chosen) {
            return Err(HandshakeError::UnexpectedVersion { chosen });
        }
        Ok(Some(Negotiated {
            version: chosen,
            capabilities: Capabilities::EMPTY,
            manifest: false,
            reply: Bytes::new(),
            trailing: Bytes::new(),
        }))
    }

    fn choose(&mut self, offered: Capabilities) -> Result<Negotiated, HandshakeError> {
        let server = &self.server_ranges;
        let chosen = self
            .offer
            .ranges()
            .flat_map(VersionRange::versions)
            .find(|v| server.iter().any(|r| r.contains(*v)));
        let Some(version) = chosen else {
            return Err(HandshakeError::NoCommonVersion {
                peer: HandshakeError::list(server.iter().copied()),
                ours: HandshakeError::list(self.offer.ranges()),
            });
        };
        let capabilities = self.offer.capabilities().intersection(offered);
        let mut reply = Vec::with_capacity(14);
        reply.extend_from_slice(&VersionRange::single(version).to_bytes());
        varint::write(&mut reply, capabilities.bits());
        Ok(Negotiated {
            version,
            capabilities,
            manifest: true,
            reply: Bytes::from(reply),
            trailing: Bytes::new(),
        })
    }
}
