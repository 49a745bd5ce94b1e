//! `ExportMetricsServiceRequest` from OTLP/JSON: all five metric types,
//! with exemplars.

use serde_json::Value;

use super::common::{attributes, boolean, double, each, enumeration, id, int32, int64, list, resource, scope, string, uint32, uint64, Path};
use super::JsonError;
use crate::otlp::proto::metrics::v1::{
    exemplar, exponential_histogram_data_point::Buckets, metric::Data, number_data_point, summary_data_point::ValueAtQuantile, AggregationTemporality,
    Exemplar, ExponentialHistogram, ExponentialHistogramDataPoint, Gauge, Histogram, HistogramDataPoint, Metric, NumberDataPoint, ResourceMetrics,
    ScopeMetrics, Sum, Summary, SummaryDataPoint,
};
use crate::otlp::proto::ExportMetricsServiceRequest;

pub(super) fn request(v: &Value, p: &Path<'_>) -> Result<ExportMetricsServiceRequest, JsonError> {
    let mut out = ExportMetricsServiceRequest::default();
    each(v, p, |k, v, p| {
        if k == "resourceMetrics" {
            out.resource_metrics = list(v, p, resource_metrics)?;
        }
        Ok(())
    })?;
    Ok(out)
}

fn resource_metrics(v: &Value, p: &Path<'_>) -> Result<ResourceMetrics, JsonError> {
    let mut out = ResourceMetrics::default();
    each(v, p, |k, v, p| {
        match k {
            "resource" => out.resource = Some(resource(v, p)?),
            "scopeMetrics" => out.scope_metrics = list(v, p, scope_metrics)?,
            "schemaUrl" => out.schema_url = string(v, p)?,
            _ => {}
        }
        Ok(())
    })?;
    Ok(out)
}

fn scope_metrics(v: &Value, p: &Path<'_>) -> Result<ScopeMetrics, JsonError> {
    let mut out = ScopeMetrics::default();
    each(v, p, |k, v, p| {
        match k {
            "scope" => out.scope = Some(scope(v, p)?),
            "metrics" => out.metrics = list(v, p, metric)?,
            "schemaUrl" => out.schema_url = string(v, p)?,
            _ => {}
        }
        Ok(())
    })?;
    Ok(out)
}

fn metric(v: &Value, p: &Path<'_>) -> Result<Metric, JsonError> {
    let mut out = Metric::default();
    each(v, p, |k, v, p| {
        match k {
            "name" => out.name = string(v, p)?,
            "description" => out.description = string(v, p)?,
            "unit" => out.unit = string(v, p)?,
            "metadata" => out.metadata = attributes(v, p)?,
            "gauge" => out.data = Some(Data::Gauge(Gauge { data_points: points(v, p, number_point)?.0 })),
            "sum" => {
                let (data_points, temporality, monotonic) = points(v, p, number_point)?;
                out.data = Some(Data::Sum(Sum { data_points, aggregation_temporality: temporality, is_monotonic: monotonic }));
            }
            "histogram" => {
                let (data_points, aggregation_temporality, _) = points(v, p, histogram_point)?;
                out.data = Some(Data::Histogram(Histogram { data_points, aggregation_temporality }));
            }
            "exponentialHistogram" => {
                let (data_points, aggregation_temporality, _) = points(v, p, exponential_point)?;
                out.data = Some(Data::ExponentialHistogram(ExponentialHistogram { data_points, aggregation_temporality }));
            }
            "summary" => out.data = Some(Data::Summary(Summary { data_points: points(v, p, summary_point)?.0 })),
            _ => {}
        }
        Ok(())
    })?;
    Ok(out)
}

/// The body of gauge/sum/histogram/exponentialHistogram/summary:
/// `dataPoints`, and where the type has them, `aggregationTemporality`
/// and `isMonotonic`.
fn points<T>(v: &Value, p: &Path<'_>, point: fn(&Value, &Path<'_>) -> Result<T, JsonError>) -> Result<(Vec<T>, i32, bool), JsonError> {
    let (mut data_points, mut temporality, mut monotonic) = (Vec::new(), 0, false);
    each(v, p, |k, v, p| {
        match k {
            "dataPoints" => data_points = list(v, p, point)?,
            "aggregationTemporality" => {
                temporality = enumeration(v, p, "AggregationTemporality", |s| AggregationTemporality::from_str_name(s).map(|t| t as i32))?;
            }
            "isMonotonic" => monotonic = boolean(v, p)?,
            _ => {}
        }
        Ok(())
    })?;
    Ok((data_points, temporality, monotonic))
}

fn number_point(v: &Value, p: &Path<'_>) -> Result<NumberDataPoint, JsonError> {
    let mut out = NumberDataPoint::default();
    each(v, p, |k, v, p| {
        match k {
            "attributes" => out.attributes = attributes(v, p)?,
            "startTimeUnixNano" => out.start_time_unix_nano = uint64(v, p)?,
            "timeUnixNano" => out.time_unix_nano = uint64(v, p)?,
            "asDouble" => out.value = Some(number_data_point::Value::AsDouble(double(v, p)?)),
            "asInt" => out.value = Some(number_data_point::Value::AsInt(int64(v, p)?)),
            "exemplars" => out.exemplars = list(v, p, exemplar)?,
            "flags" => out.flags = uint32(v, p)?,
            _ => {}
        }
        Ok(())
    })?;
    Ok(out)
}

fn histogram_point(v: &Value, p: &Path<'_>) -> Result<HistogramDataPoint, JsonError> {
    let mut out = HistogramDataPoint::default();
    each(v, p, |k, v, p| {
        match k {
            "attributes" => out.attributes = attributes(v, p)?,
            "startTimeUnixNano" => out.start_time_unix_nano = uint64(v, p)?,
            "timeUnixNano" => out.time_unix_nano = uint64(v, p)?,
            "count" => out.count = uint64(v, p)?,
            "sum" => out.sum = Some(double(v, p)?),
            "bucketCounts" => out.bucket_counts = list(v, p, uint64)?,
            "explicitBounds" => out.explicit_bounds = list(v, p, double)?,
            "exemplars" => out.exemplars = list(v, p, exemplar)?,
            "flags" => out.flags = uint32(v, p)?,
            "min" => out.min = Some(double(v, p)?),
            "max" => out.max = Some(double(v, p)?),
            _ => {}
        }
        Ok(())
    })?;
    Ok(out)
}

fn exponential_point(v: &Value, p: &Path<'_>) -> Result<ExponentialHistogramDataPoint, JsonError> {
    let mut out = ExponentialHistogramDataPoint::default();
    each(v, p, |k, v, p| {
        match k {
            "attributes" => out.attributes = attributes(v, p)?,
            "startTimeUnixNano" => out.start_time_unix_nano = uint64(v, p)?,
            "timeUnixNano" => out.time_unix_nano = uint64(v, p)?,
            "count" => out.count = uint64(v, p)?,
            "sum" => out.sum = Some(double(v, p)?),
            "scale" => out.scale = int32(v, p)?,
            "zeroCount" => out.zero_count = uint64(v, p)?,
            "positive" => out.positive = Some(buckets(v, p)?),
            "negative" => out.negative = Some(buckets(v, p)?),
            "flags" => out.flags = uint32(v, p)?,
            "exemplars" => out.exemplars = list(v, p, exemplar)?,
            "min" => out.min = Some(double(v, p)?),
            "max" => out.max = Some(double(v, p)?),
            "zeroThreshold" => out.zero_threshold = double(v, p)?,
            _ => {}
        }
        Ok(())
    })?;
    Ok(out)
}

fn buckets(v: &Value, p: &Path<'_>) -> Result<Buckets, JsonError> {
    let mut out = Buckets::default();
    each(v, p, |k, v, p| {
        match k {
            "offset" => out.offset = int32(v, p)?,
            "bucketCounts" => out.bucket_counts = list(v, p, uint64)?,
            _ => {}
        }
        Ok(())
    })?;
    Ok(out)
}

fn summary_point(v: &Value, p: &Path<'_>) -> Result<SummaryDataPoint, JsonError> {
    let mut out = SummaryDataPoint::default();
    each(v, p, |k, v, p| {
        match k {
            "attributes" => out.attributes = attributes(v, p)?,
            "startTimeUnixNano" => out.start_time_unix_nano = uint64(v, p)?,
            "timeUnixNano" => out.time_unix_nano = uint64(v, p)?,
            "count" => out.count = uint64(v, p)?,
            "sum" => out.sum = double(v, p)?,
            "quantileValues" => out.quantile_values = list(v, p, quantile)?,
            "flags" => out.flags = uint32(v, p)?,
            _ => {}
        }
        Ok(())
    })?;
    Ok(out)
}

fn quantile(v: &Value, p: &Path<'_>) -> Result<ValueAtQuantile, JsonError> {
    let mut out = ValueAtQuantile::default();
    each(v, p, |k, v, p| {
        match k {
            "quantile" => out.quantile = double(v, p)?,
            "value" => out.value = double(v, p)?,
            _ => {}
        }
        Ok(())
    })?;
    Ok(out)
}

fn exemplar(v: &Value, p: &Path<'_>) -> Result<Exemplar, JsonError> {
    let mut out = Exemplar::default();
    each(v, p, |k, v, p| {
        match k {
            "filteredAttributes" => out.filtered_attributes = attributes(v, p)?,
            "timeUnixNano" => out.time_unix_nano = uint64(v, p)?,
            "asDouble" => out.value = Some(exemplar::Value::AsDouble(double(v, p)?)),
            "asInt" => out.value = Some(exemplar::Value::AsInt(int64(v, p)?)),
            "spanId" => out.span_id = id(v, p, 8)?,
            "traceId" => out.trace_id = id(v, p, 16)?,
            _ => {}
        }
        Ok(())
    })?;
    Ok(out)
}
