//! Load-time and run-time errors of OTTL statements. Both are plain data:
//! the component decides how to render or log them.

use std::fmt;
use std::ops::Range;

use crate::diagnostic::Diagnostic;
use crate::span::Span;

/// A load-time error: which source (statement index), the byte range
/// within that source's text under the bad token, the message and an
/// optional help line (a did-you-mean, or how OTTL writes the thing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OttlError {
    pub index: usize,
    pub span: Range<usize>,
    pub message: String,
    pub help: Option<String>,
}

impl OttlError {
    pub fn new(span: Range<usize>, message: impl Into<String>) -> OttlError {
        OttlError { index: 0, span, message: message.into(), help: None }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> OttlError {
        self.help = Some(help.into());
        self
    }

    /// The error as a diagnostic of the config file the statement came
    /// from: `raw_literal` is the string literal as written there (quotes
    /// and escapes included) and `literal_start` its byte offset in the
    /// file, so the caret lands under the right character of the `.alloy`
    /// line even when the statement's quotes are escaped.
    pub fn to_diagnostic(&self, raw_literal: &str, literal_start: usize) -> Diagnostic {
        let span = literal_span(raw_literal, self.span.clone());
        let d = Diagnostic::error(Span::new(literal_start + span.start, literal_start + span.end), self.message.clone());
        match &self.help {
            Some(h) => d.with_help(h.clone()),
            None => d,
        }
    }

    pub(crate) fn at_index(mut self, index: usize) -> OttlError {
        self.index = index;
        self
    }
}

impl fmt::Display for OttlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(help) = &self.help {
            write!(f, " ({help})")?;
        }
        Ok(())
    }
}

impl std::error::Error for OttlError {}

/// A statement or condition that failed on one item. `message` is the
/// whole sentence, in the Collector's form: `failed to execute statement:
/// <statement>, <reason>` (or `failed to eval condition: ...`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunError {
    pub index: usize,
    pub message: String,
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for RunError {}

/// Maps a byte range of a decoded string literal (the statement text) to
/// the range it occupies in the literal as written, quotes and escapes
/// included: `\"` is two bytes written, one decoded.
///
/// ```
/// use solder_syntax::ottl::program::literal_span;
///
/// // The statement `set(name, "x")` written inside an Alloy string.
/// let raw = r#""set(name, \"x\")""#;
/// assert_eq!(literal_span(raw, 10..13), 11..16);
/// assert_eq!(&raw[11..16], r#"\"x\""#);
/// ```
pub fn literal_span(raw: &str, span: Range<usize>) -> Range<usize> {
    if raw.starts_with('`') {
        // Raw strings have no escapes: only the opening backtick shifts.
        return span.start + 1..span.end + 1;
    }
    let (mut written, mut decoded) = (1usize, 0usize);
    let (mut start, mut end) = (None, None);
    while written < raw.len() {
        if start.is_none() && decoded >= span.start {
            start = Some(written);
        }
        if decoded >= span.end {
            end = Some(written);
            break;
        }
        let (w, d) = escape_width(&raw[written..]);
        written += w;
        decoded += d;
    }
    let last = raw.len().saturating_sub(1).max(1);
    let start = start.unwrap_or(last);
    start..end.unwrap_or(last).max(start)
}

/// The bytes one source unit takes written and decoded.
fn escape_width(rest: &str) -> (usize, usize) {
    let b = rest.as_bytes();
    if b.first() != Some(&b'\\') {
        let w = rest.chars().next().map_or(1, char::len_utf8);
        return (w, w);
    }
    let code = |n: usize| u32::from_str_radix(rest.get(2..2 + n).unwrap_or(""), 16).ok().and_then(char::from_u32).map_or(1, char::len_utf8);
    let w = match b.get(1) {
        Some(b'0'..=b'7') | Some(b'x') => (4, 1),
        Some(b'u') => (6, code(4)),
        Some(b'U') => (10, code(8)),
        _ => (2, 1),
    };
    // A malformed escape may be shorter than its kind: stop at the text's
    // end and on a character boundary.
    let mut written = w.0.min(rest.len());
    while !rest.is_char_boundary(written) {
        written += 1;
    }
    (written, w.1)
}
