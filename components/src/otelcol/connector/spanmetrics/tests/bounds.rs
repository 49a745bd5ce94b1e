//! The two memory bounds: series per resource (`aggregation_cardinality_limit`,
//! overflowing into one series) and resources held
//! (`resource_metrics_cache_size`, least recently used evicted). Each test
//! checks the balance: every span sent is in a reported series or counted.

use super::*;
use crate::harness::{Harness, Recorder};

/// A server span `op` whose `user.id` attribute is `user`.
fn by_user(user: usize) -> Span {
    Span { attributes: vec![kv("user.id", text(&format!("u{user}")))], ..server("op", MS) }
}

/// Sum of the data points of `name` in every resource of `out`.
fn total(out: &[ResourceMetrics], name: &str) -> i64 {
    out.iter()
        .flat_map(|r| &r.scope_metrics)
        .flat_map(|s| &s.metrics)
        .filter(|m| m.name == name)
        .map(|m| match &m.data {
            Some(Data::Sum(s)) => s
                .data_points
                .iter()
                .map(|p| match p.value {
                    Some(crate::otlp::proto::metrics::v1::number_data_point::Value::AsInt(n)) => n,
                    _ => 0,
                })
                .sum(),
            _ => 0,
        })
        .sum()
}

fn services(out: &[ResourceMetrics]) -> Vec<String> {
    let mut v: Vec<_> = out.iter().map(|r| render(&r.resource.as_ref().map(|r| r.attributes.clone()).unwrap_or_default())).collect();
    v.sort();
    v
}

const USER_DIM: &str = "dimension { name = \"user.id\" }";

/// 25 users past a limit of 10: the first 10 keep their series, the other
/// 15 share the overflow series, which holds exactly their spans (calls and
/// histogram count alike); the total is every span sent.
#[test]
fn past_the_limit_one_overflow_series_holds_exactly_the_overflowing_spans() {
    let mut a = aggregator(&format!("{EXPLICIT}\n{USER_DIM}\naggregation_cardinality_limit = 10"));
    let per_user = |u: usize| u % 3 + 1;
    let spans: Vec<Span> = (0..25).flat_map(|u| std::iter::repeat_with(move || by_user(u)).take(per_user(u))).collect();
    let sent = spans.len() as i64;
    a.aggregate(&request(svc("shop"), spans), T0).unwrap();
    let out = a.flush(T0);
    let c = calls(&out, "traces.span.metrics.calls");
    assert_eq!(c.len(), 11, "10 series and the overflow: {c:?}");
    let overflow: Vec<_> = c.iter().filter(|(attrs, _)| attrs == "otel.metric.overflow=true").collect();
    let expected_overflow: i64 = (10..25).map(|u| per_user(u) as i64).sum();
    assert_eq!(overflow, vec![&("otel.metric.overflow=true".to_string(), expected_overflow)]);
    for u in 0..10 {
        assert!(c.iter().any(|(attrs, n)| attrs.contains(&format!("user.id=\"u{u}\"")) && *n == per_user(u) as i64), "u{u} keeps its series");
    }
    assert_eq!(total(&out, "traces.span.metrics.calls"), sent, "balance: calls = spans sent");
    let histograms = buckets(&out, "traces.span.metrics.duration");
    let overflow_histogram = histograms.iter().find(|h| h.0 == "otel.metric.overflow=true").map(|h| h.1.iter().sum::<u64>());
    assert_eq!(overflow_histogram, Some(expected_overflow as u64));
    assert_eq!(a.counters().overflow_spans.get(), expected_overflow as u64);

    // Next window (cumulative): a known user keeps its series, a new one
    // still overflows.
    a.aggregate(&request(svc("shop"), vec![by_user(3), by_user(99)]), T0 + MS).unwrap();
    let c = calls(&a.flush(T0 + MS), "traces.span.metrics.calls");
    assert_eq!(c.len(), 11);
    assert!(c.contains(&("otel.metric.overflow=true".into(), expected_overflow + 1)));
    assert_eq!(a.counters().overflow_spans.get(), expected_overflow as u64 + 1);
}

/// Cache of 2: a, b, a again, then c evicts b (least recently used). The
/// next flush still reports b; the one after, only a and c.
#[test]
fn the_least_recently_used_resource_is_evicted_and_reported_once_more() {
    let mut a = aggregator(&format!("{EXPLICIT}\nresource_metrics_cache_size = 2"));
    for s in ["a", "b", "a", "c"] {
        a.aggregate(&request(svc(s), vec![server("op", MS)]), T0).unwrap();
    }
    assert_eq!(a.counters().evicted_resources.get(), 1);
    let out = a.flush(T0);
    assert_eq!(services(&out), ["service.name=\"a\"", "service.name=\"b\"", "service.name=\"c\""]);
    assert_eq!(total(&out, "traces.span.metrics.calls"), 4, "balance: every span reported");
    assert_eq!(services(&a.flush(T0 + MS)), ["service.name=\"a\"", "service.name=\"c\""]);
    assert_eq!((a.resource_count(), a.counters().dropped_spans.get()), (2, 0));
}

/// An evicted resource that sends again before the flush is taken back:
/// one resource with all its counts, not two with the same attributes.
#[test]
fn an_evicted_resource_that_returns_before_the_flush_is_taken_back() {
    let mut a = aggregator(&format!("{EXPLICIT}\nresource_metrics_cache_size = 2"));
    for s in ["a", "b", "c", "a"] {
        a.aggregate(&request(svc(s), vec![server("op", MS)]), T0).unwrap();
    }
    let out = a.flush(T0);
    assert_eq!(services(&out), ["service.name=\"a\"", "service.name=\"b\"", "service.name=\"c\""]);
    let of_a =
        out.iter().find(|r| services(std::slice::from_ref(r)) == ["service.name=\"a\""]).map(|r| total(std::slice::from_ref(r), "traces.span.metrics.calls"));
    assert_eq!(of_a, Some(2));
    assert_eq!(services(&a.flush(T0 + MS)), ["service.name=\"a\"", "service.name=\"c\""]);
}

/// 10 new resources in one interval against a cache of 2: at most 2 live
/// and 2 evicted are held, the other 6 resources' spans are counted as
/// dropped, and reported + dropped = sent.
#[test]
fn a_flood_of_resources_is_held_to_twice_the_cache_and_the_rest_counted() {
    let mut a = aggregator(&format!("{EXPLICIT}\nresource_metrics_cache_size = 2"));
    for i in 0..10 {
        a.aggregate(&request(svc(&format!("s{i}")), vec![server("op", MS), server("op", MS)]), T0).unwrap();
        assert!(a.resource_count() <= 4, "held {} resources", a.resource_count());
    }
    let out = a.flush(T0);
    assert_eq!(services(&out), ["service.name=\"s6\"", "service.name=\"s7\"", "service.name=\"s8\"", "service.name=\"s9\""]);
    let dropped = a.counters().dropped_spans.get() as i64;
    assert_eq!((total(&out, "traces.span.metrics.calls"), dropped), (8, 12), "balance: 20 sent = 8 reported + 12 dropped");
    assert_eq!(a.counters().evicted_resources.get(), 8);
}

/// A smaller cache on update evicts at once; the argument must be positive.
#[test]
fn the_cache_size_applies_in_place_and_must_be_positive() {
    let mut a = aggregator(EXPLICIT);
    for s in ["a", "b", "c"] {
        a.aggregate(&request(svc(s), vec![server("op", MS)]), T0).unwrap();
    }
    assert!(!a.reconfigure(config(&format!("{EXPLICIT}\nresource_metrics_cache_size = 2")).unwrap()), "no reset");
    assert_eq!(a.counters().evicted_resources.get(), 1);
    assert_eq!(total(&a.flush(T0), "traces.span.metrics.calls"), 3, "the evicted one is reported once more");
    assert_eq!(a.resource_count(), 2);
    assert_eq!(config(EXPLICIT).map(|c| c.resource_cache_size), Ok(1000));
    assert_eq!(config(&format!("{EXPLICIT}\nresource_metrics_cache_size = 0")).err().as_deref(), Some("resource_metrics_cache_size must be greater than 0"));
}

/// The component counts overflowing spans into its own metrics and debug
/// info.
#[tokio::test]
async fn overflowing_spans_are_counted_in_the_components_metrics() {
    let rec = Recorder::accepting(&[Signal::Metrics]);
    let id = "otelcol.connector.spanmetrics.bounds_test";
    let args = format!("{EXPLICIT}\n{USER_DIM}\naggregation_cardinality_limit = 2\noutput {{ metrics = [sink] }}");
    let h = Harness::start_with(&REGISTRATION, Options::standalone(id), &args, &rec.scope("sink")).unwrap();
    let spans = (0..5).map(by_user).collect();
    h.input().0.consume_traces(Traces::from_bytes(request(svc("shop"), spans).into()).unwrap()).await.unwrap();
    assert_eq!(h.debug_count("overflow_spans"), 3);
    let line = format!("otelcol_connector_spanmetrics_overflow_spans_total{{component_id=\"{id}\"}} 3");
    assert!(crate::selfmetrics::render().contains(&line), "{line} in {}", crate::selfmetrics::render());
    h.stop().await;
}
