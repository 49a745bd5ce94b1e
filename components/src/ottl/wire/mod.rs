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
//!
//! Metric and log requests nest under the same field numbers as trace
//! requests, so the same frame serves them: the filter's `metric` and
//! `log_record` lists test each metric or record where it lies
//! ([`metric`], [`log`], [`filter`]), and a transform's `resource`,
//! `log` and `datapoint` blocks of plain steps run as a [`Plan`] over
//! their resources, records and points ([`frame`] goes down into each
//! metric's data for the points).

mod attrs;
mod event;
#[cfg(test)]
mod event_filter_tests;
mod fields;
pub mod filter;
#[cfg(test)]
mod filter_tests;
mod frame;
mod gate;
#[cfg(test)]
mod item_plan_tests;
mod lean;
mod log;
#[cfg(test)]
mod log_filter_tests;
#[cfg(test)]
mod log_tests;
mod metric;
#[cfg(test)]
mod metric_filter_tests;
mod outer;
mod plan;
#[cfg(test)]
mod plan_tests;
#[cfg(test)]
mod point_filter_tests;
#[cfg(test)]
mod resource_tests;
mod span;
#[cfg(test)]
mod tests;

use solder_syntax::ottl::{ErrorMode, RunError};

use super::Group;
use crate::otlp::wire::WireError;
use frame::{Item, Pass, Splices};
use lean::{Bail, LeanSpan};
use log::{WireLog, WireLogEditor};
use plan::Level;
pub use plan::{FilterPlan, Plan};
use span::{Above, WireSpan, WireSpanContext};

/// Whether every group can run on the wire.
pub fn supports(groups: &[&Group]) -> bool {
    groups.iter().all(|g| g.schema.name == "span" && g.statements.path_uses().iter().all(|u| span::supports(u.path, u.written)))
}

/// Whether every group of log statements can run on the wire: `log`
/// blocks that write only fields of the record's own.
pub fn supports_logs(groups: &[&Group]) -> bool {
    groups.iter().all(|g| g.schema.name == "log" && g.statements.path_uses().iter().all(|u| log::supports_use(u.path, u.written)))
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

/// [`transform_traces`] or [`transform_logs`]: statements run over every
/// item of a request where it lies.
pub type WireTransform = fn(&[WireBlock<'_>], &[u8], &mut Vec<(usize, RunError)>) -> Result<Option<Vec<u8>>, WireFailure>;

/// One group with the error mode it runs under.
pub struct WireBlock<'g> {
    pub group: &'g Group,
    pub mode: ErrorMode,
}

/// Runs `blocks` (all [`supports`]ed) over every span of a trace request.
/// `None`: nothing changed, the request goes on as it came. Errors of
/// blocks under `ignore` are pushed to `errors` with their block's index.
pub fn transform_traces(blocks: &[WireBlock<'_>], request: &[u8], errors: &mut Vec<(usize, RunError)>) -> Result<Option<Vec<u8>>, WireFailure> {
    frame::rewrite(request, &mut Evaluated { blocks, errors, item: WireSpan::default() })
}

/// [`transform_traces`] for log statements ([`supports_logs`]) over every
/// record of a log request, which lie where spans do.
pub fn transform_logs(blocks: &[WireBlock<'_>], request: &[u8], errors: &mut Vec<(usize, RunError)>) -> Result<Option<Vec<u8>>, WireFailure> {
    frame::rewrite(request, &mut Evaluated { blocks, errors, item: WireLog::editor() })
}

/// Runs a [`Plan`] over every span and resource of a trace request, or
/// every resource of a metric or log request (they nest alike; a plan for
/// those has no span steps).
/// `None` inside: nothing changed. `Err(Bail)`: a span or resource the
/// plan cannot run exactly; the caller runs a general path instead
/// ([`transform_traces`] if [`supports`], else decoding).
pub fn run_plan(plan: &Plan, request: &[u8]) -> Result<Option<Vec<u8>>, Bail> {
    frame::rewrite(request, &mut Planned { plan, item: LeanSpan::default(), resource: LeanSpan::default() })
}

/// An item statements run over where it lies: a span or a log record.
trait Edited<'a> {
    fn read(&mut self, body: &'a [u8]) -> Result<(), WireError>;
    fn execute(&mut self, above: &Above<'a>, block: &WireBlock<'_>, found: &mut Vec<RunError>) -> Result<(), RunError>;
    fn changed(&self) -> bool;
    fn write(&self, out: &mut Vec<u8>);
}

impl<'a> Edited<'a> for WireSpan<'a> {
    fn read(&mut self, body: &'a [u8]) -> Result<(), WireError> {
        WireSpan::read(self, body)
    }

    fn execute(&mut self, above: &Above<'a>, block: &WireBlock<'_>, found: &mut Vec<RunError>) -> Result<(), RunError> {
        block.group.statements.execute(&mut WireSpanContext { span: self, above }, block.mode, found)
    }

    fn changed(&self) -> bool {
        WireSpan::changed(self)
    }

    fn write(&self, out: &mut Vec<u8>) {
        WireSpan::write(self, out)
    }
}

impl<'a> Edited<'a> for WireLog<'a> {
    fn read(&mut self, body: &'a [u8]) -> Result<(), WireError> {
        self.read_to_write(body)
    }

    fn execute(&mut self, above: &Above<'a>, block: &WireBlock<'_>, found: &mut Vec<RunError>) -> Result<(), RunError> {
        block.group.statements.execute(&mut WireLogEditor { record: self, above }, block.mode, found)
    }

    fn changed(&self) -> bool {
        WireLog::changed(self)
    }

    fn write(&self, out: &mut Vec<u8>) {
        WireLog::write(self, out)
    }
}

/// The evaluator over each span or log record.
struct Evaluated<'b, 'g, T> {
    blocks: &'b [WireBlock<'g>],
    errors: &'b mut Vec<(usize, RunError)>,
    item: T,
}

impl<'a, T: Edited<'a>> Pass<'a> for Evaluated<'_, '_, T> {
    type Error = WireFailure;

    fn span(&mut self, body: &'a [u8], above: &Above<'a>) -> Result<bool, WireFailure> {
        self.item.read(body)?;
        for (b, block) in self.blocks.iter().enumerate() {
            let mut found = Vec::new();
            let result = self.item.execute(above, block, &mut found);
            self.errors.extend(found.into_iter().map(|e| (b, e)));
            result.map_err(|e| WireFailure::Run(b, e))?;
        }
        Ok(self.item.changed())
    }

    fn write(&mut self, splices: &mut Splices<'_>) {
        splices.replace_all(|out| self.item.write(out));
    }
}

/// A plan over each item (span, log record or data point) and each
/// resource.
struct Planned<'p, 'a> {
    plan: &'p Plan,
    item: LeanSpan<'a>,
    resource: LeanSpan<'a>,
}

impl<'a> Pass<'a> for Planned<'_, 'a> {
    type Error = Bail;

    /// A span, or a log record (which lies where spans do).
    #[inline]
    fn span(&mut self, body: &'a [u8], _above: &Above<'a>) -> Result<bool, Bail> {
        let Some(steps) = &self.plan.items else { return Ok(false) };
        match steps.level {
            Level::Span => self.item.read(steps, body)?,
            Level::Log => self.item.read_item(steps, body, Item::LOG, &[])?,
            Level::Resource | Level::Point => return Err(Bail),
        }
        self.item.run(steps)?;
        Ok(self.item.changed())
    }

    fn write(&mut self, splices: &mut Splices<'_>) {
        if let Some(steps) = &self.plan.items {
            self.item.write(steps, splices);
        }
    }

    fn points(&self) -> bool {
        self.plan.items.as_ref().is_some_and(|s| s.level == Level::Point)
    }

    fn point(&mut self, body: &'a [u8], item: Item, metric: &'a [u8], _above: &Above<'a>) -> Result<bool, Bail> {
        let Some(steps) = &self.plan.items else { return Ok(false) };
        self.item.read_item(steps, body, item, metric)?;
        self.item.run(steps)?;
        Ok(self.item.changed())
    }

    fn reads_metric_name(&self) -> bool {
        self.plan.items.as_ref().is_some_and(|s| s.reads_metric_name)
    }

    /// Only for item steps that copy from the resource's attributes.
    fn reads_above(&self) -> bool {
        self.plan.items.as_ref().is_some_and(|s| !s.outer.is_empty())
    }

    fn edits_resources(&self) -> bool {
        self.plan.resource.is_some()
    }

    fn resource(&mut self, body: Option<&'a [u8]>) -> Result<bool, Bail> {
        let Some(steps) = &self.plan.resource else { return Ok(false) };
        self.resource.read_resource(steps, body.unwrap_or_default())?;
        self.resource.run(steps)?;
        // A step that wrote to a missing resource created it, even if a
        // later one took the attribute away again.
        Ok(self.resource.changed() || (body.is_none() && self.resource.wrote()))
    }

    /// The resource's attributes span steps read: as its steps left them
    /// when those come first, else as received.
    fn begin(&mut self, above: &Above<'a>) -> Result<(), Bail> {
        let Some(steps) = self.plan.items.as_ref().filter(|s| !s.outer.is_empty()) else { return Ok(()) };
        match &self.plan.resource {
            Some(resource) if !self.plan.outer_after_resource.is_empty() => self.item.outer_after(&self.resource, resource, &self.plan.outer_after_resource),
            _ => self.item.outer_as_received(steps, &above.resource_attributes),
        }
    }

    fn write_resource(&mut self, splices: &mut Splices<'_>) {
        if let Some(steps) = &self.plan.resource {
            self.resource.write(steps, splices);
        }
    }
}
