//! [`Forwarder`]: the sending queue, its workers, retries, health and
//! counts around one [`Transport`].

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration as StdDuration;

use solder_syntax::value::Number;
use solder_syntax::Value;
use tokio::sync::Notify;
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::queue::{ExportQueue, Rejected};
use super::retry::Backoff;
use super::{Payload, RetryOnFailure, SendError, SendingQueue, Transport};
use crate::component::{Health, HealthCell, HealthState};
use crate::consumer::ConsumeError;
use crate::otlp::Signal;
use crate::selfmetrics::{ComponentMetrics, Counter};
use crate::types::Duration;

/// How long shutdown waits for the queue to empty. The controller gives a
/// stopping component ten seconds; this leaves room for the rest.
pub const FLUSH_TIMEOUT: StdDuration = StdDuration::from_secs(5);

/// Sends requests through a transport: from a queue by `num_consumers`
/// workers, or while the sender waits when the queue is disabled.
pub struct Forwarder<T: Transport> {
    id: String,
    settings: Mutex<Settings<T>>,
    queue: ExportQueue,
    health: HealthCell,
    /// Whether the last send succeeded, so that a success only writes the
    /// health when it changes it.
    healthy: AtomicBool,
    counts: [SignalCounts; 3],
    retries: AtomicU64,
    /// Fires when shutdown starts: no new data, queued data gets a last try.
    draining: CancellationToken,
    /// When the flush on shutdown must be over.
    flush_deadline: OnceLock<Instant>,
    /// Tells the run loop that `num_consumers` may have changed.
    reconfigured: Notify,
}

struct Settings<T> {
    transport: Arc<T>,
    queue: SendingQueue,
    retry: RetryOnFailure,
}

struct SignalCounts {
    sent: Counter,
    failed: Counter,
    refused: Counter,
}

impl SignalCounts {
    fn new(metrics: &ComponentMetrics, signal: Signal) -> SignalCounts {
        let (sent, failed, refused) = match signal {
            Signal::Traces => ("otelcol_exporter_sent_spans_total", "otelcol_exporter_send_failed_spans_total", "otelcol_exporter_enqueue_failed_spans_total"),
            Signal::Metrics => (
                "otelcol_exporter_sent_metric_points_total",
                "otelcol_exporter_send_failed_metric_points_total",
                "otelcol_exporter_enqueue_failed_metric_points_total",
            ),
            Signal::Logs => (
                "otelcol_exporter_sent_log_records_total",
                "otelcol_exporter_send_failed_log_records_total",
                "otelcol_exporter_enqueue_failed_log_records_total",
            ),
        };
        SignalCounts {
            sent: metrics.counter(sent, "Items successfully sent to the destination.", &[]),
            failed: metrics.counter(failed, "Items that could not be sent and were dropped or returned to the sender.", &[]),
            refused: metrics.counter(refused, "Items refused because the sending queue was full or the agent was at its memory budget.", &[]),
        }
    }
}

impl<T: Transport> Forwarder<T> {
    pub fn new(metrics: &ComponentMetrics, transport: T, queue: SendingQueue, retry: RetryOnFailure) -> Forwarder<T> {
        let size = metrics.gauge("otelcol_exporter_queue_size", "Current size of the sending queue.", &[]);
        let capacity = metrics.gauge("otelcol_exporter_queue_capacity", "Capacity of the sending queue.", &[]);
        Forwarder {
            id: metrics.component_id().to_string(),
            queue: ExportQueue::new(queue.queue_size, queue.sizer, size, capacity),
            settings: Mutex::new(Settings { transport: Arc::new(transport), queue, retry }),
            health: HealthCell::default(),
            healthy: AtomicBool::new(false),
            counts: [Signal::Traces, Signal::Metrics, Signal::Logs].map(|s| SignalCounts::new(metrics, s)),
            retries: AtomicU64::new(0),
            draining: CancellationToken::new(),
            flush_deadline: OnceLock::new(),
            reconfigured: Notify::new(),
        }
    }

    fn settings(&self) -> std::sync::MutexGuard<'_, Settings<T>> {
        self.settings.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn counts(&self, signal: Signal) -> &SignalCounts {
        let i = match signal {
            Signal::Traces => 0,
            Signal::Metrics => 1,
            Signal::Logs => 2,
        };
        &self.counts[i]
    }

    pub fn health(&self) -> Health {
        self.health.get()
    }

    /// Applies new settings in place. Queued requests stay; a new
    /// transport is used from the next attempt on.
    pub fn reconfigure(&self, transport: Option<T>, queue: SendingQueue, retry: RetryOnFailure) {
        let mut s = self.settings();
        if let Some(t) = transport {
            s.transport = Arc::new(t);
        }
        self.queue.resize(queue.queue_size, queue.sizer);
        s.queue = queue;
        s.retry = retry;
        drop(s);
        self.reconfigured.notify_one();
    }

    /// Takes a request from the pipeline: queues it, or sends it now when
    /// the queue is disabled. Never drops it without saying so.
    pub async fn accept(&self, payload: Payload) -> Result<(), ConsumeError> {
        if self.draining.is_cancelled() {
            return Err(ConsumeError::retryable("the exporter is shutting down"));
        }
        let (enabled, blocking) = {
            let s = self.settings();
            (s.queue.enabled, s.queue.blocking)
        };
        if !enabled {
            return self.deliver(&payload, false).await.map_err(|e| match e.retryable {
                true => ConsumeError::retryable(e.message),
                false => ConsumeError::permanent(e.message),
            });
        }
        let refused = |p: &Payload| self.counts(p.signal()).refused.add(p.items() as u64);
        match self.queue.push(payload, blocking, &self.draining).await {
            Ok(()) => Ok(()),
            Err(Rejected::Full(p)) => {
                refused(&p);
                Err(ConsumeError::retryable("sending queue is full"))
            }
            Err(Rejected::TooLarge(p)) => {
                refused(&p);
                Err(ConsumeError::permanent("the request is larger than the whole sending queue"))
            }
            Err(Rejected::Closed(_)) => Err(ConsumeError::retryable("the exporter is shutting down")),
            Err(Rejected::OverBudget(p)) => {
                refused(&p);
                Err(ConsumeError::retryable("the agent is at its memory budget (--memory.limit)"))
            }
        }
    }

    /// Sends until success, a permanent error, or the retry policy gives
    /// up. Each attempt uses the transport current at that moment, so a
    /// fixed endpoint rescues requests already failing.
    async fn deliver(&self, payload: &Payload, queued: bool) -> Result<(), SendError> {
        let started = Instant::now();
        let mut backoff: Option<Backoff> = None;
        loop {
            let (transport, retry) = {
                let s = self.settings();
                (Arc::clone(&s.transport), s.retry.clone())
            };
            let attempt = transport.send(payload);
            // Once shutdown has begun, each request gets one attempt, as in
            // the Collector: a dead backend must not hold up the stop.
            let last_attempt = self.flush_deadline.get().is_some();
            let result = match self.flush_deadline.get() {
                Some(&deadline) => {
                    tokio::time::timeout_at(deadline, attempt).await.unwrap_or_else(|_| Err(SendError::permanent("the flush on shutdown ran out of time")))
                }
                None => attempt.await,
            };
            let destination = transport.destination(payload.signal());
            let err = match result {
                Ok(()) => {
                    self.sent(payload, destination);
                    return Ok(());
                }
                Err(e) => e,
            };
            if !err.retryable || !retry.enabled {
                return Err(self.failed(payload, destination, err, queued));
            }
            let wait = backoff.get_or_insert_with(|| Backoff::new(&retry)).next_delay().max(err.retry_after.unwrap_or_default());
            if retry.max_elapsed().is_some_and(|max| started.elapsed() + wait > max) {
                let err = SendError { message: format!("no more retries left: {}", err.message), ..err };
                return Err(self.failed(payload, destination, err, queued));
            }
            if last_attempt {
                let err = SendError { message: format!("{}; not retried during shutdown", err.message), ..err };
                return Err(self.failed(payload, destination, err, queued));
            }
            self.retries.fetch_add(1, Ordering::Relaxed);
            let wait_text = Duration(StdDuration::from_millis(wait.as_millis() as u64));
            tracing::info!(component = %self.id, %destination, error = %err, "exporting failed; retrying in {wait_text}");
            self.health.set(HealthState::Unhealthy, format!("sending to {destination} failed: {err}, retrying in {wait_text}"));
            self.healthy.store(false, Ordering::Relaxed);
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                // Shutdown cuts the wait short: the last attempt is now.
                _ = self.draining.cancelled() => {}
            }
        }
    }

    fn sent(&self, payload: &Payload, destination: &str) {
        self.counts(payload.signal()).sent.add(payload.items() as u64);
        if !self.healthy.swap(true, Ordering::Relaxed) {
            self.health.set(HealthState::Healthy, format!("sending to {destination}"));
        }
    }

    fn failed(&self, payload: &Payload, destination: &str, err: SendError, queued: bool) -> SendError {
        let (items, name) = (payload.items(), payload.signal().item_name());
        self.counts(payload.signal()).failed.add(items as u64);
        let outcome = if queued { format!("dropped {items} {name}") } else { "returned the error to the sender".to_string() };
        tracing::warn!(component = %self.id, %destination, error = %err, "exporting failed; {outcome}");
        self.health.set(HealthState::Unhealthy, format!("sending to {destination} failed: {err}; {outcome}"));
        self.healthy.store(false, Ordering::Relaxed);
        err
    }

    /// Runs the workers until `shutdown`, then flushes for at most
    /// [`FLUSH_TIMEOUT`].
    pub async fn run(self: Arc<Self>, shutdown: CancellationToken) {
        let (queue, endpoint) = {
            let s = self.settings();
            (s.queue.clone(), s.transport.endpoint().to_string())
        };
        self.queue.resize(queue.queue_size, queue.sizer);
        self.health.set(HealthState::Healthy, format!("ready to send to {endpoint}"));
        let mut workers = JoinSet::new();
        // By task, so that a worker that died (a panic) is replaced.
        let mut active: HashMap<tokio::task::Id, CancellationToken> = HashMap::new();
        loop {
            let target = self.settings().queue.num_consumers;
            while active.len() < target {
                let retired = CancellationToken::new();
                let id = workers.spawn(Arc::clone(&self).work(retired.clone())).id();
                active.insert(id, retired);
            }
            let extra: Vec<_> = active.keys().copied().skip(target).collect();
            for id in extra {
                if let Some(retired) = active.remove(&id) {
                    retired.cancel();
                }
            }
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = self.reconfigured.notified() => {}
                Some(done) = workers.join_next_with_id(), if !workers.is_empty() => {
                    let id = match &done {
                        Ok((id, ())) => *id,
                        Err(e) if e.is_panic() => {
                            tracing::error!(component = %self.id, "a sending worker panicked; starting another");
                            e.id()
                        }
                        Err(e) => e.id(),
                    };
                    active.remove(&id);
                }
            }
        }
        self.drain(workers, active.into_values().collect()).await;
    }

    async fn work(self: Arc<Self>, retired: CancellationToken) {
        loop {
            match self.queue.try_pop() {
                Some(p) => {
                    let hand = InFlight { queue: &self.queue, payload: Some(p) };
                    crate::fault::point("otelcol.exporter.deliver");
                    if let Some(p) = &hand.payload {
                        let _ = self.deliver(p, true).await;
                    }
                    hand.settled();
                }
                None if retired.is_cancelled() => return,
                None => self.queue.wait(&retired).await,
            }
            if retired.is_cancelled() && !self.draining.is_cancelled() {
                return;
            }
        }
    }

    async fn drain(&self, mut workers: JoinSet<()>, active: Vec<CancellationToken>) {
        let deadline = Instant::now() + FLUSH_TIMEOUT;
        let _ = self.flush_deadline.set(deadline);
        self.draining.cancel();
        active.iter().for_each(CancellationToken::cancel);
        let all_done = async { while workers.join_next().await.is_some() {} };
        if tokio::time::timeout_at(deadline + StdDuration::from_millis(500), all_done).await.is_err() {
            workers.abort_all();
            // Aborted workers put back what they held as they are dropped,
            // so the count below includes it.
            while workers.join_next().await.is_some() {}
        }
        let left = self.queue.take_all();
        if !left.is_empty() {
            for p in &left {
                self.counts(p.signal()).failed.add(p.items() as u64);
            }
            tracing::warn!(component = %self.id, requests = left.len(), "dropped queued requests that could not be sent before shutdown");
        }
    }

    pub fn debug_info(&self) -> Value {
        let s = self.settings();
        let (length, used, capacity) = self.queue.depth();
        let uint = |n: u64| Value::Number(Number::Uint(n));
        let per_signal = |f: fn(&SignalCounts) -> &Counter| {
            Value::object([Signal::Traces, Signal::Metrics, Signal::Logs].map(|sig| (sig.item_name(), uint(f(self.counts(sig)).get()))))
        };
        Value::object([
            ("endpoint", Value::from(s.transport.endpoint())),
            ("queue_enabled", Value::from(s.queue.enabled)),
            ("queue_requests", uint(length as u64)),
            ("queue_size", uint(used)),
            ("queue_capacity", uint(capacity)),
            ("num_consumers", uint(s.queue.num_consumers as u64)),
            ("retries", uint(self.retries.load(Ordering::Relaxed))),
            ("sent", per_signal(|c| &c.sent)),
            ("send_failed", per_signal(|c| &c.failed)),
            ("enqueue_failed", per_signal(|c| &c.refused)),
        ])
    }
}

/// The request a worker took from the queue. A worker that dies with it
/// (a panic, or the abort at the end of the flush) puts it back in front,
/// so the next worker sends it, or the flush counts it in `send_failed`
/// with the rest of the queue: it is never lost without a count.
struct InFlight<'a> {
    queue: &'a ExportQueue,
    payload: Option<Payload>,
}

impl InFlight<'_> {
    fn settled(mut self) {
        self.payload = None;
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        if let Some(p) = self.payload.take() {
            tracing::warn!(items = p.items(), "a sending worker stopped with a request in hand; put back in the queue");
            self.queue.unshift(p);
        }
    }
}
