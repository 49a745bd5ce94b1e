//! One accepted connection: its TLS handshake, HTTP/1.1 or HTTP/2 (told
//! apart by the client's first bytes), and the deadlines that keep a slow
//! client from holding it.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{Either, Full};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONNECTION, CONTENT_TYPE};
use hyper::{Request, Response, StatusCode, Version};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;

use super::body::RequestBody;
use super::{Handler, Limits};

/// What each connection of a server shares.
pub(super) struct Context<H> {
    pub name: &'static str,
    pub handler: H,
    pub limits: Limits,
    /// Read once per connection, so that new TLS settings reach new
    /// connections without a new socket.
    pub tls: Arc<Mutex<Option<TlsAcceptor>>>,
    pub stop: CancellationToken,
}

pub(super) async fn connection<H: Handler>(stream: TcpStream, peer: SocketAddr, cx: Arc<Context<H>>) {
    let _ = stream.set_nodelay(true);
    let tls = cx.tls.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let handler = cx.handler.for_connection(peer);
    match tls {
        None => serve(stream, handler, cx).await,
        Some(acceptor) => match tokio::time::timeout(cx.limits.handshake_timeout, acceptor.accept(stream)).await {
            Ok(Ok(stream)) => serve(stream, handler, cx).await,
            Ok(Err(e)) => tracing::debug!("{}: TLS handshake failed: {e}", cx.name),
            Err(_) => tracing::debug!("{}: TLS handshake timed out", cx.name),
        },
    }
}

async fn serve<H: Handler, I: AsyncRead + AsyncWrite + Unpin + Send + 'static>(io: I, handler: H, cx: Arc<Context<H>>) {
    let limits = cx.limits;
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).header_read_timeout(limits.header_timeout);
    builder.http2().timer(TokioTimer::new()).keep_alive_interval(limits.keep_alive_interval).keep_alive_timeout(limits.keep_alive_timeout);
    handler.configure(&mut builder);
    // hyper times the headers of HTTP/1.1 requests only once it knows the
    // protocol; until the first request arrives this deadline does.
    let started = CancellationToken::new();
    let service = {
        let started = started.clone();
        hyper::service::service_fn(move |req| {
            started.cancel();
            let handler = handler.clone();
            async move { Ok::<_, Infallible>(request(handler, req, limits).await) }
        })
    };
    let conn = builder.serve_connection(TokioIo::new(io), service);
    tokio::pin!(conn);
    let first_request = async {
        tokio::select! {
            biased;
            _ = started.cancelled() => std::future::pending().await,
            _ = tokio::time::sleep(limits.header_timeout) => {}
        }
    };
    tokio::select! {
        _ = conn.as_mut() => {}
        _ = first_request => tracing::debug!("{}: no request within {:?}; closing the connection", cx.name, limits.header_timeout),
        _ = cx.stop.cancelled() => {
            // Finish the requests under way, then close; HTTP/2 clients
            // get a GOAWAY and reconnect elsewhere.
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}

/// One request: the handler's answer, or 408 if the body is still
/// arriving when its time is up.
async fn request<H: Handler>(handler: H, req: Request<Incoming>, limits: Limits) -> Response<Either<H::Body, Full<Bytes>>> {
    let version = req.version();
    let (parts, body) = req.into_parts();
    let (body, watch) = RequestBody::watch(body);
    tokio::select! {
        response = handler.handle(Request::from_parts(parts, body)) => response.map(Either::Left),
        _ = watch.overdue(limits.body_timeout) => {
            let mut r = Response::new(Either::Right(Full::new(Bytes::from(format!("request body not received within {:?}\n", limits.body_timeout)))));
            *r.status_mut() = StatusCode::REQUEST_TIMEOUT;
            r.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
            // The rest of the body would be read as the next request.
            if version < Version::HTTP_2 {
                r.headers_mut().insert(CONNECTION, HeaderValue::from_static("close"));
            }
            r
        }
    }
}
