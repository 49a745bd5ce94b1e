//! `prometheus.*`: Prometheus samples, the interface between
//! `otelcol.exporter.prometheus` and its `forward_to` receivers.
//!
//! A producer hands a receiver a [`Batch`]: metric families, each with
//! its metadata and its series. Names and labels in a batch are already
//! valid Prometheus names; a receiver never has to re-check them. Batches
//! are shared as `Arc`, so forwarding one batch to several receivers copies
//! nothing.

pub mod client;
pub mod expose;
pub mod oauth2;
pub mod relabel;
pub mod remote_write;
pub mod scrape;

use std::collections::BTreeMap;
use std::sync::Arc;

use solder_syntax::value::Capsule;

/// Prometheus' staleness marker: a NaN with this exact bit pattern says a
/// series ended. Other NaNs are ordinary values, so the bits must survive
/// every hop unchanged.
pub const STALE_NAN_BITS: u64 = 0x7ff0_0000_0000_0002;

/// Whether `v` is a staleness marker (and not just any NaN).
pub fn is_stale(v: f64) -> bool {
    v.to_bits() == STALE_NAN_BITS
}

/// A staleness marker, as a value.
pub fn stale_nan() -> f64 {
    f64::from_bits(STALE_NAN_BITS)
}

/// The capsule type name of `receiver` exports, as Alloy calls it.
pub const APPENDABLE_CAPSULE: &str = "storage.Appendable";

/// What kind of metric a family is; it decides how its samples render.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MetricType {
    Counter,
    Gauge,
    Histogram,
    Summary,
    Unknown,
}

/// A family's metadata: `# TYPE`, `# HELP` and `# UNIT`.
#[derive(Debug, Clone, PartialEq)]
pub struct Metadata {
    pub kind: MetricType,
    pub help: String,
    /// The Prometheus unit word (`"seconds"`, `"bytes"`), empty if none.
    pub unit: String,
}

/// A sample linked to a trace: shown after a sample in OpenMetrics.
#[derive(Debug, Clone, PartialEq)]
pub struct Exemplar {
    /// Usually `trace_id` and `span_id`, as lowercase hex.
    pub labels: Vec<(String, String)>,
    pub value: f64,
    /// Milliseconds since the Unix epoch.
    pub timestamp_ms: Option<i64>,
}

/// One upper bound of a histogram and how many observations were at or
/// below it (cumulative, as Prometheus counts buckets).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bucket {
    pub upper_bound: f64,
    pub cumulative_count: u64,
}

/// The value of one series.
#[derive(Debug, Clone, PartialEq)]
pub enum SampleValue {
    /// A counter's or gauge's value.
    Number(f64),
    /// Buckets in ascending bound order, ending with `+Inf` whose count
    /// equals `count`.
    Histogram { buckets: Vec<Bucket>, count: u64, sum: f64 },
    /// `(quantile, value)` pairs.
    Summary { quantiles: Vec<(f64, f64)>, count: u64, sum: f64 },
}

/// One series of a family: its labels (sorted by name, without
/// `__name__`), its latest value and the exemplars recorded with it.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub labels: Vec<(String, String)>,
    pub value: SampleValue,
    /// Milliseconds since the Unix epoch.
    pub timestamp_ms: Option<i64>,
    pub exemplars: Vec<Exemplar>,
}

/// A metric family. Counters are named with their `_total` suffix when
/// the producer added suffixes; histograms and summaries by their base
/// name (`_bucket`, `_sum`, `_count` are added when rendering).
#[derive(Debug, Clone, PartialEq)]
pub struct Family {
    pub name: String,
    pub metadata: Metadata,
    pub series: Vec<Series>,
}

/// What a producer sends in one call.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Batch {
    pub families: Vec<Family>,
    /// For a scrape, the target's labels as discovered (before they became
    /// series labels: `__scheme__`, `__meta_kubernetes_*`), so that
    /// `otelcol.receiver.prometheus` can describe the target the way the
    /// Collector does (`url.scheme`, `k8s.pod.name`). Relabelling keeps it.
    pub discovered: Option<Arc<BTreeMap<String, String>>>,
}

impl Batch {
    pub fn new(families: Vec<Family>) -> Batch {
        Batch { families, discovered: None }
    }

    /// How many series the batch holds.
    pub fn series_count(&self) -> usize {
        self.families.iter().map(|f| f.series.len()).sum()
    }
}

/// Something that takes Prometheus samples: what a `receiver` export
/// holds and what `forward_to` lists.
pub trait SampleReceiver: Send + Sync + 'static {
    /// Takes a batch. An error says the batch was refused, with why.
    fn append(&self, batch: Arc<Batch>) -> Result<(), String>;
}

/// A shared handle to a receiver: the value inside `receiver` capsules.
#[derive(Clone)]
pub struct ReceiverHandle(pub Arc<dyn SampleReceiver>);

impl ReceiverHandle {
    pub fn new(r: impl SampleReceiver) -> ReceiverHandle {
        ReceiverHandle(Arc::new(r))
    }

    /// The capsule to export as `receiver`.
    pub fn capsule(&self) -> Capsule {
        Capsule::new(APPENDABLE_CAPSULE, self.clone())
    }
}
