//! `prometheus.expose`: keeps the latest value of every series forwarded
//! to its `receiver` and serves them on a scrape endpoint, in the
//! Prometheus text format or OpenMetrics (with exemplars), as the scraper
//! asks.
//!
//! Solder's own component: where Alloy would `remote_write`, this lets a
//! Prometheus server scrape the pipeline instead, as the Collector's
//! `prometheus` exporter does.

mod render;
mod server;
mod store;

#[cfg(test)]
mod scrape_tests;
#[cfg(test)]
mod tests;

pub use render::Format;
pub use store::Store;

use crate::sync::lock;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde::Deserialize;
use solder_syntax::value::Number;
use solder_syntax::Value;
use tokio_util::sync::CancellationToken;

use crate::component::{
    self, ArgumentError, Component, Health, HealthCell, HealthState, Options, ReceiverExports, Registration, RunFuture, Signals, Stability, Telemetry,
};
use crate::prometheus::{Batch, ReceiverHandle, SampleReceiver};
use crate::serve::{MoveError, Server};
use crate::types::Duration;

pub const REGISTRATION: Registration =
    Registration::of::<Expose>("prometheus.expose", Stability::Experimental, Signals { takes: &[Telemetry::Samples], gives: &[] });

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Arguments {
    /// `host:port` to serve scrapes on, such as `"0.0.0.0:9464"`. Required.
    pub listen_address: String,
    /// The path scrapes are served on. Default `"/metrics"`.
    #[serde(default = "default_metrics_path")]
    pub metrics_path: String,
    /// Prefix for every metric name, joined with `_`. Default none.
    #[serde(default)]
    pub namespace: String,
    /// Labels added to every series that does not have them already.
    #[serde(default)]
    pub const_labels: BTreeMap<String, String>,
    /// A series not updated for this long is no longer exposed. Default
    /// `"5m"`.
    #[serde(default = "default_metric_expiration")]
    pub metric_expiration: Duration,
}

fn default_metrics_path() -> String {
    "/metrics".into()
}

fn default_metric_expiration() -> Duration {
    Duration(std::time::Duration::from_secs(300))
}

pub struct Expose {
    shared: Arc<Shared>,
    exports: ReceiverExports,
    /// Wakes the run loop to re-check its listener against the arguments.
    changed: tokio::sync::Notify,
}

/// What the component, its receiver and its HTTP handler share.
struct Shared {
    args: Mutex<Arguments>,
    store: Mutex<Store>,
    /// The last scrape's output, reused so a scrape allocates nothing new
    /// once the output has reached its size.
    buffer: Mutex<String>,
    health: HealthCell,
    listening: Mutex<Option<std::net::SocketAddr>>,
    batches: AtomicU64,
    scrapes: AtomicU64,
}

impl component::Arguments for Arguments {
    fn validate(&self) -> Result<(), ArgumentError> {
        match self.listen_address.rsplit_once(':') {
            Some((_, port)) if port.parse::<u16>().is_ok() => {}
            _ => {
                let message = format!("invalid listen_address {:?}: expected host:port, such as \"0.0.0.0:9464\"", self.listen_address);
                return Err(ArgumentError::new("listen_address", message));
            }
        }
        if !self.metrics_path.starts_with('/') {
            return Err(ArgumentError::new("metrics_path", format!("metrics_path {:?} must start with \"/\"", self.metrics_path)));
        }
        if !self.namespace.is_empty() && !valid_name(&self.namespace, true) {
            return Err(ArgumentError::new("namespace", format!("namespace {:?} is not a valid Prometheus metric name prefix", self.namespace)));
        }
        for name in self.const_labels.keys() {
            if !valid_name(name, false) || name.starts_with("__") {
                return Err(ArgumentError::new("const_labels", format!("const_labels: {name:?} is not a valid label name")));
            }
        }
        if self.metric_expiration.0.is_zero() {
            return Err(ArgumentError::new("metric_expiration", "metric_expiration must be greater than 0"));
        }
        Ok(())
    }
}

/// `[a-zA-Z_][a-zA-Z0-9_]*`, and `:` too in metric names.
fn valid_name(s: &str, colons: bool) -> bool {
    let ok = |c: char, first: bool| c.is_ascii_alphabetic() || c == '_' || (colons && c == ':') || (!first && c.is_ascii_digit());
    let mut chars = s.chars();
    chars.next().is_some_and(|c| ok(c, true)) && chars.all(|c| ok(c, false))
}

impl Expose {
    fn new(args: Arguments) -> Expose {
        let shared = Arc::new(Shared {
            store: Mutex::new(Store::new(&args.namespace, &args.const_labels)),
            args: Mutex::new(args),
            buffer: Mutex::new(String::new()),
            health: HealthCell::default(),
            listening: Mutex::new(None),
            batches: AtomicU64::new(0),
            scrapes: AtomicU64::new(0),
        });
        let receiver = ReceiverHandle::new(Receiver(Arc::clone(&shared))).capsule();
        Expose { shared, exports: ReceiverExports { receiver }, changed: tokio::sync::Notify::new() }
    }
}

impl Component for Expose {
    type Arguments = Arguments;
    type Exports = ReceiverExports;

    fn build(_opts: Options, args: Arguments) -> Result<Expose, ArgumentError> {
        Ok(Expose::new(args))
    }

    fn run(self: Arc<Self>, shutdown: CancellationToken) -> RunFuture {
        Box::pin(async move {
            let mut current: Option<(String, Server)> = None;
            loop {
                let args = lock(&self.shared.args).clone();
                let mut failed = false;
                let serving = |addr: std::net::SocketAddr| {
                    *lock(&self.shared.listening) = Some(addr);
                    self.shared.health.set(HealthState::Healthy, format!("serving {} on {addr}", args.metrics_path));
                };
                match &mut current {
                    Some((have, _)) if *have == args.listen_address => {}
                    // Moving binds the new socket before the old one goes;
                    // one that cannot be bound leaves the old one serving.
                    Some((have, s)) => match s.move_to(&args.listen_address).await {
                        Ok(()) => {
                            serving(s.addr());
                            have.clone_from(&args.listen_address);
                        }
                        Err(MoveError { message, listening }) => {
                            if !listening {
                                *lock(&self.shared.listening) = None;
                                if let Some((_, s)) = current.take() {
                                    drop(s.close().await);
                                }
                            }
                            self.shared.health.set(HealthState::Unhealthy, message);
                            failed = true;
                        }
                    },
                    None => match server::start(&args.listen_address, Arc::clone(&self.shared)).await {
                        Ok(s) => {
                            serving(s.addr());
                            current = Some((args.listen_address.clone(), s));
                        }
                        Err(e) => {
                            *lock(&self.shared.listening) = None;
                            self.shared.health.set(HealthState::Unhealthy, e);
                            failed = true;
                        }
                    },
                }
                let sweep = args.metric_expiration.0.min(std::time::Duration::from_secs(15));
                tokio::select! {
                    _ = shutdown.cancelled() => break,
                    _ = self.changed.notified() => {}
                    _ = tokio::time::sleep(server::RETRY_INTERVAL), if failed => {}
                    _ = tokio::time::sleep(sweep) => lock(&self.shared.store).expire(Instant::now(), args.metric_expiration.0),
                }
            }
            if let Some((_, s)) = current {
                let _ = s.close().await.await;
            }
            self.shared.health.set(HealthState::Exited, "stopped");
        })
    }

    /// Keeps the socket when `listen_address` did not change, and the
    /// series always; a new namespace or constant labels re-render them.
    fn update(&self, args: Arguments) -> Result<(), ArgumentError> {
        lock(&self.shared.store).configure(&args.namespace, &args.const_labels);
        *lock(&self.shared.args) = args;
        self.changed.notify_one();
        Ok(())
    }

    fn exports(&self) -> ReceiverExports {
        self.exports.clone()
    }

    fn health(&self) -> Health {
        self.shared.health.get()
    }

    fn debug_info(&self) -> Value {
        let listening = lock(&self.shared.listening).map_or(Value::Null, |a| Value::from(a.to_string()));
        let series = lock(&self.shared.store).series_count() as u64;
        let count = |a: &AtomicU64| Value::Number(Number::Uint(a.load(Ordering::Relaxed)));
        Value::object([
            ("listening", listening),
            ("series", Value::Number(Number::Uint(series))),
            ("batches_received", count(&self.shared.batches)),
            ("scrapes", count(&self.shared.scrapes)),
        ])
    }
}

/// What the `receiver` capsule holds.
struct Receiver(Arc<Shared>);

impl SampleReceiver for Receiver {
    fn append(&self, batch: Arc<Batch>) -> Result<(), String> {
        lock(&self.0.store).append(&batch, Instant::now());
        self.0.batches.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

impl Shared {
    /// Renders the current exposition in `format`: expired series are
    /// dropped first, so a scrape never shows one.
    fn scrape(&self, format: Format) -> Vec<u8> {
        let ttl = lock(&self.args).metric_expiration.0;
        let mut buffer = lock(&self.buffer);
        {
            let mut store = lock(&self.store);
            store.expire(Instant::now(), ttl);
            store.render(format, &mut buffer);
        }
        self.scrapes.fetch_add(1, Ordering::Relaxed);
        buffer.as_bytes().to_vec()
    }
}
