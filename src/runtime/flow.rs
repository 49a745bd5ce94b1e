//! Data-flow accounting between components, without touching any
//! component.
//!
//! When component X's evaluated arguments hold a consumer or receiver
//! capsule exported by component Y, X sends telemetry to Y. The controller
//! swaps that capsule for a *tap*: a consumer (or receiver) that adds the
//! payload's item count to the X→Y edge, offers the payload to live
//! debugging when someone is listening, and forwards to Y's real handle.
//!
//! Taps are cached per (X, Y, Y's handle), so evaluating unchanged
//! arguments again yields the identical capsule and a reload still sees
//! "unchanged". Per payload a tap costs an atomic add and one relaxed load.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use solder_components::body::{EvalBody, Item};
use solder_components::consumer::{ConsumeFuture, Consumer, ConsumerHandle, CONSUMER_CAPSULE};
use solder_components::otlp::{Logs, Metrics, Signal, Traces};
use solder_components::prometheus::{Batch, ReceiverHandle, SampleReceiver, APPENDABLE_CAPSULE};
use solder_components::sync::lock;
use solder_syntax::value::Capsule;
use solder_syntax::Value;

use super::live::{LiveDebug, Payload};

/// What an edge carries. Each kind is counted apart, since a span and a
/// metric point are not the same unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Spans,
    MetricPoints,
    LogRecords,
    Samples,
}

impl Kind {
    pub const ALL: [Kind; 4] = [Kind::Spans, Kind::MetricPoints, Kind::LogRecords, Kind::Samples];

    /// The unit as the API and UI name it: `spans`, `metricPoints`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Spans => "spans",
            Kind::MetricPoints => "metricPoints",
            Kind::LogRecords => "logRecords",
            Kind::Samples => "samples",
        }
    }

    /// Short unit for a rate label: `spans/s`.
    pub fn unit(self) -> &'static str {
        match self {
            Kind::Spans => "spans",
            Kind::MetricPoints => "points",
            Kind::LogRecords => "logs",
            Kind::Samples => "samples",
        }
    }

    fn of(signal: Signal) -> Kind {
        match signal {
            Signal::Traces => Kind::Spans,
            Signal::Metrics => Kind::MetricPoints,
            Signal::Logs => Kind::LogRecords,
        }
    }
}

/// Running totals of one edge: items the destination took, and items it
/// refused (where telemetry stops flowing).
#[derive(Default)]
pub struct EdgeCounters {
    accepted: [AtomicU64; 4],
    refused: [AtomicU64; 4],
}

impl EdgeCounters {
    fn record(&self, kind: Kind, items: usize, ok: bool) {
        let slot = if ok { &self.accepted } else { &self.refused };
        slot[kind as usize].fetch_add(items as u64, Ordering::Relaxed);
    }

    fn totals(&self) -> Totals {
        let read = |a: &[AtomicU64; 4]| std::array::from_fn(|i| a[i].load(Ordering::Relaxed));
        Totals { accepted: read(&self.accepted), refused: read(&self.refused) }
    }
}

/// A snapshot of an edge's counters, indexed by [`Kind`].
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Totals {
    pub accepted: [u64; 4],
    pub refused: [u64; 4],
}

impl Totals {
    pub fn add(&mut self, other: &Totals) {
        for (a, b) in self.accepted.iter_mut().zip(other.accepted).chain(self.refused.iter_mut().zip(other.refused)) {
            *a += b;
        }
    }
}

/// One data-flow edge as the API shows it: totals and per-second rates
/// over the last few seconds.
#[derive(Debug, Clone, PartialEq)]
pub struct EdgeView {
    pub from: String,
    pub to: String,
    pub totals: Totals,
    /// Accepted items per second, indexed by [`Kind`].
    pub rates: [f64; 4],
}

/// Which edge a tap counts, and whose handle it wraps.
type TapKey = (String, String, usize);

/// Taps made for one plan. The controller commits them when the plan is
/// applied, so a failed reload leaves no phantom edges behind.
#[derive(Default, Clone)]
pub struct Taps {
    entries: HashMap<TapKey, (Capsule, Arc<EdgeCounters>)>,
}

/// Every edge's totals at one moment.
type Snapshot = (Instant, BTreeMap<(String, String), Totals>);

/// How far back rates look.
const RATE_WINDOW: Duration = Duration::from_secs(5);

/// The controller's flow registry: committed taps, rate history and the
/// live-debugging hub.
#[derive(Default)]
pub struct Flow {
    taps: Mutex<Taps>,
    history: Mutex<VecDeque<Snapshot>>,
    pub live: Arc<LiveDebug>,
}

impl Flow {
    /// Replaces every tap in `args` whose handle `owner` attributes to a
    /// component. Taps are looked up in the committed set, then in `next`,
    /// and only made when neither has one; `next` collects what this
    /// evaluation uses.
    pub fn tap_body(&self, from: &str, args: &mut EvalBody, owner: &dyn Fn(usize) -> Option<String>, next: &mut Taps) {
        let committed = lock(&self.taps);
        self.tap_items(from, args, owner, &committed, next);
    }

    fn tap_items(&self, from: &str, body: &mut EvalBody, owner: &dyn Fn(usize) -> Option<String>, committed: &Taps, next: &mut Taps) {
        for item in &mut body.items {
            match item {
                Item::Attribute { value, .. } => self.tap_value(from, value, owner, committed, next),
                Item::Block { body, .. } => self.tap_items(from, body, owner, committed, next),
            }
        }
    }

    fn tap_value(&self, from: &str, v: &mut Value, owner: &dyn Fn(usize) -> Option<String>, committed: &Taps, next: &mut Taps) {
        match v {
            Value::Array(items) => items.iter_mut().for_each(|i| self.tap_value(from, i, owner, committed, next)),
            Value::Object(fields) => fields.values_mut().for_each(|i| self.tap_value(from, i, owner, committed, next)),
            Value::Capsule(c) => {
                let Some((ptr, target)) = Target::of(c) else { return };
                let Some(to) = owner(ptr) else { return };
                let key = (from.to_string(), to, ptr);
                let found = committed.entries.get(&key).or_else(|| next.entries.get(&key)).cloned();
                let (capsule, counters) = found.unwrap_or_else(|| {
                    let counters = existing_counters(committed, next, &key.0, &key.1).unwrap_or_default();
                    let edge = Edge { from: key.0.as_str().into(), to: key.1.as_str().into(), counters: Arc::clone(&counters), live: Arc::clone(&self.live) };
                    (target.tap(edge), counters)
                });
                *v = Value::Capsule(capsule.clone());
                next.entries.insert(key, (capsule, counters));
            }
            _ => {}
        }
    }

    /// Makes `taps` the committed set: what the running graph uses.
    pub fn commit(&self, taps: Taps) {
        *lock(&self.taps) = taps;
    }

    /// Adds taps made while re-evaluating the running graph.
    pub fn extend(&self, taps: Taps) {
        lock(&self.taps).entries.extend(taps.entries);
    }

    fn totals(&self) -> BTreeMap<(String, String), Totals> {
        let taps = lock(&self.taps);
        let mut out: BTreeMap<(String, String), Totals> = BTreeMap::new();
        let mut seen: Vec<*const EdgeCounters> = Vec::new();
        for ((from, to, _), (_, counters)) in &taps.entries {
            let slot = out.entry((from.clone(), to.clone())).or_default();
            // Taps of one edge share counters; count each set once.
            let p = Arc::as_ptr(counters);
            if seen.contains(&p) {
                continue;
            }
            seen.push(p);
            slot.add(&counters.totals());
        }
        out
    }

    /// Records the counters for rate computation; the controller calls it
    /// every second.
    pub fn tick(&self) {
        let now = Instant::now();
        let totals = self.totals();
        let mut h = lock(&self.history);
        h.push_back((now, totals));
        while h.front().is_some_and(|(t, _)| now.duration_since(*t) > RATE_WINDOW + Duration::from_secs(1)) {
            h.pop_front();
        }
    }

    /// Every data-flow edge of the running graph with totals and rates.
    pub fn edges(&self) -> Vec<EdgeView> {
        let now = Instant::now();
        let totals = self.totals();
        let history = lock(&self.history);
        // The oldest snapshot inside the window, at least half a second old.
        let base = history.iter().find(|(t, _)| now.duration_since(*t) <= RATE_WINDOW + Duration::from_millis(500));
        let base = base.filter(|(t, _)| now.duration_since(*t) >= Duration::from_millis(500));
        totals
            .into_iter()
            .map(|((from, to), t)| {
                let rates = match base {
                    Some((at, old)) => {
                        let dt = now.duration_since(*at).as_secs_f64();
                        let before = old.get(&(from.clone(), to.clone())).copied().unwrap_or_default();
                        std::array::from_fn(|i| t.accepted[i].saturating_sub(before.accepted[i]) as f64 / dt)
                    }
                    None => [0.0; 4],
                };
                EdgeView { from, to, totals: t, rates }
            })
            .collect()
    }
}

fn existing_counters(committed: &Taps, next: &Taps, from: &str, to: &str) -> Option<Arc<EdgeCounters>> {
    committed.entries.iter().chain(next.entries.iter()).find(|((f, t, _), _)| f == from && t == to).map(|(_, (_, c))| Arc::clone(c))
}

/// The handle a capsule holds, if it is one telemetry flows through.
enum Target {
    Consumer(ConsumerHandle),
    Receiver(ReceiverHandle),
}

impl Target {
    /// The handle and the address of what it points to: the identity taps
    /// are cached by and owners are recorded under.
    fn of(c: &Capsule) -> Option<(usize, Target)> {
        match c.type_name() {
            CONSUMER_CAPSULE => c.downcast::<ConsumerHandle>().map(|h| (Arc::as_ptr(&h.0) as *const () as usize, Target::Consumer(h.clone()))),
            APPENDABLE_CAPSULE => c.downcast::<ReceiverHandle>().map(|h| (Arc::as_ptr(&h.0) as *const () as usize, Target::Receiver(h.clone()))),
            _ => None,
        }
    }

    fn tap(self, edge: Edge) -> Capsule {
        match self {
            Target::Consumer(inner) => ConsumerHandle::new(ConsumerTap { edge, inner }).capsule(),
            Target::Receiver(inner) => ReceiverHandle::new(ReceiverTap { edge, inner }).capsule(),
        }
    }
}

/// The address a capsule's handle points to, if telemetry flows through it.
pub fn capsule_address(c: &Capsule) -> Option<usize> {
    Target::of(c).map(|(ptr, _)| ptr)
}

struct Edge {
    from: Arc<str>,
    to: Arc<str>,
    counters: Arc<EdgeCounters>,
    live: Arc<LiveDebug>,
}

/// Counts and forwards OTLP payloads.
struct ConsumerTap {
    edge: Edge,
    inner: ConsumerHandle,
}

macro_rules! tapped {
    ($method:ident, $t:ty, $variant:ident) => {
        fn $method(&self, data: $t) -> ConsumeFuture<'_> {
            let (kind, items) = (Kind::of(data.signal()), data.items());
            if self.edge.live.listening() {
                self.edge.live.publish(&self.edge.from, &self.edge.to, || Payload::$variant(data.clone()));
            }
            let sent = self.inner.0.$method(data);
            Box::pin(async move {
                let result = sent.await;
                self.edge.counters.record(kind, items, result.is_ok());
                result
            })
        }
    };
}

impl Consumer for ConsumerTap {
    tapped!(consume_traces, Traces, Traces);
    tapped!(consume_metrics, Metrics, Metrics);
    tapped!(consume_logs, Logs, Logs);

    fn accepts(&self, signal: Signal) -> bool {
        self.inner.0.accepts(signal)
    }
}

/// Counts and forwards Prometheus sample batches.
struct ReceiverTap {
    edge: Edge,
    inner: ReceiverHandle,
}

impl SampleReceiver for ReceiverTap {
    fn append(&self, batch: Arc<Batch>) -> Result<(), String> {
        let items = batch.series_count();
        if self.edge.live.listening() {
            self.edge.live.publish(&self.edge.from, &self.edge.to, || Payload::Samples(Arc::clone(&batch)));
        }
        let result = self.inner.0.append(batch);
        self.edge.counters.record(Kind::Samples, items, result.is_ok());
        result
    }
}
