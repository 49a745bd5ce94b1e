//! One unary gRPC call, framed here rather than by tonic's client, so that
//! the message is compressed by [`Compression::compress_grpc`]: tonic's
//! gzip runs at a fixed level 6, four times the CPU of the level 1 the
//! measurements chose (docs/compression.md), and it has no snappy. tonic's
//! channel still carries the call, and its decoder reads the answer.

use std::convert::Infallible;
use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use http_body_util::StreamBody;
use hyper::body::Frame;
use hyper::http::header::{HeaderMap, HeaderValue, CONTENT_TYPE, TE};
use hyper::http::{Method, Uri};
use tonic::codec::{Codec, Streaming};
use tonic::transport::Channel;
use tonic::{Code, Status};
use tower::{Service, ServiceExt};

use super::grpc::Passthrough;
use crate::otelcol::exporter::sending;
use crate::otelcol::exporter::sending::client::Compression;

/// Sends `message` to `path` and returns the response message (empty when
/// the server sent none). `headers` go first; the protocol's own headers
/// override any of the same name.
pub async fn call(
    mut channel: Channel,
    path: &'static str,
    headers: HeaderMap,
    compression: Compression,
    message: &Bytes,
    timeout: Duration,
) -> Result<Bytes, Status> {
    let (flag, body) = match compression {
        Compression::None => (0u8, message.clone()),
        c => (1u8, c.compress_off_worker(message, true).await.map_err(|e| Status::internal(format!("cannot compress the request: {e}")))?),
    };
    let len = u32::try_from(body.len()).map_err(|_| Status::resource_exhausted("the message is larger than 4 GiB"))?;
    let mut prefix = BytesMut::with_capacity(5);
    prefix.put_u8(flag);
    prefix.put_u32(len);
    // The prefix and the message as two frames: the message is not copied.
    let frames = futures::stream::iter([Ok::<_, Infallible>(Frame::data(prefix.freeze())), Ok(Frame::data(body))]);

    let mut request = hyper::Request::new(tonic::body::Body::new(StreamBody::new(frames)));
    *request.method_mut() = Method::POST;
    // The channel adds the scheme and authority of its endpoint.
    *request.uri_mut() = Uri::from_static(path);
    let h = request.headers_mut();
    *h = headers;
    h.insert(TE, HeaderValue::from_static("trailers"));
    h.insert(CONTENT_TYPE, HeaderValue::from_static("application/grpc"));
    if flag == 1 {
        h.insert("grpc-encoding", HeaderValue::from_static(compression.name()));
    }
    // No grpc-accept-encoding: the answer comes back uncompressed.
    if let Ok(v) = HeaderValue::from_str(&format!("{}m", timeout.as_millis().min(99_999_999))) {
        h.insert("grpc-timeout", v);
    }

    let ready = channel.ready().await.map_err(|e| Status::unavailable(sending::error_chain(&e)))?;
    let response = ready.call(request).await.map_err(|e| Status::from_error(e.into()))?;
    // A trailers-only answer: the status is in the headers.
    if let Some(status) = Status::from_header_map(response.headers()) {
        return if status.code() == Code::Ok { Ok(Bytes::new()) } else { Err(status) };
    }
    let status = response.status();
    let mut answer = Streaming::new_response(Passthrough.decoder(), response.into_body(), status, None, None);
    let message = answer.message().await?.unwrap_or_default();
    // The trailers carry the call's status; an error there fails the call.
    answer.trailers().await?;
    Ok(message)
}
