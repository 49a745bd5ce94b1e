//! Golden tests for the formatter: each `tests/fmt/NAME.in.alloy` must
//! format to `NAME.out.alloy` exactly, and the output must format to
//! itself, parse to the same tree and keep every comment.
//!
//! To add a case, write the `.in.alloy` file, run the formatter on it, and
//! read the result carefully before saving it as `.out.alloy`: the `.out`
//! file is the specification.

use std::path::{Path, PathBuf};

use solder_syntax::format::{check_round_trip, comment_texts, format, format_source, same_tree};
use solder_syntax::scanner::{scan, Tok};

struct Case {
    name: String,
    input: String,
    expected: String,
}

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fmt")
}

/// Every golden pair. Panics if an input has no `.out` file or an output
/// has no `.in` file, so a forgotten half cannot pass silently.
fn cases() -> Vec<Case> {
    let mut names: Vec<String> =
        std::fs::read_dir(dir()).expect("tests/fmt exists").map(|e| e.expect("readable entry").file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    for name in &names {
        if let Some(stem) = name.strip_suffix(".out.alloy") {
            assert!(names.contains(&format!("{stem}.in.alloy")), "{name} has no {stem}.in.alloy");
        }
    }
    let cases: Vec<Case> = names
        .iter()
        .filter_map(|name| name.strip_suffix(".in.alloy"))
        .map(|stem| {
            let read = |suffix: &str| {
                let path = dir().join(format!("{stem}{suffix}"));
                std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            };
            Case { name: stem.to_string(), input: read(".in.alloy"), expected: read(".out.alloy") }
        })
        .collect();
    assert!(cases.len() >= 25, "expected at least 25 golden pairs, found {}", cases.len());
    cases
}

#[test]
fn golden_pairs() {
    let mut failures = Vec::new();
    for case in cases() {
        let out = match format_source(&case.input) {
            Ok(out) => out,
            Err(diags) => {
                failures.push(format!("{}: input does not parse: {:?}", case.name, diags));
                continue;
            }
        };
        if out != case.expected {
            failures.push(format!("{}: output differs from .out.alloy\n{}", case.name, diff(&case.expected, &out)));
        }
        match format_source(&case.expected) {
            Ok(again) if again == case.expected => {}
            Ok(again) => failures.push(format!("{}: .out.alloy is not stable\n{}", case.name, diff(&case.expected, &again))),
            Err(diags) => failures.push(format!("{}: .out.alloy does not parse: {:?}", case.name, diags)),
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n\n"));
}

/// The output means what the input meant and keeps every comment.
#[test]
fn output_is_the_same_tree_with_the_same_comments() {
    for case in cases() {
        let file = solder_syntax::parse(&case.input).unwrap_or_else(|d| panic!("{}: {d:?}", case.name));
        let out = format(&file, &case.input);
        let again = solder_syntax::parse(&out).unwrap_or_else(|d| panic!("{}: output does not parse: {d:?}", case.name));
        assert!(same_tree(&file.body, &again.body), "{}: the output is a different tree", case.name);
        let before = comment_texts(&file);
        for comment in &before {
            assert!(out.contains(comment.as_str()), "{}: comment {comment:?} is missing from the output", case.name);
        }
        assert_eq!(before, comment_texts(&again), "{}: comments changed", case.name);
    }
}

#[test]
fn output_is_canonical_text() {
    for case in cases() {
        let out = &case.expected;
        if case.input.trim().is_empty() && !case.input.contains("//") {
            assert_eq!(out, "", "{}: blank input formats to nothing", case.name);
            continue;
        }
        assert!(out.ends_with('\n') && !out.ends_with("\n\n"), "{}: must end with exactly one newline", case.name);
        assert!(!out.contains('\r'), "{}: CR in output", case.name);
        assert!(!out.contains("\n\n\n"), "{}: more than one blank line", case.name);
        assert!(!out.starts_with('\n'), "{}: blank line at the start", case.name);
        // Inside raw strings and block comments the text is the author's.
        let scanned = scan(out);
        let verbatim: Vec<_> = scanned.tokens.iter().filter(|t| t.tok == Tok::String).map(|t| t.span).chain(scanned.comments).collect();
        let inside = |at: usize| verbatim.iter().any(|s| s.start < at && at < s.end);
        let mut start = 0;
        for line in out.split_inclusive('\n') {
            let end = start + line.trim_end_matches('\n').len();
            let text = &out[start..end];
            if !inside(end) {
                assert_eq!(text, text.trim_end(), "{}: trailing white space in {text:?}", case.name);
            }
            if !inside(start) {
                assert!(!text.trim_start_matches('\t').starts_with(' '), "{}: indented with spaces: {text:?}", case.name);
            }
            start += line.len();
        }
    }
}

/// CRLF line endings format exactly like LF ones.
#[test]
fn crlf_input_formats_like_lf() {
    for case in cases() {
        let crlf = case.input.replace("\r\n", "\n").replace('\n', "\r\n");
        let out = format_source(&crlf).unwrap_or_else(|d| panic!("{}: {d:?}", case.name));
        assert!(out == case.expected, "{}: CRLF input formats differently\n{}", case.name, diff(&case.expected, &out));
    }
}

/// Comments placed at every token boundary of every golden input, and
/// blank lines doubled, still give output that parses to the same tree,
/// keeps every comment and is stable.
#[test]
fn comments_anywhere_round_trip() {
    let mut failures = Vec::new();
    for case in cases() {
        let src = &case.input;
        for variant in variants(src) {
            if solder_syntax::parse(&variant).is_err() {
                continue;
            }
            if let Err(e) = check_round_trip(&variant) {
                failures.push(format!("{}:\n--- input ---\n{variant}\n{e}", case.name));
            }
        }
    }
    failures.truncate(5);
    assert!(failures.is_empty(), "\n{}", failures.join("\n\n"));
}

/// Every configuration shipped in the repository formats faithfully.
#[test]
fn repository_configs_round_trip() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in [root.join("../examples"), root.join("tests/corpus"), root.join("examples")] {
        collect_alloy(&dir, &mut files);
    }
    for path in files {
        let Ok(src) = std::fs::read_to_string(&path) else { continue };
        if solder_syntax::parse(&src).is_err() {
            continue;
        }
        if let Err(e) = check_round_trip(&src) {
            panic!("{}: {e}", path.display());
        }
    }
}

fn collect_alloy(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_alloy(&path, out);
        } else if path.extension().is_some_and(|e| e == "alloy") {
            out.push(path);
        }
    }
}

/// The input with a comment inserted at one token boundary (or a newline
/// doubled), one variant per place.
fn variants(src: &str) -> Vec<String> {
    let scanned = scan(src);
    let mut bounds: Vec<usize> = Vec::new();
    for t in scanned.tokens.iter().filter(|t| t.tok != Tok::Terminator) {
        bounds.push(t.span.start);
        bounds.push(t.span.end);
    }
    bounds.sort_unstable();
    bounds.dedup();
    let mut out = Vec::new();
    for &at in &bounds {
        out.push(format!("{}/* c{at} */{}", &src[..at], &src[at..]));
    }
    for (at, _) in src.match_indices('\n') {
        let in_token = scanned.tokens.iter().any(|t| t.tok != Tok::Terminator && t.span.start < at && at < t.span.end);
        let in_comment = scanned.comments.iter().any(|c| c.start < at && at < c.end);
        if in_token || in_comment {
            continue;
        }
        out.push(format!("{} // n{at}{}", &src[..at], &src[at..]));
        out.push(format!("{}\n{}", &src[..at], &src[at..]));
    }
    out
}

/// A line diff of expected against actual, with tabs shown as `→` so
/// indentation mistakes are visible.
fn diff(expected: &str, actual: &str) -> String {
    let a: Vec<&str> = expected.lines().collect();
    let b: Vec<&str> = actual.lines().collect();
    // Longest common subsequence table, then walk it.
    let mut lcs = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] { lcs[i + 1][j + 1] + 1 } else { lcs[i + 1][j].max(lcs[i][j + 1]) };
        }
    }
    let show = |s: &str| s.replace('\t', "→   ");
    let mut out = String::from("--- expected\n+++ actual\n");
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            out.push_str(&format!("  {}\n", show(a[i])));
            i += 1;
            j += 1;
        } else if j < b.len() && (i == a.len() || lcs[i][j + 1] >= lcs[i + 1][j]) {
            out.push_str(&format!("+ {}\n", show(b[j])));
            j += 1;
        } else {
            out.push_str(&format!("- {}\n", show(a[i])));
            i += 1;
        }
    }
    if expected.ends_with('\n') != actual.ends_with('\n') {
        out.push_str("(the final newline differs)\n");
    }
    out
}
