//! [`Endpoint`]: one endpoint's queue, its sender task, and its counts.
//!
//! The sender takes up to `max_samples_per_send` samples once that many
//! wait or the oldest has waited `batch_send_deadline`, and sends them as
//! one request, retrying recoverable failures until they succeed: the
//! queue behind it fills meanwhile, and new samples are refused rather
//! than held without bound. One request is in flight at a time, so every
//! series reaches the endpoint in order.

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
use super::queue::{Refused, SampleQueue, Slice};
use crate::otelcol::exporter::sending::forwarder::FLUSH_TIMEOUT;
use crate::otelcol::exporter::sending::retry::Backoff;
use crate::otelcol::exporter::sending::{RetryOnFailure, SendError};
use crate::selfmetrics::{ComponentMetrics, Counter, Gauge};
use crate::sync::lock;
use crate::types::Duration;

/// An endpoint's arguments and the client made from them, swapped whole
/// by an update.
pub struct Settings {
    pub args: EndpointArgs,
    pub client: RemoteClient,
}

/// One endpoint: lives from the `endpoint` block's first appearance until
/// an update removes it, keeping its queue across updates.
pub struct Endpoint {
    metrics: ComponentMetrics,
    /// `name`, or one derived from the URL.
    pub name: String,
    settings: Mutex<Arc<Settings>>,
    queue: SampleQueue,
    /// Replaced when an update changes the URL, which labels them.
    counts: Mutex<Arc<Counts>>,
    retries: AtomicU64,
    last_error: Mutex<Option<String>>,
    /// The last request failed; cleared by the next success.
    failing: AtomicBool,
    /// Refusing samples because the queue is full; logged once per episode.
    refusing: AtomicBool,
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
    /// Refused at the door: never entered `samples_in`.
    enqueue_failed: Counter,
    /// Dropped after queueing, by reason, as Prometheus labels them.
    too_old: Counter,
    removed: Counter,
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
            let help = "Samples dropped after they were queued, before being sent: too old, or queued for a removed endpoint.";
            metrics.counter("prometheus_remote_storage_samples_dropped_total", help, &[labels[0], labels[1], ("reason", reason)])
        };
        Counts {
            pending: metrics.gauge("prometheus_remote_storage_samples_pending", "Samples waiting in the queue.", &labels),
            samples_in: c("prometheus_remote_storage_samples_in_total", "Samples accepted into the queue."),
            samples: c("prometheus_remote_storage_samples_total", "Total number of samples sent to remote storage."),
            failed: c("prometheus_remote_storage_samples_failed_total", "Samples that failed to send to remote storage due to non-recoverable errors."),
            enqueue_failed: c(
                "prometheus_remote_storage_samples_enqueue_failed_total",
                "Samples refused because the endpoint's queue had no room for their batch; they never entered the queue.",
            ),
            too_old: dropped("too_old"),
            removed: dropped("endpoint_removed"),
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
    pub fn new(metrics: &ComponentMetrics, settings: Settings) -> Endpoint {
        let name = settings.args.display_name();
        Endpoint {
            metrics: metrics.clone(),
            counts: Mutex::new(Arc::new(Counts::new(metrics, &name, &settings.args.url))),
            queue: SampleQueue::new(settings.args.queue_config.capacity),
            settings: Mutex::new(Arc::new(settings)),
            name,
            retries: AtomicU64::new(0),
            last_error: Mutex::new(None),
            failing: AtomicBool::new(false),
            refusing: AtomicBool::new(false),
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

    /// Stops the sender without a flush; what is queued is dropped.
    pub fn remove(&self) {
        self.removed.cancel();
        self.counts().removed.add(self.queue.clear() as u64);
        self.pending_changed();
    }

    /// Queues a batch, or refuses it whole, never waiting.
    pub fn enqueue(&self, batch: &Arc<Converted>) -> Result<(), String> {
        let n = batch.len();
        let why = match self.queue.try_push(batch) {
            Ok(()) => {
                self.pending_changed();
                self.counts().samples_in.add(n as u64);
                self.refusing.store(false, Ordering::Relaxed);
                return Ok(());
            }
            Err(Refused::Full { free }) => format!("queue is full ({free} of {} samples free)", self.queue.capacity()),
            Err(Refused::TooLarge) => {
                format!("the batch is larger than the whole queue ({} samples), which takes it only when empty", self.queue.capacity())
            }
        };
        self.counts().enqueue_failed.add(n as u64);
        let message = format!("endpoint {}: {why}; dropped {n} samples", self.name);
        if !self.refusing.swap(true, Ordering::Relaxed) {
            tracing::warn!(component = %self.metrics.component_id(), endpoint = %self.name, "{message}");
        }
        Err(message)
    }

    /// The last error while sends fail, for the component's health.
    pub fn failure(&self) -> Option<String> {
        self.failing.load(Ordering::Relaxed).then(|| lock(&self.last_error).clone().unwrap_or_default())
    }

    /// Sends until `shutdown`, then flushes for at most [`FLUSH_TIMEOUT`].
    pub async fn run(self: Arc<Self>, shutdown: CancellationToken) {
        let mut metadata_sent: HashMap<String, Instant> = HashMap::new();
        while !shutdown.is_cancelled() && !self.removed.is_cancelled() {
            let queue = self.settings().args.queue_config.clone();
            let (depth, oldest) = self.queue.depth();
            let due = oldest.map(|t| t + queue.batch_send_deadline.0);
            let ready = depth >= queue.max_samples_per_send || (depth > 0 && due.is_some_and(|d| d <= Instant::now()));
            if ready {
                let request = self.request(self.queue.take(queue.max_samples_per_send), &mut metadata_sent);
                self.deliver(request, &shutdown).await;
                continue;
            }
            let far = Instant::now() + StdDuration::from_secs(3600);
            tokio::select! {
                _ = shutdown.cancelled() => {}
                _ = self.removed.cancelled() => {}
                _ = self.queue.pushed.notified() => {}
                _ = tokio::time::sleep_until(due.unwrap_or(far)) => {}
            }
        }
        if self.removed.is_cancelled() {
            self.counts().removed.add(self.queue.clear() as u64);
            self.pending_changed();
            return;
        }
        let deadline = *self.flush_deadline.get_or_init(|| Instant::now() + FLUSH_TIMEOUT);
        while Instant::now() < deadline && self.queue.depth().0 > 0 {
            let max = self.settings().args.queue_config.max_samples_per_send;
            let request = self.request(self.queue.take(max), &mut metadata_sent);
            self.deliver(request, &shutdown).await;
        }
        let left = self.queue.clear();
        self.pending_changed();
        if left > 0 {
            self.counts().failed.add(left as u64);
            tracing::warn!(component = %self.metrics.component_id(), endpoint = %self.name, samples = left, "dropped queued samples that could not be sent before shutdown");
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
    async fn deliver(&self, request: Option<Request>, shutdown: &CancellationToken) {
        let Some(mut request) = request else { return };
        let mut backoff: Option<Backoff> = None;
        loop {
            if backoff.is_some() {
                match self.refresh(request) {
                    Some(r) => request = r,
                    None => return,
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
                    tokio::time::timeout_at(deadline, attempt).await.unwrap_or_else(|_| Err(SendError::permanent("the flush on shutdown ran out of time")))
                }
            };
            let err = match result {
                Ok(()) => return self.sent(&request),
                Err(e) if !e.retryable => return self.gave_up(&request, &e.message),
                Err(e) => e,
            };
            let queue = &settings.args.queue_config;
            let wait = backoff.get_or_insert_with(|| Backoff::new(&doubling(queue.min_backoff, queue.max_backoff))).next_delay();
            let until = Instant::now() + wait.max(err.retry_after.unwrap_or_default());
            if self.flush_deadline.get().is_some_and(|d| until >= *d) {
                return self.gave_up(&request, &format!("{}; not sent before shutdown", err.message));
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
                    return;
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
        let last_error = lock(&self.last_error).clone().map_or(Value::Null, Value::from);
        Value::object([
            ("name", Value::from(self.name.as_str())),
            ("url", Value::from(redacted(&self.settings().args.url))),
            ("queue_samples", uint(depth as u64)),
            ("queue_capacity", uint(self.queue.capacity() as u64)),
            ("samples_sent", uint(c.samples.get())),
            ("samples_failed", uint(c.failed.get())),
            ("samples_enqueue_failed", uint(c.enqueue_failed.get())),
            ("samples_dropped", uint(c.too_old.get() + c.removed.get())),
            ("samples_too_old", uint(c.too_old.get())),
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
