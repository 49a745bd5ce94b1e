//! Turning pest's failures into diagnostics a person can act on.
//!
//! pest reports a position and the rules it hoped for. That is enough to
//! know *where*, not *what*: this module looks at the tokens around the
//! failure (what came before, what brackets are open) and says it the way
//! Alloy does, e.g. `missing ',' in expression list`. Then it resumes on the
//! next line, so one pass reports every broken line.

use pest::error::{ErrorVariant, InputLocation};
use pest::Parser as _;

use crate::diagnostic::Diagnostic;
use crate::parser::{AlloyParser, Builder, Rule};
use crate::scanner::{Scanned, Tok, Token};
use crate::span::Span;

/// Past this many errors the rest of the file is not worth reading.
const MAX_ERRORS: usize = 50;

/// Diagnoses the first failure, then keeps parsing from the line after each
/// failure with the lenient `resync` rule.
pub(crate) fn recover(src: &str, scanned: &Scanned, first: pest::error::Error<Rule>) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    // The lines before the first failure parsed, but were never built: check
    // them for the mistakes the builder reports.
    let failed_line = line_start(src, position(&first));
    if failed_line > 0 {
        if let Ok(pairs) = AlloyParser::parse(Rule::resync, &src[..failed_line]) {
            collect_semantic_errors(pairs, 0, &mut out);
        }
    }
    out.push(classify(src, scanned, &first, 0));
    let mut offset = next_line(src, position(&first));
    while offset < src.len() && out.len() < MAX_ERRORS {
        match AlloyParser::parse(Rule::resync, &src[offset..]) {
            Ok(pairs) => {
                collect_semantic_errors(pairs, offset, &mut out);
                break;
            }
            Err(err) => {
                // pest keeps nothing of what parsed before the failure, so
                // parse the whole lines before it again to check them.
                let failed_line = line_start(src, offset + position(&err));
                if failed_line > offset {
                    if let Ok(pairs) = AlloyParser::parse(Rule::resync, &src[offset..failed_line]) {
                        collect_semantic_errors(pairs, offset, &mut out);
                    }
                }
                out.push(diagnose_line(src, scanned, &err, offset, failed_line));
                let failed_at = offset + position(&err);
                offset = next_line(src, failed_at.max(offset));
            }
        }
    }
    out
}

/// Keeps the first diagnostic of each line, as Alloy does, in source order.
pub(crate) fn one_per_line(src: &str, mut diags: Vec<Diagnostic>) -> Vec<Diagnostic> {
    diags.sort_by_key(|d| d.span.start);
    let mut last_line = None;
    diags.retain(|d| {
        let line = src.as_bytes()[..d.span.start.min(src.len())].iter().filter(|&&b| b == b'\n').count();
        let keep = last_line != Some(line);
        last_line = Some(line);
        keep
    });
    diags
}

/// Resync is lenient, so where it fails is a poor guide to what is wrong.
/// The strict grammar, started at the failing line, usually fails earlier on
/// that line and at the real culprit; use it when it does.
fn diagnose_line(src: &str, scanned: &Scanned, err: &pest::error::Error<Rule>, offset: usize, line: usize) -> Diagnostic {
    let failed_at = offset + position(err);
    if let Err(strict) = AlloyParser::parse(Rule::file, &src[line..]) {
        let strict_at = line + position(&strict);
        if strict_at <= failed_at && line_start(src, strict_at) == line {
            return classify(src, scanned, &strict, line);
        }
    }
    classify(src, scanned, err, offset)
}

/// Lines that resync parsed may still hold mistakes the AST builder reports
/// (a bad label, a dotted attribute); build them to find out.
fn collect_semantic_errors(pairs: pest::iterators::Pairs<'_, Rule>, offset: usize, out: &mut Vec<Diagnostic>) {
    let builder = Builder::default();
    for pair in pairs.flatten() {
        if matches!(pair.as_rule(), Rule::block | Rule::attribute | Rule::dotted_attribute) {
            builder.stmt(pair);
        }
    }
    out.extend(builder.diags.into_inner().into_iter().map(|mut d| {
        d.span = Span::new(d.span.start + offset, d.span.end + offset);
        d
    }));
}

fn position(err: &pest::error::Error<Rule>) -> usize {
    match err.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    }
}

fn line_start(src: &str, at: usize) -> usize {
    src[..at.min(src.len())].rfind('\n').map_or(0, |i| i + 1)
}

fn next_line(src: &str, from: usize) -> usize {
    src[from.min(src.len())..].find('\n').map_or(src.len(), |i| from + i + 1)
}

/// What kind of bracket encloses a position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Context {
    TopLevel,
    BlockBody,
    /// Array elements or call arguments.
    List,
    /// A parenthesised expression: one expression, then `)`.
    Paren,
    Object,
}

/// The diagnostic for one pest failure at `offset + position(err)`.
fn classify(src: &str, scanned: &Scanned, err: &pest::error::Error<Rule>, offset: usize) -> Diagnostic {
    let pos = offset + position(err);
    let tokens: Vec<&Token> = scanned.tokens.iter().collect();
    let mut idx = tokens.iter().position(|t| t.span.end > pos).unwrap_or(tokens.len());
    let context = enclosing(src, &tokens[..idx]);
    // pest tracks rules, not literal tokens, so a statement or field whose
    // `=` or `{` is missing fails at its *start*. Step over a well-formed
    // name (and label) to the token that is really wrong.
    idx = skip_well_formed_name(src, &tokens, idx, context);
    let got = tokens.get(idx).copied();
    let prev = idx.checked_sub(1).and_then(|i| tokens.get(i)).copied();
    let text = |t: Option<&Token>| t.map_or("", |t| &src[t.span.range()]);
    let at = got.map_or(Span::at(src.len()), |t| t.span);
    let got_desc = describe(src, got);
    let prev_text = text(prev);
    let ends_value = prev.is_some_and(|t| ends_expression(src, t));
    let starts_value = got.is_some_and(|t| starts_expression(src, t));
    let is_newline = got.is_none_or(|t| t.tok == Tok::Terminator);

    let in_list_missing_comma = ends_value && (is_newline || starts_value);
    match context {
        Context::List if in_list_missing_comma => {
            return Diagnostic::error(at, "missing ',' in expression list")
                .with_help("separate elements with commas; a list or call that spans lines needs a comma after every element, the last one too");
        }
        Context::List if !starts_value && !matches!(text(got), "]" | ")") => {
            return Diagnostic::error(at, format!("expected expression, got {got_desc}"));
        }
        Context::Paren if ends_value => {
            return Diagnostic::error(at, format!("expected ), got {got_desc}")).with_help("a parenthesised expression must close on the line where it ends");
        }
        Context::Object if in_list_missing_comma && !(matches!(prev.map(|t| t.tok), Some(Tok::Ident | Tok::String)) && field_start(src, &tokens, idx - 1)) => {
            return Diagnostic::error(at, "missing ',' in field list")
                .with_help("separate fields with commas; an object that spans lines needs a comma after every field, the last one too");
        }
        Context::Object if prev.is_some_and(|p| matches!(p.tok, Tok::Ident | Tok::String)) && field_start(src, &tokens, idx - 1) => {
            return Diagnostic::error(at, format!("expected =, got {got_desc}")).with_help("object fields are written `name = value`");
        }
        Context::Object if matches!(prev_text, "{" | ",") && !matches!(got.map(|t| t.tok), Some(Tok::Ident | Tok::String)) => {
            return Diagnostic::error(at, format!("expected field name (string or identifier), got {got_desc}"));
        }
        _ => {}
    }

    let statement_level = matches!(context, Context::TopLevel | Context::BlockBody);
    if statement_level {
        let at_statement_start = prev.is_none_or(|t| t.tok == Tok::Terminator || matches!(text(Some(t)), "{" | "}"));
        if at_statement_start && got.is_some_and(|t| t.tok != Tok::Ident) && !is_newline {
            return Diagnostic::error(at, format!("expected identifier, got {got_desc}"));
        }
        if let Some(d) = block_header_error(src, &tokens, idx, at, &got_desc, is_newline) {
            return d;
        }
    }
    if matches!(prev_text, "=" | "," | "(" | "[" | "!" | "+" | "-" | "*" | "/" | "%" | "^" | "==" | "!=" | "<" | "<=" | ">" | ">=" | "&&" | "||")
        && !starts_value
    {
        return Diagnostic::error(at, format!("expected expression, got {got_desc}"));
    }
    if statement_level && ends_value && !is_newline {
        return Diagnostic::error(at, format!("expected a newline, got {got_desc}")).with_help("each statement goes on a line of its own");
    }
    let expected = match &err.variant {
        ErrorVariant::ParsingError { positives, .. } => phrase_list(positives),
        ErrorVariant::CustomError { message } => message.clone(),
    };
    Diagnostic::error(at, format!("expected {expected}, got {got_desc}"))
}

/// Whether the token at `i` starts an object field (follows `{` or `,`).
fn field_start(src: &str, tokens: &[&Token], i: usize) -> bool {
    i == 0 || matches!(&src[tokens[i - 1].span.range()], "{" | ",")
}

/// From a failure at the start of a statement (or object field), the index
/// of the first token after its name: `a.b.c "label"` for a statement, the
/// key for a field. Anything else leaves `idx` alone.
fn skip_well_formed_name(src: &str, tokens: &[&Token], mut idx: usize, context: Context) -> usize {
    let text = |i: usize| tokens.get(i).map_or("", |t| &src[t.span.range()]);
    // A failure inside a dotted name (`a.b.c`) belongs to the whole name.
    while idx >= 2 && text(idx - 1) == "." && tokens[idx - 2].tok == Tok::Ident && tokens.get(idx).is_some_and(|t| t.tok == Tok::Ident) {
        idx -= 2;
    }
    let Some(first) = tokens.get(idx) else { return idx };
    match context {
        Context::Object if matches!(first.tok, Tok::Ident | Tok::String) && field_start(src, tokens, idx) => idx + 1,
        Context::TopLevel | Context::BlockBody if first.tok == Tok::Ident => {
            let starts_statement = idx == 0 || tokens[idx - 1].tok == Tok::Terminator || matches!(text(idx - 1), "{" | "}");
            if !starts_statement {
                return idx;
            }
            let mut i = idx + 1;
            while text(i) == "." && tokens.get(i + 1).is_some_and(|t| t.tok == Tok::Ident) {
                i += 2;
            }
            if tokens.get(i).is_some_and(|t| t.tok == Tok::String) {
                i += 1;
            }
            // A name followed by `=` or `{` is fine: the error is further on.
            if matches!(text(i), "=" | "{") {
                idx
            } else {
                i
            }
        }
        _ => idx,
    }
}

/// Errors right after a block or attribute name: a `{` on the wrong line,
/// or a name followed by neither `=` nor a body.
fn block_header_error(src: &str, tokens: &[&Token], idx: usize, at: Span, got_desc: &str, is_newline: bool) -> Option<Diagnostic> {
    // Walk back over `name.parts "label"` to see whether the failure follows a
    // statement's name.
    let mut i = idx;
    let mut saw_label = false;
    if i > 0 && tokens[i - 1].tok == Tok::String {
        saw_label = true;
        i -= 1;
    }
    let name_end = i;
    while i > 0 && tokens[i - 1].tok == Tok::Ident {
        i -= 1;
        if i > 0 && &src[tokens[i - 1].span.range()] == "." {
            i -= 1;
        } else {
            break;
        }
    }
    if i == name_end {
        return None;
    }
    let starts_statement = i == 0 || tokens[i - 1].tok == Tok::Terminator || matches!(&src[tokens[i - 1].span.range()], "{" | "}");
    if !starts_statement {
        return None;
    }
    let brace_next_line = is_newline && tokens.get(idx + 1).is_some_and(|t| &src[t.span.range()] == "{");
    let single_name = name_end - i == 1;
    let d = if saw_label || !single_name {
        Diagnostic::error(at, format!("expected block body, got {got_desc}"))
    } else {
        Diagnostic::error(at, format!("expected attribute assignment or block body, got {got_desc}"))
    };
    Some(if brace_next_line { d.with_help("a block's opening `{` must be on the same line as its name") } else { d })
}

/// The innermost open bracket before the failure.
fn enclosing(src: &str, tokens: &[&Token]) -> Context {
    let mut stack: Vec<Context> = Vec::new();
    let mut prev: Option<&Token> = None;
    for t in tokens {
        match &src[t.span.range()] {
            "[" if t.tok == Tok::Punct => stack.push(Context::List),
            "(" if t.tok == Tok::Punct => {
                let call = prev.is_some_and(|p| ends_expression(src, p));
                stack.push(if call { Context::List } else { Context::Paren });
            }
            "{" if t.tok == Tok::Punct => {
                let block = prev.is_some_and(|p| matches!(p.tok, Tok::Ident | Tok::String)) && matches!(stack.last(), None | Some(Context::BlockBody));
                stack.push(if block { Context::BlockBody } else { Context::Object });
            }
            "]" | ")" | "}" if t.tok == Tok::Punct => {
                stack.pop();
            }
            _ => {}
        }
        prev = Some(t);
    }
    stack.last().copied().unwrap_or(Context::TopLevel)
}

fn ends_expression(src: &str, t: &Token) -> bool {
    match t.tok {
        Tok::Ident | Tok::Keyword | Tok::Number | Tok::String => true,
        Tok::Punct => matches!(&src[t.span.range()], ")" | "]" | "}"),
        _ => false,
    }
}

fn starts_expression(src: &str, t: &Token) -> bool {
    match t.tok {
        Tok::Ident | Tok::Keyword | Tok::Number | Tok::String => true,
        Tok::Punct => matches!(&src[t.span.range()], "(" | "[" | "{" | "!" | "-"),
        _ => false,
    }
}

/// How a token reads in "got ...".
fn describe(src: &str, t: Option<&Token>) -> String {
    let Some(t) = t else { return "end of file".to_string() };
    let text = &src[t.span.range()];
    let short = |s: &str| if s.chars().count() > 24 { format!("{}…", s.chars().take(24).collect::<String>()) } else { s.to_string() };
    match t.tok {
        Tok::Terminator => "newline".to_string(),
        Tok::Ident => format!("identifier {text:?}"),
        Tok::Keyword => text.to_string(),
        Tok::Number => format!("number {text}"),
        Tok::String => format!("string {}", short(text)),
        Tok::Punct | Tok::Illegal => format!("{:?}", short(text)),
    }
}

fn phrase_list(rules: &[Rule]) -> String {
    // A comment is allowed almost anywhere and is never what is missing.
    let mut phrases: Vec<&str> = rules.iter().filter(|r| !matches!(r, Rule::multiline_comment)).map(|&r| phrase(r)).collect();
    phrases.sort_unstable();
    phrases.dedup();
    match phrases.len() {
        0 => "something else".to_string(),
        1 => phrases[0].to_string(),
        n => format!("{} or {}", phrases[..n - 1].join(", "), phrases[n - 1]),
    }
}

/// The human name of every grammar rule. Exhaustive on purpose: a new rule
/// does not compile until it has a name people understand.
fn phrase(rule: Rule) -> &'static str {
    match rule {
        Rule::EOI => "end of file",
        Rule::file | Rule::body | Rule::stmt | Rule::resync | Rule::resync_line | Rule::resync_item => "a statement",
        Rule::attribute | Rule::dotted_attribute => "an attribute",
        Rule::block | Rule::block_open => "a block",
        Rule::block_body => "a block body",
        Rule::block_name => "a block name",
        Rule::label => "a block label",
        Rule::expr | Rule::operand | Rule::primary | Rule::paren | Rule::misused_block => "expression",
        Rule::prefix | Rule::not | Rule::neg => "a unary operator",
        Rule::infix
        | Rule::or
        | Rule::and
        | Rule::eq
        | Rule::neq
        | Rule::lte
        | Rule::gte
        | Rule::lt
        | Rule::gt
        | Rule::add
        | Rule::sub
        | Rule::mul
        | Rule::div
        | Rule::modulo
        | Rule::pow => "an operator",
        Rule::postfix | Rule::access | Rule::index | Rule::call => "`.`, `[` or `(`",
        Rule::array => "an array",
        Rule::object => "an object",
        Rule::expr_list => "a list of expressions",
        Rule::field_list | Rule::field => "an object field",
        Rule::literal => "a literal",
        Rule::boolean => "true or false",
        Rule::null => "null",
        Rule::number | Rule::digits | Rule::exponent => "a number",
        Rule::string | Rule::raw_string => "a string",
        Rule::ident | Rule::keyword | Rule::ident_start | Rule::ident_char => "identifier",
        Rule::closers => "a closing bracket",
        Rule::openers => "an opening bracket",
        Rule::WHITESPACE | Rule::COMMENT | Rule::line_comment | Rule::inline_block_comment | Rule::multiline_comment => "a comment",
        Rule::nl | Rule::nls => "newline",
    }
}
