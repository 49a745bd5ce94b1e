//! The `datapoint` context: one data point of any metric type, with its
//! metric (as `metric.`), scope and resource.

use std::mem::take;

use solder_syntax::ottl::context::edit_whole_map;
use solder_syntax::ottl::{Context, Key, MapEdit, MetricEdit, PathId, RunError, Value};

use super::metric_edit::{self, Added};
use super::resource::{ResourceView, ScopeView};
use super::schema::{locate, MetricField, Part, PointField, DATAPOINT, DATAPOINT_PARTS};
use super::walk::try_retain;
use super::{metric, typed, value};
use crate::otlp::proto::common::v1::KeyValue;
use crate::otlp::proto::metrics::v1::exponential_histogram_data_point::Buckets;
use crate::otlp::proto::metrics::v1::metric::Data;
use crate::otlp::proto::metrics::v1::number_data_point::Value as Number;
use crate::otlp::proto::metrics::v1::{ExponentialHistogramDataPoint, HistogramDataPoint, Metric, NumberDataPoint, SummaryDataPoint};

/// A data point of whichever kind its metric holds.
pub enum Point<'a> {
    Number(&'a mut NumberDataPoint),
    Histogram(&'a mut HistogramDataPoint),
    Exponential(&'a mut ExponentialHistogramDataPoint),
    Summary(&'a mut SummaryDataPoint),
}

/// One data point as statements see it. The metric is borrowed whole while
/// its points are out of it (see [`retain_points`]).
pub struct DatapointContext<'a> {
    pub resource: ResourceView<'a>,
    pub scope: ScopeView<'a>,
    pub metric: &'a mut Metric,
    pub point: Point<'a>,
    /// As [`super::MetricContext`]'s: where the summary conversions put
    /// what they make.
    pub(crate) added: Option<&'a mut Added>,
}

/// Applies `$body` to whichever point it is, for the fields all kinds share.
macro_rules! any_point {
    ($point:expr, $p:ident => $body:expr) => {
        match $point {
            Point::Number($p) => $body,
            Point::Histogram($p) => $body,
            Point::Exponential($p) => $body,
            Point::Summary($p) => $body,
        }
    };
}

impl Context for DatapointContext<'_> {
    fn get(&self, path: PathId, keys: &[Key]) -> Result<Value, String> {
        match locate(&DATAPOINT, DATAPOINT_PARTS, path, keys)? {
            (Part::Point, i) => get(&self.point, PointField::ALL[i], keys),
            (Part::Metric, i) => metric::get(self.metric, MetricField::ALL[i], keys),
            (Part::Resource, i) => self.resource.get(i, keys),
            (_, i) => self.scope.get(i, keys),
        }
    }

    fn set(&mut self, path: PathId, keys: &[Key], value: Value) -> Result<(), String> {
        match locate(&DATAPOINT, DATAPOINT_PARTS, path, keys)? {
            (Part::Point, i) => set(&mut self.point, PointField::ALL[i], keys, value),
            (Part::Metric, i) => metric::set(self.metric, MetricField::ALL[i], keys, value),
            (Part::Resource, i) => self.resource.set(i, keys, value),
            (_, i) => self.scope.set(i, keys, value),
        }
    }

    /// The point's attributes edited where they are, as a span's and a
    /// log record's are: read and written back whole, an attribute
    /// without a value would come back with an empty one.
    fn edit_map(&mut self, path: PathId, keys: &[Key], edit: MapEdit<'_>) -> Result<(), String> {
        match locate(&DATAPOINT, DATAPOINT_PARTS, path, keys)? {
            (Part::Point, i) if keys.is_empty() && PointField::ALL[i] == PointField::Attributes => {
                any_point!(&mut self.point, p => value::edit_attributes(&mut p.attributes, edit));
                Ok(())
            }
            _ => edit_whole_map(self, path, keys, edit),
        }
    }

    fn edit_metric(&mut self, edit: MetricEdit) -> Result<(), String> {
        match self.added.as_deref_mut() {
            Some(added) => metric_edit::on_point(self.metric, &mut self.point, edit, added),
            None => Err(format!("{} cannot run here", edit.function())),
        }
    }
}

fn attributes<'p>(point: &'p Point<'_>) -> &'p [KeyValue] {
    any_point!(point, p => &p.attributes[..])
}

fn ints(v: &[u64]) -> Value {
    Value::List(v.iter().map(|&c| Value::Int(c as i64)).collect())
}

/// Reads a point field. A field the point's kind lacks reads nil, as in the Collector.
fn get(point: &Point<'_>, field: PointField, keys: &[Key]) -> Result<Value, String> {
    use PointField as F;
    let counts = |b: &Option<Buckets>| ints(b.as_ref().map_or(&[][..], |b| &b.bucket_counts[..]));
    Ok(match (field, point) {
        (F::Attributes, p) => return value::map_get(attributes(p), keys),
        (F::StartTimeUnixNano, p) => Value::Int(any_point!(p, p => p.start_time_unix_nano) as i64),
        (F::TimeUnixNano, p) => Value::Int(any_point!(p, p => p.time_unix_nano) as i64),
        (F::StartTime, p) => Value::Time(any_point!(p, p => p.start_time_unix_nano) as i64),
        (F::Time, p) => Value::Time(any_point!(p, p => p.time_unix_nano) as i64),
        (F::Flags, p) => Value::Int(any_point!(p, p => p.flags) as i64),
        // pdata reads the other kind of number as zero.
        (F::ValueDouble, Point::Number(p)) => Value::Double(match p.value {
            Some(Number::AsDouble(d)) => d,
            _ => 0.0,
        }),
        (F::ValueInt, Point::Number(p)) => Value::Int(match p.value {
            Some(Number::AsInt(i)) => i,
            _ => 0,
        }),
        (F::Count, Point::Histogram(p)) => Value::Int(p.count as i64),
        (F::Count, Point::Exponential(p)) => Value::Int(p.count as i64),
        (F::Count, Point::Summary(p)) => Value::Int(p.count as i64),
        (F::Sum, Point::Histogram(p)) => Value::Double(p.sum.unwrap_or(0.0)),
        (F::Sum, Point::Exponential(p)) => Value::Double(p.sum.unwrap_or(0.0)),
        (F::Sum, Point::Summary(p)) => Value::Double(p.sum),
        (F::BucketCounts, Point::Histogram(p)) => ints(&p.bucket_counts),
        (F::ExplicitBounds, Point::Histogram(p)) => Value::List(p.explicit_bounds.iter().map(|&b| Value::Double(b)).collect()),
        (F::Scale, Point::Exponential(p)) => Value::Int(p.scale as i64),
        (F::ZeroCount, Point::Exponential(p)) => Value::Int(p.zero_count as i64),
        (F::PositiveOffset, Point::Exponential(p)) => Value::Int(p.positive.as_ref().map_or(0, |b| b.offset) as i64),
        (F::PositiveBucketCounts, Point::Exponential(p)) => counts(&p.positive),
        (F::NegativeOffset, Point::Exponential(p)) => Value::Int(p.negative.as_ref().map_or(0, |b| b.offset) as i64),
        (F::NegativeBucketCounts, Point::Exponential(p)) => counts(&p.negative),
        _ => Value::Nil,
    })
}

/// Writes a point field. The value's type is checked first; a write to a
/// field the point's kind lacks then does nothing, as in the Collector.
fn set(point: &mut Point<'_>, field: PointField, keys: &[Key], v: Value) -> Result<(), String> {
    use PointField as F;
    match field {
        F::Attributes => any_point!(point, p => value::map_set(&mut p.attributes, keys, v)?),
        F::StartTimeUnixNano => {
            let t = typed::int(v)? as u64;
            any_point!(point, p => p.start_time_unix_nano = t)
        }
        F::TimeUnixNano => {
            let t = typed::int(v)? as u64;
            any_point!(point, p => p.time_unix_nano = t)
        }
        F::StartTime => {
            let t = typed::time(v)?;
            any_point!(point, p => p.start_time_unix_nano = t)
        }
        F::Time => {
            let t = typed::time(v)?;
            any_point!(point, p => p.time_unix_nano = t)
        }
        F::Flags => {
            let f = typed::uint32(v)?;
            any_point!(point, p => p.flags = f)
        }
        F::ValueDouble => {
            let d = typed::double(v)?;
            if let Point::Number(p) = point {
                p.value = Some(Number::AsDouble(d));
            }
        }
        F::ValueInt => {
            let i = typed::int(v)?;
            if let Point::Number(p) = point {
                p.value = Some(Number::AsInt(i));
            }
        }
        F::Count => {
            let c = typed::int(v)? as u64;
            match point {
                Point::Histogram(p) => p.count = c,
                Point::Exponential(p) => p.count = c,
                Point::Summary(p) => p.count = c,
                Point::Number(_) => {}
            }
        }
        F::Sum => {
            let s = typed::double(v)?;
            match point {
                Point::Histogram(p) => p.sum = Some(s),
                Point::Exponential(p) => p.sum = Some(s),
                Point::Summary(p) => p.sum = s,
                Point::Number(_) => {}
            }
        }
        F::BucketCounts => {
            if let Point::Histogram(p) = point {
                p.bucket_counts = uints(v)?;
            }
        }
        F::ExplicitBounds => {
            if let Point::Histogram(p) = point {
                p.explicit_bounds = doubles(v)?;
            }
        }
        F::Scale => {
            let s = typed::int(v)? as i32;
            if let Point::Exponential(p) = point {
                p.scale = s;
            }
        }
        F::ZeroCount => {
            let z = typed::int(v)? as u64;
            if let Point::Exponential(p) = point {
                p.zero_count = z;
            }
        }
        F::PositiveOffset | F::NegativeOffset => {
            let o = typed::int(v)? as i32;
            if let Point::Exponential(p) = point {
                buckets(p, field == F::PositiveOffset).offset = o;
            }
        }
        F::PositiveBucketCounts | F::NegativeBucketCounts => {
            if let Point::Exponential(p) = point {
                buckets(p, field == F::PositiveBucketCounts).bucket_counts = uints(v)?;
            }
        }
    }
    Ok(())
}

fn buckets(p: &mut ExponentialHistogramDataPoint, positive: bool) -> &mut Buckets {
    if positive { &mut p.positive } else { &mut p.negative }.get_or_insert_with(Buckets::default)
}

/// A list of ints for a counts field; any other element is an error.
fn uints(v: Value) -> Result<Vec<u64>, String> {
    match v {
        Value::List(l) => l
            .into_iter()
            .map(|x| match x {
                Value::Int(i) => Ok(i as u64),
                other => Err(format!("invalid value type provided for a slice of uint64: {}, expected int64", other.type_name())),
            })
            .collect(),
        other => Err(format!("cannot set a slice of uint64 from a value type: {}", other.type_name())),
    }
}

/// A list of doubles for `explicit_bounds`; ints are refused as the Collector refuses them.
fn doubles(v: Value) -> Result<Vec<f64>, String> {
    match v {
        Value::List(l) => l
            .into_iter()
            .map(|x| match x {
                Value::Double(d) => Ok(d),
                other => Err(format!("invalid value type provided for a slice of float64: {}", other.type_name())),
            })
            .collect(),
        other => Err(format!("invalid type provided for setting a slice of float64: {}", other.type_name())),
    }
}

/// A metric's points, moved out of it.
enum Points {
    Number(Vec<NumberDataPoint>),
    Histogram(Vec<HistogramDataPoint>),
    Exponential(Vec<ExponentialHistogramDataPoint>),
    Summary(Vec<SummaryDataPoint>),
}

/// Runs `keep` over each of the metric's points with the metric itself
/// visible, keeping those it returns true for; returns how many were
/// removed. The points are moved out of the metric meanwhile (no copy) and
/// put back even when `keep` fails; no path can change a metric's type,
/// so they go back into the variant they came from.
pub(crate) fn retain_points(metric: &mut Metric, mut keep: impl FnMut(&mut Metric, Point<'_>) -> Result<bool, RunError>) -> Result<u64, RunError> {
    let mut points = match &mut metric.data {
        None => return Ok(0),
        Some(Data::Gauge(g)) => Points::Number(take(&mut g.data_points)),
        Some(Data::Sum(s)) => Points::Number(take(&mut s.data_points)),
        Some(Data::Histogram(h)) => Points::Histogram(take(&mut h.data_points)),
        Some(Data::ExponentialHistogram(h)) => Points::Exponential(take(&mut h.data_points)),
        Some(Data::Summary(s)) => Points::Summary(take(&mut s.data_points)),
    };
    let result = match &mut points {
        Points::Number(v) => try_retain(v, |p| keep(metric, Point::Number(p))),
        Points::Histogram(v) => try_retain(v, |p| keep(metric, Point::Histogram(p))),
        Points::Exponential(v) => try_retain(v, |p| keep(metric, Point::Exponential(p))),
        Points::Summary(v) => try_retain(v, |p| keep(metric, Point::Summary(p))),
    };
    match (&mut metric.data, points) {
        (Some(Data::Gauge(g)), Points::Number(v)) => g.data_points = v,
        (Some(Data::Sum(s)), Points::Number(v)) => s.data_points = v,
        (Some(Data::Histogram(h)), Points::Histogram(v)) => h.data_points = v,
        (Some(Data::ExponentialHistogram(h)), Points::Exponential(v)) => h.data_points = v,
        (Some(Data::Summary(s)), Points::Summary(v)) => s.data_points = v,
        _ => {}
    }
    result
}
