//! The receiver driven as clients drive it: real sockets on loopback, a
//! tonic client for gRPC, reqwest for HTTP, and the shared harness's
//! recorders as the output.

mod auth;
mod bomb;
mod cors;
mod fanout;
mod grpc;
mod http;
mod lifecycle;
mod peer;
mod tls;

use std::net::SocketAddr;
use std::ops::Deref;

use bytes::Bytes;
use prost::Message;
use solder_syntax::value::{Number, Value};

use crate::component::{HealthState, Options};
use crate::consumer::ConsumeError;
use crate::harness::{Answer, Harness, Recorder};
use crate::otlp::proto::common::v1::{any_value, AnyValue, KeyValue};
use crate::otlp::proto::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use crate::otlp::proto::metrics::v1::{metric, number_data_point, Gauge, Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics};
use crate::otlp::proto::trace::v1::{ResourceSpans, ScopeSpans, Span};
use crate::otlp::proto::{ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest};
use crate::otlp::Signal;

/// What a downstream that is full answers.
pub(super) fn retryable() -> Answer {
    Answer::Refuse(ConsumeError::retryable("queue is full"))
}

/// What a downstream that will never take the data answers.
pub(super) fn permanent() -> Answer {
    Answer::Refuse(ConsumeError::permanent("data refused"))
}

/// Every payload `rec` accepted, as `(signal, bytes, items)`.
pub(super) fn received(rec: &Recorder) -> Vec<(Signal, Bytes, usize)> {
    rec.received().into_iter().map(|r| (r.signal, r.bytes, r.items)).collect()
}

/// A receiver under the shared harness, with two recorders its config
/// can name as outputs: `sink` and `other`.
pub(super) struct Receiver {
    pub harness: Harness,
    pub sink: Recorder,
    pub other: Recorder,
}

impl Deref for Receiver {
    type Target = Harness;

    fn deref(&self) -> &Harness {
        &self.harness
    }
}

impl Receiver {
    /// Builds the receiver `otelcol.receiver.otlp.{id}` from `config`
    /// without running it; its counts are kept per ID.
    pub fn build(id: &str, config: &str) -> Result<Receiver, String> {
        Receiver::build_with(id, config, &[])
    }

    /// [`Receiver::build`] with more names in scope, such as an auth
    /// component's exports.
    pub fn build_with(id: &str, config: &str, extra: &[(&str, Value)]) -> Result<Receiver, String> {
        let (sink, other) = (Recorder::new(), Recorder::new());
        let mut scope = sink.scope("sink").with("other", other.consumer());
        for (name, value) in extra {
            scope = scope.with(*name, value.clone());
        }
        let opts = Options::standalone(&format!("otelcol.receiver.otlp.{id}"));
        let harness = Harness::build_with(&super::REGISTRATION, opts, config, &scope).map_err(|d| d.message)?;
        Ok(Receiver { harness, sink, other })
    }

    /// Builds and runs the receiver; returns once it is healthy.
    pub async fn start(id: &str, config: &str) -> Receiver {
        Receiver::start_with(id, config, &[]).await
    }

    /// [`Receiver::start`] with more names in scope.
    pub async fn start_with(id: &str, config: &str, extra: &[(&str, Value)]) -> Receiver {
        let mut r = Receiver::build_with(id, config, extra).unwrap();
        r.harness.run();
        r.wait_for_health(HealthState::Healthy).await;
        r
    }

    /// The address the gRPC or HTTP server listens on, if it does.
    pub fn addr(&self, transport: &str) -> Option<SocketAddr> {
        let Some(Value::Object(server)) = self.try_debug(transport) else { return None };
        match server.get("listening") {
            Some(Value::String(a)) => a.parse().ok(),
            _ => None,
        }
    }

    /// `accepted` or `refused` items of a signal, from the debug info.
    pub fn count(&self, signal: &str, which: &str) -> u64 {
        let Some(Value::Object(counts)) = self.try_debug(signal) else { return 0 };
        match counts.get(which) {
            Some(Value::Number(Number::Uint(n))) => *n,
            _ => 0,
        }
    }
}

/// The usual output block: every signal to `sink`.
pub(super) const TO_SINK: &str = "output {\n traces = [sink]\n metrics = [sink]\n logs = [sink]\n}";

pub(super) fn attribute(key: &str, value: &str) -> KeyValue {
    KeyValue { key: key.into(), value: Some(AnyValue { value: Some(any_value::Value::StringValue(value.into())) }), ..Default::default() }
}

/// A request with two spans.
pub(super) fn traces() -> Bytes {
    let span = |name: &str| Span { trace_id: vec![7; 16], span_id: vec![1; 8], name: name.into(), attributes: vec![attribute("k", "v")], ..Default::default() };
    let req = ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans { scope_spans: vec![ScopeSpans { spans: vec![span("a"), span("b")], ..Default::default() }], ..Default::default() }],
    };
    Bytes::from(req.encode_to_vec())
}

/// A request with one gauge of three points.
pub(super) fn metrics() -> Bytes {
    let point = |v| NumberDataPoint { value: Some(number_data_point::Value::AsInt(v)), ..Default::default() };
    let metric = Metric { name: "g".into(), data: Some(metric::Data::Gauge(Gauge { data_points: vec![point(1), point(2), point(3)] })), ..Default::default() };
    let req = ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics { scope_metrics: vec![ScopeMetrics { metrics: vec![metric], ..Default::default() }], ..Default::default() }],
    };
    Bytes::from(req.encode_to_vec())
}

/// A request with one log record.
pub(super) fn logs() -> Bytes {
    let record =
        LogRecord { severity_text: "INFO".into(), body: Some(AnyValue { value: Some(any_value::Value::StringValue("hello".into())) }), ..Default::default() };
    let req = ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs { scope_logs: vec![ScopeLogs { log_records: vec![record], ..Default::default() }], ..Default::default() }],
    };
    Bytes::from(req.encode_to_vec())
}

/// A port nobody listens on right now.
pub(super) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}
