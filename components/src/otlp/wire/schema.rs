//! The OTLP messages as the validator needs them: for each field, its
//! number and the wire shape prost expects. Mirrors the `opentelemetry-proto`
//! types this crate decodes with (field names as in the `.proto` files);
//! the round-trip tests in `tests.rs` hold the two together.

/// What a field holds, as far as the wire is concerned.
#[derive(Clone, Copy)]
pub(super) enum Kind {
    /// int32/64, uint32/64, sint32, bool, enum.
    Varint,
    /// fixed64, sfixed64, double.
    I64,
    /// fixed32.
    I32,
    /// string (single or repeated): must be UTF-8.
    Str,
    Bytes,
    Msg(&'static Message),
    /// repeated uint64: packed or not.
    RepVarint,
    /// repeated fixed64/double: packed or not.
    RepI64,
}

/// How a field counts towards the request's items.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    Plain,
    /// Each occurrence is one item (a span, a data point, a log record).
    Item,
    /// A member of the oneof whose last member alone survives decoding
    /// (`Metric.data`), so only its items count.
    Oneof,
}

pub(super) struct Field {
    pub name: &'static str,
    pub kind: Kind,
    pub role: Role,
}

pub(crate) struct Message {
    pub(super) name: &'static str,
    pub(super) fields: &'static [Field],
    /// `fields` by tag: `index[tag] - 1`, 0 for unknown tags.
    index: [u8; MAX_TAG + 1],
}

/// The largest field number in the OTLP messages (`Span.flags`). A larger
/// one in a table below fails to compile.
const MAX_TAG: usize = 16;

impl Message {
    #[inline]
    pub(super) fn field(&self, tag: u32) -> Option<&Field> {
        let i = *self.index.get(tag as usize)?;
        self.fields.get(usize::from(i).checked_sub(1)?)
    }

    /// Whether prost decodes a field of this number and wire type here:
    /// an unknown field always (it is skipped), a known one when the wire
    /// type is its kind's (repeated numbers packed or one by one). For
    /// walks that pass fields over without reading them, yet must refuse
    /// what decoding refuses.
    pub(crate) fn fits(&self, tag: u32, wire_type: u8) -> bool {
        let Some(field) = self.field(tag) else { return true };
        let packed = matches!(field.kind, Kind::RepVarint | Kind::RepI64) && wire_type == super::WT_LEN;
        packed || wire_type == field.kind.wire_type()
    }
}

impl Kind {
    /// The wire type of one value of this kind (repeated numbers may also
    /// come packed, length-delimited).
    pub(super) fn wire_type(self) -> u8 {
        use super::{WT_I32, WT_I64, WT_LEN, WT_VARINT};
        match self {
            Kind::Varint | Kind::RepVarint => WT_VARINT,
            Kind::I64 | Kind::RepI64 => WT_I64,
            Kind::I32 => WT_I32,
            Kind::Str | Kind::Bytes | Kind::Msg(_) => WT_LEN,
        }
    }
}

const fn index(tags: &[usize]) -> [u8; MAX_TAG + 1] {
    let mut index = [0; MAX_TAG + 1];
    let mut i = 0;
    while i < tags.len() {
        index[tags[i]] = i as u8 + 1;
        i += 1;
    }
    index
}

macro_rules! message {
    ($static:ident, $name:literal, [$($tag:literal $field:tt: $kind:expr $(=> $role:ident)?),* $(,)?]) => {
        pub(crate) static $static: Message = Message {
            name: $name,
            fields: &[$(Field { name: message!(@name $field), kind: $kind, role: message!(@role $($role)?) }),*],
            index: index(&[$($tag),*]),
        };
    };
    (@name $field:ident) => { stringify!($field) };
    (@name $field:literal) => { $field };
    (@role) => { Role::Plain };
    (@role $role:ident) => { Role::$role };
}

use Kind::{Bytes, Msg, RepI64, RepVarint, Str, Varint, I32, I64};

// opentelemetry/proto/common/v1 and resource/v1.
message!(ANY_VALUE, "AnyValue", [
    1 string_value: Str, 2 bool_value: Varint, 3 int_value: Varint, 4 double_value: I64,
    5 array_value: Msg(&ARRAY_VALUE), 6 kvlist_value: Msg(&KEY_VALUE_LIST), 7 bytes_value: Bytes,
    8 string_value_strindex: Varint,
]);
message!(ARRAY_VALUE, "ArrayValue", [1 values: Msg(&ANY_VALUE)]);
message!(KEY_VALUE_LIST, "KeyValueList", [1 values: Msg(&KEY_VALUE)]);
message!(KEY_VALUE, "KeyValue", [1 key: Str, 2 value: Msg(&ANY_VALUE), 3 key_strindex: Varint]);
message!(SCOPE, "InstrumentationScope", [
    1 name: Str, 2 version: Str, 3 attributes: Msg(&KEY_VALUE), 4 dropped_attributes_count: Varint,
]);
message!(ENTITY_REF, "EntityRef", [1 schema_url: Str, 2 "type": Str, 3 id_keys: Str, 4 description_keys: Str]);
message!(RESOURCE, "Resource", [
    1 attributes: Msg(&KEY_VALUE), 2 dropped_attributes_count: Varint, 3 entity_refs: Msg(&ENTITY_REF),
]);

// opentelemetry/proto/trace/v1.
message!(TRACES_REQUEST, "ExportTraceServiceRequest", [1 resource_spans: Msg(&RESOURCE_SPANS)]);
message!(RESOURCE_SPANS, "ResourceSpans", [1 resource: Msg(&RESOURCE), 2 scope_spans: Msg(&SCOPE_SPANS), 3 schema_url: Str]);
message!(SCOPE_SPANS, "ScopeSpans", [1 scope: Msg(&SCOPE), 2 spans: Msg(&SPAN) => Item, 3 schema_url: Str]);
message!(SPAN, "Span", [
    1 trace_id: Bytes, 2 span_id: Bytes, 3 trace_state: Str, 4 parent_span_id: Bytes, 16 flags: I32,
    5 name: Str, 6 kind: Varint, 7 start_time_unix_nano: I64, 8 end_time_unix_nano: I64,
    9 attributes: Msg(&KEY_VALUE), 10 dropped_attributes_count: Varint, 11 events: Msg(&EVENT),
    12 dropped_events_count: Varint, 13 links: Msg(&LINK), 14 dropped_links_count: Varint, 15 status: Msg(&STATUS),
]);
message!(EVENT, "Span.Event", [
    1 time_unix_nano: I64, 2 name: Str, 3 attributes: Msg(&KEY_VALUE), 4 dropped_attributes_count: Varint,
]);
message!(LINK, "Span.Link", [
    1 trace_id: Bytes, 2 span_id: Bytes, 3 trace_state: Str, 4 attributes: Msg(&KEY_VALUE),
    5 dropped_attributes_count: Varint, 6 flags: I32,
]);
message!(STATUS, "Status", [2 message: Str, 3 code: Varint]);

// opentelemetry/proto/logs/v1.
message!(LOGS_REQUEST, "ExportLogsServiceRequest", [1 resource_logs: Msg(&RESOURCE_LOGS)]);
message!(RESOURCE_LOGS, "ResourceLogs", [1 resource: Msg(&RESOURCE), 2 scope_logs: Msg(&SCOPE_LOGS), 3 schema_url: Str]);
message!(SCOPE_LOGS, "ScopeLogs", [1 scope: Msg(&SCOPE), 2 log_records: Msg(&LOG_RECORD) => Item, 3 schema_url: Str]);
message!(LOG_RECORD, "LogRecord", [
    1 time_unix_nano: I64, 11 observed_time_unix_nano: I64, 2 severity_number: Varint, 3 severity_text: Str,
    5 body: Msg(&ANY_VALUE), 6 attributes: Msg(&KEY_VALUE), 7 dropped_attributes_count: Varint, 8 flags: I32,
    9 trace_id: Bytes, 10 span_id: Bytes, 12 event_name: Str,
]);

// opentelemetry/proto/metrics/v1.
message!(METRICS_REQUEST, "ExportMetricsServiceRequest", [1 resource_metrics: Msg(&RESOURCE_METRICS)]);
message!(RESOURCE_METRICS, "ResourceMetrics", [
    1 resource: Msg(&RESOURCE), 2 scope_metrics: Msg(&SCOPE_METRICS), 3 schema_url: Str,
]);
message!(SCOPE_METRICS, "ScopeMetrics", [1 scope: Msg(&SCOPE), 2 metrics: Msg(&METRIC), 3 schema_url: Str]);
message!(METRIC, "Metric", [
    1 name: Str, 2 description: Str, 3 unit: Str, 12 metadata: Msg(&KEY_VALUE),
    5 gauge: Msg(&GAUGE) => Oneof, 7 sum: Msg(&SUM) => Oneof, 9 histogram: Msg(&HISTOGRAM) => Oneof,
    10 exponential_histogram: Msg(&EXP_HISTOGRAM) => Oneof, 11 summary: Msg(&SUMMARY) => Oneof,
]);
message!(GAUGE, "Gauge", [1 data_points: Msg(&NUMBER_POINT) => Item]);
message!(SUM, "Sum", [1 data_points: Msg(&NUMBER_POINT) => Item, 2 aggregation_temporality: Varint, 3 is_monotonic: Varint]);
message!(HISTOGRAM, "Histogram", [1 data_points: Msg(&HISTOGRAM_POINT) => Item, 2 aggregation_temporality: Varint]);
message!(EXP_HISTOGRAM, "ExponentialHistogram", [
    1 data_points: Msg(&EXP_HISTOGRAM_POINT) => Item, 2 aggregation_temporality: Varint,
]);
message!(SUMMARY, "Summary", [1 data_points: Msg(&SUMMARY_POINT) => Item]);
message!(NUMBER_POINT, "NumberDataPoint", [
    7 attributes: Msg(&KEY_VALUE), 2 start_time_unix_nano: I64, 3 time_unix_nano: I64, 4 as_double: I64,
    6 as_int: I64, 5 exemplars: Msg(&EXEMPLAR), 8 flags: Varint,
]);
message!(HISTOGRAM_POINT, "HistogramDataPoint", [
    9 attributes: Msg(&KEY_VALUE), 2 start_time_unix_nano: I64, 3 time_unix_nano: I64, 4 count: I64, 5 sum: I64,
    6 bucket_counts: RepI64, 7 explicit_bounds: RepI64, 8 exemplars: Msg(&EXEMPLAR), 10 flags: Varint,
    11 min: I64, 12 max: I64,
]);
message!(EXP_HISTOGRAM_POINT, "ExponentialHistogramDataPoint", [
    1 attributes: Msg(&KEY_VALUE), 2 start_time_unix_nano: I64, 3 time_unix_nano: I64, 4 count: I64, 5 sum: I64,
    6 scale: Varint, 7 zero_count: I64, 8 positive: Msg(&BUCKETS), 9 negative: Msg(&BUCKETS), 10 flags: Varint,
    11 exemplars: Msg(&EXEMPLAR), 12 min: I64, 13 max: I64, 14 zero_threshold: I64,
]);
message!(BUCKETS, "ExponentialHistogramDataPoint.Buckets", [1 offset: Varint, 2 bucket_counts: RepVarint]);
message!(SUMMARY_POINT, "SummaryDataPoint", [
    7 attributes: Msg(&KEY_VALUE), 2 start_time_unix_nano: I64, 3 time_unix_nano: I64, 4 count: I64, 5 sum: I64,
    6 quantile_values: Msg(&VALUE_AT_QUANTILE), 8 flags: Varint,
]);
message!(VALUE_AT_QUANTILE, "SummaryDataPoint.ValueAtQuantile", [1 quantile: I64, 2 value: I64]);
message!(EXEMPLAR, "Exemplar", [
    7 filtered_attributes: Msg(&KEY_VALUE), 2 time_unix_nano: I64, 3 as_double: I64, 6 as_int: I64,
    4 span_id: Bytes, 5 trace_id: Bytes,
]);
