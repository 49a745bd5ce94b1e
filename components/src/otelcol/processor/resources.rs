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

use crate::otlp::proto::common::v1::KeyValue;
use crate::otlp::proto::resource::v1::Resource;

/// A resource attribute as it is on the wire: its key, and its value when
/// that is a string.
pub type AttributeView<'a> = (&'a str, Option<&'a str>);

/// `request` with attributes appended to each batch's resource, as `add`
/// chooses from that resource's own attributes (read in place, without
/// allocating). Nothing is decoded or encoded but the new attributes: a
/// resource's attributes are a repeated field, so new entries may follow
/// the ones it has. `None` when `add` chose nothing for any batch, so the
/// caller passes the request on as it was.
pub fn append(request: &[u8], add: &mut dyn FnMut(&[AttributeView<'_>]) -> Vec<KeyValue>) -> Result<Option<Vec<u8>>, String> {
    let mut plans = Vec::new();
    let mut views = Vec::new();
    for field in fields(request) {
        if let Field { number: 1, body: Some(batch), .. } = field? {
            views.clear();
            for f in fields(batch) {
                if let Field { number: 1, body: Some(resource), .. } = f? {
                    attribute_views(resource, &mut views)?;
                }
            }
            plans.push(add(&views));
        }
    }
    if plans.iter().all(Vec::is_empty) {
        return Ok(None);
    }
    let extra: usize = plans.iter().flatten().map(|kv| kv.encoded_len() + 8).sum();
    let mut out = Vec::with_capacity(request.len() + extra);
    let mut plans = plans.into_iter();
    for field in fields(request) {
        match field? {
            Field { number: 1, body: Some(batch), raw } => {
                let added = plans.next().unwrap_or_default();
                if added.is_empty() {
                    out.extend_from_slice(raw);
                    continue;
                }
                let batch = batch_appended(batch, &added)?;
                encode_key(1, WireType::LengthDelimited, &mut out);
                encode_varint(batch.len() as u64, &mut out);
                out.extend_from_slice(&batch);
            }
            other => out.extend_from_slice(other.raw),
        }
    }
    Ok(Some(out))
}

/// Collects a resource's attributes as views into `out`.
fn attribute_views<'a>(resource: &'a [u8], out: &mut Vec<AttributeView<'a>>) -> Result<(), String> {
    for f in fields(resource) {
        let Field { number: 1, body: Some(kv), .. } = f? else { continue };
        let (mut key, mut value) = ("", None);
        for kf in fields(kv) {
            match kf? {
                Field { number: 1, body: Some(k), .. } => key = std::str::from_utf8(k).map_err(|e| e.to_string())?,
                Field { number: 2, body: Some(any), .. } => {
                    value = None;
                    for vf in fields(any) {
                        if let Field { number: 1, body: Some(v), .. } = vf? {
                            value = std::str::from_utf8(v).ok();
                        }
                    }
                }
                _ => {}
            }
        }
        out.push((key, value));
    }
    Ok(())
}

/// One batch with `added` appended to its (last) resource, or to a new
/// resource when it has none.
fn batch_appended(batch: &[u8], added: &[KeyValue]) -> Result<Vec<u8>, String> {
    let mut tail = Vec::new();
    for kv in added {
        encode_key(1, WireType::LengthDelimited, &mut tail);
        encode_varint(kv.encoded_len() as u64, &mut tail);
        kv.encode_raw(&mut tail);
    }
    let mut last_resource = None;
    for (i, f) in fields(batch).enumerate() {
        if f?.number == 1 {
            last_resource = Some(i);
        }
    }
    let mut out = Vec::with_capacity(batch.len() + tail.len() + 8);
    if last_resource.is_none() {
        encode_key(1, WireType::LengthDelimited, &mut out);
        encode_varint(tail.len() as u64, &mut out);
        out.extend_from_slice(&tail);
    }
    for (i, f) in fields(batch).enumerate() {
        match f? {
            Field { body: Some(resource), .. } if Some(i) == last_resource => {
                encode_key(1, WireType::LengthDelimited, &mut out);
                encode_varint((resource.len() + tail.len()) as u64, &mut out);
                out.extend_from_slice(resource);
                out.extend_from_slice(&tail);
            }
            other => out.extend_from_slice(other.raw),
        }
    }
    Ok(out)
}

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
