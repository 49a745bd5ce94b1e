//! `scale_metric`: every value of the metric multiplied by a factor, as the
//! Collector scales them. An int value stays an int (the product cut
//! towards zero); a histogram's bounds, sum, min, max and exemplars scale
//! with it, its counts do not; a summary's sum and quantile values scale.

use crate::otlp::proto::metrics::v1::exemplar::Value as ExemplarValue;
use crate::otlp::proto::metrics::v1::metric::Data;
use crate::otlp::proto::metrics::v1::number_data_point::Value as Number;
use crate::otlp::proto::metrics::v1::{Metric, NumberDataPoint};

pub(super) fn scale(metric: &mut Metric, factor: f64) -> Result<(), String> {
    match &mut metric.data {
        Some(Data::Gauge(g)) => numbers(&mut g.data_points, factor),
        Some(Data::Sum(s)) => numbers(&mut s.data_points, factor),
        Some(Data::Histogram(h)) => {
            for p in &mut h.data_points {
                for v in [&mut p.sum, &mut p.min, &mut p.max].into_iter().flatten() {
                    *v *= factor;
                }
                p.explicit_bounds.iter_mut().for_each(|b| *b *= factor);
                for e in &mut p.exemplars {
                    e.value = e.value.map(|v| match v {
                        ExemplarValue::AsInt(i) => ExemplarValue::AsInt((i as f64 * factor) as i64),
                        ExemplarValue::AsDouble(d) => ExemplarValue::AsDouble(d * factor),
                    });
                }
            }
        }
        Some(Data::Summary(s)) => {
            for p in &mut s.data_points {
                p.sum *= factor;
                p.quantile_values.iter_mut().for_each(|q| q.value *= factor);
            }
        }
        Some(Data::ExponentialHistogram(_)) => return Err("exponential histograms are not supported by the 'scale_metric' function".into()),
        None => return Err("unsupported metric type: 'Empty'".into()),
    }
    Ok(())
}

fn numbers(points: &mut [NumberDataPoint], factor: f64) {
    for p in points {
        p.value = p.value.map(|v| match v {
            Number::AsInt(i) => Number::AsInt((i as f64 * factor) as i64),
            Number::AsDouble(d) => Number::AsDouble(d * factor),
        });
    }
}
