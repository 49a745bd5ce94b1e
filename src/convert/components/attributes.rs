//! `attributes` processor → `otelcol.processor.attributes`.

use super::filterspan::{any_value, include_exclude, items};
use crate::convert::emit::Block;
use crate::convert::options::{OptionReader, Ty};
use crate::convert::table::Ctx;

pub fn convert(ctx: &mut Ctx) -> Vec<Block> {
    let mut block = Block::labelled("otelcol.processor.attributes", ctx.label);
    let mut r = OptionReader::new(ctx.owner, ctx.config, ctx.diags);
    if let Some(e) = r.take("actions") {
        for (i, item) in items(ctx.owner, "actions", &e.value, ctx.diags).iter().enumerate() {
            let mut a = Block::new("action");
            let mut ar = OptionReader::nested(ctx.owner, format!("actions[{i}]."), item, ctx.diags);
            ar.copy(&mut a, "key", Ty::String, ctx.diags);
            if let Some(v) = any_value(&mut ar, "value", ctx.diags) {
                a.attr("value", v);
            }
            for key in ["pattern", "from_attribute", "from_context", "converted_type", "action"] {
                ar.copy(&mut a, key, Ty::String, ctx.diags);
            }
            ar.finish(ctx.diags);
            block.block(a, true);
        }
    }
    for b in include_exclude(&mut r, ctx.owner, ctx.diags) {
        block.block(b, true);
    }
    r.finish(ctx.diags);
    block.block(ctx.output(), true);
    vec![block]
}
