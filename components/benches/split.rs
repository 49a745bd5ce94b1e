//! Time to split one large traces payload into batches of 10 spans, at
//! three sizes: linear splitting costs the same per span at every size,
//! where quadratic copying (each piece re-copying the rest) would grow
//! with the payload. This replaced a test that asserted a duration.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use solder_components::otlp::proto::trace::v1::{ResourceSpans, ScopeSpans, Span};
use solder_components::otlp::proto::ExportTraceServiceRequest;
use solder_components::otlp::split::split;
use solder_components::otlp::Encoded;

fn payload(spans: usize) -> Encoded<ExportTraceServiceRequest> {
    let spans = (0..spans).map(|i| Span { name: format!("GET /item/{i}"), span_id: vec![1; 8], trace_id: vec![2; 16], ..Default::default() }).collect();
    let scope = ScopeSpans { spans, ..Default::default() };
    Encoded::from_message(ExportTraceServiceRequest { resource_spans: vec![ResourceSpans { scope_spans: vec![scope], ..Default::default() }] })
}

fn splitting(c: &mut Criterion) {
    let mut group = c.benchmark_group("split_into_10_span_pieces");
    group.sample_size(10);
    for spans in [2_000, 20_000, 200_000] {
        let data = payload(spans);
        group.throughput(Throughput::Elements(spans as u64));
        group.bench_with_input(BenchmarkId::from_parameter(spans), &data, |b, data| {
            b.iter(|| {
                // Pieces are cut as they are asked for: count them, one alive at a time.
                let pieces = split(data, 10, 10).expect("the payload is valid").count();
                assert_eq!(pieces, spans / 10);
            })
        });
    }
    group.finish();
}

criterion_group!(benches, splitting);
criterion_main!(benches);
