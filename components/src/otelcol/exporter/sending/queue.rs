//! The `sending_queue` block and [`ExportQueue`], the bounded queue between
//! the pipeline and the workers that send.
//!
//! Every queue is bounded in bytes, whatever its sizer. Alloy's default,
//! 1000 requests, says nothing about bytes: a request is a whole batch, so
//! a queue of requests or items can hold gigabytes while its backend is
//! down. A queue counted in requests or items therefore also holds at most
//! [`UNSIZED_QUEUE_BYTES`]; the `"bytes"` sizer sets its own bound.

use std::collections::VecDeque;
use std::sync::Mutex;

use serde::Deserialize;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::{ArgumentError, Payload};
use crate::memory;
use crate::selfmetrics::Gauge;

/// The most a queue counted in `"requests"` or `"items"` holds, in encoded
/// bytes. As large as the default config's bytes-sized queue: enough for
/// about a minute of a busy node's spans, and a small share of any
/// reasonable memory budget.
pub const UNSIZED_QUEUE_BYTES: u64 = 64 << 20;

/// `sending_queue { ... }`: requests wait here so that the pipeline does
/// not wait for the network.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SendingQueue {
    /// Queue requests and send them from background workers. Default true;
    /// when false, each request is sent while its sender waits, and a
    /// failure is returned to the sender.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// How many requests are sent at the same time. Default 10.
    #[serde(default = "default_consumers")]
    pub num_consumers: usize,
    /// How much the queue holds, in `sizer` units. Default 1000. When it
    /// is full, new data is refused with a retryable error.
    #[serde(default = "default_size")]
    pub queue_size: u64,
    /// Wait for room instead of refusing data when the queue is full.
    /// Default false.
    #[serde(default)]
    pub blocking: bool,
    /// What `queue_size` counts: `"requests"` (default, as in Alloy),
    /// `"items"` (spans, metric points, log records) or `"bytes"`. With
    /// `"requests"` or `"items"`, the queue also holds at most
    /// [`UNSIZED_QUEUE_BYTES`] of encoded data.
    #[serde(default)]
    pub sizer: Sizer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sizer {
    #[default]
    Requests,
    Items,
    Bytes,
}

impl Sizer {
    fn size(self, p: &Payload) -> u64 {
        match self {
            Sizer::Requests => 1,
            Sizer::Items => p.items() as u64,
            Sizer::Bytes => p.bytes().len() as u64,
        }
    }
}

fn yes() -> bool {
    true
}

fn default_consumers() -> usize {
    10
}

fn default_size() -> u64 {
    1000
}

impl Default for SendingQueue {
    fn default() -> SendingQueue {
        SendingQueue { enabled: true, num_consumers: 10, queue_size: 1000, blocking: false, sizer: Sizer::Requests }
    }
}

impl SendingQueue {
    /// The Collector's checks, in its words.
    pub fn validate(&self) -> Result<(), ArgumentError> {
        if self.num_consumers == 0 {
            return Err(ArgumentError::new("sending_queue", "`num_consumers` must be positive"));
        }
        if self.enabled && self.queue_size == 0 {
            return Err(ArgumentError::new("sending_queue", "`queue_size` must be positive"));
        }
        Ok(())
    }
}

/// Why the queue did not take a request; the request comes back.
#[derive(Debug)]
pub enum Rejected {
    Full(Payload),
    /// Larger than the whole queue (`items` or `bytes` sizer): it never fits.
    TooLarge(Payload),
    Closed(Payload),
    /// The agent's heap is at its budget ([`memory::over_budget`]): new data
    /// waits until memory is released.
    OverBudget(Payload),
}

/// A bounded FIFO of requests. Capacity can change while requests wait:
/// shrinking never drops what is queued, it only refuses new requests
/// until the queue is below the new size.
pub struct ExportQueue {
    state: Mutex<State>,
    /// A request was queued.
    pushed: Notify,
    /// A request was taken, so there may be room.
    taken: Notify,
    size_gauge: Gauge,
    capacity_gauge: Gauge,
    /// Whether the process is over its memory budget: [`memory::over_budget`],
    /// or a stand-in in tests, which must not refuse data in every other
    /// test of the process.
    over_budget: fn() -> bool,
}

struct State {
    items: VecDeque<Payload>,
    used: u64,
    capacity: u64,
    sizer: Sizer,
    /// Encoded bytes queued, whatever the sizer.
    bytes: u64,
}

impl State {
    /// Whether `len` more bytes would pass the byte bound of a queue not
    /// sized in bytes. A request larger than the whole bound is taken into
    /// an empty queue, so that the bound alone never refuses a request for
    /// good where Alloy would take it.
    fn over_byte_bound(&self, len: u64) -> bool {
        self.sizer != Sizer::Bytes && !self.items.is_empty() && self.bytes + len > UNSIZED_QUEUE_BYTES
    }
}

impl ExportQueue {
    pub fn new(capacity: u64, sizer: Sizer, size_gauge: Gauge, capacity_gauge: Gauge) -> ExportQueue {
        ExportQueue {
            state: Mutex::new(State { items: VecDeque::new(), used: 0, capacity, sizer, bytes: 0 }),
            pushed: Notify::new(),
            taken: Notify::new(),
            size_gauge,
            capacity_gauge,
            over_budget: memory::over_budget,
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn try_push(&self, p: Payload) -> Result<(), Rejected> {
        if (self.over_budget)() {
            return Err(Rejected::OverBudget(p));
        }
        let mut s = self.state();
        let size = s.sizer.size(&p);
        if size > s.capacity {
            return Err(Rejected::TooLarge(p));
        }
        let len = p.bytes().len() as u64;
        if s.used + size > s.capacity || s.over_byte_bound(len) {
            return Err(Rejected::Full(p));
        }
        s.used += size;
        s.bytes += len;
        s.items.push_back(p);
        self.size_gauge.set(s.used as i64);
        drop(s);
        self.pushed.notify_one();
        Ok(())
    }

    /// Queues `p`; with `blocking`, waits for room until `closed` fires.
    pub async fn push(&self, mut p: Payload, blocking: bool, closed: &CancellationToken) -> Result<(), Rejected> {
        loop {
            let taken = self.taken.notified();
            tokio::pin!(taken);
            taken.as_mut().enable();
            match self.try_push(p) {
                Err(Rejected::Full(back)) if blocking => p = back,
                other => return other,
            }
            tokio::select! {
                _ = &mut taken => {}
                _ = closed.cancelled() => return Err(Rejected::Closed(p)),
            }
        }
    }

    pub fn try_pop(&self) -> Option<Payload> {
        let mut s = self.state();
        let p = s.items.pop_front()?;
        let size = s.sizer.size(&p);
        s.used = s.used.saturating_sub(size);
        s.bytes = s.bytes.saturating_sub(p.bytes().len() as u64);
        self.size_gauge.set(s.used as i64);
        let more = !s.items.is_empty();
        drop(s);
        self.taken.notify_waiters();
        if more {
            // Pass the wake-up on, so idle workers pick up the rest.
            self.pushed.notify_one();
        }
        Some(p)
    }

    /// Returns when a request may be waiting, or when `stop` fires.
    pub async fn wait(&self, stop: &CancellationToken) {
        let pushed = self.pushed.notified();
        tokio::pin!(pushed);
        pushed.as_mut().enable();
        if !self.state().items.is_empty() {
            return;
        }
        tokio::select! {
            _ = pushed => {}
            _ = stop.cancelled() => {}
        }
    }

    /// Applies a new size; what is queued stays.
    pub fn resize(&self, capacity: u64, sizer: Sizer) {
        let mut s = self.state();
        if s.sizer != sizer {
            s.used = s.items.iter().map(|p| sizer.size(p)).sum();
            s.sizer = sizer;
        }
        s.capacity = capacity;
        self.size_gauge.set(s.used as i64);
        self.capacity_gauge.set(capacity as i64);
        drop(s);
        self.taken.notify_waiters();
    }

    /// Empties the queue, for the final count on shutdown.
    /// Puts a request a worker took back in front, whatever the room: it
    /// was queued before, so it does not count against new data's room
    /// twice over time.
    pub fn unshift(&self, p: Payload) {
        let mut s = self.state();
        let size = s.sizer.size(&p);
        s.used += size;
        s.items.push_front(p);
        self.size_gauge.set(s.used as i64);
        drop(s);
        self.pushed.notify_one();
    }

    pub fn take_all(&self) -> Vec<Payload> {
        let mut s = self.state();
        s.used = 0;
        s.bytes = 0;
        self.size_gauge.set(0);
        s.items.drain(..).collect()
    }

    /// Requests waiting, size used and capacity (in sizer units).
    pub fn depth(&self) -> (usize, u64, u64) {
        let s = self.state();
        (s.items.len(), s.used, s.capacity)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::otelcol::exporter::sending::testkit::traces;

    fn queue(capacity: u64, sizer: Sizer) -> ExportQueue {
        ExportQueue::new(capacity, sizer, Gauge::default(), Gauge::default())
    }

    /// A request of at least `bytes` encoded bytes: one span with a name
    /// that long. Clones share the bytes, so tests can queue many cheaply.
    fn request_of(bytes: usize) -> Payload {
        use crate::otlp::proto::trace::v1::{ResourceSpans, ScopeSpans, Span};
        use crate::otlp::proto::ExportTraceServiceRequest;
        let span = Span { name: "x".repeat(bytes), ..Span::default() };
        let scope = ScopeSpans { spans: vec![span], ..ScopeSpans::default() };
        let request = ExportTraceServiceRequest { resource_spans: vec![ResourceSpans { scope_spans: vec![scope], ..ResourceSpans::default() }] };
        Payload::Traces(crate::otlp::Traces::from_message(request))
    }

    /// Alloy's default queue, 1000 requests, once held gigabytes while a
    /// backend was down: every sizer but bytes is bounded in bytes too.
    #[test]
    fn queues_of_requests_or_items_are_bounded_in_bytes() {
        for sizer in [Sizer::Requests, Sizer::Items] {
            let q = queue(1000, sizer);
            let chunk = request_of((UNSIZED_QUEUE_BYTES / 8) as usize);
            for _ in 0..7 {
                q.try_push(chunk.clone()).unwrap();
            }
            assert!(matches!(q.try_push(chunk.clone()), Err(Rejected::Full(_))), "{sizer:?}: the eighth passes {UNSIZED_QUEUE_BYTES} bytes");
            q.try_pop();
            q.try_push(chunk.clone()).unwrap();
            assert_eq!(q.depth().0, 7);
            // A request larger than the whole bound still fits an empty queue.
            let q = queue(1000, sizer);
            q.try_push(request_of(UNSIZED_QUEUE_BYTES as usize + 1)).unwrap();
            assert!(matches!(q.try_push(request_of(10)), Err(Rejected::Full(_))));
        }
        // The bytes sizer sets its own bound, larger or smaller.
        let q = queue(2 * UNSIZED_QUEUE_BYTES, Sizer::Bytes);
        let chunk = request_of((UNSIZED_QUEUE_BYTES / 8) as usize);
        for _ in 0..12 {
            q.try_push(chunk.clone()).unwrap();
        }
    }

    #[test]
    fn refuses_new_data_while_the_agent_is_over_its_memory_budget() {
        let mut q = queue(1000, Sizer::Requests);
        q.over_budget = || true;
        assert!(matches!(q.try_push(traces(3)), Err(Rejected::OverBudget(p)) if p.items() == 3));
        assert_eq!(q.depth().0, 0);
        q.over_budget = || false;
        q.try_push(traces(3)).unwrap();
    }

    #[test]
    fn refuses_when_full_and_keeps_order() {
        let q = queue(2, Sizer::Requests);
        q.try_push(traces(1)).unwrap();
        q.try_push(traces(2)).unwrap();
        assert!(matches!(q.try_push(traces(3)), Err(Rejected::Full(p)) if p.items() == 3));
        assert_eq!(q.try_pop().map(|p| p.items()), Some(1));
        q.try_push(traces(3)).unwrap();
        assert_eq!(q.try_pop().map(|p| p.items()), Some(2));
        assert_eq!(q.try_pop().map(|p| p.items()), Some(3));
        assert!(q.try_pop().is_none());
    }

    #[test]
    fn shrinking_keeps_queued_requests() {
        let q = queue(5, Sizer::Requests);
        for i in 1..=4 {
            q.try_push(traces(i)).unwrap();
        }
        q.resize(1, Sizer::Requests);
        assert_eq!(q.depth(), (4, 4, 1));
        assert!(matches!(q.try_push(traces(9)), Err(Rejected::Full(_))));
        let drained: Vec<usize> = std::iter::from_fn(|| q.try_pop()).map(|p| p.items()).collect();
        assert_eq!(drained, vec![1, 2, 3, 4]);
        q.try_push(traces(9)).unwrap();
    }

    #[test]
    fn item_sizer_counts_items_and_refuses_what_never_fits() {
        let q = queue(10, Sizer::Items);
        q.try_push(traces(6)).unwrap();
        assert!(matches!(q.try_push(traces(5)), Err(Rejected::Full(_))));
        assert!(matches!(q.try_push(traces(11)), Err(Rejected::TooLarge(_))));
        q.try_push(traces(4)).unwrap();
        q.resize(10, Sizer::Requests);
        assert_eq!(q.depth(), (2, 2, 10));
    }

    #[tokio::test]
    async fn blocking_push_waits_for_room() {
        let q = std::sync::Arc::new(queue(1, Sizer::Requests));
        let closed = CancellationToken::new();
        q.try_push(traces(1)).unwrap();
        let (q2, c2) = (q.clone(), closed.clone());
        let pusher = tokio::spawn(async move { q2.push(traces(2), true, &c2).await.is_ok() });
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        assert!(!pusher.is_finished());
        assert_eq!(q.try_pop().map(|p| p.items()), Some(1));
        assert!(pusher.await.unwrap());
        assert_eq!(q.try_pop().map(|p| p.items()), Some(2));
        // A blocked push gives up when the queue closes.
        q.try_push(traces(3)).unwrap();
        let (q3, c3) = (q.clone(), closed.clone());
        let pusher = tokio::spawn(async move { matches!(q3.push(traces(4), true, &c3).await, Err(Rejected::Closed(_))) });
        closed.cancel();
        assert!(pusher.await.unwrap());
    }
}
