//! What goes on the wire: every sample shape as Remote-Write 1.0 series
//! with metadata, exemplars and the protocol's headers, and exemplars left
//! out when asked.

use std::sync::Arc;

use super::fixtures::{endpoint, exemplar, family, number, pairs, render, stat, value_of, FAST, TS};
use super::running;
use super::sink::Sink;
use crate::harness::until;
use crate::prometheus::remote_write::{sender, MetadataType, MetricMetadata, TimeSeries};
use crate::prometheus::{Batch, Bucket, MetricType, SampleValue, Series};

#[tokio::test]
async fn sends_counters_gauges_histograms_and_exemplars() {
    let (sink, url) = Sink::start(vec![]).await;
    let src = format!("external_labels = {{ \"env\" = \"prod\", \"job\" = \"ignored\" }}\n{}", endpoint(&url, FAST));
    let rw = running("prometheus.remote_write.shapes", &src);
    let counter =
        family("calls_total", MetricType::Counter, vec![Series { exemplars: vec![exemplar(1.0)], ..number(&[("job", "api"), ("Zone", "a")], 7.0, None) }]);
    let gauge = family("queue_bytes", MetricType::Gauge, vec![number(&[("job", "api")], 2.5, Some(TS))]);
    let buckets = vec![
        Bucket { upper_bound: 0.1, cumulative_count: 2 },
        Bucket { upper_bound: 1.0, cumulative_count: 5 },
        Bucket { upper_bound: f64::INFINITY, cumulative_count: 6 },
    ];
    let histogram = family(
        "duration_seconds",
        MetricType::Histogram,
        vec![Series {
            labels: pairs(&[("job", "api")]),
            value: SampleValue::Histogram { buckets, count: 6, sum: 3.25 },
            timestamp_ms: Some(TS),
            exemplars: vec![exemplar(0.05), exemplar(0.5), exemplar(7.0)],
        }],
    );
    let before = sender::unix_ms();
    rw.receiver().0.append(Arc::new(Batch::new(vec![counter, gauge, histogram]))).unwrap();
    until("seven series", || sink.series().len() == 7).await;

    let series = sink.series();
    // Sorted by name, bytewise: `Zone` sorts before `__name__`.
    let calls = value_of(&series, r#"{Zone="a",__name__="calls_total",env="prod",job="api"}"#);
    assert_eq!(calls.samples[0].value, 7.0);
    assert!(calls.samples[0].timestamp >= before, "a sample without a timestamp gets now");
    assert_eq!(calls.exemplars.len(), 1);
    assert_eq!(render(&calls.exemplars[0].labels), r#"{trace_id="0102",span_id="0304"}"#);
    assert_eq!((calls.exemplars[0].value, calls.exemplars[0].timestamp), (1.0, TS - 5));
    let gauge = value_of(&series, r#"{__name__="queue_bytes",env="prod",job="api"}"#);
    assert_eq!((gauge.samples[0].value, gauge.samples[0].timestamp), (2.5, TS));

    let bucket = |le: &str| value_of(&series, &format!(r#"{{__name__="duration_seconds_bucket",env="prod",job="api",le="{le}"}}"#));
    let (b1, b2, inf) = (bucket("0.1"), bucket("1"), bucket("+Inf"));
    assert_eq!([b1.samples[0].value, b2.samples[0].value, inf.samples[0].value], [2.0, 5.0, 6.0]);
    let exemplar_values = |ts: &TimeSeries| ts.exemplars.iter().map(|e| e.value).collect::<Vec<_>>();
    assert_eq!((exemplar_values(&b1), exemplar_values(&b2), exemplar_values(&inf)), (vec![0.05], vec![0.5], vec![7.0]));
    let sum = value_of(&series, r#"{__name__="duration_seconds_sum",env="prod",job="api"}"#);
    let count = value_of(&series, r#"{__name__="duration_seconds_count",env="prod",job="api"}"#);
    assert_eq!((sum.samples[0].value, count.samples[0].value, count.samples[0].timestamp), (3.25, 6.0, TS));
    assert!(sum.exemplars.is_empty() && count.exemplars.is_empty());

    let metadata: Vec<MetricMetadata> = sink.accepted().into_iter().flat_map(|r| r.metadata).collect();
    let histogram_meta = metadata.iter().find(|m| m.metric_family_name == "duration_seconds").expect("histogram metadata");
    assert_eq!((histogram_meta.r#type, histogram_meta.help.as_str()), (MetadataType::Histogram as i32, "duration_seconds help."));
    assert!(metadata.iter().any(|m| m.metric_family_name == "calls_total" && m.r#type == MetadataType::Counter as i32));

    let h = sink.seen.lock().unwrap()[0].headers.clone();
    assert_eq!(h["content-encoding"], "snappy");
    assert_eq!(h["content-type"], "application/x-protobuf");
    assert_eq!(h["x-prometheus-remote-write-version"], "0.1.0");
    assert!(h["user-agent"].to_str().unwrap().starts_with("Solder/"), "{:?}", h["user-agent"]);
    // The sender counts a request once its answer is read, which can be
    // after the sink has stored it.
    until("seven samples counted", || stat(&rw.component, 0, "samples_sent") == 7).await;
    assert_eq!(stat(&rw.component, 0, "exemplars_sent"), 4);
    rw.stop().await;
}

#[tokio::test]
async fn exemplars_stay_home_when_send_exemplars_is_false() {
    let (sink, url) = Sink::start(vec![]).await;
    let rw = running("prometheus.remote_write.noex", &endpoint(&url, &format!("send_exemplars = false\n{FAST}")));
    let series = Series { exemplars: vec![exemplar(1.0)], ..number(&[], 1.0, Some(TS)) };
    rw.receiver().0.append(Arc::new(Batch::new(vec![family("c_total", MetricType::Counter, vec![series])]))).unwrap();
    until("one series", || sink.series().len() == 1).await;
    assert!(sink.series()[0].1.exemplars.is_empty());
    until("the sample counted", || stat(&rw.component, 0, "samples_sent") == 1).await;
    assert_eq!(stat(&rw.component, 0, "exemplars_sent"), 0);
    rw.stop().await;
}

/// Prometheus marks a series stale only on its exact StaleNaN bits; any
/// other NaN is an ordinary value. They must cross the WAL and the wire
/// unchanged.
#[tokio::test]
async fn staleness_markers_keep_their_exact_bits() {
    let (sink, url) = Sink::start(vec![]).await;
    let rw = running("prometheus.remote_write.stale", &endpoint(&url, FAST));
    let stale = family("gone", MetricType::Gauge, vec![number(&[("job", "api")], crate::prometheus::stale_nan(), Some(TS))]);
    let plain = family("nan", MetricType::Gauge, vec![number(&[("job", "api")], f64::NAN, Some(TS))]);
    rw.receiver().0.append(Arc::new(Batch::new(vec![stale, plain]))).unwrap();
    until("two series", || sink.series().len() == 2).await;
    let series = sink.series();
    let gone = value_of(&series, r#"{__name__="gone",job="api"}"#).samples[0].value;
    assert_eq!(gone.to_bits(), crate::prometheus::STALE_NAN_BITS);
    let nan = value_of(&series, r#"{__name__="nan",job="api"}"#).samples[0].value;
    assert!(nan.is_nan() && !crate::prometheus::is_stale(nan));
}
