//! The component built from config text, fed through its `input` export,
//! with a recording consumer downstream.

use std::sync::Arc;

use solder_syntax::Value;

use super::super::*;
use super::{request, span};
use crate::harness::{until, Harness, Recorder};
use crate::otlp::proto::metrics::v1::{metric::Data, number_data_point, Metric};
use crate::otlp::proto::trace::v1::span::SpanKind;
use crate::otlp::Encoded;

const TO_SINK: &str = "output {\n metrics = [sink]\n}";

/// A downstream that takes metrics, as a connector's output does.
fn recorder() -> Recorder {
    Recorder::accepting(&[Signal::Metrics])
}

/// The metrics of the last payload `rec` was given.
fn last(rec: &Recorder) -> Vec<Metric> {
    let Some(m) = rec.metrics().pop() else { return vec![] };
    m.decode().unwrap().resource_metrics[0].scope_metrics[0].metrics.clone()
}

fn one_call(trace: u8) -> Traces {
    Encoded::from_message(request(vec![
        ("frontend", vec![span(SpanKind::Client, trace, 7, 0, 150, &[])]),
        ("backend", vec![span(SpanKind::Server, trace, 8, 7, 100, &[])]),
    ]))
}

fn int_value(m: &Metric) -> Vec<i64> {
    let Some(Data::Sum(s)) = &m.data else { panic!("{} is not a sum", m.name) };
    s.data_points
        .iter()
        .map(|p| match p.value {
            Some(number_data_point::Value::AsInt(v)) => v,
            _ => panic!("not an int"),
        })
        .collect()
}

#[tokio::test]
async fn flushes_cumulative_metrics_on_shutdown_and_keeps_state_across_updates() {
    let rec = recorder();
    let buckets = "latency_histogram_buckets = [\"10ms\", \"100ms\", \"1s\"]";
    let h = Harness::start(&REGISTRATION, &format!("{buckets}\n{TO_SINK}"), &rec.scope("sink")).unwrap();
    let handle = h.input();
    handle.0.consume_traces(one_call(1)).await.unwrap();
    h.update(&format!("{buckets}\nstore {{ max_items = 5 }}\n{TO_SINK}")).unwrap();
    assert!(Arc::ptr_eq(&h.input().0, &handle.0), "the input survives updates");
    handle.0.consume_traces(one_call(2)).await.unwrap();
    let c = h.stop().await;

    let metrics = last(&rec);
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
    let rec = recorder();
    let args = format!("store {{ ttl = \"20ms\" }}\nstore_expiration_loop = \"10ms\"\nmetrics_flush_interval = \"30ms\"\n{TO_SINK}");
    let h = Harness::start(&REGISTRATION, &args, &rec.scope("sink")).unwrap();
    let root = request(vec![("frontend", vec![span(SpanKind::Server, 1, 7, 0, 1, &[])])]);
    h.input().0.consume_traces(Encoded::from_message(root)).await.unwrap();
    // The root span's edge completes only by expiring (a virtual `user`
    // client), and only the flush loop sends it: wait for it, before shutdown.
    let from_user = || {
        let Some(Data::Sum(total)) = last(&rec).first().and_then(|m| m.data.clone()) else { return false };
        total
            .data_points
            .first()
            .and_then(|p| p.attributes.first())
            .is_some_and(|client| (client.key.as_str(), format!("{:?}", client.value)) == ("client", format!("{:?}", super::kv("", "user").value)))
    };
    until("the flush loop to send the expired edge", from_user).await;
    h.stop().await;
}

#[tokio::test]
async fn zero_flush_interval_sends_after_every_payload() {
    let rec = recorder();
    let h = Harness::build(&REGISTRATION, &format!("metrics_flush_interval = \"0s\"\n{TO_SINK}"), &rec.scope("sink")).unwrap();
    h.input().0.consume_traces(one_call(1)).await.unwrap();
    assert_eq!(rec.metrics().len(), 1);
    assert_eq!(int_value(&last(&rec)[0]), vec![1]);
}

#[test]
fn bad_arguments_are_config_errors() {
    let sink = recorder().scope("sink");
    let build = |args: &str| Harness::build(&REGISTRATION, &format!("{args}\n{TO_SINK}"), &sink).err();
    let unsorted = build("latency_histogram_buckets = [\"1s\", \"10ms\"]");
    assert!(unsorted.is_some_and(|d| d.message.contains("increasing order")));
    let empty_store = build("store { max_items = 0 }");
    assert!(empty_store.is_some_and(|d| d.message.contains("max_items")));
    assert!(build("no_such_argument = 1").is_some());
}

/// Spans a full store cannot take are counted on `/metrics` under the
/// Collector's name, as well as in debug info: 3 client spans against room
/// for 2 = 2 waiting + 1 dropped.
#[tokio::test]
async fn spans_a_full_store_drops_are_counted_in_the_components_metrics() {
    let rec = recorder();
    let id = "otelcol.connector.servicegraph.full_store";
    let args = format!("store {{ max_items = 2 }}\n{TO_SINK}");
    let h = Harness::build_with(&REGISTRATION, Options::standalone(id), &args, &rec.scope("sink")).unwrap();
    let clients = (1..=3).map(|t| span(SpanKind::Client, t, 7, 0, 1, &[])).collect();
    h.input().0.consume_traces(Encoded::from_message(request(vec![("frontend", clients)]))).await.unwrap();
    assert_eq!((h.debug_count("pending_edges"), h.debug_count("dropped_spans")), (2, 1));
    let line = format!("otelcol_connector_servicegraph_dropped_spans_total{{component_id=\"{id}\"}} 1");
    let rendered = crate::selfmetrics::render();
    assert!(rendered.lines().any(|l| l == line), "{line} in\n{rendered}");
}
