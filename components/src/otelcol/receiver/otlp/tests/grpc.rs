use bytes::Bytes;
use hyper::http::uri::PathAndQuery;
use prost::Message;
use tonic::codec::CompressionEncoding;
use tonic::transport::Channel;
use tonic::{Code, Status};

use super::{logs, metrics, permanent, received, retryable, traces, Receiver, TO_SINK};
use crate::otlp::grpc::{export_path, BytesCodec};
use crate::otlp::Signal;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceResponse;

pub(super) async fn channel(h: &Receiver) -> Channel {
    let addr = h.addr("grpc").unwrap();
    Channel::from_shared(format!("http://{addr}")).unwrap().connect().await.unwrap()
}

/// One `Export` call with raw bytes, optionally compressed.
pub(super) async fn export(channel: &Channel, path: &'static str, body: Bytes, compression: Option<CompressionEncoding>) -> Result<Bytes, Status> {
    let mut client = tonic::client::Grpc::new(channel.clone());
    if let Some(c) = compression {
        client = client.send_compressed(c);
    }
    client.ready().await.map_err(|e| Status::unknown(e.to_string()))?;
    client.unary(tonic::Request::new(body), PathAndQuery::from_static(path), BytesCodec).await.map(|r| r.into_inner())
}

fn config(extra: &str) -> String {
    format!("grpc {{\n endpoint = \"127.0.0.1:0\"\n {extra}\n}}\n{TO_SINK}")
}

#[tokio::test]
async fn every_signal_reaches_the_output_as_the_bytes_sent() {
    let h = Receiver::start("grpc_signals", &config("")).await;
    let ch = channel(&h).await;
    let sent = [
        (export_path(Signal::Traces), traces(), Some(CompressionEncoding::Gzip), Signal::Traces, 2),
        (export_path(Signal::Metrics), metrics(), Some(CompressionEncoding::Zstd), Signal::Metrics, 3),
        (export_path(Signal::Logs), logs(), None, Signal::Logs, 1),
    ];
    for (path, body, compression, _, _) in &sent {
        let response = export(&ch, path, body.clone(), *compression).await.unwrap();
        assert!(response.is_empty(), "full success is an empty response");
    }
    let got = received(&h.sink);
    let want: Vec<_> = sent.iter().map(|(_, body, _, signal, n)| (*signal, body.clone(), *n)).collect();
    assert_eq!(got, want);
    assert_eq!((h.count("traces", "accepted"), h.count("metrics", "accepted"), h.count("logs", "accepted")), (2, 3, 1));
    let text = crate::selfmetrics::render();
    assert!(text.contains("otelcol_receiver_accepted_spans_total{component_id=\"otelcol.receiver.otlp.grpc_signals\",transport=\"grpc\"} 2\n"), "{text}");
    assert!(
        text.contains("otelcol_receiver_accepted_metric_points_total{component_id=\"otelcol.receiver.otlp.grpc_signals\",transport=\"grpc\"} 3\n"),
        "{text}"
    );
}

#[tokio::test]
async fn malformed_requests_are_invalid_argument_and_the_server_keeps_serving() {
    let h = Receiver::start("grpc_malformed", &config("")).await;
    let ch = channel(&h).await;
    let good = traces();
    let truncated = good.slice(..good.len() - 3);
    let err = export(&ch, export_path(Signal::Traces), truncated, None).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert!(err.message().starts_with("malformed OTLP payload at byte"), "{}", err.message());
    let err = export(&ch, export_path(Signal::Metrics), Bytes::from_static(&[0x0a, 0x05, 0xff]), None).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    let err = export(&ch, "/opentelemetry.proto.collector.profiles.v1development.ProfilesService/Export", traces(), None).await.unwrap_err();
    assert_eq!(err.code(), Code::Unimplemented);
    export(&ch, export_path(Signal::Traces), good, None).await.unwrap();
    assert_eq!(h.sink.received().len(), 1);
    assert_eq!(h.count("traces", "refused"), 0, "malformed payloads have no items to count");
}

#[tokio::test]
async fn oversized_messages_are_resource_exhausted_compressed_or_not() {
    let h = Receiver::start("grpc_oversized", &config("max_recv_msg_size = \"1KiB\"")).await;
    let ch = channel(&h).await;
    // Big but highly compressible: small on the wire, too big once inflated.
    let big = {
        let mut req = opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest::decode(logs()).unwrap();
        req.resource_logs[0].scope_logs[0].log_records[0].severity_text = "x".repeat(4096);
        Bytes::from(req.encode_to_vec())
    };
    for compression in [None, Some(CompressionEncoding::Gzip)] {
        let err = export(&ch, export_path(Signal::Logs), big.clone(), compression).await.unwrap_err();
        assert_eq!(err.code(), Code::ResourceExhausted, "{compression:?}: {err:?}");
    }
    export(&ch, export_path(Signal::Logs), logs(), None).await.unwrap();
}

#[tokio::test]
async fn downstream_refusals_map_to_retryable_or_final_codes() {
    let h = Receiver::start("grpc_downstream", &config("")).await;
    let ch = channel(&h).await;
    h.sink.answer_always(retryable());
    let err = export(&ch, export_path(Signal::Traces), traces(), None).await.unwrap_err();
    assert_eq!((err.code(), err.message()), (Code::Unavailable, "queue is full"));
    h.sink.answer_always(permanent());
    let err = export(&ch, export_path(Signal::Traces), traces(), None).await.unwrap_err();
    assert_eq!((err.code(), err.message()), (Code::InvalidArgument, "data refused"));
    assert_eq!((h.count("traces", "accepted"), h.count("traces", "refused")), (0, 4));
}

#[tokio::test]
async fn a_signal_without_output_is_a_partial_success() {
    let h = Receiver::start("grpc_partial", "grpc {\n endpoint = \"127.0.0.1:0\"\n}\noutput {\n logs = [sink]\n}").await;
    let ch = channel(&h).await;
    let response = export(&ch, export_path(Signal::Traces), traces(), None).await.unwrap();
    let partial = ExportTraceServiceResponse::decode(response).unwrap().partial_success.unwrap();
    assert_eq!(partial.rejected_spans, 2);
    assert_eq!(partial.error_message, "otelcol.receiver.otlp.grpc_partial has no traces output: 2 spans dropped");
    assert_eq!(h.count("traces", "refused"), 2);
}

#[tokio::test]
async fn a_large_request_is_validated_off_the_connection_threads_and_forwarded_whole() {
    let h = Receiver::start("grpc_large", &config("")).await;
    let ch = channel(&h).await;
    let mut req = crate::otlp::proto::ExportTraceServiceRequest::decode(traces()).unwrap();
    let spans = &mut req.resource_spans[0].scope_spans[0].spans;
    *spans = spans.iter().cycle().take(8000).cloned().collect();
    let body = Bytes::from(req.encode_to_vec());
    assert!(body.len() > 256 * 1024, "{} bytes", body.len());
    export(&ch, export_path(Signal::Traces), body.clone(), Some(CompressionEncoding::Gzip)).await.unwrap();
    assert_eq!(received(&h.sink), vec![(Signal::Traces, body, 8000)]);
}

/// Snappy, which tonic does not decode: the exporter's framed snappy (as
/// the Collector sends it) arrives as the bytes sent; a snappy message
/// that inflates past the size limit is RESOURCE_EXHAUSTED.
#[tokio::test]
async fn snappy_messages_are_inflated_within_the_limit() {
    use crate::otelcol::exporter::otlp::unary;
    use crate::otelcol::exporter::sending::client::Compression;
    let h = Receiver::start("grpc_snappy", &config("max_recv_msg_size = \"64KiB\"")).await;
    let ch = channel(&h).await;
    let timeout = std::time::Duration::from_secs(30);
    let response = unary::call(ch.clone(), export_path(Signal::Traces), Default::default(), Compression::Snappy, &traces(), timeout).await.unwrap();
    assert!(response.is_empty(), "full success is an empty response");
    assert_eq!(received(&h.sink), vec![(Signal::Traces, traces(), 2)]);

    let big = Bytes::from(vec![0u8; 1 << 20]);
    let status = unary::call(ch.clone(), export_path(Signal::Traces), Default::default(), Compression::Snappy, &big, timeout).await.unwrap_err();
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
}

/// Bodies as gRPC clients send them (data frames) to
/// `grpc::read_message`.
fn body_of(frames: &[&Bytes]) -> impl hyper::body::Body<Data = Bytes, Error = std::convert::Infallible> + Unpin {
    let frames: Vec<_> = frames.iter().map(|b| Ok(hyper::body::Frame::data((*b).clone()))).collect();
    http_body_util::StreamBody::new(futures::stream::iter(frames))
}

/// A unary call's message in one data frame is handed on as that frame,
/// not copied, also when the client ends the call with an empty data
/// frame after it, as tonic does; a message in several pieces
/// is joined; the limit counts the bytes, not the frames.
#[tokio::test]
async fn a_message_in_one_frame_is_not_copied_and_pieces_are_joined() {
    use super::super::grpc::read_message;
    let message = Bytes::from([&[0u8, 0, 0, 3, 232][..], &[7u8; 1000][..]].concat());
    let empty = Bytes::new();
    for frames in [vec![&message], vec![&message, &empty], vec![&empty, &message, &empty]] {
        let read = read_message(body_of(&frames), 1 << 20).await.expect("within the limit");
        assert_eq!(read, message);
        assert_eq!(read.as_ptr(), message.as_ptr(), "{} frames: the message's frame itself, not a copy", frames.len());
    }
    let (head, tail) = (message.slice(..600), message.slice(600..));
    let joined = read_message(body_of(&[&head, &empty, &tail]), 1 << 20).await.expect("within the limit");
    assert_eq!(joined, message);
    assert!(read_message(body_of(&[&head, &tail]), message.len() - 1).await.is_none(), "one byte over the limit");
    assert!(read_message(body_of(&[&head, &tail, &empty]), message.len()).await.is_some(), "at the limit");
}
