//! The request around the spans: walked once to run the statements on
//! each span (and, for a plan with resource steps, on each resource), and,
//! if anything changed, copied once, each change written in as the walk
//! reaches it and every length above it recomputed. Fields other than
//! spans and resources (scopes, schema URLs, unknown fields) are copied as
//! received. Log requests nest their records where spans are; a pass over
//! data points has the walk go down into each metric's data instead.

use super::fields::{self, Field};
use super::span::Above;
use super::WireFailure;
use crate::otlp::wire::schema::{self, Message};
use crate::otlp::wire::WireError;

/// A kind of item a pass runs on below the spans' level: its message, and
/// the number of its attributes field there.
#[derive(Clone, Copy)]
pub(super) struct Item {
    pub attributes: u32,
    pub schema: &'static Message,
}

impl Item {
    pub const LOG: Item = Item { attributes: 6, schema: &schema::LOG_RECORD };

    /// The message of a metric's data field (`Metric.gauge` to
    /// `Metric.summary`), and of the data points in it.
    pub(super) fn of_metric_data(tag: u32) -> Option<(&'static Message, Item)> {
        let number = Item { attributes: 7, schema: &schema::NUMBER_POINT };
        Some(match tag {
            5 => (&schema::GAUGE, number),
            7 => (&schema::SUM, number),
            9 => (&schema::HISTOGRAM, Item { attributes: 9, schema: &schema::HISTOGRAM_POINT }),
            10 => (&schema::EXP_HISTOGRAM, Item { attributes: 1, schema: &schema::EXP_HISTOGRAM_POINT }),
            11 => (&schema::SUMMARY, Item { attributes: 7, schema: &schema::SUMMARY_POINT }),
            _ => return None,
        })
    }
}

/// What runs on each span of a request: the evaluator over a
/// [`super::span::WireSpan`], or a [`super::plan::Plan`].
pub(super) trait Pass<'a> {
    type Error: From<WireError>;

    /// Runs on one span's bytes; whether it changed.
    fn span(&mut self, body: &'a [u8], above: &Above<'a>) -> Result<bool, Self::Error>;

    /// Writes the changes to the span (or point) last run, which changed.
    fn write(&mut self, splices: &mut Splices<'_>);

    /// Whether the pass runs on data points ([`Self::point`]) rather than
    /// on what lies where spans do.
    fn points(&self) -> bool {
        false
    }

    /// Runs on one data point's bytes (`item` says of which type, `metric`
    /// is its metric's name as written); whether it changed.
    fn point(&mut self, _body: &'a [u8], _item: Item, _metric: &'a [u8], _above: &Above<'a>) -> Result<bool, Self::Error> {
        Ok(false)
    }

    /// Called after each metric's points: whether it has a data field.
    fn metric_done(&mut self, _has_data: bool) {}

    /// Whether [`Self::point`] reads its metric's name: if not, the
    /// metric's fields are not searched for it.
    fn reads_metric_name(&self) -> bool {
        false
    }

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
    fn write_resource(&mut self, _splices: &mut Splices<'_>) {}
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

/// The request as changed, written as the walk goes: each change in turn
/// (a range of the request replaced by new bytes, in order), with the
/// unchanged bytes before it copied first, in one piece. Every
/// length-delimited message a change lies in gets its header written
/// again once its new length is known ([`Splices::open`],
/// [`Splices::close`]): over the old one where the length takes as many
/// bytes, else in its place, moving the message (rare: a length that
/// crosses 128, 16,384 or 2 MiB). Nothing is copied until the first
/// change: a request no step changed costs no copy.
///
/// It used to keep the changes in a list and their bytes in an arena, and
/// copy the request with them once at the end. Written straight into the
/// output, a span's changes cost no arena, no list and no second copy of
/// their bytes: 2,497 instructions a span under five statements became
/// 2,294 (`scripts/bench-transform-instructions.sh`).
pub(super) struct Splices<'r> {
    request: &'r [u8],
    out: Vec<u8>,
    /// How much of the request is in `out`, copied or replaced.
    copied: usize,
    /// How much longer `out` is than the request up to `copied`.
    grown: isize,
    /// Whether anything changed (a change may keep every length).
    changed: bool,
    /// Where the span or resource being written lies in the request: a
    /// pass's positions are its body's.
    base: usize,
    len: usize,
}

/// A message whose header may need writing again: where its field starts
/// in the request, and how much longer the output was when it was opened
/// (so where the field starts in the output).
pub(super) struct Open {
    at: usize,
    grown: isize,
}

impl<'r> Splices<'r> {
    pub(super) fn for_request(request: &'r [u8]) -> Splices<'r> {
        Splices { request, out: Vec::new(), copied: 0, grown: 0, changed: false, base: 0, len: 0 }
    }

    /// Copies the request's bytes up to `to` that are not in `out` yet.
    /// The output is sized once, at the first change, with room for it to
    /// grow by a quarter.
    #[inline]
    fn copy_to(&mut self, to: usize) {
        if to > self.copied {
            if self.out.capacity() == 0 {
                self.out.reserve(self.request.len() + self.request.len() / 4 + 64);
            }
            self.out.extend_from_slice(&self.request[self.copied..to]);
            self.copied = to;
        }
    }

    /// Replaces `from..to` of the span's body (in order: each after the
    /// last) with what `write` appends.
    #[inline]
    pub fn replace(&mut self, from: usize, to: usize, write: impl FnOnce(&mut Vec<u8>)) {
        let (from, to) = (self.base + from, self.base + to);
        debug_assert!(from >= self.copied, "changes come in order");
        self.copy_to(from);
        let start = self.out.len();
        write(&mut self.out);
        self.grown += (self.out.len() - start) as isize - (to - from) as isize;
        self.copied = to;
    }

    /// Takes out `from..to` of the request (a whole field), in order as
    /// [`Self::replace`].
    pub(super) fn remove(&mut self, from: usize, to: usize) {
        debug_assert!(from >= self.copied, "changes come in order");
        self.copy_to(from);
        self.grown -= (to - from) as isize;
        self.copied = to;
        self.changed = true;
    }

    /// Replaces the span's whole body.
    pub fn replace_all(&mut self, write: impl FnOnce(&mut Vec<u8>)) {
        self.replace(0, self.len, write);
    }

    /// Notes a message's field starting at `field`, before anything inside
    /// it changes.
    pub(super) fn open(&self, field: usize) -> Open {
        Open { at: field, grown: self.grown }
    }

    /// Writes the header of the field `open` noted, numbered `tag`, whose
    /// payload was `len` bytes at `payload`, if what changed inside it
    /// changed its length (or, for a field that was not there, always).
    pub(super) fn close(&mut self, open: Open, tag: u32, payload: usize, len: usize) {
        let grew = self.grown - open.grown;
        let new = open.at == payload;
        if grew == 0 && !new {
            return;
        }
        // The header is in the output (a change inside it copied past
        // it, but a field made empty may not have); the rest of the
        // payload is copied with whatever follows it, in one piece.
        self.copy_to(payload);
        let new_len = (len as isize + grew) as usize;
        let (at, old) = ((open.at as isize + open.grown) as usize, payload - open.at);
        // Nearly always the length takes as many bytes as before: written
        // over the old one, byte by byte (a copy of the few bytes would be
        // a `memcpy` call), the key kept.
        if old > 1 && varint_len(new_len) == old - 1 {
            let mut rest = new_len;
            for b in &mut self.out[at + 1..at + old] {
                *b = rest as u8 & 0x7f | if rest >= 0x80 { 0x80 } else { 0 };
                rest >>= 7;
            }
            return;
        }
        // A header of another width: what follows it moves (with
        // `copy_within`, cheaper than a `Vec::splice` for a few bytes).
        let (bytes, n) = header(tag, new_len);
        let tail = at + old;
        if n > old {
            let end = self.out.len();
            self.out.resize(end + n - old, 0);
            self.out.copy_within(tail..end, at + n);
        } else {
            self.out.copy_within(tail.., at + n);
            self.out.truncate(self.out.len() - (old - n));
        }
        self.out[at..at + n].copy_from_slice(&bytes[..n]);
        self.grown += n as isize - old as isize;
    }

    /// Runs `write` on the message whose field is `whole` (its payload
    /// `payload`, `len` bytes), then writes its header if needed.
    fn message(&mut self, tag: u32, (whole, payload, len): (usize, usize, usize), write: impl FnOnce(&mut Splices<'r>)) {
        self.changed = true;
        let open = self.open(whole);
        (self.base, self.len) = (payload, len);
        write(self);
        self.close(open, tag, payload, len);
    }

    /// The request as changed, if anything changed.
    pub(super) fn finish(mut self) -> Option<Vec<u8>> {
        if !self.changed {
            return None;
        }
        self.copy_to(self.request.len());
        Some(self.out)
    }
}

/// The most bytes a field header here takes: a one-byte key and a length
/// of up to ten.
const MAX_HEADER: usize = 11;

/// Runs `pass` on every span (and resource); the request's new bytes if
/// any changed. The request is walked once; writing copies it between the
/// splices.
pub(super) fn rewrite<'a, P: Pass<'a>>(request: &'a [u8], pass: &mut P) -> Result<Option<Vec<u8>>, P::Error> {
    let mut splices = Splices::for_request(request);
    let mut above = Above::default();
    let offset = |part: &[u8]| part.as_ptr() as usize - request.as_ptr() as usize;
    // (whole, payload, length) of a field, as positions in the request.
    let place = |f: &Field<'_>| (offset(f.whole), offset(f.payload), f.payload.len());
    let (reads_above, edits_resources, points) = (pass.reads_above(), pass.edits_resources(), pass.points());
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
            // So must the scope be a message, read or not.
            let other = |sp: &Field<'_>| if sp.tag == 1 { delimited(sp) } else { Ok(()) };
            if points {
                fields::each(ss.payload, |sp: Field<'_>| {
                    if sp.tag != SPANS {
                        return other(&sp).map_err(Into::into);
                    }
                    delimited(&sp)?;
                    metric_points(request, &sp, &mut splices, pass, &above)
                })?;
            } else {
                fields::each(ss.payload, |sp: Field<'_>| {
                    if sp.tag != SPANS {
                        return other(&sp).map_err(Into::into);
                    }
                    delimited(&sp)?;
                    if pass.span(sp.payload, &above)? {
                        splices.message(SPANS, place(&sp), |s| pass.write(s));
                    }
                    Ok::<(), P::Error>(())
                })?;
            }
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
    Ok(splices.finish())
}

/// Runs `pass` on the data points of one metric (`metric`, a field of
/// `request`): those of its data field (`gauge` to `summary`), written
/// where they change, with the lengths of the data and the metric above
/// them. A metric with two data fields (prost keeps the last, or merges
/// two of one type) and a field of a wire type decoding refuses are
/// errors: decoding takes such a request.
#[inline(never)]
fn metric_points<'a, P: Pass<'a>>(request: &'a [u8], metric: &Field<'a>, splices: &mut Splices<'_>, pass: &mut P, above: &Above<'a>) -> Result<(), P::Error> {
    let offset = |part: &[u8]| part.as_ptr() as usize - request.as_ptr() as usize;
    let refused = |f: &Field<'_>, what: &str| WireError { offset: offset(f.whole), message: format!("{what} (field {})", f.tag) };
    // The name first, if read, wherever it lies (prost keeps the last).
    let mut name: &'a [u8] = &[];
    if pass.reads_metric_name() {
        fields::each(metric.payload, |f: Field<'a>| {
            if f.tag == 1 {
                name = f.payload;
            }
            Ok::<(), WireError>(())
        })?;
    }
    let open = splices.open(offset(metric.whole));
    let mut data = false;
    fields::each(metric.payload, |d: Field<'a>| {
        if !schema::METRIC.fits(d.tag, d.wire_type) {
            return Err(refused(&d, "a metric field of the wrong wire type").into());
        }
        let Some((data_schema, item)) = Item::of_metric_data(d.tag) else { return Ok(()) };
        if std::mem::replace(&mut data, true) {
            return Err(refused(&d, "a metric with two data fields").into());
        }
        let inner = splices.open(offset(d.whole));
        fields::each(d.payload, |p: Field<'a>| {
            if !data_schema.fits(p.tag, p.wire_type) {
                return Err(refused(&p, "a metric data field of the wrong wire type").into());
            }
            if p.tag == DATA_POINTS && pass.point(p.payload, item, name, above)? {
                splices.message(DATA_POINTS, (offset(p.whole), offset(p.payload), p.payload.len()), |s| pass.write(s));
            }
            Ok::<(), P::Error>(())
        })?;
        splices.close(inner, d.tag, offset(d.payload), d.payload.len());
        Ok::<(), P::Error>(())
    })?;
    splices.close(open, SPANS, offset(metric.payload), metric.payload.len());
    pass.metric_done(data);
    Ok(())
}

/// `Gauge.data_points` and its kin in the other data messages.
pub(super) const DATA_POINTS: u32 = 1;

/// How many bytes `n` takes as a varint.
#[inline]
fn varint_len(n: usize) -> usize {
    (usize::BITS - (n | 1).leading_zeros()).div_ceil(7) as usize
}

/// A length-delimited field's key and length (the tags here are 1 and 2:
/// one key byte), and how many bytes of the array they take.
#[inline]
fn header(tag: u32, len: usize) -> ([u8; MAX_HEADER], usize) {
    debug_assert!(tag < 16, "a one-byte key");
    let mut out = [0; MAX_HEADER];
    out[0] = (tag << 3) as u8 | 2;
    let (mut len, mut n) = (len as u64, 1);
    while len >= 0x80 {
        out[n] = len as u8 | 0x80;
        len >>= 7;
        n += 1;
    }
    out[n] = len as u8;
    (out, n + 1)
}

fn delimited(f: &Field<'_>) -> Result<(), WireError> {
    match f.wire_type {
        2 => Ok(()),
        w => Err(WireError { offset: 0, message: format!("field {} has wire type {w}", f.tag) }),
    }
}
