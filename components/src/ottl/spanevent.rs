//! The `spanevent` context: one span event, with its span (as `span.`),
//! scope and resource.

use solder_syntax::ottl::{Context, Key, PathId, Value};

use super::resource::{ResourceView, ScopeView};
use super::schema::{locate, EventField, Part, SpanField, SPANEVENT, SPANEVENT_PARTS};
use super::walk::try_retain;
use super::{span, typed, value};
use crate::otlp::proto::trace::v1::span::Event;
use crate::otlp::proto::trace::v1::Span;
use solder_syntax::ottl::RunError;

/// One span event as statements see it. The span is borrowed whole while
/// its events are out of it (see [`retain_events`]), so `span.` paths read
/// and write it directly.
pub struct SpanEventContext<'a> {
    pub resource: ResourceView<'a>,
    pub scope: ScopeView<'a>,
    pub span: &'a mut Span,
    pub event: &'a mut Event,
}

impl Context for SpanEventContext<'_> {
    fn get(&self, path: PathId, keys: &[Key]) -> Result<Value, String> {
        match locate(&SPANEVENT, SPANEVENT_PARTS, path, keys)? {
            (Part::Event, i) => get(self.event, EventField::ALL[i], keys),
            (Part::Span, i) => span::get(self.span, SpanField::ALL[i], keys),
            (Part::Resource, i) => self.resource.get(i, keys),
            (_, i) => self.scope.get(i, keys),
        }
    }

    fn set(&mut self, path: PathId, keys: &[Key], value: Value) -> Result<(), String> {
        match locate(&SPANEVENT, SPANEVENT_PARTS, path, keys)? {
            (Part::Event, i) => set(self.event, EventField::ALL[i], keys, value),
            (Part::Span, i) => span::set(self.span, SpanField::ALL[i], keys, value),
            (Part::Resource, i) => self.resource.set(i, keys, value),
            (_, i) => self.scope.set(i, keys, value),
        }
    }
}

fn get(event: &Event, field: EventField, keys: &[Key]) -> Result<Value, String> {
    Ok(match field {
        EventField::Name => Value::Str(event.name.clone()),
        EventField::TimeUnixNano => Value::Int(event.time_unix_nano as i64),
        EventField::Time => Value::Time(event.time_unix_nano as i64),
        EventField::Attributes => return value::map_get(&event.attributes, keys),
        EventField::DroppedAttributesCount => Value::Int(event.dropped_attributes_count as i64),
    })
}

fn set(event: &mut Event, field: EventField, keys: &[Key], v: Value) -> Result<(), String> {
    match field {
        EventField::Name => event.name = typed::string(v)?,
        EventField::TimeUnixNano => event.time_unix_nano = typed::int(v)? as u64,
        EventField::Time => event.time_unix_nano = typed::time(v)?,
        EventField::Attributes => value::map_set(&mut event.attributes, keys, v)?,
        EventField::DroppedAttributesCount => event.dropped_attributes_count = typed::uint32(v)?,
    }
    Ok(())
}

/// Runs `keep` over each of the span's events with the span itself
/// visible, keeping the events it returns true for; returns how many were
/// removed. The events are moved out of the span meanwhile (a pointer
/// swap, no copy) so span and event can both be borrowed mutably, and are
/// put back even when `keep` fails.
pub(crate) fn retain_events(span: &mut Span, mut keep: impl FnMut(&mut Span, &mut Event) -> Result<bool, RunError>) -> Result<u64, RunError> {
    let mut events = std::mem::take(&mut span.events);
    let result = try_retain(&mut events, |event| keep(span, event));
    span.events = events;
    result
}
