//! Unit tests per function: the Collector's documented examples (input,
//! call, expected output) and the edges (nil, wrong type, load errors).

mod collections;
mod convert;
mod csv;
mod editors;
mod grok;
mod grok_patterns;
mod hashes;
mod metrics;
mod parse;
mod patterns;
mod robust;
mod severity;
mod time;
mod xml;
mod xml_edit;

use super::super::value::Value;
use super::table;
use super::testing::compile;

#[test]
fn table_names_are_unique_and_cased_by_kind() {
    let names: Vec<&str> = table().iter().map(|d| d.name).collect();
    for (i, n) in names.iter().enumerate() {
        assert!(!names[..i].contains(n), "{n} twice");
    }
    let editors: Vec<&str> = table().iter().filter(|d| d.is_editor()).map(|d| d.name).collect();
    assert_eq!(
        editors,
        [
            "set",
            "append",
            "delete_key",
            "delete_matching_keys",
            "keep_keys",
            "keep_matching_keys",
            "limit",
            "truncate_all",
            "merge_maps",
            "flatten",
            "replace_pattern",
            "replace_all_patterns",
            "replace_match",
            "replace_all_matches",
            "delete_index",
            "stringify_all",
            "set_semconv_span_name",
            "convert_sum_to_gauge",
            "convert_gauge_to_sum",
            "extract_sum_metric",
            "extract_count_metric",
            "convert_summary_sum_val_to_sum",
            "convert_summary_count_val_to_sum",
            "convert_summary_quantile_val_to_gauge",
            "copy_metric",
            "scale_metric",
            "aggregate_on_attributes",
            "aggregate_on_attribute_value",
            "convert_exponential_histogram_to_histogram",
            "extract_percentile_metric",
            "merge_histogram_buckets"
        ]
    );
}

#[test]
fn optional_params_come_last() {
    for d in table() {
        let first_optional = d.params.iter().position(|p| p.optional).unwrap_or(d.params.len());
        assert!(d.params[first_optional..].iter().all(|p| p.optional), "{}", d.name);
    }
}

#[test]
fn every_function_compiles_with_typical_literals() {
    // Functions whose literals are required are compiled in their own tests;
    // the rest must compile with no literals at all.
    let needs_literals = [
        "delete_matching_keys",
        "keep_matching_keys",
        "merge_maps",
        "replace_pattern",
        "replace_all_patterns",
        "replace_match",
        "replace_all_matches",
        "IsMatch",
        "ConvertCase",
        "ExtractPatterns",
        "Decode",
        "FormatTime",
        "set_semconv_span_name",
        "convert_gauge_to_sum",
        "convert_summary_sum_val_to_sum",
        "convert_summary_count_val_to_sum",
        "aggregate_on_attributes",
        "aggregate_on_attribute_value",
        "convert_exponential_histogram_to_histogram",
        "ParseSeverity",
        "GetXML",
        "InsertXML",
        "RemoveXML",
    ];
    for d in table().iter().filter(|d| !needs_literals.contains(&d.name)) {
        assert!(compile(d.name, &[]).is_ok(), "{}", d.name);
    }
    let _ = Value::Nil;
}

/// Named arguments use the Collector's reference names, as its examples
/// write them (`flatten(body, resolveConflicts=true)`).
#[test]
fn parameter_names_follow_the_reference() {
    let names = |f: &str| -> Vec<&str> { table().iter().find(|d| d.name == f).map(|d| d.params.iter().map(|p| p.name).collect()).unwrap_or_default() };
    assert_eq!(names("flatten"), ["target", "prefix", "depth", "resolveConflicts"]);
    assert_eq!(names("truncate_all"), ["target", "limit", "utf8_safe", "truncation_marker"]);
    assert_eq!(names("Concat"), ["values", "delimiter"]);
    assert_eq!(names("replace_pattern"), ["target", "regex", "replacement", "function", "replacementFormat"]);
    assert_eq!(names("limit"), ["target", "limit", "priority_keys"]);
    assert_eq!(names("Time"), ["target", "format", "location", "locale"]);
    assert_eq!(names("UnixNano"), ["value"]);
    assert_eq!(names("ParseKeyValue"), ["target", "delimiter", "pair_delimiter"]);
    // The metric functions, and the context each is kept to.
    assert_eq!(names("convert_gauge_to_sum"), ["aggregation_temporality", "is_monotonic", "metric"]);
    assert_eq!(names("extract_count_metric"), ["is_monotonic", "suffix", "metric"]);
    assert_eq!(names("convert_summary_count_val_to_sum"), ["aggregation_temporality", "is_monotonic", "suffix", "datapoint"]);
    assert_eq!(names("convert_summary_quantile_val_to_gauge"), ["attributeKey", "suffix", "metric"]);
    assert_eq!(names("copy_metric"), ["name", "description", "unit", "metric"]);
    assert_eq!(names("scale_metric"), ["factor", "unit", "metric"]);
    assert_eq!(names("aggregate_on_attributes"), ["function", "attributes", "metric"]);
    assert_eq!(names("aggregate_on_attribute_value"), ["function", "attribute", "values", "newValue", "metric"]);
    assert_eq!(names("merge_histogram_buckets"), ["target_value", "method", "datapoint"]);
    assert_eq!(names("HasAttrOnDatapoint"), ["key", "expectedVal", "metric"]);
    assert_eq!(names("convert_exponential_histogram_to_histogram"), ["distribution", "explicitBounds", "metric"]);
    assert_eq!(names("extract_percentile_metric"), ["percentile", "suffix", "metric"]);
}
