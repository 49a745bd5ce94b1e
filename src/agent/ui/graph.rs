//! The graph page: the component DAG as inline SVG, laid out left to right
//! in data-flow direction (see [`super::layout`]), nodes coloured by
//! health, edges labelled with their live rates. Nodes are SVG links, so
//! clicking one opens its page without JavaScript.

use axum::extract::{Query, State};
use axum::response::Response;

use super::model::{rate_label, GraphModel};
use super::{component_href, esc, page, Nav};
use crate::agent::http::AppState;

const NODE_W: usize = 250;
const NODE_H: usize = 56;
const COL_W: usize = 350;
const ROW_H: usize = 86;
const PAD: usize = 24;

pub async fn graph_page(State(s): State<AppState>, Query(q): Query<ModuleQuery>) -> Response {
    let view = q.module.unwrap_or_default();
    let model = GraphModel::snapshot_in(&s.agent, Some(&view));
    let heading = if view.is_empty() {
        "<h1>Graph</h1>".to_string()
    } else {
        // The module's place: a link up to the graph it is drawn in.
        let parent = view.rsplit_once('/').map(|(p, _)| p).unwrap_or("");
        format!(
            "<p><a href=\"{}\">← {}</a></p><h1>Module <a href=\"{}\">{}</a></h1>",
            esc(&module_href(parent)),
            if parent.is_empty() { "top level".to_string() } else { esc(parent) },
            esc(&component_href(&view)),
            esc(&view)
        )
    };
    let body = if model.nodes.is_empty() {
        format!("{heading}<p class=\"empty\">No components are running. See <a href=\"/config\">Config</a>.</p>")
    } else {
        format!(
            "{heading}<p class=\"legend\"><span class=\"badge health-healthy\">healthy</span> <span class=\"badge health-unhealthy\">unhealthy</span> \
             <span class=\"badge health-unknown\">unknown</span> <span class=\"badge health-exited\">exited</span> · solid edges carry telemetry \
             (live rate), dashed edges read an export</p><div class=\"graph\">{}</div>{}",
            svg(&model),
            edge_table(&model)
        )
    };
    page(&s.agent, "Graph", Nav::Graph, &[("page", "graph"), ("module", &view), ("shape", &shape(&model))], &body)
}

/// `?module=ID`: which module's graph to draw; the top level without it.
#[derive(serde::Deserialize)]
pub struct ModuleQuery {
    pub module: Option<String>,
}

/// The graph page of a module (`""`: the top level).
pub fn module_href(module: &str) -> String {
    if module.is_empty() {
        return "/graph".into();
    }
    let mut out = String::from("/graph?module=");
    for b in module.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// What the drawing depends on: when the stream reports another shape, the
/// script reloads the page for a new layout.
fn shape(m: &GraphModel) -> String {
    let nodes: Vec<&str> = m.nodes.iter().map(|n| n.id.as_str()).collect();
    let edges: Vec<String> = m.edges.iter().map(|e| format!("{}>{}", e.from, e.to)).collect();
    format!("{}|{}", nodes.join(","), edges.join(","))
}

fn position(m: &GraphModel, id: &str) -> Option<(usize, usize)> {
    let rows_in = |layer: usize| m.nodes.iter().filter(|n| n.place.layer == layer).count();
    let tallest = m.nodes.iter().map(|n| rows_in(n.place.layer)).max().unwrap_or(1);
    m.nodes.iter().find(|n| n.id == id).map(|n| {
        let offset = (tallest - rows_in(n.place.layer)) * ROW_H / 2;
        (PAD + n.place.layer * COL_W, PAD + offset + n.place.row * ROW_H)
    })
}

fn svg(m: &GraphModel) -> String {
    let layers = m.nodes.iter().map(|n| n.place.layer + 1).max().unwrap_or(1);
    let tallest = (0..layers).map(|l| m.nodes.iter().filter(|n| n.place.layer == l).count()).max().unwrap_or(1);
    let width = 2 * PAD + (layers - 1) * COL_W + NODE_W;
    let height = 2 * PAD + (tallest - 1) * ROW_H + NODE_H;
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"graph\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"component graph\">\
         <defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\">\
         <path d=\"M 0 0 L 10 5 L 0 10 z\"/></marker></defs>"
    );
    for e in &m.edges {
        let (Some((x1, y1)), Some((x2, y2))) = (position(m, &e.from), position(m, &e.to)) else { continue };
        let (sx, sy) = ((x1 + NODE_W) as f64, (y1 + NODE_H / 2) as f64);
        let (tx, ty) = (x2 as f64, (y2 + NODE_H / 2) as f64);
        let bend = ((tx - sx) / 2.0).abs().max(40.0);
        let class = if e.data_flow { "edge data" } else { "edge reference" };
        let label = if e.data_flow { rate_label(&e.rates, &e.totals) } else { String::new() };
        // The label sits on the curve's midpoint, nudged above it.
        let (mx, my) = ((sx + tx) / 2.0, (sy + ty) / 2.0 - 6.0);
        out.push_str(&format!(
            "<g class=\"{class}\" data-from=\"{from}\" data-to=\"{to}\"><title>{from} → {to}</title>\
             <path d=\"M {sx} {sy} C {c1} {sy}, {c2} {ty}, {tx} {ty}\" marker-end=\"url(#arrow)\"/>\
             <text class=\"edge-label\" x=\"{mx}\" y=\"{my}\" text-anchor=\"middle\">{label}</text></g>",
            from = esc(&e.from),
            to = esc(&e.to),
            c1 = sx + bend,
            c2 = tx - bend,
            label = esc(&label),
        ));
    }
    for n in &m.nodes {
        let Some((x, y)) = position(m, &n.id) else { continue };
        let state = n.health.state.as_str();
        out.push_str(&format!(
            "<a href=\"{href}\"><g class=\"node health-{state}\" data-id=\"{id}\"><title>{id}: {state} {msg}</title>\
             <rect x=\"{x}\" y=\"{y}\" width=\"{NODE_W}\" height=\"{NODE_H}\" rx=\"6\"/>\
             <text class=\"node-kind\" x=\"{tx}\" y=\"{ky}\">{name}</text><text class=\"node-label\" x=\"{tx}\" y=\"{ly}\">{label}</text></g></a>",
            href = esc(&if n.module { module_href(&n.id) } else { component_href(&n.id) }),
            id = esc(&n.id),
            msg = esc(&n.health.message),
            name = esc(&n.name),
            label = esc(&n.label),
            tx = x + 12,
            ky = y + 22,
            ly = y + 42,
        ));
    }
    out.push_str("</svg>");
    out
}

/// The edges as a table: readable without the drawing.
fn edge_table(m: &GraphModel) -> String {
    let rows: String = m
        .edges
        .iter()
        .filter(|e| e.data_flow)
        .map(|e| {
            let refused: u64 = e.totals.refused.iter().sum();
            format!(
                "<tr data-from=\"{f}\" data-to=\"{t}\"><td><a href=\"{fh}\">{f}</a></td><td><a href=\"{th}\">{t}</a></td><td class=\"num\" data-rate>{r}</td><td class=\"num\" data-refused>{refused}</td></tr>",
                f = esc(&e.from),
                t = esc(&e.to),
                fh = esc(&component_href(&e.from)),
                th = esc(&component_href(&e.to)),
                r = esc(&rate_label(&e.rates, &e.totals)),
            )
        })
        .collect();
    if rows.is_empty() {
        return String::new();
    }
    format!("<h2>Edges</h2><table class=\"edges\"><thead><tr><th>From</th><th>To</th><th>Rate</th><th>Refused</th></tr></thead><tbody>{rows}</tbody></table>")
}
