//! Decoding RECORD fields into `neo4j::Value`: 1M records of `[int]` and
//! 100k of `[{5-key map}]`, straight from PackStream bytes.
//!
//! Run briefly: `cargo bench -p neo4j --bench records -- --warm-up-time 1 --measurement-time 3`

#![allow(missing_docs)] // criterion_group! generates an undocumented function

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use neo4j::__bench::{decode_record_fields, encode_value, StructCtx};
use neo4j::{Value, ValueMap};

fn fields(values: &[Value], ctx: StructCtx) -> Vec<u8> {
    let mut buf = Vec::new();
    packstream::encode::write_list_header(&mut buf, values.len()).unwrap();
    for v in values {
        encode_value(&mut buf, v, ctx).unwrap();
    }
    buf
}

fn bench(c: &mut Criterion) {
    let ctx = StructCtx::new(bolt_proto::Version::V5_4);
    let map: ValueMap = [
        ("id", Value::from(12345)),
        ("name", "Alice Smith".into()),
        ("age", 42.into()),
        ("score", 98.5.into()),
        ("active", true.into()),
    ]
    .into_iter()
    .collect();
    for (name, n, values) in [
        ("1M RECORD [int]", 1_000_000u64, vec![Value::from(7)]),
        ("100k RECORD [map5]", 100_000, vec![Value::Map(map)]),
    ] {
        let bytes = fields(&values, ctx);
        let mut g = c.benchmark_group(name);
        g.sample_size(10);
        g.throughput(Throughput::Elements(n));
        g.bench_function("decode_record_fields", |b| {
            b.iter(|| {
                let mut total = 0;
                for _ in 0..n {
                    total += decode_record_fields(std::hint::black_box(&bytes), ctx)
                        .unwrap()
                        .len();
                }
                total
            })
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
