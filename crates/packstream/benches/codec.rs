//! Encode/decode throughput: 1M small integers and 100k five-key records.
//!
//! Run briefly: `cargo bench -p packstream -- --warm-up-time 1 --measurement-time 3`.
//! Throughput is reported in elements (values or records) per second; the
//! encoded sizes are printed once so MB/s follows.

#![allow(missing_docs)] // criterion_group! generates an undocumented pub fn

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use packstream::{encode, from_slice, Decoder, Deserializer, Map, Value};
use serde::{Deserialize, Serialize};

const INTS: usize = 1_000_000;
const RECORDS: usize = 100_000;

/// Small integers: -64..192, so TINY_INT, INT_8 and INT_16 all occur.
fn ints() -> Vec<i64> {
    (0..INTS).map(|i| (i % 256) as i64 - 64).collect()
}

#[derive(Debug, Serialize, Deserialize)]
struct Record {
    id: i64,
    name: String,
    score: f64,
    tags: Vec<String>,
    active: bool,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct RecordRef<'a> {
    id: i64,
    name: &'a str,
    score: f64,
    #[serde(borrow)]
    tags: Vec<&'a str>,
    active: bool,
}

fn records() -> Vec<Record> {
    (0..RECORDS)
        .map(|i| Record {
            id: i as i64 * 7919,
            name: format!("person-{i}"),
            score: i as f64 * 0.5,
            tags: (0..2 + i % 2).map(|t| format!("tag{t}")).collect(),
            active: i % 3 == 0,
        })
        .collect()
}

fn record_values(recs: &[Record]) -> Vec<Value> {
    recs.iter()
        .map(|r| {
            let mut m = Map::with_capacity(5);
            m.insert("id", r.id);
            m.insert("name", r.name.as_str());
            m.insert("score", r.score);
            m.insert("tags", r.tags.clone());
            m.insert("active", r.active);
            Value::Map(m)
        })
        .collect()
}

fn bench_ints(c: &mut Criterion) {
    let ints = ints();
    let list = Value::List(ints.iter().copied().map(Value::Integer).collect());
    let bytes = list.to_bytes().unwrap();
    eprintln!(
        "ints: {INTS} values, {} bytes encoded ({:.2} bytes/value)",
        bytes.len(),
        bytes.len() as f64 / INTS as f64
    );
    let mut g = c.benchmark_group("ints_1M");
    g.throughput(Throughput::Elements(INTS as u64));
    g.sample_size(20);

    g.bench_function("decode/decoder_read_int", |b| {
        b.iter(|| {
            let mut d = Decoder::new(black_box(&bytes));
            let n = d.read_list_header().unwrap();
            let mut sum = 0i64;
            for _ in 0..n {
                sum = sum.wrapping_add(d.read_int().unwrap());
            }
            black_box(sum)
        })
    });
    g.bench_function("decode/owned_value", |b| {
        b.iter(|| black_box(packstream::decode(black_box(&bytes)).unwrap()))
    });
    g.bench_function("decode/borrowed_value_ref", |b| {
        b.iter(|| black_box(packstream::decode_ref(black_box(&bytes)).unwrap()))
    });
    g.bench_function("decode/serde_vec_i64", |b| {
        b.iter(|| black_box(from_slice::<Vec<i64>>(black_box(&bytes)).unwrap()))
    });
    g.bench_function("encode/write_int", |b| {
        let mut buf = Vec::with_capacity(bytes.len());
        b.iter(|| {
            buf.clear();
            encode::write_list_header(&mut buf, ints.len()).unwrap();
            for &i in black_box(&ints) {
                encode::write_int(&mut buf, i);
            }
            black_box(buf.len())
        })
    });
    g.bench_function("encode/value", |b| {
        let mut buf = Vec::with_capacity(bytes.len());
        b.iter(|| {
            buf.clear();
            black_box(&list).encode(&mut buf).unwrap();
            black_box(buf.len())
        })
    });
    g.bench_function("encode/serde_vec_i64", |b| {
        b.iter(|| black_box(packstream::to_vec(black_box(&ints)).unwrap()))
    });
    g.finish();
}

fn bench_records(c: &mut Criterion) {
    let recs = records();
    let values = record_values(&recs);
    // A stream of records, one map after another (as in Bolt RECORD messages).
    let mut bytes = Vec::new();
    for v in &values {
        v.encode(&mut bytes).unwrap();
    }
    eprintln!(
        "records: {RECORDS} records, {} bytes encoded ({:.1} bytes/record)",
        bytes.len(),
        bytes.len() as f64 / RECORDS as f64
    );
    let mut g = c.benchmark_group("records_100k");
    g.throughput(Throughput::Elements(RECORDS as u64));
    g.sample_size(20);

    g.bench_function("decode/owned_value", |b| {
        b.iter(|| {
            let mut d = Decoder::new(black_box(&bytes));
            let mut n = 0usize;
            while !d.is_empty() {
                black_box(d.read_value().unwrap());
                n += 1;
            }
            n
        })
    });
    g.bench_function("decode/owned_value_collect_all", |b| {
        b.iter_batched(
            || Vec::with_capacity(RECORDS),
            |mut out: Vec<Value>| {
                let mut d = Decoder::new(black_box(&bytes));
                while !d.is_empty() {
                    out.push(d.read_value().unwrap());
                }
                out
            },
            BatchSize::LargeInput,
        )
    });
    g.bench_function("decode/borrowed_value_ref", |b| {
        b.iter(|| {
            let mut d = Decoder::new(black_box(&bytes));
            let mut n = 0usize;
            while !d.is_empty() {
                black_box(d.read_value_ref().unwrap());
                n += 1;
            }
            n
        })
    });
    g.bench_function("decode/serde_struct_owned", |b| {
        b.iter(|| {
            let mut de = Deserializer::new(black_box(&bytes));
            for _ in 0..RECORDS {
                black_box(Record::deserialize(&mut de).unwrap());
            }
        })
    });
    g.bench_function("decode/serde_struct_borrowed", |b| {
        b.iter(|| {
            let mut de = Deserializer::new(black_box(&bytes));
            for _ in 0..RECORDS {
                black_box(RecordRef::deserialize(&mut de).unwrap());
            }
        })
    });
    g.bench_function("decode/skip", |b| {
        b.iter(|| {
            let mut d = Decoder::new(black_box(&bytes));
            while !d.is_empty() {
                d.skip_value().unwrap();
            }
        })
    });
    g.bench_function("encode/value", |b| {
        let mut buf = Vec::with_capacity(bytes.len());
        b.iter(|| {
            buf.clear();
            for v in black_box(&values) {
                v.encode(&mut buf).unwrap();
            }
            black_box(buf.len())
        })
    });
    g.bench_function("encode/serde_struct", |b| {
        let mut buf = Vec::with_capacity(bytes.len());
        b.iter(|| {
            buf.clear();
            let mut ser = packstream::Serializer::new(&mut buf);
            for r in black_box(&recs) {
                r.serialize(&mut ser).unwrap();
            }
            black_box(buf.len())
        })
    });
    g.finish();
}

criterion_group!(benches, bench_ints, bench_records);
criterion_main!(benches);
