//! One span on the wire under a [`Plan`]: the walk notes only what the
//! plan's operations read or may rewrite (the name, kind and status, and
//! the attributes whose key a step names or that are long enough for a
//! `truncate_all` to cut), the operations edit those notes, and a changed
//! span is written as its bytes with the edited fields spliced in.
//!
//! What the plan does is what the evaluator does over
//! [`super::span::WireSpan`] ([`super::tests`] runs both over shuffled
//! layouts). Anything the notes cannot say exactly (a field seen twice
//! that prost would merge, an attribute in an unusual shape, a name that
//! is not UTF-8) is a [`Bail`]: that request takes the general path.

use solder_syntax::ottl::ast::BinOp;
use solder_syntax::ottl::eval::compare::{compare, ordered};
use solder_syntax::ottl::funcs::truncated;
use solder_syntax::ottl::Value;

use super::attrs::{plain, scalar, string_bytes, Attrs};
use super::fields::{self, put_len};
use super::frame::{Item, Splices};
use super::outer::Outer;
use super::plan::{Cond, KeyId, Op, Operand, Pattern, Steps};
use crate::otlp::wire::plain::{ascii, whole_varint};
use crate::otlp::wire::{Reader, WT_I32, WT_I64, WT_LEN, WT_VARINT};
use crate::otlp::wire_spans::{fixed64, short};

/// The plan cannot run this span exactly; the general path will.
#[derive(Debug)]
pub struct Bail;

impl From<crate::otlp::wire::WireError> for Bail {
    fn from(_: crate::otlp::wire::WireError) -> Bail {
        Bail
    }
}

const NO_KEY: KeyId = KeyId::MAX;

/// `Span.attributes` (field 9) and `Resource.attributes` (field 1),
/// length-delimited, as one key byte; also those of log records (6) and
/// data points (7, 9 or 1, by type).
const SPAN_ATTRIBUTE: u8 = 9 << 3 | WT_LEN;
const RESOURCE_ATTRIBUTE: u8 = 1 << 3 | WT_LEN;
const LOG_ATTRIBUTE: u8 = 6 << 3 | WT_LEN;
const POINT_ATTRIBUTE: u8 = 7 << 3 | WT_LEN;

/// One noted attribute. `field` is its range in the span (`None`: added by
/// a step), `key` its key's range there, `id` its plan key number.
#[derive(Clone)]
struct Slot {
    field: Option<(u32, u32)>,
    key: (u32, u32),
    id: KeyId,
    value: Val,
}

impl Slot {
    /// Whether this is a live entry with this key (a deleted one is not).
    fn is(&self, key: KeyId) -> bool {
        self.id == key && !matches!(self.value, Val::Deleted)
    }
}

/// `repr(u8)`: a tag byte of its own. Left to the compiler, the tag
/// hides in the `String`'s capacity, and the matches over every noted
/// attribute (truncating, writing, looking up) decoded it each time.
#[derive(Clone)]
#[repr(u8)]
enum Val {
    /// As received: the `AnyValue`'s range, and whether it is a string.
    Raw {
        any: (u32, u32),
        string: bool,
    },
    /// The value of the `SetAttr` at this op index.
    Set(usize),
    /// A copy of another attribute's value as received: its `AnyValue`'s
    /// range, and whether it is a string.
    Copy {
        any: (u32, u32),
        string: bool,
    },
    /// A copy of the resource attribute at this index of
    /// [`Steps::outer`] (`LeanSpan::outer`).
    Outer(usize),
    /// A string a step made (a cut one).
    Str(String),
    Deleted,
}

/// The notes of one span, reused from span to span.
#[derive(Default)]
pub(super) struct LeanSpan<'a> {
    body: &'a [u8],
    /// Every name field (prost reads the last; a new name replaces all).
    names: Vec<(usize, usize)>,
    name_text: &'a [u8],
    kind: i64,
    status: Option<(usize, usize)>,
    code: i32,
    message: &'a [u8],
    slots: Vec<Slot>,
    /// The resource attributes span steps read, set once for each
    /// resource (not reset from span to span).
    outer: Outer<'a>,
    /// Where the last attribute field ends: added ones go after it.
    attrs_end: Option<usize>,
    new_name: Option<String>,
    /// The last span's new name, kept for its buffer.
    spare: String,
    status_set: bool,
    edits: Vec<(usize, usize, Edit)>,
    /// The one-byte key of the attribute fields of the message walked
    /// last: the same steps run over points whose attributes are
    /// numbered differently.
    attr_key: u8,
}

impl<'a> LeanSpan<'a> {
    /// Walks the span's fields, noting what `plan` needs.
    pub fn read(&mut self, plan: &Steps, body: &'a [u8]) -> Result<(), Bail> {
        self.reset(body, SPAN_ATTRIBUTE)?;
        let pos = self.head(body);
        self.walk::<SPAN_ATTRIBUTE>(plan, pos, |span, tag, wire_type, (start, end), payload| {
            match (tag, wire_type) {
                (5, WT_LEN) => {
                    span.name_text = payload;
                    span.names.push((start, end));
                }
                (15, WT_LEN) => {
                    // prost merges a repeated status; rather than model
                    // that, leave such a span to the general path.
                    if span.status.is_some() {
                        return Err(Bail);
                    }
                    span.status = Some((start, end));
                    span.read_status(payload)?;
                }
                // As prost reads an int32; the last one counts.
                (6, WT_VARINT) => span.kind = i64::from(Reader::new(payload, start).varint()? as i32),
                // Fields the plan never reads, of their type.
                (1..=4, WT_LEN) | (7 | 8, WT_I64) | (10 | 12 | 14, WT_VARINT) => {}
                (1..=10 | 12 | 14 | 15, _) => return Err(Bail),
                _ => {}
            }
            Ok(())
        })
    }

    /// Takes the resource attributes the steps read as received: the
    /// first entry of each key in the resource's attributes.
    pub fn outer_as_received(&mut self, plan: &Steps, resource: &Attrs<'a>) -> Result<(), Bail> {
        self.outer.clear();
        for key in &plan.outer {
            match resource.first_raw(key).map_err(|()| Bail)? {
                None => self.outer.push_missing(),
                // Without a value it reads as nil or as nothing the notes
                // say: left to the evaluator.
                Some([]) => return Err(Bail),
                Some(any) if u32::try_from(any.len()).is_err() => return Err(Bail),
                Some(any) => match raw(any, (0, any.len()))? {
                    Val::Raw { string, .. } => self.outer.push_wire(any, string),
                    _ => return Err(Bail),
                },
            }
        }
        Ok(())
    }

    /// Takes the resource attributes the steps read as `resource`'s steps
    /// (`steps`, just run) left them: `ids` are their keys' numbers there,
    /// one for each of [`Steps::outer`], all noted by its walk. Each is
    /// read as the resource steps' own reads find it (the first live
    /// entry), as the evaluator's span reads find the changed resource.
    pub fn outer_after(&mut self, resource: &LeanSpan<'a>, steps: &Steps, ids: &[KeyId]) -> Result<(), Bail> {
        self.outer.clear();
        for id in ids {
            match resource.slots.iter().find(|s| s.is(*id)).map(|s| &s.value) {
                None | Some(Val::Deleted) => self.outer.push_missing(),
                Some(&(Val::Raw { any, string } | Val::Copy { any, string })) => {
                    // Without a value: as above.
                    if any.0 == any.1 {
                        return Err(Bail);
                    }
                    self.outer.push_wire(&resource.body[any.0 as usize..any.1 as usize], string);
                }
                Some(Val::Set(op)) => match &steps.ops[*op].0 {
                    Op::SetAttr { any, value, .. } => self.outer.push_made(any, matches!(value, Value::Str(_))),
                    _ => return Err(Bail),
                },
                Some(Val::Str(s)) => self.outer.push_made_str(s),
                // Resource steps copy from no resource above them.
                Some(Val::Outer(_)) => return Err(Bail),
            }
        }
        Ok(())
    }

    /// Walks a resource's fields (its bytes as a `Resource` message; none
    /// when the `ResourceSpans` has no resource), noting what `plan`
    /// needs. Its other fields (`dropped_attributes_count`, entity
    /// references) are kept as they are.
    pub fn read_resource(&mut self, plan: &Steps, body: &'a [u8]) -> Result<(), Bail> {
        self.reset(body, RESOURCE_ATTRIBUTE)?;
        self.walk::<RESOURCE_ATTRIBUTE>(plan, 0, |_, tag, wire_type, _, _| match (tag, wire_type) {
            (2, WT_VARINT) | (3, WT_LEN) => Ok(()),
            (1..=3, _) => Err(Bail),
            _ => Ok(()),
        })
    }

    /// Walks a log record's or a data point's fields (`item`: its
    /// message, and the number its attributes have there), noting the
    /// attributes `plan` needs. Its other fields are kept as they are; one
    /// of a wire type decoding refuses is a [`Bail`]. `name` is what
    /// conditions on the name read: a point's metric's name.
    pub fn read_item(&mut self, plan: &Steps, body: &'a [u8], item: Item, name: &'a [u8]) -> Result<(), Bail> {
        let key = (item.attributes << 3) as u8 | WT_LEN;
        self.reset(body, key)?;
        self.name_text = name;
        let other = |_: &mut Self, tag, wire_type, _, _: &[u8]| if item.schema.fits(tag, wire_type) { Ok(()) } else { Err(Bail) };
        match key {
            LOG_ATTRIBUTE => self.walk::<LOG_ATTRIBUTE>(plan, 0, other),
            POINT_ATTRIBUTE => self.walk::<POINT_ATTRIBUTE>(plan, 0, other),
            SPAN_ATTRIBUTE => self.walk::<SPAN_ATTRIBUTE>(plan, 0, other),
            RESOURCE_ATTRIBUTE => self.walk::<RESOURCE_ATTRIBUTE>(plan, 0, other),
            _ => Err(Bail),
        }
    }

    /// Forgets the last span's notes, field by field: a whole new value
    /// would drop and rebuild the lists kept from span to span. A body
    /// of 4 GiB or more is a [`Bail`]: the notes keep positions as `u32`.
    fn reset(&mut self, body: &'a [u8], attr_key: u8) -> Result<(), Bail> {
        u32::try_from(body.len()).map_err(|_| Bail)?;
        self.body = body;
        self.attr_key = attr_key;
        self.names.clear();
        self.name_text = &[];
        self.kind = 0;
        self.status = None;
        self.code = 0;
        self.message = &[];
        self.slots.clear();
        self.attrs_end = None;
        if let Some(name) = self.new_name.take() {
            self.spare = name;
        }
        self.status_set = false;
        Ok(())
    }

    /// The loop over a message's fields from `pos`: attributes (the field
    /// whose one-byte key is `ATTR`) are noted here, every other field
    /// goes to `other` with its number, wire type, range and payload.
    #[inline(always)]
    fn walk<const ATTR: u8>(
        &mut self,
        plan: &Steps,
        mut pos: usize,
        mut other: impl FnMut(&mut Self, u32, u8, (usize, usize), &'a [u8]) -> Result<(), Bail>,
    ) -> Result<(), Bail> {
        debug_assert_eq!(ATTR, self.attr_key, "the walk's attribute field is the message's");
        let body = self.body;
        // Kept here, not in `self`, while the loop runs: a store per
        // attribute otherwise.
        let mut attrs_end = None;
        while pos < body.len() {
            let start = pos;
            // Most of a span's fields are attributes in the plain shape
            // with short lengths: the field's key and length and the
            // key's key and length tested as one word, then the value's
            // header; anything else goes the general way below.
            if let Some(&[b0, b1, b2, b3]) = body.get(pos..pos + 4) {
                let w = u32::from_le_bytes([b0, b1, b2, b3]);
                if w & 0x80FF_80FF == 0x000A_0000 | u32::from(ATTR) {
                    let (n, klen) = (usize::from(b1), usize::from(b3));
                    let (value, end) = (pos + 4 + klen, pos + 2 + n);
                    let plain = match body.get(value..end) {
                        Some([]) => true,
                        Some(&[0x12, len, ..]) => len < 0x80 && value + 2 + usize::from(len) == end,
                        _ => false,
                    };
                    if plain {
                        pos = end;
                        attrs_end = Some(pos);
                        if plan.may_name(klen) || n + 2 > plan.long {
                            self.plain_attribute(plan, start, pos, klen)?;
                        }
                        continue;
                    }
                }
            }
            let (tag, wire_type, payload) = field(body, &mut pos)?;
            if tag == u32::from(ATTR >> 3) && wire_type == WT_LEN {
                attrs_end = Some(pos);
                // Most attributes: plainly written, with a key length no
                // step's key has, too short for a cut. Nothing to note.
                match plain_key_len(payload) {
                    Some(n) if !plan.may_name(n) && pos - start <= plan.long => {}
                    _ => self.attribute(plan, start, pos, payload)?,
                }
            } else {
                other(self, tag, wire_type, (start, pos), payload)?;
            }
        }
        self.attrs_end = attrs_end;
        Ok(())
    }

    /// The fields SDKs write before the attributes, in field-number order
    /// (trace and span ids, trace state, parent, flags, name, kind, start
    /// and end time), read as the loop in [`Self::read`] would, but
    /// expected one after the other rather than dispatched on: which way
    /// the dispatch goes changes from field to field, these tests nearly
    /// never do (the same reads as span metrics' walk,
    /// `wire_spans::SpanView::read_into`). Returns where the loop takes
    /// over; a field out of this order, or not whole, is left to it.
    #[inline(always)]
    fn head(&mut self, body: &'a [u8]) -> usize {
        let mut pos = 0;
        for key in [0x0a, 0x12, 0x1a, 0x22] {
            if let Some((_, next)) = short(body, pos, key) {
                pos = next;
            }
        }
        // flags, a fixed32 with a two-byte key
        if let Some(&[0x85, 0x01, _, _, _, _]) = body.get(pos..pos + 6) {
            pos += 6;
        }
        if let Some((name, next)) = short(body, pos, 0x2a) {
            self.name_text = name;
            self.names.push((pos, next));
            pos = next;
        }
        if let Some(&[0x30, kind]) = body.get(pos..pos + 2) {
            if kind < 0x80 {
                self.kind = i64::from(kind);
                pos += 2;
            }
        }
        for key in [0x39, 0x41] {
            if fixed64(body, pos, key).is_some() {
                pos += 9;
            }
        }
        pos
    }

    /// [`Self::attribute`] for one [`plain_key_len`] read: the key is
    /// `n` bytes after the field's three-byte head (key, length, key's
    /// key and length: both lengths under 128), the value after it.
    #[inline(always)]
    fn plain_attribute(&mut self, plan: &Steps, start: usize, end: usize, n: usize) -> Result<(), Bail> {
        let key = (start + 4, start + 4 + n);
        let id = plan.key_of(&self.body[key.0..key.1]).unwrap_or(NO_KEY);
        if id == NO_KEY && end - start <= plan.long {
            return Ok(());
        }
        // The value, if any, follows its own key and length byte.
        let any = if key.1 == end { (end, end) } else { (key.1 + 2, end) };
        self.note(start, end, key, id, any)
    }

    /// Notes an attribute if a step names its key or may cut its value.
    fn attribute(&mut self, plan: &Steps, start: usize, end: usize, kv: &[u8]) -> Result<(), Bail> {
        let base = end - kv.len();
        let (key, any) = plain(kv).ok_or(Bail)?;
        let key = (base + key.start, base + key.end);
        let id = plan.key_of(&self.body[key.0..key.1]).unwrap_or(NO_KEY);
        if id != NO_KEY || end - start > plan.long {
            self.note(start, end, key, id, any.map_or((end, end), |a| (base + a, end)))?;
        }
        Ok(())
    }

    /// Inlined: a call cost as much as the noting (a dozen arguments'
    /// worth of moves either side).
    #[inline(always)]
    fn note(&mut self, start: usize, end: usize, key: (usize, usize), id: KeyId, any: (usize, usize)) -> Result<(), Bail> {
        // A key a step may write back must be text, as the evaluator
        // reads it; a named one equals a step's key, which is.
        if id == NO_KEY {
            utf8(&self.body[key.0..key.1])?;
        }
        self.slots.push(Slot { field: Some(span32(start, end)), key: span32(key.0, key.1), id, value: raw(self.body, any)? });
        Ok(())
    }

    fn read_status(&mut self, status: &'a [u8]) -> Result<(), Bail> {
        // What SDKs write: nothing (unset), or a one-byte code alone.
        match *status {
            [] => return Ok(()),
            [0x18, code] if code < 0x80 => {
                self.code = i32::from(code);
                return Ok(());
            }
            _ => {}
        }
        let mut r = Reader::new(status, 0);
        let mut seen = (false, false);
        while !r.done() {
            match r.key()? {
                (2, WT_LEN) if !seen.0 => {
                    self.message = r.delimited()?.0;
                    utf8(self.message)?;
                    seen.0 = true;
                }
                (3, WT_VARINT) if !seen.1 => {
                    self.code = r.varint()? as i32;
                    seen.1 = true;
                }
                _ => return Err(Bail),
            }
        }
        Ok(())
    }

    /// Runs the plan's operations in order.
    pub fn run(&mut self, plan: &Steps) -> Result<(), Bail> {
        for (i, (op, when)) in plan.ops.iter().enumerate() {
            if let Some(c) = when {
                if !self.holds(plan, c)? {
                    continue;
                }
            }
            match op {
                Op::SetAttr { key, .. } => self.put_value(*key, Val::Set(i)),
                Op::CopyAttr { to, from } => {
                    // A missing or deleted source is nil: nothing is set.
                    let value = match self.slots.iter().find(|s| s.is(*from)).map(|s| &s.value) {
                        None | Some(Val::Deleted) => continue,
                        // An attribute without a value reads as nil too,
                        // or as something the notes cannot say.
                        Some(Val::Raw { any, .. } | Val::Copy { any, .. }) if any.0 == any.1 => return Err(Bail),
                        Some(&Val::Raw { any, string } | &Val::Copy { any, string }) => Val::Copy { any, string },
                        Some(other) => other.clone(),
                    };
                    self.put_value(*to, value);
                }
                Op::CopyOuter { to, from } => {
                    if self.outer.get(*from).ok_or(Bail)?.is_some() {
                        self.put_value(*to, Val::Outer(*from));
                    }
                }
                Op::CopyName(to) => {
                    let value = Val::Str(self.name()?.to_string());
                    self.put_value(*to, value);
                }
                Op::NameFromAttr(from) => {
                    // A missing or deleted source is nil: the name stays.
                    let Some(slot) = self.slots.iter().find(|s| s.is(*from)) else { continue };
                    let value = slot.value.clone();
                    self.rename_to(plan, &value)?;
                }
                Op::NameFromOuter(from) => {
                    if self.outer.get(*from).ok_or(Bail)?.is_none() {
                        continue;
                    }
                    self.rename_to(plan, &Val::Outer(*from))?;
                }
                Op::DeleteAttr(key) => {
                    for slot in self.slots.iter_mut().filter(|s| s.id == *key) {
                        slot.value = Val::Deleted;
                    }
                }
                Op::KeepKeys(keys) => self.drop_keys(plan, |key| Ok(!keys.iter().any(|k| **k == *key)))?,
                Op::MatchingKeys { regex, keep } => self.drop_keys(plan, |key| {
                    // Noted keys are text (see `note`), and so are the plan's.
                    Ok(regex.is_match(utf8(key)?) != *keep)
                })?,
                Op::SetName(name) => {
                    if name.as_str() != self.name()? {
                        self.new_name = Some(name.clone());
                    }
                }
                Op::ReplaceName(p) => {
                    // Most names are not what the pattern looks for: told
                    // from the bytes, checked as text the cheap way.
                    if !p.gate.may_match(self.text_bytes()?) {
                        continue;
                    }
                    if let Some(new) = p.replaced(self.name()?) {
                        if new.as_bytes() != self.name_bytes() {
                            self.new_name = Some(new);
                        }
                    }
                }
                Op::ReplaceAttr(key, p) => self.replace_attribute(plan, *key, p)?,
                Op::SetStatusCode(code) => {
                    self.code = *code;
                    self.status_set = true;
                }
                Op::TruncateAll { limit, marker } => self.truncate(plan, *limit, marker)?,
            }
        }
        Ok(())
    }

    /// Sets the name to `value` when it is a string (a name it already
    /// is stays as received). Any other value (an int, a map, an
    /// attribute without one) fails the `set`, or reads as nil, in the
    /// evaluator: left to it. The new name goes in the last span's buffer
    /// (`spare`): a rename on every span would otherwise be an
    /// allocation and a free on every span.
    fn rename_to(&mut self, plan: &Steps, value: &Val) -> Result<(), Bail> {
        let mut name = std::mem::take(&mut self.spare);
        name.clear();
        name.push_str(text(self.body, &self.outer, plan, value)?.ok_or(Bail)?);
        if name.as_bytes() != self.text_bytes()? {
            self.new_name = Some(name);
        } else {
            self.spare = name;
        }
        Ok(())
    }

    /// Sets the first live attribute with this key to `value`, or adds
    /// one.
    #[inline]
    fn put_value(&mut self, key: KeyId, value: Val) {
        match self.slots.iter_mut().find(|s| s.is(key)) {
            Some(slot) => slot.value = value,
            None => self.slots.push(Slot { field: None, key: (0, 0), id: key, value }),
        }
    }

    /// The name as it stands, unchecked: for comparisons, which need no
    /// text.
    fn name_bytes(&self) -> &[u8] {
        self.new_name.as_ref().map_or(self.name_text, |n| n.as_bytes())
    }

    /// The name's bytes, known to be text (as [`Self::name`] checks, but
    /// without making a `str` of them; ASCII, most names, is checked
    /// inline).
    fn text_bytes(&self) -> Result<&[u8], Bail> {
        let bytes = self.name_bytes();
        if self.new_name.is_some() || ascii(bytes) {
            return Ok(bytes);
        }
        std::str::from_utf8(bytes).map(str::as_bytes).map_err(|_| Bail)
    }

    fn name(&self) -> Result<&str, Bail> {
        match &self.new_name {
            Some(n) => Ok(n),
            None => utf8(self.name_text),
        }
    }

    /// Deletes every live attribute whose key `goes`.
    fn drop_keys(&mut self, plan: &Steps, mut goes: impl FnMut(&[u8]) -> Result<bool, Bail>) -> Result<(), Bail> {
        let body = self.body;
        for slot in self.slots.iter_mut().filter(|s| !matches!(s.value, Val::Deleted)) {
            if goes(key_bytes(body, plan, slot))? {
                slot.value = Val::Deleted;
            }
        }
        Ok(())
    }

    /// `replace_pattern` on the first entry with this key: its string, if
    /// it is one, with every match replaced; set back only on a match.
    fn replace_attribute(&mut self, plan: &Steps, key: KeyId, p: &Pattern) -> Result<(), Bail> {
        let (body, outer) = (self.body, &self.outer);
        let Some(slot) = self.slots.iter_mut().find(|s| s.is(key)) else { return Ok(()) };
        if let Some(new) = text(body, outer, plan, &slot.value)?.filter(|t| p.gate.may_match(t.as_bytes())).and_then(|t| p.replaced(t)) {
            slot.value = Val::Str(new);
        }
        Ok(())
    }

    fn truncate(&mut self, plan: &Steps, limit: usize, marker: &str) -> Result<(), Bail> {
        let (body, outer) = (self.body, &self.outer);
        for slot in &mut self.slots {
            // A value of no more bytes than the limit holds no longer
            // string (received, or set by a step): not even read.
            let short = match slot.value {
                Val::Raw { any, .. } | Val::Copy { any, .. } => (any.1 - any.0) as usize <= limit,
                Val::Set(op) => !matches!(&plan.ops[op].0, Op::SetAttr { value: Value::Str(s), .. } if s.len() > limit),
                Val::Deleted => true,
                Val::Outer(_) | Val::Str(_) => false,
            };
            if short {
                continue;
            }
            if let Some(cut) = text(body, outer, plan, &slot.value)?.and_then(|t| truncated(t, limit, marker)) {
                slot.value = Val::Str(cut);
            }
        }
        Ok(())
    }

    /// Whether any of `conds` holds, in order, for the span last read.
    pub fn any(&self, plan: &Steps, conds: &[Cond]) -> Result<bool, Bail> {
        for c in conds {
            if self.holds(plan, c)? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    #[inline(always)]
    fn holds(&self, plan: &Steps, c: &Cond) -> Result<bool, Bail> {
        match c {
            Cond::IntCmp(path, op, lit) => match self.int_operand(plan, path) {
                Some(a) => Ok(ordered(Some(a.cmp(lit)), *op)),
                None => Ok(compare(&self.read_operand(plan, path)?, &Value::Int(*lit), *op)),
            },
            _ => self.holds_any(plan, c),
        }
    }

    fn holds_any(&self, plan: &Steps, c: &Cond) -> Result<bool, Bail> {
        Ok(match c {
            Cond::IntCmp(..) => self.holds(plan, c)?,
            Cond::Cmp(l, op, r) => {
                // `!= nil` and `== nil` on an attribute: whether it is
                // there, without making its value.
                if let (path @ (Operand::Attr(_) | Operand::Outer(_)), BinOp::Eq | BinOp::Ne, Operand::Lit(Value::Nil))
                | (Operand::Lit(Value::Nil), BinOp::Eq | BinOp::Ne, path @ (Operand::Attr(_) | Operand::Outer(_))) = (l, op, r)
                {
                    return Ok(self.present(plan, path)? == (*op == BinOp::Ne));
                }
                // A string (the name, a string attribute) against a string
                // literal: its bytes compared where they lie, as `compare`
                // orders strings; any other kind goes the value way.
                let mut outer = Val::Deleted;
                match (l, r) {
                    (path, Operand::Lit(Value::Str(lit))) => {
                        if let Some(text) = self.string_operand(plan, path, &mut outer)? {
                            return Ok(ordered(Some(text.cmp(lit.as_bytes())), *op));
                        }
                    }
                    (Operand::Lit(Value::Str(lit)), path) => {
                        if let Some(text) = self.string_operand(plan, path, &mut outer)? {
                            return Ok(ordered(Some(lit.as_bytes().cmp(text)), *op));
                        }
                    }
                    _ => {}
                }
                // Whole numbers (a status code, a kind, an int attribute)
                // compared without making values.
                if let (Some(a), Some(b)) = (self.int_operand(plan, l), self.int_operand(plan, r)) {
                    return Ok(ordered(Some(a.cmp(&b)), *op));
                }
                let (left, right);
                let l = match l {
                    Operand::Lit(v) => v,
                    path => {
                        left = self.read_operand(plan, path)?;
                        &left
                    }
                };
                let r = match r {
                    Operand::Lit(v) => v,
                    path => {
                        right = self.read_operand(plan, path)?;
                        &right
                    }
                };
                compare(l, r, *op)
            }
            Cond::And(l, r) => self.holds(plan, l)? && self.holds(plan, r)?,
            Cond::Or(l, r) => self.holds(plan, l)? || self.holds(plan, r)?,
            Cond::Not(inner) => !self.holds(plan, inner)?,
        })
    }

    /// An operand's value if it is a whole number; `None` for any other
    /// (then read in full by [`Self::read_operand`]).
    #[inline(always)]
    fn int_operand(&self, plan: &Steps, o: &Operand) -> Option<i64> {
        match o {
            Operand::Lit(Value::Int(i)) => Some(*i),
            Operand::Kind => Some(self.kind),
            Operand::StatusCode => Some(i64::from(self.code)),
            Operand::Attr(key) => match &self.slots.iter().find(|s| s.is(*key))?.value {
                received @ (Val::Raw { .. } | Val::Copy { .. } | Val::Outer(_)) => match self.received(received)? {
                    (_, true) => None,
                    (bytes, false) => whole_number(bytes),
                },
                Val::Set(op) => match &plan.ops[*op].0 {
                    Op::SetAttr { value: Value::Int(i), .. } => Some(*i),
                    _ => None,
                },
                _ => None,
            },
            Operand::Outer(i) => match self.outer.get(*i)? {
                Some((bytes, false)) => whole_number(bytes),
                _ => None,
            },
            _ => None,
        }
    }

    /// The noted value an attribute operand reads: its slot's, or, for
    /// the resource's attribute, `Val::Outer` written to `outer`; `None`
    /// when it is missing (nil). Any other operand is a [`Bail`].
    fn operand_value<'s>(&'s self, o: &Operand, outer: &'s mut Val) -> Result<Option<&'s Val>, Bail> {
        Ok(match o {
            Operand::Attr(key) => self.slots.iter().find(|s| s.is(*key)).map(|s| &s.value),
            Operand::Outer(i) => match self.outer.get(*i).ok_or(Bail)? {
                None => None,
                Some(_) => {
                    *outer = Val::Outer(*i);
                    Some(outer)
                }
            },
            _ => return Err(Bail),
        })
    }

    /// A path operand's bytes if it reads as a string (checked as text, a
    /// [`Bail`] if not, as the evaluator's read fails); `None` for any
    /// other value, and for a missing attribute.
    fn string_operand<'s>(&'s self, plan: &'s Steps, o: &Operand, outer: &'s mut Val) -> Result<Option<&'s [u8]>, Bail> {
        match o {
            Operand::Name => self.text_bytes().map(Some),
            Operand::Attr(_) | Operand::Outer(_) => match self.operand_value(o, outer)? {
                None => Ok(None),
                Some(value) => Ok(text(self.body, &self.outer, plan, value)?.map(str::as_bytes)),
            },
            _ => Ok(None),
        }
    }

    /// Whether an attribute operand reads as something other than nil,
    /// as [`Self::read_operand`] would read it (a [`Bail`] where that
    /// does), without making the value.
    fn present(&self, plan: &Steps, o: &Operand) -> Result<bool, Bail> {
        let mut outer = Val::Deleted;
        match self.operand_value(o, &mut outer)? {
            None => Ok(false),
            // A step never sets nil, nor makes a value that is.
            Some(Val::Set(_) | Val::Str(_)) => Ok(true),
            Some(received) => match self.received(received).ok_or(Bail)? {
                (_, true) => text(self.body, &self.outer, plan, received)?.map(|_| true).ok_or(Bail),
                (any, false) => scalar(any).map(|_| true).ok_or(Bail),
            },
        }
    }

    /// A path operand's value (a literal is never read through here).
    fn read_operand(&self, plan: &Steps, o: &Operand) -> Result<Value, Bail> {
        Ok(match o {
            Operand::Lit(v) => v.clone(),
            Operand::Name => Value::str(self.name()?),
            Operand::Kind => Value::Int(self.kind),
            Operand::StatusCode => Value::Int(i64::from(self.code)),
            Operand::Attr(key) => match self.slots.iter().find(|s| s.is(*key)).map(|s| &s.value) {
                None | Some(Val::Deleted) => Value::Nil,
                Some(received @ (Val::Raw { .. } | Val::Copy { .. } | Val::Outer(_))) => scalar(self.received(received).ok_or(Bail)?.0).ok_or(Bail)?,
                Some(Val::Set(op)) => match &plan.ops[*op].0 {
                    Op::SetAttr { value, .. } => value.clone(),
                    _ => return Err(Bail),
                },
                Some(Val::Str(s)) => Value::str(s),
            },
            Operand::Outer(i) => match self.outer.get(*i).ok_or(Bail)? {
                None => Value::Nil,
                Some((bytes, _)) => scalar(bytes).ok_or(Bail)?,
            },
        })
    }

    /// Whether a step changed the span: a new name or status, or an
    /// attribute set, cut, deleted or added (and not deleted again).
    pub fn changed(&self) -> bool {
        self.new_name.is_some() || self.status_set || self.slots.iter().any(|s| !matches!((&s.value, s.field), (Val::Raw { .. }, _) | (Val::Deleted, None)))
    }

    /// Whether a step added an attribute, even one a later step deleted
    /// (on a message with none of the named keys, the only notes).
    pub fn wrote(&self) -> bool {
        self.slots.iter().any(|s| s.field.is_none())
    }

    /// Writes the changed span's edits: each edited field in place (a new
    /// name or status where the old one was, or at the end; added
    /// attributes after the last one).
    pub fn write(&mut self, plan: &Steps, out: &mut Splices<'_>) {
        // (where, up to, what): a few per span, in a list kept from span
        // to span.
        let mut edits = std::mem::take(&mut self.edits);
        edits.clear();
        let end = self.body.len();
        let added_at = self.attrs_end.unwrap_or(end);
        for (i, slot) in self.slots.iter().enumerate() {
            match (&slot.value, slot.field) {
                (Val::Raw { .. }, _) | (Val::Deleted, None) => {}
                (Val::Deleted, Some((from, to))) => edits.push((from as usize, to as usize, Edit::Drop)),
                (_, Some((from, to))) => edits.push((from as usize, to as usize, Edit::Attr(i))),
                (_, None) => edits.push((added_at, added_at, Edit::Attr(i))),
            }
        }
        if self.new_name.is_some() {
            match self.names.split_first() {
                Some((&(from, to), others)) => {
                    edits.push((from, to, Edit::Name));
                    edits.extend(others.iter().map(|&(from, to)| (from, to, Edit::Drop)));
                }
                None => edits.push((end, end, Edit::Name)),
            }
        }
        if self.status_set {
            let (from, to) = self.status.unwrap_or((end, end));
            edits.push((from, to, Edit::Status));
        }
        // Stable: added attributes keep their order.
        edits.sort_by_key(|e| e.0);
        // Fields dropped one after the other (what `keep_keys` leaves) go
        // as one splice.
        edits.dedup_by(|next, last| {
            let joined = matches!((last.2, next.2), (Edit::Drop, Edit::Drop)) && last.1 == next.0;
            if joined {
                last.1 = next.1;
            }
            joined
        });
        for &(from, to, edit) in &edits {
            out.replace(from, to, |out| match (edit, &self.new_name) {
                (Edit::Attr(i), _) => self.write_attr(plan, &self.slots[i], out),
                (Edit::Name, Some(name)) if !name.is_empty() => put_len(out, 5, name.as_bytes()),
                (Edit::Status, _) => self.write_status(out),
                (Edit::Name | Edit::Drop, _) => {}
            });
        }
        self.edits = edits;
    }

    fn write_attr(&self, plan: &Steps, slot: &Slot, out: &mut Vec<u8>) {
        match &slot.value {
            Val::Set(op) => match &plan.ops[*op].0 {
                // Written under its own key: the field as encoded at load,
                // its key byte the message's (a data point's varies).
                Op::SetAttr { key, field, .. } if *key == slot.id => match field.split_first() {
                    Some((&first, rest)) if first != self.attr_key => {
                        out.push(self.attr_key);
                        out.extend_from_slice(rest);
                    }
                    _ => out.extend_from_slice(field),
                },
                // Copied to another key.
                Op::SetAttr { any, .. } => self.put_attr(plan, slot, any, out),
                _ => {}
            },
            Val::Copy { .. } | Val::Outer(_) => {
                if let Some((any, _)) = self.received(&slot.value) {
                    self.put_attr(plan, slot, any, out);
                }
            }
            Val::Str(s) => {
                let mut any = Vec::with_capacity(s.len() + 4);
                put_len(&mut any, 1, s.as_bytes());
                self.put_attr(plan, slot, &any, out);
            }
            Val::Raw { .. } | Val::Deleted => {}
        }
    }

    /// The bytes of a value as received (here or in the resource), and
    /// whether it is a string.
    fn received(&self, value: &Val) -> Option<(&[u8], bool)> {
        received(self.body, &self.outer, value)
    }

    /// An attribute field of the slot's key and this `AnyValue`.
    /// Written straight into `out`, its length worked out first: no
    /// buffer for the `KeyValue` on the way.
    fn put_attr(&self, plan: &Steps, slot: &Slot, any: &[u8], out: &mut Vec<u8>) {
        let key = key_bytes(self.body, plan, slot);
        // Nearly always every length takes one byte: the headers are
        // written as bytes, not through prost's varint writer.
        let inner = 4 + key.len() + any.len();
        if inner < 0x80 {
            out.reserve(inner + 2);
            out.extend_from_slice(&[self.attr_key, inner as u8, 0x0a, key.len() as u8]);
            out.extend_from_slice(key);
            out.extend_from_slice(&[0x12, any.len() as u8]);
            out.extend_from_slice(any);
            return;
        }
        let field = |len: usize| 1 + prost::encoding::encoded_len_varint(len as u64) + len;
        out.push(self.attr_key);
        prost::encoding::encode_varint((field(key.len()) + field(any.len())) as u64, out);
        put_len(out, 1, key);
        put_len(out, 2, any);
    }

    /// The status as prost writes it: message, then a non-zero code.
    fn write_status(&self, out: &mut Vec<u8>) {
        let mut status = Vec::with_capacity(self.message.len() + 8);
        if !self.message.is_empty() {
            put_len(&mut status, 2, self.message);
        }
        if self.code != 0 {
            prost::encoding::int32::encode(3, &self.code, &mut status);
        }
        put_len(out, 15, &status);
    }
}

/// One change `write` splices in.
#[derive(Clone, Copy)]
enum Edit {
    /// The slot at this index.
    Attr(usize),
    Name,
    Status,
    /// A field that goes: a name field a new name replaces, or a deleted
    /// attribute.
    Drop,
}

/// The field at `pos` (its number, wire type and payload, a scalar's
/// encoding for a scalar), moving `pos` past it. The common fields (a
/// one-byte key, then a length under 128, a one-byte varint or eight
/// bytes) are read here; others by
/// [`fields::next`]. Groups are a [`Bail`].
#[inline(always)]
fn field<'a>(body: &'a [u8], pos: &mut usize) -> Result<(u32, u8, &'a [u8]), Bail> {
    let start = *pos;
    if let [key, next, ..] = body[start..] {
        if (8..0x80).contains(&key) {
            let tag = u32::from(key >> 3);
            // A length under 128, a one-byte varint, a fixed64.
            let (wire_type, from, end) = match key & 7 {
                WT_LEN if next < 0x80 => (WT_LEN, start + 2, start + 2 + usize::from(next)),
                WT_VARINT if next < 0x80 => (WT_VARINT, start + 1, start + 2),
                WT_I64 => (WT_I64, start + 1, start + 9),
                _ => (u8::MAX, 0, 0),
            };
            if wire_type != u8::MAX {
                let payload = body.get(from..end).ok_or(Bail)?;
                *pos = end;
                return Ok((tag, wire_type, payload));
            }
        }
    }
    // A reader from here whose offsets are the span's.
    let mut r = Reader::new(&body[start..], start);
    let f = fields::next(body, &mut r)?;
    *pos = r.offset();
    Ok((f.tag, f.wire_type, f.payload))
}

/// The key length of a `KeyValue` written the plain way with short
/// lengths (key, then a value of under 128 bytes, or none); `None` for
/// any other, which [`plain`] then reads in full.
#[inline(always)]
fn plain_key_len(kv: &[u8]) -> Option<usize> {
    let [0x0a, n, ..] = *kv else { return None };
    let n = usize::from(n);
    if n >= 0x80 {
        return None;
    }
    match *kv.get(2 + n..)? {
        [] => Some(n),
        [0x12, len, ref value @ ..] if len < 0x80 && value.len() == usize::from(len) => Some(n),
        _ => None,
    }
}

/// A noted attribute's key: where it lies in the body, or, for one a step
/// added, the step's key.
fn key_bytes<'v>(body: &'v [u8], plan: &'v Steps, slot: &Slot) -> &'v [u8] {
    match slot.field {
        Some(_) => &body[slot.key.0 as usize..slot.key.1 as usize],
        None => &plan.keys[slot.id as usize][..],
    }
}

/// An `AnyValue` that holds an int: its key, then a varint to the end;
/// most (status codes, ports, sizes) take one or two bytes.
#[inline(always)]
fn whole_number(any: &[u8]) -> Option<i64> {
    match *any {
        [0x18, b] if b < 0x80 => Some(i64::from(b)),
        [0x18, lo, hi] if lo >= 0x80 && hi < 0x80 => Some(i64::from(lo & 0x7f) | i64::from(hi) << 7),
        [0x18, ref varint @ ..] => {
            let mut r = Reader::new(varint, 0);
            r.varint().ok().filter(|_| r.done()).map(|v| v as i64)
        }
        _ => None,
    }
}

/// An attribute's value as text, if it is a string (received, set or
/// made by a step); received bytes that are not UTF-8 are a [`Bail`].
fn text<'v>(body: &'v [u8], outer: &'v Outer<'_>, plan: &'v Steps, value: &'v Val) -> Result<Option<&'v str>, Bail> {
    Ok(match value {
        Val::Raw { .. } | Val::Copy { .. } | Val::Outer(_) => match received(body, outer, value) {
            Some((any, true)) => Some(utf8(string_bytes(any).ok_or(Bail)?)?),
            _ => None,
        },
        Val::Set(op) => match &plan.ops[*op].0 {
            Op::SetAttr { value: Value::Str(s), .. } => Some(s),
            _ => None,
        },
        Val::Str(s) => Some(s),
        Val::Deleted => None,
    })
}

/// A value's bytes as received, in the body or the resource
/// (`outer`), and whether it is a string; `None` for any other value.
#[inline(always)]
fn received<'v>(body: &'v [u8], outer: &'v Outer<'_>, value: &Val) -> Option<(&'v [u8], bool)> {
    match *value {
        Val::Raw { any, string } | Val::Copy { any, string } => Some((&body[any.0 as usize..any.1 as usize], string)),
        Val::Outer(i) => outer.get(i)?,
        _ => None,
    }
}

/// `bytes` as text, or a [`Bail`]. Nearly every name, key and value is
/// ASCII, told by a scan a word at a time ([`ascii`], the validator's);
/// `from_utf8`'s own set-up cost more than that for strings of a few
/// dozen bytes (170 instructions each, a seventh of a rename's).
#[inline]
fn utf8(bytes: &[u8]) -> Result<&str, Bail> {
    if ascii(bytes) {
        // SAFETY: ASCII bytes are UTF-8.
        return Ok(unsafe { std::str::from_utf8_unchecked(bytes) });
    }
    std::str::from_utf8(bytes).map_err(|_| Bail)
}

/// A range of a body, which [`LeanSpan::reset`] and
/// [`LeanSpan::outer_as_received`] hold under 4 GiB.
#[inline(always)]
fn span32(from: usize, to: usize) -> (u32, u32) {
    debug_assert!(u32::try_from(to).is_ok(), "bodies are under 4 GiB");
    (from as u32, to as u32)
}

/// A received value: a string, none, or one field of another kind (a
/// scalar, a list, a map). Any other shape (two fields, which prost would read
/// as the last) is a [`Bail`].
#[inline(always)]
fn raw(body: &[u8], any: (usize, usize)) -> Result<Val, Bail> {
    let bytes = &body[any.0..any.1];
    if bytes.is_empty() {
        // No value at all: nothing for `truncate_all`; a read bails.
        return Ok(Val::Raw { any: span32(any.0, any.1), string: false });
    }
    match *bytes {
        // The common string: key, a length under 128, the text.
        [0x0a, n, ref text @ ..] if n < 0x80 && text.len() == usize::from(n) => return Ok(Val::Raw { any: span32(any.0, any.1), string: true }),
        // A bool or an int: a varint to the end, too short to overflow;
        // a double: eight bytes.
        [0x10 | 0x18, ref varint @ ..] if whole_varint(varint) => return Ok(Val::Raw { any: span32(any.0, any.1), string: false }),
        [0x21, ref double @ ..] if double.len() == 8 => return Ok(Val::Raw { any: span32(any.0, any.1), string: false }),
        _ => {}
    }
    let mut r = Reader::new(bytes, 0);
    let (tag, wire_type) = r.key()?;
    match wire_type {
        WT_LEN => drop(r.delimited()?),
        WT_VARINT | WT_I64 | WT_I32 => r.scalar(wire_type)?,
        _ => return Err(Bail),
    }
    if !r.done() {
        return Err(Bail);
    }
    Ok(Val::Raw { any: span32(any.0, any.1), string: tag == 1 && wire_type == WT_LEN })
}
