//! `timeout`, `sending_queue` and `retry_on_failure`, shared by the OTLP
//! exporters: the Collector's exporter helper, which Solder's exporters
//! follow option for option.

use super::storage;
use crate::convert::emit::Block;
use crate::convert::options::{Diags, OptionReader, Ty};
use crate::convert::yaml::Node;

/// The `sending_queue` and `retry_on_failure` blocks, when configured.
pub fn blocks(r: &mut OptionReader, extensions: Option<&Node>, diags: &mut Diags) -> Vec<Block> {
    let mut out = Vec::new();
    if let Some(mut q) = r.child("sending_queue", diags) {
        let mut queue = Block::new("sending_queue");
        q.copy(&mut queue, "enabled", Ty::Bool, diags);
        q.copy(&mut queue, "num_consumers", Ty::Int, diags);
        q.copy(&mut queue, "queue_size", Ty::Int, diags);
        q.copy(&mut queue, "sizer", Ty::String, diags);
        q.copy(&mut queue, "blocking", Ty::Bool, diags);
        if let Some((name, span)) = q.literal("storage", diags) {
            match storage::handler(&name, extensions) {
                Ok(handler) => queue.attr("storage", handler),
                Err(message) => diags.push(q.invalid(span, "storage", &message)),
            }
        }
        q.unsupported("batch", "batch with the batch processor in the pipeline instead", diags);
        q.finish(diags);
        out.push(queue);
    }
    if let Some(mut rr) = r.child("retry_on_failure", diags) {
        let mut retry = Block::new("retry_on_failure");
        rr.copy(&mut retry, "enabled", Ty::Bool, diags);
        rr.copy(&mut retry, "initial_interval", Ty::Duration, diags);
        rr.copy(&mut retry, "randomization_factor", Ty::Float, diags);
        rr.copy(&mut retry, "multiplier", Ty::Float, diags);
        rr.copy(&mut retry, "max_interval", Ty::Duration, diags);
        rr.copy(&mut retry, "max_elapsed_time", Ty::Duration, diags);
        rr.finish(diags);
        out.push(retry);
    }
    out
}
