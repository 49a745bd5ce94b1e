//! Any bytes as an OTLP request through `otelcol.processor.filter`'s wire
//! path: it must never panic, and on a request the receiver would pass on
//! (valid as the validator and prost see it) whatever it does must be what
//! decoding, filtering and encoding again does: the same items left, the
//! same count dropped (data points, for metrics), the same number of errors
//! reported. The first byte picks the signal (as `otlp_wire`'s seeds have
//! it) and, divided by three, the list of conditions; for metrics, every
//! other list is a `datapoint` list run as a plan ([`filter_points`]).

#![no_main]

use libfuzzer_sys::fuzz_target;
use prost::Message;
use solder_components::otlp::proto::{ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest};
use solder_components::otlp::{self, wire, Signal};
use solder_components::ottl::wire::filter::{filter_logs, filter_metrics, filter_points, filter_spans, log_reader, Outcome};
use solder_components::ottl::wire::FilterPlan;
use solder_components::ottl::{self, wire::WireFailure};
use solder_syntax::ottl::{funcs, Conditions, ErrorMode, Schema};

const SPAN: &[&str] = &[
    r#"attributes["http.route"] == "/health""#,
    r#"IsMatch(name, "a") or kind == SPAN_KIND_SERVER"#,
    r#"resource.attributes["service.name"] != nil and status.code == STATUS_CODE_ERROR"#,
    r#"Substring(name, 0, 3) == "GET""#,
];
const LOG: &[&str] =
    &[r#"severity_number < SEVERITY_NUMBER_INFO"#, r#"IsMatch(body, "h")"#, r#"body["level"] == "debug""#, r#"attributes["a"] != nil or flags == 1"#];
const DATAPOINT: &[&str] = &[
    r#"attributes["http.route"] == "/health""#,
    r#"metric.name == "m" and attributes["n"] > 1"#,
    r#"resource.attributes["service.name"] != nil or not (attributes["a"] == "b")"#,
];
const METRIC: &[&str] =
    &[r#"IsMatch(name, "^go_")"#, r#"type == METRIC_DATA_TYPE_SUM and is_monotonic == true"#, r#"aggregation_temporality == 1"#, r#"metadata["k"] != nil"#];

fn conditions(schema: &'static Schema, list: &[&str], pick: u8) -> Conditions {
    let one = list[usize::from(pick / 3) % list.len()];
    Conditions::compile(schema, funcs::table(), &[one]).expect("valid conditions")
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else { return };
    let mode = ErrorMode::Ignore;
    let (mut wire_errors, mut decoded_errors) = (Vec::new(), Vec::new());
    match pick % 3 {
        0 => {
            let conds = conditions(&ottl::SPAN, SPAN, pick);
            let plan = FilterPlan::compile(&conds);
            let on_wire = filter_spans(&conds, plan.as_ref(), mode, body, &mut wire_errors);
            let Some(mut req) = receivable::<ExportTraceServiceRequest>(Signal::Traces, body) else { return };
            let none = Conditions::compile(&ottl::SPANEVENT, funcs::table(), &[]).expect("no conditions");
            let decoded = ottl::filter_traces(&conds, &none, &mut req, mode, &mut decoded_errors).map(|f| f.spans);
            agree(on_wire, decoded, &req, req.resource_spans.is_empty(), wire_errors.len(), decoded_errors.len());
        }
        1 if (pick / 3) % 2 == 1 => {
            let conds = conditions(&ottl::DATAPOINT, DATAPOINT, pick / 2);
            let plan = FilterPlan::compile_points(&conds).expect("comparisons are a plan");
            let on_wire = filter_points(&plan, body);
            let Some(mut req) = receivable::<ExportMetricsServiceRequest>(Signal::Metrics, body) else { return };
            let Ok(on_wire) = on_wire else { return };
            let none = Conditions::compile(&ottl::METRIC, funcs::table(), &[]).expect("no conditions");
            let before = points(&req);
            let decoded = ottl::filter_metrics(&none, &conds, &mut req, mode, &mut decoded_errors).map(|f| (f.metrics, before - points(&req)));
            if let (Outcome::Unchanged, Ok((metrics, _))) = (&on_wire, &decoded) {
                assert_eq!(*metrics, 0, "decoding dropped metrics the wire kept");
            }
            agree(Ok(on_wire), decoded.map(|(_, p)| p), &req, req.resource_metrics.is_empty(), 0, decoded_errors.len());
        }
        1 => {
            let conds = conditions(&ottl::METRIC, METRIC, pick);
            let on_wire = filter_metrics(&conds, mode, body, &mut wire_errors);
            let Some(mut req) = receivable::<ExportMetricsServiceRequest>(Signal::Metrics, body) else { return };
            let none = Conditions::compile(&ottl::DATAPOINT, funcs::table(), &[]).expect("no conditions");
            let before = points(&req);
            let decoded = ottl::filter_metrics(&conds, &none, &mut req, mode, &mut decoded_errors).map(|f| (f.metrics, before - points(&req)));
            if let (Ok(Outcome::Unchanged), Ok((metrics, _))) = (&on_wire, &decoded) {
                assert_eq!(*metrics, 0, "decoding dropped metrics the wire kept");
            }
            agree(on_wire, decoded.map(|(_, p)| p), &req, req.resource_metrics.is_empty(), wire_errors.len(), decoded_errors.len());
        }
        _ => {
            let conds = conditions(&ottl::LOG, LOG, pick);
            let reader = log_reader(&conds).expect("the log lists run on the wire");
            let on_wire = filter_logs(&conds, reader, mode, body, &mut wire_errors);
            let Some(mut req) = receivable::<ExportLogsServiceRequest>(Signal::Logs, body) else { return };
            let decoded = ottl::filter_logs(&conds, &mut req, mode, &mut decoded_errors).map(|f| f.logs);
            agree(on_wire, decoded, &req, req.resource_logs.is_empty(), wire_errors.len(), decoded_errors.len());
        }
    }
});

/// The request decoded, if the receiver would have passed it on.
fn receivable<M: Message + Default>(signal: Signal, body: &[u8]) -> Option<M> {
    wire::validate(signal, body).ok()?;
    M::decode(body).ok()
}

fn points(r: &ExportMetricsServiceRequest) -> u64 {
    r.resource_metrics.iter().flat_map(|rm| &rm.scope_metrics).flat_map(|sm| &sm.metrics).map(|m| otlp::data_points(m) as u64).sum()
}

/// The wire's outcome against decoding's count of dropped items and the
/// request it left.
fn agree<M: Message + Default + PartialEq + std::fmt::Debug, E: std::fmt::Debug>(
    on_wire: Result<Outcome, WireFailure>,
    decoded: Result<u64, E>,
    left: &M,
    emptied: bool,
    wire_errors: usize,
    decoded_errors: usize,
) {
    match (on_wire, decoded) {
        // Left to decoding: nothing to compare.
        (Err(WireFailure::Decode(_)), _) => return,
        (Ok(Outcome::Unchanged), Ok(n)) => assert_eq!(n, 0, "decoding dropped items the wire kept"),
        (Ok(Outcome::Emptied { dropped }), Ok(n)) => {
            assert_eq!(dropped as u64, n);
            assert!(emptied, "decoding kept some");
        }
        (Ok(Outcome::Changed { bytes, dropped }), Ok(n)) => {
            assert_eq!(dropped as u64, n);
            assert_eq!(&M::decode(&bytes[..]).expect("the wire's request decodes"), left);
        }
        (w, d) => panic!("the wire gave {w:?}, decoding {d:?}"),
    }
    assert_eq!(wire_errors, decoded_errors, "errors reported");
}
