//! Rewrites the resources of an encoded request without decoding the rest,
//! for the processors that enrich resources (`resourcedetection`,
//! `k8sattributes`).
//!
//! All three requests share a shape: field 1 is the repeated batch
//! (`resource_spans`, `resource_metrics`, `resource_logs`) and each batch's
//! field 1 is its `Resource`. So only the resources are decoded and
//! encoded again; spans, points and records are copied as bytes, which
//! costs a fraction of decoding and encoding them.

use bytes::Buf;
use prost::encoding::{decode_key, decode_varint, encode_key, encode_varint, WireType};
use prost::Message;

use crate::otlp::proto::resource::v1::Resource;

/// `request` with `merge` applied to the resource of each batch (a batch
/// without one gets one).
pub fn rewrite(request: &[u8], merge: &mut dyn FnMut(&mut Resource)) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(request.len() + 256);
    for field in fields(request) {
        let field = field?;
        match field {
            Field { number: 1, body: Some(batch), .. } => {
                let batch = batch_with(batch, merge)?;
                encode_key(1, WireType::LengthDelimited, &mut out);
                encode_varint(batch.len() as u64, &mut out);
                out.extend_from_slice(&batch);
            }
            other => out.extend_from_slice(other.raw),
        }
    }
    Ok(out)
}

/// One batch, its resource merged and written first; field order does not
/// matter to protobuf. Repeated resource fields merge, as protobuf says.
fn batch_with(batch: &[u8], merge: &mut dyn FnMut(&mut Resource)) -> Result<Vec<u8>, String> {
    let mut resource = Resource::default();
    let mut rest = Vec::with_capacity(batch.len());
    for field in fields(batch) {
        let field = field?;
        match field {
            Field { number: 1, body: Some(body), .. } => resource.merge(body).map_err(|e| e.to_string())?,
            other => rest.extend_from_slice(other.raw),
        }
    }
    merge(&mut resource);
    let mut out = Vec::with_capacity(rest.len() + resource.encoded_len() + 8);
    encode_key(1, WireType::LengthDelimited, &mut out);
    encode_varint(resource.encoded_len() as u64, &mut out);
    resource.encode_raw(&mut out);
    out.extend_from_slice(&rest);
    Ok(out)
}

/// A field as it appears on the wire.
struct Field<'a> {
    number: u32,
    /// The whole field, key included, to copy verbatim.
    raw: &'a [u8],
    /// A length-delimited field's contents.
    body: Option<&'a [u8]>,
}

fn fields(buf: &[u8]) -> impl Iterator<Item = Result<Field<'_>, String>> {
    let mut at = 0;
    std::iter::from_fn(move || {
        if at >= buf.len() {
            return None;
        }
        let field = field(buf, at);
        match &field {
            Ok((_, end)) => at = *end,
            Err(_) => at = buf.len(),
        }
        Some(field.map(|(f, _)| f))
    })
}

/// The field starting at `start`, and where the next begins.
fn field(buf: &[u8], start: usize) -> Result<(Field<'_>, usize), String> {
    let mut cur = &buf[start..];
    let (number, wire_type) = decode_key(&mut cur).map_err(|e| e.to_string())?;
    let mut body = None;
    match wire_type {
        WireType::Varint => {
            decode_varint(&mut cur).map_err(|e| e.to_string())?;
        }
        WireType::SixtyFourBit | WireType::ThirtyTwoBit => {
            let n = if wire_type == WireType::SixtyFourBit { 8 } else { 4 };
            if cur.remaining() < n {
                return Err("a field runs past its end".to_string());
            }
            cur.advance(n);
        }
        WireType::LengthDelimited => {
            let len = usize::try_from(decode_varint(&mut cur).map_err(|e| e.to_string())?).map_err(|_| "a length overflows".to_string())?;
            if cur.remaining() < len {
                return Err("a field runs past its end".to_string());
            }
            body = Some(&cur[..len]);
            cur.advance(len);
        }
        WireType::StartGroup | WireType::EndGroup => return Err("groups are not OTLP".to_string()),
    }
    let end = buf.len() - cur.len();
    Ok((Field { number, raw: &buf[start..end], body }, end))
}
