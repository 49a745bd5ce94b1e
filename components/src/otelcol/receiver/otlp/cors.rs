//! `http { cors { ... } }`: lets browser apps on other origins send OTLP,
//! as the Collector's confighttp CORS settings do. A preflight (`OPTIONS`
//! with `Access-Control-Request-Method`) is answered here, before
//! authentication, since browsers send it without credentials.

use hyper::header::{
    HeaderValue, ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN, ACCESS_CONTROL_MAX_AGE,
    ACCESS_CONTROL_REQUEST_HEADERS, ACCESS_CONTROL_REQUEST_METHOD, ORIGIN, VARY,
};
use hyper::{HeaderMap, Method, Response, StatusCode};
use serde::Deserialize;

/// Headers a browser may always send, whatever `allowed_headers` says.
const ALWAYS_ALLOWED: [&str; 4] = ["accept", "content-type", "x-requested-with", "origin"];

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorsArguments {
    /// Origins allowed to send, such as `"https://*.example.com"`; one `*`
    /// stands for any run of characters, `"*"` alone for every origin.
    /// Default none: CORS is off.
    #[serde(default)]
    pub allowed_origins: Vec<String>,
    /// Request headers allowed besides `Accept`, `Content-Type`,
    /// `X-Requested-With` and `Origin`; `"*"` allows any. Default none.
    #[serde(default)]
    pub allowed_headers: Vec<String>,
    /// Seconds browsers may cache a preflight answer; 0 sends no
    /// `Access-Control-Max-Age`. Default 0.
    #[serde(default)]
    pub max_age: u64,
}

impl CorsArguments {
    /// Whether `origin` matches one of `allowed_origins`.
    pub fn allows_origin(&self, origin: &str) -> bool {
        self.allowed_origins.iter().any(|pattern| match pattern.split_once('*') {
            None => pattern.eq_ignore_ascii_case(origin),
            Some((prefix, suffix)) => origin.len() >= prefix.len() + suffix.len() && origin.starts_with(prefix) && origin.ends_with(suffix),
        })
    }

    fn allows_header(&self, name: &str) -> bool {
        let name = name.trim();
        name.is_empty()
            || ALWAYS_ALLOWED.iter().any(|h| h.eq_ignore_ascii_case(name))
            || self.allowed_headers.iter().any(|h| h == "*" || h.eq_ignore_ascii_case(name))
    }

    /// The answer to a preflight request, or `None` if this is not one.
    /// A refused preflight gets 204 without CORS headers, so the browser
    /// blocks the request that would follow.
    pub fn preflight<B: Default>(&self, method: &Method, headers: &HeaderMap) -> Option<Response<B>> {
        if method != Method::OPTIONS || !headers.contains_key(ACCESS_CONTROL_REQUEST_METHOD) {
            return None;
        }
        let mut r = Response::new(B::default());
        *r.status_mut() = StatusCode::NO_CONTENT;
        let h = r.headers_mut();
        h.insert(VARY, HeaderValue::from_static("Origin, Access-Control-Request-Method, Access-Control-Request-Headers"));
        let origin = headers.get(ORIGIN).and_then(|v| v.to_str().ok()).filter(|o| self.allows_origin(o));
        let method_ok = headers.get(ACCESS_CONTROL_REQUEST_METHOD).is_some_and(|m| m.as_bytes().eq_ignore_ascii_case(b"POST"));
        let requested = headers.get(ACCESS_CONTROL_REQUEST_HEADERS).and_then(|v| v.to_str().ok()).unwrap_or("");
        let headers_ok = requested.split(',').all(|name| self.allows_header(name));
        let (Some(origin), true, true) = (origin, method_ok, headers_ok) else { return Some(r) };
        if let Ok(v) = HeaderValue::from_str(origin) {
            h.insert(ACCESS_CONTROL_ALLOW_ORIGIN, v);
        }
        h.insert(ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("POST"));
        if let Ok(v) = HeaderValue::from_str(requested.trim()) {
            if !requested.trim().is_empty() {
                h.insert(ACCESS_CONTROL_ALLOW_HEADERS, v);
            }
        }
        if self.max_age > 0 {
            h.insert(ACCESS_CONTROL_MAX_AGE, HeaderValue::from(self.max_age));
        }
        Some(r)
    }

    /// Marks a response to an allowed origin's request as readable by it.
    pub fn expose<B>(&self, request_headers: &HeaderMap, response: &mut Response<B>) {
        let Some(origin) = request_headers.get(ORIGIN) else { return };
        if origin.to_str().is_ok_and(|o| self.allows_origin(o)) {
            response.headers_mut().insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
            response.headers_mut().append(VARY, HeaderValue::from_static("Origin"));
        }
    }
}
