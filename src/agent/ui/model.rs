//! One snapshot of the running graph for the UI and the graph API:
//! components with their health and place in the layout, and edges with
//! their live rates.

use serde_json::{json, Value as Json};
use solder_components::Health;

use super::layout::{layered, Place};
use crate::agent::Agent;
use crate::runtime::flow::{Kind, Totals};

pub struct GraphNode {
    pub id: String,
    pub name: String,
    pub label: String,
    pub health: Health,
    pub place: Place,
    /// A custom component instance: its graph can be opened.
    pub module: bool,
}

pub struct GraphEdge {
    pub from: String,
    pub to: String,
    /// Telemetry flows along it (a tap counts it); otherwise `to` merely
    /// reads an export of `from`.
    pub data_flow: bool,
    pub totals: Totals,
    /// Accepted items per second, indexed by [`Kind`].
    pub rates: [f64; 4],
}

pub struct GraphModel {
    pub nodes: Vec<GraphNode>,
    pub edges: Vec<GraphEdge>,
}

impl GraphModel {
    /// Every component, module components included, flat.
    pub fn snapshot(agent: &Agent) -> GraphModel {
        GraphModel::snapshot_in(agent, None)
    }

    /// With a `view`, one module's graph as Alloy's UI draws it: the
    /// components of that module (`""`: the top level), each custom
    /// component instance in it as one node, and edges into or out of an
    /// instance drawn to the instance.
    pub fn snapshot_in(agent: &Agent, view: Option<&str>) -> GraphModel {
        let flows = agent.controller.flow().edges();
        let (mut nodes, refs) = agent.controller.inspect(|all| {
            let nodes: Vec<GraphNode> = all
                .iter()
                .map(|n| GraphNode {
                    id: n.decl.id.clone(),
                    name: n.decl.name.clone(),
                    label: n.decl.block.label.as_ref().map(|l| l.value.clone()).unwrap_or_default(),
                    health: n.health(),
                    place: Place { layer: 0, row: 0 },
                    module: matches!(n.decl.kind, crate::runtime::loader::Kind::Instance(_)),
                })
                .filter(|n| view.is_none_or(|v| in_view(&n.id, v).as_deref() == Some(n.id.as_str())))
                .collect();
            let refs: Vec<(String, String)> = all.iter().flat_map(|n| n.references().into_iter().map(|d| (n.decl.id.clone(), d))).collect();
            (nodes, refs)
        });
        // Edges, seen from the view: both ends drawn at what stands for them.
        let shown = |id: &str| match view {
            None => Some(id.to_string()),
            Some(v) => in_view(id, v),
        };
        let mut merged: Vec<crate::runtime::flow::EdgeView> = Vec::new();
        for mut e in flows {
            let (Some(from), Some(to)) = (shown(&e.from), shown(&e.to)) else { continue };
            if from == to {
                continue;
            }
            match merged.iter_mut().find(|m| m.from == from && m.to == to) {
                Some(m) => {
                    m.totals.add(&e.totals);
                    m.rates.iter_mut().zip(e.rates).for_each(|(sum, r)| *sum += r);
                }
                None => {
                    (e.from, e.to) = (from, to);
                    merged.push(e);
                }
            }
        }
        let flows = merged;
        let refs: Vec<(String, String)> = refs.into_iter().filter_map(|(a, b)| Some((shown(&a)?, shown(&b)?))).filter(|(a, b)| a != b).collect();
        let known = |id: &str| nodes.iter().any(|n| n.id == id);
        let mut edges: Vec<GraphEdge> = flows
            .into_iter()
            .filter(|e| known(&e.from) && known(&e.to))
            .map(|e| GraphEdge { from: e.from, to: e.to, data_flow: true, totals: e.totals, rates: e.rates })
            .collect();
        for (reader, read) in refs {
            if known(&read) && !edges.iter().any(|e| e.from == reader && e.to == read) {
                edges.push(GraphEdge { from: read, to: reader, data_flow: false, totals: Totals::default(), rates: [0.0; 4] });
            }
        }
        let index = |id: &str| nodes.iter().position(|n| n.id == id).unwrap_or(usize::MAX);
        let pairs: Vec<(usize, usize)> = edges.iter().map(|e| (index(&e.from), index(&e.to))).collect();
        let places = layered(nodes.len(), &pairs);
        for (node, place) in nodes.iter_mut().zip(places) {
            node.place = place;
        }
        GraphModel { nodes, edges }
    }

    /// Items per second into and out of a component, as labels.
    pub fn throughput(&self, id: &str) -> (String, String) {
        let sum = |pick: &dyn Fn(&GraphEdge) -> bool| {
            let mut rates = [0.0; 4];
            let mut totals = Totals::default();
            for e in self.edges.iter().filter(|e| e.data_flow && pick(e)) {
                rates.iter_mut().zip(e.rates).for_each(|(sum, r)| *sum += r);
                totals.add(&e.totals);
            }
            rate_label(&rates, &totals)
        };
        (sum(&|e| e.to == id), sum(&|e| e.from == id))
    }

    pub fn json(&self) -> Json {
        json!({
            "time": solder_components::calendar::rfc3339(std::time::SystemTime::now()),
            "nodes": self.nodes.iter().map(|n| {
                let (inbound, outbound) = self.throughput(&n.id);
                json!({
                    "id": n.id, "name": n.name, "label": n.label,
                    "health": health_json(&n.health),
                    "layer": n.place.layer, "row": n.place.row,
                    "throughput": { "in": inbound, "out": outbound },
                })
            }).collect::<Vec<_>>(),
            "edges": self.edges.iter().map(|e| {
                let by_kind = |v: &dyn Fn(usize) -> Json| Json::Object(Kind::ALL.iter().map(|k| (k.as_str().to_string(), v(*k as usize))).collect());
                json!({
                    "from": e.from, "to": e.to,
                    "type": if e.data_flow { "dataFlow" } else { "reference" },
                    "totals": by_kind(&|i| json!(e.totals.accepted[i])),
                    "refused": by_kind(&|i| json!(e.totals.refused[i])),
                    "rates": by_kind(&|i| json!((e.rates[i] * 10.0).round() / 10.0)),
                    "label": if e.data_flow { rate_label(&e.rates, &e.totals) } else { String::new() },
                })
            }).collect::<Vec<_>>(),
        })
    }
}

/// What stands for component `id` in the graph of module `view`: itself
/// if it is in that module, the instance inside `view` that contains it,
/// or nothing if it is outside.
pub fn in_view(id: &str, view: &str) -> Option<String> {
    let rest = if view.is_empty() { id } else { id.strip_prefix(view)?.strip_prefix('/')? };
    let first = rest.split('/').next()?;
    Some(if view.is_empty() { first.to_string() } else { format!("{view}/{first}") })
}

pub fn health_json(h: &Health) -> Json {
    json!({ "state": h.state.as_str(), "message": h.message, "updatedTime": solder_components::calendar::rfc3339(h.updated) })
}

/// `1.2k spans/s · 40 points/s`: every kind that flows or ever flowed;
/// `0/s` for an edge nothing has crossed yet.
pub fn rate_label(rates: &[f64; 4], totals: &Totals) -> String {
    let parts: Vec<String> = Kind::ALL
        .iter()
        .filter(|k| rates[**k as usize] > 0.0 || totals.accepted[**k as usize] > 0 || totals.refused[**k as usize] > 0)
        .map(|k| format!("{} {}/s", si(rates[*k as usize]), k.unit()))
        .collect();
    if parts.is_empty() {
        "0/s".to_string()
    } else {
        parts.join(" · ")
    }
}

/// A rate in three significant digits with a k/M suffix.
fn si(v: f64) -> String {
    let (v, suffix) = if v >= 1e6 {
        (v / 1e6, "M")
    } else if v >= 1e3 {
        (v / 1e3, "k")
    } else {
        (v, "")
    };
    if v >= 100.0 || v == 0.0 {
        format!("{v:.0}{suffix}")
    } else if v >= 10.0 {
        format!("{v:.1}{suffix}")
    } else {
        format!("{v:.2}{suffix}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_components_are_drawn_at_their_instance() {
        let id = "mods.a.x/otelcol.processor.batch.b";
        assert_eq!(in_view(id, "").as_deref(), Some("mods.a.x"));
        assert_eq!(in_view(id, "mods.a.x").as_deref(), Some(id));
        assert_eq!(in_view("mods.a.x/inner.y/otelcol.exporter.debug.d", "mods.a.x").as_deref(), Some("mods.a.x/inner.y"));
        assert_eq!(in_view("otelcol.receiver.otlp.r", "mods.a.x"), None);
    }

    #[test]
    fn labels_name_only_kinds_that_flowed() {
        let mut t = Totals::default();
        assert_eq!(rate_label(&[0.0; 4], &t), "0/s");
        t.accepted[0] = 10;
        assert_eq!(rate_label(&[1234.0, 0.0, 0.0, 0.0], &t), "1.23k spans/s");
        assert_eq!(rate_label(&[0.0; 4], &t), "0 spans/s");
    }
}
