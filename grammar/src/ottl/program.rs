//! Compiled statement and condition lists: what the transform and filter
//! processors hold after a load, and run per item.

use super::ast::{Expr, ExprKind, Statement};
use super::check::{Checker, CompiledStatement};
use super::context::{Context, Schema};
use super::eval::uses::{self, PathUse};
use super::eval::{Eval, Node};
use super::function::{FunctionDef, ParamKind};
use super::parse::{parse_condition, parse_statement};
use super::plan;
use super::ErrorMode;

pub use super::error::{literal_span, OttlError, RunError};

/// The compiled statements of one context, in order. `Send + Sync`: one
/// load is shared by every pipeline worker.
pub struct Statements {
    compiled: Vec<CompiledStatement>,
    sources: Vec<String>,
    /// The block's `conditions`: the statements run on an item only if one
    /// of them holds.
    guard: Option<Conditions>,
}

impl Statements {
    /// Parses and checks every statement; the first error names its
    /// statement's index and the byte range within that statement.
    pub fn compile(schema: &'static Schema, functions: &'static [FunctionDef], sources: &[&str]) -> Result<Statements, OttlError> {
        let checker = Checker { schema, functions };
        let mut compiled = Vec::with_capacity(sources.len());
        for (i, src) in sources.iter().enumerate() {
            let ast = parse_statement(src).map_err(|e| e.at_index(i))?;
            compiled.push(checker.statement(&ast).map_err(|e| e.at_index(i))?);
        }
        Ok(Statements { compiled, sources: sources.iter().map(|s| s.to_string()).collect(), guard: None })
    }

    /// The statements run only on items where at least one of `conditions`
    /// holds (the transform processor's per-block `conditions`, ORed, each
    /// statement's own `where` still applying). None: on every item.
    /// Failures of a condition are numbered after the statements.
    pub fn guard_with(&mut self, conditions: Conditions) {
        self.guard = (!conditions.is_empty()).then_some(conditions);
    }

    /// Runs every statement in order against one item (fresh `cache` per
    /// call). Ignore: errors are pushed to `errors` and the next statement
    /// runs; Silent: dropped; Propagate: returned.
    pub fn execute(&self, ctx: &mut dyn Context, mode: ErrorMode, errors: &mut Vec<RunError>) -> Result<(), RunError> {
        if let Some(guard) = &self.guard {
            let before = errors.len();
            let renumber = |e: &mut RunError| e.index += self.compiled.len();
            let holds = guard.any(ctx, mode, errors).map_err(|mut e| {
                renumber(&mut e);
                e
            })?;
            errors[before..].iter_mut().for_each(renumber);
            if !holds {
                return Ok(());
            }
        }
        let mut ev = Eval::new(ctx);
        for (i, stmt) in self.compiled.iter().enumerate() {
            let run = match &stmt.condition {
                Some(cond) => ev.truth(cond).and_then(|yes| if yes { ev.call(&stmt.editor).map(drop) } else { Ok(()) }),
                None => ev.call(&stmt.editor).map(drop),
            };
            if let Err(message) = run {
                let e = RunError { index: i, message: format!("failed to execute statement: {}, {message}", self.sources[i]) };
                match mode {
                    ErrorMode::Propagate => return Err(e),
                    ErrorMode::Ignore => errors.push(e),
                    ErrorMode::Silent => {}
                }
            }
        }
        Ok(())
    }

    /// The statements' texts, in order, as compiled.
    pub fn sources(&self) -> &[String] {
        &self.sources
    }

    /// Every context path the statements use, editors' targets marked as
    /// written, `where` clauses included.
    pub fn path_uses(&self) -> Vec<PathUse> {
        let mut out = Vec::new();
        for stmt in &self.compiled {
            uses::call(&stmt.editor, true, &mut out);
            if let Some(c) = &stmt.condition {
                uses::node(c, &mut out);
            }
        }
        if let Some(guard) = &self.guard {
            out.extend(guard.path_uses());
        }
        out
    }

    /// Every statement as a [`plan::Step`], in order, if each has one of
    /// the plain shapes and the block has no `conditions`: a context may
    /// then run them itself.
    pub fn steps(&self) -> Option<Vec<plan::Step<'_>>> {
        if self.guard.is_some() {
            return None;
        }
        self.compiled.iter().map(plan::step).collect()
    }

    pub fn len(&self) -> usize {
        self.compiled.len()
    }

    pub fn is_empty(&self) -> bool {
        self.compiled.is_empty()
    }
}

/// Compiled filter conditions of one context.
pub struct Conditions {
    compiled: Vec<Node>,
    sources: Vec<String>,
}

impl Conditions {
    /// Parses and checks every condition (bare boolean expressions).
    pub fn compile(schema: &'static Schema, functions: &'static [FunctionDef], sources: &[&str]) -> Result<Conditions, OttlError> {
        let checker = Checker { schema, functions };
        let mut compiled = Vec::with_capacity(sources.len());
        for (i, src) in sources.iter().enumerate() {
            let ast = parse_condition(src).map_err(|e| e.at_index(i))?;
            compiled.push(checker.condition(&ast).map_err(|e| e.at_index(i))?);
        }
        Ok(Conditions { compiled, sources: sources.iter().map(|s| s.to_string()).collect() })
    }

    /// Whether ANY condition is true (filter semantics). A failing
    /// condition: per mode (ignore/silent count it as false, propagate
    /// returns it).
    pub fn any(&self, ctx: &mut dyn Context, mode: ErrorMode, errors: &mut Vec<RunError>) -> Result<bool, RunError> {
        let mut ev = Eval::new(ctx);
        for (i, cond) in self.compiled.iter().enumerate() {
            match ev.truth(cond) {
                Ok(true) => return Ok(true),
                Ok(false) => {}
                Err(message) => {
                    let e = RunError { index: i, message: format!("failed to eval condition: {}, {message}", self.sources[i]) };
                    match mode {
                        ErrorMode::Propagate => return Err(e),
                        ErrorMode::Ignore => errors.push(e),
                        ErrorMode::Silent => {}
                    }
                }
            }
        }
        Ok(false)
    }

    /// The conditions' texts, in order, as compiled.
    pub fn sources(&self) -> &[String] {
        &self.sources
    }

    /// Every context path the conditions read.
    pub fn path_uses(&self) -> Vec<PathUse> {
        let mut out = Vec::new();
        self.compiled.iter().for_each(|c| uses::node(c, &mut out));
        out
    }

    /// Every condition as a [`plan::Cond`], if each is made of
    /// comparisons of paths and literals.
    pub fn conds(&self) -> Option<Vec<plan::Cond<'_>>> {
        self.compiled.iter().map(plan::cond).collect()
    }

    pub fn len(&self) -> usize {
        self.compiled.len()
    }

    pub fn is_empty(&self) -> bool {
        self.compiled.is_empty()
    }
}

/// The contexts from most to least specific, as the Collector's inference
/// ranks them: a statement list that mentions `span.` and `resource.`
/// paths runs in the span context, where both are reachable.
pub(super) const SPECIFICITY: [&str; 7] = ["log", "datapoint", "metric", "spanevent", "span", "scope", "resource"];

/// Which context a statement list needs, from its path prefixes (the flat
/// form `statements = [...]` with `span.name`, `resource.attributes[...]`):
/// the most specific context any path names, among `candidates`.
pub fn infer_context(sources: &[&str], candidates: &[&'static Schema]) -> Result<&'static Schema, OttlError> {
    let mut best: Option<usize> = None;
    for (i, src) in sources.iter().enumerate() {
        let stmt = parse_statement(src).map_err(|e| e.at_index(i))?;
        let mut prefixes = Vec::new();
        statement_prefixes(&stmt, &mut prefixes);
        // A function of one context (`convert_sum_to_gauge()`, with no
        // path at all) names it too.
        if let Some(def) = super::funcs::table().iter().find(|f| f.name == stmt.editor.name) {
            let own = def.params.iter().filter(|p| matches!(p.kind, ParamKind::Context(_)) && SPECIFICITY.contains(&p.name));
            prefixes.extend(own.map(|p| p.name));
        }
        for p in prefixes {
            let p = if p == "instrumentation_scope" { "scope" } else { p };
            if let Some(rank) = SPECIFICITY.iter().position(|c| *c == p) {
                if candidates.iter().any(|s| s.name == p) {
                    best = Some(best.map_or(rank, |b| b.min(rank)));
                }
            }
        }
    }
    let names: Vec<&str> = candidates.iter().map(|s| s.name).collect();
    let Some(rank) = best else {
        let len = sources.first().map_or(0, |s| s.len());
        return Err(OttlError::new(0..len, "unable to infer a valid context from the statements").with_help(format!(
            "prefix paths with their context, such as `{}.attributes[\"key\"]`; valid contexts: {}",
            names.first().unwrap_or(&"span"),
            names.join(", ")
        )));
    };
    let name = SPECIFICITY[rank];
    candidates.iter().copied().find(|s| s.name == name).ok_or_else(|| OttlError::new(0..0, format!("context \"{name}\" is not available here")))
}

/// The first segment of every multi-segment path in a statement: the
/// candidates for a context prefix.
fn statement_prefixes<'a>(s: &'a Statement, out: &mut Vec<&'a str>) {
    for a in &s.editor.args {
        expr_prefixes(&a.value, out);
    }
    if let Some(c) = &s.condition {
        expr_prefixes(c, out);
    }
}

/// [`statement_prefixes`] for one expression, keys and arguments included.
fn expr_prefixes<'a>(e: &'a Expr, out: &mut Vec<&'a str>) {
    match &e.kind {
        ExprKind::Path(p) => {
            if p.segments.len() > 1 {
                out.push(&p.segments[0].name);
            }
            for s in &p.segments {
                s.keys.iter().for_each(|k| expr_prefixes(k, out));
            }
        }
        ExprKind::Call(c) => {
            c.args.iter().for_each(|a| expr_prefixes(&a.value, out));
            c.keys.iter().for_each(|k| expr_prefixes(k, out));
        }
        ExprKind::List(items) => items.iter().for_each(|i| expr_prefixes(i, out)),
        ExprKind::Map(items) => items.iter().for_each(|(_, _, v)| expr_prefixes(v, out)),
        ExprKind::Binary(_, l, r) => {
            expr_prefixes(l, out);
            expr_prefixes(r, out);
        }
        ExprKind::Not(i) | ExprKind::Paren(i) => expr_prefixes(i, out),
        _ => {}
    }
}
