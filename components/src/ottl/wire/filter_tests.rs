//! The wire filter against the decoded one: each list of conditions runs
//! both ways over requests of every layout (shuffled spans and
//! resources, odd encodings, empty scopes and resources, random
//! mutations), and both must drop the same spans, prune the same scopes
//! and resources, and refuse or report the same errors.

use prost::Message;
use solder_syntax::ottl::{funcs, Conditions, ErrorMode, RunError};

use super::filter::{filter_spans, planned, supports, Outcome};
use super::plan::FilterPlan;
use super::plan_tests::{mutated, receivable};
use super::resource_tests::{resources, shuffled};
use super::tests::{odd_bytes, request, rng, shuffled_bytes};
use super::WireFailure;
use crate::otlp::proto::trace::v1::{ResourceSpans, ScopeSpans};
use crate::otlp::proto::ExportTraceServiceRequest;
use crate::ottl;

const LISTS: &[&[&str]] = &[
    // The health checks before span metrics.
    &[r#"attributes["http.route"] == "/health""#],
    &[r#"IsMatch(name, "orders")"#, r#"attributes["http.response.status_code"] >= 500"#],
    &[r#"status.code == STATUS_CODE_ERROR"#, r#"kind == SPAN_KIND_CLIENT"#],
    &[r#"resource.attributes["service.name"] == "checkout""#],
    &[r#"resource.attributes["dup"] == "one" and attributes["ratio"] != nil"#],
    // Every span: the request is emptied.
    &[r#"instrumentation_scope.name != "never""#],
    // No span: the request goes on as it came.
    &[r#"attributes["absent"] != nil"#],
    // Fails on short names: reported (ignore) or refusing (propagate) as
    // decoding does.
    &[r#"Substring(name, 0, 12) == "call /api/ca""#],
    // Every span again, as a plan can test it.
    &[r#"name != "never""#, r#"kind == 99"#],
];

fn conditions(list: &[&str]) -> Conditions {
    Conditions::compile(&ottl::SPAN, funcs::table(), list).unwrap_or_else(|e| panic!("{list:?}: {e:?}"))
}

/// Runs `list` both ways over `bytes`, on the wire with and without its
/// plan; whether the wire path ran (rather than leaving the request to
/// decoding).
fn same_as_decoded(list: &[&str], bytes: &[u8], mode: ErrorMode) -> bool {
    let plan = FilterPlan::compile(&conditions(list));
    same_as_decoded_by(list, None, bytes, mode) & same_as_decoded_by(list, plan.as_ref(), bytes, mode)
}

fn same_as_decoded_by(list: &[&str], plan: Option<&FilterPlan>, bytes: &[u8], mode: ErrorMode) -> bool {
    let conds = conditions(list);
    let none = Conditions::compile(&ottl::SPANEVENT, funcs::table(), &[]).expect("no conditions");
    let mut decoded = ExportTraceServiceRequest::decode(bytes).expect("valid request");
    let (mut decoded_errors, mut wire_errors) = (Vec::new(), Vec::new());
    let by_decoding = ottl::filter_traces(&conds, &none, &mut decoded, mode, &mut decoded_errors).map(|f| f.spans);
    let on_wire = filter_spans(&conds, plan, mode, bytes, &mut wire_errors);
    let emptied = decoded.resource_spans.is_empty();
    agree(list, (by_decoding, &decoded, emptied), on_wire, (decoded_errors.len(), wire_errors.len()))
}

/// Whether a wire run agrees with decoding, asserted: the same items
/// dropped (decoding's count, or its error, and the request it left and
/// whether that is empty), the same request left, as many errors
/// reported (decoding's, the wire's). False if the wire path left the
/// request to decoding.
pub(super) fn agree<M: Message + Default + PartialEq + std::fmt::Debug>(
    list: &[&str],
    (by_decoding, decoded, emptied): (Result<u64, RunError>, &M, bool),
    on_wire: Result<Outcome, WireFailure>,
    (decoded_errors, wire_errors): (usize, usize),
) -> bool {
    match (by_decoding, on_wire) {
        (_, Err(WireFailure::Decode(_))) => return false,
        (Err(_), Err(WireFailure::Run(..))) => {}
        (Ok(n), Ok(Outcome::Unchanged)) => assert_eq!(n, 0, "{list:?}: decoding dropped items"),
        (Ok(n), Ok(Outcome::Emptied { dropped })) => {
            assert_eq!(n, dropped as u64, "{list:?}");
            assert!(emptied, "{list:?}: decoding kept some");
        }
        (Ok(n), Ok(Outcome::Changed { bytes, dropped })) => {
            assert_eq!(n, dropped as u64, "{list:?}");
            let got = M::decode(&bytes[..]).unwrap_or_else(|e| panic!("{list:?}: undecodable: {e}"));
            assert_eq!(&got, decoded, "{list:?}");
        }
        (d, w) => panic!("{list:?}: decoding gave {d:?}, the wire {w:?}"),
    }
    assert_eq!(decoded_errors, wire_errors, "{list:?}: errors reported");
    true
}

/// `req` with an empty scope beside its spans and an empty resource: a
/// filter that drops anything prunes those too.
fn with_empty_parts(mut req: ExportTraceServiceRequest) -> ExportTraceServiceRequest {
    req.resource_spans[0].scope_spans.insert(0, ScopeSpans::default());
    req.resource_spans.push(ResourceSpans::default());
    req
}

#[test]
fn every_list_drops_what_decoding_drops() {
    let plain = request();
    let layouts = [
        plain.encode_to_vec(),
        odd_bytes(&plain),
        with_empty_parts(plain.clone()).encode_to_vec(),
        resources().encode_to_vec(),
        shuffled(&resources(), 5),
        shuffled(&resources(), 6),
        shuffled_bytes(&plain, 4),
    ];
    assert!(LISTS.iter().all(|list| supports(&conditions(list))), "every list should run on the wire");
    on_every_layout(LISTS, &layouts, same_as_decoded);
}

/// `same_as_decoded` for every list, error mode and layout: each must
/// agree, and run on the wire.
pub(super) fn on_every_layout(lists: &[&[&str]], layouts: &[Vec<u8>], same_as_decoded: impl Fn(&[&str], &[u8], ErrorMode) -> bool) {
    for list in lists {
        for mode in [ErrorMode::Ignore, ErrorMode::Silent, ErrorMode::Propagate] {
            for (i, bytes) in layouts.iter().enumerate() {
                assert!(same_as_decoded(list, bytes, mode), "layout {i}, {list:?}: the wire path should run");
            }
        }
    }
}

/// What the lists do to the plain request: each kind of outcome happens.
#[test]
fn the_lists_drop_some_all_or_none() {
    let bytes = with_empty_parts(request()).encode_to_vec();
    let run = |list: &[&str], mode| filter_spans(&conditions(list), None, mode, &bytes, &mut Vec::new());
    let Ok(Outcome::Changed { bytes: out, dropped }) = run(LISTS[0], ErrorMode::Propagate) else { panic!("some health checks") };
    let left = ExportTraceServiceRequest::decode(&out[..]).expect("valid");
    let spans = |r: &ExportTraceServiceRequest| r.resource_spans.iter().flat_map(|r| &r.scope_spans).map(|s| s.spans.len()).sum::<usize>();
    assert!(dropped > 0 && spans(&left) + dropped == spans(&request()));
    assert!(left.resource_spans.iter().flat_map(|r| &r.scope_spans).all(|s| !s.spans.is_empty()), "the empty scope is pruned");
    assert_eq!(left.resource_spans.len(), 1, "the empty resource is pruned");
    assert!(matches!(run(LISTS[5], ErrorMode::Propagate), Ok(Outcome::Emptied { dropped }) if dropped == spans(&request())));
    assert!(matches!(run(LISTS[6], ErrorMode::Propagate), Ok(Outcome::Unchanged)));
    let mut errors = Vec::new();
    assert!(filter_spans(&conditions(LISTS[7]), None, ErrorMode::Ignore, &bytes, &mut errors).is_ok());
    assert!(!errors.is_empty(), "Substring fails on short names");
    assert!(matches!(run(LISTS[7], ErrorMode::Propagate), Err(WireFailure::Run(..))));
}

/// Conditions on what the wire context does not serve go the decoded way.
#[test]
fn conditions_beyond_the_wire_context_are_not_supported() {
    assert!(!supports(&conditions(&[r#"resource.dropped_attributes_count > 0"#])));
}

/// Mutated requests: no panic on any bytes; on those the receiver passes
/// on, a wire run agrees with decoding.
#[test]
fn mutated_requests_never_panic_and_valid_ones_agree_with_decoding() {
    let seeds = [with_empty_parts(request()).encode_to_vec(), shuffled(&resources(), 2), odd_bytes(&request())];
    let run = |list: &[&str], bytes: &[u8]| {
        let conds = conditions(list);
        let _ = filter_spans(&conds, FilterPlan::compile(&conds).as_ref(), ErrorMode::Ignore, bytes, &mut Vec::new());
    };
    over_mutations(&seeds, 0x5EED_F117, LISTS, run, receivable, same_as_decoded);
}

/// 3,000 byte-level mutations of `seeds`, each with one of `lists`: `run`
/// on every one (it must not panic), and on those the receiver would pass
/// on (`receivable`), `same_as_decoded` under `ignore`. Enough of them
/// must be valid, and run on the wire.
pub(super) fn over_mutations(
    seeds: &[Vec<u8>],
    seed: u64,
    lists: &[&[&str]],
    run: impl Fn(&[&str], &[u8]),
    receivable: impl Fn(&[u8]) -> bool,
    same_as_decoded: impl Fn(&[&str], &[u8], ErrorMode) -> bool,
) {
    let mut next = rng(seed);
    let (mut valid, mut ran) = (0, 0);
    for round in 0..3000 {
        let bytes = mutated(&seeds[round % seeds.len()], &mut next);
        let list = lists[round % lists.len()];
        run(list, &bytes);
        if !receivable(&bytes) {
            continue;
        }
        valid += 1;
        ran += usize::from(same_as_decoded(list, &bytes, ErrorMode::Ignore));
    }
    eprintln!("{valid} valid mutations, {ran} run on the wire");
    assert!(valid >= 100 && ran >= 50, "{valid} valid mutations, {ran} run on the wire");
}

/// A request of any signal holding one item, `item` its bytes as
/// written: in one scope, in one resource.
pub(super) fn one_item(item: &[u8]) -> Vec<u8> {
    let mut scope = Vec::new();
    prost::encoding::bytes::encode(2, &item.to_vec(), &mut scope);
    let mut resource = Vec::new();
    prost::encoding::bytes::encode(2, &scope, &mut resource);
    let mut bytes = Vec::new();
    prost::encoding::bytes::encode(1, &resource, &mut bytes);
    bytes
}

/// Comparisons of span fields, attributes and resource attributes with
/// literals get a plan, which runs on the requests SDKs send and matches
/// what the evaluator matches; functions do not.
#[test]
fn plain_comparisons_are_tested_from_the_plan() {
    let planned_lists = [LISTS[0], LISTS[2], LISTS[3], LISTS[4], LISTS[6], LISTS[8]];
    for list in planned_lists {
        let plan = FilterPlan::compile(&conditions(list)).unwrap_or_else(|| panic!("{list:?} should have a plan"));
        for bytes in [request().encode_to_vec(), with_empty_parts(request()).encode_to_vec(), shuffled_bytes(&request(), 9)] {
            let by_plan = planned(&plan, &bytes).unwrap_or_else(|| panic!("{list:?}: the plan should run"));
            let Tested(by_evaluator) = tested(list, &bytes);
            assert_eq!(by_plan, by_evaluator, "{list:?}");
        }
    }
    for list in [LISTS[1], LISTS[5], LISTS[7]] {
        assert!(FilterPlan::compile(&conditions(list)).is_none(), "{list:?} calls a function or reads the scope");
    }
}

/// Which spans the evaluator matches, in request order.
struct Tested(Vec<bool>);

fn tested(list: &[&str], bytes: &[u8]) -> Tested {
    let decoded = ExportTraceServiceRequest::decode(bytes).expect("valid");
    let conds = conditions(list);
    let mut matched = Vec::new();
    for rs in &decoded.resource_spans {
        for ss in &rs.scope_spans {
            for span in &ss.spans {
                let one = ExportTraceServiceRequest {
                    resource_spans: vec![ResourceSpans {
                        resource: rs.resource.clone(),
                        scope_spans: vec![ScopeSpans { scope: ss.scope.clone(), spans: vec![span.clone()], ..Default::default() }],
                        ..Default::default()
                    }],
                };
                let got = filter_spans(&conds, None, ErrorMode::Propagate, &one.encode_to_vec(), &mut Vec::new()).expect("runs");
                matched.push(got != Outcome::Unchanged);
            }
        }
    }
    Tested(matched)
}

/// A message's fields, each as written.
fn split_fields(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut fields = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let mut buf = &bytes[at..];
        let (tag, wire_type) = prost::encoding::decode_key(&mut buf).expect("key");
        prost::encoding::skip_field(wire_type, tag, &mut buf, Default::default()).expect("field");
        let end = bytes.len() - buf.len();
        fields.push(bytes[at..end].to_vec());
        at = end;
    }
    fields
}

/// A request of any signal (they nest alike: field 1 of the request, then
/// field 2, then field 2 again for the items) with the fields of every
/// level in a shuffled order: scopes and resources before or after what
/// they hold, each item's fields in any order, now and then `extra` (a
/// field written a second time) or an unknown field among them. Decoding
/// reads all of these as the same items, and so must the wire walk.
pub(super) fn shuffled_levels(request: &[u8], seed: u64, extra: impl Fn(&mut dyn FnMut() -> u64) -> Vec<u8>) -> Vec<u8> {
    let mut next = rng(seed);
    let shuffle = |mut fields: Vec<Vec<u8>>, next: &mut dyn FnMut() -> u64| {
        for i in (1..fields.len()).rev() {
            fields.swap(i, (next() % (i as u64 + 1)) as usize);
        }
        fields.concat()
    };
    // Each field of `bytes`, with field `tag`'s payloads passed to `inner`.
    let level = |bytes: &[u8], tag: u32, inner: &mut dyn FnMut(&[u8]) -> Vec<u8>| -> Vec<Vec<u8>> {
        split_fields(bytes)
            .into_iter()
            .map(|f| {
                let mut buf = &f[..];
                let (t, wire_type) = prost::encoding::decode_key(&mut buf).expect("key");
                if t != tag || wire_type != prost::encoding::WireType::LengthDelimited {
                    return f;
                }
                let payload = prost::encoding::decode_varint(&mut buf).map(|_| buf).expect("length");
                let mut out = Vec::new();
                prost::encoding::bytes::encode(tag, &inner(payload), &mut out);
                out
            })
            .collect()
    };
    let item = |bytes: &[u8], next: &mut dyn FnMut() -> u64| {
        let mut fields = split_fields(bytes);
        match next() % 4 {
            0 => fields.insert(0, extra(next)),
            1 => {
                let mut unknown = Vec::new();
                prost::encoding::uint64::encode(100, &next(), &mut unknown);
                fields.push(unknown);
            }
            _ => {}
        }
        shuffle(fields, next)
    };
    let mut scope = |bytes: &[u8]| {
        let fields = level(bytes, 2, &mut |b| item(b, &mut next));
        shuffle(fields, &mut next)
    };
    let mut resource = |bytes: &[u8]| {
        let fields = level(bytes, 2, &mut scope);
        shuffle(fields, &mut rng(seed ^ 0x5A))
    };
    level(request, 1, &mut resource).concat()
}
