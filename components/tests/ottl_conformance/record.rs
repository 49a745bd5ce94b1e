//! A telemetry item as the conformance table writes it: one JSON object
//! per row (a span, a log record or a metric with its points, and the
//! resource and scope above it), built into an OTLP request and read
//! back in the same shape, so a row compares only the fields it names.

use serde_json::{json, Map, Value};
use solder_components::otlp::proto::common::v1::any_value::Value as V;
use solder_components::otlp::proto::common::v1::{AnyValue, ArrayValue, InstrumentationScope, KeyValue, KeyValueList};
use solder_components::otlp::proto::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use solder_components::otlp::proto::metrics::v1::exponential_histogram_data_point::Buckets;
use solder_components::otlp::proto::metrics::v1::summary_data_point::ValueAtQuantile;
use solder_components::otlp::proto::metrics::v1::{
    metric::Data, number_data_point::Value as N, ExponentialHistogram, ExponentialHistogramDataPoint, Gauge, Histogram, HistogramDataPoint, Metric,
    NumberDataPoint, ResourceMetrics, ScopeMetrics, Sum, Summary, SummaryDataPoint,
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

/// A metric of the row's `"type"`: a gauge unless it says `sum`,
/// `histogram`, `exponential_histogram` or `summary`, with its points in
/// the shape [`read_metrics`] gives them back.
pub fn metrics(v: &Value) -> ExportMetricsServiceRequest {
    let points: Vec<&Value> = v.get("points").and_then(Value::as_array).into_iter().flatten().collect();
    let temporality = int(v, "aggregation_temporality") as i32;
    let data = match text(v, "type").as_str() {
        "sum" => Data::Sum(Sum {
            data_points: points.iter().map(|p| number(p)).collect(),
            aggregation_temporality: temporality,
            is_monotonic: v.get("is_monotonic").and_then(Value::as_bool).unwrap_or(false),
        }),
        "histogram" => Data::Histogram(Histogram { data_points: points.iter().map(|p| histogram(p)).collect(), aggregation_temporality: temporality }),
        "exponential_histogram" => Data::ExponentialHistogram(ExponentialHistogram {
            data_points: points.iter().map(|p| exponential(p)).collect(),
            aggregation_temporality: temporality,
        }),
        "summary" => Data::Summary(Summary { data_points: points.iter().map(|p| summary(p)).collect() }),
        _ => Data::Gauge(Gauge { data_points: points.iter().map(|p| number(p)).collect() }),
    };
    let metric = Metric { name: text(v, "name"), description: text(v, "description"), unit: text(v, "unit"), data: Some(data), ..Default::default() };
    let sm = ScopeMetrics { scope: scope(v), metrics: vec![metric], ..Default::default() };
    ExportMetricsServiceRequest { resource_metrics: vec![ResourceMetrics { resource: resource(v), scope_metrics: vec![sm], ..Default::default() }] }
}

fn number(p: &Value) -> NumberDataPoint {
    NumberDataPoint {
        attributes: attrs(p.get("attributes").unwrap_or(&Value::Null)),
        time_unix_nano: int(p, "time_unix_nano"),
        start_time_unix_nano: int(p, "start_time_unix_nano"),
        value: p.get("value").and_then(|x| x.as_i64().map(N::AsInt).or_else(|| x.as_f64().map(N::AsDouble))),
        ..Default::default()
    }
}

fn float(p: &Value, key: &str) -> Option<f64> {
    p.get(key).and_then(Value::as_f64)
}

fn counts(p: &Value, key: &str) -> Vec<u64> {
    p.get(key).and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_u64).collect()
}

fn histogram(p: &Value) -> HistogramDataPoint {
    HistogramDataPoint {
        attributes: attrs(p.get("attributes").unwrap_or(&Value::Null)),
        time_unix_nano: int(p, "time_unix_nano"),
        start_time_unix_nano: int(p, "start_time_unix_nano"),
        count: int(p, "count"),
        sum: float(p, "sum"),
        bucket_counts: counts(p, "bucket_counts"),
        explicit_bounds: p.get("explicit_bounds").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_f64).collect(),
        min: float(p, "min"),
        max: float(p, "max"),
        ..Default::default()
    }
}

fn buckets(p: &Value, key: &str) -> Option<Buckets> {
    let b = p.get(key)?;
    Some(Buckets { offset: b.get("offset").and_then(Value::as_i64).unwrap_or_default() as i32, bucket_counts: counts(b, "bucket_counts") })
}

fn exponential(p: &Value) -> ExponentialHistogramDataPoint {
    ExponentialHistogramDataPoint {
        attributes: attrs(p.get("attributes").unwrap_or(&Value::Null)),
        time_unix_nano: int(p, "time_unix_nano"),
        start_time_unix_nano: int(p, "start_time_unix_nano"),
        count: int(p, "count"),
        sum: float(p, "sum"),
        scale: p.get("scale").and_then(Value::as_i64).unwrap_or_default() as i32,
        zero_count: int(p, "zero_count"),
        positive: buckets(p, "positive"),
        negative: buckets(p, "negative"),
        ..Default::default()
    }
}

fn summary(p: &Value) -> SummaryDataPoint {
    let quantiles = p.get("quantiles").and_then(Value::as_array).into_iter().flatten();
    SummaryDataPoint {
        attributes: attrs(p.get("attributes").unwrap_or(&Value::Null)),
        time_unix_nano: int(p, "time_unix_nano"),
        start_time_unix_nano: int(p, "start_time_unix_nano"),
        count: int(p, "count"),
        sum: float(p, "sum").unwrap_or_default(),
        quantile_values: quantiles
            .map(|q| ValueAtQuantile { quantile: float(q, "quantile").unwrap_or_default(), value: float(q, "value").unwrap_or_default() })
            .collect(),
        ..Default::default()
    }
}

/// The first metric left, its resource and scope, and the scope's other
/// metrics (those the metric functions added) as `"added"`.
pub fn read_metrics(req: &ExportMetricsServiceRequest) -> Option<Value> {
    let rm = req.resource_metrics.first()?;
    let sm = rm.scope_metrics.first()?;
    let m = sm.metrics.first()?;
    let mut out = metric(m);
    out.insert("added".into(), Value::Array(sm.metrics.iter().skip(1).map(|m| Value::Object(metric(m))).collect()));
    parents(&mut out, rm.resource.as_ref(), sm.scope.as_ref());
    Some(Value::Object(out))
}

fn metric(m: &Metric) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("name".into(), json!(m.name));
    out.insert("description".into(), json!(m.description));
    out.insert("unit".into(), json!(m.unit));
    let times =
        |attributes: &[KeyValue], time: u64, start: u64| json!({ "attributes": from_attrs(attributes), "time_unix_nano": time, "start_time_unix_nano": start });
    let with = |mut base: Value, more: Value| {
        if let (Some(b), Value::Object(m)) = (base.as_object_mut(), more) {
            b.extend(m);
        }
        base
    };
    let numbers = |points: &[NumberDataPoint]| -> Vec<Value> {
        points
            .iter()
            .map(|p| {
                let value = match p.value {
                    Some(N::AsInt(i)) => json!(i),
                    Some(N::AsDouble(d)) => json!(d),
                    None => Value::Null,
                };
                with(times(&p.attributes, p.time_unix_nano, p.start_time_unix_nano), json!({ "value": value }))
            })
            .collect()
    };
    let (kind, points): (&str, Vec<Value>) = match &m.data {
        Some(Data::Gauge(g)) => ("gauge", numbers(&g.data_points)),
        Some(Data::Sum(s)) => {
            out.insert("aggregation_temporality".into(), json!(s.aggregation_temporality));
            out.insert("is_monotonic".into(), json!(s.is_monotonic));
            ("sum", numbers(&s.data_points))
        }
        Some(Data::Histogram(h)) => {
            out.insert("aggregation_temporality".into(), json!(h.aggregation_temporality));
            let points = h.data_points.iter().map(|p| {
                let more = json!({ "count": p.count, "sum": p.sum, "bucket_counts": p.bucket_counts, "explicit_bounds": p.explicit_bounds, "min": p.min, "max": p.max });
                with(times(&p.attributes, p.time_unix_nano, p.start_time_unix_nano), more)
            });
            ("histogram", points.collect())
        }
        Some(Data::ExponentialHistogram(h)) => {
            out.insert("aggregation_temporality".into(), json!(h.aggregation_temporality));
            let side = |b: &Option<Buckets>| b.as_ref().map(|b| json!({ "offset": b.offset, "bucket_counts": b.bucket_counts }));
            let points = h.data_points.iter().map(|p| {
                let more = json!({ "count": p.count, "sum": p.sum, "scale": p.scale, "zero_count": p.zero_count, "positive": side(&p.positive), "negative": side(&p.negative) });
                with(times(&p.attributes, p.time_unix_nano, p.start_time_unix_nano), more)
            });
            ("exponential_histogram", points.collect())
        }
        Some(Data::Summary(s)) => {
            let points = s.data_points.iter().map(|p| {
                let quantiles: Vec<Value> = p.quantile_values.iter().map(|q| json!({ "quantile": q.quantile, "value": q.value })).collect();
                with(times(&p.attributes, p.time_unix_nano, p.start_time_unix_nano), json!({ "count": p.count, "sum": p.sum, "quantiles": quantiles }))
            });
            ("summary", points.collect())
        }
        None => return out,
    };
    out.insert("type".into(), json!(kind));
    out.insert("points".into(), Value::Array(points));
    out
}
