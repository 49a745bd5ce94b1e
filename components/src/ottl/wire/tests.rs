//! The wire path against the decoded one: every program runs both ways
//! over the same requests, and the decoded results and the errors must be
//! the same. Requests include the shapes the wire walk must not get wrong:
//! spans with no attributes or status, list, map, empty and bytes values,
//! a name written twice, a request with an unknown field.

use prost::Message;
use solder_syntax::ottl::{funcs, ErrorMode, RunError, Statements};

use super::{supports, transform_traces, WireBlock, WireFailure};
use crate::otlp::proto::common::v1::any_value::Value as V;
use crate::otlp::proto::common::v1::{AnyValue, ArrayValue, KeyValue, KeyValueList};
use crate::otlp::proto::trace::v1::{Span, Status};
use crate::otlp::proto::ExportTraceServiceRequest;
use crate::otlp::synthetic;
use crate::ottl::{self, Group};

/// The benchmark's five statements.
pub(super) const FIVE: &[&str] = &[
    r#"replace_pattern(name, "/api/orders/[0-9]+", "/api/orders/{id}")"#,
    r#"set(attributes["deployment.environment"], "production")"#,
    r#"delete_key(attributes, "user_agent.original")"#,
    r#"set(status.code, STATUS_CODE_ERROR) where attributes["http.response.status_code"] >= 500"#,
    r#"truncate_all(attributes, 256)"#,
];

const PROGRAMS: &[&[&str]] = &[
    FIVE,
    &[r#"set(name, "renamed") where name == "no such span""#],
    &[r#"set(attributes["nested"]["deeper"], 1)"#, r#"set(attributes["list"][1], "second")"#],
    &[r#"keep_keys(attributes, ["http.route", "list"])"#],
    &[r#"delete_matching_keys(attributes, "^(server|http)\\..*")"#],
    &[r#"set(kind, SPAN_KIND_CLIENT) where kind == SPAN_KIND_SERVER"#, r#"set(kind.string, "Producer") where IsMatch(name, "checkout")"#],
    &[r#"set(status.message, "boom")"#],
    &[
        r#"set(attributes["service"], resource.attributes["service.name"])"#,
        r#"set(attributes["scope"], Concat([instrumentation_scope.name, instrumentation_scope.version], "@"))"#,
    ],
    &[r#"truncate_all(attributes, 3)"#],
    &[r#"set(attributes, {"only": "this", "n": 2})"#],
    &[r#"replace_all_patterns(attributes, "value", "GET", "get")"#],
    &[r#"set(attributes["trace"], trace_id.string)"#, r#"set(attributes["took"], end_time_unix_nano - start_time_unix_nano)"#],
    &[r#"set(attributes["whole"], attributes)"#, r#"set(attributes["bytes_len"], Len(attributes["raw"]))"#],
    &[r#"set(status.code, "not an int")"#, r#"set(name, Concat([name, "!"], ""))"#],
    &[r#"set(name, "")"#, r#"set(kind, 0)"#],
    &[r#"set_semconv_span_name("1.37.0", "original")"#, r#"set(attributes["root"], IsRootSpan())"#],
    &[
        r#"set(attributes["port"], attributes["server.port"] + 1)"#,
        r#"set(attributes["copies"], [attributes["ratio"], attributes["raw"], attributes["map"]["inner"], attributes["list"][0], attributes["empty"], attributes["http.route"], attributes["absent"]])"#,
    ],
];

pub(super) fn kv(key: &str, v: Option<V>) -> KeyValue {
    KeyValue { key: key.to_string(), value: Some(AnyValue { value: v }), ..Default::default() }
}

/// A synthetic request with every value kind and a few odd spans.
pub(super) fn request() -> ExportTraceServiceRequest {
    let mut req = synthetic::request(3, 12);
    let spans: Vec<_> = req.resource_spans.iter_mut().flat_map(|r| &mut r.scope_spans).flat_map(|s| &mut s.spans).collect();
    for (i, span) in spans.into_iter().enumerate() {
        match i % 4 {
            0 => span.attributes.clear(),
            1 => span.attributes.extend([
                kv(
                    "list",
                    Some(V::ArrayValue(ArrayValue {
                        values: vec![AnyValue { value: Some(V::IntValue(1)) }, AnyValue { value: Some(V::StringValue("b".into())) }],
                    })),
                ),
                kv("map", Some(V::KvlistValue(KeyValueList { values: vec![kv("inner", Some(V::BoolValue(true)))] }))),
                kv("empty", None),
                kv("raw", Some(V::BytesValue(vec![1, 2, 3]))),
                kv("ratio", Some(V::DoubleValue(0.25))),
                kv("user_agent.original", Some(V::StringValue("Mozilla/5.0".into()))),
            ]),
            2 => span.status = Some(Status { message: "was".into(), code: 1 }),
            _ => span.name = "/api/orders/42".into(),
        }
    }
    req
}

/// The request's bytes with the first span's name written a second time,
/// one more attribute after it (so its attributes lie in two runs) and an
/// unknown field at the top: prost keeps the last name, joins the
/// attributes and skips the field, and so must the wire path.
pub(super) fn odd_bytes(req: &ExportTraceServiceRequest) -> Vec<u8> {
    let mut req = req.clone();
    let span = &mut req.resource_spans[0].scope_spans[0].spans[0];
    let mut span_bytes = span.encode_to_vec();
    prost::encoding::string::encode(5, &"second name".to_string(), &mut span_bytes);
    prost::encoding::message::encode(9, &kv("late", Some(V::StringValue("x".repeat(300)))), &mut span_bytes);
    let decoded_again = crate::otlp::proto::trace::v1::Span::decode(&span_bytes[..]).expect("span");
    *span = decoded_again;
    let mut bytes = Vec::new();
    let rs = &req.resource_spans[0];
    let mut ss = Vec::new();
    if let Some(scope) = &rs.scope_spans[0].scope {
        prost::encoding::message::encode(1, scope, &mut ss);
    }
    prost::encoding::bytes::encode(2, &span_bytes, &mut ss);
    for s in &rs.scope_spans[0].spans[1..] {
        prost::encoding::message::encode(2, s, &mut ss);
    }
    let mut r = Vec::new();
    if let Some(resource) = &rs.resource {
        prost::encoding::message::encode(1, resource, &mut r);
    }
    prost::encoding::bytes::encode(2, &ss, &mut r);
    prost::encoding::bytes::encode(1, &r, &mut bytes);
    prost::encoding::uint64::encode(9, &7, &mut bytes);
    bytes
}

pub(super) fn groups(program: &[&str]) -> Vec<Group> {
    let statements = Statements::compile(&ottl::SPAN, funcs::table(), program).unwrap_or_else(|e| panic!("{program:?}: {e:?}"));
    vec![Group { schema: &ottl::SPAN, statements }]
}

/// A path's result: the request it leaves, or the error that refused it.
type Outcome = Result<ExportTraceServiceRequest, String>;

/// Runs a program both ways; returns the two results as decoded requests
/// and the two error lists.
fn both(program: &[&str], bytes: &[u8], mode: ErrorMode) -> (Outcome, Outcome, Vec<RunError>, Vec<RunError>) {
    let gs = groups(program);
    let mut decoded = ExportTraceServiceRequest::decode(bytes).expect("valid request");
    let mut slow_errors = Vec::new();
    let slow = ottl::transform_traces(&gs, &mut decoded, mode, &mut slow_errors).map(|_| decoded).map_err(|e| e.message);
    let blocks: Vec<WireBlock<'_>> = gs.iter().map(|group| WireBlock { group, mode }).collect();
    let mut fast_errors = Vec::new();
    let fast = match transform_traces(&blocks, bytes, &mut fast_errors) {
        Ok(None) => Ok(ExportTraceServiceRequest::decode(bytes).expect("valid request")),
        Ok(Some(out)) => {
            Ok(ExportTraceServiceRequest::decode(&out[..]).unwrap_or_else(|e| panic!("{program:?}: the wire path wrote an undecodable request: {e}")))
        }
        Err(WireFailure::Run(_, e)) => Err(e.message),
        Err(WireFailure::Decode(e)) => panic!("{program:?}: a valid request left to the decoder: {e}"),
    };
    (slow, fast, slow_errors, fast_errors.into_iter().map(|(_, e)| e).collect())
}

#[test]
fn every_program_gives_what_decoding_gives() {
    let req = request();
    for bytes in [req.encode_to_vec(), odd_bytes(&req)] {
        for program in PROGRAMS {
            assert!(supports(&groups(program).iter().collect::<Vec<_>>()), "{program:?} should run on the wire");
            let (slow, fast, slow_errors, fast_errors) = both(program, &bytes, ErrorMode::Ignore);
            assert_eq!(fast, slow, "{program:?}");
            assert_eq!(fast_errors, slow_errors, "{program:?}");
        }
    }
}

#[test]
fn a_request_nothing_changes_goes_on_as_its_bytes() {
    let bytes = request().encode_to_vec();
    let gs = groups(&[r#"set(name, "renamed") where name == "no such span""#, r#"delete_key(attributes, "absent")"#]);
    let blocks: Vec<WireBlock<'_>> = gs.iter().map(|group| WireBlock { group, mode: ErrorMode::Propagate }).collect();
    assert!(matches!(transform_traces(&blocks, &bytes, &mut Vec::new()), Ok(None)));
}

#[test]
fn propagate_refuses_the_request_as_decoding_does() {
    let bytes = request().encode_to_vec();
    let (slow, fast, _, _) = both(&[r#"set(status.code, "not an int")"#], &bytes, ErrorMode::Propagate);
    let (Err(slow), Err(fast)) = (slow, fast) else { panic!("both paths refuse") };
    assert_eq!(fast, slow);
}

#[test]
fn programs_beyond_the_span_are_left_to_decoding() {
    for program in [
        &[r#"set(resource.attributes["x"], "y")"#][..],
        &[r#"set(instrumentation_scope.name, "y")"#],
        &[r#"set(trace_id.string, "0102")"#],
        &[r#"set(end_time_unix_nano, 1)"#],
    ] {
        assert!(!supports(&groups(program).iter().collect::<Vec<_>>()), "{program:?} should be decoded");
    }
    let events = Statements::compile(&ottl::SPANEVENT, funcs::table(), &[r#"set(name, "e")"#]).expect("compiles");
    assert!(!supports(&[&Group { schema: &ottl::SPANEVENT, statements: events }]));
}

/// A small deterministic generator (xorshift): the same layouts every run.
pub(super) fn rng(seed: u64) -> impl FnMut() -> u64 {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    }
}

/// A message's fields, each as its own encoding.
pub(super) fn fields_of(whole: &[u8]) -> Vec<Vec<u8>> {
    let mut fields = Vec::new();
    let mut at = 0;
    while at < whole.len() {
        let start = at;
        let mut buf = &whole[at..];
        let (tag, wire_type) = prost::encoding::decode_key(&mut buf).expect("key");
        prost::encoding::skip_field(wire_type, tag, &mut buf, Default::default()).expect("field");
        at = whole.len() - buf.len();
        fields.push(whole[start..at].to_vec());
    }
    fields
}

/// Fisher-Yates, by the test's generator.
pub(super) fn shuffle<T>(items: &mut [T], next: &mut impl FnMut() -> u64) {
    for i in (1..items.len()).rev() {
        items.swap(i, (next() % (i as u64 + 1)) as usize);
    }
}

/// The request's spans written field by field in a shuffled order, as any
/// sender may write them: attributes in several runs with other fields
/// between them, now and then a name written twice or an unknown field.
/// Decoding reads all of these as one span; so must the wire walk.
pub(super) fn shuffled_bytes(req: &ExportTraceServiceRequest, seed: u64) -> Vec<u8> {
    let mut next = rng(seed);
    let rs = &req.resource_spans[0];
    let mut ss = Vec::new();
    if let Some(scope) = &rs.scope_spans[0].scope {
        prost::encoding::message::encode(1, scope, &mut ss);
    }
    for span in &rs.scope_spans[0].spans {
        // Each field alone, as its own encoding.
        let mut fields: Vec<Vec<u8>> = span.attributes.iter().map(|kv| Span { attributes: vec![kv.clone()], ..Default::default() }.encode_to_vec()).collect();
        let mut rest = span.clone();
        rest.attributes.clear();
        fields.extend(fields_of(&rest.encode_to_vec()));
        shuffle(&mut fields, &mut next);
        match next() % 4 {
            0 => fields.push(Span { name: format!("late name {}", next() % 10), ..Default::default() }.encode_to_vec()),
            1 => {
                let mut unknown = Vec::new();
                prost::encoding::uint64::encode(100, &next(), &mut unknown);
                fields.insert((next() % (fields.len() as u64 + 1)) as usize, unknown);
            }
            _ => {}
        }
        prost::encoding::bytes::encode(2, &fields.concat(), &mut ss);
    }
    let mut r = Vec::new();
    if let Some(resource) = &rs.resource {
        prost::encoding::message::encode(1, resource, &mut r);
    }
    prost::encoding::bytes::encode(2, &ss, &mut r);
    let mut bytes = Vec::new();
    prost::encoding::bytes::encode(1, &r, &mut bytes);
    bytes
}

#[test]
fn every_program_gives_what_decoding_gives_however_the_spans_are_laid_out() {
    let req = request();
    for seed in 1..=40 {
        let bytes = shuffled_bytes(&req, seed);
        for program in PROGRAMS {
            let (slow, fast, slow_errors, fast_errors) = both(program, &bytes, ErrorMode::Ignore);
            assert_eq!(fast, slow, "seed {seed}: {program:?}");
            assert_eq!(fast_errors, slow_errors, "seed {seed}: {program:?}");
        }
    }
}
