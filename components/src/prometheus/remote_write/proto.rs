//! The Remote-Write 1.0 messages (`prometheus.WriteRequest` from
//! Prometheus' `prompb/remote.proto` and `types.proto`), only the fields
//! Remote-Write 1.0 sends.
//!
//! Series are encoded once when a batch arrives and kept as bytes; a
//! request is those bytes framed as `WriteRequest.timeseries` fields, so
//! sending to several endpoints, or retrying, re-encodes nothing.

use bytes::{BufMut, Bytes, BytesMut};
use prost::encoding::{encode_key, encode_varint, encoded_len_varint, WireType};

/// `prometheus.WriteRequest`. Solder builds it from pre-encoded series
/// ([`RequestBuilder`]); the struct is what receivers (and tests) decode.
#[derive(Clone, PartialEq, prost::Message)]
pub struct WriteRequest {
    #[prost(message, repeated, tag = "1")]
    pub timeseries: Vec<TimeSeries>,
    #[prost(message, repeated, tag = "3")]
    pub metadata: Vec<MetricMetadata>,
}

/// One series and its samples: labels sorted by name, `__name__` first.
#[derive(Clone, PartialEq, prost::Message)]
pub struct TimeSeries {
    #[prost(message, repeated, tag = "1")]
    pub labels: Vec<Label>,
    #[prost(message, repeated, tag = "2")]
    pub samples: Vec<Sample>,
    #[prost(message, repeated, tag = "3")]
    pub exemplars: Vec<Exemplar>,
}

#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct Label {
    #[prost(string, tag = "1")]
    pub name: String,
    #[prost(string, tag = "2")]
    pub value: String,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Sample {
    #[prost(double, tag = "1")]
    pub value: f64,
    /// Milliseconds since the Unix epoch.
    #[prost(int64, tag = "2")]
    pub timestamp: i64,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Exemplar {
    #[prost(message, repeated, tag = "1")]
    pub labels: Vec<Label>,
    #[prost(double, tag = "2")]
    pub value: f64,
    /// Milliseconds since the Unix epoch.
    #[prost(int64, tag = "3")]
    pub timestamp: i64,
}

/// `MetricMetadata`; `type` holds a [`MetadataType`].
#[derive(Clone, PartialEq, prost::Message)]
pub struct MetricMetadata {
    #[prost(enumeration = "MetadataType", tag = "1")]
    pub r#type: i32,
    #[prost(string, tag = "2")]
    pub metric_family_name: String,
    #[prost(string, tag = "4")]
    pub help: String,
    #[prost(string, tag = "5")]
    pub unit: String,
}

/// `MetricMetadata.MetricType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum MetadataType {
    Unknown = 0,
    Counter = 1,
    Gauge = 2,
    Histogram = 3,
    GaugeHistogram = 4,
    Summary = 5,
    Info = 6,
    StateSet = 7,
}

/// One series, encoded: what a request needs of it, and what the sender
/// checks and counts without decoding.
#[derive(Debug, Clone)]
pub struct EncodedSeries {
    /// The `TimeSeries` fields `labels` and `samples`.
    pub body: Bytes,
    /// The `exemplars` fields, empty if none: appended to `body` for
    /// endpoints that send exemplars (a message is its fields, in any
    /// grouping, so this is the same series with exemplars).
    pub exemplars: Bytes,
    pub exemplar_count: u32,
    /// The sample's timestamp, for `sample_age_limit`.
    pub timestamp_ms: i64,
    /// Index of the family's metadata in its batch.
    pub family: u32,
}

impl EncodedSeries {
    /// Encodes a series with one sample.
    pub fn new(labels: Vec<Label>, sample: Sample, exemplars: Vec<Exemplar>, family: u32) -> EncodedSeries {
        let timestamp_ms = sample.timestamp;
        let exemplar_count = u32::try_from(exemplars.len()).unwrap_or(u32::MAX);
        let body = TimeSeries { labels, samples: vec![sample], exemplars: Vec::new() };
        let only_exemplars = TimeSeries { labels: Vec::new(), samples: Vec::new(), exemplars };
        EncodedSeries {
            body: Bytes::from(prost::Message::encode_to_vec(&body)),
            exemplars: Bytes::from(prost::Message::encode_to_vec(&only_exemplars)),
            exemplar_count,
            timestamp_ms,
            family,
        }
    }
}

/// Builds a `WriteRequest` body from encoded series and metadata.
#[derive(Default)]
pub struct RequestBuilder {
    buf: BytesMut,
}

impl RequestBuilder {
    pub fn series(&mut self, s: &EncodedSeries, with_exemplars: bool) {
        let exemplars: &[u8] = if with_exemplars { &s.exemplars } else { &[] };
        self.field(1, &[&s.body, exemplars]);
    }

    pub fn metadata(&mut self, m: &MetricMetadata) {
        self.field(3, &[&prost::Message::encode_to_vec(m)]);
    }

    /// A length-delimited field whose value is `parts` concatenated.
    fn field(&mut self, tag: u32, parts: &[&[u8]]) {
        let len: usize = parts.iter().map(|p| p.len()).sum();
        self.buf.reserve(1 + encoded_len_varint(len as u64) + len);
        encode_key(tag, WireType::LengthDelimited, &mut self.buf);
        encode_varint(len as u64, &mut self.buf);
        for p in parts {
            self.buf.put_slice(p);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// The protobuf bytes.
    pub fn finish(self) -> Bytes {
        self.buf.freeze()
    }
}

#[cfg(test)]
mod tests {
    use prost::Message;

    use super::*;

    fn label(name: &str, value: &str) -> Label {
        Label { name: name.into(), value: value.into() }
    }

    #[test]
    fn framed_series_decode_as_a_write_request() {
        let series = TimeSeries {
            labels: vec![label("__name__", "up"), label("job", "a")],
            samples: vec![Sample { value: 1.5, timestamp: 42 }],
            exemplars: vec![Exemplar { labels: vec![label("trace_id", "ab")], value: 1.0, timestamp: 41 }],
        };
        let meta = MetricMetadata { r#type: MetadataType::Gauge as i32, metric_family_name: "up".into(), help: "Up.".into(), unit: String::new() };
        let encoded = EncodedSeries::new(series.labels.clone(), series.samples[0].clone(), series.exemplars.clone(), 0);
        let mut with = RequestBuilder::default();
        with.series(&encoded, true);
        with.metadata(&meta);
        let decoded = WriteRequest::decode(with.finish()).unwrap();
        assert_eq!(decoded, WriteRequest { timeseries: vec![series.clone()], metadata: vec![meta] });

        let mut without = RequestBuilder::default();
        without.series(&encoded, false);
        let decoded = WriteRequest::decode(without.finish()).unwrap();
        assert_eq!(decoded.timeseries[0], TimeSeries { exemplars: vec![], ..series });
    }
}
