//! The component's arguments, their Alloy defaults, and their checks and
//! conversion into an aggregation [`Config`].

use std::time::Duration as StdDuration;

use serde::Deserialize;

use crate::component::{self, ArgumentError};

use super::aggregate::{Config, Dimension};
use crate::otelcol::output::Output;
use crate::types::Duration;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Arguments {
    /// Extra data point attributes, looked up in the span's attributes and
    /// then its resource's. Repeatable. The four built-in dimensions
    /// (`service.name`, `span.name`, `span.kind`, `status.code`) are always
    /// there unless excluded.
    #[serde(default)]
    pub dimension: Vec<DimensionBlock>,
    /// Built-in or configured dimensions to leave out. Default `[]`.
    #[serde(default)]
    pub exclude_dimensions: Vec<String>,
    /// Prefix of the metric names: `{namespace}.calls`, `.duration`,
    /// `.events`. Default `"traces.span.metrics"`; `""` for no prefix.
    #[serde(default = "default_namespace")]
    pub namespace: String,
    /// The duration histogram. Required, as in Alloy.
    pub histogram: HistogramBlock,
    /// Exemplars on data points. Disabled by default.
    #[serde(default)]
    pub exemplars: Option<ExemplarsBlock>,
    /// `"CUMULATIVE"` (default) or `"DELTA"`: delta counts restart after
    /// every flush.
    #[serde(default = "default_temporality")]
    pub aggregation_temporality: String,
    /// How often metrics are sent. Default `"60s"`; must be above zero.
    #[serde(default = "default_flush_interval")]
    pub metrics_flush_interval: Duration,
    /// Series without a span for this long are dropped. Default `"0s"`:
    /// never.
    #[serde(default)]
    pub metrics_expiration: Duration,
    /// Series per resource; further attribute sets are counted in one
    /// series attributed only `otel.metric.overflow = true`. Default 0: no
    /// limit.
    #[serde(default)]
    pub aggregation_cardinality_limit: u32,
    /// Resources held before the least recently used is evicted (it is
    /// reported once more at the next flush). Default 1000, as in Alloy.
    #[serde(default = "default_resource_cache_size")]
    pub resource_metrics_cache_size: u32,
    /// Resource attributes, besides `service.name`, that tell resources
    /// apart (and are copied to the metrics' resource). Default `[]`.
    #[serde(default)]
    pub resource_metrics_key_attributes: Vec<String>,
    /// Counting span events. Disabled by default.
    #[serde(default)]
    pub events: Option<EventsBlock>,
    /// Instrumentation scope names whose name and version become the
    /// `span.instrumentation.scope.*` attributes. Default `[]`.
    #[serde(default)]
    pub include_instrumentation_scope: Vec<String>,
    /// Where metrics go: `output { metrics = [...] }`.
    pub output: Output,
}

/// `dimension { name = "..." default = "..." }`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DimensionBlock {
    pub name: String,
    /// Used when neither the span nor its resource has the attribute;
    /// without it, the attribute is left out.
    #[serde(default)]
    pub default: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistogramBlock {
    /// No duration histogram, only calls (and events). Default false.
    #[serde(default)]
    pub disable: bool,
    /// `"ms"` (default) or `"s"`: the unit of values and bounds.
    #[serde(default = "default_unit")]
    pub unit: String,
    /// Explicit bucket bounds. Exactly one of `explicit` and `exponential`.
    #[serde(default)]
    pub explicit: Option<ExplicitBlock>,
    /// Exponential buckets, at most `max_size` (default 160) of them.
    #[serde(default)]
    pub exponential: Option<ExponentialBlock>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExplicitBlock {
    /// Upper bounds as durations. Default 2ms, 4ms, 6ms, 8ms, 10ms, 50ms,
    /// 100ms, 200ms, 400ms, 800ms, 1s, 1400ms, 2s, 5s, 10s, 15s.
    #[serde(default = "default_buckets")]
    pub buckets: Vec<Duration>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExponentialBlock {
    #[serde(default = "default_max_size")]
    pub max_size: i32,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExemplarsBlock {
    #[serde(default)]
    pub enabled: bool,
    /// Exemplars per data point per flush. Default 5; 0 means no cap.
    #[serde(default = "default_max_exemplars")]
    pub max_per_data_point: u32,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventsBlock {
    #[serde(default)]
    pub enabled: bool,
    /// Event dimensions, looked up in the span, the event, then the
    /// resource attributes.
    #[serde(default)]
    pub dimension: Vec<DimensionBlock>,
}

fn default_namespace() -> String {
    "traces.span.metrics".into()
}
fn default_temporality() -> String {
    "CUMULATIVE".into()
}
fn default_flush_interval() -> Duration {
    Duration(StdDuration::from_secs(60))
}
fn default_unit() -> String {
    "ms".into()
}
fn default_max_size() -> i32 {
    160
}
fn default_resource_cache_size() -> u32 {
    1000
}
fn default_max_exemplars() -> u32 {
    5
}
fn default_buckets() -> Vec<Duration> {
    [2, 4, 6, 8, 10, 50, 100, 200, 400, 800, 1000, 1400, 2000, 5000, 10_000, 15_000].map(|ms| Duration(StdDuration::from_millis(ms))).to_vec()
}

const BUILT_IN: [&str; 4] = ["service.name", "span.name", "span.kind", "status.code"];

impl Arguments {
    /// Checks what the types cannot (with Alloy's and the collector's
    /// messages) and converts to the aggregation's config.
    pub fn config(&self) -> Result<Config, ArgumentError> {
        let err = |at: &str, msg: String| ArgumentError::new(at, msg);
        if self.metrics_flush_interval.0.is_zero() {
            return Err(err("metrics_flush_interval", "metrics_flush_interval must be greater than 0".into()));
        }
        if self.resource_metrics_cache_size == 0 {
            return Err(err("resource_metrics_cache_size", "resource_metrics_cache_size must be greater than 0".into()));
        }
        let delta = match self.aggregation_temporality.as_str() {
            "CUMULATIVE" => false,
            "DELTA" => true,
            other => return Err(err("aggregation_temporality", format!("invalid aggregation_temporality: {other}"))),
        };
        let h = &self.histogram;
        let (unit, divider) = match h.unit.as_str() {
            "ms" => ("ms", 1e6),
            "s" => ("s", 1e9),
            other => return Err(err("histogram.unit", format!("unknown unit {other:?}, allowed units are \"ms\" and \"s\""))),
        };
        let (bounds, exponential) = match (&h.explicit, &h.exponential) {
            (Some(_), Some(_)) => return Err(err("histogram", "only one of exponential or explicit histogram configuration can be specified".into())),
            (None, None) => return Err(err("histogram", "either exponential or explicit histogram configuration must be specified".into())),
            (None, Some(e)) => {
                if e.max_size <= 0 {
                    return Err(err("histogram.exponential.max_size", format!("max_size must be greater than 0, got {}", e.max_size)));
                }
                (None, Some(e.max_size as usize))
            }
            (Some(e), None) => {
                if e.buckets.windows(2).any(|w| w[0] >= w[1]) {
                    return Err(err("histogram.explicit.buckets", "histogram buckets must be in increasing order".into()));
                }
                (Some(e.buckets.iter().map(|b| b.0.as_nanos() as f64 / divider).collect()), None)
            }
        };
        let dims = |at: &str, list: &[DimensionBlock], taken: &mut Vec<String>| -> Result<Vec<Dimension>, ArgumentError> {
            let mut out = Vec::with_capacity(list.len());
            for (i, d) in list.iter().enumerate() {
                if taken.contains(&d.name) {
                    return Err(err(&format!("{at}[{i}].name"), format!("failed validating dimensions: duplicate dimension name {}", d.name)));
                }
                taken.push(d.name.clone());
                if !self.exclude_dimensions.contains(&d.name) {
                    out.push(Dimension { name: d.name.clone(), default: d.default.clone() });
                }
            }
            Ok(out)
        };
        let mut taken: Vec<String> = BUILT_IN.iter().map(|s| s.to_string()).collect();
        let dimensions = dims("dimension", &self.dimension, &mut taken)?;
        let events = match &self.events {
            Some(e) if e.enabled => Some(dims("events.dimension", &e.dimension, &mut taken.clone())?),
            _ => None,
        };
        let exemplars = self.exemplars.as_ref().filter(|e| e.enabled).map(|e| e.max_per_data_point as usize);
        Ok(Config {
            namespace: self.namespace.clone(),
            dimensions,
            keep: BUILT_IN.map(|k| !self.exclude_dimensions.iter().any(|e| e == k)),
            bounds: bounds.filter(|_| !h.disable),
            exponential: exponential.filter(|_| !h.disable),
            unit,
            delta,
            events,
            include_scope: self.include_instrumentation_scope.clone(),
            resource_keys: self.resource_metrics_key_attributes.iter().filter(|k| *k != "service.name").cloned().collect(),
            exemplars,
            expiration: u64::try_from(self.metrics_expiration.0.as_nanos()).unwrap_or(u64::MAX),
            cardinality_limit: self.aggregation_cardinality_limit as usize,
            resource_cache_size: self.resource_metrics_cache_size as usize,
        })
    }
}

impl component::Arguments for Arguments {
    fn validate(&self) -> Result<(), ArgumentError> {
        self.output.check().map_err(|m| ArgumentError::new("output", m))?;
        self.config().map(drop)
    }
}
