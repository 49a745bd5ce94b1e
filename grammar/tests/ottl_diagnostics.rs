//! Snapshot tests of OTTL diagnostics: every case in `tests/ottl/cases.txt`
//! is compiled against the test span context, its error rendered with a
//! caret line under the span, and the whole compared with
//! `tests/ottl/cases.expected`.
//!
//! Run with `SOLDER_BLESS=1` (or `UPDATE_SNAPSHOTS=1`) to rewrite the
//! expectations after a deliberate change, then review the diff.

use std::path::Path;

use solder_syntax::ottl::testing::{functions, SPAN};
use solder_syntax::ottl::{Conditions, OttlError, Statements};

/// The error as a terminal shows it: message, the statement, carets
/// under the span (one for an empty span), and the help line.
fn render(src: &str, e: &OttlError) -> String {
    let start = src[..e.span.start.min(src.len())].chars().count();
    let width = src.get(e.span.clone()).map_or(0, |s| s.chars().count()).max(1);
    let mut out = format!("error: {}\n  |\n  | {src}\n  | {}{}\n", e.message, " ".repeat(start), "^".repeat(width));
    if let Some(help) = &e.help {
        out.push_str(&format!("  = help: {help}\n"));
    }
    out
}

fn diagnose(kind: &str, src: &str) -> String {
    let result = match kind {
        "statement" => Statements::compile(&SPAN, functions(), &[src]).map(drop),
        "condition" => Conditions::compile(&SPAN, functions(), &[src]).map(drop),
        other => panic!("unknown case kind {other:?}"),
    };
    match result {
        Ok(()) => "(compiled without error)\n".to_string(),
        Err(e) => render(src, &e),
    }
}

#[test]
fn ottl_diagnostics_match_snapshots() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ottl");
    let cases = std::fs::read_to_string(dir.join("cases.txt")).unwrap();
    let mut blocks = Vec::new();
    for line in cases.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let (kind, src) = line.split_once(' ').unwrap_or((line, ""));
        blocks.push(format!("== {kind}: {src}\n{}", diagnose(kind, src)));
    }
    assert!(blocks.len() >= 15, "at least 15 cases");
    for b in &blocks {
        assert!(!b.contains("(compiled without error)"), "every case must be wrong:\n{b}");
    }
    let got = blocks.join("\n");
    let expected_path = dir.join("cases.expected");
    if std::env::var_os("SOLDER_BLESS").is_some() || std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&expected_path, &got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&expected_path).unwrap_or_default();
    let want_blocks: Vec<&str> = want.split("\n== ").collect();
    let got_blocks: Vec<&str> = got.split("\n== ").collect();
    let mut failures = Vec::new();
    for (i, g) in got_blocks.iter().enumerate() {
        if want_blocks.get(i) != Some(g) {
            failures.push(format!("--- expected\n{}\n--- got\n{g}", want_blocks.get(i).unwrap_or(&"(missing)")));
        }
    }
    if want_blocks.len() != got_blocks.len() {
        failures.push(format!("{} expected cases, {} got", want_blocks.len(), got_blocks.len()));
    }
    assert!(failures.is_empty(), "OTTL diagnostics differ (rerun with SOLDER_BLESS=1 to accept):\n{}", failures.join("\n\n"));
}
