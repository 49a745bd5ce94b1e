//! `servicegraph` connector → `otelcol.connector.servicegraph`.

use solder_syntax::Diagnostic;

use crate::convert::emit::Block;
use crate::convert::options::{value_expr, OptionReader, Ty};
use crate::convert::table::Ctx;
use crate::convert::yaml::Value;

pub fn convert(ctx: &mut Ctx) -> Vec<Block> {
    let mut block = Block::labelled("otelcol.connector.servicegraph", ctx.label);
    let mut r = OptionReader::new(ctx.owner, ctx.config, ctx.diags);
    let (owner, diags) = (ctx.owner, &mut *ctx.diags);
    r.copy(&mut block, "latency_histogram_buckets", Ty::Durations, diags);
    r.copy(&mut block, "dimensions", Ty::Strings, diags);
    r.copy(&mut block, "cache_loop", Ty::Duration, diags);
    r.copy(&mut block, "store_expiration_loop", Ty::Duration, diags);
    r.copy(&mut block, "virtual_node_peer_attributes", Ty::Strings, diags);
    r.copy(&mut block, "metrics_flush_interval", Ty::Duration, diags);
    r.copy(&mut block, "database_name_attribute", Ty::String, diags);
    // The newer list form, when it names one attribute, is the old option.
    if let Some(entry) = r.take("database_name_attributes") {
        match &entry.value.value {
            Value::Seq(items) if items.len() == 1 => {
                if let Ok(Some(e)) = value_expr(&items[0], Ty::String) {
                    block.attr("database_name_attribute", e);
                }
            }
            _ => diags.push(Diagnostic::error(entry.key_span, format!("{owner}: option \"database_name_attributes\" is supported with one attribute only"))),
        }
    }
    r.ignore("metrics_exporter", "it has had no effect since the connector replaced the processor", diags);
    r.unsupported("virtual_node_extra_label", "Solder labels virtual nodes through connection_type only", diags);
    r.unsupported("enable_virtual_node_label", "Solder labels virtual nodes through connection_type only", diags);
    r.unsupported("exponential_histogram_max_size", "Solder's service graph histograms are explicit", diags);
    if let Some(mut s) = r.child("store", diags) {
        let mut store = Block::new("store");
        s.copy(&mut store, "max_items", Ty::Int, diags);
        s.copy(&mut store, "ttl", Ty::Duration, diags);
        s.finish(diags);
        block.block(store, false);
    }
    r.finish(diags);
    block.block(ctx.output(), true);
    vec![block]
}
