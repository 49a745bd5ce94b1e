//! `spanmetrics` connector → `otelcol.connector.spanmetrics`.

use solder_syntax::Diagnostic;

use crate::convert::emit::{quote, Block};
use crate::convert::options::{Diags, OptionReader, Ty};
use crate::convert::table::Ctx;
use crate::convert::yaml::{Node, Value};

const CACHE: &str = "Solder sizes its caches itself";

pub fn convert(ctx: &mut Ctx) -> Vec<Block> {
    let mut block = Block::labelled("otelcol.connector.spanmetrics", ctx.label);
    let mut r = OptionReader::new(ctx.owner, ctx.config, ctx.diags);
    let (owner, diags) = (ctx.owner, &mut *ctx.diags);
    r.copy(&mut block, "namespace", Ty::String, diags);
    r.copy(&mut block, "exclude_dimensions", Ty::Strings, diags);
    if let Some((t, span)) = r.literal("aggregation_temporality", diags) {
        match t.trim_start_matches("AGGREGATION_TEMPORALITY_") {
            v @ ("CUMULATIVE" | "DELTA") => block.attr("aggregation_temporality", quote(v)),
            _ => diags.push(r.invalid(
                span,
                "aggregation_temporality",
                &format!("must be AGGREGATION_TEMPORALITY_CUMULATIVE or AGGREGATION_TEMPORALITY_DELTA, got {t:?}"),
            )),
        }
    }
    r.copy(&mut block, "metrics_flush_interval", Ty::Duration, diags);
    r.copy(&mut block, "metrics_expiration", Ty::Duration, diags);
    r.copy(&mut block, "aggregation_cardinality_limit", Ty::Int, diags);
    r.copy(&mut block, "resource_metrics_cache_size", Ty::Int, diags);
    r.copy(&mut block, "resource_metrics_key_attributes", Ty::Strings, diags);
    r.copy(&mut block, "include_instrumentation_scope", Ty::Strings, diags);
    for key in ["dimensions_cache_size", "metric_timestamp_cache_size"] {
        r.ignore(key, CACHE, diags);
    }
    r.unsupported("calls_dimensions", "the calls metric has the same dimensions as the duration histogram in Solder", diags);
    r.unsupported("add_resource_attributes", "use resource_metrics_key_attributes", diags);

    if let Some(entry) = r.take("dimensions") {
        block.body.extend(dimensions(owner, "dimensions", &entry.value, diags).into_iter().map(crate::convert::emit::Item::Block));
    }
    block.block(histogram(&mut r, diags), true);
    if let Some(mut e) = r.child("exemplars", diags) {
        let mut exemplars = Block::new("exemplars");
        e.copy(&mut exemplars, "enabled", Ty::Bool, diags);
        e.copy(&mut exemplars, "max_per_data_point", Ty::Int, diags);
        e.finish(diags);
        block.block(exemplars, false);
    }
    if let Some(mut e) = r.child("events", diags) {
        let mut events = Block::new("events");
        e.copy(&mut events, "enabled", Ty::Bool, diags);
        if let Some(entry) = e.take("dimensions") {
            for d in dimensions(owner, "events.dimensions", &entry.value, diags) {
                events.block(d, true);
            }
        }
        e.finish(diags);
        block.block(events, false);
    }
    r.finish(diags);
    block.block(ctx.output(), true);
    vec![block]
}

/// The `histogram` block, always written: Solder requires one, and the
/// Collector's default is explicit buckets.
fn histogram(r: &mut OptionReader, diags: &mut Diags) -> Block {
    let mut histogram = Block::new("histogram");
    let mut kind = Block::new("explicit");
    if let Some(mut h) = r.child("histogram", diags) {
        h.copy(&mut histogram, "disable", Ty::Bool, diags);
        h.copy(&mut histogram, "unit", Ty::String, diags);
        if let Some(mut e) = h.child("explicit", diags) {
            e.copy(&mut kind, "buckets", Ty::Durations, diags);
            e.finish(diags);
        }
        if let Some(span) = h.key_span("exponential").filter(|_| h.has("explicit")) {
            diags.push(h.invalid(span, "exponential", "cannot be set together with explicit: use one of the two"));
        }
        if let Some(mut e) = h.child("exponential", diags) {
            kind = Block::new("exponential");
            e.copy(&mut kind, "max_size", Ty::Int, diags);
            e.finish(diags);
        }
        h.unsupported("dimensions", "histogram-only dimensions are not supported; use dimensions", diags);
        h.finish(diags);
    }
    histogram.block(kind, true);
    histogram
}

/// `dimensions: [{name, default}]` as repeated `dimension` blocks.
fn dimensions(owner: &str, path: &str, node: &Node, diags: &mut Diags) -> Vec<Block> {
    let Value::Seq(items) = &node.value else {
        if !node.is_null() {
            diags.push(Diagnostic::error(node.span, format!("{owner}: option {path:?} must be a list of {{name, default}} mappings")));
        }
        return Vec::new();
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let mut d = Block::new("dimension");
            let mut r = OptionReader::nested(owner, format!("{path}[{i}]."), item, diags);
            if !r.has("name") {
                diags.push(Diagnostic::error(item.span, format!("{owner}: {path}[{i}] needs a name")));
            }
            r.copy(&mut d, "name", Ty::String, diags);
            r.copy(&mut d, "default", Ty::String, diags);
            r.finish(diags);
            d
        })
        .collect()
}
