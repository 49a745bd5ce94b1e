//! Any bytes that decode as an OTLP metrics request through the transform
//! processor's metric functions: conversions, extractions, aggregations,
//! scaling, bucket merges and copies, each program run twice over (so
//! every function also meets what the others made). It must never panic,
//! and it must end: a program that adds metrics adds at most a bounded
//! number, whatever the request holds. The first byte picks the program.

#![no_main]

use libfuzzer_sys::fuzz_target;
use prost::Message;
use solder_components::otlp::proto::ExportMetricsServiceRequest;
use solder_components::ottl::{self, transform_metrics, Group};
use solder_syntax::ottl::{funcs, ErrorMode, Statements};

/// One program: its blocks, each a context and its statements.
type Program = &'static [(&'static str, &'static [&'static str])];

const PROGRAMS: &[Program] = &[
    &[("metric", &[r#"convert_sum_to_gauge()"#, r#"convert_gauge_to_sum("delta", true)"#, r#"scale_metric(-2.5, "x")"#])],
    &[("metric", &[r#"extract_sum_metric(true)"#, r#"extract_count_metric(false, ".c")"#, r#"convert_summary_quantile_val_to_gauge()"#])],
    &[("metric", &[r#"aggregate_on_attributes("median", ["a"])"#, r#"aggregate_on_attribute_value("mean", "b", ["x", ""], "y")"#])],
    &[("metric", &[r#"aggregate_on_attributes("sum")"#, r#"aggregate_on_attributes("count", [])"#, r#"copy_metric(name = "copy") where name != "copy""#])],
    &[("metric", &[r#"convert_exponential_histogram_to_histogram("random", [-1.0, 0.0, 0.5, 3.0])"#, r#"extract_percentile_metric(99.0)"#])],
    &[("metric", &[r#"convert_exponential_histogram_to_histogram("uniform", [0.0, 10.0])"#, r#"convert_exponential_histogram_to_histogram("midpoint", [1.0])"#])],
    &[("metric", &[r#"extract_percentile_metric(0.0)"#, r#"extract_percentile_metric(100.0)"#, r#"copy_metric()"#])],
    &[("datapoint", &[r#"merge_histogram_buckets(0.5)"#, r#"merge_histogram_buckets(2, "limit_buckets")"#, r#"convert_summary_count_val_to_sum("cumulative", false)"#])],
    &[("datapoint", &[r#"convert_summary_sum_val_to_sum("delta", true, "_s")"#, r#"merge_histogram_buckets(1, "limit_buckets")"#])],
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else { return };
    let Ok(mut req) = ExportMetricsServiceRequest::decode(body) else { return };
    let program = PROGRAMS[usize::from(pick) % PROGRAMS.len()];
    let groups: Vec<Group> = program
        .iter()
        .map(|(context, statements)| {
            let schema = ottl::schema_named(context).expect("a context");
            Group { schema, statements: Statements::compile(schema, funcs::table(), statements).expect("valid statements") }
        })
        .collect();
    let metrics_before: usize = req.resource_metrics.iter().flat_map(|r| &r.scope_metrics).map(|s| s.metrics.len()).sum();
    for _ in 0..2 {
        let mut errors = Vec::new();
        let _ = transform_metrics(&groups, &mut req, ErrorMode::Ignore, &mut errors);
    }
    let metrics_after: usize = req.resource_metrics.iter().flat_map(|r| &r.scope_metrics).map(|s| s.metrics.len()).sum();
    // Two runs, each adding at most 16 metrics per metric (and per empty
    // scope) the scope had when it started.
    let scopes: usize = req.resource_metrics.iter().map(|r| r.scope_metrics.len()).sum();
    assert!(metrics_after <= (metrics_before + scopes) * 17 * 17, "{metrics_before} metrics became {metrics_after}");
    // What comes out still encodes.
    let _ = req.encode_to_vec();
});
