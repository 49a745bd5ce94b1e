//! A block body after evaluation: attributes hold values, blocks hold
//! bodies, and everything keeps its span so decoding errors can point at
//! the character that caused them.

use solder_syntax::ast::{self, ExprKind, Literal, Stmt};
use solder_syntax::{Diagnostic, Evaluator, Span, Value};

#[derive(Debug, Clone, PartialEq)]
pub struct EvalBody {
    pub items: Vec<Item>,
    /// Where the body's block name is, for "missing required attribute".
    pub span: Span,
}

/// How an attribute's value was written, as far as errors inside it need:
/// an error about one list element (`statements[2]`) points at that
/// element, and one about a place inside a string literal (the bad token
/// of an OTTL statement) at that character, escapes and all.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Written {
    /// A string literal: its text as written, quotes included, which
    /// starts at `start` in the file.
    Str { start: usize, text: String },
    /// A list literal: each element's span and how it was written.
    List(Vec<(Span, Written)>),
    /// Anything else (a reference, a call, a number): only its span.
    #[default]
    Other,
}

impl Written {
    fn of(expr: &ast::Expr, src: &str) -> Written {
        match &expr.kind {
            ExprKind::Literal(Literal::String(_)) => match src.get(expr.span.start..expr.span.end) {
                Some(text) => Written::Str { start: expr.span.start, text: text.to_string() },
                None => Written::Other,
            },
            ExprKind::Array(items) => Written::List(items.iter().map(|e| (e.span, Written::of(e, src))).collect()),
            ExprKind::Paren(inner) => Written::of(inner, src),
            _ => Written::Other,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Attribute { name: String, name_span: Span, value: Value, value_span: Span, written: Written },
    Block { name: String, name_span: Span, label: Option<String>, body: EvalBody },
}

impl Item {
    pub fn name(&self) -> &str {
        match self {
            Item::Attribute { name, .. } | Item::Block { name, .. } => name,
        }
    }

    pub fn name_span(&self) -> Span {
        match self {
            Item::Attribute { name_span, .. } | Item::Block { name_span, .. } => *name_span,
        }
    }
}

/// Evaluates every attribute of a body, nested blocks included. Collects
/// every error rather than stopping at the first.
pub fn evaluate(ev: &mut Evaluator<'_>, body: &ast::Body, span: Span) -> Result<EvalBody, Vec<Diagnostic>> {
    let mut items = Vec::with_capacity(body.len());
    let mut errors = Vec::new();
    for stmt in body {
        match stmt {
            Stmt::Attribute(a) => match ev.eval(&a.value) {
                Ok(value) => items.push(Item::Attribute {
                    name: a.name.name.clone(),
                    name_span: a.name.span,
                    value,
                    value_span: a.value.span,
                    written: Written::of(&a.value, ev.source()),
                }),
                Err(d) => errors.push(d),
            },
            Stmt::Block(b) => match evaluate(ev, &b.body, b.name_span()) {
                Ok(inner) => {
                    items.push(Item::Block { name: b.full_name(), name_span: b.name_span(), label: b.label.as_ref().map(|l| l.value.clone()), body: inner })
                }
                Err(mut d) => errors.append(&mut d),
            },
        }
    }
    if errors.is_empty() {
        Ok(EvalBody { items, span })
    } else {
        Err(errors)
    }
}

impl EvalBody {
    /// Where the argument at `path` is written: an attribute's value, or a
    /// block's name. Segments are separated by `.`; `name[n]` is the n-th
    /// block called `name`, or element n of a list attribute written as a
    /// list literal. A segment that is not written stops the walk at the
    /// closest enclosing block, which is where a missing argument belongs.
    pub fn span_of(&self, path: &str) -> Span {
        self.locate(path).0
    }

    /// As [`EvalBody::span_of`], narrowed to the bytes `within` of the
    /// string the path names (offsets into its decoded value), when that
    /// string is written as a literal: a caret under one token of it.
    pub fn span_within(&self, path: &str, within: std::ops::Range<usize>) -> Span {
        match self.locate(path) {
            (_, Some(Written::Str { start, text })) => {
                let from = start + solder_syntax::literal::source_offset(text, within.start);
                let to = start + solder_syntax::literal::source_offset(text, within.end.max(within.start));
                Span::new(from, to.max(from))
            }
            (span, _) => span,
        }
    }

    /// The span `path` names and, for an attribute (or element), how it
    /// was written.
    fn locate(&self, path: &str) -> (Span, Option<&Written>) {
        let mut body = self;
        let mut span = self.span;
        for segment in path.split('.').filter(|s| !s.is_empty()) {
            let (name, nth) = match segment.strip_suffix(']').and_then(|s| s.split_once('[')) {
                Some((name, n)) => (name, Some(n.parse::<usize>().unwrap_or(0))),
                None => (segment, None),
            };
            let mut named = body.items.iter().filter(|i| i.name() == name);
            if let (Some(Item::Attribute { value_span, written, .. }), Some(n)) = (named.clone().next(), nth) {
                return match written {
                    Written::List(elements) => elements.get(n).map_or((*value_span, None), |(s, w)| (*s, Some(w))),
                    _ => (*value_span, None),
                };
            }
            match named.nth(nth.unwrap_or(0)) {
                Some(Item::Attribute { value_span, written, .. }) => return (*value_span, Some(written)),
                Some(Item::Block { name_span, body: inner, .. }) => {
                    span = *name_span;
                    body = inner;
                }
                None => return (span, None),
            }
        }
        (span, None)
    }
}

impl EvalBody {
    /// Makes every string assigned to an argument the component types as a
    /// secret a secret value, as Alloy does: whatever its source (a
    /// literal, `sys.env`, a plain `local.file`), it then prints as
    /// `(secret)` in the API, the UI and logs. Decoding is unchanged: a
    /// secret argument takes either.
    pub fn seal_secrets(&mut self, schema: &crate::decode::Schema) {
        seal(self, schema, "");
    }
}

fn seal(body: &mut EvalBody, schema: &crate::decode::Schema, prefix: &str) {
    for item in &mut body.items {
        match item {
            Item::Attribute { name, value, .. } => {
                if schema.is_secret(&join(prefix, name)) {
                    seal_value(value);
                }
            }
            Item::Block { name, body, .. } => seal(body, schema, &join(prefix, name)),
        }
    }
}

fn seal_value(value: &mut Value) {
    match value {
        Value::String(s) => *value = Value::Secret(solder_syntax::value::Secret::new(std::mem::take(s))),
        Value::Object(fields) => fields.values_mut().for_each(seal_value),
        // A list of secrets (`http_headers`' values), inside a map or not.
        Value::Array(items) => items.iter_mut().for_each(seal_value),
        _ => {}
    }
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

#[cfg(test)]
mod tests {
    use solder_syntax::Scope;

    use crate::component::ArgumentError;
    use crate::harness::evaluate;

    /// The text an argument error points at in `args`.
    fn pointed<'a>(src: &'a str, err: &ArgumentError) -> &'a str {
        let body = evaluate("otelcol.processor.transform", src, &Scope::default()).unwrap();
        // `evaluate` wraps the body in a block on the line before it.
        let offset = "otelcol.processor.transform \"test\" {\n".len();
        let span = err.at(&body).span;
        &src[span.start - offset..span.end - offset]
    }

    /// `statements[n]` is element n of a list literal, in the n-th block
    /// named by the path before it.
    #[test]
    fn a_path_names_one_list_element() {
        let src = "trace_statements {\n  statements = [\"a\", \"b\"]\n}\ntrace_statements {\n  statements = [`x`, `y`, `zz`]\n}";
        assert_eq!(pointed(src, &ArgumentError::new("trace_statements[1].statements[2]", "bad")), "`zz`");
        assert_eq!(pointed(src, &ArgumentError::new("trace_statements[0].statements[1]", "bad")), "\"b\"");
        assert_eq!(pointed(src, &ArgumentError::new("trace_statements[1].statements", "bad")), "[`x`, `y`, `zz`]");
        assert_eq!(pointed(src, &ArgumentError::new("trace_statements[1].statements[9]", "bad")), "[`x`, `y`, `zz`]", "no such element: the list");
    }

    /// `within` narrows to the characters that wrote those bytes of the
    /// value, escapes included.
    #[test]
    fn within_points_inside_a_string_literal_through_its_escapes() {
        let src = "statements {\n  trace = [\"set(attributes[\\\"k\\\"], nme)\", `set(x, nme)`]\n}";
        // Value 0: `set(attributes["k"], nme)`; `nme` is at 21..24.
        assert_eq!(pointed(src, &ArgumentError::new("statements.trace[0]", "bad").within(21..24)), "nme");
        assert_eq!(pointed(src, &ArgumentError::new("statements.trace[0]", "bad").within(15..18)), "\\\"k\\\"");
        assert_eq!(pointed(src, &ArgumentError::new("statements.trace[1]", "bad").within(7..10)), "nme");
        assert_eq!(pointed(src, &ArgumentError::new("statements.trace[1]", "bad").within(11..11)), "", "an empty range stays empty, at the end");
    }
}
