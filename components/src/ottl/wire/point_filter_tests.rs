//! The wire `datapoint` filter against the decoded one: each list of
//! conditions runs as a plan and decoded over metric requests with points
//! of every type, in plain and shuffled layouts (fields of every level in
//! any order, a metric's name written twice), and both must drop the same
//! points, the same metrics left without any, the same scopes and
//! resources, and count the same points.

use prost::Message;
use solder_syntax::ottl::{funcs, Conditions, ErrorMode};

use super::filter::{filter_metrics, filter_points, filter_points_after, Outcome};
use super::filter_tests::one_item;
use super::item_plan_tests::{metrics, shuffled_metrics};
use super::plan::FilterPlan;
use super::plan_tests::mutated;
use super::tests::rng;
use crate::otlp::data_points;
use crate::otlp::proto::metrics::v1::{metric::Data, Gauge, Metric, NumberDataPoint};
use crate::otlp::proto::ExportMetricsServiceRequest;
use crate::ottl;

const LISTS: &[&[&str]] = &[
    // What datapoint filters are written for: points of one route, of a
    // noisy label value, of one metric.
    &[r#"attributes["http.route"] == "/users/122""#],
    &[r#"metric.name == "sum" and attributes["n"] > 2"#],
    &[r#"attributes["tmp.id"] != nil"#, r#"metric.name == "summary""#],
    &[r#"resource.attributes["service.name"] == "checkout" and not (attributes["n"] == 0)"#],
    // Every point: every metric with data goes, and the request is
    // emptied but for the metric of no type.
    &[r#"attributes["dup"] == "one""#],
    // No point: the metric of no points still goes, as decoding drops it.
    &[r#"attributes["absent"] == "x""#],
    &[r#"metric.name == "late_2""#],
];

fn conditions(list: &[&str]) -> Conditions {
    Conditions::compile(&ottl::DATAPOINT, funcs::table(), list).unwrap_or_else(|e| panic!("{list:?}: {e:?}"))
}

fn points(r: &ExportMetricsServiceRequest) -> u64 {
    r.resource_metrics.iter().flat_map(|rm| &rm.scope_metrics).flat_map(|sm| &sm.metrics).map(|m| data_points(m) as u64).sum()
}

/// Runs `list` as a plan and decoded over `bytes`; whether the plan ran.
fn same_as_decoded(list: &[&str], bytes: &[u8]) -> bool {
    let conds = conditions(list);
    let plan = FilterPlan::compile_points(&conds).unwrap_or_else(|| panic!("{list:?} should compile to a plan"));
    let none = Conditions::compile(&ottl::METRIC, funcs::table(), &[]).expect("no conditions");
    let mut decoded = ExportMetricsServiceRequest::decode(bytes).expect("valid request");
    let before = points(&decoded);
    let filtered = ottl::filter_metrics(&none, &conds, &mut decoded, ErrorMode::Propagate, &mut Vec::new()).expect("comparisons do not fail");
    let dropped = before - points(&decoded);
    assert_eq!(filtered.datapoints, dropped, "{list:?}: decoding's own count");
    let Ok(outcome) = filter_points(&plan, bytes) else { return false };
    match outcome {
        Outcome::Unchanged => {
            assert_eq!(filtered.metrics + dropped, 0, "{list:?}: decoding dropped what the wire kept");
            assert_eq!(ExportMetricsServiceRequest::decode(bytes).expect("valid"), decoded);
        }
        Outcome::Emptied { dropped: wire } => {
            assert_eq!(wire as u64, dropped, "{list:?}");
            assert!(decoded.resource_metrics.is_empty(), "{list:?}: decoding kept some");
        }
        Outcome::Changed { bytes: out, dropped: wire } => {
            assert_eq!(wire as u64, dropped, "{list:?}");
            let got = ExportMetricsServiceRequest::decode(&out[..]).unwrap_or_else(|e| panic!("{list:?}: the wire wrote an undecodable request: {e}"));
            assert_eq!(got, decoded, "{list:?}");
        }
    }
    true
}

#[test]
fn every_datapoint_list_drops_what_decoding_drops() {
    let req = metrics();
    for list in LISTS {
        assert!(same_as_decoded(list, &req.encode_to_vec()), "{list:?}: the plan should run on a plain request");
        for seed in 1..=24 {
            assert!(same_as_decoded(list, &shuffled_metrics(&req, seed)), "seed {seed}, {list:?}: the plan should run");
        }
    }
}

/// Functions, and paths of the point other than its attributes, are left
/// to the evaluator on the decoded request.
#[test]
fn other_datapoint_lists_get_no_plan() {
    for list in [&[r#"IsMatch(attributes["http.route"], "users")"#][..], &[r#"flags == 1"#], &[r#"metric.unit == "s""#], &[r#"value_double > 1.0"#]] {
        assert!(FilterPlan::compile_points(&conditions(list)).is_none(), "{list:?}");
    }
}

/// A metric whose points all go goes with them, and its scope and
/// resource when they hold nothing else; the points are counted.
#[test]
fn a_metric_left_without_points_goes_and_its_points_are_counted() {
    let point = |route: &str| NumberDataPoint {
        attributes: vec![crate::otlp::proto::common::v1::KeyValue {
            key: "http.route".into(),
            value: Some(crate::otlp::proto::common::v1::AnyValue { value: Some(crate::otlp::proto::common::v1::any_value::Value::StringValue(route.into())) }),
            ..Default::default()
        }],
        ..Default::default()
    };
    let metric = Metric { name: "m".into(), data: Some(Data::Gauge(Gauge { data_points: vec![point("/health"), point("/health")] })), ..Default::default() };
    let bytes = one_item(&metric.encode_to_vec());
    let plan = FilterPlan::compile_points(&conditions(&[r#"attributes["http.route"] == "/health""#])).expect("a plan");
    assert_eq!(filter_points(&plan, &bytes).expect("runs"), Outcome::Emptied { dropped: 2 });
    let kept = Metric { data: Some(Data::Gauge(Gauge { data_points: vec![point("/health"), point("/users")] })), ..metric };
    let bytes = one_item(&kept.encode_to_vec());
    let Outcome::Changed { bytes: out, dropped: 1 } = filter_points(&plan, &bytes).expect("runs") else { panic!("one point goes") };
    let got = ExportMetricsServiceRequest::decode(&out[..]).expect("valid");
    assert_eq!(points(&got), 1);
}

/// Byte-level mutations: no panic on any bytes, and on those the receiver
/// passes on, a plan that runs drops what decoding drops.
#[test]
fn mutated_requests_never_panic_and_valid_ones_agree() {
    use crate::otlp::{wire::validate, Signal};
    let req = metrics();
    let seeds = [req.encode_to_vec(), shuffled_metrics(&req, 4), shuffled_metrics(&req, 9)];
    let plans: Vec<FilterPlan> = LISTS.iter().map(|l| FilterPlan::compile_points(&conditions(l)).expect("a plan")).collect();
    let mut next = rng(0xF117_0D47);
    let (mut valid, mut ran) = (0, 0);
    for round in 0..3000 {
        let bytes = mutated(&seeds[round % seeds.len()], &mut next);
        let planned = filter_points(&plans[round % plans.len()], &bytes);
        if validate(Signal::Metrics, &bytes).is_err() || ExportMetricsServiceRequest::decode(&bytes[..]).is_err() {
            continue;
        }
        valid += 1;
        if planned.is_ok() {
            ran += 1;
            assert!(same_as_decoded(LISTS[round % LISTS.len()], &bytes), "round {round}");
        }
    }
    eprintln!("{valid} valid mutations, {ran} run by the plan");
    assert!(valid >= 100 && ran >= 50, "{valid} valid mutations, {ran} run by the plan");
}

/// A `metric` list and a `datapoint` list together, as the filter
/// processor runs them on the wire: the metric list's pass, then the
/// points' plan over what it left. Both must drop what the decoded
/// filter's two passes drop, and count the same points.
#[test]
fn metric_and_datapoint_lists_together_drop_what_decoding_drops() {
    let metric_lists: &[&[&str]] = &[&[r#"name == "sum""#], &[r#"IsMatch(name, "^late")"#, r#"type == METRIC_DATA_TYPE_SUMMARY"#], &[r#"name == "absent""#]];
    let req = metrics();
    let none = |schema| Conditions::compile(schema, funcs::table(), &[]).expect("no conditions");
    for metric_list in metric_lists {
        let by_metric = Conditions::compile(&ottl::METRIC, funcs::table(), metric_list).expect("valid conditions");
        for list in LISTS {
            let by_point = conditions(list);
            let plan = FilterPlan::compile_points(&by_point).expect("a plan");
            for (seed, bytes) in std::iter::once(req.encode_to_vec()).chain((1..=24).map(|seed| shuffled_metrics(&req, seed))).enumerate() {
                let mut decoded = ExportMetricsServiceRequest::decode(&bytes[..]).expect("valid request");
                let before = points(&decoded);
                ottl::filter_metrics(&by_metric, &none(&ottl::DATAPOINT), &mut decoded, ErrorMode::Propagate, &mut Vec::new()).expect("runs");
                ottl::filter_metrics(&none(&ottl::METRIC), &by_point, &mut decoded, ErrorMode::Propagate, &mut Vec::new()).expect("runs");
                let dropped = before - points(&decoded);
                let first = filter_metrics(&by_metric, ErrorMode::Propagate, &bytes, &mut Vec::new()).expect("the metric list runs on the wire");
                let Ok(outcome) = filter_points_after(first, &plan, &bytes) else {
                    panic!("{metric_list:?} then {list:?}, layout {seed}: the plan should run")
                };
                let what = format!("{metric_list:?} then {list:?}, layout {seed}");
                match outcome {
                    Outcome::Unchanged => {
                        assert_eq!(dropped, 0, "{what}");
                        assert_eq!(ExportMetricsServiceRequest::decode(&bytes[..]).expect("valid"), decoded, "{what}");
                    }
                    Outcome::Emptied { dropped: wire } => {
                        assert!(decoded.resource_metrics.is_empty(), "{what}: decoding kept some");
                        assert_eq!(wire as u64, dropped, "{what}");
                    }
                    Outcome::Changed { bytes: out, dropped: wire } => {
                        assert_eq!(ExportMetricsServiceRequest::decode(&out[..]).expect("decodes"), decoded, "{what}");
                        assert_eq!(wire as u64, dropped, "{what}");
                    }
                }
            }
        }
    }
}
