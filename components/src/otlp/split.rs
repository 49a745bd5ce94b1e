//! Splitting an OTLP request into smaller requests at item granularity.
//!
//! This is the one place the batch path decodes: a payload too large for a
//! batch is decoded once, and pieces of at most `max` spans, metric data
//! points or log records are cut from its front one at a time, each
//! re-encoded as it is asked for ([`Pieces`] is an iterator). Every item
//! keeps its resource, its scope (and, for data points, its metric's name,
//! unit, type and temporality): the envelope around an item is copied into
//! each piece that holds part of it. So only one piece, and one copy of
//! each envelope, exists at a time, however many pieces there are: a 2 MiB
//! resource around a million spans costs 2 MiB per piece alive, not per
//! piece cut. Order is preserved, and nothing is duplicated or lost.

use std::net::IpAddr;

use super::encoded::{Encoded, Request};
use super::proto::logs::v1::{ResourceLogs, ScopeLogs};
use super::proto::metrics::v1::{metric::Data, Metric, ResourceMetrics, ScopeMetrics};
use super::proto::trace::v1::{ResourceSpans, ScopeSpans};
use super::proto::{ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest};

/// Splits `data` into requests, lazily: the first holds at most `first`
/// items, each later one at most `max`. Only the last may hold fewer than
/// its limit.
///
/// `first == 0` means "the same as `max`"; `max == 0` means no limit, and
/// yields `data` as it is. Fails only when the bytes do not decode, which
/// the receivers' validation ([`super::wire`]) already rules out.
pub fn split<M: Split>(data: &Encoded<M>, first: usize, max: usize) -> Result<Pieces<M>, prost::DecodeError> {
    let first = if first == 0 { max } else { first.min(max) };
    if max == 0 || data.items() <= first {
        return Ok(Pieces::one(data.clone()));
    }
    let mut request = M::decode(data.bytes().clone())?;
    request.reverse();
    Ok(Pieces { whole: None, left: request.items(), rest: Some(request), room: first, max, peer: data.peer() })
}

/// The pieces of a split request, cut one at a time from the decoded
/// request's front. Holds the decoded request until the last piece is cut.
pub struct Pieces<M> {
    /// A request that needed no cutting, yielded as it is.
    whole: Option<Encoded<M>>,
    /// What is left to cut, its lists reversed so that the front is at the
    /// end, where it can be moved out without shifting the rest.
    rest: Option<M>,
    left: usize,
    room: usize,
    max: usize,
    /// The client that sent the whole request, and so every piece.
    peer: Option<IpAddr>,
}

impl<M: Split> Pieces<M> {
    /// `data` as its one piece.
    pub fn one(data: Encoded<M>) -> Pieces<M> {
        Pieces { left: data.items(), peer: data.peer(), whole: Some(data), rest: None, room: 0, max: 0 }
    }

    /// The items not yet yielded.
    pub fn items_left(&self) -> usize {
        self.left
    }
}

impl<M: Split> Iterator for Pieces<M> {
    type Item = Encoded<M>;

    fn next(&mut self) -> Option<Encoded<M>> {
        if let Some(whole) = self.whole.take() {
            self.left = 0;
            return Some(whole);
        }
        let rest = self.rest.as_mut()?;
        let (piece, n) = rest.take_front(self.room.max(1));
        self.room = self.max;
        self.left = self.left.saturating_sub(n);
        if self.left == 0 || n == 0 {
            // The last piece took the trailing empty envelopes with it.
            self.rest = None;
        }
        (n > 0).then(|| Encoded::from_message(piece).with_peer(self.peer))
    }
}

/// A request type that can be split. Sealed: its methods are the
/// splitter's own.
pub trait Split: Request + Clone + sealed::Cut {}

impl<T: Request + Clone + sealed::Cut> Split for T {}

mod sealed {
    /// What the splitter needs from every level of a request (the request,
    /// a resource, a scope, a metric).
    pub trait Cut: Sized + Clone {
        /// The items left in it.
        fn items(&self) -> usize;
        /// Whether it has no items left; cheaper than `items() == 0`.
        fn is_empty(&self) -> bool;
        /// Reverses its lists at every level, once, before cutting.
        fn reverse(&mut self);
        /// Moves up to `room` (at least 1) items off its front into a piece
        /// with a copy of its envelope, with any empty levels that come
        /// right after them: empty resources and scopes travel with their
        /// neighbours rather than vanish. Returns the piece and its items.
        fn take_front(&mut self, room: usize) -> (Self, usize);
    }
}
use sealed::Cut;

/// Moves up to `room` items off the front of a reversed list, in order.
fn front<I>(reversed: &mut Vec<I>, room: usize) -> Vec<I> {
    let n = room.min(reversed.len());
    let mut chunk = reversed.split_off(reversed.len() - n);
    chunk.reverse();
    chunk
}

/// A copy of `level` without its list `field`: the envelope of a piece.
macro_rules! envelope {
    ($level:expr, $field:ident) => {{
        let list = std::mem::take(&mut $level.$field);
        let shell = $level.clone();
        $level.$field = list;
        shell
    }};
}

/// A leaf level: a shell holding a list of items directly.
macro_rules! leaf {
    ($t:ty, $field:ident) => {
        impl Cut for $t {
            fn items(&self) -> usize {
                self.$field.len()
            }

            fn is_empty(&self) -> bool {
                self.$field.is_empty()
            }

            fn reverse(&mut self) {
                self.$field.reverse();
            }

            fn take_front(&mut self, room: usize) -> (Self, usize) {
                let mut piece = envelope!(self, $field);
                piece.$field = front(&mut self.$field, room);
                let n = piece.$field.len();
                (piece, n)
            }
        }
    };
}

/// An inner level: a shell holding a list of lower levels. Its children
/// are cut in turn until the room is used; a child emptied by the cut is
/// dropped, having gone with the piece.
macro_rules! inner {
    ($t:ty, $field:ident) => {
        impl Cut for $t {
            fn items(&self) -> usize {
                self.$field.iter().map(Cut::items).sum()
            }

            fn is_empty(&self) -> bool {
                // Reversed: the front is at the end, and usually not empty.
                self.$field.iter().rev().all(Cut::is_empty)
            }

            fn reverse(&mut self) {
                self.$field.reverse();
                self.$field.iter_mut().for_each(Cut::reverse);
            }

            fn take_front(&mut self, room: usize) -> (Self, usize) {
                let mut piece = envelope!(self, $field);
                let mut taken = 0;
                while let Some(child) = self.$field.last_mut() {
                    if child.is_empty() {
                        piece.$field.extend(self.$field.pop());
                        continue;
                    }
                    if taken >= room {
                        break;
                    }
                    let (part, n) = child.take_front(room - taken);
                    taken += n;
                    let emptied = child.is_empty();
                    piece.$field.push(part);
                    if emptied {
                        self.$field.pop();
                    }
                }
                (piece, taken)
            }
        }
    };
}

leaf!(ScopeSpans, spans);
inner!(ResourceSpans, scope_spans);
inner!(ExportTraceServiceRequest, resource_spans);

leaf!(ScopeLogs, log_records);
inner!(ResourceLogs, scope_logs);
inner!(ExportLogsServiceRequest, resource_logs);

inner!(ScopeMetrics, metrics);
inner!(ResourceMetrics, scope_metrics);
inner!(ExportMetricsServiceRequest, resource_metrics);

/// A metric is cut at its data points, whatever their type; each piece
/// carries the metric's description and its data's temporality and
/// monotonicity.
impl Cut for Metric {
    fn items(&self) -> usize {
        super::data_points(self)
    }

    fn is_empty(&self) -> bool {
        self.items() == 0
    }

    fn reverse(&mut self) {
        match &mut self.data {
            Some(Data::Gauge(d)) => d.data_points.reverse(),
            Some(Data::Sum(d)) => d.data_points.reverse(),
            Some(Data::Histogram(d)) => d.data_points.reverse(),
            Some(Data::ExponentialHistogram(d)) => d.data_points.reverse(),
            Some(Data::Summary(d)) => d.data_points.reverse(),
            None => {}
        }
    }

    fn take_front(&mut self, room: usize) -> (Self, usize) {
        let Some(mut data) = self.data.take() else { return (self.clone(), 0) };
        let mut piece = self.clone();
        macro_rules! points {
            ($variant:ident, $d:ident) => {{
                // The data's other fields (temporality, monotonicity) come
                // with every piece.
                let mut shell = envelope!($d, data_points);
                shell.data_points = front(&mut $d.data_points, room);
                (shell.data_points.len(), Data::$variant(shell))
            }};
        }
        let (n, part) = match &mut data {
            Data::Gauge(d) => points!(Gauge, d),
            Data::Sum(d) => points!(Sum, d),
            Data::Histogram(d) => points!(Histogram, d),
            Data::ExponentialHistogram(d) => points!(ExponentialHistogram, d),
            Data::Summary(d) => points!(Summary, d),
        };
        self.data = Some(data);
        piece.data = Some(part);
        (piece, n)
    }
}

#[cfg(test)]
mod tests {
    use prost::Message;

    use super::*;
    use crate::otlp::proto::common::v1::{any_value, AnyValue, InstrumentationScope, KeyValue};
    use crate::otlp::proto::logs::v1::LogRecord;
    use crate::otlp::proto::metrics::v1::{
        self as pm, exponential_histogram_data_point::Buckets, summary_data_point::ValueAtQuantile, ExponentialHistogramDataPoint, HistogramDataPoint,
        NumberDataPoint, SummaryDataPoint,
    };
    use crate::otlp::proto::resource::v1::Resource;
    use crate::otlp::proto::trace::v1::Span;
    use crate::otlp::{Logs, Metrics, Traces};

    fn kv(k: &str, v: &str) -> KeyValue {
        KeyValue { key: k.into(), value: Some(AnyValue { value: Some(any_value::Value::StringValue(v.into())) }), ..Default::default() }
    }

    fn resource(name: &str) -> Option<Resource> {
        Some(Resource { attributes: vec![kv("service.name", name)], ..Default::default() })
    }

    fn scope(name: &str) -> Option<InstrumentationScope> {
        Some(InstrumentationScope { name: name.into(), version: "1.0".into(), attributes: vec![kv("scope.attr", name)], ..Default::default() })
    }

    /// Two resources, the first with two scopes; spans named `r/s/i` so
    /// each one can be traced back to its envelope.
    fn traces(shape: &[(&str, &[(&str, usize)])]) -> ExportTraceServiceRequest {
        let resource_spans = shape
            .iter()
            .map(|(r, scopes)| ResourceSpans {
                resource: resource(r),
                schema_url: format!("https://schema/{r}"),
                scope_spans: scopes
                    .iter()
                    .map(|(s, n)| ScopeSpans {
                        scope: scope(s),
                        schema_url: format!("https://scope/{s}"),
                        spans: (0..*n).map(|i| Span { name: format!("{r}/{s}/{i}"), span_id: vec![1; 8], ..Default::default() }).collect(),
                    })
                    .collect(),
            })
            .collect();
        ExportTraceServiceRequest { resource_spans }
    }

    fn attr(kvs: &[KeyValue], key: &str) -> String {
        match kvs.iter().find(|k| k.key == key).and_then(|k| k.value.as_ref()).and_then(|v| v.value.as_ref()) {
            Some(any_value::Value::StringValue(s)) => s.clone(),
            _ => String::new(),
        }
    }

    /// Every span of a request as `(resource, resource schema, scope,
    /// scope schema, scope attribute, span name)`.
    fn span_rows(req: &ExportTraceServiceRequest) -> Vec<(String, String, String, String, String, String)> {
        let mut rows = Vec::new();
        for rs in &req.resource_spans {
            let r = attr(&rs.resource.clone().unwrap_or_default().attributes, "service.name");
            for ss in &rs.scope_spans {
                let sc = ss.scope.clone().unwrap_or_default();
                for span in &ss.spans {
                    rows.push((
                        r.clone(),
                        rs.schema_url.clone(),
                        sc.name.clone(),
                        ss.schema_url.clone(),
                        attr(&sc.attributes, "scope.attr"),
                        span.name.clone(),
                    ));
                }
            }
        }
        rows
    }

    #[test]
    fn traces_split_at_spans_keeping_resource_and_scope() {
        let req = traces(&[("a", &[("s1", 4), ("s2", 3)]), ("b", &[("s3", 5)])]);
        let data = Encoded::from_bytes(req.encode_to_vec().into()).unwrap();
        assert_eq!(data.items(), 12);

        let pieces: Vec<_> = split(&data, 3, 5).unwrap().collect();
        assert_eq!(pieces.iter().map(Encoded::items).collect::<Vec<_>>(), vec![3, 5, 4]);
        let decoded: Vec<_> = pieces.iter().map(|p| p.decode().unwrap()).collect();
        // Each piece holds exactly its count, and the pieces together are
        // the original spans, in order, each with its own envelope.
        let rows: Vec<_> = decoded.iter().flat_map(|d| span_rows(d)).collect();
        assert_eq!(rows, span_rows(&req));
        // The second piece starts inside a's first scope and ends inside
        // b's: two resources, the first with two scopes.
        assert_eq!(decoded[1].resource_spans.len(), 2);
        assert_eq!(decoded[1].resource_spans[0].scope_spans.len(), 2);
        assert_eq!(decoded[2].resource_spans.len(), 1);
        // The bytes of each piece are a valid request with the same count.
        for p in &pieces {
            let again = Traces::from_bytes(p.bytes().clone()).unwrap();
            assert_eq!(again.items(), p.items());
        }
    }

    #[test]
    fn first_zero_means_max_and_small_payloads_are_untouched() {
        let data = Encoded::from_message(traces(&[("a", &[("s", 7)])]));
        let sizes = |ps: Pieces<_>| ps.map(|p: Traces| p.items()).collect::<Vec<_>>();
        assert_eq!(sizes(split(&data, 0, 3).unwrap()), vec![3, 3, 1]);
        assert_eq!(sizes(split(&data, 1, 3).unwrap()), vec![1, 3, 3]);
        assert_eq!(sizes(split(&data, 9, 3).unwrap()), vec![3, 3, 1], "first is capped at max");
        // Fits already, or no limit: the very same bytes come back.
        for (first, max) in [(7, 10), (0, 7), (3, 0)] {
            let same: Vec<_> = split(&data, first, max).unwrap().collect();
            assert_eq!(same.len(), 1);
            assert_eq!(same[0].bytes(), data.bytes());
        }
    }

    #[test]
    fn empty_scopes_and_resources_are_kept() {
        let req = traces(&[("a", &[("empty", 0), ("s", 4)]), ("nothing", &[])]);
        let pieces: Vec<_> = split(&Encoded::from_message(req), 2, 2).unwrap().collect();
        assert_eq!(pieces.iter().map(Encoded::items).collect::<Vec<_>>(), vec![2, 2]);
        let first = pieces[0].decode().unwrap();
        assert_eq!(first.resource_spans[0].scope_spans[0].scope.as_ref().unwrap().name, "empty");
        let last = pieces[1].decode().unwrap();
        assert_eq!(last.resource_spans.len(), 2, "the empty resource travels with the last piece");
    }

    fn number(v: i64) -> NumberDataPoint {
        NumberDataPoint { value: Some(pm::number_data_point::Value::AsInt(v)), time_unix_nano: v as u64, ..Default::default() }
    }

    fn metric(name: &str, data: Data) -> Metric {
        Metric { name: name.into(), unit: "ms".into(), description: format!("{name} description"), data: Some(data), ..Default::default() }
    }

    #[test]
    fn metrics_split_at_data_points_of_every_type() {
        let metrics = vec![
            metric("gauge", Data::Gauge(pm::Gauge { data_points: (0..3).map(number).collect() })),
            metric("sum", Data::Sum(pm::Sum { data_points: (0..3).map(number).collect(), aggregation_temporality: 2, is_monotonic: true })),
            metric("empty", Data::Gauge(pm::Gauge { data_points: vec![] })),
            metric(
                "histogram",
                Data::Histogram(pm::Histogram {
                    data_points: (0..3)
                        .map(|i| HistogramDataPoint { count: i, bucket_counts: vec![i], explicit_bounds: vec![], ..Default::default() })
                        .collect(),
                    aggregation_temporality: 1,
                }),
            ),
            metric(
                "exponential",
                Data::ExponentialHistogram(pm::ExponentialHistogram {
                    data_points: (0..3)
                        .map(|i| ExponentialHistogramDataPoint {
                            count: i,
                            scale: 3,
                            positive: Some(Buckets { offset: 1, bucket_counts: vec![i] }),
                            ..Default::default()
                        })
                        .collect(),
                    aggregation_temporality: 2,
                }),
            ),
            metric(
                "summary",
                Data::Summary(pm::Summary {
                    data_points: (0..3)
                        .map(|i| SummaryDataPoint { count: i, quantile_values: vec![ValueAtQuantile { quantile: 0.5, value: 1.0 }], ..Default::default() })
                        .collect(),
                }),
            ),
            Metric { name: "no data".into(), ..Default::default() },
        ];
        let req = ExportMetricsServiceRequest {
            resource_metrics: vec![ResourceMetrics {
                resource: resource("m"),
                scope_metrics: vec![ScopeMetrics { scope: scope("meter"), metrics: metrics.clone(), schema_url: "https://scope".into() }],
                schema_url: "https://schema".into(),
            }],
        };
        let data = Metrics::from_bytes(req.encode_to_vec().into()).unwrap();
        assert_eq!(data.items(), 15);
        let pieces: Vec<_> = split(&data, 4, 4).unwrap().collect();
        assert_eq!(pieces.iter().map(Encoded::items).collect::<Vec<_>>(), vec![4, 4, 4, 3]);

        // Reassembled per metric name, every data point is back with the
        // metric's description and its data's settings.
        let mut merged: Vec<Metric> = Vec::new();
        for p in &pieces {
            let d = p.decode().unwrap();
            let rm = &d.resource_metrics[0];
            assert_eq!((attr(&rm.resource.clone().unwrap().attributes, "service.name"), rm.schema_url.as_str()), ("m".into(), "https://schema"));
            let sm = &rm.scope_metrics[0];
            assert_eq!((sm.scope.clone().unwrap().name.as_str(), sm.schema_url.as_str()), ("meter", "https://scope"));
            for m in &sm.metrics {
                match merged.iter_mut().find(|x| x.name == m.name) {
                    None => merged.push(m.clone()),
                    Some(x) => match (&mut x.data, &m.data) {
                        (Some(Data::Gauge(a)), Some(Data::Gauge(b))) => a.data_points.extend(b.data_points.clone()),
                        (Some(Data::Sum(a)), Some(Data::Sum(b))) => a.data_points.extend(b.data_points.clone()),
                        (Some(Data::Histogram(a)), Some(Data::Histogram(b))) => a.data_points.extend(b.data_points.clone()),
                        (Some(Data::ExponentialHistogram(a)), Some(Data::ExponentialHistogram(b))) => a.data_points.extend(b.data_points.clone()),
                        (Some(Data::Summary(a)), Some(Data::Summary(b))) => a.data_points.extend(b.data_points.clone()),
                        other => panic!("metric {} changed type: {other:?}", m.name),
                    },
                }
            }
        }
        assert_eq!(merged, metrics);
    }

    #[test]
    fn logs_split_at_records() {
        let records = |s: &str, n: usize| (0..n).map(|i| LogRecord { event_name: format!("{s}/{i}"), severity_number: 9, ..Default::default() }).collect();
        let req = ExportLogsServiceRequest {
            resource_logs: vec![
                ResourceLogs {
                    resource: resource("a"),
                    scope_logs: vec![ScopeLogs { scope: scope("s1"), log_records: records("s1", 3), schema_url: String::new() }],
                    schema_url: String::new(),
                },
                ResourceLogs {
                    resource: resource("b"),
                    scope_logs: vec![ScopeLogs { scope: scope("s2"), log_records: records("s2", 3), schema_url: String::new() }],
                    schema_url: String::new(),
                },
            ],
        };
        let data = Logs::from_bytes(req.encode_to_vec().into()).unwrap();
        let pieces: Vec<_> = split(&data, 4, 4).unwrap().collect();
        assert_eq!(pieces.iter().map(Encoded::items).collect::<Vec<_>>(), vec![4, 2]);
        let seen: Vec<(String, String, String)> = pieces
            .iter()
            .flat_map(|p| {
                let d = p.decode().unwrap();
                let mut out = Vec::new();
                for rl in &d.resource_logs {
                    for sl in &rl.scope_logs {
                        for r in &sl.log_records {
                            out.push((attr(&rl.resource.clone().unwrap().attributes, "service.name"), sl.scope.clone().unwrap().name, r.event_name.clone()));
                        }
                    }
                }
                out
            })
            .collect();
        let want: Vec<(String, String, String)> = [("a", "s1", 0), ("a", "s1", 1), ("a", "s1", 2), ("b", "s2", 0), ("b", "s2", 1), ("b", "s2", 2)]
            .iter()
            .map(|(r, s, i)| (r.to_string(), s.to_string(), format!("{s}/{i}")))
            .collect();
        assert_eq!(seen, want);
    }

    #[test]
    /// That it is linear is measured, not asserted: `cargo bench -p
    /// solder-components --bench split`.
    fn large_payloads_split_into_every_piece() {
        let data = Encoded::from_message(traces(&[("a", &[("s", 200_000)])]));
        let pieces: Vec<_> = split(&data, 10, 10).unwrap().collect();
        assert_eq!(pieces.len(), 20_000);
        assert!(pieces.iter().all(|p| p.items() == 10));
    }
}
