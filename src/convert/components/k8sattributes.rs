//! `k8sattributes` processor (also spelled `k8s_attributes`) →
//! `otelcol.processor.k8sattributes`.
//!
//! The Collector's lists of mappings (`extract.labels`, `filter.fields`,
//! `pod_association`, `exclude.pods`, ...) become repeated blocks named in
//! the singular, as Alloy spells them. One mapping goes beyond Alloy's own
//! converter: `filter.node_from_env_var` becomes `node = sys.env(...)`,
//! where Alloy drops it and leaves every agent watching every pod.

use solder_syntax::Diagnostic;

use super::filterspan::items;
use crate::convert::emit::{list, quote, Block};
use crate::convert::env;
use crate::convert::options::{value_expr, Diags, OptionReader, Ty};
use crate::convert::table::Ctx;
use crate::convert::yaml::{Node, Value};

/// The `extract.metadata` keys `otelcol.processor.k8sattributes` takes
/// (Alloy's list). The Collector knows a few more (`k8s.pod.ip`,
/// `k8s.node.uid`, `k8s.cluster.uid`, ...); those are reported.
const METADATA: &[&str] = &[
    "container.id",
    "container.image.name",
    "container.image.tag",
    "container.image.tags",
    "k8s.container.name",
    "k8s.cronjob.name",
    "k8s.cronjob.uid",
    "k8s.daemonset.name",
    "k8s.daemonset.uid",
    "k8s.deployment.name",
    "k8s.deployment.uid",
    "k8s.job.name",
    "k8s.job.uid",
    "k8s.namespace.name",
    "k8s.node.name",
    "k8s.pod.name",
    "k8s.pod.start_time",
    "k8s.pod.uid",
    "k8s.replicaset.name",
    "k8s.replicaset.uid",
    "k8s.statefulset.name",
    "k8s.statefulset.uid",
    "service.instance.id",
    "service.name",
    "service.namespace",
    "service.version",
];

/// Why `regex` of a label or annotation rule has no equivalent.
const REGEX: &str =
    "it was removed from the Collector's processor and from Alloy's; capture with key_regex and name the attribute with a tag_name back reference ($1)";

pub fn convert(ctx: &mut Ctx) -> Vec<Block> {
    let mut block = Block::labelled("otelcol.processor.k8sattributes", ctx.label);
    let mut r = OptionReader::new(ctx.owner, ctx.config, ctx.diags);
    let (owner, diags) = (ctx.owner, &mut *ctx.diags);
    r.copy(&mut block, "auth_type", Ty::String, diags);
    r.unsupported("context", "otelcol.processor.k8sattributes always uses the kubeconfig's current context", diags);
    r.copy(&mut block, "passthrough", Ty::Bool, diags);
    r.copy(&mut block, "wait_for_metadata", Ty::Bool, diags);
    r.copy(&mut block, "wait_for_metadata_timeout", Ty::Duration, diags);
    if let Some(mut e) = r.child("extract", diags) {
        block.block(extract(&mut e, owner, diags), false);
        e.finish(diags);
    }
    if let Some(mut f) = r.child("filter", diags) {
        block.block(filter(&mut f, owner, diags), false);
        f.finish(diags);
    }
    if let Some(entry) = r.take("pod_association") {
        for (i, rule) in items(owner, "pod_association", &entry.value, diags).iter().enumerate() {
            let path = format!("pod_association[{i}]");
            let mut rr = OptionReader::nested(owner, format!("{path}."), rule, diags);
            let mut association = Block::new("pod_association");
            if let Some(sources) = rr.take("sources") {
                for source in repeated(owner, &format!("{path}.sources"), &sources.value, "source", &["from", "name"], &[], diags) {
                    association.block(source, true);
                }
            }
            rr.finish(diags);
            block.block(association, true);
        }
    }
    if let Some(mut x) = r.child("exclude", diags) {
        let mut exclude = Block::new("exclude");
        if let Some(pods) = x.take("pods") {
            for pod in repeated(owner, "exclude.pods", &pods.value, "pod", &["name"], &[], diags) {
                exclude.block(pod, true);
            }
        }
        x.finish(diags);
        block.block(exclude, true);
    }
    r.finish(diags);
    block.block(ctx.output(), true);
    vec![block]
}

fn extract(e: &mut OptionReader, owner: &str, diags: &mut Diags) -> Block {
    let mut out = Block::new("extract");
    if let Some(entry) = e.take("metadata") {
        if let Some(keys) = metadata(owner, &entry.value, diags) {
            out.attr("metadata", keys);
        }
    }
    e.copy(&mut out, "otel_annotations", Ty::Bool, diags);
    e.copy(&mut out, "deployment_name_from_replicaset", Ty::Bool, diags);
    for (yaml, alloy) in [("labels", "label"), ("annotations", "annotation")] {
        if let Some(entry) = e.take(yaml) {
            for b in repeated(owner, &format!("extract.{yaml}"), &entry.value, alloy, &["tag_name", "key", "key_regex", "from"], &[("regex", REGEX)], diags) {
                out.block(b, true);
            }
        }
    }
    e.unsupported("service_attributes", "otelcol.processor.k8sattributes has no service_attributes; list service.* keys in metadata instead", diags);
    out
}

/// `extract.metadata`, keeping the keys the Alloy component takes; each
/// other one is an error at its item (and is left out under
/// `--bypass-errors`).
fn metadata(owner: &str, node: &Node, diags: &mut Diags) -> Option<String> {
    let Value::Seq(keys) = &node.value else {
        return match value_expr(node, Ty::Strings) {
            Ok(e) => e,
            Err(m) => {
                diags.push(Diagnostic::error(node.span, format!("{owner}: option \"extract.metadata\" {m}")));
                None
            }
        };
    };
    let mut kept = Vec::new();
    for key in keys {
        let text = match &key.value {
            Value::Scalar { text, .. } => text.as_str(),
            _ => "",
        };
        let reads_env = env::parse(text).map(|p| env::has_env(&p)).unwrap_or(false);
        if METADATA.contains(&text) {
            if text == "container.image.tag" {
                diags.push(Diagnostic::warning(
                    key.span,
                    format!("{owner}: metadata \"container.image.tag\" adds nothing in otelcol.processor.k8sattributes, which extracts container.image.tags (a list) instead"),
                ));
            }
            kept.push(quote(text));
        } else if reads_env {
            match value_expr(key, Ty::String) {
                Ok(Some(e)) => kept.push(e),
                Ok(None) => {}
                Err(m) => diags.push(Diagnostic::error(key.span, format!("{owner}: option \"extract.metadata\" {m}"))),
            }
        } else {
            diags.push(
                Diagnostic::error(key.span, format!("{owner}: metadata {text:?} is not supported by otelcol.processor.k8sattributes"))
                    .with_help("Solder extracts the metadata keys Alloy does: k8s.* names and UIDs of the pod and its owners, container.*, service.*"),
            );
        }
    }
    Some(list(&kept))
}

fn filter(f: &mut OptionReader, owner: &str, diags: &mut Diags) -> Block {
    let mut out = Block::new("filter");
    // The Collector reads the variable when it starts and prefers it to
    // `node`; `sys.env` reads it whenever the config is evaluated.
    match f.literal("node_from_env_var", diags).filter(|(var, _)| !var.is_empty()) {
        Some((var, _)) => {
            out.attr("node", format!("sys.env({})", quote(&var)));
            f.ignore("node", "node_from_env_var takes its place, as in the Collector", diags);
        }
        None => f.copy(&mut out, "node", Ty::String, diags),
    }
    f.copy(&mut out, "namespace", Ty::String, diags);
    for (yaml, alloy) in [("fields", "field"), ("labels", "label")] {
        if let Some(entry) = f.take(yaml) {
            for b in repeated(owner, &format!("filter.{yaml}"), &entry.value, alloy, &["key", "value", "op"], &[], diags) {
                out.block(b, true);
            }
        }
    }
    out
}

/// Each mapping of a list as a block named `alloy`, with the string
/// options `keys` copied and each of `unsupported` reported with its
/// reason; any other option in a mapping is reported too.
fn repeated(owner: &str, path: &str, node: &Node, alloy: &str, keys: &[&'static str], unsupported: &[(&'static str, &str)], diags: &mut Diags) -> Vec<Block> {
    let mut out = Vec::new();
    for (i, item) in items(owner, path, node, diags).iter().enumerate() {
        let mut ir = OptionReader::nested(owner, format!("{path}[{i}]."), item, diags);
        let mut b = Block::new(alloy);
        for key in keys {
            ir.copy(&mut b, key, Ty::String, diags);
        }
        for (key, why) in unsupported {
            ir.unsupported(key, why, diags);
        }
        ir.finish(diags);
        out.push(b);
    }
    out
}
