//! The wire path held to the decoded one: for synthetic client/server
//! traffic and hand-built edge cases (no service, virtual nodes, databases,
//! failures, attribute types, repeated fields and messages), pairing from
//! the bytes must leave exactly the edges, series and counts that pairing
//! the prost-decoded request leaves. Malformed bytes are an error that
//! changes nothing, never a panic.

use std::collections::BTreeMap;

use prost::encoding::{encode_key, encode_varint, WireType};

use super::*;
use crate::otlp::proto::trace::v1::span::Event;
use crate::otlp::synthetic;

/// Everything pairing leaves behind, comparable.
fn state(g: &Graph) -> (Vec<SeriesRow>, Vec<(f64, f64)>, super::super::graph::Counts, usize) {
    let sums = g.series.series.values().map(|s| (s.server.sum, s.client.sum)).collect();
    (series(g), sums, g.counts, g.store.len())
}

fn differential_config() -> Config {
    Config { dimensions: vec!["http.route".into(), "env".into(), "flag".into(), "ratio".into(), "blob".into()], max_items: 1000, ..config() }
}

/// Feeds `payloads` (encoded requests) to both paths, expiring halfway
/// and at the end, and checks they agree at each step; the counts agreed.
fn agree(payloads: &[Vec<u8>]) -> super::super::graph::Counts {
    let t0 = Instant::now();
    let (mut wire, mut decoded) = (Graph::new(differential_config()), Graph::new(differential_config()));
    for (i, bytes) in payloads.iter().enumerate() {
        let req = ExportTraceServiceRequest::decode(bytes.as_slice()).expect("the cases are valid OTLP");
        wire.consume(bytes, t0).expect("the wire path reads what prost decodes");
        decoded.consume_decoded(&req, t0);
        assert!(state(&wire) == state(&decoded), "payload {i}: {:?}\n!=\n{:?}", state(&wire), state(&decoded));
        if i == payloads.len() / 2 {
            wire.expire(t0 + StdDuration::from_secs(5));
            decoded.expire(t0 + StdDuration::from_secs(5));
        }
    }
    wire.expire(t0 + StdDuration::from_secs(5));
    decoded.expire(t0 + StdDuration::from_secs(5));
    assert!(state(&wire) == state(&decoded), "after expiry: {:?}\n!=\n{:?}", state(&wire), state(&decoded));
    wire.counts
}

/// The server spans answering each client span of `req`, one resource per
/// called service (its `peer.service`), so synthetic traffic pairs.
fn callees(req: &ExportTraceServiceRequest) -> ExportTraceServiceRequest {
    let mut by_service: BTreeMap<String, Vec<Span>> = BTreeMap::new();
    for s in req.resource_spans.iter().flat_map(|rs| &rs.scope_spans).flat_map(|ss| &ss.spans) {
        let Some(peer) = s.attributes.iter().find(|kv| kv.key == "peer.service") else { continue };
        let Some(any_value::Value::StringValue(peer)) = peer.value.as_ref().and_then(|v| v.value.clone()) else { continue };
        let mut server = s.clone();
        server.kind = SpanKind::Server as i32;
        server.parent_span_id = s.span_id.clone();
        server.span_id = s.span_id.iter().map(|b| b ^ 0xff).collect();
        server.end_time_unix_nano -= 500_000;
        by_service.entry(peer).or_default().push(server);
    }
    request(by_service.iter().map(|(k, v)| (k.as_str(), v.clone())).collect())
}

#[test]
fn synthetic_traffic_pairs_the_same_both_ways() {
    let mut payloads = Vec::new();
    for seed in 0..12 {
        let req = synthetic::request(seed, 60);
        payloads.push(req.encode_to_vec());
        // Some callers' servers never answer: they end as virtual nodes.
        if seed % 3 != 0 {
            payloads.push(callees(&req).encode_to_vec());
        }
    }
    let counts = agree(&payloads);
    assert!(counts.completed > counts.virtual_nodes && counts.virtual_nodes > 0, "{counts:?}");
}

fn typed(k: &str, v: any_value::Value) -> KeyValue {
    KeyValue { key: k.into(), value: Some(AnyValue { value: Some(v) }), ..Default::default() }
}

/// A length-delimited field `tag` holding `bytes`.
fn field(tag: u32, bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    encode_key(tag, WireType::LengthDelimited, &mut out);
    encode_varint(bytes.len() as u64, &mut out);
    out.extend_from_slice(bytes);
    out
}

#[test]
fn edge_cases_pair_the_same_both_ways() {
    use any_value::Value as V;
    let mut no_service = request(vec![("ghost", vec![span(SpanKind::Client, 9, 1, 0, 5, &[("db.name", "orders")])])]);
    no_service.resource_spans[0].resource = None;
    let mut int_service = request(vec![("x", vec![span(SpanKind::Client, 9, 2, 0, 5, &[("db.name", "orders")])])]);
    int_service.resource_spans[0].resource.as_mut().unwrap().attributes = vec![typed("service.name", V::IntValue(42))];
    let mut array_service = int_service.clone();
    array_service.resource_spans[0].resource.as_mut().unwrap().attributes = vec![typed("service.name", V::ArrayValue(Default::default()))];
    let mut typed_dims = span(SpanKind::Client, 8, 1, 0, 30, &[("peer.service", "payments")]);
    typed_dims.attributes.extend([
        typed("flag", V::BoolValue(true)),
        typed("ratio", V::DoubleValue(0.25)),
        typed("blob", V::BytesValue(vec![0xde, 0xad])),
        typed("env", V::StringValue("span-env-hidden-by-resource".into())),
        // The first of a repeated name wins, even when it is not a name.
        typed("http.route", V::KvlistValue(Default::default())),
        kv("http.route", "/second"),
        KeyValue { key: "db.system".into(), value: None, ..Default::default() },
        kv("db.system", "redis"),
    ]);
    let mut event = span(SpanKind::Server, 8, 3, 1, 10, &[("http.route", "/pay")]);
    event.events = vec![Event { name: "e".into(), attributes: vec![kv("db.name", "not-an-attribute")], ..Default::default() }];
    let cases = [
        no_service,
        int_service,
        array_service,
        request(vec![("frontend", vec![typed_dims]), ("payments", vec![failed(event)])]),
        request(vec![(
            "frontend",
            vec![
                span(SpanKind::Client, 1, 7, 0, 20, &[("db.system", "redis"), ("peer.service", "payments")]),
                span(SpanKind::Client, 2, 7, 0, 20, &[("db.system", "redis")]),
                span(SpanKind::Client, 3, 7, 0, 20, &[]),
                span(SpanKind::Producer, 4, 7, 0, 20, &[]),
                span(SpanKind::Server, 5, 7, 0, 20, &[]),
                span(SpanKind::Internal, 5, 8, 7, 20, &[("db.name", "x")]),
                failed(span(SpanKind::Client, 6, 7, 0, 50, &[("db.name", "orders")])),
            ],
        )]),
        request(vec![("mailer", vec![span(SpanKind::Consumer, 4, 8, 7, 500, &[("http.route", "/q")])]), ("db", vec![span(SpanKind::Server, 3, 1, 7, 1, &[])])]),
    ];
    let mut payloads: Vec<Vec<u8>> = cases.iter().map(Message::encode_to_vec).collect();

    // Repeated fields and messages, as prost merges them: two `resource`s
    // (attributes concatenate), a span whose later occurrence changes its
    // kind, parent and status, and an empty status that keeps the code.
    let resource = |attrs: Vec<KeyValue>| Resource { attributes: attrs, ..Default::default() }.encode_to_vec();
    let first = failed(span(SpanKind::Client, 11, 1, 0, 5, &[("http.route", "/a")]));
    let later = Span { kind: SpanKind::Server as i32, parent_span_id: vec![3; 8], status: Some(Status::default()), ..Default::default() };
    let span_bytes = [first.encode_to_vec(), later.encode_to_vec()].concat();
    let scope = field(2, &span_bytes);
    let rs = [field(1, &resource(vec![kv("env", "a")])), field(1, &resource(vec![kv("service.name", "merged"), kv("env", "b")])), field(2, &scope)].concat();
    payloads.push(field(1, &rs));
    let client = span(SpanKind::Client, 11, 3, 0, 9, &[]);
    payloads.push(request(vec![("caller", vec![client])]).encode_to_vec());
    let counts = agree(&payloads);
    assert!(counts.completed > 0 && counts.virtual_nodes > 0 && counts.unpaired > 0, "{counts:?}");
}

#[test]
fn malformed_bytes_are_an_error_that_changes_nothing() {
    let bytes = request(vec![
        ("frontend", vec![span(SpanKind::Client, 1, 7, 0, 150, &[("db.name", "orders"), ("peer.service", "p")])]),
        ("backend", vec![failed(span(SpanKind::Server, 1, 8, 7, 100, &[("http.route", "/x")]))]),
    ])
    .encode_to_vec();
    let mut refused = 0;
    for cut in 0..bytes.len() {
        for flip in [None, Some(0xff_u8), Some(0x80)] {
            let mut b = bytes[..cut].to_vec();
            if let Some(x) = flip {
                if let Some(last) = b.last_mut() {
                    *last ^= x;
                }
            }
            let mut g = Graph::new(differential_config());
            if g.consume(&b, Instant::now()).is_err() {
                refused += 1;
                assert_eq!((series(&g).len(), g.store.len(), g.counts), (0, 0, Default::default()), "cut {cut} flip {flip:?}");
            }
        }
    }
    assert!(refused > 0, "truncations must be refused");
}
