//! What the tests are made of: samples, configs, and a way to read what
//! the component reports.

use std::sync::Arc;

use solder_syntax::Value;

use crate::component::Running;
use crate::prometheus::remote_write::{Label, TimeSeries};
use crate::prometheus::{Batch, Exemplar as SampleExemplar, Family, Metadata, MetricType, SampleValue, Series};

pub(super) fn render(labels: &[Label]) -> String {
    let pairs: Vec<String> = labels.iter().map(|l| format!("{}={:?}", l.name, l.value)).collect();
    format!("{{{}}}", pairs.join(","))
}

pub(super) fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
    p.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

pub(super) const TS: i64 = 1_700_000_000_000;

pub(super) fn exemplar(value: f64) -> SampleExemplar {
    SampleExemplar { labels: pairs(&[("trace_id", "0102"), ("span_id", "0304")]), value, timestamp_ms: Some(TS - 5) }
}

pub(super) fn family(name: &str, kind: MetricType, series: Vec<Series>) -> Family {
    Family { name: name.into(), metadata: Metadata { kind, help: format!("{name} help."), unit: String::new() }, series }
}

pub(super) fn number(labels: &[(&str, &str)], v: f64, timestamp_ms: Option<i64>) -> Series {
    Series { labels: pairs(labels), value: SampleValue::Number(v), timestamp_ms, exemplars: vec![] }
}

/// `n` gauge series named `name`, told apart by an `i` label.
pub(super) fn gauges(name: &str, n: usize) -> Arc<Batch> {
    let series = (0..n).map(|i| number(&[("i", &i.to_string())], i as f64, Some(TS))).collect();
    Arc::new(Batch::new(vec![family(name, MetricType::Gauge, series)]))
}

pub(super) fn endpoint(url: &str, extra: &str) -> String {
    format!("endpoint {{\n url = \"{url}\"\n {extra}\n}}")
}

/// Sends at once and retries quickly.
pub(super) const FAST: &str = "queue_config {\n batch_send_deadline = \"5ms\"\n min_backoff = \"5ms\"\n max_backoff = \"20ms\"\n }";

/// A number from endpoint `i`'s debug info.
pub(super) fn stat(c: &Arc<dyn Running>, i: usize, field: &str) -> u64 {
    let Value::Object(info) = c.debug_info() else { panic!("debug info is not an object") };
    let Some(Value::Array(endpoints)) = info.get("endpoints") else { panic!("no endpoints") };
    let Some(Value::Object(e)) = endpoints.get(i) else { panic!("no endpoint {i}") };
    match e.get(field) {
        Some(Value::Number(n)) => n.as_u64().unwrap_or(0),
        other => panic!("{field} is {other:?}"),
    }
}

pub(super) fn value_of(series: &[(String, TimeSeries)], labels: &str) -> TimeSeries {
    let found: Vec<&TimeSeries> = series.iter().filter(|(l, _)| l == labels).map(|(_, ts)| ts).collect();
    assert_eq!(found.len(), 1, "{labels} in {:#?}", series.iter().map(|(l, _)| l).collect::<Vec<_>>());
    found[0].clone()
}
