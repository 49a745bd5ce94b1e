//! What the transform processor's metric functions ask of a metric: a
//! change to its shape (its type, its points, a new metric beside it) that
//! no path can say. The functions (`funcs/metrics.rs`) check and prepare
//! their arguments; the context over the OTLP types, which knows what a
//! metric is, carries the edit out. Nothing here knows the encoding.

/// Sums' and histograms' aggregation temporality, numbered as OTLP
/// numbers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Temporality {
    Delta = 1,
    Cumulative = 2,
}

impl Temporality {
    /// The Collector's argument words, `"delta"` and `"cumulative"`.
    pub fn parse(word: &str) -> Result<Temporality, String> {
        match word {
            "delta" => Ok(Temporality::Delta),
            "cumulative" => Ok(Temporality::Cumulative),
            other => Err(format!("unknown aggregation temporality: {other}")),
        }
    }
}

/// How `aggregate_on_attributes` and `aggregate_on_attribute_value`
/// combine the points of a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aggregation {
    Sum,
    Mean,
    Min,
    Max,
    Median,
    Count,
}

impl Aggregation {
    /// The Collector's case-sensitive names.
    pub fn parse(word: &str) -> Result<Aggregation, String> {
        Ok(match word {
            "sum" => Aggregation::Sum,
            "mean" => Aggregation::Mean,
            "min" => Aggregation::Min,
            "max" => Aggregation::Max,
            "median" => Aggregation::Median,
            "count" => Aggregation::Count,
            other => return Err(format!("invalid aggregation function: 'unsupported function: '{other}'', valid options: sum, mean, min, max, median, count")),
        })
    }
}

/// Which part of a summary or histogram becomes a new sum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Sum,
    Count,
}

/// How `merge_histogram_buckets` reads its target.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BucketMerge {
    /// Merges the bucket ending at this bound into the next one.
    RemoveBound(f64),
    /// Merges neighbouring buckets evenly until at most this many are left.
    Limit(u64),
}

/// How `convert_exponential_histogram_to_histogram` spreads an
/// exponential bucket's count over the explicit buckets it overlaps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Distribution {
    /// All of it where the bucket's upper bound falls.
    Upper,
    /// All of it where the bucket's midpoint falls.
    Midpoint,
    /// Evenly over the buckets it overlaps.
    Uniform,
    /// In proportion to the overlap, the rest at random.
    Random,
}

impl Distribution {
    pub fn parse(word: &str) -> Result<Distribution, String> {
        Ok(match word {
            "upper" => Distribution::Upper,
            "midpoint" => Distribution::Midpoint,
            "uniform" => Distribution::Uniform,
            // The Collector's default when the argument is empty.
            "random" | "" => Distribution::Random,
            other => return Err(format!("invalid conversion function: {other}, must be one of [upper, midpoint, random, uniform]")),
        })
    }
}

/// One change to the metric in hand (or, for the `datapoint` context's
/// functions, to its point or its metric).
#[derive(Debug, Clone, PartialEq)]
pub enum MetricEdit {
    /// `convert_sum_to_gauge()`: a sum's points become a gauge's.
    SumToGauge,
    /// `convert_gauge_to_sum(temporality, monotonic)`.
    GaugeToSum { temporality: Temporality, monotonic: bool },
    /// `extract_sum_metric` and `extract_count_metric`: a new sum after the
    /// metric from the sums or counts of a histogram's, an exponential
    /// histogram's or a summary's points.
    Extract { part: Part, monotonic: bool, suffix: String },
    /// `convert_summary_sum_val_to_sum` and
    /// `convert_summary_count_val_to_sum` (the `datapoint` context's): a new
    /// sum after a summary, with the temporality given.
    SummaryToSum { part: Part, temporality: Temporality, monotonic: bool, suffix: String },
    /// `convert_summary_quantile_val_to_gauge(attribute, suffix)`: a new
    /// gauge with one point per quantile of each summary point.
    SummaryQuantiles { attribute: String, suffix: String },
    /// `copy_metric(name, description, unit)`: a copy after the metric,
    /// with what is given changed.
    Copy { name: Option<String>, description: Option<String>, unit: Option<String> },
    /// `scale_metric(factor, unit)`: every value multiplied.
    Scale { factor: f64, unit: Option<String> },
    /// `aggregate_on_attributes(function, attributes)`: points that agree
    /// on the attributes kept (all of them when `keep` is `None`) merged.
    AggregateOnAttributes { function: Aggregation, keep: Option<Vec<String>> },
    /// `aggregate_on_attribute_value(function, attribute, values, new)`:
    /// the attribute's listed values renamed to `new_value`, then points
    /// that agree merged.
    AggregateOnAttributeValue { function: Aggregation, attribute: String, values: Vec<String>, new_value: String },
    /// `merge_histogram_buckets(target, method)` on a histogram point.
    MergeBuckets(BucketMerge),
    /// `convert_exponential_histogram_to_histogram(distribution, bounds)`.
    ExponentialToExplicit { distribution: Distribution, bounds: Vec<f64> },
    /// `extract_percentile_metric(percentile, suffix)`: a new gauge of each
    /// point's estimated percentile (0 to 100).
    Percentile { percentile: f64, suffix: String },
}

impl MetricEdit {
    /// The function's name, for errors.
    pub fn function(&self) -> &'static str {
        match self {
            MetricEdit::SumToGauge => "convert_sum_to_gauge",
            MetricEdit::GaugeToSum { .. } => "convert_gauge_to_sum",
            MetricEdit::Extract { part: Part::Sum, .. } => "extract_sum_metric",
            MetricEdit::Extract { part: Part::Count, .. } => "extract_count_metric",
            MetricEdit::SummaryToSum { part: Part::Sum, .. } => "convert_summary_sum_val_to_sum",
            MetricEdit::SummaryToSum { part: Part::Count, .. } => "convert_summary_count_val_to_sum",
            MetricEdit::SummaryQuantiles { .. } => "convert_summary_quantile_val_to_gauge",
            MetricEdit::Copy { .. } => "copy_metric",
            MetricEdit::Scale { .. } => "scale_metric",
            MetricEdit::AggregateOnAttributes { .. } => "aggregate_on_attributes",
            MetricEdit::AggregateOnAttributeValue { .. } => "aggregate_on_attribute_value",
            MetricEdit::MergeBuckets(_) => "merge_histogram_buckets",
            MetricEdit::ExponentialToExplicit { .. } => "convert_exponential_histogram_to_histogram",
            MetricEdit::Percentile { .. } => "extract_percentile_metric",
        }
    }
}

/// A question about a metric's data points that no path can ask: the
/// filter processor's `HasAttrKeyOnDatapoint` and `HasAttrOnDatapoint`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PointQuery<'q> {
    /// Whether any point has the attribute.
    HasKey(&'q str),
    /// Whether any point has the attribute with this string value.
    Has { key: &'q str, value: &'q str },
}

impl PointQuery<'_> {
    /// Whether a point whose attribute `key` reads `found` (`None`:
    /// absent; a value of another type reads as the empty string, as
    /// pdata's `Str()` gives it) answers yes.
    pub fn matches(&self, found: Option<&str>) -> bool {
        match (self, found) {
            (_, None) => false,
            (PointQuery::HasKey(_), Some(_)) => true,
            (PointQuery::Has { value, .. }, Some(v)) => *value == v,
        }
    }

    pub fn key(&self) -> &str {
        match self {
            PointQuery::HasKey(k) | PointQuery::Has { key: k, .. } => k,
        }
    }
}
