//! One signal's pending buffer and the rules for when it becomes a batch.
//!
//! Kept free of tasks and clocks (the caller passes `now`) so that the
//! collector's batching semantics can be tested exactly, instant by instant.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

use crate::otlp::encoded::Request;
use crate::otlp::Encoded;

/// The smallest pending bound, so that tiny batch sizes still absorb a
/// burst of ordinary payloads.
const MIN_BOUND: usize = 4096;

/// Why a batch was sent, for the collector's trigger counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// `send_batch_size` items were pending (or the timeout is zero).
    Size,
    /// The oldest pending item waited `timeout`.
    Timeout,
    /// Shutting down.
    Flush,
}

/// The batching arguments as the buffer uses them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub timeout: Duration,
    pub send_batch_size: usize,
    /// 0 means no limit.
    pub send_batch_max_size: usize,
}

impl Limits {
    /// The most items one batch may hold.
    pub fn cap(&self) -> usize {
        if self.send_batch_max_size == 0 {
            usize::MAX
        } else {
            self.send_batch_max_size
        }
    }

    /// The most items that may wait. Past it, consumers are told to retry:
    /// a stalled downstream turns into backpressure, not unbounded memory.
    pub fn bound(&self) -> usize {
        self.send_batch_size.max(self.send_batch_max_size).saturating_mul(4).max(MIN_BOUND)
    }
}

/// A batch taken from the buffer. If the next payload did not fit in the
/// room left, it is still pending (at the front) and named in `oversized`
/// with the room, for the caller to split outside the lock and hand back
/// through [`Pending::replace_front`].
pub struct Batch<M> {
    pub trigger: Trigger,
    pub parts: Vec<Encoded<M>>,
    pub items: usize,
    pub oversized: Option<(Encoded<M>, usize)>,
}

/// Payloads waiting to be sent, oldest first.
pub struct Pending<M> {
    parts: VecDeque<Encoded<M>>,
    items: usize,
    /// Items of a split payload the sender is sending piece by piece, out
    /// of `parts` but still held: they count towards the bound.
    streaming: usize,
    /// When the oldest pending item arrived (or the last size-triggered
    /// send left some behind): the timeout counts from here.
    since: Option<Instant>,
}

impl<M> Default for Pending<M> {
    fn default() -> Self {
        Pending { parts: VecDeque::new(), items: 0, streaming: 0, since: None }
    }
}

impl<M: Request> Pending<M> {
    /// The items held: pending, and those of a split payload being sent.
    pub fn items(&self) -> usize {
        self.items + self.streaming
    }

    /// Sets how many items of a split payload are still to be sent.
    pub fn set_streaming(&mut self, items: usize) {
        self.streaming = items;
    }

    /// Adds a payload. `Ok(true)` when the sender should look now (the
    /// first item starts a timeout, or a batch is ready); `Err(pending)`
    /// when the buffer is full. A payload larger than the bound is still
    /// taken into an empty buffer, or it could never be taken at all.
    pub fn push(&mut self, data: Encoded<M>, now: Instant, limits: &Limits) -> Result<bool, usize> {
        if data.is_empty() {
            return Ok(false);
        }
        let held = self.items();
        if held > 0 && held.saturating_add(data.items()) > limits.bound() {
            return Err(held);
        }
        let first = self.items == 0;
        if first {
            self.since = Some(now);
        }
        self.items += data.items();
        self.parts.push_back(data);
        Ok(first || self.items >= limits.send_batch_size || limits.timeout.is_zero())
    }

    /// When the oldest pending item's timeout runs out.
    pub fn deadline(&self, limits: &Limits) -> Option<Instant> {
        self.since.filter(|_| self.items > 0).map(|s| s + limits.timeout)
    }

    /// The next batch due at `now`, or every pending item when `flushing`.
    pub fn next(&mut self, now: Instant, limits: &Limits, flushing: bool) -> Option<Batch<M>> {
        if self.items == 0 {
            return None;
        }
        let trigger = if flushing {
            Trigger::Flush
        } else if self.items >= limits.send_batch_size || limits.timeout.is_zero() {
            Trigger::Size
        } else if self.deadline(limits).is_some_and(|d| d <= now) {
            Trigger::Timeout
        } else {
            return None;
        };
        let cap = limits.cap();
        let mut batch = Batch { trigger, parts: Vec::new(), items: 0, oversized: None };
        while let Some(front) = self.parts.front() {
            let n = front.items();
            if batch.items + n > cap {
                if batch.items < cap {
                    batch.oversized = Some((front.clone(), cap - batch.items));
                }
                break;
            }
            batch.items += n;
            self.items -= n;
            batch.parts.extend(self.parts.pop_front());
        }
        Some(batch)
    }

    /// Replaces the front payload (the one [`Batch::oversized`] named)
    /// with what is left of it after a split.
    pub fn replace_front(&mut self, rest: Vec<Encoded<M>>) {
        if let Some(old) = self.parts.pop_front() {
            self.items -= old.items();
        }
        for piece in rest.into_iter().rev() {
            self.items += piece.items();
            self.parts.push_front(piece);
        }
    }

    /// Settles the timeout after a batch was taken. What a size trigger
    /// leaves behind waits a full timeout again, as in the collector; what
    /// a timeout leaves behind is already due and goes next.
    pub fn finish(&mut self, trigger: Trigger, now: Instant) {
        if self.items == 0 {
            self.since = None;
        } else if trigger == Trigger::Size || self.since.is_none() {
            self.since = Some(now);
        }
    }

    /// Empties the buffer; returns how many items it held.
    pub fn take_all(&mut self) -> usize {
        self.parts.clear();
        self.since = None;
        std::mem::take(&mut self.items)
    }

    /// Puts an unsent batch back in front, oldest data first.
    pub fn unshift(&mut self, batch: Encoded<M>, now: Instant) {
        self.items += batch.items();
        self.parts.push_front(batch);
        self.since.get_or_insert(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::otlp::proto::trace::v1::{ResourceSpans, ScopeSpans, Span};
    use crate::otlp::proto::ExportTraceServiceRequest;
    use crate::otlp::Traces;

    fn spans(n: usize) -> Traces {
        let spans = (0..n).map(|_| Span::default()).collect();
        Encoded::from_message(ExportTraceServiceRequest {
            resource_spans: vec![ResourceSpans { scope_spans: vec![ScopeSpans { spans, ..Default::default() }], ..Default::default() }],
        })
    }

    fn limits(timeout_ms: u64, size: usize, max: usize) -> Limits {
        Limits { timeout: Duration::from_millis(timeout_ms), send_batch_size: size, send_batch_max_size: max }
    }

    fn sizes<M: Request>(b: &Batch<M>) -> Vec<usize> {
        b.parts.iter().map(Encoded::items).collect()
    }

    #[test]
    fn size_triggers_at_send_batch_size() {
        let (t0, l) = (Instant::now(), limits(200, 10, 0));
        let mut p = Pending::default();
        assert_eq!(p.push(spans(5), t0, &l), Ok(true), "the first item starts the timeout");
        assert!(p.next(t0, &l, false).is_none());
        assert_eq!(p.push(spans(5), t0, &l), Ok(true), "a full batch wakes the sender");
        let b = p.next(t0, &l, false).unwrap();
        assert_eq!((b.trigger, sizes(&b), b.items), (Trigger::Size, vec![5, 5], 10));
        p.finish(b.trigger, t0);
        assert_eq!((p.items(), p.deadline(&l)), (0, None));
    }

    #[test]
    fn timeout_counts_from_the_oldest_item() {
        let (t0, l) = (Instant::now(), limits(200, 100, 0));
        let mut p = Pending::default();
        p.push(spans(3), t0, &l).unwrap();
        assert_eq!(p.push(spans(3), t0 + Duration::from_millis(150), &l), Ok(false), "not the first, not full");
        assert_eq!(p.deadline(&l), Some(t0 + Duration::from_millis(200)));
        assert!(p.next(t0 + Duration::from_millis(199), &l, false).is_none());
        let b = p.next(t0 + Duration::from_millis(200), &l, false).unwrap();
        assert_eq!((b.trigger, b.items), (Trigger::Timeout, 6));
    }

    #[test]
    fn what_a_size_trigger_leaves_waits_a_full_timeout() {
        let (t0, l) = (Instant::now(), limits(200, 10, 10));
        let mut p = Pending::default();
        p.push(spans(8), t0, &l).unwrap();
        p.push(spans(8), t0 + Duration::from_millis(100), &l).unwrap();
        let t1 = t0 + Duration::from_millis(100);
        let b = p.next(t1, &l, false).unwrap();
        assert_eq!((b.trigger, sizes(&b)), (Trigger::Size, vec![8]));
        let (big, room) = b.oversized.clone().unwrap();
        assert_eq!((big.items(), room), (8, 2));
        let pieces: Vec<_> = crate::otlp::split::split(&big, room, l.cap()).unwrap().collect();
        assert_eq!(pieces.iter().map(Encoded::items).collect::<Vec<_>>(), vec![2, 6]);
        p.replace_front(pieces[1..].to_vec());
        p.finish(b.trigger, t1);
        assert_eq!(p.items(), 6);
        assert_eq!(p.deadline(&l), Some(t1 + Duration::from_millis(200)));
    }

    #[test]
    fn a_payload_larger_than_a_batch_is_named_for_splitting() {
        let (t0, l) = (Instant::now(), limits(200, 2000, 3000));
        let mut p = Pending::default();
        p.push(spans(7000), t0, &l).unwrap();
        let b = p.next(t0, &l, false).unwrap();
        assert_eq!((b.trigger, b.items, b.parts.len()), (Trigger::Size, 0, 0));
        assert_eq!(b.oversized.as_ref().map(|(d, room)| (d.items(), *room)), Some((7000, 3000)));
        assert_eq!(p.items(), 7000, "still pending until the split comes back");
        p.replace_front(vec![spans(3000), spans(1000)]);
        assert_eq!(p.items(), 4000);
        let b = p.next(t0, &l, false).unwrap();
        assert_eq!((sizes(&b), b.oversized.is_none()), (vec![3000], true));
    }

    #[test]
    fn zero_timeout_or_zero_size_sends_at_once() {
        let t0 = Instant::now();
        for l in [limits(0, 100, 0), limits(200, 0, 0)] {
            let mut p = Pending::default();
            assert_eq!(p.push(spans(1), t0, &l), Ok(true));
            assert_eq!(p.next(t0, &l, false).map(|b| b.trigger), Some(Trigger::Size));
        }
    }

    #[test]
    fn the_buffer_is_bounded_but_takes_one_huge_payload() {
        let (t0, l) = (Instant::now(), limits(200, 10, 20));
        assert_eq!(l.bound(), MIN_BOUND);
        let mut p = Pending::default();
        p.push(spans(MIN_BOUND + 5), t0, &l).unwrap();
        assert_eq!(p.push(spans(1), t0, &l), Err(MIN_BOUND + 5));
        let l = limits(200, 2000, 3000);
        assert_eq!(l.bound(), 12_000);
        let mut p = Pending::default();
        p.push(spans(11_000), t0, &l).unwrap();
        p.push(spans(1000), t0, &l).unwrap();
        assert_eq!(p.push(spans(1), t0, &l), Err(12_000));
        assert_eq!(p.push(spans(0), t0, &l), Ok(false), "empty payloads are dropped, not refused");
    }

    #[test]
    fn flushing_takes_everything_and_unshift_restores_order() {
        let (t0, l) = (Instant::now(), limits(200, 100, 0));
        let mut p = Pending::default();
        p.push(spans(1), t0, &l).unwrap();
        p.push(spans(2), t0, &l).unwrap();
        let b = p.next(t0, &l, true).unwrap();
        assert_eq!((b.trigger, sizes(&b)), (Trigger::Flush, vec![1, 2]));
        p.finish(b.trigger, t0);
        p.unshift(spans(3), t0);
        p.unshift(spans(4), t0);
        let b = p.next(t0, &l, true).unwrap();
        assert_eq!(sizes(&b), vec![4, 3]);
        p.push(spans(5), t0, &l).unwrap();
        assert_eq!((p.take_all(), p.items(), p.deadline(&l)), (5, 0, None));
    }
}
