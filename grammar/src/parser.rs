//! Parsing: source text → [`File`], or every syntax error found in one pass.

use std::cell::RefCell;
use std::sync::LazyLock;

use pest::iterators::Pair;
use pest::pratt_parser::{Assoc, Op, PrattParser};
use pest::Parser as _;

use crate::ast::*;
use crate::diagnostic::Diagnostic;
use crate::fast_parser;
use crate::literal;
use crate::parse_error;
use crate::scanner;
use crate::span::Span;

#[derive(pest_derive::Parser)]
#[grammar = "../alloy.pest"]
pub(crate) struct AlloyParser;

/// Operator precedence, loosest first; each `.op` binds tighter than the
/// one before. Unary operators bind tighter than `^`, so `-2 ^ 2` is 4.
static PRATT: LazyLock<PrattParser<Rule>> = LazyLock::new(|| {
    PrattParser::new()
        .op(Op::infix(Rule::or, Assoc::Left))
        .op(Op::infix(Rule::and, Assoc::Left))
        .op(Op::infix(Rule::eq, Assoc::Left)
            | Op::infix(Rule::neq, Assoc::Left)
            | Op::infix(Rule::lt, Assoc::Left)
            | Op::infix(Rule::lte, Assoc::Left)
            | Op::infix(Rule::gt, Assoc::Left)
            | Op::infix(Rule::gte, Assoc::Left))
        .op(Op::infix(Rule::add, Assoc::Left) | Op::infix(Rule::sub, Assoc::Left))
        .op(Op::infix(Rule::mul, Assoc::Left) | Op::infix(Rule::div, Assoc::Left) | Op::infix(Rule::modulo, Assoc::Left))
        .op(Op::infix(Rule::pow, Assoc::Right))
        .op(Op::prefix(Rule::not) | Op::prefix(Rule::neg))
        .op(Op::postfix(Rule::access) | Op::postfix(Rule::index) | Op::postfix(Rule::call) | Op::postfix(Rule::misused_block))
});

/// Parses a whole file.
///
/// On failure it returns every error it could find, at most one per line,
/// sorted by position: lexical errors from the scanner, the grammar failure,
/// and further failures found by resuming on the following lines.
///
/// ```
/// use solder_syntax::ast::Stmt;
///
/// let file = solder_syntax::parse("// the agent's own log\nlogging {\n  level = \"debug\"\n}\n").unwrap();
/// assert_eq!(file.body.len(), 1);
/// assert!(matches!(&file.body[0], Stmt::Block(b) if b.full_name() == "logging"));
/// // Comments are kept beside the tree, for the formatter.
/// assert_eq!(file.comments[0].text, "// the agent's own log");
///
/// // Two broken lines, two errors, in order; the line between is fine.
/// let src = "a = [1 2]\nb = 2\nc = \"open\n";
/// let errors = solder_syntax::parse(src).unwrap_err();
/// let file = solder_syntax::SourceFile::new("x.alloy", src);
/// let lines: Vec<usize> = errors.iter().map(|e| file.line_col(e.span.start).0).collect();
/// assert_eq!(lines, [1, 3], "{errors:?}");
/// ```
pub fn parse(src: &str) -> Result<File, Vec<Diagnostic>> {
    let scanned = scanner::scan(src);
    if scanned.too_deep {
        // Every parser and tree walk recurses with nesting; stop here.
        return Err(parse_error::one_per_line(src, scanned.errors));
    }
    let comments = comments(src, &scanned);
    if scanned.errors.is_empty() {
        if let Ok(body) = fast_parser::parse(src, &scanned.tokens) {
            return Ok(File { body, comments });
        }
    }
    parse_with_pest(src, &scanned, comments)
}

fn comments(src: &str, scanned: &scanner::Scanned) -> Vec<Comment> {
    scanned.comments.iter().map(|&span| Comment { text: src[span.range()].trim_end_matches('\r').to_string(), span }).collect()
}

/// The grammar of record: the tree for input the fast path turned down (if
/// pest accepts it after all), or every diagnostic.
fn parse_with_pest(src: &str, scanned: &scanner::Scanned, comments: Vec<Comment>) -> Result<File, Vec<Diagnostic>> {
    let mut diags = scanned.errors.clone();
    let file = match AlloyParser::parse(Rule::file, src) {
        Ok(mut pairs) => {
            let builder = Builder::default();
            let body = pairs.next().map(|file| builder.body(file.into_inner())).unwrap_or_default();
            diags.extend(builder.diags.into_inner());
            Some(File { body, comments })
        }
        Err(err) => {
            // A lexical error explains its line better than the grammar
            // failure it causes, and an unterminated string or comment
            // swallows the text after it: keep only the lexical error there.
            let lexical = &scanned.errors;
            let grammar = parse_error::recover(src, scanned, err).into_iter().filter(|g| {
                !lexical.iter().any(|l| same_line(src, l.span.start, g.span.start) || (l.span.start <= g.span.start && g.span.start <= l.span.end))
            });
            diags.extend(grammar);
            None
        }
    };
    let diags = parse_error::one_per_line(src, diags);
    match file {
        Some(file) if diags.is_empty() => Ok(file),
        _ => Err(diags),
    }
}

/// Parses a single expression, for tools and tests that evaluate one value.
pub fn parse_expression(src: &str) -> Result<Expr, Vec<Diagnostic>> {
    let wrapped = format!("x = {src}");
    let file = parse(&wrapped).map_err(|diags| {
        diags
            .into_iter()
            .map(|mut d| {
                d.span = Span::new(d.span.start.saturating_sub(4), d.span.end.saturating_sub(4));
                d
            })
            .collect::<Vec<_>>()
    })?;
    match file.body.into_iter().next() {
        Some(Stmt::Attribute(attr)) => Ok(shift_expr(attr.value, 4)),
        _ => Err(vec![Diagnostic::error(Span::at(0), "expected expression")]),
    }
}

/// Builds AST nodes from pest pairs, collecting the semantic syntax errors
/// that the grammar accepts on purpose so it can explain them.
#[derive(Default)]
pub(crate) struct Builder {
    pub(crate) diags: RefCell<Vec<Diagnostic>>,
}

impl Builder {
    fn error(&self, d: Diagnostic) {
        self.diags.borrow_mut().push(d);
    }

    pub(crate) fn body<'i>(&self, pairs: impl Iterator<Item = Pair<'i, Rule>>) -> Body {
        pairs.filter_map(|p| self.stmt(p)).collect()
    }

    pub(crate) fn stmt(&self, pair: Pair<'_, Rule>) -> Option<Stmt> {
        let span = Span::from(pair.as_span());
        match pair.as_rule() {
            Rule::attribute => {
                let mut inner = children(pair);
                let name = ident(inner.next()?);
                let value = self.expr(inner.next()?);
                // From the name to the end of the value: pest's pair can take
                // in trailing white space before a multi-line comment.
                let span = name.span.to(value.span);
                Some(Stmt::Attribute(Attribute { name, value, span }))
            }
            Rule::block => {
                let mut name = Vec::new();
                let mut label = None;
                let mut body = Vec::new();
                for p in children(pair) {
                    match p.as_rule() {
                        Rule::block_name => name = children(p).map(ident).collect(),
                        Rule::label => label = Some(self.label(p)),
                        Rule::block_body => body = self.body(children(p)),
                        _ => {}
                    }
                }
                let close = Span::new(span.end.saturating_sub(1), span.end);
                Some(Stmt::Block(Block { name, label, body, span, close }))
            }
            Rule::dotted_attribute => {
                self.dotted_attribute(pair);
                None
            }
            _ => None,
        }
    }

    fn dotted_attribute(&self, pair: Pair<'_, Rule>) {
        for p in children(pair) {
            match p.as_rule() {
                Rule::block_name if children(p.clone()).count() > 1 => self.error(
                    Diagnostic::error(p.as_span().into(), r#"attribute names may only consist of a single identifier with no ".""#)
                        .with_help("to set a field inside a block, write the block: `name { field = value }`"),
                ),
                Rule::label => self.error(
                    Diagnostic::error(p.as_span().into(), "attribute names may not have labels")
                        .with_help("remove the label, or use `{` instead of `=` to declare a block"),
                ),
                Rule::expr => {
                    self.expr(p);
                }
                _ => {}
            }
        }
    }

    /// Alloy takes a label as written between its quotes, without decoding
    /// escapes, and requires that text to be an identifier.
    fn label(&self, pair: Pair<'_, Rule>) -> Label {
        let span = Span::from(pair.as_span());
        let text = pair.as_str();
        if text.starts_with('`') {
            self.error(
                Diagnostic::error(span, format!("expected block label to be a double quoted string, but got {text:?}"))
                    .with_help("write the label in double quotes"),
            );
        }
        let value = label_text(text).to_string();
        if !value.is_empty() && !scanner::is_valid_identifier(&value) {
            self.error(
                Diagnostic::error(span, format!("expected block label to be a valid identifier, but got {}", literal::quote(&value)))
                    .with_help(format!("labels are made of letters, digits and underscores; try {}", literal::quote(&suggest_label(&value)))),
            );
        }
        Label { value, span }
    }

    pub(crate) fn expr(&self, pair: Pair<'_, Rule>) -> Expr {
        PRATT
            .map_primary(|p| self.primary(p))
            .map_prefix(|op, operand| {
                let op_span = Span::from(op.as_span());
                let op = if op.as_rule() == Rule::not { UnaryOp::Not } else { UnaryOp::Neg };
                Expr { span: op_span.to(operand.span), kind: ExprKind::Unary { op, op_span, operand: Box::new(operand) } }
            })
            .map_postfix(|value, op| self.postfix(value, op))
            .map_infix(|left, op, right| {
                let op_span = Span::from(op.as_span());
                let op = binary_op(op.as_rule());
                Expr { span: left.span.to(right.span), kind: ExprKind::Binary { op, op_span, left: Box::new(left), right: Box::new(right) } }
            })
            .parse(children(pair))
    }

    fn primary(&self, pair: Pair<'_, Rule>) -> Expr {
        let span = Span::from(pair.as_span());
        let kind = match pair.as_rule() {
            Rule::null => ExprKind::Literal(Literal::Null),
            Rule::boolean => ExprKind::Literal(Literal::Bool(pair.as_str() == "true")),
            Rule::number => ExprKind::Literal(Literal::Number(pair.as_str().to_string())),
            Rule::string | Rule::raw_string => {
                // Escape errors were reported by the scanner, at the escape.
                ExprKind::Literal(Literal::String(literal::unquote(pair.as_str()).unwrap_or_default()))
            }
            Rule::ident => ExprKind::Ident(ident(pair)),
            Rule::paren => match children(pair).next() {
                Some(inner) => ExprKind::Paren(Box::new(self.expr(inner))),
                None => ExprKind::Literal(Literal::Null),
            },
            Rule::array => ExprKind::Array(children(pair).map(|p| self.expr(p)).collect()),
            Rule::object => ExprKind::Object(children(pair).filter_map(|p| self.field(p)).collect()),
            _ => ExprKind::Literal(Literal::Null),
        };
        Expr { kind, span }
    }

    fn field(&self, pair: Pair<'_, Rule>) -> Option<Field> {
        let mut inner = children(pair);
        let key = inner.next()?;
        let name_span = Span::from(key.as_span());
        let quoted = matches!(key.as_rule(), Rule::string | Rule::raw_string);
        let name = if quoted { literal::unquote(key.as_str()).unwrap_or_default() } else { key.as_str().to_string() };
        let value = self.expr(inner.next()?);
        Some(Field { name, name_span, quoted, value })
    }

    fn postfix(&self, value: Expr, op: Pair<'_, Rule>) -> Expr {
        let op_span = Span::from(op.as_span());
        let span = value.span.to(op_span);
        let kind = match op.as_rule() {
            Rule::access => match children(op).next() {
                Some(name) => ExprKind::Access { value: Box::new(value), name: ident(name) },
                None => return value,
            },
            Rule::index => match children(op).next() {
                Some(index) => ExprKind::Index { value: Box::new(value), index: Box::new(self.expr(index)) },
                None => return value,
            },
            Rule::call => ExprKind::Call { func: Box::new(value), args: children(op).map(|p| self.expr(p)).collect() },
            _ => {
                self.error(
                    Diagnostic::error(span, "cannot use a block as an expression")
                        .with_help("blocks are statements of their own; to assign a value, use an object literal `{ key = value }`"),
                );
                return value;
            }
        };
        Expr { kind, span }
    }
}

fn same_line(src: &str, a: usize, b: usize) -> bool {
    let (lo, hi) = (a.min(b).min(src.len()), a.max(b).min(src.len()));
    !src.as_bytes()[lo..hi].contains(&b'\n')
}

/// A pair's children without the multi-line comments the grammar leaves
/// in the tree (see `multiline_comment` in alloy.pest).
fn children<'i>(pair: Pair<'i, Rule>) -> impl Iterator<Item = Pair<'i, Rule>> {
    pair.into_inner().filter(|p| p.as_rule() != Rule::multiline_comment)
}

/// The text between a label's quotes.
pub(crate) fn label_text(quoted: &str) -> &str {
    quoted.get(1..quoted.len().saturating_sub(1)).unwrap_or("")
}

fn ident(pair: Pair<'_, Rule>) -> Ident {
    Ident { name: pair.as_str().to_string(), span: pair.as_span().into() }
}

fn binary_op(rule: Rule) -> BinaryOp {
    match rule {
        Rule::or => BinaryOp::Or,
        Rule::and => BinaryOp::And,
        Rule::eq => BinaryOp::Eq,
        Rule::neq => BinaryOp::Neq,
        Rule::lt => BinaryOp::Lt,
        Rule::lte => BinaryOp::Lte,
        Rule::gt => BinaryOp::Gt,
        Rule::gte => BinaryOp::Gte,
        Rule::add => BinaryOp::Add,
        Rule::sub => BinaryOp::Sub,
        Rule::mul => BinaryOp::Mul,
        Rule::div => BinaryOp::Div,
        Rule::modulo => BinaryOp::Mod,
        _ => BinaryOp::Pow,
    }
}

/// A label close to what the user wrote that is a valid identifier.
fn suggest_label(value: &str) -> String {
    let mut out: String = value.chars().map(|c| if scanner::is_ident_char(c) { c } else { '_' }).collect();
    if !out.starts_with(scanner::is_ident_start) {
        out.insert(0, '_');
    }
    out
}

fn shift_expr(mut e: Expr, by: usize) -> Expr {
    fn shift(span: &mut Span, by: usize) {
        span.start -= by;
        span.end -= by;
    }
    fn visit(e: &mut Expr, by: usize) {
        shift(&mut e.span, by);
        match &mut e.kind {
            ExprKind::Literal(_) => {}
            ExprKind::Ident(id) => shift(&mut id.span, by),
            ExprKind::Array(items) => items.iter_mut().for_each(|i| visit(i, by)),
            ExprKind::Object(fields) => fields.iter_mut().for_each(|f| {
                shift(&mut f.name_span, by);
                visit(&mut f.value, by)
            }),
            ExprKind::Access { value, name } => {
                visit(value, by);
                shift(&mut name.span, by);
            }
            ExprKind::Index { value, index } => {
                visit(value, by);
                visit(index, by);
            }
            ExprKind::Call { func, args } => {
                visit(func, by);
                args.iter_mut().for_each(|a| visit(a, by));
            }
            ExprKind::Unary { op_span, operand, .. } => {
                shift(op_span, by);
                visit(operand, by);
            }
            ExprKind::Binary { op_span, left, right, .. } => {
                shift(op_span, by);
                visit(left, by);
                visit(right, by);
            }
            ExprKind::Paren(inner) => visit(inner, by),
        }
    }
    visit(&mut e, by);
    e
}

/// Parses with the pest grammar alone, skipping the fast path. For the
/// differential test and the benchmark that compares the two.
#[doc(hidden)]
pub fn parse_reference(src: &str) -> Result<File, Vec<Diagnostic>> {
    let scanned = scanner::scan(src);
    if scanned.too_deep {
        return Err(parse_error::one_per_line(src, scanned.errors));
    }
    let comments = comments(src, &scanned);
    parse_with_pest(src, &scanned, comments)
}
