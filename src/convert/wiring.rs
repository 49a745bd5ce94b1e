//! From pipelines to `output` blocks.
//!
//! In the Collector a pipeline is a list: receivers → processors →
//! exporters. In Alloy each component names where its data goes. So every
//! receiver of a pipeline sends that pipeline's signal to its first
//! processor (or, without processors, to every exporter), each processor to
//! the next, and the last to every exporter. A receiver, exporter or
//! connector is one component whatever the number of pipelines it is in,
//! and its outputs are the union over them. A processor is one component
//! per pipeline group (`traces/2` and `metrics/2` are group `2`) when it is
//! used in several groups, since its pipelines would otherwise merge; and
//! one per pipeline when a connector links its pipelines (traces → batch →
//! spanmetrics → batch → metrics), which would otherwise be a cycle.

use std::collections::BTreeMap;

use solder_syntax::suggest::did_you_mean;
use solder_syntax::Diagnostic;

use super::emit::sanitize_label;
use super::ids::{ComponentId, Kind, Signal};
use super::options::Diags;
use super::service::{Pipeline, Ref};
use super::table;
use super::yaml::Node;

/// A component defined in one of the four sections.
pub struct Def<'a> {
    pub kind: Kind,
    pub id: ComponentId,
    pub key_span: solder_syntax::Span,
    pub config: &'a Node,
    /// How to convert it; `None` when Solder cannot.
    pub entry: Option<&'static table::Entry>,
}

/// One Alloy component to emit (plus whatever it derives).
pub struct Instance {
    pub def: usize,
    /// Which of the definition's instances: see `instance_key`.
    pub key: String,
    pub label: String,
    pub outputs: BTreeMap<Signal, Vec<String>>,
}

/// Which definitions the pipelines use, and the instances to emit in
/// order: receivers, processors, exporters, connectors.
pub struct Wiring {
    pub used: Vec<bool>,
    pub instances: Vec<Instance>,
}

pub fn wire(defs: &[Def], pipelines: &[Pipeline], diags: &mut Diags) -> Wiring {
    let mut used = vec![false; defs.len()];
    // Pipelines with their references resolved to definitions.
    let resolved: Vec<[Vec<usize>; 3]> = pipelines
        .iter()
        .map(|p| {
            let mut resolve = |refs: &[Ref], kinds: &[Kind]| -> Vec<usize> {
                refs.iter()
                    .filter_map(|r| {
                        let found = kinds.iter().find_map(|k| defs.iter().position(|d| d.kind == *k && d.id == r.id));
                        match found {
                            Some(i) => {
                                used[i] = true;
                                defs[i].entry.is_some().then_some(i)
                            }
                            None => {
                                diags.push(not_configured(defs, p, r, kinds[0]));
                                None
                            }
                        }
                    })
                    .collect()
            };
            [
                resolve(&p.receivers, &[Kind::Receiver, Kind::Connector]),
                resolve(&p.processors, &[Kind::Processor]),
                resolve(&p.exporters, &[Kind::Exporter, Kind::Connector]),
            ]
        })
        .collect();

    // Instances: one per definition, except processors used in several
    // groups (one per group), or whose merging would close a cycle
    // through a connector (one per pipeline).
    let mut split: BTreeMap<usize, Split> = BTreeMap::new();
    for (p, [_, procs, _]) in pipelines.iter().zip(&resolved) {
        for &i in procs {
            let first_group = pipelines.iter().zip(&resolved).find(|(_, r)| r[1].contains(&i)).map(|(q, _)| &q.group);
            if first_group != Some(&p.group) {
                split.insert(i, Split::Group);
            }
        }
    }
    let (mut instances, edges) = loop {
        let mut checks = Diags::new();
        let (instances, edges) = build(defs, pipelines, &resolved, &used, &split, &mut checks);
        let cyclic: Vec<usize> = processors_in_cycles(&instances, &edges, defs).into_iter().filter(|i| split.get(i) != Some(&Split::Pipeline)).collect();
        if cyclic.is_empty() {
            diags.extend(checks);
            break (instances, edges);
        }
        split.extend(cyclic.into_iter().map(|i| (i, Split::Pipeline)));
    };
    assign_unique_labels(defs, &mut instances);
    for (from, signal, to) in edges {
        let x = &instances[to];
        let component = defs[x.def].entry.map_or("", |e| e.component);
        let reference = format!("{component}.{}.input", x.label);
        let outs = instances[from].outputs.entry(signal).or_default();
        if !outs.contains(&reference) {
            outs.push(reference);
        }
    }
    check_connectors(defs, pipelines, &resolved, diags);
    Wiring { used, instances }
}

/// How many components a processor becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Split {
    /// One per pipeline group (`traces/2` and `metrics/2` share one).
    Group,
    /// One per pipeline.
    Pipeline,
}

/// Which instance of a definition a pipeline uses: the key is empty, the
/// pipeline's group, or the pipeline's name.
fn instance_key(split: &BTreeMap<usize, Split>, def: usize, p: &Pipeline) -> String {
    match split.get(&def) {
        None => String::new(),
        Some(Split::Group) => p.group.clone(),
        Some(Split::Pipeline) => p.name.clone(),
    }
}

type Edge = (usize, Signal, usize);

/// The instances to emit and the edges between them, for one way of
/// splitting processors.
fn build(
    defs: &[Def],
    pipelines: &[Pipeline],
    resolved: &[[Vec<usize>; 3]],
    used: &[bool],
    split: &BTreeMap<usize, Split>,
    diags: &mut Diags,
) -> (Vec<Instance>, Vec<Edge>) {
    let mut instances: Vec<Instance> = Vec::new();
    for kind in [Kind::Receiver, Kind::Processor, Kind::Exporter, Kind::Connector] {
        for (i, d) in defs.iter().enumerate().filter(|(i, d)| d.kind == kind && used[*i] && d.entry.is_some()) {
            let mut keys: Vec<String> = Vec::new();
            for (p, r) in pipelines.iter().zip(resolved) {
                let key = instance_key(split, i, p);
                if r.iter().any(|list| list.contains(&i)) && !keys.contains(&key) {
                    keys.push(key);
                }
            }
            for key in keys {
                let base = d.id.label();
                let label = match split.get(&i) {
                    None => base,
                    Some(_) if key.is_empty() => base,
                    Some(_) if base == "default" && split.get(&i) == Some(&Split::Pipeline) => sanitize_label(&key),
                    Some(_) => sanitize_label(&format!("{key}_{base}")),
                };
                instances.push(Instance { def: i, key, label, outputs: BTreeMap::new() });
            }
        }
    }
    let find = |def: usize, p: &Pipeline| {
        let key = instance_key(split, def, p);
        instances.iter().position(|x| x.def == def && x.key == key)
    };
    let mut edges: Vec<Edge> = Vec::new();
    for (p, [receivers, processors, exporters]) in pipelines.iter().zip(resolved) {
        let signal = p.signal;
        let exporter_insts: Vec<usize> = exporters.iter().filter(|&&e| accepts(defs, e, p, diags)).filter_map(|&e| find(e, p)).collect();
        let chain: Vec<usize> = processors.iter().filter_map(|&q| find(q, p)).collect();
        let first = match chain.first() {
            Some(&q) => vec![q],
            None => exporter_insts.clone(),
        };
        for &r in receivers {
            if !produces(defs, r, p, diags) {
                continue;
            }
            if let Some(inst) = find(r, p) {
                edges.extend(first.iter().map(|&to| (inst, signal, to)));
            }
        }
        for (k, &q) in chain.iter().enumerate() {
            let next = match chain.get(k + 1) {
                Some(&n) => vec![n],
                None => exporter_insts.clone(),
            };
            edges.extend(next.into_iter().map(|to| (q, signal, to)));
        }
    }
    (instances, edges)
}

/// Processor definitions with an instance that can reach itself.
fn processors_in_cycles(instances: &[Instance], edges: &[Edge], defs: &[Def]) -> Vec<usize> {
    let mut out = Vec::new();
    for (start, x) in instances.iter().enumerate().filter(|(_, x)| defs[x.def].kind == Kind::Processor) {
        let mut seen = vec![false; instances.len()];
        let mut stack: Vec<usize> = edges.iter().filter(|e| e.0 == start).map(|e| e.2).collect();
        while let Some(n) = stack.pop() {
            if n == start {
                out.push(x.def);
                break;
            }
            if !std::mem::replace(&mut seen[n], true) {
                stack.extend(edges.iter().filter(|e| e.0 == n).map(|e| e.2));
            }
        }
    }
    out
}

/// Labels are unique per Alloy component name: when two collector
/// components land on the same one (`prometheus` and
/// `prometheusremotewrite` both become `otelcol.exporter.prometheus`), the
/// later one's label is prefixed with its collector type.
fn assign_unique_labels(defs: &[Def], instances: &mut [Instance]) {
    let mut taken: Vec<(&'static str, String)> = Vec::new();
    for x in instances.iter_mut() {
        let d = &defs[x.def];
        let component = d.entry.map_or("", |e| e.component);
        let mut label = x.label.clone();
        if taken.contains(&(component, label.clone())) {
            label = sanitize_label(&format!("{}_{}", d.id.ty, x.label));
        }
        let mut n = 2;
        let stem = label.clone();
        while taken.contains(&(component, label.clone())) {
            label = format!("{stem}_{n}");
            n += 1;
        }
        taken.push((component, label.clone()));
        x.label = label;
    }
}

fn not_configured(defs: &[Def], p: &Pipeline, r: &Ref, kind: Kind) -> Diagnostic {
    let mut d = Diagnostic::error(r.span, format!("service::pipelines::{}: references {} {:?} which is not configured", p.name, kind.noun(), r.id.to_string()));
    let names: Vec<String> = defs.iter().filter(|d| d.kind == kind || d.kind == Kind::Connector).map(|d| d.id.to_string()).collect();
    if let Some(near) = did_you_mean(&r.id.to_string(), names.iter().map(String::as_str)) {
        d = d.with_help(format!("did you mean {near:?}?"));
    } else {
        d = d.with_help(format!("define it under {}", kind.section()));
    }
    d
}

/// Whether an exporter (or connector) takes the pipeline's signal.
fn accepts(defs: &[Def], i: usize, p: &Pipeline, diags: &mut Diags) -> bool {
    let d = &defs[i];
    let ok = d.entry.is_some_and(|e| e.accepts.contains(&p.signal));
    if !ok {
        diags.push(Diagnostic::error(
            d.key_span,
            format!("{} {:?} does not take {}, but pipeline {:?} sends it {}", d.kind.noun(), d.id.to_string(), p.signal.name(), p.name, p.signal.name()),
        ));
    }
    ok
}

/// Whether a receiver (or connector) can feed the pipeline's signal.
fn produces(defs: &[Def], i: usize, p: &Pipeline, diags: &mut Diags) -> bool {
    let d = &defs[i];
    let ok = d.entry.is_some_and(|e| e.produces.contains(&p.signal));
    if !ok {
        diags.push(Diagnostic::error(
            d.key_span,
            format!("{} {:?} produces no {}, but it is a receiver of pipeline {:?}", d.kind.noun(), d.id.to_string(), p.signal.name(), p.name),
        ));
    }
    ok
}

/// A connector must be an exporter of one pipeline and a receiver of
/// another, or it connects nothing.
fn check_connectors(defs: &[Def], pipelines: &[Pipeline], resolved: &[[Vec<usize>; 3]], diags: &mut Diags) {
    for (i, d) in defs.iter().enumerate().filter(|(_, d)| d.kind == Kind::Connector && d.entry.is_some()) {
        let as_receiver: Vec<&Pipeline> = pipelines.iter().zip(resolved).filter(|(_, r)| r[0].contains(&i)).map(|(p, _)| p).collect();
        let as_exporter: Vec<&Pipeline> = pipelines.iter().zip(resolved).filter(|(_, r)| r[2].contains(&i)).map(|(p, _)| p).collect();
        let id = d.id.to_string();
        match (as_exporter.first(), as_receiver.first()) {
            (Some(p), None) => diags.push(Diagnostic::error(
                d.key_span,
                format!("connector {id:?} used as exporter in {} pipeline but not used in any supported receiver pipeline", p.name),
            )),
            (None, Some(p)) => diags.push(Diagnostic::error(
                d.key_span,
                format!("connector {id:?} used as receiver in {} pipeline but not used in any supported exporter pipeline", p.name),
            )),
            _ => {}
        }
    }
}
