//! The request around the spans: walked once to run the statements on
//! each span, and, if any span changed, written again with each changed
//! span's new bytes and every `ScopeSpans` and `ResourceSpans` length
//! recomputed. Fields other than spans (resources, scopes, schema URLs,
//! unknown fields) are copied as received.

use super::fields::{self, len_field_size, Field};
use super::span::Above;
use super::WireFailure;
use crate::otlp::wire::WireError;

/// What runs on each span of a request: the evaluator over a
/// [`super::span::WireSpan`], or a [`super::plan::Plan`].
pub(super) trait Pass<'a> {
    type Error: From<WireError>;

    /// Runs on one span's bytes; whether it changed.
    fn span(&mut self, body: &'a [u8], above: &Above<'a>) -> Result<bool, Self::Error>;

    /// Writes the span last run, which changed.
    fn write(&mut self, out: &mut Vec<u8>);
}

impl From<WireError> for WireFailure {
    fn from(e: WireError) -> WireFailure {
        WireFailure::Decode(e)
    }
}

/// `ExportTraceServiceRequest.resource_spans`, `ResourceSpans.scope_spans`
/// and `ScopeSpans.spans` are all field 2 but the first, which is 1.
const RESOURCE_SPANS: u32 = 1;
const SCOPE_SPANS: u32 = 2;
const SPANS: u32 = 2;

/// Runs `pass` on every span; the request's new bytes if any span changed.
pub(super) fn rewrite<'a, P: Pass<'a>>(request: &'a [u8], pass: &mut P) -> Result<Option<Vec<u8>>, P::Error> {
    let mut arena = Vec::new();
    // Per span, in request order: where its new bytes are in `arena`.
    let mut changed: Vec<Option<(usize, usize)>> = Vec::new();
    let mut above = Above::default();
    fields::each(request, |rs: Field<'_>| {
        if rs.tag != RESOURCE_SPANS {
            return Ok(());
        }
        delimited(&rs)?;
        above.resource_attributes.clear();
        fields::each(rs.payload, |f: Field<'_>| {
            if f.tag == 1 {
                delimited(&f)?;
                fields::each(f.payload, |a: Field<'_>| if a.tag == 1 { above.resource_attributes.push(a.whole, a.payload) } else { Ok(()) })?;
            }
            Ok::<(), WireError>(())
        })?;
        fields::each(rs.payload, |ss: Field<'_>| {
            if ss.tag != SCOPE_SPANS {
                return Ok(());
            }
            delimited(&ss)?;
            (above.scope_name, above.scope_version) = ("", "");
            fields::each(ss.payload, |f: Field<'_>| {
                if f.tag == 1 {
                    delimited(&f)?;
                    fields::each(f.payload, |s: Field<'_>| {
                        match s.tag {
                            1 => above.scope_name = fields::text(s.payload)?,
                            2 => above.scope_version = fields::text(s.payload)?,
                            _ => {}
                        }
                        Ok::<(), WireError>(())
                    })?;
                }
                Ok::<(), WireError>(())
            })?;
            fields::each(ss.payload, |sp: Field<'_>| {
                if sp.tag != SPANS {
                    return Ok(());
                }
                delimited(&sp)?;
                changed.push(if pass.span(sp.payload, &above)? {
                    let start = arena.len();
                    pass.write(&mut arena);
                    Some((start, arena.len()))
                } else {
                    None
                });
                Ok::<(), P::Error>(())
            })
        })
    })?;
    if changed.iter().all(Option::is_none) {
        return Ok(None);
    }
    let mut out = Vec::with_capacity(request.len() + arena.len());
    let mut spans = Spans { arena: &arena, changed: &changed, next: 0 };
    fields::each(request, |rs: Field<'_>| {
        if rs.tag != RESOURCE_SPANS {
            out.extend_from_slice(rs.whole);
            return Ok(());
        }
        let (scopes, len) = resource_len(rs.payload, spans.next, &spans)?;
        put_header(&mut out, RESOURCE_SPANS, len);
        let mut scope = scopes.iter();
        fields::each(rs.payload, |ss: Field<'_>| {
            if ss.tag != SCOPE_SPANS {
                out.extend_from_slice(ss.whole);
                return Ok(());
            }
            put_header(&mut out, SCOPE_SPANS, scope.next().copied().unwrap_or_default());
            fields::each(ss.payload, |sp: Field<'_>| {
                if sp.tag != SPANS {
                    out.extend_from_slice(sp.whole);
                    return Ok(());
                }
                let bytes = spans.take(sp.payload);
                put_header(&mut out, SPANS, bytes.len());
                out.extend_from_slice(bytes);
                Ok::<(), WireError>(())
            })
        })
    })?;
    Ok(Some(out))
}

/// The spans' bytes as they go out, in request order.
struct Spans<'s> {
    arena: &'s [u8],
    changed: &'s [Option<(usize, usize)>],
    next: usize,
}

impl<'s> Spans<'s> {
    /// The `i`th span's bytes: new if it changed, else as received.
    fn bytes<'r: 's>(&self, i: usize, received: &'r [u8]) -> &'s [u8] {
        match self.changed.get(i).copied().flatten() {
            Some((start, end)) => &self.arena[start..end],
            None => received,
        }
    }

    fn take<'r: 's>(&mut self, received: &'r [u8]) -> &'s [u8] {
        let bytes = self.bytes(self.next, received);
        self.next += 1;
        bytes
    }
}

/// A `ResourceSpans`' new length, and each of its `ScopeSpans`' new
/// lengths; its spans start at the `first`th.
fn resource_len(rs: &[u8], first: usize, spans: &Spans<'_>) -> Result<(Vec<usize>, usize), WireError> {
    let mut i = first;
    let mut scopes = Vec::new();
    let mut len = 0;
    fields::each(rs, |ss: Field<'_>| {
        if ss.tag != SCOPE_SPANS {
            len += ss.whole.len();
            return Ok(());
        }
        let mut scope = 0;
        fields::each(ss.payload, |sp: Field<'_>| {
            scope += if sp.tag == SPANS {
                i += 1;
                len_field_size(SPANS, spans.bytes(i - 1, sp.payload).len())
            } else {
                sp.whole.len()
            };
            Ok::<(), WireError>(())
        })?;
        scopes.push(scope);
        len += len_field_size(SCOPE_SPANS, scope);
        Ok::<(), WireError>(())
    })?;
    Ok((scopes, len))
}

fn put_header(out: &mut Vec<u8>, tag: u32, len: usize) {
    prost::encoding::encode_key(tag, prost::encoding::WireType::LengthDelimited, out);
    prost::encoding::encode_varint(len as u64, out);
}

fn delimited(f: &Field<'_>) -> Result<(), WireError> {
    match f.wire_type {
        2 => Ok(()),
        w => Err(WireError { offset: 0, message: format!("field {} has wire type {w}", f.tag) }),
    }
}
