//! `oauth2 { ... }` of the Prometheus HTTP clients: the client-credentials
//! grant, as Prometheus (through Go's `clientcredentials`) does it. A token
//! is fetched on the first request, reused until ten seconds before it
//! expires, and fetched again then; concurrent requests share one fetch.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde::Deserialize;

use super::remote_write::config::{validate_proxy, TlsConfig};
use crate::otelcol::exporter::sending::{error_chain, SendError};
use crate::types::Secret;

/// Go's `oauth2` treats a token as expired this long before it does.
const EXPIRY_DELTA: Duration = Duration::from_secs(10);

/// How long a token fetch may take.
const FETCH_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OAuth2 {
    #[serde(default)]
    pub client_id: String,
    #[serde(default)]
    pub client_secret: Option<Secret>,
    /// A file holding the secret, read for every token fetch.
    #[serde(default)]
    pub client_secret_file: String,
    #[serde(default)]
    pub scopes: Vec<String>,
    pub token_url: String,
    /// Extra form parameters of the token request.
    #[serde(default)]
    pub endpoint_params: BTreeMap<String, String>,
    #[serde(default)]
    pub proxy_url: String,
    #[serde(default)]
    pub no_proxy: String,
    #[serde(default)]
    pub proxy_from_environment: bool,
    #[serde(default)]
    pub tls_config: Option<TlsConfig>,
}

impl OAuth2 {
    pub fn validate(&self) -> Result<(), String> {
        let secret = self.client_secret.as_ref().is_some_and(|s| !s.0.expose().is_empty());
        if secret && !self.client_secret_file.is_empty() {
            return Err("at most one of oauth2 client_secret & client_secret_file must be configured".into());
        }
        if !(self.token_url.starts_with("http://") || self.token_url.starts_with("https://")) {
            return Err(format!("oauth2: token_url {:?} must be an http:// or https:// URL", self.token_url));
        }
        validate_proxy(self.proxy_from_environment, &self.proxy_url, &self.no_proxy).map_err(|e| format!("oauth2: {e}"))?;
        if let Some(tls) = &self.tls_config {
            tls.validate().map_err(|e| format!("oauth2: {e}"))?;
        }
        Ok(())
    }
}

/// The `Authorization` value to send, and when it stops being good.
struct Token {
    header: String,
    expires: Option<Instant>,
}

/// Fetches and caches tokens for one client.
pub struct TokenSource {
    args: OAuth2,
    http: reqwest::Client,
    cached: tokio::sync::Mutex<Option<Token>>,
}

impl TokenSource {
    pub fn new(args: &OAuth2) -> Result<TokenSource, String> {
        let settings = super::client::HttpSettings {
            timeout: FETCH_TIMEOUT,
            follow_redirects: true,
            proxy_url: &args.proxy_url,
            no_proxy: &args.no_proxy,
            proxy_from_environment: args.proxy_from_environment,
            tls: if args.token_url.starts_with("https://") { Some(args.tls_config.clone().unwrap_or_default()) } else { None },
            enable_http2: true,
        };
        let http = settings.builder("Solder")?.build().map_err(|e| format!("oauth2: {}", error_chain(&e)))?;
        Ok(TokenSource { args: args.clone(), http, cached: tokio::sync::Mutex::new(None) })
    }

    /// The `Authorization` header value: the cached token while it is
    /// good, else a new one.
    pub async fn authorization(&self) -> Result<String, SendError> {
        let mut cached = self.cached.lock().await;
        if let Some(t) = cached.as_ref() {
            if t.expires.is_none_or(|e| Instant::now() + EXPIRY_DELTA < e) {
                return Ok(t.header.clone());
            }
        }
        let token = self.fetch().await?;
        let header = token.header.clone();
        *cached = Some(token);
        Ok(header)
    }

    async fn fetch(&self) -> Result<Token, SendError> {
        let a = &self.args;
        let secret = match (&a.client_secret, a.client_secret_file.as_str()) {
            (_, file) if !file.is_empty() => {
                std::fs::read_to_string(file).map(|s| s.trim().to_string()).map_err(|e| SendError::retryable(format!("oauth2: cannot read {file}: {e}")))?
            }
            (Some(s), _) => s.0.expose().to_string(),
            (None, _) => String::new(),
        };
        let body = {
            let mut form = form_urlencoded::Serializer::new(String::new());
            form.append_pair("grant_type", "client_credentials");
            if !a.scopes.is_empty() {
                form.append_pair("scope", &a.scopes.join(" "));
            }
            form.extend_pairs(&a.endpoint_params);
            form.finish()
        };
        // Go's AuthStyleInHeader: the credentials, form-encoded, as basic
        // auth.
        let user = form_urlencoded::byte_serialize(a.client_id.as_bytes()).collect::<String>();
        let pass = form_urlencoded::byte_serialize(secret.as_bytes()).collect::<String>();
        let response = self
            .http
            .post(&a.token_url)
            .basic_auth(user, Some(pass))
            .header(hyper::http::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .map_err(|e| SendError::retryable(format!("oauth2: fetching a token: {}", error_chain(&e.without_url()))))?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| SendError::retryable(format!("oauth2: reading the token response: {e}")))?;
        if !status.is_success() {
            let detail = String::from_utf8_lossy(&body[..body.len().min(512)]).trim().to_string();
            return Err(SendError::retryable(format!("oauth2: the token endpoint answered {status}: {detail}")));
        }
        parse_token(&body).map_err(|e| SendError::retryable(format!("oauth2: {e}")))
    }
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    token_type: String,
    #[serde(default)]
    expires_in: Option<serde_json::Value>,
}

/// A token endpoint's JSON answer. `token_type` is spelled as Go's
/// `Token.Type` spells it (`bearer` becomes `Bearer`, none means Bearer);
/// `expires_in` may be a number or a numeric string.
fn parse_token(body: &[u8]) -> Result<Token, String> {
    let t: TokenResponse = serde_json::from_slice(body).map_err(|e| format!("the token response is not valid JSON: {e}"))?;
    if t.access_token.is_empty() {
        return Err("the token response has no access_token".into());
    }
    let kind = match t.token_type.to_ascii_lowercase().as_str() {
        "" | "bearer" => "Bearer".to_string(),
        "mac" => "MAC".to_string(),
        "basic" => "Basic".to_string(),
        _ => t.token_type.clone(),
    };
    let seconds = match t.expires_in {
        Some(serde_json::Value::Number(n)) => n.as_f64(),
        Some(serde_json::Value::String(s)) => s.parse::<f64>().ok(),
        _ => None,
    };
    let expires = seconds.filter(|s| *s > 0.0).map(|s| Instant::now() + Duration::from_secs_f64(s.min(1e9)));
    Ok(Token { header: format!("{kind} {}", t.access_token), expires })
}

#[cfg(test)]
mod tests;
