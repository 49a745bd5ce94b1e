//! The batch processor driven as the runtime drives it: built from config
//! text, run on its own task, fed through its `input` export, with a
//! recording consumer downstream.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use prost::Message;
use solder_syntax::ast::Stmt;
use solder_syntax::{Evaluator, Scope, Value};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::*;
use crate::consumer::ErrorKind;
use crate::otlp::proto::common::v1::{any_value, AnyValue, InstrumentationScope, KeyValue};
use crate::otlp::proto::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use crate::otlp::proto::metrics::v1::{metric::Data, Gauge, Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics};
use crate::otlp::proto::resource::v1::Resource;
use crate::otlp::proto::trace::v1::{ResourceSpans, ScopeSpans, Span};

/// A downstream that records what it is given, and refuses when told to.
#[derive(Default)]
struct Recorder {
    traces: Mutex<Vec<(Instant, Traces)>>,
    metrics: Mutex<Vec<Metrics>>,
    logs: Mutex<Vec<Logs>>,
    /// Errors to answer with, one per call, before accepting again.
    refuse: Mutex<VecDeque<ConsumeError>>,
    refuse_forever: Mutex<Option<ConsumeError>>,
    /// Every call for traces, refused or not: a retry is one more.
    trace_calls: std::sync::atomic::AtomicUsize,
}

struct Sink(Arc<Recorder>);

impl Sink {
    fn answer(&self) -> Result<(), ConsumeError> {
        if let Some(e) = lock(&self.0.refuse_forever).clone() {
            return Err(e);
        }
        lock(&self.0.refuse).pop_front().map_or(Ok(()), Err)
    }
}

impl Consumer for Sink {
    fn consume_traces(&self, data: Traces) -> ConsumeFuture<'_> {
        self.0.trace_calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let r = self.answer().map(|()| lock(&self.0.traces).push((Instant::now(), data)));
        Box::pin(std::future::ready(r))
    }
    fn consume_metrics(&self, data: Metrics) -> ConsumeFuture<'_> {
        let r = self.answer().map(|()| lock(&self.0.metrics).push(data));
        Box::pin(std::future::ready(r))
    }
    fn consume_logs(&self, data: Logs) -> ConsumeFuture<'_> {
        let r = self.answer().map(|()| lock(&self.0.logs).push(data));
        Box::pin(std::future::ready(r))
    }
    fn accepts(&self, _: Signal) -> bool {
        true
    }
}

impl Recorder {
    fn handle(self: &Arc<Self>) -> Value {
        Value::Capsule(ConsumerHandle::new(Sink(Arc::clone(self))).capsule())
    }

    fn trace_batches(&self) -> Vec<Traces> {
        lock(&self.traces).iter().map(|(_, t)| t.clone()).collect()
    }

    fn trace_sizes(&self) -> Vec<usize> {
        lock(&self.traces).iter().map(|(_, t)| t.items()).collect()
    }
}

/// Evaluates `args` (the body of an `otelcol.processor.batch` block) with
/// `sink` in scope.
fn body(args: &str, sink: &Value) -> EvalBody {
    let src = format!("otelcol.processor.batch \"t\" {{\n{args}\n}}");
    let file = solder_syntax::parse(&src).unwrap();
    let Some(Stmt::Block(block)) = file.body.first() else { panic!("no block") };
    let scope = Scope::new().with("sink", sink.clone());
    let mut ev = Evaluator::new(&src, &scope);
    crate::body::evaluate(&mut ev, &block.body, block.name_span()).unwrap()
}

const TO_SINK: &str = "output {\n traces = [sink]\n metrics = [sink]\n logs = [sink]\n}";

fn options() -> Options {
    Options { id: "otelcol.processor.batch.t".into(), data_path: std::env::temp_dir(), on_exports_changed: Arc::new(|| {}) }
}

struct Running {
    component: Arc<dyn Component>,
    input: ConsumerHandle,
    stop: CancellationToken,
    task: JoinHandle<()>,
}

impl Running {
    fn start(args: &str, sink: &Value) -> Running {
        let component = build(options(), &body(&format!("{args}\n{TO_SINK}"), sink)).unwrap();
        let Value::Object(exports) = component.exports() else { panic!("exports are an object") };
        let Some(Value::Capsule(c)) = exports.get("input") else { panic!("no input capsule") };
        let input = c.downcast::<ConsumerHandle>().unwrap().clone();
        let stop = CancellationToken::new();
        let task = tokio::spawn(Arc::clone(&component).run(stop.clone()));
        Running { component, input, stop, task }
    }

    async fn shutdown(self) -> Arc<dyn Component> {
        self.stop.cancel();
        self.task.await.unwrap();
        self.component
    }

    fn debug(&self, key: &str) -> i64 {
        let Value::Object(info) = self.component.debug_info() else { panic!() };
        match info.get(key) {
            Some(Value::Number(n)) => n.as_i64().unwrap(),
            other => panic!("{key}: {other:?}"),
        }
    }

    /// Items held, not yet sent: (traces, metrics, logs).
    fn pending(&self) -> (i64, i64, i64) {
        let Value::Object(info) = self.component.debug_info() else { panic!() };
        let Some(Value::Object(pending)) = info.get("pending") else { panic!("no pending in {info:?}") };
        let n = |k: &str| match pending.get(k) {
            Some(Value::Number(n)) => n.as_i64().unwrap(),
            other => panic!("pending {k}: {other:?}"),
        };
        (n("traces"), n("metrics"), n("logs"))
    }
}

fn kv(k: &str, v: &str) -> KeyValue {
    KeyValue { key: k.into(), value: Some(AnyValue { value: Some(any_value::Value::StringValue(v.into())) }), ..Default::default() }
}

/// `n` spans named `{service}-{first + i}`, as a receiver would hand them
/// over: bytes only, not yet decoded.
fn spans(service: &str, first: usize, n: usize) -> Traces {
    let req = ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource { attributes: vec![kv("service.name", service)], ..Default::default() }),
            scope_spans: vec![ScopeSpans {
                scope: Some(InstrumentationScope { name: format!("{service}-scope"), ..Default::default() }),
                spans: (first..first + n).map(|i| Span { name: format!("{service}-{i}"), ..Default::default() }).collect(),
                schema_url: String::new(),
            }],
            schema_url: String::new(),
        }],
    };
    Traces::from_bytes(req.encode_to_vec().into()).unwrap()
}

/// Every span in the batches as `(service, scope, name)`.
fn span_rows(batches: &[Traces]) -> Vec<(String, String, String)> {
    let mut rows = Vec::new();
    for b in batches {
        for rs in &b.decode().unwrap().resource_spans {
            let service = match rs.resource.as_ref().and_then(|r| r.attributes.first()).and_then(|a| a.value.as_ref()).and_then(|v| v.value.as_ref()) {
                Some(any_value::Value::StringValue(s)) => s.clone(),
                _ => String::new(),
            };
            for ss in &rs.scope_spans {
                let scope = ss.scope.as_ref().map(|s| s.name.clone()).unwrap_or_default();
                rows.extend(ss.spans.iter().map(|s| (service.clone(), scope.clone(), s.name.clone())));
            }
        }
    }
    rows
}

fn expected_rows(service: &str, n: usize) -> Vec<(String, String, String)> {
    (0..n).map(|i| (service.to_string(), format!("{service}-scope"), format!("{service}-{i}"))).collect()
}

/// Waits (up to 10s) until `done` holds.
async fn until(what: &str, done: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn batches_by_size_promptly() {
    let rec = Arc::new(Recorder::default());
    let p = Running::start("timeout = \"1h\"\nsend_batch_size = 10\nsend_batch_max_size = 10", &rec.handle());
    for i in 0..5 {
        p.input.0.consume_traces(spans("svc", i * 5, 5)).await.unwrap();
    }
    until("two full batches", || rec.trace_sizes().len() == 2).await;
    assert_eq!(rec.trace_sizes(), vec![10, 10]);
    assert_eq!(p.debug("batches_sent"), 2);
    // The last five wait for the (hour-long) timeout; shutdown flushes them.
    p.shutdown().await;
    assert_eq!(rec.trace_sizes(), vec![10, 10, 5]);
    assert_eq!(span_rows(&rec.trace_batches()), expected_rows("svc", 25));
}

#[tokio::test]
async fn without_a_max_a_batch_holds_at_least_send_batch_size() {
    let rec = Arc::new(Recorder::default());
    let p = Running::start("timeout = \"1h\"\nsend_batch_size = 10\nsend_batch_max_size = 0", &rec.handle());
    for i in 0..5 {
        p.input.0.consume_traces(spans("svc", i * 5, 5)).await.unwrap();
    }
    // However the sends interleave with the payloads, every batch sent
    // before shutdown holds at least ten spans.
    until("twenty spans", || rec.trace_sizes().iter().sum::<usize>() >= 20).await;
    assert!(rec.trace_sizes().iter().all(|n| *n >= 10), "{:?}", rec.trace_sizes());
    p.shutdown().await;
    assert_eq!(span_rows(&rec.trace_batches()), expected_rows("svc", 25));
}

#[tokio::test]
async fn a_lone_payload_goes_after_the_timeout() {
    let rec = Arc::new(Recorder::default());
    let p = Running::start("timeout = \"150ms\"", &rec.handle());
    let sent = Instant::now();
    p.input.0.consume_traces(spans("svc", 0, 3)).await.unwrap();
    until("the timeout", || !lock(&rec.traces).is_empty()).await;
    let arrived = lock(&rec.traces)[0].0;
    assert!(arrived - sent >= Duration::from_millis(150), "sent after {:?}", arrived - sent);
    assert_eq!(rec.trace_sizes(), vec![3]);
    p.shutdown().await;
}

#[tokio::test]
async fn oversized_payloads_are_split_at_send_batch_max_size() {
    let rec = Arc::new(Recorder::default());
    let p = Running::start("timeout = \"1h\"", &rec.handle());
    p.input.0.consume_traces(spans("big", 0, 7000)).await.unwrap();
    until("two full batches", || rec.trace_sizes().len() == 2).await;
    assert_eq!(rec.trace_sizes(), vec![3000, 3000]);
    // 1000 left: below send_batch_size, so it waits for the timeout.
    let Value::Object(info) = p.component.debug_info() else { panic!() };
    assert_eq!(info.get("pending").and_then(|v| if let Value::Object(o) = v { o.get("traces").cloned() } else { None }), Some(Value::int(1000)));
    assert_eq!(p.debug("payloads_split"), 1);
    p.shutdown().await;
    assert_eq!(rec.trace_sizes(), vec![3000, 3000, 1000]);
    // Every span exactly once, in order, with its resource and scope.
    assert_eq!(span_rows(&rec.trace_batches()), expected_rows("big", 7000));
}

#[tokio::test]
async fn batches_are_concatenated_bytes() {
    let rec = Arc::new(Recorder::default());
    let p = Running::start("timeout = \"1h\"\nsend_batch_size = 5", &rec.handle());
    let (a, b) = (spans("a", 0, 2), spans("b", 0, 3));
    p.input.0.consume_traces(a.clone()).await.unwrap();
    p.input.0.consume_traces(b.clone()).await.unwrap();
    until("one batch", || rec.trace_sizes().len() == 1).await;
    let batch = &rec.trace_batches()[0];
    // Byte for byte the two requests one after the other: nothing was
    // decoded and re-encoded, and it decodes to the merged request.
    assert_eq!(batch.bytes().as_ref(), [a.bytes().as_ref(), b.bytes().as_ref()].concat());
    let mut merged = (*a.decode().unwrap()).clone();
    merged.resource_spans.extend(b.decode().unwrap().resource_spans.clone());
    assert_eq!(*batch.decode().unwrap(), merged);
    p.shutdown().await;
}

#[tokio::test]
async fn a_retryable_refusal_keeps_the_batch() {
    let rec = Arc::new(Recorder::default());
    lock(&rec.refuse).extend([ConsumeError::retryable("busy"), ConsumeError::retryable("still busy")]);
    let p = Running::start("timeout = \"1h\"\nsend_batch_size = 4", &rec.handle());
    p.input.0.consume_traces(spans("svc", 0, 4)).await.unwrap();
    until("the retried batch", || rec.trace_sizes().len() == 1).await;
    assert!(lock(&rec.refuse).is_empty(), "asked three times");
    assert_eq!(span_rows(&rec.trace_batches()), expected_rows("svc", 4));
    assert_eq!(p.component.health().state, HealthState::Healthy);
    p.shutdown().await;
}

#[tokio::test]
async fn a_full_buffer_pushes_back_and_health_says_why() {
    let rec = Arc::new(Recorder::default());
    *lock(&rec.refuse_forever) = Some(ConsumeError::retryable("down"));
    let p = Running::start("timeout = \"10ms\"\nsend_batch_size = 100\nsend_batch_max_size = 100", &rec.handle());
    let (mut refused, mut accepted) = (None, 0);
    for i in 0..100 {
        match p.input.0.consume_traces(spans("svc", i * 100, 100)).await {
            Ok(()) => accepted += 100,
            Err(e) => {
                refused = Some(e);
                break;
            }
        }
    }
    let refused = refused.expect("the buffer filled up");
    assert_eq!(refused.kind, ErrorKind::Retryable);
    assert!(refused.message.contains("is full"), "{}", refused.message);
    until("unhealthy", || p.component.health().state == HealthState::Unhealthy).await;
    assert!(p.component.health().message.contains("retry"), "{}", p.component.health().message);
    // Downstream recovers: everything taken is delivered.
    *lock(&rec.refuse_forever) = None;
    assert!(accepted >= 4000, "the bound is 4096 spans; accepted {accepted}");
    until("drained", || rec.trace_sizes().iter().sum::<usize>() == accepted).await;
    assert_eq!(span_rows(&rec.trace_batches()), expected_rows("svc", accepted));
    until("healthy", || p.component.health().state == HealthState::Healthy).await;
    p.shutdown().await;
}

#[tokio::test]
async fn a_permanent_refusal_is_counted_not_retried() {
    let rec = Arc::new(Recorder::default());
    lock(&rec.refuse).push_back(ConsumeError::permanent("bad data"));
    let p = Running::start("timeout = \"1h\"\nsend_batch_size = 2", &rec.handle());
    p.input.0.consume_traces(spans("svc", 0, 2)).await.unwrap();
    until("counted", || p.debug("items_failed") == 2).await;
    p.input.0.consume_traces(spans("svc", 2, 2)).await.unwrap();
    until("the next batch", || p.debug("items_sent") >= 2).await;
    // Stopped, the processor has nothing left to retry or flush: a retry of
    // the refused batch, early or late, has been asked of the sink by now.
    let p = p.shutdown().await;
    assert_eq!(rec.trace_calls.load(std::sync::atomic::Ordering::SeqCst), 2, "one call per batch: the refused one was not asked again");
    assert_eq!(span_rows(&rec.trace_batches()), expected_rows("svc", 4)[2..].to_vec(), "only the second batch was delivered");
    let Value::Object(info) = p.debug_info() else { panic!() };
    assert_eq!((info.get("items_failed"), info.get("items_dropped")), (Some(&Value::int(2)), Some(&Value::int(0))), "4 taken = 2 sent + 2 failed");
}

#[tokio::test]
async fn update_keeps_pending_data_and_applies_new_sizes_and_output() {
    let (old, new) = (Arc::new(Recorder::default()), Arc::new(Recorder::default()));
    let p = Running::start("timeout = \"1h\"\nsend_batch_size = 100", &old.handle());
    let input_before = p.component.exports();
    p.input.0.consume_traces(spans("svc", 0, 30)).await.unwrap();
    assert_eq!(p.pending(), (30, 0, 0), "held: under the size, long before the timeout");
    p.component.update(&body(&format!("timeout = \"1h\"\nsend_batch_size = 20\n{TO_SINK}"), &new.handle())).unwrap();
    until("the batch at the new size", || new.trace_sizes() == vec![30]).await;
    assert!(old.trace_sizes().is_empty());
    assert_eq!(p.component.exports(), input_before, "the same input across updates");
    p.shutdown().await;
}

#[tokio::test]
async fn shutdown_flushes_every_signal() {
    let rec = Arc::new(Recorder::default());
    let p = Running::start("timeout = \"1h\"", &rec.handle());
    let number = |v| NumberDataPoint { value: Some(crate::otlp::proto::metrics::v1::number_data_point::Value::AsInt(v)), ..Default::default() };
    let metrics = ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            scope_metrics: vec![ScopeMetrics {
                metrics: vec![Metric { name: "m".into(), data: Some(Data::Gauge(Gauge { data_points: vec![number(1), number(2)] })), ..Default::default() }],
                ..Default::default()
            }],
            ..Default::default()
        }],
    };
    let logs = ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            scope_logs: vec![ScopeLogs { log_records: vec![LogRecord::default(); 3], ..Default::default() }],
            ..Default::default()
        }],
    };
    p.input.0.consume_traces(spans("svc", 0, 1)).await.unwrap();
    p.input.0.consume_metrics(Encoded::from_message(metrics)).await.unwrap();
    p.input.0.consume_logs(Encoded::from_message(logs)).await.unwrap();
    assert_eq!(p.pending(), (1, 2, 3), "held until the flush");
    p.shutdown().await;
    assert_eq!(rec.trace_sizes(), vec![1]);
    assert_eq!(lock(&rec.metrics).iter().map(Encoded::items).collect::<Vec<_>>(), vec![2]);
    assert_eq!(lock(&rec.logs).iter().map(Encoded::items).collect::<Vec<_>>(), vec![3]);
}

#[test]
fn defaults_and_argument_errors() {
    let sink = Arc::new(Recorder::default()).handle();
    let args: Arguments = decode(&body(TO_SINK, &sink)).unwrap();
    assert_eq!(
        (args.timeout.0, args.send_batch_size, args.send_batch_max_size, args.metadata_cardinality_limit),
        (Duration::from_millis(200), 2000, 3000, 1000)
    );
    let error = |args: &str| build(options(), &body(args, &sink)).err().map(|d| d.message);
    assert_eq!(
        error(&format!("send_batch_size = 100\nsend_batch_max_size = 50\n{TO_SINK}")).as_deref(),
        Some("send_batch_max_size must be greater or equal to send_batch_size when not 0")
    );
    assert!(error(&format!("send_batch_size = 100\nsend_batch_max_size = 0\n{TO_SINK}")).is_none());
    assert!(error(&format!("metadata_keys = [\"tenant\"]\n{TO_SINK}")).unwrap().contains("metadata_keys is not supported"));
    assert!(error(&format!("timeout = \"-1s\"\n{TO_SINK}")).unwrap().contains("invalid duration"));
    assert!(error("timeout = \"1s\"").unwrap().contains("output"));
}
