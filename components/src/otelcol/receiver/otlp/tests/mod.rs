//! The receiver driven as clients drive it: real sockets on loopback, a
//! tonic client for gRPC, reqwest for HTTP, and a recording consumer as
//! the output.

mod grpc;
mod http;
mod lifecycle;
mod tls;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use prost::Message;
use solder_syntax::ast::Stmt;
use solder_syntax::value::{Number, Value};
use solder_syntax::{Evaluator, Scope};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::body::{self, EvalBody};
use crate::component::{Component, HealthState, Options};
use crate::consumer::{ConsumeError, ConsumeFuture, Consumer, ConsumerHandle};
use crate::otlp::proto::common::v1::{any_value, AnyValue, KeyValue};
use crate::otlp::proto::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use crate::otlp::proto::metrics::v1::{metric, number_data_point, Gauge, Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics};
use crate::otlp::proto::trace::v1::{ResourceSpans, ScopeSpans, Span};
use crate::otlp::proto::{ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest};
use crate::otlp::{Logs, Metrics, Signal, Traces};

/// How the recording consumer answers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Mode {
    Accept,
    Retryable,
    Permanent,
    /// Accepts after a pause: a request in flight.
    Slow(Duration),
}

/// Records every payload it is given, as bytes.
#[derive(Default)]
pub(super) struct Sink {
    received: Mutex<Vec<(Signal, Bytes, usize)>>,
    mode: Mutex<Option<Mode>>,
    /// Payloads handed over so far, taken yet or not.
    started: std::sync::atomic::AtomicUsize,
}

struct SinkConsumer(Arc<Sink>);

impl Sink {
    pub fn set_mode(&self, mode: Mode) {
        *self.mode.lock().unwrap() = Some(mode);
    }

    pub fn received(&self) -> Vec<(Signal, Bytes, usize)> {
        self.received.lock().unwrap().clone()
    }

    pub fn started(&self) -> usize {
        self.started.load(std::sync::atomic::Ordering::SeqCst)
    }

    async fn take(&self, signal: Signal, bytes: Bytes, items: usize) -> Result<(), ConsumeError> {
        self.started.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let mode = self.mode.lock().unwrap().unwrap_or(Mode::Accept);
        match mode {
            Mode::Retryable => return Err(ConsumeError::retryable("queue is full")),
            Mode::Permanent => return Err(ConsumeError::permanent("data refused")),
            Mode::Slow(d) => tokio::time::sleep(d).await,
            Mode::Accept => {}
        }
        self.received.lock().unwrap().push((signal, bytes, items));
        Ok(())
    }
}

impl Consumer for SinkConsumer {
    fn consume_traces(&self, data: Traces) -> ConsumeFuture<'_> {
        Box::pin(self.0.take(Signal::Traces, data.bytes().clone(), data.items()))
    }

    fn consume_metrics(&self, data: Metrics) -> ConsumeFuture<'_> {
        Box::pin(self.0.take(Signal::Metrics, data.bytes().clone(), data.items()))
    }

    fn consume_logs(&self, data: Logs) -> ConsumeFuture<'_> {
        Box::pin(self.0.take(Signal::Logs, data.bytes().clone(), data.items()))
    }

    fn accepts(&self, _signal: Signal) -> bool {
        true
    }
}

/// A receiver running under test, with two sinks its config can name:
/// `sink` and `other`.
pub(super) struct Harness {
    pub component: Arc<dyn Component>,
    pub sink: Arc<Sink>,
    pub other: Arc<Sink>,
    scope: Scope,
    cancel: CancellationToken,
    task: Option<JoinHandle<()>>,
}

/// The body of the receiver block in `config`, evaluated with the sinks.
fn evaluate(config: &str, scope: &Scope) -> EvalBody {
    let src = format!("otelcol.receiver.otlp \"test\" {{\n{config}\n}}");
    let file = solder_syntax::parse(&src).unwrap();
    let Some(Stmt::Block(block)) = file.body.first() else { panic!("no block") };
    let mut ev = Evaluator::new(&src, scope);
    body::evaluate(&mut ev, &block.body, block.name_span()).unwrap()
}

fn options(id: &str) -> Options {
    Options { id: format!("otelcol.receiver.otlp.{id}"), data_path: std::env::temp_dir(), on_exports_changed: Arc::new(|| {}) }
}

impl Harness {
    /// Builds the receiver from `config` without running it.
    pub fn build(id: &str, config: &str) -> Result<Harness, String> {
        let (sink, other) = (Arc::new(Sink::default()), Arc::new(Sink::default()));
        let scope = Scope::new()
            .with("sink", Value::Capsule(ConsumerHandle::new(SinkConsumer(Arc::clone(&sink))).capsule()))
            .with("other", Value::Capsule(ConsumerHandle::new(SinkConsumer(Arc::clone(&other))).capsule()));
        let component = (super::REGISTRATION.build)(options(id), &evaluate(config, &scope)).map_err(|d| d.message)?;
        Ok(Harness { component, sink, other, scope, cancel: CancellationToken::new(), task: None })
    }

    /// Builds and runs the receiver; returns once it is healthy.
    pub async fn start(id: &str, config: &str) -> Harness {
        let mut h = Harness::build(id, config).unwrap();
        h.task = Some(tokio::spawn(Arc::clone(&h.component).run(h.cancel.clone())));
        h.wait_for("the receiver to be healthy", |h| h.component.health().state == HealthState::Healthy).await;
        h
    }

    pub fn update(&self, config: &str) -> Result<(), String> {
        self.component.update(&evaluate(config, &self.scope)).map_err(|d| d.message)
    }

    /// The address the gRPC or HTTP server listens on, if it does.
    pub fn addr(&self, transport: &str) -> Option<SocketAddr> {
        let Value::Object(info) = self.component.debug_info() else { return None };
        let Some(Value::Object(server)) = info.get(transport) else { return None };
        match server.get("listening") {
            Some(Value::String(a)) => a.parse().ok(),
            _ => None,
        }
    }

    /// `accepted` or `refused` items of a signal, from the debug info.
    pub fn count(&self, signal: &str, which: &str) -> u64 {
        let Value::Object(info) = self.component.debug_info() else { return 0 };
        let Some(Value::Object(counts)) = info.get(signal) else { return 0 };
        match counts.get(which) {
            Some(Value::Number(Number::Uint(n))) => *n,
            _ => 0,
        }
    }

    pub async fn wait_for(&self, what: &str, cond: impl Fn(&Harness) -> bool) {
        for _ in 0..500 {
            if cond(self) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("timed out waiting for {what}; health: {:?}", self.component.health());
    }

    /// Stops the receiver and waits for it to finish.
    pub async fn stop(&mut self) {
        self.cancel.cancel();
        if let Some(task) = self.task.take() {
            tokio::time::timeout(Duration::from_secs(10), task).await.unwrap().unwrap();
        }
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

/// The usual output block: every signal to `sink`.
pub(super) const TO_SINK: &str = "output {\n traces = [sink]\n metrics = [sink]\n logs = [sink]\n}";

fn attribute(key: &str, value: &str) -> KeyValue {
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
    let record = LogRecord { severity_text: "INFO".into(), body: Some(AnyValue { value: Some(any_value::Value::StringValue("hello".into())) }), ..Default::default() };
    let req = ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs { scope_logs: vec![ScopeLogs { log_records: vec![record], ..Default::default() }], ..Default::default() }],
    };
    Bytes::from(req.encode_to_vec())
}

/// A port nobody listens on right now.
pub(super) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}
