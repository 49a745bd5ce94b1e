//! `prometheus.remote_write`: sends the samples forwarded to its
//! `receiver` to one or more Prometheus Remote-Write 1.0 endpoints (Mimir,
//! Prometheus, Thanos, Cortex, VictoriaMetrics).
//!
//! Each batch is converted and encoded once and written to the WAL
//! ([`wal`]) before `append` returns; every endpoint then reads it from
//! there, through a bounded queue in memory, and saves how far it has
//! sent, so that what was not sent before a crash or a stop is sent after
//! the restart.

mod client;
pub(crate) mod config;
mod convert;
mod proto;
mod queue;
mod sender;
mod wal;

#[cfg(test)]
mod prometheus_tests;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use serde::Deserialize;
use solder_syntax::Value;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

pub use config::{Authorization, BasicAuth, EndpointArgs, MetadataConfig, QueueConfig, TlsConfig, WalArgs};
pub use proto::{Exemplar, Label, MetadataType, MetricMetadata, Sample, TimeSeries, WriteRequest};

use crate::component::{
    self, ArgumentError, Component, Health, HealthCell, HealthState, Options, ReceiverExports, Registration, RunFuture, Signals, Stability, Telemetry,
};
use crate::otelcol::exporter::sending::forwarder::FLUSH_TIMEOUT;
use crate::prometheus::{Batch, ReceiverHandle, SampleReceiver};
use crate::sync::lock;
use client::RemoteClient;
use sender::{Endpoint, Settings};
use wal::Wal;

/// How long `run` waits for another holder of the WAL's directory (the
/// instance a reload replaced, letting go of it).
const WAL_LOCK_TIMEOUT: StdDuration = StdDuration::from_secs(5);

/// How often `run` tries again to open a WAL that failed to open.
const WAL_REOPEN: StdDuration = StdDuration::from_secs(5);

pub const REGISTRATION: Registration =
    Registration::of::<RemoteWrite>("prometheus.remote_write", Stability::GenerallyAvailable, Signals { takes: &[Telemetry::Samples], gives: &[] });

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Arguments {
    /// Labels added to every series that does not have them already.
    #[serde(default)]
    pub external_labels: BTreeMap<String, String>,
    /// Where to send; each `endpoint` block gets its own queue. None: the
    /// samples are accepted and discarded, as Alloy does.
    #[serde(default)]
    pub endpoint: Vec<EndpointArgs>,
    /// How long the WAL keeps samples, and how much disk it may take.
    #[serde(default)]
    pub wal: WalArgs,
}

pub struct RemoteWrite {
    shared: Arc<Shared>,
    exports: ReceiverExports,
    /// Wakes the run loop to start the senders of new endpoints.
    changed: tokio::sync::Notify,
}

/// What the component and its receiver share.
struct Shared {
    metrics: crate::selfmetrics::ComponentMetrics,
    /// Sorted by name; applied when a batch is converted.
    external_labels: Mutex<Arc<Vec<(String, String)>>>,
    endpoints: Mutex<Vec<Arc<Endpoint>>>,
    wal: Arc<Wal>,
    health: HealthCell,
    running: AtomicBool,
    /// Set when shutdown begins: new batches are refused.
    closed: AtomicBool,
}

impl component::Arguments for Arguments {
    fn validate(&self) -> Result<(), ArgumentError> {
        for name in self.external_labels.keys() {
            if !valid_label_name(name) {
                return Err(ArgumentError::new("external_labels", format!("external_labels: {name:?} is not a valid label name")));
            }
        }
        self.wal.validate().map_err(|message| ArgumentError::new("wal", message))?;
        let mut keys = BTreeSet::new();
        for (i, e) in self.endpoint.iter().enumerate() {
            e.validate().map_err(|message| ArgumentError::new(format!("endpoint[{i}]"), message))?;
            if !keys.insert(e.key()) {
                let what = if e.name.is_empty() { format!("URL {:?}", e.url) } else { format!("name {:?}", e.name) };
                return Err(ArgumentError::new(format!("endpoint[{i}]"), format!("duplicate remote write endpoint: {what} is used by more than one endpoint")));
            }
        }
        Ok(())
    }
}

/// Makes every endpoint's client; nothing is opened yet.
fn prepare(args: &Arguments) -> Result<Vec<Settings>, ArgumentError> {
    let settings = args.endpoint.iter().enumerate().map(|(i, e)| match RemoteClient::new(e) {
        Ok(client) => Ok(Settings { args: e.clone(), client }),
        Err(message) => Err(ArgumentError::new(format!("endpoint[{i}]"), message)),
    });
    settings.collect()
}

/// `[a-zA-Z_][a-zA-Z0-9_]*`, not starting with `__` (reserved).
fn valid_label_name(s: &str) -> bool {
    let mut chars = s.chars();
    let first = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    first && chars.all(|c| c.is_ascii_alphanumeric() || c == '_') && !s.starts_with("__")
}

impl Component for RemoteWrite {
    type Arguments = Arguments;
    type Exports = ReceiverExports;

    fn build(opts: Options, args: Arguments) -> Result<RemoteWrite, ArgumentError> {
        let wal = Arc::new(Wal::new(&opts.data_path, &opts.metrics, args.wal.clone()));
        let endpoints = prepare(&args)?.into_iter().map(|s| Arc::new(Endpoint::new(&opts.metrics, s, Arc::clone(&wal)))).collect();
        let shared = Arc::new(Shared {
            metrics: opts.metrics,
            external_labels: Mutex::new(Arc::new(args.external_labels.into_iter().collect())),
            endpoints: Mutex::new(endpoints),
            wal,
            health: HealthCell::default(),
            running: AtomicBool::new(false),
            closed: AtomicBool::new(false),
        });
        let receiver = ReceiverHandle::new(Receiver(Arc::clone(&shared))).capsule();
        Ok(RemoteWrite { shared, exports: ReceiverExports { receiver }, changed: tokio::sync::Notify::new() })
    }

    fn run(self: Arc<Self>, shutdown: CancellationToken) -> RunFuture {
        Box::pin(async move {
            self.shared.running.store(true, Ordering::Relaxed);
            let opening = Arc::clone(&self.shared);
            let _ = tokio::task::spawn_blocking(move || opening.open_wal(WAL_LOCK_TIMEOUT)).await;
            let mut senders = JoinSet::new();
            // By task, so that a sender that died (a panic) is started
            // again; and none is running when `run` itself starts again
            // after a panic, whatever the flags say.
            let mut running: std::collections::HashMap<tokio::task::Id, Arc<Endpoint>> = std::collections::HashMap::new();
            lock(&self.shared.endpoints).iter().for_each(|e| e.started.store(false, Ordering::Relaxed));
            let mut truncate = tokio::time::interval(self.shared.wal.args().truncate_frequency.0);
            truncate.reset();
            loop {
                for e in lock(&self.shared.endpoints).iter() {
                    if !e.started.swap(true, Ordering::Relaxed) {
                        let id = senders.spawn(Arc::clone(e).run(shutdown.clone())).id();
                        running.insert(id, Arc::clone(e));
                    }
                }
                let reopen = async {
                    match self.shared.wal.is_open() {
                        true => std::future::pending().await,
                        false => tokio::time::sleep(WAL_REOPEN).await,
                    }
                };
                tokio::select! {
                    _ = shutdown.cancelled() => break,
                    _ = self.changed.notified() => {}
                    Some(done) = senders.join_next_with_id(), if !senders.is_empty() => {
                        let id = match &done {
                            Ok((id, ())) => *id,
                            Err(e) => {
                                tracing::error!(component = %self.shared.metrics.component_id(), "a remote_write sender stopped: {e}; starting it again");
                                e.id()
                            }
                        };
                        if let Some(e) = running.remove(&id) {
                            e.started.store(false, Ordering::Relaxed);
                        }
                    }
                    _ = truncate.tick() => self.shared.truncate(false),
                    _ = self.shared.wal.filling.notified() => self.shared.truncate(true),
                    _ = reopen => {
                        let _ = self.shared.open_wal(StdDuration::ZERO);
                    }
                }
                let every = self.shared.wal.args().truncate_frequency.0;
                if truncate.period() != every {
                    truncate = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
                }
            }
            self.shared.closed.store(true, Ordering::Relaxed);
            let flushed = async { while senders.join_next().await.is_some() {} };
            if tokio::time::timeout(FLUSH_TIMEOUT + StdDuration::from_secs(1), flushed).await.is_err() {
                senders.abort_all();
            }
            self.shared.wal.close();
            self.shared.health.set(HealthState::Exited, "stopped");
        })
    }

    /// Endpoints are matched by `name` (or, unnamed, by URL): a matched
    /// endpoint keeps its queue and WAL position and takes the new
    /// settings, a new one starts at the WAL's end, and a removed one
    /// drops what it had still to send and no longer holds the WAL back.
    fn update(&self, args: Arguments) -> Result<(), ArgumentError> {
        let prepared = prepare(&args)?;
        self.shared.wal.set_args(args.wal);
        {
            let mut endpoints = lock(&self.shared.endpoints);
            let mut old: BTreeMap<String, Arc<Endpoint>> = endpoints.drain(..).map(|e| (e.key(), e)).collect();
            for settings in prepared {
                let endpoint = match old.remove(settings.args.key()) {
                    Some(kept) => {
                        kept.reconfigure(settings);
                        kept
                    }
                    None => {
                        let endpoint = Arc::new(Endpoint::new(&self.shared.metrics, settings, Arc::clone(&self.shared.wal)));
                        self.shared.wal.attach(&endpoint);
                        endpoint
                    }
                };
                endpoints.push(endpoint);
            }
            old.values().for_each(|e| e.remove());
        }
        *lock(&self.shared.external_labels) = Arc::new(args.external_labels.into_iter().collect());
        self.changed.notify_one();
        Ok(())
    }

    fn exports(&self) -> ReceiverExports {
        self.exports.clone()
    }

    /// Unhealthy, naming the endpoints and their last errors, while sends
    /// to any of them fail.
    fn health(&self) -> Health {
        let s = &self.shared;
        if s.running.load(Ordering::Relaxed) && !s.closed.load(Ordering::Relaxed) {
            let endpoints = lock(&s.endpoints);
            let wal = s.wal.failure().map(|err| format!("WAL: {err}"));
            let failures: Vec<String> =
                wal.into_iter().chain(endpoints.iter().filter_map(|e| e.failure().map(|err| format!("endpoint {}: {err}", e.name)))).collect();
            if failures.is_empty() {
                s.health.set(HealthState::Healthy, format!("sending to {} endpoint(s)", endpoints.len()));
            } else {
                s.health.set(HealthState::Unhealthy, failures.join("; "));
            }
        }
        s.health.get()
    }

    fn debug_info(&self) -> Value {
        let endpoints = lock(&self.shared.endpoints).iter().map(|e| e.debug_info()).collect::<Vec<_>>();
        Value::object([("wal", self.shared.wal.debug_info()), ("endpoints", Value::Array(endpoints))])
    }
}

impl Shared {
    /// Opens the WAL if it is not yet, placing every endpoint in it. The
    /// endpoint list is held meanwhile, so that an update cannot add one
    /// that neither the open nor [`Wal::attach`] places.
    fn open_wal(&self, lock_timeout: StdDuration) -> Result<(), String> {
        let endpoints = lock(&self.endpoints);
        self.wal.open(&endpoints, lock_timeout)
    }

    fn truncate(&self, sent_now: bool) {
        let endpoints = lock(&self.endpoints).clone();
        self.wal.truncate(&endpoints, sent_now);
    }
}

/// What the `receiver` capsule holds.
struct Receiver(Arc<Shared>);

impl SampleReceiver for Receiver {
    /// Converts the batch once and writes it to the WAL, which every
    /// endpoint reads. `Ok` means the batch is on disk; an error (the WAL
    /// full, or a failed write) means nothing of it was kept.
    fn append(&self, batch: Arc<Batch>) -> Result<(), String> {
        if self.0.closed.load(Ordering::Relaxed) {
            return Err("prometheus.remote_write is shutting down".into());
        }
        if lock(&self.0.endpoints).is_empty() || batch.series_count() == 0 {
            return Ok(());
        }
        if self.0.wal.open_due() {
            // A failure is the WAL's state now: `append` refuses with it.
            let _ = self.0.open_wal(StdDuration::ZERO);
        }
        let external = Arc::clone(&lock(&self.0.external_labels));
        let converted = Arc::new(convert::convert(&batch, &external, sender::unix_ms()));
        let payload = wal::record::encode(&converted)?;
        // Held through the write, so that an update adds or removes an
        // endpoint before this record or after it, never during.
        let endpoints = lock(&self.0.endpoints);
        self.0.wal.append(&payload, &converted, &endpoints)
    }
}
