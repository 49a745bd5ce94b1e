//! `batch` processor → `otelcol.processor.batch`.

use crate::convert::emit::Block;
use crate::convert::options::{OptionReader, Ty};
use crate::convert::table::Ctx;

/// The Collector's batch sizes, which differ from Solder's (and Alloy's)
/// defaults of 2000 and 3000: written out when the YAML leaves them
/// unset, so the converted pipeline batches as the Collector did.
const COLLECTOR_SEND_BATCH_SIZE: &str = "8192";
const COLLECTOR_SEND_BATCH_MAX_SIZE: &str = "0";

pub fn convert(ctx: &mut Ctx) -> Vec<Block> {
    let mut block = Block::labelled("otelcol.processor.batch", ctx.label);
    let mut r = OptionReader::new(ctx.owner, ctx.config, ctx.diags);
    let (has_size, has_max) = (r.has("send_batch_size"), r.has("send_batch_max_size"));
    r.copy(&mut block, "timeout", Ty::Duration, ctx.diags);
    r.copy(&mut block, "send_batch_size", Ty::Int, ctx.diags);
    if !has_size {
        block.attr("send_batch_size", COLLECTOR_SEND_BATCH_SIZE);
    }
    r.copy(&mut block, "send_batch_max_size", Ty::Int, ctx.diags);
    if !has_max {
        block.attr("send_batch_max_size", COLLECTOR_SEND_BATCH_MAX_SIZE);
    }
    r.copy(&mut block, "metadata_keys", Ty::Strings, ctx.diags);
    r.copy(&mut block, "metadata_cardinality_limit", Ty::Int, ctx.diags);
    r.finish(ctx.diags);
    block.block(ctx.output(), true);
    vec![block]
}
