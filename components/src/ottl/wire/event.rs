//! Span events on the wire, for the filter's `spanevent` conditions: each
//! span's events are read where they lie and tested as the `spanevent`
//! context (the event's fields, its span's under `span.`, the resource's
//! attributes and the scope's name and version), and a span that loses
//! events is written again without them, every other byte as it came.
//!
//! Events ride inside the spans that a trace pipeline forwards untouched
//! otherwise: decoding every span to drop a few `exception` events cost
//! what decoding the request costs.

use solder_syntax::ottl::{Conditions, Context, ErrorMode, Key, PathId, RunError, Value};

use super::attrs::Attrs;
use super::fields;
use super::filter::without;
use super::frame::{rewrite, Pass, Splices};
use super::span::{above_serves, Above, WireSpan};
use super::WireFailure;
use crate::otlp::wire::{Reader, WireError, WT_I32, WT_I64, WT_LEN, WT_VARINT};
use crate::ottl::schema::{locate, EventField, Part, SpanField, SPANEVENT, SPANEVENT_PARTS};

/// `Span.events`.
const EVENTS: u32 = 11;

/// Whether the wire `spanevent` context serves a read of `path`: every
/// field of the event and of its span; of the resource and scope above,
/// the attributes, the name and the version.
fn supports(path: PathId) -> bool {
    match locate(&SPANEVENT, SPANEVENT_PARTS, path, &[]) {
        Ok((Part::Event | Part::Span, _)) => true,
        Ok((part, i)) => above_serves(part, i),
        Err(_) => false,
    }
}

/// How the wire walk reads span events for one list of `spanevent`
/// conditions, worked out once per load ([`event_reader`]), not per
/// request.
#[derive(Debug, Clone, Copy)]
pub struct EventReader {
    /// A condition reads the span (`span.` paths): if not, its fields are
    /// not read (nothing asks for them).
    reads_span: bool,
}

/// The reader for `spanevent` conditions, if they read only what the wire
/// `spanevent` context serves; `None`: they need the request decoded.
pub fn event_reader(conditions: &Conditions) -> Option<EventReader> {
    let uses = conditions.path_uses();
    uses.iter()
        .all(|u| supports(u.path))
        .then(|| EventReader { reads_span: uses.iter().any(|u| matches!(locate(&SPANEVENT, SPANEVENT_PARTS, u.path, &[]), Ok((Part::Span, _)))) })
}

/// An event's fields as received, by prost's rules: the last of a
/// repeated scalar wins, attributes concatenate.
#[derive(Default)]
struct WireEvent<'a> {
    time: u64,
    name: &'a [u8],
    attrs: Attrs<'a>,
    dropped_attributes: u32,
}

impl<'a> WireEvent<'a> {
    /// Reads an event's fields into this one, reusing its attribute list.
    fn read(&mut self, event: &'a [u8]) -> Result<(), WireError> {
        let mut attrs = std::mem::take(&mut self.attrs);
        attrs.clear();
        *self = WireEvent { attrs, ..WireEvent::default() };
        let mut r = Reader::new(event, 0);
        while !r.done() {
            let start = r.offset();
            match r.key()? {
                (1, WT_I64) => self.time = r.fixed64()?,
                (2, WT_LEN) => self.name = r.delimited()?.0,
                (3, WT_LEN) => {
                    let kv = r.delimited()?.0;
                    self.attrs.push(&event[start..r.offset()], kv)?;
                }
                (4, WT_VARINT) => self.dropped_attributes = r.varint()? as u32,
                (tag @ 1..=4, wire_type) => return Err(WireError { offset: start, message: format!("span event field {tag} has wire type {wire_type}") }),
                (_, wire_type) => skip(&mut r, wire_type, start)?,
            }
        }
        Ok(())
    }

    fn get(&self, field: EventField, keys: &[Key]) -> Result<Value, String> {
        Ok(match field {
            EventField::Name => Value::str(fields::text(self.name).map_err(|e| e.to_string())?),
            EventField::TimeUnixNano => Value::Int(self.time as i64),
            EventField::Time => Value::Time(self.time as i64),
            EventField::Attributes => return self.attrs.get(keys),
            EventField::DroppedAttributesCount => Value::Int(i64::from(self.dropped_attributes)),
        })
    }
}

/// The `spanevent` context over an event and its span, for conditions:
/// nothing here writes.
struct WireEventContext<'s, 'a> {
    event: &'s WireEvent<'a>,
    span: &'s WireSpan<'a>,
    above: &'s Above<'a>,
}

impl Context for WireEventContext<'_, '_> {
    fn get(&self, path: PathId, keys: &[Key]) -> Result<Value, String> {
        match locate(&SPANEVENT, SPANEVENT_PARTS, path, keys)? {
            (Part::Event, i) => self.event.get(EventField::ALL[i], keys),
            (Part::Span, i) => self.span.get(SpanField::ALL[i], keys),
            (part, i) => self.above.get(part, i, keys),
        }
    }

    fn set(&mut self, _path: PathId, _keys: &[Key], _value: Value) -> Result<(), String> {
        Err("conditions do not write".into())
    }
}

/// Drops every span event of a trace request for which any of
/// `conditions` is true, keeping the spans; a request that lost events
/// also loses its scopes and resources without spans, as the decoded
/// filter prunes them. `None`: no event matched, the request goes on as
/// it came. Errors of conditions under `ignore` are pushed to `errors`;
/// under `propagate` the first one is [`WireFailure::Run`].
pub fn filter_events(
    conditions: &Conditions,
    reader: EventReader,
    mode: ErrorMode,
    request: &[u8],
    errors: &mut Vec<RunError>,
) -> Result<Option<Vec<u8>>, WireFailure> {
    let reads_span = reader.reads_span;
    let mut pass =
        Events { conditions, mode, errors, reads_span, span: WireSpan::default(), event: WireEvent::default(), body: &[], matched: Vec::new(), spans: 0 };
    let Some(changed) = rewrite(request, &mut pass)? else { return Ok(None) };
    // Every span kept: `without` takes out only the empty scopes and
    // resources, if there are any.
    let pruned = without(&changed, &vec![false; pass.spans], |_, _, _| Ok(()))?.0;
    Ok(Some(pruned.unwrap_or(changed)))
}

/// The walk over each span: its events tested, the matched ones' ranges
/// noted for writing the span without them.
struct Events<'c, 'a> {
    conditions: &'c Conditions,
    mode: ErrorMode,
    errors: &'c mut Vec<RunError>,
    /// [`EventReader::reads_span`].
    reads_span: bool,
    span: WireSpan<'a>,
    event: WireEvent<'a>,
    body: &'a [u8],
    /// The byte ranges in `body` of the span's events that matched.
    matched: Vec<(usize, usize)>,
    /// The spans walked so far.
    spans: usize,
}

impl<'a> Pass<'a> for Events<'_, 'a> {
    type Error = WireFailure;

    fn span(&mut self, body: &'a [u8], above: &Above<'a>) -> Result<bool, WireFailure> {
        self.body = body;
        self.matched.clear();
        self.spans += 1;
        let mut read = false;
        let mut r = Reader::new(body, 0);
        while !r.done() {
            let start = r.offset();
            let (tag, wire_type) = r.key()?;
            if tag != EVENTS {
                skip(&mut r, wire_type, start)?;
                continue;
            }
            if wire_type != WT_LEN {
                return Err(WireError { offset: start, message: format!("span field {EVENTS} has wire type {wire_type}") }.into());
            }
            let event = r.delimited()?.0;
            // The span's own fields, once, for the first event.
            if self.reads_span && !read {
                self.span.read(body)?;
                read = true;
            }
            self.event.read(event)?;
            let mut context = WireEventContext { event: &self.event, span: &self.span, above };
            // One list of conditions: its index is always 0.
            if self.conditions.any(&mut context, self.mode, self.errors).map_err(|e| WireFailure::Run(0, e))? {
                self.matched.push((start, r.offset()));
            }
        }
        Ok(!self.matched.is_empty())
    }

    fn write(&mut self, splices: &mut Splices<'_>) {
        let (body, matched) = (self.body, &self.matched);
        splices.replace_all(|out| {
            let mut from = 0;
            for &(start, end) in matched {
                out.extend_from_slice(&body[from..start]);
                from = end;
            }
            out.extend_from_slice(&body[from..]);
        });
    }
}

/// Moves `r` past a field's payload of this wire type; a group (never in
/// OTLP) is left to decoding.
fn skip(r: &mut Reader<'_>, wire_type: u8, start: usize) -> Result<(), WireError> {
    match wire_type {
        WT_LEN => r.delimited().map(drop),
        WT_VARINT | WT_I64 | WT_I32 => r.scalar(wire_type),
        _ => Err(WireError { offset: start, message: "groups are not filtered on the wire".into() }),
    }
}
