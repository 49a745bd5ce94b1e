//! Plans with `resource` blocks against the decoded path: each program
//! runs as a plan and decoded over requests whose resources come in every
//! shape a sender may write (absent, after the scopes, with other fields,
//! duplicate keys, values of every kind, attributes in shuffled order),
//! and the two results must be the same request.

use prost::Message;
use solder_syntax::ottl::{funcs, ErrorMode, Schema, Statements};

use super::plan_tests::{mutated, receivable};
use super::tests::{kv, request, rng, FIVE};
use super::{run_plan, Plan};
use crate::otlp::proto::common::v1::any_value::Value as V;
use crate::otlp::proto::common::v1::{AnyValue, ArrayValue, EntityRef};
use crate::otlp::proto::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use crate::otlp::proto::metrics::v1::{metric::Data, Gauge, Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics};
use crate::otlp::proto::resource::v1::Resource;
use crate::otlp::proto::trace::v1::ResourceSpans;
use crate::otlp::proto::{ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest};
use crate::ottl::{self, Group};

/// A program: its blocks, each a context and its statements.
pub(super) type Program = &'static [(&'static str, &'static [&'static str])];

const CHART: &[&str] = &[r#"set(attributes["k8s.cluster.name"], "prod-eu-1")"#, r#"delete_key(attributes, "telemetry.sdk.language")"#];

const PLANNED: &[Program] = &[
    // As the Kubernetes monitoring chart writes it.
    &[("resource", CHART)],
    // Conditions on the resource's own attributes; reads see writes.
    &[(
        "resource",
        &[
            r#"set(attributes["env"], "prod") where attributes["service.name"] == "checkout""#,
            r#"delete_key(attributes, "host.name") where attributes["env"] != nil"#,
            r#"set(attributes["port"], 8080) where attributes["env"] == nil and not (attributes["n"] > 2)"#,
            r#"set(attributes["dup"], "first")"#,
        ],
    )],
    // Resource and span blocks together, in any order.
    &[("resource", CHART), ("span", FIVE), ("resource", &[r#"delete_key(attributes, "service.namespace")"#])],
    &[("span", &[r#"set(attributes["seen"], true)"#]), ("resource", &[r#"set(attributes["service.name"], "renamed")"#])],
    // Span steps copying from the resource, over every layout of it.
    &[(
        "span",
        &[
            r#"set(attributes["svc"], resource.attributes["service.name"])"#,
            r#"set(attributes["d"], resource.attributes["dup"])"#,
            r#"set(attributes["n"], resource.attributes["n"])"#,
        ],
    )],
    // The name set from the resource's attributes: a string (under a
    // duplicate key in some layouts: the first), a missing one.
    &[("span", &[r#"set(name, resource.attributes["service.name"]) where kind == SPAN_KIND_SERVER"#, r#"set(name, resource.attributes["absent"])"#])],
    &[(
        "span",
        &[
            r#"set(attributes["is_one"], true) where resource.attributes["dup"] == "one""#,
            r#"set(attributes["n_is_1"], true) where resource.attributes["n"] == 1"#,
        ],
    )],
    // Values changed where they lie, and cut.
    &[(
        "resource",
        &[
            r#"replace_pattern(attributes["service.instance.id"], "-([0-9]+)$", "=$1")"#,
            r#"replace_pattern(attributes["n"], "1", "x")"#,
            r#"replace_match(attributes["service.name"], "check*", "co")"#,
            r#"set(attributes["service.original"], attributes["service.name"])"#,
            r#"truncate_all(attributes, 4, true, "..")"#,
        ],
    )],
    // Changes that undo themselves, and deletes of what is not there:
    // a resource that had none gets none.
    &[("resource", &[r#"set(attributes["tmp"], 1)"#, r#"delete_key(attributes, "tmp")"#, r#"delete_key(attributes, "absent")"#])],
    &[("resource", &[r#"delete_key(attributes, "dup")"#])],
    // Steps that read every key.
    &[("resource", &[r#"keep_keys(attributes, ["service.name", "dup", "k8s.cluster.name"])"#, r#"set(attributes["k8s.cluster.name"], "c")"#])],
    &[("resource", &[r#"delete_matching_keys(attributes, "^(host|telemetry)\\.")"#])],
    // Span steps reading the resource after resource steps see what they
    // left: a set literal, a deleted key, a changed and a cut string, a
    // copy, a created resource; every kind of read.
    &[
        ("resource", CHART),
        ("span", &[r#"set(attributes["cluster"], resource.attributes["k8s.cluster.name"])"#, r#"set(name, resource.attributes["telemetry.sdk.language"])"#]),
    ],
    &[
        (
            "resource",
            &[
                r#"replace_pattern(attributes["service.name"], "^check", "co")"#,
                r#"set(attributes["n"], 7) where attributes["n"] == 1"#,
                r#"set(attributes["copy"], attributes["service.instance.id"])"#,
                r#"delete_key(attributes, "dup")"#,
                r#"set(attributes["dup"], "again") where attributes["service.name"] == "coout""#,
                r#"truncate_all(attributes, 5)"#,
            ],
        ),
        (
            "span",
            &[
                r#"set(attributes["svc"], resource.attributes["service.name"])"#,
                r#"set(attributes["n"], resource.attributes["n"])"#,
                r#"set(attributes["copy"], resource.attributes["copy"])"#,
                r#"set(name, resource.attributes["dup"])"#,
                r#"set(attributes["co"], true) where resource.attributes["service.name"] == "coout""#,
                r#"set(attributes["seven"], true) where resource.attributes["n"] == 7"#,
                r#"set(attributes["has_dup"], true) where resource.attributes["dup"] != nil"#,
            ],
        ),
    ],
    // Before every resource step: the resource as received.
    &[("span", &[r#"set(attributes["svc"], resource.attributes["service.name"])"#]), ("resource", &[r#"set(attributes["service.name"], "renamed")"#])],
    // A span block that reads nothing of the resource may come first.
    &[("span", &[r#"set(attributes["seen"], true)"#]), ("resource", CHART), ("span", &[r#"set(attributes["svc"], resource.attributes["k8s.cluster.name"])"#])],
];

/// Programs a plan must leave to the other paths.
const NOT_PLANNED: &[Program] = &[
    &[("resource", &[r#"set(attributes["a"], "b") where dropped_attributes_count == 0"#])],
    &[("resource", &[r#"set(schema_url, "https://example.com")"#])],
    &[("resource", &[r#"set(attributes["a"], attributes["b"]["c"])"#])],
    &[("scope", &[r#"set(attributes["a"], "b")"#])],
    // Span steps reading the resource both before and after a resource
    // step.
    &[
        ("span", &[r#"set(attributes["a"], resource.attributes["service.name"])"#]),
        ("resource", CHART),
        ("span", &[r#"set(attributes["b"], true) where resource.attributes["k8s.cluster.name"] != nil"#]),
    ],
    &[("resource", CHART), ("spanevent", &[r#"set(name, "e")"#])],
];

fn schema(context: &str) -> &'static Schema {
    match context {
        "resource" => &ottl::RESOURCE,
        "scope" => &ottl::SCOPE,
        "span" => &ottl::SPAN,
        "spanevent" => &ottl::SPANEVENT,
        "metric" => &ottl::METRIC,
        "datapoint" => &ottl::DATAPOINT,
        "log" => &ottl::LOG,
        other => panic!("no context {other}"),
    }
}

pub(super) fn groups(program: Program) -> Vec<Group> {
    program
        .iter()
        .map(|(context, statements)| {
            let schema = schema(context);
            let statements = Statements::compile(schema, funcs::table(), statements).unwrap_or_else(|e| panic!("{statements:?}: {e:?}"));
            Group { schema, statements }
        })
        .collect()
}

/// Runs `program` as a plan and decoded over `bytes`; whether the plan
/// ran (rather than leaving the request to another path).
fn same_as_decoded(program: Program, bytes: &[u8]) -> bool {
    let gs = groups(program);
    let plan = Plan::compile(&gs).unwrap_or_else(|| panic!("{program:?} should compile to a plan"));
    let mut decoded = ExportTraceServiceRequest::decode(bytes).expect("valid request");
    ottl::transform_traces(&gs, &mut decoded, ErrorMode::Propagate, &mut Vec::new()).expect("plain steps do not fail");
    let Ok(out) = run_plan(&plan, bytes) else { return false };
    let planned = match out {
        None => ExportTraceServiceRequest::decode(bytes).expect("valid request"),
        Some(out) => ExportTraceServiceRequest::decode(&out[..]).unwrap_or_else(|e| panic!("{program:?}: the plan wrote an undecodable request: {e}")),
    };
    assert_eq!(planned, decoded, "{program:?}");
    true
}

/// Resources of every shape, one `ResourceSpans` each, all with spans
/// but the last.
pub(super) fn resources() -> ExportTraceServiceRequest {
    let base = request();
    let first = base.resource_spans[0].clone();
    let with = |resource: Option<Resource>| ResourceSpans { resource, ..first.clone() };
    let mut attrs = first.resource.clone().unwrap_or_default().attributes;
    let plain = with(first.resource.clone());
    let none = with(None);
    let empty = with(Some(Resource::default()));
    attrs.extend([
        kv("dup", Some(V::StringValue("one".into()))),
        kv("dup", Some(V::IntValue(3))),
        kv("n", Some(V::IntValue(1))),
        kv("list", Some(V::ArrayValue(ArrayValue { values: vec![AnyValue { value: Some(V::StringValue("long enough".into())) }] }))),
        kv("nothing", None),
        kv("service.name", Some(V::StringValue("checkout".into()))),
    ]);
    let others = with(Some(Resource {
        attributes: attrs,
        dropped_attributes_count: 4,
        entity_refs: vec![EntityRef { r#type: "service".into(), id_keys: vec!["service.name".into()], ..Default::default() }],
    }));
    let mut no_spans = plain.clone();
    no_spans.scope_spans.clear();
    ExportTraceServiceRequest { resource_spans: vec![plain, none, empty, others, no_spans] }
}

/// The request's bytes with each `ResourceSpans` written field by field:
/// the resource's attributes shuffled, now and then an unknown field in
/// it, and the resource after the scopes in every other one.
pub(super) fn shuffled(req: &ExportTraceServiceRequest, seed: u64) -> Vec<u8> {
    shuffled_resources(req.resource_spans.iter().map(|rs| (rs.resource.as_ref(), scopes(&rs.scope_spans))), seed)
}

/// Each message as field 2, as a `Resource*` holds its scopes.
fn scopes<M: Message>(scopes: &[M]) -> Vec<u8> {
    let mut out = Vec::new();
    for scope in scopes {
        prost::encoding::message::encode(2, scope, &mut out);
    }
    out
}

/// A request of any signal from its resources, each with its scopes'
/// bytes, laid out as [`shuffled`] lays them.
fn shuffled_resources<'r>(resources: impl Iterator<Item = (Option<&'r Resource>, Vec<u8>)>, seed: u64) -> Vec<u8> {
    let mut next = rng(seed);
    let mut bytes = Vec::new();
    for (i, (r, scopes)) in resources.enumerate() {
        let mut resource = Vec::new();
        if let Some(r) = r {
            let mut fields: Vec<Vec<u8>> =
                r.attributes.iter().map(|kv| Resource { attributes: vec![kv.clone()], ..Default::default() }.encode_to_vec()).collect();
            fields.push(Resource { attributes: vec![], ..r.clone() }.encode_to_vec());
            if next().is_multiple_of(2) {
                let mut unknown = Vec::new();
                prost::encoding::uint64::encode(100, &next(), &mut unknown);
                fields.push(unknown);
            }
            for j in (1..fields.len()).rev() {
                fields.swap(j, (next() % (j as u64 + 1)) as usize);
            }
            prost::encoding::bytes::encode(1, &fields.concat(), &mut resource);
        }
        let body = if i % 2 == 0 { [resource, scopes].concat() } else { [scopes, resource].concat() };
        prost::encoding::bytes::encode(1, &body, &mut bytes);
    }
    bytes
}

#[test]
fn every_resource_plan_gives_what_decoding_gives() {
    let req = resources();
    for program in PLANNED {
        assert!(same_as_decoded(program, &req.encode_to_vec()), "{program:?}: the plan should run on a plain request");
        for seed in 1..=30 {
            assert!(same_as_decoded(program, &shuffled(&req, seed)), "seed {seed}, {program:?}: the plan should run");
        }
    }
}

#[test]
fn other_resource_programs_get_no_plan() {
    for program in NOT_PLANNED {
        assert!(Plan::compile(&groups(program)).is_none(), "{program:?} should be left to the evaluator");
    }
}

/// prost merges a resource written twice (attributes appended); the plan
/// leaves such a request to decoding.
#[test]
fn a_resource_written_twice_is_left_to_decoding() {
    let req = resources();
    let rs = &req.resource_spans[0];
    let mut body = Vec::new();
    for r in [rs.resource.clone().unwrap_or_default(), Resource { attributes: vec![kv("telemetry.sdk.language", None)], ..Default::default() }] {
        prost::encoding::message::encode(1, &r, &mut body);
    }
    for ss in &rs.scope_spans {
        prost::encoding::message::encode(2, ss, &mut body);
    }
    let mut bytes = Vec::new();
    prost::encoding::bytes::encode(1, &body, &mut bytes);
    let program: Program = &[("resource", CHART)];
    assert!(run_plan(&Plan::compile(&groups(program)).expect("a plan"), &bytes).is_err());
    assert!(!same_as_decoded(program, &bytes));
}

/// A resource with no spans under it still runs (as the Collector runs
/// every resource), and one added to a `ResourceSpans` without any is
/// what decoding gives.
#[test]
fn resources_without_spans_or_without_a_resource_are_changed_too() {
    let program: Program = &[("resource", CHART)];
    let plan = Plan::compile(&groups(program)).expect("a plan");
    for rs in [ResourceSpans { resource: None, ..Default::default() }, ResourceSpans { resource: Some(Resource::default()), ..Default::default() }] {
        let bytes = ExportTraceServiceRequest { resource_spans: vec![rs] }.encode_to_vec();
        let out = run_plan(&plan, &bytes).expect("the plan runs").expect("a cluster name is added");
        let got = ExportTraceServiceRequest::decode(&out[..]).expect("valid");
        let attrs = &got.resource_spans[0].resource.as_ref().expect("a resource").attributes;
        assert_eq!(attrs.len(), 1);
        assert_eq!(attrs[0].key, "k8s.cluster.name");
        assert!(same_as_decoded(program, &bytes));
    }
}

/// Mutations of requests with resources of every shape, as in
/// `plan_tests`: no panic on any bytes, and on those the receiver passes
/// on, a plan that runs gives what decoding gives.
#[test]
fn mutated_resources_never_panic_and_valid_ones_agree_with_decoding() {
    let req = resources();
    let seeds = [req.encode_to_vec(), shuffled(&req, 3), shuffled(&req, 8)];
    let mut next = rng(0x9E37_79B9);
    let plans: Vec<Plan> = PLANNED.iter().map(|p| Plan::compile(&groups(p)).expect("a plan")).collect();
    let (mut valid, mut ran) = (0, 0);
    for round in 0..3000 {
        let bytes = mutated(&seeds[round % seeds.len()], &mut next);
        let program = PLANNED[round % PLANNED.len()];
        let planned = run_plan(&plans[round % plans.len()], &bytes);
        if !receivable(&bytes) {
            continue;
        }
        valid += 1;
        if planned.is_ok() {
            ran += 1;
            assert!(same_as_decoded(program, &bytes), "round {round}");
        }
    }
    eprintln!("{valid} valid mutations, {ran} run by the plan");
    assert!(valid >= 100 && ran >= 50, "{valid} valid mutations, {ran} run by the plan");
}

/// [`resources`] as a log and as a metric request: the same resources,
/// each over a scope of two records (or metrics) where it had spans.
fn other_signals() -> (ExportLogsServiceRequest, ExportMetricsServiceRequest) {
    let req = resources();
    let record = |i: i32| LogRecord { severity_number: 9 + i, body: Some(AnyValue { value: Some(V::StringValue(format!("line {i}"))) }), ..Default::default() };
    let gauge = |i: u64| Metric {
        name: format!("m{i}"),
        data: Some(Data::Gauge(Gauge { data_points: vec![NumberDataPoint { time_unix_nano: i, ..Default::default() }] })),
        ..Default::default()
    };
    let logs = req
        .resource_spans
        .iter()
        .map(|rs| ResourceLogs {
            resource: rs.resource.clone(),
            scope_logs: rs
                .scope_spans
                .iter()
                .map(|ss| ScopeLogs { scope: ss.scope.clone(), log_records: vec![record(0), record(1)], ..Default::default() })
                .collect(),
            ..Default::default()
        })
        .collect();
    let metrics = req
        .resource_spans
        .iter()
        .map(|rs| ResourceMetrics {
            resource: rs.resource.clone(),
            scope_metrics: rs
                .scope_spans
                .iter()
                .map(|ss| ScopeMetrics { scope: ss.scope.clone(), metrics: vec![gauge(0), gauge(1)], ..Default::default() })
                .collect(),
            ..Default::default()
        })
        .collect();
    (ExportLogsServiceRequest { resource_logs: logs }, ExportMetricsServiceRequest { resource_metrics: metrics })
}

/// Runs `program` as a plan over `bytes` and through `decoded`, which
/// decodes, transforms and encodes again; whether the plan ran.
pub(super) fn plan_agrees<M: Message + Default + PartialEq + std::fmt::Debug>(program: Program, bytes: &[u8], decoded: impl Fn(&[Group], &mut M)) -> bool {
    let gs = groups(program);
    let plan = Plan::compile(&gs).unwrap_or_else(|| panic!("{program:?} should compile to a plan"));
    let mut want = M::decode(bytes).expect("valid request");
    decoded(&gs, &mut want);
    let Ok(out) = run_plan(&plan, bytes) else { return false };
    let got = M::decode(out.as_deref().unwrap_or(bytes)).unwrap_or_else(|e| panic!("{program:?}: the plan wrote an undecodable request: {e}"));
    if got != want {
        // The requests are long: where they part is what tells.
        let (got, want) = (format!("{got:?}"), format!("{want:?}"));
        let at = got.bytes().zip(want.bytes()).take_while(|(a, b)| a == b).count();
        let around = |s: &str| s.get(at.saturating_sub(300)..(at + 300).min(s.len())).unwrap_or_default().to_string();
        panic!("{program:?}: the plan's request parts from decoding's at {at}:\nplan:     {}\ndecoding: {}", around(&got), around(&want));
    }
    true
}

/// Metric and log requests nest as trace requests do: a program of
/// `resource` blocks runs as the same plan over their resources, and
/// gives what decoding gives, over the same shapes and layouts.
#[test]
fn resource_plans_run_on_metric_and_log_requests_as_decoding_does() {
    let (logs, metrics) = other_signals();
    let resource_only: Vec<Program> = PLANNED.iter().copied().filter(|p| p.iter().all(|(context, _)| *context == "resource")).collect();
    assert!(resource_only.len() >= 5);
    let transform_logs = |gs: &[Group], r: &mut ExportLogsServiceRequest| ottl::transform_logs(gs, r, ErrorMode::Propagate, &mut Vec::new()).expect("runs");
    let transform_metrics =
        |gs: &[Group], r: &mut ExportMetricsServiceRequest| ottl::transform_metrics(gs, r, ErrorMode::Propagate, &mut Vec::new()).expect("runs");
    for program in resource_only {
        for seed in 0..=12 {
            let (log_bytes, metric_bytes) = match seed {
                0 => (logs.encode_to_vec(), metrics.encode_to_vec()),
                _ => (
                    shuffled_resources(logs.resource_logs.iter().map(|r| (r.resource.as_ref(), scopes(&r.scope_logs))), seed),
                    shuffled_resources(metrics.resource_metrics.iter().map(|r| (r.resource.as_ref(), scopes(&r.scope_metrics))), seed),
                ),
            };
            assert!(plan_agrees(program, &log_bytes, transform_logs), "seed {seed}, {program:?}: the plan should run on logs");
            assert!(plan_agrees(program, &metric_bytes, transform_metrics), "seed {seed}, {program:?}: the plan should run on metrics");
        }
    }
}
