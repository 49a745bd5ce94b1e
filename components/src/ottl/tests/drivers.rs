//! The drivers' order, visibility and removal, with closures standing in
//! for compiled statements and conditions.

use std::cell::Cell;

use solder_syntax::ottl::{Context, ErrorMode, RunError, Schema, Value};

use super::{k, kv, path, sv};
use crate::otlp::proto::common::v1::any_value::Value as V;
use crate::otlp::proto::common::v1::InstrumentationScope;
use crate::otlp::proto::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use crate::otlp::proto::metrics::v1::metric::Data;
use crate::otlp::proto::metrics::v1::*;
use crate::otlp::proto::resource::v1::Resource;
use crate::otlp::proto::trace::v1::span::Event;
use crate::otlp::proto::trace::v1::{ResourceSpans, ScopeSpans, Span};
use crate::otlp::proto::{ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest};
use crate::ottl::filter::{self, Predicate};
use crate::ottl::transform::{self, Stage};
use crate::ottl::*;

type Body<'a> = Box<dyn Fn(&mut dyn Context) -> Result<(), String> + 'a>;

/// A stand-in for one group's statements: a closure over the context,
/// whose failures the error mode treats as the evaluator would.
struct Fake<'a> {
    schema: &'static Schema,
    body: Body<'a>,
}

fn stage<'a>(schema: &'static Schema, body: impl Fn(&mut dyn Context) -> Result<(), String> + 'a) -> Fake<'a> {
    Fake { schema, body: Box::new(body) }
}

impl Stage for Fake<'_> {
    fn schema(&self) -> &'static Schema {
        self.schema
    }

    fn run(&self, ctx: &mut dyn Context, mode: ErrorMode, errors: &mut Vec<RunError>) -> Result<(), RunError> {
        match (self.body)(ctx) {
            Ok(()) => Ok(()),
            Err(message) => match mode {
                ErrorMode::Propagate => Err(RunError { index: 0, message }),
                ErrorMode::Ignore => {
                    errors.push(RunError { index: 0, message });
                    Ok(())
                }
                ErrorMode::Silent => Ok(()),
            },
        }
    }
}

/// A stand-in for conditions; `None` is an empty list.
type Test<'a> = Box<dyn Fn(&mut dyn Context) -> Result<bool, String> + 'a>;

struct Cond<'a>(Option<Test<'a>>);

fn cond<'a>(f: impl Fn(&mut dyn Context) -> Result<bool, String> + 'a) -> Cond<'a> {
    Cond(Some(Box::new(f)))
}

impl Predicate for Cond<'_> {
    fn test(&self, ctx: &mut dyn Context, _: ErrorMode, _: &mut Vec<RunError>) -> Result<bool, RunError> {
        self.0.as_ref().map_or(Ok(false), |f| f(ctx)).map_err(|message| RunError { index: 0, message })
    }

    fn is_empty(&self) -> bool {
        self.0.is_none()
    }
}

fn read(ctx: &dyn Context, schema: &Schema, name: &str) -> Value {
    ctx.get(path(schema, name), &[]).unwrap()
}

fn attr(ctx: &dyn Context, schema: &Schema, name: &str, key: &str) -> Value {
    ctx.get(path(schema, name), &[k(key)]).unwrap()
}

fn put(ctx: &mut dyn Context, schema: &Schema, name: &str, key: &str, v: Value) -> Result<(), String> {
    ctx.set(path(schema, name), &[k(key)], v)
}

/// Two resources × two scopes × two spans, each span with two events.
fn traces() -> ExportTraceServiceRequest {
    let span = |r: usize, s: usize, i: usize| Span {
        name: format!("span-{r}{s}{i}"),
        events: vec![Event { name: "a".into(), ..Default::default() }, Event { name: "b".into(), ..Default::default() }],
        ..Default::default()
    };
    let scope = |r: usize, s: usize| ScopeSpans {
        scope: Some(InstrumentationScope { name: format!("scope-{r}{s}"), ..Default::default() }),
        spans: (0..2).map(|i| span(r, s, i)).collect(),
        ..Default::default()
    };
    ExportTraceServiceRequest {
        resource_spans: (0..2)
            .map(|r| ResourceSpans {
                resource: Some(Resource { attributes: vec![kv("r", V::IntValue(r as i64))], ..Default::default() }),
                scope_spans: (0..2).map(|s| scope(r, s)).collect(),
                ..Default::default()
            })
            .collect(),
    }
}

fn spans(req: &ExportTraceServiceRequest) -> Vec<&Span> {
    req.resource_spans.iter().flat_map(|r| &r.scope_spans).flat_map(|s| &s.spans).collect()
}

#[test]
fn groups_run_in_order_each_at_its_level() {
    let mut req = traces();
    let calls = Cell::new([0; 4]);
    let count = |i: usize| {
        let mut c = calls.get();
        c[i] += 1;
        calls.set(c);
    };
    let groups = [
        stage(&RESOURCE, |ctx| {
            count(0);
            put(ctx, &RESOURCE, "attributes", "env", Value::str("prod"))
        }),
        stage(&SCOPE, |ctx| {
            count(1);
            let r = attr(ctx, &SCOPE, "resource.attributes", "r");
            put(ctx, &SCOPE, "attributes", "seen_r", r)
        }),
        stage(&SPAN, |ctx| {
            count(2);
            let env = attr(ctx, &SPAN, "resource.attributes", "env");
            let scope = read(ctx, &SPAN, "instrumentation_scope.name");
            put(ctx, &SPAN, "attributes", "env", env)?;
            put(ctx, &SPAN, "attributes", "scope", scope)
        }),
        stage(&SPANEVENT, |ctx| {
            count(3);
            let n = attr(ctx, &SPANEVENT, "span.attributes", "events");
            let n = if let Value::Int(n) = n { n + 1 } else { 1 };
            put(ctx, &SPANEVENT, "span.attributes", "events", Value::Int(n))
        }),
    ];
    transform::traces(&groups, &mut req, ErrorMode::Propagate, &mut Vec::new()).unwrap();
    assert_eq!(calls.get(), [2, 4, 8, 16], "once per resource, scope, span and event");
    for span in spans(&req) {
        assert_eq!(span.attributes[0], kv("env", sv("prod")), "the span group ran after the resource group");
        assert_eq!(span.attributes[2], kv("events", V::IntValue(2)), "each event saw its own span");
        assert_eq!(span.events.len(), 2);
    }
    let first = &req.resource_spans[1].scope_spans[1];
    assert_eq!(first.spans[0].attributes[1], kv("scope", sv("scope-11")));
    assert_eq!(first.scope.as_ref().unwrap().attributes[0], kv("seen_r", V::IntValue(1)));
}

#[test]
fn errors_follow_the_mode_and_leave_the_request_whole() {
    let fail_on_b = |ctx: &mut dyn Context| match read(ctx, &SPANEVENT, "name") {
        Value::Str(s) if s == "b" => Err("no b".to_string()),
        _ => put(ctx, &SPANEVENT, "attributes", "ok", Value::Bool(true)),
    };
    let mut req = traces();
    let mut errors = Vec::new();
    transform::traces(&[stage(&SPANEVENT, fail_on_b)], &mut req, ErrorMode::Ignore, &mut errors).unwrap();
    assert_eq!(errors.len(), 8, "ignore: every failure logged, every event visited");
    assert!(spans(&req).iter().all(|s| s.events[0].attributes.len() == 1));

    let mut req = traces();
    let err = transform::traces(&[stage(&SPANEVENT, fail_on_b)], &mut req, ErrorMode::Propagate, &mut errors).unwrap_err();
    assert_eq!(err.message, "no b");
    let all = spans(&req);
    assert!(all.iter().all(|s| s.events.len() == 2), "events are put back after a failure");
    assert_eq!(all.iter().filter(|s| !s.events[0].attributes.is_empty()).count(), 1, "propagate stops at the first failure");

    let mut req = traces();
    assert!(transform::traces(&[stage(&METRIC, |_| Ok(()))], &mut req, ErrorMode::Ignore, &mut errors).is_err());
}

fn metrics() -> ExportMetricsServiceRequest {
    let number = |v: i64| NumberDataPoint { value: Some(number_data_point::Value::AsInt(v)), ..Default::default() };
    let metrics = vec![
        Metric { name: "gauge".into(), data: Some(Data::Gauge(Gauge { data_points: vec![number(1), number(2)] })), ..Default::default() },
        Metric { name: "sum".into(), data: Some(Data::Sum(Sum { data_points: vec![number(3)], ..Default::default() })), ..Default::default() },
        Metric {
            name: "hist".into(),
            data: Some(Data::Histogram(Histogram { data_points: vec![HistogramDataPoint::default()], ..Default::default() })),
            ..Default::default()
        },
        Metric {
            name: "exp".into(),
            data: Some(Data::ExponentialHistogram(ExponentialHistogram { data_points: vec![Default::default()], ..Default::default() })),
            ..Default::default()
        },
        Metric {
            name: "summary".into(),
            data: Some(Data::Summary(Summary { data_points: vec![Default::default(), Default::default()] })),
            ..Default::default()
        },
        Metric { name: "typeless".into(), ..Default::default() },
    ];
    ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics { scope_metrics: vec![ScopeMetrics { metrics, ..Default::default() }], ..Default::default() }],
    }
}

fn point_names(req: &ExportMetricsServiceRequest) -> Vec<(String, usize)> {
    req.resource_metrics.iter().flat_map(|r| &r.scope_metrics).flat_map(|s| &s.metrics).map(|m| (m.name.clone(), crate::otlp::data_points(m))).collect()
}

#[test]
fn datapoint_groups_visit_every_point_of_every_type_with_its_metric() {
    let mut req = metrics();
    let seen = Cell::new(0);
    let groups = [
        stage(&METRIC, |ctx| put(ctx, &METRIC, "metadata", "m", Value::Bool(true))),
        stage(&DATAPOINT, |ctx| {
            seen.set(seen.get() + 1);
            let name = read(ctx, &DATAPOINT, "metric.name");
            put(ctx, &DATAPOINT, "attributes", "metric", name)
        }),
    ];
    transform::metrics(&groups, &mut req, ErrorMode::Propagate, &mut Vec::new()).unwrap();
    assert_eq!(seen.get(), 7);
    let metrics = &req.resource_metrics[0].scope_metrics[0].metrics;
    assert!(metrics.iter().all(|m| m.metadata == vec![kv("m", V::BoolValue(true))]));
    let Some(Data::Summary(s)) = &metrics[4].data else { panic!() };
    assert!(s.data_points.iter().all(|p| p.attributes == vec![kv("metric", sv("summary"))]));
    let Some(Data::Gauge(g)) = &metrics[0].data else { panic!() };
    assert_eq!(g.data_points[1].attributes, vec![kv("metric", sv("gauge"))]);
}

#[test]
fn log_groups_visit_every_record() {
    let record = |b: &str| LogRecord { severity_text: b.into(), ..Default::default() };
    let mut req = ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            scope_logs: vec![ScopeLogs { log_records: vec![record("INFO"), record("DEBUG")], ..Default::default() }, ScopeLogs::default()],
            ..Default::default()
        }],
    };
    let groups = [stage(&LOG, |ctx| {
        let text = read(ctx, &LOG, "severity_text");
        ctx.set(path(&LOG, "body"), &[], text)
    })];
    transform::logs(&groups, &mut req, ErrorMode::Propagate, &mut Vec::new()).unwrap();
    let records = &req.resource_logs[0].scope_logs[0].log_records;
    assert_eq!(records[1].body.as_ref().and_then(|b| b.value.clone()), Some(sv("DEBUG")));
    assert_eq!(req.resource_logs[0].scope_logs.len(), 2, "a transform removes nothing");
}

#[test]
fn span_filters_drop_matches_then_empty_scopes_and_resources() {
    let mut req = traces();
    let by_name = cond(|ctx| Ok(matches!(read(ctx, &SPAN, "name"), Value::Str(n) if n.starts_with("span-0"))));
    let out = filter::traces(&by_name, &Cond(None), &mut req, ErrorMode::Propagate, &mut Vec::new()).unwrap();
    assert_eq!(out, Filtered { spans: 4, ..Filtered::default() });
    assert_eq!(req.resource_spans.len(), 1, "the first resource lost all its spans");
    assert_eq!(spans(&req).len(), 4);

    let mut req = traces();
    let events_a = cond(|ctx| Ok(read(ctx, &SPANEVENT, "name") == Value::str("a")));
    let first_span = cond(|ctx| Ok(read(ctx, &SPAN, "name") == Value::str("span-000")));
    let out = filter::traces(&first_span, &events_a, &mut req, ErrorMode::Propagate, &mut Vec::new()).unwrap();
    assert_eq!(out, Filtered { spans: 1, span_events: 7, ..Filtered::default() }, "a dropped span's events are not counted");
    assert!(spans(&req).iter().all(|s| s.events.len() == 1 && s.events[0].name == "b"));

    let mut req = traces();
    let failing = cond(|_| Err("bad".to_string()));
    assert!(filter::traces(&Cond(None), &failing, &mut req, ErrorMode::Propagate, &mut Vec::new()).is_err());
    assert!(spans(&req).iter().all(|s| s.events.len() == 2), "events are put back after a failure");
}

#[test]
fn metric_filters_drop_metrics_points_and_emptied_metrics() {
    let mut req = metrics();
    let hist = cond(|ctx| Ok(read(ctx, &METRIC, "type") == Value::Int(3)));
    let small = cond(|ctx| {
        Ok(matches!(ctx.get(path(&DATAPOINT, "value_int"), &[]), Ok(Value::Int(i)) if i < 3) || read(ctx, &DATAPOINT, "metric.name") == Value::str("summary"))
    });
    let out = filter::metrics(&hist, &small, &mut req, ErrorMode::Propagate, &mut Vec::new()).unwrap();
    assert_eq!(out, Filtered { metrics: 3, datapoints: 4, ..Filtered::default() });
    let left: Vec<_> = point_names(&req);
    assert_eq!(left, [("sum".to_string(), 1), ("exp".to_string(), 1), ("typeless".to_string(), 0)]);

    let mut req = metrics();
    let all = cond(|_| Ok(true));
    let out = filter::metrics(&all, &Cond(None), &mut req, ErrorMode::Propagate, &mut Vec::new()).unwrap();
    assert_eq!(out.metrics, 6);
    assert!(req.resource_metrics.is_empty(), "the emptied scope and resource are removed");
}

#[test]
fn log_filters_and_empty_condition_lists() {
    let record = |t: &str| LogRecord { severity_text: t.into(), ..Default::default() };
    let req = || ExportLogsServiceRequest {
        resource_logs: vec![
            ResourceLogs { scope_logs: vec![ScopeLogs { log_records: vec![record("DEBUG"), record("INFO")], ..Default::default() }], ..Default::default() },
            ResourceLogs { scope_logs: vec![ScopeLogs { log_records: vec![record("DEBUG")], ..Default::default() }], ..Default::default() },
            ResourceLogs::default(),
        ],
    };
    let debug = cond(|ctx| Ok(read(ctx, &LOG, "severity_text") == Value::str("DEBUG")));
    let mut r = req();
    let out = filter::logs(&debug, &mut r, ErrorMode::Propagate, &mut Vec::new()).unwrap();
    assert_eq!(out, Filtered { logs: 2, ..Filtered::default() });
    assert_eq!(r.resource_logs.len(), 1);
    assert_eq!(r.resource_logs[0].scope_logs[0].log_records, vec![record("INFO")]);

    let mut r = req();
    assert_eq!(filter::logs(&Cond(None), &mut r, ErrorMode::Propagate, &mut Vec::new()), Ok(Filtered::default()));
    assert_eq!(r, req(), "no conditions: nothing is touched, not even empty resources");
}
