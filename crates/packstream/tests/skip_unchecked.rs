//! `Decoder::skip_value_unchecked`: the structure-only skip used to walk
//! bytes that were validated once already.

use packstream::{marker, Decoder, Error, Map, Structure, Value};

/// Skips the first value of `input`; returns where the cursor stopped.
fn skip_end(input: &[u8]) -> Result<usize, Error> {
    let mut d = Decoder::new(input);
    d.skip_value_unchecked()?;
    Ok(d.position())
}

#[test]
fn every_kind_is_skipped_to_its_end() {
    let mut m = Map::new();
    m.insert("a", 1);
    m.insert("b", vec![Value::Null, Value::Float(1.5)]);
    let values = [
        Value::Null,
        Value::Boolean(true),
        Value::Boolean(false),
        Value::Integer(-16),
        Value::Integer(127),
        Value::Integer(-100),
        Value::Integer(1000),
        Value::Integer(100_000),
        Value::Integer(1 << 40),
        Value::Float(-0.5),
        Value::Bytes(vec![7; 3]),
        Value::Bytes(vec![7; 300]),
        Value::Bytes(vec![7; 70_000]),
        Value::String("x".repeat(15)),
        Value::String("x".repeat(16)),
        Value::String("x".repeat(300)),
        Value::String("x".repeat(70_000)),
        Value::List(vec![Value::Integer(1); 20]),
        Value::List(vec![Value::Null; 300]),
        Value::Map(m),
        Value::Structure(Structure::new(0x4E, vec![Value::Integer(1), "x".into()])),
    ];
    for v in values {
        let mut bytes = v.to_bytes().unwrap();
        let len = bytes.len();
        bytes.push(0xC0); // something after it
        assert_eq!(skip_end(&bytes).unwrap(), len, "{v:?}");
    }
}

#[test]
fn legacy_structures_are_skipped() {
    // DC: u8 field count, tag, fields. DD: u16 field count.
    let s8 = [marker::STRUCT_8, 2, 0x4E, 0x01, 0x81, b'a', 0xC0];
    assert_eq!(skip_end(&s8).unwrap(), 6);
    let s16 = [marker::STRUCT_16, 0, 1, 0x4E, 0xC3, 0xC0];
    assert_eq!(skip_end(&s16).unwrap(), 5);
}

#[test]
fn strings_and_keys_are_not_checked() {
    // {"\xFF": "\xC3\x28"} then 1: invalid UTF-8 everywhere.
    let bad = [0xA1, 0x81, 0xFF, 0x82, 0xC3, 0x28, 0x01];
    assert!(Decoder::new(&bad).skip_value().is_err());
    assert_eq!(skip_end(&bad).unwrap(), 6);
    // A map whose key is an integer: structurally two values.
    let int_key = [0xA1, 0x01, 0x02];
    assert!(Decoder::new(&int_key).skip_value().is_err());
    assert_eq!(skip_end(&int_key).unwrap(), 3);
}

#[test]
fn deep_nesting_needs_no_stack() {
    // 1,000,000 nested one-element lists around null: far beyond any
    // recursion limit, skipped in a loop.
    let mut deep = vec![0x91; 1_000_000];
    deep.push(0xC0);
    assert!(Decoder::new(&deep).skip_value().is_err()); // depth limit
    assert_eq!(skip_end(&deep).unwrap(), deep.len());
}

#[test]
fn truncation_is_a_typed_error_and_the_cursor_stays() {
    let v = Value::List(vec![
        "abc".into(),
        Value::Integer(1 << 40),
        Value::Bytes(vec![1; 20]),
    ]);
    let bytes = v.to_bytes().unwrap();
    for cut in 0..bytes.len() {
        let mut d = Decoder::new(&bytes[..cut]);
        let err = d.skip_value_unchecked().unwrap_err();
        assert!(
            matches!(
                err,
                Error::UnexpectedEnd { .. } | Error::SizeExceedsInput { .. }
            ),
            "cut at {cut}: {err:?}"
        );
        assert_eq!(d.position(), 0);
    }
}

#[test]
fn lying_sizes_fail_fast() {
    // A list of u32::MAX elements, a map of u32::MAX entries (the count of
    // values left would be 2^33), a string of u32::MAX bytes.
    for input in [
        &[marker::LIST_32, 0xFF, 0xFF, 0xFF, 0xFF, 0x01][..],
        &[marker::MAP_32, 0xFF, 0xFF, 0xFF, 0xFF, 0x81, b'a', 0x01][..],
        &[marker::STRING_32, 0xFF, 0xFF, 0xFF, 0xFF, b'a'][..],
        &[marker::BYTES_32, 0xFF, 0xFF, 0xFF, 0xFF, 0x00][..],
    ] {
        let err = skip_end(input).unwrap_err();
        assert!(
            matches!(
                err,
                Error::UnexpectedEnd { .. } | Error::SizeExceedsInput { .. }
            ),
            "{input:?}: {err:?}"
        );
    }
}

#[test]
fn reserved_markers_are_named_with_their_offset() {
    let err = skip_end(&[0x92, 0x01, 0xC4]).unwrap_err();
    assert!(
        matches!(
            err,
            Error::UnknownMarker {
                marker: 0xC4,
                offset: 2
            }
        ),
        "{err:?}"
    );
    for m in [
        0xC4, 0xC5, 0xC6, 0xC7, 0xCF, 0xD3, 0xD7, 0xDB, 0xDE, 0xDF, 0xE0, 0xEF,
    ] {
        assert!(
            matches!(skip_end(&[m]), Err(Error::UnknownMarker { .. })),
            "{m:#X}"
        );
    }
}

#[test]
fn an_empty_input_is_an_unexpected_end() {
    assert!(matches!(
        skip_end(&[]),
        Err(Error::UnexpectedEnd { offset: 0, .. })
    ));
}
