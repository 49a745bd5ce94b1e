//! The `span` and `spanevent` contexts, path by path.

use solder_syntax::ottl::{Key, Value};

use super::{get, k, kv, set, sv, Above};
use crate::otlp::proto::common::v1::any_value::Value as V;
use crate::otlp::proto::trace::v1::span::Event;
use crate::otlp::proto::trace::v1::{Span, Status};
use crate::ottl::{SpanContext, SpanEventContext, SPAN, SPANEVENT};

const TRACE: [u8; 16] = [0xab; 16];

fn span() -> Span {
    Span {
        trace_id: TRACE.to_vec(),
        span_id: vec![1, 2, 3, 4, 5, 6, 7, 8],
        parent_span_id: Vec::new(),
        trace_state: "vendor=a,other=b".into(),
        name: "GET /users/123".into(),
        kind: 2,
        start_time_unix_nano: 100,
        end_time_unix_nano: 250,
        attributes: vec![kv("http.method", sv("GET"))],
        dropped_attributes_count: 3,
        dropped_events_count: 4,
        dropped_links_count: 5,
        status: Some(Status { code: 2, message: "boom".into() }),
        events: vec![Event { name: "ev".into(), time_unix_nano: 150, attributes: vec![kv("e", V::IntValue(1))], dropped_attributes_count: 6 }],
        ..Default::default()
    }
}

#[test]
fn every_span_path_reads_as_documented() {
    let (mut above, mut s) = (Above::new(), span());
    let (resource, scope) = above.views();
    let ctx = SpanContext { resource, scope, span: &mut s };
    let cases = [
        ("trace_id", Value::Bytes(TRACE.to_vec())),
        ("trace_id.string", Value::str("ab".repeat(16))),
        ("span_id", Value::Bytes(vec![1, 2, 3, 4, 5, 6, 7, 8])),
        ("span_id.string", Value::str("0102030405060708")),
        ("parent_span_id", Value::Bytes(vec![0; 8])),
        ("parent_span_id.string", Value::str("0000000000000000")),
        ("trace_state", Value::str("vendor=a,other=b")),
        ("status.code", Value::Int(2)),
        ("status.message", Value::str("boom")),
        ("name", Value::str("GET /users/123")),
        ("kind", Value::Int(2)),
        ("kind.string", Value::str("Server")),
        ("kind.deprecated_string", Value::str("SPAN_KIND_SERVER")),
        ("start_time_unix_nano", Value::Int(100)),
        ("end_time_unix_nano", Value::Int(250)),
        ("start_time", Value::Time(100)),
        ("end_time", Value::Time(250)),
        ("attributes", Value::Map(vec![("http.method".into(), Value::str("GET"))])),
        ("dropped_attributes_count", Value::Int(3)),
        ("dropped_events_count", Value::Int(4)),
        ("dropped_links_count", Value::Int(5)),
        ("resource.attributes", Value::Map(vec![("host".into(), Value::str("a"))])),
        ("resource.dropped_attributes_count", Value::Int(1)),
        ("resource.schema_url", Value::str("https://r")),
        ("instrumentation_scope.name", Value::str("lib")),
        ("instrumentation_scope.version", Value::str("1.0")),
        ("instrumentation_scope.attributes", Value::Map(vec![("s".into(), Value::str("x"))])),
        ("instrumentation_scope.dropped_attributes_count", Value::Int(2)),
        ("instrumentation_scope.schema_url", Value::str("https://s")),
        ("scope.name", Value::str("lib")),
    ];
    for (name, want) in cases {
        assert_eq!(get(&ctx, &SPAN, name, &[]), Ok(want), "{name}");
    }
    assert_eq!(get(&ctx, &SPAN, "attributes", &[k("http.method")]), Ok(Value::str("GET")));
    assert_eq!(get(&ctx, &SPAN, "resource.attributes", &[k("host")]), Ok(Value::str("a")));
    assert_eq!(get(&ctx, &SPAN, "instrumentation_scope.attributes", &[k("s")]), Ok(Value::str("x")));
}

#[test]
fn every_span_path_writes_and_reads_back() {
    let (mut above, mut s) = (Above::new(), span());
    let (resource, scope) = above.views();
    let mut ctx = SpanContext { resource, scope, span: &mut s };
    let cases = [
        ("span_id", Value::Bytes(vec![9; 8])),
        ("parent_span_id.string", Value::str("1111111111111111")),
        ("trace_state", Value::str("x=y")),
        ("status.code", Value::Int(1)),
        ("status.message", Value::str("fine")),
        ("name", Value::str("GET /users/{id}")),
        ("kind", Value::Int(3)),
        ("start_time_unix_nano", Value::Int(7)),
        ("end_time", Value::Time(9)),
        ("dropped_attributes_count", Value::Int(0)),
        ("dropped_events_count", Value::Int(1)),
        ("dropped_links_count", Value::Int(2)),
        ("resource.dropped_attributes_count", Value::Int(8)),
        ("resource.schema_url", Value::str("u")),
        ("instrumentation_scope.name", Value::str("other")),
        ("instrumentation_scope.version", Value::str("2")),
        ("scope.dropped_attributes_count", Value::Int(4)),
        ("scope.schema_url", Value::str("v")),
    ];
    for (name, v) in cases {
        set(&mut ctx, &SPAN, name, &[], v.clone()).unwrap();
        assert_eq!(get(&ctx, &SPAN, name, &[]), Ok(v), "{name}");
    }
    set(&mut ctx, &SPAN, "kind.string", &[], Value::str("Consumer")).unwrap();
    assert_eq!(get(&ctx, &SPAN, "kind", &[]), Ok(Value::Int(5)));
    set(&mut ctx, &SPAN, "kind.deprecated_string", &[], Value::str("SPAN_KIND_PRODUCER")).unwrap();
    assert_eq!(get(&ctx, &SPAN, "kind.string", &[]), Ok(Value::str("Producer")));
    set(&mut ctx, &SPAN, "start_time", &[], Value::Time(42)).unwrap();
    assert_eq!(get(&ctx, &SPAN, "start_time_unix_nano", &[]), Ok(Value::Int(42)));
    set(&mut ctx, &SPAN, "attributes", &[k("http.route")], Value::str("/users/{id}")).unwrap();
    set(&mut ctx, &SPAN, "resource.attributes", &[k("env")], Value::str("prod")).unwrap();
    set(&mut ctx, &SPAN, "instrumentation_scope.attributes", &[k("t")], Value::Int(1)).unwrap();
    assert_eq!(s.attributes[1], kv("http.route", sv("/users/{id}")));
    assert_eq!(above.resource.unwrap().attributes[1], kv("env", sv("prod")));
    assert_eq!(above.scope.unwrap().attributes[1], kv("t", V::IntValue(1)));
}

#[test]
fn wrong_types_and_nil_are_errors_that_change_nothing() {
    let (mut above, mut s) = (Above::new(), span());
    let (resource, scope) = above.views();
    let mut ctx = SpanContext { resource, scope, span: &mut s };
    assert_eq!(set(&mut ctx, &SPAN, "name", &[], Value::Int(5)), Err("expects string but got int64".into()));
    assert_eq!(set(&mut ctx, &SPAN, "kind", &[], Value::str("x")), Err("expects int64 but got string".into()));
    assert_eq!(set(&mut ctx, &SPAN, "start_time", &[], Value::Int(1)), Err("expects time.Time but got int64".into()));
    assert_eq!(set(&mut ctx, &SPAN, "status.code", &[], Value::Nil), Err("setting a value to nil is not supported".into()));
    assert_eq!(set(&mut ctx, &SPAN, "trace_id", &[], Value::Bytes(vec![1; 8])), Err("expects pcommon.TraceID but got []byte".into()));
    assert_eq!(set(&mut ctx, &SPAN, "kind.string", &[], Value::str("Sever")), Err("unknown span kind string, Sever".into()));
    assert!(set(&mut ctx, &SPAN, "kind.deprecated_string", &[], Value::str("Server")).is_err());
    assert_eq!(s, span());
}

#[test]
fn ids_read_and_write_in_both_forms() {
    let (mut above, mut s) = (Above::new(), Span::default());
    let (resource, scope) = above.views();
    let mut ctx = SpanContext { resource, scope, span: &mut s };
    assert_eq!(get(&ctx, &SPAN, "trace_id", &[]), Ok(Value::Bytes(vec![0; 16])));
    assert_eq!(get(&ctx, &SPAN, "trace_id.string", &[]), Ok(Value::str("0".repeat(32))));
    let hex = "5b8efff798038103d269b633813fc60c";
    set(&mut ctx, &SPAN, "trace_id.string", &[], Value::str(hex)).unwrap();
    assert_eq!(get(&ctx, &SPAN, "trace_id.string", &[]), Ok(Value::str(hex)));
    assert_eq!(set(&mut ctx, &SPAN, "trace_id.string", &[], Value::str("abc")), Err("trace ids must be 32 hex characters".into()));
    assert!(set(&mut ctx, &SPAN, "span_id.string", &[], Value::str("zz02030405060708")).unwrap_err().starts_with("encoding/hex"));
    set(&mut ctx, &SPAN, "span_id", &[], Value::Bytes(vec![0; 8])).unwrap();
    assert_eq!(get(&ctx, &SPAN, "span_id.string", &[]), Ok(Value::str("0".repeat(16))));
    assert_eq!(hex::encode(&s.trace_id), hex);
    assert!(s.span_id.is_empty(), "an all-zero id is an unset one on the wire");
}

#[test]
fn trace_state_entries_read_and_insert_at_the_front() {
    let (mut above, mut s) = (Above::new(), span());
    let (resource, scope) = above.views();
    let mut ctx = SpanContext { resource, scope, span: &mut s };
    assert_eq!(get(&ctx, &SPAN, "trace_state", &[k("other")]), Ok(Value::str("b")));
    assert_eq!(get(&ctx, &SPAN, "trace_state", &[k("absent")]), Ok(Value::str("")));
    set(&mut ctx, &SPAN, "trace_state", &[k("other")], Value::str("c")).unwrap();
    assert_eq!(get(&ctx, &SPAN, "trace_state", &[]), Ok(Value::str("other=c,vendor=a")));
    set(&mut ctx, &SPAN, "trace_state", &[k("Bad Key")], Value::str("c")).unwrap();
    assert_eq!(get(&ctx, &SPAN, "trace_state", &[]), Ok(Value::str("other=c,vendor=a")), "an invalid key is ignored");
    assert!(get(&ctx, &SPAN, "trace_state", &[k("a"), k("b")]).is_err());
    assert!(get(&ctx, &SPAN, "trace_state", &[Key::Int(0)]).is_err());
    set(&mut ctx, &SPAN, "trace_state", &[], Value::str("not a trace state")).unwrap();
    assert_eq!(get(&ctx, &SPAN, "trace_state", &[k("other")]), Ok(Value::Nil));
}

#[test]
fn absent_status_resource_and_scope_read_empty_and_are_created_by_writes() {
    let mut above = Above::new();
    above.resource = None;
    above.scope = None;
    let mut s = Span::default();
    let (resource, scope) = above.views();
    let mut ctx = SpanContext { resource, scope, span: &mut s };
    assert_eq!(get(&ctx, &SPAN, "status.code", &[]), Ok(Value::Int(0)));
    assert_eq!(get(&ctx, &SPAN, "resource.attributes", &[k("x")]), Ok(Value::Nil));
    assert_eq!(get(&ctx, &SPAN, "instrumentation_scope.name", &[]), Ok(Value::str("")));
    assert!(set(&mut ctx, &SPAN, "resource.dropped_attributes_count", &[], Value::str("1")).is_err());
    assert!(set(&mut ctx, &SPAN, "scope.version", &[], Value::Int(1)).is_err());
    assert_eq!((ctx.resource.resource.is_none(), ctx.scope.scope.is_none()), (true, true), "a refused write creates nothing");
    set(&mut ctx, &SPAN, "status.message", &[], Value::str("m")).unwrap();
    set(&mut ctx, &SPAN, "resource.attributes", &[k("x")], Value::Int(1)).unwrap();
    set(&mut ctx, &SPAN, "scope.name", &[], Value::str("n")).unwrap();
    assert_eq!(s.status.unwrap().message, "m");
    assert_eq!(above.resource.unwrap().attributes, vec![kv("x", V::IntValue(1))]);
    assert_eq!(above.scope.unwrap().name, "n");
}

#[test]
fn span_event_paths_and_their_span() {
    let (mut above, mut s) = (Above::new(), span());
    let mut events = std::mem::take(&mut s.events);
    let (resource, scope) = above.views();
    let mut ctx = SpanEventContext { resource, scope, span: &mut s, event: &mut events[0] };
    assert_eq!(get(&ctx, &SPANEVENT, "name", &[]), Ok(Value::str("ev")));
    assert_eq!(get(&ctx, &SPANEVENT, "time_unix_nano", &[]), Ok(Value::Int(150)));
    assert_eq!(get(&ctx, &SPANEVENT, "time", &[]), Ok(Value::Time(150)));
    assert_eq!(get(&ctx, &SPANEVENT, "attributes", &[k("e")]), Ok(Value::Int(1)));
    assert_eq!(get(&ctx, &SPANEVENT, "dropped_attributes_count", &[]), Ok(Value::Int(6)));
    assert_eq!(get(&ctx, &SPANEVENT, "span.name", &[]), Ok(Value::str("GET /users/123")));
    assert_eq!(get(&ctx, &SPANEVENT, "span.kind.string", &[]), Ok(Value::str("Server")));
    assert_eq!(get(&ctx, &SPANEVENT, "resource.attributes", &[k("host")]), Ok(Value::str("a")));
    assert_eq!(get(&ctx, &SPANEVENT, "instrumentation_scope.version", &[]), Ok(Value::str("1.0")));
    set(&mut ctx, &SPANEVENT, "name", &[], Value::str("exception")).unwrap();
    set(&mut ctx, &SPANEVENT, "time", &[], Value::Time(160)).unwrap();
    set(&mut ctx, &SPANEVENT, "attributes", &[k("f")], Value::Bool(true)).unwrap();
    set(&mut ctx, &SPANEVENT, "dropped_attributes_count", &[], Value::Int(0)).unwrap();
    set(&mut ctx, &SPANEVENT, "span.attributes", &[k("had_event")], Value::Bool(true)).unwrap();
    assert_eq!(set(&mut ctx, &SPANEVENT, "time_unix_nano", &[], Value::Double(1.0)), Err("expects int64 but got float64".into()));
    let e = &events[0];
    assert_eq!((e.name.as_str(), e.time_unix_nano, e.dropped_attributes_count), ("exception", 160, 0));
    assert_eq!(e.attributes[1], kv("f", V::BoolValue(true)));
    assert_eq!(s.attributes[1], kv("had_event", V::BoolValue(true)));
}
