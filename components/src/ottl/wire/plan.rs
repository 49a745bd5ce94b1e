//! Statements compiled to operations on the wire bytes ([`lean`]): when
//! every statement of every block of a signal is one of the plain steps
//! [`Statements::steps`] recognises, in the `span` context over the span's
//! name, kind, status code and `attributes["key"]`, in the `log` and
//! `datapoint` contexts over `attributes["key"]`, or in the `resource`
//! context over `attributes["key"]`, the program is compiled once per load
//! to a [`Plan`]: the item blocks' steps (spans, log records or data
//! points) and the resource blocks' steps, each in block order. Attribute keys become small numbers matched while
//! the span or resource is walked, literal values are encoded to their
//! wire bytes here, and the walk finds only what the steps read.
//!
//! Such steps cannot fail, so error modes play no part. Resource steps
//! read nothing of the spans, and span steps read of the resource only
//! its attributes (`resource.attributes["key"]`): so each resource's
//! steps run before its spans', rather than over the whole request
//! before or after the span blocks, and span steps read the resource as
//! those steps left it when their blocks come after every resource
//! block, as received when before; a program with readers on both sides
//! gets no plan. A plan does exactly what the evaluator does on the
//! decoded request; a span or resource the lean walk finds unusual is
//! left to the other paths ([`lean::Bail`]).
//!
//! [`lean`]: super::lean

use prost::Message;
use regex::Regex;
use solder_syntax::ottl::ast::BinOp;
use solder_syntax::ottl::funcs::replaced;
use solder_syntax::ottl::plan::{Cond as PCond, Op as POp, Operand as POperand, Path, Step};
use solder_syntax::ottl::{Key, Statements, Value};

use super::gate::Gate;
use crate::otlp::proto::common::v1::{AnyValue, KeyValue};
use crate::ottl::schema::{
    locate, LogField, MetricField, Part, PointField, ResourceField, SpanField, DATAPOINT, DATAPOINT_PARTS, LOG, LOG_PARTS, RESOURCE, RESOURCE_PARTS, SPAN,
    SPAN_PARTS,
};
use crate::ottl::{value, Group};

/// An attribute key's number: its index in [`Steps::keys`].
pub(super) type KeyId = u16;

/// The compiled program: its item steps (of one level: spans, log
/// records or data points) and its resource steps.
pub struct Plan {
    pub(super) items: Option<Steps>,
    pub(super) resource: Option<Steps>,
    /// When span steps read the resource's attributes after resource
    /// steps (their blocks come later): for each of the span steps'
    /// [`Steps::outer`] keys, its number among the resource steps' keys,
    /// so that their walk notes it. Empty: span steps read the resource as
    /// received.
    pub(super) outer_after_resource: Vec<KeyId>,
}

/// Where the steps run: which fields their paths name, and the field
/// number attributes have there.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Level {
    /// `Span.attributes` is field 9.
    Span,
    /// `Resource.attributes` is field 1.
    Resource,
    /// `LogRecord.attributes` is field 6.
    Log,
    /// A data point of any type: its attributes are field 7 of a
    /// `NumberDataPoint` or `SummaryDataPoint`, 9 of a
    /// `HistogramDataPoint`, 1 of an `ExponentialHistogramDataPoint`. The
    /// walk of each point is told which ([`super::frame`]).
    Point,
}

impl Level {
    pub(super) const fn attributes(self) -> u32 {
        match self {
            Level::Span => 9,
            Level::Resource => 1,
            Level::Log => 6,
            // Steps encode a set attribute's field under this one; a
            // point of another type gets its own key byte when written.
            Level::Point => 7,
        }
    }
}

/// The steps of one level, in order.
pub(super) struct Steps {
    pub(super) level: Level,
    pub(super) ops: Vec<(Op, Option<Cond>)>,
    /// The attribute keys the steps name.
    pub(super) keys: Vec<Box<[u8]>>,
    /// The resource's attribute keys span steps read
    /// (`resource.attributes["key"]`), worked out once for each resource.
    pub(super) outer: Vec<Box<[u8]>>,
    /// How many times a step or condition reads one of [`Self::outer`].
    pub(super) outer_reads: usize,
    /// Whether a condition reads a data point's `metric.name`.
    pub(super) reads_metric_name: bool,
    /// A bit per key length below 64 that some key has: most attributes
    /// are told apart from every key by their length alone.
    pub(super) key_lengths: u64,
    /// Attributes whose field is longer than this may hold a string a
    /// `truncate_all` cuts (a string is shorter than its field); `MAX`
    /// with none.
    pub(super) long: usize,
}

pub(super) enum Op {
    /// `set(attributes[key], literal)`: the whole attribute field as it
    /// is written, and the value reads see.
    SetAttr {
        key: KeyId,
        field: Box<[u8]>,
        /// The value alone, as an `AnyValue`'s bytes: what a copy of
        /// this attribute to another key writes.
        any: Box<[u8]>,
        value: Value,
    },
    /// `set(attributes[to], attributes[from])`: a copy of the value, if
    /// there is one.
    CopyAttr {
        to: KeyId,
        from: KeyId,
    },
    /// `set(attributes[key], name)`: the name as it stands.
    CopyName(KeyId),
    /// `set(name, attributes[key])`: the attribute's string, if it has
    /// one; nothing when it is missing.
    NameFromAttr(KeyId),
    /// `set(name, resource.attributes[key])`: the same from the
    /// resource's attribute at this index of [`Steps::outer`].
    NameFromOuter(usize),
    /// `set(attributes[key], resource.attributes[outer])`: the index in
    /// [`Steps::outer`].
    CopyOuter {
        to: KeyId,
        from: usize,
    },
    DeleteAttr(KeyId),
    /// `keep_keys(attributes, [...])`: the keys kept.
    KeepKeys(Vec<Box<[u8]>>),
    /// `keep_matching_keys` (`keep`) or `delete_matching_keys`.
    MatchingKeys {
        regex: Regex,
        keep: bool,
    },
    SetName(String),
    SetStatusCode(i32),
    /// `replace_pattern` or `replace_match` on the name.
    ReplaceName(Pattern),
    /// `replace_pattern(attributes[key], ...)`: a string value changed
    /// where it lies; any other value left.
    ReplaceAttr(KeyId, Pattern),
    TruncateAll {
        limit: usize,
        marker: String,
    },
}

/// A `replace_pattern`'s regex or a `replace_match`'s glob (as its
/// anchored regex), the cheap test before it, and what a match becomes.
pub(super) struct Pattern {
    pub regex: Regex,
    pub gate: Gate,
    pub replacement: String,
    /// A glob: a match replaces the whole string with `replacement` as
    /// written (globs have no groups to expand).
    whole: bool,
}

impl Pattern {
    fn new(regex: &Regex, replacement: &str) -> Pattern {
        Pattern { regex: regex.clone(), gate: Gate::new(regex.as_str()), replacement: replacement.to_string(), whole: false }
    }

    fn glob(glob: &Regex, replacement: &str) -> Pattern {
        Pattern { whole: true, ..Pattern::new(glob, replacement) }
    }

    /// The string after the step, if it matched.
    pub fn replaced(&self, text: &str) -> Option<String> {
        if self.whole {
            self.regex.is_match(text).then(|| self.replacement.clone())
        } else {
            replaced(&self.regex, text, &self.replacement)
        }
    }
}

pub(super) enum Cond {
    Cmp(Operand, BinOp, Operand),
    /// A path against a whole-number literal (`status.code == 2`,
    /// `attributes["http.response.status_code"] >= 500`): the usual
    /// condition, compared without going through values when the path
    /// holds a whole number too.
    IntCmp(Operand, BinOp, i64),
    And(Box<Cond>, Box<Cond>),
    Or(Box<Cond>, Box<Cond>),
    Not(Box<Cond>),
}

pub(super) enum Operand {
    Attr(KeyId),
    /// `resource.attributes["key"]`: the index in [`Steps::outer`].
    Outer(usize),
    Name,
    Kind,
    StatusCode,
    Lit(Value),
}

/// What a path is in a level's context, for a plan.
enum Field {
    Attr(String),
    /// `resource.attributes["key"]`, read from an item step.
    Outer(String),
    Attributes,
    Name,
    Kind,
    StatusCode,
    /// A data point's `metric.name`: read in conditions (as the name
    /// operand, the walk of each point being given its metric's name),
    /// never written.
    MetricName,
}

impl Plan {
    /// The plan for these blocks of one signal, if each runs in the
    /// `resource` context or in one item context (`span`, `log` or
    /// `datapoint`), and every statement is a step it can run.
    pub fn compile<'g>(blocks: impl IntoIterator<Item = &'g Group>) -> Option<Plan> {
        let (mut items, mut resource) = (None::<Steps>, Steps::new(Level::Resource));
        // Block numbers: of item blocks that read the resource, of
        // resource blocks with steps.
        let (mut readers, mut writers) = (Vec::new(), Vec::new());
        for (i, group) in blocks.into_iter().enumerate() {
            let level = match group.schema.name {
                "resource" => {
                    let before = resource.ops.len();
                    resource.add(&group.statements)?;
                    if resource.ops.len() > before {
                        writers.push(i);
                    }
                    continue;
                }
                "span" => Level::Span,
                "log" => Level::Log,
                "datapoint" => Level::Point,
                _ => return None,
            };
            let steps = items.get_or_insert_with(|| Steps::new(level));
            if steps.level != level {
                return None;
            }
            let before = steps.outer_reads;
            steps.add(&group.statements)?;
            if steps.outer_reads > before {
                readers.push(i);
            }
        }
        // Each resource's steps run before its items' (resource steps read
        // nothing of the items, so that order is theirs to choose). Item
        // steps that read the resource see it as its steps left it if
        // their blocks all come after those steps', as received if all
        // before; blocks in between would need both: no plan.
        let mut outer_after_resource = Vec::new();
        if let (Some(first_reader), Some(last_writer), Some(items)) = (readers.first(), writers.last(), &items) {
            if first_reader > last_writer {
                for key in &items.outer {
                    outer_after_resource.push(resource.key(String::from_utf8(key.to_vec()).ok()?)?);
                }
            } else if readers.last() > writers.first() {
                return None;
            }
        }
        let some = |s: Steps| (!s.ops.is_empty()).then_some(s);
        let plan = Plan { items: items.and_then(some), resource: some(resource), outer_after_resource };
        (plan.items.is_some() || plan.resource.is_some()).then_some(plan)
    }
}

/// Span filter conditions compiled as a plan's `where` clauses: when
/// each is made of comparisons of the name, kind, status code, an
/// attribute or a resource attribute with literals or each other, the
/// spans are tested from the lean walk's notes (which note only the
/// attributes the conditions name) instead of through the evaluator.
pub struct FilterPlan {
    pub(super) steps: Steps,
    pub(super) conds: Vec<Cond>,
}

impl FilterPlan {
    /// For `span` conditions.
    pub fn compile(conditions: &solder_syntax::ottl::Conditions) -> Option<FilterPlan> {
        FilterPlan::compile_at(Level::Span, conditions)
    }

    /// For `datapoint` conditions: comparisons of the point's attributes,
    /// its metric's name and the resource's attributes.
    pub fn compile_points(conditions: &solder_syntax::ottl::Conditions) -> Option<FilterPlan> {
        FilterPlan::compile_at(Level::Point, conditions)
    }

    fn compile_at(level: Level, conditions: &solder_syntax::ottl::Conditions) -> Option<FilterPlan> {
        let mut steps = Steps::new(level);
        let conds = conditions.conds()?.iter().map(|c| steps.cond(c)).collect::<Option<Vec<_>>>()?;
        Some(FilterPlan { steps, conds })
    }
}

impl Steps {
    pub(super) fn new(level: Level) -> Steps {
        Steps { level, ops: Vec::new(), keys: Vec::new(), outer: Vec::new(), outer_reads: 0, reads_metric_name: false, key_lengths: 0, long: usize::MAX }
    }

    /// Adds a block's statements, if every one is a step a plan runs.
    fn add(&mut self, statements: &Statements) -> Option<()> {
        for step in statements.steps()? {
            let compiled = self.step(&step)?;
            self.ops.push(compiled);
        }
        Some(())
    }

    fn step(&mut self, step: &Step<'_>) -> Option<(Op, Option<Cond>)> {
        let op = match &step.op {
            POp::Set { target, value } => match (self.field(target)?, value) {
                (Field::Attr(k), Value::Str(_) | Value::Int(_) | Value::Double(_) | Value::Bool(_)) => {
                    let any = AnyValue { value: value::from_value((*value).clone()) };
                    let kv = KeyValue { key: k.clone(), value: Some(any.clone()), ..Default::default() };
                    let mut field = Vec::new();
                    prost::encoding::message::encode(self.level.attributes(), &kv, &mut field);
                    Op::SetAttr { key: self.key(k)?, field: field.into(), any: any.encode_to_vec().into(), value: (*value).clone() }
                }
                (Field::Name, Value::Str(s)) => Op::SetName(s.clone()),
                (Field::StatusCode, Value::Int(code)) => Op::SetStatusCode(i32::try_from(*code).ok()?),
                _ => return None,
            },
            POp::Copy { target, source } => match (self.field(target)?, self.field(source)?) {
                (Field::Attr(to), Field::Attr(from)) => Op::CopyAttr { to: self.key(to)?, from: self.key(from)? },
                (Field::Attr(to), Field::Name) => Op::CopyName(self.key(to)?),
                (Field::Attr(to), Field::Outer(from)) => Op::CopyOuter { to: self.key(to)?, from: self.outer_key(from) },
                (Field::Name, Field::Attr(from)) => Op::NameFromAttr(self.key(from)?),
                (Field::Name, Field::Outer(from)) => Op::NameFromOuter(self.outer_key(from)),
                _ => return None,
            },
            POp::DeleteKey { target, key } => match self.field(target)? {
                Field::Attributes => Op::DeleteAttr(self.key(key.to_string())?),
                _ => return None,
            },
            // These read every key: every attribute is noted (as if each
            // were long enough for a cut).
            POp::KeepKeys { target, keys } => match self.field(target)? {
                Field::Attributes => {
                    self.long = 0;
                    Op::KeepKeys(keys.iter().map(|k| k.as_bytes().into()).collect())
                }
                _ => return None,
            },
            POp::MatchingKeys { target, regex, keep } => match self.field(target)? {
                Field::Attributes => {
                    self.long = 0;
                    Op::MatchingKeys { regex: (*regex).clone(), keep: *keep }
                }
                _ => return None,
            },
            POp::ReplacePattern { target, regex, replacement } => match self.field(target)? {
                Field::Name => Op::ReplaceName(Pattern::new(regex, replacement)),
                Field::Attr(k) => Op::ReplaceAttr(self.key(k)?, Pattern::new(regex, replacement)),
                _ => return None,
            },
            POp::ReplaceMatch { target, glob, replacement } => match self.field(target)? {
                Field::Name => Op::ReplaceName(Pattern::glob(glob, replacement)),
                Field::Attr(k) => Op::ReplaceAttr(self.key(k)?, Pattern::glob(glob, replacement)),
                _ => return None,
            },
            POp::TruncateAll { target, limit, marker } => match self.field(target)? {
                Field::Attributes => {
                    self.long = self.long.min(*limit);
                    Op::TruncateAll { limit: *limit, marker: marker.to_string() }
                }
                _ => return None,
            },
        };
        let when = match &step.when {
            Some(c) => Some(self.cond(c)?),
            None => None,
        };
        Some((op, when))
    }

    fn cond(&mut self, c: &PCond<'_>) -> Option<Cond> {
        Some(match c {
            PCond::Cmp(l, op, r) => match (self.operand(l)?, self.operand(r)?) {
                (path, Operand::Lit(Value::Int(i))) if !matches!(path, Operand::Lit(_)) => Cond::IntCmp(path, *op, i),
                (l, r) => Cond::Cmp(l, *op, r),
            },
            PCond::And(l, r) => Cond::And(Box::new(self.cond(l)?), Box::new(self.cond(r)?)),
            PCond::Or(l, r) => Cond::Or(Box::new(self.cond(l)?), Box::new(self.cond(r)?)),
            PCond::Not(inner) => Cond::Not(Box::new(self.cond(inner)?)),
        })
    }

    fn operand(&mut self, o: &POperand<'_>) -> Option<Operand> {
        Some(match o {
            POperand::Lit(v) => Operand::Lit((*v).clone()),
            POperand::Path(p) => match self.field(p)? {
                Field::Attr(k) => Operand::Attr(self.key(k)?),
                Field::Name => Operand::Name,
                Field::Kind => Operand::Kind,
                Field::StatusCode => Operand::StatusCode,
                Field::Outer(k) => Operand::Outer(self.outer_key(k)),
                Field::MetricName => {
                    self.reads_metric_name = true;
                    Operand::Name
                }
                Field::Attributes => return None,
            },
        })
    }

    /// The number of an attribute key, given one if new; `None` past the
    /// numbers there are (the last one means "no key"): no plan.
    fn key(&mut self, k: String) -> Option<KeyId> {
        let bytes = k.into_bytes().into_boxed_slice();
        if let Some(i) = self.keys.iter().position(|have| *have == bytes) {
            return KeyId::try_from(i).ok();
        }
        let id = KeyId::try_from(self.keys.len()).ok().filter(|id| *id < KeyId::MAX)?;
        if bytes.len() < 64 {
            self.key_lengths |= 1 << bytes.len();
        }
        self.keys.push(bytes);
        Some(id)
    }

    /// The index of a resource attribute key item steps read, given one
    /// if new.
    fn outer_key(&mut self, k: String) -> usize {
        self.outer_reads += 1;
        let key = k.into_bytes().into_boxed_slice();
        match self.outer.iter().position(|have| *have == key) {
            Some(i) => i,
            None => {
                self.outer.push(key);
                self.outer.len() - 1
            }
        }
    }

    /// Whether a step names a key of this length.
    #[inline]
    pub(super) fn may_name(&self, len: usize) -> bool {
        len >= 64 || self.key_lengths & (1 << len) != 0
    }

    /// What a path of this level's context is, if a plan models it: the
    /// level's own fields (a log record's and a data point's attributes
    /// alone, and a point's `metric.name`), and for item steps
    /// `resource.attributes["key"]` (which only a copy or a condition
    /// takes).
    fn field(&self, p: &Path<'_>) -> Option<Field> {
        use SpanField as F;
        let (schema, parts) = match self.level {
            Level::Span => (&SPAN, SPAN_PARTS),
            Level::Resource => (&RESOURCE, RESOURCE_PARTS),
            Level::Log => (&LOG, LOG_PARTS),
            Level::Point => (&DATAPOINT, DATAPOINT_PARTS),
        };
        let attributes = |i: usize| ResourceField::ALL[i] == ResourceField::Attributes;
        let own = match (self.level, locate(schema, parts, p.id, p.keys).ok()?) {
            (Level::Resource, (Part::Resource, i)) if attributes(i) => F::Attributes,
            (Level::Resource, _) => return None,
            (_, (Part::Resource, i)) if attributes(i) => {
                return match p.keys {
                    [Key::Str(k)] => Some(Field::Outer(k.clone())),
                    _ => None,
                };
            }
            (Level::Span, (Part::Span, i)) => SpanField::ALL[i],
            (Level::Log, (Part::Log, i)) if LogField::ALL[i] == LogField::Attributes => F::Attributes,
            (Level::Point, (Part::Point, i)) if PointField::ALL[i] == PointField::Attributes => F::Attributes,
            (Level::Point, (Part::Metric, i)) if MetricField::ALL[i] == MetricField::Name && p.keys.is_empty() => return Some(Field::MetricName),
            _ => return None,
        };
        Some(match (own, p.keys) {
            (F::Attributes, [Key::Str(k)]) => Field::Attr(k.clone()),
            (F::Attributes, []) => Field::Attributes,
            (F::Name, []) => Field::Name,
            (F::Kind, []) => Field::Kind,
            (F::StatusCode, []) => Field::StatusCode,
            _ => return None,
        })
    }

    /// The number of the key these bytes are, if a step names it.
    #[inline]
    pub(super) fn key_of(&self, key: &[u8]) -> Option<KeyId> {
        if !self.may_name(key.len()) {
            return None;
        }
        self.keys.iter().position(|k| same(k, key)).and_then(|i| KeyId::try_from(i).ok())
    }
}

/// Whether two keys are the same bytes, compared eight at a time inline:
/// keys are a few dozen bytes, and `==` on slices is a call to `memcmp`,
/// which costs more than the compare for keys that differ early.
#[inline]
fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let word = |s: &[u8], at: usize| s.get(at..at + 8).map(|w| u64::from_le_bytes(w.try_into().unwrap_or_default()));
    if a.len() < 8 {
        return a == b;
    }
    let mut at = 0;
    while at + 8 < a.len() {
        if word(a, at) != word(b, at) {
            return false;
        }
        at += 8;
    }
    // The last eight bytes, overlapping what was compared.
    word(a, a.len() - 8) == word(b, b.len() - 8)
}

#[cfg(test)]
mod tests {
    use super::{same, Level, Steps};

    /// The word-wise compare agrees with `==` on keys of every length up
    /// to 40 that differ at each place, or not at all.
    #[test]
    fn keys_compare_as_their_bytes() {
        for len in 0..40usize {
            let a: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
            assert!(same(&a, &a.clone()));
            for at in 0..len {
                let mut b = a.clone();
                b[at] ^= 0x20;
                assert!(!same(&a, &b), "{len} bytes, differing at {at}");
            }
            assert!(!same(&a, &a[..len.saturating_sub(1)]) || len == 0);
        }
    }

    /// Key numbers run out before the one that means "no key": a program
    /// naming more keys than that gets no plan.
    #[test]
    fn key_numbers_never_reach_the_no_key_number() {
        let mut plan = Steps::new(Level::Span);
        plan.keys = (0..u16::MAX - 1).map(|i| i.to_string().into_bytes().into_boxed_slice()).collect();
        assert_eq!(plan.key("0".into()), Some(0), "a known key keeps its number");
        assert_eq!(plan.key("new".into()), Some(u16::MAX - 1));
        assert_eq!(plan.key("one more".into()), None);
    }
}
