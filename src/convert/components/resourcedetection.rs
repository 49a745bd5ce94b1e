//! `resourcedetection` processor → `otelcol.processor.resourcedetection`.

use solder_syntax::Diagnostic;

use crate::convert::emit::{list, Block};
use crate::convert::options::{value_expr, Diags, OptionReader, Ty};
use crate::convert::table::Ctx;
use crate::convert::yaml::Value;

/// The `system` detector's attribute switches.
const SYSTEM_ATTRIBUTES: &[&str] = &[
    "host.arch",
    "host.cpu.cache.l2.size",
    "host.cpu.family",
    "host.cpu.model.id",
    "host.cpu.model.name",
    "host.cpu.stepping",
    "host.cpu.vendor.id",
    "host.id",
    "host.ip",
    "host.mac",
    "host.name",
    "os.description",
    "os.type",
    "os.version",
];

/// The `k8snode` detector's attribute switches.
const NODE_ATTRIBUTES: &[&str] = &["k8s.node.name", "k8s.node.uid"];

pub fn convert(ctx: &mut Ctx) -> Vec<Block> {
    let mut block = Block::labelled("otelcol.processor.resourcedetection", ctx.label);
    let mut r = OptionReader::new(ctx.owner, ctx.config, ctx.diags);
    let (owner, diags) = (ctx.owner, &mut *ctx.diags);
    detectors(&mut r, &mut block, owner, diags);
    r.copy(&mut block, "override", Ty::Bool, diags);
    r.copy(&mut block, "timeout", Ty::Duration, diags);
    if let Some(mut s) = r.child("system", diags) {
        let mut system = Block::new("system");
        s.copy(&mut system, "hostname_sources", Ty::Strings, diags);
        toggles(&mut s, &mut system, SYSTEM_ATTRIBUTES, diags);
        s.finish(diags);
        block.block(system, false);
    }
    // The Collector's `k8snode` is Alloy's `kubernetes_node`.
    if let Some(mut k) = r.child("k8snode", diags) {
        let mut node = Block::new("kubernetes_node");
        k.copy(&mut node, "auth_type", Ty::String, diags);
        k.copy(&mut node, "context", Ty::String, diags);
        k.copy(&mut node, "node_from_env_var", Ty::String, diags);
        toggles(&mut k, &mut node, NODE_ATTRIBUTES, diags);
        k.finish(diags);
        block.block(node, false);
    }
    r.finish(diags);
    block.block(ctx.output(), true);
    vec![block]
}

/// `detectors`, keeping those Solder runs; each other one is an error
/// naming it (and is left out under `--bypass-errors`).
fn detectors(r: &mut OptionReader, block: &mut Block, owner: &str, diags: &mut Diags) {
    let Some(entry) = r.take("detectors") else { return };
    let Value::Seq(items) = &entry.value.value else {
        match value_expr(&entry.value, Ty::Strings) {
            Ok(Some(e)) => block.attr("detectors", e),
            Ok(None) => {}
            Err(m) => diags.push(Diagnostic::error(entry.value.span, format!("{owner}: option \"detectors\" {m}"))),
        }
        return;
    };
    let mut kept = Vec::new();
    for item in items {
        let name = match &item.value {
            Value::Scalar { text, .. } => text.as_str(),
            _ => "",
        };
        match name {
            "env" | "system" => kept.push(format!("{name:?}")),
            // The Collector's `k8snode` is Alloy's `kubernetes_node`.
            "k8snode" => kept.push("\"kubernetes_node\"".to_string()),
            other => diags.push(Diagnostic::error(item.span, format!("{owner}: detector {other:?} is not supported yet: Solder runs env, system and k8snode"))),
        }
    }
    if !kept.is_empty() {
        block.attr("detectors", list(&kept));
    }
}

/// `resource_attributes: {host.id: {enabled: true}}` →
/// `resource_attributes { host.id { enabled = true } }`.
fn toggles(parent: &mut OptionReader, block: &mut Block, names: &'static [&'static str], diags: &mut Diags) {
    let Some(mut ra) = parent.child("resource_attributes", diags) else { return };
    let mut out = Block::new("resource_attributes");
    for name in names {
        if let Some(mut t) = ra.child(name, diags) {
            let mut toggle = Block::new(*name);
            t.copy(&mut toggle, "enabled", Ty::Bool, diags);
            t.finish(diags);
            out.block(toggle, false);
        }
    }
    ra.finish(diags);
    block.block(out, false);
}
