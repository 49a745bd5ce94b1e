//! The run task's side: taking due batches, splitting what is too large,
//! and delivering with retries.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use solder_syntax::Value;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::in_hand::InHand;
use super::pending::{Batch, Limits, Trigger};
use super::{lock, Batched, Shared};
use crate::component::{HealthCell, HealthState};
use crate::consumer::ErrorKind;
use crate::otlp::split::{split, Pieces};
use crate::otlp::Encoded;
use crate::selfmetrics::{ComponentMetrics, Counter, Gauge};

/// How long shutdown may spend on a downstream that keeps asking to
/// retry, before what is left is dropped. Below the controller's stop
/// timeout, so the drop is counted and logged rather than cut off.
const FLUSH_BUDGET: Duration = Duration::from_secs(5);

const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// Counts for the debug info.
#[derive(Default)]
pub struct Stats {
    batches_sent: AtomicU64,
    items_sent: AtomicU64,
    payloads_split: AtomicU64,
    /// Refused permanently downstream.
    items_failed: AtomicU64,
    /// Still refused when the flush budget ran out.
    pub(super) items_dropped: AtomicU64,
}

impl Stats {
    pub fn values(&self) -> Vec<(&'static str, Value)> {
        let v = |a: &AtomicU64| Value::int(i64::try_from(a.load(Ordering::Relaxed)).unwrap_or(i64::MAX));
        vec![
            ("batches_sent", v(&self.batches_sent)),
            ("items_sent", v(&self.items_sent)),
            ("payloads_split", v(&self.payloads_split)),
            ("items_failed", v(&self.items_failed)),
            ("items_dropped", v(&self.items_dropped)),
        ]
    }
}

/// The collector's own batch processor metrics.
struct Meters {
    send_size: Gauge,
    size_trigger: Counter,
    timeout_trigger: Counter,
}

impl Meters {
    fn new(metrics: &ComponentMetrics) -> Meters {
        Meters {
            send_size: metrics.gauge("otelcol_processor_batch_batch_send_size", "Number of items in the last batch sent.", &[]),
            size_trigger: metrics.counter(
                "otelcol_processor_batch_batch_size_trigger_send_total",
                "Number of times a batch was sent because it reached send_batch_size.",
                &[],
            ),
            timeout_trigger: metrics.counter(
                "otelcol_processor_batch_timeout_trigger_send_total",
                "Number of times a batch was sent because the timeout elapsed (shutdown flushes included).",
                &[],
            ),
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Running,
    /// Shutting down: send everything, giving up on retries at `until`.
    Flushing {
        until: Instant,
    },
}

/// A taken batch made ready to send.
struct Assembled<M> {
    /// The batch's payloads, and the first piece of a split one, as one.
    data: Option<Encoded<M>>,
    /// The rest of the split payload, still to cut.
    rest: Option<Pieces<M>>,
    /// A payload that could not be split, to send as it is.
    solo: Option<Encoded<M>>,
}

pub struct Sender {
    shared: Arc<Shared>,
    health: HealthCell,
    meters: Meters,
    /// When the flush on shutdown gives up: set once, by whichever part of
    /// the shutdown gets there first, so batches finished during shutdown
    /// and the final flush share one budget.
    flush_deadline: std::sync::OnceLock<Instant>,
    shutdown: CancellationToken,
}

impl Sender {
    /// Self metrics are registered here, in `run`, so that a trial build
    /// leaves no series behind.
    pub fn new(metrics: &ComponentMetrics, shared: Arc<Shared>, health: HealthCell, shutdown: CancellationToken) -> Sender {
        Sender { shared, health, meters: Meters::new(metrics), flush_deadline: std::sync::OnceLock::new(), shutdown }
    }

    fn flush_until(&self) -> Instant {
        *self.flush_deadline.get_or_init(|| Instant::now() + FLUSH_BUDGET)
    }

    /// One signal's loop: send what is due, sleep until the next deadline
    /// or a wake-up, and flush everything on shutdown.
    pub async fn run<M: Batched>(&self) {
        let lane = M::lane(&self.shared);
        while !self.shutdown.is_cancelled() {
            let next = self.send_due::<M>(Mode::Running).await;
            let sleep = async {
                match next {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = self.shutdown.cancelled() => break,
                _ = lane.wake.notified() => {}
                _ = sleep => {}
            }
        }
        self.send_due::<M>(Mode::Flushing { until: self.flush_until() }).await;
    }

    /// Sends every batch due now; returns the lane's next deadline.
    async fn send_due<M: Batched>(&self, mode: Mode) -> Option<Instant> {
        let lane = M::lane(&self.shared);
        loop {
            let limits = self.shared.limits();
            let flushing = match mode {
                Mode::Running => false,
                // Upstream may still be sending while this one stops: a
                // flush that never runs dry still ends with its budget.
                Mode::Flushing { until } if Instant::now() >= until => {
                    let left = lock(&lane.pending).take_all();
                    self.drop_at_shutdown::<M>(left as u64);
                    return None;
                }
                Mode::Flushing { .. } => true,
            };
            let taken = lock(&lane.pending).next(Instant::now(), &limits, flushing);
            let Some(batch) = taken else {
                return lock(&lane.pending).deadline(&limits);
            };
            let trigger = batch.trigger;
            let Assembled { data, rest, solo } = self.assemble::<M>(batch, &limits);
            let mut now = mode;
            for payload in [data, solo].into_iter().flatten() {
                self.deliver(&payload, trigger, &mut now).await;
            }
            if let Some(pieces) = rest {
                self.stream(pieces, &limits, &mut now).await;
            }
            if let (Mode::Running, Mode::Flushing { .. }) = (mode, now) {
                // Shutdown came during retries, and what was in hand was
                // finished under the flush budget; the flush does the rest.
                return None;
            }
        }
    }

    /// Turns a taken batch into one payload, cutting the first piece off
    /// the oversized payload at its end if there is one; the rest of that
    /// payload comes back as pieces still to cut. A payload that cannot be
    /// split (it does not decode) comes back on its own, to be sent as it is.
    fn assemble<M: Batched>(&self, batch: Batch<M>, limits: &Limits) -> Assembled<M> {
        let lane = M::lane(&self.shared);
        let Batch { trigger, mut parts, oversized, .. } = batch;
        let (mut rest, mut solo) = (None, None);
        if let Some((big, room)) = oversized {
            match split(&big, room, limits.cap()) {
                Ok(mut pieces) => {
                    self.shared.stats.payloads_split.fetch_add(1, Ordering::Relaxed);
                    parts.extend(pieces.next());
                    rest = Some(pieces);
                }
                Err(e) => {
                    tracing::warn!("otelcol.processor.batch: cannot split a payload of {} {} ({e}); sending it whole", big.items(), M::SIGNAL.item_name());
                    solo = Some(big);
                }
            }
            let mut pending = lock(&lane.pending);
            pending.replace_front(Vec::new());
            pending.set_streaming(rest.as_ref().map_or(0, Pieces::items_left));
        }
        lock(&lane.pending).finish(trigger, Instant::now());
        let data = (!parts.is_empty()).then(|| Encoded::concat(&parts));
        Assembled { data, rest, solo }
    }

    /// Sends the rest of a split payload, cutting one piece at a time and
    /// sending it before the next is cut, so that only one piece (and one
    /// copy of its envelope) exists at a time. Full pieces go as batches of
    /// their own; while running, the last, smaller one goes back to the
    /// front of the pending buffer to fill up with what follows.
    async fn stream<M: Batched>(&self, pieces: Pieces<M>, limits: &Limits, mode: &mut Mode) {
        let lane = M::lane(&self.shared);
        let mut uncut = Uncut { shared: &self.shared, pieces };
        let pieces = &mut uncut.pieces;
        loop {
            let left = pieces.items_left();
            lock(&lane.pending).set_streaming(left);
            if left == 0 {
                return;
            }
            let trigger = match *mode {
                // What is left is counted as dropped by `Uncut`.
                Mode::Flushing { until } if Instant::now() >= until => return,
                Mode::Flushing { .. } => Trigger::Flush,
                Mode::Running if left < limits.cap() => {
                    let last: Vec<_> = pieces.by_ref().collect();
                    let mut pending = lock(&lane.pending);
                    pending.set_streaming(0);
                    for piece in last.into_iter().rev() {
                        pending.unshift(piece, Instant::now());
                    }
                    return;
                }
                Mode::Running => Trigger::Size,
            };
            let Some(piece) = pieces.next() else { return };
            self.deliver(&piece, trigger, mode).await;
        }
    }

    fn drop_at_shutdown<M: Batched>(&self, items: u64) {
        if items > 0 {
            tracing::warn!("otelcol.processor.batch: dropping {items} {} still pending at shutdown", M::SIGNAL.item_name());
            self.shared.stats.items_dropped.fetch_add(items, Ordering::Relaxed);
        }
    }

    /// Sends one batch, retrying while the downstream asks to: while
    /// running, until it is taken; while flushing (or once shutdown comes,
    /// which turns `mode` to flushing), until the flush budget runs out.
    /// Only the consumers that asked for a retry get one (see
    /// [`Progress`]). A batch of no items is not sent, and one whose output
    /// has no consumer for its signal is dropped: neither counts as sent.
    async fn deliver<M: Batched>(&self, data: &Encoded<M>, trigger: Trigger, mode: &mut Mode) {
        let stats = &self.shared.stats;
        let n = data.items() as u64;
        if n == 0 {
            return;
        }
        let mut backoff = FIRST_BACKOFF;
        let mut retried = false;
        let mut hand = InHand::new(&self.shared, data.clone());
        loop {
            let fanout = lock(&self.shared.output).fanout(M::SIGNAL);
            if fanout.is_empty() {
                tracing::warn!("otelcol.processor.batch: no {} output; dropping a batch of {n} {}", M::SIGNAL.as_str(), M::SIGNAL.item_name());
                stats.items_failed.fetch_add(n, Ordering::Relaxed);
                hand.settled();
                return;
            }
            crate::fault::point("otelcol.processor.batch.deliver");
            let retry = M::send(&fanout, data.clone(), &mut hand.progress).await;
            let err = match (retry, hand.progress.refused_for_good.clone()) {
                (None, None) => {
                    stats.batches_sent.fetch_add(1, Ordering::Relaxed);
                    stats.items_sent.fetch_add(n, Ordering::Relaxed);
                    self.meters.send_size.set(i64::try_from(n).unwrap_or(i64::MAX));
                    match trigger {
                        Trigger::Size => self.meters.size_trigger.add(1),
                        Trigger::Timeout | Trigger::Flush => self.meters.timeout_trigger.add(1),
                    }
                    if retried {
                        self.health.set(HealthState::Healthy, "batching");
                    }
                    hand.settled();
                    return;
                }
                (None, Some(permanent)) => permanent,
                (Some(retryable), _) => retryable,
            };
            let what = M::SIGNAL.item_name();
            if err.kind == ErrorKind::Permanent {
                tracing::warn!("otelcol.processor.batch: downstream refused a batch of {n} {what}: {err}");
                stats.items_failed.fetch_add(n, Ordering::Relaxed);
                hand.settled();
                return;
            }
            retried = true;
            self.health.set(HealthState::Unhealthy, format!("downstream asked to retry a batch of {n} {what}: {err}"));
            match *mode {
                Mode::Flushing { until } if Instant::now() + backoff > until => {
                    tracing::warn!("otelcol.processor.batch: dropping {n} {what} at shutdown, downstream still refuses: {err}");
                    stats.items_dropped.fetch_add(n, Ordering::Relaxed);
                    hand.settled();
                    return;
                }
                Mode::Flushing { .. } => tokio::time::sleep(backoff).await,
                Mode::Running => {
                    tokio::select! {
                        _ = tokio::time::sleep(backoff) => {}
                        // This call finishes the batch, under the flush's
                        // budget, ahead of what is still pending: nobody
                        // gets it twice, and order is kept.
                        _ = self.shutdown.cancelled() => {
                            *mode = Mode::Flushing { until: self.flush_until() };
                        }
                    }
                }
            }
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }
}

/// The rest of a split payload while its pieces are being sent. Whatever
/// is still uncut when it goes (the flush ran out of time, or the sender
/// died mid-stream: a panic, an abort) is counted as dropped, never lost
/// silently. Putting it back whole would mean cutting every piece at once,
/// the cost streaming exists to avoid.
struct Uncut<'a, M: Batched> {
    shared: &'a Shared,
    pieces: Pieces<M>,
}

impl<M: Batched> Drop for Uncut<'_, M> {
    fn drop(&mut self) {
        let left = self.pieces.items_left();
        lock(&M::lane(self.shared).pending).set_streaming(0);
        if left > 0 {
            tracing::warn!("otelcol.processor.batch: dropping {left} {} of a split payload not yet sent", M::SIGNAL.item_name());
            self.shared.stats.items_dropped.fetch_add(left as u64, Ordering::Relaxed);
        }
    }
}
