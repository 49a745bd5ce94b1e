//! OTLP/HTTP: `POST` a protobuf or JSON export request to the signal's
//! path; the answer comes in the request's encoding. Errors carry a
//! `google.rpc.Status`, as the OTLP spec asks, except where the request's
//! encoding is unknown (404, 405, 415): those answer in plain text, with
//! the Collector's wording.

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use http_body_util::{BodyExt, Full};
use hyper::header::{HeaderMap, HeaderValue, ALLOW, CONTENT_LENGTH, CONTENT_TYPE, EXPECT, ORIGIN, RETRY_AFTER, WWW_AUTHENTICATE};
use hyper::{Method, Request, Response, StatusCode};

use super::compression::{content_encoding, decompress, Encoding, Unreadable};
use super::export::{client_addr, Refused, Shared, Transport, Unread};
use super::{json, HttpArguments};
use crate::consumer::ErrorKind;
use crate::otlp::Signal;
use crate::serve::{Handler, RequestBody};

/// Bodies larger than this are decompressed and transcoded on the
/// blocking pool, off the threads that serve connections.
const INLINE_WORK: usize = 64 * 1024;

/// How much of a refused body is read and dropped, and for how long.
const DISCARD_LIMIT: usize = 64 << 20;
const DISCARD_TIME: std::time::Duration = std::time::Duration::from_secs(5);

/// What SDKs are told to wait before retrying when the pipeline is full:
/// their own first backoff step, made explicit.
const RETRY_AFTER_SECONDS: &str = "1";

const PROTOBUF: &str = "application/x-protobuf";
const JSON: &str = "application/json";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Protobuf,
    Json,
}

impl HttpArguments {
    /// Adds a missing leading `/` to the URL paths, as the Collector does.
    pub(super) fn normalize(&mut self) {
        for path in [&mut self.traces_url_path, &mut self.metrics_url_path, &mut self.logs_url_path] {
            if !path.starts_with('/') {
                path.insert(0, '/');
            }
        }
    }

    /// Checks the normalized URL paths and the compression list.
    pub(super) fn check(&self) -> Result<(), String> {
        let paths = [("traces_url_path", &self.traces_url_path), ("metrics_url_path", &self.metrics_url_path), ("logs_url_path", &self.logs_url_path)];
        for (i, (a, pa)) in paths.iter().enumerate() {
            if let Some((b, _)) = paths[i + 1..].iter().find(|(_, pb)| pb == pa) {
                return Err(format!("http: {a} and {b} are both {pa:?}; each signal needs its own path"));
            }
        }
        if let Some(cors) = &self.cors {
            cors.check()?;
        }
        for name in &self.compression_algorithms {
            if Encoding::parse(name).is_none() {
                return Err(format!(
                    "http: compression algorithm {name:?} is not supported; supported: \"\", \"gzip\", \"zstd\", \"zlib\", \"snappy\", \"deflate\""
                ));
            }
        }
        Ok(())
    }

    fn signal(&self, path: &str) -> Option<Signal> {
        [(Signal::Traces, &self.traces_url_path), (Signal::Metrics, &self.metrics_url_path), (Signal::Logs, &self.logs_url_path)]
            .into_iter()
            .find_map(|(signal, p)| (p == path).then_some(signal))
    }
}

#[derive(Clone)]
pub(super) struct HttpHandler {
    shared: Arc<Shared>,
    /// The connection's client, once one is accepted.
    peer: Option<IpAddr>,
}

impl HttpHandler {
    pub fn new(shared: Arc<Shared>) -> HttpHandler {
        HttpHandler { shared, peer: None }
    }
}

impl Handler for HttpHandler {
    type Body = Full<Bytes>;

    fn handle(self, req: Request<RequestBody>) -> impl Future<Output = Response<Full<Bytes>>> + Send + 'static {
        let (shared, peer) = (self.shared, self.peer);
        async move {
            let cors = shared.settings().args.http.as_ref().and_then(|h| h.cors.clone());
            let Some(cors) = cors else { return handle(&shared, peer, req).await.unwrap_or_else(|refusal| refusal) };
            if let Some(answer) = cors.preflight(&req) {
                return answer;
            }
            let origin = req.headers().get(ORIGIN).cloned();
            let mut resp = handle(&shared, peer, req).await.unwrap_or_else(|refusal| refusal);
            cors.decorate(origin.as_ref(), &mut resp);
            resp
        }
    }

    fn for_connection(&self, peer: SocketAddr) -> HttpHandler {
        HttpHandler { shared: Arc::clone(&self.shared), peer: Some(client_addr(peer)) }
    }
}

async fn handle(shared: &Shared, peer: Option<IpAddr>, req: Request<RequestBody>) -> Result<Response<Full<Bytes>>, Response<Full<Bytes>>> {
    let settings = shared.settings();
    let fallback;
    let args = match &settings.args.http {
        Some(http) => http,
        None => {
            fallback = HttpArguments::default();
            &fallback
        }
    };
    // Before anything else, as the Collector's auth middleware does: an
    // unauthenticated client learns nothing about paths or formats.
    if let Err(refused) = shared.authenticate(args.auth.as_ref(), Transport::Http, req.headers()) {
        let mut r = text(StatusCode::UNAUTHORIZED, refused.message);
        r.headers_mut().insert(WWW_AUTHENTICATE, HeaderValue::from_static(refused.challenge));
        return Err(r);
    }
    let signal = args.signal(req.uri().path()).ok_or_else(|| text(StatusCode::NOT_FOUND, "404 page not found"))?;
    if req.method() != Method::POST {
        let mut r = text(StatusCode::METHOD_NOT_ALLOWED, "405 method not allowed, supported: [POST]");
        r.headers_mut().insert(ALLOW, HeaderValue::from_static("POST"));
        return Err(r);
    }
    let format = match media_type(req.headers()).as_deref() {
        Some(PROTOBUF) => Format::Protobuf,
        Some(JSON) => Format::Json,
        _ => return Err(text(StatusCode::UNSUPPORTED_MEDIA_TYPE, "415 unsupported media type, supported: [application/json, application/x-protobuf]")),
    };
    let fail = |status: StatusCode, message: String| status_response(format, status, message);
    let refuse = |why: Unread, status: StatusCode, message: String| {
        shared.refuse_request(Transport::Http, why);
        fail(status, message)
    };
    let encoding = content_encoding(req.headers(), &args.compression_algorithms).map_err(|m| refuse(Unread::Malformed, StatusCode::BAD_REQUEST, m))?;

    let limit = args.max_request_body_size.bytes();
    let too_large =
        || refuse(Unread::TooLarge, StatusCode::PAYLOAD_TOO_LARGE, format!("request body larger than max_request_body_size ({})", args.max_request_body_size));
    let declared = req.headers().get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        // A client that waits for `100 Continue` never sends the body.
        if !req.headers().contains_key(EXPECT) {
            discard(req.into_body()).await;
        }
        return Err(too_large());
    }
    let body = match read_body(req.into_body(), limit).await {
        Ok(body) => body,
        Err(None) => return Err(too_large()),
        Err(Some(e)) => return Err(fail(StatusCode::BAD_REQUEST, format!("failed to read request body: {e}"))),
    };

    let proto = if encoding == Encoding::Identity && format == Format::Protobuf {
        body
    } else {
        // Inflating and transcoding cost CPU; a small compressed body can
        // still inflate to its bound (see `admission`).
        let big = body.len() > INLINE_WORK || encoding != Encoding::Identity;
        let prepared = offload(big, move || {
            let body = decompress(encoding, body, limit)?;
            match format {
                Format::Protobuf => Ok(body),
                Format::Json => json::to_protobuf(signal, &body).map_err(|e| Unreadable::Invalid(e.to_string())),
            }
        })
        .await;
        match prepared {
            Some(Ok(proto)) => proto,
            Some(Err(Unreadable::TooLarge(message))) => return Err(refuse(Unread::TooLarge, StatusCode::PAYLOAD_TOO_LARGE, message)),
            Some(Err(Unreadable::Invalid(message))) => return Err(refuse(Unread::Malformed, StatusCode::BAD_REQUEST, message)),
            None => return Err(fail(StatusCode::INTERNAL_SERVER_ERROR, "request processing failed".into())),
        }
    };

    match shared.export(signal, Transport::Http, peer, proto).await {
        Ok(accepted) => Ok(match format {
            Format::Protobuf => respond(StatusCode::OK, PROTOBUF, accepted.to_protobuf(signal)),
            Format::Json => respond(StatusCode::OK, JSON, accepted.to_json(signal)),
        }),
        Err(Refused::Malformed(message)) => Err(fail(StatusCode::BAD_REQUEST, message)),
        Err(Refused::TooLarge(message)) => Err(fail(StatusCode::PAYLOAD_TOO_LARGE, message)),
        Err(Refused::Downstream(e)) if e.kind == ErrorKind::Retryable => {
            let mut r = fail(StatusCode::SERVICE_UNAVAILABLE, e.message);
            r.headers_mut().insert(RETRY_AFTER, HeaderValue::from_static(RETRY_AFTER_SECONDS));
            Err(r)
        }
        Err(Refused::Downstream(e)) => Err(fail(StatusCode::BAD_REQUEST, e.message)),
    }
}

/// Reads the body, up to `limit` bytes. `Err(None)` when it is larger:
/// the rest is read and dropped, so that the client, which may still be
/// sending, gets to read the 413.
async fn read_body(mut body: RequestBody, limit: usize) -> Result<Bytes, Option<hyper::Error>> {
    let mut first: Option<Bytes> = None;
    let mut more = BytesMut::new();
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame.map_err(Some)?.into_data() else { continue };
        let have = first.as_ref().map_or(0, Bytes::len) + more.len();
        if have + data.len() > limit {
            discard(body).await;
            return Err(None);
        }
        match &first {
            None => first = Some(data),
            Some(f) => {
                if more.is_empty() {
                    more.extend_from_slice(f);
                }
                more.extend_from_slice(&data);
            }
        }
    }
    Ok(if more.is_empty() { first.unwrap_or_default() } else { more.freeze() })
}

/// Reads and drops what is left of a refused body, for a while: closing
/// on a client still sending can reset the connection before it reads the
/// answer (what nginx calls a lingering close).
async fn discard(mut body: RequestBody) {
    let mut left = DISCARD_LIMIT;
    let _ = tokio::time::timeout(DISCARD_TIME, async {
        while let Some(Ok(frame)) = body.frame().await {
            let n = frame.data_ref().map_or(0, Bytes::len);
            match left.checked_sub(n) {
                Some(l) => left = l,
                None => break,
            }
        }
    })
    .await;
}

/// Runs CPU-heavy work inline when small, on the blocking pool when not.
/// `None` if the work panicked.
async fn offload<T: Send + 'static>(big: bool, work: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    if big {
        tokio::task::spawn_blocking(work).await.ok()
    } else {
        Some(work())
    }
}

/// The media type without parameters, lowercased.
fn media_type(headers: &HeaderMap) -> Option<String> {
    let v = headers.get(CONTENT_TYPE)?.to_str().ok()?;
    Some(v.split(';').next().unwrap_or_default().trim().to_ascii_lowercase())
}

/// `google.rpc.Status`, the error body the OTLP spec asks for.
#[derive(Clone, PartialEq, prost::Message)]
struct RpcStatus {
    #[prost(int32, tag = "1")]
    code: i32,
    #[prost(string, tag = "2")]
    message: String,
}

fn status_response(format: Format, status: StatusCode, message: String) -> Response<Full<Bytes>> {
    // The gRPC code that corresponds to the HTTP status.
    let code = match status {
        StatusCode::PAYLOAD_TOO_LARGE => tonic::Code::ResourceExhausted,
        StatusCode::SERVICE_UNAVAILABLE => tonic::Code::Unavailable,
        StatusCode::INTERNAL_SERVER_ERROR => tonic::Code::Internal,
        _ => tonic::Code::InvalidArgument,
    } as i32;
    match format {
        Format::Protobuf => respond(status, PROTOBUF, Bytes::from(prost::Message::encode_to_vec(&RpcStatus { code, message }))),
        Format::Json => respond(status, JSON, Bytes::from(serde_json::json!({ "code": code, "message": message }).to_string())),
    }
}

fn text(status: StatusCode, message: &'static str) -> Response<Full<Bytes>> {
    respond(status, "text/plain; charset=utf-8", Bytes::from_static(message.as_bytes()))
}

fn respond(status: StatusCode, content_type: &'static str, body: Bytes) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(body));
    *r.status_mut() = status;
    r.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}
