//! `transform` → `otelcol.processor.transform` and `filter` →
//! `otelcol.processor.filter`. OTTL statements carry over as the Collector
//! reads them: each becomes a raw Alloy string when it can (so its quotes
//! and backslashes read exactly as in the YAML), a quoted one otherwise.

use solder_syntax::Diagnostic;

use super::filterspan::items;
use crate::convert::emit::{list, Block};
use crate::convert::options::{value_expr, Diags, OptionReader, Ty};
use crate::convert::table::Ctx;
use crate::convert::yaml::{Node, Value};

/// The signal lists of the transform processor: YAML key, Alloy key in
/// the flat `statements` block.
const SIGNALS: [(&str, &str); 3] = [("trace_statements", "trace"), ("metric_statements", "metric"), ("log_statements", "log")];

pub fn transform(ctx: &mut Ctx) -> Vec<Block> {
    let mut block = Block::labelled("otelcol.processor.transform", ctx.label);
    let mut r = OptionReader::new(ctx.owner, ctx.config, ctx.diags);
    r.copy(&mut block, "error_mode", Ty::String, ctx.diags);
    let mut flat = Block::new("statements");
    let mut groups = Vec::new();
    for (key, short) in SIGNALS {
        let Some(e) = r.take(key) else { continue };
        let mut inferred: Vec<String> = Vec::new();
        let mut blocks_after_flat = false;
        for (i, item) in items(ctx.owner, key, &e.value, ctx.diags).iter().enumerate() {
            match &item.value {
                // The flat form: a statement whose paths name its context.
                Value::Scalar { .. } => inferred.extend(statement(ctx.owner, &format!("{key}[{i}]"), item, ctx.diags)),
                _ => {
                    let mut g = OptionReader::nested(ctx.owner, format!("{key}[{i}]."), item, ctx.diags);
                    let has_context = g.has("context");
                    let sts = g.take("statements").map(|s| statements(ctx.owner, &format!("{key}[{i}].statements"), &s.value, ctx.diags)).unwrap_or_default();
                    if has_context {
                        let mut b = Block::new(key);
                        g.copy(&mut b, "context", Ty::String, ctx.diags);
                        if let Some(c) = g.take("conditions") {
                            b.attr("conditions", list(&statements(ctx.owner, &format!("{key}[{i}].conditions"), &c.value, ctx.diags)));
                        }
                        b.attr("statements", list(&sts));
                        g.copy(&mut b, "error_mode", Ty::String, ctx.diags);
                        blocks_after_flat |= !inferred.is_empty();
                        groups.push(b);
                    } else {
                        // A group without a context has it inferred: it joins the flat list.
                        g.ignore("error_mode", "a group without a context runs with the component's error_mode", ctx.diags);
                        g.unsupported("conditions", "the flat statements of Alloy have no conditions; give the group a context", ctx.diags);
                        inferred.extend(sts);
                    }
                    g.finish(ctx.diags);
                }
            }
        }
        if blocks_after_flat {
            ctx.diags.push(Diagnostic::warning(
                e.key_span,
                format!("{}: statements without a context run after the groups with one in Alloy, not in the order {key} lists them", ctx.owner),
            ));
        }
        if !inferred.is_empty() {
            flat.attr(short, list(&inferred));
        }
    }
    r.unsupported("flatten_data", "otelcol.processor.transform does not flatten log data", ctx.diags);
    r.finish(ctx.diags);
    block.block(flat, false);
    for g in groups {
        block.block(g, true);
    }
    block.block(ctx.output(), true);
    vec![block]
}

pub fn filter(ctx: &mut Ctx) -> Vec<Block> {
    let mut block = Block::labelled("otelcol.processor.filter", ctx.label);
    let mut r = OptionReader::new(ctx.owner, ctx.config, ctx.diags);
    r.copy(&mut block, "error_mode", Ty::String, ctx.diags);
    let legacy = "the legacy include/exclude match form is not converted; write it as OTTL conditions (traces.span, metrics.metric, logs.log_record)";
    r.unsupported("spans", legacy, ctx.diags);
    for (key, lists) in [("traces", &["span", "spanevent"][..]), ("metrics", &["metric", "datapoint"]), ("logs", &["log_record"])] {
        let Some(mut c) = r.child(key, ctx.diags) else { continue };
        let mut b = Block::new(key);
        for name in lists {
            if let Some(e) = c.take(name) {
                b.attr(name, list(&statements(ctx.owner, &format!("{key}.{name}"), &e.value, ctx.diags)));
            }
        }
        for old in ["include", "exclude", "regexp"] {
            c.unsupported(old, legacy, ctx.diags);
        }
        c.finish(ctx.diags);
        block.block(b, true);
    }
    r.finish(ctx.diags);
    block.block(ctx.output(), true);
    vec![block]
}

/// A list of statements or conditions, each as an Alloy string.
fn statements(owner: &str, path: &str, node: &Node, diags: &mut Diags) -> Vec<String> {
    match &node.value {
        Value::Seq(items) => items.iter().enumerate().filter_map(|(i, n)| statement(owner, &format!("{path}[{i}]"), n, diags)).collect(),
        Value::Null => Vec::new(),
        _ => {
            diags.push(Diagnostic::error(node.span, format!("{owner}: option {path:?} must be a list of strings, got {}", node.kind())));
            Vec::new()
        }
    }
}

/// One statement as an Alloy string: raw when nothing in it needs a
/// quoted string (a backtick, a carriage return, or a `$`, which may
/// start a `${env:...}` the Collector expands or a `$$` it unescapes).
fn statement(owner: &str, path: &str, node: &Node, diags: &mut Diags) -> Option<String> {
    if let Value::Scalar { text, .. } = &node.value {
        if !text.contains(['`', '\r', '$']) {
            return Some(format!("`{text}`"));
        }
    }
    match value_expr(node, Ty::String) {
        Ok(e) => e,
        Err(msg) => {
            diags.push(Diagnostic::error(node.span, format!("{owner}: option {path:?} {msg}")));
            None
        }
    }
}
