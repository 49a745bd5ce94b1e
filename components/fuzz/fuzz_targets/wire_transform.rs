//! Any bytes as an OTLP request through `otelcol.processor.transform`'s
//! plans on the wire ([`run_plan`]): it must never panic, and on a request
//! the receiver would pass on (valid as the validator and prost see it), a
//! plan that runs must give what decoding, transforming and encoding
//! again gives. The first byte picks the signal (as `otlp_wire`'s seeds
//! have it) and, divided by three, the program: item blocks (span, data
//! point, log record) and resource blocks, copies from the resource among
//! them.

#![no_main]

use libfuzzer_sys::fuzz_target;
use prost::Message;
use solder_components::otlp::proto::{ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest};
use solder_components::otlp::{wire, Signal};
use solder_components::ottl::wire::{run_plan, Plan};
use solder_components::ottl::{self, Group};
use solder_syntax::ottl::{funcs, ErrorMode, Schema, Statements};

/// One program: its blocks, each a context and its statements.
type Program = &'static [(&'static str, &'static [&'static str])];

const COPY: &[&str] = &[r#"set(attributes["svc"], resource.attributes["service.name"])"#, r#"set(attributes["a"], attributes["b"]) where attributes["n"] > 1"#];
const EDIT: &[&str] = &[
    r#"delete_key(attributes, "a")"#,
    r#"replace_pattern(attributes["http.route"], "/[0-9]+", "/{id}")"#,
    r#"set(attributes["c"], "x") where resource.attributes["k"] == "v""#,
];
const MATCHING: &[&str] = &[r#"keep_keys(attributes, ["a", "svc"])"#, r#"truncate_all(attributes, 3)"#];
const RESOURCE: &[&str] = &[r#"set(attributes["service.name"], "stamped")"#, r#"delete_matching_keys(attributes, "^k")"#];

const SPAN: &[Program] = &[
    &[("span", COPY)],
    &[("span", EDIT), ("span", &[r#"set(name, attributes["http.route"]) where attributes["http.route"] != nil"#])],
    &[("resource", RESOURCE), ("span", MATCHING)],
    &[("span", COPY), ("resource", RESOURCE)],
];
const POINT: &[Program] = &[&[("datapoint", COPY)], &[("datapoint", EDIT)], &[("resource", RESOURCE), ("datapoint", COPY)], &[("datapoint", MATCHING)]];
const LOG: &[Program] = &[&[("log", COPY)], &[("log", EDIT)], &[("resource", RESOURCE), ("log", COPY)], &[("log", MATCHING), ("resource", RESOURCE)]];

fn schema(context: &str) -> &'static Schema {
    match context {
        "span" => &ottl::SPAN,
        "datapoint" => &ottl::DATAPOINT,
        "log" => &ottl::LOG,
        _ => &ottl::RESOURCE,
    }
}

fn groups(programs: &[Program], pick: u8) -> Vec<Group> {
    let program = programs[usize::from(pick / 3) % programs.len()];
    program
        .iter()
        .map(|(context, statements)| Group { schema: schema(context), statements: Statements::compile(schema(context), funcs::table(), statements).expect("valid statements") })
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else { return };
    match pick % 3 {
        0 => check(Signal::Traces, &groups(SPAN, pick), body, |gs, r: &mut ExportTraceServiceRequest| ottl::transform_traces(gs, r, ErrorMode::Propagate, &mut Vec::new())),
        1 => check(Signal::Metrics, &groups(POINT, pick), body, |gs, r: &mut ExportMetricsServiceRequest| ottl::transform_metrics(gs, r, ErrorMode::Propagate, &mut Vec::new())),
        _ => check(Signal::Logs, &groups(LOG, pick), body, |gs, r: &mut ExportLogsServiceRequest| ottl::transform_logs(gs, r, ErrorMode::Propagate, &mut Vec::new())),
    }
});

/// The plan over `body`, then, if the receiver would pass `body` on and
/// the plan ran, decoding's result against the plan's.
fn check<M: Message + Default + PartialEq + std::fmt::Debug, E: std::fmt::Debug>(
    signal: Signal,
    groups: &[Group],
    body: &[u8],
    decoded: impl Fn(&[Group], &mut M) -> Result<(), E>,
) {
    let plan = Plan::compile(groups).expect("every program here is a plan");
    let planned = run_plan(&plan, body);
    if wire::validate(signal, body).is_err() {
        return;
    }
    let Ok(mut want) = M::decode(body) else { return };
    let Ok(out) = planned else { return };
    decoded(groups, &mut want).expect("plain steps do not fail");
    let got = M::decode(out.as_deref().unwrap_or(body)).expect("the plan's request decodes");
    assert_eq!(got, want, "the plan and decoding part");
}
