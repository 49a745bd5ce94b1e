//! The paths each OTLP context offers, as the Collector's `ottl*` context
//! READMEs list them, so the checker refuses an unknown path at load time.
//!
//! Every context sees the contexts above it through a prefix (a span sees
//! `resource.attributes` and `instrumentation_scope.name`; a span event
//! sees all of its span's paths under `span.`). A schema's paths are
//! therefore the concatenation of a few field groups, each under a
//! prefix; [`Part`] names the groups, and a context turns a [`PathId`]
//! back into its group and field with [`locate`]. Each group's field enum
//! and path list come from one macro invocation, so the two cannot drift.

use solder_syntax::ottl::{Key, PathId, PathSpec, Schema};

/// Declares a field group: an enum whose `ALL` is in path order, and a
/// macro `$paths!("prefix.")` giving the group's [`PathSpec`]s under a
/// prefix. `$d` is a literal `$`, so the generated macro can take its own
/// argument. Columns: variant, path name, keyed, settable.
macro_rules! fields {
    ($d:tt $enum:ident, $paths:ident { $($v:ident = $name:literal, $keyed:literal, $settable:literal;)* }) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub(crate) enum $enum { $($v),* }
        impl $enum {
            pub(crate) const ALL: &'static [$enum] = &[$($enum::$v),*];
        }
        macro_rules! $paths {
            ($d prefix:literal) => {
                [$(PathSpec { name: concat!($d prefix, $name), keyed: $keyed, settable: $settable }),*]
            };
        }
    };
}

fields!($ ResourceField, resource_paths {
    Attributes = "attributes", true, true;
    DroppedAttributesCount = "dropped_attributes_count", false, true;
    SchemaUrl = "schema_url", false, true;
});

fields!($ ScopeField, scope_paths {
    Name = "name", false, true;
    Version = "version", false, true;
    Attributes = "attributes", true, true;
    DroppedAttributesCount = "dropped_attributes_count", false, true;
    SchemaUrl = "schema_url", false, true;
});

fields!($ SpanField, span_paths {
    TraceId = "trace_id", false, true;
    TraceIdString = "trace_id.string", false, true;
    SpanId = "span_id", false, true;
    SpanIdString = "span_id.string", false, true;
    ParentSpanId = "parent_span_id", false, true;
    ParentSpanIdString = "parent_span_id.string", false, true;
    TraceState = "trace_state", true, true;
    StatusCode = "status.code", false, true;
    StatusMessage = "status.message", false, true;
    Name = "name", false, true;
    Kind = "kind", false, true;
    KindString = "kind.string", false, true;
    KindDeprecatedString = "kind.deprecated_string", false, true;
    StartTimeUnixNano = "start_time_unix_nano", false, true;
    EndTimeUnixNano = "end_time_unix_nano", false, true;
    StartTime = "start_time", false, true;
    EndTime = "end_time", false, true;
    Attributes = "attributes", true, true;
    DroppedAttributesCount = "dropped_attributes_count", false, true;
    DroppedEventsCount = "dropped_events_count", false, true;
    DroppedLinksCount = "dropped_links_count", false, true;
});

fields!($ EventField, event_paths {
    Name = "name", false, true;
    TimeUnixNano = "time_unix_nano", false, true;
    Time = "time", false, true;
    Attributes = "attributes", true, true;
    DroppedAttributesCount = "dropped_attributes_count", false, true;
});

fields!($ MetricField, metric_paths {
    Name = "name", false, true;
    Description = "description", false, true;
    Unit = "unit", false, true;
    // The Collector accepts a write to `type` and ignores it.
    Type = "type", false, true;
    AggregationTemporality = "aggregation_temporality", false, true;
    IsMonotonic = "is_monotonic", false, true;
    Metadata = "metadata", true, true;
});

fields!($ PointField, point_paths {
    Attributes = "attributes", true, true;
    StartTimeUnixNano = "start_time_unix_nano", false, true;
    TimeUnixNano = "time_unix_nano", false, true;
    StartTime = "start_time", false, true;
    Time = "time", false, true;
    ValueDouble = "value_double", false, true;
    ValueInt = "value_int", false, true;
    Flags = "flags", false, true;
    Count = "count", false, true;
    Sum = "sum", false, true;
    BucketCounts = "bucket_counts", false, true;
    ExplicitBounds = "explicit_bounds", false, true;
    Scale = "scale", false, true;
    ZeroCount = "zero_count", false, true;
    PositiveOffset = "positive.offset", false, true;
    PositiveBucketCounts = "positive.bucket_counts", false, true;
    NegativeOffset = "negative.offset", false, true;
    NegativeBucketCounts = "negative.bucket_counts", false, true;
});

fields!($ LogField, log_paths {
    Body = "body", true, true;
    BodyString = "body.string", false, true;
    Attributes = "attributes", true, true;
    DroppedAttributesCount = "dropped_attributes_count", false, true;
    TimeUnixNano = "time_unix_nano", false, true;
    ObservedTimeUnixNano = "observed_time_unix_nano", false, true;
    Time = "time", false, true;
    ObservedTime = "observed_time", false, true;
    SeverityNumber = "severity_number", false, true;
    SeverityText = "severity_text", false, true;
    Flags = "flags", false, true;
    TraceId = "trace_id", false, true;
    TraceIdString = "trace_id.string", false, true;
    SpanId = "span_id", false, true;
    SpanIdString = "span_id.string", false, true;
    EventName = "event_name", false, true;
});

/// One field group of a schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Part {
    Resource,
    Scope,
    Span,
    Event,
    Metric,
    Point,
    Log,
}

impl Part {
    pub(crate) const fn len(self) -> usize {
        match self {
            Part::Resource => ResourceField::ALL.len(),
            Part::Scope => ScopeField::ALL.len(),
            Part::Span => SpanField::ALL.len(),
            Part::Event => EventField::ALL.len(),
            Part::Metric => MetricField::ALL.len(),
            Part::Point => PointField::ALL.len(),
            Part::Log => LogField::ALL.len(),
        }
    }
}

/// Concatenates path groups into one array at compile time; a wrong `N`
/// fails the build.
const fn join<const N: usize>(parts: &[&[PathSpec]]) -> [PathSpec; N] {
    let mut out = [PathSpec { name: "", keyed: false, settable: false }; N];
    let (mut n, mut p) = (0, 0);
    while p < parts.len() {
        let mut i = 0;
        while i < parts[p].len() {
            out[n] = parts[p][i];
            n += 1;
            i += 1;
        }
        p += 1;
    }
    assert!(n == N, "schema length does not match its parts");
    out
}

/// Declares a schema from its groups, with the matching `Part` list that
/// [`locate`] reads.
macro_rules! schema {
    ($(#[$doc:meta])* $stat:ident, $parts:ident, $name:literal, $enums:expr, [$($paths:ident($prefix:literal) => $part:ident),* $(,)?]) => {
        pub(crate) const $parts: &[Part] = &[$(Part::$part),*];
        $(#[$doc])*
        pub static $stat: Schema = Schema {
            name: $name,
            paths: &join::<{ 0 $(+ Part::$part.len())* }>(&[$(&$paths!($prefix)),*]),
            enums: $enums,
        };
    };
}

schema!(
    /// `resource`: one resource with its attributes.
    RESOURCE, RESOURCE_PARTS, "resource", &[], [resource_paths("") => Resource]
);
schema!(
    /// `scope`: one instrumentation scope, and its resource.
    SCOPE, SCOPE_PARTS, "scope", &[], [scope_paths("") => Scope, resource_paths("resource.") => Resource]
);
schema!(
    /// `span`: one span, its scope (as `instrumentation_scope.` or the newer
    /// `scope.`) and its resource.
    SPAN, SPAN_PARTS, "span", TRACE_ENUMS, [
        span_paths("") => Span,
        resource_paths("resource.") => Resource,
        scope_paths("instrumentation_scope.") => Scope,
        scope_paths("scope.") => Scope,
    ]
);
schema!(
    /// `spanevent`: one span event, and every path of its span under `span.`.
    SPANEVENT, SPANEVENT_PARTS, "spanevent", TRACE_ENUMS, [
        event_paths("") => Event,
        span_paths("span.") => Span,
        resource_paths("resource.") => Resource,
        scope_paths("instrumentation_scope.") => Scope,
        scope_paths("scope.") => Scope,
    ]
);
schema!(
    /// `metric`: one metric, whatever its type.
    METRIC, METRIC_PARTS, "metric", METRIC_ENUMS, [
        metric_paths("") => Metric,
        resource_paths("resource.") => Resource,
        scope_paths("instrumentation_scope.") => Scope,
        scope_paths("scope.") => Scope,
    ]
);
schema!(
    /// `datapoint`: one data point of any metric type, and its metric under `metric.`.
    DATAPOINT, DATAPOINT_PARTS, "datapoint", DATAPOINT_ENUMS, [
        point_paths("") => Point,
        metric_paths("metric.") => Metric,
        resource_paths("resource.") => Resource,
        scope_paths("instrumentation_scope.") => Scope,
        scope_paths("scope.") => Scope,
    ]
);
schema!(
    /// `log`: one log record.
    LOG, LOG_PARTS, "log", LOG_ENUMS, [
        log_paths("") => Log,
        resource_paths("resource.") => Resource,
        scope_paths("instrumentation_scope.") => Scope,
        scope_paths("scope.") => Scope,
    ]
);

const TRACE_ENUMS: &[(&str, i64)] = &[
    ("SPAN_KIND_UNSPECIFIED", 0),
    ("SPAN_KIND_INTERNAL", 1),
    ("SPAN_KIND_SERVER", 2),
    ("SPAN_KIND_CLIENT", 3),
    ("SPAN_KIND_PRODUCER", 4),
    ("SPAN_KIND_CONSUMER", 5),
    ("STATUS_CODE_UNSET", 0),
    ("STATUS_CODE_OK", 1),
    ("STATUS_CODE_ERROR", 2),
];

/// Metric data types are numbered as pdata numbers them, not as the proto's
/// oneof tags.
const METRIC_ENUMS: &[(&str, i64)] = &[
    ("AGGREGATION_TEMPORALITY_UNSPECIFIED", 0),
    ("AGGREGATION_TEMPORALITY_DELTA", 1),
    ("AGGREGATION_TEMPORALITY_CUMULATIVE", 2),
    ("METRIC_DATA_TYPE_NONE", 0),
    ("METRIC_DATA_TYPE_GAUGE", 1),
    ("METRIC_DATA_TYPE_SUM", 2),
    ("METRIC_DATA_TYPE_HISTOGRAM", 3),
    ("METRIC_DATA_TYPE_EXPONENTIAL_HISTOGRAM", 4),
    ("METRIC_DATA_TYPE_SUMMARY", 5),
];

const DATAPOINT_ENUMS: &[(&str, i64)] = &[
    ("FLAG_NONE", 0),
    ("FLAG_NO_RECORDED_VALUE", 1),
    ("AGGREGATION_TEMPORALITY_UNSPECIFIED", 0),
    ("AGGREGATION_TEMPORALITY_DELTA", 1),
    ("AGGREGATION_TEMPORALITY_CUMULATIVE", 2),
    ("METRIC_DATA_TYPE_NONE", 0),
    ("METRIC_DATA_TYPE_GAUGE", 1),
    ("METRIC_DATA_TYPE_SUM", 2),
    ("METRIC_DATA_TYPE_HISTOGRAM", 3),
    ("METRIC_DATA_TYPE_EXPONENTIAL_HISTOGRAM", 4),
    ("METRIC_DATA_TYPE_SUMMARY", 5),
];

const LOG_ENUMS: &[(&str, i64)] = &[
    ("SEVERITY_NUMBER_UNSPECIFIED", 0),
    ("SEVERITY_NUMBER_TRACE", 1),
    ("SEVERITY_NUMBER_TRACE2", 2),
    ("SEVERITY_NUMBER_TRACE3", 3),
    ("SEVERITY_NUMBER_TRACE4", 4),
    ("SEVERITY_NUMBER_DEBUG", 5),
    ("SEVERITY_NUMBER_DEBUG2", 6),
    ("SEVERITY_NUMBER_DEBUG3", 7),
    ("SEVERITY_NUMBER_DEBUG4", 8),
    ("SEVERITY_NUMBER_INFO", 9),
    ("SEVERITY_NUMBER_INFO2", 10),
    ("SEVERITY_NUMBER_INFO3", 11),
    ("SEVERITY_NUMBER_INFO4", 12),
    ("SEVERITY_NUMBER_WARN", 13),
    ("SEVERITY_NUMBER_WARN2", 14),
    ("SEVERITY_NUMBER_WARN3", 15),
    ("SEVERITY_NUMBER_WARN4", 16),
    ("SEVERITY_NUMBER_ERROR", 17),
    ("SEVERITY_NUMBER_ERROR2", 18),
    ("SEVERITY_NUMBER_ERROR3", 19),
    ("SEVERITY_NUMBER_ERROR4", 20),
    ("SEVERITY_NUMBER_FATAL", 21),
    ("SEVERITY_NUMBER_FATAL2", 22),
    ("SEVERITY_NUMBER_FATAL3", 23),
    ("SEVERITY_NUMBER_FATAL4", 24),
];

/// Which group and field of `schema` a path is. Index keys on a path that
/// takes none are refused here, once for every context.
pub(crate) fn locate(schema: &Schema, parts: &[Part], path: PathId, keys: &[Key]) -> Result<(Part, usize), String> {
    let spec = schema.paths.get(path as usize).ok_or_else(|| format!("path {path} is not a {} path", schema.name))?;
    if !keys.is_empty() && !spec.keyed {
        return Err(format!("{} cannot be indexed", spec.name));
    }
    let mut i = path as usize;
    for part in parts {
        if i < part.len() {
            return Ok((*part, i));
        }
        i -= part.len();
    }
    Err(format!("path {path} is not a {} path", schema.name))
}
