//! Requests built to cost memory out of proportion to their bytes, sent as
//! an attacker would, over both transports: each is refused before it is
//! acknowledged, counted, and the receiver serves the next request.

use bytes::Bytes;
use prost::Message;
use reqwest::StatusCode;
use tonic::codec::CompressionEncoding;
use tonic::Code;

use super::grpc::{channel, export};
use super::http::{RpcStatus, PROTOBUF};
use super::{received, traces, Receiver, TO_SINK};
use crate::otlp::grpc::export_path;
use crate::otlp::Signal;

/// A traces request of `spans` empty spans (two bytes each on the wire)
/// under one resource with a `resource_bytes` attribute: written by hand,
/// since building it with prost would itself take gigabytes.
fn empty_spans(spans: usize, resource_bytes: usize) -> Vec<u8> {
    use prost::encoding::{encode_key, encode_varint, WireType};
    let field = |tag: u32, body: &[u8], out: &mut Vec<u8>| {
        encode_key(tag, WireType::LengthDelimited, out);
        encode_varint(body.len() as u64, out);
        out.extend_from_slice(body);
    };
    let mut scope_spans = Vec::with_capacity(spans * 2);
    for _ in 0..spans {
        field(2, &[], &mut scope_spans);
    }
    let big = crate::otlp::proto::resource::v1::Resource { attributes: vec![super::attribute("blob", &"a".repeat(resource_bytes))], ..Default::default() }
        .encode_to_vec();
    let mut resource_spans = Vec::new();
    field(1, &big, &mut resource_spans);
    field(2, &scope_spans, &mut resource_spans);
    let mut request = Vec::new();
    field(1, &resource_spans, &mut request);
    request
}

/// The bomb of issue 14, which once took the agent past 3.7 GB: 10 MB of
/// two-byte empty spans and a 2 MiB resource attribute.
fn the_bomb() -> Vec<u8> {
    empty_spans(5_000_000, 2 << 20)
}

/// At the best level: zlib-rs's default level packs these repeats about
/// 256:1, its best about 1,000:1, the most deflate can do.
fn gzip_best(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

async fn post(h: &Receiver, body: Vec<u8>, encoding: Option<&str>) -> (StatusCode, String) {
    let url = format!("http://{}/v1/traces", h.addr("http").unwrap());
    let mut req = reqwest::Client::new().post(url).header("content-type", PROTOBUF).body(body);
    if let Some(e) = encoding {
        req = req.header("content-encoding", e);
    }
    let r = req.send().await.unwrap();
    let status = r.status();
    let body = r.bytes().await.unwrap();
    (status, RpcStatus::decode(body).map(|s| s.message).unwrap_or_default())
}

/// The gzip bomb stops inflating at 256 times its size (413); the same
/// spans uncompressed are refused for their density, and a request with
/// more spans than one may hold for its count; each is counted, and a
/// normal request still goes through.
#[tokio::test]
async fn the_bomb_over_http_is_refused_counted_and_the_receiver_still_serves() {
    let h = Receiver::start("bomb_http", &format!("http {{\n endpoint = \"127.0.0.1:0\"\n}}\n{TO_SINK}")).await;
    let bomb = gzip_best(&the_bomb());
    assert!(bomb.len() < 16 * 1024, "the bomb is small on the wire: {} bytes", bomb.len());
    let (status, message) = post(&h, bomb, Some("gzip")).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{message}");
    assert!(message.contains("256 times the compressed size"), "{message}");
    assert_eq!(h.count("refused_requests", "too_large"), 1, "counted as a refused request");

    // Below the ratio bound (uncompressed), 100,000 two-byte spans are
    // refused for their density, and counted as refused spans.
    let (status, message) = post(&h, empty_spans(100_000, 16), None).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{message}");
    assert!(message.contains("fewer than 8 bytes per item"), "{message}");
    assert_eq!(h.count("traces", "refused"), 100_000);
    assert!(received(&h.sink).is_empty(), "nothing reached the pipeline");

    let (status, _) = post(&h, traces().to_vec(), None).await;
    assert_eq!(status, StatusCode::OK, "a normal request is served after the bombs");
    assert_eq!(h.count("traces", "accepted"), 2);
}

/// Over gRPC, tonic inflates the same bomb only to 256 times its size
/// before RESOURCE_EXHAUSTED; counted, and the next request is served.
#[tokio::test]
async fn the_bomb_over_grpc_is_refused_counted_and_the_receiver_still_serves() {
    let h = Receiver::start("bomb_grpc", &format!("grpc {{\n endpoint = \"127.0.0.1:0\"\n max_recv_msg_size = \"20MiB\"\n}}\n{TO_SINK}")).await;
    let ch = channel(&h).await;
    let path = export_path(Signal::Traces);
    let err = export(&ch, path, Bytes::from(the_bomb()), Some(CompressionEncoding::Gzip)).await.unwrap_err();
    assert_eq!(err.code(), Code::ResourceExhausted, "{err:?}");
    assert!(err.message().contains("256 times the compressed size"), "{}", err.message());
    assert_eq!(h.count("refused_requests", "too_large"), 1);

    let err = export(&ch, path, Bytes::from(empty_spans(100_000, 16)), None).await.unwrap_err();
    assert_eq!(err.code(), Code::ResourceExhausted, "{err:?}");
    assert_eq!(h.count("traces", "refused"), 100_000);
    assert!(received(&h.sink).is_empty(), "nothing reached the pipeline");

    export(&ch, path, traces(), Some(CompressionEncoding::Gzip)).await.unwrap();
    assert_eq!(h.count("traces", "accepted"), 2);
}

/// More spans than 64 MiB holds once decoded, each of them a real size:
/// refused for the count alone.
#[tokio::test]
async fn too_many_items_are_refused_whatever_their_size() {
    let h = Receiver::start("bomb_items", &format!("http {{\n endpoint = \"127.0.0.1:0\"\n}}\n{TO_SINK}")).await;
    let mut req = crate::otlp::proto::ExportTraceServiceRequest::decode(traces()).unwrap();
    let spans = &mut req.resource_spans[0].scope_spans[0].spans;
    *spans = spans.iter().cycle().take(300_000).cloned().collect();
    // Uncompressed: identical spans compress past the ratio bound.
    let (status, message) = post(&h, req.encode_to_vec(), None).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{message}");
    assert!(message.contains("300000 spans in one request") && message.contains("limit is 64 MiB"), "{message}");
    assert_eq!(h.count("traces", "refused"), 300_000);
}
