//! The debug UI: server-rendered pages that are complete without
//! JavaScript, made live by one small embedded script that polls the JSON
//! API or listens to its event streams. Everything is in the binary.
//!
//! Every value rendered into HTML goes through [`esc`].

mod alloy;
mod config;
pub mod graph;
pub mod layout;
pub mod model;
mod pages;

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use super::http::AppState;
use super::Agent;

const CSS: &str = include_str!("assets/ui.css");
const JS: &str = include_str!("assets/ui.js");

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(pages::components))
        .route("/components", get(pages::components))
        .route("/component/{id}", get(pages::component))
        .route("/component/{id}/live", get(pages::live))
        .route("/graph", get(graph::graph_page))
        .route("/config", get(config::config_page))
        .route("/ui/ui.css", get(|| async { asset("text/css; charset=utf-8", CSS) }))
        .route("/ui/ui.js", get(|| async { asset("text/javascript; charset=utf-8", JS) }))
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (StatusCode::OK, [(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "no-cache")], body).into_response()
}

/// Escapes text for HTML content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A component ID as a URL path segment. IDs are identifiers joined by
/// dots, but a label may hold anything, so encode what is not plain.
pub fn component_href(id: &str) -> String {
    let mut out = String::from("/component/");
    for b in id.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Nav {
    Components,
    Graph,
    Config,
}

/// The page shell: navigation, the stale-config banner, and `body`.
fn page(agent: &Agent, title: &str, nav: Nav, data: &[(&str, &str)], body: &str) -> Response {
    let link = |href: &str, text: &str, this: Nav| {
        let current = if nav == this { " aria-current=\"page\"" } else { "" };
        format!("<a href=\"{href}\"{current}>{text}</a>")
    };
    let attrs: String = data.iter().map(|(k, v)| format!(" data-{k}=\"{}\"", esc(v))).collect();
    let banner = match agent.stale_banner() {
        Some(text) => format!("<div id=\"banner\" class=\"banner\" role=\"alert\"><a href=\"/config\">{}</a></div>", esc(&text)),
        None => "<div id=\"banner\" class=\"banner\" role=\"alert\" hidden><a href=\"/config\"></a></div>".to_string(),
    };
    let html = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
         <title>{title} · Solder</title><link rel=\"stylesheet\" href=\"/ui/ui.css\"><script src=\"/ui/ui.js\" defer></script></head>\
         <body{attrs}><header><a class=\"brand\" href=\"/\">Solder</a><nav>{}{}{}</nav></header>{banner}<main>{body}</main></body></html>\n",
        link("/components", "Components", Nav::Components),
        link("/graph", "Graph", Nav::Graph),
        link("/config", "Config", Nav::Config),
        title = esc(title),
    );
    (StatusCode::OK, [(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CACHE_CONTROL, "no-store")], html).into_response()
}

/// A health state as a coloured badge.
fn badge(state: &str) -> String {
    format!("<span class=\"badge health-{0}\" data-health>{0}</span>", esc(state))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(esc("<a href=\"x\">'&'</a>"), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    }

    #[test]
    fn hrefs_encode_odd_labels() {
        assert_eq!(component_href("local.file.a"), "/component/local.file.a");
        assert_eq!(component_href("local.file.a b/c"), "/component/local.file.a%20b%2Fc");
    }
}
