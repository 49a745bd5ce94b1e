//! Requests the benches share: what an SDK's log bridge and an
//! instrumented service's metrics look like on the wire.

use solder_components::otlp::proto::common::v1::any_value::Value as V;
use solder_components::otlp::proto::common::v1::{AnyValue, InstrumentationScope, KeyValue};
use solder_components::otlp::proto::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use solder_components::otlp::proto::metrics::v1::{metric::Data, number_data_point, Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics, Sum};
use solder_components::otlp::proto::resource::v1::Resource;
use solder_components::otlp::proto::{ExportLogsServiceRequest, ExportMetricsServiceRequest};

fn kv(key: &str, v: &str) -> KeyValue {
    KeyValue { key: key.into(), value: Some(AnyValue { value: Some(V::StringValue(v.into())) }), ..Default::default() }
}

/// 100 records of an HTTP service's log: every fifth a DEBUG line, every
/// seventh a health check's access line.
pub fn log_request() -> ExportLogsServiceRequest {
    let record = |i: u64| LogRecord {
        time_unix_nano: 1_700_000_000_000_000_000 + i * 1_000_000,
        observed_time_unix_nano: 1_700_000_000_000_000_000 + i * 1_000_000 + 500,
        severity_number: if i.is_multiple_of(5) { 5 } else { 9 },
        severity_text: if i.is_multiple_of(5) { "DEBUG" } else { "INFO" }.into(),
        body: Some(AnyValue {
            value: Some(V::StringValue(if i.is_multiple_of(7) {
                "GET /health 200 0.4ms".into()
            } else {
                format!("POST /api/orders/{i} 201 {}ms user=u-{} items=3 total=41.90 EUR", 10 + i % 40, i % 13)
            })),
        }),
        attributes: vec![
            kv("http.route", if i.is_multiple_of(7) { "/health" } else { "/api/orders/{id}" }),
            kv("http.request.method", if i.is_multiple_of(7) { "GET" } else { "POST" }),
            kv("thread.name", "http-nio-8080-exec-4"),
            kv("code.function", "com.example.orders.OrderController.create"),
            kv("enduser.id", "u-1234"),
        ],
        trace_id: (i as u8..i as u8 + 16).collect(),
        span_id: (i as u8..i as u8 + 8).collect(),
        flags: 1,
        ..Default::default()
    };
    let resource =
        Resource { attributes: vec![kv("service.name", "orders"), kv("k8s.pod.name", "orders-7d9f-x2"), kv("host.name", "node-3")], ..Default::default() };
    let scope = InstrumentationScope { name: "org.apache.logging.log4j".into(), ..Default::default() };
    let scope_logs = vec![ScopeLogs { scope: Some(scope), log_records: (0..100).map(record).collect(), ..Default::default() }];
    ExportLogsServiceRequest { resource_logs: vec![ResourceLogs { resource: Some(resource), scope_logs, ..Default::default() }] }
}

/// 100 metrics of an instrumented service: every third a Go runtime
/// metric, each with five points of three attributes.
pub fn metric_request() -> ExportMetricsServiceRequest {
    let point = |i: u64, j: u64| NumberDataPoint {
        attributes: vec![kv("http.route", &format!("/api/v{j}/orders")), kv("http.request.method", "POST"), kv("http.response.status_code", "200")],
        start_time_unix_nano: 1_700_000_000_000_000_000,
        time_unix_nano: 1_700_000_060_000_000_000,
        value: Some(number_data_point::Value::AsInt((i * 7 + j) as i64)),
        ..Default::default()
    };
    let metric = |i: u64| Metric {
        name: if i.is_multiple_of(3) {
            format!("go_memstats_{i}_bytes")
        } else if i == 1 {
            "http.server.active_requests".into()
        } else {
            format!("orders.metric_{i}")
        },
        unit: "1".into(),
        data: Some(Data::Sum(Sum { data_points: (0..5).map(|j| point(i, j)).collect(), aggregation_temporality: 2, is_monotonic: true })),
        ..Default::default()
    };
    let resource = Resource { attributes: vec![kv("service.name", "orders"), kv("k8s.pod.name", "orders-7d9f-x2")], ..Default::default() };
    let scope_metrics = vec![ScopeMetrics { metrics: (0..100).map(metric).collect(), ..Default::default() }];
    ExportMetricsServiceRequest { resource_metrics: vec![ResourceMetrics { resource: Some(resource), scope_metrics, ..Default::default() }] }
}
