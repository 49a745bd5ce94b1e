//! Time to render a `prometheus.expose` scrape of 10,000 series (7,500
//! counters and 2,500 histograms of 10 buckets, all with exemplars) in
//! each format. Budget: 5 ms per scrape.

use std::collections::BTreeMap;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion};
use solder_components::prometheus::expose::{Format, Store};
use solder_components::prometheus::{Batch, Bucket, Exemplar, Family, Metadata, MetricType, SampleValue, Series};

fn exemplar(value: f64) -> Exemplar {
    Exemplar {
        labels: vec![("trace_id".into(), "0102030405060708090a0b0c0d0e0f10".into()), ("span_id".into(), "1112131415161718".into())],
        value,
        timestamp_ms: Some(1_700_000_000_123),
    }
}

fn labels(i: usize) -> Vec<(String, String)> {
    vec![
        ("job".into(), "checkout".into()),
        ("service_name".into(), "checkout".into()),
        ("span_kind".into(), "SPAN_KIND_SERVER".into()),
        ("span_name".into(), format!("GET /api/v1/item/{i}")),
        ("status_code".into(), "STATUS_CODE_UNSET".into()),
    ]
}

fn batch() -> Batch {
    let mut families = Vec::new();
    for f in 0..75 {
        let series = (0..100)
            .map(|i| Series { labels: labels(i), value: SampleValue::Number((f * 1000 + i) as f64), timestamp_ms: None, exemplars: vec![exemplar(0.25)] })
            .collect();
        let metadata = Metadata { kind: MetricType::Counter, help: "Calls.".into(), unit: String::new() };
        families.push(Family { name: format!("traces_span_metrics_{f}_calls_total"), metadata, series });
    }
    let bounds = [0.002, 0.004, 0.006, 0.008, 0.01, 0.05, 0.1, 0.2, 0.4, 0.8];
    for f in 0..25 {
        let series = (0..100)
            .map(|i| {
                let mut buckets: Vec<Bucket> =
                    bounds.iter().enumerate().map(|(b, ub)| Bucket { upper_bound: *ub, cumulative_count: (b * 10 + i) as u64 }).collect();
                buckets.push(Bucket { upper_bound: f64::INFINITY, cumulative_count: (100 + i) as u64 });
                let value = SampleValue::Histogram { buckets, count: (100 + i) as u64, sum: 12.5 + i as f64 };
                Series { labels: labels(i), value, timestamp_ms: None, exemplars: vec![exemplar(0.003), exemplar(0.15), exemplar(1.5)] }
            })
            .collect();
        let metadata = Metadata { kind: MetricType::Histogram, help: "Durations.".into(), unit: "seconds".into() };
        families.push(Family { name: format!("traces_span_metrics_{f}_duration_seconds"), metadata, series });
    }
    Batch::new(families)
}

/// The 7,500 counter series alone, without exemplars: the part of a scrape
/// `prometheus-client` can express (it has no pre-aggregated histogram).
fn counters() -> Batch {
    let mut b = batch();
    b.families.retain(|f| f.metadata.kind == MetricType::Counter);
    b.families.iter_mut().flat_map(|f| f.series.iter_mut()).for_each(|s| s.exemplars.clear());
    b
}

/// The same counters through `prometheus-client`, as the agent's own
/// metrics are rendered: the values change between scrapes, so each scrape
/// fills a registry and encodes it.
fn prometheus_client_scrape(batch: &Batch, out: &mut String) {
    use prometheus_client::metrics::counter::Counter;
    use prometheus_client::metrics::family::Family as PcFamily;
    use std::sync::atomic::AtomicU64;
    let mut registry = prometheus_client::registry::Registry::default();
    for f in &batch.families {
        let family = PcFamily::<Vec<(String, String)>, Counter<f64, AtomicU64>>::default();
        for s in &f.series {
            if let SampleValue::Number(v) = s.value {
                family.get_or_create(&s.labels).inc_by(v);
            }
        }
        registry.register(f.name.trim_end_matches("_total"), "Calls", family);
    }
    out.clear();
    let _ = prometheus_client::encoding::text::encode(out, &registry);
}

fn exposition(c: &mut Criterion) {
    let batch = batch();
    assert_eq!(batch.series_count(), 10_000);
    let mut store = Store::new("otel_collector", &BTreeMap::new());
    store.append(&batch, Instant::now());
    let mut buffer = String::new();
    let mut group = c.benchmark_group("expose_render_10k_series");
    group.bench_function("text_0.0.4", |b| b.iter(|| store.render(Format::Text, &mut buffer)));
    group.bench_function("openmetrics_1.0", |b| b.iter(|| store.render(Format::OpenMetrics, &mut buffer)));
    group.finish();
    c.bench_function("expose_append_10k_series", |b| b.iter(|| store.append(&batch, Instant::now())));

    // Whether prometheus.expose's own renderer pays over prometheus-client.
    let counters = counters();
    assert_eq!(counters.series_count(), 7_500);
    let mut store = Store::new("", &BTreeMap::new());
    store.append(&counters, Instant::now());
    let mut group = c.benchmark_group("render_7500_counters_openmetrics");
    group.bench_function("prometheus_expose", |b| b.iter(|| store.render(Format::OpenMetrics, &mut buffer)));
    group.bench_function("prometheus_client", |b| b.iter(|| prometheus_client_scrape(&counters, &mut buffer)));
    group.finish();
}

criterion_group!(benches, exposition);
criterion_main!(benches);
