//! Column alignment: the `=` of neighbouring attributes and object fields,
//! and trailing comments on neighbouring lines.
//!
//! Widths count characters, not bytes, so identifiers in other scripts line
//! up as well as ASCII ones do in a monospace editor.

use super::printer::{Line, Printer};

/// Attribute or field names whose `=` signs line up: a run of them on
/// consecutive lines. Each entry remembers where its name cell ends, so
/// padding can be inserted once the run is over and the widest is known.
#[derive(Default)]
pub(super) struct AlignGroup {
    cells: Vec<Cell>,
}

struct Cell {
    line: usize,
    end: usize,
    width: usize,
}

impl AlignGroup {
    /// Records the name cell that ends at the current end of the printer's
    /// current line.
    pub fn push(&mut self, p: &Printer<'_>) {
        let end = p.cur.text.len();
        let width = p.cur.text.chars().count();
        self.cells.push(Cell { line: p.lines.len(), end, width });
    }

    /// Pads every name in the run to the widest one and starts a new run.
    pub fn finish(&mut self, p: &mut Printer<'_>) {
        let widest = self.cells.iter().map(|c| c.width).max().unwrap_or(0);
        for cell in self.cells.drain(..) {
            let pad = widest - cell.width;
            if pad == 0 {
                continue;
            }
            let line = if cell.line < p.lines.len() { p.lines.get_mut(cell.line) } else { Some(&mut p.cur) };
            let Some(line) = line else { continue };
            if !line.text.is_char_boundary(cell.end) {
                continue;
            }
            line.text.insert_str(cell.end, &" ".repeat(pad));
            if let Some(code_end) = line.code_end.as_mut() {
                if *code_end >= cell.end {
                    *code_end += pad;
                }
            }
        }
    }
}

/// Lines up trailing comments on consecutive lines of the same indentation
/// in one column, one space after the longest code among them. A line that
/// spans several output lines (a raw string or block comment with newlines)
/// is left alone and ends the run.
pub(super) fn align_trailing_comments(lines: &mut [Line]) {
    let eligible = |l: &Line| l.code_end.is_some() && !l.text.contains('\n');
    let mut i = 0;
    while i < lines.len() {
        if !eligible(&lines[i]) {
            i += 1;
            continue;
        }
        let mut j = i + 1;
        while j < lines.len() && eligible(&lines[j]) && lines[j].indent == lines[i].indent {
            j += 1;
        }
        let run = &mut lines[i..j];
        let widest = run.iter().map(|l| code_part(l).trim_end().chars().count()).max().unwrap_or(0);
        for line in run {
            let code = code_part(line).trim_end().to_string();
            let comment = line.text.get(line.code_end.unwrap_or(0)..).unwrap_or("").trim_start().to_string();
            let pad = widest - code.chars().count() + 1;
            line.text = format!("{code}{}{comment}", " ".repeat(pad));
            line.code_end = Some(code.len());
        }
        i = j;
    }
}

fn code_part(line: &Line) -> &str {
    line.text.get(..line.code_end.unwrap_or(0)).unwrap_or("")
}
