//! The components list, a component's detail page and its live view.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use solder_syntax::Value;

use super::model::GraphModel;
use super::{alloy, badge, component_href, esc, page, Nav};
use crate::agent::http::{rfc3339, AppState};

/// Every component with its health and live throughput.
pub async fn components(State(s): State<AppState>) -> Response {
    let model = GraphModel::snapshot(&s.agent);
    let mut rows = String::new();
    for n in &model.nodes {
        let (inbound, outbound) = model.throughput(&n.id);
        rows.push_str(&format!(
            "<tr data-id=\"{id}\"><td><a href=\"{href}\">{id}</a></td><td>{name}</td><td>{badge}</td><td class=\"message\" data-message>{msg}</td>\
             <td class=\"num\" data-in>{inbound}</td><td class=\"num\" data-out>{outbound}</td></tr>",
            id = esc(&n.id),
            href = esc(&component_href(&n.id)),
            name = esc(&n.name),
            badge = badge(n.health.state.as_str()),
            msg = esc(&n.health.message),
            inbound = esc(&inbound),
            outbound = esc(&outbound),
        ));
    }
    let body = if model.nodes.is_empty() {
        "<h1>Components</h1><p class=\"empty\">No components are running. See <a href=\"/config\">Config</a>.</p>".to_string()
    } else {
        format!(
            "<h1>Components</h1><table class=\"components\"><thead><tr><th>ID</th><th>Kind</th><th>Health</th><th>Message</th>\
             <th>In</th><th>Out</th></tr></thead><tbody>{rows}</tbody></table>"
        )
    };
    page(&s.agent, "Components", Nav::Components, &[("page", "components")], &body)
}

/// One component: health, arguments, exports, debug info, neighbours.
pub async fn component(State(s): State<AppState>, Path(id): Path<String>) -> Response {
    let model = GraphModel::snapshot(&s.agent);
    let found = s.agent.controller.inspect(|all| {
        all.iter().find(|n| n.decl.id == id).map(|n| {
            let referenced_by: Vec<String> = all.iter().filter(|o| o.references().contains(&id)).map(|o| o.decl.id.clone()).collect();
            (
                n.decl.name.clone(),
                n.health(),
                alloy::body(&n.args),
                n.shown_exports(),
                n.component.debug_info(),
                n.references(),
                referenced_by,
                n.instance,
                n.started,
                matches!(n.decl.kind, crate::runtime::loader::Kind::Instance(_)),
            )
        })
    });
    let Some((name, health, args, exports, debug, refs_to, refs_by, instance, started, is_module)) = found else {
        return not_found(&s, &id);
    };
    let links = |ids: &[String]| -> String {
        if ids.is_empty() {
            return "<span class=\"empty\">none</span>".into();
        }
        ids.iter().map(|i| format!("<a href=\"{}\">{}</a>", esc(&component_href(i)), esc(i))).collect::<Vec<_>>().join(", ")
    };
    let flows = |outgoing: bool| -> String {
        let rows: Vec<String> = model
            .edges
            .iter()
            .filter(|e| e.data_flow && if outgoing { e.from == id } else { e.to == id })
            .map(|e| {
                let peer = if outgoing { &e.to } else { &e.from };
                let label = super::model::rate_label(&e.rates, &e.totals);
                let refused: u64 = e.totals.refused.iter().sum();
                format!(
                    "<li><a href=\"{}\">{}</a> <span class=\"rate\">{}</span>{}</li>",
                    esc(&component_href(peer)),
                    esc(peer),
                    esc(&label),
                    if refused > 0 { format!(" <span class=\"refused\">{refused} refused</span>") } else { String::new() }
                )
            })
            .collect();
        if rows.is_empty() {
            "<span class=\"empty\">none</span>".into()
        } else {
            format!("<ul class=\"flows\">{}</ul>", rows.concat())
        }
    };
    let (inbound, outbound) = model.throughput(&id);
    let body = format!(
        "<p class=\"kind\">{name}</p><h1>{id}</h1>\
         <section class=\"health\"><h2>Health</h2><p>{badge} <span data-message>{msg}</span></p>\
         <p class=\"meta\">changed <time data-updated>{updated}</time> · build #{instance} started {started}</p></section>\
         <section><h2>Data flow</h2><dl><dt>Receives from</dt><dd>{from}<div class=\"rate\">in total <span data-in>{inbound}</span></div></dd>\
         <dt>Sends to</dt><dd>{to}<div class=\"rate\">in total <span data-out>{outbound}</span></div></dd>\
         <dt>References</dt><dd>{refs_to}</dd><dt>Referenced by</dt><dd>{refs_by}</dd></dl>\
         <p><a class=\"button\" href=\"{live}\">Live debugging</a>{module}</p></section>\
         <section><h2>Arguments</h2><pre class=\"alloy\">{args}</pre></section>\
         <section><h2>Exports</h2>{exports}</section>\
         <section><h2>Debug info</h2>{debug}</section>",
        id = esc(&id),
        badge = badge(health.state.as_str()),
        msg = esc(&health.message),
        updated = esc(&rfc3339(health.updated)),
        started = esc(&rfc3339(started)),
        from = flows(false),
        to = flows(true),
        refs_to = links(&refs_to),
        refs_by = links(&refs_by),
        live = esc(&format!("{}/live", component_href(&id))),
        module = if is_module { format!(" <a class=\"button\" href=\"{}\">Module graph</a>", esc(&super::graph::module_href(&id))) } else { String::new() },
        args = esc(&args),
        exports = value_block(&exports),
        debug = table(&debug),
        name = esc(&name),
    );
    page(&s.agent, &id, Nav::Components, &[("page", "component"), ("id", &id)], &body)
}

/// The live view of what passes through a component.
pub async fn live(State(s): State<AppState>, Path(id): Path<String>) -> Response {
    let exists = s.agent.controller.inspect(|all| all.iter().any(|n| n.decl.id == id));
    if !exists {
        return not_found(&s, &id);
    }
    let back = format!("<p><a href=\"{}\">← {}</a></p>", esc(&component_href(&id)), esc(&id));
    let body = if s.agent.controller.flow().live.enabled() {
        format!(
            "{back}<h1>Live debugging</h1>\
             <p class=\"controls\"><label>Sample <select id=\"sample\"><option value=\"1\">every batch</option><option value=\"10\">1 in 10</option>\
             <option value=\"100\">1 in 100</option><option value=\"1000\">1 in 1000</option></select></label> \
             <button id=\"pause\" type=\"button\">Pause</button> <button id=\"clear\" type=\"button\">Clear</button> <span id=\"live-state\"></span></p>\
             <noscript><p class=\"empty\">The live stream needs JavaScript; without it, read <code>/api/v0/web/debug/{eid}</code> (server-sent events).</p></noscript>\
             <div id=\"live\" class=\"live\" aria-live=\"polite\"></div>",
            eid = esc(&id)
        )
    } else {
        format!(
            "{back}<h1>Live debugging</h1><div class=\"notice\"><p>Live debugging is <strong>disabled</strong>. \
             It streams the telemetry passing through a component, so it is off unless the config turns it on. To enable it, add this block to the config and reload:</p>\
             <pre class=\"alloy\">livedebugging {{\n\tenabled = true\n}}</pre></div>"
        )
    };
    page(&s.agent, &format!("Live: {id}"), Nav::Components, &[("page", "live"), ("id", &id)], &body)
}

fn not_found(s: &AppState, id: &str) -> Response {
    let mut r = page(
        &s.agent,
        "Not found",
        Nav::Components,
        &[("page", "missing")],
        &format!("<h1>Not found</h1><p>No component <code>{}</code> is running. <a href=\"/components\">All components</a></p>", esc(id)),
    );
    *r.status_mut() = StatusCode::NOT_FOUND;
    r.into_response()
}

/// Exports in Alloy syntax.
fn value_block(v: &Value) -> String {
    let text = alloy::value(v);
    if text.is_empty() {
        "<p class=\"empty\">none</p>".into()
    } else {
        format!("<pre class=\"alloy\">{}</pre>", esc(&text))
    }
}

/// Debug info as a table: an object's fields as rows, nested objects as
/// nested tables, other values in Alloy syntax.
fn table(v: &Value) -> String {
    match v {
        Value::Object(fields) if !fields.is_empty() => {
            let rows: String = fields.iter().map(|(k, v)| format!("<tr><th>{}</th><td>{}</td></tr>", esc(k), cell(v))).collect();
            format!("<table class=\"debug\">{rows}</table>")
        }
        Value::Null => "<p class=\"empty\">none</p>".into(),
        Value::Object(_) => "<p class=\"empty\">none</p>".into(),
        other => format!("<pre class=\"alloy\">{}</pre>", esc(&other.to_string())),
    }
}

fn cell(v: &Value) -> String {
    match v {
        Value::Object(fields) if !fields.is_empty() => table(v),
        Value::Array(items) if items.iter().any(|i| matches!(i, Value::Object(_))) => items.iter().map(table).collect(),
        Value::String(s) => esc(s),
        other => format!("<code>{}</code>", esc(&other.to_string())),
    }
}
