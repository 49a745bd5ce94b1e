//! The wire `spanevent` filter against the decoded one: each list runs
//! both ways over trace requests whose spans carry events of every kind
//! (none, one, several; attributes of every type), laid out as SDKs write
//! them, with every level's fields shuffled, and with the events' own
//! fields in any order; both must drop the same events from the same
//! spans, and report or refuse the same errors.

use prost::Message;
use solder_syntax::ottl::{funcs, Conditions, ErrorMode};

use super::filter::{event_reader, filter_events};
use super::filter_tests::{one_item, over_mutations, shuffled_levels};
use super::plan_tests::receivable;
use super::tests::{kv, request};
use super::WireFailure;
use crate::otlp::proto::common::v1::any_value::Value as V;
use crate::otlp::proto::trace::v1::span::Event;
use crate::otlp::proto::trace::v1::{ResourceSpans, ScopeSpans, Span};
use crate::otlp::proto::ExportTraceServiceRequest;
use crate::ottl;

const LISTS: &[&[&str]] = &[
    // What spanevent filters are written for: noisy exceptions, retries.
    &[r#"name == "exception""#],
    &[r#"IsMatch(name, "^retry")"#, r#"attributes["attempt"] > 1"#],
    &[r#"span.attributes["http.route"] == "/health""#, r#"span.kind == SPAN_KIND_CLIENT and name == "log""#],
    &[r#"resource.attributes["service.name"] == "checkout" and instrumentation_scope.name != """#],
    &[r#"time_unix_nano > 1700000000000000005 and dropped_attributes_count == 0"#],
    // Every event; no event.
    &[r#"name != "never""#],
    &[r#"attributes["absent"] != nil"#],
    // Fails on names shorter than five: reported or refusing as decoding.
    &[r#"Substring(name, 0, 5) == "excep""#],
];

/// The shared trace request with events on most of its spans.
fn with_events() -> ExportTraceServiceRequest {
    let mut req = request();
    // An empty scope and an empty resource, which a request that loses
    // events loses too.
    req.resource_spans[0].scope_spans.insert(0, ScopeSpans::default());
    req.resource_spans.push(ResourceSpans::default());
    let spans = req.resource_spans.iter_mut().flat_map(|r| &mut r.scope_spans).flat_map(|s| &mut s.spans);
    for (i, span) in spans.enumerate() {
        span.events = events(i);
    }
    req
}

fn events(i: usize) -> Vec<Event> {
    let event = |name: &str, n: usize, attributes| Event {
        name: name.into(),
        time_unix_nano: 1_700_000_000_000_000_000 + n as u64,
        attributes,
        dropped_attributes_count: (n % 3 == 2) as u32,
    };
    let all = [
        event(
            "exception",
            i,
            vec![kv("exception.type", Some(V::StringValue("Timeout".into()))), kv("exception.escaped", Some(V::BoolValue(i.is_multiple_of(2))))],
        ),
        event("retry", i + 3, vec![kv("attempt", Some(V::IntValue((i % 4) as i64)))]),
        event("log", i + 7, vec![]),
    ];
    all.into_iter().skip(i % 4).collect()
}

fn reader(conditions: &Conditions) -> super::filter::EventReader {
    event_reader(conditions).expect("the list runs on the wire")
}

fn conditions(list: &[&str]) -> Conditions {
    Conditions::compile(&ottl::SPANEVENT, funcs::table(), list).unwrap_or_else(|e| panic!("{list:?}: {e:?}"))
}

/// Runs `list` both ways over `bytes`; whether the wire path ran.
fn same_as_decoded(list: &[&str], bytes: &[u8], mode: ErrorMode) -> bool {
    let conds = conditions(list);
    let none = Conditions::compile(&ottl::SPAN, funcs::table(), &[]).expect("no conditions");
    let mut decoded = ExportTraceServiceRequest::decode(bytes).expect("valid request");
    let (mut decoded_errors, mut wire_errors) = (Vec::new(), Vec::new());
    let by_decoding = ottl::filter_traces(&none, &conds, &mut decoded, mode, &mut decoded_errors);
    match (by_decoding, filter_events(&conds, reader(&conds), mode, bytes, &mut wire_errors)) {
        (_, Err(WireFailure::Decode(_))) => return false,
        (Err(_), Err(WireFailure::Run(..))) => {}
        // Nothing dropped: the processor passes the request on as it came
        // either way (decoding's pruning of empty scopes is not kept).
        (Ok(f), Ok(None)) => assert_eq!(f.span_events, 0, "{list:?}: decoding dropped events"),
        (Ok(f), Ok(Some(out))) => {
            assert!(f.span_events > 0, "{list:?}: the wire changed a request decoding left");
            let got = ExportTraceServiceRequest::decode(&out[..]).unwrap_or_else(|e| panic!("{list:?}: undecodable: {e}"));
            assert_eq!(got, decoded, "{list:?}");
        }
        (d, w) => panic!("{list:?}: decoding gave {d:?}, the wire {w:?}"),
    }
    assert_eq!(decoded_errors.len(), wire_errors.len(), "{list:?}: errors reported");
    true
}

/// A field written a second time among a span's: a second event.
fn another_event(next: &mut dyn FnMut() -> u64) -> Vec<u8> {
    Span { events: events((next() % 16) as usize), ..Default::default() }.encode_to_vec()
}

#[test]
fn every_spanevent_list_drops_what_decoding_drops() {
    let req = with_events();
    let layouts = std::iter::once(req.encode_to_vec()).chain((1..=12).map(|seed| shuffled_levels(&req.encode_to_vec(), seed, another_event)));
    assert!(LISTS.iter().all(|list| event_reader(&conditions(list)).is_some()), "every list should run on the wire");
    for (i, bytes) in layouts.enumerate() {
        for list in LISTS {
            for mode in [ErrorMode::Ignore, ErrorMode::Silent, ErrorMode::Propagate] {
                assert!(same_as_decoded(list, &bytes, mode), "layout {i}, {list:?}: the wire path should run");
            }
        }
    }
}

/// An event's own fields in any order, its name written twice (the last
/// counts) and an unknown field among them: read as decoding reads it.
#[test]
fn an_events_fields_are_read_in_any_order() {
    let mut event = Vec::new();
    prost::encoding::string::encode(2, &"exception".to_string(), &mut event);
    prost::encoding::message::encode(3, &kv("attempt", Some(V::IntValue(1))), &mut event);
    prost::encoding::uint64::encode(99, &7, &mut event);
    prost::encoding::fixed64::encode(1, &1_700_000_000_000_000_009, &mut event);
    prost::encoding::string::encode(2, &"retry".to_string(), &mut event);
    let mut span = Span { name: "GET".into(), ..Default::default() }.encode_to_vec();
    prost::encoding::bytes::encode(11, &event, &mut span);
    let bytes = one_item(&span);
    for list in LISTS {
        assert!(same_as_decoded(list, &bytes, ErrorMode::Ignore), "{list:?}");
    }
    let dropped = filter_events(&conditions(LISTS[1]), reader(&conditions(LISTS[1])), ErrorMode::Propagate, &bytes, &mut Vec::new()).expect("runs");
    assert!(dropped.is_some(), "the event goes by its last name, a retry");
}

/// Conditions on what the wire context does not hold (the resource's
/// dropped count, the scope's attributes) leave the request to decoding.
#[test]
fn conditions_beyond_the_wire_context_are_not_supported() {
    for list in [&[r#"resource.dropped_attributes_count > 0"#][..], &[r#"instrumentation_scope.attributes["a"] == "b""#]] {
        assert!(event_reader(&conditions(list)).is_none(), "{list:?}");
    }
}

#[test]
fn mutated_requests_never_panic_and_valid_ones_agree_with_decoding() {
    let req = with_events();
    let seeds = [req.encode_to_vec(), shuffled_levels(&req.encode_to_vec(), 3, another_event)];
    let run = |list: &[&str], bytes: &[u8]| drop(filter_events(&conditions(list), reader(&conditions(list)), ErrorMode::Ignore, bytes, &mut Vec::new()));
    over_mutations(&seeds, 0xE7E7_5EED, LISTS, run, receivable, same_as_decoded);
}
