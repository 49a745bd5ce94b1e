//! A token scanner that runs beside the pest grammar.
//!
//! pest decides what parses; the scanner answers the questions pest cannot:
//! which lexical mistake broke a token (an unterminated string, an unknown
//! escape, an illegal character), what token sits at a failure position and
//! what brackets enclose it, and where the comments are. It follows Alloy's
//! scanner, including Go's rule for which newlines end a statement.

use crate::diagnostic::Diagnostic;
use crate::literal;
use crate::span::Span;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tok {
    Ident,
    Keyword,
    Number,
    String,
    /// A newline that ends a statement (it follows an identifier, literal,
    /// `)`, `]` or `}`).
    Terminator,
    /// Any other punctuation or operator; the text is at the span.
    Punct,
    Illegal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    pub tok: Tok,
    pub span: Span,
}

#[derive(Debug, Default)]
pub struct Scanned {
    /// Every token but comments, in order.
    pub tokens: Vec<Token>,
    /// Comment spans, kept apart so the parsers never step over them.
    pub comments: Vec<Span>,
    pub errors: Vec<Diagnostic>,
    /// The input nests past [`MAX_NESTING`] (or chains past
    /// [`MAX_OPERATORS`]): nothing may recurse over it.
    pub too_deep: bool,
}

/// Scans the whole source. Never fails: lexical mistakes become diagnostics
/// and the scan goes on.
pub fn scan(src: &str) -> Scanned {
    let mut s = Scanner { src, bytes: src.as_bytes(), pos: 0, out: Scanned::default(), insert_term: false, nesting: Nesting::default() };
    s.run();
    s.out
}

/// How deep a config may nest: brackets and blocks, runs of unary
/// operators, and chains of `^`. Each level is a level of recursion in the
/// parsers, the evaluator and the formatter; past this, input is refused
/// with one clear error instead of risking the stack. Real configs nest
/// about ten deep.
pub const MAX_NESTING: usize = 100;

/// How many binary operators one expression may chain (`1 + 1 + ...`):
/// a left-leaning tree that is walked recursively, like nesting.
pub const MAX_OPERATORS: usize = 1_000;

/// Nesting measures. Every bracket opens a level: a comma or `=` ends an
/// operand only within its own level, so `1 + f(1,) + f(1,) ...` still
/// counts as one long chain at the outer level.
struct Nesting {
    levels: Vec<Level>,
    unary_run: usize,
    reported: bool,
}

/// The chain being built in one bracket level: binary operators, `^`s in a
/// row, and postfix links (`.x`, `[i]`, `(args)`), each one more level of
/// tree under the operand.
#[derive(Default, Clone, Copy)]
struct Level {
    operators: usize,
    pow_run: usize,
}

impl Default for Nesting {
    fn default() -> Nesting {
        Nesting { levels: vec![Level::default()], unary_run: 0, reported: false }
    }
}

impl Nesting {
    fn current(&mut self) -> &mut Level {
        if self.levels.is_empty() {
            self.levels.push(Level::default());
        }
        let last = self.levels.len() - 1;
        &mut self.levels[last]
    }

    /// Tree depth the operators and links of every open level add up to.
    fn chain(&self) -> usize {
        self.levels.iter().map(|l| l.operators).sum()
    }

    fn depth(&self) -> usize {
        (self.levels.len() - 1) + self.unary_run + self.levels.last().map_or(0, |l| l.pow_run)
    }
}

struct Scanner<'a> {
    src: &'a str,
    bytes: &'a [u8],
    pos: usize,
    out: Scanned,
    insert_term: bool,
    nesting: Nesting,
}

impl Scanner<'_> {
    fn run(&mut self) {
        while self.pos < self.bytes.len() {
            let start = self.pos;
            let b = self.bytes[self.pos];
            match b {
                b' ' | b'\t' | b'\r' => self.pos += 1,
                b'\n' => {
                    self.pos += 1;
                    if self.insert_term {
                        self.push(Tok::Terminator, start, false);
                    }
                }
                b'/' if self.peek(1) == Some(b'/') => {
                    let end = self.src[start..].find('\n').map_or(self.bytes.len(), |i| start + i);
                    self.pos = end;
                    self.comment(start);
                }
                b'/' if self.peek(1) == Some(b'*') => {
                    let end = match self.src[start + 2..].find("*/") {
                        Some(i) => start + 2 + i + 2,
                        None => {
                            self.error(start, self.bytes.len(), "block comment not terminated");
                            self.bytes.len()
                        }
                    };
                    self.pos = end;
                    let multiline = self.src[start..end].contains('\n');
                    if multiline && self.insert_term {
                        self.push(Tok::Terminator, start, false);
                    }
                    self.comment(start);
                }
                b'"' => self.string(start, b'"'),
                b'`' => self.string(start, b'`'),
                b'\'' => {
                    self.error(start, start + 1, "illegal single-quoted string; use double quotes");
                    self.string(start, b'\'');
                }
                b'0'..=b'9' => self.number(start),
                b'.' if self.peek(1).is_some_and(|c| c.is_ascii_digit()) => self.number(start),
                _ if is_ident_start(self.char_at(start)) => self.ident(start),
                _ => self.punct(start),
            }
        }
    }

    fn peek(&self, ahead: usize) -> Option<u8> {
        self.bytes.get(self.pos + ahead).copied()
    }

    fn char_at(&self, at: usize) -> char {
        self.src[at..].chars().next().unwrap_or('\0')
    }

    fn push(&mut self, tok: Tok, start: usize, insert_term: bool) {
        self.track_nesting(tok, start);
        self.out.tokens.push(Token { tok, span: Span::new(start, self.pos) });
        self.insert_term = insert_term;
    }

    /// Keeps the nesting measures current and reports the first excess.
    fn track_nesting(&mut self, tok: Tok, start: usize) {
        // Identifiers and literals (most tokens) change no measure but the
        // unary run; only punctuation and terminators can deepen anything.
        if !matches!(tok, Tok::Punct | Tok::Terminator) {
            self.nesting.unary_run = 0;
            return;
        }
        let text = &self.src[start..self.pos];
        let after_value = self.insert_term;
        let n = &mut self.nesting;
        match (tok, text) {
            (Tok::Punct, "{" | "[" | "(") => {
                // `[`/`(` right after a value index or call it: one more link.
                if after_value && text != "{" {
                    n.current().operators += 1;
                }
                n.levels.push(Level::default());
                n.unary_run = 0;
            }
            (Tok::Punct, "}" | "]" | ")") => {
                if n.levels.len() > 1 {
                    n.levels.pop();
                }
                n.unary_run = 0;
            }
            (Tok::Punct, ".") if after_value => n.current().operators += 1,
            (Tok::Punct, "!" | "-") if !after_value => n.unary_run += 1,
            (Tok::Punct, "^") => {
                let l = n.current();
                l.pow_run += 1;
                l.operators += 1;
            }
            (Tok::Punct, "," | "=") | (Tok::Terminator, _) => {
                n.unary_run = 0;
                *n.current() = Level::default();
            }
            (Tok::Punct, "||" | "&&" | "==" | "!=" | "<" | "<=" | ">" | ">=" | "+" | "-" | "*" | "/" | "%") => {
                let l = n.current();
                l.operators += 1;
                l.pow_run = 0;
                n.unary_run = 0;
            }
            _ => n.unary_run = 0,
        }
        if n.reported {
            return;
        }
        let message = if n.depth() > MAX_NESTING {
            format!("nesting is deeper than {MAX_NESTING} levels")
        } else if n.chain() > MAX_OPERATORS {
            format!("expression chains more than {MAX_OPERATORS} operators")
        } else {
            return;
        };
        n.reported = true;
        self.out
            .errors
            .push(Diagnostic::error(Span::new(start, self.pos), message).with_help("split the value into smaller pieces; no real config needs this much"));
        self.out.too_deep = true;
    }

    fn comment(&mut self, start: usize) {
        // A comment leaves the terminator state alone: the newline after it
        // still ends the statement it trails.
        self.out.comments.push(Span::new(start, self.pos));
    }

    fn error(&mut self, start: usize, end: usize, msg: impl Into<String>) {
        self.out.errors.push(Diagnostic::error(Span::new(start, end), msg));
    }

    fn ident(&mut self, start: usize) {
        // ASCII first; only a non-ASCII byte sends us to the Unicode tables.
        let mut end = start + self.char_at(start).len_utf8();
        while end < self.bytes.len() {
            let b = self.bytes[end];
            if b.is_ascii_alphanumeric() || b == b'_' {
                end += 1;
            } else if b.is_ascii() {
                break;
            } else {
                let c = self.char_at(end);
                if !is_ident_char(c) {
                    break;
                }
                end += c.len_utf8();
            }
        }
        self.pos = end;
        let word = &self.src[start..self.pos];
        let tok = if matches!(word, "true" | "false" | "null") { Tok::Keyword } else { Tok::Ident };
        self.push(tok, start, true);
    }

    fn number(&mut self, start: usize) {
        let digits = |s: &mut Self| {
            let from = s.pos;
            while s.pos < s.bytes.len() && s.bytes[s.pos].is_ascii_digit() {
                s.pos += 1;
            }
            s.pos - from
        };
        digits(self);
        if self.peek(0) == Some(b'.') {
            self.pos += 1;
            digits(self);
        }
        if matches!(self.peek(0), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(0), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if digits(self) == 0 {
                self.error(start, self.pos, "exponent has no digits");
            }
        }
        self.push(Tok::Number, start, true);
    }

    fn string(&mut self, start: usize, quote: u8) {
        let multiline = quote == b'`';
        let mut i = start + 1;
        let terminated = loop {
            match self.bytes.get(i) {
                None => break false,
                Some(b'\n') if !multiline => break false,
                Some(&c) if c == quote => {
                    i += 1;
                    break true;
                }
                Some(b'\\') if !multiline && self.bytes.get(i + 1).is_some_and(|&c| c != b'\n') => i += 2,
                Some(_) => i += 1,
            }
        };
        self.pos = i.min(self.bytes.len());
        while !self.src.is_char_boundary(self.pos) {
            self.pos += 1;
        }
        if !terminated {
            self.error(start, self.pos, "string literal not terminated");
        } else if quote == b'"' {
            if let Err(e) = literal::unquote(&self.src[start..self.pos]) {
                self.error(start + e.offset, start + e.offset + e.len, e.message);
            }
        }
        self.push(Tok::String, start, true);
    }

    fn punct(&mut self, start: usize) {
        let two = self.src.get(start..start + 2).unwrap_or("");
        let len = match two {
            "||" | "&&" | "==" | "!=" | "<=" | ">=" => 2,
            _ => 1,
        };
        let c = self.char_at(start);
        self.pos = start + c.len_utf8().max(len);
        match c {
            '|' | '&' if len == 1 => {
                self.error(start, self.pos, format!("missing second {c} in {c}{c}"));
                self.push(Tok::Punct, start, false);
            }
            ')' | ']' | '}' => self.push(Tok::Punct, start, true),
            '!' | '=' | '<' | '>' | '+' | '-' | '*' | '/' | '%' | '^' | '{' | '(' | '[' | ',' | '.' | '|' | '&' => self.push(Tok::Punct, start, false),
            '\u{FEFF}' => {}
            _ => {
                self.error(start, self.pos, format!("illegal character U+{:04X} '{}'", c as u32, c));
                let keep = self.insert_term;
                self.push(Tok::Illegal, start, keep);
            }
        }
    }
}

/// Identifier classes are pest's own `LETTER` and `DECIMAL_NUMBER`, so that
/// the scanner and the grammar agree on every character.
pub fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || (!c.is_ascii() && pest::unicode::LETTER(c))
}

pub fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || (!c.is_ascii() && (pest::unicode::LETTER(c) || pest::unicode::DECIMAL_NUMBER(c)))
}

/// Whether `s` is a valid identifier, as a block label must be.
pub fn is_valid_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(is_ident_start) && chars.all(is_ident_char) && !matches!(s, "true" | "false" | "null")
}
