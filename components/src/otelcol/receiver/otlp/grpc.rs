//! OTLP/gRPC: the `Export` method of the trace, metrics and logs services.
//!
//! Served with tonic's low-level [`Grpc`] and [`BytesCodec`], which hands
//! the request message over as the `Bytes` it arrived as (split off tonic's
//! buffer, not copied), so the payload is validated and forwarded without
//! being decoded. tonic deals with the framing, request compression (gzip,
//! zstd, deflate) and the size limit; the body is read first, so that the
//! limit tonic inflates a compressed message to can be bounded by the
//! message's compressed size (see [`super::admission`]).

use std::convert::Infallible;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use bytes::{BufMut, Bytes, BytesMut};
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Body, Frame};
use hyper::{Request, Response};
use hyper_util::rt::TokioExecutor;
use hyper_util::server::conn::auto;
use tonic::codec::CompressionEncoding;
use tonic::server::{Grpc, UnaryService};
use tonic::Status;

use super::admission;
use super::compression::{decompress_within, Encoding, Unreadable};
use super::export::{client_addr, Refused, Shared, Transport, Unread, SIGNALS};
use crate::consumer::ErrorKind;
use crate::otlp::grpc::{export_path, BytesCodec};
use crate::otlp::Signal;
use crate::serve::{Handler, RequestBody};

#[derive(Clone)]
pub(super) struct GrpcHandler {
    shared: Arc<Shared>,
    /// The connection's client, once one is accepted.
    peer: Option<IpAddr>,
}

impl GrpcHandler {
    pub fn new(shared: Arc<Shared>) -> GrpcHandler {
        GrpcHandler { shared, peer: None }
    }
}

impl Handler for GrpcHandler {
    type Body = tonic::body::Body;

    fn handle(self, req: Request<RequestBody>) -> impl Future<Output = Response<tonic::body::Body>> + Send + 'static {
        let (shared, peer) = (self.shared, self.peer);
        async move {
            let auth = shared.settings().args.grpc.as_ref().and_then(|g| g.auth.clone());
            if let Err(refused) = shared.authenticate(auth.as_ref(), Transport::Grpc, req.headers()) {
                return Status::unauthenticated(refused.message).into_http();
            }
            let path = req.uri().path();
            let Some(signal) = SIGNALS.into_iter().find(|s| export_path(*s) == path) else {
                return Status::unimplemented(format!("unknown method {path}")).into_http();
            };
            let limit = shared.settings().args.grpc.as_ref().map_or(super::DEFAULT_MAX_RECV_MSG_SIZE, |g| g.max_recv_msg_size).bytes();
            let (mut parts, body) = req.into_parts();
            let Some(mut body) = read_message(body, limit.saturating_add(FRAME_HEADER)).await else {
                shared.refuse_request(Transport::Grpc, Unread::TooLarge);
                return Status::resource_exhausted(format!("message larger than max_recv_msg_size ({limit} bytes)")).into_http();
            };
            // A unary request is one frame: a compression flag, a length, the message.
            let mut compressed = body.first() == Some(&1);
            if compressed && parts.headers.get(GRPC_ENCODING).is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"snappy")) {
                body = match unsnappy(&body, limit) {
                    Ok(frame) => frame,
                    Err(Unreadable::TooLarge(message)) => {
                        shared.refuse_request(Transport::Grpc, Unread::TooLarge);
                        return Status::resource_exhausted(message).into_http();
                    }
                    Err(Unreadable::Invalid(message)) => {
                        shared.refuse_request(Transport::Grpc, Unread::Malformed);
                        return Status::internal(message).into_http();
                    }
                };
                parts.headers.remove(GRPC_ENCODING);
                compressed = false;
            }
            if !compressed {
                if let Some(message) = whole_message(&body, &parts.headers) {
                    return answer(&shared, signal, peer, message).await;
                }
            }
            let inflation = if compressed { admission::inflation_limit(body.len().saturating_sub(FRAME_HEADER), limit) } else { limit };
            let mut grpc = Grpc::new(BytesCodec)
                .accept_compressed(CompressionEncoding::Gzip)
                .accept_compressed(CompressionEncoding::Zstd)
                .accept_compressed(CompressionEncoding::Deflate)
                .max_decoding_message_size(inflation);
            let reached = Arc::new(AtomicBool::new(false));
            let export = Export { shared: Arc::clone(&shared), signal, peer, reached: Arc::clone(&reached) };
            let wire = body.len().saturating_sub(FRAME_HEADER);
            let mut response = grpc.unary(export, Request::from_parts(parts, Full::new(body))).await;
            too_large_is_resource_exhausted(&mut response);
            if !reached.load(Ordering::Relaxed) {
                refused_by_tonic(&shared, &mut response, (inflation < limit).then(|| admission::inflation_refusal(wire, limit)));
            }
            response
        }
    }

    fn configure(&self, builder: &mut auto::Builder<TokioExecutor>) {
        builder.http2().max_frame_size(MAX_FRAME_SIZE);
        let settings = self.shared.settings();
        if let Some(n) = settings.args.grpc.as_ref().map(|g| g.max_concurrent_streams).filter(|n| *n > 0) {
            builder.http2().max_concurrent_streams(n);
        }
    }

    fn for_connection(&self, peer: SocketAddr) -> GrpcHandler {
        GrpcHandler { shared: Arc::clone(&self.shared), peer: Some(client_addr(peer)) }
    }
}

/// tonic reports a message over the size limit as OUT_OF_RANGE, which the
/// OTLP spec lists as retryable: SDKs would send the same oversized request
/// again and again. gRPC-Go, and so the Collector, say RESOURCE_EXHAUSTED,
/// which without retry info is final. Only size errors are OUT_OF_RANGE
/// here: the export itself never answers with it.
fn too_large_is_resource_exhausted(response: &mut Response<tonic::body::Body>) {
    let code = response.headers().get("grpc-status").map(|v| v.as_bytes());
    if code == Some(b"11") {
        let exhausted = (tonic::Code::ResourceExhausted as i32).to_string();
        if let Ok(v) = hyper::header::HeaderValue::from_str(&exhausted) {
            response.headers_mut().insert("grpc-status", v);
        }
    }
}

/// The largest HTTP/2 frame clients may send. At HTTP/2's default of 16
/// KiB a request of 100 spans (about 25 KiB) came in two DATA frames,
/// which [`read_message`] had to copy into one buffer. A frame is never
/// larger than the stream's flow-control window (hyper's default 1 MiB),
/// so this adds no memory a client could not already make the server hold.
const MAX_FRAME_SIZE: u32 = 256 * 1024;

/// The 5 bytes before a gRPC message: compressed or not, and its length.
const FRAME_HEADER: usize = 5;

const GRPC_ENCODING: &str = "grpc-encoding";

/// The frame of a snappy-compressed message (tonic has no snappy codec),
/// inflated within the same bounds as tonic's: the message again, as an
/// uncompressed frame.
fn unsnappy(frame: &[u8], limit: usize) -> Result<Bytes, Unreadable> {
    let message = frame.get(FRAME_HEADER..).unwrap_or_default();
    let bound = admission::inflation_limit(message.len(), limit);
    let inflated = decompress_within(Encoding::Snappy, message, bound, limit)?;
    let len = u32::try_from(inflated.len()).map_err(|_| Unreadable::TooLarge(format!("message larger than max_recv_msg_size ({limit} bytes)")))?;
    let mut out = BytesMut::with_capacity(FRAME_HEADER + inflated.len());
    out.extend_from_slice(&[0]);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&inflated);
    Ok(out.freeze())
}

/// Reads a request body of at most `limit` bytes; `None` when larger.
/// A body that came as one data frame (the usual unary call) is handed on
/// as that frame, not copied; otherwise the buffer is sized once from the
/// length in the frame header. Empty data frames are passed over: gRPC
/// clients built on tonic (Rust SDKs, Solder's own exporter and load
/// generator) end a unary call with one after the message's frame, and
/// counted as a second piece it had every such request copied (3.5% of
/// the default config's CPU at 10K spans/s).
pub(super) async fn read_message<B: Body<Data = Bytes> + Unpin>(mut body: B, limit: usize) -> Option<Bytes> {
    let mut first: Option<Bytes> = None;
    let mut buf = BytesMut::new();
    let mut len = 0usize;
    while let Some(frame) = body.frame().await {
        // A body that breaks off is given to tonic as far as it came,
        // which answers it as a truncated message.
        let Ok(frame) = frame else { break };
        let Ok(data) = frame.into_data() else { continue };
        if data.is_empty() {
            continue;
        }
        len += data.len();
        if len > limit {
            return None;
        }
        match first.take() {
            None if buf.is_empty() => first = Some(data),
            held => {
                if let Some(held) = held {
                    buf.reserve(framed_len(&held).unwrap_or(0).clamp(held.len() + data.len(), limit));
                    buf.extend_from_slice(&held);
                }
                buf.extend_from_slice(&data);
            }
        }
    }
    Some(first.unwrap_or_else(|| buf.freeze()))
}

/// The whole frame's length, from its header, when the header is there.
fn framed_len(frame: &[u8]) -> Option<usize> {
    let header: [u8; 4] = frame.get(1..FRAME_HEADER)?.try_into().ok()?;
    usize::try_from(u32::from_be_bytes(header)).ok()?.checked_add(FRAME_HEADER)
}

/// Counts a request tonic refused before the export saw it: a message that
/// inflated past its bound, or one that does not decompress. `inflation`
/// is the message for the first when the bound was the ratio, not the
/// configured size: tonic's own names only the number.
fn refused_by_tonic(shared: &Shared, response: &mut Response<tonic::body::Body>, inflation: Option<String>) {
    let code = response.headers().get("grpc-status").and_then(|v| v.to_str().ok()?.parse::<i32>().ok());
    match code.map(tonic::Code::from) {
        Some(tonic::Code::ResourceExhausted) => {
            shared.refuse_request(Transport::Grpc, Unread::TooLarge);
            if let Some(v) = inflation.and_then(|m| hyper::header::HeaderValue::from_str(&m).ok()) {
                response.headers_mut().insert("grpc-message", v);
            }
        }
        Some(tonic::Code::Internal | tonic::Code::Unimplemented | tonic::Code::InvalidArgument) => shared.refuse_request(Transport::Grpc, Unread::Malformed),
        _ => {}
    }
}

/// One `Export` call.
struct Export {
    shared: Arc<Shared>,
    signal: Signal,
    peer: Option<IpAddr>,
    /// Set once tonic has decoded the message and handed it over.
    reached: Arc<AtomicBool>,
}

impl UnaryService<Bytes> for Export {
    type Response = Bytes;
    type Future = Pin<Box<dyn Future<Output = Result<tonic::Response<Bytes>, Status>> + Send>>;

    fn call(&mut self, request: tonic::Request<Bytes>) -> Self::Future {
        let (shared, signal, peer) = (Arc::clone(&self.shared), self.signal, self.peer);
        self.reached.store(true, Ordering::Relaxed);
        Box::pin(async move {
            match shared.export(signal, Transport::Grpc, peer, request.into_inner()).await {
                Ok(accepted) => Ok(tonic::Response::new(accepted.to_protobuf(signal))),
                Err(refused) => Err(status_of(refused)),
            }
        })
    }
}

/// The gRPC status a refusal is answered with.
fn status_of(refused: Refused) -> Status {
    match refused {
        Refused::Malformed(message) => Status::invalid_argument(message),
        // Without RetryInfo, clients do not retry it.
        Refused::TooLarge(message) => Status::resource_exhausted(message),
        Refused::Downstream(e) if e.kind == ErrorKind::Retryable => Status::unavailable(e.message),
        Refused::Downstream(e) => Status::invalid_argument(e.message),
    }
}

/// The message of a body that is exactly one uncompressed frame, which is
/// how SDKs send an export without compression; `None` for anything else
/// (compressed, several frames, a length that does not match, an encoding
/// tonic would refuse), which goes through tonic. The body is already
/// within the size limit ([`read_message`]).
///
/// This path answers without tonic's decoder and encoder: tonic copies
/// the message into a buffer of its own, grown a few times on the way,
/// which was 7% of the agent's CPU at 10K spans/s with 100-span requests.
fn whole_message(frame: &Bytes, headers: &hyper::HeaderMap) -> Option<Bytes> {
    let encoding = headers.get(GRPC_ENCODING).map(|v| v.as_bytes());
    // The encodings tonic is set to accept, and "identity": others it refuses.
    let known = encoding.is_none_or(|e| [&b"identity"[..], b"gzip", b"zstd", b"deflate"].contains(&e));
    (known && frame.first() == Some(&0) && framed_len(frame) == Some(frame.len())).then(|| frame.slice(FRAME_HEADER..))
}

/// Exports one message and answers the call as tonic would: the response
/// message and `grpc-status: 0` in the trailers, or a trailers-only
/// answer with the refusal's status.
async fn answer(shared: &Shared, signal: Signal, peer: Option<IpAddr>, message: Bytes) -> Response<tonic::body::Body> {
    let accepted = match shared.export(signal, Transport::Grpc, peer, message).await {
        Ok(accepted) => accepted,
        Err(refused) => return status_of(refused).into_http(),
    };
    let reply = accepted.to_protobuf(signal);
    let Ok(len) = u32::try_from(reply.len()) else {
        return Status::internal("response larger than 4 GiB").into_http();
    };
    let mut frame = BytesMut::with_capacity(FRAME_HEADER + reply.len());
    frame.put_u8(0);
    frame.put_u32(len);
    frame.extend_from_slice(&reply);
    let mut trailers = hyper::HeaderMap::with_capacity(1);
    trailers.insert("grpc-status", hyper::header::HeaderValue::from_static("0"));
    let frames = futures::stream::iter([Ok::<_, Infallible>(Frame::data(frame.freeze())), Ok(Frame::trailers(trailers))]);
    let mut response = Response::new(tonic::body::Body::new(StreamBody::new(frames)));
    response.headers_mut().insert(hyper::header::CONTENT_TYPE, hyper::header::HeaderValue::from_static("application/grpc"));
    response
}
