//! Every HTTP server Solder runs (OTLP/gRPC and OTLP/HTTP, the
//! `prometheus.expose` scrape endpoint, the agent's UI and API) accepts
//! connections through this one loop, so each gets the same defences:
//!
//! - at most [`Limits::max_connections`] open connections; past it a new
//!   one is closed as soon as it is accepted;
//! - a TLS handshake, and then a first request's headers, within their
//!   timeouts, and every later HTTP/1.1 request's headers too;
//! - a request body within [`Limits::body_timeout`], else 408;
//! - HTTP/2 keep-alive pings, so dead peers do not hold connections;
//! - a socket that can move to a new address without a gap, keeping the
//!   old one when the new one cannot be bound;
//! - certificate files that are re-read when they change.
//!
//! A slow or malicious client (slowloris) can therefore hold a connection
//! only for a bounded time, and only up to the limit.

mod body;
mod certs;
mod connection;
mod limits;
mod server;
mod tls;

#[cfg(test)]
mod tests;

use std::future::Future;
use std::net::SocketAddr;

use bytes::Bytes;
use hyper::{Request, Response};
use hyper_util::rt::TokioExecutor;
use hyper_util::server::conn::auto;

pub use body::RequestBody;
pub use certs::CertProblem;
pub use limits::Limits;
pub use server::{MoveError, Server, TlsSwitch};
pub use tls::{Tls, TlsArguments};

/// What a server does with each request.
pub trait Handler: Clone + Send + Sync + 'static {
    type Body: hyper::body::Body<Data = Bytes, Error: Into<Box<dyn std::error::Error + Send + Sync>>> + Send + 'static;

    /// Takes the handler by value (a clone per request) so the future owns
    /// everything it uses.
    fn handle(self, req: Request<RequestBody>) -> impl Future<Output = Response<Self::Body>> + Send + 'static;

    /// Connection settings, read for each new connection so that updated
    /// arguments reach new connections without a restart.
    fn configure(&self, _builder: &mut auto::Builder<TokioExecutor>) {}

    /// The handler for the requests of one connection, from `peer`: made
    /// once per connection, so a handler that needs the client's address
    /// (the OTLP receiver, for `client.Info.Addr`) keeps it here rather
    /// than in each request's extensions, which would allocate a map per
    /// request. The address is the TCP peer's, never a header's.
    fn for_connection(&self, _peer: SocketAddr) -> Self {
        self.clone()
    }
}

/// An axum app is a handler as it stands.
impl Handler for axum::Router {
    type Body = axum::body::Body;

    fn handle(self, req: Request<RequestBody>) -> impl Future<Output = Response<axum::body::Body>> + Send + 'static {
        use tower::ServiceExt;
        async move {
            match self.oneshot(req.map(axum::body::Body::new)).await {
                Ok(response) => response,
                Err(never) => match never {},
            }
        }
    }
}
