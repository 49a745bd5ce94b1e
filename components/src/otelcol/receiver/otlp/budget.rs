//! The agent's memory budget at the receiver's door: while the heap is at
//! the budget ([`crate::memory::over_budget`]), a request is refused before
//! it is handed on, with the retryable error clients back off on
//! (`UNAVAILABLE`, 503 with `Retry-After`), so the agent stops growing
//! while what it holds drains.

use super::export::{slot, Refused, Shared, Transport};
use crate::consumer::ConsumeError;
use crate::memory;
use crate::otlp::Signal;

impl Shared {
    /// The refusal of a request of `items` items, counted in
    /// `otelcol_receiver_refused_*`, if the agent is at its memory budget.
    pub(super) fn refuse_over_budget(&self, signal: Signal, transport: Transport, items: usize) -> Option<Refused> {
        if !memory::over_budget() {
            return None;
        }
        self.counters().refused[slot(signal)][transport as usize].add(items as u64);
        Some(Refused::Downstream(ConsumeError::retryable(format!(
            "the agent is at its memory budget ({} MiB, --memory.limit); retry later",
            memory::budget() >> 20
        ))))
    }
}
