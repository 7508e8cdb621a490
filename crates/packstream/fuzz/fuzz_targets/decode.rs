//! Feeds arbitrary bytes to every decoding entry point: none may panic, and
//! whatever decodes must re-encode to bytes that decode to the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use packstream::{decode, decode_ref, from_slice, Decoder, Value, ValueRef};

#[derive(serde::Deserialize)]
#[allow(dead_code)]
struct Record<'a> {
    id: i64,
    name: &'a str,
    tags: Vec<String>,
    nested: Option<Box<Record<'a>>>,
    e: Option<E>,
}

#[derive(serde::Deserialize)]
#[allow(dead_code)]
enum E {
    A,
    B(i32),
    C { x: u8 },
}

fuzz_target!(|data: &[u8]| {
    let owned = decode(data);
    let borrowed = decode_ref(data);
    assert_eq!(owned.is_ok(), borrowed.is_ok());
    if let (Ok(v), Ok(r)) = (&owned, &borrowed) {
        let from_ref = r.to_owned_value();
        // NaN-free comparison through bytes.
        assert_eq!(v.to_bytes().ok(), from_ref.to_bytes().ok());
        if let Ok(again) = v.to_bytes() {
            assert_eq!(decode(&again).unwrap().to_bytes().unwrap(), again);
        }
    }
    let mut d = Decoder::new(data);
    while d.skip_value().is_ok() && !d.is_empty() {}
    let _ = from_slice::<Value>(data);
    let _ = from_slice::<ValueRef<'_>>(data);
    let _ = from_slice::<Record<'_>>(data);
});
