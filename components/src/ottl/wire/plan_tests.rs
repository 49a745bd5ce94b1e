//! Plans against the decoded path: every program a plan runs gives, over
//! the same requests (plain, odd and shuffled), the request decoding and
//! the evaluator give; programs outside the plain steps get no plan.

use prost::Message;
use solder_syntax::ottl::{funcs, Conditions, ErrorMode, Statements};

use super::tests::{groups, kv, odd_bytes, request, rng, shuffled_bytes, FIVE};
use super::{run_plan, Plan};
use crate::otlp::proto::common::v1::any_value::Value as V;
use crate::otlp::proto::trace::v1::Status;
use crate::otlp::proto::ExportTraceServiceRequest;
use crate::ottl;

const PLANNED: &[&[&str]] = &[
    FIVE,
    &[r#"set(name, "renamed") where name == "no such span""#, r#"delete_key(attributes, "absent")"#],
    // Also renames spans written with two names (the odd and shuffled
    // layouts' "second name", "late name N"), whose last one counts.
    &[
        r#"replace_pattern(name, "^(GET|call) (.*)$", "$2 by $1")"#,
        r#"set(name, "") where name == "/api/orders/42""#,
        r#"replace_pattern(name, "name", "label")"#,
    ],
    // Reads see earlier writes; deletes and sets of one key in turn.
    &[
        r#"set(attributes["dup"], "first")"#,
        r#"set(attributes["dup"], 2) where attributes["dup"] == "first""#,
        r#"delete_key(attributes, "dup") where attributes["dup"] == 3"#,
        r#"delete_key(attributes, "http.route")"#,
        r#"set(attributes["http.route"], "again") where attributes["http.route"] == nil"#,
    ],
    &[r#"set(attributes["long"], "0123456789abcdef")"#, r#"truncate_all(attributes, 6, true, "..")"#, r#"truncate_all(attributes, 3)"#],
    &[r#"set(status.code, 0)"#, r#"set(status.code, 2) where status.code == 0 and not (kind == SPAN_KIND_SERVER or name == "x")"#],
    // The status as received: unset, a code alone, a code and a message.
    &[r#"set(attributes["failed"], true) where status.code == STATUS_CODE_ERROR"#, r#"set(attributes["ok"], true) where status.code == 1"#],
    &[r#"set(attributes["ratio_seen"], true) where attributes["ratio"] > 0.1"#, r#"set(attributes["raw_seen"], 1.5) where attributes["raw"] != nil"#],
    // Whole-number literals against values that are not whole numbers (a
    // double, a string, none): compared as values.
    &[
        r#"set(attributes["under_one"], true) where attributes["ratio"] < 1"#,
        r#"set(attributes["route_is_7"], true) where attributes["http.route"] == 7"#,
        r#"set(attributes["absent_not_0"], true) where attributes["absent"] != 0"#,
    ],
    &[r#"delete_key(attributes, "list")"#, r#"delete_key(attributes, "map")"#, r#"truncate_all(attributes, 1)"#],
    // A delete as a span's only change.
    &[r#"delete_key(attributes, "user_agent.original")"#],
    // Steps that read every key: what they keep, with attributes set
    // before and after them, and duplicates.
    &[r#"keep_keys(attributes, ["http.route", "dup", "k"])"#],
    &[r#"set(attributes["new"], 1)"#, r#"keep_keys(attributes, ["new", "http.route", "absent"])"#, r#"set(attributes["after"], "x")"#],
    &[r#"delete_matching_keys(attributes, "^(server|http)\\..*")"#, r#"keep_matching_keys(attributes, "^[a-z_.]+$") where kind == SPAN_KIND_CLIENT"#],
    &[r#"keep_keys(attributes, [])"#],
    // On attributes: a received string, one a `set` wrote, a non-string,
    // a missing one, a duplicate key (the first changes).
    &[
        r#"replace_pattern(attributes["http.route"], "/api/([a-z]+)", "/v2/$1")"#,
        r#"set(attributes["k2"], "aaa")"#,
        r#"replace_pattern(attributes["k2"], "a", "b")"#,
        r#"replace_pattern(attributes["http.response.status_code"], "5", "x")"#,
        r#"replace_pattern(attributes["absent"], ".*", "x")"#,
        r#"replace_pattern(attributes["dup"], "o", "0") where attributes["dup"] != nil"#,
        r#"truncate_all(attributes, 8)"#,
    ],
    // replace_match, a glob over the whole string: on the name, and on
    // attributes (a received string, a non-string, a missing one, a
    // duplicate key, one a `set` wrote).
    &[
        r#"replace_match(name, "/api/orders/*", "/api/orders/{id}")"#,
        r#"replace_match(attributes["http.route"], "/api/{orders,cart}*", "grouped")"#,
        r#"replace_match(attributes["http.response.status_code"], "*", "x")"#,
        r#"replace_match(attributes["absent"], "*", "x")"#,
        r#"replace_match(attributes["dup"], "o?e", "[$1]") where attributes["dup"] != nil"#,
        r#"set(attributes["k2"], "a[b]c")"#,
        r#"replace_match(attributes["k2"], "a\\[b]?", "escaped")"#,
    ],
    // Copies between attributes: a string, an int, a double, bytes, a map,
    // a list, a missing source (nothing set), a duplicate source (the
    // first), sources a `set` wrote and a `replace_pattern` changed, to
    // new keys and over an existing one; then read by a condition and cut.
    &[
        r#"set(attributes["route_copy"], attributes["http.route"])"#,
        r#"set(attributes["server.port"], attributes["http.response.status_code"])"#,
        r#"set(attributes["ratio_copy"], attributes["ratio"])"#,
        r#"set(attributes["raw_copy"], attributes["raw"])"#,
        r#"set(attributes["map_copy"], attributes["map"])"#,
        r#"set(attributes["list_copy"], attributes["list"])"#,
        r#"set(attributes["nothing"], attributes["absent"])"#,
        r#"set(attributes["dup_copy"], attributes["dup"])"#,
        r#"set(attributes["k2"], "set first")"#,
        r#"set(attributes["k2_copy"], attributes["k2"])"#,
        r#"replace_pattern(attributes["route_copy"], "api", "API")"#,
        r#"set(attributes["route_copy2"], attributes["route_copy"])"#,
        r#"set(attributes["big"], true) where attributes["server.port"] >= 500"#,
        r#"set(attributes["ratio_seen"], true) where attributes["ratio_copy"] > 0.1"#,
        r#"truncate_all(attributes, 5)"#,
    ],
    // The name kept in an attribute before it is normalised (new and
    // existing keys), and after.
    &[
        r#"set(attributes["original_name"], name)"#,
        r#"set(attributes["http.route"], name)"#,
        r#"replace_pattern(name, "/api/orders/[0-9]+", "/api/orders/{id}")"#,
        r#"set(attributes["new_name"], name) where attributes["original_name"] != name"#,
    ],
    // Copies from the resource's attributes: strings, a missing one, then
    // changed, copied on, compared and cut.
    &[
        r#"set(attributes["service"], resource.attributes["service.name"])"#,
        r#"set(attributes["nothing"], resource.attributes["absent"])"#,
        r#"set(attributes["http.route"], resource.attributes["host.name"])"#,
        r#"replace_pattern(attributes["service"], "e", "E")"#,
        r#"set(attributes["service2"], attributes["http.route"])"#,
        r#"set(attributes["seen"], true) where attributes["service2"] == "node-1""#,
        r#"truncate_all(attributes, 3)"#,
    ],
    // Conditions on the resource's attributes: a string, a missing one,
    // one compared with a span attribute.
    &[
        r#"set(attributes["in_cart"], true) where resource.attributes["service.name"] == "cart""#,
        r#"set(attributes["no_x"], true) where resource.attributes["absent"] == nil"#,
        r#"set(attributes["same"], true) where resource.attributes["host.name"] != attributes["server.address"]"#,
        r#"set(status.code, 2) where resource.attributes["service.name"] != "frontend" and kind == SPAN_KIND_CLIENT"#,
    ],
    // A copy of what a `set` wrote, written under its own key.
    &[r#"set(attributes["k2"], 7)"#, r#"set(attributes["k2_copy"], attributes["k2"])"#, r#"set(attributes["http.route"], attributes["k2"])"#],
    // A copy onto itself, a copy whose source is then deleted, a copy
    // kept by keep_keys.
    &[
        r#"set(attributes["http.route"], attributes["http.route"])"#,
        r#"set(attributes["x"], attributes["http.route"])"#,
        r#"delete_key(attributes, "http.route")"#,
        r#"set(attributes["y"], attributes["x"])"#,
        r#"keep_keys(attributes, ["y", "dup"])"#,
    ],
    // The name set from an attribute: a string, a missing one (the name
    // stays), one a step wrote, only where a condition holds; then read.
    &[
        r#"set(name, attributes["http.route"])"#,
        r#"set(name, attributes["absent"])"#,
        r#"set(attributes["k2"], "from a set")"#,
        r#"set(name, attributes["k2"]) where attributes["http.route"] == nil"#,
        r#"set(attributes["seen_name"], name)"#,
    ],
    // From a value a step changed, and from a copy of the name.
    &[
        r#"set(attributes["kept"], name)"#,
        r#"replace_pattern(attributes["http.route"], "api", "API")"#,
        r#"set(name, attributes["http.route"]) where attributes["http.route"] != nil"#,
        r#"set(name, attributes["kept"]) where kind == SPAN_KIND_CLIENT"#,
    ],
    // Strings against string literals, either side, every operator: the
    // name, received, set and changed attributes, the resource's; and a
    // double against a string (kinds that do not compare).
    &[
        r#"set(attributes["k2"], "set first")"#,
        r#"set(attributes["a1"], true) where "/api/orders/42" == name"#,
        r#"set(attributes["a2"], true) where attributes["http.route"] < "/m""#,
        r#"set(attributes["a3"], true) where "/m" > attributes["http.route"]"#,
        r#"set(attributes["a4"], true) where resource.attributes["service.name"] >= "c""#,
        r#"set(attributes["a5"], true) where attributes["ratio"] != "x""#,
        r#"set(attributes["a6"], true) where attributes["k2"] == "set first" and name != "x""#,
        r#"replace_pattern(attributes["http.route"], "api", "API")"#,
        r#"set(attributes["a7"], true) where attributes["http.route"] <= "/API/z""#,
    ],
    // A glob that matches every name, then one that matches what it made.
    // The replacement is taken as written: no `$` groups.
    &[r#"replace_match(name, "*", "every $1 thing")"#, r#"replace_match(name, "every ?1 [!x]hing", "again $0")"#],
];

/// Programs a plan must leave to the evaluator.
const NOT_PLANNED: &[&[&str]] = &[
    &[r#"set(attributes["x"], Concat([name, "!"], ""))"#],
    &[r#"set(name, "y") where IsMatch(name, "x")"#],
    &[r#"set(attributes["service"], resource.attributes["service.name"]["x"])"#],
    &[r#"set(attributes["service"], "x") where resource.attributes["service.name"]["x"] == "cart""#],
    &[r#"set(attributes["nested"]["deeper"], 1)"#],
    &[r#"replace_pattern(name, "a", "b", SHA256)"#],
    &[r#"replace_pattern(attributes["a"], "a", "b", SHA256)"#],
    &[r#"replace_pattern(attributes["a"]["b"], "a", "b")"#],
    &[r#"replace_match(name, "a*", "b", SHA256)"#],
    &[r#"set(attributes["a"], kind)"#],
    &[r#"set(attributes["a"], attributes["b"]["c"])"#],
    &[r#"replace_match(attributes["a"], "a*", attributes["b"])"#],
    &[r#"set(attributes["x"], nil)"#],
    &[r#"limit(attributes, 2, [])"#],
    &[r#"set(kind, 2)"#],
    &[r#"set(attributes["a"], "b")"#, r#"set(status.message, "m")"#],
    &[r#"truncate_all(attributes, 3, "yes")"#],
];

fn plan(program: &[&str]) -> Option<Plan> {
    let gs = groups(program);
    Plan::compile(&gs)
}

/// The request with duplicate keys on some spans (`set` changes the
/// first, `delete_key` removes both) and short attributes on all.
fn request_with_duplicates() -> ExportTraceServiceRequest {
    let mut req = request();
    let spans = req.resource_spans.iter_mut().flat_map(|r| &mut r.scope_spans).flat_map(|s| &mut s.spans);
    for (i, span) in spans.enumerate() {
        if i % 3 == 0 {
            span.attributes.push(kv("dup", Some(V::StringValue("one".into()))));
            span.attributes.push(kv("dup", Some(V::IntValue(3))));
        }
        if i % 5 == 0 {
            span.status = Some(Status { message: "kept".into(), code: 0 });
        }
        // A code alone, as SDKs write an error.
        if i % 7 == 1 {
            span.status = Some(Status { message: String::new(), code: 2 });
        }
        // Short fields holding strings a small `truncate_all` still cuts:
        // the walk must not pass them over as too short.
        span.attributes.push(kv("k", Some(V::StringValue("abcdef".into()))));
        span.attributes.push(kv("ab", Some(V::StringValue("wxyz".into()))));
    }
    req
}

/// Runs `program` as a plan and decoded; whether the plan ran (not left
/// to the general path).
fn same_as_decoded(program: &[&str], bytes: &[u8], plan: &Plan) -> bool {
    let mut decoded = ExportTraceServiceRequest::decode(bytes).expect("valid request");
    let mut errors = Vec::new();
    ottl::transform_traces(&groups(program), &mut decoded, ErrorMode::Propagate, &mut errors).expect("plain steps do not fail");
    let Ok(out) = run_plan(plan, bytes) else { return false };
    let planned = match out {
        None => ExportTraceServiceRequest::decode(bytes).expect("valid request"),
        Some(out) => ExportTraceServiceRequest::decode(&out[..]).unwrap_or_else(|e| panic!("{program:?}: the plan wrote an undecodable request: {e}")),
    };
    assert_eq!(planned, decoded, "{program:?}");
    true
}

#[test]
fn every_plan_gives_what_decoding_gives() {
    let req = request_with_duplicates();
    for program in PLANNED {
        let plan = plan(program).unwrap_or_else(|| panic!("{program:?} should compile to a plan"));
        assert!(same_as_decoded(program, &req.encode_to_vec(), &plan), "{program:?}: the plan should run on a plain request");
        // A name written twice: the plan leaves it to the general path.
        same_as_decoded(program, &odd_bytes(&req), &plan);
        let mut ran = 0;
        for seed in 1..=40 {
            ran += usize::from(same_as_decoded(program, &shuffled_bytes(&req, seed), &plan));
        }
        // Half the layouts have no repeated field, so the plan runs them.
        assert!(ran >= 10, "{program:?}: the plan ran on only {ran} of 40 layouts");
    }
}

/// A field after the value (`key_strindex`, which profiles use) in
/// attributes steps name or may cut: not the plain shape, so the value is
/// not everything after the key. Each plan gives what decoding gives, or
/// leaves the request to the general path.
#[test]
fn an_attribute_with_a_field_after_its_value_is_not_read_as_plain() {
    let mut req = request_with_duplicates();
    let spans = req.resource_spans.iter_mut().flat_map(|r| &mut r.scope_spans).flat_map(|s| &mut s.spans);
    for kv in spans.flat_map(|s| &mut s.attributes).filter(|kv| ["http.route", "dup", "k", "http.response.status_code"].contains(&kv.key.as_str())) {
        kv.key_strindex = 5;
    }
    for program in PLANNED {
        let plan = plan(program).unwrap_or_else(|| panic!("{program:?} should compile to a plan"));
        same_as_decoded(program, &req.encode_to_vec(), &plan);
    }
}

#[test]
fn other_programs_get_no_plan() {
    for program in NOT_PLANNED {
        assert!(plan(program).is_none(), "{program:?} should be left to the evaluator");
    }
    let mut guarded = Statements::compile(&ottl::SPAN, funcs::table(), &[r#"set(name, "x")"#]).expect("compiles");
    guarded.guard_with(Conditions::compile(&ottl::SPAN, funcs::table(), &[r#"kind == 2"#]).expect("compiles"));
    assert!(Plan::compile(&[ottl::Group { schema: &ottl::SPAN, statements: guarded }]).is_none(), "a block with conditions runs them through the evaluator");
}

#[test]
fn a_plan_that_changes_nothing_passes_the_request_on() {
    let bytes = request().encode_to_vec();
    let plan = plan(&[r#"set(name, "renamed") where name == "no such span""#, r#"delete_key(attributes, "absent")"#]).expect("a plan");
    assert!(matches!(run_plan(&plan, &bytes), Ok(None)));
}

/// Several resources and scopes, where only some spans change: the
/// lengths above the changed spans are recomputed, the rest copied.
#[test]
fn lengths_above_changed_spans_are_recomputed() {
    let mut req = request();
    let (first, second) = (req.resource_spans[0].clone(), req.resource_spans[0].clone());
    let mut other_scope = first.scope_spans[0].clone();
    other_scope.spans.truncate(2);
    for span in &mut other_scope.spans {
        span.name = "/api/orders/7".into();
    }
    req.resource_spans = vec![first, second];
    req.resource_spans[0].scope_spans.push(other_scope.clone());
    req.resource_spans[1].scope_spans.insert(0, other_scope);
    // A scope no statement changes, with long names to need longer lengths.
    for span in &mut req.resource_spans[1].scope_spans[1].spans {
        span.name = "x".repeat(200);
    }
    let program = [r#"replace_pattern(name, "/api/orders/[0-9]+", "/api/orders/{id}")"#, r#"set(attributes["long"], "y") where name == "/api/orders/7""#];
    let plan = plan(&program).expect("a plan");
    assert!(same_as_decoded(&program, &req.encode_to_vec(), &plan), "the plan should run");
}

/// A span whose status is written 257 times (prost merges them): the
/// plan leaves it to the general path, however many there are.
#[test]
fn a_status_written_many_times_is_left_to_the_general_path() {
    use crate::otlp::proto::trace::v1::Span;
    let span = Span { name: "s".into(), status: Some(Status { message: String::new(), code: 2 }), ..Default::default() };
    let mut span_bytes = span.encode_to_vec();
    for _ in 0..256 {
        span_bytes.extend_from_slice(&[0x7a, 0x00]);
    }
    let request = request_of(&span_bytes);
    let program = [r#"set(status.code, 0)"#];
    let plan = plan(&program).expect("a plan");
    assert!(run_plan(&plan, &request).is_err(), "a repeated status is not the plan's to model");
    assert!(!same_as_decoded(&program, &request, &plan));
}

/// One span, these bytes, as a whole request (in one scope and resource).
fn request_of(span: &[u8]) -> Vec<u8> {
    let (mut scope, mut resource, mut request) = (Vec::new(), Vec::new(), Vec::new());
    prost::encoding::bytes::encode(2, &span.to_vec(), &mut scope);
    prost::encoding::bytes::encode(2, &scope, &mut resource);
    prost::encoding::bytes::encode(1, &resource, &mut request);
    request
}

/// One span, its name these bytes, as a whole request.
fn request_named(name: &[u8]) -> Vec<u8> {
    let mut span = Vec::new();
    prost::encoding::bytes::encode(5, &name.to_vec(), &mut span);
    request_of(&span)
}

/// A name a step reads must be text, as the evaluator reads it, whether
/// or not the pattern's literal is in it: one that is not leaves the
/// request to the general path (which reports it); text that is not
/// ASCII runs.
#[test]
fn a_name_that_is_not_text_is_left_to_the_general_path() {
    let programs: [&[&str]; 3] = [
        &[r#"replace_pattern(name, "/api/orders/[0-9]+", "/api/orders/{id}")"#],
        &[r#"replace_pattern(name, "zzz", "y")"#],
        &[r#"set(attributes["seen"], true) where name == "x""#],
    ];
    for program in programs {
        let plan = plan(program).expect("a plan");
        for name in [&b"GET /api/orders/1\xff"[..], b"\xc3\x28 /api/orders/1", b"caf\xc3"] {
            assert!(run_plan(&plan, &request_named(name)).is_err(), "{program:?} over {name:?}");
        }
        assert!(same_as_decoded(program, &request_named("GET /api/orders/1 café".as_bytes()), &plan), "{program:?}: text runs");
    }
}

/// A resource or scope written as a number, not a message: decoding
/// refuses the request, and so does the plan (which reads neither).
#[test]
fn a_resource_or_scope_of_the_wrong_wire_type_is_refused() {
    let plan = plan(&[r#"set(attributes["a"], "b")"#]).expect("a plan");
    let mut span = Vec::new();
    prost::encoding::bytes::encode(5, &b"s".to_vec(), &mut span);
    let mut spans = Vec::new();
    prost::encoding::bytes::encode(2, &span, &mut spans);
    // Field 1 as a varint: first in the scope, then in the resource.
    let bad_scope = [&[0x08, 0x01][..], &spans].concat();
    let (mut resource, mut request) = (Vec::new(), Vec::new());
    prost::encoding::bytes::encode(2, &bad_scope, &mut resource);
    prost::encoding::bytes::encode(1, &resource, &mut request);
    let mut good_scope = Vec::new();
    prost::encoding::bytes::encode(2, &spans, &mut good_scope);
    let bad_resource = [&[0x08, 0x01][..], &good_scope].concat();
    let mut other = Vec::new();
    prost::encoding::bytes::encode(1, &bad_resource, &mut other);
    for bytes in [request, other] {
        assert!(ExportTraceServiceRequest::decode(&bytes[..]).is_err(), "decoding refuses it");
        assert!(run_plan(&plan, &bytes).is_err(), "so must the plan");
    }
}

/// `bytes` with one or two mutations a fuzzer makes: a bit flipped, a
/// byte inserted or cut out, the end cut off.
pub(super) fn mutated(bytes: &[u8], next: &mut impl FnMut() -> u64) -> Vec<u8> {
    let mut bytes = bytes.to_vec();
    for _ in 0..1 + next() % 2 {
        let at = (next() % bytes.len().max(1) as u64) as usize;
        match next() % 4 {
            0 if at < bytes.len() => bytes[at] ^= 1 << (next() % 8),
            1 => bytes.insert(at.min(bytes.len()), next() as u8),
            2 if at < bytes.len() => drop(bytes.remove(at)),
            _ => bytes.truncate(at),
        }
    }
    bytes
}

/// Whether the receiver would pass these bytes on: valid OTLP as
/// validation checks it, and as prost decodes it.
pub(super) fn receivable(bytes: &[u8]) -> bool {
    use crate::otlp::{wire::validate, Signal};
    validate(Signal::Traces, bytes).is_ok() && ExportTraceServiceRequest::decode(bytes).is_ok()
}

/// Byte-level mutations of real requests (bytes flipped, inserted, cut
/// out, the end cut off), as a fuzzer makes them. On any bytes the plan
/// must not panic; on those the receiver would accept (valid OTLP, as
/// validation checks it), a plan that runs must give what decoding gives.
#[test]
fn mutated_requests_never_panic_and_valid_ones_agree_with_decoding() {
    let req = request_with_duplicates();
    let seeds = [req.encode_to_vec(), odd_bytes(&req), shuffled_bytes(&req, 7)];
    let plans: Vec<(&[&str], Plan)> = PLANNED.iter().map(|p| (*p, plan(p).expect("a plan"))).collect();
    let mut next = rng(0x2545_F491_4F6C_DD1D);
    let (mut valid, mut ran) = (0, 0);
    for round in 0..4000 {
        let bytes = mutated(&seeds[round % seeds.len()], &mut next);
        let (program, plan) = &plans[round % plans.len()];
        let planned = run_plan(plan, &bytes);
        if !receivable(&bytes) {
            continue;
        }
        valid += 1;
        if planned.is_ok() {
            ran += 1;
            assert!(same_as_decoded(program, &bytes, plan), "round {round}");
        }
    }
    eprintln!("{valid} valid mutations, {ran} run by the plan");
    // Most mutations break the request; enough must survive to mean something.
    assert!(valid >= 100 && ran >= 50, "{valid} valid mutations, {ran} run by the plan");
}

/// A value written as two fields, an int then a string (prost keeps the
/// last: a string), must not pass for an int: `truncate_all` cuts it as
/// decoding does, or the plan leaves the span to the general path.
#[test]
fn a_value_written_as_an_int_then_a_string_is_a_string() {
    let mut any = vec![0x18, 0x05];
    prost::encoding::string::encode(1, &"abcdef".to_string(), &mut any);
    let mut kv = Vec::new();
    prost::encoding::string::encode(1, &"k".to_string(), &mut kv);
    prost::encoding::bytes::encode(2, &any, &mut kv);
    let mut span = Vec::new();
    prost::encoding::string::encode(5, &"s".to_string(), &mut span);
    prost::encoding::bytes::encode(9, &kv, &mut span);
    let program = [r#"truncate_all(attributes, 3)"#];
    let plan = plan(&program).expect("a plan");
    same_as_decoded(&program, &request_of(&span), &plan);
}

/// A name set from an attribute that is not a string (here a double on
/// some spans, an attribute without a value on others) fails the `set`,
/// or sets nothing, in the evaluator: left to it.
#[test]
fn a_name_from_an_attribute_that_is_not_a_string_is_left_to_the_general_path() {
    for program in [[r#"set(name, attributes["ratio"])"#], [r#"set(name, attributes["empty"])"#]] {
        let plan = plan(&program).expect("a plan");
        assert!(run_plan(&plan, &request().encode_to_vec()).is_err(), "{program:?}");
    }
}

/// `!= nil` on an attribute without a value, or on a map, is not told
/// from the bytes: such requests are left to the evaluator.
#[test]
fn a_nil_test_on_a_value_the_notes_cannot_read_is_left_to_the_general_path() {
    for program in [[r#"set(attributes["e"], true) where attributes["empty"] != nil"#], [r#"set(attributes["m"], true) where attributes["map"] == nil"#]] {
        let plan = plan(&program).expect("a plan");
        assert!(run_plan(&plan, &request().encode_to_vec()).is_err(), "{program:?}");
    }
}

/// An attribute written without a value reads as nil in the evaluator;
/// a copy of one is left to it rather than modelled.
#[test]
fn a_copy_of_an_attribute_without_a_value_is_left_to_the_general_path() {
    let program = [r#"set(attributes["copy"], attributes["empty"])"#];
    let plan = plan(&program).expect("a plan");
    assert!(run_plan(&plan, &request().encode_to_vec()).is_err());
}
