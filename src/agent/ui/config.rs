//! The config page: what is running (source, hash, load time), what the
//! last reload did, and why it failed, with a reload button that works
//! without JavaScript.

use axum::extract::State;
use axum::response::Response;
use solder_syntax::render::{render, Style};
use solder_syntax::Diagnostic;

use super::{component_href, esc, page, Nav};
use crate::agent::http::{rfc3339, AppState};

pub async fn config_page(State(s): State<AppState>) -> Response {
    let mut body = String::from(
        "<h1>Config</h1><form method=\"post\" action=\"/-/reload\" class=\"reload\"><button type=\"submit\">Reload config</button> \
         <span class=\"meta\">reads the config again, as an edit or SIGHUP would</span></form>",
    );
    body.push_str("<section id=\"last-reload\"><h2>Last reload</h2>");
    match s.agent.status() {
        None => body.push_str("<p class=\"empty\">No load has been attempted yet.</p>"),
        Some(st) => {
            let outcome =
                if st.success { "<span class=\"badge health-healthy\">loaded</span>" } else { "<span class=\"badge health-unhealthy\">failed</span>" };
            body.push_str(&format!("<p>{outcome} at <time>{}</time> (trigger: {})</p>", esc(&rfc3339(st.at)), esc(&st.trigger)));
            if !st.diagnostics.is_empty() {
                body.push_str("<p>The running graph was left as it was. What is wrong with the new config:</p>");
                body.push_str(&st.diagnostics.iter().map(diagnostic).collect::<String>());
            }
            if let Some(r) = &st.report {
                let list = |name: &str, ids: &[String]| {
                    if ids.is_empty() {
                        return String::new();
                    }
                    let links: Vec<String> = ids.iter().map(|i| format!("<a href=\"{}\">{}</a>", esc(&component_href(i)), esc(i))).collect();
                    format!("<dt>{name}</dt><dd>{}</dd>", links.join(", "))
                };
                body.push_str(&format!(
                    "<dl class=\"changes\">{}{}{}{}</dl>",
                    list("Added", &r.added),
                    list("Updated", &r.updated),
                    list("Removed", &r.removed),
                    list("Unchanged", &r.unchanged)
                ));
                if !r.update_errors.is_empty() {
                    body.push_str("<p>These components refused their new arguments and kept their old ones:</p>");
                    body.push_str(&r.update_errors.iter().map(diagnostic).collect::<String>());
                }
            }
        }
    }
    body.push_str("</section><section id=\"running\"><h2>Running config</h2>");
    match s.agent.loaded() {
        None => body.push_str("<p class=\"empty\">No config is running.</p>"),
        Some(l) => {
            body.push_str(&format!("<p>Loaded at <time>{}</time> · SHA-256 <code class=\"hash\">{}</code></p>", esc(&rfc3339(l.at)), esc(&l.hash)));
            if l.masked {
                body.push_str("<p class=\"masked\">Values written as literals in arguments that are secrets (passwords, tokens, keys) are shown as <code>****</code>; the hash is of the file as written.</p>");
            }
            for (name, text) in &l.files {
                let lines: String = text.lines().enumerate().map(|(i, line)| format!("<span class=\"ln\">{}</span>{}\n", i + 1, esc(line))).collect();
                body.push_str(&format!("<h3>{}</h3><pre class=\"source\">{lines}</pre>", esc(name)));
            }
        }
    }
    body.push_str("</section>");
    page(&s.agent, "Config", Nav::Config, &[("page", "config")], &body)
}

/// A diagnostic with its location spelled out and the rendered excerpt.
fn diagnostic(d: &Diagnostic) -> String {
    let location = match &d.source {
        Some(src) => {
            let (line, column) = src.line_col(d.span.start);
            format!(
                "<p class=\"where\"><span data-file>{}</span> line <span data-line>{line}</span>, column <span data-column>{column}</span></p>",
                esc(&src.name)
            )
        }
        None => String::new(),
    };
    format!(
        "<div class=\"diagnostic\"><p class=\"message\">{}: {}</p>{location}<pre class=\"excerpt\">{}</pre></div>",
        if d.is_error() { "error" } else { "warning" },
        esc(&d.message),
        esc(&render(d, Style::Plain))
    )
}
