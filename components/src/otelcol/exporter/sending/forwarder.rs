//! [`Forwarder`]: the sending queue, its workers, retries, health and
//! counts around one [`Transport`].

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration as StdDuration;

use solder_syntax::value::Number;
use solder_syntax::Value;
use tokio::sync::{mpsc, Notify};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::persist::Disk;
use super::queue::{ExportQueue, Rejected, Taken};
use super::retry::Backoff;
use super::{Payload, RetryOnFailure, SendError, SendingQueue, Transport};
use crate::component::{Health, HealthCell, HealthState};
use crate::consumer::ConsumeError;
use crate::otelcol::storage::file::StorageHandler;
use crate::otlp::Signal;
use crate::selfmetrics::{ComponentMetrics, Counter, Gauge};
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
    metrics: ComponentMetrics,
    /// The storage `sending_queue` names, opened when the forwarder runs
    /// (never in `build`, which `solder validate` and reload plans call).
    storage: Mutex<Option<StorageHandler>>,
    /// Why the named storage could not be opened: new data is refused
    /// until it opens, rather than silently queued in memory only.
    storage_error: Mutex<Option<String>>,
    disk_bytes: Gauge,
    write_errors: Counter,
    /// Set when the forwarder is retired ([`Forwarder::retire`]): where
    /// everything it still holds, or is given, goes instead of being sent.
    hand_back: Mutex<Option<mpsc::UnboundedSender<Payload>>>,
    /// Fires on retirement, cutting short a wait between attempts.
    retired: CancellationToken,
    /// Told the duration and success of every attempt.
    attempts: OnceLock<AttemptObserver>,
}

/// What [`Forwarder::observe_attempts`] calls after each attempt: how long
/// it took and whether it succeeded.
pub type AttemptObserver = Box<dyn Fn(StdDuration, bool) + Send + Sync>;

/// How one request's delivery ended.
enum Delivery {
    Sent,
    /// Dropped and counted, or the error returned to an unqueued sender.
    Failed(SendError),
    /// Not sent before shutdown, and kept on disk for the next start.
    Kept,
    /// Not sent, and handed back: the forwarder was retired.
    HandedBack,
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
    replayed: Counter,
}

impl SignalCounts {
    fn new(metrics: &ComponentMetrics, signal: Signal) -> SignalCounts {
        let (sent, failed, refused, replayed) = match signal {
            Signal::Traces => (
                "otelcol_exporter_sent_spans_total",
                "otelcol_exporter_send_failed_spans_total",
                "otelcol_exporter_enqueue_failed_spans_total",
                "otelcol_exporter_queue_replayed_spans_total",
            ),
            Signal::Metrics => (
                "otelcol_exporter_sent_metric_points_total",
                "otelcol_exporter_send_failed_metric_points_total",
                "otelcol_exporter_enqueue_failed_metric_points_total",
                "otelcol_exporter_queue_replayed_metric_points_total",
            ),
            Signal::Logs => (
                "otelcol_exporter_sent_log_records_total",
                "otelcol_exporter_send_failed_log_records_total",
                "otelcol_exporter_enqueue_failed_log_records_total",
                "otelcol_exporter_queue_replayed_log_records_total",
            ),
        };
        SignalCounts {
            sent: metrics.counter(sent, "Items successfully sent to the destination.", &[]),
            failed: metrics.counter(failed, "Items that could not be sent and were dropped or returned to the sender.", &[]),
            refused: metrics.counter(
                refused,
                "Items refused because the sending queue was full, could not be written to disk, or the agent was at its memory budget.",
                &[],
            ),
            replayed: metrics.counter(replayed, "Items read back from the persistent sending queue when it was opened, to be sent again.", &[]),
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
            disk_bytes: metrics.gauge("otelcol_exporter_queue_disk_bytes", "Bytes of the persistent sending queue's segment files on disk.", &[]),
            write_errors: metrics.counter(
                "otelcol_exporter_queue_write_errors_total",
                "Requests the persistent sending queue could not write to disk (and refused).",
                &[],
            ),
            metrics: metrics.clone(),
            storage: Mutex::new(None),
            storage_error: Mutex::new(None),
            hand_back: Mutex::new(None),
            retired: CancellationToken::new(),
            attempts: OnceLock::new(),
        }
    }

    /// Calls `observer` after every attempt (once; later calls are ignored).
    pub fn observe_attempts(&self, observer: AttemptObserver) {
        let _ = self.attempts.set(observer);
    }

    /// Retires the forwarder: what is queued now, what it is given from now
    /// on, and every request in flight whose attempt fails (or that waits
    /// for another attempt) go to `back` instead of being sent, retried or
    /// dropped. A request whose attempt succeeds still counts as sent.
    /// Stop the forwarder's run afterwards; its flush then finds nothing.
    pub fn retire(&self, back: mpsc::UnboundedSender<Payload>) {
        *self.hand_back.lock().unwrap_or_else(|p| p.into_inner()) = Some(back);
        self.retired.cancel();
        while let Some(taken) = self.queue.try_pop() {
            match taken {
                Ok(t) => {
                    let payload = t.payload.clone();
                    t.settle();
                    self.give_back(payload);
                }
                Err(lost) => {
                    self.counts(lost.signal).failed.add(lost.items as u64);
                    tracing::error!(component = %self.id, items = lost.items, reason = %lost.reason, "dropped a queued request that could not be read back from disk");
                }
            }
        }
    }

    /// Whether the forwarder has been retired.
    pub fn is_retired(&self) -> bool {
        self.retired.is_cancelled()
    }

    /// Hands `payload` back if the forwarder is retired; otherwise returns it.
    fn give_back(&self, payload: Payload) -> Option<Payload> {
        let back = self.hand_back.lock().unwrap_or_else(|p| p.into_inner());
        match back.as_ref() {
            // A closed channel means the owner is gone (shutting down);
            // the payload is dropped with it, and counted by the owner.
            Some(tx) => {
                if let Err(mpsc::error::SendError(p)) = tx.send(payload) {
                    self.counts(p.signal()).failed.add(p.items() as u64);
                }
                None
            }
            None => Some(payload),
        }
    }

    /// Names the storage to keep the queue on; it is opened by
    /// [`Forwarder::open_storage`].
    pub fn want_storage(&self, storage: Option<StorageHandler>) {
        *self.storage.lock().unwrap_or_else(|p| p.into_inner()) = storage;
    }

    /// Opens the storage named last (or goes back to memory), recording a
    /// failure so that new data is refused and the run loop tries again.
    pub fn open_storage(&self) {
        let storage = self.storage.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let result = self.use_storage(storage.as_ref());
        let mut error = self.storage_error.lock().unwrap_or_else(|p| p.into_inner());
        match result {
            Ok(()) => *error = None,
            Err(e) => {
                if error.is_none() {
                    tracing::error!(component = %self.id, error = %e, "cannot open the persistent sending queue; new data is refused until it opens");
                }
                self.health.set(HealthState::Unhealthy, format!("cannot open the persistent sending queue: {e}"));
                self.healthy.store(false, Ordering::Relaxed);
                *error = Some(e);
            }
        }
    }

    /// Keeps the queue on `storage`'s disk (or in memory, with none),
    /// reading back what a previous run left there. Requests already
    /// queued move with it.
    pub fn use_storage(&self, storage: Option<&StorageHandler>) -> Result<(), String> {
        let Some(handler) = storage else {
            self.queue.set_storage(None, Vec::new());
            return Ok(());
        };
        let opened = Disk::open(handler, &self.id)?;
        for d in &opened.damage {
            let flaw = format!("{:?}", d.flaw).to_lowercase();
            self.metrics
                .counter(
                    "otelcol_exporter_queue_damaged_records_total",
                    "Stretches of the persistent queue found damaged on open and skipped.",
                    &[("reason", &flaw)],
                )
                .add(1);
            tracing::error!(component = %self.id, "persistent sending queue: {d}; the intact requests around it are kept");
        }
        if opened.unreadable > 0 {
            let c = self.metrics.counter(
                "otelcol_exporter_queue_damaged_records_total",
                "Stretches of the persistent queue found damaged on open and skipped.",
                &[("reason", "not_otlp")],
            );
            c.add(opened.unreadable as u64);
            tracing::error!(component = %self.id, records = opened.unreadable, "persistent sending queue: intact records that are not OTLP requests were skipped");
        }
        let (requests, items) = (opened.requests.len(), opened.requests.iter().map(|(p, _)| p.items()).sum::<usize>());
        for (p, _) in &opened.requests {
            self.counts(p.signal()).replayed.add(p.items() as u64);
        }
        if requests > 0 {
            tracing::info!(component = %self.id, requests, items, directory = %opened.disk.directory(), "persistent sending queue: sending again what was queued before the restart");
        }
        self.disk_bytes.set(opened.disk.bytes() as i64);
        self.queue.set_storage(Some(opened.disk), opened.requests);
        Ok(())
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
        let Some(payload) = self.give_back(payload) else { return Ok(()) };
        if self.draining.is_cancelled() {
            return Err(ConsumeError::retryable("the exporter is shutting down"));
        }
        let (enabled, blocking) = {
            let s = self.settings();
            (s.queue.enabled, s.queue.blocking)
        };
        if let Some(e) = self.storage_error.lock().unwrap_or_else(|p| p.into_inner()).clone() {
            return Err(ConsumeError::retryable(format!("the persistent sending queue cannot be opened: {e}")));
        }
        if !enabled {
            return match self.deliver(&payload, false, false).await {
                Delivery::Failed(e) if e.retryable => Err(ConsumeError::retryable(e.message)),
                Delivery::Failed(e) => Err(ConsumeError::permanent(e.message)),
                Delivery::Sent | Delivery::Kept | Delivery::HandedBack => Ok(()),
            };
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
            Err(Rejected::Storage(p, e)) => {
                refused(&p);
                self.write_errors.add(1);
                let message = format!("the persistent sending queue cannot write: {e}");
                tracing::warn!(component = %self.id, error = %e, items = p.items(), "refused a request: the persistent sending queue cannot write it");
                self.health.set(HealthState::Unhealthy, message.clone());
                self.healthy.store(false, Ordering::Relaxed);
                Err(ConsumeError::retryable(message))
            }
        }
    }

    /// Sends until success, a permanent error, or the retry policy gives
    /// up. Each attempt uses the transport current at that moment, so a
    /// fixed endpoint rescues requests already failing. A `persistent`
    /// request that shutdown cuts short is kept, not dropped.
    async fn deliver(&self, payload: &Payload, queued: bool, persistent: bool) -> Delivery {
        let started = Instant::now();
        let mut backoff: Option<Backoff> = None;
        loop {
            // Retired while waiting for another attempt: the request goes
            // back to be routed elsewhere rather than try a removed backend.
            if backoff.is_some() && self.is_retired() && self.give_back(payload.clone()).is_none() {
                return Delivery::HandedBack;
            }
            let (transport, retry) = {
                let s = self.settings();
                (Arc::clone(&s.transport), s.retry.clone())
            };
            let began = Instant::now();
            let attempt = transport.send(payload);
            // Once shutdown has begun, each request gets one attempt, as in
            // the Collector: a dead backend must not hold up the stop.
            let last_attempt = self.flush_deadline.get().is_some();
            let result = match self.flush_deadline.get() {
                Some(&deadline) => match tokio::time::timeout_at(deadline, attempt).await {
                    Ok(result) => result,
                    Err(_) if persistent => return Delivery::Kept,
                    Err(_) => Err(SendError::permanent("the flush on shutdown ran out of time")),
                },
                None => attempt.await,
            };
            if let Some(observe) = self.attempts.get() {
                observe(began.elapsed(), result.is_ok());
            }
            let destination = transport.destination(payload.signal());
            let err = match result {
                Ok(()) => {
                    self.sent(payload, destination);
                    return Delivery::Sent;
                }
                Err(e) => e,
            };
            if self.is_retired() && self.give_back(payload.clone()).is_none() {
                return Delivery::HandedBack;
            }
            if !err.retryable || !retry.enabled {
                return Delivery::Failed(self.failed(payload, destination, err, queued));
            }
            let wait = backoff.get_or_insert_with(|| Backoff::new(&retry)).next_delay().max(err.retry_after.unwrap_or_default());
            if retry.max_elapsed().is_some_and(|max| started.elapsed() + wait > max) {
                let err = SendError { message: format!("no more retries left: {}", err.message), ..err };
                return Delivery::Failed(self.failed(payload, destination, err, queued));
            }
            if last_attempt && persistent {
                return Delivery::Kept;
            }
            if last_attempt {
                let err = SendError { message: format!("{}; not retried during shutdown", err.message), ..err };
                return Delivery::Failed(self.failed(payload, destination, err, queued));
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
                // Retirement too: the request is handed back.
                _ = self.retired.cancelled() => {}
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
        // Reading back a large queue takes a while: off the async threads.
        let opening = Arc::clone(&self);
        let _ = tokio::task::spawn_blocking(move || opening.open_storage()).await;
        let mut workers = JoinSet::new();
        // By task, so that a worker that died (a panic) is replaced.
        let mut active: HashMap<tokio::task::Id, CancellationToken> = HashMap::new();
        let mut tick = tokio::time::interval(StdDuration::from_secs(1));
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
                _ = tick.tick() => {
                    if self.storage_error.lock().unwrap_or_else(|p| p.into_inner()).is_some() {
                        self.open_storage();
                    }
                    if let Some(d) = self.queue.disk() {
                        self.disk_bytes.set(d.bytes() as i64);
                    }
                }
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
                Some(Ok(taken)) => {
                    let persistent = taken.persistent();
                    let mut hand = InFlight { queue: &self.queue, taken: Some(taken) };
                    crate::fault::point("otelcol.exporter.deliver");
                    let outcome = match &hand.taken {
                        Some(t) => self.deliver(&t.payload, true, persistent).await,
                        None => Delivery::Sent,
                    };
                    if let Delivery::Kept = outcome {
                        // Shutdown: it stays on disk, and so does the rest.
                        if let Some(t) = hand.taken.take() {
                            self.queue.unshift(t);
                        }
                        return;
                    }
                    hand.settled();
                }
                Some(Err(lost)) => {
                    self.counts(lost.signal).failed.add(lost.items as u64);
                    tracing::error!(component = %self.id, items = lost.items, reason = %lost.reason, "dropped a queued request that could not be read back from disk");
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
        let mut closed = self.queue.close();
        closed.dropped.retain(|p| self.give_back(p.clone()).is_some());
        if !closed.dropped.is_empty() {
            for p in &closed.dropped {
                self.counts(p.signal()).failed.add(p.items() as u64);
            }
            tracing::warn!(component = %self.id, requests = closed.dropped.len(), "dropped queued requests that could not be sent before shutdown");
        }
        if closed.kept > 0 {
            tracing::info!(component = %self.id, requests = closed.kept, "queued requests stay in the persistent sending queue for the next start");
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
            ("queue_storage", self.queue.disk().map_or(Value::Null, |d| Value::from(d.directory()))),
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
/// with the rest of the queue (or keeps it on disk, for a persistent
/// queue): it is never lost without a count.
struct InFlight<'a> {
    queue: &'a ExportQueue,
    taken: Option<Taken>,
}

impl InFlight<'_> {
    /// Delivered, or dropped and counted.
    fn settled(mut self) {
        if let Some(t) = self.taken.take() {
            t.settle();
        }
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        if let Some(t) = self.taken.take() {
            tracing::warn!(items = t.payload.items(), "a sending worker stopped with a request in hand; put back in the queue");
            self.queue.unshift(t);
        }
    }
}
