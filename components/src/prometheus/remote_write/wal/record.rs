//! One WAL record: a converted batch, as the sender needs it again.
//!
//! The series are stored as the protobuf bytes they were encoded to when
//! the batch arrived, so that writing a record copies them once and
//! reading it back decodes nothing but a few varints: the request built
//! from a record read back is byte for byte the one the memory path
//! builds. Prometheus' own record format (series once, then samples by
//! reference) would be smaller, but needs a series table rebuilt on
//! every open and re-encodes every request. The record is compressed
//! with snappy's block format (already used for every request), which
//! takes the repeated label names and values down to a fraction.
//!
//! A record is the number of samples it holds (a varint, so that opening
//! the WAL learns each record's size without decompressing it), then the
//! compressed batch:
//!
//! ```text
//! varint metadata count, each: varint len | MetricMetadata protobuf
//! varint series count, each: varint family | varint zigzag timestamp ms |
//!     varint exemplar count | varint len | body | varint len | exemplars
//! ```

use bytes::{Buf, Bytes};
use prost::encoding::{decode_varint, encode_varint};
use prost::Message;

use super::super::convert::Converted;
use super::super::proto::{EncodedSeries, MetricMetadata};

/// The record kind of a snappy-compressed batch.
pub const BATCH: u8 = 1;

/// The bytes of a record holding `batch`.
pub fn encode(batch: &Converted) -> Result<Vec<u8>, String> {
    let size: usize = batch.series.iter().map(|s| s.body.len() + s.exemplars.len() + 24).sum::<usize>() + batch.metadata.len() * 64;
    let mut raw = Vec::with_capacity(size);
    encode_varint(batch.metadata.len() as u64, &mut raw);
    for m in &batch.metadata {
        m.encode_length_delimited(&mut raw).map_err(|e| format!("cannot encode metadata: {e}"))?;
    }
    encode_varint(batch.series.len() as u64, &mut raw);
    for s in &batch.series {
        encode_varint(u64::from(s.family), &mut raw);
        encode_varint(zigzag(s.timestamp_ms), &mut raw);
        encode_varint(u64::from(s.exemplar_count), &mut raw);
        encode_varint(s.body.len() as u64, &mut raw);
        raw.extend_from_slice(&s.body);
        encode_varint(s.exemplars.len() as u64, &mut raw);
        raw.extend_from_slice(&s.exemplars);
    }
    let compressed = snap::raw::Encoder::new().compress_vec(&raw).map_err(|e| format!("cannot compress a WAL record: {e}"))?;
    let mut out = Vec::with_capacity(compressed.len() + 5);
    encode_varint(batch.series.len() as u64, &mut out);
    out.extend_from_slice(&compressed);
    Ok(out)
}

/// How many samples a record holds, read from its first bytes only.
pub fn samples(kind: u8, mut payload: &[u8]) -> Option<u32> {
    (kind == BATCH).then_some(())?;
    decode_varint(&mut payload).ok().and_then(|n| u32::try_from(n).ok())
}

/// The batch a record holds. Records are checksummed, so an error here is
/// a record of another format, never a torn write.
pub fn decode(kind: u8, mut payload: &[u8]) -> Result<Converted, String> {
    if kind != BATCH {
        return Err(format!("unknown WAL record kind {kind}"));
    }
    let declared = decode_varint(&mut payload).map_err(|_| "malformed WAL record: sample count".to_string())?;
    let raw = snap::raw::Decoder::new().decompress_vec(payload).map_err(|e| format!("cannot decompress a WAL record: {e}"))?;
    let mut buf = Bytes::from(raw);
    let bad = |what: &str| format!("malformed WAL record: {what}");
    let varint = |buf: &mut Bytes, what: &str| decode_varint(buf).map_err(|_| bad(what));
    let metadata_count = varint(&mut buf, "metadata count")?;
    let mut metadata = Vec::with_capacity(metadata_count.min(4096) as usize);
    for _ in 0..metadata_count {
        metadata.push(MetricMetadata::decode_length_delimited(&mut buf).map_err(|e| bad(&e.to_string()))?);
    }
    let series_count = varint(&mut buf, "series count")?;
    let mut series = Vec::with_capacity(series_count.min(1 << 16) as usize);
    for _ in 0..series_count {
        let family = u32::try_from(varint(&mut buf, "family")?).map_err(|_| bad("family"))?;
        let timestamp_ms = unzigzag(varint(&mut buf, "timestamp")?);
        let exemplar_count = u32::try_from(varint(&mut buf, "exemplar count")?).map_err(|_| bad("exemplar count"))?;
        let len = varint(&mut buf, "series length")? as usize;
        let body = take(&mut buf, len).ok_or_else(|| bad("series"))?;
        let len = varint(&mut buf, "exemplars length")? as usize;
        let exemplars = take(&mut buf, len).ok_or_else(|| bad("exemplars"))?;
        series.push(EncodedSeries { body, exemplars, exemplar_count, timestamp_ms, family });
    }
    if buf.has_remaining() || declared != series_count {
        return Err(bad("its size does not match its contents"));
    }
    Ok(Converted { series, metadata })
}

/// The next `len` bytes, shared with the record's buffer.
fn take(buf: &mut Bytes, len: usize) -> Option<Bytes> {
    (len <= buf.len()).then(|| buf.split_to(len))
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prometheus::remote_write::convert::convert;
    use crate::prometheus::remote_write::proto::RequestBuilder;
    use crate::prometheus::{Batch, Exemplar, Family, Metadata, MetricType, SampleValue, Series};

    fn batch() -> Batch {
        let exemplar = Exemplar { labels: vec![("trace_id".into(), "ab".into())], value: 0.5, timestamp_ms: Some(-5) };
        let series = |v: f64, ts: Option<i64>| Series {
            labels: vec![("service".into(), "api".into())],
            value: SampleValue::Number(v),
            timestamp_ms: ts,
            exemplars: vec![exemplar.clone()],
        };
        let family = |name: &str, kind| Family {
            name: name.into(),
            metadata: Metadata { kind, help: "Help.".into(), unit: String::new() },
            series: vec![series(1.0, Some(1_700_000_000_000)), series(2.0, Some(-1))],
        };
        Batch::new(vec![family("calls", MetricType::Counter), family("up", MetricType::Gauge)])
    }

    fn request(c: &Converted) -> Bytes {
        let mut b = RequestBuilder::default();
        c.series.iter().for_each(|s| b.series(s, true));
        c.metadata.iter().for_each(|m| b.metadata(m));
        b.finish()
    }

    #[test]
    fn a_batch_read_back_builds_the_same_request() {
        let original = convert(&batch(), &[], 42);
        let bytes = encode(&original).unwrap();
        assert_eq!(samples(BATCH, &bytes), Some(4));
        let back = decode(BATCH, &bytes).unwrap();
        assert_eq!(request(&back), request(&original));
        let fields = |c: &Converted| c.series.iter().map(|s| (s.family, s.timestamp_ms, s.exemplar_count)).collect::<Vec<_>>();
        assert_eq!(fields(&back), fields(&original));
        assert_eq!(fields(&back)[1].1, -1, "negative timestamps survive");
    }

    #[test]
    fn anything_else_is_an_error_not_a_panic() {
        let good = encode(&convert(&batch(), &[], 42)).unwrap();
        assert!(decode(7, &good).unwrap_err().contains("unknown WAL record kind 7"));
        assert!(decode(BATCH, b"not snappy at all").is_err());
        let raw = snap::raw::Decoder::new().decompress_vec(&good[1..]).unwrap();
        for cut in 0..raw.len() {
            let mut short = vec![good[0]];
            short.extend(snap::raw::Encoder::new().compress_vec(&raw[..cut]).unwrap());
            assert!(decode(BATCH, &short).is_err(), "cut at {cut}");
        }
    }
}
