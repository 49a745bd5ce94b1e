//! Realistic trace payloads for load generators and benchmarks: a handful
//! of services calling each other over HTTP, with the attributes, events and
//! error rate real instrumented apps produce. Deterministic per seed.

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, InstrumentationScope, KeyValue};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{span, status, ResourceSpans, ScopeSpans, Span, Status};

const SERVICES: &[&str] = &["frontend", "checkout", "cart", "payment", "inventory"];
const ROUTES: &[&str] = &["/api/cart", "/api/checkout", "/api/orders/{id}", "/api/products", "/health"];

/// A tiny deterministic generator: the same load every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

fn kv(key: &str, value: any_value::Value) -> KeyValue {
    KeyValue { key: key.to_string(), value: Some(AnyValue { value: Some(value) }), ..KeyValue::default() }
}

fn text(key: &str, v: &str) -> KeyValue {
    kv(key, any_value::Value::StringValue(v.to_string()))
}

/// One request of `spans` spans from one service, as traces of a server
/// span and its client children.
pub fn request(seed: u64, spans: usize) -> ExportTraceServiceRequest {
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let service = rng.pick(SERVICES);
    let now = 1_700_000_000_000_000_000u64 + seed * 1_000_000;
    let mut out = Vec::with_capacity(spans);
    let mut trace_id = [0u8; 16];
    let mut root_id = [0u8; 8];
    for i in 0..spans {
        if i % 4 == 0 {
            trace_id.copy_from_slice(&[rng.next().to_le_bytes(), rng.next().to_le_bytes()].concat());
            root_id = rng.next().to_le_bytes();
        }
        let root = i % 4 == 0;
        let span_id = if root { root_id } else { rng.next().to_le_bytes() };
        let route = rng.pick(ROUTES);
        let failed = rng.next().is_multiple_of(20);
        let start = now + (i as u64) * 1_000;
        let duration = 1_000_000 + rng.next() % 400_000_000;
        let mut attributes = vec![
            text("http.request.method", if route == "/api/checkout" { "POST" } else { "GET" }),
            text("http.route", route),
            kv("http.response.status_code", any_value::Value::IntValue(if failed { 500 } else { 200 })),
            text("server.address", service),
            kv("server.port", any_value::Value::IntValue(8080)),
        ];
        if !root {
            attributes.push(text("peer.service", rng.pick(SERVICES)));
        }
        out.push(Span {
            trace_id: trace_id.to_vec(),
            span_id: span_id.to_vec(),
            parent_span_id: if root { Vec::new() } else { root_id.to_vec() },
            name: format!("{} {route}", if root { "GET" } else { "call" }),
            kind: if root { span::SpanKind::Server } else { span::SpanKind::Client } as i32,
            start_time_unix_nano: start,
            end_time_unix_nano: start + duration,
            attributes,
            events: if failed {
                vec![span::Event {
                    time_unix_nano: start + duration / 2,
                    name: "exception".into(),
                    attributes: vec![text("exception.type", "TimeoutError"), text("exception.message", "upstream timed out")],
                    dropped_attributes_count: 0,
                }]
            } else {
                Vec::new()
            },
            status: Some(Status { message: String::new(), code: if failed { status::StatusCode::Error } else { status::StatusCode::Unset } as i32 }),
            ..Span::default()
        });
    }
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![
                    text("service.name", service),
                    text("service.namespace", "shop"),
                    text("service.instance.id", &format!("{service}-{}", seed % 3)),
                    text("host.name", "node-1"),
                    text("telemetry.sdk.language", "python"),
                ],
                ..Resource::default()
            }),
            scope_spans: vec![ScopeSpans {
                scope: Some(InstrumentationScope { name: "opentelemetry.instrumentation.flask".into(), version: "0.48b0".into(), ..Default::default() }),
                spans: out,
                schema_url: String::new(),
            }],
            schema_url: String::new(),
        }],
    }
}

#[cfg(test)]
mod tests {
    use prost::Message;

    #[test]
    fn requests_are_valid_otlp_with_the_asked_span_count() {
        for seed in 0..8 {
            let bytes = super::request(seed, 100).encode_to_vec();
            assert_eq!(crate::otlp::wire::validate(crate::otlp::Signal::Traces, &bytes), Ok(100));
        }
        assert_ne!(super::request(1, 10), super::request(2, 10), "seeds give different load");
    }
}
