//! Property tests: value round-trips, serde round-trips, the structure-only
//! skip, and arbitrary input never panicking the decoder.

use packstream::{
    decode, decode_ref, from_slice, to_vec, Decoder, Map, Structure, Value, ValueRef,
};
use proptest::prelude::*;
use serde::{Deserialize, Serialize};

fn arb_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Boolean),
        any::<i64>().prop_map(Value::Integer),
        (-200i64..200).prop_map(Value::Integer),
        any::<f64>().prop_map(Value::Float),
        prop::collection::vec(any::<u8>(), 0..300).prop_map(Value::Bytes),
        ".{0,40}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 20, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..20).prop_map(Value::List),
            prop::collection::vec(("[a-z]{0,5}", inner.clone()), 0..20)
                .prop_map(|kv| Value::Map(kv.into_iter().collect::<Map>())),
            (any::<u8>(), prop::collection::vec(inner, 0..=15))
                .prop_map(|(tag, fields)| Value::Structure(Structure::new(tag, fields))),
        ]
    })
}

/// Equality where NaN equals NaN (bit-exact floats).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Float(x), Value::Float(y)) => x.to_bits() == y.to_bits(),
        (Value::List(x), Value::List(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y.iter())
                    .all(|((ka, a), (kb, b))| ka == kb && same(a, b))
        }
        (Value::Structure(x), Value::Structure(y)) => {
            x.tag == y.tag
                && x.fields.len() == y.fields.len()
                && x.fields.iter().zip(&y.fields).all(|(a, b)| same(a, b))
        }
        _ => a == b,
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Record {
    id: i64,
    name: String,
    score: f64,
    tags: Vec<String>,
    active: bool,
    maybe: Option<u32>,
    #[serde(with = "serde_bytes")]
    blob: Vec<u8>,
    kind: Kind,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum Kind {
    A,
    B(i16),
    C { x: i8 },
}

fn arb_record() -> impl Strategy<Value = Record> {
    (
        any::<i64>(),
        ".{0,20}",
        -1e300f64..1e300,
        prop::collection::vec(".{0,8}", 0..4),
        any::<bool>(),
        any::<Option<u32>>(),
        prop::collection::vec(any::<u8>(), 0..40),
        prop_oneof![
            Just(Kind::A),
            any::<i16>().prop_map(Kind::B),
            any::<i8>().prop_map(|x| Kind::C { x })
        ],
    )
        .prop_map(
            |(id, name, score, tags, active, maybe, blob, kind)| Record {
                id,
                name,
                score,
                tags,
                active,
                maybe,
                blob,
                kind,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn value_round_trip(v in arb_value()) {
        let bytes = v.to_bytes().unwrap();
        prop_assert_eq!(bytes.len(), v.encoded_len());
        prop_assert!(same(&decode(&bytes).unwrap(), &v));
        let r = decode_ref(&bytes).unwrap();
        prop_assert!(same(&r.to_owned_value(), &v));
        prop_assert!(same(&from_slice::<Value>(&bytes).unwrap(), &v));
        prop_assert_eq!(to_vec(&v).unwrap(), bytes.clone());
        let mut d = Decoder::new(&bytes);
        d.skip_value().unwrap();
        prop_assert!(d.is_empty());
    }

    #[test]
    fn serde_record_round_trip(r in arb_record()) {
        let bytes = to_vec(&r).unwrap();
        prop_assert_eq!(from_slice::<Record>(&bytes).unwrap(), r.clone());
        prop_assert_eq!(packstream::from_value::<Record>(packstream::to_value(&r).unwrap()).unwrap(), r);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = decode(&bytes);
        let _ = decode_ref(&bytes);
        let _ = Decoder::new(&bytes).skip_value();
        let _ = from_slice::<Value>(&bytes);
        let _ = from_slice::<ValueRef<'_>>(&bytes);
        let _ = from_slice::<Record>(&bytes);
        let _ = from_slice::<serde::de::IgnoredAny>(&bytes);
    }

    #[test]
    fn mutated_encodings_never_panic(v in arb_value(), flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4), cut in any::<prop::sample::Index>()) {
        let mut bytes = v.to_bytes().unwrap();
        for (i, b) in flips {
            let i = i.index(bytes.len());
            bytes[i] = b;
        }
        let _ = decode(&bytes);
        let _ = decode_ref(&bytes);
        let _ = from_slice::<Value>(&bytes);
        let _ = Decoder::new(&bytes).skip_value_unchecked();
        let cut = cut.index(bytes.len() + 1);
        let truncated = &bytes[..cut];
        if cut < bytes.len() {
            // A strict prefix of a single valid value never decodes as one.
            let orig = v.to_bytes().unwrap();
            if orig.len() == bytes.len() && orig == bytes {
                prop_assert!(decode(truncated).is_err());
            }
        }
        let _ = decode(truncated);
    }

    #[test]
    fn skip_unchecked_stops_exactly_at_the_end(v in arb_value(), tail in prop::collection::vec(any::<u8>(), 0..8)) {
        let bytes = v.to_bytes().unwrap();
        let mut input = bytes.clone();
        input.extend_from_slice(&tail);
        let mut d = Decoder::new(&input);
        d.skip_value_unchecked().unwrap();
        prop_assert_eq!(d.position(), bytes.len());
        // Every strict prefix is cut off: an error, the cursor unmoved.
        for cut in 0..bytes.len() {
            let mut d = Decoder::new(&bytes[..cut]);
            prop_assert!(d.skip_value_unchecked().is_err());
            prop_assert_eq!(d.position(), 0);
        }
    }

    #[test]
    fn skip_unchecked_never_panics_and_agrees_with_skip(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let mut unchecked = Decoder::new(&bytes);
        match unchecked.skip_value_unchecked() {
            Ok(()) => prop_assert!(unchecked.position() <= bytes.len()),
            Err(_) => prop_assert_eq!(unchecked.position(), 0),
        }
        // Whatever the checked skip accepts, the unchecked one skips alike.
        let mut checked = Decoder::new(&bytes);
        if checked.skip_value().is_ok() {
            let mut d = Decoder::new(&bytes);
            prop_assert!(d.skip_value_unchecked().is_ok());
            prop_assert_eq!(d.position(), checked.position());
        }
    }

    #[test]
    fn decode_ok_means_reencode_decodes_same(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        if let Ok(v) = decode(&bytes) {
            // Legacy structures with more than 15 fields decode but do not encode.
            if let Ok(again) = v.to_bytes() {
                prop_assert!(same(&decode(&again).unwrap(), &v));
            }
        }
    }
}
