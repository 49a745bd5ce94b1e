//! The scrape endpoint: one HTTP listener whose handler reads the current
//! path and renders the store on each request.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::{lock, Format, Shared};

/// How often a listener that could not bind tries again.
#[cfg(not(test))]
pub(super) const RETRY_INTERVAL: std::time::Duration = std::time::Duration::from_secs(5);
#[cfg(test)]
pub(super) const RETRY_INTERVAL: std::time::Duration = std::time::Duration::from_millis(100);

/// A running listener; dropping it without [`Server::stop`] leaves it
/// serving until the runtime ends.
pub(super) struct Server {
    pub addr: SocketAddr,
    stop: CancellationToken,
    task: JoinHandle<()>,
}

impl Server {
    pub async fn start(address: &str, shared: Arc<Shared>) -> Result<Server, String> {
        let listener = tokio::net::TcpListener::bind(address).await.map_err(|e| format!("cannot listen on {address}: {e}"))?;
        let addr = listener.local_addr().map_err(|e| format!("cannot listen on {address}: {e}"))?;
        let app = axum::Router::new().fallback(scrape).with_state(shared);
        let stop = CancellationToken::new();
        let token = stop.clone();
        let task = tokio::spawn(async move {
            let serving = axum::serve(listener, app).with_graceful_shutdown(async move { token.cancelled().await });
            if let Err(e) = serving.await {
                tracing::warn!("prometheus.expose: server stopped: {e}");
            }
        });
        Ok(Server { addr, stop, task })
    }

    /// Closes the socket and waits for scrapes in progress.
    pub async fn stop(self) {
        self.stop.cancel();
        let _ = self.task.await;
    }
}

/// Serves the exposition on `metrics_path` (GET or HEAD); any other path
/// is 404, so a changed path applies without a new socket.
async fn scrape(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    let path = lock(&shared.args).metrics_path.clone();
    if req.uri().path() != path {
        return (StatusCode::NOT_FOUND, format!("not found; metrics are served on {path}\n")).into_response();
    }
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    let accept = req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("");
    let format = Format::negotiate(accept);
    let body = shared.scrape(format);
    ([(header::CONTENT_TYPE, format.content_type())], body).into_response()
}
