//! The canonical formatter behind `solder fmt`, after Alloy's `alloy fmt`.
//!
//! One layout per meaning, so that diffs between configs show changes of
//! meaning only: tab indentation, `=` and trailing comments aligned in
//! columns, one space around binary operators. What the author chose and
//! what carries intent is kept: literals exactly as written, at most one
//! blank line wherever there were blank lines, whether a list was written
//! across lines, and every comment, near where it stood.
//!
//! The formatter promises that its output parses to the same tree as its
//! input (spans aside), keeps every comment, and formats to itself;
//! [`check_round_trip`] tests all three on one input.
//!
//! Layout choices the printer makes:
//! - An attribute printed over several lines takes part in the `=`
//!   alignment of the lines above it and ends that group; the next
//!   attribute starts a new one. Object fields follow the same rule.
//! - Blank lines are kept (at most one) between statements, between the
//!   items of a multi-line list, and between comments and what they
//!   precede; never at the start or end of a body or list.
//! - Operators, `=` and `.` never start a continuation line: line breaks
//!   inside expressions are joined, unless a comment needs a line end there,
//!   in which case the expression continues one tab deeper.
//! - Comments keep their line: a comment after code stays on that code's
//!   line, and one that began a line begins a line. The exceptions are
//!   where code cannot follow on the same line: a comment between `{` and a
//!   statement on the same line stays on the `{` line and the statement
//!   moves down; a block comment before a closing `}` or `]` on the same
//!   line gets a line of its own above it; `name { /* c */ }` opens up.
//! - An empty block prints as `name { }`, an empty list as `[]`, `{}` or
//!   `f()`, whatever their shape in the source.
//! - Alignment widths count characters, as Alloy's tabwriter does; wide
//!   (CJK) characters therefore align by count, not by display width.
//! - Lines end without trailing white space, except inside raw strings,
//!   whose text is their value; block comments lose trailing white space on
//!   each of their lines.

mod align;
mod check;
mod layout;
mod printer;

use crate::ast::File;
use crate::diagnostic::Diagnostic;

pub use check::{check_round_trip, comment_texts, same_tree};

/// Formats a parsed file. `src` must be the text `file` was parsed from:
/// literals and comments are copied from it by span.
pub fn format(file: &File, src: &str) -> String {
    let mut p = printer::Printer::new(src, &file.comments);
    p.body(&file.body, src.len(), 0);
    p.finish()
}

/// Parses and formats, or returns the syntax errors that prevent it.
///
/// ```
/// let messy = "otelcol.processor.batch \"default\" {\n    timeout = \"1s\"   // flush at least this often\n  send_batch_size=8192\n\n\n\n  output { traces = [] }\n}";
/// let tidy = "otelcol.processor.batch \"default\" {\n\ttimeout         = \"1s\" // flush at least this often\n\tsend_batch_size = 8192\n\n\toutput {\n\t\ttraces = []\n\t}\n}\n";
/// assert_eq!(solder_syntax::format_source(messy).unwrap(), tidy);
/// // Formatting is a fixed point.
/// assert_eq!(solder_syntax::format_source(tidy).unwrap(), tidy);
/// // Input that does not parse is not formatted.
/// assert!(solder_syntax::format_source("a = (").is_err());
/// ```
pub fn format_source(src: &str) -> Result<String, Vec<Diagnostic>> {
    let file = crate::parse(src)?;
    Ok(format(&file, src))
}
