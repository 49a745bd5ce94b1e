//! `verbosity = "detailed"`: the Collector's multi-line dump of every
//! resource, scope and item, field by field, in its exact layout.

use std::fmt::Write;

use super::go::{go_f, id, severity, span_kind, status_code, temporality, timestamp, typed};
use crate::otlp::proto::common::v1::{InstrumentationScope, KeyValue};
use crate::otlp::proto::metrics::v1::{exemplar, metric::Data, number_data_point, Exemplar, Metric, NumberDataPoint};
use crate::otlp::proto::resource::v1::Resource;
use crate::otlp::proto::{ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest};

/// The text being built, with the Collector's line helpers.
#[derive(Default)]
struct Dump(String);

impl Dump {
    fn line(&mut self, args: std::fmt::Arguments<'_>) {
        let _ = self.0.write_fmt(args);
        self.0.push('\n');
    }

    /// `    Label          : value`, the span fields' aligned layout.
    fn field(&mut self, label: &str, value: &str) {
        self.line(format_args!("    {label:<15}: {value}"));
    }

    /// A header and one `-> key: Type(value)` line per attribute; nothing
    /// at all when there are none. A header that is itself an arrow item
    /// (`     -> Attributes:`) indents its attributes one level further.
    fn attributes(&mut self, header: &str, attrs: &[KeyValue]) {
        if attrs.is_empty() {
            return;
        }
        self.line(format_args!("{header}:"));
        let indent = header.split_once("->").map_or("", |(before, _)| before);
        for kv in attrs {
            self.line(format_args!("{indent}     -> {}: {}", kv.key, typed(kv.value.as_ref())));
        }
    }

    fn resource(&mut self, resource: Option<&Resource>, schema_url: &str) {
        self.line(format_args!("Resource SchemaURL: {schema_url}"));
        let Some(r) = resource else { return };
        self.attributes("Resource attributes", &r.attributes);
        if r.entity_refs.is_empty() {
            return;
        }
        self.line(format_args!("Resource entity refs:"));
        for (i, e) in r.entity_refs.iter().enumerate() {
            self.line(format_args!("     -> Entity ref #{i}:"));
            self.line(format_args!("          -> Type: {}", e.r#type));
            if !e.schema_url.is_empty() {
                self.line(format_args!("          -> Schema URL: {}", e.schema_url));
            }
            for (title, keys) in [("ID keys", &e.id_keys), ("Description keys", &e.description_keys)] {
                if !keys.is_empty() {
                    self.line(format_args!("          -> {title}:"));
                    for k in keys {
                        self.line(format_args!("               -> {k}"));
                    }
                }
            }
        }
    }

    fn scope(&mut self, kind: &str, j: usize, scope: Option<&InstrumentationScope>, schema_url: &str) {
        self.line(format_args!("{kind} #{j}"));
        self.line(format_args!("{kind} SchemaURL: {schema_url}"));
        let default = InstrumentationScope::default();
        let s = scope.unwrap_or(&default);
        self.line(format_args!("InstrumentationScope {} {}", s.name, s.version));
        self.attributes("InstrumentationScope attributes", &s.attributes);
    }
}

pub fn traces(req: &ExportTraceServiceRequest) -> String {
    let mut d = Dump::default();
    for (i, rs) in req.resource_spans.iter().enumerate() {
        d.line(format_args!("ResourceSpans #{i}"));
        d.resource(rs.resource.as_ref(), &rs.schema_url);
        for (j, ss) in rs.scope_spans.iter().enumerate() {
            d.scope("ScopeSpans", j, ss.scope.as_ref(), &ss.schema_url);
            for (k, span) in ss.spans.iter().enumerate() {
                d.line(format_args!("Span #{k}"));
                d.field("Trace ID", &id(&span.trace_id));
                d.field("Parent ID", &id(&span.parent_span_id));
                d.field("ID", &id(&span.span_id));
                d.field("Name", &span.name);
                d.field("Kind", span_kind(span.kind));
                if !span.trace_state.is_empty() {
                    d.field("TraceState", &span.trace_state);
                }
                d.field("Start time", &timestamp(span.start_time_unix_nano));
                d.field("End time", &timestamp(span.end_time_unix_nano));
                let status = span.status.clone().unwrap_or_default();
                d.field("Status code", status_code(status.code));
                d.field("Status message", &status.message);
                d.field("DroppedAttributesCount", &span.dropped_attributes_count.to_string());
                d.field("DroppedEventsCount", &span.dropped_events_count.to_string());
                d.field("DroppedLinksCount", &span.dropped_links_count.to_string());
                d.attributes("Attributes", &span.attributes);
                if !span.events.is_empty() {
                    d.line(format_args!("Events:"));
                }
                for (e, event) in span.events.iter().enumerate() {
                    d.line(format_args!("SpanEvent #{e}"));
                    d.line(format_args!("     -> Name: {}", event.name));
                    d.line(format_args!("     -> Timestamp: {}", timestamp(event.time_unix_nano)));
                    d.line(format_args!("     -> DroppedAttributesCount: {}", event.dropped_attributes_count));
                    d.attributes("     -> Attributes:", &event.attributes);
                }
                if !span.links.is_empty() {
                    d.line(format_args!("Links:"));
                }
                for (l, link) in span.links.iter().enumerate() {
                    d.line(format_args!("SpanLink #{l}"));
                    d.line(format_args!("     -> Trace ID: {}", id(&link.trace_id)));
                    d.line(format_args!("     -> ID: {}", id(&link.span_id)));
                    d.line(format_args!("     -> TraceState: {}", link.trace_state));
                    d.line(format_args!("     -> DroppedAttributesCount: {}", link.dropped_attributes_count));
                    d.attributes("     -> Attributes:", &link.attributes);
                }
            }
        }
    }
    d.0
}

pub fn logs(req: &ExportLogsServiceRequest) -> String {
    let mut d = Dump::default();
    for (i, rl) in req.resource_logs.iter().enumerate() {
        d.line(format_args!("ResourceLog #{i}"));
        d.resource(rl.resource.as_ref(), &rl.schema_url);
        for (j, sl) in rl.scope_logs.iter().enumerate() {
            d.scope("ScopeLogs", j, sl.scope.as_ref(), &sl.schema_url);
            for (k, r) in sl.log_records.iter().enumerate() {
                d.line(format_args!("LogRecord #{k}"));
                d.line(format_args!("ObservedTimestamp: {}", timestamp(r.observed_time_unix_nano)));
                d.line(format_args!("Timestamp: {}", timestamp(r.time_unix_nano)));
                d.line(format_args!("SeverityText: {}", r.severity_text));
                d.line(format_args!("SeverityNumber: {}({})", severity(r.severity_number), r.severity_number));
                if !r.event_name.is_empty() {
                    d.line(format_args!("EventName: {}", r.event_name));
                }
                d.line(format_args!("Body: {}", typed(r.body.as_ref())));
                d.attributes("Attributes", &r.attributes);
                d.line(format_args!("Trace ID: {}", id(&r.trace_id)));
                d.line(format_args!("Span ID: {}", id(&r.span_id)));
                d.line(format_args!("Flags: {}", r.flags));
            }
        }
    }
    d.0
}

pub fn metrics(req: &ExportMetricsServiceRequest) -> String {
    let mut d = Dump::default();
    for (i, rm) in req.resource_metrics.iter().enumerate() {
        d.line(format_args!("ResourceMetrics #{i}"));
        d.resource(rm.resource.as_ref(), &rm.schema_url);
        for (j, sm) in rm.scope_metrics.iter().enumerate() {
            d.scope("ScopeMetrics", j, sm.scope.as_ref(), &sm.schema_url);
            for (k, m) in sm.metrics.iter().enumerate() {
                d.line(format_args!("Metric #{k}"));
                metric(&mut d, m);
            }
        }
    }
    d.0
}

fn metric(d: &mut Dump, m: &Metric) {
    let kind = match &m.data {
        Some(Data::Gauge(_)) => "Gauge",
        Some(Data::Sum(_)) => "Sum",
        Some(Data::Histogram(_)) => "Histogram",
        Some(Data::ExponentialHistogram(_)) => "ExponentialHistogram",
        Some(Data::Summary(_)) => "Summary",
        None => "Empty",
    };
    d.line(format_args!("Descriptor:"));
    d.line(format_args!("     -> Name: {}", m.name));
    d.line(format_args!("     -> Description: {}", m.description));
    d.line(format_args!("     -> Unit: {}", m.unit));
    d.line(format_args!("     -> DataType: {kind}"));
    d.attributes("     -> Metadata", &m.metadata);
    match &m.data {
        None => {}
        Some(Data::Gauge(g)) => numbers(d, &g.data_points),
        Some(Data::Sum(s)) => {
            d.line(format_args!("     -> IsMonotonic: {}", s.is_monotonic));
            d.line(format_args!("     -> AggregationTemporality: {}", temporality(s.aggregation_temporality)));
            numbers(d, &s.data_points);
        }
        Some(Data::Histogram(h)) => {
            d.line(format_args!("     -> AggregationTemporality: {}", temporality(h.aggregation_temporality)));
            for (i, p) in h.data_points.iter().enumerate() {
                d.line(format_args!("HistogramDataPoints #{i}"));
                point_header(d, &p.attributes, p.start_time_unix_nano, p.time_unix_nano);
                d.line(format_args!("Count: {}", p.count));
                optional_stats(d, p.sum, p.min, p.max);
                for (b, bound) in p.explicit_bounds.iter().enumerate() {
                    d.line(format_args!("ExplicitBounds #{b}: {}", go_f(*bound)));
                }
                for (b, count) in p.bucket_counts.iter().enumerate() {
                    d.line(format_args!("Buckets #{b}, Count: {count}"));
                }
                exemplars(d, &p.exemplars);
            }
        }
        Some(Data::ExponentialHistogram(h)) => {
            d.line(format_args!("     -> AggregationTemporality: {}", temporality(h.aggregation_temporality)));
            for (i, p) in h.data_points.iter().enumerate() {
                d.line(format_args!("ExponentialHistogramDataPoints #{i}"));
                point_header(d, &p.attributes, p.start_time_unix_nano, p.time_unix_nano);
                d.line(format_args!("Count: {}", p.count));
                optional_stats(d, p.sum, p.min, p.max);
                // Bucket i covers (base^(offset+i), base^(offset+i+1)], with
                // base = 2^(2^-scale); negative buckets mirror it, largest
                // magnitude first.
                let factor = std::f64::consts::LN_2 * 2f64.powi(-p.scale);
                let bound = |index: f64| (index * factor).exp();
                if let Some(neg) = &p.negative {
                    for pos in (0..neg.bucket_counts.len()).rev() {
                        let index = f64::from(neg.offset) + pos as f64;
                        d.line(format_args!("Bucket [{}, {}), Count: {}", go_f(-bound(index + 1.0)), go_f(-bound(index)), neg.bucket_counts[pos]));
                    }
                }
                if p.zero_count != 0 {
                    d.line(format_args!("Bucket [0, 0], Count: {}", p.zero_count));
                }
                if let Some(positive) = &p.positive {
                    for (pos, count) in positive.bucket_counts.iter().enumerate() {
                        let index = f64::from(positive.offset) + pos as f64;
                        d.line(format_args!("Bucket ({}, {}], Count: {count}", go_f(bound(index)), go_f(bound(index + 1.0))));
                    }
                }
                exemplars(d, &p.exemplars);
            }
        }
        Some(Data::Summary(s)) => {
            for (i, p) in s.data_points.iter().enumerate() {
                d.line(format_args!("SummaryDataPoints #{i}"));
                point_header(d, &p.attributes, p.start_time_unix_nano, p.time_unix_nano);
                d.line(format_args!("Count: {}", p.count));
                d.line(format_args!("Sum: {}", go_f(p.sum)));
                for (q, v) in p.quantile_values.iter().enumerate() {
                    d.line(format_args!("QuantileValue #{q}: Quantile {}, Value {}", go_f(v.quantile), go_f(v.value)));
                }
            }
        }
    }
}

fn numbers(d: &mut Dump, points: &[NumberDataPoint]) {
    for (i, p) in points.iter().enumerate() {
        d.line(format_args!("NumberDataPoints #{i}"));
        point_header(d, &p.attributes, p.start_time_unix_nano, p.time_unix_nano);
        match p.value {
            Some(number_data_point::Value::AsInt(v)) => d.line(format_args!("Value: {v}")),
            Some(number_data_point::Value::AsDouble(v)) => d.line(format_args!("Value: {}", go_f(v))),
            None => {}
        }
        exemplars(d, &p.exemplars);
    }
}

fn point_header(d: &mut Dump, attrs: &[KeyValue], start: u64, time: u64) {
    d.attributes("Data point attributes", attrs);
    d.line(format_args!("StartTimestamp: {}", timestamp(start)));
    d.line(format_args!("Timestamp: {}", timestamp(time)));
}

fn optional_stats(d: &mut Dump, sum: Option<f64>, min: Option<f64>, max: Option<f64>) {
    for (label, v) in [("Sum", sum), ("Min", min), ("Max", max)] {
        if let Some(v) = v {
            d.line(format_args!("{label}: {}", go_f(v)));
        }
    }
}

fn exemplars(d: &mut Dump, list: &[Exemplar]) {
    if list.is_empty() {
        return;
    }
    d.line(format_args!("Exemplars:"));
    for (i, e) in list.iter().enumerate() {
        d.line(format_args!("Exemplar #{i}"));
        d.line(format_args!("     -> Trace ID: {}", id(&e.trace_id)));
        d.line(format_args!("     -> Span ID: {}", id(&e.span_id)));
        d.line(format_args!("     -> Timestamp: {}", timestamp(e.time_unix_nano)));
        match e.value {
            Some(exemplar::Value::AsInt(v)) => d.line(format_args!("     -> Value: {v}")),
            Some(exemplar::Value::AsDouble(v)) => d.line(format_args!("     -> Value: {}", go_f(v))),
            None => {}
        }
        d.attributes("     -> FilteredAttributes", &e.filtered_attributes);
    }
}
