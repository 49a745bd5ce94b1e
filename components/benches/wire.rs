//! The receiver's hot path per request: validating and counting an OTLP
//! payload on the wire (`wire::validate`), against decoding it with prost
//! (what a receiver that decodes would pay), on realistic spans.
//!
//! `cargo bench -p solder-components --bench wire`

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use prost::Message;
use solder_components::otlp::proto::ExportTraceServiceRequest;
use solder_components::otlp::{synthetic, wire, Signal};

fn bench(c: &mut Criterion) {
    let bytes = synthetic::request(7, 500).encode_to_vec();
    let mut g = c.benchmark_group("traces_500_spans");
    g.throughput(Throughput::Elements(500));
    g.bench_function("wire_validate", |b| b.iter(|| wire::validate(Signal::Traces, std::hint::black_box(&bytes))));
    g.bench_function("prost_decode", |b| b.iter(|| ExportTraceServiceRequest::decode(std::hint::black_box(bytes.as_slice()))));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
