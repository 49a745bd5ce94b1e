//! A span's series identity: its dimension values, looked up in the span,
//! event and resource attributes, written as a series key (every span) or
//! built into data point attributes (a new series only).

use std::borrow::Cow;

use crate::otlp::proto::common::v1::{any_value, AnyValue, InstrumentationScope, KeyValue};
use crate::otlp::proto::trace::v1::Span;

use super::aggregate::{Config, Dimension};
use super::key;

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
pub fn write_key(buf: &mut Vec<u8>, l: &Lookup<'_>, dims: &[Dimension]) {
    buf.clear();
    let k = l.config.keep;
    key::push_str(buf, if k[1] { &l.span.name } else { "" });
    buf.extend_from_slice(&(if k[2] { l.span.kind } else { -1 }).to_le_bytes());
    buf.extend_from_slice(&(if k[3] { l.span.status.as_ref().map_or(0, |s| s.code) } else { -1 }).to_le_bytes());
    for d in dims {
        let v = find(&l.span.attributes, &d.name).or_else(|| find(l.event, &d.name)).or_else(|| find(l.resource, &d.name));
        match (v, &d.default) {
            (Some(v), _) => key::push_value(buf, Some(v)),
            (None, Some(def)) => key::push_default(buf, def),
            (None, None) => key::push_value(buf, None),
        }
    }
    if let Some(s) = l.scope {
        key::push_str(buf, &s.name);
        key::push_str(buf, &s.version);
    }
}

/// The data point attributes of a new series, in the collector's order.
pub fn attributes(l: &Lookup<'_>, dims: &[Dimension]) -> Vec<KeyValue> {
    let k = l.config.keep;
    let mut out = Vec::with_capacity(4 + dims.len());
    if k[0] {
        out.push(kv("service.name", text(l.service_name)));
    }
    if k[1] {
        out.push(kv("span.name", text(&l.span.name)));
    }
    if k[2] {
        out.push(kv("span.kind", text(span_kind(l.span.kind))));
    }
    if k[3] {
        out.push(kv("status.code", text(status_code(l.span.status.as_ref().map_or(0, |s| s.code)))));
    }
    for d in dims {
        if let Some(v) = l.value(d) {
            out.push(kv(&d.name, v.into_owned()));
        }
    }
    if let Some(s) = l.scope {
        out.push(kv("span.instrumentation.scope.name", text(&s.name)));
        if !s.version.is_empty() {
            out.push(kv("span.instrumentation.scope.version", text(&s.version)));
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
