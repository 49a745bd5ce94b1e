//! [`HttpTransport`]: one OTLP/HTTP `POST` per request, with the request's
//! bytes as the body.

use bytes::Bytes;
use hyper::http::header::{CONTENT_ENCODING, CONTENT_TYPE};
use hyper::http::StatusCode;

use super::Client;
use crate::otelcol::exporter::sending::client::{Compression, RequestHeaders};
use crate::otelcol::exporter::sending::{self, ArgumentError, Payload, SendError, SendFuture, Transport};
use crate::otlp::Signal;

const USER_AGENT: &str = concat!("solder/", env!("CARGO_PKG_VERSION"));
const PROTOBUF: &str = "application/x-protobuf";
/// Enough of an error response to explain it; the rest is not read.
const MAX_RESPONSE: usize = 64 * 1024;

pub struct HttpTransport {
    endpoint: String,
    /// Traces, metrics, logs.
    urls: [String; 3],
    client: reqwest::Client,
    compression: Compression,
    headers: RequestHeaders,
}

impl HttpTransport {
    /// Prepares the client; reqwest opens no connection and starts no task
    /// until the first request.
    pub fn new(client: &Client, urls: [String; 3]) -> Result<HttpTransport, ArgumentError> {
        let bad = |m: String| ArgumentError::new("client", m);
        let mut builder = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .timeout(client.timeout.0)
            .connect_timeout(client.timeout.0)
            .pool_idle_timeout(client.idle_conn_timeout.0);
        if client.disable_keep_alives {
            builder = builder.pool_max_idle_per_host(0);
        }
        if !client.proxy_url.is_empty() {
            let proxy = reqwest::Proxy::all(&client.proxy_url).map_err(|e| bad(format!("proxy_url {:?}: {e}", client.proxy_url)))?;
            builder = builder.proxy(proxy);
        }
        if urls.iter().any(|u| u.starts_with("https://")) {
            let tls = client.tls.client_config(&[b"h2", b"http/1.1"])?;
            builder = builder.use_preconfigured_tls(tls.as_ref().clone());
        }
        let http = builder.build().map_err(|e| bad(sending::error_chain(&e)))?;
        Ok(HttpTransport {
            endpoint: client.endpoint.clone(),
            urls,
            client: http,
            compression: client.compression,
            headers: RequestHeaders::new(&client.headers, client.auth.as_ref())?,
        })
    }

    fn url(&self, signal: Signal) -> &str {
        match signal {
            Signal::Traces => &self.urls[0],
            Signal::Metrics => &self.urls[1],
            Signal::Logs => &self.urls[2],
        }
    }

    async fn post(&self, payload: &Payload) -> Result<(), SendError> {
        let (signal, url) = (payload.signal(), self.url(payload.signal()));
        let body = self
            .compression
            .compress_off_worker(payload.bytes(), false)
            .await
            .map_err(|e| SendError::permanent(format!("cannot compress the request: {e}")))?;
        let mut request = self.client.post(url).headers(self.headers.for_request()).header(CONTENT_TYPE, PROTOBUF);
        if self.compression != Compression::None {
            request = request.header(CONTENT_ENCODING, self.compression.name());
        }
        let response = request.body(body).send().await.map_err(|e| SendError::retryable(sending::error_chain(&e.without_url())))?;
        let status = response.status();
        let retry_after = crate::otelcol::exporter::sending::retry_after(response.headers());
        let protobuf = response.headers().get(CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(PROTOBUF.as_bytes()));
        let body = read_limited(response).await;
        if status.is_success() {
            if protobuf {
                sending::partial_success(&body, signal, url);
            }
            return Ok(());
        }
        let detail = match protobuf.then(|| sending::rpc_status(&body)).flatten() {
            Some((message, _)) => message,
            None => String::from_utf8_lossy(&body[..body.len().min(256)]).trim().to_string(),
        };
        let message = if detail.is_empty() { format!("HTTP {status}") } else { format!("HTTP {status}: {detail}") };
        Err(match status {
            StatusCode::TOO_MANY_REQUESTS | StatusCode::BAD_GATEWAY | StatusCode::SERVICE_UNAVAILABLE | StatusCode::GATEWAY_TIMEOUT => {
                SendError::throttled(message, retry_after)
            }
            _ => SendError::permanent(message),
        })
    }
}

impl Transport for HttpTransport {
    fn endpoint(&self) -> &str {
        &self.endpoint
    }

    fn destination(&self, signal: Signal) -> &str {
        self.url(signal)
    }

    fn send<'a>(&'a self, payload: &'a Payload) -> SendFuture<'a> {
        Box::pin(self.post(payload))
    }
}

async fn read_limited(mut response: reqwest::Response) -> Bytes {
    let mut out = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        out.extend_from_slice(&chunk[..chunk.len().min(MAX_RESPONSE - out.len())]);
        if out.len() >= MAX_RESPONSE {
            break;
        }
    }
    Bytes::from(out)
}
