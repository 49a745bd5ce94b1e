//! Pairing and metrics with hand-computed expectations, then the component
//! driven as the runtime drives it.

mod component;
mod differential;

use std::time::Duration as StdDuration;

use prost::Message;
use tokio::time::Instant;

use super::edges::ConnectionType;
use super::graph::{Config, Graph};
use super::series::SeriesKey;
use crate::otlp::proto::common::v1::{any_value, AnyValue, KeyValue};
use crate::otlp::proto::resource::v1::Resource;
use crate::otlp::proto::trace::v1::{span::SpanKind, status::StatusCode, ResourceSpans, ScopeSpans, Span, Status};
use crate::otlp::proto::ExportTraceServiceRequest;

pub(super) fn kv(k: &str, v: &str) -> KeyValue {
    KeyValue { key: k.into(), value: Some(AnyValue { value: Some(any_value::Value::StringValue(v.into())) }), ..Default::default() }
}

/// A span of `trace`, id `id`, child of `parent` (0 = root), lasting `ms`.
pub(super) fn span(kind: SpanKind, trace: u8, id: u8, parent: u8, ms: u64, attrs: &[(&str, &str)]) -> Span {
    Span {
        trace_id: vec![trace; 16],
        span_id: vec![id; 8],
        parent_span_id: if parent == 0 { vec![] } else { vec![parent; 8] },
        kind: kind as i32,
        start_time_unix_nano: 1_000_000_000,
        end_time_unix_nano: 1_000_000_000 + ms * 1_000_000,
        attributes: attrs.iter().map(|(k, v)| kv(k, v)).collect(),
        ..Default::default()
    }
}

fn failed(mut s: Span) -> Span {
    s.status = Some(Status { code: StatusCode::Error as i32, ..Default::default() });
    s
}

/// One payload: each service with its spans.
pub(super) fn request(services: Vec<(&str, Vec<Span>)>) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest {
        resource_spans: services
            .into_iter()
            .map(|(service, spans)| ResourceSpans {
                resource: Some(Resource { attributes: vec![kv("service.name", service), kv("env", "prod")], ..Default::default() }),
                scope_spans: vec![ScopeSpans { spans, ..Default::default() }],
                ..Default::default()
            })
            .collect(),
    }
}

/// Pairs `req` through the wire path, as the component does.
fn consume(g: &mut Graph, req: &ExportTraceServiceRequest, now: Instant) {
    g.consume(&req.encode_to_vec(), now).expect("a valid request");
}

fn config() -> Config {
    Config {
        bounds: vec![0.01, 0.1, 1.0],
        dimensions: vec![],
        max_items: 10,
        ttl: StdDuration::from_secs(1),
        peer_attributes: ["peer.service", "db.name", "db.system"].map(String::from).to_vec(),
        database_name_attribute: "db.name".into(),
    }
}

fn key(client: &str, server: &str, connection_type: ConnectionType, failed: bool) -> SeriesKey {
    SeriesKey { client: client.into(), server: server.into(), connection_type, failed, dimensions: vec![] }
}

/// A series as (key, total, failed, server buckets, client buckets).
type SeriesRow = (SeriesKey, u64, u64, Vec<u64>, Vec<u64>);

fn series(g: &Graph) -> Vec<SeriesRow> {
    g.series.series.iter().map(|(k, s)| (k.clone(), s.total, s.failed, s.server.buckets.clone(), s.client.buckets.clone())).collect()
}

#[test]
fn client_and_server_of_one_call_make_one_request() {
    let mut g = Graph::new(config());
    let t0 = Instant::now();
    consume(
        &mut g,
        &request(vec![
            ("frontend", vec![span(SpanKind::Client, 1, 7, 0, 150, &[])]),
            ("backend", vec![span(SpanKind::Server, 1, 8, 7, 100, &[]), span(SpanKind::Internal, 1, 9, 8, 5, &[])]),
        ]),
        t0,
    );
    // 100ms falls in the (0.01, 0.1] bucket, 150ms in (0.1, 1].
    assert_eq!(series(&g), vec![(key("frontend", "backend", ConnectionType::Direct, false), 1, 0, vec![0, 1, 0, 0], vec![0, 0, 1, 0])]);
    let s = &g.series.series[&key("frontend", "backend", ConnectionType::Direct, false)];
    assert!((s.server.sum - 0.1).abs() < 1e-9 && (s.client.sum - 0.15).abs() < 1e-9);
    assert_eq!(g.store.len(), 0);
}

#[test]
fn an_error_on_either_side_fails_the_edge() {
    let mut g = Graph::new(config());
    consume(
        &mut g,
        &request(vec![("frontend", vec![span(SpanKind::Client, 1, 7, 0, 5, &[])]), ("backend", vec![failed(span(SpanKind::Server, 1, 8, 7, 5, &[]))])]),
        Instant::now(),
    );
    assert_eq!(series(&g), vec![(key("frontend", "backend", ConnectionType::Direct, true), 1, 1, vec![1, 0, 0, 0], vec![1, 0, 0, 0])]);
}

#[test]
fn root_server_span_is_called_by_user_after_ttl() {
    let mut g = Graph::new(config());
    let t0 = Instant::now();
    consume(&mut g, &request(vec![("frontend", vec![span(SpanKind::Server, 1, 7, 0, 20, &[])])]), t0);
    g.expire(t0 + StdDuration::from_millis(999));
    assert!(series(&g).is_empty(), "still waiting before the ttl");
    g.expire(t0 + StdDuration::from_secs(1));
    assert_eq!(series(&g), vec![(key("user", "frontend", ConnectionType::VirtualNode, false), 1, 0, vec![0, 1, 0, 0], vec![1, 0, 0, 0])]);
    assert_eq!((g.counts.virtual_nodes, g.counts.unpaired), (1, 0));
}

#[test]
fn server_span_whose_client_never_comes_is_unpaired() {
    let mut g = Graph::new(config());
    let t0 = Instant::now();
    consume(&mut g, &request(vec![("backend", vec![span(SpanKind::Server, 1, 8, 7, 20, &[])])]), t0);
    g.expire(t0 + StdDuration::from_secs(2));
    assert!(series(&g).is_empty());
    assert_eq!((g.counts.unpaired, g.store.len()), (1, 0));
}

#[test]
fn client_without_server_calls_its_peer_or_unknown() {
    let mut g = Graph::new(config());
    let t0 = Instant::now();
    consume(
        &mut g,
        &request(vec![(
            "frontend",
            vec![
                span(SpanKind::Client, 1, 7, 0, 20, &[("db.system", "redis"), ("peer.service", "payments")]),
                span(SpanKind::Client, 2, 7, 0, 20, &[("db.system", "redis")]),
                span(SpanKind::Client, 3, 7, 0, 20, &[]),
            ],
        )]),
        t0,
    );
    g.expire(t0 + StdDuration::from_secs(1));
    let servers: Vec<_> = series(&g).into_iter().map(|(k, n, ..)| (k.server, k.connection_type, n)).collect();
    assert_eq!(
        servers,
        vec![
            ("payments".to_string(), ConnectionType::VirtualNode, 1),
            ("redis".to_string(), ConnectionType::VirtualNode, 1),
            ("unknown".to_string(), ConnectionType::VirtualNode, 1),
        ]
    );
}

#[test]
fn database_client_span_is_both_sides_at_once() {
    let mut g = Graph::new(config());
    consume(&mut g, &request(vec![("frontend", vec![span(SpanKind::Client, 1, 7, 0, 50, &[("db.name", "orders")])])]), Instant::now());
    assert_eq!(series(&g), vec![(key("frontend", "orders", ConnectionType::Database, false), 1, 0, vec![0, 1, 0, 0], vec![0, 1, 0, 0])]);
    assert_eq!(g.store.len(), 0);
}

#[test]
fn producer_and_consumer_are_a_messaging_edge() {
    let mut g = Graph::new(config());
    let t0 = Instant::now();
    consume(&mut g, &request(vec![("shop", vec![span(SpanKind::Producer, 1, 7, 0, 2, &[])])]), t0);
    consume(&mut g, &request(vec![("mailer", vec![span(SpanKind::Consumer, 1, 8, 7, 500, &[])])]), t0);
    assert_eq!(series(&g), vec![(key("shop", "mailer", ConnectionType::MessagingSystem, false), 1, 0, vec![0, 0, 1, 0], vec![1, 0, 0, 0])]);
}

#[test]
fn full_store_drops_and_counts_new_edges() {
    let mut g = Graph::new(Config { max_items: 2, ..config() });
    let t0 = Instant::now();
    let clients = (1..=3).map(|t| span(SpanKind::Client, t, 7, 0, 1, &[])).collect();
    consume(&mut g, &request(vec![("frontend", clients)]), t0);
    assert_eq!((g.store.len(), g.counts.dropped_spans), (2, 1));
    // The dropped call's server arrives: it waits, unpaired, in the room
    // freed by the first call completing.
    consume(&mut g, &request(vec![("backend", vec![span(SpanKind::Server, 1, 8, 7, 1, &[]), span(SpanKind::Server, 3, 8, 7, 1, &[])])]), t0);
    assert_eq!((g.store.len(), g.counts.dropped_spans, g.counts.completed), (2, 1, 1));
}

#[test]
fn spans_pair_across_payloads_and_repeat_into_one_series() {
    let mut g = Graph::new(config());
    let t0 = Instant::now();
    for trace in [1, 2] {
        consume(&mut g, &request(vec![("frontend", vec![span(SpanKind::Client, trace, 7, 0, 3, &[])])]), t0);
        consume(&mut g, &request(vec![("backend", vec![span(SpanKind::Server, trace, 8, 7, 3, &[])])]), t0);
    }
    assert_eq!(series(&g), vec![(key("frontend", "backend", ConnectionType::Direct, false), 2, 0, vec![2, 0, 0, 0], vec![2, 0, 0, 0])]);
}

#[test]
fn dimensions_come_from_each_side_with_a_prefix() {
    let mut g = Graph::new(Config { dimensions: vec!["http.method".into(), "env".into()], ..config() });
    consume(
        &mut g,
        &request(vec![
            ("frontend", vec![span(SpanKind::Client, 1, 7, 0, 3, &[("http.method", "GET")])]),
            ("backend", vec![span(SpanKind::Server, 1, 8, 7, 3, &[])]),
        ]),
        Instant::now(),
    );
    let keys: Vec<_> = g.series.series.keys().map(|k| k.dimensions.clone()).collect();
    let pair = |k: &str, v: &str| (k.to_string(), v.to_string());
    assert_eq!(keys, vec![vec![pair("client_env", "prod"), pair("client_http.method", "GET"), pair("server_env", "prod")]]);
}

#[test]
fn stale_series_are_forgotten() {
    let mut g = Graph::new(config());
    let t0 = Instant::now();
    consume(&mut g, &request(vec![("frontend", vec![span(SpanKind::Client, 1, 7, 0, 1, &[("db.name", "orders")])])]), t0);
    assert_eq!(g.series.clean(t0 + StdDuration::from_secs(14 * 60)), 0);
    assert_eq!(g.series.clean(t0 + StdDuration::from_secs(15 * 60)), 1);
}

#[test]
fn new_bounds_restart_series_but_keep_pending_edges() {
    let mut g = Graph::new(config());
    let t0 = Instant::now();
    consume(
        &mut g,
        &request(vec![("frontend", vec![span(SpanKind::Client, 1, 7, 0, 1, &[("db.name", "orders")]), span(SpanKind::Client, 2, 7, 0, 1, &[])])]),
        t0,
    );
    g.configure(Config { max_items: 5, ..config() });
    assert_eq!((g.series.series.len(), g.store.len()), (1, 1));
    g.configure(Config { bounds: vec![1.0], ..config() });
    assert_eq!((g.series.series.len(), g.store.len()), (0, 1));
}
