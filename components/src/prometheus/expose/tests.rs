//! Rendering in both formats, content negotiation, expiration, and a
//! scrape of the running component over loopback.

use std::time::Duration as StdDuration;

use super::*;
use crate::prometheus::{Bucket, Exemplar, Family, Metadata, MetricType, SampleValue, Series};

fn labels(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn exemplar(value: f64) -> Exemplar {
    Exemplar {
        labels: labels(&[("trace_id", "0102030405060708090a0b0c0d0e0f10"), ("span_id", "1112131415161718")]),
        value,
        timestamp_ms: Some(1_700_000_000_123),
    }
}

/// A counter, a gauge and a histogram, all in base units with help, as
/// `promtool check metrics` wants them.
fn sample_batch() -> Batch {
    let counter = Family {
        name: "span_metrics_calls_total".into(),
        metadata: Metadata { kind: MetricType::Counter, help: "Calls.".into(), unit: String::new() },
        series: vec![Series { labels: labels(&[("span_name", "GET /")]), value: SampleValue::Number(7.0), timestamp_ms: None, exemplars: vec![exemplar(1.0)] }],
    };
    let gauge = Family {
        name: "queue_size_bytes".into(),
        metadata: Metadata { kind: MetricType::Gauge, help: "Queue \"size\".\nBytes.".into(), unit: "bytes".into() },
        series: vec![Series { labels: labels(&[("q", "a\"b\\c")]), value: SampleValue::Number(2.5), timestamp_ms: None, exemplars: vec![] }],
    };
    let histogram = Family {
        name: "span_metrics_duration_seconds".into(),
        metadata: Metadata { kind: MetricType::Histogram, help: "Durations.".into(), unit: "seconds".into() },
        series: vec![Series {
            labels: labels(&[("span_name", "GET /")]),
            value: SampleValue::Histogram {
                buckets: vec![Bucket { upper_bound: 0.1, cumulative_count: 2 }, Bucket { upper_bound: 1.0, cumulative_count: 5 }],
                count: 6,
                sum: 3.25,
            },
            timestamp_ms: None,
            exemplars: vec![exemplar(0.05), exemplar(0.5)],
        }],
    };
    Batch::new(vec![counter, gauge, histogram])
}

fn rendered(store: &Store, format: Format) -> String {
    let mut out = String::new();
    store.render(format, &mut out);
    out
}

#[test]
fn text_format_has_no_exemplars_and_cumulative_buckets_with_inf() {
    let mut store = Store::new("", &BTreeMap::new());
    store.append(&sample_batch(), Instant::now());
    let text = rendered(&store, Format::Text);
    let expected = "\
# HELP queue_size_bytes Queue \"size\".\\nBytes.
# TYPE queue_size_bytes gauge
queue_size_bytes{q=\"a\\\"b\\\\c\"} 2.5
# HELP span_metrics_calls_total Calls.
# TYPE span_metrics_calls_total counter
span_metrics_calls_total{span_name=\"GET /\"} 7
# HELP span_metrics_duration_seconds Durations.
# TYPE span_metrics_duration_seconds histogram
span_metrics_duration_seconds_bucket{span_name=\"GET /\",le=\"0.1\"} 2
span_metrics_duration_seconds_bucket{span_name=\"GET /\",le=\"1\"} 5
span_metrics_duration_seconds_bucket{span_name=\"GET /\",le=\"+Inf\"} 6
span_metrics_duration_seconds_sum{span_name=\"GET /\"} 3.25
span_metrics_duration_seconds_count{span_name=\"GET /\"} 6
";
    assert_eq!(text, expected);
}

#[test]
fn open_metrics_has_exemplars_units_and_eof() {
    let mut store = Store::new("", &BTreeMap::new());
    store.append(&sample_batch(), Instant::now());
    let om = rendered(&store, Format::OpenMetrics);
    let ex = "# {trace_id=\"0102030405060708090a0b0c0d0e0f10\",span_id=\"1112131415161718\"}";
    assert!(om.contains("# TYPE span_metrics_calls counter\n# HELP span_metrics_calls Calls.\n"), "{om}");
    assert!(om.contains(&format!("span_metrics_calls_total{{span_name=\"GET /\"}} 7 {ex} 1 1700000000.123\n")), "{om}");
    assert!(om.contains("# UNIT span_metrics_duration_seconds seconds\n"), "{om}");
    assert!(om.contains(&format!("le=\"0.1\"}} 2 {ex} 0.05 1700000000.123\n")), "{om}");
    assert!(om.contains(&format!("le=\"1\"}} 5 {ex} 0.5 1700000000.123\n")), "{om}");
    assert!(om.contains("le=\"+Inf\"} 6\n"), "{om}");
    assert!(om.contains("# HELP queue_size_bytes Queue \\\"size\\\".\\nBytes.\n"), "{om}");
    assert!(om.ends_with("# EOF\n"));
}

#[test]
fn negotiation_follows_the_accept_header() {
    let cases = [
        ("", Format::Text),
        ("text/plain;version=0.0.4", Format::Text),
        ("application/openmetrics-text; version=1.0.0", Format::OpenMetrics),
        (
            "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
            Format::OpenMetrics,
        ),
        ("application/openmetrics-text;q=0", Format::Text),
        ("application/openmetrics-text;version=2.0.0", Format::Text),
    ];
    for (accept, want) in cases {
        assert_eq!(Format::negotiate(accept), want, "{accept}");
    }
}

#[test]
fn namespace_and_const_labels_apply_and_reconfigure() {
    let mut store = Store::new("otel_collector", &BTreeMap::from([("env".to_string(), "prod".to_string())]));
    store.append(&sample_batch(), Instant::now());
    let text = rendered(&store, Format::Text);
    assert!(text.contains("otel_collector_span_metrics_calls_total{env=\"prod\",span_name=\"GET /\"} 7\n"), "{text}");
    store.configure("", &BTreeMap::new());
    let text = rendered(&store, Format::Text);
    assert!(text.contains("\nspan_metrics_calls_total{span_name=\"GET /\"} 7\n"), "{text}");
}

#[test]
fn series_expire_when_not_updated() {
    let mut store = Store::new("", &BTreeMap::new());
    let start = Instant::now();
    store.append(&sample_batch(), start);
    let mut fresh = sample_batch();
    fresh.families.truncate(1);
    store.append(&fresh, start + StdDuration::from_secs(200));
    store.expire(start + StdDuration::from_secs(301), StdDuration::from_secs(300));
    assert_eq!(store.series_count(), 1);
    let text = rendered(&store, Format::Text);
    assert!(text.starts_with("# HELP span_metrics_calls_total"), "{text}");
    store.expire(start + StdDuration::from_secs(501), StdDuration::from_secs(300));
    assert_eq!(rendered(&store, Format::Text), "");
}

/// Span metrics send an exemplar with one flush and not with the next; a
/// scrape in between must still see it, until a newer one replaces it or
/// the series resets.
#[test]
fn exemplars_stay_on_their_bucket_until_replaced() {
    let mut store = Store::new("", &BTreeMap::new());
    let now = Instant::now();
    store.append(&sample_batch(), now);
    let mut later = sample_batch();
    let fresh = Exemplar { timestamp_ms: Some(1_700_000_009_000), ..exemplar(0.07) };
    later.families[2].series[0].exemplars = vec![fresh];
    later.families[0].series[0].exemplars.clear();
    store.append(&later, now);
    let om = rendered(&store, Format::OpenMetrics);
    let bucket = |le: &str| om.lines().find(|l| l.contains(&format!("le=\"{le}\""))).unwrap_or_default().to_string();
    assert!(bucket("0.1").ends_with(" # {trace_id=\"0102030405060708090a0b0c0d0e0f10\",span_id=\"1112131415161718\"} 0.07 1700000009.000"), "{om}");
    assert!(bucket("1").contains("} 0.5 "), "the 1s bucket keeps its older exemplar: {om}");
    assert!(om.contains("span_metrics_calls_total{span_name=\"GET /\"} 7 # {"), "the counter keeps its exemplar: {om}");

    let mut reset = sample_batch();
    reset.families[0].series[0].value = SampleValue::Number(1.0);
    reset.families[0].series[0].exemplars.clear();
    store.append(&reset, now);
    let om = rendered(&store, Format::OpenMetrics);
    assert!(om.contains("span_metrics_calls_total{span_name=\"GET /\"} 1\n"), "a reset counter drops old exemplars: {om}");
}

/// Runs `promtool check metrics` over `text`: its exit code and findings.
/// Fails when promtool is missing: Debian's prometheus package has it,
/// and scripts/test.sh installs that.
fn promtool(text: &str) -> (i32, String) {
    use std::io::Write as _;
    use std::process::{Command, Stdio};
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("promtool is missing ({e}): scripts/test.sh installs Debian's prometheus package, which has it"));
    child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let findings = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), findings)
}

#[test]
fn promtool_accepts_the_text_format() {
    let mut store = Store::new("solder", &BTreeMap::from([("env".to_string(), "prod".to_string())]));
    store.append(&sample_batch(), Instant::now());
    let text = rendered(&store, Format::Text);
    let (code, findings) = promtool(&text);
    assert_eq!(code, 0, "promtool: {findings}\n{text}");
}

/// Spanmetrics' `_milliseconds` names are what the Collector produces and
/// what dashboards expect; promtool's only complaint is its base-unit
/// lint (exit code 3), never a parse error.
#[test]
fn promtool_only_lints_millisecond_units() {
    let mut batch = sample_batch();
    batch.families[2].name = "traces_span_metrics_duration_milliseconds".into();
    let mut store = Store::new("", &BTreeMap::new());
    store.append(&batch, Instant::now());
    let text = rendered(&store, Format::Text);
    let (code, findings) = promtool(&text);
    assert_eq!(code, 3, "promtool: {findings}\n{text}");
    assert_eq!(findings.trim(), "traces_span_metrics_duration_milliseconds use base unit \"seconds\" instead of \"milliseconds\"");
}
