//! The scrape endpoint: one HTTP listener whose handler reads the current
//! path and renders the store on each request.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::response::{IntoResponse, Response};

use super::{lock, Format, Shared};
use crate::serve::{Limits, Server};

/// How often a listener that could not bind tries again.
#[cfg(not(test))]
pub(super) const RETRY_INTERVAL: std::time::Duration = std::time::Duration::from_secs(5);
#[cfg(test)]
pub(super) const RETRY_INTERVAL: std::time::Duration = std::time::Duration::from_millis(100);

/// Binds `address` and serves scrapes on it, through the shared accept
/// loop and its limits.
pub(super) async fn start(address: &str, shared: Arc<Shared>) -> Result<Server, String> {
    let listener = Server::bind(address).await?;
    let app = axum::Router::new().fallback(scrape).with_state(shared);
    Server::start("prometheus.expose", listener, None, app, Limits::SERVERS)
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
