//! [`Balancer`]: the ring, one sub-exporter per backend, and what happens
//! to data when the backend set changes.
//!
//! Each backend is a [`Forwarder`] over gRPC with its own queue and
//! retries. When the resolver reports a new set:
//! - the new ring is built, and forwarders are made for new endpoints;
//! - the table (ring and forwarders) is swapped: data split from then on
//!   goes to the new owners;
//! - every removed backend is retired: its queue, anything still given to
//!   it, and each request in flight whose attempt fails come back here,
//!   are split again against the current ring, and are queued for their
//!   new owners (counted in `otelcol_loadbalancer_rerouted_*`). A request
//!   whose attempt succeeds counts as sent to the removed backend.
//!
//! A backend that is only unreachable stays in the ring: it keeps its keys
//! and its queue, and its forwarder retries as any exporter does.
//!
//! Before the first resolution, data waits up to [`FIRST_RESOLUTION_WAIT`]
//! for it, then is refused with a retryable error, as when the resolver
//! found no backend.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use solder_syntax::value::Number;
use solder_syntax::Value;
use tokio::sync::{mpsc, watch, Notify};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::resolver::{Endpoints, Resolver};
use super::ring::Ring;
use super::route::{Part, RouteError, Routed, RoutingKey, Splitter};
use super::OtlpArgs;
use crate::component::{ArgumentError, Health, HealthState};
use crate::consumer::ConsumeError;
use crate::otelcol::exporter::otlp::GrpcTransport;
use crate::otelcol::exporter::sending::{Forwarder, Payload};
use crate::otlp::{Logs, Metrics, Signal, Traces};
use crate::selfmetrics::{ComponentMetrics, Counter, Histogram};
use crate::sync::lock;

/// The `endpoint` label a departed backend's counters are added to, so
/// that the component's sent and dropped totals stay whole across ring
/// changes while departed backends leave no series behind.
pub const REMOVED_ENDPOINT: &str = "removed";

/// How long data waits for the resolver's first answer before it is
/// refused (retryably). The static resolver answers at once; DNS and
/// Kubernetes within their timeouts.
pub const FIRST_RESOLUTION_WAIT: StdDuration = StdDuration::from_secs(5);

/// How long re-routing waits before trying again to queue handed-back data
/// that a new owner refused (its queue full).
const REROUTE_RETRY: StdDuration = StdDuration::from_millis(100);

/// One backend: its endpoint as the resolver spells it (the ring key) and
/// its sub-exporter.
pub struct Backend {
    pub endpoint: String,
    pub forwarder: Arc<Forwarder<GrpcTransport>>,
    stop: CancellationToken,
    task: Mutex<Option<JoinHandle<()>>>,
}

/// The ring and its backends, by ring index. Swapped whole on a change.
pub struct Table {
    pub ring: Ring,
    pub backends: Vec<Arc<Backend>>,
}

/// Items counted per signal.
struct PerSignal([Counter; 3]);

impl PerSignal {
    fn new(metrics: &ComponentMetrics, names: [&'static str; 3], help: &'static str) -> PerSignal {
        PerSignal(names.map(|n| metrics.counter(n, help, &[])))
    }

    fn add(&self, signal: Signal, n: usize) {
        self.0[index(signal)].add(n as u64);
    }

    fn value(&self) -> Value {
        Value::object([Signal::Traces, Signal::Metrics, Signal::Logs].map(|s| (s.item_name(), Value::Number(Number::Uint(self.0[index(s)].get())))))
    }
}

fn index(signal: Signal) -> usize {
    match signal {
        Signal::Traces => 0,
        Signal::Metrics => 1,
        Signal::Logs => 2,
    }
}

pub struct Balancer {
    id: String,
    metrics: ComponentMetrics,
    otlp: Mutex<OtlpArgs>,
    key: AtomicU8,
    timeout: Mutex<StdDuration>,
    /// `None` until the first resolution.
    table: watch::Sender<Option<Arc<Table>>>,
    resolver: Mutex<Arc<dyn Resolver>>,
    resolver_changed: Notify,
    /// Backends removed from the ring whose forwarders are still finishing.
    retiring: Mutex<Vec<Arc<Backend>>>,
    hand_back: mpsc::UnboundedSender<Payload>,
    handed_back: Mutex<Option<mpsc::UnboundedReceiver<Payload>>>,
    rerouted: PerSignal,
    dropped: PerSignal,
    /// Endpoints the transport could not be made for (left off the ring).
    unusable: Mutex<Vec<String>>,
}

const KEYS: [RoutingKey; 5] = [RoutingKey::TraceId, RoutingKey::Service, RoutingKey::Resource, RoutingKey::Metric, RoutingKey::StreamId];

thread_local! {
    /// Each thread's splitter, so its buffers are reused.
    static SPLITTER: RefCell<Splitter> = RefCell::new(Splitter::new());
}

impl Balancer {
    pub fn new(metrics: &ComponentMetrics, resolver: Arc<dyn Resolver>, key: RoutingKey, timeout: StdDuration, otlp: OtlpArgs) -> Balancer {
        let (hand_back, handed_back) = mpsc::unbounded_channel();
        Balancer {
            id: metrics.component_id().to_string(),
            metrics: metrics.clone(),
            otlp: Mutex::new(otlp),
            key: AtomicU8::new(KEYS.iter().position(|k| *k == key).unwrap_or(0) as u8),
            timeout: Mutex::new(timeout),
            table: watch::channel(None).0,
            resolver: Mutex::new(resolver),
            resolver_changed: Notify::new(),
            retiring: Mutex::new(Vec::new()),
            hand_back,
            handed_back: Mutex::new(Some(handed_back)),
            rerouted: PerSignal::new(
                metrics,
                [
                    "otelcol_loadbalancer_rerouted_spans_total",
                    "otelcol_loadbalancer_rerouted_metric_points_total",
                    "otelcol_loadbalancer_rerouted_log_records_total",
                ],
                "Items a removed backend gave back (queued, or in flight and failed) that were queued for their new owner.",
            ),
            dropped: PerSignal::new(
                metrics,
                [
                    "otelcol_loadbalancer_dropped_spans_total",
                    "otelcol_loadbalancer_dropped_metric_points_total",
                    "otelcol_loadbalancer_dropped_log_records_total",
                ],
                "Items given back by a removed backend that could not be queued for a new owner before shutdown.",
            ),
            unusable: Mutex::new(Vec::new()),
        }
    }

    pub fn metrics(&self) -> &ComponentMetrics {
        &self.metrics
    }

    pub fn routing_key(&self) -> RoutingKey {
        KEYS[usize::from(self.key.load(Ordering::Relaxed)).min(KEYS.len() - 1)]
    }

    pub fn set_routing(&self, key: RoutingKey, timeout: StdDuration) {
        self.key.store(KEYS.iter().position(|k| *k == key).unwrap_or(0) as u8, Ordering::Relaxed);
        *lock(&self.timeout) = timeout;
    }

    /// Uses `resolver` from now on; the current ring stays until it answers.
    pub fn replace_resolver(&self, resolver: Arc<dyn Resolver>) {
        *lock(&self.resolver) = resolver;
        self.resolver_changed.notify_one();
    }

    /// Applies new client, queue and retry settings to every backend.
    pub fn reconfigure(&self, otlp: OtlpArgs) -> Result<(), ArgumentError> {
        let table = self.table.borrow().clone();
        let mut transports = Vec::new();
        for b in table.iter().flat_map(|t| t.backends.iter()) {
            transports.push((Arc::clone(b), otlp.transport(&b.endpoint)?));
        }
        for (b, t) in transports {
            b.forwarder.reconfigure(Some(t), otlp.queue.clone(), otlp.retry.clone());
        }
        *lock(&self.otlp) = otlp;
        Ok(())
    }

    /// Splits a request by key and queues each part with its backend.
    pub async fn consume(&self, payload: Payload) -> Result<(), ConsumeError> {
        let timeout = *lock(&self.timeout);
        if timeout.is_zero() {
            return self.route(payload).await;
        }
        match tokio::time::timeout(timeout, self.route(payload)).await {
            Ok(result) => result,
            Err(_) => Err(ConsumeError::retryable(format!("the backends did not take the data within {timeout:?}"))),
        }
    }

    async fn route(&self, payload: Payload) -> Result<(), ConsumeError> {
        let key = self.routing_key();
        let signal = payload.signal();
        if !key.routes(signal) {
            return Err(ConsumeError::permanent(RouteError::Unsupported(key, signal).to_string()));
        }
        let table = self.table_or_wait().await?;
        let parts = split(&table, key, &payload).map_err(|e| ConsumeError::permanent(e.to_string()))?;
        let mut first_error: Option<ConsumeError> = None;
        for (backend, part) in parts {
            if let Err(e) = table.backends[backend].forwarder.accept(part).await {
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// The current table; before the first resolution, waits for it.
    async fn table_or_wait(&self) -> Result<Arc<Table>, ConsumeError> {
        let mut rx = self.table.subscribe();
        let table = match tokio::time::timeout(FIRST_RESOLUTION_WAIT, rx.wait_for(Option::is_some)).await {
            Ok(Ok(t)) => t.clone(),
            _ => None,
        };
        match table {
            Some(t) if !t.backends.is_empty() => Ok(t),
            Some(_) => Err(ConsumeError::retryable("the resolver found no backends")),
            None => Err(ConsumeError::retryable(format!("the resolver has not found the backends yet ({})", self.resolver_status()))),
        }
    }

    fn resolver_status(&self) -> String {
        let r = lock(&self.resolver).clone();
        match r.error() {
            Some(e) => format!("{} resolver: {e}", r.name()),
            None => format!("{} resolver: no answer yet", r.name()),
        }
    }

    /// Runs the resolver, applies what it finds, and re-routes what removed
    /// backends give back, until shutdown.
    pub async fn run(self: Arc<Self>, shutdown: CancellationToken) {
        let handed_back = lock(&self.handed_back).take();
        let reroute_stop = CancellationToken::new();
        let rerouting = handed_back.map(|rx| tokio::spawn(Arc::clone(&self).reroute(rx, reroute_stop.clone())));
        let mut resolver_stop = CancellationToken::new();
        let mut found = self.start_resolver(&resolver_stop);
        let mut resolver_done = false;
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = self.resolver_changed.notified() => {
                    resolver_stop.cancel();
                    resolver_stop = CancellationToken::new();
                    found = self.start_resolver(&resolver_stop);
                    resolver_done = false;
                }
                changed = found.changed(), if !resolver_done => match changed {
                    Ok(()) => {
                        let endpoints = found.borrow_and_update().clone();
                        if let Some(endpoints) = endpoints {
                            self.apply(endpoints);
                        }
                    }
                    Err(_) => resolver_done = true,
                },
            }
        }
        resolver_stop.cancel();
        // Stop every backend; each flushes its queue for a few seconds.
        let mut backends: Vec<Arc<Backend>> = self.table.borrow().iter().flat_map(|t| t.backends.iter().cloned()).collect();
        backends.extend(lock(&self.retiring).drain(..));
        backends.iter().for_each(|b| b.stop.cancel());
        for b in &backends {
            let task = lock(&b.task).take();
            if let Some(task) = task {
                let _ = task.await;
            }
        }
        reroute_stop.cancel();
        if let Some(r) = rerouting {
            let _ = r.await;
        }
    }

    fn start_resolver(&self, stop: &CancellationToken) -> watch::Receiver<Option<Endpoints>> {
        let resolver = lock(&self.resolver).clone();
        let (tx, rx) = watch::channel(None);
        tokio::spawn(resolver.run(tx, stop.clone()));
        rx
    }

    /// Makes `endpoints` the ring: new backends start, removed ones retire.
    fn apply(self: &Arc<Self>, endpoints: Endpoints) {
        let old = self.table.borrow().clone();
        if old.as_ref().is_some_and(|t| t.ring.endpoints() == endpoints.as_slice()) && lock(&self.unusable).is_empty() {
            return;
        }
        let old_backends: HashMap<&str, &Arc<Backend>> = old.iter().flat_map(|t| t.backends.iter()).map(|b| (b.endpoint.as_str(), b)).collect();
        let otlp = lock(&self.otlp).clone();
        let mut usable = Vec::with_capacity(endpoints.len());
        let mut backends = Vec::with_capacity(endpoints.len());
        let mut unusable = Vec::new();
        for endpoint in endpoints {
            let backend = match old_backends.get(endpoint.as_str()) {
                Some(b) => Arc::clone(b),
                None => match self.start_backend(&endpoint, &otlp) {
                    Ok(b) => b,
                    Err(e) => {
                        tracing::error!(component = %self.id, %endpoint, error = %e, "cannot send to this backend; it is left off the ring");
                        unusable.push(endpoint);
                        continue;
                    }
                },
            };
            usable.push(endpoint);
            backends.push(backend);
        }
        *lock(&self.unusable) = unusable;
        let table = Arc::new(Table { ring: Ring::new(usable), backends });
        let removed: Vec<Arc<Backend>> =
            old.iter().flat_map(|t| t.backends.iter()).filter(|b| !table.backends.iter().any(|n| n.endpoint == b.endpoint)).cloned().collect();
        let added = table.backends.iter().filter(|b| !old_backends.contains_key(b.endpoint.as_str())).count();
        tracing::info!(component = %self.id, backends = table.backends.len(), added, removed = removed.len(), "the backend set changed");
        self.table.send_replace(Some(table));
        for b in removed {
            b.forwarder.retire(self.hand_back.clone());
            b.stop.cancel();
            lock(&self.retiring).push(Arc::clone(&b));
            let me = Arc::clone(self);
            tokio::spawn(async move {
                let task = lock(&b.task).take();
                if let Some(task) = task {
                    let _ = task.await;
                }
                lock(&me.retiring).retain(|r| !Arc::ptr_eq(r, &b));
                // Unless it came back meanwhile, with series of its own.
                let back = me.table.borrow().iter().any(|t| t.backends.iter().any(|n| n.endpoint == b.endpoint));
                if !back {
                    me.metrics.forget_labelled("endpoint", &b.endpoint, REMOVED_ENDPOINT);
                }
            });
        }
    }

    fn start_backend(&self, endpoint: &str, otlp: &OtlpArgs) -> Result<Arc<Backend>, ArgumentError> {
        let metrics = self.metrics.labelled("endpoint", endpoint);
        let forwarder = Arc::new(Forwarder::new(&metrics, otlp.transport(endpoint)?, otlp.queue.clone(), otlp.retry.clone()));
        let latency: Histogram =
            self.metrics.histogram("otelcol_loadbalancer_backend_latency", "Response latency in ms for the backends.", &[("endpoint", endpoint)]);
        let outcome = |success| {
            self.metrics.counter(
                "otelcol_loadbalancer_backend_outcome_total",
                "Number of successes and failures for each endpoint.",
                &[("endpoint", endpoint), ("success", success)],
            )
        };
        let (ok, failed) = (outcome("true"), outcome("false"));
        forwarder.observe_attempts(Box::new(move |took, success| {
            latency.observe(took.as_secs_f64() * 1000.0);
            if success { &ok } else { &failed }.add(1);
        }));
        let stop = CancellationToken::new();
        let task = tokio::spawn(Arc::clone(&forwarder).run(stop.clone()));
        Ok(Arc::new(Backend { endpoint: endpoint.to_string(), forwarder, stop, task: Mutex::new(Some(task)) }))
    }

    /// Queues what removed backends give back with the current owners,
    /// until `stop`; what is left then is counted dropped.
    async fn reroute(self: Arc<Self>, mut rx: mpsc::UnboundedReceiver<Payload>, stop: CancellationToken) {
        let mut waiting: Vec<Payload> = Vec::new();
        loop {
            tokio::select! {
                _ = stop.cancelled() => break,
                got = rx.recv() => match got {
                    Some(p) => waiting.push(p),
                    None => break,
                },
                _ = tokio::time::sleep(REROUTE_RETRY), if !waiting.is_empty() => {}
            }
            while let Ok(p) = rx.try_recv() {
                waiting.push(p);
            }
            let mut refused = Vec::new();
            for p in waiting.drain(..) {
                refused.extend(self.place(p).await);
            }
            waiting = refused;
        }
        rx.close();
        while let Ok(p) = rx.try_recv() {
            waiting.push(p);
        }
        for p in waiting {
            self.dropped.add(p.signal(), p.items());
            tracing::warn!(component = %self.id, items = p.items(), "dropped data a removed backend gave back: no backend took it before shutdown");
        }
    }

    /// Splits `p` against the current ring and queues each part; returns
    /// the parts that were refused, to try again.
    async fn place(&self, p: Payload) -> Vec<Payload> {
        let Some(table) = self.table.borrow().clone().filter(|t| !t.backends.is_empty()) else { return vec![p] };
        let parts = match split(&table, self.routing_key(), &p) {
            Ok(parts) => parts,
            // The key changed to one that does not route this signal: it
            // goes where the ring puts an empty key.
            Err(_) => vec![(table.ring.owner(b"").unwrap_or(0), p)],
        };
        let mut refused = Vec::new();
        for (backend, part) in parts {
            let b = &table.backends[backend];
            if b.forwarder.is_retired() {
                refused.push(part);
                continue;
            }
            let (signal, items) = (part.signal(), part.items());
            match b.forwarder.accept(part.clone()).await {
                Ok(()) => self.rerouted.add(signal, items),
                Err(_) => refused.push(part),
            }
        }
        refused
    }

    pub fn health(&self) -> Health {
        let resolver = lock(&self.resolver).clone();
        if let Some(e) = resolver.error() {
            return Health::new(HealthState::Unhealthy, format!("{} resolver: {e}", resolver.name()));
        }
        let Some(table) = self.table.borrow().clone() else {
            return Health::new(HealthState::Unknown, format!("waiting for the {} resolver's first answer", resolver.name()));
        };
        if table.backends.is_empty() {
            return Health::new(HealthState::Unhealthy, format!("the {} resolver found no backends", resolver.name()));
        }
        let failing: Vec<String> = table
            .backends
            .iter()
            .filter_map(|b| {
                let h = b.forwarder.health();
                (h.state == HealthState::Unhealthy).then(|| format!("{}: {}", b.endpoint, h.message))
            })
            .collect();
        let n = table.backends.len();
        match failing.len() {
            0 => Health::new(HealthState::Healthy, format!("routing by {} to {n} backends", self.routing_key().as_str())),
            f => Health::new(HealthState::Healthy, format!("routing by {} to {n} backends; {f} failing ({})", self.routing_key().as_str(), failing.join("; "))),
        }
    }

    pub fn debug_info(&self) -> Value {
        let resolver = lock(&self.resolver).clone();
        let table = self.table.borrow().clone();
        let backends = table.as_ref().map_or(Value::Null, |t| {
            let shares = t.ring.shares();
            Value::object(t.backends.iter().enumerate().map(|(i, b)| (b.endpoint.as_str(), backend_info(b, Some(shares[i]), t.ring.positions_taken()[i]))))
        });
        let retiring = lock(&self.retiring).iter().map(|b| Value::from(b.endpoint.as_str())).collect::<Vec<_>>();
        Value::object([
            ("routing_key", Value::from(self.routing_key().as_str())),
            ("resolver", Value::from(resolver.name())),
            ("resolver_error", resolver.error().map_or(Value::Null, Value::from)),
            ("backends", backends),
            ("retiring", Value::Array(retiring)),
            ("unusable", Value::Array(lock(&self.unusable).iter().map(|e| Value::from(e.as_str())).collect())),
            ("rerouted", self.rerouted.value()),
            ("dropped", self.dropped.value()),
        ])
    }
}

/// One backend's row: its share of the ring, then its forwarder's queue
/// and counts.
fn backend_info(b: &Backend, share: Option<f64>, positions: u32) -> Value {
    let mut fields = vec![
        ("ring_share".to_string(), share.map_or(Value::Null, |s| Value::from(format!("{:.2}%", s * 100.0)))),
        ("ring_positions".to_string(), Value::Number(Number::Uint(u64::from(positions)))),
        ("health".to_string(), Value::from(b.forwarder.health().message)),
    ];
    if let Value::Object(info) = b.forwarder.debug_info() {
        fields.extend(info.into_iter().filter(|(k, _)| k != "endpoint"));
    }
    Value::object(fields)
}

/// Splits a payload among the backends of `table`: (backend, part).
fn split(table: &Table, key: RoutingKey, payload: &Payload) -> Result<Vec<(usize, Payload)>, RouteError> {
    let signal = payload.signal();
    let routed = SPLITTER.with(|s| s.borrow_mut().split(signal, key, payload.bytes(), &table.ring))?;
    Ok(match routed {
        Routed::Whole(owner) => vec![(owner, payload.clone())],
        Routed::Parts(parts) => parts.into_iter().map(|part| (part.owner, rebuild(payload, part))).collect(),
    })
}

/// A part as a payload of the same signal, from the same client.
fn rebuild(whole: &Payload, part: Part) -> Payload {
    match whole {
        Payload::Traces(t) => Payload::Traces(Traces::from_validated_part(part.bytes, part.items, t.peer())),
        Payload::Metrics(m) => Payload::Metrics(Metrics::from_validated_part(part.bytes, part.items, m.peer())),
        Payload::Logs(l) => Payload::Logs(Logs::from_validated_part(part.bytes, part.items, l.peer())),
    }
}
