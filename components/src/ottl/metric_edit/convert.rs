//! `convert_sum_to_gauge` and `convert_gauge_to_sum`: the points stay, the
//! type around them changes. Any other type is left as it is.

use std::mem::take;

use solder_syntax::ottl::metric_edit::Temporality;

use crate::otlp::proto::metrics::v1::metric::Data;
use crate::otlp::proto::metrics::v1::{Gauge, Metric, Sum};

pub(super) fn sum_to_gauge(metric: &mut Metric) {
    if let Some(Data::Sum(s)) = &mut metric.data {
        metric.data = Some(Data::Gauge(Gauge { data_points: take(&mut s.data_points) }));
    }
}

pub(super) fn gauge_to_sum(metric: &mut Metric, temporality: Temporality, monotonic: bool) {
    if let Some(Data::Gauge(g)) = &mut metric.data {
        let data_points = take(&mut g.data_points);
        metric.data = Some(Data::Sum(Sum { data_points, aggregation_temporality: temporality as i32, is_monotonic: monotonic }));
    }
}
