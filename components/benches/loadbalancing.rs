//! Routing cost per span of `otelcol.exporter.loadbalancing`: splitting a
//! request of realistic spans (four per trace) by trace ID among 3 and 30
//! backends, parts made into requests ready for each backend's queue. This
//! is what the exporter adds on top of the OTLP exporter's own work; the
//! target is 150 ns per span.

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use prost::Message;
use solder_components::otelcol::exporter::loadbalancing::ring::Ring;
use solder_components::otelcol::exporter::loadbalancing::route::{Routed, RoutingKey, Splitter};
use solder_components::otlp::{synthetic, Signal, Traces};

fn routing(c: &mut Criterion) {
    let spans = 1000;
    let bytes = Bytes::from(synthetic::request(7, spans).encode_to_vec());
    let mut group = c.benchmark_group("loadbalancing_route");
    group.throughput(Throughput::Elements(spans as u64));
    for (key, name) in [(RoutingKey::TraceId, "traceID"), (RoutingKey::Service, "service")] {
        for backends in [3usize, 30] {
            let ring = Ring::new((0..backends).map(|i| format!("10.0.0.{i}:4317")).collect());
            let mut splitter = Splitter::new();
            group.bench_with_input(BenchmarkId::new(name, backends), &ring, |b, ring| {
                b.iter(|| match splitter.split(Signal::Traces, key, &bytes, ring).expect("valid request") {
                    Routed::Whole(owner) => owner,
                    Routed::Parts(parts) => parts.into_iter().map(|p| Traces::from_validated_part(p.bytes, p.items, None).items()).sum(),
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, routing);
criterion_main!(benches);
