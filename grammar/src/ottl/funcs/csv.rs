//! `ParseCSV`: one CSV row into a map of header → field, read by the rules
//! of Go's `encoding/csv` as the Collector uses it, so the same row gives
//! the same map and a bad one the same error:
//!
//! - `strict` (the default): a quote may open a field and close it (`""`
//!   inside is a quote); a quote anywhere else is an error.
//! - `lazyQuotes`: a quote in an unquoted field, or one in a quoted field
//!   not followed by the delimiter, is kept as text.
//! - `ignoreQuotes`: quotes mean nothing; the row is split on the
//!   delimiter.
//!
//! The row is one telemetry item's text, so a line break inside it (a
//! quoted field that spans lines, or a bare one) continues the last field,
//! as the Collector stitches Go's records back together.

use super::super::function::{CompileArgs, FunctionDef, Param, ParamKind::*};
use super::super::value::Value;
use super::common::{func, lit_str, want_str, Made};

pub(super) const DEFS: &[FunctionDef] = &[FunctionDef {
    name: "ParseCSV",
    params: &[
        Param::required("target", Value),
        Param::required("headers", Value),
        Param::optional("delimiter", Str),
        Param::optional("headerDelimiter", Str),
        Param::optional("mode", Str),
    ],
    make: parse_csv,
}];

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Strict,
    Lazy,
    Ignore,
}

fn parse_csv(c: &CompileArgs<'_>) -> Made {
    let one = |i: usize, name: &str, default: char| -> Result<char, (usize, String)> {
        let Some(text) = lit_str(c, i) else { return Ok(default) };
        let mut chars = text.chars();
        match (chars.next(), chars.next()) {
            // Go's reader refuses these as a delimiter when it reads.
            (Some('"' | '\r' | '\n'), None) if name == "delimiter" => Err((i, "csv: invalid field or comment delimiter".into())),
            (Some(ch), None) => Ok(ch),
            _ => Err((i, format!("invalid arguments: {name} must be a single character"))),
        }
    };
    let delimiter = one(2, "delimiter", ',')?;
    let header_delimiter = one(3, "header_delimiter", delimiter)?;
    let mode = match lit_str(c, 4).unwrap_or("strict") {
        "strict" => Mode::Strict,
        "lazyQuotes" => Mode::Lazy,
        "ignoreQuotes" => Mode::Ignore,
        other => return Err((4, format!("unknown mode: {other}"))),
    };
    func(move |args| {
        let target = want_str(args.get(0)?).map_err(|e| format!("get target: {e}"))?;
        let headers = want_str(args.get(1)?).map_err(|e| format!("get header: {e}"))?;
        if headers.is_empty() {
            return Err("headers must not be an empty string".into());
        }
        let headers: Vec<&str> = headers.split(header_delimiter).collect();
        let fields = match mode {
            Mode::Ignore => target.split(delimiter).map(str::to_string).collect(),
            _ => row(&target, delimiter, mode == Mode::Lazy)?,
        };
        if fields.len() != headers.len() {
            return Err(format!("map csv headers: wrong number of fields: expected {}, found {}", headers.len(), fields.len()));
        }
        // Go builds a map: a repeated header keeps its last field.
        let mut map: Vec<(String, Value)> = Vec::with_capacity(headers.len());
        for (h, f) in headers.into_iter().zip(fields) {
            match map.iter_mut().find(|(k, _)| k == h) {
                Some(slot) => slot.1 = Value::Str(f),
                None => map.push((h.to_string(), Value::Str(f))),
            }
        }
        Ok(Value::Map(map))
    })
}

/// The text's records, as Go's reader reads them one after another, joined
/// into one: each record after the first continues the last field of the
/// one before it across a line break. A record that fails after giving
/// some fields keeps them, as the Collector keeps what Go's reader
/// returned with the error; one that fails before any is the error.
fn row(text: &str, delimiter: char, lazy: bool) -> Result<Vec<String>, String> {
    let mut reader = Reader { lines: lines(text), line: 0, delimiter, lazy };
    let mut joined: Vec<String> = Vec::new();
    let mut any = false;
    while let Some(record) = reader.record() {
        let fields = match record {
            (fields, Err(e)) if fields.is_empty() => return Err(format!("read csv line: {e}")),
            (fields, _) => fields,
        };
        let mut fields = fields.into_iter();
        match (any, joined.last_mut(), fields.next()) {
            (true, Some(last), Some(first)) => {
                last.push('\n');
                last.push_str(&first);
            }
            (_, _, Some(first)) => joined.push(first),
            _ => {}
        }
        joined.extend(fields);
        any = true;
    }
    if !any {
        return Err("no csv lines found".into());
    }
    Ok(joined)
}

/// The text's lines, each with its line break (`\r\n` read as `\n`).
fn lines(text: &str) -> Vec<String> {
    let mut out: Vec<String> = text.split_inclusive('\n').map(str::to_string).collect();
    for l in &mut out {
        if l.ends_with("\r\n") {
            l.truncate(l.len() - 2);
            l.push('\n');
        }
    }
    out
}

struct Reader {
    lines: Vec<String>,
    line: usize,
    delimiter: char,
    lazy: bool,
}

const BARE_QUOTE: &str = "bare \" in non-quoted-field";
const QUOTE: &str = "extraneous or missing \" in quoted-field";

impl Reader {
    /// The next non-empty line, and its number (from 1).
    fn next_line(&mut self) -> Option<(String, usize)> {
        while self.line < self.lines.len() {
            let l = std::mem::take(&mut self.lines[self.line]);
            self.line += 1;
            if l != "\n" && !l.is_empty() {
                return Some((l, self.line));
            }
        }
        None
    }

    /// One record: its fields, and whether reading it failed.
    fn record(&mut self) -> Option<(Vec<String>, Result<(), String>)> {
        let (mut line, start) = self.next_line()?;
        let mut at_line = start;
        let mut fields = Vec::new();
        let mut pos = 0usize; // byte offset into `line`
        let mut col = 1usize; // Go's column: bytes from 1
        let error = |line_no: usize, col: usize, what: &str| {
            if line_no == start {
                format!("parse error on line {line_no}, column {col}: {what}")
            } else {
                format!("record on line {start}; parse error on line {line_no}, column {col}: {what}")
            }
        };
        let width = self.delimiter.len_utf8();
        loop {
            let rest = &line[pos..];
            if !rest.starts_with('"') {
                let end = rest.find(self.delimiter);
                let field = match end {
                    Some(i) => &rest[..i],
                    None => rest.strip_suffix('\n').unwrap_or(rest),
                };
                if !self.lazy {
                    if let Some(j) = field.find('"') {
                        return Some((fields, Err(error(at_line, col + j, BARE_QUOTE))));
                    }
                }
                fields.push(field.to_string());
                match end {
                    Some(i) => {
                        pos += i + width;
                        col += i + width;
                        continue;
                    }
                    None => return Some((fields, Ok(()))),
                }
            }
            // A quoted field, perhaps over several lines.
            pos += 1;
            col += 1;
            let mut field = String::new();
            loop {
                let rest = &line[pos..];
                if let Some(i) = rest.find('"') {
                    field.push_str(&rest[..i]);
                    pos += i + 1;
                    col += i + 1;
                    let after = &line[pos..];
                    if after.starts_with('"') {
                        field.push('"');
                        pos += 1;
                        col += 1;
                    } else if after.starts_with(self.delimiter) {
                        pos += width;
                        col += width;
                        fields.push(field);
                        break;
                    } else if after.is_empty() || after == "\n" {
                        fields.push(field);
                        return Some((fields, Ok(())));
                    } else if self.lazy {
                        field.push('"');
                    } else {
                        return Some((fields, Err(error(at_line, col - 1, QUOTE))));
                    }
                } else if !rest.is_empty() {
                    field.push_str(rest);
                    col += rest.len();
                    // The field goes on on the next line, empty ones too.
                    match self.lines.get_mut(self.line) {
                        Some(next) => {
                            line = std::mem::take(next);
                            self.line += 1;
                            pos = 0;
                            if !line.is_empty() {
                                at_line = self.line;
                                col = 1;
                            }
                        }
                        None => {
                            line = String::new();
                            pos = 0;
                        }
                    }
                } else {
                    // The text ended inside the quotes.
                    if !self.lazy {
                        return Some((fields, Err(error(at_line, col, QUOTE))));
                    }
                    fields.push(field);
                    return Some((fields, Ok(())));
                }
            }
        }
    }
}
