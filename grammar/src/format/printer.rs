//! The output buffer and the comment cursor the layout code writes through.
//!
//! Comments live outside the tree, so the printer weaves them back in by
//! position, as gofmt and Alloy's own printer do: before any token is
//! written, every comment that starts before that token in the source is
//! written first. Where a comment had a newline after it in the source, the
//! next token goes on a new line. That newline is always legal, because the
//! printer emits the same tokens in the same order as the source, and Alloy
//! decides whether a newline ends a statement from the token before it alone.

use crate::ast::Comment;

/// One output line before rendering. `text` may hold newlines of its own
/// when a raw string or block comment spans lines.
#[derive(Debug, Default)]
pub(super) struct Line {
    pub indent: usize,
    pub text: String,
    /// Where the code ends and a trailing comment (with its leading space)
    /// begins, so trailing comments can be lined up in a column later.
    pub code_end: Option<usize>,
    /// Length of `text` after the last code was written; 0 if the line so
    /// far holds only comments.
    code_len: usize,
}

pub(super) struct Printer<'a> {
    pub src: &'a str,
    comments: Vec<&'a Comment>,
    next_comment: usize,
    pub lines: Vec<Line>,
    pub cur: Line,
    /// Source offset just past the last token or comment written; comments
    /// and blank lines are placed relative to it.
    pub last_end: usize,
    /// Indentation of the statement or list element being printed; a line
    /// that a comment forces inside an expression is indented one deeper.
    pub base: usize,
    pending_space: bool,
    pending_break: bool,
}

impl<'a> Printer<'a> {
    pub fn new(src: &'a str, comments: &'a [Comment]) -> Printer<'a> {
        let mut comments: Vec<&Comment> = comments.iter().collect();
        comments.sort_by_key(|c| c.span.start);
        Printer { src, comments, next_comment: 0, lines: Vec::new(), cur: Line::default(), last_end: 0, base: 0, pending_space: false, pending_break: false }
    }

    /// Asks for one space before the next token, unless a line starts there.
    pub fn space(&mut self) {
        self.pending_space = true;
    }

    /// Ends the current line (if it holds anything) and starts the next one
    /// at `indent`.
    pub fn break_line(&mut self, indent: usize) {
        if !self.cur.text.is_empty() {
            let done = std::mem::take(&mut self.cur);
            self.lines.push(done);
        }
        self.cur = Line { indent, ..Line::default() };
        self.pending_space = false;
        self.pending_break = false;
    }

    /// Puts one blank line before whatever comes next; never two in a row,
    /// and never at the top of the output.
    pub fn blank_line(&mut self) {
        let indent = self.cur.indent;
        self.break_line(indent);
        if self.lines.last().is_some_and(|l| !l.text.is_empty()) {
            self.lines.push(Line::default());
        }
    }

    /// Writes code text, honouring a pending line break or space.
    fn write(&mut self, text: &str) {
        if self.pending_break {
            self.break_line(self.base + 1);
        }
        if self.pending_space && !self.cur.text.is_empty() {
            self.cur.text.push(' ');
        }
        self.pending_space = false;
        self.cur.text.push_str(text);
        self.cur.code_len = self.cur.text.len();
        self.cur.code_end = None;
    }

    /// Writes a token that is exactly the source text at `span`.
    pub fn token(&mut self, start: usize, end: usize) {
        self.flush(start);
        let text = self.src.get(start..end).unwrap_or("");
        if text.starts_with('`') {
            // Go drops carriage returns from raw strings, so this keeps the
            // value and turns CRLF source into LF output.
            self.write(&text.replace('\r', ""));
        } else {
            self.write(text);
        }
        self.last_end = self.last_end.max(end);
    }

    /// Writes `text` in place of the source token at `start..end`.
    pub fn token_as(&mut self, start: usize, end: usize, text: &str) {
        self.flush(start);
        self.write(text);
        self.last_end = self.last_end.max(end);
    }

    /// Writes punctuation found at `pos` in the source, or added by the
    /// formatter (`None`), like the comma after a last list element.
    pub fn punct(&mut self, pos: Option<usize>, text: &str) {
        if let Some(p) = pos {
            self.flush(p);
            self.last_end = self.last_end.max(p + text.len());
        }
        self.write(text);
    }

    /// Like [`Printer::punct`], but never with a space before it: for `,`,
    /// `.`, and brackets that hug what they follow.
    pub fn punct_tight(&mut self, pos: Option<usize>, text: &str) {
        if let Some(p) = pos {
            self.flush(p);
            self.last_end = self.last_end.max(p + text.len());
        }
        self.pending_space = false;
        self.write(text);
    }

    /// The next unwritten comment, if it starts before `before`.
    fn peek_comment(&self, before: usize) -> Option<&'a Comment> {
        self.comments.get(self.next_comment).copied().filter(|c| c.span.start < before)
    }

    pub fn has_comment_before(&self, before: usize) -> bool {
        self.peek_comment(before).is_some()
    }

    pub fn has_newline(&self, from: usize, to: usize) -> bool {
        from < to && self.src.get(from..to).is_some_and(|s| s.contains('\n'))
    }

    /// Whether the source has an empty line between two offsets (the text
    /// between them is white space by the time this is asked).
    pub fn blank_between(&self, from: usize, to: usize) -> bool {
        from < to && self.src.get(from..to).is_some_and(|s| s.matches('\n').count() >= 2)
    }

    /// Appends a comment to the current line, after code or other comments.
    fn append_comment(&mut self, c: &Comment) {
        if self.cur.code_len > 0 && self.cur.code_end.is_none() {
            self.cur.code_end = Some(self.cur.text.len());
        }
        if !self.cur.text.is_empty() && !self.cur.text.ends_with(['(', '[']) {
            self.cur.text.push(' ');
        }
        self.cur.text.push_str(&comment_text(c));
        self.last_end = self.last_end.max(c.span.end);
        self.next_comment += 1;
    }

    /// Writes every comment that starts before `pos`, inside a statement.
    pub fn flush(&mut self, pos: usize) {
        while let Some(c) = self.peek_comment(pos) {
            // A comment that had a line of its own keeps one; others stay
            // on the line of the token before them.
            if !self.cur.text.is_empty() && self.has_newline(self.last_end, c.span.start) {
                self.break_line(self.base + 1);
            }
            self.append_comment(c);
            let next = self.peek_comment(pos).map_or(pos, |n| n.span.start);
            let ends_line = !c.is_block() || c.text.contains('\n') || self.has_newline(c.span.end, next);
            self.pending_space = true;
            self.pending_break |= ends_line;
        }
    }

    /// Writes the comments that sit on the same source line as the last
    /// thing written, before `limit`: the trailing comments of a line.
    pub fn trailing_comments(&mut self, limit: usize) {
        while let Some(c) = self.peek_comment(limit) {
            if self.has_newline(self.last_end, c.span.start) {
                break;
            }
            self.append_comment(c);
        }
    }

    /// Writes the comments before `before` that have lines of their own, one
    /// line per source line, at `indent`, keeping one blank line where the
    /// source had any (but none while `first` says nothing came before in
    /// this body). Stops at comments sharing a line with what follows, which
    /// the next token writes inline, unless `all` asks for every comment, as
    /// at the end of a body. Returns whether it wrote any.
    pub fn comment_lines(&mut self, before: usize, indent: usize, first: &mut bool, all: bool) -> bool {
        let mut wrote = false;
        while let Some(c) = self.peek_comment(before) {
            // The comments that share this source line.
            let mut run = 1;
            let mut run_end = c.span.end;
            let mut multiline = c.text.contains('\n');
            while let Some(n) = self.comments.get(self.next_comment + run).filter(|n| n.span.start < before) {
                if self.has_newline(run_end, n.span.start) {
                    break;
                }
                multiline |= n.text.contains('\n');
                run_end = n.span.end;
                run += 1;
            }
            let next = self.comments.get(self.next_comment + run).filter(|n| n.span.start < before).map_or(before, |n| n.span.start);
            if !all && !multiline && !self.has_newline(run_end, next) {
                break;
            }
            if !*first && self.blank_between(self.last_end, c.span.start) {
                self.blank_line();
            }
            self.break_line(indent);
            for _ in 0..run {
                if let Some(c) = self.peek_comment(before) {
                    self.append_comment(c);
                }
            }
            self.break_line(indent);
            *first = false;
            wrote = true;
        }
        wrote
    }

    /// Renders the lines: tabs for indentation, one final newline.
    pub fn finish(mut self) -> String {
        self.break_line(0);
        super::align::align_trailing_comments(&mut self.lines);
        let mut out = String::with_capacity(self.src.len() + 64);
        for line in &self.lines {
            let text = line.text.trim_end();
            if !text.is_empty() {
                out.push_str(&"\t".repeat(line.indent));
                out.push_str(text);
            }
            out.push('\n');
        }
        let trimmed = out.trim_end_matches('\n').trim_start_matches('\n');
        if trimmed.is_empty() {
            String::new()
        } else {
            format!("{trimmed}\n")
        }
    }
}

/// A comment as printed: trailing white space removed from each of its
/// lines, including the `\r` of CRLF source.
pub fn comment_text(c: &Comment) -> String {
    if !c.text.contains('\n') {
        return c.text.trim_end().to_string();
    }
    c.text.split('\n').map(str::trim_end).collect::<Vec<_>>().join("\n")
}

/// The offset of the punctuation `want` if it is the next thing after
/// `from`, skipping white space and comments. The AST does not keep the
/// spans of `=`, `,`, `.` and opening brackets; comments are placed around
/// them by these offsets.
pub fn find_punct(src: &str, from: usize, want: u8) -> Option<usize> {
    let bytes = src.as_bytes();
    let mut i = from;
    while let Some(&b) = bytes.get(i) {
        match b {
            b' ' | b'\t' | b'\r' | b'\n' => i += 1,
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                i = src.get(i..).and_then(|s| s.find('\n')).map_or(bytes.len(), |n| i + n);
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i = src.get(i + 2..).and_then(|s| s.find("*/")).map_or(bytes.len(), |n| i + 2 + n + 2);
            }
            0xEF if src.get(i..).is_some_and(|s| s.starts_with('\u{FEFF}')) => i += 3,
            _ if b == want => return Some(i),
            _ => return None,
        }
    }
    None
}
