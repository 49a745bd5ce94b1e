//! Statement and condition text → [`ast`](super::ast), or one
//! [`OttlError`] under the offending token.
//!
//! pest reports the rules it hoped for; [`phrase`] names each rule the way
//! a user reads it (one exhaustive `match`, so a new rule cannot ship
//! without a name), and [`expectation`] looks at the open brackets before
//! the failure to say what could close it.

use std::sync::LazyLock;

use pest::error::{ErrorVariant, InputLocation};
use pest::iterators::Pair;
use pest::pratt_parser::{Assoc, Op, PrattParser};
use pest::Parser as _;

use super::ast::*;
use super::error::OttlError;
use crate::span::Span;

#[derive(pest_derive::Parser)]
#[grammar = "ottl/ottl.pest"]
struct OttlParser;

/// Deeper nesting than this is refused before pest or the tree walks
/// recurse into it; no real statement comes close.
const MAX_DEPTH: usize = 64;

/// Loosest first. `not` sits between `and` and the comparisons, so
/// `not a == b` negates the comparison, as in the Collector's grammar.
static PRATT: LazyLock<PrattParser<Rule>> = LazyLock::new(|| {
    PrattParser::new()
        .op(Op::infix(Rule::or, Assoc::Left))
        .op(Op::infix(Rule::and, Assoc::Left))
        .op(Op::prefix(Rule::not))
        .op(Op::infix(Rule::eq, Assoc::Left)
            | Op::infix(Rule::ne, Assoc::Left)
            | Op::infix(Rule::lt, Assoc::Left)
            | Op::infix(Rule::le, Assoc::Left)
            | Op::infix(Rule::gt, Assoc::Left)
            | Op::infix(Rule::ge, Assoc::Left))
        .op(Op::infix(Rule::add, Assoc::Left) | Op::infix(Rule::sub, Assoc::Left))
        .op(Op::infix(Rule::mul, Assoc::Left) | Op::infix(Rule::div, Assoc::Left))
});

type Built<T> = Result<T, OttlError>;

/// Parses one transform statement: `editor(args)` with an optional
/// `where` clause.
///
/// ```
/// use solder_syntax::ottl::parse::parse_statement;
///
/// let s = parse_statement(r#"set(attributes["env"], "prod") where name == "GET /""#).unwrap();
/// assert_eq!(s.editor.name, "set");
/// assert!(s.condition.is_some());
/// let err = parse_statement("set(attributes[\"env\"], )").unwrap_err();
/// assert_eq!(err.span, 23..24);
/// ```
pub fn parse_statement(src: &str) -> Built<Statement> {
    precheck(src)?;
    let pair = OttlParser::parse(Rule::statement, src).map_err(|e| translate(src, e))?.next();
    let Some(pair) = pair else { return Err(err(Span::at(0), "empty statement")) };
    let span = span_of(&pair);
    let mut editor = None;
    let mut condition = None;
    for p in pair.into_inner() {
        match p.as_rule() {
            Rule::call => editor = Some(call(p)?),
            Rule::expr => condition = Some(expr(p)?),
            _ => {}
        }
    }
    let Some(editor) = editor else { return Err(err(Span::at(0), "expected an editor invocation")) };
    let stmt = Statement { editor, condition, span };
    Ok(stmt)
}

/// Parses one condition: a bare boolean expression (the filter
/// processor's form, and a `where` clause on its own).
pub fn parse_condition(src: &str) -> Built<Expr> {
    precheck(src)?;
    let pair = OttlParser::parse(Rule::condition, src).map_err(|e| translate(src, e))?.next();
    let inner = pair.and_then(|p| p.into_inner().find(|p| p.as_rule() == Rule::expr));
    match inner {
        Some(p) => expr(p),
        None => Err(err(Span::at(0), "empty condition")),
    }
}

fn err(span: Span, message: impl Into<String>) -> OttlError {
    OttlError { index: 0, span: span.range(), message: message.into(), help: None }
}

fn span_of(p: &Pair<'_, Rule>) -> Span {
    let s = p.as_span();
    Span::new(s.start(), s.end())
}

/// Refuses nesting that would take the recursive parser and tree walks
/// too deep: brackets and `not`s, counted outside strings.
fn precheck(src: &str) -> Built<()> {
    let bytes = src.as_bytes();
    let mut depth = 0usize;
    let mut nots = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => i = string_end(bytes, i),
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            b'n' if src[i..].starts_with("not") && (i == 0 || !is_ident_byte(bytes[i - 1])) => nots += 1,
            _ => {}
        }
        if depth + nots > MAX_DEPTH {
            return Err(err(Span::new(i, i + 1), "statement nested too deeply").with_help(format!("at most {MAX_DEPTH} levels of brackets and `not`")));
        }
        i += 1;
    }
    Ok(())
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The index of a string's closing quote (or the last byte), from its
/// opening quote at `start`.
fn string_end(bytes: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return i,
            _ => i += 1,
        }
    }
    bytes.len()
}

fn call(pair: Pair<'_, Rule>) -> Built<Call> {
    let span = span_of(&pair);
    let mut inner = pair.into_inner();
    let name_pair = inner.next().ok_or_else(|| err(span, "expected a function name"))?;
    let mut c = Call { name: name_pair.as_str().to_string(), name_span: span_of(&name_pair), args: Vec::new(), keys: Vec::new(), span };
    for p in inner {
        match p.as_rule() {
            Rule::arg => c.args.push(arg(p)?),
            Rule::key => c.keys.push(key(p)?),
            _ => {}
        }
    }
    Ok(c)
}

fn arg(pair: Pair<'_, Rule>) -> Built<Arg> {
    let span = span_of(&pair);
    let p = pair.into_inner().next().ok_or_else(|| err(span, "expected an argument"))?;
    if p.as_rule() == Rule::named_arg {
        let mut inner = p.into_inner();
        let (Some(name), Some(value)) = (inner.next(), inner.next()) else { return Err(err(span, "expected `name = value`")) };
        return Ok(Arg { name: Some((name.as_str().to_string(), span_of(&name))), value: expr(value)?, span });
    }
    Ok(Arg { name: None, value: expr(p)?, span })
}

fn key(pair: Pair<'_, Rule>) -> Built<Expr> {
    let span = span_of(&pair);
    let inner = pair.into_inner().next().ok_or_else(|| err(span, "expected a key"))?;
    expr(inner)
}

/// Folds `operand (infix operand)*` with the precedence table.
fn expr(pair: Pair<'_, Rule>) -> Built<Expr> {
    let mut flat = Vec::new();
    for p in pair.into_inner() {
        if p.as_rule() == Rule::operand {
            flat.extend(p.into_inner());
        } else {
            flat.push(p);
        }
    }
    PRATT
        .map_primary(primary)
        .map_prefix(|op, rhs| {
            let rhs = rhs?;
            let span = span_of(&op).to(rhs.span);
            Ok(Expr { kind: ExprKind::Not(Box::new(rhs)), span })
        })
        .map_infix(|lhs, op, rhs| {
            let (lhs, rhs) = (lhs?, rhs?);
            let op = match op.as_rule() {
                Rule::or => BinOp::Or,
                Rule::and => BinOp::And,
                Rule::eq => BinOp::Eq,
                Rule::ne => BinOp::Ne,
                Rule::lt => BinOp::Lt,
                Rule::le => BinOp::Le,
                Rule::gt => BinOp::Gt,
                Rule::ge => BinOp::Ge,
                Rule::add => BinOp::Add,
                Rule::sub => BinOp::Sub,
                Rule::mul => BinOp::Mul,
                _ => BinOp::Div,
            };
            let span = lhs.span.to(rhs.span);
            Ok(Expr { kind: ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)), span })
        })
        .parse(flat.into_iter())
}

fn primary(pair: Pair<'_, Rule>) -> Built<Expr> {
    let span = span_of(&pair);
    let text = pair.as_str();
    let kind = match pair.as_rule() {
        Rule::paren => {
            let inner = pair.into_inner().next().ok_or_else(|| err(span, "expected an expression"))?;
            ExprKind::Paren(Box::new(expr(inner)?))
        }
        Rule::call => ExprKind::Call(call(pair)?),
        Rule::bytes => ExprKind::Bytes(hex(&text[2..]).ok_or_else(|| err(span, "encoding/hex: odd length hex string"))?),
        Rule::float => match text.parse::<f64>() {
            Ok(x) if x.is_finite() => ExprKind::Float(x),
            _ => return Err(err(span, format!("float literal {text} is out of range for float64"))),
        },
        Rule::int => ExprKind::Int(text.parse().map_err(|_| err(span, format!("integer literal {text} is out of range for int64")))?),
        Rule::string => ExprKind::Str(unquote(text, span.start)?),
        Rule::boolean => ExprKind::Bool(text == "true"),
        Rule::nil => ExprKind::Nil,
        Rule::symbol => ExprKind::Symbol(text.to_string()),
        Rule::list => ExprKind::List(pair.into_inner().map(expr).collect::<Built<_>>()?),
        Rule::map => {
            let mut items = Vec::new();
            for item in pair.into_inner() {
                let mut inner = item.into_inner();
                let (Some(k), Some(v)) = (inner.next(), inner.next()) else { return Err(err(span, "expected `\"key\": value`")) };
                let kspan = span_of(&k);
                items.push((unquote(k.as_str(), kspan.start)?, kspan, expr(v)?));
            }
            ExprKind::Map(items)
        }
        Rule::path => {
            let mut segments = Vec::new();
            for seg in pair.into_inner() {
                let seg_span = span_of(&seg);
                let mut inner = seg.into_inner();
                let Some(name) = inner.next() else { return Err(err(seg_span, "expected a path segment")) };
                let keys = inner.map(key).collect::<Built<Vec<_>>>()?;
                segments.push(Segment { name: name.as_str().to_string(), span: span_of(&name), keys });
            }
            ExprKind::Path(Path { segments, span })
        }
        other => return Err(err(span, format!("unexpected {}", phrase(other)))),
    };
    Ok(Expr { kind, span })
}

fn hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
}

/// A string literal's value. OTTL's strings are Go strings (the Collector
/// unquotes them with Go's rules), the same escapes Alloy's have, so the
/// decoder is shared: `\n \t \\ \"`, `\xHH`, octal, `\uHHHH`, `\UHHHHHHHH`.
/// `offset` places errors in the statement.
pub fn unquote(lit: &str, offset: usize) -> Built<String> {
    crate::literal::unquote(lit).map_err(|e| {
        let out = err(Span::new(offset + e.offset, offset + e.offset + e.len), e.message.clone());
        if e.message == "unknown escape sequence" {
            out.with_help("OTTL strings take Go's escapes: \\\\ \\\" \\n \\t \\r \\xHH \\uHHHH")
        } else {
            out
        }
    })
}

/// pest's failure as an error under the token where parsing stopped.
fn translate(src: &str, e: pest::error::Error<Rule>) -> OttlError {
    let pos = match e.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    let (span, got) = token_at(src, pos);
    if src[pos.min(src.len())..].starts_with('"') && string_end(src.as_bytes(), pos) >= src.len() {
        return err(Span::new(pos, src.len()), "string literal not terminated").with_help("close the string with `\"`; write a quote inside it as `\\\"`");
    }
    let message = match &e.variant {
        // A statement must open with its editor: say so in those words.
        ErrorVariant::ParsingError { positives, .. } if positives == &[Rule::func_name] && src[..pos].trim().is_empty() => {
            format!("expected an editor invocation such as `set(...)`, got {got}")
        }
        ErrorVariant::ParsingError { positives, .. } => format!("expected {}, got {got}", expectation(src, pos, positives)),
        ErrorVariant::CustomError { message } => message.clone(),
    };
    let mut out = err(span, message);
    let is_condition = src[..pos].trim().is_empty() && OttlParser::parse(Rule::condition, src).is_ok();
    if is_condition && precheck(src).is_ok() {
        out = out.with_help("this is a condition; a statement starts with an editor, as in `set(...) where <condition>`");
    } else if let Some(help) = help_for(src, pos) {
        out = out.with_help(help);
    }
    out
}

/// Hints for the mistakes people coming from other languages make.
fn help_for(src: &str, pos: usize) -> Option<&'static str> {
    let rest = &src[pos.min(src.len())..];
    if rest.starts_with("&&") || rest.starts_with("||") {
        Some("OTTL writes boolean operators as `and` and `or`")
    } else if rest.starts_with('!') && !rest.starts_with("!=") {
        Some("OTTL writes negation as `not`")
    } else if rest.starts_with("where") {
        Some("a statement has one `where` clause; join conditions with `and`")
    } else if rest.starts_with('\'') {
        Some("OTTL strings use double quotes")
    } else if rest.starts_with('=') && !rest.starts_with("==") {
        Some("compare with `==`; a single `=` only names an argument, as in `f(key = value)`")
    } else {
        None
    }
}

/// The token at `pos`, as a span and as "got ..." reads it.
fn token_at(src: &str, pos: usize) -> (Span, String) {
    let rest = &src[pos.min(src.len())..];
    let Some(c) = rest.chars().next() else { return (Span::at(src.len()), "end of statement".to_string()) };
    let word_len = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.')).unwrap_or(rest.len());
    if c.is_ascii_alphabetic() || c == '_' {
        let len = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(rest.len());
        let word = &rest[..len];
        let what = if matches!(word, "and" | "or" | "not" | "where" | "true" | "false" | "nil") {
            format!("keyword `{word}`")
        } else {
            format!("identifier {word:?}")
        };
        return (Span::new(pos, pos + len), what);
    }
    if c.is_ascii_digit() {
        return (Span::new(pos, pos + word_len), format!("number {}", &rest[..word_len]));
    }
    if c == '"' {
        let end = string_end(src.as_bytes(), pos).min(src.len() - 1) + 1;
        return (Span::new(pos, end), "a string".to_string());
    }
    let two = rest.get(..2).filter(|t| matches!(*t, "==" | "!=" | "<=" | ">=" | "&&" | "||"));
    let tok = two.unwrap_or(&rest[..c.len_utf8()]);
    (Span::new(pos, pos + tok.len()), format!("`{tok}`"))
}

/// What could come at `pos`: pest's rules in words, plus the closer of
/// the innermost open bracket when an expression could end there.
fn expectation(src: &str, pos: usize, positives: &[Rule]) -> String {
    let mut phrases: Vec<&str> = positives.iter().map(|&r| phrase(r)).collect();
    let value_may_end = positives.iter().any(|r| matches!(r, Rule::or | Rule::and | Rule::eq | Rule::add | Rule::mul | Rule::key | Rule::kw_where | Rule::EOI));
    if value_may_end {
        match innermost_open(src, pos) {
            Some(b'(') => phrases.extend(["`,`", "`)`"]),
            Some(b'p') => phrases.push("`)`"),
            Some(b'[') => phrases.extend(["`,`", "`]`"]),
            Some(b'k') => phrases.push("`]`"),
            Some(b'{') => phrases.extend(["`,`", "`}`"]),
            _ => {}
        }
    }
    phrases.sort_unstable();
    phrases.dedup();
    match phrases.len() {
        0 => "something else".to_string(),
        1 => phrases[0].to_string(),
        n => format!("{} or {}", phrases[..n - 1].join(", "), phrases[n - 1]),
    }
}

/// The innermost bracket open at `pos`: `(` for a call's arguments, `p`
/// for a grouping parenthesis, `[` for a list, `k` for a key, `{` for a map.
fn innermost_open(src: &str, pos: usize) -> Option<u8> {
    let bytes = &src.as_bytes()[..pos.min(src.len())];
    let mut stack = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let prev_ends_value =
            bytes[..i].iter().rev().find(|b| !b.is_ascii_whitespace()).is_some_and(|&b| is_ident_byte(b) || b == b']' || b == b')' || b == b'"');
        match bytes[i] {
            b'"' => i = string_end(bytes, i),
            b'(' => stack.push(if prev_ends_value { b'(' } else { b'p' }),
            b'[' => stack.push(if prev_ends_value { b'k' } else { b'[' }),
            b'{' => stack.push(b'{'),
            b')' | b']' | b'}' => {
                stack.pop();
            }
            _ => {}
        }
        i += 1;
    }
    stack.last().copied()
}

/// The human name of every grammar rule. Exhaustive on purpose: a new rule
/// does not compile until it has a name people understand.
fn phrase(rule: Rule) -> &'static str {
    match rule {
        Rule::EOI => "end of statement",
        Rule::WHITESPACE => "whitespace",
        Rule::statement | Rule::call => "an editor invocation such as `set(...)`",
        Rule::condition | Rule::expr | Rule::operand | Rule::paren => "an expression",
        Rule::kw_where => "`where`",
        Rule::not => "`not`",
        Rule::prefix => "`not`",
        Rule::infix => "an operator",
        Rule::primary => "a value",
        Rule::keyword_literal => "true, false or nil",
        Rule::ident_char => "a letter, digit or `_`",
        Rule::or | Rule::and | Rule::eq | Rule::ne | Rule::le | Rule::ge | Rule::lt | Rule::gt | Rule::add | Rule::sub | Rule::mul | Rule::div => "an operator",
        Rule::func_name => "an editor or converter name",
        Rule::arg | Rule::named_arg => "an argument",
        Rule::path | Rule::segment | Rule::lower_ident => "a path",
        Rule::key => "`[`",
        Rule::symbol => "an enum symbol",
        Rule::list => "a list",
        Rule::map | Rule::map_item => "a map",
        Rule::boolean => "true or false",
        Rule::nil => "nil",
        Rule::reserved => "a keyword",
        Rule::bytes => "bytes",
        Rule::float | Rule::int => "a number",
        Rule::string => "a string",
    }
}

#[cfg(test)]
#[path = "parse_tests.rs"]
mod tests;
