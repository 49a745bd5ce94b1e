//! CORS for OTLP/HTTP, so browser apps (the OpenTelemetry JS SDK, Faro)
//! can send from their own origin: preflight answers, and the headers on
//! actual responses, with the semantics of the Collector's `confighttp`
//! (which uses `rs/cors`). Preflights are answered before authentication,
//! as browsers send them without credentials.

use hyper::header::{
    HeaderMap, HeaderValue, ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN, ACCESS_CONTROL_EXPOSE_HEADERS,
    ACCESS_CONTROL_MAX_AGE, ACCESS_CONTROL_REQUEST_HEADERS, ACCESS_CONTROL_REQUEST_METHOD, ORIGIN, VARY,
};
use hyper::{Method, Request, Response, StatusCode};
use serde::Deserialize;

/// Headers a CORS request may always carry.
const ALWAYS_ALLOWED: &[&str] = &["accept", "accept-language", "content-type", "content-language"];

/// `http { cors { ... } }`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorsArguments {
    /// Origins allowed to send; one `*` may stand for any part of an origin
    /// (`https://*.example.com`), and `"*"` alone allows every origin.
    /// Empty: CORS stays off.
    #[serde(default)]
    pub allowed_origins: Vec<String>,
    /// Headers a request may carry besides the always-allowed ones; `"*"`
    /// allows any. Default `["X-Requested-With"]`.
    #[serde(default = "default_allowed_headers")]
    pub allowed_headers: Vec<String>,
    /// `Access-Control-Expose-Headers` on responses.
    #[serde(default)]
    pub exposed_headers: Vec<String>,
    /// `Access-Control-Max-Age` on preflight answers, in seconds; 0 or
    /// absent sends none.
    #[serde(default)]
    pub max_age: i64,
}

fn default_allowed_headers() -> Vec<String> {
    vec!["X-Requested-With".to_string()]
}

impl CorsArguments {
    pub(super) fn check(&self) -> Result<(), String> {
        for o in &self.allowed_origins {
            if o.matches('*').count() > 1 {
                return Err(format!("http: cors: allowed origin {o:?} has more than one \"*\""));
            }
        }
        Ok(())
    }

    fn enabled(&self) -> bool {
        !self.allowed_origins.is_empty()
    }

    fn any_origin(&self) -> bool {
        self.allowed_origins.iter().any(|o| o == "*")
    }

    fn allows_origin(&self, origin: &str) -> bool {
        let origin = origin.to_ascii_lowercase();
        self.allowed_origins.iter().any(|pattern| {
            let pattern = pattern.to_ascii_lowercase();
            match pattern.split_once('*') {
                None => pattern == origin,
                Some((prefix, suffix)) => origin.len() >= prefix.len() + suffix.len() && origin.starts_with(prefix) && origin.ends_with(suffix),
            }
        })
    }

    fn allows_headers(&self, requested: &str) -> bool {
        if self.allowed_headers.iter().any(|h| h == "*") {
            return true;
        }
        requested.split(',').map(str::trim).filter(|h| !h.is_empty()).all(|h| {
            let h = h.to_ascii_lowercase();
            ALWAYS_ALLOWED.contains(&h.as_str()) || self.allowed_headers.iter().any(|a| a.eq_ignore_ascii_case(&h))
        })
    }

    /// The answer to a preflight request, if `req` is one: `204` always,
    /// with the CORS headers only when the origin, method and headers are
    /// allowed (a browser then refuses to send, as it should).
    pub(super) fn preflight<B, R: Default>(&self, req: &Request<B>) -> Option<Response<R>> {
        if !self.enabled() || req.method() != Method::OPTIONS {
            return None;
        }
        let headers = req.headers();
        let origin = header(headers, ORIGIN)?;
        let method = header(headers, ACCESS_CONTROL_REQUEST_METHOD)?;
        let mut resp = Response::new(R::default());
        *resp.status_mut() = StatusCode::NO_CONTENT;
        let out = resp.headers_mut();
        for vary in ["Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers"] {
            out.append(VARY, HeaderValue::from_static(vary));
        }
        let requested = header(headers, ACCESS_CONTROL_REQUEST_HEADERS).unwrap_or("");
        let method_ok = method.eq_ignore_ascii_case("POST");
        if !(self.allows_origin(origin) && method_ok && self.allows_headers(requested)) {
            return Some(resp);
        }
        self.allow_origin(out, origin);
        out.insert(ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("POST"));
        if !requested.is_empty() {
            if let Ok(v) = HeaderValue::from_str(requested) {
                out.insert(ACCESS_CONTROL_ALLOW_HEADERS, v);
            }
        }
        if self.max_age > 0 {
            out.insert(ACCESS_CONTROL_MAX_AGE, HeaderValue::from(self.max_age));
        }
        Some(resp)
    }

    /// Adds the CORS headers to the response to an actual request from
    /// `origin` (the request's `Origin` header).
    pub(super) fn decorate<R>(&self, origin: Option<&HeaderValue>, resp: &mut Response<R>) {
        if !self.enabled() {
            return;
        }
        let out = resp.headers_mut();
        out.append(VARY, HeaderValue::from_static("Origin"));
        let Some(origin) = origin.and_then(|o| o.to_str().ok()) else { return };
        if !self.allows_origin(origin) {
            return;
        }
        self.allow_origin(out, origin);
        if !self.exposed_headers.is_empty() {
            if let Ok(v) = HeaderValue::from_str(&self.exposed_headers.join(", ")) {
                out.insert(ACCESS_CONTROL_EXPOSE_HEADERS, v);
            }
        }
    }

    fn allow_origin(&self, out: &mut HeaderMap, origin: &str) {
        let value = if self.any_origin() { HeaderValue::from_static("*") } else { HeaderValue::from_str(origin).unwrap_or(HeaderValue::from_static("null")) };
        out.insert(ACCESS_CONTROL_ALLOW_ORIGIN, value);
    }
}

fn header(headers: &HeaderMap, name: hyper::header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}
