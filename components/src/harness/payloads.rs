//! Small OTLP payloads for feeding a component, each with unique names so
//! a test can tell them apart downstream.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::otlp::proto::{logs as l, metrics as m, trace as t, ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest};
use crate::otlp::{Encoded, Logs, Metrics, Traces};

static TAG: AtomicU64 = AtomicU64::new(1);

fn tag() -> u64 {
    TAG.fetch_add(1, Ordering::Relaxed)
}

/// `n` spans in one resource and scope, as a receiver hands them over.
pub fn traces(n: usize) -> Traces {
    let tag = tag();
    let spans = (0..n).map(|i| t::v1::Span { name: format!("span-{tag}-{i}"), ..Default::default() }).collect();
    let scope = t::v1::ScopeSpans { spans, ..Default::default() };
    let rs = t::v1::ResourceSpans { scope_spans: vec![scope], ..Default::default() };
    Encoded::from_message(ExportTraceServiceRequest { resource_spans: vec![rs] })
}

/// One gauge with `n` points.
pub fn metrics(n: usize) -> Metrics {
    use m::v1::{metric::Data, number_data_point::Value as V, Gauge, Metric, NumberDataPoint};
    let data_points = (0..n).map(|i| NumberDataPoint { value: Some(V::AsInt(i as i64)), ..Default::default() }).collect();
    let metric = Metric { name: format!("metric-{}", tag()), data: Some(Data::Gauge(Gauge { data_points })), ..Default::default() };
    let scope = m::v1::ScopeMetrics { metrics: vec![metric], ..Default::default() };
    let rm = m::v1::ResourceMetrics { scope_metrics: vec![scope], ..Default::default() };
    Encoded::from_message(ExportMetricsServiceRequest { resource_metrics: vec![rm] })
}

/// `n` log records.
pub fn logs(n: usize) -> Logs {
    let tag = tag();
    let log_records = (0..n).map(|i| l::v1::LogRecord { event_name: format!("log-{tag}-{i}"), ..Default::default() }).collect();
    let scope = l::v1::ScopeLogs { log_records, ..Default::default() };
    let rl = l::v1::ResourceLogs { scope_logs: vec![scope], ..Default::default() };
    Encoded::from_message(ExportLogsServiceRequest { resource_logs: vec![rl] })
}
