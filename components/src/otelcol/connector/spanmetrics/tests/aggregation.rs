//! The aggregation core with fixed timestamps: every expected number was
//! worked out by hand from the spans fed in.

use super::*;
use crate::otlp::proto::metrics::v1::AggregationTemporality;

const BASE: &str = "service.name=\"shop\" span.name";

#[test]
fn counts_per_name_kind_and_status_with_the_collector_names() {
    let mut a = aggregator(EXPLICIT);
    let spans = vec![
        server("GET /a", MS),
        server("GET /a", MS),
        server("GET /a", MS),
        span("GET /a", span::SpanKind::Server, status::StatusCode::Error, MS),
        span("call", span::SpanKind::Client, status::StatusCode::Ok, MS),
        span("call", span::SpanKind::Client, status::StatusCode::Ok, MS),
    ];
    a.aggregate(&request(svc("shop"), spans), T0).unwrap();
    let out = a.flush(T0 + 60_000 * MS);
    assert_eq!(
        calls(&out, "traces.span.metrics.calls"),
        vec![
            (format!("{BASE}=\"GET /a\" span.kind=\"SPAN_KIND_SERVER\" status.code=\"STATUS_CODE_ERROR\""), 1),
            (format!("{BASE}=\"GET /a\" span.kind=\"SPAN_KIND_SERVER\" status.code=\"STATUS_CODE_UNSET\""), 3),
            (format!("{BASE}=\"call\" span.kind=\"SPAN_KIND_CLIENT\" status.code=\"STATUS_CODE_OK\""), 2),
        ]
    );
    let m = metric(&out, "traces.span.metrics.calls");
    let Some(Data::Sum(sum)) = &m.data else { panic!() };
    assert!(sum.is_monotonic);
    assert_eq!(sum.aggregation_temporality, AggregationTemporality::Cumulative as i32);
    assert_eq!(sum.data_points[0].start_time_unix_nano, T0);
    assert_eq!(sum.data_points[0].time_unix_nano, T0 + 60_000 * MS);
    assert_eq!(metric(&out, "traces.span.metrics.duration").unit, "ms");
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].scope_metrics[0].scope.as_ref().map(|s| s.name.as_str()), Some("spanmetricsconnector"));
    assert_eq!(render(&out[0].resource.as_ref().unwrap().attributes), "service.name=\"shop\"");
    assert_eq!(a.spans_seen(), 6);
    assert_eq!(a.series_count(), 3);
}

#[test]
fn a_duration_on_a_bound_falls_in_that_bound_bucket() {
    let mut a = aggregator("histogram {\n explicit { buckets = [\"2ms\", \"10ms\", \"1s\"] }\n}");
    // 2ms exactly → le 2; 2ms + 1ns → le 10; 1s → le 1000; 3s → +Inf;
    // end before start counts as 0 → le 2.
    let mut backwards = server("op", 0);
    backwards.end_time_unix_nano = T0 - 5;
    let spans = vec![server("op", 2 * MS), server("op", 2 * MS + 1), server("op", 1000 * MS), server("op", 3000 * MS), backwards];
    a.aggregate(&request(svc("shop"), spans), T0).unwrap();
    let out = a.flush(T0);
    let h = buckets(&out, "traces.span.metrics.duration");
    assert_eq!(h.len(), 1);
    assert_eq!(h[0].1, vec![2, 1, 1, 1]);
    assert!((h[0].2 - (2.0 + 2.000001 + 1000.0 + 3000.0)).abs() < 1e-9, "sum {}", h[0].2);
    let Some(Data::Histogram(hist)) = &metric(&out, "traces.span.metrics.duration").data else { panic!() };
    assert_eq!(hist.data_points[0].explicit_bounds, vec![2.0, 10.0, 1000.0]);
    assert_eq!(hist.data_points[0].count, 5);
}

#[test]
fn default_buckets_and_seconds() {
    let ms = config(EXPLICIT).unwrap();
    let bounds = vec![2.0, 4.0, 6.0, 8.0, 10.0, 50.0, 100.0, 200.0, 400.0, 800.0, 1000.0, 1400.0, 2000.0, 5000.0, 10000.0, 15000.0];
    assert_eq!(ms.bounds.as_ref(), Some(&bounds));
    let mut a = aggregator("histogram {\n unit = \"s\"\n explicit {}\n}");
    assert_eq!(a.config().bounds.as_ref().map(|b| b[11]), Some(1.4));
    a.aggregate(&request(svc("shop"), vec![server("op", 1500 * MS)]), T0).unwrap();
    let out = a.flush(T0);
    let h = buckets(&out, "traces.span.metrics.duration");
    // 1.5s: above 1.4, at most 2 → the thirteenth bucket.
    assert_eq!(h[0].1.iter().position(|n| *n == 1), Some(12));
    assert_eq!(h[0].2, 1.5);
    assert_eq!(metric(&out, "traces.span.metrics.duration").unit, "s");
}

#[test]
fn dimensions_from_span_then_resource_with_defaults_and_types() {
    let args = format!(
        "{EXPLICIT}\ndimension {{ name = \"http.status_code\" }}\ndimension {{ name = \"cached\" }}\n\
         dimension {{\n name = \"region\"\n default = \"unknown\"\n}}\ndimension {{ name = \"absent\" }}\ndimension {{ name = \"tier\" }}"
    );
    let mut a = aggregator(&args);
    let mut resource = svc("shop");
    resource.push(kv("cached", boolean(true)));
    resource.push(kv("tier", text("resource")));
    let mut s = server("op", MS);
    s.attributes = vec![kv("http.status_code", int(200)), kv("tier", text("span"))];
    let mut s2 = server("op", MS);
    s2.attributes = vec![kv("http.status_code", int(500)), kv("region", text("eu"))];
    a.aggregate(&request(resource, vec![s, s2]), T0).unwrap();
    let out = a.flush(T0);
    let base = format!("{BASE}=\"op\" span.kind=\"SPAN_KIND_SERVER\" status.code=\"STATUS_CODE_UNSET\"");
    assert_eq!(
        calls(&out, "traces.span.metrics.calls"),
        vec![
            (format!("{base} http.status_code=200 cached=true region=\"unknown\" tier=\"span\""), 1),
            (format!("{base} http.status_code=500 cached=true region=\"eu\" tier=\"resource\""), 1),
        ]
    );
}

#[test]
fn excluded_dimensions_are_left_out() {
    let mut a = aggregator(&format!("{EXPLICIT}\nexclude_dimensions = [\"span.kind\", \"status.code\"]"));
    let spans = vec![server("op", MS), span("op", span::SpanKind::Client, status::StatusCode::Error, MS)];
    a.aggregate(&request(svc("shop"), spans), T0).unwrap();
    assert_eq!(calls(&a.flush(T0), "traces.span.metrics.calls"), vec![(format!("{BASE}=\"op\""), 2)]);
}

#[test]
fn spans_without_service_name_are_skipped() {
    let mut a = aggregator(EXPLICIT);
    a.aggregate(&request(vec![kv("host.name", text("h"))], vec![server("op", MS)]), T0).unwrap();
    assert!(a.flush(T0).is_empty());
    assert_eq!(a.series_count(), 0);
}

#[test]
fn past_the_cardinality_limit_series_overflow_into_one() {
    let mut a = aggregator(&format!("{EXPLICIT}\naggregation_cardinality_limit = 2"));
    let spans = ["a", "b", "c", "d", "a", "c"].map(|n| server(n, MS)).to_vec();
    a.aggregate(&request(svc("shop"), spans), T0).unwrap();
    let out = a.flush(T0);
    let base = |n: &str| format!("{BASE}=\"{n}\" span.kind=\"SPAN_KIND_SERVER\" status.code=\"STATUS_CODE_UNSET\"");
    assert_eq!(calls(&out, "traces.span.metrics.calls"), vec![("otel.metric.overflow=true".into(), 3), (base("a"), 2), (base("b"), 1)]);
    assert_eq!(buckets(&out, "traces.span.metrics.duration")[0].1[0], 3);
}

#[test]
fn cumulative_keeps_counting_delta_starts_over() {
    let run = |temporality: &str| {
        let mut a = aggregator(&format!("{EXPLICIT}\naggregation_temporality = \"{temporality}\""));
        a.aggregate(&request(svc("shop"), vec![server("op", MS), server("op", MS)]), T0).unwrap();
        let first = a.flush(T0 + 10);
        a.aggregate(&request(svc("shop"), vec![server("op", MS)]), T0 + 15).unwrap();
        let second = a.flush(T0 + 20);
        let third = a.flush(T0 + 30);
        let point = |out: &[ResourceMetrics]| {
            let Some(Data::Sum(s)) = &metric(out, "traces.span.metrics.calls").data else { panic!() };
            let p = &s.data_points[0];
            let Some(crate::otlp::proto::metrics::v1::number_data_point::Value::AsInt(n)) = p.value else { panic!() };
            (n, p.start_time_unix_nano - T0, p.time_unix_nano - T0, s.aggregation_temporality)
        };
        (point(&first), point(&second), if third.is_empty() { None } else { Some(point(&third)) })
    };
    let (c, d) = (AggregationTemporality::Cumulative as i32, AggregationTemporality::Delta as i32);
    assert_eq!(run("CUMULATIVE"), ((2, 0, 10, c), (3, 0, 20, c), Some((3, 0, 30, c))));
    // Delta: the second window starts where the first ended; an idle
    // window reports nothing.
    assert_eq!(run("DELTA"), ((2, 0, 10, d), (1, 10, 20, d), None));
}

#[test]
fn exemplars_carry_ids_and_values_up_to_the_cap_per_flush() {
    let mut a = aggregator(&format!("{EXPLICIT}\nexemplars {{\n enabled = true\n max_per_data_point = 2\n}}"));
    let mut spans: Vec<Span> = (1..=3).map(|i| server("op", i * MS)).collect();
    for (i, s) in spans.iter_mut().enumerate() {
        s.trace_id = vec![i as u8 + 1; 16];
        s.span_id = vec![i as u8 + 10; 8];
    }
    a.aggregate(&request(svc("shop"), spans), T0).unwrap();
    let out = a.flush(T0);
    let Some(Data::Histogram(h)) = &metric(&out, "traces.span.metrics.duration").data else { panic!() };
    let ex: Vec<_> = h.data_points[0].exemplars.iter().map(|e| (e.trace_id[0], e.span_id[0], e.value)).collect();
    use crate::otlp::proto::metrics::v1::exemplar::Value::AsDouble;
    let ex: Vec<_> = ex.into_iter().map(|(t, s, v)| (t, s, matches!(v, Some(AsDouble(x)) if x == f64::from(t)))).collect();
    assert_eq!(ex, vec![(1, 10, true), (2, 11, true)]);
    let Some(Data::Sum(s)) = &metric(&out, "traces.span.metrics.calls").data else { panic!() };
    assert_eq!(s.data_points[0].exemplars.len(), 2);
    // The next window samples afresh.
    a.aggregate(&request(svc("shop"), vec![server("op", MS)]), T0).unwrap();
    let out = a.flush(T0);
    let Some(Data::Histogram(h)) = &metric(&out, "traces.span.metrics.duration").data else { panic!() };
    assert_eq!(h.data_points[0].exemplars.len(), 1);
    // Disabled by default.
    let mut plain = aggregator(EXPLICIT);
    plain.aggregate(&request(svc("shop"), vec![server("op", MS)]), T0).unwrap();
    let out = plain.flush(T0);
    let Some(Data::Histogram(h)) = &metric(&out, "traces.span.metrics.duration").data else { panic!() };
    assert!(h.data_points[0].exemplars.is_empty());
}

#[test]
fn namespace_prefixes_metric_names() {
    for (ns, calls_name, duration) in [("\"\"", "calls", "duration"), ("\"red\"", "red.calls", "red.duration")] {
        let mut a = aggregator(&format!("{EXPLICIT}\nnamespace = {ns}"));
        a.aggregate(&request(svc("shop"), vec![server("op", MS)]), T0).unwrap();
        let out = a.flush(T0);
        let names: Vec<_> = out[0].scope_metrics[0].metrics.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, vec![calls_name, duration]);
    }
    let mut off = aggregator("histogram {\n disable = true\n explicit {}\n}");
    off.aggregate(&request(svc("shop"), vec![server("op", MS)]), T0).unwrap();
    assert_eq!(off.flush(T0)[0].scope_metrics[0].metrics.len(), 1, "no duration when disabled");
}

#[test]
fn events_are_counted_with_event_dimensions() {
    let mut a = aggregator(&format!("{EXPLICIT}\nevents {{\n enabled = true\n dimension {{ name = \"exception.type\" }}\n}}"));
    let mut s = server("op", MS);
    let event = |t: &str| span::Event { name: "exception".into(), attributes: vec![kv("exception.type", text(t))], ..Default::default() };
    s.events = vec![event("Timeout"), event("Timeout"), event("Refused")];
    a.aggregate(&request(svc("shop"), vec![s]), T0).unwrap();
    let out = a.flush(T0);
    let base = format!("{BASE}=\"op\" span.kind=\"SPAN_KIND_SERVER\" status.code=\"STATUS_CODE_UNSET\"");
    assert_eq!(
        calls(&out, "traces.span.metrics.events"),
        vec![(format!("{base} exception.type=\"Refused\""), 1), (format!("{base} exception.type=\"Timeout\""), 2)]
    );
}

#[test]
fn series_expire_after_metrics_expiration() {
    let mut a = aggregator(&format!("{EXPLICIT}\nmetrics_expiration = \"10s\""));
    a.aggregate(&request(svc("shop"), vec![server("op", MS)]), T0).unwrap();
    assert_eq!(a.flush(T0 + 5_000 * MS).len(), 1);
    assert_eq!(a.flush(T0 + 9_000 * MS).len(), 1, "cumulative series are reported while live");
    a.flush(T0 + 10_000 * MS);
    assert_eq!(a.series_count(), 0);
    assert!(a.flush(T0 + 11_000 * MS).is_empty());
}

#[test]
fn resources_are_told_apart_by_key_attributes() {
    let instance = |i: &str| vec![kv("service.name", text("shop")), kv("service.instance.id", text(i)), kv("host.name", text(i))];
    let feed = |a: &mut Aggregator| {
        a.aggregate(&request(instance("1"), vec![server("op", MS)]), T0).unwrap();
        a.aggregate(&request(instance("2"), vec![server("op", MS)]), T0).unwrap();
    };
    let mut merged = aggregator(EXPLICIT);
    feed(&mut merged);
    let out = merged.flush(T0);
    assert_eq!(out.len(), 1);
    assert_eq!(calls(&out, "traces.span.metrics.calls")[0].1, 2);
    let mut split = aggregator(&format!("{EXPLICIT}\nresource_metrics_key_attributes = [\"service.instance.id\"]"));
    feed(&mut split);
    let mut resources: Vec<_> = split.flush(T0).iter().map(|r| render(&r.resource.as_ref().unwrap().attributes)).collect();
    resources.sort();
    assert_eq!(resources, vec!["service.name=\"shop\" service.instance.id=\"1\"", "service.name=\"shop\" service.instance.id=\"2\""]);
}

#[test]
fn reconfiguring_keeps_series_unless_their_shape_changes() {
    let mut a = aggregator(EXPLICIT);
    a.aggregate(&request(svc("shop"), vec![server("op", MS)]), T0).unwrap();
    assert!(!a.reconfigure(config(&format!("{EXPLICIT}\nmetrics_flush_interval = \"5s\"\naggregation_cardinality_limit = 10")).unwrap()));
    assert_eq!(a.series_count(), 1);
    assert!(a.reconfigure(config(&format!("{EXPLICIT}\ndimension {{ name = \"x\" }}")).unwrap()));
    assert_eq!(a.series_count(), 0);
}

/// 1ms, 2ms, 3ms and 1s in at most 160 buckets: at scale 4 the indexes
/// would run from -1 (1ms; a power of two is the top of its bucket) to
/// floor(log2(1000)·16) = 159, 161 buckets; at scale 3, -1 to 79. So:
/// scale 3, offset -1, 2ms in (7 - -1) = 8, 3ms at floor(log2(3)·8) = 12,
/// 1s at 79.
#[test]
fn exponential_histograms_pick_the_finest_scale_that_fits() {
    let mut a = aggregator("histogram {\n exponential { }\n}");
    let spans = vec![server("op", MS), server("op", 2 * MS), server("op", 3 * MS), server("op", 1000 * MS), server("op", 0)];
    a.aggregate(&request(svc("shop"), spans), T0).unwrap();
    let out = a.flush(T0 + MS);
    let m = metric(&out, "traces.span.metrics.duration");
    assert_eq!(m.unit, "ms");
    let Some(Data::ExponentialHistogram(h)) = &m.data else { panic!("{m:?}") };
    assert_eq!(h.aggregation_temporality, AggregationTemporality::Cumulative as i32);
    let p = &h.data_points[0];
    assert_eq!((p.count, p.zero_count, p.scale), (5, 1, 3));
    assert_eq!((p.min, p.max, p.sum), (Some(0.0), Some(1000.0), Some(1006.0)));
    let positive = p.positive.clone().unwrap_or_default();
    assert_eq!(positive.offset, -1);
    let mut want = vec![0u64; 81];
    for i in [0, 8, 13, 80] {
        want[i] = 1;
    }
    assert_eq!(positive.bucket_counts, want);
    assert_eq!(calls(&out, "traces.span.metrics.calls")[0].1, 5);

    // Delta windows start empty again.
    let mut d = aggregator("histogram {\n exponential {\n max_size = 10\n }\n}\naggregation_temporality = \"DELTA\"");
    d.aggregate(&request(svc("shop"), vec![server("op", 4 * MS)]), T0).unwrap();
    d.flush(T0 + MS);
    d.aggregate(&request(svc("shop"), vec![server("op", 5 * MS), server("op", 6 * MS)]), T0 + 2 * MS).unwrap();
    let out = d.flush(T0 + 3 * MS);
    let Some(Data::ExponentialHistogram(h)) = &metric(&out, "traces.span.metrics.duration").data else { panic!() };
    let p = &h.data_points[0];
    assert_eq!((p.count, p.min, p.max), (2, Some(5.0), Some(6.0)));
    assert_eq!(p.positive.as_ref().map(|b| b.bucket_counts.iter().sum::<u64>()), Some(2));
}

#[test]
fn argument_errors_use_alloy_wording() {
    let err = |args: &str| config(args).err().unwrap_or_default();
    assert!(err("").contains("histogram"), "histogram is required: {}", err(""));
    assert_eq!(err("histogram {}"), "either exponential or explicit histogram configuration must be specified");
    assert_eq!(err("histogram {\n explicit {}\n exponential {}\n}"), "only one of exponential or explicit histogram configuration can be specified");
    assert_eq!(err("histogram {\n exponential {\n max_size = 0\n }\n}"), "max_size must be greater than 0, got 0");
    assert_eq!(err("histogram {\n unit = \"us\"\n explicit {}\n}"), "unknown unit \"us\", allowed units are \"ms\" and \"s\"");
    assert_eq!(err(&format!("{EXPLICIT}\naggregation_temporality = \"SOMETIMES\"")), "invalid aggregation_temporality: SOMETIMES");
    assert_eq!(err(&format!("{EXPLICIT}\nmetrics_flush_interval = \"0s\"")), "metrics_flush_interval must be greater than 0");
    assert_eq!(err(&format!("{EXPLICIT}\ndimension {{ name = \"span.kind\" }}")), "failed validating dimensions: duplicate dimension name span.kind");
    assert_eq!(err("histogram {\n explicit { buckets = [\"2s\", \"1s\"] }\n}"), "histogram buckets must be in increasing order");
    let d = config(EXPLICIT).unwrap();
    assert_eq!((d.namespace.as_str(), d.delta, d.exemplars, d.expiration, d.cardinality_limit), ("traces.span.metrics", false, None, 0, 0));
}

/// Kinds and codes outside the enums label as unspecified and unset, and so
/// count in those series: never a second series with the same labels.
#[test]
fn stray_kinds_and_codes_share_the_unspecified_series() {
    let mut a = aggregator(EXPLICIT);
    let mut stray = span("op", span::SpanKind::Unspecified, status::StatusCode::Unset, MS);
    stray.kind = 99;
    stray.status = Some(Status { code: 7, message: String::new() });
    let mut negative = stray.clone();
    negative.kind = -3;
    let spans = vec![span("op", span::SpanKind::Unspecified, status::StatusCode::Unset, MS), stray, negative];
    a.aggregate(&request(svc("shop"), spans), T0).unwrap();
    let out = a.flush(T0 + MS);
    assert_eq!(
        calls(&out, "traces.span.metrics.calls"),
        vec![(format!("{BASE}=\"op\" span.kind=\"SPAN_KIND_UNSPECIFIED\" status.code=\"STATUS_CODE_UNSET\""), 3)]
    );
    assert_eq!(a.series_count(), 1);
}
