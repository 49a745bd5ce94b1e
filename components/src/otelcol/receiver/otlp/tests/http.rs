use std::io::Write;

use bytes::Bytes;
use prost::Message;
use reqwest::StatusCode;
use serde_json::json;

use super::{logs, metrics, permanent, received, retryable, traces, Receiver, TO_SINK};
use crate::otlp::proto::ExportTraceServiceRequest;
use crate::otlp::Signal;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceResponse;

/// `google.rpc.Status`, as error bodies carry it.
#[derive(Clone, PartialEq, prost::Message)]
pub(super) struct RpcStatus {
    #[prost(int32, tag = "1")]
    pub code: i32,
    #[prost(string, tag = "2")]
    pub message: String,
}

pub(super) const PROTOBUF: &str = "application/x-protobuf";

fn config(extra: &str) -> String {
    format!("http {{\n endpoint = \"127.0.0.1:0\"\n {extra}\n}}\n{TO_SINK}")
}

fn url(h: &Receiver, path: &str) -> String {
    format!("http://{}{path}", h.addr("http").unwrap())
}

async fn post(h: &Receiver, path: &str, content_type: &str, encoding: Option<&str>, body: impl Into<reqwest::Body>) -> reqwest::Response {
    let mut req = reqwest::Client::new().post(url(h, path)).header("content-type", content_type).body(body);
    if let Some(e) = encoding {
        req = req.header("content-encoding", e);
    }
    req.send().await.unwrap()
}

async fn json_body(r: reqwest::Response) -> serde_json::Value {
    serde_json::from_slice(&r.bytes().await.unwrap()).unwrap()
}

pub(super) fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

#[tokio::test]
async fn protobuf_of_every_signal_and_encoding_reaches_the_output() {
    let h = Receiver::start("http_protobuf", &config("")).await;
    let zlib = {
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(&logs()).unwrap();
        e.finish().unwrap()
    };
    let cases: [(&str, Bytes, Option<&str>, Vec<u8>); 4] = [
        ("/v1/traces", traces(), None, traces().to_vec()),
        ("/v1/metrics", metrics(), Some("gzip"), gzip(&metrics())),
        ("/v1/logs", logs(), Some("zstd"), zstd::encode_all(&logs()[..], 3).unwrap()),
        ("/v1/logs", logs(), Some("deflate"), zlib),
    ];
    for (path, _, encoding, wire) in &cases {
        let r = post(&h, path, PROTOBUF, *encoding, wire.clone()).await;
        assert_eq!(r.status(), StatusCode::OK, "{path} {encoding:?}");
        assert_eq!(r.headers()["content-type"], PROTOBUF);
        assert!(r.bytes().await.unwrap().is_empty());
    }
    let got: Vec<(Signal, Bytes)> = received(&h.sink).into_iter().map(|(s, b, _)| (s, b)).collect();
    let signals = [Signal::Traces, Signal::Metrics, Signal::Logs, Signal::Logs];
    let want: Vec<(Signal, Bytes)> = cases.iter().zip(signals).map(|((_, original, ..), s)| (s, original.clone())).collect();
    assert_eq!(got, want, "the bytes forwarded are the bytes sent, decompressed");
    assert_eq!(h.count("logs", "accepted"), 2);
}

#[tokio::test]
async fn json_is_transcoded_and_answered_in_json() {
    let h = Receiver::start("http_json", &config("")).await;
    let doc = json!({ "resourceSpans": [{ "scopeSpans": [{ "spans": [
        { "traceId": "0102030405060708090a0b0c0d0e0f10", "spanId": "0102030405060708", "name": "a", "kind": 2, "startTimeUnixNano": "1" }
    ] }] }] });
    let r = post(&h, "/v1/traces", "application/json; charset=utf-8", None, doc.to_string()).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/json");
    assert_eq!(r.text().await.unwrap(), "{}");
    let (signal, bytes, items) = received(&h.sink).remove(0);
    assert_eq!((signal, items), (Signal::Traces, 1));
    let span = &ExportTraceServiceRequest::decode(bytes).unwrap().resource_spans[0].scope_spans[0].spans[0];
    assert_eq!((span.name.as_str(), span.kind, span.trace_id[0], span.start_time_unix_nano), ("a", 2, 1, 1));
}

#[tokio::test]
async fn every_bad_request_gets_its_status_and_the_server_keeps_serving() {
    let h = Receiver::start("http_bad", &config("max_request_body_size = \"64KiB\"")).await;
    let client = reqwest::Client::new();
    let good = traces();
    let huge = vec![0u8; 100 * 1024];

    let r = post(&h, "/v1/traces", PROTOBUF, None, good.slice(..good.len() - 2)).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let status = RpcStatus::decode(r.bytes().await.unwrap()).unwrap();
    assert_eq!(status.code, 3);
    assert!(status.message.starts_with("malformed OTLP payload at byte"), "{}", status.message);

    let r = post(&h, "/v1/traces", "application/json", None, "{\"resourceSpans\": [").await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(r.headers()["content-type"], "application/json");
    let body = json_body(r).await;
    assert_eq!(body["code"], 3);
    assert!(body["message"].as_str().unwrap().starts_with("invalid OTLP/JSON: EOF"), "{body}");

    let r = post(&h, "/v1/traces", "application/json", None, r#"{"resourceSpans": [{"scopeSpans": [{"spans": [{"spanId": 5}]}]}]}"#).await;
    let body = json_body(r).await;
    assert_eq!(body["message"], "invalid OTLP/JSON at resourceSpans[0].scopeSpans[0].spans[0].spanId: expected a hex string, got the number 5");

    let r = post(&h, "/v1/traces", "text/plain", None, good.clone()).await;
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(r.text().await.unwrap(), "415 unsupported media type, supported: [application/json, application/x-protobuf]");

    let r = client.get(url(&h, "/v1/traces")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.headers()["allow"], "POST");

    let r = post(&h, "/v1/nope", PROTOBUF, None, good.clone()).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    let r = post(&h, "/v1/traces", PROTOBUF, None, huge.clone()).await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(RpcStatus::decode(r.bytes().await.unwrap()).unwrap().message, "request body larger than max_request_body_size (64KiB)");

    // Without a Content-Length, the limit applies while reading.
    let stream = chunked(huge.clone());
    let r = post(&h, "/v1/traces", PROTOBUF, None, stream).await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);

    // Small on the wire, over the limit once inflated.
    let r = post(&h, "/v1/traces", PROTOBUF, Some("gzip"), gzip(&huge)).await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);

    let r = post(&h, "/v1/traces", PROTOBUF, Some("gzip"), b"certainly not gzip".to_vec()).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(RpcStatus::decode(r.bytes().await.unwrap()).unwrap().message.starts_with("failed to decompress the gzip body"));

    let r = post(&h, "/v1/traces", PROTOBUF, Some("br"), good.clone()).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(RpcStatus::decode(r.bytes().await.unwrap()).unwrap().message, "unsupported Content-Encoding \"br\"");

    assert!(h.sink.received().is_empty());
    let r = post(&h, "/v1/traces", PROTOBUF, None, good.clone()).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(h.sink.received().len(), 1);
}

/// A client that writes its whole oversized body before reading still gets
/// the 413, not a reset connection.
#[tokio::test]
async fn an_oversized_body_is_read_to_the_end_before_the_413() {
    use std::io::{Read, Write};
    let h = Receiver::start("http_lingering", &config("max_request_body_size = \"64KiB\"")).await;
    let addr = h.addr("http").unwrap();
    let answer = tokio::task::spawn_blocking(move || {
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        let body = vec![0u8; 16 << 20];
        let head = format!(
            "POST /v1/traces HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/x-protobuf\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        s.write_all(head.as_bytes()).unwrap();
        s.write_all(&body).unwrap();
        let mut answer = Vec::new();
        let _ = s.read_to_end(&mut answer);
        String::from_utf8_lossy(&answer).into_owned()
    })
    .await
    .unwrap();
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
}

/// A body sent in chunks, without a Content-Length.
fn chunked(data: Vec<u8>) -> reqwest::Body {
    let chunks = data.chunks(8192).map(Bytes::copy_from_slice).collect();
    reqwest::Body::wrap(Chunks(chunks))
}

struct Chunks(std::collections::VecDeque<Bytes>);

impl hyper::body::Body for Chunks {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, std::io::Error>>> {
        std::task::Poll::Ready(self.0.pop_front().map(|b| Ok(hyper::body::Frame::data(b))))
    }
}

#[tokio::test]
async fn downstream_refusals_are_503_with_retry_after_or_400() {
    let h = Receiver::start("http_downstream", &config("")).await;
    h.sink.answer_always(retryable());
    let r = post(&h, "/v1/logs", "application/json", None, r#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{}]}]}]}"#).await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.headers()["retry-after"], "1");
    assert_eq!(json_body(r).await, json!({ "code": 14, "message": "queue is full" }));
    h.sink.answer_always(permanent());
    let r = post(&h, "/v1/logs", PROTOBUF, None, logs()).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(h.count("logs", "refused"), 2);
}

#[tokio::test]
async fn custom_paths_and_partial_success_in_both_encodings() {
    let paths = "traces_url_path = \"custom/traces\"\n metrics_url_path = \"/m\"";
    let h = Receiver::start("http_paths", &format!("http {{\n endpoint = \"127.0.0.1:0\"\n {paths}\n}}\noutput {{\n metrics = [sink]\n}}")).await;
    let r = post(&h, "/m", PROTOBUF, None, metrics()).await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = post(&h, "/custom/traces", PROTOBUF, None, traces()).await;
    assert_eq!(r.status(), StatusCode::OK);
    let partial = ExportTraceServiceResponse::decode(r.bytes().await.unwrap()).unwrap().partial_success.unwrap();
    assert_eq!(partial.rejected_spans, 2);
    let r = post(&h, "/custom/traces", "application/json", None, r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{}]}]}]}"#).await;
    let body = json_body(r).await;
    assert_eq!(body["partialSuccess"]["rejectedSpans"], "1");
    assert_eq!(post(&h, "/v1/traces", PROTOBUF, None, traces()).await.status(), StatusCode::NOT_FOUND);
}

async fn preflight(h: &Receiver, origin: &str, headers: &str) -> reqwest::Response {
    reqwest::Client::new()
        .request(reqwest::Method::OPTIONS, url(h, "/v1/traces"))
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", headers)
        .send()
        .await
        .unwrap()
}

fn header(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers().get(name).map(|v| v.to_str().unwrap().to_string())
}

#[tokio::test]
async fn cors_preflights_are_answered_for_allowed_origins_only() {
    let cors = "cors {\n allowed_origins = [\"https://*.example.com\", \"http://localhost:3000\"]\n allowed_headers = [\"X-Tenant\"]\n max_age = 600\n}";
    let h = Receiver::start("http_cors", &config(cors)).await;

    let ok = preflight(&h, "https://app.example.com", "content-type, x-tenant").await;
    assert_eq!(ok.status(), StatusCode::NO_CONTENT);
    assert_eq!(header(&ok, "access-control-allow-origin").as_deref(), Some("https://app.example.com"));
    assert_eq!(header(&ok, "access-control-allow-methods").as_deref(), Some("POST"));
    assert_eq!(header(&ok, "access-control-allow-headers").as_deref(), Some("content-type, x-tenant"));
    assert_eq!(header(&ok, "access-control-max-age").as_deref(), Some("600"));
    let exact = preflight(&h, "http://localhost:3000", "content-type").await;
    assert_eq!(header(&exact, "access-control-allow-origin").as_deref(), Some("http://localhost:3000"));

    for (origin, headers) in [("https://evil.com", "content-type"), ("https://example.com.evil.com", ""), ("https://app.example.com", "x-other")] {
        let refused = preflight(&h, origin, headers).await;
        assert_eq!(refused.status(), StatusCode::NO_CONTENT, "{origin} {headers}");
        assert_eq!(header(&refused, "access-control-allow-origin"), None, "{origin} {headers}");
    }
    assert!(received(&h.sink).is_empty(), "a preflight exports nothing");

    let post = reqwest::Client::new()
        .post(url(&h, "/v1/traces"))
        .header("origin", "https://app.example.com")
        .header("content-type", PROTOBUF)
        .body(traces())
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), StatusCode::OK);
    assert_eq!(header(&post, "access-control-allow-origin").as_deref(), Some("https://app.example.com"));
    let other = reqwest::Client::new()
        .post(url(&h, "/v1/traces"))
        .header("origin", "https://evil.com")
        .header("content-type", PROTOBUF)
        .body(traces())
        .send()
        .await
        .unwrap();
    assert_eq!(header(&other, "access-control-allow-origin"), None);
}

#[tokio::test]
async fn without_cors_a_preflight_is_just_a_wrong_method() {
    let h = Receiver::start("http_no_cors", &config("")).await;
    let r = preflight(&h, "https://app.example.com", "content-type").await;
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(header(&r, "access-control-allow-origin"), None);
}
