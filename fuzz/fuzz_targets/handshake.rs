//! The client and server handshake state machines fed arbitrary bytes
//! (plain answers and manifest v1), in pieces of any size, and an honest
//! client and server built from the input negotiating with each other.
//!
//! Input: byte 0 picks the offer and server options, bytes 1..5 the
//! server's supported versions, byte 5 the split seed, the rest is what
//! the peer sends. Nothing may panic; a negotiated version must be one
//! both sides accept.

#![no_main]

use bolt_proto::handshake::{
    Capabilities, ClientHandshake, ClientProgress, OfferSlot, ServerHandshake, ServerProgress,
    VersionOffer, VersionRange,
};
use bolt_proto::Version;
use libfuzzer_sys::fuzz_target;

/// Splits `input` into pieces of 1..=8 bytes, from a small LCG.
fn pieces(input: &[u8], seed: u8) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut rng = u32::from(seed) | 1;
    let mut rest = input;
    while !rest.is_empty() {
        rng = rng.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let n = (1 + (rng >> 16) as usize % 8).min(rest.len());
        out.push(&rest[..n]);
        rest = &rest[n..];
    }
    out
}

/// An offer from 4 bytes: each slot the manifest, a range within one
/// major version, or nothing; the default offer if that is not valid.
fn offer(bytes: [u8; 4]) -> VersionOffer {
    let all = Version::ALL;
    let mut slots = Vec::new();
    for b in bytes {
        match b % 4 {
            0 => {}
            1 => slots.push(OfferSlot::ManifestV1),
            _ => {
                let high = all[usize::from(b >> 2) % all.len()];
                let low = all[usize::from(b >> 4) % all.len()];
                let range = VersionRange::new(high, low).unwrap_or(VersionRange::single(high));
                slots.push(OfferSlot::Versions(range));
            }
        }
    }
    VersionOffer::new(slots).unwrap_or_default()
}

fn supported(mask: u32) -> Vec<Version> {
    Version::ALL
        .iter()
        .enumerate()
        .filter(|(i, _)| mask & (1 << i) != 0)
        .map(|(_, v)| *v)
        .collect()
}

fn fuzz_client(offer: VersionOffer, server_bytes: &[u8], seed: u8) {
    let (mut hs, preamble) = ClientHandshake::new(offer.clone());
    assert_eq!(preamble, offer.preamble());
    for piece in pieces(server_bytes, seed) {
        match hs.feed(piece) {
            Ok(ClientProgress::NeedMore) => {}
            Ok(ClientProgress::Done(n)) => {
                assert!(
                    offer.accepts(n.version),
                    "client accepted {:?} it never offered",
                    n.version
                );
                assert!(n.manifest || n.reply.is_empty());
                assert!(
                    hs.feed(b"x").is_err(),
                    "a finished handshake takes more bytes"
                );
                assert_eq!(hs.eof(), Ok(()));
                return;
            }
            Err(_) => {
                assert!(
                    hs.feed(b"x").is_err(),
                    "a failed handshake takes more bytes"
                );
                return;
            }
        }
    }
    assert!(hs.eof().is_err(), "an unfinished handshake ended cleanly");
}

fn fuzz_server(server: ServerHandshake, client_bytes: &[u8], seed: u8) {
    let mut hs = server.clone();
    for piece in pieces(client_bytes, seed) {
        match hs.feed(piece) {
            Ok(ServerProgress::NeedMore | ServerProgress::Send(_)) => {}
            Ok(ServerProgress::Done(n)) => {
                assert!(
                    server.supported().contains(&n.version),
                    "server chose {:?} it does not speak",
                    n.version
                );
                assert!(
                    hs.feed(b"x").is_err(),
                    "a finished handshake takes more bytes"
                );
                return;
            }
            Err(_) => return,
        }
    }
    assert!(hs.eof().is_err(), "an unfinished handshake ended cleanly");
}

/// An honest client and server: they agree, or both fail.
fn negotiate(offer: VersionOffer, mut server: ServerHandshake) {
    let (mut client, preamble) = ClientHandshake::new(offer);
    let manifest = match server.feed(&preamble) {
        Ok(ServerProgress::Send(manifest)) => manifest,
        Ok(ServerProgress::Done(s)) => {
            let c = match client.feed(&s.reply) {
                Ok(ClientProgress::Done(c)) => c,
                other => panic!("server done with {:?}, client: {other:?}", s.version),
            };
            assert_eq!(c.version, s.version, "client and server disagree");
            return;
        }
        Ok(ServerProgress::NeedMore) => panic!("server wants more than the preamble"),
        Err(_) => return,
    };
    match client.feed(&manifest) {
        Ok(ClientProgress::Done(c)) => {
            let Ok(ServerProgress::Done(s)) = server.feed(&c.reply) else {
                panic!("server does not take the client's choice {:?}", c.version);
            };
            assert_eq!(c.version, s.version, "client and server disagree");
        }
        Ok(ClientProgress::NeedMore) => panic!("client wants more than the manifest"),
        Err(_) => {}
    }
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 6 {
        return;
    }
    let mode = data[0];
    let mask = u32::from_le_bytes([data[1], data[2], data[3], data[4]]);
    let seed = data[5];
    let rest = &data[6..];
    let client_offer = if mode & 1 == 0 {
        VersionOffer::default()
    } else {
        offer([data[1], data[2], data[3], data[4]])
    }
    .with_capabilities(Capabilities::from_bits(u64::from(mode >> 4)));
    let mut server = ServerHandshake::new(supported(mask));
    if mode & 2 != 0 {
        server = server.with_manifest(Capabilities::from_bits(u64::from(mode >> 2 & 3)));
    }
    fuzz_client(client_offer.clone(), rest, seed);
    fuzz_server(server.clone(), rest, seed);
    // The server fed a real preamble, then the input as the client's choice.
    let mut with_preamble = client_offer.preamble().to_vec();
    with_preamble.extend_from_slice(rest);
    fuzz_server(server.clone(), &with_preamble, seed);
    negotiate(client_offer, server);
});
