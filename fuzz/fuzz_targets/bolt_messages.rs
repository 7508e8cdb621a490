//! Decoding every message kind from arbitrary bytes, both sides, at every
//! protocol version: responses (owned and borrowed), requests, RECORD
//! fields into bolt-proto structures and into the driver's own values.
//!
//! Input: byte 0 picks the version (bit 7: the 4.x UTC patch), the rest is
//! one message body. Nothing may panic; the owned and borrowed response
//! decoders must agree, and what decodes re-encodes stably.

#![no_main]

use bolt_proto::message::{Request, Response, ResponseRef, SuccessRef};
use bolt_proto::{BoltStruct, StructCtx, Version};
use libfuzzer_sys::fuzz_target;
use packstream::Value;

fn encode_response(r: &Response, version: Version) -> Option<Vec<u8>> {
    let mut buf = Vec::new();
    r.encode(version, &mut buf).ok().map(|()| buf)
}

fn encode_request(r: &Request, version: Version) -> Option<Vec<u8>> {
    let mut buf = Vec::new();
    r.encode(version, &mut buf).ok().map(|()| buf)
}

fn touch_success(s: &SuccessRef<'_>) {
    let _ = (
        s.has_more(),
        s.fields(),
        s.qid(),
        s.bookmark(),
        s.db(),
        s.is_empty(),
    );
    let _ = (s.get("t_first"), s.int("t_last"), s.string("server"));
    let owned = s.to_success();
    let _ = (
        owned.server(),
        owned.connection_id(),
        owned.patch_bolt(),
        owned.fields(),
    );
    let again = SuccessRef::from_map_bytes(s.raw()).expect("a SUCCESS's own map reads back");
    assert_eq!(again.raw(), s.raw());
}

fn touch_structures(v: &Value, ctx: StructCtx, depth: usize) {
    if depth > 8 {
        return;
    }
    let _ = BoltStruct::from_value(v, ctx);
    match v {
        Value::List(items) => items
            .iter()
            .for_each(|i| touch_structures(i, ctx, depth + 1)),
        Value::Map(m) => m.values().for_each(|i| touch_structures(i, ctx, depth + 1)),
        Value::Structure(s) => s
            .fields
            .iter()
            .for_each(|i| touch_structures(i, ctx, depth + 1)),
        _ => {}
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let all = Version::ALL;
    let version = all[usize::from(pick & 0x7F) % all.len()];
    let ctx = StructCtx::new(version).with_utc_patch(pick & 0x80 != 0);

    // Client side: responses.
    let owned = Response::decode(body, version);
    let borrowed = ResponseRef::decode(body, version);
    if let Ok(resp) = &owned {
        let r = borrowed
            .as_ref()
            .unwrap_or_else(|e| panic!("Response decodes but ResponseRef fails: {e:?}"));
        assert_eq!(r.kind(), resp.kind(), "owned and borrowed kinds differ");
        if let (ResponseRef::Record(view), Response::Record(rec)) = (r, resp) {
            let vals = view
                .to_owned_values()
                .expect("a decodable RECORD's fields read");
            assert_eq!(vals.len(), rec.fields.len());
            for (a, b) in vals.iter().zip(&rec.fields) {
                assert_eq!(a.to_bytes().ok(), b.to_bytes().ok(), "record fields differ");
            }
            for f in &rec.fields {
                touch_structures(f, ctx, 0);
            }
        }
        if let Some(bytes) = encode_response(resp, version) {
            let back = Response::decode(&bytes, version)
                .unwrap_or_else(|e| panic!("our own {:?} does not decode: {e:?}", resp.kind()));
            assert_eq!(
                encode_response(&back, version),
                Some(bytes),
                "unstable re-encoding"
            );
        }
    }
    match &borrowed {
        Ok(ResponseRef::Success(s)) => touch_success(s),
        Ok(ResponseRef::Record(view)) => {
            let _ = (view.len(), view.is_empty(), view.values());
            view.iter().take(256).for_each(drop);
        }
        Ok(ResponseRef::Failure(f)) => {
            let _ = f.has_gql_fields();
        }
        _ => {}
    }

    // The driver's RECORD decoding (structures hydrated per version).
    let fields = match body {
        [0xB1, 0x71, rest @ ..] => rest,
        _ => body,
    };
    let _ = neo4j::__bench::decode_record_fields(fields, ctx);

    // Server side: requests.
    if let Ok(req) = Request::decode(body, version) {
        let _ = req.kind();
        if let Some(bytes) = encode_request(&req, version) {
            let back = Request::decode(&bytes, version)
                .unwrap_or_else(|e| panic!("our own {:?} does not decode: {e:?}", req.kind()));
            assert_eq!(
                encode_request(&back, version),
                Some(bytes),
                "unstable re-encoding"
            );
        }
    }
});
