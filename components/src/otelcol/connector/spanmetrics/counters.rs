//! The connector's own metrics: what its bounds did to the spans. The
//! Collector's connector has none; these follow its `otelcol_connector_*`
//! naming so that one dashboard reads both.

use crate::selfmetrics::{ComponentMetrics, Counter};

/// Handles the aggregation counts into. The default ones count into no
/// registry, for the aggregation core on its own (tests, benchmarks).
#[derive(Clone, Debug, Default)]
pub struct Counters {
    /// Spans counted in a resource's overflow series because its series
    /// were at `aggregation_cardinality_limit`. They are not lost: the
    /// overflow series reports them without their dimensions.
    pub overflow_spans: Counter,
    /// Span events counted in the events overflow series, likewise.
    pub overflow_events: Counter,
    /// Resources evicted (least recently used first) because
    /// `resource_metrics_cache_size` resources were live. An evicted
    /// resource is still reported at the next flush, then forgotten.
    pub evicted_resources: Counter,
    /// Spans counted into a resource that was forgotten before any flush
    /// reported them: more resources were evicted within one flush
    /// interval than the connector holds. The only place span metrics
    /// lose spans.
    pub dropped_spans: Counter,
}

impl Counters {
    pub fn register(m: &ComponentMetrics) -> Counters {
        Counters {
            overflow_spans: m.counter(
                "otelcol_connector_spanmetrics_overflow_spans_total",
                "Spans counted in an otel.metric.overflow series because their resource was at aggregation_cardinality_limit.",
                &[],
            ),
            overflow_events: m.counter(
                "otelcol_connector_spanmetrics_overflow_events_total",
                "Span events counted in an otel.metric.overflow series because their resource was at aggregation_cardinality_limit.",
                &[],
            ),
            evicted_resources: m.counter(
                "otelcol_connector_spanmetrics_evicted_resources_total",
                "Resources evicted, least recently used first, because resource_metrics_cache_size resources were held.",
                &[],
            ),
            dropped_spans: m.counter(
                "otelcol_connector_spanmetrics_dropped_spans_total",
                "Spans of evicted resources forgotten before a flush reported them.",
                &[],
            ),
        }
    }
}
