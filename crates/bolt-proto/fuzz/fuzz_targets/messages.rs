//! Arbitrary message bodies into every decoder, for every version: no panic,
//! and whatever decodes re-encodes and decodes to the same message.
#![no_main]

use bolt_proto::message::{Request, Response, ResponseRef};
use bolt_proto::structure::{BoltStruct, StructCtx};
use bolt_proto::Version;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, body)) = data.split_first() else {
        return;
    };
    let v = Version::ALL[sel as usize % Version::ALL.len()];
    if let Ok(req) = Request::decode(body, v) {
        let mut buf = Vec::new();
        if req.encode(v, &mut buf).is_ok() {
            assert_eq!(Request::decode(&buf, v).ok().as_ref(), Some(&req));
        }
    }
    if let Ok(rsp) = Response::decode(body, v) {
        if let Response::Record(r) = &rsp {
            let ctx = StructCtx::new(v).with_utc_patch(sel & 0x80 != 0);
            for f in &r.fields {
                let _ = BoltStruct::from_value(f, ctx);
            }
        }
    }
    if let Ok(ResponseRef::Record(view)) = ResponseRef::decode(body, v) {
        let _ = view.values();
    }
});
