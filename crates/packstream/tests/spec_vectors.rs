//! Byte-exact vectors for every marker and every size boundary.

use packstream::{decode, decode_ref, encode, Decoder, Error, Map, Structure, Value, ValueRef};

fn enc(v: &Value) -> Vec<u8> {
    v.to_bytes().unwrap()
}

/// Encodes, checks the exact bytes, decodes back (owned and borrowed).
fn check(v: Value, expected: &[u8]) {
    let got = enc(&v);
    assert_eq!(got, expected, "encoding of {v:?}");
    assert_eq!(v.encoded_len(), expected.len());
    assert_eq!(decode(expected).unwrap(), v);
    assert_eq!(decode_ref(expected).unwrap().to_owned_value(), v);
    let mut d = Decoder::new(expected);
    d.skip_value().unwrap();
    d.finish().unwrap();
}

#[test]
fn null_bool_float() {
    check(Value::Null, &[0xC0]);
    check(Value::Boolean(false), &[0xC2]);
    check(Value::Boolean(true), &[0xC3]);
    check(
        Value::Float(1.1),
        &[0xC1, 0x3F, 0xF1, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9A],
    );
    check(
        Value::Float(-1.1),
        &[0xC1, 0xBF, 0xF1, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9A],
    );
    check(Value::Float(0.0), &[0xC1, 0, 0, 0, 0, 0, 0, 0, 0]);
    check(
        Value::Float(f64::INFINITY),
        &[0xC1, 0x7F, 0xF0, 0, 0, 0, 0, 0, 0],
    );
    let nan = decode(&[0xC1, 0x7F, 0xF8, 0, 0, 0, 0, 0, 0]).unwrap();
    assert!(nan.as_float().unwrap().is_nan());
}

#[test]
fn integer_boundaries() {
    let cases: &[(i64, &[u8])] = &[
        (0, &[0x00]),
        (1, &[0x01]),
        (42, &[0x2A]),
        (127, &[0x7F]),
        (128, &[0xC9, 0x00, 0x80]),
        (-1, &[0xFF]),
        (-16, &[0xF0]),
        (-17, &[0xC8, 0xEF]),
        (-128, &[0xC8, 0x80]),
        (-129, &[0xC9, 0xFF, 0x7F]),
        (32767, &[0xC9, 0x7F, 0xFF]),
        (32768, &[0xCA, 0x00, 0x00, 0x80, 0x00]),
        (-32768, &[0xC9, 0x80, 0x00]),
        (-32769, &[0xCA, 0xFF, 0xFF, 0x7F, 0xFF]),
        (2147483647, &[0xCA, 0x7F, 0xFF, 0xFF, 0xFF]),
        (2147483648, &[0xCB, 0, 0, 0, 0, 0x80, 0, 0, 0]),
        (-2147483648, &[0xCA, 0x80, 0, 0, 0]),
        (
            -2147483649,
            &[0xCB, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF],
        ),
        (
            i64::MAX,
            &[0xCB, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF],
        ),
        (i64::MIN, &[0xCB, 0x80, 0, 0, 0, 0, 0, 0, 0]),
    ];
    for (i, bytes) in cases {
        check(Value::Integer(*i), bytes);
    }
}

#[test]
fn non_minimal_integers_decode() {
    assert_eq!(decode(&[0xC8, 0x01]).unwrap(), Value::Integer(1));
    assert_eq!(decode(&[0xC9, 0x00, 0x01]).unwrap(), Value::Integer(1));
    assert_eq!(decode(&[0xCA, 0, 0, 0, 1]).unwrap(), Value::Integer(1));
    assert_eq!(
        decode(&[0xCB, 0, 0, 0, 0, 0, 0, 0, 1]).unwrap(),
        Value::Integer(1)
    );
}

fn header(len: usize, tiny: Option<u8>, m8: u8) -> Vec<u8> {
    match (tiny, len) {
        (Some(t), 0..=15) => vec![t | len as u8],
        (_, 0..=255) => vec![m8, len as u8],
        (_, 256..=65535) => {
            let mut h = vec![m8 + 1];
            h.extend_from_slice(&(len as u16).to_be_bytes());
            h
        }
        _ => {
            let mut h = vec![m8 + 2];
            h.extend_from_slice(&(len as u32).to_be_bytes());
            h
        }
    }
}

const SIZES: &[usize] = &[0, 1, 15, 16, 255, 256, 65535, 65536];

#[test]
fn string_sizes() {
    check(Value::from(""), &[0x80]);
    check(Value::from("A"), &[0x81, 0x41]);
    check(
        Value::from("Größenmaßstäbe"),
        &[
            0xD0, 0x12, 0x47, 0x72, 0xC3, 0xB6, 0xC3, 0x9F, 0x65, 0x6E, 0x6D, 0x61, 0xC3, 0x9F,
            0x73, 0x74, 0xC3, 0xA4, 0x62, 0x65,
        ],
    );
    for &n in SIZES {
        let s = "x".repeat(n);
        let mut expected = header(n, Some(0x80), 0xD0);
        expected.extend_from_slice(s.as_bytes());
        check(Value::String(s), &expected);
    }
}

#[test]
fn bytes_sizes() {
    for &n in SIZES {
        let b = vec![0xAB; n];
        let mut expected = header(n, None, 0xCC);
        expected.extend_from_slice(&b);
        check(Value::Bytes(b), &expected);
    }
}

#[test]
fn list_sizes() {
    check(Value::List(vec![]), &[0x90]);
    check(Value::from(vec![1, 2, 3]), &[0x93, 1, 2, 3]);
    for &n in SIZES {
        let l = vec![Value::Integer(1); n];
        let mut expected = header(n, Some(0x90), 0xD4);
        expected.extend(std::iter::repeat_n(1u8, n));
        check(Value::List(l), &expected);
    }
}

#[test]
fn map_sizes() {
    check(Value::Map(Map::new()), &[0xA0]);
    check(
        Value::Map([("one", "eins")].into_iter().collect()),
        &[0xA1, 0x83, 0x6F, 0x6E, 0x65, 0x84, 0x65, 0x69, 0x6E, 0x73],
    );
    for &n in SIZES {
        let m: Map = (0..n).map(|i| (format!("{i:05}"), Value::Null)).collect();
        let mut expected = header(n, Some(0xA0), 0xD8);
        for i in 0..n {
            expected.push(0x85);
            expected.extend_from_slice(format!("{i:05}").as_bytes());
            expected.push(0xC0);
        }
        check(Value::Map(m), &expected);
    }
}

#[test]
fn structures() {
    check(
        Value::Structure(Structure::new(0x4E, vec![])),
        &[0xB0, 0x4E],
    );
    check(
        Value::Structure(Structure::new(0x58, vec![1.into(), 2.into()])),
        &[0xB2, 0x58, 1, 2],
    );
    let fifteen = Structure::new(0x01, vec![Value::Null; 15]);
    let mut expected = vec![0xBF, 0x01];
    expected.extend([0xC0; 15]);
    check(Value::Structure(fifteen), &expected);
    let sixteen = Value::Structure(Structure::new(0x01, vec![Value::Null; 16]));
    assert!(matches!(
        sixteen.to_bytes(),
        Err(Error::TooLarge {
            size: 16,
            max: 15,
            ..
        })
    ));
    // Legacy STRUCT_8 / STRUCT_16 decode.
    assert_eq!(
        decode(&[0xDC, 0x01, 0x4E, 0x05]).unwrap(),
        Value::Structure(Structure::new(0x4E, vec![5.into()]))
    );
    assert_eq!(
        decode(&[0xDD, 0x00, 0x01, 0x4E, 0x05]).unwrap(),
        Value::Structure(Structure::new(0x4E, vec![5.into()]))
    );
}

#[test]
fn reserved_markers_are_unknown() {
    for m in [0xC4, 0xC5, 0xC6, 0xC7, 0xCF, 0xD3, 0xD7, 0xDB, 0xDE, 0xDF]
        .into_iter()
        .chain(0xE0..=0xEF)
    {
        let err = decode(&[0x91, m]).unwrap_err();
        assert!(
            matches!(err, Error::UnknownMarker { marker, offset: 1 } if marker == m),
            "{m:#x}: {err:?}"
        );
    }
}

#[test]
fn errors_are_typed() {
    assert!(matches!(
        decode(&[]),
        Err(Error::UnexpectedEnd {
            offset: 0,
            needed: 1
        })
    ));
    assert!(matches!(
        decode(&[0xC9, 0x01]),
        Err(Error::UnexpectedEnd {
            offset: 1,
            needed: 1
        })
    ));
    assert!(matches!(
        decode(&[0xC1, 0, 0]),
        Err(Error::UnexpectedEnd {
            offset: 1,
            needed: 6
        })
    ));
    assert!(matches!(
        decode(&[0x83, b'a']),
        Err(Error::SizeExceedsInput {
            offset: 0,
            size: 3,
            remaining: 1
        })
    ));
    assert!(matches!(
        decode(&[0xD6, 0xFF, 0xFF, 0xFF, 0xFF]),
        Err(Error::SizeExceedsInput {
            offset: 0,
            size: 4294967295,
            remaining: 0
        })
    ));
    assert!(matches!(
        decode(&[0xDA, 0x00, 0x00, 0x00, 0x02, 0x80, 0xC0]),
        Err(Error::SizeExceedsInput { .. })
    ));
    assert!(matches!(
        decode(&[0x82, 0xC3, 0x28]),
        Err(Error::InvalidUtf8 { offset: 1 })
    ));
    assert!(matches!(
        decode(&[0xC0, 0xC0]),
        Err(Error::TrailingBytes {
            offset: 1,
            count: 1
        })
    ));
    // Map keys must be strings.
    assert!(matches!(
        decode(&[0xA1, 0x01, 0x01]),
        Err(Error::UnexpectedType {
            expected: "string",
            offset: 1,
            ..
        })
    ));
    // Depth limit.
    let deep = vec![0x91; 100];
    assert!(matches!(
        decode(&deep),
        Err(Error::DepthLimitExceeded {
            limit: 64,
            offset: 64
        })
    ));
    assert!(matches!(
        decode_ref(&deep),
        Err(Error::DepthLimitExceeded { .. })
    ));
    assert!(matches!(
        Decoder::new(&deep).skip_value(),
        Err(Error::DepthLimitExceeded { .. })
    ));
    let mut ok = vec![0x91; 63];
    ok.push(0x90);
    assert!(decode(&ok).is_ok());
}

#[test]
fn typed_reads_do_not_consume_on_mismatch() {
    let mut d = Decoder::new(&[0x81, b'a']);
    assert!(matches!(
        d.read_int(),
        Err(Error::UnexpectedType {
            expected: "integer",
            found: packstream::Kind::String,
            offset: 0
        })
    ));
    assert_eq!(d.position(), 0);
    assert_eq!(d.read_str().unwrap(), "a");
    assert!(d.is_empty());
}

#[test]
fn map_duplicate_keys_last_wins() {
    // {"a": 1, "b": 2, "a": 3}
    let input = [0xA3, 0x81, b'a', 1, 0x81, b'b', 2, 0x81, b'a', 3];
    let m = decode(&input).unwrap();
    let m = m.as_map().unwrap();
    assert_eq!(m.len(), 2);
    assert_eq!(m.keys().collect::<Vec<_>>(), ["a", "b"]);
    assert_eq!(m.get("a"), Some(&Value::Integer(3)));
    let r = decode_ref(&input).unwrap();
    assert_eq!(r.get("a"), Some(&ValueRef::Integer(3)));
    // Large map with duplicates uses the hashed path.
    let mut big: Vec<(String, Value)> = (0..40).map(|i| (i.to_string(), i.into())).collect();
    big.push(("5".into(), Value::Null));
    let m: Map = big.into_iter().collect();
    assert_eq!(m.len(), 40);
    assert_eq!(m.get("5"), Some(&Value::Null));
    assert_eq!(m.keys().nth(5), Some("5"));
}

#[test]
fn encode_module_headers() {
    let mut buf = Vec::new();
    encode::write_list_header(&mut buf, 65536).unwrap();
    assert_eq!(buf, [0xD6, 0, 1, 0, 0]);
    buf.clear();
    encode::write_map_header(&mut buf, 255).unwrap();
    assert_eq!(buf, [0xD8, 0xFF]);
    buf.clear();
    encode::write_struct_header(&mut buf, 0x70, 1).unwrap();
    assert_eq!(buf, [0xB1, 0x70]);
}

#[test]
fn lying_nested_headers_do_not_blow_up_allocation() {
    // Each level claims u32::MAX-ish elements but only a few bytes are present.
    let mut input = Vec::new();
    for _ in 0..60 {
        input.extend_from_slice(&[0xD6, 0x00, 0x00, 0x10, 0x00]);
    }
    assert!(decode(&input).is_err());
    // Each level claims exactly as many elements as bytes remain.
    let mut input = Vec::new();
    for level in 0..60u32 {
        let rest = (60 - level - 1) * 5 + 4096;
        input.push(0xD6);
        input.extend_from_slice(&rest.to_be_bytes());
    }
    input.extend(std::iter::repeat_n(0u8, 4096));
    assert!(decode(&input).is_err());
}
