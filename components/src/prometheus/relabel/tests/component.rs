//! `prometheus.relabel` run through the harness: batches in through its
//! `receiver`, a recorder behind `forward_to`.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::super::{Rules, REGISTRATION};
use super::labels;
use crate::component::Options;
use crate::harness::{build_error, counting_export_changes, Harness, Recorder};
use crate::prometheus::{Batch, Family, Metadata, MetricType, SampleValue, Series};
use solder_syntax::Value;

const STALE: u64 = 0x7ff0_0000_0000_0002;

fn family(name: &str, kind: MetricType, series: &[(&[(&str, &str)], f64)]) -> Family {
    Family {
        name: name.into(),
        metadata: Metadata { kind, help: format!("{name} help"), unit: String::new() },
        series: series.iter().map(|(l, v)| Series { labels: labels(l), value: SampleValue::Number(*v), timestamp_ms: Some(1), exemplars: vec![] }).collect(),
    }
}

fn start(id: &str, args: &str) -> (Harness, Recorder) {
    let rec = Recorder::new();
    let h = Harness::start_with(&REGISTRATION, Options::standalone(id), &format!("forward_to = [sink_receiver]\n{args}"), &rec.scope("sink")).expect("builds");
    (h, rec)
}

/// The one batch the recorder got.
fn received(rec: &Recorder) -> Arc<Batch> {
    let all = rec.samples();
    assert_eq!(all.len(), 1, "{all:?}");
    Arc::clone(&all[0])
}

fn metric(name: &str, id: &str) -> String {
    let text = crate::selfmetrics::render();
    let prefix = format!("{name}{{component_id=\"{id}\"}} ");
    text.lines().find_map(|l| l.strip_prefix(&prefix)).unwrap_or_else(|| panic!("no {prefix} in\n{text}")).to_string()
}

#[tokio::test]
async fn alloys_example_keeps_two_series() {
    let (h, rec) = start(
        "prometheus.relabel.example",
        "rule {\n action = \"replace\"\n source_labels = [\"__address__\", \"instance\"]\n separator = \"/\"\n target_label = \"host\"\n}\n\
         rule {\n action = \"keep\"\n source_labels = [\"app\"]\n regex = \"backend\"\n}\n\
         rule {\n action = \"labeldrop\"\n regex = \"instance\"\n}",
    );
    let s = |a: &'static str, i: &'static str, app: &'static str| -> &'static [(&'static str, &'static str)] {
        Box::leak(Box::new([("__address__", a), ("instance", i), ("app", app)]))
    };
    let input = Batch {
        families: vec![family(
            "metric_a",
            MetricType::Gauge,
            &[
                (s("localhost", "development", "frontend"), 10.0),
                (s("localhost", "development", "backend"), 2.0),
                (s("cluster_a", "production", "frontend"), 7.0),
                (s("cluster_a", "production", "backend"), 9.0),
                (s("cluster_b", "production", "database"), 4.0),
            ],
        )],
        discovered: None,
    };
    h.receiver().0.append(Arc::new(input)).expect("accepted");
    let out = received(&rec);
    let want = family(
        "metric_a",
        MetricType::Gauge,
        &[
            (&[("__address__", "localhost"), ("app", "backend"), ("host", "localhost/development")], 2.0),
            (&[("__address__", "cluster_a"), ("app", "backend"), ("host", "cluster_a/production")], 9.0),
        ],
    );
    assert_eq!(out.families, [want]);
    assert_eq!((h.debug_count("series_processed"), h.debug_count("series_written")), (5, 2));
    assert_eq!(metric("prometheus_relabel_metrics_processed_total", "prometheus.relabel.example"), "5");
    assert_eq!(metric("prometheus_relabel_metrics_written_total", "prometheus.relabel.example"), "2");
}

#[tokio::test]
async fn a_renamed_series_moves_to_its_new_family() {
    let (h, rec) = start(
        "prometheus.relabel.rename",
        "rule {\n source_labels = [\"__name__\", \"mode\"]\n regex = \"cpu_seconds_total;(idle)\"\n target_label = \"__name__\"\n replacement = \"cpu_${1}_seconds_total\"\n}\n\
         rule {\n source_labels = [\"__name__\"]\n regex = \"go_.*\"\n action = \"drop\"\n}\n\
         rule {\n source_labels = [\"kill\"]\n regex = \"yes\"\n target_label = \"__name__\"\n replacement = \"\"\n}\n\
         rule {\n regex = \"m(ode)\"\n replacement = \"${1}\"\n action = \"labelmap\"\n}\n\
         rule {\n regex = \"b(.*)\"\n replacement = \"$1\"\n action = \"labelmap\"\n}",
    );
    let input = Batch {
        families: vec![
            family("cpu_seconds_total", MetricType::Counter, &[(&[("mode", "idle")], 1.0), (&[("mode", "user")], 2.0), (&[("kill", "yes")], 5.0)]),
            family("go_goroutines", MetricType::Gauge, &[(&[], 3.0)]),
            family("up", MetricType::Gauge, &[(&[("b9", "x")], 1.0)]),
        ],
        discovered: None,
    };
    h.receiver().0.append(Arc::new(input)).expect("accepted");
    let out = received(&rec);
    let names: Vec<(&str, usize)> = out.families.iter().map(|f| (f.name.as_str(), f.series.len())).collect();
    assert_eq!(names, [("cpu_idle_seconds_total", 1), ("cpu_seconds_total", 1)]);
    assert_eq!(out.families[0].metadata.kind, MetricType::Counter, "the moved series keeps its metadata");
    assert_eq!(out.families[0].series[0].labels, labels(&[("mode", "idle"), ("ode", "idle")]), "__name__ is not left among the labels");
    assert_eq!(h.debug_count("series_invalid"), 2, "the series whose __name__ was removed, and the one labelmap gave the label 9");
}

#[tokio::test]
async fn the_cache_answers_repeats_and_forgets_stale_series() {
    let id = "prometheus.relabel.cache";
    let (h, rec) = start(id, "max_cache_size = 10\nrule {\n source_labels = [\"a\"]\n target_label = \"b\"\n}");
    let discovered: std::collections::BTreeMap<String, String> = [("__scheme__".to_string(), "https".to_string())].into();
    let discovered = Some(Arc::new(discovered));
    let batch = |v: f64| {
        let families = vec![family("m", MetricType::Gauge, &[(&[("a", "1")], v), (&[("a", "2")], 1.0)])];
        Arc::new(Batch { families, discovered: discovered.clone() })
    };
    let r = h.receiver();
    r.0.append(batch(1.0)).expect("accepted");
    assert_eq!((metric("prometheus_relabel_cache_misses_total", id), metric("prometheus_relabel_cache_hits_total", id)), ("2".into(), "0".into()));
    r.0.append(batch(2.0)).expect("accepted");
    assert_eq!(metric("prometheus_relabel_cache_hits_total", id), "2");
    assert_eq!(metric("prometheus_relabel_cache_size", id), "2");
    r.0.append(batch(f64::from_bits(STALE))).expect("accepted");
    assert_eq!(h.debug_count("cache_size"), 1, "the stale series left the cache");
    let last = rec.samples().pop().expect("three batches");
    let SampleValue::Number(v) = last.families[0].series[0].value else { panic!("not a number") };
    assert_eq!(v.to_bits(), STALE, "the marker went through, bit for bit");
    assert_eq!(last.families[0].series[0].labels, labels(&[("a", "1"), ("b", "1")]), "relabelled like any sample");
    assert_eq!(last.discovered, discovered, "the scraped target's discovered labels go along");
}

#[tokio::test]
async fn no_rules_forward_the_same_batch() {
    let (h, rec) = start("prometheus.relabel.none", "");
    let batch = Arc::new(Batch::new(vec![family("m", MetricType::Gauge, &[(&[], 1.0)])]));
    h.receiver().0.append(Arc::clone(&batch)).expect("accepted");
    assert!(Arc::ptr_eq(&received(&rec), &batch), "nothing to do, nothing copied");
}

#[tokio::test]
async fn updates_swap_rules_and_a_refusal_reaches_the_sender() {
    let (opts, changed) = counting_export_changes("prometheus.relabel.update");
    let rec = Recorder::new();
    let h = Harness::start_with(&REGISTRATION, opts, "forward_to = [sink_receiver]", &rec.scope("sink")).expect("builds");
    let rules = |h: &Harness| {
        let Value::Object(e) = h.exports() else { panic!("exports") };
        let Some(Value::Capsule(c)) = e.get("rules") else { panic!("no rules") };
        assert_eq!(c.type_name(), "RelabelRules");
        c.downcast::<Arc<Rules>>().map(|r| r.0.len()).unwrap_or(usize::MAX)
    };
    assert_eq!(rules(&h), 0);
    h.update("forward_to = [sink_receiver]\nrule {\n source_labels = [\"a\"]\n action = \"drop\"\n regex = \"x\"\n}").expect("updates");
    assert_eq!((rules(&h), changed.load(Ordering::Relaxed)), (1, 1));
    rec.answer_always(crate::harness::Answer::Refuse(crate::consumer::ConsumeError::permanent("full")));
    let batch = Batch::new(vec![family("m", MetricType::Gauge, &[(&[("a", "x")], 1.0), (&[("a", "y")], 1.0)])]);
    let err = h.receiver().0.append(Arc::new(batch)).expect_err("refused downstream");
    assert!(err.contains("full"), "{err}");
    h.stop().await;
}

#[test]
fn max_cache_size_must_be_positive() {
    let rec = Recorder::new();
    let err = build_error(&REGISTRATION, "forward_to = [sink_receiver]\nmax_cache_size = 0", &rec.scope("sink"));
    assert_eq!(err, "max_cache_size must be greater than 0 and is 0");
}
