//! A telemetry item as the conformance table writes it: one JSON object
//! per row (a span, a log record or a metric with its points, and the
//! resource and scope above it), built into an OTLP request and read
//! back in the same shape, so a row compares only the fields it names.

use serde_json::{json, Map, Value};
use solder_components::otlp::proto::common::v1::any_value::Value as V;
use solder_components::otlp::proto::common::v1::{AnyValue, ArrayValue, InstrumentationScope, KeyValue, KeyValueList};
use solder_components::otlp::proto::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use solder_components::otlp::proto::metrics::v1::{
    metric::Data, number_data_point::Value as N, Gauge, Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics, Sum,
};
use solder_components::otlp::proto::resource::v1::Resource;
use solder_components::otlp::proto::trace::v1::{span::Event, ResourceSpans, ScopeSpans, Span, Status};
use solder_components::otlp::proto::{ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest};

pub fn any(v: &Value) -> AnyValue {
    let value = match v {
        Value::Null => None,
        Value::Bool(b) => Some(V::BoolValue(*b)),
        Value::Number(n) => Some(n.as_i64().map_or_else(|| V::DoubleValue(n.as_f64().unwrap_or(f64::NAN)), V::IntValue)),
        Value::String(s) => Some(V::StringValue(s.clone())),
        Value::Array(items) => Some(V::ArrayValue(ArrayValue { values: items.iter().map(any).collect() })),
        Value::Object(m) => match m.get("$bytes").and_then(Value::as_str) {
            Some(hex_text) => Some(V::BytesValue(hex::decode(hex_text).unwrap_or_default())),
            None => Some(V::KvlistValue(KeyValueList { values: attrs(v) })),
        },
    };
    AnyValue { value }
}

pub fn from_any(a: Option<&AnyValue>) -> Value {
    match a.and_then(|a| a.value.as_ref()) {
        None => Value::Null,
        Some(V::BoolValue(b)) => json!(b),
        Some(V::IntValue(i)) => json!(i),
        Some(V::DoubleValue(d)) => json!(d),
        Some(V::StringValue(s)) => json!(s),
        Some(V::BytesValue(b)) => json!({ "$bytes": hex::encode(b) }),
        Some(V::ArrayValue(a)) => Value::Array(a.values.iter().map(|v| from_any(Some(v))).collect()),
        Some(V::KvlistValue(l)) => from_attrs(&l.values),
        Some(other) => json!(format!("{other:?}")),
    }
}

pub fn attrs(v: &Value) -> Vec<KeyValue> {
    v.as_object().into_iter().flatten().map(|(k, v)| KeyValue { key: k.clone(), value: Some(any(v)), ..Default::default() }).collect()
}

pub fn from_attrs(kvs: &[KeyValue]) -> Value {
    Value::Object(kvs.iter().map(|kv| (kv.key.clone(), from_any(kv.value.as_ref()))).collect())
}

fn text(v: &Value, key: &str) -> String {
    v.get(key).and_then(Value::as_str).unwrap_or_default().to_string()
}

fn int(v: &Value, key: &str) -> u64 {
    v.get(key).and_then(Value::as_u64).unwrap_or_default()
}

fn bytes(v: &Value, key: &str) -> Vec<u8> {
    hex::decode(text(v, key)).unwrap_or_default()
}

fn resource(v: &Value) -> Option<Resource> {
    Some(Resource { attributes: attrs(v.get("resource").unwrap_or(&Value::Null)), ..Default::default() })
}

fn scope(v: &Value) -> Option<InstrumentationScope> {
    let s = v.get("scope").cloned().unwrap_or(Value::Null);
    Some(InstrumentationScope {
        name: text(&s, "name"),
        version: text(&s, "version"),
        attributes: attrs(s.get("attributes").unwrap_or(&Value::Null)),
        ..Default::default()
    })
}

/// The fields every signal shares: resource and scope.
fn parents(out: &mut Map<String, Value>, res: Option<&Resource>, sc: Option<&InstrumentationScope>) {
    out.insert("resource".into(), res.map_or(json!({}), |r| from_attrs(&r.attributes)));
    if let Some(s) = sc {
        out.insert("scope".into(), json!({ "name": s.name, "version": s.version, "attributes": from_attrs(&s.attributes) }));
    }
}

pub fn traces(v: &Value) -> ExportTraceServiceRequest {
    let status = v.get("status").map(|s| Status { code: int(s, "code") as i32, message: text(s, "message") });
    let events = v.get("events").and_then(Value::as_array).into_iter().flatten();
    let span = Span {
        name: text(v, "name"),
        kind: int(v, "kind") as i32,
        trace_id: bytes(v, "trace_id"),
        span_id: bytes(v, "span_id"),
        parent_span_id: bytes(v, "parent_span_id"),
        trace_state: text(v, "trace_state"),
        start_time_unix_nano: int(v, "start_time_unix_nano"),
        end_time_unix_nano: int(v, "end_time_unix_nano"),
        attributes: attrs(v.get("attributes").unwrap_or(&Value::Null)),
        status,
        events: events
            .map(|e| Event {
                name: text(e, "name"),
                time_unix_nano: int(e, "time_unix_nano"),
                attributes: attrs(e.get("attributes").unwrap_or(&Value::Null)),
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    };
    let ss = ScopeSpans { scope: scope(v), spans: vec![span], ..Default::default() };
    ExportTraceServiceRequest { resource_spans: vec![ResourceSpans { resource: resource(v), scope_spans: vec![ss], ..Default::default() }] }
}

/// The first span left, or `None` if every span was dropped.
pub fn read_traces(req: &ExportTraceServiceRequest) -> Option<Value> {
    let rs = req.resource_spans.first()?;
    let ss = rs.scope_spans.first()?;
    let s = ss.spans.first()?;
    let mut out = Map::new();
    out.insert("name".into(), json!(s.name));
    out.insert("kind".into(), json!(s.kind));
    out.insert("trace_id".into(), json!(hex::encode(&s.trace_id)));
    out.insert("span_id".into(), json!(hex::encode(&s.span_id)));
    out.insert("parent_span_id".into(), json!(hex::encode(&s.parent_span_id)));
    out.insert("trace_state".into(), json!(s.trace_state));
    out.insert("start_time_unix_nano".into(), json!(s.start_time_unix_nano));
    out.insert("end_time_unix_nano".into(), json!(s.end_time_unix_nano));
    out.insert("attributes".into(), from_attrs(&s.attributes));
    let st = s.status.clone().unwrap_or_default();
    out.insert("status".into(), json!({ "code": st.code, "message": st.message }));
    let events: Vec<Value> =
        s.events.iter().map(|e| json!({ "name": e.name, "time_unix_nano": e.time_unix_nano, "attributes": from_attrs(&e.attributes) })).collect();
    out.insert("events".into(), Value::Array(events));
    parents(&mut out, rs.resource.as_ref(), ss.scope.as_ref());
    Some(Value::Object(out))
}

pub fn logs(v: &Value) -> ExportLogsServiceRequest {
    let record = LogRecord {
        body: v.get("body").map(any),
        attributes: attrs(v.get("attributes").unwrap_or(&Value::Null)),
        severity_number: int(v, "severity_number") as i32,
        severity_text: text(v, "severity_text"),
        time_unix_nano: int(v, "time_unix_nano"),
        observed_time_unix_nano: int(v, "observed_time_unix_nano"),
        trace_id: bytes(v, "trace_id"),
        span_id: bytes(v, "span_id"),
        flags: int(v, "flags") as u32,
        event_name: text(v, "event_name"),
        ..Default::default()
    };
    let sl = ScopeLogs { scope: scope(v), log_records: vec![record], ..Default::default() };
    ExportLogsServiceRequest { resource_logs: vec![ResourceLogs { resource: resource(v), scope_logs: vec![sl], ..Default::default() }] }
}

pub fn read_logs(req: &ExportLogsServiceRequest) -> Option<Value> {
    let rl = req.resource_logs.first()?;
    let sl = rl.scope_logs.first()?;
    let r = sl.log_records.first()?;
    let mut out = Map::new();
    out.insert("body".into(), from_any(r.body.as_ref()));
    out.insert("attributes".into(), from_attrs(&r.attributes));
    out.insert("severity_number".into(), json!(r.severity_number));
    out.insert("severity_text".into(), json!(r.severity_text));
    out.insert("time_unix_nano".into(), json!(r.time_unix_nano));
    out.insert("observed_time_unix_nano".into(), json!(r.observed_time_unix_nano));
    out.insert("trace_id".into(), json!(hex::encode(&r.trace_id)));
    out.insert("span_id".into(), json!(hex::encode(&r.span_id)));
    out.insert("flags".into(), json!(r.flags));
    out.insert("event_name".into(), json!(r.event_name));
    parents(&mut out, rl.resource.as_ref(), sl.scope.as_ref());
    Some(Value::Object(out))
}

/// A gauge, or a sum when the row gives `"type": "sum"`.
pub fn metrics(v: &Value) -> ExportMetricsServiceRequest {
    let points = v.get("points").and_then(Value::as_array).into_iter().flatten();
    let data_points: Vec<NumberDataPoint> = points
        .map(|p| NumberDataPoint {
            attributes: attrs(p.get("attributes").unwrap_or(&Value::Null)),
            time_unix_nano: int(p, "time_unix_nano"),
            start_time_unix_nano: int(p, "start_time_unix_nano"),
            value: p.get("value").and_then(|x| x.as_i64().map(N::AsInt).or_else(|| x.as_f64().map(N::AsDouble))),
            ..Default::default()
        })
        .collect();
    let data = if text(v, "type") == "sum" {
        Data::Sum(Sum {
            data_points,
            aggregation_temporality: int(v, "aggregation_temporality") as i32,
            is_monotonic: v.get("is_monotonic").and_then(Value::as_bool).unwrap_or(false),
        })
    } else {
        Data::Gauge(Gauge { data_points })
    };
    let metric = Metric { name: text(v, "name"), description: text(v, "description"), unit: text(v, "unit"), data: Some(data), ..Default::default() };
    let sm = ScopeMetrics { scope: scope(v), metrics: vec![metric], ..Default::default() };
    ExportMetricsServiceRequest { resource_metrics: vec![ResourceMetrics { resource: resource(v), scope_metrics: vec![sm], ..Default::default() }] }
}

pub fn read_metrics(req: &ExportMetricsServiceRequest) -> Option<Value> {
    let rm = req.resource_metrics.first()?;
    let sm = rm.scope_metrics.first()?;
    let m = sm.metrics.first()?;
    let mut out = Map::new();
    out.insert("name".into(), json!(m.name));
    out.insert("description".into(), json!(m.description));
    out.insert("unit".into(), json!(m.unit));
    let (kind, points) = match &m.data {
        Some(Data::Gauge(g)) => ("gauge", &g.data_points),
        Some(Data::Sum(s)) => ("sum", &s.data_points),
        _ => return Some(Value::Object(out)),
    };
    out.insert("type".into(), json!(kind));
    let points: Vec<Value> = points
        .iter()
        .map(|p| {
            let value = match p.value {
                Some(N::AsInt(i)) => json!(i),
                Some(N::AsDouble(d)) => json!(d),
                None => Value::Null,
            };
            json!({ "attributes": from_attrs(&p.attributes), "time_unix_nano": p.time_unix_nano, "start_time_unix_nano": p.start_time_unix_nano, "value": value })
        })
        .collect();
    out.insert("points".into(), Value::Array(points));
    parents(&mut out, rm.resource.as_ref(), sm.scope.as_ref());
    Some(Value::Object(out))
}
