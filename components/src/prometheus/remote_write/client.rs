//! [`RemoteClient`]: one Remote-Write `POST` per request, and what its
//! answer means for a retry.

use bytes::Bytes;
use hyper::http::header::{HeaderMap, CONTENT_ENCODING, CONTENT_TYPE};
use hyper::http::StatusCode;

use super::config::EndpointArgs;
use crate::otelcol::exporter::sending::client::header_map;
use crate::otelcol::exporter::sending::{error_chain, SendError};
use crate::prometheus::client::{ClientAuth, HttpSettings};

const USER_AGENT: &str = concat!("Solder/", env!("CARGO_PKG_VERSION"));
/// How much of an error response is kept for the log, as Prometheus keeps.
const MAX_ERROR_BODY: usize = 1024;

/// The HTTP side of one endpoint. Building it opens nothing.
pub struct RemoteClient {
    url: String,
    http: reqwest::Client,
    headers: HeaderMap,
    auth: ClientAuth,
    retry_on_429: bool,
}

impl RemoteClient {
    pub fn new(args: &EndpointArgs) -> Result<RemoteClient, String> {
        let settings = HttpSettings {
            timeout: args.remote_timeout.0,
            follow_redirects: args.follow_redirects,
            proxy_url: &args.proxy_url,
            no_proxy: &args.no_proxy,
            proxy_from_environment: args.proxy_from_environment,
            tls: if args.url.starts_with("https://") { Some(args.tls_config.clone().unwrap_or_default()) } else { None },
            enable_http2: args.enable_http2,
        };
        let builder = settings.builder(USER_AGENT)?;
        let http = builder.build().map_err(|e| error_chain(&e))?;
        let headers = header_map(&args.headers).map_err(|e| e.message)?;
        let auth = ClientAuth::new(&args.basic_auth, &args.authorization, &args.oauth2, &args.bearer_token, &args.bearer_token_file)?;
        Ok(RemoteClient { url: args.url.clone(), http, headers, auth, retry_on_429: args.queue_config.retry_on_http_429 })
    }

    /// Makes one attempt at storing a snappy-compressed `WriteRequest`.
    pub async fn store(&self, body: Bytes) -> Result<(), SendError> {
        let mut request = self
            .http
            .post(&self.url)
            .headers(self.headers.clone())
            .header(CONTENT_ENCODING, "snappy")
            .header(CONTENT_TYPE, "application/x-protobuf")
            .header("X-Prometheus-Remote-Write-Version", "0.1.0");
        request = self.auth.apply(request).await?;
        let response = request.body(body).send().await.map_err(|e| SendError::retryable(error_chain(&e.without_url())))?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let retry_after = crate::otelcol::exporter::sending::retry_after(response.headers());
        let detail = error_body(response).await;
        let message = format!("server returned HTTP status {status}: {}", detail.trim());
        Err(match status {
            StatusCode::TOO_MANY_REQUESTS if self.retry_on_429 => SendError::throttled(message, retry_after),
            s if s.is_server_error() => SendError::throttled(message, retry_after),
            _ => SendError::permanent(message),
        })
    }
}

/// The start of an error response: enough to explain it, and never more
/// than [`MAX_ERROR_BODY`] bytes however much the server sends.
async fn error_body(mut response: reqwest::Response) -> String {
    let mut kept = Vec::with_capacity(256);
    loop {
        let room = MAX_ERROR_BODY - kept.len();
        match response.chunk().await {
            Ok(Some(chunk)) if room > chunk.len() => kept.extend_from_slice(&chunk),
            Ok(Some(chunk)) => {
                kept.extend_from_slice(&chunk[..room]);
                break;
            }
            _ => break,
        }
    }
    String::from_utf8_lossy(&kept).into_owned()
}
