//! Checking a config without running it: parse, then evaluate every
//! attribute that can be evaluated before any component runs.
//!
//! Attributes that read another component's exports cannot be evaluated
//! until that component is built; for those the check only makes sure the
//! reference names a component that the config declares.

use std::collections::BTreeSet;
use std::sync::Arc;

use solder_syntax::ast::{Body, Expr, ExprKind, Stmt};
use solder_syntax::diagnostic::attach_source;
use solder_syntax::{Diagnostic, Evaluator, Scope, SourceFile};

/// Everything wrong with one file, errors and warnings, in source order.
pub fn check(file: &Arc<SourceFile>) -> Vec<Diagnostic> {
    let mut diags = match solder_syntax::parse(&file.text) {
        Err(diags) => diags,
        Ok(ast) => {
            let components = declared_components(&ast.body);
            let mut diags = Vec::new();
            let scope = Scope::new();
            let mut ev = Evaluator::new(&file.text, &scope);
            check_body(&ast.body, &components, &mut ev, &mut diags);
            diags.append(&mut ev.warnings);
            diags.sort_by_key(|d| d.span.start);
            diags
        }
    };
    attach_source(&mut diags, file);
    diags
}

/// The IDs (`name.label`, or `name` for unlabelled blocks) of top-level blocks.
fn declared_components(body: &Body) -> BTreeSet<String> {
    body.iter()
        .filter_map(|s| match s {
            Stmt::Block(b) => Some(match &b.label {
                Some(l) => format!("{}.{}", b.full_name(), l.value),
                None => b.full_name(),
            }),
            Stmt::Attribute(_) => None,
        })
        .collect()
}

fn check_body(body: &Body, components: &BTreeSet<String>, ev: &mut Evaluator<'_>, diags: &mut Vec<Diagnostic>) {
    for stmt in body {
        match stmt {
            Stmt::Block(b) => check_body(&b.body, components, ev, diags),
            Stmt::Attribute(a) => {
                let refs = component_references(&a.value, components, diags);
                if !refs {
                    if let Err(d) = ev.eval(&a.value) {
                        diags.push(d);
                    }
                }
            }
        }
    }
}

/// Reports references to undeclared components; true if the expression
/// reads any component's exports (and so cannot be evaluated yet).
fn component_references(expr: &Expr, components: &BTreeSet<String>, diags: &mut Vec<Diagnostic>) -> bool {
    let roots: BTreeSet<&str> = components.iter().filter_map(|c| c.split('.').next()).collect();
    let mut found = false;
    let mut seen: Vec<solder_syntax::Span> = Vec::new();
    expr.walk(&mut |e| {
        // Only the outermost access chain of a reference is of interest;
        // the walk visits its inner prefixes afterwards, and they are skipped.
        let ExprKind::Access { .. } = e.kind else { return };
        if seen.iter().any(|s| s.start <= e.span.start && e.span.end <= s.end) {
            return;
        }
        let Some(path) = e.reference_path() else { return };
        seen.push(e.span);
        let Some(root) = path.first() else { return };
        if !roots.contains(root.name.as_str()) || solder_syntax::stdlib::lookup(&root.name).is_some() {
            return;
        }
        found = true;
        let mut joined = String::new();
        let mut resolved = false;
        for part in &path {
            if !joined.is_empty() {
                joined.push('.');
            }
            joined.push_str(&part.name);
            resolved |= components.contains(&joined);
        }
        if !resolved && !components.iter().any(|c| c.starts_with(&format!("{joined}."))) {
            let span = root.span.to(path.last().map_or(root.span, |p| p.span));
            let d = Diagnostic::error(span, format!("component {joined:?} does not exist or is out of scope"));
            let names: Vec<String> = path.iter().map(|p| p.name.clone()).collect();
            diags.push(match crate::runtime::loader::nearest_component(&names, components.iter().map(String::as_str)) {
                Some(n) => d.with_help(format!("did you mean {n:?}?")),
                None => d,
            });
        }
    });
    found
}
