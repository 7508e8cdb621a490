//! Cutting each direction's byte stream into units: the handshake's parts,
//! then whole chunked messages (raw bytes kept exactly as sent, so that
//! forwarding a unit changes nothing) and NOOPs.
//!
//! Owns only where units begin and end. It never panics, whatever the
//! bytes, and buffers at most one message ([`MAX_UNIT`]); what cannot be
//! cut (a manifest too long, a message too large) turns the direction to
//! raw forwarding, reported as [`Cut::Raw`].

use bytes::{Bytes, BytesMut};

use bolt_proto::handshake::{manifest_answer_len, manifest_choice_len, MANIFEST_V1};

/// The largest message the proxy cuts out (with its chunk headers); a
/// larger one turns the direction to raw forwarding.
pub const MAX_UNIT: usize = 64 * 1024 * 1024 + 64 * 1024;

/// One unit of traffic cut from a direction's stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Cut {
    /// The client's 20-byte preamble (magic and four version slots).
    Preamble(Bytes),
    /// The server's answer: its 4 bytes, or the whole manifest.
    Answer { raw: Bytes, outcome: Answer },
    /// The client's choice after a manifest: version and capabilities.
    Choice(Bytes),
    /// A chunked message: its raw bytes and the reassembled body.
    Message { raw: Bytes, body: Bytes },
    /// A NOOP (`00 00` between messages).
    Noop(Bytes),
    /// Bytes forwarded without being cut (the stream could not be read
    /// as Bolt); everything after them is raw too.
    Raw(Bytes),
}

impl Cut {
    /// The bytes to forward.
    pub(crate) fn raw(&self) -> &Bytes {
        match self {
            Cut::Preamble(r)
            | Cut::Answer { raw: r, .. }
            | Cut::Choice(r)
            | Cut::Message { raw: r, .. }
            | Cut::Noop(r)
            | Cut::Raw(r) => r,
        }
    }
}

/// What the server's handshake answer said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Answer {
    /// A version, `[_, _, minor, major]`.
    Version { major: u8, minor: u8 },
    /// A manifest: the client chooses next.
    Manifest,
    /// No common version (`00 00 00 00`): the server closes.
    NoVersion,
}

/// Where a direction's stream is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    /// Client to server, before the preamble.
    Preamble,
    /// Client to server, waiting to learn whether a manifest choice comes
    /// (the caller moves on with [`Cutter::set_stage`]).
    AwaitAnswer,
    /// Client to server after a manifest: the choice.
    Choice,
    /// Server to client, before its answer.
    Answer,
    /// Chunked messages, both directions.
    Messages,
    /// Uncut bytes.
    Raw,
}

/// Cuts one direction's stream into [`Cut`]s.
#[derive(Debug)]
pub(crate) struct Cutter {
    stage: Stage,
    /// Within an unfinished message: where the next chunk header is.
    scan: usize,
}

impl Cutter {
    /// A cutter starting at `stage` (`Preamble` for the client's stream,
    /// `Answer` for the server's).
    pub(crate) fn new(stage: Stage) -> Cutter {
        Cutter { stage, scan: 0 }
    }

    pub(crate) fn stage(&self) -> Stage {
        self.stage
    }

    pub(crate) fn set_stage(&mut self, stage: Stage) {
        self.stage = stage;
        self.scan = 0;
    }

    fn raw(&mut self, buf: &mut BytesMut) -> Option<Cut> {
        self.set_stage(Stage::Raw);
        if buf.is_empty() {
            None
        } else {
            Some(Cut::Raw(buf.split().freeze()))
        }
    }

    /// The next whole unit in `buf` (removed from it), or `None` when more
    /// bytes are needed (or, in `AwaitAnswer`, until the stage changes).
    pub(crate) fn next(&mut self, buf: &mut BytesMut) -> Option<Cut> {
        match self.stage {
            Stage::AwaitAnswer => self.check_size(buf),
            Stage::Raw => self.raw(buf),
            Stage::Preamble => {
                if buf.len() < 20 {
                    return None;
                }
                self.set_stage(Stage::AwaitAnswer);
                Some(Cut::Preamble(buf.split_to(20).freeze()))
            }
            Stage::Answer => {
                if buf.len() < 4 {
                    return None;
                }
                let word = [buf[0], buf[1], buf[2], buf[3]];
                if word == MANIFEST_V1 {
                    let end = match manifest_answer_len(buf) {
                        Err(_) => return self.raw(buf),
                        Ok(None) => return None,
                        Ok(Some(end)) => end,
                    };
                    self.set_stage(Stage::Messages);
                    let raw = buf.split_to(end).freeze();
                    return Some(Cut::Answer {
                        raw,
                        outcome: Answer::Manifest,
                    });
                }
                let outcome = if word == [0; 4] {
                    self.set_stage(Stage::Raw);
                    Answer::NoVersion
                } else {
                    self.set_stage(Stage::Messages);
                    Answer::Version {
                        major: word[3],
                        minor: word[2],
                    }
                };
                Some(Cut::Answer {
                    raw: buf.split_to(4).freeze(),
                    outcome,
                })
            }
            Stage::Choice => match manifest_choice_len(buf) {
                Err(_) => self.raw(buf),
                Ok(None) => None,
                Ok(Some(end)) => {
                    self.set_stage(Stage::Messages);
                    Some(Cut::Choice(buf.split_to(end).freeze()))
                }
            },
            Stage::Messages => self.message(buf),
        }
    }

    fn message(&mut self, buf: &mut BytesMut) -> Option<Cut> {
        loop {
            let at = self.scan;
            if buf.len() < at + 2 {
                return self.check_size(buf);
            }
            let size = usize::from(u16::from_be_bytes([buf[at], buf[at + 1]]));
            if size == 0 {
                self.scan = 0;
                let raw = buf.split_to(at + 2).freeze();
                if at == 0 {
                    return Some(Cut::Noop(raw));
                }
                let body = body_of(&raw);
                return Some(Cut::Message { raw, body });
            }
            if buf.len() < at + 2 + size {
                return self.check_size(buf);
            }
            self.scan = at + 2 + size;
        }
    }

    fn check_size(&mut self, buf: &mut BytesMut) -> Option<Cut> {
        if buf.len() > MAX_UNIT {
            self.raw(buf)
        } else {
            None
        }
    }
}

/// The body of a whole raw message: its chunks' payloads joined.
fn body_of(raw: &[u8]) -> Bytes {
    let mut body = Vec::with_capacity(raw.len());
    let mut at = 0;
    while at + 2 <= raw.len() {
        let size = usize::from(u16::from_be_bytes([raw[at], raw[at + 1]]));
        let end = (at + 2 + size).min(raw.len());
        body.extend_from_slice(&raw[at + 2..end]);
        at = end;
        if size == 0 {
            break;
        }
    }
    Bytes::from(body)
}

/// The message tag of a body (`B_ tag ...`), if it has one.
pub(crate) fn tag_of(body: &[u8]) -> Option<u8> {
    match body {
        [marker, tag, ..] if marker & 0xF0 == 0xB0 => Some(*tag),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cut_all(cutter: &mut Cutter, input: &[u8], piece: usize) -> Vec<Cut> {
        let mut buf = BytesMut::new();
        let mut out = Vec::new();
        for p in input.chunks(piece.max(1)) {
            buf.extend_from_slice(p);
            while let Some(c) = cutter.next(&mut buf) {
                out.push(c);
            }
        }
        out
    }

    #[test]
    fn messages_keep_their_chunking_and_noops_stand_alone() {
        let wire = [
            0, 3, 0xB1, 0x70, 0xA0, 0, 0, // one chunk
            0, 0, // NOOP
            0, 1, 0xB0, 0, 1, 0x0F, 0, 0, // RESET split over two chunks
        ];
        for piece in 1..wire.len() {
            let mut c = Cutter::new(Stage::Messages);
            let cuts = cut_all(&mut c, &wire, piece);
            assert_eq!(cuts.len(), 3, "piece {piece}");
            assert_eq!(cuts[0].raw()[..], wire[..7]);
            assert!(matches!(&cuts[1], Cut::Noop(r) if r[..] == [0, 0]));
            let Cut::Message { raw, body } = &cuts[2] else {
                panic!()
            };
            assert_eq!(raw[..], wire[9..]);
            assert_eq!(body[..], [0xB0, 0x0F]);
            assert_eq!(tag_of(body), Some(0x0F));
        }
    }

    #[test]
    fn plain_and_manifest_answers_are_cut_whole() {
        let mut c = Cutter::new(Stage::Answer);
        let cuts = cut_all(&mut c, &[0, 0, 4, 5, 0, 2, 0xB0, 0x0F, 0, 0], 1);
        assert_eq!(
            cuts[0],
            Cut::Answer {
                raw: Bytes::from_static(&[0, 0, 4, 5]),
                outcome: Answer::Version { major: 5, minor: 4 }
            }
        );
        assert!(matches!(cuts[1], Cut::Message { .. }));

        let manifest = [0, 0, 1, 0xFF, 2, 0, 8, 8, 5, 0, 4, 4, 4, 0x81, 0x01];
        let mut c = Cutter::new(Stage::Answer);
        let cuts = cut_all(&mut c, &manifest, 1);
        assert_eq!(cuts.len(), 1);
        assert!(
            matches!(&cuts[0], Cut::Answer { raw, outcome: Answer::Manifest } if raw[..] == manifest)
        );

        let mut c = Cutter::new(Stage::Choice);
        let cuts = cut_all(&mut c, &[0, 0, 8, 5, 0, 0, 2, 0xB0, 0x02, 0, 0], 3);
        assert_eq!(cuts[0], Cut::Choice(Bytes::from_static(&[0, 0, 8, 5, 0])));
        assert!(matches!(cuts[1], Cut::Message { .. }));
    }

    #[test]
    fn the_preamble_waits_for_the_answer_before_cutting_more() {
        let mut c = Cutter::new(Stage::Preamble);
        let mut input = vec![0x60, 0x60, 0xB0, 0x17];
        input.extend_from_slice(&[0; 16]);
        input.extend_from_slice(&[0, 2, 0xB0, 0x0F, 0, 0]);
        let cuts = cut_all(&mut c, &input, 7);
        assert_eq!(cuts.len(), 1);
        assert_eq!(c.stage(), Stage::AwaitAnswer);
    }

    #[test]
    fn unreadable_handshakes_turn_to_raw_forwarding() {
        // Too many ranges, an overlong varint, no version.
        for input in [
            &[0, 0, 1, 0xFF, 0x7F][..],
            &[0, 0, 1, 0xFF, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01][..],
            &[0, 0, 0, 0, 1, 2, 3][..],
        ] {
            let mut c = Cutter::new(Stage::Answer);
            let cuts = cut_all(&mut c, input, 100);
            assert_eq!(c.stage(), Stage::Raw, "{input:?}");
            let forwarded: Vec<u8> = cuts.iter().flat_map(|c| c.raw().to_vec()).collect();
            assert_eq!(forwarded, input);
        }
    }

    #[test]
    fn any_bytes_are_forwarded_exactly_without_panicking() {
        // A cheap deterministic generator: every cut's raw bytes, joined,
        // are a prefix of the input, in every stage and piece size.
        let mut x: u32 = 0x1234_5678;
        let mut input = Vec::new();
        for _ in 0..4000 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            // Mostly small chunk sizes so that messages complete.
            input.push(if x % 3 == 0 { 0 } else { (x >> 8) as u8 });
        }
        for stage in [
            Stage::Preamble,
            Stage::Answer,
            Stage::Choice,
            Stage::Messages,
        ] {
            for piece in [1, 2, 5, 64, 4000] {
                let mut c = Cutter::new(stage);
                let cuts = cut_all(&mut c, &input, piece);
                let forwarded: Vec<u8> = cuts.iter().flat_map(|c| c.raw().to_vec()).collect();
                assert_eq!(forwarded[..], input[..forwarded.len()]);
            }
        }
    }
}
