//! Byte spans and the source files they point into.

use std::ops::Range;
use std::sync::Arc;

/// A half-open byte range `[start, end)` into one source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub const fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    /// An empty span at one position, for "something is missing here".
    pub const fn at(pos: usize) -> Span {
        Span { start: pos, end: pos }
    }

    /// The span from the start of `self` to the end of `other`.
    pub fn to(self, other: Span) -> Span {
        Span { start: self.start.min(other.start), end: self.end.max(other.end) }
    }

    pub fn len(&self) -> usize {
        self.end - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    pub fn range(&self) -> Range<usize> {
        self.start..self.end
    }
}

impl From<pest::Span<'_>> for Span {
    fn from(s: pest::Span<'_>) -> Span {
        Span { start: s.start(), end: s.end() }
    }
}

/// A named source text. Diagnostics hold an `Arc` to the file they point
/// into, so a diagnostic stays renderable after the config that produced it
/// has been replaced by a reload.
///
/// `masked` is the text as it may be shown to people: the same bytes, with
/// the secrets the file holds as literals overwritten. Everything that
/// shows a source (diagnostic excerpts, the UI's config page) shows that;
/// parsing, evaluation and change detection read `text`.
#[derive(Debug, PartialEq, Eq)]
pub struct SourceFile {
    pub name: String,
    pub text: String,
    masked: Option<String>,
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Arc<SourceFile> {
        Arc::new(SourceFile { name: name.into(), text: text.into(), masked: None })
    }

    /// The same file, shown as `masked`, which must be `text` with some
    /// bytes overwritten (same length, so every span still points right).
    pub fn with_masked(&self, masked: String) -> Arc<SourceFile> {
        debug_assert_eq!(masked.len(), self.text.len(), "a masked text keeps every byte offset");
        Arc::new(SourceFile { name: self.name.clone(), text: self.text.clone(), masked: Some(masked) })
    }

    /// The text as it may be shown: masked, if secrets were found in it.
    pub fn shown(&self) -> &str {
        self.masked.as_deref().unwrap_or(&self.text)
    }

    /// Whether [`SourceFile::shown`] differs from the text.
    pub fn is_masked(&self) -> bool {
        self.masked.as_ref().is_some_and(|m| *m != self.text)
    }

    /// 1-based line and column (in characters) of a byte offset.
    ///
    /// ```
    /// let file = solder_syntax::SourceFile::new("x.alloy", "name = \"é\"\nport = 1\n");
    /// assert_eq!(file.line_col(0), (1, 1));
    /// // `é` is two bytes but one column.
    /// assert_eq!(file.line_col("name = \"é\"".len()), (1, 11));
    /// assert_eq!(file.line_col(file.text.find("port").unwrap()), (2, 1));
    /// ```
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = floor_char_boundary(&self.text, offset.min(self.text.len()));
        let before = &self.text[..offset];
        let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let col = before[line_start..].chars().count() + 1;
        (line, col)
    }
}

/// The largest char boundary at or below `i`, so spans from any source never
/// slice through a UTF-8 sequence.
pub fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    if i >= s.len() {
        return s.len();
    }
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters_not_bytes() {
        let f = SourceFile::new("t", "ab\nçd = 1\n");
        assert_eq!(f.line_col(0), (1, 1));
        assert_eq!(f.line_col(3), (2, 1));
        // 'ç' is two bytes, so byte 5 is the third column.
        assert_eq!(f.line_col(5), (2, 2));
        assert_eq!(f.line_col(100), (3, 1));
    }
}
