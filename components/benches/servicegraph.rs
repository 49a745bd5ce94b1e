//! `otelcol.connector.servicegraph`'s consume path: pairing realistic
//! client/server traffic (five services calling each other, 5% errors)
//! into edges and series, ending each pass with the expiry that turns
//! unanswered roots into virtual nodes. Criterion's throughput line reads
//! as spans per second.
//!
//! `servicegraph/wire_consume` is what the component does: it reads 8
//! synthetic 500-span requests and the server spans answering their
//! client spans straight from their bytes. `decode_and_consume` is the
//! decoded path it replaced: prost decode, then pairing the decoded
//! request.
//!
//! `taskset -c 1 cargo bench -p solder-components --bench servicegraph`

use std::collections::BTreeMap;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use prost::Message;
use solder_components::otelcol::connector::servicegraph::{Config, Graph};
use solder_components::otlp::proto::common::v1::{any_value, AnyValue, KeyValue};
use solder_components::otlp::proto::resource::v1::Resource;
use solder_components::otlp::proto::trace::v1::{span::SpanKind, ResourceSpans, ScopeSpans, Span};
use solder_components::otlp::proto::ExportTraceServiceRequest;
use solder_components::otlp::synthetic;
use tokio::time::Instant;

const SPANS: usize = 500;
const REQUESTS: u64 = 8;

fn config() -> Config {
    Config {
        bounds: vec![0.002, 0.004, 0.006, 0.008, 0.01, 0.05, 0.1, 0.2, 0.4, 0.8, 1.0, 1.4, 2.0, 5.0, 10.0, 15.0],
        dimensions: vec![],
        max_items: 10_000,
        ttl: Duration::from_secs(2),
        peer_attributes: ["peer.service", "db.name", "db.system"].map(String::from).to_vec(),
        database_name_attribute: "db.name".into(),
    }
}

/// The server spans answering `req`'s client spans, grouped by callee.
fn callees(req: &ExportTraceServiceRequest) -> ExportTraceServiceRequest {
    let mut by_service: BTreeMap<String, Vec<Span>> = BTreeMap::new();
    for s in req.resource_spans.iter().flat_map(|rs| &rs.scope_spans).flat_map(|ss| &ss.spans) {
        let peer = s.attributes.iter().find(|kv| kv.key == "peer.service").and_then(|kv| kv.value.as_ref()?.value.clone());
        let Some(any_value::Value::StringValue(peer)) = peer else { continue };
        let mut server = s.clone();
        server.kind = SpanKind::Server as i32;
        server.parent_span_id = s.span_id.clone();
        server.span_id = s.span_id.iter().map(|b| b ^ 0xff).collect();
        by_service.entry(peer).or_default().push(server);
    }
    let resource_spans = by_service
        .into_iter()
        .map(|(service, spans)| {
            let name =
                KeyValue { key: "service.name".into(), value: Some(AnyValue { value: Some(any_value::Value::StringValue(service)) }), ..Default::default() };
            ResourceSpans {
                resource: Some(Resource { attributes: vec![name], ..Default::default() }),
                scope_spans: vec![ScopeSpans { spans, ..Default::default() }],
                ..Default::default()
            }
        })
        .collect();
    ExportTraceServiceRequest { resource_spans }
}

fn bench(c: &mut Criterion) {
    let mut encoded = Vec::new();
    for seed in 0..REQUESTS {
        let req = synthetic::request(seed, SPANS);
        encoded.push(req.encode_to_vec());
        encoded.push(callees(&req).encode_to_vec());
    }
    let spans: usize = encoded.iter().map(|b| ExportTraceServiceRequest::decode(b.as_slice()).map_or(0, |r| synthetic_spans(&r))).sum();
    let mut g = c.benchmark_group("servicegraph");
    g.throughput(Throughput::Elements(spans as u64));
    let now = Instant::now();
    let later = now + Duration::from_secs(3);
    let mut graph = Graph::new(config());
    g.bench_function("wire_consume", |b| {
        b.iter(|| {
            for bytes in &encoded {
                let _ = graph.consume(std::hint::black_box(bytes), now);
            }
            graph.expire(later);
        })
    });
    let mut graph = Graph::new(config());
    g.bench_function("decode_and_consume", |b| {
        b.iter(|| {
            for bytes in &encoded {
                if let Ok(req) = ExportTraceServiceRequest::decode(std::hint::black_box(bytes.as_slice())) {
                    graph.consume_decoded(&req, now);
                }
            }
            graph.expire(later);
        })
    });
    g.finish();
}

fn synthetic_spans(r: &ExportTraceServiceRequest) -> usize {
    r.resource_spans.iter().flat_map(|rs| &rs.scope_spans).map(|ss| ss.spans.len()).sum()
}

criterion_group!(benches, bench);
criterion_main!(benches);
