//! `batch` processor → `otelcol.processor.batch`.

use crate::convert::emit::Block;
use crate::convert::options::{OptionReader, Ty};
use crate::convert::table::Ctx;

pub fn convert(ctx: &mut Ctx) -> Vec<Block> {
    let mut block = Block::labelled("otelcol.processor.batch", ctx.label);
    let mut r = OptionReader::new(ctx.owner, ctx.config, ctx.diags);
    r.copy(&mut block, "timeout", Ty::Duration, ctx.diags);
    r.copy(&mut block, "send_batch_size", Ty::Int, ctx.diags);
    r.copy(&mut block, "send_batch_max_size", Ty::Int, ctx.diags);
    r.copy(&mut block, "metadata_keys", Ty::Strings, ctx.diags);
    r.copy(&mut block, "metadata_cardinality_limit", Ty::Int, ctx.diags);
    r.finish(ctx.diags);
    block.block(ctx.output(), true);
    vec![block]
}
