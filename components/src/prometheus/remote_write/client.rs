//! [`RemoteClient`]: one Remote-Write `POST` per request, and what its
//! answer means for a retry.

use bytes::Bytes;
use hyper::http::header::{HeaderMap, HeaderValue, AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE};
use hyper::http::StatusCode;

use super::config::EndpointArgs;
use crate::otelcol::exporter::sending::client::header_map;
use crate::otelcol::exporter::sending::{error_chain, SendError};
use crate::types::Secret;

const USER_AGENT: &str = concat!("Solder/", env!("CARGO_PKG_VERSION"));
/// How much of an error response is kept for the log, as Prometheus keeps.
const MAX_ERROR_BODY: usize = 1024;

/// How requests authenticate; files are read for every request so that
/// rotated credentials are picked up.
enum Auth {
    None,
    Basic {
        username: String,
        password: Credential,
    },
    /// `Authorization: <scheme> <credentials>`, bearer tokens included.
    Scheme {
        scheme: String,
        credentials: Credential,
    },
}

enum Credential {
    Inline(Secret),
    File(String),
}

impl Credential {
    fn from(inline: &Option<Secret>, file: &str) -> Credential {
        match inline {
            Some(s) if file.is_empty() => Credential::Inline(s.clone()),
            None if file.is_empty() => Credential::Inline(Secret(solder_syntax::value::Secret::new(""))),
            _ => Credential::File(file.to_string()),
        }
    }

    fn read(&self) -> Result<String, SendError> {
        match self {
            Credential::Inline(s) => Ok(s.0.expose().to_string()),
            Credential::File(path) => {
                std::fs::read_to_string(path).map(|s| s.trim().to_string()).map_err(|e| SendError::retryable(format!("cannot read {path}: {e}")))
            }
        }
    }
}

/// The HTTP side of one endpoint. Building it opens nothing.
pub struct RemoteClient {
    url: String,
    http: reqwest::Client,
    headers: HeaderMap,
    auth: Auth,
    retry_on_429: bool,
}

impl RemoteClient {
    pub fn new(args: &EndpointArgs) -> Result<RemoteClient, String> {
        let mut builder = reqwest::Client::builder().user_agent(USER_AGENT).timeout(args.remote_timeout.0).connect_timeout(args.remote_timeout.0);
        if !args.follow_redirects {
            builder = builder.redirect(reqwest::redirect::Policy::none());
        }
        if !args.proxy_url.is_empty() {
            let proxy = reqwest::Proxy::all(&args.proxy_url).map_err(|e| format!("proxy_url {:?}: {e}", args.proxy_url))?;
            builder = builder.proxy(proxy.no_proxy(reqwest::NoProxy::from_string(&args.no_proxy)));
        } else if !args.proxy_from_environment {
            builder = builder.no_proxy();
        }
        if args.url.starts_with("https://") {
            let tls = args.tls_config.clone().unwrap_or_default().shared()?;
            let alpn: &[&[u8]] = if args.enable_http2 { &[b"h2", b"http/1.1"] } else { &[b"http/1.1"] };
            let config = tls.client_config(alpn).map_err(|e| e.message.replacen("tls: ", "tls_config: ", 1))?;
            builder = builder.use_preconfigured_tls(config.as_ref().clone());
        }
        let http = builder.build().map_err(|e| error_chain(&e))?;
        let headers = header_map(&args.headers).map_err(|e| e.message)?;
        let auth = if let Some(b) = &args.basic_auth {
            Auth::Basic { username: b.username.clone(), password: Credential::from(&b.password, &b.password_file) }
        } else if let Some(a) = &args.authorization {
            let scheme = if a.kind.trim().is_empty() { "Bearer".to_string() } else { a.kind.trim().to_string() };
            Auth::Scheme { scheme, credentials: Credential::from(&a.credentials, &a.credentials_file) }
        } else if args.bearer_token.is_some() || !args.bearer_token_file.is_empty() {
            Auth::Scheme { scheme: "Bearer".into(), credentials: Credential::from(&args.bearer_token, &args.bearer_token_file) }
        } else {
            Auth::None
        };
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
        match &self.auth {
            Auth::None => {}
            Auth::Basic { username, password } => request = request.basic_auth(username, Some(password.read()?)),
            Auth::Scheme { scheme, credentials } => {
                let mut value = HeaderValue::try_from(format!("{scheme} {}", credentials.read()?))
                    .map_err(|_| SendError::permanent("the authorization credentials are not a valid header value"))?;
                value.set_sensitive(true);
                request = request.header(AUTHORIZATION, value);
            }
        }
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
