//! The transform processor's metric functions carried out on OTLP metrics:
//! the other half of `solder_syntax::ottl::MetricEdit`. The language
//! checks the arguments and says what to do; this module knows what a
//! sum, a histogram and a summary are.
//!
//! Functions that make a new metric (`extract_sum_metric`, `copy_metric`,
//! ...) put it in [`Added`]; the driver appends it to the scope's metrics
//! after the metric in hand, where the statements after reach it too, as
//! in the Collector.

mod aggregate;
mod buckets;
mod convert;
mod exponential;
mod extract;
mod percentile;
mod scale;

#[cfg(test)]
mod tests;

use solder_syntax::ottl::metric_edit::PointQuery;
use solder_syntax::ottl::MetricEdit;

use super::datapoint::Point;
use crate::otlp::proto::common::v1::any_value::Value as V;
use crate::otlp::proto::common::v1::KeyValue;
use crate::otlp::proto::metrics::v1::metric::Data;
use crate::otlp::proto::metrics::v1::Metric;

/// How many metrics one block may add to a scope per request, for each
/// metric the scope came with. A `copy_metric` whose `where` also matches
/// its copies would otherwise copy them without end (the Collector runs
/// until memory runs out); here the call fails once the room is gone, and
/// the error mode says what happens next.
const ADDED_PER_METRIC: usize = 16;

/// The metrics a block's functions added to one scope, and what is left
/// of its room for more.
pub(crate) struct Added {
    pub(crate) metrics: Vec<Metric>,
    /// Summary conversions asked for by data points, made when the
    /// summary's points are back in it (while a block runs over points,
    /// they are out of their metric).
    pending: Vec<MetricEdit>,
    room: usize,
}

impl Added {
    /// Room for a scope that came with `metrics` metrics.
    pub(crate) fn for_scope(metrics: usize) -> Added {
        Added { metrics: Vec::new(), pending: Vec::new(), room: ADDED_PER_METRIC * metrics.max(1) }
    }

    fn push(&mut self, function: &str, metric: Metric) -> Result<(), String> {
        self.take_room(function)?;
        self.metrics.push(metric);
        Ok(())
    }

    fn take_room(&mut self, function: &str) -> Result<(), String> {
        if self.room == 0 {
            return Err(format!(
                "{function} would add more than {ADDED_PER_METRIC} metrics per metric to one scope: \
                 give it a where clause that the metrics it adds do not match"
            ));
        }
        self.room -= 1;
        Ok(())
    }

    /// Makes the summary conversions data points asked for, from the
    /// summary's points as the block left them.
    pub(crate) fn finish_points(&mut self, metric: &Metric) {
        for edit in std::mem::take(&mut self.pending) {
            if let MetricEdit::SummaryToSum { part, temporality, monotonic, suffix } = edit {
                if let Some(made) = extract::summary_to_sum(metric, part, temporality, monotonic, &suffix) {
                    self.metrics.push(made);
                }
            }
        }
    }
}

/// Carries out a `metric` context function on `metric`.
pub(crate) fn on_metric(metric: &mut Metric, edit: MetricEdit, added: &mut Added) -> Result<(), String> {
    let function = edit.function();
    match edit {
        MetricEdit::SumToGauge => convert::sum_to_gauge(metric),
        MetricEdit::GaugeToSum { temporality, monotonic } => convert::gauge_to_sum(metric, temporality, monotonic),
        MetricEdit::Extract { part, monotonic, suffix } => {
            if let Some(made) = extract::extract(metric, part, monotonic, &suffix, function)? {
                added.push(function, made)?;
            }
        }
        MetricEdit::SummaryQuantiles { attribute, suffix } => {
            if let Some(made) = extract::quantiles(metric, &attribute, &suffix) {
                added.push(function, made)?;
            }
        }
        MetricEdit::Copy { name, description, unit } => {
            let mut copy = metric.clone();
            copy.name = name.unwrap_or(copy.name);
            copy.description = description.unwrap_or(copy.description);
            copy.unit = unit.unwrap_or(copy.unit);
            added.push(function, copy)?;
        }
        MetricEdit::Scale { factor, unit } => {
            scale::scale(metric, factor)?;
            if let Some(unit) = unit {
                metric.unit = unit;
            }
        }
        MetricEdit::Percentile { percentile, suffix } => {
            if let Some(made) = percentile::extract(metric, percentile, &suffix)? {
                added.push(function, made)?;
            }
        }
        MetricEdit::ExponentialToExplicit { distribution, bounds } => exponential::to_explicit(metric, distribution, &bounds),
        MetricEdit::AggregateOnAttributes { function: how, keep } => aggregate::on_attributes(metric, how, keep.as_deref())?,
        MetricEdit::AggregateOnAttributeValue { function: how, attribute, values, new_value } => {
            aggregate::on_attribute_value(metric, how, &attribute, &values, &new_value)?
        }
        // The checker keeps the `datapoint` context's functions out.
        MetricEdit::SummaryToSum { .. } | MetricEdit::MergeBuckets(_) => return Err(format!("{function} runs on data points, not metrics")),
    }
    Ok(())
}

/// Carries out a `datapoint` context function on `point` of `metric`.
pub(crate) fn on_point(metric: &Metric, point: &mut Point<'_>, edit: MetricEdit, added: &mut Added) -> Result<(), String> {
    let function = edit.function();
    match edit {
        MetricEdit::MergeBuckets(how) => {
            if let Point::Histogram(p) = point {
                buckets::merge(p, how);
            }
            Ok(())
        }
        MetricEdit::SummaryToSum { .. } => {
            if matches!(metric.data, Some(Data::Summary(_))) {
                added.take_room(function)?;
                added.pending.push(edit);
            }
            Ok(())
        }
        _ => Err(format!("{function} runs on whole metrics, not data points")),
    }
}

/// Whether any of the metric's points answers `query` (the filter's
/// `HasAttrKeyOnDatapoint` and `HasAttrOnDatapoint`). The Collector's
/// code stops at the first point that has the key, value or not; its
/// documentation says any point, and so does this.
pub(crate) fn query_points(metric: &Metric, query: PointQuery<'_>) -> Result<bool, String> {
    let answers = |attrs: &[KeyValue]| {
        let found = attrs.iter().find(|kv| kv.key == query.key()).map(|kv| match kv.value.as_ref().and_then(|v| v.value.as_ref()) {
            Some(V::StringValue(s)) => s.as_str(),
            // pdata reads a value of another type as the empty string.
            _ => "",
        });
        query.matches(found)
    };
    Ok(match &metric.data {
        Some(Data::Gauge(g)) => g.data_points.iter().any(|p| answers(&p.attributes)),
        Some(Data::Sum(s)) => s.data_points.iter().any(|p| answers(&p.attributes)),
        Some(Data::Histogram(h)) => h.data_points.iter().any(|p| answers(&p.attributes)),
        Some(Data::ExponentialHistogram(h)) => h.data_points.iter().any(|p| answers(&p.attributes)),
        Some(Data::Summary(s)) => s.data_points.iter().any(|p| answers(&p.attributes)),
        None => return Err("unknown metric type".into()),
    })
}

/// The metric's type as pdata names it in errors.
fn type_name(metric: &Metric) -> &'static str {
    match metric.data {
        None => "Empty",
        Some(Data::Gauge(_)) => "Gauge",
        Some(Data::Sum(_)) => "Sum",
        Some(Data::Histogram(_)) => "Histogram",
        Some(Data::ExponentialHistogram(_)) => "ExponentialHistogram",
        Some(Data::Summary(_)) => "Summary",
    }
}
