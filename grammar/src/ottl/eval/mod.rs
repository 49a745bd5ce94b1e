//! The compiled form of statements and the evaluator that runs it.
//!
//! The checker resolves every name once, at load: a path becomes a
//! [`PathId`] and its constant keys a ready `Vec<Key>`, a call site owns
//! its prepared [`Function`], and constant sub-expressions are folded to
//! one [`Value`]. Evaluation then never looks a string up, and borrows
//! literals instead of cloning them, so a `where name == "x"` costs one
//! context read and one comparison.

mod args;
pub mod compare;
pub mod index;
pub mod math;
pub mod uses;

use std::borrow::Cow;

use super::ast::BinOp;
use super::context::{Context, Key, PathId};
use super::function::Function;
use super::value::Value;

pub use index::{get_in, set_in};

/// One compiled expression.
pub(crate) enum Node {
    Lit(Value),
    Path(PathRef),
    Call(Box<CallSite>),
    List(Vec<Node>),
    Map(Vec<(String, Node)>),
    Math(BinOp, Box<Node>, Box<Node>),
    Cmp(BinOp, Box<Node>, Box<Node>),
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    Not(Box<Node>),
}

/// What a path names: one of the context's paths, or the per-item cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    Ctx(PathId),
    Cache,
}

pub(crate) struct PathRef {
    pub target: Target,
    pub keys: Keys,
}

/// A path's or converter's index chain: all constant (the common case,
/// passed to the context as a slice with no allocation) or computed.
pub(crate) enum Keys {
    Static(Vec<Key>),
    Dynamic(Vec<KeyNode>),
}

pub(crate) enum KeyNode {
    Const(Key),
    Expr(Node),
}

/// One editor or converter invocation, prepared at load.
pub(crate) struct CallSite {
    pub func: Box<dyn Function>,
    pub args: Vec<CArg>,
    pub keys: Keys,
}

/// One argument as the function will read it, in parameter order.
pub(crate) enum CArg {
    Absent,
    Expr(Node),
    Path(PathRef),
    Lit(Value),
    /// A converter named as an argument, prepared for [`super::Args::call`].
    Func(Box<dyn Function>),
}

/// The state of one item's evaluation: the context and its `cache` map.
pub(crate) struct Eval<'c> {
    pub ctx: &'c mut dyn Context,
    pub cache: Value,
}

impl<'c> Eval<'c> {
    pub fn new(ctx: &'c mut dyn Context) -> Eval<'c> {
        // An empty Vec does not allocate: a statement list that never
        // touches `cache` pays nothing for it.
        Eval { ctx, cache: Value::Map(Vec::new()) }
    }

    /// The value of an expression, borrowed from the program when it is
    /// a literal.
    pub fn eval<'p>(&mut self, node: &'p Node) -> Result<Cow<'p, Value>, String> {
        Ok(match node {
            Node::Lit(v) => Cow::Borrowed(v),
            Node::Path(p) => Cow::Owned(self.read(p)?),
            Node::Call(site) => Cow::Owned(self.call(site)?),
            Node::List(items) => Cow::Owned(Value::List(items.iter().map(|n| self.eval(n).map(Cow::into_owned)).collect::<Result<_, _>>()?)),
            Node::Map(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (k, n) in items {
                    out.push((k.clone(), self.eval(n)?.into_owned()));
                }
                Cow::Owned(Value::Map(out))
            }
            Node::Math(op, l, r) => {
                let l = self.eval(l)?;
                let r = self.eval(r)?;
                Cow::Owned(math::apply(*op, &l, &r)?)
            }
            Node::Cmp(..) | Node::And(..) | Node::Or(..) | Node::Not(_) => Cow::Owned(Value::Bool(self.truth(node)?)),
        })
    }

    /// A boolean expression's value, short-circuiting `and` and `or`.
    pub fn truth(&mut self, node: &Node) -> Result<bool, String> {
        match node {
            Node::Cmp(op, l, r) => {
                let l = self.eval(l)?;
                let r = self.eval(r)?;
                Ok(compare::compare(&l, &r, *op))
            }
            Node::And(l, r) => Ok(self.truth(l)? && self.truth(r)?),
            Node::Or(l, r) => Ok(self.truth(l)? || self.truth(r)?),
            Node::Not(inner) => Ok(!self.truth(inner)?),
            other => match self.eval(other)?.as_ref() {
                Value::Bool(b) => Ok(*b),
                v => Err(format!("value returned from Converter in constExpr is not a bool: {}", v.type_name())),
            },
        }
    }

    /// Reads a path, resolving computed keys first.
    pub fn read(&mut self, p: &PathRef) -> Result<Value, String> {
        match &p.keys {
            Keys::Static(keys) => self.read_with(p.target, keys),
            Keys::Dynamic(nodes) => {
                let keys = self.keys(nodes)?;
                self.read_with(p.target, &keys)
            }
        }
    }

    fn read_with(&mut self, target: Target, keys: &[Key]) -> Result<Value, String> {
        match target {
            Target::Ctx(id) => self.ctx.get(id, keys),
            Target::Cache => get_in(&self.cache, keys).map(|v| v.cloned().unwrap_or_default()),
        }
    }

    /// Writes a path, resolving computed keys first.
    pub fn write(&mut self, p: &PathRef, value: Value) -> Result<(), String> {
        let dynamic;
        let keys = match &p.keys {
            Keys::Static(keys) => keys.as_slice(),
            Keys::Dynamic(nodes) => {
                dynamic = self.keys(nodes)?;
                dynamic.as_slice()
            }
        };
        match p.target {
            Target::Ctx(id) => self.ctx.set(id, keys, value),
            Target::Cache if keys.is_empty() => match value {
                Value::Map(_) => {
                    self.cache = value;
                    Ok(())
                }
                other => Err(format!("cache must be a map, got {}", other.type_name())),
            },
            Target::Cache => set_in(&mut self.cache, keys, value),
        }
    }

    fn keys(&mut self, nodes: &[KeyNode]) -> Result<Vec<Key>, String> {
        let mut out = Vec::with_capacity(nodes.len());
        for n in nodes {
            out.push(match n {
                KeyNode::Const(k) => k.clone(),
                KeyNode::Expr(e) => match self.eval(e)?.as_ref() {
                    Value::Str(s) => Key::Str(s.clone()),
                    Value::Int(i) => Key::Int(*i),
                    other => return Err(format!("key must be a string or an int64, got {}", other.type_name())),
                },
            });
        }
        Ok(out)
    }

    /// Runs one call site and indexes its result by the site's keys.
    pub fn call(&mut self, site: &CallSite) -> Result<Value, String> {
        let value = site.func.call(&mut args::SiteArgs { ev: self, site })?;
        match &site.keys {
            Keys::Static(keys) if keys.is_empty() => Ok(value),
            Keys::Static(keys) => take_in(value, keys),
            Keys::Dynamic(nodes) => {
                let keys = self.keys(nodes)?;
                take_in(value, &keys)
            }
        }
    }
}

/// The part of an owned value that `keys` names, without cloning it.
fn take_in(value: Value, keys: &[Key]) -> Result<Value, String> {
    let mut cur = value;
    for key in keys {
        cur = match (cur, key) {
            (Value::Map(m), Key::Str(k)) => m.into_iter().find(|(mk, _)| mk == k).map(|(_, v)| v).unwrap_or_default(),
            (Value::List(l), Key::Int(i)) => {
                let len = l.len();
                usize::try_from(*i).ok().and_then(|i| l.into_iter().nth(i)).ok_or_else(|| format!("index {i} out of bounds (length {len})"))?
            }
            (Value::Nil, _) => Value::Nil,
            (other, key) => return Err(index::unsupported(&other, key)),
        };
    }
    Ok(cur)
}
