//! Statements as plain steps a context can run itself, without the
//! evaluator: the shapes most transform configs are made of (`set` a
//! path to a literal, `delete_key`, `keep_keys` with a literal list,
//! `delete_matching_keys` and `keep_matching_keys`, `replace_pattern`
//! with a literal replacement, `truncate_all`), each optionally guarded
//! by comparisons of paths with literals.
//!
//! The evaluator moves owned [`Value`]s through dynamic calls for every
//! statement; for a context over wire bytes that is most of a statement's
//! cost. A context that recognises every step of a list can instead
//! compile them to operations on its own representation (the transform
//! processor's span plan does). What a step means is defined by the
//! function it came from: a [`Primitive`] is only ever attached by the
//! function itself, next to the closure it must agree with, and the
//! helpers both share ([`crate::ottl::funcs::truncated`],
//! [`crate::ottl::funcs::replaced`]) keep the two from drifting.

use regex::Regex;

use super::ast::BinOp;
use super::check::CompiledStatement;
use super::context::{Key, PathId};
use super::eval::{CArg, CallSite, Keys, Node, PathRef, Target};
use super::value::Value;

/// What one of the described editors does; see [`super::Function::primitive`].
pub enum Primitive {
    /// `set(target, value)`; a nil value leaves the target alone.
    Set,
    /// `delete_key(target, key)`.
    DeleteKey,
    /// `keep_keys(target, keys)` with this literal list.
    KeepKeys { keys: Vec<String> },
    /// `keep_matching_keys(target, regex)` (`keep`) or
    /// `delete_matching_keys(target, regex)`.
    MatchingKeys { regex: Regex, keep: bool },
    /// `replace_pattern(target, regex, replacement)`.
    ReplacePattern { regex: Regex },
    /// `replace_match(target, pattern, replacement)`: the glob as its
    /// anchored regex.
    ReplaceMatch { glob: Regex },
    /// `truncate_all(target, limit, utf8_safe, truncation_marker)`.
    TruncateAll { limit: usize, marker: String },
}

/// A context path with constant keys.
#[derive(Clone, Copy)]
pub struct Path<'s> {
    pub id: PathId,
    pub keys: &'s [Key],
}

/// One statement as a step.
pub enum Op<'s> {
    /// Sets the path to a literal that is not nil.
    Set { target: Path<'s>, value: &'s Value },
    /// Sets the path to what another path holds, if that is not nil.
    Copy { target: Path<'s>, source: Path<'s> },
    /// Removes every entry with this key from the map at the path.
    DeleteKey { target: Path<'s>, key: &'s str },
    /// Removes every entry of the map at the path whose key is not one of
    /// these.
    KeepKeys { target: Path<'s>, keys: &'s [String] },
    /// Removes every entry whose key the regex matches (`keep`: does not
    /// match).
    MatchingKeys { target: Path<'s>, regex: &'s Regex, keep: bool },
    /// Replaces every match in the string at the path
    /// ([`crate::ottl::funcs::replaced`]); anything but a string is left.
    ReplacePattern { target: Path<'s>, regex: &'s Regex, replacement: &'s str },
    /// Sets the string at the path to `replacement` if the glob (an
    /// anchored regex) matches it whole; anything but a string is left.
    ReplaceMatch { target: Path<'s>, glob: &'s Regex, replacement: &'s str },
    /// Cuts every string value of the map at the path
    /// ([`crate::ottl::funcs::truncated`]).
    TruncateAll { target: Path<'s>, limit: usize, marker: &'s str },
}

/// A `where` clause made of comparisons ([`super::eval::compare::compare`]).
pub enum Cond<'s> {
    Cmp(Operand<'s>, BinOp, Operand<'s>),
    And(Box<Cond<'s>>, Box<Cond<'s>>),
    Or(Box<Cond<'s>>, Box<Cond<'s>>),
    Not(Box<Cond<'s>>),
}

pub enum Operand<'s> {
    Path(Path<'s>),
    Lit(&'s Value),
}

/// One statement: its operation and its `where` clause.
pub struct Step<'s> {
    pub op: Op<'s>,
    pub when: Option<Cond<'s>>,
}

/// The statement as a step, if it has one of the shapes above. Such a
/// statement cannot fail at run time, so error modes do not apply.
pub(crate) fn step(stmt: &CompiledStatement) -> Option<Step<'_>> {
    let when = match &stmt.condition {
        Some(c) => Some(cond(c)?),
        None => None,
    };
    Some(Step { op: op(&stmt.editor)?, when })
}

fn op(site: &CallSite) -> Option<Op<'_>> {
    if !matches!(&site.keys, Keys::Static(k) if k.is_empty()) {
        return None;
    }
    let arg = |i: usize| site.args.get(i);
    let absent = |i: usize| matches!(arg(i), None | Some(CArg::Absent));
    let target = match arg(0)? {
        CArg::Path(p) => path(p)?,
        _ => return None,
    };
    Some(match site.func.primitive()? {
        Primitive::Set => match arg(1)? {
            CArg::Path(p) | CArg::Expr(Node::Path(p)) => Op::Copy { target, source: path(p)? },
            other => match literal(other)? {
                Value::Nil => return None,
                value => Op::Set { target, value },
            },
        },
        Primitive::DeleteKey => match literal(arg(1)?)? {
            Value::Str(key) => Op::DeleteKey { target, key },
            _ => return None,
        },
        Primitive::KeepKeys { keys } => Op::KeepKeys { target, keys },
        Primitive::MatchingKeys { regex, keep } => Op::MatchingKeys { target, regex, keep: *keep },
        Primitive::ReplacePattern { regex } if absent(3) && absent(4) => match literal(arg(2)?)? {
            Value::Str(replacement) => Op::ReplacePattern { target, regex, replacement },
            _ => return None,
        },
        Primitive::ReplacePattern { .. } => return None,
        Primitive::ReplaceMatch { glob } if absent(3) && absent(4) => match literal(arg(2)?)? {
            Value::Str(replacement) => Op::ReplaceMatch { target, glob, replacement },
            _ => return None,
        },
        Primitive::ReplaceMatch { .. } => return None,
        Primitive::TruncateAll { limit, marker } => {
            // utf8_safe changes nothing here (strings are UTF-8), but a
            // non-bool one is an error the evaluator must report.
            if !absent(2) && !matches!(literal(arg(2)?), Some(Value::Bool(_))) {
                return None;
            }
            Op::TruncateAll { target, limit: *limit, marker }
        }
    })
}

fn path(p: &PathRef) -> Option<Path<'_>> {
    match (&p.target, &p.keys) {
        (Target::Ctx(id), Keys::Static(keys)) => Some(Path { id: *id, keys }),
        _ => None,
    }
}

fn literal(arg: &CArg) -> Option<&Value> {
    match arg {
        CArg::Lit(v) | CArg::Expr(Node::Lit(v)) => Some(v),
        _ => None,
    }
}

/// A condition as a [`Cond`], if it is made of comparisons of paths and
/// literals (which cannot fail at run time).
pub(crate) fn cond(node: &Node) -> Option<Cond<'_>> {
    Some(match node {
        Node::Cmp(op, l, r) => Cond::Cmp(operand(l)?, *op, operand(r)?),
        Node::And(l, r) => Cond::And(Box::new(cond(l)?), Box::new(cond(r)?)),
        Node::Or(l, r) => Cond::Or(Box::new(cond(l)?), Box::new(cond(r)?)),
        Node::Not(inner) => Cond::Not(Box::new(cond(inner)?)),
        _ => return None,
    })
}

fn operand(node: &Node) -> Option<Operand<'_>> {
    match node {
        Node::Lit(v) => Some(Operand::Lit(v)),
        Node::Path(p) => Some(Operand::Path(path(p)?)),
        _ => None,
    }
}
