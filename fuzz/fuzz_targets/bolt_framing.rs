//! Dechunking arbitrary chunk streams: NOOPs, truncated chunks and
//! messages, oversized messages, input arriving in pieces of any size.
//!
//! Input: byte 0 picks the message size limit, byte 1 seeds the split of
//! the rest into receive pieces. The decoder must agree with a plain
//! reference reading of the same stream, and re-chunking what it returns
//! must give the same messages back.

#![no_main]

use bolt_proto::framing::{ChunkDecoder, ChunkEncoder, FramingError, DEFAULT_MAX_MESSAGE_SIZE};
use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;

/// What a stream holds, read the simplest way: whole messages, then how
/// it ends.
#[derive(Debug, PartialEq)]
enum End {
    /// Every byte consumed, no message left open.
    Clean,
    /// Bytes left over or a message unfinished.
    Truncated,
    /// A message grew past the limit.
    TooLarge,
}

fn reference(mut wire: &[u8], max: usize) -> (Vec<Vec<u8>>, End) {
    let mut messages = Vec::new();
    let mut current: Option<Vec<u8>> = None;
    loop {
        if wire.is_empty() {
            let end = if current.is_some() {
                End::Truncated
            } else {
                End::Clean
            };
            return (messages, end);
        }
        if wire.len() < 2 {
            return (messages, End::Truncated);
        }
        let size = usize::from(u16::from_be_bytes([wire[0], wire[1]]));
        if size == 0 {
            wire = &wire[2..];
            if let Some(m) = current.take() {
                messages.push(m);
            }
            continue;
        }
        let have = current.as_ref().map_or(0, Vec::len);
        if have + size > max {
            return (messages, End::TooLarge);
        }
        if wire.len() < 2 + size {
            return (messages, End::Truncated);
        }
        current
            .get_or_insert_with(Vec::new)
            .extend_from_slice(&wire[2..2 + size]);
        wire = &wire[2 + size..];
    }
}

fuzz_target!(|data: &[u8]| {
    let (Some(&limit), Some(&seed)) = (data.first(), data.get(1)) else {
        return;
    };
    let wire = &data[2..];
    let max = if limit & 0x80 == 0 {
        DEFAULT_MAX_MESSAGE_SIZE
    } else {
        usize::from(limit & 0x7F) * 7
    };
    let (expected, expected_end) = reference(wire, max);

    // Feed the stream in pieces of 1..=64 bytes from a small LCG.
    let mut dec = ChunkDecoder::with_max_message_size(max);
    let mut src = BytesMut::new();
    let mut got: Vec<Vec<u8>> = Vec::new();
    let mut rng = u32::from(seed) | 1;
    let mut rest = wire;
    let mut end = None;
    'feed: while !rest.is_empty() {
        rng = rng.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let n = (1 + (rng >> 16) as usize % 64).min(rest.len());
        src.extend_from_slice(&rest[..n]);
        rest = &rest[n..];
        loop {
            match dec.decode(&mut src) {
                Ok(Some(m)) => got.push(m.to_vec()),
                Ok(None) => break,
                Err(FramingError::MessageTooLarge { size, max: m }) => {
                    assert!(size > m && m == max, "bad MessageTooLarge {size} > {m}");
                    end = Some(End::TooLarge);
                    break 'feed;
                }
                Err(e) => panic!("decode failed with {e:?}"),
            }
        }
    }
    let end = match end {
        Some(end) => end,
        None => loop {
            match dec.decode_eof(&mut src) {
                Ok(Some(m)) => got.push(m.to_vec()),
                Ok(None) => break End::Clean,
                Err(FramingError::Truncated { .. }) => break End::Truncated,
                Err(FramingError::MessageTooLarge { .. }) => break End::TooLarge,
                Err(e) => panic!("decode_eof failed with {e:?}"),
            }
        },
    };
    assert_eq!(
        got, expected,
        "the decoder and the reference read different messages"
    );
    assert_eq!(
        end, expected_end,
        "the decoder and the reference end differently"
    );
    if end == End::Clean {
        assert!(src.is_empty() && dec.is_idle());
    }

    // Re-chunk what was read (with NOOPs between) and read it back.
    let enc = ChunkEncoder::new();
    let mut wire2 = BytesMut::new();
    for m in got.iter().filter(|m| !m.is_empty()) {
        enc.write_body(&mut wire2, m)
            .expect("a non-empty body chunks");
        ChunkEncoder::write_noop(&mut wire2);
    }
    let mut dec2 = ChunkDecoder::new();
    let mut back = Vec::new();
    while let Some(m) = dec2
        .decode_eof(&mut wire2)
        .expect("our own chunks read back")
    {
        back.push(m.to_vec());
    }
    let nonempty: Vec<Vec<u8>> = got.into_iter().filter(|m| !m.is_empty()).collect();
    assert_eq!(back, nonempty, "re-chunked messages differ");
});
