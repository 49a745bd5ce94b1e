//! The `sending_queue` block and [`ExportQueue`], the bounded queue between
//! the pipeline and the workers that send.
//!
//! With `storage`, each request is also written to disk before it is
//! taken, and stays there until it is settled ([`persist`](super::persist));
//! the queue then keeps at most [`UNSIZED_QUEUE_BYTES`] of request bytes in
//! memory and reads the rest back when it is their turn.
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

use super::persist::{Disk, Stored};
use super::{ArgumentError, Payload};
use crate::memory;
use crate::otelcol::storage::file::StorageHandler;
use crate::otlp::Signal;
use crate::selfmetrics::Gauge;
use crate::types::Handle;

/// The most a queue counted in `"requests"` or `"items"` holds, in encoded
/// bytes. As large as the default config's bytes-sized queue: enough for
/// about a minute of a busy node's spans, and a small share of any
/// reasonable memory budget.
pub const UNSIZED_QUEUE_BYTES: u64 = 64 << 20;

/// The most a persistent queue counted in `"requests"` or `"items"` holds
/// on disk: a backend outage of about a quarter of an hour at 50K spans/s.
pub const PERSISTENT_UNSIZED_BYTES: u64 = 1 << 30;

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
    /// An `otelcol.storage.*` handler: requests are kept on disk until
    /// they are delivered, across restarts and crashes. Default none (the
    /// queue is in memory).
    #[serde(default)]
    pub storage: Option<Handle<StorageHandler>>,
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
    fn size(self, items: usize, len: u64) -> u64 {
        match self {
            Sizer::Requests => 1,
            Sizer::Items => items as u64,
            Sizer::Bytes => len,
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
        SendingQueue { enabled: true, num_consumers: 10, queue_size: 1000, blocking: false, sizer: Sizer::Requests, storage: None }
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
        if !self.enabled && self.storage.is_some() {
            return Err(ArgumentError::new("sending_queue", "`storage` needs the queue: set `enabled = true` or remove `storage`"));
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
    /// The persistent queue could not write it (a full disk).
    Storage(Payload, std::io::Error),
}

/// A request that was queued but cannot be sent: its bytes on disk were
/// damaged after they were written. It is settled, and counted dropped.
pub struct Lost {
    pub signal: Signal,
    pub items: usize,
    pub reason: String,
}

/// A request a worker took: sent, then settled, or put back.
pub struct Taken {
    pub payload: Payload,
    stored: Option<Stored>,
}

impl Taken {
    /// Delivered, or dropped and counted: a persistent queue forgets it.
    pub fn settle(self) {
        if let Some(s) = self.stored {
            s.disk.settle(s.seq);
        }
    }

    /// Whether it is kept on disk, and so survives a shutdown unsent.
    pub fn persistent(&self) -> bool {
        self.stored.is_some()
    }
}

/// What closing the queue left: requests that can only be dropped, and
/// how many stay on disk for the next start.
pub struct Closed {
    pub dropped: Vec<Payload>,
    pub kept: usize,
}

/// A queued request: its bytes in memory, on disk, or both.
struct Queued {
    /// None when only the disk has it.
    payload: Option<Payload>,
    signal: Signal,
    items: usize,
    len: u64,
    stored: Option<Stored>,
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
    items: VecDeque<Queued>,
    used: u64,
    capacity: u64,
    sizer: Sizer,
    /// Encoded bytes queued, whatever the sizer.
    bytes: u64,
    /// Where requests are written, for a persistent queue.
    disk: Option<Disk>,
    /// Bytes of persistent requests also held in memory.
    cached: u64,
    /// The most `cached` may be: [`UNSIZED_QUEUE_BYTES`], or less in tests.
    memory_share: u64,
}

impl State {
    /// Whether `len` more bytes would pass the byte bound of a queue not
    /// sized in bytes. A request larger than the whole bound is taken into
    /// an empty queue, so that the bound alone never refuses a request for
    /// good where Alloy would take it.
    fn over_byte_bound(&self, len: u64) -> bool {
        let bound = if self.disk.is_some() { PERSISTENT_UNSIZED_BYTES } else { UNSIZED_QUEUE_BYTES };
        self.sizer != Sizer::Bytes && !self.items.is_empty() && self.bytes + len > bound
    }

    /// Queues `p` at the back or the front; a persistent request keeps its
    /// bytes in memory only while the memory share has room.
    fn insert(&mut self, p: Payload, stored: Option<Stored>, front: bool) {
        let (items, len, signal) = (p.items(), p.bytes().len() as u64, p.signal());
        let keep = stored.is_none() || self.cached + len <= self.memory_share;
        if keep && stored.is_some() {
            self.cached += len;
        }
        self.used += self.sizer.size(items, len);
        self.bytes += len;
        let q = Queued { payload: keep.then_some(p), signal, items, len, stored };
        if front {
            self.items.push_front(q);
        } else {
            self.items.push_back(q);
        }
    }

    fn remove(&mut self, q: &Queued) {
        self.used = self.used.saturating_sub(self.sizer.size(q.items, q.len));
        self.bytes = self.bytes.saturating_sub(q.len);
        if q.stored.is_some() && q.payload.is_some() {
            self.cached = self.cached.saturating_sub(q.len);
        }
    }
}

/// The bytes of a queued request, from memory or from disk.
fn bring(q: Queued) -> Result<Taken, Lost> {
    match (q.payload, q.stored) {
        (Some(payload), stored) => Ok(Taken { payload, stored }),
        (None, Some(stored)) => match stored.disk.load(q.signal, &stored) {
            Ok(payload) => Ok(Taken { payload, stored: Some(stored) }),
            Err(reason) => {
                stored.disk.settle(stored.seq);
                Err(Lost { signal: q.signal, items: q.items, reason })
            }
        },
        (None, None) => Err(Lost { signal: q.signal, items: q.items, reason: "the request was neither in memory nor on disk".into() }),
    }
}

impl ExportQueue {
    pub fn new(capacity: u64, sizer: Sizer, size_gauge: Gauge, capacity_gauge: Gauge) -> ExportQueue {
        ExportQueue {
            state: Mutex::new(State { items: VecDeque::new(), used: 0, capacity, sizer, bytes: 0, disk: None, cached: 0, memory_share: UNSIZED_QUEUE_BYTES }),
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
        let len = p.bytes().len() as u64;
        let size = s.sizer.size(p.items(), len);
        if size > s.capacity {
            return Err(Rejected::TooLarge(p));
        }
        if s.used + size > s.capacity || s.over_byte_bound(len) {
            return Err(Rejected::Full(p));
        }
        let stored = match &s.disk {
            Some(disk) => match disk.append(&p) {
                Ok(stored) => Some(stored),
                Err(e) => return Err(Rejected::Storage(p, e)),
            },
            None => None,
        };
        s.insert(p, stored, false);
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

    /// The oldest request; a persistent one whose bytes are only on disk
    /// is read back.
    pub fn try_pop(&self) -> Option<Result<Taken, Lost>> {
        let mut s = self.state();
        let q = s.items.pop_front()?;
        s.remove(&q);
        self.size_gauge.set(s.used as i64);
        let more = !s.items.is_empty();
        drop(s);
        self.taken.notify_waiters();
        if more {
            // Pass the wake-up on, so idle workers pick up the rest.
            self.pushed.notify_one();
        }
        Some(bring(q))
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
            s.used = s.items.iter().map(|q| sizer.size(q.items, q.len)).sum();
            s.sizer = sizer;
        }
        s.capacity = capacity;
        self.size_gauge.set(s.used as i64);
        self.capacity_gauge.set(capacity as i64);
        drop(s);
        self.taken.notify_waiters();
    }

    /// Puts a request a worker took back in front, whatever the room: it
    /// was queued before, so it does not count against new data's room
    /// twice over time.
    pub fn unshift(&self, t: Taken) {
        let mut s = self.state();
        s.insert(t.payload, t.stored, true);
        self.size_gauge.set(s.used as i64);
        drop(s);
        self.pushed.notify_one();
    }

    /// Empties the queue on shutdown: what is only in memory is returned to
    /// be counted as dropped; what is on disk stays there.
    pub fn close(&self) -> Closed {
        let mut s = self.state();
        s.used = 0;
        s.bytes = 0;
        s.cached = 0;
        self.size_gauge.set(0);
        let mut closed = Closed { dropped: Vec::new(), kept: 0 };
        for q in s.items.drain(..) {
            match (q.stored, q.payload) {
                (Some(_), _) => closed.kept += 1,
                (None, Some(p)) => closed.dropped.push(p),
                (None, None) => {}
            }
        }
        closed
    }

    /// Makes the queue persistent on `disk` (or in memory, with none):
    /// requests already queued move there, and `reopened` (the requests a
    /// previous run left on `disk`) go in front. A request that cannot
    /// move stays where it is and is still sent from there.
    pub fn set_storage(&self, disk: Option<Disk>, reopened: Vec<(Payload, Stored)>) {
        let mut s = self.state();
        let old: Vec<Queued> = s.items.drain(..).collect();
        (s.used, s.bytes, s.cached) = (0, 0, 0);
        s.disk = disk.clone();
        for (p, stored) in reopened {
            s.insert(p, Some(stored), false);
        }
        for q in old {
            let moved = match (&disk, &q.stored) {
                (Some(d), Some(st)) if st.disk.same(d) => None,
                (None, None) => None,
                _ => bring(Queued { payload: q.payload.clone(), stored: q.stored.clone(), ..q }).ok().and_then(|t| self::moved(t, &disk)),
            };
            match moved {
                Some((p, stored)) => s.insert(p, stored, false),
                None => match q.payload {
                    Some(p) => s.insert(p, q.stored, false),
                    None => s.items.push_back(q),
                },
            }
        }
        self.size_gauge.set(s.used as i64);
        drop(s);
        self.pushed.notify_one();
    }

    #[cfg(test)]
    pub(crate) fn set_memory_share(&self, bytes: u64) {
        self.state().memory_share = bytes;
    }

    /// The persistent queue's disk, if any.
    pub fn disk(&self) -> Option<Disk> {
        self.state().disk.clone()
    }

    /// Requests waiting, size used and capacity (in sizer units).
    pub fn depth(&self) -> (usize, u64, u64) {
        let s = self.state();
        (s.items.len(), s.used, s.capacity)
    }
}

/// Moves a taken request to `disk` (or to memory): written there first,
/// then settled where it was.
fn moved(t: Taken, disk: &Option<Disk>) -> Option<(Payload, Option<Stored>)> {
    let stored = match disk {
        Some(d) => Some(d.append(&t.payload).ok()?),
        None => None,
    };
    let payload = t.payload.clone();
    t.settle();
    Some((payload, stored))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::otelcol::exporter::sending::testkit::traces;

    /// Pops a request and returns its item count.
    fn popped(q: &ExportQueue) -> Option<usize> {
        q.try_pop().map(|t| t.ok().map_or(0, |t| t.payload.items()))
    }

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
            popped(&q);
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
        assert_eq!(popped(&q), Some(1));
        q.try_push(traces(3)).unwrap();
        assert_eq!(popped(&q), Some(2));
        assert_eq!(popped(&q), Some(3));
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
        let drained: Vec<usize> = std::iter::from_fn(|| popped(&q)).collect();
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
        assert_eq!(popped(&q), Some(1));
        assert!(pusher.await.unwrap());
        assert_eq!(popped(&q), Some(2));
        // A blocked push gives up when the queue closes.
        q.try_push(traces(3)).unwrap();
        let (q3, c3) = (q.clone(), closed.clone());
        let pusher = tokio::spawn(async move { matches!(q3.push(traces(4), true, &c3).await, Err(Rejected::Closed(_))) });
        closed.cancel();
        assert!(pusher.await.unwrap());
    }
}
