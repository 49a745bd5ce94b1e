//! Splitting a request by routing key, on its wire bytes.
//!
//! A request is walked twice. The first walk finds every routed unit (a
//! span, a log record, a resource, a metric or a data point) and its owner
//! on the ring. If one backend owns them all, the request goes there as
//! the bytes it arrived as. Otherwise the second walk writes one request
//! per owner: each unit's bytes are copied as they are, inside copies of
//! the envelopes (resource, scope, metric) around it, with every envelope
//! field kept. Envelopes left without units for a backend are not sent to
//! it, so a resource or scope with no items at all is dropped by a split.

use bytes::Bytes;
use serde::Deserialize;

use super::ring::Ring;
use crate::otlp::wire::{self, Reader, WireError, WT_LEN};
use crate::otlp::wire_spans::{self, AttrValue, Body};
use crate::otlp::Signal;

/// `routing_key`: what keeps data together on one backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
pub enum RoutingKey {
    /// Every span (or log record) of a trace.
    #[default]
    #[serde(rename = "traceID")]
    TraceId,
    /// Everything of a `service.name`.
    #[serde(rename = "service")]
    Service,
    /// Everything of one resource (its attributes).
    #[serde(rename = "resource")]
    Resource,
    /// Every data point of a metric name.
    #[serde(rename = "metric")]
    Metric,
    /// Every data point of one series: resource, scope, metric and point
    /// attributes.
    #[serde(rename = "streamID")]
    StreamId,
}

impl RoutingKey {
    pub fn as_str(self) -> &'static str {
        match self {
            RoutingKey::TraceId => "traceID",
            RoutingKey::Service => "service",
            RoutingKey::Resource => "resource",
            RoutingKey::Metric => "metric",
            RoutingKey::StreamId => "streamID",
        }
    }

    /// Whether the Collector routes `signal` by this key; it refuses to
    /// build the exporter of that signal otherwise.
    pub fn routes(self, signal: Signal) -> bool {
        use RoutingKey::*;
        match signal {
            Signal::Traces => matches!(self, TraceId | Service),
            Signal::Logs => matches!(self, TraceId | Service | Resource),
            Signal::Metrics => matches!(self, Service | Resource | Metric | StreamId),
        }
    }

    /// The signals this key routes, for error messages.
    pub fn signals(self) -> String {
        [Signal::Traces, Signal::Metrics, Signal::Logs].into_iter().filter(|s| self.routes(*s)).map(Signal::as_str).collect::<Vec<_>>().join(", ")
    }
}

/// Why a request could not be split.
#[derive(Debug, Clone, PartialEq)]
pub enum RouteError {
    Malformed(WireError),
    /// `routing_key = "service"` and a resource has no `service.name`.
    NoServiceName,
    /// The key does not route this signal.
    Unsupported(RoutingKey, Signal),
}

impl std::fmt::Display for RouteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RouteError::Malformed(e) => e.fmt(f),
            RouteError::NoServiceName => f.write_str("routing_key is \"service\" and a resource has no service.name attribute"),
            RouteError::Unsupported(k, s) => write!(f, "routing_key {:?} does not route {}; it routes {}", k.as_str(), s.as_str(), k.signals()),
        }
    }
}

impl From<WireError> for RouteError {
    fn from(e: WireError) -> Self {
        RouteError::Malformed(e)
    }
}

/// One backend's part of a request.
#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    /// Index of the backend on the ring.
    pub owner: usize,
    pub bytes: Bytes,
    /// Spans, data points or log records; `None` when the split did not
    /// count them (the unit was not the item).
    pub items: Option<usize>,
}

/// Where a request goes.
#[derive(Debug, Clone, PartialEq)]
pub enum Routed {
    /// All of it to one backend, as it is.
    Whole(usize),
    Parts(Vec<Part>),
}

/// The message tags of each level, from the request down to the routed
/// unit: `levels[d]` are the tags of the fields of a level-`d` message that
/// hold level-`d+1` messages. The unit is at depth `levels.len()`.
fn levels(signal: Signal, key: RoutingKey) -> &'static [&'static [u32]] {
    match (signal, key) {
        (_, RoutingKey::Service | RoutingKey::Resource) => &[&[1]],
        (Signal::Metrics, RoutingKey::StreamId) => &[&[1], &[2], &[2], &[5, 7, 9, 10, 11], &[1]],
        // Spans, log records and metrics are field 2 of their scope.
        _ => &[&[1], &[2], &[2]],
    }
}

/// A reusable splitter: its buffers are kept between requests.
pub struct Splitter {
    owners: Vec<u16>,
    counts: Vec<usize>,
    /// `ropes[d][b]`: the level-`d` message being written for backend `b`.
    ropes: Vec<Vec<Rope>>,
    /// Rotates the backend of keyless units (log records without a trace
    /// ID), as the Collector sends them to a random one.
    spread: usize,
}

impl Default for Splitter {
    fn default() -> Self {
        Splitter::new()
    }
}

impl Splitter {
    pub fn new() -> Splitter {
        Splitter { owners: Vec::new(), counts: Vec::new(), ropes: Vec::new(), spread: 0 }
    }

    /// Splits `bytes`, a validated request of `signal`, among the owners of
    /// its units on `ring` (which must not be empty).
    pub fn split(&mut self, signal: Signal, key: RoutingKey, bytes: &Bytes, ring: &Ring) -> Result<Routed, RouteError> {
        if !key.routes(signal) {
            return Err(RouteError::Unsupported(key, signal));
        }
        let n = ring.endpoints().len().max(1);
        let levels = levels(signal, key);
        self.owners.clear();
        self.spread = self.spread.wrapping_add(1);
        let keyless = self.spread % n;
        let mut keyer = Keyer { signal, key, ring, keyless, prefix: Vec::new(), point_attributes: 7, last: None };
        collect(bytes, 0, levels, &mut keyer, &mut self.owners)?;
        let first = self.owners.first().copied().unwrap_or(0);
        if self.owners.iter().all(|&o| o == first) {
            return Ok(Routed::Whole(usize::from(first)));
        }
        // The second walk: one rope per backend per level.
        self.ropes.resize_with(levels.len() + 1, Vec::new);
        for level in &mut self.ropes {
            level.resize_with(n, Rope::default);
            level.iter_mut().for_each(Rope::clear);
        }
        self.counts.clear();
        self.counts.resize(n, 0);
        let mut build = Build { levels, base: bytes, owners: &self.owners, next: 0, ropes: &mut self.ropes, counts: &mut self.counts };
        build.message(bytes, 0)?;
        let counted = levels.len() == 3 && key == RoutingKey::TraceId;
        let parts = self.ropes[0]
            .iter()
            .enumerate()
            .filter(|(_, rope)| rope.len > 0)
            .map(|(b, rope)| Part { owner: b, bytes: rope.write(bytes), items: counted.then_some(self.counts[b]) })
            .collect();
        Ok(Routed::Parts(parts))
    }
}

/// One field of a message: its tag, all its bytes (key included) and, when
/// length-delimited, its value.
struct Field<'a> {
    tag: u32,
    whole: &'a [u8],
    body: Option<&'a [u8]>,
}

fn fields<'a>(buf: &'a [u8]) -> impl Iterator<Item = Result<Field<'a>, WireError>> + 'a {
    let mut r = Reader::new(buf, 0);
    let mut failed = false;
    std::iter::from_fn(move || {
        if failed || r.done() {
            return None;
        }
        let start = r.offset();
        let field = (|| {
            let (tag, wire_type) = r.key()?;
            let body = match wire_type {
                WT_LEN => Some(r.delimited()?.0),
                _ => {
                    wire::skip(&mut r, tag, wire_type, wire::SKIP_BUDGET, "message")?;
                    None
                }
            };
            Ok(Field { tag, whole: &buf[start..r.offset()], body })
        })();
        failed = field.is_err();
        Some(field)
    })
}

/// The first walk: the owner of every unit, in order.
fn collect(body: &[u8], depth: usize, levels: &[&[u32]], keyer: &mut Keyer<'_>, owners: &mut Vec<u16>) -> Result<(), RouteError> {
    let tags = levels[depth];
    for field in fields(body) {
        let field = field?;
        let Some(child) = field.body.filter(|_| tags.contains(&field.tag)) else { continue };
        if depth + 1 == levels.len() {
            owners.push(keyer.owner(child)? as u16);
        } else {
            keyer.enter(depth + 1, field.tag, child)?;
            collect(child, depth + 1, levels, keyer, owners)?;
        }
    }
    Ok(())
}

/// Bytes of a message being written: pieces of the request, and the
/// keys and lengths written around them. Nothing is copied until the
/// request for a backend is complete, then everything once.
#[derive(Default)]
struct Rope {
    segments: Vec<Segment>,
    /// Total bytes.
    len: usize,
}

#[derive(Clone, Copy)]
enum Segment {
    /// A range of the request.
    Input(u32, u32),
    /// A field key and length: at most 5 + 10 bytes.
    Header([u8; 15], u8),
}

impl Rope {
    fn clear(&mut self) {
        self.segments.clear();
        self.len = 0;
    }

    /// Adds the range of the request that `piece` is.
    #[inline]
    fn input(&mut self, base: &[u8], piece: &[u8]) {
        let start = (piece.as_ptr() as usize - base.as_ptr() as usize) as u32;
        let end = start + piece.len() as u32;
        self.len += piece.len();
        // Neighbouring pieces (units in a row for one backend) join.
        if let Some(Segment::Input(_, e)) = self.segments.last_mut() {
            if *e == start {
                *e = end;
                return;
            }
        }
        self.segments.push(Segment::Input(start, end));
    }

    fn header(&mut self, tag: u32, len: usize) {
        let mut bytes = [0u8; 15];
        let mut n = put_varint(&mut bytes, 0, u64::from(tag << 3 | u32::from(WT_LEN)));
        n = put_varint(&mut bytes, n, len as u64);
        self.segments.push(Segment::Header(bytes, n as u8));
        self.len += n;
    }

    /// The bytes, copied once.
    fn write(&self, base: &Bytes) -> Bytes {
        let mut out = Vec::with_capacity(self.len);
        for s in &self.segments {
            match *s {
                Segment::Input(start, end) => out.extend_from_slice(&base[start as usize..end as usize]),
                Segment::Header(bytes, n) => out.extend_from_slice(&bytes[..usize::from(n)]),
            }
        }
        Bytes::from(out)
    }
}

/// The second walk: each unit into its owner's rope, inside copies of the
/// envelopes around it.
struct Build<'s> {
    levels: &'static [&'static [u32]],
    /// The whole request, which the ropes' ranges are of.
    base: &'s [u8],
    owners: &'s [u16],
    next: usize,
    ropes: &'s mut [Vec<Rope>],
    counts: &'s mut [usize],
}

impl Build<'_> {
    fn message(&mut self, body: &[u8], depth: usize) -> Result<(), RouteError> {
        let tags = self.levels[depth];
        let leaf = depth + 1 == self.levels.len();
        for field in fields(body) {
            let field = field?;
            let Some(child) = field.body.filter(|_| tags.contains(&field.tag)) else { continue };
            if leaf {
                let owner = usize::from(self.owners.get(self.next).copied().unwrap_or(0));
                self.next += 1;
                self.ropes[depth][owner].input(self.base, field.whole);
                self.counts[owner] += 1;
                continue;
            }
            self.ropes[depth + 1].iter_mut().for_each(Rope::clear);
            self.message(child, depth + 1)?;
            let child_tags = self.levels[depth + 1];
            let envelope: Vec<&[u8]> =
                fields(child).filter_map(Result::ok).filter(|f| !(f.body.is_some() && child_tags.contains(&f.tag))).map(|f| f.whole).collect();
            let envelope_len: usize = envelope.iter().map(|e| e.len()).sum();
            let (outer, inner) = self.ropes.split_at_mut(depth + 1);
            for (out, content) in outer[depth].iter_mut().zip(inner[0].iter()) {
                if content.len == 0 {
                    continue;
                }
                out.header(field.tag, envelope_len + content.len);
                envelope.iter().for_each(|e| out.input(self.base, e));
                out.segments.extend_from_slice(&content.segments);
                out.len += content.len;
            }
        }
        Ok(())
    }
}

/// Writes `v` as a varint at `at`; returns where it ends.
fn put_varint(out: &mut [u8; 15], mut at: usize, mut v: u64) -> usize {
    while v >= 0x80 {
        out[at] = (v as u8) | 0x80;
        v >>= 7;
        at += 1;
    }
    out[at] = v as u8;
    at + 1
}

/// Finds each unit's key and owner.
struct Keyer<'r> {
    signal: Signal,
    key: RoutingKey,
    ring: &'r Ring,
    /// The owner of units without a key.
    keyless: usize,
    /// For stream IDs: the hash of the resource, scope and metric so far,
    /// by depth.
    prefix: Vec<crc32fast::Hasher>,
    /// The field data points keep their attributes in: 7 for numbers and
    /// summaries, 9 for histograms, 1 for exponential histograms.
    point_attributes: u32,
    /// The last trace ID and its owner: spans of a trace usually come in a
    /// row, and their key is hashed once.
    last: Option<([u8; 16], usize)>,
}

impl Keyer<'_> {
    /// Notes the envelopes a stream ID includes.
    fn enter(&mut self, depth: usize, tag: u32, body: &[u8]) -> Result<(), RouteError> {
        if self.key != RoutingKey::StreamId {
            return Ok(());
        }
        self.prefix.truncate(depth - 1);
        let mut h = self.prefix.last().cloned().unwrap_or_default();
        match depth {
            // ResourceMetrics: the resource's attributes.
            1 => hash_attributes(&mut h, body, &[1], 1)?,
            // ScopeMetrics: the scope's name, version and attributes.
            2 => {
                for f in fields(body) {
                    let f = f?;
                    if let (1, Some(scope)) = (f.tag, f.body) {
                        for g in fields(scope) {
                            let g = g?;
                            if matches!(g.tag, 1 | 2) {
                                h.update(g.whole);
                            }
                        }
                        hash_attributes(&mut h, scope, &[], 3)?;
                    }
                }
            }
            // Metric: name, unit and type (and the type's temporality).
            3 => {
                for f in fields(body) {
                    let f = f?;
                    match (f.tag, f.body) {
                        (1 | 3, Some(_)) => h.update(f.whole),
                        (5 | 7 | 9 | 10 | 11, Some(data)) => {
                            h.update(&[f.tag as u8]);
                            for g in fields(data) {
                                let g = g?;
                                if g.tag != 1 {
                                    h.update(g.whole);
                                }
                            }
                        }
                        _ => {}
                    }
                }
            }
            // The data: which field its points keep their attributes in.
            _ => {
                self.point_attributes = if tag == 9 {
                    9
                } else if tag == 10 {
                    1
                } else {
                    7
                }
            }
        }
        self.prefix.push(h);
        Ok(())
    }

    fn owner(&mut self, unit: &[u8]) -> Result<usize, RouteError> {
        if let (Some((last, owner)), [0x0a, 16, id @ ..]) = (&self.last, unit) {
            if id.get(..16) == Some(&last[..]) {
                return Ok(*owner);
            }
        }
        let hash = match (self.signal, self.key) {
            (Signal::Traces, RoutingKey::TraceId) => id_field(unit, 1)?.map(crc32fast::hash),
            (Signal::Logs, RoutingKey::TraceId) => id_field(unit, 9)?.filter(|id| id.iter().any(|&b| b != 0)).map(crc32fast::hash),
            (_, RoutingKey::Service) => Some(crc32fast::hash(service_name(unit)?.ok_or(RouteError::NoServiceName)?)),
            (_, RoutingKey::Resource) => {
                let mut h = crc32fast::Hasher::new();
                hash_attributes(&mut h, unit, &[1], 1)?;
                Some(h.finalize())
            }
            (_, RoutingKey::Metric) => Some(crc32fast::hash(id_field(unit, 1)?.unwrap_or_default())),
            (_, RoutingKey::StreamId) => {
                let mut h = self.prefix.last().cloned().unwrap_or_default();
                hash_attributes(&mut h, unit, &[], self.point_attributes)?;
                Some(h.finalize())
            }
            (Signal::Metrics, RoutingKey::TraceId) => return Err(RouteError::Unsupported(self.key, self.signal)),
        };
        let owner = match hash {
            Some(h) => self.ring.owner_of_hash(h).unwrap_or(0),
            None => self.keyless,
        };
        if let (Signal::Traces, RoutingKey::TraceId, [0x0a, 16, id @ ..]) = (self.signal, self.key, unit) {
            if let Some(id) = id.get(..16).and_then(|id| <[u8; 16]>::try_from(id).ok()) {
                self.last = Some((id, owner));
            }
        }
        Ok(owner)
    }
}

/// The last value of length-delimited field `tag` (prost keeps the last).
/// Nearly every span starts with its 16-byte trace ID: that shape is read
/// directly, and a second `trace_id` later in the span (which no encoder
/// writes) is not looked for.
#[inline]
fn id_field(body: &[u8], tag: u32) -> Result<Option<&[u8]>, WireError> {
    if let (1, [0x0a, 16, id @ ..]) = (tag, body) {
        if let Some(id) = id.get(..16) {
            return Ok(Some(id));
        }
    }
    let mut found = None;
    for f in fields(body) {
        let f = f?;
        if f.tag == tag {
            found = f.body;
        }
    }
    Ok(found)
}

/// The `service.name` of a resource-level message (its `resource` is field
/// 1 in every signal), as the Collector reads it: a string value, or empty
/// for any other type.
fn service_name<'a>(unit: &'a [u8]) -> Result<Option<&'a [u8]>, WireError> {
    let mut name = None;
    wire_spans::resource_attributes(Body::request(unit), &mut |a: wire_spans::Attribute<'a>| {
        if name.is_none() && a.key == b"service.name" {
            let mut value = None;
            a.value_into(&mut value)?;
            name = Some(match value {
                Some(AttrValue::Str(s)) => s.bytes,
                _ => &[][..],
            });
        }
        Ok(())
    })?;
    Ok(name)
}

/// Hashes the attributes (`KeyValue` field `tag`) of the message reached
/// from `body` through the message fields `path`, in a canonical order: the
/// same set sent in another order hashes the same.
fn hash_attributes(h: &mut crc32fast::Hasher, body: &[u8], path: &[u32], tag: u32) -> Result<(), WireError> {
    let mut attrs: Vec<&[u8]> = Vec::new();
    gather(body, path, tag, &mut attrs)?;
    attrs.sort_unstable();
    for a in attrs {
        h.update(&(a.len() as u32).to_le_bytes());
        h.update(a);
    }
    Ok(())
}

fn gather<'a>(body: &'a [u8], path: &[u32], tag: u32, out: &mut Vec<&'a [u8]>) -> Result<(), WireError> {
    for f in fields(body) {
        let f = f?;
        match (path.first(), f.body) {
            (Some(&p), Some(child)) if p == f.tag => gather(child, &path[1..], tag, out)?,
            (None, Some(kv)) if f.tag == tag => out.push(kv),
            _ => {}
        }
    }
    Ok(())
}
