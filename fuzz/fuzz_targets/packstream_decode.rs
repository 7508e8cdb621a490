//! PackStream decoding of arbitrary bytes: the owned decoder, the borrowed
//! (zero-copy) decoder, the value-by-value `Decoder` walk and serde into a
//! generic `Value`. Nothing may panic, and the decoders must agree: a value
//! one accepts, the others accept too, and re-encoding is stable.

#![no_main]

use libfuzzer_sys::fuzz_target;
use packstream::{Decoder, Value};

fuzz_target!(|data: &[u8]| {
    let owned = packstream::decode(data);
    let borrowed = packstream::decode_ref(data);
    assert_eq!(
        owned.is_ok(),
        borrowed.is_ok(),
        "decode and decode_ref disagree: {owned:?} / {borrowed:?}"
    );
    if let (Ok(owned), Ok(borrowed)) = (&owned, &borrowed) {
        // Values may hold NaN, so compare encodings, not values. The
        // decoder also reads the legacy DC/DD structures of early Bolt v1
        // servers (up to 65,535 fields), which the encoder refuses to
        // write (at most 15): such values need not encode.
        let bytes = owned.to_bytes().ok();
        let from_ref = borrowed.to_owned_value().to_bytes().ok();
        assert_eq!(
            bytes, from_ref,
            "decode and decode_ref read different values"
        );
        if let Some(bytes) = bytes {
            assert_eq!(bytes.len(), owned.encoded_len(), "encoded_len is wrong");
            // Our own (smallest-marker) encoding decodes back to itself.
            let again = packstream::decode(&bytes).expect("our own encoding decodes");
            assert_eq!(
                again.to_bytes().expect("encodes"),
                bytes,
                "unstable re-encoding"
            );
        }
    }

    // serde into a generic value agrees with the decoder.
    // (serde has its own limits, e.g. on structure shapes: it may fail
    // where the decoder does not, but must not panic.)
    let serde = packstream::from_slice::<Value>(data);
    if let (Ok(owned), Ok(v)) = (&owned, &serde) {
        assert_eq!(
            v.to_bytes().ok(),
            owned.to_bytes().ok(),
            "serde and the decoder read different values"
        );
    }
    let _ = packstream::from_slice::<packstream::ValueRef<'_>>(data);

    // A stream of values: read, skip and peek must move in step.
    let mut reader = Decoder::new(data).with_max_depth(64);
    let mut skipper = Decoder::new(data).with_max_depth(64);
    let mut steps = 0;
    while !reader.is_empty() && steps < 64 {
        steps += 1;
        let _ = reader.peek_kind();
        let read = reader.read_value_ref();
        let skipped = skipper.skip_value();
        assert_eq!(
            read.is_ok(),
            skipped.is_ok(),
            "read_value_ref and skip_value disagree"
        );
        if read.is_err() {
            break;
        }
        assert_eq!(
            reader.position(),
            skipper.position(),
            "read and skip end apart"
        );
    }
    // The typed readers on a fresh decoder only fail, never panic.
    let mut typed = Decoder::new(data);
    let _ = typed.read_map_header();
    let _ = typed.skip_map_entries(|_, _| {});
    let _ = typed.read_struct_header();
    let _ = typed.read_list_header();
    let _ = typed.read_str();
    let _ = typed.read_bytes();
    let _ = typed.read_int();
    let _ = typed.read_float();
});
