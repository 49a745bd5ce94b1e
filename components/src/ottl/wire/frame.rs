//! The request around the spans: walked once to run the statements on
//! each span (and, for a plan with resource steps, on each resource), and,
//! if anything changed, copied once with each change spliced in and every
//! length above it recomputed. Fields other than spans and resources
//! (scopes, schema URLs, unknown fields) are copied as received.

use super::fields::{self, Field};
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

    /// Whether [`Self::resource`] runs statements at all.
    fn edits_resources(&self) -> bool {
        false
    }

    /// Runs on one resource's bytes (`None` for a `ResourceSpans` without
    /// one), before its spans wherever it lies; whether it changed (for a
    /// missing one: whether a step created it).
    fn resource(&mut self, _body: Option<&'a [u8]>) -> Result<bool, Self::Error> {
        Ok(false)
    }

    /// Called before the spans of each `ResourceSpans`, after
    /// [`Self::resource`], with what is above them.
    fn begin(&mut self, _above: &Above<'a>) -> Result<(), Self::Error> {
        Ok(())
    }

    /// Writes the changes to the resource last run, which changed.
    fn write_resource(&mut self, _splices: &mut Splices) {}
}

impl From<WireError> for WireFailure {
    fn from(e: WireError) -> WireFailure {
        WireFailure::Decode(e)
    }
}

/// `ExportTraceServiceRequest.resource_spans`, `ResourceSpans.resource`,
/// `ResourceSpans.scope_spans` and `ScopeSpans.spans`.
const RESOURCE_SPANS: u32 = 1;
const RESOURCE: u32 = 1;
const SCOPE_SPANS: u32 = 2;
const SPANS: u32 = 2;

/// The changes to a request, as byte ranges of it replaced by new bytes:
/// the request is then copied once, with the new bytes in place of each
/// range (a changed span is not written whole and copied again). Every
/// length-delimited message a change lies in gets its header replaced
/// too, once the changes inside it are known ([`Splices::open`],
/// [`Splices::close`]).
#[derive(Default)]
pub(super) struct Splices {
    arena: Vec<u8>,
    list: Vec<Splice>,
    /// How much longer the request has got so far.
    grown: isize,
    /// Whether anything changed (a change may keep every length).
    changed: bool,
    /// Where the span or resource being written lies in the request: a
    /// pass's positions are its body's.
    base: usize,
    len: usize,
}

/// `from..to` of the request becomes `new` of the arena.
struct Splice {
    from: usize,
    to: usize,
    new: std::ops::Range<usize>,
}

/// A header whose new length is not known yet: the splice kept for it,
/// and how much the request had grown when it was opened.
pub(super) struct Open {
    at: usize,
    grown: isize,
}

impl Splices {
    /// Room for the changes a request of `len` bytes usually gets, so
    /// the lists are not grown (and copied) a dozen times a request: a
    /// few splices a span of a few hundred bytes, a few dozen new bytes
    /// each. Unused room is never touched.
    pub(super) fn for_request(len: usize) -> Splices {
        Splices { arena: Vec::with_capacity(len / 4), list: Vec::with_capacity(len / 64), ..Splices::default() }
    }

    /// Replaces `from..to` of the span's body (in order: each after the
    /// last) with what `write` appends.
    #[inline]
    pub fn replace(&mut self, from: usize, to: usize, write: impl FnOnce(&mut Vec<u8>)) {
        let start = self.arena.len();
        write(&mut self.arena);
        let (from, to, new) = (self.base + from, self.base + to, start..self.arena.len());
        self.grown += new.len() as isize - (to - from) as isize;
        self.list.push(Splice { from, to, new });
    }

    /// Takes out `from..to` of the request (a whole field), in order as
    /// [`Self::replace`].
    pub(super) fn remove(&mut self, from: usize, to: usize) {
        let at = self.arena.len();
        self.grown -= (to - from) as isize;
        self.changed = true;
        self.list.push(Splice { from, to, new: at..at });
    }

    /// Replaces the span's whole body.
    pub fn replace_all(&mut self, write: impl FnOnce(&mut Vec<u8>)) {
        self.replace(0, self.len, write);
    }

    /// Keeps a place, at the start of a message's field, for its header:
    /// everything spliced inside it comes after in the list. Left as is,
    /// it splices nothing.
    pub(super) fn open(&mut self, field: usize) -> Open {
        self.list.push(Splice { from: field, to: field, new: 0..0 });
        Open { at: self.list.len() - 1, grown: self.grown }
    }

    /// Writes the header kept by `open` for a field numbered `tag` whose
    /// payload was `len` bytes at `payload`, if what was spliced inside it
    /// changed its length (or, for a field that was not there, always).
    pub(super) fn close(&mut self, open: Open, tag: u32, payload: usize, len: usize) {
        let grew = self.grown - open.grown;
        let new = self.list[open.at].from == payload;
        if grew == 0 && !new {
            return;
        }
        let start = self.arena.len();
        put_header(&mut self.arena, tag, (len as isize + grew) as usize);
        let splice = &mut self.list[open.at];
        splice.to = payload;
        splice.new = start..self.arena.len();
        self.grown += splice.new.len() as isize - (payload - splice.from) as isize;
    }

    /// Runs `write` on the message whose field is `whole` (its payload
    /// `payload`, `len` bytes), then writes its header if needed.
    fn message(&mut self, tag: u32, (whole, payload, len): (usize, usize, usize), write: impl FnOnce(&mut Splices)) {
        self.changed = true;
        let open = self.open(whole);
        (self.base, self.len) = (payload, len);
        write(self);
        self.close(open, tag, payload, len);
    }

    /// The request with every splice made. Most new pieces are a few
    /// bytes (a header, an added attribute) and many are empty (a dropped
    /// field): a `memcpy` call for each cost more than the copying, so
    /// those are copied in fixed chunks ([`SHORT`]) out of the arena,
    /// padded for it at the end, and empty ones not at all.
    pub(super) fn apply(&mut self, request: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity((request.len() as isize + self.grown.max(0)) as usize + SHORT);
        self.arena.extend_from_slice(&[0; SHORT]);
        let arena = &self.arena;
        let mut at = 0;
        for splice in &self.list {
            if splice.from > at {
                out.extend_from_slice(&request[at..splice.from]);
            }
            let new = &arena[splice.new.start..];
            match splice.new.len() {
                0 => {}
                n if n <= SHORT => {
                    // Whole chunks, the last one cut back to `n`.
                    let mut copied = 0;
                    while copied < n {
                        out.extend_from_slice(&new[copied..copied + CHUNK]);
                        copied += CHUNK;
                    }
                    out.truncate(out.len() - (copied - n));
                }
                n => out.extend_from_slice(&new[..n]),
            }
            at = splice.to;
        }
        out.extend_from_slice(&request[at..]);
        out
    }
}

/// New pieces up to this long are copied in [`CHUNK`]s (and the arena is
/// padded by this much, so that a chunk never reads past it).
const SHORT: usize = 64;
const CHUNK: usize = 16;

/// Runs `pass` on every span (and resource); the request's new bytes if
/// any changed. The request is walked once; writing copies it between the
/// splices.
pub(super) fn rewrite<'a, P: Pass<'a>>(request: &'a [u8], pass: &mut P) -> Result<Option<Vec<u8>>, P::Error> {
    let mut splices = Splices::for_request(request.len());
    let mut above = Above::default();
    let offset = |part: &[u8]| part.as_ptr() as usize - request.as_ptr() as usize;
    // (whole, payload, length) of a field, as positions in the request.
    let place = |f: &Field<'_>| (offset(f.whole), offset(f.payload), f.payload.len());
    let (reads_above, edits_resources) = (pass.reads_above(), pass.edits_resources());
    fields::each(request, |rs: Field<'_>| {
        if rs.tag != RESOURCE_SPANS {
            return Ok(());
        }
        delimited(&rs)?;
        above.resource_attributes.clear();
        // The resource first, wherever it lies: its steps run before the
        // spans', which may read what they left.
        let mut resource = None;
        fields::each(if reads_above || edits_resources { rs.payload } else { &[] }, |f: Field<'_>| {
            if f.tag == RESOURCE {
                delimited(&f)?;
                if edits_resources && resource.is_some() {
                    // prost merges them; a plan does not model that.
                    return Err(WireError { offset: offset(f.whole), message: "a resource written twice".into() });
                }
                resource = Some(f.payload);
                if reads_above {
                    fields::each(f.payload, |a: Field<'_>| if a.tag == 1 { above.resource_attributes.push(a.whole, a.payload) } else { Ok(()) })?;
                }
            }
            Ok::<(), WireError>(())
        })?;
        let resource_changed = edits_resources && pass.resource(resource)?;
        pass.begin(&above)?;
        let resource_spans = splices.open(offset(rs.whole));
        fields::each(rs.payload, |ss: Field<'_>| {
            if ss.tag == RESOURCE {
                // Must be a message, as decoding requires, read or not.
                delimited(&ss)?;
                if resource_changed {
                    splices.message(RESOURCE, place(&ss), |s| pass.write_resource(s));
                }
                return Ok(());
            }
            if ss.tag != SCOPE_SPANS {
                return Ok(());
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
            let scope_spans = splices.open(offset(ss.whole));
            fields::each(ss.payload, |sp: Field<'_>| {
                if sp.tag != SPANS {
                    // So must the scope.
                    return if sp.tag == 1 { delimited(&sp).map_err(Into::into) } else { Ok(()) };
                }
                delimited(&sp)?;
                if pass.span(sp.payload, &above)? {
                    splices.message(SPANS, place(&sp), |s| pass.write(s));
                }
                Ok::<(), P::Error>(())
            })?;
            splices.close(scope_spans, SCOPE_SPANS, offset(ss.payload), ss.payload.len());
            Ok::<(), P::Error>(())
        })?;
        // With no resource at all, one a step writes goes last (decoding
        // reads fields in any order).
        if resource_changed && resource.is_none() {
            let end = offset(rs.payload) + rs.payload.len();
            splices.message(RESOURCE, (end, end, 0), |s| pass.write_resource(s));
        }
        splices.close(resource_spans, RESOURCE_SPANS, offset(rs.payload), rs.payload.len());
        Ok::<(), P::Error>(())
    })?;
    Ok(splices.changed.then(|| splices.apply(request)))
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
