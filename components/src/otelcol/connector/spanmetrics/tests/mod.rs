//! Span metrics specified by hand-computed examples: the aggregation core
//! driven with fixed clocks ([`aggregation`]), and the component driven as
//! the runtime drives it ([`component`]); and the wire path held to the
//! decoded one ([`differential`]).

mod aggregation;
mod bounds;
mod component;
mod differential;

use prost::Message;

use super::aggregate::{Aggregator, Config};
use super::*;
use crate::harness::{evaluate, Recorder};
use crate::otlp::proto::common::v1::{any_value, AnyValue, KeyValue};
use crate::otlp::proto::metrics::v1::{metric::Data, Metric, ResourceMetrics};
use crate::otlp::proto::resource::v1::Resource;
use crate::otlp::proto::trace::v1::{span, status, ResourceSpans, ScopeSpans, Span, Status};
use crate::otlp::proto::ExportTraceServiceRequest;

/// The aggregation config `args` give, or the error message.
fn config(args: &str) -> Result<Config, String> {
    let sink = Recorder::accepting(&[Signal::Metrics]).scope("sink");
    let body = evaluate(REGISTRATION.name, &format!("{args}\noutput {{ metrics = [sink] }}"), &sink).map_err(|d| d.message)?;
    let a: Arguments = crate::decode::decode(&body).map_err(|d| d.message)?;
    a.config().map_err(|e| e.message)
}

const MS: u64 = 1_000_000;
const T0: u64 = 1_700_000_000_000_000_000;

fn text(v: &str) -> AnyValue {
    AnyValue { value: Some(any_value::Value::StringValue(v.into())) }
}

fn kv(k: &str, v: AnyValue) -> KeyValue {
    KeyValue { key: k.into(), value: Some(v), ..Default::default() }
}

fn int(i: i64) -> AnyValue {
    AnyValue { value: Some(any_value::Value::IntValue(i)) }
}

fn boolean(b: bool) -> AnyValue {
    AnyValue { value: Some(any_value::Value::BoolValue(b)) }
}

/// A span that started at T0 and lasted `nanos`.
fn span(name: &str, kind: span::SpanKind, code: status::StatusCode, nanos: u64) -> Span {
    Span {
        name: name.into(),
        kind: kind as i32,
        trace_id: vec![1; 16],
        span_id: vec![2; 8],
        start_time_unix_nano: T0,
        end_time_unix_nano: T0 + nanos,
        status: Some(Status { code: code as i32, message: String::new() }),
        ..Default::default()
    }
}

fn server(name: &str, nanos: u64) -> Span {
    span(name, span::SpanKind::Server, status::StatusCode::Unset, nanos)
}

/// The encoded request of one resource and scope: what the aggregator
/// reads, as the component hands it the payload's bytes.
fn request(resource: Vec<KeyValue>, spans: Vec<Span>) -> Vec<u8> {
    request_message(resource, spans).encode_to_vec()
}

fn request_message(resource: Vec<KeyValue>, spans: Vec<Span>) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource { attributes: resource, ..Default::default() }),
            scope_spans: vec![ScopeSpans { spans, ..Default::default() }],
            schema_url: String::new(),
        }],
    }
}

fn svc(name: &str) -> Vec<KeyValue> {
    vec![kv("service.name", text(name))]
}

/// Attributes as `k=v` with strings quoted, so types show.
fn render(attrs: &[KeyValue]) -> String {
    let v = |a: &KeyValue| match a.value.as_ref().and_then(|v| v.value.as_ref()) {
        Some(any_value::Value::StringValue(s)) => format!("{s:?}"),
        Some(any_value::Value::IntValue(i)) => i.to_string(),
        Some(any_value::Value::BoolValue(b)) => b.to_string(),
        other => format!("{other:?}"),
    };
    attrs.iter().map(|a| format!("{}={}", a.key, v(a))).collect::<Vec<_>>().join(" ")
}

fn metric<'a>(out: &'a [ResourceMetrics], name: &str) -> &'a Metric {
    out.iter().flat_map(|r| &r.scope_metrics).flat_map(|s| &s.metrics).find(|m| m.name == name).unwrap_or_else(|| panic!("no metric {name}"))
}

/// `(attributes, count)` of a Sum, sorted.
fn calls(out: &[ResourceMetrics], name: &str) -> Vec<(String, i64)> {
    let Some(Data::Sum(sum)) = &metric(out, name).data else { panic!("{name} is not a sum") };
    let mut v: Vec<_> = sum
        .data_points
        .iter()
        .map(|p| {
            let Some(crate::otlp::proto::metrics::v1::number_data_point::Value::AsInt(n)) = p.value else { panic!("not an int") };
            (render(&p.attributes), n)
        })
        .collect();
    v.sort();
    v
}

/// `(attributes, bucket counts, sum)` of a Histogram, sorted.
fn buckets(out: &[ResourceMetrics], name: &str) -> Vec<(String, Vec<u64>, f64)> {
    let Some(Data::Histogram(h)) = &metric(out, name).data else { panic!("{name} is not a histogram") };
    let mut v: Vec<_> = h.data_points.iter().map(|p| (render(&p.attributes), p.bucket_counts.clone(), p.sum.unwrap_or(-1.0))).collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

fn aggregator(args: &str) -> Aggregator {
    Aggregator::new(config(args).unwrap())
}

const EXPLICIT: &str = "histogram {\n explicit {}\n}";
