//! `otelcol.connector.spanmetrics`' hot path: folding realistic spans
//! (five services, five routes, 5% errors) into series with four
//! dimensions, in steady state (every series already exists). The budget
//! is 100 ns per span; criterion's throughput line reads as spans per
//! second.
//!
//! `spanmetrics/wire_aggregate_4_dimensions` is what the component does:
//! it reads 8 encoded 500-span requests straight from their bytes, parsing
//! included. The rest measure the decoded path it replaced, for
//! comparison: `aggregate_4_dimensions` walks the same 4000 spans already
//! decoded (megabytes, past the CPU caches), `decode_only` is the prost
//! decode that path needs first, and `decode_and_aggregate` both.
//! `spanmetrics_one_payload` is one payload, in cache, both ways.
//!
//! `taskset -c 1 cargo bench -p solder-components --bench spanmetrics`

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
        dimensions: vec![dim("http.request.method", None), dim("http.route", None), dim("http.response.status_code", None), dim("peer.service", Some("none"))],
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
        resource_cache_size: 1000,
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
    for bytes in &encoded {
        agg.aggregate(bytes, 1).expect("a valid request");
    }
    g.bench_function("wire_aggregate_4_dimensions", |b| {
        b.iter(|| {
            for bytes in &encoded {
                let _ = agg.aggregate(std::hint::black_box(bytes), 2);
            }
        })
    });
    let mut agg = Aggregator::new(config());
    for r in &requests {
        agg.aggregate_decoded(r, 1);
    }
    g.bench_function("aggregate_4_dimensions", |b| {
        b.iter(|| {
            for r in &requests {
                agg.aggregate_decoded(std::hint::black_box(r), 2);
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
                    agg.aggregate_decoded(&r, 2);
                }
            }
        })
    });
    g.finish();
    // One 500-span request, as one payload arrives: its spans fit in cache,
    // as a freshly decoded payload's do.
    let mut g = c.benchmark_group("spanmetrics_one_payload");
    g.throughput(Throughput::Elements(SPANS as u64));
    let (one, one_bytes) = (&requests[0], encoded[0].as_slice());
    let mut agg = Aggregator::new(config());
    agg.aggregate_decoded(one, 1);
    g.bench_function("aggregate_4_dimensions", |b| b.iter(|| agg.aggregate_decoded(std::hint::black_box(one), 2)));
    let mut agg = Aggregator::new(config());
    agg.aggregate(one_bytes, 1).expect("a valid request");
    g.bench_function("wire_aggregate_4_dimensions", |b| b.iter(|| agg.aggregate(std::hint::black_box(one_bytes), 2)));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
