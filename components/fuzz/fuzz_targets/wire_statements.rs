//! Any bytes as an OTLP trace or log request through the evaluator on the
//! wire: the transform's statements beyond plain steps ([`transform_traces`],
//! [`transform_logs`]: functions, conditions on any field, writes of a log
//! record's times, ids and body) and the filter's `spanevent` lists
//! ([`filter_events`]), which run on the items' bytes without decoding
//! the request. It must never panic, and on a request the receiver would
//! pass on, what it gives (a request, or the statement that failed) must
//! be what decoding, running and encoding again gives. The first byte
//! picks the path (by its remainder by three) and, divided by three, the
//! program.

#![no_main]

use libfuzzer_sys::fuzz_target;
use prost::Message;
use solder_components::otlp::proto::{ExportLogsServiceRequest, ExportTraceServiceRequest};
use solder_components::otlp::{wire, Signal};
use solder_components::ottl::wire::filter::{event_reader, filter_events};
use solder_components::ottl::wire::{supports, supports_logs, transform_logs, transform_traces, WireBlock, WireFailure};
use solder_components::ottl::{self, Group};
use solder_syntax::ottl::{funcs, Conditions, ErrorMode, RunError, Schema, Statements};

const SPAN: &[&[&str]] = &[
    &[r#"set(name, Concat([name, attributes["http.route"]], " ")) where IsString(attributes["http.route"])"#, r#"set(kind, 2) where status.code == 2"#],
    &[r#"replace_all_patterns(attributes, "value", "[0-9]+", "N")"#, r#"set(attributes["len"], Len(name))"#],
    &[r#"set(status.code, STATUS_CODE_ERROR) where Int(attributes["http.response.status_code"]) >= 500"#, r#"delete_matching_keys(attributes, "^net")"#],
];

const LOG: &[&[&str]] = &[
    &[r#"merge_maps(attributes, ParseJSON(body), "upsert") where IsMatch(body, "^\\{")"#, r#"set(severity_text, "WARN") where severity_number >= 13"#],
    &[
        r#"set(time, observed_time) where time_unix_nano == 0"#,
        r#"set(observed_time_unix_nano, time_unix_nano + 1)"#,
        r#"set(flags, 1) where trace_id.string != """#,
    ],
    &[r#"set(trace_id.string, "0102030405060708090a0b0c0d0e0f10") where IsString(body)"#, r#"set(span_id, trace_id)"#, r#"set(event_name, severity_text)"#],
    &[r#"set(body["seen"], true) where IsMap(body)"#, r#"set(body.string, event_name) where body == nil"#, r#"set(dropped_attributes_count, Len(attributes))"#],
];

const EVENT: &[&str] = &[
    r#"name == "exception""#,
    r#"IsMatch(name, "^r") or attributes["a"] != nil"#,
    r#"span.name == "GET" and time_unix_nano > 5"#,
    r#"Substring(name, 0, 3) == "exc" and resource.attributes["service.name"] != nil"#,
];

fn groups(schema: &'static Schema, programs: &[&[&str]], pick: u8) -> Vec<Group> {
    let program = programs[usize::from(pick / 3) % programs.len()];
    let groups = vec![Group { schema, statements: Statements::compile(schema, funcs::table(), program).expect("valid statements") }];
    let all: Vec<&Group> = groups.iter().collect();
    assert!(supports(&all) || supports_logs(&all), "{program:?} runs on the wire");
    groups
}

type Run<M> = fn(&[Group], &mut M, ErrorMode, &mut Vec<RunError>) -> Result<(), RunError>;
type Wire = fn(&[WireBlock<'_>], &[u8], &mut Vec<(usize, RunError)>) -> Result<Option<Vec<u8>>, WireFailure>;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else { return };
    for mode in [ErrorMode::Ignore, ErrorMode::Propagate] {
        match pick % 3 {
            0 => {
                let run: Run<ExportTraceServiceRequest> = |gs, r, mode, errors| ottl::transform_traces(gs, r, mode, errors);
                check(Signal::Traces, &groups(&ottl::SPAN, SPAN, pick), mode, body, transform_traces, run);
            }
            1 => {
                let run: Run<ExportLogsServiceRequest> = |gs, r, mode, errors| ottl::transform_logs(gs, r, mode, errors);
                check(Signal::Logs, &groups(&ottl::LOG, LOG, pick), mode, body, transform_logs, run);
            }
            _ => check_events(EVENT[usize::from(pick / 3) % EVENT.len()], mode, body),
        }
    }
});

/// The statements over `body` on the wire, then, if the receiver would
/// pass `body` on and the wire path took it, decoding's outcome against
/// the wire's.
fn check<M: Message + Default + PartialEq + std::fmt::Debug>(signal: Signal, groups: &[Group], mode: ErrorMode, body: &[u8], on_wire: Wire, decoded: Run<M>) {
    let blocks: Vec<WireBlock<'_>> = groups.iter().map(|group| WireBlock { group, mode }).collect();
    let fast = on_wire(&blocks, body, &mut Vec::new());
    if wire::validate(signal, body).is_err() {
        return;
    }
    let Ok(mut want) = M::decode(body) else { return };
    let slow = decoded(groups, &mut want, mode, &mut Vec::new()).map(|()| want).map_err(|e| e.message);
    let fast = match fast {
        Ok(out) => Ok(M::decode(out.as_deref().unwrap_or(body)).expect("the wire path's request decodes")),
        Err(WireFailure::Run(_, e)) => Err(e.message),
        // Left to decoding: nothing to compare.
        Err(WireFailure::Decode(_)) => return,
    };
    assert_eq!(fast, slow, "the wire path and decoding part");
}

/// A `spanevent` list over `body` on the wire, against decoding's: the
/// same request left, or the same failure, and as many errors reported.
fn check_events(list: &str, mode: ErrorMode, body: &[u8]) {
    let conds = Conditions::compile(&ottl::SPANEVENT, funcs::table(), &[list]).expect("valid conditions");
    let reader = event_reader(&conds).expect("the list runs on the wire");
    let (mut wire_errors, mut decoded_errors) = (Vec::new(), Vec::new());
    let fast = filter_events(&conds, reader, mode, body, &mut wire_errors);
    if wire::validate(Signal::Traces, body).is_err() {
        return;
    }
    let Ok(mut want) = ExportTraceServiceRequest::decode(body) else { return };
    let none = Conditions::compile(&ottl::SPAN, funcs::table(), &[]).expect("no conditions");
    let filtered = ottl::filter_traces(&none, &conds, &mut want, mode, &mut decoded_errors);
    let dropped = filtered.as_ref().map_or(0, |f| f.span_events);
    let slow = filtered.map(|_| want).map_err(|e| e.message);
    let fast = match fast {
        Ok(Some(out)) => Ok(ExportTraceServiceRequest::decode(&out[..]).expect("the wire path's request decodes")),
        // Nothing dropped: the processor passes the request on as it came
        // either way (decoding's pruning of empty scopes is not kept).
        Ok(None) => {
            return assert!(slow.is_ok() && dropped == 0 && decoded_errors.len() == wire_errors.len(), "decoding dropped or failed where the wire did not")
        }
        Err(WireFailure::Run(_, e)) => Err(e.message),
        Err(WireFailure::Decode(_)) => return,
    };
    assert_eq!(fast, slow, "the wire path and decoding part");
    assert_eq!(wire_errors.len(), decoded_errors.len(), "errors reported");
}
