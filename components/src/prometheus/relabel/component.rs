//! `prometheus.relabel`: rewrites the labels of every series forwarded to
//! its `receiver` with `rule` blocks and forwards what is kept.
//!
//! A series is relabelled with its family's name as `__name__`. A series
//! whose `__name__` a rule changes moves to the family of that name,
//! taking its metadata along if no family of that name came first; one
//! left without a valid metric name, or with an invalid label name, is
//! dropped, as a Prometheus scrape refuses it. Histograms and summaries
//! are relabelled once per series under their base name, so `le` and
//! `quantile` are not among the labels rules see.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde::Deserialize;
use solder_syntax::value::{Capsule, Number};
use solder_syntax::Value;
use tokio_util::sync::CancellationToken;

use super::apply::Labels;
use super::cache::Cache;
use super::rule::{is_label_name, is_metric_name, RuleArgs, Rules};
use crate::component::{self, ArgumentError, Component, Health, HealthCell, HealthState, Options, Registration, RunFuture, Signals, Stability, Telemetry};
use crate::prometheus::{Batch, Family, ReceiverHandle, SampleReceiver, SampleValue, Series};
use crate::selfmetrics::{Counter, Gauge};
use crate::sync::lock;
use crate::types::Handle;

pub const REGISTRATION: Registration = Registration::of::<PrometheusRelabel>(
    "prometheus.relabel",
    Stability::GenerallyAvailable,
    Signals { takes: &[Telemetry::Samples], gives: &[Telemetry::Samples] },
);

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Arguments {
    /// Receivers the relabelled samples go to. Required.
    pub forward_to: Vec<Handle<ReceiverHandle>>,
    /// How many input label sets the cache remembers. Default 100000.
    #[serde(default = "default_max_cache_size")]
    pub max_cache_size: i64,
    /// The rules, applied in the order written.
    #[serde(default)]
    pub rule: Vec<RuleArgs>,
}

fn default_max_cache_size() -> i64 {
    100_000
}

impl component::Arguments for Arguments {
    fn validate(&self) -> Result<(), ArgumentError> {
        if self.max_cache_size <= 0 {
            return Err(ArgumentError::new("max_cache_size", format!("max_cache_size must be greater than 0 and is {}", self.max_cache_size)));
        }
        Rules::compile(&self.rule).map(|_| ())
    }
}

/// `receiver` takes samples; `rules` holds the compiled rules, for
/// components that take a `RelabelRules` argument.
#[derive(Clone)]
pub struct Exports {
    pub receiver: Capsule,
    pub rules: Capsule,
}

impl component::Exports for Exports {
    const NAMES: &'static [&'static str] = &["receiver", "rules"];

    fn to_value(&self) -> Value {
        Value::object([("receiver", Value::Capsule(self.receiver.clone())), ("rules", Value::Capsule(self.rules.clone()))])
    }
}

pub struct PrometheusRelabel {
    shared: Arc<Shared>,
    receiver: Capsule,
    on_exports_changed: Arc<dyn Fn() + Send + Sync>,
}

/// What an update swaps at once.
struct Config {
    rules: Arc<Rules>,
    rules_capsule: Capsule,
    forward_to: Vec<ReceiverHandle>,
}

struct Shared {
    id: String,
    config: Mutex<Config>,
    cache: Mutex<Cache>,
    health: HealthCell,
    exited: AtomicBool,
    processed: Counter,
    written: Counter,
    cache_hits: Counter,
    cache_misses: Counter,
    cache_size: Gauge,
    /// Series a rule left without a valid metric name, or with an
    /// invalid label name (`labelmap` can make one).
    invalid: AtomicU64,
}

impl Config {
    fn new(args: &Arguments) -> Result<Config, ArgumentError> {
        let rules = Arc::new(Rules::compile(&args.rule)?);
        Ok(Config { rules_capsule: rules.capsule(), rules, forward_to: args.forward_to.iter().filter_map(|h| h.get().cloned()).collect() })
    }
}

impl Component for PrometheusRelabel {
    type Arguments = Arguments;
    type Exports = Exports;

    fn build(opts: Options, args: Arguments) -> Result<PrometheusRelabel, ArgumentError> {
        let m = &opts.metrics;
        let shared = Arc::new(Shared {
            id: opts.id.clone(),
            config: Mutex::new(Config::new(&args)?),
            cache: Mutex::new(Cache::new(cache_size(&args))),
            health: HealthCell::default(),
            exited: AtomicBool::new(false),
            processed: m.counter("prometheus_relabel_metrics_processed_total", "Total number of metrics processed", &[]),
            written: m.counter("prometheus_relabel_metrics_written_total", "Total number of metrics written", &[]),
            cache_hits: m.counter("prometheus_relabel_cache_hits_total", "Total number of cache hits", &[]),
            cache_misses: m.counter("prometheus_relabel_cache_misses_total", "Total number of cache misses", &[]),
            cache_size: m.gauge("prometheus_relabel_cache_size", "Total size of relabel cache", &[]),
            invalid: AtomicU64::new(0),
        });
        let receiver = ReceiverHandle::new(Receiver(Arc::clone(&shared))).capsule();
        Ok(PrometheusRelabel { shared, receiver, on_exports_changed: opts.on_exports_changed })
    }

    fn run(self: Arc<Self>, shutdown: CancellationToken) -> RunFuture {
        Box::pin(async move {
            self.shared.exited.store(false, Ordering::Relaxed);
            self.shared.health.set(HealthState::Healthy, "relabelling");
            shutdown.cancelled().await;
            self.shared.exited.store(true, Ordering::Relaxed);
            self.shared.health.set(HealthState::Exited, "stopped");
        })
    }

    /// New rules and receivers apply to the next batch; the cache starts
    /// empty, since what it holds was made by the old rules.
    fn update(&self, args: Arguments) -> Result<(), ArgumentError> {
        let config = Config::new(&args)?;
        *lock(&self.shared.cache) = Cache::new(cache_size(&args));
        self.shared.cache_size.set(0);
        *lock(&self.shared.config) = config;
        (self.on_exports_changed)();
        Ok(())
    }

    fn exports(&self) -> Exports {
        Exports { receiver: self.receiver.clone(), rules: lock(&self.shared.config).rules_capsule.clone() }
    }

    fn health(&self) -> Health {
        self.shared.health.get()
    }

    fn debug_info(&self) -> Value {
        let n = |v: u64| Value::Number(Number::Uint(v));
        Value::object([
            ("series_processed", n(self.shared.processed.get())),
            ("series_written", n(self.shared.written.get())),
            ("series_invalid", n(self.shared.invalid.load(Ordering::Relaxed))),
            ("cache_size", n(lock(&self.shared.cache).len() as u64)),
        ])
    }
}

fn cache_size(args: &Arguments) -> usize {
    usize::try_from(args.max_cache_size).unwrap_or(1)
}

/// What the `receiver` capsule holds.
struct Receiver(Arc<Shared>);

impl SampleReceiver for Receiver {
    fn append(&self, batch: Arc<Batch>) -> Result<(), String> {
        self.0.append(batch)
    }
}

impl Shared {
    /// Relabels a batch and hands what is kept to every receiver; a
    /// receiver's refusal is reported after all have been tried.
    fn append(&self, batch: Arc<Batch>) -> Result<(), String> {
        if self.exited.load(Ordering::Relaxed) {
            return Err(format!("{} has exited", self.id));
        }
        let (rules, receivers) = {
            let c = lock(&self.config);
            (Arc::clone(&c.rules), c.forward_to.clone())
        };
        self.processed.add(batch.series_count() as u64);
        let out = if rules.is_empty() { batch } else { Arc::new(self.relabel(&rules, &batch)) };
        self.written.add(out.series_count() as u64);
        if out.families.is_empty() {
            return Ok(());
        }
        let errors: Vec<String> = receivers.iter().filter_map(|r| r.0.append(Arc::clone(&out)).err()).collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(format!("{}: {}", self.id, errors.join("; ")))
        }
    }

    fn relabel(&self, rules: &Rules, batch: &Batch) -> Batch {
        let mut out = Batch { families: Vec::new(), discovered: batch.discovered.clone() };
        let mut by_name: std::collections::HashMap<String, usize> = Default::default();
        let mut cache = lock(&self.cache);
        for family in &batch.families {
            for series in &family.series {
                let input = with_name(&series.labels, &family.name);
                let outcome = match cache.get(&input) {
                    Some(hit) => {
                        self.cache_hits.add(1);
                        hit
                    }
                    None => {
                        self.cache_misses.add(1);
                        let mut labels = input.clone();
                        let kept = rules.apply(&mut labels) && !labels.is_empty();
                        let outcome = kept.then_some(labels);
                        if !is_stale(&series.value) {
                            cache.insert(input.clone(), outcome.clone());
                        }
                        outcome
                    }
                };
                // A stale marker ends its series: the entry is not needed
                // again, though the marker itself goes through.
                if is_stale(&series.value) {
                    cache.remove(&input);
                }
                let Some(mut labels) = outcome else { continue };
                let name = take_name(&mut labels).filter(|n| is_metric_name(n));
                let Some(name) = name.filter(|_| labels.iter().all(|(n, _)| is_label_name(n))) else {
                    self.invalid.fetch_add(1, Ordering::Relaxed);
                    continue;
                };
                let at = *by_name.entry(name.clone()).or_insert_with(|| {
                    out.families.push(Family { name, metadata: family.metadata.clone(), series: Vec::new() });
                    out.families.len() - 1
                });
                out.families[at].series.push(Series {
                    labels,
                    value: series.value.clone(),
                    timestamp_ms: series.timestamp_ms,
                    exemplars: series.exemplars.clone(),
                });
            }
        }
        self.cache_size.set(cache.len() as i64);
        out
    }
}

/// A series' labels with `__name__` added in its sorted place.
fn with_name(labels: &[(String, String)], name: &str) -> Labels {
    let mut out = Vec::with_capacity(labels.len() + 1);
    let at = labels.partition_point(|(n, _)| n.as_str() < "__name__");
    out.extend_from_slice(&labels[..at]);
    out.push(("__name__".to_string(), name.to_string()));
    out.extend_from_slice(&labels[at..]);
    out
}

fn take_name(labels: &mut Labels) -> Option<String> {
    let at = labels.iter().position(|(n, _)| n == "__name__")?;
    Some(labels.remove(at).1)
}

/// Prometheus's staleness marker.
fn is_stale(value: &SampleValue) -> bool {
    matches!(value, SampleValue::Number(v) if crate::prometheus::is_stale(*v))
}
