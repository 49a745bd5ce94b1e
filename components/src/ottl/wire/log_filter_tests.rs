//! The wire log filter against the decoded one: each list of `log_record`
//! conditions runs both ways over log requests of every layout (fields
//! shuffled, bodies of every type, odd encodings, empty scopes and
//! resources, random mutations), and both must drop the same records,
//! prune the same scopes and resources, and report or refuse the same
//! errors.

use prost::Message;
use solder_syntax::ottl::{funcs, Conditions, ErrorMode, RunError};

use super::filter::{self, log_reader, Outcome};
use super::filter_tests::{agree, on_every_layout, one_item, over_mutations, shuffled_levels};
use super::WireFailure;
use crate::otlp::proto::common::v1::any_value::Value as V;
use crate::otlp::proto::common::v1::{AnyValue, ArrayValue, InstrumentationScope, KeyValue, KeyValueList};
use crate::otlp::proto::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use crate::otlp::proto::resource::v1::Resource;
use crate::otlp::proto::ExportLogsServiceRequest;
use crate::ottl;

const LISTS: &[&[&str]] = &[
    // What log filters are written for: debug lines, health checks.
    &[r#"severity_number < SEVERITY_NUMBER_INFO"#],
    &[r#"IsMatch(body, "GET /health")"#],
    &[r#"attributes["http.route"] == "/health" or severity_text == "DEBUG""#],
    // A structured body, read by key.
    &[r#"body["level"] == "debug""#],
    &[r#"body.string == "42""#, r#"flags == 1"#],
    &[r#"resource.attributes["service.name"] == "checkout" and instrumentation_scope.version == "1.2""#],
    &[r#"trace_id.string == "0102030405060708090a0b0c0d0e0f10""#, r#"span_id == SpanID(0x0102030405060708)"#],
    &[r#"event_name == "login" or dropped_attributes_count > 0"#, r#"observed_time_unix_nano > time_unix_nano"#],
    // Every record: the request is emptied.
    &[r#"instrumentation_scope.name != "never""#],
    // No record: the request goes on as it came.
    &[r#"attributes["absent"] != nil"#],
    // Fails on bodies that are not maps or lists, and on short ones:
    // reported (ignore) or refusing (propagate) as decoding does.
    &[r#"body[0] == "a""#],
    &[r#"Substring(body, 0, 12) == "GET /health ""#],
];

/// The wire filter with the reader a load makes for `conds`.
fn filter_logs(conds: &Conditions, mode: ErrorMode, bytes: &[u8], errors: &mut Vec<RunError>) -> Result<Outcome, WireFailure> {
    filter::filter_logs(conds, log_reader(conds).expect("runs on the wire"), mode, bytes, errors)
}

fn conditions(list: &[&str]) -> Conditions {
    Conditions::compile(&ottl::LOG, funcs::table(), list).unwrap_or_else(|e| panic!("{list:?}: {e:?}"))
}

fn s(v: &str) -> Option<AnyValue> {
    Some(AnyValue { value: Some(V::StringValue(v.to_string())) })
}

fn kv(key: &str, value: Option<AnyValue>) -> KeyValue {
    KeyValue { key: key.to_string(), value, ..Default::default() }
}

/// Records of every body type and of the fields filters read, over two
/// resources and three scopes.
fn request() -> ExportLogsServiceRequest {
    let map = |pairs: &[(&str, &str)]| AnyValue { value: Some(V::KvlistValue(KeyValueList { values: pairs.iter().map(|(k, v)| kv(k, s(v))).collect() })) };
    let bodies = [
        s("GET /health 200"),
        s("GET /api/orders/7 500"),
        Some(map(&[("level", "debug"), ("msg", "cache miss")])),
        Some(map(&[("level", "error")])),
        Some(AnyValue { value: Some(V::ArrayValue(ArrayValue { values: vec![s("a").unwrap_or_default(), s("b").unwrap_or_default()] })) }),
        Some(AnyValue { value: Some(V::IntValue(42)) }),
        Some(AnyValue { value: Some(V::BytesValue(vec![1, 2, 3])) }),
        Some(AnyValue { value: None }),
        None,
        s("short"),
    ];
    let record = |i: usize, body: &Option<AnyValue>| LogRecord {
        time_unix_nano: 1_700_000_000_000_000_000 + i as u64,
        observed_time_unix_nano: if i.is_multiple_of(3) { 1_700_000_000_000_000_100 } else { 0 },
        severity_number: [5, 9, 13, 17, 1][i % 5],
        severity_text: ["DEBUG", "INFO", "WARN", "ERROR", "TRACE"][i % 5].to_string(),
        body: body.clone(),
        attributes: match i % 4 {
            0 => vec![kv("http.route", s("/health")), kv("n", Some(AnyValue { value: Some(V::IntValue(i as i64)) }))],
            1 => vec![kv("http.route", s("/api/orders"))],
            2 => vec![],
            _ => vec![kv("user", s("ada")), kv("empty", None)],
        },
        dropped_attributes_count: u32::from(i == 6),
        flags: (i % 2) as u32,
        trace_id: if i.is_multiple_of(2) { (1..=16).collect() } else { vec![] },
        span_id: if i % 3 == 1 { (1..=8).collect() } else { vec![] },
        event_name: if i == 4 { "login".into() } else { String::new() },
    };
    let records: Vec<LogRecord> = bodies.iter().enumerate().map(|(i, b)| record(i, b)).collect();
    let scope = |name: &str, version: &str| Some(InstrumentationScope { name: name.into(), version: version.into(), ..Default::default() });
    let resource = |service: &str| Some(Resource { attributes: vec![kv("service.name", s(service))], ..Default::default() });
    ExportLogsServiceRequest {
        resource_logs: vec![
            ResourceLogs {
                resource: resource("checkout"),
                scope_logs: vec![
                    ScopeLogs { scope: scope("http", "1.2"), log_records: records[..6].to_vec(), ..Default::default() },
                    ScopeLogs { scope: scope("db", "0.9"), log_records: records[6..8].to_vec(), ..Default::default() },
                ],
                ..Default::default()
            },
            ResourceLogs {
                resource: resource("cart"),
                scope_logs: vec![ScopeLogs { scope: scope("http", "1.2"), log_records: records[8..].to_vec(), ..Default::default() }],
                ..Default::default()
            },
        ],
    }
}

/// The request with each record's fields in a shuffled order, now and
/// then a severity written twice (the last counts) or an unknown field.
fn shuffled(req: &ExportLogsServiceRequest, seed: u64) -> Vec<u8> {
    shuffled_levels(&req.encode_to_vec(), seed, |next| LogRecord { severity_number: (next() % 25) as i32, ..Default::default() }.encode_to_vec())
}

/// `req` with an empty scope and an empty resource: a filter that drops
/// anything prunes those too.
fn with_empty_parts(mut req: ExportLogsServiceRequest) -> ExportLogsServiceRequest {
    req.resource_logs[0].scope_logs.insert(0, ScopeLogs::default());
    req.resource_logs.push(ResourceLogs::default());
    req
}

fn receivable(bytes: &[u8]) -> bool {
    use crate::otlp::{wire::validate, Signal};
    validate(Signal::Logs, bytes).is_ok() && ExportLogsServiceRequest::decode(bytes).is_ok()
}

/// Runs `list` both ways over `bytes`; whether the wire path ran.
fn same_as_decoded(list: &[&str], bytes: &[u8], mode: ErrorMode) -> bool {
    let conds = conditions(list);
    let mut decoded = ExportLogsServiceRequest::decode(bytes).expect("valid request");
    let (mut decoded_errors, mut wire_errors) = (Vec::new(), Vec::new());
    let by_decoding = ottl::filter_logs(&conds, &mut decoded, mode, &mut decoded_errors).map(|f| f.logs);
    let on_wire = filter_logs(&conds, mode, bytes, &mut wire_errors);
    let emptied = decoded.resource_logs.is_empty();
    agree(list, (by_decoding, &decoded, emptied), on_wire, (decoded_errors.len(), wire_errors.len()))
}

#[test]
fn every_list_drops_what_decoding_drops() {
    let plain = request();
    let layouts = [
        plain.encode_to_vec(),
        with_empty_parts(plain.clone()).encode_to_vec(),
        shuffled(&plain, 1),
        shuffled(&plain, 2),
        shuffled(&with_empty_parts(plain.clone()), 3),
    ];
    assert!(LISTS.iter().all(|list| log_reader(&conditions(list)).is_some()), "every list should run on the wire");
    on_every_layout(LISTS, &layouts, same_as_decoded);
}

/// What the lists do to the plain request: each kind of outcome happens,
/// and what is left is what decoding leaves.
#[test]
fn the_lists_drop_some_all_or_none() {
    let bytes = with_empty_parts(request()).encode_to_vec();
    let records = |r: &ExportLogsServiceRequest| r.resource_logs.iter().flat_map(|r| &r.scope_logs).map(|s| s.log_records.len()).sum::<usize>();
    let run = |list: &[&str], mode| filter_logs(&conditions(list), mode, &bytes, &mut Vec::new());
    let Ok(Outcome::Changed { bytes: out, dropped }) = run(LISTS[0], ErrorMode::Propagate) else { panic!("some debug records") };
    let left = ExportLogsServiceRequest::decode(&out[..]).expect("valid");
    assert_eq!(dropped, 4, "severities 5 and 1, twice each");
    assert_eq!(records(&left) + dropped, records(&request()));
    assert!(left.resource_logs.iter().flat_map(|r| &r.scope_logs).all(|s| !s.log_records.is_empty()), "the empty scope is pruned");
    assert_eq!(left.resource_logs.len(), 2, "the empty resource is pruned");
    let Ok(Outcome::Changed { dropped, .. }) = run(LISTS[1], ErrorMode::Propagate) else { panic!("one health check") };
    assert_eq!(dropped, 1);
    // Bodies that are not maps fail the index: under `ignore`, false.
    let Ok(Outcome::Changed { dropped, .. }) = run(LISTS[3], ErrorMode::Ignore) else { panic!("one debug body") };
    assert_eq!(dropped, 1);
    assert!(matches!(run(LISTS[8], ErrorMode::Propagate), Ok(Outcome::Emptied { dropped }) if dropped == records(&request())));
    assert!(matches!(run(LISTS[9], ErrorMode::Propagate), Ok(Outcome::Unchanged)));
    let mut errors = Vec::new();
    assert!(filter_logs(&conditions(LISTS[10]), ErrorMode::Ignore, &bytes, &mut errors).is_ok());
    assert!(!errors.is_empty(), "a string body cannot be indexed");
    assert!(matches!(run(LISTS[10], ErrorMode::Propagate), Err(WireFailure::Run(..))));
}

/// Conditions on what the wire context does not serve, and a body
/// written twice (prost merges the two), go the decoded way.
#[test]
fn what_the_wire_context_cannot_say_is_left_to_decoding() {
    assert!(log_reader(&conditions(&[r#"resource.dropped_attributes_count > 0"#])).is_none());
    assert!(log_reader(&conditions(&[r#"instrumentation_scope.attributes["a"] != nil"#])).is_none());
    let mut record = LogRecord { body: s("one"), ..Default::default() }.encode_to_vec();
    record.extend(LogRecord { body: s("two"), ..Default::default() }.encode_to_vec());
    let bytes = one_item(&record);
    assert!(matches!(filter_logs(&conditions(LISTS[1]), ErrorMode::Propagate, &bytes, &mut Vec::new()), Err(WireFailure::Decode(_))));
}

/// Mutated requests: no panic on any bytes; on those the receiver passes
/// on, a wire run agrees with decoding.
#[test]
fn mutated_requests_never_panic_and_valid_ones_agree_with_decoding() {
    let seeds = [with_empty_parts(request()).encode_to_vec(), shuffled(&request(), 4)];
    let run = |list: &[&str], bytes: &[u8]| drop(filter_logs(&conditions(list), ErrorMode::Ignore, bytes, &mut Vec::new()));
    over_mutations(&seeds, 0x10C5_F117, LISTS, run, receivable, same_as_decoded);
}
