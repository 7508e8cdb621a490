//! The scripted Bolt server of these tests ([`bolt_stub`]) and the answers
//! they usually want from it.

#![allow(dead_code, unused_imports)]

pub use bolt_stub::*;

use bolt_proto::message::{Request, RequestKind};

/// The usual answers: HELLO/INIT (server agent `Stub/1.0`, connection id
/// `stub-<n>`), RUN (`fields: ["n"]`), PULL (one record `1`), GOODBYE
/// closes, everything else SUCCESS {}.
pub fn default_answer(conn: usize, req: &Request) -> Action {
    match req.kind() {
        RequestKind::Hello | RequestKind::Init => Action::Reply(vec![success(&[
            ("server", "Stub/1.0".into()),
            ("connection_id", format!("stub-{conn}").into()),
        ])]),
        RequestKind::Run => Action::Reply(vec![success(&[("fields", vec!["n"].into())])]),
        RequestKind::Pull => Action::Reply(vec![record(1), ok()]),
        RequestKind::Goodbye => Action::Close,
        _ => Action::Reply(vec![ok()]),
    }
}
