//! Splitting an OTLP request into smaller requests at item granularity.
//!
//! This is the one place the batch path decodes: a payload too large for a
//! batch is decoded once, cut into pieces of at most `max` spans, metric
//! data points or log records, and each piece re-encoded. Every item keeps
//! its resource, its scope (and, for data points, its metric's name, unit,
//! type and temporality): the envelope around an item is copied into each
//! piece that holds part of it. Order is preserved, and nothing is
//! duplicated or lost.

use prost::Message;

use super::encoded::{Encoded, Request};
use super::proto::logs::{ResourceLogs, ScopeLogs};
use super::proto::metrics::{metric::Data, Metric, ResourceMetrics, ScopeMetrics};
use super::proto::trace::{ResourceSpans, ScopeSpans};
use super::proto::{ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest};

/// Splits `data` into requests: the first holds at most `first` items, each
/// later one at most `max`. Only the last may hold fewer than its limit.
///
/// `first == 0` means "the same as `max`"; `max == 0` means no limit, and
/// returns `data` as it is. Fails only when the bytes do not decode.
pub fn split<M: Split>(data: &Encoded<M>, first: usize, max: usize) -> Result<Vec<Encoded<M>>, prost::DecodeError> {
    if max == 0 || data.items() <= if first == 0 { max } else { first.min(max) } {
        return Ok(vec![data.clone()]);
    }
    let first = if first == 0 { max } else { first.min(max) };
    let request = M::decode(data.bytes().clone())?;
    Ok(request.cut(first, max).into_iter().map(|(piece, _)| Encoded::from_message(piece)).collect())
}

/// A level of an OTLP request (the request, a resource, a scope, a metric)
/// that can be cut into pieces at item granularity.
pub trait Split: Request + Clone {
    /// Cuts into pieces, the first holding at most `room` items and each
    /// later one at most `max` (both at least 1), each with its item count.
    /// Something with no items comes back as one empty piece, so that empty
    /// resources and scopes travel with their neighbours rather than vanish.
    fn cut(self, room: usize, max: usize) -> Vec<(Self, usize)>;
}

/// What [`Split`] needs from every level, the request types included.
trait Cut: Sized {
    fn items(&self) -> usize;
    fn cut(self, room: usize, max: usize) -> Vec<(Self, usize)>;
}

/// Cuts a level made of `shell` around `children`: each child is cut to fit
/// the room left in the current piece, and a child that does not fit
/// continues in a new piece with its own copy of `shell`.
fn nest<P: Clone, C: Cut>(shell: P, children: Vec<C>, room: usize, max: usize, push: fn(&mut P, C)) -> Vec<(P, usize)> {
    let mut out = vec![(shell.clone(), 0usize)];
    let mut cap = room;
    for child in children {
        let filled = out.last().map_or(0, |p| p.1);
        if filled >= cap && child.items() > 0 {
            out.push((shell.clone(), 0));
            cap = max;
        }
        let filled = out.last().map_or(0, |p| p.1);
        for (i, (piece, n)) in child.cut(cap - filled, max).into_iter().enumerate() {
            if i > 0 {
                out.push((shell.clone(), 0));
                cap = max;
            }
            if let Some(current) = out.last_mut() {
                push(&mut current.0, piece);
                current.1 += n;
            }
        }
    }
    out
}

/// Cuts a list of items into chunks of `room`, then `max`, items. Always
/// returns at least one (possibly empty) chunk.
fn chunks<I>(items: Vec<I>, room: usize, max: usize) -> Vec<Vec<I>> {
    let mut left = items.len();
    let mut it = items.into_iter();
    let mut out = Vec::with_capacity(1 + left.saturating_sub(room).div_ceil(max.max(1)));
    let mut cap = room.max(1);
    loop {
        let n = cap.min(left);
        out.push(it.by_ref().take(n).collect());
        left -= n;
        if left == 0 {
            return out;
        }
        cap = max.max(1);
    }
}

/// A leaf level: a shell holding a list of items directly.
macro_rules! leaf {
    ($t:ty, $field:ident) => {
        impl Cut for $t {
            fn items(&self) -> usize {
                self.$field.len()
            }

            fn cut(mut self, room: usize, max: usize) -> Vec<(Self, usize)> {
                let items = std::mem::take(&mut self.$field);
                chunks(items, room, max)
                    .into_iter()
                    .map(|chunk| {
                        let n = chunk.len();
                        (Self { $field: chunk, ..self.clone() }, n)
                    })
                    .collect()
            }
        }
    };
}

/// An inner level: a shell holding a list of lower levels.
macro_rules! inner {
    ($t:ty, $field:ident) => {
        impl Cut for $t {
            fn items(&self) -> usize {
                self.$field.iter().map(Cut::items).sum()
            }

            fn cut(mut self, room: usize, max: usize) -> Vec<(Self, usize)> {
                let children = std::mem::take(&mut self.$field);
                nest(self, children, room, max, |p, c| p.$field.push(c))
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
        match &self.data {
            Some(Data::Gauge(d)) => d.data_points.len(),
            Some(Data::Sum(d)) => d.data_points.len(),
            Some(Data::Histogram(d)) => d.data_points.len(),
            Some(Data::ExponentialHistogram(d)) => d.data_points.len(),
            Some(Data::Summary(d)) => d.data_points.len(),
            None => 0,
        }
    }

    fn cut(mut self, room: usize, max: usize) -> Vec<(Self, usize)> {
        macro_rules! points {
            ($variant:ident, $d:ident) => {{
                let points = std::mem::take(&mut $d.data_points);
                chunks(points, room, max)
                    .into_iter()
                    .map(|chunk| {
                        let n = chunk.len();
                        let data = Data::$variant(super::proto::metrics::$variant { data_points: chunk, ..$d.clone() });
                        (Metric { data: Some(data), ..self.clone() }, n)
                    })
                    .collect()
            }};
        }
        match self.data.take() {
            Some(Data::Gauge(mut d)) => points!(Gauge, d),
            Some(Data::Sum(mut d)) => points!(Sum, d),
            Some(Data::Histogram(mut d)) => points!(Histogram, d),
            Some(Data::ExponentialHistogram(mut d)) => points!(ExponentialHistogram, d),
            Some(Data::Summary(mut d)) => points!(Summary, d),
            None => vec![(self, 0)],
        }
    }
}

macro_rules! request {
    ($t:ty) => {
        impl Split for $t {
            fn cut(self, room: usize, max: usize) -> Vec<(Self, usize)> {
                Cut::cut(self, room.max(1), max.max(1))
            }
        }
    };
}

request!(ExportTraceServiceRequest);
request!(ExportMetricsServiceRequest);
request!(ExportLogsServiceRequest);

// `Message` is what `M::decode` above resolves through.
#[allow(unused)]
fn _assert_message<M: Split>() -> fn(bytes::Bytes) -> Result<M, prost::DecodeError> {
    <M as Message>::decode
}

#[cfg(test)]
#[path = "split_tests.rs"]
mod tests;
