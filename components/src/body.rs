//! A block body after evaluation: attributes hold values, blocks hold
//! bodies, and everything keeps its span so decoding errors can point at
//! the character that caused them.

use solder_syntax::ast::{self, Stmt};
use solder_syntax::{Diagnostic, Evaluator, Span, Value};

#[derive(Debug, Clone, PartialEq)]
pub struct EvalBody {
    pub items: Vec<Item>,
    /// Where the body's block name is, for "missing required attribute".
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Attribute { name: String, name_span: Span, value: Value, value_span: Span },
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
                Ok(value) => items.push(Item::Attribute { name: a.name.name.clone(), name_span: a.name.span, value, value_span: a.value.span }),
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
    /// block called `name`. A segment that is not written stops the walk
    /// at the closest enclosing block, which is where a missing argument
    /// belongs.
    pub fn span_of(&self, path: &str) -> Span {
        let mut body = self;
        let mut span = self.span;
        for segment in path.split('.').filter(|s| !s.is_empty()) {
            let (name, nth) = match segment.strip_suffix(']').and_then(|s| s.split_once('[')) {
                Some((name, n)) => (name, n.parse::<usize>().unwrap_or(0)),
                None => (segment, 0),
            };
            match body.items.iter().filter(|i| i.name() == name).nth(nth) {
                Some(Item::Attribute { value_span, .. }) => return *value_span,
                Some(Item::Block { name_span, body: inner, .. }) => {
                    span = *name_span;
                    body = inner;
                }
                None => return span,
            }
        }
        span
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
