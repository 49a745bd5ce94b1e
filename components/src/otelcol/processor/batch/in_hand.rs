//! The batch a sender is delivering, held so that a sender that dies with
//! it (a panic here or in a consumer, whose code runs on this task, or an
//! abort) loses nothing silently. The supervisor restarts the sender, which
//! finds the batch back in front of its pending buffer; if some consumer
//! had already taken it, putting it back would deliver it twice to that
//! one, so it is counted as dropped instead.

use std::sync::atomic::Ordering;

use tokio::time::Instant;

use super::{lock, Batched, Shared};
use crate::consumer::Progress;
use crate::otlp::Encoded;

pub(super) struct InHand<'a, M: Batched> {
    shared: &'a Shared,
    data: Option<Encoded<M>>,
    /// Which consumers have the batch; the sender's retries update it.
    pub progress: Progress,
}

impl<'a, M: Batched> InHand<'a, M> {
    pub fn new(shared: &'a Shared, data: Encoded<M>) -> InHand<'a, M> {
        InHand { shared, data: Some(data), progress: Progress::default() }
    }

    /// The batch left the processor (or was counted); nothing to undo.
    pub fn settled(mut self) {
        self.data = None;
    }
}

impl<M: Batched> Drop for InHand<'_, M> {
    fn drop(&mut self) {
        let Some(data) = self.data.take() else { return };
        let (n, what) = (data.items(), M::SIGNAL.item_name());
        if self.progress.started() {
            tracing::warn!(
                "otelcol.processor.batch: the sender stopped delivering a batch of {n} {what} that some consumers had taken; dropping it for the rest"
            );
            self.shared.stats.items_dropped.fetch_add(n as u64, Ordering::Relaxed);
        } else {
            tracing::warn!("otelcol.processor.batch: the sender stopped delivering a batch of {n} {what}; put back to be sent again");
            lock(&M::lane(self.shared).pending).unshift(data, Instant::now());
        }
    }
}
