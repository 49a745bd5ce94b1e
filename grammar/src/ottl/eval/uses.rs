//! Which context paths a compiled program reads and writes: what a
//! context implementation that supports only some paths (an OTLP span
//! edited on its wire bytes) checks at load, to decide whether it can run
//! the program at all.

use super::{CArg, CallSite, KeyNode, Keys, Node, PathRef, Target};
use crate::ottl::context::PathId;

/// One use of a context path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PathUse {
    pub path: PathId,
    /// Whether the path is an editor's path argument, which it may write
    /// (or edit as a map). Read-only uses are `false`.
    pub written: bool,
}

pub(crate) fn call(site: &CallSite, editor: bool, out: &mut Vec<PathUse>) {
    for a in &site.args {
        match a {
            CArg::Path(p) => path(p, editor, out),
            CArg::Expr(n) => node(n, out),
            CArg::Absent | CArg::Lit(_) | CArg::Func(_) => {}
        }
    }
    keys(&site.keys, out);
}

pub(crate) fn node(n: &Node, out: &mut Vec<PathUse>) {
    match n {
        Node::Lit(_) => {}
        Node::Path(p) => path(p, false, out),
        Node::Call(site) => call(site, false, out),
        Node::List(items) => items.iter().for_each(|i| node(i, out)),
        Node::Map(items) => items.iter().for_each(|(_, i)| node(i, out)),
        Node::Math(_, l, r) | Node::Cmp(_, l, r) | Node::And(l, r) | Node::Or(l, r) => {
            node(l, out);
            node(r, out);
        }
        Node::Not(i) => node(i, out),
    }
}

fn path(p: &PathRef, written: bool, out: &mut Vec<PathUse>) {
    if let Target::Ctx(id) = p.target {
        out.push(PathUse { path: id, written });
    }
    keys(&p.keys, out);
}

fn keys(k: &Keys, out: &mut Vec<PathUse>) {
    if let Keys::Dynamic(nodes) = k {
        for n in nodes {
            if let KeyNode::Expr(e) = n {
                node(e, out);
            }
        }
    }
}
