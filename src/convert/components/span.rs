//! `span` processor → `otelcol.processor.span`.

use super::filterspan::include_exclude;
use crate::convert::emit::Block;
use crate::convert::options::{OptionReader, Ty};
use crate::convert::table::Ctx;

pub fn convert(ctx: &mut Ctx) -> Vec<Block> {
    let mut block = Block::labelled("otelcol.processor.span", ctx.label);
    let mut r = OptionReader::new(ctx.owner, ctx.config, ctx.diags);
    if let Some(mut n) = r.child("name", ctx.diags) {
        let mut name = Block::new("name");
        n.copy(&mut name, "from_attributes", Ty::Strings, ctx.diags);
        n.copy(&mut name, "separator", Ty::String, ctx.diags);
        if let Some(mut t) = n.child("to_attributes", ctx.diags) {
            let mut to = Block::new("to_attributes");
            t.copy(&mut to, "rules", Ty::Strings, ctx.diags);
            t.copy(&mut to, "break_after_match", Ty::Bool, ctx.diags);
            t.copy(&mut to, "keep_original_name", Ty::Bool, ctx.diags);
            t.finish(ctx.diags);
            name.block(to, true);
        }
        n.finish(ctx.diags);
        block.block(name, true);
    }
    if let Some(mut s) = r.child("status", ctx.diags) {
        let mut status = Block::new("status");
        s.copy(&mut status, "code", Ty::String, ctx.diags);
        s.copy(&mut status, "description", Ty::String, ctx.diags);
        s.finish(ctx.diags);
        block.block(status, true);
    }
    for b in include_exclude(&mut r, ctx.owner, ctx.diags) {
        block.block(b, true);
    }
    r.finish(ctx.diags);
    block.block(ctx.output(), true);
    vec![block]
}
