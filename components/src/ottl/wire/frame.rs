//! The request around the spans: walked once to run the statements on
//! each span, and, if any span changed, copied once with each change
//! spliced in and every `ScopeSpans` and `ResourceSpans` length
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

    /// Writes the changes to the span last run, which changed.
    fn write(&mut self, splices: &mut Splices);

    /// Whether `span` reads the resource's attributes and the scope's
    /// name and version; if not, they are not read for it.
    fn reads_above(&self) -> bool {
        true
    }
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

/// The changes to a request, as byte ranges of it replaced by new bytes:
/// the request is then copied once, with the new bytes in place of each
/// range (a changed span is not written whole and copied again).
#[derive(Default)]
pub(super) struct Splices {
    arena: Vec<u8>,
    list: Vec<Splice>,
    /// Where the span being written lies in the request: a pass's
    /// positions are its body's.
    base: usize,
    len: usize,
}

/// `from..to` of the request becomes `new` of the arena.
struct Splice {
    from: usize,
    to: usize,
    new: std::ops::Range<usize>,
}

impl Splices {
    /// Replaces `from..to` of the span's body (in order: each after the
    /// last) with what `write` appends.
    #[inline]
    pub fn replace(&mut self, from: usize, to: usize, write: impl FnOnce(&mut Vec<u8>)) {
        let start = self.arena.len();
        write(&mut self.arena);
        self.list.push(Splice { from: self.base + from, to: self.base + to, new: start..self.arena.len() });
    }

    /// Replaces the span's whole body.
    pub fn replace_all(&mut self, write: impl FnOnce(&mut Vec<u8>)) {
        self.replace(0, self.len, write);
    }
}

/// What changed under one `ResourceSpans` or `ScopeSpans`: how much
/// longer (or shorter) its payload got, and, for a resource, the same for
/// each of its `ScopeSpans` in order (`None`: none of its spans changed).
#[derive(Default)]
struct Growth {
    delta: isize,
    scopes: Vec<Option<isize>>,
}

/// Runs `pass` on every span; the request's new bytes if any span changed.
/// The spans are walked once; writing copies the request between the
/// splices and only recomputes the lengths above them.
pub(super) fn rewrite<'a, P: Pass<'a>>(request: &'a [u8], pass: &mut P) -> Result<Option<Vec<u8>>, P::Error> {
    let mut splices = Splices::default();
    // Per `ResourceSpans`, in order; `None`: none of its spans changed.
    let mut resources: Vec<Option<Growth>> = Vec::new();
    let mut above = Above::default();
    let offset = |part: &[u8]| part.as_ptr() as usize - request.as_ptr() as usize;
    fields::each(request, |rs: Field<'_>| {
        if rs.tag != RESOURCE_SPANS {
            return Ok(());
        }
        delimited(&rs)?;
        above.resource_attributes.clear();
        let reads_above = pass.reads_above();
        fields::each(if reads_above { rs.payload } else { &[] }, |f: Field<'_>| {
            if f.tag == 1 {
                delimited(&f)?;
                fields::each(f.payload, |a: Field<'_>| if a.tag == 1 { above.resource_attributes.push(a.whole, a.payload) } else { Ok(()) })?;
            }
            Ok::<(), WireError>(())
        })?;
        let mut growth = Growth::default();
        fields::each(rs.payload, |ss: Field<'_>| {
            if ss.tag != SCOPE_SPANS {
                // The resource, read or not, must be a message, as
                // decoding requires.
                return if ss.tag == 1 { delimited(&ss).map_err(Into::into) } else { Ok(()) };
            }
            delimited(&ss)?;
            (above.scope_name, above.scope_version) = ("", "");
            // A walk of the scope's fields (its spans too) to find the
            // scope first, which may come after them: only if read.
            fields::each(if reads_above { ss.payload } else { &[] }, |f: Field<'_>| {
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
            let mut scope: Option<isize> = None;
            fields::each(ss.payload, |sp: Field<'_>| {
                if sp.tag != SPANS {
                    // So must the scope.
                    return if sp.tag == 1 { delimited(&sp).map_err(Into::into) } else { Ok(()) };
                }
                delimited(&sp)?;
                if pass.span(sp.payload, &above)? {
                    // The span's own header goes first; its length is
                    // known once its body's changes are.
                    let header = splices.list.len();
                    splices.list.push(Splice { from: 0, to: 0, new: 0..0 });
                    (splices.base, splices.len) = (offset(sp.payload), sp.payload.len());
                    pass.write(&mut splices);
                    let body: isize = splices.list[header + 1..].iter().map(|s| s.new.len() as isize - (s.to - s.from) as isize).sum();
                    let new_len = (sp.payload.len() as isize + body) as usize;
                    let start = splices.arena.len();
                    put_header(&mut splices.arena, SPANS, new_len);
                    splices.list[header] = Splice { from: offset(sp.whole), to: offset(sp.payload), new: start..splices.arena.len() };
                    *scope.get_or_insert(0) += len_field_size(SPANS, new_len) as isize - sp.whole.len() as isize;
                }
                Ok::<(), P::Error>(())
            })?;
            if let Some(grew) = scope {
                growth.delta += len_field_size(SCOPE_SPANS, (ss.payload.len() as isize + grew) as usize) as isize - ss.whole.len() as isize;
            }
            growth.scopes.push(scope);
            Ok::<(), P::Error>(())
        })?;
        resources.push(growth.scopes.iter().any(Option::is_some).then_some(growth));
        Ok::<(), P::Error>(())
    })?;
    if splices.list.is_empty() {
        return Ok(None);
    }
    let mut out = Vec::with_capacity(request.len() + splices.arena.len());
    let (arena, mut changes) = (&splices.arena, splices.list.iter().peekable());
    let mut resources = resources.into_iter();
    fields::each(request, |rs: Field<'_>| {
        let growth = match rs.tag {
            RESOURCE_SPANS => resources.next().flatten(),
            _ => None,
        };
        let Some(growth) = growth else {
            out.extend_from_slice(rs.whole);
            return Ok(());
        };
        put_header(&mut out, RESOURCE_SPANS, (rs.payload.len() as isize + growth.delta) as usize);
        let mut scopes = growth.scopes.into_iter();
        fields::each(rs.payload, |ss: Field<'_>| {
            let grew = match ss.tag {
                SCOPE_SPANS => scopes.next().flatten(),
                _ => None,
            };
            let Some(grew) = grew else {
                out.extend_from_slice(ss.whole);
                return Ok(());
            };
            put_header(&mut out, SCOPE_SPANS, (ss.payload.len() as isize + grew) as usize);
            // The scope's payload with each splice in it made. One that
            // adds at the very end of its last span starts at `end`; the
            // next scope's all start after its header, past `end`.
            let (mut at, end) = (offset(ss.payload), offset(ss.payload) + ss.payload.len());
            while let Some(splice) = changes.next_if(|s| s.from <= end) {
                out.extend_from_slice(&request[at..splice.from]);
                out.extend_from_slice(&arena[splice.new.clone()]);
                at = splice.to;
            }
            out.extend_from_slice(&request[at..end]);
            Ok::<(), WireError>(())
        })
    })?;
    Ok(Some(out))
}

/// A length-delimited field's key and length (the tags here are 1 and 2:
/// one key byte).
#[inline]
fn put_header(out: &mut Vec<u8>, tag: u32, len: usize) {
    debug_assert!(tag < 16, "a one-byte key");
    out.push((tag << 3) as u8 | 2);
    let mut len = len as u64;
    while len >= 0x80 {
        out.push(len as u8 | 0x80);
        len >>= 7;
    }
    out.push(len as u8);
}

fn delimited(f: &Field<'_>) -> Result<(), WireError> {
    match f.wire_type {
        2 => Ok(()),
        w => Err(WireError { offset: 0, message: format!("field {} has wire type {w}", f.tag) }),
    }
}
