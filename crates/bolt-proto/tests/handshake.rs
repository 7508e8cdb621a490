//! The version handshake: byte-exact vectors, client and server state
//! machines talking to each other, error answers, and hostile input.

use bolt_proto::handshake::{
    Capabilities, ClientHandshake, ClientProgress, HandshakeError, Negotiated, OfferError,
    OfferSlot, ServerHandshake, ServerProgress, VersionOffer, VersionRange, MAX_MANIFEST_RANGES,
};
use bolt_proto::Version;
use proptest::prelude::*;

fn hex(s: &str) -> Vec<u8> {
    s.split_whitespace()
        .map(|b| u8::from_str_radix(b, 16).unwrap())
        .collect()
}

/// Feeds `input` to the client in pieces of `step` bytes.
fn client_feed(
    hs: &mut ClientHandshake,
    input: &[u8],
    step: usize,
) -> Result<ClientProgress, HandshakeError> {
    let mut last = ClientProgress::NeedMore;
    for piece in input.chunks(step.max(1)) {
        last = hs.feed(piece)?;
        if matches!(last, ClientProgress::Done(_)) {
            break;
        }
    }
    Ok(last)
}

fn client_done(
    offer: VersionOffer,
    server_bytes: &[u8],
    step: usize,
) -> Result<Negotiated, HandshakeError> {
    let (mut hs, _) = ClientHandshake::new(offer);
    match client_feed(&mut hs, server_bytes, step)? {
        ClientProgress::Done(n) => Ok(n),
        ClientProgress::NeedMore => panic!("client still needs more after {server_bytes:02X?}"),
    }
}

/// Runs a client and a server against each other, every transfer split
/// into pieces of `step` bytes.
fn converse(
    offer: VersionOffer,
    server: ServerHandshake,
    step: usize,
) -> Result<(Negotiated, Negotiated), HandshakeError> {
    let (mut client, preamble) = ClientHandshake::new(offer);
    let mut server = server;
    let mut to_server = preamble.to_vec();
    let mut server_done = None;
    let mut client_done = None;
    for _round in 0..4 {
        let mut to_client = Vec::new();
        for piece in to_server.chunks(step) {
            match server.feed(piece)? {
                ServerProgress::NeedMore => {}
                ServerProgress::Send(b) => to_client.extend_from_slice(&b),
                ServerProgress::Done(n) => {
                    to_client.extend_from_slice(&n.reply);
                    server_done = Some(n);
                }
            }
        }
        to_server.clear();
        if client_done.is_none() {
            for piece in to_client.chunks(step) {
                if let ClientProgress::Done(n) = client.feed(piece)? {
                    to_server.extend_from_slice(&n.reply);
                    client_done = Some(n);
                }
            }
        }
        if let (Some(c), Some(s)) = (&client_done, &server_done) {
            return Ok((c.clone(), s.clone()));
        }
    }
    panic!("handshake did not finish");
}

#[test]
fn preamble_bytes() {
    let (_, pre) = ClientHandshake::new(VersionOffer::default());
    assert_eq!(
        pre.to_vec(),
        hex("60 60 B0 17 00 00 01 FF 00 08 08 05 00 02 04 04 00 00 00 03")
    );
    let (_, pre) = ClientHandshake::new(VersionOffer::exactly(Version::V1).unwrap());
    assert_eq!(
        pre.to_vec(),
        hex("60 60 B0 17 00 00 00 01 00 00 00 00 00 00 00 00 00 00 00 00")
    );
    let (_, pre) = ClientHandshake::new(VersionOffer::exactly(Version::V4_4).unwrap());
    assert_eq!(&pre[4..8], &[0, 0, 4, 4]);
    let (_, pre) = ClientHandshake::new(VersionOffer::exactly(Version::V3_0).unwrap());
    assert_eq!(&pre[4..8], &[0, 0, 0, 3]);
}

#[test]
fn spec_style_legacy_exchange() {
    // C: 60 60 B0 17 00 00 04 04 00 00 00 04 00 00 00 03 00 00 00 00 / S: 00 00 04 04
    let offer = VersionOffer::new([
        OfferSlot::Versions(VersionRange::single(Version::V4_4)),
        OfferSlot::Versions(VersionRange::single(Version::V4_0)),
        OfferSlot::Versions(VersionRange::single(Version::V3_0)),
    ])
    .unwrap();
    assert_eq!(
        offer.preamble().to_vec(),
        hex("60 60 B0 17 00 00 04 04 00 00 00 04 00 00 00 03 00 00 00 00")
    );
    for step in [1, 2, 4] {
        let n = client_done(offer.clone(), &hex("00 00 04 04"), step).unwrap();
        assert_eq!(n.version, Version::V4_4);
        assert!(!n.manifest && n.reply.is_empty());
    }
    let n = client_done(offer, &hex("00 00 00 03"), 1).unwrap();
    assert_eq!(n.version, Version::V3_0);
}

#[test]
fn spec_style_manifest_exchange() {
    // S: 00 00 01 FF, 3 ranges (5.0-5.8, 4.2-4.4, 3.0), capabilities 0.
    let server = hex("00 00 01 FF 03 00 08 08 05 00 02 04 04 00 00 00 03 00");
    for step in [1, 3, 100] {
        let n = client_done(VersionOffer::default(), &server, step).unwrap();
        assert_eq!(n.version, Version::V5_8);
        assert!(n.manifest);
        assert_eq!(n.capabilities, Capabilities::EMPTY);
        assert_eq!(n.reply.to_vec(), hex("00 00 08 05 00"));
    }
    // A server offering only 5.4-5.7 and 4.4: the client's first preference wins.
    let server = hex("00 00 01 FF 02 00 03 07 05 00 00 04 04 00");
    let n = client_done(VersionOffer::default(), &server, 1).unwrap();
    assert_eq!(n.version, Version::V5_7);
    assert_eq!(n.reply.to_vec(), hex("00 00 07 05 00"));
    // Multi-byte varints: count 2 written as 82 00, capabilities 0x80 as 80 01.
    let server = hex("00 00 01 FF 82 00 00 00 04 04 00 00 00 03 80 01");
    let offer = VersionOffer::default().with_capabilities(Capabilities::from_bits(0x81));
    let n = client_done(offer, &server, 1).unwrap();
    assert_eq!(n.version, Version::V4_4);
    assert_eq!(n.capabilities.bits(), 0x80);
    assert_eq!(n.reply.to_vec(), hex("00 00 04 04 80 01"));
}

#[test]
fn http_answer() {
    for step in [1, 4, 64] {
        let r = client_done(
            VersionOffer::default(),
            b"HTTP/1.1 400 Bad Request\r\n",
            step,
        );
        assert_eq!(r, Err(HandshakeError::HttpResponse));
    }
    let msg = HandshakeError::HttpResponse.to_string();
    assert!(msg.contains("HTTP"), "{msg}");
}

#[test]
fn zero_answer() {
    let r = client_done(VersionOffer::default(), &[0, 0, 0, 0], 1);
    let Err(HandshakeError::ServerRejected { offered }) = r else {
        panic!("{r:?}")
    };
    assert_eq!(offered, "5.0-5.8, 4.2-4.4, 3.0");
}

#[test]
fn unexpected_and_invalid_answers() {
    // Not offered.
    assert_eq!(
        client_done(VersionOffer::default(), &[0, 0, 1, 4], 1),
        Err(HandshakeError::UnexpectedVersion {
            chosen: Version::V4_1
        })
    );
    assert_eq!(
        client_done(VersionOffer::default(), &[0, 0, 9, 5], 1),
        Err(HandshakeError::UnexpectedVersion {
            chosen: Version::new(5, 9)
        })
    );
    // Manifest answer without a manifest offer.
    assert_eq!(
        client_done(
            VersionOffer::exactly(Version::V4_4).unwrap(),
            &[0, 0, 1, 0xFF],
            1
        ),
        Err(HandshakeError::UnexpectedVersion {
            chosen: Version::new(255, 1)
        })
    );
    // A range in an answer, or garbage.
    assert_eq!(
        client_done(VersionOffer::default(), &[0, 2, 4, 4], 1),
        Err(HandshakeError::InvalidAnswer([0, 2, 4, 4]))
    );
    assert_eq!(
        client_done(VersionOffer::default(), &[0x15, 0x03, 0x01, 0x00], 2),
        Err(HandshakeError::InvalidAnswer([0x15, 0x03, 0x01, 0x00]))
    );
}

#[test]
fn manifest_bounds() {
    // Too many ranges.
    let mut server = hex("00 00 01 FF");
    server.extend_from_slice(&[0xC1, 0x00]); // 65
    assert_eq!(
        client_done(VersionOffer::default(), &server, 1),
        Err(HandshakeError::TooManyVersionRanges {
            count: 65,
            max: MAX_MANIFEST_RANGES
        })
    );
    // A huge count is refused before any entry arrives.
    let (mut hs, _) = ClientHandshake::new(VersionOffer::default());
    let r = hs.feed(&hex("00 00 01 FF FF FF FF FF 0F"));
    assert!(matches!(
        r,
        Err(HandshakeError::TooManyVersionRanges {
            count: 0xFFFF_FFFF,
            ..
        })
    ));
    // Count varint longer than 5 bytes / wider than 32 bits.
    for bad in ["80 80 80 80 80", "FF FF FF FF 1F"] {
        let r = client_done(
            VersionOffer::default(),
            &hex(&format!("00 00 01 FF {bad}")),
            1,
        );
        assert!(
            matches!(r, Err(HandshakeError::VarIntOverflow { .. })),
            "{bad}: {r:?}"
        );
    }
    // Capabilities varint longer than 10 bytes.
    let r = client_done(
        VersionOffer::default(),
        &hex("00 00 01 FF 01 00 00 04 04 80 80 80 80 80 80 80 80 80 80 80"),
        1,
    );
    assert!(matches!(
        r,
        Err(HandshakeError::VarIntOverflow {
            what: "capabilities"
        })
    ));
    // Zero ranges: nothing in common.
    let r = client_done(VersionOffer::default(), &hex("00 00 01 FF 00 00"), 1);
    assert!(
        matches!(r, Err(HandshakeError::NoCommonVersion { .. })),
        "{r:?}"
    );
    // Only versions the client does not offer.
    let r = client_done(
        VersionOffer::default(),
        &hex("00 00 01 FF 01 00 00 00 06 00"),
        1,
    );
    let Err(HandshakeError::NoCommonVersion { peer, .. }) = r else {
        panic!("{r:?}")
    };
    assert_eq!(peer, "6.0");
}

#[test]
fn feeding_after_the_end() {
    let (mut hs, _) = ClientHandshake::new(VersionOffer::default());
    let ClientProgress::Done(n) = hs.feed(&hex("00 00 04 05 00 03 B0")).unwrap() else {
        panic!()
    };
    assert_eq!(n.version, Version::V5_4);
    assert_eq!(n.trailing.to_vec(), hex("00 03 B0"));
    assert!(matches!(hs.feed(&[0]), Err(HandshakeError::Finished(_))));
    assert_eq!(hs.eof(), Ok(()));

    let (mut hs, _) = ClientHandshake::new(VersionOffer::default());
    assert!(hs.feed(b"HTTP").is_err());
    assert!(matches!(
        hs.feed(&[0, 0, 4, 4]),
        Err(HandshakeError::Finished("failed"))
    ));
}

#[test]
fn eof_mid_handshake() {
    let (mut hs, _) = ClientHandshake::new(VersionOffer::default());
    assert_eq!(
        hs.eof(),
        Err(HandshakeError::UnexpectedEof {
            received: 0,
            expected: 4
        })
    );
    let (mut hs, _) = ClientHandshake::new(VersionOffer::default());
    hs.feed(&hex("00 00 01 FF 02 00 00 04")).unwrap();
    assert!(matches!(
        hs.eof(),
        Err(HandshakeError::UnexpectedEof { received: 8, .. })
    ));
    let mut s = ServerHandshake::new([Version::V5_8]).with_manifest(Capabilities::EMPTY);
    let pre = VersionOffer::default().preamble();
    assert!(matches!(s.feed(&pre), Ok(ServerProgress::Send(_))));
    s.feed(&[0, 0]).unwrap();
    assert!(matches!(
        s.eof(),
        Err(HandshakeError::UnexpectedEof {
            received: 22,
            expected: 25
        })
    ));
}

#[test]
fn every_version_plain_and_manifest() {
    for &v in Version::ALL {
        let offer = if v >= Version::V5_0
            || (v >= Version::V4_2 && v <= Version::V4_4)
            || v == Version::V3_0
        {
            VersionOffer::default()
        } else {
            VersionOffer::exactly(v).unwrap()
        };
        for step in [1, 3, 20] {
            // Plain server.
            let (c, s) = converse(offer.clone(), ServerHandshake::new([v]), step).unwrap();
            assert_eq!((c.version, s.version), (v, v));
            assert!(!c.manifest && !s.manifest);
            assert_eq!(s.reply.to_vec(), vec![0, 0, v.minor, v.major]);
            // Manifest-capable server: used only if the client offers it.
            let server = ServerHandshake::new([v]).with_manifest(Capabilities::EMPTY);
            let (c, s) = converse(offer.clone(), server, step).unwrap();
            assert_eq!((c.version, s.version), (v, v));
            assert_eq!(c.manifest, offer.offers_manifest());
            assert_eq!(s.manifest, offer.offers_manifest());
        }
    }
}

#[test]
fn manifest_picks_newest_common_and_negotiates_capabilities() {
    let server = ServerHandshake::new(Version::ALL.iter().copied())
        .with_manifest(Capabilities::from_bits(0b0110));
    assert_eq!(
        server
            .supported_ranges()
            .iter()
            .map(|r| r.to_string())
            .collect::<Vec<_>>(),
        ["5.0-5.8", "4.0-4.4", "3.0", "2.0", "1.0"]
    );
    let offer = VersionOffer::default().with_capabilities(Capabilities::from_bits(0b0011));
    let (c, s) = converse(offer, server, 1).unwrap();
    assert_eq!(c.version, Version::V5_8);
    assert_eq!(s.version, Version::V5_8);
    assert_eq!(c.capabilities.bits(), 0b0010);
    assert_eq!(s.capabilities.bits(), 0b0010);

    // A server speaking only 4.3 and 5.2: client picks 5.2 via the manifest.
    let server =
        ServerHandshake::new([Version::V4_3, Version::V5_2]).with_manifest(Capabilities::EMPTY);
    let (c, _) = converse(VersionOffer::default(), server, 2).unwrap();
    assert_eq!(c.version, Version::V5_2);
}

#[test]
fn server_prefers_client_slot_order() {
    let offer = VersionOffer::new([
        OfferSlot::Versions(VersionRange::single(Version::V4_4)),
        OfferSlot::Versions(VersionRange::new(Version::V5_4, Version::V5_0).unwrap()),
    ])
    .unwrap();
    let server = ServerHandshake::new([Version::V5_4, Version::V4_4]);
    let (c, _) = converse(offer, server, 4).unwrap();
    assert_eq!(c.version, Version::V4_4);
}

#[test]
fn server_errors() {
    // HTTP request on the Bolt port.
    let mut s = ServerHandshake::new([Version::V5_4]);
    assert_eq!(
        s.feed(b"GET / HTTP/1.1\r\n"),
        Err(HandshakeError::BadMagic(*b"GET "))
    );
    // Nothing in common.
    let mut s = ServerHandshake::new([Version::V2]);
    let r = s.feed(&VersionOffer::default().preamble());
    let Err(HandshakeError::NoCommonVersion { peer, ours }) = r else {
        panic!("{r:?}")
    };
    assert_eq!(
        (peer.as_str(), ours.as_str()),
        ("5.0-5.8, 4.2-4.4, 3.0", "2.0")
    );

    let manifest_server = || {
        let mut s = ServerHandshake::new([Version::V5_7]).with_manifest(Capabilities::from_bits(1));
        assert!(matches!(
            s.feed(&VersionOffer::default().preamble()),
            Ok(ServerProgress::Send(_))
        ));
        s
    };
    // Client picks a version the server did not offer.
    assert_eq!(
        manifest_server().feed(&[0, 0, 8, 5, 0]),
        Err(HandshakeError::UnexpectedVersion {
            chosen: Version::V5_8
        })
    );
    // Client gives up.
    assert_eq!(
        manifest_server().feed(&[0, 0, 0, 0]),
        Err(HandshakeError::ClientRejected)
    );
    // Client asks for capabilities not offered.
    assert_eq!(
        manifest_server().feed(&[0, 0, 7, 5, 2]),
        Err(HandshakeError::UnexpectedCapabilities {
            asked: 2,
            offered: 1
        })
    );
    // Client pipelines its first message behind its choice: kept as trailing.
    let Ok(ServerProgress::Done(n)) =
        manifest_server().feed(&[0, 0, 7, 5, 1, 0, 2, 0xB0, 0x0F, 0, 0])
    else {
        panic!()
    };
    assert_eq!((n.version, n.capabilities.bits()), (Version::V5_7, 1));
    assert_eq!(n.trailing.to_vec(), vec![0, 2, 0xB0, 0x0F, 0, 0]);
    // Client speaks before reading the manifest.
    let mut s = ServerHandshake::new([Version::V5_7]).with_manifest(Capabilities::EMPTY);
    let mut early = VersionOffer::default().preamble().to_vec();
    early.extend_from_slice(&[0, 0, 7, 5, 0]);
    assert_eq!(
        s.feed(&early),
        Err(HandshakeError::PrematureData { count: 5 })
    );
}

#[test]
fn offer_validation() {
    let v = |x| OfferSlot::Versions(VersionRange::single(x));
    assert_eq!(
        VersionOffer::new([
            v(Version::V5_0),
            v(Version::V4_4),
            v(Version::V4_3),
            v(Version::V4_2),
            v(Version::V4_1)
        ]),
        Err(OfferError::TooManySlots)
    );
    assert_eq!(
        VersionOffer::new([
            OfferSlot::ManifestV1,
            OfferSlot::ManifestV1,
            v(Version::V5_0)
        ]),
        Err(OfferError::DuplicateManifest)
    );
    assert_eq!(
        VersionOffer::new([OfferSlot::ManifestV1]),
        Err(OfferError::NoVersions)
    );
    assert_eq!(VersionOffer::new([]), Err(OfferError::NoVersions));
    assert!(matches!(
        VersionRange::new(Version::V4_4, Version::V5_0),
        Err(OfferError::InvalidRange { .. })
    ));
    assert!(matches!(
        VersionRange::new(Version::V5_0, Version::V5_4),
        Err(OfferError::InvalidRange { .. })
    ));
    let r = VersionRange::new(Version::new(5, 9), Version::V5_0).unwrap();
    assert_eq!(
        VersionOffer::new([OfferSlot::Versions(r)]),
        Err(OfferError::UnsupportedVersion(Version::new(5, 9)))
    );
    assert!(OfferError::UnsupportedVersion(Version::new(5, 9))
        .to_string()
        .contains("5.9"));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Arbitrary server bytes, fed in arbitrary pieces: no panic, each feed
    /// returns, and the outcome does not depend on how input was split.
    #[test]
    fn client_never_panics(
        prefix in prop_oneof![Just(vec![]), Just(vec![0, 0, 1, 0xFF])],
        body in prop::collection::vec(any::<u8>(), 0..300),
        step in 1usize..16,
    ) {
        let mut input = prefix;
        input.extend(body);
        let whole = {
            let (mut hs, _) = ClientHandshake::new(VersionOffer::default());
            client_feed(&mut hs, &input, input.len().max(1))
        };
        let (mut hs, _) = ClientHandshake::new(VersionOffer::default());
        let split = client_feed(&mut hs, &input, step);
        match (&whole, &split) {
            (Ok(ClientProgress::Done(a)), Ok(ClientProgress::Done(b))) => {
                prop_assert_eq!(a.version, b.version);
                prop_assert_eq!(&a.reply, &b.reply);
                prop_assert!(hs.offer().accepts(a.version));
            }
            (Ok(ClientProgress::NeedMore), Ok(ClientProgress::NeedMore)) => {
                prop_assert!(hs.eof().is_err());
            }
            (Err(a), Err(b)) => prop_assert_eq!(a, b),
            _ => prop_assert!(false, "split changed the outcome: {:?} vs {:?}", whole, split),
        }
    }

    /// Arbitrary client bytes into a manifest server: no panic.
    #[test]
    fn server_never_panics(
        slots in prop::collection::vec(any::<u8>(), 16),
        rest in prop::collection::vec(any::<u8>(), 0..32),
        step in 1usize..8,
    ) {
        let mut input = bolt_proto::handshake::MAGIC.to_vec();
        input.extend(slots);
        input.extend(rest);
        let mut s = ServerHandshake::new(Version::ALL.iter().copied()).with_manifest(Capabilities::from_bits(3));
        for piece in input.chunks(step) {
            match s.feed(piece) {
                Ok(ServerProgress::Done(n)) => { prop_assert!(Version::ALL.contains(&n.version)); break; }
                Ok(_) => {}
                Err(_) => break,
            }
        }
    }

    /// Any server version set and offer: both sides agree whenever the
    /// handshake succeeds, and it succeeds iff they share a version.
    #[test]
    fn client_server_agree(
        server_versions in prop::sample::subsequence(Version::ALL.to_vec(), 0..=Version::ALL.len()),
        manifest in any::<bool>(),
        step in 1usize..24,
    ) {
        let offer = VersionOffer::default();
        let mut server = ServerHandshake::new(server_versions.iter().copied());
        if manifest {
            server = server.with_manifest(Capabilities::EMPTY);
        }
        let common = Version::ALL.iter().any(|v| offer.accepts(*v) && server_versions.contains(v));
        match converse(offer.clone(), server, step) {
            Ok((c, s)) => {
                prop_assert!(common);
                prop_assert_eq!(c.version, s.version);
                prop_assert!(offer.accepts(c.version) && server_versions.contains(&c.version));
                let best = offer.ranges().flat_map(VersionRange::versions).find(|v| server_versions.contains(v));
                prop_assert_eq!(Some(c.version), best);
            }
            Err(e) => {
                prop_assert!(!common, "{:?}", e);
                prop_assert!(matches!(e, HandshakeError::NoCommonVersion { .. }), "{:?}", e);
            }
        }
    }
}

/// The lengths a watcher of the handshake reads: exact (never a prefix,
/// never past the end), and bounded as the state machines bound them.
#[test]
fn manifest_lengths_match_the_state_machines_and_are_bounded() {
    use bolt_proto::handshake::{manifest_answer_len, manifest_choice_len, HandshakeError};

    // Two ranges and a two-byte capabilities varint.
    let answer = [
        0x00, 0x00, 0x01, 0xFF, 0x02, 0x00, 0x08, 0x08, 0x05, 0x00, 0x00, 0x04, 0x04, 0x81, 0x01,
    ];
    for cut in 0..answer.len() {
        assert_eq!(manifest_answer_len(&answer[..cut]).unwrap(), None, "{cut}");
    }
    assert_eq!(manifest_answer_len(&answer).unwrap(), Some(answer.len()));
    let mut longer = answer.to_vec();
    longer.extend_from_slice(&[0x00, 0x03]);
    assert_eq!(manifest_answer_len(&longer).unwrap(), Some(answer.len()));

    let too_many = [0x00, 0x00, 0x01, 0xFF, 0x80, 0x01];
    assert!(matches!(
        manifest_answer_len(&too_many),
        Err(HandshakeError::TooManyVersionRanges { count: 128, .. })
    ));
    let overlong = [
        0x00, 0x00, 0x01, 0xFF, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0x01,
    ];
    assert!(matches!(
        manifest_answer_len(&overlong),
        Err(HandshakeError::VarIntOverflow { .. })
    ));

    assert_eq!(
        manifest_choice_len(&[0x00, 0x00, 0x07, 0x05, 0x81]).unwrap(),
        None
    );
    assert_eq!(
        manifest_choice_len(&[0x00, 0x00, 0x07, 0x05, 0x81, 0x01, 0x60]).unwrap(),
        Some(6)
    );
}
