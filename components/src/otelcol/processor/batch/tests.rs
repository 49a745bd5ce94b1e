//! The batch processor driven as the runtime drives it: built from config
//! text, run on its own task, fed through its `input` export, with a
//! recording consumer downstream.

use std::time::Duration;

use prost::Message;
use solder_syntax::Value;
use tokio::time::Instant;

use super::*;
use crate::consumer::ErrorKind;
use crate::harness::{evaluate, until, Answer, Harness, Recorder};
use crate::otelcol::processor::testing::POD_IP;
use crate::otlp::proto::common::v1::{any_value, AnyValue, InstrumentationScope, KeyValue};
use crate::otlp::proto::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use crate::otlp::proto::metrics::v1::{metric::Data, Gauge, Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics};
use crate::otlp::proto::resource::v1::Resource;
use crate::otlp::proto::trace::v1::{ResourceSpans, ScopeSpans, Span};

const TO_SINK: &str = "output {\n traces = [sink]\n metrics = [sink]\n logs = [sink]\n}";

/// The processor, running, with every signal going to `rec`.
fn processor(args: &str, rec: &Recorder) -> Harness {
    Harness::start(&REGISTRATION, &format!("{args}\n{TO_SINK}"), &rec.scope("sink")).unwrap()
}

fn trace_sizes(rec: &Recorder) -> Vec<usize> {
    rec.traces().iter().map(Traces::items).collect()
}

/// Items the processor holds, not yet sent: (traces, metrics, logs).
fn pending(p: &Harness) -> (i64, i64, i64) {
    let Value::Object(pending) = p.debug("pending") else { panic!("pending is not an object") };
    let n = |k: &str| match pending.get(k) {
        Some(Value::Number(n)) => n.as_i64().unwrap(),
        other => panic!("pending {k}: {other:?}"),
    };
    (n("traces"), n("metrics"), n("logs"))
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

#[tokio::test]
async fn batches_by_size_promptly() {
    let rec = Recorder::new();
    let p = processor("timeout = \"1h\"\nsend_batch_size = 10\nsend_batch_max_size = 10", &rec);
    for i in 0..5 {
        p.input().0.consume_traces(spans("svc", i * 5, 5)).await.unwrap();
    }
    until("two full batches", || trace_sizes(&rec).len() == 2).await;
    assert_eq!(trace_sizes(&rec), vec![10, 10]);
    assert_eq!(p.debug_count("batches_sent"), 2);
    // The last five wait for the (hour-long) timeout; shutdown flushes them.
    p.stop().await;
    assert_eq!(trace_sizes(&rec), vec![10, 10, 5]);
    assert_eq!(span_rows(&rec.traces()), expected_rows("svc", 25));
}

#[tokio::test]
async fn without_a_max_a_batch_holds_at_least_send_batch_size() {
    let rec = Recorder::new();
    let p = processor("timeout = \"1h\"\nsend_batch_size = 10\nsend_batch_max_size = 0", &rec);
    for i in 0..5 {
        p.input().0.consume_traces(spans("svc", i * 5, 5)).await.unwrap();
    }
    // However the sends interleave with the payloads, every batch sent
    // before shutdown holds at least ten spans.
    until("twenty spans", || trace_sizes(&rec).iter().sum::<usize>() >= 20).await;
    assert!(trace_sizes(&rec).iter().all(|n| *n >= 10), "{:?}", trace_sizes(&rec));
    p.stop().await;
    assert_eq!(span_rows(&rec.traces()), expected_rows("svc", 25));
}

#[tokio::test]
async fn a_lone_payload_goes_after_the_timeout() {
    let rec = Recorder::new();
    let p = processor("timeout = \"150ms\"", &rec);
    let sent = Instant::now();
    p.input().0.consume_traces(spans("svc", 0, 3)).await.unwrap();
    until("the timeout", || !rec.traces().is_empty()).await;
    let arrived = rec.received()[0].at;
    assert!(arrived - sent >= Duration::from_millis(150), "sent after {:?}", arrived - sent);
    assert_eq!(trace_sizes(&rec), vec![3]);
    p.stop().await;
}

#[tokio::test]
async fn oversized_payloads_are_split_at_send_batch_max_size() {
    let rec = Recorder::new();
    let p = processor("timeout = \"1h\"", &rec);
    p.input().0.consume_traces(spans("big", 0, 7000)).await.unwrap();
    until("two full batches", || trace_sizes(&rec).len() == 2).await;
    assert_eq!(trace_sizes(&rec), vec![3000, 3000]);
    // 1000 left: below send_batch_size, so it waits for the timeout.
    let Value::Object(pending) = p.debug("pending") else { panic!("pending is not an object") };
    assert_eq!(pending.get("traces").cloned(), Some(Value::int(1000)));
    assert_eq!(p.debug_count("payloads_split"), 1);
    p.stop().await;
    assert_eq!(trace_sizes(&rec), vec![3000, 3000, 1000]);
    // Every span exactly once, in order, with its resource and scope.
    assert_eq!(span_rows(&rec.traces()), expected_rows("big", 7000));
}

/// A consumer that panics while a split payload is being sent, on the
/// sender's own task: the piece in hand goes back to the pending buffer
/// (the supervisor's restart sends it), and the pieces not yet cut are
/// counted as dropped. Sent + pending + dropped = what came in.
#[tokio::test]
async fn a_panic_in_the_middle_of_a_split_payload_loses_nothing_uncounted() {
    let rec = Recorder::new();
    rec.answer_next([Answer::Accept, Answer::Panic]);
    let p = processor("timeout = \"1h\"", &rec);
    p.input().0.consume_traces(spans("big", 0, 7000)).await.unwrap();
    until("the panic on the second piece", || rec.calls() == 2).await;
    until("the sender's task to be gone", || pending(&p).0 == 3000).await;
    assert_eq!(trace_sizes(&rec), vec![3000]);
    assert_eq!(p.debug_count("items_dropped"), 1000, "the uncut rest is counted");
}

#[tokio::test]
async fn batches_are_concatenated_bytes() {
    let rec = Recorder::new();
    let p = processor("timeout = \"1h\"\nsend_batch_size = 5", &rec);
    let (a, b) = (spans("a", 0, 2), spans("b", 0, 3));
    p.input().0.consume_traces(a.clone()).await.unwrap();
    p.input().0.consume_traces(b.clone()).await.unwrap();
    until("one batch", || trace_sizes(&rec).len() == 1).await;
    let batch = &rec.traces()[0];
    // Byte for byte the two requests one after the other: nothing was
    // decoded and re-encoded, and it decodes to the merged request.
    assert_eq!(batch.bytes().as_ref(), [a.bytes().as_ref(), b.bytes().as_ref()].concat());
    let mut merged = (*a.decode().unwrap()).clone();
    merged.resource_spans.extend(b.decode().unwrap().resource_spans.clone());
    assert_eq!(*batch.decode().unwrap(), merged);
    p.stop().await;
}

/// A batch of one client's data is still that client's, and so is every
/// piece of its split payload; a batch that mixes clients has none, so
/// that k8sattributes downstream credits no pod with another's spans.
#[tokio::test]
async fn a_batch_keeps_the_senders_address_only_when_it_has_one_sender() {
    let (pod, other) = (POD_IP, Some(std::net::IpAddr::from([10, 1, 2, 4])));
    let rec = Recorder::new();
    let p = processor("timeout = \"1h\"\nsend_batch_size = 5\nsend_batch_max_size = 5", &rec);
    p.input().0.consume_traces(spans("a", 0, 2).with_peer(pod)).await.unwrap();
    p.input().0.consume_traces(spans("a", 2, 3).with_peer(pod)).await.unwrap();
    until("the single-sender batch", || trace_sizes(&rec).len() == 1).await;
    p.input().0.consume_traces(spans("a", 0, 2).with_peer(pod)).await.unwrap();
    p.input().0.consume_traces(spans("b", 0, 3).with_peer(other)).await.unwrap();
    until("the mixed batch", || trace_sizes(&rec).len() == 2).await;
    p.input().0.consume_traces(spans("big", 0, 12).with_peer(other)).await.unwrap();
    until("two pieces of the split payload", || trace_sizes(&rec).len() == 4).await;
    p.stop().await;
    assert_eq!(trace_sizes(&rec), vec![5, 5, 5, 5, 2]);
    assert_eq!(rec.traces().iter().map(Traces::peer).collect::<Vec<_>>(), [pod, None, other, other, other]);
}

#[tokio::test]
async fn a_retryable_refusal_keeps_the_batch() {
    let rec = Recorder::new();
    rec.answer_next([Answer::Refuse(ConsumeError::retryable("busy")), Answer::Refuse(ConsumeError::retryable("still busy"))]);
    let p = processor("timeout = \"1h\"\nsend_batch_size = 4", &rec);
    p.input().0.consume_traces(spans("svc", 0, 4)).await.unwrap();
    until("the retried batch", || trace_sizes(&rec).len() == 1).await;
    assert_eq!(rec.refused(), 2, "asked three times");
    assert_eq!(span_rows(&rec.traces()), expected_rows("svc", 4));
    assert_eq!(p.health().state, HealthState::Healthy);
    p.stop().await;
}

#[tokio::test]
async fn a_full_buffer_pushes_back_and_health_says_why() {
    let rec = Recorder::new();
    rec.answer_always(Answer::Refuse(ConsumeError::retryable("down")));
    let p = processor("timeout = \"10ms\"\nsend_batch_size = 100\nsend_batch_max_size = 100", &rec);
    let (mut refused, mut accepted) = (None, 0);
    for i in 0..100 {
        match p.input().0.consume_traces(spans("svc", i * 100, 100)).await {
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
    until("unhealthy", || p.health().state == HealthState::Unhealthy).await;
    assert!(p.health().message.contains("retry"), "{}", p.health().message);
    // Downstream recovers: everything taken is delivered.
    rec.answer_always(Answer::Accept);
    assert!(accepted >= 4000, "the bound is 4096 spans; accepted {accepted}");
    until("drained", || trace_sizes(&rec).iter().sum::<usize>() == accepted).await;
    assert_eq!(span_rows(&rec.traces()), expected_rows("svc", accepted));
    until("healthy", || p.health().state == HealthState::Healthy).await;
    p.stop().await;
}

#[tokio::test]
async fn a_permanent_refusal_is_counted_not_retried() {
    let rec = Recorder::new();
    rec.answer_next([Answer::Refuse(ConsumeError::permanent("bad data"))]);
    let p = processor("timeout = \"1h\"\nsend_batch_size = 2", &rec);
    p.input().0.consume_traces(spans("svc", 0, 2)).await.unwrap();
    until("counted", || p.debug_count("items_failed") == 2).await;
    p.input().0.consume_traces(spans("svc", 2, 2)).await.unwrap();
    until("the next batch", || p.debug_count("items_sent") >= 2).await;
    // Stopped, the processor has nothing left to retry or flush: a retry of
    // the refused batch, early or late, has been asked of the sink by now.
    let p = p.stop().await;
    // Every call, refused or not: a retry is one more.
    assert_eq!(rec.calls(), 2, "one call per batch: the refused one was not asked again");
    assert_eq!(span_rows(&rec.traces()), expected_rows("svc", 4)[2..].to_vec(), "only the second batch was delivered");
    let Value::Object(info) = p.debug_info() else { panic!() };
    assert_eq!((info.get("items_failed"), info.get("items_dropped")), (Some(&Value::int(2)), Some(&Value::int(0))), "4 taken = 2 sent + 2 failed");
}

/// A signal with no consumer in `output` goes nowhere: its batches are
/// neither sent nor counted as sent, but dropped and counted as failed, so
/// taken = sent + failed still holds.
#[tokio::test]
async fn a_batch_with_no_output_is_not_counted_as_sent() {
    let rec = Recorder::new();
    let p = Harness::start(&REGISTRATION, "send_batch_size = 2\noutput {\n metrics = [sink]\n}", &rec.scope("sink")).unwrap();
    p.input().0.consume_traces(spans("svc", 0, 3)).await.unwrap();
    until("counted", || p.debug_count("items_failed") == 3).await;
    assert_eq!((p.debug_count("items_sent"), p.debug_count("batches_sent"), rec.calls()), (0, 0, 0));
}

#[tokio::test]
async fn update_keeps_pending_data_and_applies_new_sizes_and_output() {
    let (old, new) = (Recorder::new(), Recorder::new());
    let scope = old.scope("sink").with("new", new.consumer());
    let p = Harness::start(&REGISTRATION, &format!("timeout = \"1h\"\nsend_batch_size = 100\n{TO_SINK}"), &scope).unwrap();
    let input_before = p.exports();
    p.input().0.consume_traces(spans("svc", 0, 30)).await.unwrap();
    assert_eq!(pending(&p), (30, 0, 0), "held: under the size, long before the timeout");
    p.update(&format!("timeout = \"1h\"\nsend_batch_size = 20\n{}", TO_SINK.replace("sink", "new"))).unwrap();
    until("the batch at the new size", || trace_sizes(&new) == vec![30]).await;
    assert!(trace_sizes(&old).is_empty());
    assert_eq!(p.exports(), input_before, "the same input across updates");
    p.stop().await;
}

#[tokio::test]
async fn shutdown_flushes_every_signal() {
    let rec = Recorder::new();
    let p = processor("timeout = \"1h\"", &rec);
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
    p.input().0.consume_traces(spans("svc", 0, 1)).await.unwrap();
    p.input().0.consume_metrics(Encoded::from_message(metrics)).await.unwrap();
    p.input().0.consume_logs(Encoded::from_message(logs)).await.unwrap();
    assert_eq!(pending(&p), (1, 2, 3), "held until the flush");
    p.stop().await;
    assert_eq!(trace_sizes(&rec), vec![1]);
    assert_eq!(rec.metrics().iter().map(Encoded::items).collect::<Vec<_>>(), vec![2]);
    assert_eq!(rec.logs().iter().map(Encoded::items).collect::<Vec<_>>(), vec![3]);
}

#[test]
fn defaults_and_argument_errors() {
    let sink = Recorder::new().scope("sink");
    let args: Arguments = crate::decode::decode(&evaluate(REGISTRATION.name, TO_SINK, &sink).unwrap()).unwrap();
    assert_eq!(
        (args.timeout.0, args.send_batch_size, args.send_batch_max_size, args.metadata_cardinality_limit),
        (Duration::from_millis(200), 2000, 3000, 1000)
    );
    let error = |args: &str| Harness::build(&REGISTRATION, args, &sink).err().map(|d| d.message);
    assert_eq!(
        error(&format!("send_batch_size = 100\nsend_batch_max_size = 50\n{TO_SINK}")).as_deref(),
        Some("send_batch_max_size must be greater or equal to send_batch_size when not 0")
    );
    assert!(error(&format!("send_batch_size = 100\nsend_batch_max_size = 0\n{TO_SINK}")).is_none());
    assert!(error(&format!("metadata_keys = [\"tenant\"]\n{TO_SINK}")).unwrap().contains("metadata_keys is not supported"));
    assert!(error(&format!("timeout = \"-1s\"\n{TO_SINK}")).unwrap().contains("invalid duration"));
    assert!(error("timeout = \"1s\"").unwrap().contains("output"));
}

/// One branch's outage never makes another branch count a batch twice:
/// with `[metrics_branch, down_branch]`, the branch that took the batch gets
/// it once while the other is retried until it takes it too.
#[tokio::test]
async fn a_refusing_branch_is_retried_alone() {
    let (took, down) = (Recorder::new(), Recorder::new());
    down.answer_next([Answer::Refuse(ConsumeError::retryable("down")), Answer::Refuse(ConsumeError::retryable("still down"))]);
    let scope = took.scope("took").with("down", down.consumer());
    let p = Harness::start(&REGISTRATION, "timeout = \"0s\"\noutput {\n traces = [took, down]\n}", &scope).unwrap();
    p.input().0.consume_traces(spans("svc", 0, 5)).await.unwrap();
    until("the down branch to take it at last", || down.traces().len() == 1).await;
    assert_eq!(down.refused(), 2, "the down branch was asked three times");
    assert_eq!(took.traces().len(), 1, "the branch that took it first never got it again");
    p.stop().await;
    assert_eq!(took.traces().len(), 1);
}

/// Shutdown while one branch still refuses: the branch that took the batch
/// is not sent it again by the flush, and the batch is counted once.
#[tokio::test]
async fn shutdown_does_not_resend_to_a_branch_that_took_it() {
    let (took, down) = (Recorder::new(), Recorder::new());
    down.answer_always(Answer::Refuse(ConsumeError::retryable("down")));
    let scope = took.scope("took").with("down", down.consumer());
    let p = Harness::start(&REGISTRATION, "timeout = \"0s\"\noutput {\n traces = [took, down]\n}", &scope).unwrap();
    p.input().0.consume_traces(spans("svc", 0, 5)).await.unwrap();
    until("a refusal", || down.refused() >= 1).await;
    let stopped = p.stop().await;
    assert_eq!(took.traces().len(), 1, "the flush did not send it to the branch that took it");
    let Value::Object(info) = stopped.debug_info() else { panic!("debug info") };
    assert_eq!(info.get("items_dropped"), Some(&Value::int(5)), "{info:?}");
}
