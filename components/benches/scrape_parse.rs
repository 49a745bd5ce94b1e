//! Samples per second through `prometheus.scrape`'s parser, on real pages
//! (node exporter 1.5 and Prometheus 2.42's own /metrics, kept next to
//! the parser's tests), alone and with the series built for forwarding
//! (target labels merged, limits checked, families grouped).

use std::collections::BTreeMap;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use solder_components::prometheus::scrape::parse::{parse, TextFormat};
use solder_components::prometheus::scrape::series::{build, SeriesRules};
use solder_components::prometheus::scrape::target::{Defaults, Target};

const PAGES: [(&str, &str); 2] = [
    ("node_exporter", include_str!("../src/prometheus/scrape/testdata/node_exporter.prom")),
    ("prometheus", include_str!("../src/prometheus/scrape/testdata/prometheus.prom")),
];

fn bench(c: &mut Criterion) {
    let params = BTreeMap::new();
    let defaults = Defaults {
        job: "node",
        scheme: "http",
        metrics_path: "/metrics",
        params: &params,
        interval: Duration::from_secs(15),
        timeout: Duration::from_secs(10),
    };
    let given = BTreeMap::from([("__address__".to_string(), "127.0.0.1:9100".to_string())]);
    let target = Target::resolve(&given, &defaults).unwrap_or_else(|e| panic!("{e}"));
    let rules = SeriesRules { honor_timestamps: true, ..SeriesRules::default() };
    let mut group = c.benchmark_group("scrape");
    for (name, page) in PAGES {
        let samples = parse(page, TextFormat::Prometheus).map(|e| e.samples.len()).unwrap_or_default();
        group.throughput(Throughput::Elements(samples as u64));
        group.bench_function(format!("parse/{name}"), |b| b.iter(|| parse(page, TextFormat::Prometheus).map(|e| e.samples.len())));
        group.bench_function(format!("parse_and_build/{name}"), |b| {
            b.iter(|| parse(page, TextFormat::Prometheus).map_err(|e| e.to_string()).and_then(|e| build(e, &target, &rules, 0)).map(|s| s.samples))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
