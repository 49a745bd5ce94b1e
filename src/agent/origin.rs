//! Cross-site request forgery and DNS rebinding, kept away from the
//! endpoints that change state (`/-/reload`, whatever the method, and any
//! request that is not GET or HEAD).
//!
//! The UI has no login, so a browser that can reach it can be made to use
//! it: a page on another site can post a form to `127.0.0.1:12345`
//! (browsers send its `Origin`), and a site whose name is rebound to
//! 127.0.0.1 reaches it as same-origin, but with its own name in `Host`.
//! So a state-changing request is refused (403) when its `Host` is a name
//! the agent was not told it is reached by (IP addresses and `localhost`
//! are always fine: rebinding needs a name), or when it carries an
//! `Origin` that is not the host it was sent to. Requests without `Origin`
//! (curl, scripts, Kubernetes probes) are not from a browser page and pass.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Host names, besides IP addresses and `localhost`, that the agent is
/// reached by (`--server.http.allowed-hosts`), with or without a port.
#[derive(Clone, Default)]
pub struct AllowedHosts(pub Arc<Vec<String>>);

pub async fn guard(State(allowed): State<AllowedHosts>, req: Request, next: Next) -> Response {
    if changes_state(&req) {
        if let Err(why) = check(&req, &allowed) {
            tracing::warn!(path = %req.uri().path(), "refused a request from another site: {why}");
            return (StatusCode::FORBIDDEN, format!("refused: {why}\n")).into_response();
        }
    }
    next.run(req).await
}

fn changes_state(req: &Request) -> bool {
    !matches!(*req.method(), Method::GET | Method::HEAD) || req.uri().path() == "/-/reload"
}

fn check(req: &Request, allowed: &AllowedHosts) -> Result<(), String> {
    let header = |name| req.headers().get(name).and_then(|v| v.to_str().ok());
    let host = header(header::HOST).unwrap_or_default();
    if !host_is_allowed(host, allowed) {
        return Err(format!("Host {host:?} is not an address of this agent; add it to --server.http.allowed-hosts if it is"));
    }
    if let Some(origin) = header(header::ORIGIN) {
        let same = ["http://", "https://"].iter().any(|scheme| origin.strip_prefix(scheme).is_some_and(|o| o.eq_ignore_ascii_case(host)));
        if !same {
            return Err(format!("Origin {origin:?} is another site than {host:?}"));
        }
    }
    Ok(())
}

fn host_is_allowed(host: &str, allowed: &AllowedHosts) -> bool {
    let name = strip_port(host);
    name.parse::<std::net::IpAddr>().is_ok()
        || name.eq_ignore_ascii_case("localhost")
        || allowed.0.iter().any(|a| a.eq_ignore_ascii_case(host) || a.eq_ignore_ascii_case(name))
}

/// `example:80` → `example`, `[::1]:80` → `::1`, `::1` stays.
fn strip_port(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match host.rsplit_once(':') {
        Some((name, port)) if !name.contains(':') && port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: &str, path: &str, host: &str, origin: Option<&str>) -> Request {
        let mut b = axum::http::Request::builder().method(method).uri(path).header(header::HOST, host);
        if let Some(o) = origin {
            b = b.header(header::ORIGIN, o);
        }
        b.body(axum::body::Body::empty()).unwrap()
    }

    #[test]
    fn foreign_hosts_and_origins_are_refused_for_state_changes_only() {
        let allowed = AllowedHosts(Arc::new(vec!["solder.monitoring.svc".into()]));
        let ok = |m, p, h, o| !changes_state(&request(m, p, h, o)) || check(&request(m, p, h, o), &allowed).is_ok();
        assert!(ok("POST", "/-/reload", "127.0.0.1:12345", None), "curl");
        assert!(ok("POST", "/-/reload", "127.0.0.1:12345", Some("http://127.0.0.1:12345")), "the UI's own form");
        assert!(ok("POST", "/-/reload", "[::1]:12345", Some("http://[::1]:12345")));
        assert!(ok("POST", "/-/reload", "localhost:12345", Some("http://localhost:12345")));
        assert!(ok("POST", "/-/reload", "solder.monitoring.svc:12345", None), "an allowed name");
        assert!(!ok("POST", "/-/reload", "127.0.0.1:12345", Some("http://evil.example")), "CSRF");
        assert!(!ok("POST", "/-/reload", "evil.example:12345", Some("http://evil.example:12345")), "DNS rebinding");
        assert!(!ok("GET", "/-/reload", "evil.example:12345", None), "reload by GET changes state too");
        assert!(ok("GET", "/api/v0/web/components", "evil.example:12345", None), "reads are not state changes");
    }
}
