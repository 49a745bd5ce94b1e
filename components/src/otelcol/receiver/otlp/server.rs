//! One listening socket and the connections it accepts, shared by the gRPC
//! and HTTP servers: plain or TLS, HTTP/1.1 or HTTP/2 (detected per
//! connection), and a shutdown that stops accepting at once but lets
//! in-flight requests finish.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;

/// How long a closing server waits for in-flight requests.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a client gets to finish its TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The most connections one server holds open. Past it a new connection is
/// closed as soon as it is accepted, so a client holding thousands of idle
/// or trickling connections (slowloris) cannot starve the others of file
/// descriptors and tasks; the client sees the connection close and retries.
pub(super) const MAX_CONNECTIONS: usize = 4096;

/// How long an HTTP/1.1 client gets to send a request's headers, as the
/// Collector's `read_header_timeout`: idle or trickling connections do not
/// hold a task forever.
const HEADER_TIMEOUT: Duration = Duration::from_secs(60);

/// What a protocol server does with each request.
pub(super) trait Handler: Clone + Send + Sync + 'static {
    type Body: hyper::body::Body<Data = Bytes, Error: Into<Box<dyn std::error::Error + Send + Sync>>> + Send + 'static;

    /// Takes the handler by value (a clone per request) so the future owns
    /// everything it uses.
    fn handle(self, req: Request<Incoming>) -> impl Future<Output = Response<Self::Body>> + Send + 'static;

    /// Connection settings, read for each new connection so that updated
    /// arguments reach new connections without a restart.
    fn configure(&self, _builder: &mut auto::Builder<TokioExecutor>) {}
}

/// A running server.
pub(super) struct Server {
    pub addr: SocketAddr,
    stop: CancellationToken,
    closed: oneshot::Receiver<()>,
    task: JoinHandle<()>,
}

impl Server {
    /// Binds `endpoint` and starts accepting. Fails with a message fit for
    /// the component's health.
    pub async fn start<H: Handler>(endpoint: &str, tls: Option<TlsAcceptor>, handler: H) -> Result<Server, String> {
        let listener = TcpListener::bind(endpoint).await.map_err(|e| format!("cannot listen on {endpoint}: {e}"))?;
        let addr = listener.local_addr().map_err(|e| format!("cannot listen on {endpoint}: {e}"))?;
        let stop = CancellationToken::new();
        let (closed_tx, closed) = oneshot::channel();
        let task = tokio::spawn(accept(listener, tls, handler, stop.clone(), closed_tx, MAX_CONNECTIONS));
        Ok(Server { addr, stop, closed, task })
    }

    /// Stops accepting and returns once the socket is closed, so that the
    /// address can be bound again. Requests in flight carry on; the
    /// returned task ends when they have finished.
    pub async fn close(self) -> JoinHandle<()> {
        self.stop.cancel();
        let _ = self.closed.await;
        self.task
    }
}

async fn accept<H: Handler>(listener: TcpListener, tls: Option<TlsAcceptor>, handler: H, stop: CancellationToken, closed: oneshot::Sender<()>, max: usize) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = stop.cancelled() => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) if connections.len() >= max => {
                    tracing::debug!("otelcol.receiver.otlp: {max} connections open; closing the one from {peer}");
                    drop(stream);
                }
                Ok((stream, _peer)) => {
                    connections.spawn(connection(stream, tls.clone(), handler.clone(), stop.clone()));
                }
                Err(e) => {
                    // Out of file descriptors and the like: back off
                    // rather than spin; the listener is still good.
                    tracing::warn!("otelcol.receiver.otlp: accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
        }
    }
    drop(listener);
    let _ = closed.send(());
    let drained = tokio::time::timeout(DRAIN_TIMEOUT, async { while connections.join_next().await.is_some() {} }).await;
    if drained.is_err() {
        tracing::warn!("otelcol.receiver.otlp: {} connections still busy after {DRAIN_TIMEOUT:?}; closing them", connections.len());
        connections.abort_all();
    }
}

async fn connection<H: Handler>(stream: TcpStream, tls: Option<TlsAcceptor>, handler: H, stop: CancellationToken) {
    let _ = stream.set_nodelay(true);
    match tls {
        None => serve(stream, handler, stop).await,
        Some(acceptor) => match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
            Ok(Ok(stream)) => serve(stream, handler, stop).await,
            Ok(Err(e)) => tracing::debug!("otelcol.receiver.otlp: TLS handshake failed: {e}"),
            Err(_) => tracing::debug!("otelcol.receiver.otlp: TLS handshake timed out"),
        },
    }
}

async fn serve<H: Handler, I: AsyncRead + AsyncWrite + Unpin + Send + 'static>(io: I, handler: H, stop: CancellationToken) {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).header_read_timeout(HEADER_TIMEOUT);
    handler.configure(&mut builder);
    let service = hyper::service::service_fn(move |req| {
        let response = handler.clone().handle(req);
        async move { Ok::<_, Infallible>(response.await) }
    });
    let conn = builder.serve_connection(TokioIo::new(io), service);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => {}
        _ = stop.cancelled() => {
            // Finish the requests under way, then close; HTTP/2 clients
            // get a GOAWAY and reconnect elsewhere.
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};

    use super::*;

    #[derive(Clone)]
    struct Ok200;

    impl Handler for Ok200 {
        type Body = http_body_util::Full<Bytes>;

        fn handle(self, _req: Request<Incoming>) -> impl Future<Output = Response<Self::Body>> + Send + 'static {
            std::future::ready(Response::new(http_body_util::Full::new(Bytes::from_static(b"ok"))))
        }
    }

    /// A client holding the limit's worth of idle connections cannot keep
    /// others out for long: past the limit a connection is closed at once,
    /// and once one of the idle ones goes, a new client is served.
    #[tokio::test]
    async fn connections_past_the_limit_are_closed_at_once() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, (closed, _)) = (CancellationToken::new(), oneshot::channel());
        tokio::spawn(accept(listener, None, Ok200, stop.clone(), closed, 2));
        let request = |mut c: std::net::TcpStream| {
            c.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
            let mut out = String::new();
            let _ = c.read_to_string(&mut out);
            out
        };
        let idle: Vec<std::net::TcpStream> = (0..2).map(|_| std::net::TcpStream::connect(addr).unwrap()).collect();
        // Both idle connections are being served: a request on a third finds it closed.
        let answer = tokio::task::spawn_blocking(move || request(std::net::TcpStream::connect(addr).unwrap())).await.unwrap();
        assert_eq!(answer, "", "the third connection was closed unanswered");
        drop(idle);
        crate::harness::eventually("a new client to be served once the idle ones went", || async move {
            tokio::task::spawn_blocking(move || request(std::net::TcpStream::connect(addr).unwrap())).await.unwrap().starts_with("HTTP/1.1 200")
        })
        .await;
        stop.cancel();
    }
}
