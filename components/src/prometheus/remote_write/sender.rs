//! [`Endpoint`]: one endpoint's queue, its sender task, and its counts.
//!
//! The sender takes up to `max_samples_per_send` samples once that many
//! wait or the oldest has waited `batch_send_deadline`, and sends them as
//! one request, retrying recoverable failures until they succeed: the
//! queue behind it fills meanwhile, and the rest waits in the WAL, read
//! back as the queue drains. One request is in flight at a time, so every
//! series reaches the endpoint in order, and how far it has sent is one
//! position in the WAL, saved after the requests that move it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration as StdDuration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use solder_syntax::value::Number;
use solder_syntax::Value;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::client::RemoteClient;
use super::config::EndpointArgs;
use super::convert::Converted;
use super::proto::{MetricMetadata, RequestBuilder};
use super::queue::{SampleQueue, Slice};
use super::wal::{Position, Wal};
use crate::otelcol::exporter::sending::forwarder::FLUSH_TIMEOUT;
use crate::otelcol::exporter::sending::retry::Backoff;
use crate::otelcol::exporter::sending::RetryOnFailure;
use crate::selfmetrics::{ComponentMetrics, Counter, Gauge};
use crate::sync::lock;
use crate::types::Duration;

/// An endpoint's arguments and the client made from them, swapped whole
/// by an update.
pub struct Settings {
    pub args: EndpointArgs,
    pub client: RemoteClient,
}

/// How often, at most, an endpoint saves its WAL position. Samples sent
/// since the last save are sent again after a crash.
const SAVE_EVERY: StdDuration = StdDuration::from_millis(100);

/// How a request ended.
#[derive(PartialEq)]
enum Delivery {
    /// Sent, or counted as failed or dropped.
    Done,
    /// Not sent before shutdown: it stays in the WAL for the next start.
    Interrupted,
}

/// The position last saved, and when.
#[derive(Default)]
struct Saved {
    pos: Option<Position>,
    at: Option<Instant>,
    failing: bool,
}

/// One endpoint: lives from the `endpoint` block's first appearance until
/// an update removes it, keeping its queue and WAL position across updates.
pub struct Endpoint {
    metrics: ComponentMetrics,
    /// `name`, or one derived from the URL.
    pub name: String,
    settings: Mutex<Arc<Settings>>,
    pub queue: SampleQueue,
    wal: Arc<Wal>,
    /// Placed in the WAL: until then there is no position to save.
    attached: AtomicBool,
    saved: Mutex<Saved>,
    /// Replaced when an update changes the URL, which labels them.
    counts: Mutex<Arc<Counts>>,
    retries: AtomicU64,
    last_error: Mutex<Option<String>>,
    /// The last request failed; cleared by the next success.
    failing: AtomicBool,
    /// The sender task has been started.
    pub started: AtomicBool,
    /// Fires when an update removes the endpoint: its queue is dropped.
    removed: CancellationToken,
    /// When the flush on shutdown must end.
    flush_deadline: OnceLock<Instant>,
}

/// The endpoint's self-metrics, named as Prometheus names them.
struct Counts {
    /// The URL with any password hidden, as the `url` label shows it.
    url: String,
    pending: Gauge,
    samples_in: Counter,
    samples: Counter,
    failed: Counter,
    /// Dropped after queueing, by reason, as Prometheus labels them.
    too_old: Counter,
    removed: Counter,
    /// Past `max_keepalive_time` in the WAL before they were read.
    expired: Counter,
    /// In a WAL record that could not be read back.
    unreadable: Counter,
    replayed: Counter,
    retried: Counter,
    exemplars: Counter,
    exemplars_failed: Counter,
    metadata: Counter,
    metadata_failed: Counter,
    bytes: Counter,
}

impl Counts {
    fn new(metrics: &ComponentMetrics, name: &str, url: &str) -> Counts {
        let url = redacted(url);
        let labels = [("remote_name", name), ("url", url.as_str())];
        let c = |name, help| metrics.counter(name, help, &labels);
        let dropped = |reason| {
            let help =
                "Samples dropped after they were queued, before being sent: too old, queued for a removed endpoint, or expired or unreadable in the WAL.";
            metrics.counter("prometheus_remote_storage_samples_dropped_total", help, &[labels[0], labels[1], ("reason", reason)])
        };
        Counts {
            pending: metrics.gauge("prometheus_remote_storage_samples_pending", "Samples waiting in the queue.", &labels),
            samples_in: c("prometheus_remote_storage_samples_in_total", "Samples written to the WAL for the endpoint, or found unsent in it at start."),
            samples: c("prometheus_remote_storage_samples_total", "Total number of samples sent to remote storage."),
            failed: c("prometheus_remote_storage_samples_failed_total", "Samples that failed to send to remote storage due to non-recoverable errors."),
            too_old: dropped("too_old"),
            removed: dropped("endpoint_removed"),
            expired: dropped("wal_expired"),
            unreadable: dropped("wal_corrupt"),
            replayed: c("prometheus_remote_write_wal_samples_replayed_total", "Samples found unsent in the WAL at start, sent after the restart."),
            retried: c("prometheus_remote_storage_samples_retried_total", "Samples that failed to send but were retried due to recoverable errors."),
            exemplars: c("prometheus_remote_storage_exemplars_total", "Total number of exemplars sent to remote storage."),
            exemplars_failed: c("prometheus_remote_storage_exemplars_failed_total", "Exemplars that failed to send due to non-recoverable errors."),
            metadata: c("prometheus_remote_storage_metadata_total", "Total number of metadata entries sent to remote storage."),
            metadata_failed: c("prometheus_remote_storage_metadata_failed_total", "Metadata entries that failed to send due to non-recoverable errors."),
            bytes: c("prometheus_remote_storage_bytes_total", "Bytes of data sent after compression."),
            url,
        }
    }
}

/// One request, ready to send: its compressed body and what it holds,
/// and what it was built from, so that a retry can rebuild it without the
/// samples that have passed `sample_age_limit` meanwhile.
struct Request {
    body: Bytes,
    samples: u64,
    exemplars: u64,
    metadata: Vec<MetricMetadata>,
    slices: Vec<Slice>,
    /// Samples older than this (unix ms) were left out, and counted.
    cutoff_ms: i64,
    /// The oldest sample in `body`.
    oldest_ms: i64,
}

impl Endpoint {
    /// A new endpoint; [`Wal::open`] or [`Wal::attach`] places it.
    pub fn new(metrics: &ComponentMetrics, settings: Settings, wal: Arc<Wal>) -> Endpoint {
        let name = settings.args.display_name();
        Endpoint {
            metrics: metrics.clone(),
            counts: Mutex::new(Arc::new(Counts::new(metrics, &name, &settings.args.url))),
            queue: SampleQueue::new(settings.args.queue_config.capacity, 0),
            wal,
            attached: AtomicBool::new(false),
            saved: Mutex::new(Saved::default()),
            settings: Mutex::new(Arc::new(settings)),
            name,
            retries: AtomicU64::new(0),
            last_error: Mutex::new(None),
            failing: AtomicBool::new(false),
            started: AtomicBool::new(false),
            removed: CancellationToken::new(),
            flush_deadline: OnceLock::new(),
        }
    }

    /// What identifies the endpoint across updates: its name, or its URL.
    pub fn key(&self) -> String {
        self.settings().args.key().to_string()
    }

    fn settings(&self) -> Arc<Settings> {
        Arc::clone(&lock(&self.settings))
    }

    fn counts(&self) -> Arc<Counts> {
        Arc::clone(&lock(&self.counts))
    }

    /// Publishes the queue's depth; call after the queue changes.
    fn pending_changed(&self) {
        self.counts().pending.set(self.queue.depth().0 as i64);
    }

    /// New arguments for the same endpoint: queued samples stay, and the
    /// next attempt uses the new client.
    pub fn reconfigure(&self, settings: Settings) {
        self.queue.set_capacity(settings.args.queue_config.capacity);
        if redacted(&settings.args.url) != self.counts().url {
            let fresh = Arc::new(Counts::new(&self.metrics, &self.name, &settings.args.url));
            std::mem::replace(&mut *lock(&self.counts), fresh).pending.set(0);
            self.pending_changed();
        }
        *lock(&self.settings) = Arc::new(settings);
        self.queue.pushed.notify_one();
    }

    /// Stops the sender without a flush; what is queued, and what it had
    /// still to read from the WAL, is dropped.
    pub fn remove(&self) {
        self.removed.cancel();
        self.counts().removed.add(self.wal.detach(self));
        self.pending_changed();
    }

    /// Placed in the WAL at `start`, with `replayed` samples from before a
    /// restart still to send.
    pub fn attached(&self, start: Position, replayed: u64) {
        self.queue.resume_at(start);
        let c = self.counts();
        c.replayed.add(replayed);
        c.samples_in.add(replayed);
        lock(&self.saved).pos = Some(start);
        self.attached.store(true, Ordering::Relaxed);
    }

    /// Record `seq` was written to the WAL: it enters the queue now if
    /// the endpoint is keeping up, or is read back later.
    pub fn appended(&self, seq: u64, batch: &Arc<Converted>) {
        self.counts().samples_in.add(batch.len() as u64);
        if self.queue.push_next(seq, batch) {
            self.pending_changed();
        } else {
            self.queue.pushed.notify_one();
        }
    }

    /// Samples the WAL gave up (`max_keepalive_time`) before they were read.
    pub fn expired(&self, samples: u64) {
        self.counts().expired.add(samples);
    }

    /// Samples in a WAL record that could not be read back.
    pub fn unreadable(&self, samples: u64) {
        self.counts().unreadable.add(samples);
    }

    /// Saves the endpoint's WAL position if it moved: now, or when
    /// [`SAVE_EVERY`] has passed since the last save, which is returned
    /// when it has not.
    fn save_position(&self, now: bool) -> Option<Instant> {
        if !self.attached.load(Ordering::Relaxed) || self.removed.is_cancelled() {
            return None;
        }
        let pos = self.queue.low_water();
        let mut saved = lock(&self.saved);
        if saved.pos == Some(pos) {
            return None;
        }
        let due = saved.at.map(|t| t + SAVE_EVERY).filter(|d| *d > Instant::now());
        if due.is_some() && !now {
            return due;
        }
        match self.wal.save_position(&self.key(), pos) {
            Ok(()) => {
                *saved = Saved { pos: Some(pos), at: Some(Instant::now()), failing: false };
                None
            }
            Err(e) => {
                if !std::mem::replace(&mut saved.failing, true) {
                    tracing::warn!(component = %self.metrics.component_id(), endpoint = %self.name, "cannot save the endpoint's WAL position: {e}; samples sent since the last save are sent again after a restart");
                }
                Some(Instant::now() + SAVE_EVERY)
            }
        }
    }

    /// Samples not done yet: queued, in flight, or still to read from the
    /// WAL.
    fn unsent(&self) -> u64 {
        self.queue.held() as u64 + self.wal.behind(self.queue.unread())
    }

    /// The last error while sends fail, for the component's health.
    pub fn failure(&self) -> Option<String> {
        self.failing.load(Ordering::Relaxed).then(|| lock(&self.last_error).clone().unwrap_or_default())
    }

    /// Sends until `shutdown`, then flushes for at most [`FLUSH_TIMEOUT`];
    /// what is not sent by then stays in the WAL for the next start.
    pub async fn run(self: Arc<Self>, shutdown: CancellationToken) {
        let mut metadata_sent: HashMap<String, Instant> = HashMap::new();
        let mut save_due: Option<Instant> = None;
        let mut interrupted = false;
        while !shutdown.is_cancelled() && !self.removed.is_cancelled() {
            self.wal.fill(&self);
            self.pending_changed();
            let queue = self.settings().args.queue_config.clone();
            let (depth, oldest) = self.queue.depth();
            let due = oldest.map(|t| t + queue.batch_send_deadline.0);
            let ready = depth >= queue.max_samples_per_send || (depth > 0 && due.is_some_and(|d| d <= Instant::now()));
            if ready {
                let request = self.request(self.queue.take(queue.max_samples_per_send), &mut metadata_sent);
                match self.deliver(request, &shutdown).await {
                    Delivery::Done => {
                        self.queue.finish();
                        save_due = self.save_position(false);
                    }
                    // Nothing after it may be sent and saved past it.
                    Delivery::Interrupted => {
                        interrupted = true;
                        break;
                    }
                }
                continue;
            }
            let far = Instant::now() + StdDuration::from_secs(3600);
            tokio::select! {
                _ = shutdown.cancelled() => {}
                _ = self.removed.cancelled() => {}
                _ = self.queue.pushed.notified() => {}
                _ = tokio::time::sleep_until(due.unwrap_or(far)) => {}
                _ = tokio::time::sleep_until(save_due.unwrap_or(far)) => save_due = self.save_position(true),
            }
        }
        if self.removed.is_cancelled() {
            self.counts().removed.add(self.queue.clear() as u64);
            self.pending_changed();
            return;
        }
        let deadline = *self.flush_deadline.get_or_init(|| Instant::now() + FLUSH_TIMEOUT);
        while !interrupted && Instant::now() < deadline {
            self.wal.fill(&self);
            if self.queue.depth().0 == 0 {
                break;
            }
            let max = self.settings().args.queue_config.max_samples_per_send;
            let request = self.request(self.queue.take(max), &mut metadata_sent);
            if self.deliver(request, &shutdown).await == Delivery::Interrupted {
                break;
            }
            self.queue.finish();
        }
        self.save_position(true);
        self.pending_changed();
        let left = self.unsent();
        if left > 0 {
            tracing::info!(component = %self.metrics.component_id(), endpoint = %self.name, samples = left, "samples not sent before shutdown stay in the WAL, to be sent after the next start");
        }
    }

    /// Builds one request from `slices`: samples older than
    /// `sample_age_limit` are dropped, and each family's metadata goes
    /// with its samples at most once per `send_interval`.
    fn request(&self, slices: Vec<Slice>, metadata_sent: &mut HashMap<String, Instant>) -> Option<Request> {
        self.pending_changed();
        let settings = self.settings();
        let (args, now) = (&settings.args, Instant::now());
        let cutoff_ms = age_cutoff(args);
        let meta = &args.metadata_config;
        let mut metadata: Vec<MetricMetadata> = Vec::new();
        for slice in slices.iter().filter(|_| meta.send) {
            let mut last_family = None;
            for s in slice.batch.series.get(slice.range.clone()).unwrap_or_default() {
                if s.timestamp_ms < cutoff_ms || last_family == Some(s.family) || metadata.len() >= meta.max_samples_per_send {
                    continue;
                }
                last_family = Some(s.family);
                let Some(m) = slice.batch.metadata.get(s.family as usize) else { continue };
                let fresh = metadata_sent.get(&m.metric_family_name).is_some_and(|t| now.duration_since(*t) < meta.send_interval.0);
                if !fresh {
                    metadata_sent.insert(m.metric_family_name.clone(), now);
                    metadata.push(m.clone());
                }
            }
        }
        if metadata_sent.len() > 10_000 {
            metadata_sent.retain(|_, t| now.duration_since(*t) < meta.send_interval.0);
        }
        self.encode(slices, metadata, i64::MIN, cutoff_ms, args.send_exemplars)
    }

    /// Before a retry: the request again without the samples that passed
    /// `sample_age_limit` while it was failing (counted as too old), as
    /// Prometheus does; `None` when nothing is left to send.
    fn refresh(&self, r: Request) -> Option<Request> {
        let args = &self.settings().args;
        // A raised limit does not bring back what was already counted.
        let cutoff_ms = age_cutoff(args).max(r.cutoff_ms);
        if r.oldest_ms >= cutoff_ms {
            return Some(r);
        }
        self.encode(r.slices, r.metadata, r.cutoff_ms, cutoff_ms, args.send_exemplars)
    }

    /// The compressed request of the samples in `slices` from `cutoff_ms`
    /// on, with `metadata`. Samples from `counted_ms` up to the cutoff are
    /// counted as too old; those before `counted_ms` were already.
    fn encode(&self, slices: Vec<Slice>, metadata: Vec<MetricMetadata>, counted_ms: i64, cutoff_ms: i64, send_exemplars: bool) -> Option<Request> {
        let mut builder = RequestBuilder::default();
        let (mut samples, mut exemplars, mut too_old, mut oldest_ms) = (0u64, 0u64, 0u64, i64::MAX);
        for slice in &slices {
            for s in slice.batch.series.get(slice.range.clone()).unwrap_or_default() {
                if s.timestamp_ms < cutoff_ms {
                    too_old += u64::from(s.timestamp_ms >= counted_ms);
                    continue;
                }
                builder.series(s, send_exemplars);
                samples += 1;
                oldest_ms = oldest_ms.min(s.timestamp_ms);
                if send_exemplars {
                    exemplars += u64::from(s.exemplar_count);
                }
            }
        }
        self.counts().too_old.add(too_old);
        for m in &metadata {
            builder.metadata(m);
        }
        if builder.is_empty() {
            return None;
        }
        let raw = builder.finish();
        let mut request = Request { body: Bytes::new(), samples, exemplars, metadata, slices, cutoff_ms, oldest_ms };
        match snap::raw::Encoder::new().compress_vec(&raw) {
            Ok(body) => {
                request.body = Bytes::from(body);
                Some(request)
            }
            Err(e) => {
                self.gave_up(&request, &format!("cannot compress the request: {e}"));
                None
            }
        }
    }

    /// Sends one request until it succeeds, fails for good, or shutdown
    /// runs out of time. Each attempt uses the client current at that
    /// moment, so fixing an endpoint's arguments rescues a failing request.
    async fn deliver(&self, request: Option<Request>, shutdown: &CancellationToken) -> Delivery {
        let Some(mut request) = request else { return Delivery::Done };
        crate::fault::point("prometheus.remote_write.send");
        let mut backoff: Option<Backoff> = None;
        loop {
            if backoff.is_some() {
                match self.refresh(request) {
                    Some(r) => request = r,
                    None => return Delivery::Done,
                }
            }
            let settings = self.settings();
            let attempt = settings.client.store(request.body.clone());
            tokio::pin!(attempt);
            let started = match self.flush_deadline.get() {
                Some(_) => None,
                None => tokio::select! {
                    result = &mut attempt => Some(result),
                    // Shutdown starts the flush; this attempt is part of it.
                    _ = shutdown.cancelled() => None,
                },
            };
            let result = match started {
                Some(result) => result,
                None => {
                    let deadline = *self.flush_deadline.get_or_init(|| Instant::now() + FLUSH_TIMEOUT);
                    match tokio::time::timeout_at(deadline, attempt).await {
                        Ok(result) => result,
                        Err(_) => return Delivery::Interrupted,
                    }
                }
            };
            let err = match result {
                Ok(()) => {
                    self.sent(&request);
                    return Delivery::Done;
                }
                Err(e) if !e.retryable => {
                    self.gave_up(&request, &e.message);
                    return Delivery::Done;
                }
                Err(e) => e,
            };
            let queue = &settings.args.queue_config;
            let wait = backoff.get_or_insert_with(|| Backoff::new(&doubling(queue.min_backoff, queue.max_backoff))).next_delay();
            let until = Instant::now() + wait.max(err.retry_after.unwrap_or_default());
            if self.flush_deadline.get().is_some_and(|d| until >= *d) {
                self.record_error(format!("{}; not sent before shutdown, kept in the WAL", err.message));
                return Delivery::Interrupted;
            }
            self.counts().retried.add(request.samples);
            self.retries.fetch_add(1, Ordering::Relaxed);
            let shown = Duration(StdDuration::from_millis((until - Instant::now()).as_millis() as u64));
            self.record_error(format!("{}; retrying in {shown}", err.message));
            tracing::info!(component = %self.metrics.component_id(), endpoint = %self.name, error = %err, "remote write failed; retrying in {shown}");
            if self.flush_deadline.get().is_some() {
                tokio::time::sleep_until(until).await;
                continue;
            }
            tokio::select! {
                _ = tokio::time::sleep_until(until) => {}
                // Shutdown starts the flush: the next attempt is now.
                _ = shutdown.cancelled() => {
                    self.flush_deadline.get_or_init(|| Instant::now() + FLUSH_TIMEOUT);
                }
                _ = self.removed.cancelled() => {
                    self.counts().removed.add(request.samples);
                    return Delivery::Done;
                }
            }
        }
    }

    fn sent(&self, r: &Request) {
        let c = self.counts();
        c.samples.add(r.samples);
        c.exemplars.add(r.exemplars);
        c.metadata.add(r.metadata.len() as u64);
        c.bytes.add(r.body.len() as u64);
        if self.failing.swap(false, Ordering::Relaxed) {
            tracing::info!(component = %self.metrics.component_id(), endpoint = %self.name, "remote write recovered");
        }
    }

    /// A request that will not be retried: counted as failed and logged.
    fn gave_up(&self, r: &Request, error: &str) {
        let c = self.counts();
        c.failed.add(r.samples);
        c.exemplars_failed.add(r.exemplars);
        c.metadata_failed.add(r.metadata.len() as u64);
        let message = format!("{error}; dropped {} samples", r.samples);
        tracing::error!(component = %self.metrics.component_id(), endpoint = %self.name, "remote write failed: {message}");
        self.record_error(message);
    }

    fn record_error(&self, message: String) {
        *lock(&self.last_error) = Some(message);
        self.failing.store(true, Ordering::Relaxed);
    }

    pub fn debug_info(&self) -> Value {
        let uint = |n: u64| Value::Number(Number::Uint(n));
        let (depth, _) = self.queue.depth();
        let c = self.counts();
        let position = self.queue.low_water();
        let last_error = lock(&self.last_error).clone().map_or(Value::Null, Value::from);
        Value::object([
            ("name", Value::from(self.name.as_str())),
            ("url", Value::from(redacted(&self.settings().args.url))),
            ("queue_samples", uint(depth as u64)),
            ("queue_capacity", uint(self.queue.capacity() as u64)),
            ("samples_sent", uint(c.samples.get())),
            ("samples_failed", uint(c.failed.get())),
            ("samples_dropped", uint(c.too_old.get() + c.removed.get() + c.expired.get() + c.unreadable.get())),
            ("samples_too_old", uint(c.too_old.get())),
            ("samples_wal_expired", uint(c.expired.get())),
            ("samples_replayed", uint(c.replayed.get())),
            ("wal_position", uint(position.seq)),
            ("wal_position_offset", uint(u64::from(position.offset))),
            ("samples_unsent", uint(self.unsent())),
            ("samples_retried", uint(c.retried.get())),
            ("exemplars_sent", uint(c.exemplars.get())),
            ("metadata_sent", uint(c.metadata.get())),
            ("retries", uint(self.retries.load(Ordering::Relaxed))),
            ("last_error", last_error),
        ])
    }
}

/// Samples older than this (unix ms) are past `sample_age_limit`;
/// `i64::MIN` when there is no limit.
fn age_cutoff(args: &EndpointArgs) -> i64 {
    let limit = args.queue_config.sample_age_limit.0;
    if limit.is_zero() {
        return i64::MIN;
    }
    unix_ms().saturating_sub(i64::try_from(limit.as_millis()).unwrap_or(i64::MAX))
}

/// Prometheus' backoff: doubling from `min` to `max`, without jitter.
fn doubling(min: Duration, max: Duration) -> RetryOnFailure {
    RetryOnFailure { initial_interval: min, randomization_factor: 0.0, multiplier: 2.0, max_interval: max, ..RetryOnFailure::default() }
}

/// The URL as logs and metrics show it: a password becomes `xxxxx`, as
/// Prometheus redacts it.
fn redacted(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("xxxxx"));
            u.to_string()
        }
        _ => url.to_string(),
    }
}

pub fn unix_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
