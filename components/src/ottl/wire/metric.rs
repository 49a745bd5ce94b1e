//! One metric on the wire as the `metric` context, for the filter: its
//! fields found in one walk of its bytes, with its data's type,
//! temporality, monotonicity and number of points read from the data's
//! own fields, the points themselves skipped. Nothing is written: the
//! filter keeps a metric as received or drops it whole.
//!
//! Dropping metrics by name is most of what metric filters do, and a
//! metric request is mostly data points that decoding would copy out and
//! encoding copy back.

use solder_syntax::ottl::metric_edit::PointQuery;
use solder_syntax::ottl::{Context, Key, PathId, Value};

use super::attrs::{string_bytes, Attrs};
use super::fields::{self, Field};
use super::frame::{Item, DATA_POINTS};
use super::span::{above_serves, Above};
use crate::otlp::wire::{Reader, WireError, WT_I32, WT_I64, WT_LEN, WT_VARINT};
use crate::ottl::schema::{locate, MetricField, Part, METRIC, METRIC_PARTS};

/// Whether the wire metric context serves a read of `path`: every field
/// of the metric; of the resource and scope above it, the attributes, the
/// name and the version.
pub(super) fn supports(path: PathId) -> bool {
    match locate(&METRIC, METRIC_PARTS, path, &[]) {
        Ok((Part::Metric, _)) => true,
        Ok((part, i)) => above_serves(part, i),
        Err(_) => false,
    }
}

/// `Metric`'s data fields (`gauge`, `sum`, `histogram`,
/// `exponential_histogram`, `summary`), in the order of pdata's
/// `METRIC_DATA_TYPE_*` numbers, 1 to 5.
const DATA: [u32; 5] = [5, 7, 9, 10, 11];
const GAUGE: u32 = 5;
const SUM: u32 = 7;
const SUMMARY: u32 = 11;

/// A metric's fields as received, by prost's rules (the last of a
/// repeated scalar wins). A metric with more than one data field (prost
/// keeps the last, or merges two of one type) is left to decoding.
#[derive(Default)]
pub(super) struct WireMetric<'a> {
    name: &'a [u8],
    description: &'a [u8],
    unit: &'a [u8],
    /// The data field's number (one of [`DATA`]); 0 without data.
    data: u32,
    /// The data message, whose points `HasAttrOnDatapoint` looks into.
    data_bytes: &'a [u8],
    temporality: i32,
    monotonic: bool,
    points: usize,
    metadata: Attrs<'a>,
}

impl<'a> WireMetric<'a> {
    /// Reads a metric's fields into this one, reusing its metadata list.
    pub fn read(&mut self, metric: &'a [u8]) -> Result<(), WireError> {
        let mut metadata = std::mem::take(&mut self.metadata);
        metadata.clear();
        *self = WireMetric { metadata, ..WireMetric::default() };
        let mut r = Reader::new(metric, 0);
        while !r.done() {
            let start = r.offset();
            let (tag, wire_type) = r.key()?;
            match (tag, wire_type) {
                (12, WT_LEN) => {
                    let kv = r.delimited()?.0;
                    self.metadata.push(&metric[start..r.offset()], kv)?;
                }
                (1..=3, WT_LEN) => {
                    let text = r.delimited()?.0;
                    match tag {
                        1 => self.name = text,
                        2 => self.description = text,
                        _ => self.unit = text,
                    }
                }
                (5 | 7 | 9 | 10 | 11, WT_LEN) => {
                    let data = r.delimited()?.0;
                    if self.data != 0 {
                        return Err(WireError { offset: start, message: "a metric's data written twice".into() });
                    }
                    self.data = tag;
                    self.data_bytes = data;
                    self.read_data(tag, data)?;
                }
                (1..=3 | 5 | 7 | 9..=12, _) => return Err(WireError { offset: start, message: format!("metric field {tag} has wire type {wire_type}") }),
                (_, WT_LEN) => drop(r.delimited()?),
                (_, WT_VARINT | WT_I64 | WT_I32) => r.scalar(wire_type)?,
                _ => return Err(WireError { offset: start, message: "groups are not filtered on the wire".into() }),
            }
        }
        Ok(())
    }

    /// The data message's points (field 1 of every type), temporality
    /// (field 2, but for a gauge or a summary) and a sum's monotonicity
    /// (field 3).
    fn read_data(&mut self, tag: u32, data: &'a [u8]) -> Result<(), WireError> {
        fields::each(data, |f: Field<'_>| {
            let expected = match f.tag {
                1 => WT_LEN,
                2 if tag != SUMMARY && tag != GAUGE => WT_VARINT,
                3 if tag == SUM => WT_VARINT,
                _ => return Ok(()),
            };
            if f.wire_type != expected {
                return Err(WireError { offset: 0, message: format!("metric data field {} has wire type {}", f.tag, f.wire_type) });
            }
            match f.tag {
                1 => self.points += 1,
                2 => self.temporality = Reader::new(f.payload, 0).varint()? as i32,
                _ => self.monotonic = Reader::new(f.payload, 0).varint()? != 0,
            }
            Ok(())
        })
    }

    /// How many data points the metric holds: what dropping it takes
    /// from the request's count.
    pub fn points(&self) -> usize {
        self.points
    }

    /// Whether any point answers `query`: each point's attributes (the
    /// field its type numbers them by) read for the key's first entry.
    fn query_points(&self, query: PointQuery<'_>) -> Result<bool, String> {
        let Some((_, item)) = Item::of_metric_data(self.data) else { return Err("unknown metric type".into()) };
        let mut attrs = Attrs::default();
        let mut found = false;
        fields::each(self.data_bytes, |point: Field<'a>| {
            if found || point.tag != DATA_POINTS || point.wire_type != WT_LEN {
                return Ok(());
            }
            attrs.clear();
            fields::each(
                point.payload,
                |f: Field<'a>| if f.tag == item.attributes && f.wire_type == WT_LEN { attrs.push(f.whole, f.payload) } else { Ok(()) },
            )?;
            let any = attrs.first_raw(query.key().as_bytes()).map_err(|()| WireError { offset: 0, message: "an attribute of an unusual shape".into() })?;
            // pdata reads a value of another type as the empty string.
            found = query.matches(any.map(|any| string_bytes(any).and_then(|b| std::str::from_utf8(b).ok()).unwrap_or_default()));
            Ok::<(), WireError>(())
        })
        .map_err(|e| e.to_string())?;
        Ok(found)
    }

    fn get(&self, field: MetricField, keys: &[Key]) -> Result<Value, String> {
        use MetricField as F;
        let text = |bytes| fields::text(bytes).map(Value::str).map_err(|e| e.to_string());
        Ok(match field {
            F::Name => text(self.name)?,
            F::Description => text(self.description)?,
            F::Unit => text(self.unit)?,
            F::Type => Value::Int(DATA.iter().position(|t| *t == self.data).map_or(0, |i| i as i64 + 1)),
            F::AggregationTemporality if !matches!(self.data, 0 | GAUGE | SUMMARY) => Value::Int(i64::from(self.temporality)),
            F::IsMonotonic if self.data == SUM => Value::Bool(self.monotonic),
            F::AggregationTemporality | F::IsMonotonic => Value::Nil,
            F::Metadata => return self.metadata.get(keys),
        })
    }
}

/// The `metric` context over a [`WireMetric`], for conditions: nothing
/// here writes.
pub(super) struct WireMetricContext<'s, 'a> {
    pub metric: &'s WireMetric<'a>,
    pub above: &'s Above<'a>,
}

impl Context for WireMetricContext<'_, '_> {
    fn get(&self, path: PathId, keys: &[Key]) -> Result<Value, String> {
        match locate(&METRIC, METRIC_PARTS, path, keys)? {
            (Part::Metric, i) => self.metric.get(MetricField::ALL[i], keys),
            (part, i) => self.above.get(part, i, keys),
        }
    }

    fn set(&mut self, _path: PathId, _keys: &[Key], _value: Value) -> Result<(), String> {
        Err("conditions do not write".into())
    }

    fn query_points(&self, query: PointQuery<'_>) -> Result<bool, String> {
        self.metric.query_points(query)
    }
}
