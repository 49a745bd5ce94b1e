//! A span's series identity: its dimension values, looked up in the span,
//! event and resource attributes, written as a series key (every span) or
//! built into data point attributes (a new series only).
//!
//! Spans are read either from the wire ([`WireLookup`], what the component
//! does) or decoded ([`Lookup`], the reference the differential tests and
//! the bench compare with); both give the same keys and attributes.

use std::borrow::Cow;

use prost::Message;

use crate::otlp::proto::common::v1::{any_value, AnyValue, InstrumentationScope, KeyValue};
use crate::otlp::proto::trace::v1::Span;
use crate::otlp::wire::WireError;

use super::aggregate::{Config, Dimension};
use super::key::{self, Key};
use crate::otlp::wire_spans::{decode_value, has_value, utf8, Attribute, Attributes, Body, SpanView};

/// A dimension's value found in one attribute list (a span's, an event's
/// or a resource's) read from the wire: the value of the first attribute of
/// its name there, as the decoded lookup finds it; `None` without one.
pub type Slot<'a> = Option<Found<'a>>;

/// An attribute's value as a series key needs it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Found<'a> {
    /// An attribute without a value: the lookup goes on to the next list,
    /// yet a later attribute of the same name in this list does not count.
    Missing,
    /// The value's canonical encoding, straight from the request: it is
    /// the value's part of the key as it is (see [`key`]).
    Canonical(&'a [u8]),
    /// Any other value or encoding: the attribute (`KeyValue`) holding it,
    /// decoded and re-encoded when keyed.
    Other(Body<'a>),
}

impl<'a> Found<'a> {
    /// Reads the value of `a` the way prost would decode it.
    #[inline(always)]
    pub fn of(a: &Attribute<'a>) -> Result<Found<'a>, WireError> {
        match a.canonical_value() {
            Some(v) => Ok(Found::Canonical(v)),
            None => Found::any(a.body()),
        }
    }

    /// [`Found::of`]'s slow path, taken in parts that fit in registers.
    #[inline(never)]
    fn any(kv: Body<'a>) -> Result<Found<'a>, WireError> {
        Ok(if has_value(kv)? { Found::Other(kv) } else { Found::Missing })
    }

    /// Appends the value to a series key, as [`key::push_value`] appends
    /// the decoded one.
    #[inline(always)]
    pub fn push(&self, buf: &mut Key) -> Result<(), WireError> {
        match *self {
            Found::Canonical(v) => key::push_canonical(buf, v),
            Found::Missing => key::push_absent(buf),
            Found::Other(kv) => key::push_value(buf, decode_value(kv)?.as_ref()),
        }
        Ok(())
    }

    /// The value as the decoded attribute holds it; `None` when it has
    /// none. `request` is any part of the request the value was read
    /// from: where a canonical value is in the request, for an error, is
    /// told from where its bytes are in memory relative to it (the value
    /// keeps no offset of its own, which would cost every span a store).
    pub fn decode(&self, request: Body<'_>) -> Result<Option<AnyValue>, WireError> {
        match *self {
            Found::Missing => Ok(None),
            Found::Canonical(v) => AnyValue::decode(v).map(Some).map_err(|e| {
                let offset = (v.as_ptr() as usize).wrapping_sub(request.bytes.as_ptr() as usize).wrapping_add(request.at);
                WireError { offset, message: format!("AnyValue: {e}") }
            }),
            Found::Other(kv) => decode_value(kv),
        }
    }
}

/// Whether a slot ends the lookup: an attribute with a value.
#[inline(always)]
fn found(slot: &Slot<'_>) -> bool {
    !matches!(slot, None | Some(Found::Missing))
}

/// Notes `a` in the slot of every name it is the first attribute of.
#[inline(always)]
pub fn note<'a, 'n>(slots: &mut [Slot<'a>], names: impl Iterator<Item = &'n str>, a: Attribute<'a>) -> Result<(), WireError> {
    for (slot, name) in slots.iter_mut().zip(names) {
        if slot.is_none() && key::same(a.key, name.as_bytes()) {
            *slot = Some(Found::of(&a)?);
        }
    }
    Ok(())
}

/// The dimension names by length, so that an attribute is matched with one
/// compare, or none: most attributes are no dimension, and most of those
/// have a name of another length than every dimension's.
pub struct DimIndex {
    /// A bit per name length (63 for every length from 63 up).
    lengths: u64,
    /// The lengths of more than one name (matched by a scan).
    shared: u64,
    /// For every other length under 63, the index of its one name.
    by_length: [u8; 63],
}

impl DimIndex {
    pub fn new(dims: &[Dimension]) -> Self {
        let mut index = DimIndex { lengths: 0, shared: 0, by_length: [0; 63] };
        for (i, d) in dims.iter().enumerate() {
            let bit = length_bit(d.name.len());
            index.shared |= index.lengths & bit;
            index.lengths |= bit;
            match (index.by_length.get_mut(d.name.len()), u8::try_from(i)) {
                (Some(at), Ok(i)) => *at = i,
                // A long name or a 257th dimension: scanned.
                _ => index.shared |= bit,
            }
        }
        index
    }
}

#[inline(always)]
fn length_bit(len: usize) -> u64 {
    1 << len.min(63)
}

/// Notes the attributes of one list into a slot per dimension.
pub struct Notes<'s, 'a> {
    pub slots: &'s mut [Slot<'a>],
    pub dims: &'s [Dimension],
    pub index: &'s DimIndex,
}

impl<'a> Attributes<'a> for Notes<'_, 'a> {
    #[inline(always)]
    fn attribute(&mut self, a: Attribute<'a>) -> Result<(), WireError> {
        if !self.wants(a.key) {
            return Ok(());
        }
        let bit = length_bit(a.key.len());
        if self.index.shared & bit == 0 {
            let i = self.index.by_length.get(a.key.len()).map_or(usize::MAX, |i| usize::from(*i));
            if let (Some(slot @ None), Some(d)) = (self.slots.get_mut(i), self.dims.get(i)) {
                if key::same(a.key, d.name.as_bytes()) {
                    *slot = Some(Found::of(&a)?);
                }
            }
            return Ok(());
        }
        note(self.slots, self.dims.iter().map(|d| d.name.as_str()), a)
    }

    /// Whether some dimension's name is as long as `key`.
    #[inline(always)]
    fn wants(&self, key: &[u8]) -> bool {
        self.index.lengths & length_bit(key.len()) != 0
    }
}

/// Where a span read from the wire finds its dimension values, most
/// specific first: each list holds a slot per dimension of the widest set
/// looked up (span dimensions, then event dimensions).
#[derive(Clone, Copy)]
pub struct WireLookup<'s, 'a> {
    pub keep: [bool; 4],
    pub span: &'s SpanView<'a>,
    /// The value of the resource's `service.name`. This and the scope
    /// are borrowed: the lookup is built per span, and a copy of them per
    /// span costs more than the loads through a pointer.
    pub service: &'s Found<'a>,
    pub scope: &'s Option<(Body<'a>, Body<'a>)>,
    pub span_attrs: &'s [Slot<'a>],
    /// Empty for a span's own series.
    pub event_attrs: &'s [Slot<'a>],
    pub resource_attrs: &'s [Slot<'a>],
}

impl<'a> WireLookup<'_, 'a> {
    /// Dimension `i`'s value: from the span, else the event, else the
    /// resource.
    #[inline(always)]
    fn value(&self, i: usize) -> Slot<'a> {
        let at = |list: &[Slot<'a>]| list.get(i).copied().filter(found).flatten();
        at(self.span_attrs).or_else(|| at(self.event_attrs)).or_else(|| at(self.resource_attrs))
    }

    /// Writes the series key of `dims` into `buf`: the same bytes
    /// [`write_key`] writes for the decoded span.
    #[inline(always)]
    pub fn write_key(&self, buf: &mut Key, dims: &[Dimension]) -> Result<(), WireError> {
        buf.clear();
        key::push_span(buf, self.keep, self.span.name.bytes, self.span.kind, self.span.status_code);
        for (i, d) in dims.iter().enumerate() {
            match (self.value(i), &d.default) {
                (Some(v), _) => v.push(buf)?,
                (None, Some(def)) => key::push_default(buf, def),
                (None, None) => key::push_absent(buf),
            }
        }
        if let Some((name, version)) = *self.scope {
            key::push_str(buf, name.bytes);
            key::push_str(buf, version.bytes);
        }
        Ok(())
    }

    /// The data point attributes of a new series (decoding its values).
    pub fn attributes(&self, dims: &[Dimension]) -> Result<Vec<KeyValue>, WireError> {
        let mut values = Vec::with_capacity(dims.len());
        for (i, d) in dims.iter().enumerate() {
            let value = match self.value(i) {
                Some(v) => v.decode(self.span.body)?,
                None => d.default.as_deref().map(text),
            };
            values.push((d.name.as_str(), value));
        }
        let service = self.service.decode(self.span.body)?;
        let service_name = match service.as_ref().and_then(|v| v.value.as_ref()) {
            Some(any_value::Value::StringValue(s)) => s.as_str(),
            _ => "",
        };
        let scope = match *self.scope {
            Some((name, version)) => Some((utf8(name)?, utf8(version)?)),
            None => None,
        };
        let identity = Identity { keep: self.keep, service_name, span_name: utf8(self.span.name)?, kind: self.span.kind, code: self.span.status_code, scope };
        Ok(series_attributes(&identity, values.into_iter()))
    }
}

/// Where a span's dimension values come from, most specific first.
#[derive(Clone, Copy)]
pub struct Lookup<'a> {
    pub config: &'a Config,
    pub span: &'a Span,
    pub service_name: &'a str,
    pub scope: Option<&'a InstrumentationScope>,
    pub resource: &'a [KeyValue],
    pub event: &'a [KeyValue],
}

impl<'a> Lookup<'a> {
    fn value(&self, d: &Dimension) -> Option<Cow<'a, AnyValue>> {
        let found = find(&self.span.attributes, &d.name).or_else(|| find(self.event, &d.name)).or_else(|| find(self.resource, &d.name));
        match (found, &d.default) {
            (Some(v), _) => Some(Cow::Borrowed(v)),
            (None, Some(def)) => Some(Cow::Owned(text(def))),
            (None, None) => None,
        }
    }
}

/// Writes the series key of `dims` into `buf`.
pub fn write_key(buf: &mut Key, l: &Lookup<'_>, dims: &[Dimension]) {
    buf.clear();
    key::push_span(buf, l.config.keep, l.span.name.as_bytes(), l.span.kind, status(l.span));
    for d in dims {
        let v = find(&l.span.attributes, &d.name).or_else(|| find(l.event, &d.name)).or_else(|| find(l.resource, &d.name));
        match (v, &d.default) {
            (Some(v), _) => key::push_value(buf, Some(v)),
            (None, Some(def)) => key::push_default(buf, def),
            (None, None) => key::push_value(buf, None),
        }
    }
    if let Some(s) = l.scope {
        key::push_str(buf, s.name.as_bytes());
        key::push_str(buf, s.version.as_bytes());
    }
}

/// The data point attributes of a new series.
pub fn attributes(l: &Lookup<'_>, dims: &[Dimension]) -> Vec<KeyValue> {
    let identity = Identity {
        keep: l.config.keep,
        service_name: l.service_name,
        span_name: &l.span.name,
        kind: l.span.kind,
        code: status(l.span),
        scope: l.scope.map(|s| (s.name.as_str(), s.version.as_str())),
    };
    series_attributes(&identity, dims.iter().map(|d| (d.name.as_str(), l.value(d).map(Cow::into_owned))))
}

fn status(span: &Span) -> i32 {
    span.status.as_ref().map_or(0, |s| s.code)
}

/// What names a series besides its dimension values, however the span
/// was read.
pub struct Identity<'a> {
    pub keep: [bool; 4],
    pub service_name: &'a str,
    pub span_name: &'a str,
    pub kind: i32,
    pub code: i32,
    /// The instrumentation scope's name and version, when included.
    pub scope: Option<(&'a str, &'a str)>,
}

/// The data point attributes of a new series, in the collector's order.
/// `values` are the dimensions' names and values (`None`: absent and no
/// default, so left out).
pub fn series_attributes<'v>(id: &Identity<'_>, values: impl ExactSizeIterator<Item = (&'v str, Option<AnyValue>)>) -> Vec<KeyValue> {
    let k = id.keep;
    let mut out = Vec::with_capacity(6 + values.len());
    if k[0] {
        out.push(kv("service.name", text(id.service_name)));
    }
    if k[1] {
        out.push(kv("span.name", text(id.span_name)));
    }
    if k[2] {
        out.push(kv("span.kind", text(span_kind(id.kind))));
    }
    if k[3] {
        out.push(kv("status.code", text(status_code(id.code))));
    }
    for (name, value) in values {
        if let Some(v) = value {
            out.push(kv(name, v));
        }
    }
    if let Some((name, version)) = id.scope {
        out.push(kv("span.instrumentation.scope.name", text(name)));
        if !version.is_empty() {
            out.push(kv("span.instrumentation.scope.version", text(version)));
        }
    }
    out
}

pub fn find<'a>(attrs: &'a [KeyValue], key: &str) -> Option<&'a AnyValue> {
    attrs.iter().find(|a| key::same(a.key.as_bytes(), key.as_bytes())).and_then(|a| a.value.as_ref())
}

pub fn text(s: &str) -> AnyValue {
    AnyValue { value: Some(any_value::Value::StringValue(s.to_string())) }
}

pub fn kv(k: &str, v: AnyValue) -> KeyValue {
    KeyValue { key: k.to_string(), value: Some(v), ..Default::default() }
}

fn span_kind(kind: i32) -> &'static str {
    match kind {
        1 => "SPAN_KIND_INTERNAL",
        2 => "SPAN_KIND_SERVER",
        3 => "SPAN_KIND_CLIENT",
        4 => "SPAN_KIND_PRODUCER",
        5 => "SPAN_KIND_CONSUMER",
        _ => "SPAN_KIND_UNSPECIFIED",
    }
}

fn status_code(code: i32) -> &'static str {
    match code {
        1 => "STATUS_CODE_OK",
        2 => "STATUS_CODE_ERROR",
        _ => "STATUS_CODE_UNSET",
    }
}
