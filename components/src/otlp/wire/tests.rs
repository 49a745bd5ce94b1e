//! The validator must agree with prost: every payload it accepts decodes,
//! and (so that nothing valid is refused) every payload prost decodes is
//! accepted, with the same item count.

use prost::Message as _;

use super::validate;
use crate::otlp::proto::common::v1::{any_value, AnyValue, InstrumentationScope, KeyValue, KeyValueList};
use crate::otlp::proto::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use crate::otlp::proto::metrics::v1::{self as m, exponential_histogram_data_point::Buckets, metric, number_data_point};
use crate::otlp::proto::resource::v1::Resource;
use crate::otlp::proto::trace::v1::{span, ResourceSpans, ScopeSpans, Span, Status};
use crate::otlp::proto::{ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest};
use crate::otlp::Signal;

fn kv(key: &str, value: any_value::Value) -> KeyValue {
    KeyValue { key: key.into(), value: Some(AnyValue { value: Some(value) }), ..Default::default() }
}

fn attributes() -> Vec<KeyValue> {
    use any_value::Value::*;
    let nested = KvlistValue(KeyValueList {
        values: vec![kv(
            "inner",
            ArrayValue(crate::otlp::proto::common::v1::ArrayValue {
                values: vec![AnyValue { value: Some(IntValue(-7)) }, AnyValue { value: Some(DoubleValue(1.5)) }],
            }),
        )],
    });
    vec![kv("http.method", StringValue("GET".into())), kv("ok", BoolValue(true)), kv("raw", BytesValue(vec![0, 255])), kv("n", nested)]
}

fn resource() -> Option<Resource> {
    Some(Resource { attributes: vec![kv("service.name", any_value::Value::StringValue("checkout".into()))], ..Default::default() })
}

fn scope() -> Option<InstrumentationScope> {
    Some(InstrumentationScope { name: "lib".into(), version: "1.0".into(), attributes: attributes(), dropped_attributes_count: 1 })
}

fn sample_traces() -> ExportTraceServiceRequest {
    let span = |name: &str| Span {
        trace_id: vec![1; 16],
        span_id: vec![2; 8],
        parent_span_id: vec![3; 8],
        trace_state: "k=v".into(),
        flags: 0x301,
        name: name.into(),
        kind: span::SpanKind::Server as i32,
        start_time_unix_nano: 1_700_000_000_000_000_000,
        end_time_unix_nano: 1_700_000_000_100_000_000,
        attributes: attributes(),
        events: vec![span::Event { time_unix_nano: 5, name: "ev".into(), attributes: attributes(), dropped_attributes_count: 0 }],
        links: vec![span::Link { trace_id: vec![4; 16], span_id: vec![5; 8], flags: 1, ..Default::default() }],
        status: Some(Status { message: "boom".into(), code: 2 }),
        ..Default::default()
    };
    ExportTraceServiceRequest {
        resource_spans: vec![
            ResourceSpans {
                resource: resource(),
                scope_spans: vec![ScopeSpans { scope: scope(), spans: vec![span("a"), span("b")], schema_url: "s".into() }],
                schema_url: String::new(),
            },
            ResourceSpans {
                resource: None,
                scope_spans: vec![ScopeSpans { scope: None, spans: vec![span("c")], schema_url: String::new() }],
                schema_url: String::new(),
            },
        ],
    }
}

fn sample_metrics() -> ExportMetricsServiceRequest {
    let exemplar = m::Exemplar {
        filtered_attributes: attributes(),
        time_unix_nano: 9,
        span_id: vec![1; 8],
        trace_id: vec![2; 16],
        value: Some(m::exemplar::Value::AsDouble(0.5)),
    };
    let number = |v: number_data_point::Value| m::NumberDataPoint {
        attributes: attributes(),
        time_unix_nano: 10,
        value: Some(v),
        exemplars: vec![exemplar.clone()],
        ..Default::default()
    };
    let metric =
        |name: &str, data: metric::Data| m::Metric { name: name.into(), unit: "1".into(), data: Some(data), metadata: attributes(), ..Default::default() };
    let metrics = vec![
        metric(
            "g",
            metric::Data::Gauge(m::Gauge { data_points: vec![number(number_data_point::Value::AsInt(-3)), number(number_data_point::Value::AsDouble(2.5))] }),
        ),
        metric(
            "s",
            metric::Data::Sum(m::Sum { data_points: vec![number(number_data_point::Value::AsInt(4))], aggregation_temporality: 2, is_monotonic: true }),
        ),
        metric(
            "h",
            metric::Data::Histogram(m::Histogram {
                data_points: vec![m::HistogramDataPoint {
                    count: 3,
                    sum: Some(6.0),
                    bucket_counts: vec![1, 2, 0],
                    explicit_bounds: vec![1.0, 5.0],
                    exemplars: vec![exemplar.clone()],
                    min: Some(0.5),
                    max: Some(4.0),
                    ..Default::default()
                }],
                aggregation_temporality: 1,
            }),
        ),
        metric(
            "e",
            metric::Data::ExponentialHistogram(m::ExponentialHistogram {
                data_points: vec![m::ExponentialHistogramDataPoint {
                    count: 5,
                    scale: -2,
                    zero_count: 1,
                    zero_threshold: 0.001,
                    positive: Some(Buckets { offset: -1, bucket_counts: vec![1, 300, 0] }),
                    negative: Some(Buckets { offset: 2, bucket_counts: vec![1] }),
                    ..Default::default()
                }],
                aggregation_temporality: 2,
            }),
        ),
        metric(
            "q",
            metric::Data::Summary(m::Summary {
                data_points: vec![m::SummaryDataPoint {
                    count: 2,
                    sum: 3.0,
                    quantile_values: vec![m::summary_data_point::ValueAtQuantile { quantile: 0.5, value: 1.0 }],
                    ..Default::default()
                }],
            }),
        ),
    ];
    ExportMetricsServiceRequest {
        resource_metrics: vec![m::ResourceMetrics {
            resource: resource(),
            scope_metrics: vec![m::ScopeMetrics { scope: scope(), metrics, schema_url: String::new() }],
            schema_url: String::new(),
        }],
    }
}

fn sample_logs() -> ExportLogsServiceRequest {
    let record = |body: &str| LogRecord {
        time_unix_nano: 1,
        observed_time_unix_nano: 2,
        severity_number: 9,
        severity_text: "INFO".into(),
        body: Some(AnyValue { value: Some(any_value::Value::StringValue(body.into())) }),
        attributes: attributes(),
        flags: 1,
        trace_id: vec![1; 16],
        span_id: vec![2; 8],
        event_name: "e".into(),
        ..Default::default()
    };
    ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            resource: resource(),
            scope_logs: vec![ScopeLogs { scope: scope(), log_records: vec![record("x"), record("y")], schema_url: String::new() }],
            schema_url: String::new(),
        }],
    }
}

/// Items as the decoded message holds them.
fn decoded_items(signal: Signal, bytes: &[u8]) -> Result<usize, prost::DecodeError> {
    Ok(match signal {
        Signal::Traces => ExportTraceServiceRequest::decode(bytes)?.resource_spans.iter().flat_map(|r| &r.scope_spans).map(|s| s.spans.len()).sum(),
        Signal::Logs => ExportLogsServiceRequest::decode(bytes)?.resource_logs.iter().flat_map(|r| &r.scope_logs).map(|s| s.log_records.len()).sum(),
        Signal::Metrics => ExportMetricsServiceRequest::decode(bytes)?
            .resource_metrics
            .iter()
            .flat_map(|r| &r.scope_metrics)
            .flat_map(|s| &s.metrics)
            .map(crate::otlp::data_points)
            .sum(),
    })
}

/// Validation and prost agree on `bytes`: both fail, or both succeed with
/// the same number of items.
fn agree(signal: Signal, bytes: &[u8]) -> bool {
    match (validate(signal, bytes), decoded_items(signal, bytes)) {
        (Ok(a), Ok(b)) => a == b,
        (Err(_), Err(_)) => true,
        _ => false,
    }
}

fn samples() -> Vec<(Signal, Vec<u8>)> {
    vec![(Signal::Traces, sample_traces().encode_to_vec()), (Signal::Metrics, sample_metrics().encode_to_vec()), (Signal::Logs, sample_logs().encode_to_vec())]
}

#[test]
fn valid_requests_pass_and_count_their_items() {
    let counts: Vec<usize> = samples().iter().map(|(s, b)| validate(*s, b).unwrap()).collect();
    assert_eq!(counts, [3, 6, 2]);
    assert_eq!(validate(Signal::Traces, &[]), Ok(0));
}

#[test]
fn every_truncation_agrees_with_prost() {
    for (signal, bytes) in samples() {
        for end in 0..bytes.len() {
            assert!(agree(signal, &bytes[..end]), "{signal:?} cut at {end}: validate {:?}", validate(signal, &bytes[..end]));
        }
    }
}

/// Finds the bytes of `needle` in `hay`.
fn find(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len()).position(|w| w == needle).unwrap()
}

#[test]
fn invalid_utf8_in_a_string_field_is_refused_with_its_name() {
    let mut bytes = sample_traces().encode_to_vec();
    let at = find(&bytes, b"boom");
    bytes[at] = 0xff;
    let e = validate(Signal::Traces, &bytes).unwrap_err();
    assert_eq!(e.message, "Status.message: invalid UTF-8");
    assert_eq!(e.offset, at);
    assert!(ExportTraceServiceRequest::decode(&bytes[..]).is_err());
    // Bytes fields hold anything.
    let mut bytes = sample_traces().encode_to_vec();
    let at = find(&bytes, &[1; 16]);
    bytes[at] = 0xff;
    assert_eq!(validate(Signal::Traces, &bytes), Ok(3));
}

#[test]
fn a_known_field_with_the_wrong_wire_type_is_refused() {
    // Span { name (5) as a varint }.
    let span = [0x28, 0x01];
    let bytes = wrap(&[(1, 2), (2, 2), (2, 2)], &span);
    let e = validate(Signal::Traces, &bytes).unwrap_err();
    assert_eq!(e.message, "Span.name: wire type 0, expected 2");
    assert!(ExportTraceServiceRequest::decode(&bytes[..]).is_err());
}

#[test]
fn unknown_fields_and_groups_are_skipped_like_prost() {
    // Span { 99: varint, 100: fixed32, 101: group { 1: varint }, name = "x" }.
    let span = [0x98, 0x06, 0x07, 0xa5, 0x06, 1, 2, 3, 4, 0xab, 0x06, 0x08, 0x01, 0xac, 0x06, 0x2a, 0x01, b'x'];
    let bytes = wrap(&[(1, 2), (2, 2), (2, 2)], &span);
    assert_eq!(validate(Signal::Traces, &bytes), Ok(1));
    assert!(agree(Signal::Traces, &bytes));
    // A group closed by the wrong end tag, and a stray end-group.
    for bad in [&[0xab, 0x06, 0xb4, 0x06][..], &[0xac, 0x06]] {
        let bytes = wrap(&[(1, 2), (2, 2), (2, 2)], bad);
        assert!(validate(Signal::Traces, &bytes).is_err());
        assert!(agree(Signal::Traces, &bytes));
    }
}

#[test]
fn repeated_numbers_may_be_packed_or_not() {
    // HistogramDataPoint { bucket_counts (6) unpacked: two fixed64 }.
    let mut point = vec![0x31];
    point.extend_from_slice(&7u64.to_le_bytes());
    point.push(0x31);
    point.extend_from_slice(&8u64.to_le_bytes());
    let bytes = wrap(&[(1, 2), (2, 2), (2, 2), (9, 2), (1, 2)], &point);
    assert_eq!(validate(Signal::Metrics, &bytes), Ok(1));
    assert!(agree(Signal::Metrics, &bytes));
    // Packed with a length that is not a multiple of 8.
    let bytes = wrap(&[(1, 2), (2, 2), (2, 2), (9, 2), (1, 2)], &[0x32, 3, 1, 2, 3]);
    assert!(validate(Signal::Metrics, &bytes).is_err());
    assert!(agree(Signal::Metrics, &bytes));
}

#[test]
fn only_the_last_member_of_metric_data_counts() {
    // Metric { gauge { 2 points }, sum { 1 point } }: prost keeps the sum.
    let gauge = wrap(&[(5, 2)], &[0x0a, 0x00, 0x0a, 0x00]);
    let sum = wrap(&[(7, 2)], &[0x0a, 0x00]);
    let metric = [gauge.clone(), sum, gauge].concat();
    let bytes = wrap(&[(1, 2), (2, 2), (2, 2)], &metric);
    assert_eq!(validate(Signal::Metrics, &bytes), Ok(2));
    assert!(agree(Signal::Metrics, &bytes));
}

#[test]
fn nesting_is_limited_exactly_where_prost_limits_it() {
    let mut outcomes = std::collections::BTreeSet::new();
    for depth in 25..40 {
        // KeyValue { value: AnyValue { kvlist: KeyValueList { values: KeyValue { ... } } } }, 2 levels each.
        let mut inner: Vec<u8> = Vec::new();
        for _ in 0..depth {
            let any = wrap(&[(6, 2)], &wrap(&[(1, 2)], &inner));
            inner = wrap(&[(2, 2)], &any);
        }
        let bytes = wrap(&[(1, 2), (2, 2), (2, 2), (9, 2)], &inner);
        assert!(agree(Signal::Traces, &bytes), "depth {depth}: {:?}", validate(Signal::Traces, &bytes));
        outcomes.insert(validate(Signal::Traces, &bytes).map_err(|e| e.message));
    }
    assert_eq!(outcomes, [Ok(1), Err("messages nested deeper than 100 levels".to_string())].into());
}

#[test]
fn varints_follow_prosts_ten_byte_rule() {
    // Span { dropped_attributes_count (10) = a ten-byte varint whose last byte is 1, then 2 }.
    for (last, ok) in [(0x01, true), (0x02, false)] {
        let mut span = vec![0x50];
        span.extend_from_slice(&[0xff; 9]);
        span.push(last);
        let bytes = wrap(&[(1, 2), (2, 2), (2, 2)], &span);
        assert_eq!(validate(Signal::Traces, &bytes).is_ok(), ok);
        assert!(agree(Signal::Traces, &bytes));
    }
}

#[test]
fn random_corruptions_agree_with_prost() {
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let mut refused = 0;
    for (signal, original) in samples() {
        for _ in 0..4000 {
            let mut bytes = original.clone();
            for _ in 0..1 + next() % 3 {
                let at = (next() as usize) % bytes.len().max(1);
                match next() % 6 {
                    0 => bytes[at] ^= 1 << (next() % 8),
                    1 => bytes[at] = next() as u8,
                    2 => bytes.truncate(at),
                    3 if !bytes.is_empty() => {
                        bytes.remove(at);
                    }
                    4 => bytes.insert(at.min(bytes.len()), next() as u8),
                    _ => bytes[at] = [0x80, 0xff, 0x00, 0x7f][(next() % 4) as usize],
                }
                if bytes.is_empty() {
                    break;
                }
            }
            let verdict = validate(signal, &bytes);
            refused += usize::from(verdict.is_err());
            assert!(agree(signal, &bytes), "{signal:?}: validate says {verdict:?}, prost says {:?} for {bytes:02x?}", decoded_items(signal, &bytes));
        }
    }
    assert!(refused > 1000, "the corruptions should mostly be caught ({refused})");
}

/// Wraps `body` in length-delimited fields, innermost last: `path` is
/// `[(field, 2), ...]` from the outside in.
fn wrap(path: &[(u8, u8)], body: &[u8]) -> Vec<u8> {
    let mut out = body.to_vec();
    for &(field, wire_type) in path.iter().rev() {
        let mut outer = vec![(field << 3) | wire_type];
        prost::encoding::encode_varint(out.len() as u64, &mut outer);
        outer.extend_from_slice(&out);
        out = outer;
    }
    out
}

#[test]
fn wrap_builds_what_prost_builds() {
    let span = Span { name: "x".into(), ..Default::default() };
    let req = ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans { scope_spans: vec![ScopeSpans { spans: vec![span], ..Default::default() }], ..Default::default() }],
    };
    assert_eq!(wrap(&[(1, 2), (2, 2), (2, 2)], &[0x2a, 0x01, b'x']), req.encode_to_vec());
}

/// The `otlp_wire` fuzz target's seed corpus (`components/fuzz/seeds`)
/// is these samples, each behind the byte that picks its signal, so the
/// fuzzer starts from well-formed requests of every shape. A sample that
/// changes without its seed fails here; `SOLDER_WRITE_FUZZ_SEEDS=1`
/// rewrites the seeds instead.
#[test]
fn fuzz_seeds_are_the_samples() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/otlp_wire");
    let rewrite = std::env::var_os("SOLDER_WRITE_FUZZ_SEEDS").is_some();
    for (signal, bytes) in samples() {
        let pick = match signal {
            Signal::Traces => 0,
            Signal::Metrics => 1,
            Signal::Logs => 2,
        };
        let (path, seed) = (dir.join(signal.as_str()), [&[pick][..], &bytes].concat());
        if rewrite {
            std::fs::write(&path, &seed).expect("the seed directory is writable");
        }
        let on_disk = std::fs::read(&path).unwrap_or_default();
        assert!(on_disk == seed, "{} is not the {signal:?} sample; rerun with SOLDER_WRITE_FUZZ_SEEDS=1", path.display());
    }
}

/// `case`, every truncation of it, and every one-byte change of it.
fn variants(case: &[u8]) -> Vec<Vec<u8>> {
    let mut all = vec![case.to_vec()];
    all.extend((0..case.len()).map(|n| case[..n].to_vec()));
    for i in 0..case.len() {
        for b in 0..=u8::MAX {
            let mut v = case.to_vec();
            v[i] = b;
            all.push(v);
        }
    }
    all
}

/// The attribute fast path accepts only what the general walk accepts
/// (and then counts no items), for every attribute of the samples and
/// every truncation and one-byte change of them.
#[test]
fn the_attribute_fast_path_accepts_nothing_the_schema_walk_refuses() {
    let mut cases: Vec<Vec<u8>> = attributes().iter().map(|a| a.encode_to_vec()).collect();
    cases.push(kv("k", any_value::Value::StringValue("caf\u{e9}".into())).encode_to_vec());
    cases.push(kv("k", any_value::Value::DoubleValue(2.5)).encode_to_vec());
    cases.push(KeyValue { key: "k".into(), value: None, key_strindex: 3 }.encode_to_vec());
    // A value that is a double's key and nothing more: well delimited,
    // but the double is cut short.
    cases.push(vec![0x0a, 0x01, b'k', 0x12, 0x01, 0x21]);
    cases.push(kv("k", any_value::Value::BoolValue(true)).encode_to_vec());
    cases.push(kv("k", any_value::Value::IntValue(-1)).encode_to_vec());
    cases.push(KeyValue { key: "k".into(), value: Some(AnyValue { value: None }), key_strindex: 0 }.encode_to_vec());
    let (mut accepted, mut short) = (0, 0);
    for case in cases {
        for v in variants(&case) {
            if super::plain_key_value(&v) {
                accepted += 1;
                assert_eq!(super::message(&v, 0, &super::schema::KEY_VALUE, 99), Ok(0), "{v:?}");
            }
            // The shortest way is held to the same on its own.
            if super::plain::short_key_value(&v) {
                short += 1;
                assert_eq!(super::message(&v, 0, &super::schema::KEY_VALUE, 99), Ok(0), "{v:?}");
            }
        }
    }
    assert!(accepted > 20 && short > 20, "the fast paths took only {accepted} and {short} of the cases");
}

/// The shortest way takes the attributes SDKs write most: a string, an
/// int, a bool, a double, no value.
#[test]
fn the_short_attribute_path_takes_the_common_attributes() {
    use any_value::Value as V;
    let values = [V::StringValue("GET".into()), V::IntValue(200), V::BoolValue(true), V::DoubleValue(0.5)];
    for value in values {
        let bytes = kv("http.request.method", value.clone()).encode_to_vec();
        assert!(super::plain::short_key_value(&bytes), "{value:?} should take the short way");
    }
    let empty = KeyValue { key: "k".into(), value: Some(AnyValue { value: None }), key_strindex: 0 }.encode_to_vec();
    assert!(super::plain::short_key_value(&empty));
    // Not ASCII: left to the reader's way, which checks it as UTF-8.
    let accented = kv("k", V::StringValue("caf\u{e9}".into())).encode_to_vec();
    assert!(!super::plain::short_key_value(&accented) && super::plain_key_value(&accented));
    // A negative int is a ten-byte varint: the reader's way too.
    let negative = kv("k", V::IntValue(-1)).encode_to_vec();
    assert!(!super::plain::short_key_value(&negative) && super::plain_key_value(&negative));
}

/// The span fast path takes spans as prost and the SDKs write them, and
/// accepts only what the general walk accepts: for each case, every
/// truncation and every one-byte change of it.
#[test]
fn the_span_fast_path_accepts_nothing_the_schema_walk_refuses() {
    use super::plain::plain_span;
    use super::schema::SPAN;
    let sample = sample_traces().resource_spans[0].scope_spans[0].spans[0].clone();
    let synthetic = crate::otlp::synthetic::request(3, 1).resource_spans[0].scope_spans[0].spans[0].clone();
    // Go and Python write `flags` (field 16) last; prost after field 4.
    let mut flags_last = Span { flags: 0, ..sample.clone() }.encode_to_vec();
    flags_last.extend([0x85, 0x01, 0x01, 0x03, 0x00, 0x00]);
    // An error status: its code alone, as SDKs write it.
    let failed = Span { status: Some(Status { code: 2, ..Default::default() }), ..synthetic.clone() }.encode_to_vec();
    let cases = [sample.encode_to_vec(), synthetic.encode_to_vec(), flags_last, Span::default().encode_to_vec(), failed];
    for case in &cases {
        assert!(plain_span(case, 97), "the fast path should take {case:02x?}");
        assert!(!plain_span(case, 2), "with no budget for an attribute's value it must not");
    }
    let mut accepted = 0;
    for case in cases {
        for v in variants(&case) {
            if plain_span(&v, 97) {
                accepted += 1;
                assert_eq!(super::message(&v, 0, &SPAN, 97), Ok(0), "{v:02x?}");
            }
        }
    }
    assert!(accepted > 1000, "the fast path took only {accepted} of the cases");
}
