#![allow(missing_docs)] // criterion_group! generates undocumented items
//! Framing + decoding of 1M RECORD messages: `RECORD [int]` and
//! `RECORD [{5 keys}]`, through the owned path (`Response::decode`), the
//! borrowed path (`RecordView::values`) and straight typed reads.
//!
//! Run briefly: `cargo bench -p bolt-proto --bench records -- --warm-up-time 1 --measurement-time 3`

use bolt_proto::framing::{ChunkDecoder, ChunkEncoder};
use bolt_proto::message::{encode_record, RecordView, Response, ResponseRef};
use bolt_proto::Version;
use bytes::BytesMut;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use packstream::{Map, Value};

const N: usize = 1_000_000;

fn wire(fields: &[Value]) -> BytesMut {
    let enc = ChunkEncoder::new();
    let mut body = Vec::new();
    encode_record(fields, &mut body).unwrap();
    let mut out = BytesMut::with_capacity(N * (body.len() + 4));
    for _ in 0..N {
        enc.write_body(&mut out, &body).unwrap();
    }
    out
}

fn map_record() -> Vec<Value> {
    let mut m = Map::new();
    m.insert("id", 12345);
    m.insert("name", "Alice Smith");
    m.insert("age", 42);
    m.insert("score", 98.5);
    m.insert("active", true);
    vec![Value::Map(m)]
}

fn bench(c: &mut Criterion) {
    let v = Version::V5_4;
    for (name, fields) in [("int", vec![Value::Integer(7)]), ("map5", map_record())] {
        let src = wire(&fields);
        let mut g = c.benchmark_group(format!("1M RECORD [{name}]"));
        g.sample_size(10);
        g.throughput(Throughput::Elements(N as u64));
        g.bench_function("frame only", |b| {
            b.iter_batched(
                || src.clone(),
                |mut buf| {
                    let mut dec = ChunkDecoder::new();
                    let mut n = 0;
                    while let Some(body) = dec.decode(&mut buf).unwrap() {
                        n += body.len();
                    }
                    n
                },
                BatchSize::LargeInput,
            )
        });
        g.bench_function("frame + Response::decode (owned)", |b| {
            b.iter_batched(
                || src.clone(),
                |mut buf| {
                    let mut dec = ChunkDecoder::new();
                    let mut n = 0;
                    while let Some(body) = dec.decode(&mut buf).unwrap() {
                        if let Response::Record(r) = Response::decode(&body, v).unwrap() {
                            n += r.fields.len();
                        }
                    }
                    assert_eq!(n, N);
                },
                BatchSize::LargeInput,
            )
        });
        g.bench_function("frame + ResponseRef + values (borrowed)", |b| {
            b.iter_batched(
                || src.clone(),
                |mut buf| {
                    let mut dec = ChunkDecoder::new();
                    let mut n = 0;
                    while let Some(body) = dec.decode(&mut buf).unwrap() {
                        if let ResponseRef::Record(r) = ResponseRef::decode(&body, v).unwrap() {
                            n += r.values().unwrap().len();
                        }
                    }
                    assert_eq!(n, N);
                },
                BatchSize::LargeInput,
            )
        });
        if name == "int" {
            g.bench_function("frame + RecordView + read_int (typed)", |b| {
                b.iter_batched(
                    || src.clone(),
                    |mut buf| {
                        let mut dec = ChunkDecoder::new();
                        let mut sum = 0i64;
                        while let Some(body) = dec.decode(&mut buf).unwrap() {
                            let view = RecordView::decode(&body).unwrap();
                            sum += view.decoder().read_int().unwrap();
                        }
                        assert_eq!(sum, 7 * N as i64);
                    },
                    BatchSize::LargeInput,
                )
            });
        }
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
