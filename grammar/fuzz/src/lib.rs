//! The promises the fuzz targets check, shared by both of them.
//!
//! They are the same promises `tests/differential.rs` checks with proptest
//! in CI; the fuzzer explores inputs no generator thought of, and a crash
//! it finds belongs in that file's `REGRESSIONS` list.

use solder_syntax::ast::File;
use solder_syntax::parser::parse_reference;
use solder_syntax::{parse, Diagnostic, Span};

/// Parses `src` with the fast path and with the grammar of record, and
/// panics if they disagree or an error list breaks its promises. Returns
/// the tree when the source is valid.
pub fn check_parse(src: &str) -> Option<File> {
    let fast = parse(src);
    let reference = parse_reference(src);
    match (fast, reference) {
        (Ok(a), Ok(b)) => {
            assert!(a == b, "trees differ for {src:?}\nfast:      {a:?}\nreference: {b:?}");
            Some(a)
        }
        (Err(a), Err(b)) => {
            check_diagnostics(src, &a);
            check_diagnostics(src, &b);
            None
        }
        (Ok(_), Err(d)) => panic!("fast path accepts what the grammar rejects: {src:?}\n{d:?}"),
        (Err(d), Ok(_)) => panic!("parse rejects what the grammar accepts: {src:?}\n{d:?}"),
    }
}

/// At least one diagnostic, sorted by position, at most one per line, and
/// every span a slice of the source.
pub fn check_diagnostics(src: &str, diags: &[Diagnostic]) {
    assert!(!diags.is_empty(), "failed without a diagnostic: {src:?}");
    let mut previous: Option<(usize, usize)> = None;
    for d in diags {
        check_span(src, d.span);
        d.labels.iter().for_each(|l| check_span(src, l.span));
        let line = src.as_bytes()[..d.span.start].iter().filter(|&&b| b == b'\n').count();
        if let Some((start, previous_line)) = previous {
            assert!(d.span.start >= start, "diagnostics out of order for {src:?}: {diags:?}");
            assert!(line != previous_line, "two diagnostics on one line for {src:?}: {diags:?}");
        }
        previous = Some((d.span.start, line));
    }
}

fn check_span(src: &str, span: Span) {
    assert!(
        span.start <= span.end && span.end <= src.len() && src.is_char_boundary(span.start) && src.is_char_boundary(span.end),
        "span {span:?} is not a slice of {src:?}"
    );
}

/// The promises of the OTTL parser, checker and evaluator for any text:
/// no panic; an error's span is a slice of the text; a statement that
/// parses prints to canonical text that parses to the same canonical text;
/// one that compiles against the test context runs without panicking.
pub fn check_ottl(src: &str) {
    use solder_syntax::ottl::parse::{parse_condition, parse_statement};
    use solder_syntax::ottl::testing::{functions, Item, SPAN};
    use solder_syntax::ottl::{Conditions, ErrorMode, OttlError, Statements};

    let raw = solder_syntax::literal::quote(src);
    let span_ok = |e: &OttlError| {
        assert!(e.span.start <= e.span.end && src.get(e.span.clone()).is_some(), "bad span {:?} for {src:?}: {}", e.span, e.message);
        // Mapped into the statement written as an Alloy string, it must
        // still be a slice of that literal.
        let mapped = solder_syntax::ottl::program::literal_span(&raw, e.span.clone());
        assert!(raw.get(mapped.clone()).is_some(), "bad literal span {mapped:?} in {raw:?} for {:?}", e.span);
    };
    match parse_statement(src) {
        Ok(stmt) => {
            let once = stmt.to_string();
            let again = parse_statement(&once).unwrap_or_else(|e| panic!("canonical text does not parse: {src:?} -> {once:?}: {e:?}"));
            assert_eq!(again.to_string(), once, "canonical text is not stable for {src:?}");
            match Statements::compile(&SPAN, functions(), &[src]) {
                Ok(s) => {
                    let mut item = Item::named("GET /users/123");
                    let _ = s.execute(&mut item, ErrorMode::Ignore, &mut Vec::new());
                }
                Err(e) => span_ok(&e),
            }
        }
        Err(e) => span_ok(&e),
    }
    match parse_condition(src) {
        Ok(_) => match Conditions::compile(&SPAN, functions(), &[src]) {
            Ok(c) => {
                let _ = c.any(&mut Item::named("x"), ErrorMode::Ignore, &mut Vec::new());
            }
            Err(e) => span_ok(&e),
        },
        Err(e) => span_ok(&e),
    }
}

/// The converters that parse text of their own (XML documents and XPath
/// selections, grok patterns) over any text: no panic, nothing past their
/// bounds, whatever the text. The first byte picks the function; for
/// `ExtractGrokPatterns` a NUL byte splits the pattern (read at run time,
/// as one from a path is) from the target.
pub fn check_text_functions(data: &[u8]) {
    use solder_syntax::ottl::testing::{Item, SPAN};
    use solder_syntax::ottl::{funcs, ErrorMode, Statements, Value};

    const PROGRAMS: &[&str] = &[
        r#"set(attributes["out"], ParseXML(name))"#,
        r#"set(attributes["out"], ParseSimplifiedXML(name))"#,
        r#"set(attributes["out"], GetXML(name, "//a[@b='c']/text()"))"#,
        r#"set(attributes["out"], RemoveXML(name, "//b"))"#,
        r#"set(attributes["out"], InsertXML(name, "//a", name))"#,
        r#"set(attributes["out"], ConvertAttributesToElementsXML(name))"#,
        r#"set(attributes["out"], ConvertTextToElementsXML(name, "/a"))"#,
        r#"set(attributes["out"], ExtractGrokPatterns(name, attributes["pattern"], false, ["X=%{WORD}[.]%{INT:n:int}"]))"#,
    ];
    let Some((&pick, rest)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(rest) else { return };
    let program = PROGRAMS[usize::from(pick) % PROGRAMS.len()];
    let (pattern, target) = text.split_once('\0').unwrap_or(("%{X}", text));
    let statements = Statements::compile(&SPAN, funcs::table(), &[program]).unwrap_or_else(|e| panic!("{program}: {e:?}"));
    let mut item = Item::named(target).with_attribute("pattern", Value::str(pattern));
    let _ = statements.execute(&mut item, ErrorMode::Ignore, &mut Vec::new());
    if let Some(Value::Str(out)) = item.attribute("out") {
        assert!(out.len() <= 16 << 20, "{program}: {} bytes out", out.len());
    }
}
