//! Conversion without a server: histograms always get a `+Inf` bucket
//! (with the exemplars no other bucket takes), and summaries become
//! quantile series.

use prost::Message;

use super::fixtures::{exemplar, family, pairs, render, TS};
use crate::prometheus::remote_write::{convert, proto, MetadataType, TimeSeries, WriteRequest};
use crate::prometheus::{Batch, Bucket, MetricType, SampleValue, Series};

#[test]
fn histograms_without_inf_get_one_and_labels_dedupe() {
    let series = Series {
        labels: pairs(&[("le", "user"), ("__meta", "x"), ("empty", "")]),
        value: SampleValue::Histogram { buckets: vec![Bucket { upper_bound: 2.5, cumulative_count: 1 }], count: 3, sum: 9.0 },
        timestamp_ms: Some(TS),
        exemplars: vec![exemplar(100.0), exemplar(f64::NAN)],
    };
    let batch = Batch::new(vec![family("h", MetricType::Histogram, vec![series])]);
    let converted = convert::convert(&batch, &pairs(&[("env", "x")]), TS);
    let decoded: Vec<TimeSeries> = converted
        .series
        .iter()
        .map(|s| {
            let mut b = proto::RequestBuilder::default();
            b.series(s, true);
            WriteRequest::decode(b.finish()).unwrap().timeseries.remove(0)
        })
        .collect();
    let names: Vec<String> = decoded.iter().map(|ts| render(&ts.labels)).collect();
    assert_eq!(
        names,
        [
            r#"{__name__="h_bucket",env="x",le="2.5"}"#,
            r#"{__name__="h_bucket",env="x",le="+Inf"}"#,
            r#"{__name__="h_sum",env="x",le="user"}"#,
            r#"{__name__="h_count",env="x",le="user"}"#,
        ]
    );
    assert_eq!(decoded[1].samples[0].value, 3.0);
    assert_eq!(decoded[1].exemplars.len(), 2, "values above every bound, and NaN, go with +Inf");
}

#[test]
fn summaries_become_quantile_series_with_sum_and_count() {
    let series = Series {
        labels: pairs(&[("job", "a")]),
        value: SampleValue::Summary { quantiles: vec![(0.5, 1.25), (0.99, 3.0)], count: 9, sum: 12.5 },
        timestamp_ms: Some(TS),
        exemplars: vec![],
    };
    let batch = Batch::new(vec![family("rpc_seconds", MetricType::Summary, vec![series])]);
    let converted = convert::convert(&batch, &[], TS);
    let mut b = proto::RequestBuilder::default();
    converted.series.iter().for_each(|s| b.series(s, true));
    let got: Vec<(String, f64)> = WriteRequest::decode(b.finish()).unwrap().timeseries.iter().map(|ts| (render(&ts.labels), ts.samples[0].value)).collect();
    let want = [
        (r#"{__name__="rpc_seconds",job="a",quantile="0.5"}"#, 1.25),
        (r#"{__name__="rpc_seconds",job="a",quantile="0.99"}"#, 3.0),
        (r#"{__name__="rpc_seconds_sum",job="a"}"#, 12.5),
        (r#"{__name__="rpc_seconds_count",job="a"}"#, 9.0),
    ];
    assert_eq!(got, want.map(|(l, v)| (l.to_string(), v)));
    assert_eq!(converted.metadata[0].r#type, MetadataType::Summary as i32);
}
