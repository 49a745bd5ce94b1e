//! The HTTP client settings Prometheus components share: how they
//! authenticate (`basic_auth`, `authorization`, `oauth2`, `bearer_token`,
//! `bearer_token_file`), proxies, redirects and TLS. `prometheus.remote_write`
//! and `prometheus.scrape` take the same arguments and blocks.

use std::sync::Arc;

use hyper::http::header::{HeaderValue, AUTHORIZATION};

use super::oauth2::{OAuth2, TokenSource};
use super::remote_write::config::{Authorization, BasicAuth, TlsConfig};
use crate::otelcol::exporter::sending::SendError;
use crate::types::Secret;

/// How requests authenticate; files are read for every request so that
/// rotated credentials are picked up.
pub enum ClientAuth {
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
    /// A token from the client-credentials grant, cached until it expires.
    OAuth2(Arc<TokenSource>),
}

pub enum Credential {
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

fn set(s: &Option<Secret>) -> bool {
    s.as_ref().is_some_and(|s| !s.0.expose().is_empty())
}

impl ClientAuth {
    /// The one method configured; [`validate`] has refused several.
    /// Building opens nothing: an OAuth2 token is fetched by the first
    /// request.
    pub fn new(
        basic: &Option<BasicAuth>,
        authorization: &Option<Authorization>,
        oauth2: &Option<OAuth2>,
        bearer_token: &Option<Secret>,
        bearer_token_file: &str,
    ) -> Result<ClientAuth, String> {
        Ok(if let Some(o) = oauth2 {
            ClientAuth::OAuth2(Arc::new(TokenSource::new(o)?))
        } else if let Some(b) = basic {
            ClientAuth::Basic { username: b.username.clone(), password: Credential::from(&b.password, &b.password_file) }
        } else if let Some(a) = authorization {
            let scheme = if a.kind.trim().is_empty() { "Bearer".to_string() } else { a.kind.trim().to_string() };
            ClientAuth::Scheme { scheme, credentials: Credential::from(&a.credentials, &a.credentials_file) }
        } else if bearer_token.is_some() || !bearer_token_file.is_empty() {
            ClientAuth::Scheme { scheme: "Bearer".into(), credentials: Credential::from(bearer_token, bearer_token_file) }
        } else {
            ClientAuth::None
        })
    }

    /// Adds the credentials to a request, reading files (or fetching an
    /// OAuth2 token) now.
    pub async fn apply(&self, request: reqwest::RequestBuilder) -> Result<reqwest::RequestBuilder, SendError> {
        Ok(match self {
            ClientAuth::None => request,
            ClientAuth::OAuth2(source) => {
                let mut value =
                    HeaderValue::try_from(source.authorization().await?).map_err(|_| SendError::retryable("oauth2: the token is not a valid header value"))?;
                value.set_sensitive(true);
                request.header(AUTHORIZATION, value)
            }
            ClientAuth::Basic { username, password } => request.basic_auth(username, Some(password.read()?)),
            ClientAuth::Scheme { scheme, credentials } => {
                let mut value = HeaderValue::try_from(format!("{scheme} {}", credentials.read()?))
                    .map_err(|_| SendError::permanent("the authorization credentials are not a valid header value"))?;
                value.set_sensitive(true);
                request.header(AUTHORIZATION, value)
            }
        })
    }
}

/// Prometheus' checks on the authentication settings, in its words.
pub fn validate(
    basic: &Option<BasicAuth>,
    authorization: &Option<Authorization>,
    oauth2: &Option<OAuth2>,
    bearer_token: &Option<Secret>,
    bearer_token_file: &str,
) -> Result<(), String> {
    let auths = [basic.is_some(), authorization.is_some(), oauth2.is_some(), set(bearer_token), !bearer_token_file.is_empty()];
    if auths.iter().filter(|a| **a).count() > 1 {
        return Err("at most one of basic_auth, authorization, oauth2, bearer_token & bearer_token_file must be configured".into());
    }
    if let Some(b) = basic {
        if set(&b.password) && !b.password_file.is_empty() {
            return Err("at most one of basic_auth password & password_file must be configured".into());
        }
    }
    if let Some(o) = oauth2 {
        o.validate()?;
    }
    if let Some(a) = authorization {
        if set(&a.credentials) && !a.credentials_file.is_empty() {
            return Err("at most one of authorization credentials & credentials_file must be configured".into());
        }
        if a.kind.trim().eq_ignore_ascii_case("basic") {
            return Err("authorization type cannot be set to \"basic\", use \"basic_auth\" block instead".into());
        }
    }
    Ok(())
}

/// The connection settings of a client; `tls` is set for `https://` URLs.
pub struct HttpSettings<'a> {
    pub timeout: std::time::Duration,
    pub follow_redirects: bool,
    pub proxy_url: &'a str,
    pub no_proxy: &'a str,
    pub proxy_from_environment: bool,
    pub tls: Option<TlsConfig>,
    pub enable_http2: bool,
}

impl HttpSettings<'_> {
    /// A client builder with these settings; callers add their own.
    pub fn builder(&self, user_agent: &str) -> Result<reqwest::ClientBuilder, String> {
        let mut builder = reqwest::Client::builder().user_agent(user_agent).timeout(self.timeout).connect_timeout(self.timeout);
        if !self.follow_redirects {
            builder = builder.redirect(reqwest::redirect::Policy::none());
        }
        if !self.proxy_url.is_empty() {
            let proxy = reqwest::Proxy::all(self.proxy_url).map_err(|e| format!("proxy_url {:?}: {e}", self.proxy_url))?;
            builder = builder.proxy(proxy.no_proxy(reqwest::NoProxy::from_string(self.no_proxy)));
        } else if !self.proxy_from_environment {
            builder = builder.no_proxy();
        }
        if let Some(tls) = &self.tls {
            let alpn: &[&[u8]] = if self.enable_http2 { &[b"h2", b"http/1.1"] } else { &[b"http/1.1"] };
            let config = tls.shared()?.client_config(alpn).map_err(|e| e.message.replacen("tls: ", "tls_config: ", 1))?;
            builder = builder.use_preconfigured_tls(config.as_ref().clone());
        }
        Ok(builder)
    }
}
