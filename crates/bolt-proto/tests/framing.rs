//! Chunked framing: spec vectors, reassembly across arbitrary splits,
//! NOOPs, size limits, truncation, and the tokio-util codec over a duplex.

use std::num::NonZeroU16;

use bolt_proto::codec::{ChunkCodec, CodecError, EncodeWith, Noop};
use bolt_proto::framing::{ChunkDecoder, ChunkEncoder, FramingError, MAX_CHUNK_SIZE};
use bytes::{Bytes, BytesMut};
use proptest::prelude::*;
use tokio_util::codec::{Decoder, Encoder};

const BODY16: [u8; 16] = [
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F,
];

fn hex(s: &str) -> Vec<u8> {
    s.split_whitespace()
        .map(|b| u8::from_str_radix(b, 16).unwrap())
        .collect()
}

/// Decodes `wire` fed in pieces of the given sizes (cycled), then EOF.
fn decode_split(
    dec: &mut ChunkDecoder,
    wire: &[u8],
    sizes: &[usize],
) -> Result<Vec<Bytes>, FramingError> {
    let mut out = Vec::new();
    let mut src = BytesMut::new();
    let mut pos = 0;
    let mut i = 0;
    while pos < wire.len() {
        let n = sizes[i % sizes.len()].clamp(1, wire.len() - pos);
        i += 1;
        src.extend_from_slice(&wire[pos..pos + n]);
        pos += n;
        // Bounded: each successful decode consumes at least 2 bytes.
        let mut guard = 0;
        while let Some(m) = dec.decode(&mut src)? {
            out.push(m);
            guard += 1;
            assert!(guard <= wire.len(), "decode looped");
        }
    }
    while let Some(m) = dec.decode_eof(&mut src)? {
        out.push(m);
    }
    Ok(out)
}

// Vectors as in the Bolt documentation's message-framing section.

#[test]
fn spec_single_chunk() {
    let wire = hex("00 10 00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F 00 00");
    let mut out = BytesMut::new();
    ChunkEncoder::new().write_body(&mut out, &BODY16).unwrap();
    assert_eq!(&out[..], &wire[..]);
    let msgs = decode_split(&mut ChunkDecoder::new(), &wire, &[usize::MAX]).unwrap();
    assert_eq!(msgs, vec![Bytes::from_static(&BODY16)]);
}

#[test]
fn spec_two_chunks() {
    let wire = hex("00 08 00 01 02 03 04 05 06 07 00 08 08 09 0A 0B 0C 0D 0E 0F 00 00");
    let mut out = BytesMut::new();
    ChunkEncoder::with_max_chunk_size(NonZeroU16::new(8).unwrap())
        .write_body(&mut out, &BODY16)
        .unwrap();
    assert_eq!(&out[..], &wire[..]);
    for sizes in [&[usize::MAX][..], &[1], &[3, 1, 7]] {
        let msgs = decode_split(&mut ChunkDecoder::new(), &wire, sizes).unwrap();
        assert_eq!(msgs, vec![Bytes::from_static(&BODY16)]);
    }
}

#[test]
fn spec_two_messages_and_noops() {
    let wire = hex("00 00 \
         00 10 00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F 00 00 \
         00 00 00 00 \
         00 04 00 01 02 03 00 00 \
         00 00");
    for sizes in [&[usize::MAX][..], &[1], &[2], &[5, 1]] {
        let msgs = decode_split(&mut ChunkDecoder::new(), &wire, sizes).unwrap();
        assert_eq!(
            msgs,
            vec![Bytes::from_static(&BODY16), Bytes::from(vec![0, 1, 2, 3])]
        );
    }
}

#[test]
fn single_chunk_message_is_not_copied() {
    let mut src = BytesMut::from(&hex("00 03 B1 70 A0 00 00 00 02 B0 0F 00 00")[..]);
    let base = src.as_ptr() as usize;
    let mut dec = ChunkDecoder::new();
    let m = dec.decode(&mut src).unwrap().unwrap();
    assert_eq!(
        m.as_ptr() as usize,
        base + 2,
        "body must point into the receive buffer"
    );
    let m2 = dec.decode(&mut src).unwrap().unwrap();
    assert_eq!(m2.as_ptr() as usize, base + 9);
}

#[test]
fn max_chunk_boundaries() {
    let enc = ChunkEncoder::new();
    for len in [
        MAX_CHUNK_SIZE - 1,
        MAX_CHUNK_SIZE,
        MAX_CHUNK_SIZE + 1,
        2 * MAX_CHUNK_SIZE + 7,
    ] {
        let body: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        let mut out = BytesMut::new();
        enc.write_body(&mut out, &body).unwrap();
        let chunks = len.div_ceil(MAX_CHUNK_SIZE);
        assert_eq!(out.len(), len + 2 * chunks + 2);
        assert_eq!(
            &out[..2],
            &u16::try_from(len.min(MAX_CHUNK_SIZE))
                .unwrap()
                .to_be_bytes()
        );
        let mut vec_out = Vec::new();
        enc.write_message_vec(&mut vec_out, |b| {
            b.extend_from_slice(&body);
            Ok::<_, FramingError>(())
        })
        .unwrap();
        assert_eq!(vec_out, &out[..], "in-place split differs (len {len})");
        let msgs = decode_split(&mut ChunkDecoder::new(), &out, &[4096]).unwrap();
        assert_eq!(msgs, vec![Bytes::from(body)]);
    }
}

#[test]
fn max_message_size_enforced() {
    // Exactly the limit passes, one more byte fails, across chunks too.
    let enc = ChunkEncoder::with_max_chunk_size(NonZeroU16::new(4).unwrap());
    let mut wire = BytesMut::new();
    enc.write_body(&mut wire, &[7; 10]).unwrap();
    let ok = decode_split(&mut ChunkDecoder::with_max_message_size(10), &wire, &[1]).unwrap();
    assert_eq!(ok, vec![Bytes::from(vec![7; 10])]);
    let err = decode_split(&mut ChunkDecoder::with_max_message_size(9), &wire, &[1]).unwrap_err();
    assert_eq!(err, FramingError::MessageTooLarge { size: 10, max: 9 });

    // The limit fires on the header alone, before the body is buffered.
    let mut dec = ChunkDecoder::with_max_message_size(1000);
    let mut src = BytesMut::from(&[0xFF, 0xFF][..]);
    assert_eq!(
        dec.decode(&mut src),
        Err(FramingError::MessageTooLarge {
            size: 65_535,
            max: 1000
        })
    );
}

#[test]
fn truncated_streams() {
    let full = hex("00 04 01 02 03 04 00 02 05 06 00 00");
    for cut in 1..full.len() {
        let err = decode_split(&mut ChunkDecoder::new(), &full[..cut], &[1]).unwrap_err();
        assert!(
            matches!(err, FramingError::Truncated { .. }),
            "cut {cut}: {err:?}"
        );
    }
    assert_eq!(
        decode_split(&mut ChunkDecoder::new(), &full, &[1])
            .unwrap()
            .len(),
        1
    );
    // Truncation reports how much of the message was received.
    let mut src = BytesMut::from(&full[..8]);
    let mut dec = ChunkDecoder::new();
    assert_eq!(dec.decode(&mut src), Ok(None));
    assert_eq!(
        dec.decode_eof(&mut src),
        Err(FramingError::Truncated { buffered: 6 })
    );
}

#[test]
fn empty_messages_are_refused() {
    let mut enc = ChunkEncoder::new();
    let mut out = BytesMut::from(&b"xx"[..]);
    assert_eq!(
        enc.write_body(&mut out, &[]),
        Err(FramingError::EmptyMessage)
    );
    let r: Result<(), FramingError> = enc.write_message(&mut out, |_| Ok(()));
    assert_eq!(r, Err(FramingError::EmptyMessage));
    assert_eq!(&out[..], b"xx");
    let mut v = b"yy".to_vec();
    let r: Result<(), FramingError> = enc.write_message_vec(&mut v, |_| Ok(()));
    assert_eq!(r, Err(FramingError::EmptyMessage));
    assert_eq!(v, b"yy");
}

#[derive(Debug, PartialEq)]
enum BodyError {
    Framing(FramingError),
    Mine,
}
impl From<FramingError> for BodyError {
    fn from(e: FramingError) -> Self {
        BodyError::Framing(e)
    }
}

#[test]
fn failed_body_writer_leaves_output_untouched() {
    let mut enc = ChunkEncoder::new();
    let mut out = BytesMut::from(&b"ab"[..]);
    let r = enc.write_message(&mut out, |b| {
        b.extend_from_slice(&[1, 2, 3]);
        Err(BodyError::Mine)
    });
    assert_eq!(r, Err(BodyError::Mine));
    assert_eq!(&out[..], b"ab");
    let mut v = b"cd".to_vec();
    let r = enc.write_message_vec(&mut v, |b| {
        b.extend_from_slice(&[1; 70_000]);
        Err(BodyError::Mine)
    });
    assert_eq!(r, Err(BodyError::Mine));
    assert_eq!(v, b"cd");
    // The scratch buffer is reused: the next message is not polluted.
    enc.write_message(&mut out, |b| {
        b.push(9);
        Ok::<_, BodyError>(())
    })
    .unwrap();
    assert_eq!(&out[..], &[b'a', b'b', 0, 1, 9, 0, 0]);
}

#[tokio::test]
async fn codec_over_duplex() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let (mut client, mut server) = tokio::io::duplex(64);
    let bodies: Vec<Vec<u8>> = vec![vec![0xB0, 0x0F], vec![0x42; 70_000], vec![1, 2, 3]];
    let expected = bodies.clone();
    let writer = tokio::spawn(async move {
        let mut codec = ChunkCodec::new();
        let mut out = BytesMut::new();
        codec.encode(&bodies[0][..], &mut out).unwrap();
        codec.encode(Noop, &mut out).unwrap();
        codec
            .encode(Bytes::from(bodies[1].clone()), &mut out)
            .unwrap();
        let b2 = bodies[2].clone();
        codec
            .encode(
                EncodeWith(move |buf: &mut Vec<u8>| {
                    buf.extend_from_slice(&b2);
                    Ok::<_, CodecError>(())
                }),
                &mut out,
            )
            .unwrap();
        client.write_all(&out).await.unwrap();
        client.shutdown().await.unwrap();
    });
    let mut codec = ChunkCodec::new();
    let mut buf = BytesMut::new();
    let mut got = Vec::new();
    loop {
        while let Some(m) = codec.decode(&mut buf).unwrap() {
            got.push(m.to_vec());
        }
        if server.read_buf(&mut buf).await.unwrap() == 0 {
            while let Some(m) = codec.decode_eof(&mut buf).unwrap() {
                got.push(m.to_vec());
            }
            break;
        }
    }
    writer.await.unwrap();
    assert_eq!(got, expected);
}

#[tokio::test]
async fn codec_reports_truncation_at_eof() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let (mut client, mut server) = tokio::io::duplex(64);
    client.write_all(&[0x00, 0x05, 0xB1, 0x70]).await.unwrap();
    drop(client);
    let mut codec = ChunkCodec::new();
    let mut buf = BytesMut::new();
    while server.read_buf(&mut buf).await.unwrap() != 0 {
        assert!(codec.decode(&mut buf).unwrap().is_none());
    }
    let err = codec.decode_eof(&mut buf).unwrap_err();
    assert!(matches!(
        err,
        CodecError::Framing(FramingError::Truncated { buffered: 4 })
    ));
}

fn bodies() -> impl Strategy<Value = Vec<Vec<u8>>> {
    prop::collection::vec(
        prop_oneof![
            8 => prop::collection::vec(any::<u8>(), 1..64),
            1 => prop::collection::vec(any::<u8>(), 64..3000),
        ],
        0..12,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// encode (random chunk size, random NOOPs) -> split anywhere -> decode
    /// gives back the same bodies.
    #[test]
    fn round_trip_any_split(
        bodies in bodies(),
        chunk in 1u16..=300,
        noops in prop::collection::vec(any::<bool>(), 12),
        sizes in prop::collection::vec(1usize..40, 1..8),
        in_place in any::<bool>(),
    ) {
        let enc = ChunkEncoder::with_max_chunk_size(NonZeroU16::new(chunk).unwrap());
        let mut wire = BytesMut::new();
        let mut wire_vec = Vec::new();
        for (i, b) in bodies.iter().enumerate() {
            if noops[i] {
                ChunkEncoder::write_noop(&mut wire);
                wire_vec.extend_from_slice(&[0, 0]);
            }
            enc.write_body(&mut wire, b).unwrap();
            enc.write_message_vec(&mut wire_vec, |v| { v.extend_from_slice(b); Ok::<_, FramingError>(()) }).unwrap();
        }
        prop_assert_eq!(&wire[..], &wire_vec[..]);
        let wire = if in_place { wire_vec } else { wire.to_vec() };
        let got = decode_split(&mut ChunkDecoder::new(), &wire, &sizes).unwrap();
        let got: Vec<Vec<u8>> = got.into_iter().map(|b| b.to_vec()).collect();
        prop_assert_eq!(&got, &bodies);
        let one = decode_split(&mut ChunkDecoder::new(), &wire, &[1]).unwrap();
        prop_assert_eq!(one.len(), bodies.len());
    }

    /// Arbitrary bytes never panic, never loop, and a limit is respected.
    #[test]
    fn arbitrary_bytes_never_panic(
        wire in prop::collection::vec(any::<u8>(), 0..2000),
        sizes in prop::collection::vec(1usize..64, 1..4),
        max in 0usize..5000,
    ) {
        let mut dec = ChunkDecoder::with_max_message_size(max);
        if let Ok(msgs) = decode_split(&mut dec, &wire, &sizes) {
            for m in msgs {
                prop_assert!(!m.is_empty() && m.len() <= max);
            }
        }
    }

    /// A stream cut anywhere inside a message is Truncated at EOF.
    #[test]
    fn truncation_detected(body in prop::collection::vec(any::<u8>(), 1..500), chunk in 1u16..100, cut in any::<prop::sample::Index>()) {
        let mut wire = BytesMut::new();
        ChunkEncoder::with_max_chunk_size(NonZeroU16::new(chunk).unwrap()).write_body(&mut wire, &body).unwrap();
        let cut = cut.index(wire.len() - 1) + 1; // 1..len
        prop_assume!(cut < wire.len());
        let err = decode_split(&mut ChunkDecoder::new(), &wire[..cut], &[7]).unwrap_err();
        prop_assert!(matches!(err, FramingError::Truncated { .. }), "unexpected {:?}", err);
    }
}
