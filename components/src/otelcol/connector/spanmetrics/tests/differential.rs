//! The wire path held to the decoded one: for synthetic requests in many
//! shapes (attribute types, defaults, events, scopes, resource keys,
//! attributes shuffled, fields reordered, repeated and unknown), reading
//! the bytes must flush exactly what decoding them with prost and
//! aggregating the decoded request flushes. And on malformed bytes the
//! wire path returns an error, never panics.

use prost::encoding::{decode_key, decode_varint, encode_key, encode_varint, WireType};

use super::*;
use crate::otlp::proto::common::v1::{ArrayValue, InstrumentationScope, KeyValueList};
use crate::otlp::synthetic;

/// SplitMix64: deterministic shapes per seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let z = (self.0 ^ (self.0 >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        let z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            v.swap(i, self.below(i + 1));
        }
    }
}

fn any(v: any_value::Value) -> AnyValue {
    AnyValue { value: Some(v) }
}

/// Synthetic load with every kind of attribute value mixed in.
fn varied(seed: u64, spans: usize, rng: &mut Rng) -> ExportTraceServiceRequest {
    use any_value::Value as V;
    let mut r = synthetic::request(seed, spans);
    for rs in &mut r.resource_spans {
        if let Some(res) = &mut rs.resource {
            if seed.is_multiple_of(2) {
                res.attributes.push(kv("region", text("eu-west")));
            }
            if seed.is_multiple_of(3) {
                // A second service.name: the first one counts.
                res.attributes.push(kv("service.name", text("shadow")));
            }
            rng.shuffle(&mut res.attributes);
        }
        let mut other = rs.scope_spans[0].clone();
        other.scope = Some(InstrumentationScope { name: format!("lib-{}", seed % 2), ..Default::default() });
        other.spans.truncate(spans / 4);
        rs.scope_spans.push(other);
        for ss in &mut rs.scope_spans {
            for span in &mut ss.spans {
                let pick = rng.below(12);
                let extra = match pick {
                    0 => kv("flag", any(V::BoolValue(rng.below(2) == 0))),
                    1 => kv("ratio", any(V::DoubleValue([0.5, -0.0, 0.0, 1e300][rng.below(4)]))),
                    2 => kv("tags", any(V::ArrayValue(ArrayValue { values: vec![text("a"), any(V::IntValue(1))] }))),
                    3 => kv("blob", any(V::BytesValue(vec![0, 1, 2]))),
                    4 => kv("kv", any(V::KvlistValue(KeyValueList { values: vec![kv("x", any(V::IntValue(-1)))] }))),
                    5 => kv("empty", AnyValue { value: None }),
                    6 => KeyValue { key: "novalue".into(), value: None, ..Default::default() },
                    // An int where the dimension is usually a string, and the reverse.
                    7 => kv("http.route", any(V::IntValue(7))),
                    8 => kv("http.response.status_code", text("200")),
                    9 => kv("region", text("span-region")),
                    10 => kv("flag", any(V::IntValue(i64::MIN))),
                    _ => kv("ratio", any(V::IntValue(300))),
                };
                // Sometimes before the span's own (shadowing it), sometimes after.
                if rng.below(2) == 0 {
                    span.attributes.insert(0, extra);
                } else {
                    span.attributes.push(extra);
                }
                rng.shuffle(&mut span.attributes);
                if rng.below(5) == 0 {
                    span.events.push(span::Event { name: "log".into(), attributes: vec![kv("region", text("event-region"))], ..Default::default() });
                }
                if rng.below(7) == 0 {
                    span.status = None;
                }
            }
        }
    }
    r
}

/// Which message a length-delimited field holds, by parent and number.
#[derive(Clone, Copy, PartialEq)]
enum M {
    Request,
    ResourceSpans,
    Resource,
    ScopeSpans,
    Scope,
    Span,
    Event,
    Status,
    KeyValue,
    AnyValue,
    ArrayValue,
    KvList,
}

fn child(m: M, tag: u32) -> Option<M> {
    use M::*;
    Some(match (m, tag) {
        (Request, 1) => ResourceSpans,
        (ResourceSpans, 1) => Resource,
        (ResourceSpans, 2) => ScopeSpans,
        (Resource, 1) | (Scope, 3) => KeyValue,
        (ScopeSpans, 1) => Scope,
        (ScopeSpans, 2) => Span,
        (Span, 9) | (Event, 3) | (KvList, 1) => KeyValue,
        (Span, 11) => Event,
        (Span, 15) => Status,
        (KeyValue, 2) | (ArrayValue, 1) => AnyValue,
        (AnyValue, 5) => ArrayValue,
        (AnyValue, 6) => KvList,
        _ => return None,
    })
}

fn field(tag: u32, wire_type: WireType, value: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    encode_key(tag, wire_type, &mut out);
    if wire_type == WireType::LengthDelimited {
        encode_varint(value.len() as u64, &mut out);
    }
    out.extend_from_slice(value);
    out
}

fn varint(v: u64) -> Vec<u8> {
    let mut out = Vec::new();
    encode_varint(v, &mut out);
    out
}

/// Fields that change what a message decodes to, or nothing at all
/// (unknown fields, an empty group), to slip in anywhere.
fn decoys(m: M, rng: &mut Rng) -> Vec<Vec<u8>> {
    use WireType::*;
    let mut d = vec![field(20, Varint, &varint(5)), field(21, LengthDelimited, b"zz"), field(22, ThirtyTwoBit, &[1, 2, 3, 4])];
    let mut group = Vec::new();
    encode_key(19, StartGroup, &mut group);
    encode_key(19, EndGroup, &mut group);
    d.push(group);
    let kv_bytes = |k: &str, v: AnyValue| kv(k, v).encode_to_vec();
    match m {
        M::Span => {
            d.push(field(5, LengthDelimited, b"decoy"));
            d.push(field(6, Varint, &varint(4)));
            d.push(field(15, LengthDelimited, &[0x18, 0x02]));
            d.push(field(15, LengthDelimited, &[]));
            d.push(field(7, SixtyFourBit, &(T0 + rng.next() % 1000).to_le_bytes()));
            d.push(field(1, LengthDelimited, &[7; 16]));
            d.push(field(9, LengthDelimited, &kv_bytes("region", text("decoy"))));
        }
        M::KeyValue => {
            d.push(field(2, LengthDelimited, &any(any_value::Value::IntValue(7)).encode_to_vec()));
            d.push(field(2, LengthDelimited, &[]));
        }
        M::AnyValue => {
            d.push(field(1, LengthDelimited, b"x"));
            d.push(field(3, Varint, &varint(u64::MAX)));
        }
        M::Resource => d.push(field(1, LengthDelimited, &kv_bytes("region", text("decoy")))),
        M::ResourceSpans => {
            d.push(field(1, LengthDelimited, &Resource { attributes: vec![kv("service.name", text("late"))], ..Default::default() }.encode_to_vec()))
        }
        M::ScopeSpans => {
            d.push(field(1, LengthDelimited, &InstrumentationScope { name: "decoy.scope".into(), version: "9".into(), ..Default::default() }.encode_to_vec()))
        }
        M::Status => d.push(field(3, Varint, &varint(1))),
        _ => {}
    }
    d
}

/// Re-encodes a message of kind `m` with its fields (recursively) in a
/// shuffled order, with decoy fields slipped in now and then.
fn scramble(bytes: &[u8], m: M, rng: &mut Rng) -> Vec<u8> {
    let mut buf = bytes;
    let mut fields = Vec::new();
    while !buf.is_empty() {
        let before = buf;
        let (tag, wire_type) = decode_key(&mut buf).expect("a key");
        let encoded = match wire_type {
            WireType::LengthDelimited => {
                let len = decode_varint(&mut buf).expect("a length") as usize;
                let (value, rest) = buf.split_at(len);
                buf = rest;
                let value = match child(m, tag) {
                    Some(c) => scramble(value, c, rng),
                    None => value.to_vec(),
                };
                field(tag, wire_type, &value)
            }
            _ => {
                let width = match wire_type {
                    WireType::Varint => {
                        decode_varint(&mut buf).expect("a varint");
                        0
                    }
                    WireType::SixtyFourBit => 8,
                    _ => 4,
                };
                buf = &buf[width..];
                before[..before.len() - buf.len()].to_vec()
            }
        };
        fields.push(encoded);
    }
    if rng.below(3) != 0 {
        rng.shuffle(&mut fields);
        for d in decoys(m, rng) {
            if rng.below(3) == 0 {
                let at = rng.below(fields.len() + 1);
                fields.insert(at, d);
            }
        }
    }
    fields.concat()
}

const CONFIGS: &[&str] = &[
    // The bench's four dimensions.
    "dimension { name = \"http.request.method\" }\ndimension { name = \"http.route\" }\n\
     dimension { name = \"http.response.status_code\" }\ndimension {\n name = \"peer.service\"\n default = \"none\"\n}",
    // Every value type, defaults, events, scopes, resource keys, exemplars.
    "dimension { name = \"http.route\" }\ndimension { name = \"http.response.status_code\" }\ndimension { name = \"flag\" }\n\
     dimension { name = \"ratio\" }\ndimension { name = \"tags\" }\ndimension { name = \"blob\" }\ndimension { name = \"kv\" }\n\
     dimension { name = \"empty\" }\ndimension {\n name = \"novalue\"\n default = \"nothing\"\n}\n\
     dimension {\n name = \"region\"\n default = \"unknown\"\n}\n\
     events {\n enabled = true\n dimension { name = \"exception.type\" }\n dimension {\n name = \"exception.message\"\n default = \"-\"\n}\n}\n\
     include_instrumentation_scope = [\"opentelemetry.instrumentation.flask\", \"lib-1\", \"decoy.scope\"]\n\
     resource_metrics_key_attributes = [\"service.instance.id\", \"region\"]\n\
     exemplars {\n enabled = true\n max_per_data_point = 3\n}",
    // Overflow, delta, exponential histograms, left-out identity.
    "dimension { name = \"http.route\" }\ndimension { name = \"flag\" }\n\
     events {\n enabled = true\n dimension { name = \"region\" }\n}\n\
     aggregation_cardinality_limit = 6\naggregation_temporality = \"DELTA\"\nexclude_dimensions = [\"span.kind\"]",
];

fn histogram(i: usize) -> &'static str {
    if i == 2 {
        "histogram {\n exponential {\n max_size = 20\n }\n}"
    } else {
        EXPLICIT
    }
}

#[test]
fn the_wire_path_flushes_what_the_decoded_path_flushes() {
    let mut compared = 0;
    for (i, args) in CONFIGS.iter().enumerate() {
        let config = config(&format!("{}\n{args}", histogram(i))).unwrap();
        let (mut wire, mut decoded) = (Aggregator::new(config.clone()), Aggregator::new(config));
        for seed in 0..6 {
            let mut rng = Rng(seed * 7919 + i as u64 + 1);
            let plain = varied(seed, 120, &mut rng).encode_to_vec();
            for bytes in [plain.clone(), scramble(&plain, M::Request, &mut rng)] {
                let request = ExportTraceServiceRequest::decode(bytes.as_slice()).expect("prost decodes the scrambled request");
                let now = T0 + seed * MS;
                decoded.aggregate_decoded(&request, now);
                wire.aggregate(&bytes, now).expect("the wire path reads what prost decodes");
                assert_eq!((wire.spans_seen(), wire.series_count()), (decoded.spans_seen(), decoded.series_count()), "config {i} seed {seed}");
                compared += 1;
            }
            let now = T0 + (seed + 1) * 1000 * MS;
            assert_eq!(wire.flush(now), decoded.flush(now), "config {i} seed {seed}");
        }
    }
    assert_eq!(compared, 36);
}

#[test]
fn malformed_bytes_are_an_error_not_a_panic() {
    let mut rng = Rng(99);
    let bytes = scramble(&varied(1, 20, &mut rng).encode_to_vec(), M::Request, &mut rng);
    let config = config(&format!("{}\n{}", EXPLICIT, CONFIGS[1])).unwrap();
    let mut a = Aggregator::new(config);
    // Every truncation, and bytes flipped all along: whatever the result,
    // it returns.
    for cut in 0..bytes.len() {
        let _ = a.aggregate(&bytes[..cut], T0);
    }
    for at in (0..bytes.len()).step_by(3) {
        let mut bad = bytes.clone();
        bad[at] ^= [0xff, 0x80, 0x07][at % 3];
        let _ = a.aggregate(&bad, T0);
    }
    assert!(a.aggregate(&[0x0a, 0x05, 0x12], T0).is_err(), "a length past the end");
    assert!(a.aggregate(&[0x0a, 0x02, 0x0a, 0xff], T0).is_err(), "a nested length past the end");
    assert!(a.aggregate(&[0x0c], T0).is_err(), "an unexpected end-group");
}

/// A request of one span per attribute, each `KeyValue` given as bytes.
fn raw_request(attributes: &[Vec<u8>]) -> Vec<u8> {
    use WireType::*;
    let spans: Vec<u8> = attributes
        .iter()
        .map(|a| {
            let span = [
                field(1, LengthDelimited, &[1; 16]),
                field(2, LengthDelimited, &[2; 8]),
                field(5, LengthDelimited, b"op"),
                field(6, Varint, &varint(2)),
                field(7, SixtyFourBit, &T0.to_le_bytes()),
                field(8, SixtyFourBit, &(T0 + MS).to_le_bytes()),
                field(9, LengthDelimited, a),
            ];
            field(2, LengthDelimited, &span.concat())
        })
        .collect::<Vec<_>>()
        .concat();
    let resource = field(1, LengthDelimited, &kv("service.name", text("svc")).encode_to_vec());
    field(1, LengthDelimited, &[field(1, LengthDelimited, &resource), field(2, LengthDelimited, &spans)].concat())
}

/// Series keys hold a value's canonical encoding, copied from the wire
/// when the value is in it: a value in any other encoding prost reads
/// the same (a padded varint, a bool of 5, a long length, a repeated
/// member) must key the same series, as the decoded path does.
#[test]
fn one_value_in_any_encoding_is_one_series() {
    let flag = |value: &[u8]| [field(1, WireType::LengthDelimited, b"flag"), field(2, WireType::LengthDelimited, value)].concat();
    let values: &[&[u8]] = &[
        &[0x10, 0x01],
        &[0x10, 0x05],
        &[0x10, 0x81, 0x00],
        &[0x18, 0x05],
        &[0x18, 0x85, 0x00],
        &[0x18, 0xac, 0x02],
        &[0x18, 0xac, 0x82, 0x00],
        &[0x0a, 0x02, b'a', b'b'],
        &[0x0a, 0x82, 0x00, b'a', b'b'],
        &[0x0a, 0x01, b'x', 0x0a, 0x02, b'a', b'b'],
        &[0x10, 0x00, 0x0a, 0x02, b'a', b'b'],
    ];
    let bytes = raw_request(&values.iter().map(|v| flag(v)).collect::<Vec<_>>());
    let request = ExportTraceServiceRequest::decode(bytes.as_slice()).expect("prost decodes every encoding");
    let config = config(&format!("{EXPLICIT}\ndimension {{ name = \"flag\" }}")).unwrap();
    let (mut wire, mut decoded) = (Aggregator::new(config.clone()), Aggregator::new(config));
    wire.aggregate(&bytes, T0).expect("the wire path reads every encoding");
    decoded.aggregate_decoded(&request, T0);
    // true, 5, 300 and "ab".
    assert_eq!((wire.series_count(), decoded.series_count()), (4, 4));
    assert_eq!(wire.flush(T0 + MS), decoded.flush(T0 + MS));
}

/// A value that cannot become a label (a string of invalid UTF-8, which
/// the receiver refuses first) is an error that points at the value.
#[test]
fn a_bad_value_is_an_error_at_its_offset() {
    let value = [0x0a, 0x02, 0xff, 0xfe];
    let bytes = raw_request(&[[field(1, WireType::LengthDelimited, b"flag"), field(2, WireType::LengthDelimited, &value)].concat()]);
    let at = bytes.windows(value.len()).position(|w| w == value).expect("the value is in the request");
    let mut wire = Aggregator::new(config(&format!("{EXPLICIT}\ndimension {{ name = \"flag\" }}")).unwrap());
    let err = wire.aggregate(&bytes, T0).expect_err("invalid UTF-8 cannot be a label");
    assert_eq!(err.offset, at, "{err:?}");
}

/// Keys longer than the key buffer holds (long span names and values)
/// are written the slow way: they must key exactly as short ones do.
#[test]
fn long_keys_key_as_short_ones_do() {
    let long = |c: char, n: usize| std::iter::repeat_n(c, n).collect::<String>();
    let spans: Vec<Span> = [(long('n', 150), long('a', 100)), (long('n', 150), long('b', 100)), ("short".into(), long('a', 300)), ("short".into(), "x".into())]
        .into_iter()
        .cycle()
        .take(12)
        .map(|(name, route)| Span { attributes: vec![kv("http.route", text(&route))], ..server(&name, MS) })
        .collect();
    let message = request_message(svc("a"), spans);
    let config = config(&format!("{EXPLICIT}\ndimension {{ name = \"http.route\" }}")).unwrap();
    let (mut wire, mut decoded) = (Aggregator::new(config.clone()), Aggregator::new(config));
    wire.aggregate(&message.encode_to_vec(), T0).expect("a valid request");
    decoded.aggregate_decoded(&message, T0);
    assert_eq!((wire.series_count(), decoded.series_count()), (4, 4));
    assert_eq!(wire.flush(T0 + MS), decoded.flush(T0 + MS));
}
