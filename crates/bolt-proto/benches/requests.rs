#![allow(missing_docs)] // criterion_group! generates undocumented items
//! Writing one auto-commit RUN (3 parameters, a bookmark, a database) as
//! the client sends it, framed: the owned way the facade uses today (a
//! reused `Request::Run` filled in place, parameters pre-encoded into an
//! `EncodedMap`, which re-scans them) against the borrowed writer
//! (`message::frontend::run`, parameters written in place by a closure),
//! framed through the encoder's scratch buffer (as bolt-pool's `queue` and
//! `queue_with` do into their `BytesMut`) or in place in a `Vec`.
//!
//! Run briefly: `cargo bench -p bolt-proto --bench requests -- --warm-up-time 1 --measurement-time 3`
//!
//! Instruction counts (steadier than time on a shared machine): set
//! `BOLT_BENCH_CASE` (`owned`, `owned_map`, `borrowed` or
//! `borrowed_in_place`) and
//! `BOLT_BENCH_ITERS`, and the binary only runs that case so many times,
//! e.g. under `valgrind --tool=callgrind`; the difference between two
//! iteration counts divided by their difference is the cost of one.

use std::hint::black_box;

use bolt_proto::framing::{ChunkEncoder, FramingError};
use bolt_proto::message::frontend::{self, TxMeta};
use bolt_proto::message::{AccessMode, EncodeError, EncodedMap, Request, Run, TxExtra};
use bolt_proto::Version;
use bytes::BytesMut;
use criterion::{criterion_group, Criterion};
use packstream::encode::{write_int, write_map_header, write_string};

const QUERY: &str = "MATCH (p:Person {name: $name}) WHERE p.age > $age RETURN p LIMIT $limit";
const V: Version = Version::V5_8;

/// The caller's parameters, in the caller's own types.
struct Params {
    name: String,
    age: i64,
    limit: i64,
}

/// The caller's encoder of its parameters (as the facade's
/// `encode_params` writes a `Params` map).
fn write_params(buf: &mut Vec<u8>, p: &Params) -> Result<(), packstream::Error> {
    write_map_header(buf, 3)?;
    write_string(buf, "name")?;
    write_string(buf, &p.name)?;
    write_string(buf, "age")?;
    write_int(buf, p.age);
    write_string(buf, "limit")?;
    write_int(buf, p.limit);
    Ok(())
}

enum Failed {
    #[allow(dead_code)]
    Encode(EncodeError),
    #[allow(dead_code)]
    Framing(FramingError),
}

impl From<EncodeError> for Failed {
    fn from(e: EncodeError) -> Self {
        Failed::Encode(e)
    }
}

impl From<FramingError> for Failed {
    fn from(e: FramingError) -> Self {
        Failed::Framing(e)
    }
}

impl From<packstream::Error> for Failed {
    fn from(e: packstream::Error) -> Self {
        Failed::Encode(e.into())
    }
}

/// What one session keeps between queries.
struct Session {
    params: Params,
    bookmarks: Vec<String>,
    db: String,
}

fn session() -> Session {
    Session {
        params: Params {
            name: "Alice Smith".into(),
            age: 42,
            limit: 10,
        },
        bookmarks: vec!["FB:kcwQy4vA3X2sSgWa9qZ6sEnnL2+Q".into()],
        db: "neo4j".into(),
    }
}

/// Today's facade path: the connection's RUN reused and filled in place
/// (strings overwritten), the parameters encoded into an `EncodedMap`
/// (allocated and re-scanned), the text lent in and taken back.
fn owned(
    s: &Session,
    text: &mut String,
    req: &mut Request,
    enc: &mut ChunkEncoder,
    out: &mut BytesMut,
) {
    let Request::Run(run) = req else {
        unreachable!()
    };
    run.tx.bookmarks.truncate(s.bookmarks.len());
    for (to, from) in run.tx.bookmarks.iter_mut().zip(&s.bookmarks) {
        to.clone_from(from);
    }
    let kept = run.tx.bookmarks.len();
    run.tx.bookmarks.extend(s.bookmarks[kept..].iter().cloned());
    match &mut run.tx.db {
        Some(d) if *d == s.db => {}
        d => *d = Some(s.db.clone()),
    }
    run.tx.mode = AccessMode::Write;
    let mut p = Vec::with_capacity(16 + 16 * 3);
    let _ = write_params(&mut p, &s.params);
    run.encoded_parameters = EncodedMap::new(p).ok();
    run.query = std::mem::take(text);
    let r = enc.write_message(out, |b| req.encode(V, b).map_err(Failed::from));
    if let Request::Run(run) = req {
        *text = std::mem::take(&mut run.query);
        run.encoded_parameters = None;
    }
    let _ = black_box(r);
}

/// The owned message built each time with a `packstream::Map` (the
/// simplest owned use: stub servers, TestKit).
fn owned_map(s: &Session, enc: &mut ChunkEncoder, out: &mut BytesMut) {
    let mut run = Run::new(QUERY);
    run.parameters.insert("name", s.params.name.as_str());
    run.parameters.insert("age", s.params.age);
    run.parameters.insert("limit", s.params.limit);
    run.tx = TxExtra {
        bookmarks: s.bookmarks.clone(),
        db: Some(s.db.clone()),
        ..TxExtra::default()
    };
    let req = Request::Run(run);
    let _ = black_box(enc.write_message(out, |b| req.encode(V, b).map_err(Failed::from)));
}

/// The borrowed writer: everything borrowed, parameters written in place.
fn borrowed(s: &Session, text: &str, enc: &mut ChunkEncoder, out: &mut BytesMut) {
    let tx = TxMeta {
        bookmarks: (&s.bookmarks).into(),
        db: Some(&s.db),
        ..TxMeta::default()
    };
    let r = enc.write_message(out, |b| {
        frontend::run::<Failed>(text, |b| Ok(write_params(b, &s.params)?), &tx, V, b)
    });
    let _ = black_box(r);
}

/// The borrowed writer framed in place (`ChunkEncoder::write_message_vec`
/// back-patching the chunk header in a `Vec` output), no scratch copy.
fn borrowed_in_place(s: &Session, text: &str, enc: &ChunkEncoder, out: &mut Vec<u8>) {
    let tx = TxMeta {
        bookmarks: (&s.bookmarks).into(),
        db: Some(&s.db),
        ..TxMeta::default()
    };
    let r = enc.write_message_vec(out, |b| {
        frontend::run::<Failed>(text, |b| Ok(write_params(b, &s.params)?), &tx, V, b)
    });
    let _ = black_box(r);
}

/// Runs `case` `iters` times (for instruction counts).
fn count(case: &str, iters: u64) {
    let s = session();
    let mut enc = ChunkEncoder::new();
    let mut out = BytesMut::with_capacity(4096);
    let mut text = QUERY.to_owned();
    let mut req = Request::Run(Run::default());
    let mut vec_out = Vec::with_capacity(4096);
    for _ in 0..iters {
        out.clear();
        vec_out.clear();
        match case {
            "owned" => owned(&s, &mut text, &mut req, &mut enc, &mut out),
            "owned_map" => owned_map(&s, &mut enc, &mut out),
            "borrowed" => borrowed(&s, &text, &mut enc, &mut out),
            "borrowed_in_place" => borrowed_in_place(&s, &text, &enc, &mut vec_out),
            other => panic!("unknown case {other}"),
        }
        black_box(&out);
    }
}

fn bench(c: &mut Criterion) {
    let s = session();
    let mut enc = ChunkEncoder::new();
    let mut out = BytesMut::with_capacity(4096);
    // Both ways write the same bytes.
    let mut text = QUERY.to_owned();
    let mut req = Request::Run(Run::default());
    owned(&s, &mut text, &mut req, &mut enc, &mut out);
    let a = out.split().freeze();
    borrowed(&s, &text, &mut enc, &mut out);
    assert_eq!(a, out.split().freeze());
    let mut vec_out = Vec::with_capacity(4096);
    borrowed_in_place(&s, &text, &enc, &mut vec_out);
    assert_eq!(a[..], vec_out[..]);

    let mut g = c.benchmark_group("run_3_params");
    g.bench_function("owned_filled_in_place", |b| {
        b.iter(|| {
            out.clear();
            owned(&s, &mut text, &mut req, &mut enc, &mut out)
        })
    });
    g.bench_function("owned_map_built", |b| {
        b.iter(|| {
            out.clear();
            owned_map(&s, &mut enc, &mut out)
        })
    });
    g.bench_function("borrowed_writer", |b| {
        b.iter(|| {
            out.clear();
            borrowed(&s, &text, &mut enc, &mut out)
        })
    });
    g.bench_function("borrowed_writer_in_place", |b| {
        b.iter(|| {
            vec_out.clear();
            borrowed_in_place(&s, &text, &enc, &mut vec_out)
        })
    });
    g.finish();
}

criterion_group!(benches, bench);

fn main() {
    if let (Ok(case), Ok(iters)) = (
        std::env::var("BOLT_BENCH_CASE"),
        std::env::var("BOLT_BENCH_ITERS"),
    ) {
        count(&case, iters.parse().expect("BOLT_BENCH_ITERS: a number"));
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
