//! `verbosity = "normal"`: one line per resource and scope, and one line
//! per span, data point or log record, as the Collector writes them; and
//! the one-line batch summaries every verbosity starts with.

use std::fmt::Write;

use super::go::{as_string, go_f, go_v, id, pairs};
use crate::otlp::proto::common::v1::{InstrumentationScope, KeyValue};
use crate::otlp::proto::metrics::v1::{metric::Data, number_data_point, Metric, NumberDataPoint};
use crate::otlp::proto::{ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest};
use crate::otlp::wire_counts::Counts;
use crate::otlp::Signal;

pub fn traces_summary(req: &ExportTraceServiceRequest) -> String {
    let spans: usize = req.resource_spans.iter().flat_map(|r| &r.scope_spans).map(|s| s.spans.len()).sum();
    summary(Signal::Traces, Counts { resources: req.resource_spans.len(), metrics: 0 }, spans)
}

pub fn metrics_summary(req: &ExportMetricsServiceRequest) -> String {
    let metrics = req.resource_metrics.iter().flat_map(|r| &r.scope_metrics).flat_map(|s| &s.metrics);
    let (count, points) = metrics.fold((0, 0), |(c, p), m| (c + 1, p + crate::otlp::data_points(m)));
    summary(Signal::Metrics, Counts { resources: req.resource_metrics.len(), metrics: count }, points)
}

pub fn logs_summary(req: &ExportLogsServiceRequest) -> String {
    let records: usize = req.resource_logs.iter().flat_map(|r| &r.scope_logs).map(|s| s.log_records.len()).sum();
    summary(Signal::Logs, Counts { resources: req.resource_logs.len(), metrics: 0 }, records)
}

/// The one-line summary of a batch of `items` spans, data points or log
/// records: the whole of `verbosity = "basic"`, and the first line of the
/// others. It needs only counts, which the wire bytes give without a decode.
pub fn summary(signal: Signal, counts: Counts, items: usize) -> String {
    let resources = counts.resources;
    match signal {
        Signal::Traces => format!("Traces {{\"resource spans\": {resources}, \"spans\": {items}}}\n"),
        Signal::Metrics => format!("Metrics {{\"resource metrics\": {resources}, \"metrics\": {}, \"data points\": {items}}}\n", counts.metrics),
        Signal::Logs => format!("Logs {{\"resource logs\": {resources}, \"log records\": {items}}}\n"),
    }
}

/// ` attr=value attr2=value2`, or nothing.
fn attrs_suffix(attrs: &[KeyValue]) -> String {
    pairs(attrs).iter().fold(String::new(), |mut s, p| {
        s.push(' ');
        s.push_str(p);
        s
    })
}

/// `ResourceSpans #0 [schema] service.name=foo`
fn resource_line(out: &mut String, kind: &str, i: usize, schema_url: &str, attrs: &[KeyValue]) {
    let schema = if schema_url.is_empty() { String::new() } else { format!(" [{schema_url}]") };
    let _ = writeln!(out, "{kind} #{i}{schema}{}", attrs_suffix(attrs));
}

/// `ScopeSpans #0 name@version [schema] attr=value`
fn scope_line(out: &mut String, kind: &str, j: usize, scope: Option<&InstrumentationScope>, schema_url: &str) {
    let default = InstrumentationScope::default();
    let s = scope.unwrap_or(&default);
    let mut details = s.name.clone();
    if !s.version.is_empty() {
        let _ = write!(details, "@{}", s.version);
    }
    if !schema_url.is_empty() {
        if !details.is_empty() {
            details.push(' ');
        }
        let _ = write!(details, "[{schema_url}]");
    }
    let details = if details.is_empty() { details } else { format!(" {details}") };
    let _ = writeln!(out, "{kind} #{j}{details}{}", attrs_suffix(&s.attributes));
}

pub fn traces(req: &ExportTraceServiceRequest) -> String {
    let mut out = String::new();
    for (i, rs) in req.resource_spans.iter().enumerate() {
        let attrs = rs.resource.as_ref().map_or(&[][..], |r| &r.attributes);
        resource_line(&mut out, "ResourceTraces", i, &rs.schema_url, attrs);
        for (j, ss) in rs.scope_spans.iter().enumerate() {
            scope_line(&mut out, "ScopeTraces", j, ss.scope.as_ref(), &ss.schema_url);
            for span in &ss.spans {
                let _ = writeln!(out, "{} {} {}{}", span.name, id(&span.trace_id), id(&span.span_id), attrs_suffix(&span.attributes));
            }
        }
    }
    out
}

pub fn logs(req: &ExportLogsServiceRequest) -> String {
    let mut out = String::new();
    for (i, rl) in req.resource_logs.iter().enumerate() {
        let attrs = rl.resource.as_ref().map_or(&[][..], |r| &r.attributes);
        resource_line(&mut out, "ResourceLog", i, &rl.schema_url, attrs);
        for (j, sl) in rl.scope_logs.iter().enumerate() {
            scope_line(&mut out, "ScopeLog", j, sl.scope.as_ref(), &sl.schema_url);
            for r in &sl.log_records {
                let _ = writeln!(out, "{} {}", as_string(r.body.as_ref()), pairs(&r.attributes).join(" "));
            }
        }
    }
    out
}

pub fn metrics(req: &ExportMetricsServiceRequest) -> String {
    let mut out = String::new();
    for (i, rm) in req.resource_metrics.iter().enumerate() {
        let attrs = rm.resource.as_ref().map_or(&[][..], |r| &r.attributes);
        resource_line(&mut out, "ResourceMetrics", i, &rm.schema_url, attrs);
        for (j, sm) in rm.scope_metrics.iter().enumerate() {
            scope_line(&mut out, "ScopeMetrics", j, sm.scope.as_ref(), &sm.schema_url);
            for m in &sm.metrics {
                metric(&mut out, m);
            }
        }
    }
    out
}

/// `name{attr=value,...} value` per data point.
fn metric(out: &mut String, m: &Metric) {
    let mut point = |attrs: &[KeyValue], value: String| {
        let _ = writeln!(out, "{}{{{}}} {value}", m.name, pairs(attrs).join(","));
    };
    let number = |p: &NumberDataPoint| match p.value {
        Some(number_data_point::Value::AsInt(v)) => v.to_string(),
        Some(number_data_point::Value::AsDouble(v)) => go_v(v),
        None => String::new(),
    };
    let stats = |count: u64, sum: Option<f64>, min: Option<f64>, max: Option<f64>| {
        let mut s = format!("count={count}");
        for (label, v) in [("sum", sum), ("min", min), ("max", max)] {
            if let Some(v) = v {
                let _ = write!(s, " {label}={}", go_v(v));
            }
        }
        s
    };
    match &m.data {
        None => {}
        Some(Data::Gauge(g)) => g.data_points.iter().for_each(|p| point(&p.attributes, number(p))),
        Some(Data::Sum(s)) => s.data_points.iter().for_each(|p| point(&p.attributes, number(p))),
        Some(Data::Histogram(h)) => {
            for p in &h.data_points {
                let mut value = stats(p.count, p.sum, p.min, p.max);
                for (b, count) in p.bucket_counts.iter().enumerate() {
                    let _ = match p.explicit_bounds.get(b) {
                        Some(bound) => write!(value, " le{}={count}", go_v(*bound)),
                        None => write!(value, " {count}"),
                    };
                }
                point(&p.attributes, value);
            }
        }
        Some(Data::ExponentialHistogram(h)) => {
            for p in &h.data_points {
                let mut value = stats(p.count, p.sum, p.min, p.max);
                let base = 2f64.powf(2f64.powi(-p.scale));
                for buckets in [&p.negative, &p.positive].into_iter().flatten() {
                    for (i, count) in buckets.bucket_counts.iter().enumerate() {
                        let index = f64::from(buckets.offset) + i as f64;
                        let _ = write!(value, " le{}={count}", go_v(base.powf(index)));
                    }
                }
                if p.zero_count > 0 {
                    let _ = write!(value, " zero_count{}={}", go_v(p.zero_threshold), p.zero_count);
                }
                point(&p.attributes, value);
            }
        }
        Some(Data::Summary(s)) => {
            for p in &s.data_points {
                let mut value = format!("count={} sum={}", p.count, go_f(p.sum));
                for q in &p.quantile_values {
                    let _ = write!(value, " q{}={}", go_v(q.quantile), go_v(q.value));
                }
                point(&p.attributes, value);
            }
        }
    }
}
