//! The component built from config text, fed through its `input` export,
//! with a recording consumer downstream.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use solder_syntax::ast::Stmt;
use solder_syntax::{Evaluator, Scope, Value};
use tokio_util::sync::CancellationToken;

use super::super::*;
use super::{request, span};
use crate::otlp::proto::metrics::v1::{metric::Data, number_data_point, Metric};
use crate::otlp::proto::trace::v1::span::SpanKind;
use crate::otlp::{Encoded, Metrics};

/// Keeps every metrics payload it is given.
#[derive(Default)]
struct Recorder(Mutex<Vec<Metrics>>);

struct Sink(Arc<Recorder>);

impl Consumer for Sink {
    fn consume_metrics(&self, data: Metrics) -> ConsumeFuture<'_> {
        lock(&self.0 .0).push(data);
        Box::pin(std::future::ready(Ok(())))
    }
    fn accepts(&self, signal: Signal) -> bool {
        signal == Signal::Metrics
    }
}

impl Recorder {
    /// The metrics of the last payload.
    fn last(&self) -> Vec<Metric> {
        let sent = lock(&self.0);
        let Some(m) = sent.last() else { return vec![] };
        m.decode().unwrap().resource_metrics[0].scope_metrics[0].metrics.clone()
    }
}

fn body(args: &str, sink: &Value) -> EvalBody {
    let src = format!("otelcol.connector.servicegraph \"t\" {{\n{args}\noutput {{\n metrics = [sink]\n}}\n}}");
    let file = solder_syntax::parse(&src).unwrap();
    let Some(Stmt::Block(block)) = file.body.first() else { panic!("no block") };
    let scope = Scope::new().with("sink", sink.clone());
    let mut ev = Evaluator::new(&src, &scope);
    crate::body::evaluate(&mut ev, &block.body, block.name_span()).unwrap()
}

fn options() -> Options {
    Options { id: "otelcol.connector.servicegraph.t".into(), data_path: std::env::temp_dir(), on_exports_changed: Arc::new(|| {}) }
}

fn input(c: &Arc<dyn Component>) -> ConsumerHandle {
    let Value::Object(exports) = c.exports() else { panic!("exports are an object") };
    let Some(Value::Capsule(cap)) = exports.get("input") else { panic!("no input capsule") };
    cap.downcast::<ConsumerHandle>().unwrap().clone()
}

fn one_call(trace: u8) -> Traces {
    Encoded::from_message(request(vec![
        ("frontend", vec![span(SpanKind::Client, trace, 7, 0, 150, &[])]),
        ("backend", vec![span(SpanKind::Server, trace, 8, 7, 100, &[])]),
    ]))
}

fn int_value(m: &Metric) -> Vec<i64> {
    let Some(Data::Sum(s)) = &m.data else { panic!("{} is not a sum", m.name) };
    s.data_points.iter().map(|p| match p.value { Some(number_data_point::Value::AsInt(v)) => v, _ => panic!("not an int") }).collect()
}

#[tokio::test]
async fn flushes_cumulative_metrics_on_shutdown_and_keeps_state_across_updates() {
    let rec = Arc::new(Recorder::default());
    let sink = Value::Capsule(ConsumerHandle::new(Sink(Arc::clone(&rec))).capsule());
    let c = build(options(), &body("latency_histogram_buckets = [\"10ms\", \"100ms\", \"1s\"]", &sink)).unwrap();
    let handle = input(&c);
    let stop = CancellationToken::new();
    let task = tokio::spawn(Arc::clone(&c).run(stop.clone()));
    handle.0.consume_traces(one_call(1)).await.unwrap();
    c.update(&body("latency_histogram_buckets = [\"10ms\", \"100ms\", \"1s\"]\nstore { max_items = 5 }", &sink)).unwrap();
    assert!(Arc::ptr_eq(&input(&c).0, &handle.0), "the input survives updates");
    handle.0.consume_traces(one_call(2)).await.unwrap();
    stop.cancel();
    task.await.unwrap();

    let metrics = rec.last();
    let names: Vec<_> = metrics.iter().map(|m| (m.name.as_str(), m.unit.as_str())).collect();
    assert_eq!(
        names,
        vec![("traces_service_graph_request_total", ""), ("traces_service_graph_request_server", "s"), ("traces_service_graph_request_client", "s")]
    );
    assert_eq!(int_value(&metrics[0]), vec![2]);
    let Some(Data::Sum(total)) = &metrics[0].data else { panic!() };
    assert!(total.is_monotonic);
    let attrs: Vec<_> = total.data_points[0].attributes.iter().map(|kv| kv.key.as_str()).collect();
    assert_eq!(attrs, vec!["client", "server", "connection_type", "failed"]);
    let Some(Data::Histogram(server)) = &metrics[1].data else { panic!() };
    let p = &server.data_points[0];
    assert_eq!((p.count, p.bucket_counts.clone(), p.explicit_bounds.clone()), (2, vec![0, 2, 0, 0], vec![0.01, 0.1, 1.0]));
    let Value::Object(info) = c.debug_info() else { panic!() };
    assert_eq!(info.get("completed_edges"), Some(&Value::int(2)));
}

#[tokio::test]
async fn expiry_loop_completes_virtual_edges_and_flush_interval_sends() {
    let rec = Arc::new(Recorder::default());
    let sink = Value::Capsule(ConsumerHandle::new(Sink(Arc::clone(&rec))).capsule());
    let args = "store { ttl = \"20ms\" }\nstore_expiration_loop = \"10ms\"\nmetrics_flush_interval = \"30ms\"";
    let c = build(options(), &body(args, &sink)).unwrap();
    let stop = CancellationToken::new();
    let task = tokio::spawn(Arc::clone(&c).run(stop.clone()));
    let root = request(vec![("frontend", vec![span(SpanKind::Server, 1, 7, 0, 1, &[])])]);
    input(&c).0.consume_traces(Encoded::from_message(root)).await.unwrap();
    // The root span's edge completes only by expiring (a virtual `user`
    // client), and only the flush loop sends it: wait for it, before shutdown.
    let from_user = || {
        let Some(Data::Sum(total)) = rec.last().first().and_then(|m| m.data.clone()) else { return false };
        total
            .data_points
            .first()
            .and_then(|p| p.attributes.first())
            .is_some_and(|client| (client.key.as_str(), format!("{:?}", client.value)) == ("client", format!("{:?}", super::kv("", "user").value)))
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !from_user() {
        assert!(tokio::time::Instant::now() < deadline, "the flush loop never sent the expired edge: {:?}", rec.last());
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    stop.cancel();
    task.await.unwrap();
}

#[tokio::test]
async fn zero_flush_interval_sends_after_every_payload() {
    let rec = Arc::new(Recorder::default());
    let sink = Value::Capsule(ConsumerHandle::new(Sink(Arc::clone(&rec))).capsule());
    let c = build(options(), &body("metrics_flush_interval = \"0s\"", &sink)).unwrap();
    input(&c).0.consume_traces(one_call(1)).await.unwrap();
    assert_eq!(lock(&rec.0).len(), 1);
    assert_eq!(int_value(&rec.last()[0]), vec![1]);
}

#[test]
fn bad_arguments_are_config_errors() {
    let sink = Value::Capsule(ConsumerHandle::new(Sink(Arc::default())).capsule());
    let unsorted = build(options(), &body("latency_histogram_buckets = [\"1s\", \"10ms\"]", &sink));
    assert!(unsorted.err().is_some_and(|d| d.message.contains("increasing order")));
    let empty_store = build(options(), &body("store { max_items = 0 }", &sink));
    assert!(empty_store.err().is_some_and(|d| d.message.contains("max_items")));
    assert!(build(options(), &body("no_such_argument = 1", &sink)).is_err());
}
