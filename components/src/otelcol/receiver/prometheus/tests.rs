//! Each translation rule on a small batch, the start-time adjustment over
//! several scrapes, and the component as a pipeline sees it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::start_time::Previous;
use super::*;
use crate::harness::Harness;
use crate::harness::{Answer, Recorder};
use crate::otlp::proto::common::v1::{any_value, KeyValue};
use crate::otlp::proto::metrics::v1::{metric::Data, number_data_point, DataPointFlags, Metric, NumberDataPoint, ResourceMetrics};
use crate::prometheus::{Bucket, Exemplar, Family, Metadata, MetricType, SampleValue, Series};

const T0_MS: i64 = 1_700_000_000_000;
const MS: u64 = 1_000_000;
const STALE: f64 = f64::from_bits(0x7ff0_0000_0000_0002);

fn series(labels: &[(&str, &str)], value: SampleValue, at_ms: i64) -> Series {
    let mut labels: Vec<(String, String)> = labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    labels.sort();
    Series { labels, value, timestamp_ms: Some(at_ms), exemplars: Vec::new() }
}

fn family(name: &str, kind: MetricType, series: Vec<Series>) -> Family {
    Family { name: name.into(), metadata: Metadata { kind, help: format!("help of {name}"), unit: String::new() }, series }
}

const TARGET: [(&str, &str); 2] = [("job", "node"), ("instance", "10.0.0.7:9100")];

fn with_target<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    TARGET.iter().copied().chain(extra.iter().copied()).collect()
}

fn counter(name: &str, v: f64, at_ms: i64) -> Family {
    family(name, MetricType::Counter, vec![series(&with_target(&[("cpu", "0")]), SampleValue::Number(v), at_ms)])
}

fn run(families: Vec<Family>, starts: &mut StartTimes) -> Translated {
    translate(&families, None, 0, starts, Instant::now())
}

fn once(families: Vec<Family>) -> Translated {
    run(families, &mut StartTimes::default())
}

fn attr<'a>(attrs: &'a [KeyValue], key: &str) -> Option<&'a str> {
    attrs.iter().find(|a| a.key == key).and_then(|a| match a.value.as_ref()?.value.as_ref()? {
        any_value::Value::StringValue(s) => Some(s.as_str()),
        _ => None,
    })
}

fn resource_attr<'a>(rm: &'a ResourceMetrics, key: &str) -> Option<&'a str> {
    attr(&rm.resource.as_ref()?.attributes, key)
}

fn metrics(t: &Translated) -> Vec<&Metric> {
    t.resource_metrics.iter().flat_map(|r| &r.scope_metrics).flat_map(|s| &s.metrics).collect()
}

fn only_metric(t: &Translated) -> &Metric {
    let all = metrics(t);
    assert_eq!(all.len(), 1, "{all:?}");
    all[0]
}

fn sum_point(m: &Metric) -> &NumberDataPoint {
    match &m.data {
        Some(Data::Sum(s)) => &s.data_points[0],
        other => panic!("not a sum: {other:?}"),
    }
}

fn value(p: &NumberDataPoint) -> Option<f64> {
    match p.value {
        Some(number_data_point::Value::AsDouble(v)) => Some(v),
        _ => None,
    }
}

#[test]
fn one_resource_per_target_named_as_the_collector_names_it() {
    let t = once(vec![
        counter("a_total", 1.0, T0_MS),
        family("b", MetricType::Gauge, vec![series(&[("job", "api"), ("instance", "localhost:8080")], SampleValue::Number(2.0), T0_MS)]),
    ]);
    assert_eq!(t.resource_metrics.len(), 2);
    let api = &t.resource_metrics[0];
    assert_eq!(resource_attr(api, "service.name"), Some("api"));
    assert_eq!(resource_attr(api, "service.instance.id"), Some("localhost:8080"));
    assert_eq!(resource_attr(api, "server.address"), None, "localhost is not a discernible host");
    assert_eq!(resource_attr(api, "server.port"), Some("8080"));
    assert_eq!(resource_attr(api, "url.scheme"), Some(""));
    let node = &t.resource_metrics[1];
    assert_eq!(resource_attr(node, "service.name"), Some("node"));
    assert_eq!(resource_attr(node, "server.address"), Some("10.0.0.7"));
    assert_eq!(resource_attr(node, "server.port"), Some("9100"));
    let scope = node.scope_metrics[0].scope.as_ref().map(|s| s.name.as_str());
    assert_eq!(scope, Some(SCOPE_NAME));
    // job and instance are the resource's, not the points'.
    let p = sum_point(&node.scope_metrics[0].metrics[0]);
    assert_eq!(p.attributes.len(), 1);
    assert_eq!(attr(&p.attributes, "cpu"), Some("0"));
}

/// A scraped target's discovered labels describe its resource as the
/// Collector's receiver does: the scheme, and what Kubernetes discovery
/// said about the pod. `target_info` still wins.
#[test]
fn discovered_labels_describe_the_resource() {
    let discovered: std::collections::BTreeMap<String, String> = [
        ("__scheme__", "https"),
        ("__address__", "10.244.1.17:8080"),
        ("__meta_kubernetes_namespace", "shop"),
        ("__meta_kubernetes_pod_name", "checkout-7d9f8c6b5d-x2kqp"),
        ("__meta_kubernetes_pod_uid", "5b7c1e2a-8f1d-4c33-9a0e-2f6d1b9c4a10"),
        ("__meta_kubernetes_pod_container_name", "app"),
        ("__meta_kubernetes_pod_node_name", "node-a"),
        ("__meta_kubernetes_pod_controller_kind", "ReplicaSet"),
        ("__meta_kubernetes_pod_controller_name", "checkout-7d9f8c6b5d"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let info = family("target_info", MetricType::Gauge, vec![series(&with_target(&[("k8s.container.name", "from-info")]), SampleValue::Number(1.0), T0_MS)]);
    let t = translate(&[counter("a_total", 1.0, T0_MS), info], Some(&discovered), 0, &mut StartTimes::default(), Instant::now());
    let r = &t.resource_metrics[0];
    assert_eq!(resource_attr(r, "url.scheme"), Some("https"));
    assert_eq!(resource_attr(r, "k8s.namespace.name"), Some("shop"));
    assert_eq!(resource_attr(r, "k8s.pod.name"), Some("checkout-7d9f8c6b5d-x2kqp"));
    assert_eq!(resource_attr(r, "k8s.pod.uid"), Some("5b7c1e2a-8f1d-4c33-9a0e-2f6d1b9c4a10"));
    assert_eq!(resource_attr(r, "k8s.node.name"), Some("node-a"));
    assert_eq!(resource_attr(r, "k8s.replicaset.name"), Some("checkout-7d9f8c6b5d"));
    assert_eq!(resource_attr(r, "k8s.container.name"), Some("from-info"), "target_info wins");
    assert_eq!(resource_attr(r, "k8s.deployment.name"), None);
}

#[test]
fn hosts_and_ports_split_as_go_does() {
    for (instance, address, port) in
        [("[2001:db8::1]:9100", Some("2001:db8::1"), "9100"), ("node-a", Some("node-a"), ""), ("127.0.0.1:9090", None, "9090"), ("0.0.0.0:1", None, "1")]
    {
        let t = once(vec![family("g", MetricType::Gauge, vec![series(&[("job", "j"), ("instance", instance)], SampleValue::Number(1.0), T0_MS)])]);
        let rm = &t.resource_metrics[0];
        assert_eq!(resource_attr(rm, "server.address"), address, "{instance}");
        assert_eq!(resource_attr(rm, "server.port"), Some(port), "{instance}");
    }
}

#[test]
fn target_info_becomes_resource_attributes_not_a_metric() {
    let info = family(
        "target_info",
        MetricType::Gauge,
        vec![series(&with_target(&[("k8s_pod_name", "web-1"), ("service.name", "renamed")]), SampleValue::Number(1.0), T0_MS)],
    );
    let t = once(vec![info, counter("c_total", 1.0, T0_MS)]);
    let rm = &t.resource_metrics[0];
    assert_eq!(resource_attr(rm, "k8s_pod_name"), Some("web-1"));
    assert_eq!(resource_attr(rm, "service.name"), Some("renamed"), "target_info's labels win, as they are added last");
    assert_eq!(only_metric(&t).name, "c_total", "no target_info metric, and _total is kept");
}

#[test]
fn counters_are_cumulative_monotonic_sums() {
    let t = once(vec![counter("requests_total", 5.0, T0_MS)]);
    let m = only_metric(&t);
    assert_eq!(m.description, "help of requests_total");
    let Some(Data::Sum(s)) = &m.data else { panic!("{m:?}") };
    assert!(s.is_monotonic);
    assert_eq!(s.aggregation_temporality, AggregationTemporality::Cumulative as i32);
    assert_eq!(value(&s.data_points[0]), Some(5.0));
    assert_eq!(s.data_points[0].time_unix_nano, T0_MS as u64 * MS);
}

use crate::otlp::proto::metrics::v1::AggregationTemporality;

#[test]
fn gauges_unknown_and_scrape_series_are_gauges_without_start() {
    let t = once(vec![
        family("temp", MetricType::Gauge, vec![series(&TARGET, SampleValue::Number(21.5), T0_MS)]),
        family("mystery", MetricType::Unknown, vec![series(&TARGET, SampleValue::Number(3.0), T0_MS)]),
        family("up", MetricType::Gauge, vec![series(&TARGET, SampleValue::Number(1.0), T0_MS)]),
        family("scrape_duration_seconds", MetricType::Gauge, vec![series(&TARGET, SampleValue::Number(0.01), T0_MS)]),
    ]);
    let all = metrics(&t);
    assert_eq!(all.iter().map(|m| m.name.as_str()).collect::<Vec<_>>(), ["temp", "mystery", "up", "scrape_duration_seconds"]);
    for m in all {
        let Some(Data::Gauge(g)) = &m.data else { panic!("{} is not a gauge: {m:?}", m.name) };
        assert_eq!(g.data_points[0].start_time_unix_nano, 0, "{}", m.name);
    }
}

fn histogram(count: u64, sum: f64, cumulative: [u64; 3], at_ms: i64) -> Family {
    let buckets = [(0.1, cumulative[0]), (1.0, cumulative[1]), (f64::INFINITY, cumulative[2])]
        .map(|(upper_bound, cumulative_count)| Bucket { upper_bound, cumulative_count })
        .to_vec();
    family("latency_seconds", MetricType::Histogram, vec![series(&TARGET, SampleValue::Histogram { buckets, count, sum }, at_ms)])
}

#[test]
fn histograms_get_per_bucket_counts_and_bounds_without_inf() {
    let t = once(vec![histogram(10, 4.5, [3, 8, 10], T0_MS)]);
    let Some(Data::Histogram(h)) = &only_metric(&t).data else { panic!() };
    assert_eq!(h.aggregation_temporality, AggregationTemporality::Cumulative as i32);
    let p = &h.data_points[0];
    assert_eq!(p.explicit_bounds, [0.1, 1.0]);
    assert_eq!(p.bucket_counts, [3, 5, 2]);
    assert_eq!((p.count, p.sum), (10, Some(4.5)));
    assert_eq!(p.start_time_unix_nano, p.time_unix_nano);
}

#[test]
fn summaries_keep_their_quantiles() {
    let value = SampleValue::Summary { quantiles: vec![(0.5, 0.2), (0.99, 0.9)], count: 7, sum: 2.0 };
    let t = once(vec![family("rpc_seconds", MetricType::Summary, vec![series(&TARGET, value, T0_MS)])]);
    let Some(Data::Summary(s)) = &only_metric(&t).data else { panic!() };
    let p = &s.data_points[0];
    assert_eq!((p.count, p.sum), (7, 2.0));
    assert_eq!(p.quantile_values.iter().map(|q| (q.quantile, q.value)).collect::<Vec<_>>(), [(0.5, 0.2), (0.99, 0.9)]);
}

#[test]
fn a_value_that_does_not_fit_its_type_is_dropped_and_counted() {
    let t = once(vec![family("h", MetricType::Histogram, vec![series(&TARGET, SampleValue::Number(1.0), T0_MS)])]);
    assert_eq!((t.points, t.dropped), (0, 1));
}

#[test]
fn scope_labels_name_the_scope() {
    let labels = with_target(&[("otel_scope_name", "my.lib"), ("otel_scope_version", "1.2"), ("k", "v")]);
    let t = once(vec![family("g", MetricType::Gauge, vec![series(&labels, SampleValue::Number(1.0), T0_MS)])]);
    let sm = &t.resource_metrics[0].scope_metrics[0];
    let scope = sm.scope.as_ref().map(|s| (s.name.as_str(), s.version.as_str()));
    assert_eq!(scope, Some(("my.lib", "1.2")));
    let Some(Data::Gauge(g)) = &sm.metrics[0].data else { panic!() };
    assert_eq!(g.data_points[0].attributes.len(), 1);
}

#[test]
fn exemplars_carry_their_trace_context() {
    let mut s = series(&TARGET, SampleValue::Number(3.0), T0_MS);
    s.exemplars.push(Exemplar {
        labels: vec![
            ("span_id".into(), "00f067aa0ba902b7".into()),
            ("trace_id".into(), "4bf92f3577b34da6a3ce929d0e0e4736".into()),
            ("user".into(), "x".into()),
        ],
        value: 0.5,
        timestamp_ms: Some(T0_MS - 10),
    });
    let t = once(vec![family("c_total", MetricType::Counter, vec![s])]);
    let e = &sum_point(only_metric(&t)).exemplars[0];
    assert_eq!(hex::encode(&e.trace_id), "4bf92f3577b34da6a3ce929d0e0e4736");
    assert_eq!(hex::encode(&e.span_id), "00f067aa0ba902b7");
    assert_eq!(attr(&e.filtered_attributes, "user"), Some("x"));
    assert_eq!(e.time_unix_nano, (T0_MS - 10) as u64 * MS);
}

#[test]
fn start_time_is_the_first_point_then_a_reset_restarts_it_a_millisecond_early() {
    let mut starts = StartTimes::default();
    let start_of = |t: &Translated| sum_point(only_metric(t)).start_time_unix_nano;
    let t0 = T0_MS as u64 * MS;
    assert_eq!(start_of(&run(vec![counter("c_total", 10.0, T0_MS)], &mut starts)), t0);
    assert_eq!(start_of(&run(vec![counter("c_total", 15.0, T0_MS + 15_000)], &mut starts)), t0, "growth keeps the start");
    assert_eq!(start_of(&run(vec![counter("c_total", 15.0, T0_MS + 30_000)], &mut starts)), t0, "no change keeps the start");
    let reset_at = (T0_MS + 45_000) as u64 * MS;
    assert_eq!(start_of(&run(vec![counter("c_total", 2.0, T0_MS + 45_000)], &mut starts)), reset_at - MS, "a decrease is a reset");
    assert_eq!(start_of(&run(vec![counter("c_total", 3.0, T0_MS + 60_000)], &mut starts)), reset_at - MS);
    assert_eq!(starts.resets(), 1);
}

#[test]
fn histogram_and_summary_resets_follow_count_sum_and_buckets() {
    let mut starts = StartTimes::default();
    let hist_start = |t: &Translated| match &only_metric(t).data {
        Some(Data::Histogram(h)) => h.data_points[0].start_time_unix_nano,
        _ => panic!(),
    };
    let t0 = T0_MS as u64 * MS;
    assert_eq!(hist_start(&run(vec![histogram(10, 4.5, [3, 8, 10], T0_MS)], &mut starts)), t0);
    assert_eq!(hist_start(&run(vec![histogram(12, 5.0, [4, 9, 12], T0_MS + 1000)], &mut starts)), t0);
    // Same count and sum, but a bucket went down: the series restarted.
    let at = (T0_MS + 2000) as u64 * MS;
    assert_eq!(hist_start(&run(vec![histogram(12, 5.0, [3, 9, 12], T0_MS + 2000)], &mut starts)), at - MS);

    let summary = |count, sum, at_ms| family("s", MetricType::Summary, vec![series(&TARGET, SampleValue::Summary { quantiles: vec![], count, sum }, at_ms)]);
    let sum_start = |t: &Translated| match &only_metric(t).data {
        Some(Data::Summary(s)) => s.data_points[0].start_time_unix_nano,
        _ => panic!(),
    };
    assert_eq!(sum_start(&run(vec![summary(5, 1.0, T0_MS)], &mut starts)), t0);
    assert_eq!(sum_start(&run(vec![summary(6, 1.5, T0_MS + 1000)], &mut starts)), t0);
    assert_eq!(sum_start(&run(vec![summary(1, 0.1, T0_MS + 2000)], &mut starts)), at - MS);
}

#[test]
fn staleness_markers_are_points_with_no_recorded_value_and_end_the_series() {
    let mut starts = StartTimes::default();
    let t0 = T0_MS as u64 * MS;
    run(vec![counter("c_total", 10.0, T0_MS)], &mut starts);
    assert_eq!(starts.tracked(), 1);
    let stale = run(vec![counter("c_total", STALE, T0_MS + 15_000)], &mut starts);
    let p = sum_point(only_metric(&stale));
    assert_eq!(p.flags, DataPointFlags::NoRecordedValueMask as u32);
    assert_eq!(value(p), None);
    assert_eq!(p.start_time_unix_nano, t0, "the marker keeps the series' start");
    assert_eq!(starts.tracked(), 0, "a stale series' state is dropped");
    let back_ms = T0_MS + 60_000;
    let back = run(vec![counter("c_total", 1.0, back_ms)], &mut starts);
    assert_eq!(sum_point(only_metric(&back)).start_time_unix_nano, back_ms as u64 * MS, "it starts again when it comes back");

    let g = once(vec![family("g", MetricType::Gauge, vec![series(&TARGET, SampleValue::Number(STALE), T0_MS)])]);
    let Some(Data::Gauge(g)) = &only_metric(&g).data else { panic!() };
    assert_eq!(g.data_points[0].flags, DataPointFlags::NoRecordedValueMask as u32);
    let h = once(vec![family("h", MetricType::Histogram, vec![series(&TARGET, SampleValue::Number(STALE), T0_MS)])]);
    let Some(Data::Histogram(h)) = &only_metric(&h).data else { panic!() };
    assert_eq!(h.data_points[0].flags, DataPointFlags::NoRecordedValueMask as u32);
}

#[test]
fn idle_series_are_forgotten() {
    let mut starts = StartTimes::default();
    let at = Instant::now();
    starts.observe("a", 1, Previous::Number(1.0), at);
    starts.gc(at + Duration::from_secs(61));
    assert_eq!(starts.tracked(), 1, "seen recently");
    starts.gc(at + MAX_IDLE + Duration::from_secs(122));
    assert_eq!(starts.tracked(), 0);
}

fn sample_batch(v: f64) -> Arc<Batch> {
    Arc::new(Batch::new(vec![counter("c_total", v, T0_MS)]))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_component_sends_translated_metrics_and_returns_refusals() {
    let rec = Recorder::new();
    let h = Harness::start(&REGISTRATION, "output { metrics = [sink] }", &rec.scope("sink")).unwrap();
    let receiver = h.receiver();
    receiver.0.append(sample_batch(1.0)).unwrap();
    let got = rec.metrics();
    assert_eq!(got.len(), 1, "delivered before append returned");
    let req = got[0].decode().unwrap();
    assert_eq!(req.resource_metrics[0].scope_metrics[0].metrics[0].name, "c_total");
    rec.answer_next([Answer::Refuse(ConsumeError::permanent("full"))]);
    let err = receiver.0.append(sample_batch(2.0)).unwrap_err();
    assert!(err.contains("full"), "{err}");
    assert_eq!(h.debug_count("points_refused"), 1);
    assert_eq!(h.debug_count("points_sent"), 1);
    assert_eq!(h.debug_count("series_tracked"), 1);
}

#[tokio::test(flavor = "current_thread")]
async fn a_single_threaded_runtime_still_gets_the_answer() {
    let rec = Recorder::new();
    let h = Harness::start(&REGISTRATION, "output { metrics = [sink] }", &rec.scope("sink")).unwrap();
    rec.answer_next([Answer::Refuse(ConsumeError::retryable("later"))]);
    assert!(h.receiver().0.append(sample_batch(1.0)).is_err());
    h.receiver().0.append(sample_batch(1.0)).unwrap();
    assert_eq!(rec.metrics().len(), 1);
}

#[test]
fn output_must_take_metrics() {
    let rec = Recorder::accepting(&[crate::otlp::Signal::Traces]);
    let err = crate::harness::build_error(&REGISTRATION, "output { metrics = [sink] }", &rec.scope("sink"));
    assert!(err.contains("does not accept metrics"), "{err}");
}
