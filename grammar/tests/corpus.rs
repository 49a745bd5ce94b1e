//! The language corpus: every file under `tests/corpus/` states its own
//! expected outcome inline, and this test holds the parser and evaluator
//! to it.
//!
//! Markers, in comments:
//! - `ERROR "text"` on a line: some error on this line has `text` in its
//!   message. `WARNING "text"` likewise for warnings.
//! - `ERROR(+1) "text"`: the same, for the next line (for lines where a
//!   comment cannot go, such as inside an unterminated string).
//! - `// => value` after an attribute: the attribute evaluates to exactly
//!   this (as values print, in Alloy syntax).
//!
//! A file with no ERROR marker must parse and evaluate cleanly. Every
//! diagnostic must be expected: an unexpected one fails the test.

use std::path::{Path, PathBuf};

use solder_syntax::ast::{Body, Stmt};
use solder_syntax::{Diagnostic, Evaluator, Scope, Severity};

#[derive(Debug, Clone, PartialEq)]
struct Expectation {
    line: usize,
    severity: Severity,
    text: String,
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|e| e == "alloy") {
            out.push(p);
        }
    }
}

/// Reads `ERROR "..."`/`WARNING "..."` markers from the raw text, so that
/// they work even in files the scanner cannot tokenize.
fn expectations(src: &str) -> Vec<Expectation> {
    let mut out = Vec::new();
    for (i, line) in src.lines().enumerate() {
        for (marker, severity) in [("ERROR", Severity::Error), ("WARNING", Severity::Warning)] {
            let mut rest = line;
            while let Some(at) = rest.find(marker) {
                rest = &rest[at + marker.len()..];
                let (offset, tail) = match rest.strip_prefix("(+1)") {
                    Some(t) => (1, t),
                    None => (0, rest),
                };
                let Some(tail) = tail.strip_prefix(" \"") else { continue };
                // The text runs to the quote that closes the marker: before
                // ` */` in a block comment, else the line's last quote. So
                // messages that quote an expression can be matched whole.
                let Some(end) = tail.find("\" */").or_else(|| tail.rfind('"')) else { continue };
                out.push(Expectation { line: i + 1 + offset, severity, text: tail[..end].to_string() });
            }
        }
    }
    out
}

/// `// => value` markers: line → expected printed value.
fn value_expectations(src: &str) -> Vec<(usize, String)> {
    src.lines().enumerate().filter_map(|(i, l)| l.find("// => ").map(|at| (i + 1, l[at + 6..].trim_end().to_string()))).collect()
}

fn line_of(src: &str, offset: usize) -> usize {
    src.as_bytes()[..offset.min(src.len())].iter().filter(|&&b| b == b'\n').count() + 1
}

/// Evaluates every attribute, in blocks too; returns diagnostics and the
/// printed values keyed by the attribute's line.
fn evaluate(src: &str, body: &Body) -> (Vec<Diagnostic>, Vec<(usize, String)>) {
    fn walk(src: &str, body: &Body, ev: &mut Evaluator<'_>, diags: &mut Vec<Diagnostic>, values: &mut Vec<(usize, String)>) {
        for stmt in body {
            match stmt {
                Stmt::Block(b) => walk(src, &b.body, ev, diags, values),
                Stmt::Attribute(a) => match ev.eval(&a.value) {
                    Ok(v) => values.push((line_of(src, a.value.span.end), v.to_string())),
                    Err(d) => diags.push(d),
                },
            }
        }
    }
    let scope = Scope::new();
    let mut ev = Evaluator::new(src, &scope);
    let (mut diags, mut values) = (Vec::new(), Vec::new());
    walk(src, body, &mut ev, &mut diags, &mut values);
    diags.append(&mut ev.warnings);
    (diags, values)
}

fn check_file(path: &Path) -> Result<(), String> {
    let src = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let expected = expectations(&src);
    let (diags, values) = match solder_syntax::parse(&src) {
        Ok(file) => evaluate(&src, &file.body),
        Err(diags) => (diags, Vec::new()),
    };
    let mut problems = Vec::new();
    let mut unmatched: Vec<&Diagnostic> = diags.iter().collect();
    for exp in &expected {
        let found = unmatched.iter().position(|d| d.severity == exp.severity && line_of(&src, d.span.start) == exp.line && d.message.contains(&exp.text));
        match found {
            Some(i) => {
                unmatched.remove(i);
            }
            None => problems.push(format!("line {}: expected {:?} {:?}", exp.line, exp.severity, exp.text)),
        }
    }
    for d in unmatched {
        problems.push(format!("line {}: unexpected {:?}: {}", line_of(&src, d.span.start), d.severity, d.message));
    }
    for (line, want) in value_expectations(&src) {
        match values.iter().find(|(l, _)| *l == line) {
            Some((_, got)) if *got == want => {}
            Some((_, got)) => problems.push(format!("line {line}: evaluated to {got}, expected {want}")),
            None => problems.push(format!("line {line}: expected value {want}, but nothing evaluated on this line")),
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n  "))
    }
}

#[test]
fn corpus() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut all = Vec::new();
    files(&root, &mut all);
    let mut failures = Vec::new();
    for path in &all {
        if let Err(e) = check_file(path) {
            failures.push(format!("{}:\n  {e}", path.strip_prefix(&root).unwrap_or(path).display()));
        }
    }
    assert!(all.len() >= 150, "the corpus should hold at least 150 cases, it holds {}", all.len());
    assert!(failures.is_empty(), "{} of {} corpus files failed:\n{}", failures.len(), all.len(), failures.join("\n"));
}

#[test]
fn markers_are_read() {
    let src = "a = 1 /* ERROR \"x y\" */\n// ERROR(+1) \"next\"\nb = \"oops\nc = 2 // => 2\n";
    assert_eq!(
        expectations(src),
        vec![Expectation { line: 1, severity: Severity::Error, text: "x y".into() }, Expectation { line: 3, severity: Severity::Error, text: "next".into() },]
    );
    assert_eq!(value_expectations(src), vec![(4, "2".to_string())]);
}
