//! `otelcol.connector.spanmetrics`' hot path: folding realistic spans
//! (five services, five routes, 5% errors) into series with four
//! dimensions. The budget is 100 ns per span; criterion's throughput line
//! reads as spans per second. `spanmetrics/aggregate` walks 4000 decoded
//! spans (megabytes, past the CPU caches); `decode_and_aggregate` minus
//! `decode_only` is the cost on spans just decoded, as in the component;
//! `spanmetrics_one_payload` is one payload whose spans are in cache.
//!
//! `cargo bench -p solder-components --bench spanmetrics`

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use prost::Message;
use solder_components::otelcol::connector::spanmetrics::aggregate::{Aggregator, Config, Dimension};
use solder_components::otlp::proto::ExportTraceServiceRequest;
use solder_components::otlp::synthetic;

const SPANS: usize = 500;
const REQUESTS: u64 = 8;

fn config() -> Config {
    let dim = |name: &str, default: Option<&str>| Dimension { name: name.into(), default: default.map(Into::into) };
    Config {
        namespace: "traces.span.metrics".into(),
        dimensions: vec![
            dim("http.request.method", None),
            dim("http.route", None),
            dim("http.response.status_code", None),
            dim("peer.service", Some("none")),
        ],
        keep: [true; 4],
        bounds: Some(vec![2.0, 4.0, 6.0, 8.0, 10.0, 50.0, 100.0, 200.0, 400.0, 800.0, 1000.0, 1400.0, 2000.0, 5000.0, 10000.0, 15000.0]),
        exponential: None,
        unit: "ms",
        delta: false,
        events: None,
        include_scope: Vec::new(),
        resource_keys: Vec::new(),
        exemplars: None,
        expiration: 0,
        cardinality_limit: 0,
    }
}

fn bench(c: &mut Criterion) {
    let requests: Vec<ExportTraceServiceRequest> = (0..REQUESTS).map(|seed| synthetic::request(seed, SPANS)).collect();
    let encoded: Vec<Vec<u8>> = requests.iter().map(Message::encode_to_vec).collect();
    let mut g = c.benchmark_group("spanmetrics");
    g.throughput(Throughput::Elements(REQUESTS * SPANS as u64));
    // Steady state: every series already exists, as after the first
    // seconds of a real agent's life.
    let mut agg = Aggregator::new(config());
    for r in &requests {
        agg.aggregate(r, 1);
    }
    g.bench_function("aggregate_4_dimensions", |b| {
        b.iter(|| {
            for r in &requests {
                agg.aggregate(std::hint::black_box(r), 2);
            }
        })
    });
    g.bench_function("decode_only", |b| {
        b.iter(|| {
            for bytes in &encoded {
                let _ = std::hint::black_box(ExportTraceServiceRequest::decode(std::hint::black_box(bytes.as_slice())));
            }
        })
    });
    let mut agg = Aggregator::new(config());
    g.bench_function("decode_and_aggregate_4_dimensions", |b| {
        b.iter(|| {
            for bytes in &encoded {
                if let Ok(r) = ExportTraceServiceRequest::decode(std::hint::black_box(bytes.as_slice())) {
                    agg.aggregate(&r, 2);
                }
            }
        })
    });
    g.finish();
    // One 500-span request, as one payload arrives: its spans fit in cache,
    // as a freshly decoded payload's do.
    let mut g = c.benchmark_group("spanmetrics_one_payload");
    g.throughput(Throughput::Elements(SPANS as u64));
    let one = &requests[0];
    let mut agg = Aggregator::new(config());
    agg.aggregate(one, 1);
    g.bench_function("aggregate_4_dimensions", |b| b.iter(|| agg.aggregate(std::hint::black_box(one), 2)));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
