//! The formatter's promises, as functions that tests and fuzzers can call:
//! the output parses, means the same, keeps every comment and is a fixed
//! point.

use crate::ast::{Body, Expr, ExprKind, Field, File, Stmt};

use super::printer::comment_text;

/// Formats `src` and checks the result against every promise of
/// [`format`](super::format). Returns the formatted text, or what broke.
/// Input that does not parse is reported as an error too; callers that
/// generate arbitrary text should parse first and skip what fails.
///
/// ```
/// use solder_syntax::format::check_round_trip;
///
/// let out = check_round_trip("a = [1, /* one */\n  2,\n]\nb = (1 +\n 2) // sum\n").unwrap();
/// // Each item stays on the line it was written on, as in Alloy's printer.
/// assert_eq!(out, "a = [1, /* one */\n\t2,\n]\nb = (1 + 2) // sum\n");
/// assert!(check_round_trip("a = ").unwrap_err().starts_with("input does not parse"));
/// ```
pub fn check_round_trip(src: &str) -> Result<String, String> {
    let file = crate::parse(src).map_err(|d| format!("input does not parse: {}", messages(&d)))?;
    let out = super::format(&file, src);
    let again = crate::parse(&out).map_err(|d| format!("output does not parse: {}\n--- output ---\n{out}", messages(&d)))?;
    if !same_tree(&file.body, &again.body) {
        return Err(format!("output means something else than the input\n--- output ---\n{out}"));
    }
    let before = comment_texts(&file);
    let after = comment_texts(&again);
    if before != after {
        return Err(format!("comments changed\n  before: {before:?}\n  after:  {after:?}\n--- output ---\n{out}"));
    }
    let twice = super::format(&again, &out);
    if twice != out {
        return Err(format!("formatting is not idempotent\n--- once ---\n{out}--- twice ---\n{twice}"));
    }
    Ok(out)
}

/// Every comment of a file as the formatter prints it (trailing white
/// space dropped from each line), in source order.
pub fn comment_texts(file: &File) -> Vec<String> {
    let mut comments: Vec<_> = file.comments.iter().collect();
    comments.sort_by_key(|c| c.span.start);
    comments.into_iter().map(comment_text).collect()
}

/// Whether two bodies are the same tree, ignoring spans: the same
/// statements, names, labels, operators, literal values and parentheses.
pub fn same_tree(a: &Body, b: &Body) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(a, b)| same_stmt(a, b))
}

fn same_stmt(a: &Stmt, b: &Stmt) -> bool {
    match (a, b) {
        (Stmt::Attribute(a), Stmt::Attribute(b)) => a.name.name == b.name.name && same_expr(&a.value, &b.value),
        (Stmt::Block(a), Stmt::Block(b)) => {
            a.full_name() == b.full_name() && a.label.as_ref().map(|l| &l.value) == b.label.as_ref().map(|l| &l.value) && same_tree(&a.body, &b.body)
        }
        _ => false,
    }
}

fn same_expr(a: &Expr, b: &Expr) -> bool {
    use ExprKind as K;
    match (&a.kind, &b.kind) {
        (K::Literal(x), K::Literal(y)) => x == y,
        (K::Ident(x), K::Ident(y)) => x.name == y.name,
        (K::Array(x), K::Array(y)) => same_exprs(x, y),
        (K::Object(x), K::Object(y)) => x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_field(x, y)),
        (K::Access { value: v1, name: n1 }, K::Access { value: v2, name: n2 }) => n1.name == n2.name && same_expr(v1, v2),
        (K::Index { value: v1, index: i1 }, K::Index { value: v2, index: i2 }) => same_expr(v1, v2) && same_expr(i1, i2),
        (K::Call { func: f1, args: a1 }, K::Call { func: f2, args: a2 }) => same_expr(f1, f2) && same_exprs(a1, a2),
        (K::Unary { op: o1, operand: x, .. }, K::Unary { op: o2, operand: y, .. }) => o1 == o2 && same_expr(x, y),
        (K::Binary { op: o1, left: l1, right: r1, .. }, K::Binary { op: o2, left: l2, right: r2, .. }) => o1 == o2 && same_expr(l1, l2) && same_expr(r1, r2),
        (K::Paren(x), K::Paren(y)) => same_expr(x, y),
        _ => false,
    }
}

fn same_exprs(a: &[Expr], b: &[Expr]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(a, b)| same_expr(a, b))
}

fn same_field(a: &Field, b: &Field) -> bool {
    a.name == b.name && a.quoted == b.quoted && same_expr(&a.value, &b.value)
}

fn messages(diags: &[crate::Diagnostic]) -> String {
    diags.iter().map(|d| d.message.as_str()).collect::<Vec<_>>().join("; ")
}
