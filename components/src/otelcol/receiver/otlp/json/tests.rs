use prost::Message;
use serde_json::json;

use super::to_protobuf;
use crate::otlp::proto::common::v1::any_value::Value as V;
use crate::otlp::proto::metrics::v1::{exemplar, metric::Data, number_data_point};
use crate::otlp::proto::{ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest};
use crate::otlp::Signal;

fn traces(doc: serde_json::Value) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest::decode(to_protobuf(Signal::Traces, doc.to_string().as_bytes()).unwrap()).unwrap()
}

fn error(signal: Signal, doc: serde_json::Value) -> String {
    to_protobuf(signal, doc.to_string().as_bytes()).unwrap_err().to_string()
}

#[test]
fn traces_follow_the_otlp_json_mapping() {
    let req = traces(json!({
        "resourceSpans": [{
            "resource": { "attributes": [{ "key": "service.name", "value": { "stringValue": "checkout" } }], "droppedAttributesCount": 1 },
            "scopeSpans": [{
                "scope": { "name": "lib", "version": "1.2" },
                "schemaUrl": "https://opentelemetry.io/schemas/1.24.0",
                "spans": [{
                    "traceId": "5B8EFFF798038103D269B633813FC60C",
                    "spanId": "eee19b7ec3c1b174",
                    "parentSpanId": "",
                    "name": "GET /",
                    "kind": "SPAN_KIND_SERVER",
                    "startTimeUnixNano": "1544712660000000000",
                    "endTimeUnixNano": 1544712661000000000u64,
                    "flags": 257,
                    "attributes": [
                        { "key": "i", "value": { "intValue": "-42" } },
                        { "key": "d", "value": { "doubleValue": "NaN" } },
                        { "key": "b", "value": { "boolValue": true } },
                        { "key": "raw", "value": { "bytesValue": "AP8=" } },
                        { "key": "arr", "value": { "arrayValue": { "values": [{ "stringValue": "x" }, { "intValue": 3 }] } } },
                        { "key": "kv", "value": { "kvlistValue": { "values": [{ "key": "inner", "value": { "boolValue": false } }] } } },
                        { "key": "empty", "value": {} }
                    ],
                    "events": [{ "timeUnixNano": "5", "name": "ev", "attributes": [] }],
                    "links": [{ "traceId": "00000000000000000000000000000001", "spanId": "0000000000000002", "traceState": "a=b" }],
                    "status": { "code": 2, "message": "boom" },
                    "someFutureField": { "ignored": true },
                    "droppedLinksCount": null
                }, {
                    "trace_id": "5b8efff798038103d269b633813fc60c",
                    "span_id": "0000000000000001",
                    "kind": 3,
                    "status": { "code": "STATUS_CODE_OK" }
                }]
            }]
        }]
    }));
    let scope_spans = &req.resource_spans[0].scope_spans[0];
    assert_eq!(req.resource_spans[0].resource.as_ref().unwrap().dropped_attributes_count, 1);
    assert_eq!(scope_spans.scope.as_ref().unwrap().version, "1.2");
    let [a, b] = &scope_spans.spans[..] else { panic!("two spans") };
    assert_eq!(hex::encode(&a.trace_id), "5b8efff798038103d269b633813fc60c");
    assert_eq!(hex::encode(&a.span_id), "eee19b7ec3c1b174");
    assert!(a.parent_span_id.is_empty());
    assert_eq!((a.kind, b.kind), (2, 3));
    assert_eq!((a.start_time_unix_nano, a.end_time_unix_nano), (1_544_712_660_000_000_000, 1_544_712_661_000_000_000));
    assert_eq!(a.flags, 257);
    let value = |i: usize| a.attributes[i].value.as_ref().and_then(|v| v.value.clone());
    assert_eq!(value(0), Some(V::IntValue(-42)));
    assert!(matches!(value(1), Some(V::DoubleValue(d)) if d.is_nan()));
    assert_eq!(value(2), Some(V::BoolValue(true)));
    assert_eq!(value(3), Some(V::BytesValue(vec![0, 255])));
    let Some(V::ArrayValue(arr)) = value(4) else { panic!("array") };
    assert_eq!(arr.values[1].value, Some(V::IntValue(3)));
    let Some(V::KvlistValue(kv)) = value(5) else { panic!("kvlist") };
    assert_eq!(kv.values[0].key, "inner");
    assert_eq!(value(6), None);
    assert_eq!(a.events[0].time_unix_nano, 5);
    assert_eq!(a.links[0].span_id, vec![0, 0, 0, 0, 0, 0, 0, 2]);
    assert_eq!(a.status.as_ref().map(|s| (s.code, s.message.as_str())), Some((2, "boom")));
    assert_eq!(b.status.as_ref().map(|s| s.code), Some(1));
    assert_eq!(hex::encode(&b.trace_id), "5b8efff798038103d269b633813fc60c", "snake_case keys are read too");
}

#[test]
fn metrics_of_every_type_with_exemplars() {
    let doc = json!({ "resourceMetrics": [{ "scopeMetrics": [{ "metrics": [
        { "name": "g", "unit": "1", "gauge": { "dataPoints": [{ "asInt": "7", "timeUnixNano": "10", "attributes": [{ "key": "k", "value": { "stringValue": "v" } }],
            "exemplars": [{ "asDouble": 1.5, "traceId": "0102030405060708090a0b0c0d0e0f10", "spanId": "0102030405060708", "filteredAttributes": [] }] }] } },
        { "name": "s", "sum": { "dataPoints": [{ "asDouble": "Infinity" }], "aggregationTemporality": "AGGREGATION_TEMPORALITY_CUMULATIVE", "isMonotonic": true } },
        { "name": "h", "histogram": { "aggregationTemporality": 1, "dataPoints": [{ "count": "3", "sum": 6.5, "bucketCounts": ["1", 2, "0"], "explicitBounds": [1, 5.5], "min": 0.5, "max": 4 }] } },
        { "name": "e", "exponentialHistogram": { "aggregationTemporality": 2, "dataPoints": [{ "count": 5, "scale": -2, "zeroCount": "1", "zeroThreshold": 0.001,
            "positive": { "offset": -1, "bucketCounts": ["1", "300"] }, "negative": { "bucketCounts": [1] } }] } },
        { "name": "q", "summary": { "dataPoints": [{ "count": "2", "sum": 3, "quantileValues": [{ "quantile": 0.5, "value": 1 }, { "quantile": 1 }] }] } }
    ] }] }] });
    let req = ExportMetricsServiceRequest::decode(to_protobuf(Signal::Metrics, doc.to_string().as_bytes()).unwrap()).unwrap();
    let metrics = &req.resource_metrics[0].scope_metrics[0].metrics;
    let Some(Data::Gauge(g)) = &metrics[0].data else { panic!("gauge") };
    assert_eq!(g.data_points[0].value, Some(number_data_point::Value::AsInt(7)));
    let ex = &g.data_points[0].exemplars[0];
    assert_eq!((ex.value, ex.trace_id[15], ex.span_id[0]), (Some(exemplar::Value::AsDouble(1.5)), 0x10, 1));
    let Some(Data::Sum(s)) = &metrics[1].data else { panic!("sum") };
    assert_eq!((s.aggregation_temporality, s.is_monotonic), (2, true));
    assert_eq!(s.data_points[0].value, Some(number_data_point::Value::AsDouble(f64::INFINITY)));
    let Some(Data::Histogram(h)) = &metrics[2].data else { panic!("histogram") };
    let hp = &h.data_points[0];
    assert_eq!(
        (hp.count, hp.sum, &hp.bucket_counts[..], &hp.explicit_bounds[..], hp.min, hp.max),
        (3, Some(6.5), &[1, 2, 0][..], &[1.0, 5.5][..], Some(0.5), Some(4.0))
    );
    let Some(Data::ExponentialHistogram(e)) = &metrics[3].data else { panic!("exponential histogram") };
    let ep = &e.data_points[0];
    assert_eq!((ep.scale, ep.zero_count, ep.positive.as_ref().map(|b| (b.offset, b.bucket_counts.clone()))), (-2, 1, Some((-1, vec![1, 300]))));
    let Some(Data::Summary(q)) = &metrics[4].data else { panic!("summary") };
    assert_eq!(q.data_points[0].quantile_values.len(), 2);
    assert_eq!(q.data_points[0].quantile_values[1].value, 0.0);
}

#[test]
fn logs_with_structured_bodies() {
    let doc = json!({ "resourceLogs": [{ "scopeLogs": [{ "logRecords": [{
        "timeUnixNano": "1", "observedTimeUnixNano": 2, "severityNumber": "SEVERITY_NUMBER_WARN", "severityText": "WARN",
        "body": { "kvlistValue": { "values": [{ "key": "msg", "value": { "stringValue": "disk full" } }] } },
        "traceId": "0102030405060708090a0b0c0d0e0f10", "spanId": "0102030405060708", "flags": 1, "eventName": "disk"
    }, { "severity_number": 17, "body": { "stringValue": "plain" } }] }] }] });
    let req = ExportLogsServiceRequest::decode(to_protobuf(Signal::Logs, doc.to_string().as_bytes()).unwrap()).unwrap();
    let records = &req.resource_logs[0].scope_logs[0].log_records;
    assert_eq!((records[0].severity_number, records[1].severity_number), (13, 17));
    assert_eq!((records[0].observed_time_unix_nano, records[0].event_name.as_str()), (2, "disk"));
    assert!(matches!(&records[0].body.as_ref().unwrap().value, Some(V::KvlistValue(kv)) if kv.values[0].key == "msg"));
}

#[test]
fn errors_name_the_path_of_the_bad_value() {
    let spans = |spans: serde_json::Value| json!({ "resourceSpans": [{ "scopeSpans": [{ "spans": spans }] }] });
    let cases = [
        (spans(json!([{}, { "traceId": "xyz" }])), "invalid OTLP/JSON at resourceSpans[0].scopeSpans[0].spans[1].traceId: expected 32 hex digits (16 bytes), got the string \"xyz\""),
        (spans(json!([{ "spanId": "AAAAAAAAAAA=" }])), "invalid OTLP/JSON at resourceSpans[0].scopeSpans[0].spans[0].spanId: expected 16 hex digits (8 bytes), got the string \"AAAAAAAAAAA=\""),
        (spans(json!([{ "kind": "SERVER" }])), "invalid OTLP/JSON at resourceSpans[0].scopeSpans[0].spans[0].kind: expected a SpanKind as a number or a name, got the string \"SERVER\""),
        (spans(json!([{ "attributes": [{ "key": "n", "value": { "intValue": "4.5" } }] }])), "invalid OTLP/JSON at resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value.intValue: expected a 64-bit integer (a number or a string), got the string \"4.5\""),
        (spans(json!({})), "invalid OTLP/JSON at resourceSpans[0].scopeSpans[0].spans: expected an array, got an object"),
        (json!([]), "invalid OTLP/JSON: expected an object, got an array"),
        (spans(json!([{ "startTimeUnixNano": -1 }])), "invalid OTLP/JSON at resourceSpans[0].scopeSpans[0].spans[0].startTimeUnixNano: expected an unsigned 64-bit integer (a number or a string), got the number -1"),
    ];
    for (doc, want) in cases {
        assert_eq!(error(Signal::Traces, doc), want);
    }
    let bad_syntax = to_protobuf(Signal::Logs, b"{\"resourceLogs\": [").unwrap_err();
    assert!(bad_syntax.path.is_empty() && bad_syntax.message.contains("EOF"), "{bad_syntax}");
    let bad_base64 = error(Signal::Logs, json!({ "resourceLogs": [{ "scopeLogs": [{ "logRecords": [{ "body": { "bytesValue": "!!" } }] }] }] }));
    assert_eq!(bad_base64, "invalid OTLP/JSON at resourceLogs[0].scopeLogs[0].logRecords[0].body.bytesValue: expected base64, got the string \"!!\"");
}

#[test]
fn base64_accepts_both_alphabets_with_or_without_padding() {
    for (text, want) in
        [("", vec![]), ("AP8=", vec![0, 255]), ("AP8", vec![0, 255]), ("-_8", vec![251, 255]), ("+/8=", vec![251, 255]), ("aGVsbG8", b"hello".to_vec())]
    {
        assert_eq!(super::common::decode_base64(text), Some(want), "{text}");
    }
    assert_eq!(super::common::decode_base64("A"), None);
}
