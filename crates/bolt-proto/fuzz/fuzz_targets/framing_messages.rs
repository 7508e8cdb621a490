//! An arbitrary chunked stream through the chunk decoder, each message body
//! into the message decoders: no panic, no hang.
#![no_main]

use bolt_proto::framing::ChunkDecoder;
use bolt_proto::message::{Request, ResponseRef};
use bolt_proto::Version;
use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, stream)) = data.split_first() else {
        return;
    };
    let v = Version::ALL[sel as usize % Version::ALL.len()];
    let mut dec = ChunkDecoder::with_max_message_size(1 << 16);
    // Feed in pieces of varying size to exercise partial chunks.
    let step = 1 + (sel as usize % 7);
    let mut buf = BytesMut::new();
    for piece in stream.chunks(step) {
        buf.extend_from_slice(piece);
        loop {
            match dec.decode(&mut buf) {
                Ok(Some(body)) => {
                    let _ = Request::decode(&body, v);
                    let _ = ResponseRef::decode(&body, v).map(|r| {
                        if let ResponseRef::Record(view) = r {
                            let _ = view.values();
                        }
                    });
                }
                Ok(None) => break,
                Err(_) => return,
            }
        }
    }
    let _ = dec.decode_eof(&mut buf);
});
