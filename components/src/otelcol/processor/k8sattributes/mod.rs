//! `otelcol.processor.k8sattributes`: says which pod telemetry came from.
//!
//! A pod informer (list, then watch) keeps a slim cache of the pods the
//! agent may receive from, indexed by IP and UID; with `filter { node }`
//! only the pods of its own node, as a DaemonSet agent wants. Each
//! resource passing through is matched to a pod by the `pod_association`
//! rules (a `k8s.pod.ip` or `k8s.pod.uid` attribute, or the IP of the
//! connection that sent it) and gets the pod's metadata, labels and
//! annotations as resource attributes it does not already have.
//!
//! The connection's IP is only known before batching mixes payloads from
//! many senders, so this processor goes right after the receiver.

mod args;
#[cfg(test)]
mod component_tests;
mod enrich;
mod extract;
mod lookup;
mod rules;
#[cfg(test)]
mod tests;

use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use solder_syntax::value::Number;
use solder_syntax::Value;
use tokio::sync::{watch, Notify};
use tokio_util::sync::CancellationToken;

pub use args::Arguments;
pub use enrich::{enrich, Outcome};
pub use extract::split_image;
pub use lookup::{Fixed, Lookup};
pub use rules::Rules;

use crate::component::{ArgumentError, ComponentMetrics};
use crate::component::{Component, Health, HealthCell, HealthState, InputExports, Options, Registration, RunFuture, Signals, Stability, Telemetry};
use crate::consumer::{ConsumeFuture, Consumer, ConsumerHandle, Fanout};
use crate::kubernetes::{client, idle};
use crate::otelcol::output::Output;
use crate::otlp::encoded::Request;
use crate::otlp::{Encoded, Logs, Metrics, Signal, Traces};
use crate::selfmetrics::{Counter, Gauge};
use crate::sync::lock;
use lookup::Informers;

const ALL: &[Telemetry] = &[Telemetry::Traces, Telemetry::Metrics, Telemetry::Logs];

pub const REGISTRATION: Registration =
    Registration::of::<K8sAttributes>("otelcol.processor.k8sattributes", Stability::GenerallyAvailable, Signals { takes: ALL, gives: ALL });

/// How often health follows the informers, and how long a failed client
/// construction waits before it is tried again.
const POLL: Duration = Duration::from_millis(250);
const CLIENT_RETRY: Duration = Duration::from_secs(5);

pub struct K8sAttributes {
    shared: Arc<Shared>,
    exports: InputExports,
    health: HealthCell,
}

struct Shared {
    args: Mutex<Arguments>,
    rules: Mutex<Arc<Rules>>,
    outputs: Mutex<Arc<[Fanout; 3]>>,
    /// The running informers; `None` before they start and in passthrough.
    lookup: RwLock<Option<Arc<Informers>>>,
    /// An update changed what the informers watch.
    restart: Notify,
    /// Whether data may be processed: at once, or with
    /// `wait_for_metadata` once the pods are listed (or the wait timed out).
    ready: watch::Sender<bool>,
    metrics: Meters,
}

struct Meters {
    scope: ComponentMetrics,
    misses: Counter,
    table: Gauge,
}

impl Component for K8sAttributes {
    type Arguments = Arguments;
    type Exports = InputExports;

    fn build(opts: Options, args: Arguments) -> Result<K8sAttributes, ArgumentError> {
        let rules = Arc::new(Rules::compile(&args)?);
        let (ready, _) = watch::channel(!args.wait_for_metadata || args.passthrough);
        let metrics = Meters {
            misses: opts.metrics.counter("otelcol_otelsvc_k8s_ip_lookup_miss_total", "Resources whose pod identifier matched no cached pod", &[]),
            table: opts.metrics.gauge("otelcol_otelsvc_k8s_pod_table_size", "Pods in the processor's cache", &[]),
            scope: opts.metrics,
        };
        let shared = Arc::new(Shared {
            outputs: Mutex::new(fanouts(&args.output)),
            rules: Mutex::new(rules),
            args: Mutex::new(args),
            lookup: RwLock::new(None),
            restart: Notify::new(),
            ready,
            metrics,
        });
        let input = ConsumerHandle::new(Input(Arc::clone(&shared))).capsule();
        Ok(K8sAttributes { shared, exports: InputExports { input }, health: HealthCell::default() })
    }

    fn run(self: Arc<Self>, shutdown: CancellationToken) -> RunFuture {
        Box::pin(async move {
            while !shutdown.is_cancelled() {
                self.run_informers(&shutdown).await;
            }
            self.health.set(HealthState::Exited, "stopped");
        })
    }

    fn update(&self, args: Arguments) -> Result<(), ArgumentError> {
        let rules = Rules::compile(&args)?;
        let restart = {
            let old = lock(&self.shared.args);
            let old_rules = lock(&self.shared.rules);
            old.connection() != args.connection() || old_rules.needs() != rules.needs() || old_rules.pod_key_rules() != rules.pod_key_rules()
        };
        *lock(&self.shared.rules) = Arc::new(rules);
        *lock(&self.shared.outputs) = fanouts(&args.output);
        *lock(&self.shared.args) = args;
        if restart {
            self.shared.restart.notify_one();
        }
        Ok(())
    }

    fn exports(&self) -> InputExports {
        self.exports.clone()
    }

    fn health(&self) -> Health {
        self.health.get()
    }

    fn debug_info(&self) -> Value {
        let Some(informers) = self.shared.informers() else {
            return Value::object([("passthrough", Value::Bool(lock(&self.shared.args).passthrough))]);
        };
        let pods = informers.pods.with_cache(|c| c.len());
        let health = informers.health().into_iter().map(|(name, h)| (name.to_string(), h.debug_value())).collect();
        Value::object([
            ("pods", Value::Number(Number::Uint(pods as u64))),
            ("informers", Value::Object(health)),
            ("ip_lookup_misses", Value::Number(Number::Uint(self.shared.metrics.misses.get()))),
        ])
    }
}

impl Shared {
    fn informers(&self) -> Option<Arc<Informers>> {
        self.lookup.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn set_informers(&self, informers: Option<Arc<Informers>>) {
        *self.lookup.write().unwrap_or_else(|p| p.into_inner()) = informers;
    }
}

impl K8sAttributes {
    /// Runs one generation of informers, until shutdown or an update that
    /// changes what they watch.
    async fn run_informers(&self, shutdown: &CancellationToken) {
        let shared = &self.shared;
        let args = lock(&shared.args).clone();
        let rules = Arc::clone(&lock(&shared.rules));
        shared.set_informers(None);
        if args.passthrough {
            shared.ready.send_replace(true);
            self.health.set(HealthState::Healthy, "passthrough: adding k8s.pod.ip only, without calling the Kubernetes API");
            idle(shutdown, &self.shared.restart, None).await;
            return;
        }
        let started = tokio::time::Instant::now();
        let wait = args.wait_for_metadata.then_some(args.wait_for_metadata_timeout.0);
        let auth = match args.auth() {
            Ok(a) => a,
            Err(e) => {
                self.health.set(HealthState::Unhealthy, e.message);
                idle(shutdown, &self.shared.restart, None).await;
                return;
            }
        };
        let client = match client(&auth).await {
            Ok(c) => c,
            Err(e) => {
                self.health.set(HealthState::Unhealthy, format!("cannot reach the Kubernetes API: {e}"));
                if wait.is_some_and(|w| started.elapsed() >= w) {
                    shared.ready.send_replace(true);
                }
                idle(shutdown, &self.shared.restart, Some(CLIENT_RETRY)).await;
                return;
            }
        };
        let generation = shutdown.child_token();
        let informers = Arc::new(Informers::start(client, &args.filter, &rules, args.pod_delete_grace_period.0, &shared.metrics.scope, &generation));
        shared.set_informers(Some(Arc::clone(&informers)));
        loop {
            self.follow(&informers, &args, started, wait);
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = shared.restart.notified() => break,
                _ = tokio::time::sleep(POLL) => {}
            }
        }
        generation.cancel();
    }

    /// Health from the informers' state; readiness for `wait_for_metadata`.
    fn follow(&self, informers: &Informers, args: &Arguments, started: tokio::time::Instant, wait: Option<Duration>) {
        let states = informers.health();
        let synced = states.iter().all(|(_, h)| h.synced);
        let pods = informers.pods.with_cache(|c| c.len());
        self.shared.metrics.table.set(pods as i64);
        let timed_out = wait.is_some_and(|w| started.elapsed() >= w);
        if synced || timed_out {
            self.shared.ready.send_replace(true);
        }
        let scope = if args.filter.node.is_empty() { "in the cluster".to_string() } else { format!("on node {}", args.filter.node) };
        if let Some((name, h)) = states.iter().find(|(_, h)| h.failing) {
            let err = h.last_error.clone().unwrap_or_default();
            self.health.set(HealthState::Unhealthy, format!("the {name} watch is failing: {err}; {pods} pods cached {scope}"));
        } else if !synced {
            let waiting = states.iter().filter(|(_, h)| !h.synced).map(|(n, _)| *n).collect::<Vec<_>>().join(", ");
            let late = if timed_out { "; wait_for_metadata_timeout passed, so data goes on without enrichment" } else { "" };
            self.health.set(HealthState::Unhealthy, format!("waiting for the first list of {waiting}{late}"));
        } else {
            self.health.set(HealthState::Healthy, format!("{pods} pods cached {scope}"));
        }
    }
}

/// What the `input` capsule holds.
struct Input(Arc<Shared>);

impl Input {
    fn process<M: Request>(&self, data: Encoded<M>, slot: usize, send: fn(&Fanout, Encoded<M>) -> ConsumeFuture<'_>) -> ConsumeFuture<'_> {
        let shared = Arc::clone(&self.0);
        Box::pin(async move {
            // Only data that arrives before the first list waits; the rest
            // reads the flag without subscribing. The sender is the
            // component's own, alive as long as `shared`.
            if !*shared.ready.borrow() {
                let _ = shared.ready.subscribe().wait_for(|r| *r).await;
            }
            let rules = Arc::clone(&lock(&shared.rules));
            let outputs = Arc::clone(&lock(&shared.outputs));
            let data = match shared.informers() {
                Some(informers) => enrich_counted(&shared, &rules, informers.as_ref(), data)?,
                None if rules.passthrough => enrich_counted(&shared, &rules, &lookup::Fixed::default(), data)?,
                None => data,
            };
            send(&outputs[slot], data).await
        })
    }
}

fn enrich_counted<M: Request>(shared: &Shared, rules: &Rules, lookup: &dyn Lookup, data: Encoded<M>) -> Result<Encoded<M>, crate::consumer::ConsumeError> {
    let (data, outcome) = enrich(rules, lookup, data)?;
    if outcome.missed > 0 {
        shared.metrics.misses.add(outcome.missed);
    }
    Ok(data)
}

impl Consumer for Input {
    fn consume_traces(&self, data: Traces) -> ConsumeFuture<'_> {
        self.process(data, 0, |f, d| Box::pin(f.traces(d)))
    }

    fn consume_metrics(&self, data: Metrics) -> ConsumeFuture<'_> {
        self.process(data, 1, |f, d| Box::pin(f.metrics(d)))
    }

    fn consume_logs(&self, data: Logs) -> ConsumeFuture<'_> {
        self.process(data, 2, |f, d| Box::pin(f.logs(d)))
    }

    fn accepts(&self, _signal: Signal) -> bool {
        true
    }
}

fn fanouts(output: &Output) -> Arc<[Fanout; 3]> {
    Arc::new([Signal::Traces, Signal::Metrics, Signal::Logs].map(|s| output.fanout(s)))
}
