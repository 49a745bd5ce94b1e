//! The `metric` context: one metric of any type, with its scope and resource.

use solder_syntax::ottl::metric_edit::PointQuery;
use solder_syntax::ottl::{Context, Key, MetricEdit, PathId, Value};

use super::metric_edit::{self, Added};
use super::resource::{ResourceView, ScopeView};
use super::schema::{locate, MetricField, Part, METRIC, METRIC_PARTS};
use super::{typed, value};
use crate::otlp::proto::metrics::v1::metric::Data;
use crate::otlp::proto::metrics::v1::Metric;

/// One metric as statements see it.
pub struct MetricContext<'a> {
    pub resource: ResourceView<'a>,
    pub scope: ScopeView<'a>,
    pub metric: &'a mut Metric,
    /// Where the metric functions put the metrics they make: `None` where
    /// no function may make one (the filter's conditions).
    pub(crate) added: Option<&'a mut Added>,
}

impl Context for MetricContext<'_> {
    fn get(&self, path: PathId, keys: &[Key]) -> Result<Value, String> {
        match locate(&METRIC, METRIC_PARTS, path, keys)? {
            (Part::Metric, i) => get(self.metric, MetricField::ALL[i], keys),
            (Part::Resource, i) => self.resource.get(i, keys),
            (_, i) => self.scope.get(i, keys),
        }
    }

    fn set(&mut self, path: PathId, keys: &[Key], value: Value) -> Result<(), String> {
        match locate(&METRIC, METRIC_PARTS, path, keys)? {
            (Part::Metric, i) => set(self.metric, MetricField::ALL[i], keys, value),
            (Part::Resource, i) => self.resource.set(i, keys, value),
            (_, i) => self.scope.set(i, keys, value),
        }
    }

    fn query_points(&self, query: PointQuery<'_>) -> Result<bool, String> {
        metric_edit::query_points(self.metric, query)
    }

    fn edit_metric(&mut self, edit: MetricEdit) -> Result<(), String> {
        match self.added.as_deref_mut() {
            Some(added) => metric_edit::on_metric(self.metric, edit, added),
            None => Err(format!("{} cannot run here", edit.function())),
        }
    }
}

/// The metric's type as pdata numbers it (`METRIC_DATA_TYPE_*`).
pub(crate) fn data_type(metric: &Metric) -> i64 {
    match metric.data {
        None => 0,
        Some(Data::Gauge(_)) => 1,
        Some(Data::Sum(_)) => 2,
        Some(Data::Histogram(_)) => 3,
        Some(Data::ExponentialHistogram(_)) => 4,
        Some(Data::Summary(_)) => 5,
    }
}

/// Reads a metric field; shared with the datapoint context's `metric.`
/// paths. Temporality and monotonicity read nil on types without them.
pub(crate) fn get(metric: &Metric, field: MetricField, keys: &[Key]) -> Result<Value, String> {
    use MetricField as F;
    Ok(match field {
        F::Name => Value::Str(metric.name.clone()),
        F::Description => Value::Str(metric.description.clone()),
        F::Unit => Value::Str(metric.unit.clone()),
        F::Type => Value::Int(data_type(metric)),
        F::AggregationTemporality => match &metric.data {
            Some(Data::Sum(s)) => Value::Int(s.aggregation_temporality as i64),
            Some(Data::Histogram(h)) => Value::Int(h.aggregation_temporality as i64),
            Some(Data::ExponentialHistogram(h)) => Value::Int(h.aggregation_temporality as i64),
            _ => Value::Nil,
        },
        F::IsMonotonic => match &metric.data {
            Some(Data::Sum(s)) => Value::Bool(s.is_monotonic),
            _ => Value::Nil,
        },
        F::Metadata => return value::map_get(&metric.metadata, keys),
    })
}

/// Writes a metric field. The value's type is checked first; a write to a
/// field the metric's type lacks then does nothing, as in the Collector,
/// and so does any write to `type` (changing a metric's type would need a
/// conversion of its points that the Collector never defined).
pub(crate) fn set(metric: &mut Metric, field: MetricField, keys: &[Key], v: Value) -> Result<(), String> {
    use MetricField as F;
    match field {
        F::Name => metric.name = typed::string(v)?,
        F::Description => metric.description = typed::string(v)?,
        F::Unit => metric.unit = typed::string(v)?,
        F::Type => {}
        F::AggregationTemporality => {
            let t = typed::int(v)? as i32;
            match &mut metric.data {
                Some(Data::Sum(s)) => s.aggregation_temporality = t,
                Some(Data::Histogram(h)) => h.aggregation_temporality = t,
                Some(Data::ExponentialHistogram(h)) => h.aggregation_temporality = t,
                _ => {}
            }
        }
        F::IsMonotonic => {
            let b = typed::boolean(v)?;
            if let Some(Data::Sum(s)) = &mut metric.data {
                s.is_monotonic = b;
            }
        }
        F::Metadata => value::map_set(&mut metric.metadata, keys, v)?,
    }
    Ok(())
}
