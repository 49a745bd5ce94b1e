//! Span statements run on the wire bytes of a request, without decoding
//! it: the `span` context over each span as received ([`span`]), and the
//! request written again with only the changed spans re-encoded and
//! every length prefix above them recomputed ([`frame`]).
//!
//! This is the transform processor's fast path. It applies when every
//! trace block runs in the `span` context and uses only the paths the
//! wire context serves ([`span::supports`], checked once per load):
//! reads of any span field, of `resource.attributes` and of the scope's
//! name and version; writes of the span's name, kind, status and
//! attributes. Anything else (a `resource` block, a write above the span,
//! span events) runs on the decoded request as before. So does a request
//! the wire walk finds odd (a group, a field of the wrong wire type):
//! what the wire path does is always what decoding would have done.
//!
//! Blocks run span by span rather than block by block over the request;
//! with span statements only, no span sees another, so the result is the
//! same. Under `error_mode = "propagate"` the request is refused either
//! way, though the error reported may be another span's.

mod attrs;
mod fields;
mod frame;
mod span;
#[cfg(test)]
mod tests;

use solder_syntax::ottl::{ErrorMode, RunError};

use super::Group;
use crate::otlp::wire::WireError;

/// Whether every group can run on the wire.
pub fn supports(groups: &[&Group]) -> bool {
    groups.iter().all(|g| g.schema.name == "span" && g.statements.path_uses().iter().all(|u| span::supports(u.path, u.written)))
}

/// Why the wire path did not finish.
#[derive(Debug)]
pub enum WireFailure {
    /// A statement of the block at this index failed under `propagate`:
    /// the request is refused.
    Run(usize, RunError),
    /// The request's encoding is one the wire walk leaves to the decoder.
    Decode(WireError),
}

/// One group with the error mode it runs under.
pub struct WireBlock<'g> {
    pub group: &'g Group,
    pub mode: ErrorMode,
}

/// Runs `blocks` (all [`supports`]ed) over every span of a trace request.
/// `None`: nothing changed, the request goes on as it came. Errors of
/// blocks under `ignore` are pushed to `errors` with their block's index.
pub fn transform_traces(blocks: &[WireBlock<'_>], request: &[u8], errors: &mut Vec<(usize, RunError)>) -> Result<Option<Vec<u8>>, WireFailure> {
    frame::rewrite(request, |ctx| {
        for (b, block) in blocks.iter().enumerate() {
            let mut found = Vec::new();
            let result = block.group.statements.execute(ctx, block.mode, &mut found);
            errors.extend(found.into_iter().map(|e| (b, e)));
            result.map_err(|e| WireFailure::Run(b, e))?;
        }
        Ok(())
    })
}
