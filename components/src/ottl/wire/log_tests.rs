//! Log statements on the wire against the decoded path: every program runs
//! both ways over the same requests (records with string, map, list and no
//! bodies; severities written, repeated and absent; attributes of every
//! kind), laid out as SDKs write them and shuffled field by field, and
//! the decoded results and the errors must be the same.

use prost::Message;
use solder_syntax::ottl::{funcs, ErrorMode, RunError, Statements};

use super::tests::{fields_of, kv, rng, shuffle};
use super::{supports_logs, transform_logs, WireBlock, WireFailure};
use crate::otlp::proto::common::v1::any_value::Value as V;
use crate::otlp::proto::common::v1::{AnyValue, ArrayValue, KeyValueList};
use crate::otlp::proto::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use crate::otlp::proto::resource::v1::Resource;
use crate::otlp::proto::ExportLogsServiceRequest;
use crate::ottl::{self, Group};

const PROGRAMS: &[&[&str]] = &[
    // What log pipelines write: parse the body, map the level, tidy up.
    &[r#"merge_maps(attributes, ParseJSON(body), "upsert") where IsMatch(body, "^\\{")"#, r#"set(severity_text, "WARN") where severity_number >= 13"#],
    &[r#"set(severity_number, SEVERITY_NUMBER_ERROR) where IsMatch(body, "(?i)error")"#, r#"set(severity_text, "ERROR") where severity_number == 17"#],
    &[r#"set(body, Concat([severity_text, body], ": ")) where IsString(body)"#],
    &[r#"set(body["handled"], true) where IsMap(body)"#, r#"set(body.string, "replaced") where body == nil"#],
    &[
        r#"set(attributes["level"], ParseSeverity(severity_number, {"error": [{"range": {"min": 17, "max": 24}}], "info": [{"range": {"min": 1, "max": 16}}]}))"#,
    ],
    &[r#"delete_key(attributes, "password")"#, r#"replace_pattern(body, "token=[a-z0-9]+", "token=***")"#],
    &[r#"keep_keys(attributes, ["http.route"])"#, r#"truncate_all(attributes, 4)"#],
    &[r#"set(attributes["service"], resource.attributes["service.name"])"#, r#"set(attributes["scope"], instrumentation_scope.name)"#],
    &[r#"set(severity_number, 0)"#, r#"set(severity_text, "")"#, r#"set(body, nil)"#],
    &[r#"set(attributes["trace"], trace_id.string)"#, r#"set(attributes["at"], time_unix_nano)"#],
    &[r#"set(severity_number, "not an int")"#, r#"set(attributes["after"], true)"#],
    &[r#"set(severity_text, "INFO") where severity_text == "INFO""#, r#"set(body, body)"#],
    // Times, ids and the rest of the record's own fields.
    &[r#"set(time, observed_time) where time_unix_nano == 0"#, r#"set(observed_time_unix_nano, time_unix_nano + 5)"#],
    &[
        r#"set(observed_time, Time("2024-01-02 03:04:05", "%Y-%m-%d %H:%M:%S")) where observed_time_unix_nano == 0"#,
        r#"set(attributes["late"], true) where time_unix_nano < observed_time_unix_nano"#,
    ],
    &[r#"set(trace_id.string, "0102030405060708090a0b0c0d0e0f10") where IsMatch(body, "(?i)error")"#, r#"set(span_id.string, "0102030405060708")"#],
    &[r#"set(attributes["t"], trace_id.string)"#, r#"set(trace_id, span_id)"#, r#"set(span_id.string, "00000000000000ff") where flags == 0"#],
    &[r#"set(flags, 1)"#, r#"set(dropped_attributes_count, 3)"#, r#"set(event_name, Concat(["event", severity_text], "."))"#],
    &[r#"set(flags, 0)"#, r#"set(event_name, "")"#, r#"set(time_unix_nano, 0)"#, r#"set(trace_id.string, "00000000000000000000000000000000")"#],
    &[r#"set(time_unix_nano, "soon")"#, r#"set(flags, -1)"#, r#"set(attributes["ran"], flags)"#],
];

fn record(i: usize) -> LogRecord {
    let body = match i % 5 {
        0 => Some(V::StringValue(format!("{{\"user\": \"u{i}\", \"took\": {i}}}"))),
        1 => Some(V::StringValue(format!("Error: request {i} failed token=abc{i}"))),
        2 => Some(V::KvlistValue(KeyValueList { values: vec![kv("event", Some(V::StringValue("login".into())))] })),
        3 => Some(V::ArrayValue(ArrayValue { values: vec![AnyValue { value: Some(V::IntValue(1)) }] })),
        _ => None,
    };
    LogRecord {
        time_unix_nano: 1_700_000_000_000_000_000 + i as u64,
        severity_number: [0, 9, 13, 17][i % 4],
        severity_text: ["", "INFO", "WARN", "ERROR"][i % 4].into(),
        body: body.map(|v| AnyValue { value: Some(v) }),
        attributes: vec![
            kv("http.route", Some(V::StringValue("/api/orders/{id}".into()))),
            kv("password", Some(V::StringValue("hunter2".into()))),
            kv("n", Some(V::IntValue(i as i64))),
        ],
        trace_id: vec![i as u8; 16],
        observed_time_unix_nano: if i.is_multiple_of(3) { 0 } else { 1_700_000_000_000_000_100 },
        span_id: if i.is_multiple_of(2) { vec![] } else { vec![7; 8] },
        flags: (i % 2) as u32,
        event_name: if i.is_multiple_of(4) { String::new() } else { format!("e{i}") },
        dropped_attributes_count: (i % 3) as u32,
    }
}

fn request() -> ExportLogsServiceRequest {
    let resource = Resource { attributes: vec![kv("service.name", Some(V::StringValue("orders".into())))], ..Default::default() };
    let scope = Some(crate::otlp::proto::common::v1::InstrumentationScope { name: "app".into(), ..Default::default() });
    let scope_logs = vec![ScopeLogs { scope, log_records: (0..20).map(record).collect(), ..Default::default() }];
    ExportLogsServiceRequest { resource_logs: vec![ResourceLogs { resource: Some(resource), scope_logs, ..Default::default() }] }
}

/// The request's records written field by field in a shuffled order, now
/// and then with a severity written twice or an unknown field.
fn shuffled_bytes(req: &ExportLogsServiceRequest, seed: u64) -> Vec<u8> {
    let mut next = rng(seed);
    let rl = &req.resource_logs[0];
    let mut sl = Vec::new();
    if let Some(scope) = &rl.scope_logs[0].scope {
        prost::encoding::message::encode(1, scope, &mut sl);
    }
    for r in &rl.scope_logs[0].log_records {
        let mut fields: Vec<Vec<u8>> = r.attributes.iter().map(|kv| LogRecord { attributes: vec![kv.clone()], ..Default::default() }.encode_to_vec()).collect();
        let mut rest = r.clone();
        rest.attributes.clear();
        fields.extend(fields_of(&rest.encode_to_vec()));
        shuffle(&mut fields, &mut next);
        match next() % 4 {
            0 => fields.push(LogRecord { severity_number: 5, severity_text: "late".into(), ..Default::default() }.encode_to_vec()),
            1 => {
                let mut unknown = Vec::new();
                prost::encoding::uint64::encode(100, &next(), &mut unknown);
                fields.insert((next() % (fields.len() as u64 + 1)) as usize, unknown);
            }
            _ => {}
        }
        prost::encoding::bytes::encode(2, &fields.concat(), &mut sl);
    }
    let mut out = Vec::new();
    if let Some(resource) = &rl.resource {
        prost::encoding::message::encode(1, resource, &mut out);
    }
    prost::encoding::bytes::encode(2, &sl, &mut out);
    let mut bytes = Vec::new();
    prost::encoding::bytes::encode(1, &out, &mut bytes);
    bytes
}

fn groups(program: &[&str]) -> Vec<Group> {
    let statements = Statements::compile(&ottl::LOG, funcs::table(), program).unwrap_or_else(|e| panic!("{program:?}: {e:?}"));
    vec![Group { schema: &ottl::LOG, statements }]
}

type Outcome = Result<ExportLogsServiceRequest, String>;

fn both(program: &[&str], bytes: &[u8], mode: ErrorMode) -> (Outcome, Outcome, Vec<RunError>, Vec<RunError>) {
    let gs = groups(program);
    let mut decoded = ExportLogsServiceRequest::decode(bytes).expect("valid request");
    let mut slow_errors = Vec::new();
    let slow = ottl::transform_logs(&gs, &mut decoded, mode, &mut slow_errors).map(|_| decoded).map_err(|e| e.message);
    let blocks: Vec<WireBlock<'_>> = gs.iter().map(|group| WireBlock { group, mode }).collect();
    let mut fast_errors = Vec::new();
    let fast = match transform_logs(&blocks, bytes, &mut fast_errors) {
        Ok(None) => Ok(ExportLogsServiceRequest::decode(bytes).expect("valid request")),
        Ok(Some(out)) => Ok(ExportLogsServiceRequest::decode(&out[..]).unwrap_or_else(|e| panic!("{program:?}: an undecodable request: {e}"))),
        Err(WireFailure::Run(_, e)) => Err(e.message),
        Err(WireFailure::Decode(e)) => panic!("{program:?}: a valid request left to the decoder: {e}"),
    };
    (slow, fast, slow_errors, fast_errors.into_iter().map(|(_, e)| e).collect())
}

#[test]
fn every_log_program_gives_what_decoding_gives_however_the_records_are_laid_out() {
    let req = request();
    let layouts = std::iter::once(req.encode_to_vec()).chain((1..=24).map(|seed| shuffled_bytes(&req, seed)));
    for (n, bytes) in layouts.enumerate() {
        for program in PROGRAMS {
            assert!(supports_logs(&groups(program).iter().collect::<Vec<_>>()), "{program:?} should run on the wire");
            let (slow, fast, slow_errors, fast_errors) = both(program, &bytes, ErrorMode::Ignore);
            assert_eq!(fast, slow, "layout {n}: {program:?}");
            assert_eq!(fast_errors, slow_errors, "layout {n}: {program:?}");
        }
    }
}

#[test]
fn a_log_request_nothing_changes_goes_on_as_its_bytes() {
    let bytes = request().encode_to_vec();
    let gs = groups(&[r#"set(severity_text, "X") where severity_number == 99"#, r#"delete_key(attributes, "absent")"#]);
    let blocks: Vec<WireBlock<'_>> = gs.iter().map(|group| WireBlock { group, mode: ErrorMode::Propagate }).collect();
    assert!(matches!(transform_logs(&blocks, &bytes, &mut Vec::new()), Ok(None)));
}

#[test]
fn log_programs_beyond_what_the_wire_writes_are_left_to_decoding() {
    for program in [&[r#"set(resource.attributes["x"], "y")"#][..], &[r#"set(instrumentation_scope.name, "y")"#]] {
        assert!(!supports_logs(&groups(program).iter().collect::<Vec<_>>()), "{program:?} should be decoded");
    }
}

/// Any byte changed in a request: never a panic, and a request decoding
/// accepts gives what decoding gives.
#[test]
fn damaged_log_requests_never_panic_and_agree_when_they_decode() {
    let bytes = shuffled_bytes(&request(), 7);
    let mut next = rng(11);
    for _ in 0..1500 {
        let mut damaged = bytes.clone();
        let at = (next() % damaged.len() as u64) as usize;
        damaged[at] = next() as u8;
        let program = PROGRAMS[(next() % PROGRAMS.len() as u64) as usize];
        let gs = groups(program);
        let blocks: Vec<WireBlock<'_>> = gs.iter().map(|group| WireBlock { group, mode: ErrorMode::Ignore }).collect();
        let fast = transform_logs(&blocks, &damaged, &mut Vec::new());
        let Ok(mut decoded) = ExportLogsServiceRequest::decode(&damaged[..]) else { continue };
        if crate::otlp::wire::validate(crate::otlp::Signal::Logs, &damaged).is_err() {
            continue;
        }
        ottl::transform_logs(&gs, &mut decoded, ErrorMode::Ignore, &mut Vec::new()).expect("ignore mode");
        match fast {
            Ok(None) => assert_eq!(ExportLogsServiceRequest::decode(&damaged[..]).ok(), Some(decoded), "{program:?}"),
            Ok(Some(out)) => assert_eq!(ExportLogsServiceRequest::decode(&out[..]).ok(), Some(decoded), "{program:?}"),
            Err(_) => {}
        }
    }
}
