//! The Prometheus text format (0.0.4 and 1.0.0) and OpenMetrics text
//! (0.0.1 and 1.0.0), parsed into flat samples as Prometheus appends them.
//!
//! Hand-written rather than taken from a crate: the crates on offer either
//! build a tree of families per scrape (more allocation than the flat list
//! the scrape loop needs) or miss OpenMetrics' timestamps in seconds and
//! exemplars. See docs/components/prometheus.scrape.md for the figures.

use std::collections::HashMap;

use crate::prometheus::{Exemplar, MetricType};

/// Which grammar a body is read with, from the response's Content-Type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextFormat {
    /// `text/plain`: timestamps are integer milliseconds.
    Prometheus,
    /// `application/openmetrics-text`: timestamps are float seconds,
    /// samples may carry exemplars, and the body ends with `# EOF`.
    OpenMetrics,
}

/// One sample line: the metric name, its labels in the order written,
/// its value and its own timestamp (milliseconds), if it had one, and the
/// OpenMetrics exemplar written after it.
#[derive(Debug, Clone, PartialEq)]
pub struct RawSample<'a> {
    /// Borrowed from the body: most samples share their family's name, so
    /// only a family's first sample makes a `String` of it.
    pub name: &'a str,
    pub labels: Vec<(String, String)>,
    pub value: f64,
    pub timestamp_ms: Option<i64>,
    pub exemplar: Option<Exemplar>,
}

/// OpenMetrics caps an exemplar's label names and values together at 128
/// characters. Prometheus drops a longer one and keeps the sample.
pub const MAX_EXEMPLAR_LABEL_CHARS: usize = 128;

/// What `# TYPE`, `# HELP` and `# UNIT` said about a family.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FamilyMeta {
    pub kind: Option<MetricType>,
    pub help: String,
    pub unit: String,
}

/// A parsed body.
#[derive(Debug, Default)]
pub struct Exposition<'a> {
    pub samples: Vec<RawSample<'a>>,
    pub families: HashMap<String, FamilyMeta>,
}

/// Why a body was refused: the 1-based line and what was wrong there.
#[derive(Debug, Clone, PartialEq)]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// Parses a whole body. A malformed line fails the whole scrape, as in
/// Prometheus, so a target never half-reports.
pub fn parse(body: &str, format: TextFormat) -> Result<Exposition<'_>, ParseError> {
    let mut out = Exposition::default();
    let mut seen_eof = false;
    for (i, line) in body.lines().enumerate() {
        let fail = |message: String| ParseError { line: i + 1, message };
        if seen_eof {
            if line.trim().is_empty() {
                continue;
            }
            return Err(fail("unexpected data after # EOF".into()));
        }
        let trimmed = line.trim_start();
        if trimmed.is_empty() {
            continue;
        }
        if let Some(comment) = trimmed.strip_prefix('#') {
            if comment.trim() == "EOF" && format == TextFormat::OpenMetrics {
                seen_eof = true;
                continue;
            }
            metadata(comment, &mut out.families).map_err(fail)?;
            continue;
        }
        let sample = sample(trimmed, format).map_err(fail)?;
        out.samples.push(sample);
    }
    if format == TextFormat::OpenMetrics && !seen_eof {
        return Err(ParseError { line: body.lines().count(), message: "data does not end with # EOF".into() });
    }
    Ok(out)
}

/// `# HELP`, `# TYPE` and `# UNIT`; any other comment is ignored.
fn metadata(comment: &str, families: &mut HashMap<String, FamilyMeta>) -> Result<(), String> {
    let comment = comment.trim_start();
    let (keyword, rest) = comment.split_once(' ').unwrap_or((comment, ""));
    if !matches!(keyword, "HELP" | "TYPE" | "UNIT") {
        return Ok(());
    }
    let rest = rest.trim_start();
    let (name, text) = rest.split_once([' ', '\t']).unwrap_or((rest, ""));
    if !is_metric_name(name) {
        return Err(format!("invalid metric name {name:?} in # {keyword}"));
    }
    let meta = families.entry(name.to_string()).or_default();
    match keyword {
        "HELP" => meta.help = unescape_help(text.trim_start()),
        "UNIT" => meta.unit = text.trim().to_string(),
        _ => {
            meta.kind = Some(match text.trim() {
                "counter" => MetricType::Counter,
                "gauge" => MetricType::Gauge,
                "histogram" | "gaugehistogram" => MetricType::Histogram,
                "summary" => MetricType::Summary,
                "untyped" | "unknown" | "info" | "stateset" => MetricType::Unknown,
                other => return Err(format!("invalid metric type {other:?}")),
            })
        }
    }
    Ok(())
}

fn unescape_help(s: &str) -> String {
    if !s.contains('\\') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match (c, c == '\\') {
            (_, true) => match chars.next() {
                Some('n') => out.push('\n'),
                Some(other) => out.push(other),
                None => out.push('\\'),
            },
            (c, false) => out.push(c),
        }
    }
    out
}

fn is_name_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b == b':'
}

fn is_name_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b':'
}

fn is_metric_name(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty() && is_name_start(b[0]) && b.iter().all(|c| is_name_char(*c))
}

/// A cursor over one sample line.
struct Line<'a> {
    s: &'a [u8],
    at: usize,
}

impl<'a> Line<'a> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.at).copied()
    }

    fn skip_blanks(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.at += 1;
        }
    }

    fn text(&self, from: usize) -> &'a str {
        // Both ends sit on ASCII bytes, so the slice is valid UTF-8.
        std::str::from_utf8(&self.s[from..self.at]).unwrap_or_default()
    }

    fn name(&mut self, what: &str, first: fn(u8) -> bool) -> Result<&'a str, String> {
        let from = self.at;
        match self.peek() {
            Some(b) if first(b) => self.at += 1,
            _ => return Err(format!("expected a {what} at column {}", self.at + 1)),
        }
        while self.peek().is_some_and(is_name_char) {
            self.at += 1;
        }
        Ok(self.text(from))
    }

    fn expect(&mut self, b: u8) -> Result<(), String> {
        if self.peek() == Some(b) {
            self.at += 1;
            Ok(())
        } else {
            Err(format!("expected {:?} at column {}", b as char, self.at + 1))
        }
    }

    /// A quoted label value with `\\`, `\"` and `\n` escapes.
    fn quoted(&mut self) -> Result<String, String> {
        self.expect(b'"')?;
        let from = self.at;
        let mut escaped = false;
        loop {
            match self.peek() {
                None => return Err("unterminated label value".into()),
                Some(b'"') => break,
                Some(b'\\') => {
                    escaped = true;
                    self.at += 2;
                }
                Some(_) => self.at += 1,
            }
        }
        if self.at > self.s.len() {
            return Err("unterminated label value".into());
        }
        let raw = std::str::from_utf8(&self.s[from..self.at]).map_err(|_| "label value is not UTF-8".to_string())?;
        self.at += 1;
        if !escaped {
            return Ok(raw.to_string());
        }
        let mut out = String::with_capacity(raw.len());
        let mut chars = raw.chars();
        while let Some(c) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('\\') => out.push('\\'),
                Some('"') => out.push('"'),
                Some(other) => return Err(format!("invalid escape sequence \\{other} in label value")),
                None => return Err("unterminated label value".into()),
            }
        }
        Ok(out)
    }

    /// `{a="x",b="y"}`, a trailing comma allowed.
    fn labels(&mut self) -> Result<Vec<(String, String)>, String> {
        let mut labels = Vec::new();
        self.expect(b'{')?;
        loop {
            self.skip_blanks();
            if self.peek() == Some(b'}') {
                self.at += 1;
                return Ok(labels);
            }
            let name = self.name("label name", |b| b.is_ascii_alphabetic() || b == b'_')?.to_string();
            self.skip_blanks();
            self.expect(b'=')?;
            self.skip_blanks();
            let value = self.quoted()?;
            if labels.iter().any(|(n, _)| *n == name) {
                return Err(format!("duplicate label name {name:?}"));
            }
            labels.push((name, value));
            self.skip_blanks();
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b'}') => {}
                _ => return Err(format!("expected \",\" or \"}}\" at column {}", self.at + 1)),
            }
        }
    }

    /// The next blank-separated word.
    fn word(&mut self) -> &'a str {
        self.skip_blanks();
        let from = self.at;
        while self.peek().is_some_and(|b| b != b' ' && b != b'\t') {
            self.at += 1;
        }
        std::str::from_utf8(&self.s[from..self.at]).unwrap_or_default()
    }
}

/// Go's `ParseFloat`, as Prometheus uses: `+Inf`, `-Inf` and `NaN` in
/// any case, which Rust's parser takes too.
fn number(word: &str) -> Result<f64, String> {
    word.parse::<f64>().map_err(|_| format!("invalid value {word:?}"))
}

fn sample(line: &str, format: TextFormat) -> Result<RawSample<'_>, String> {
    let mut l = Line { s: line.as_bytes(), at: 0 };
    let name = l.name("metric name", is_name_start)?;
    l.skip_blanks();
    let labels = if l.peek() == Some(b'{') { l.labels()? } else { Vec::new() };
    let value = l.word();
    if value.is_empty() {
        return Err(format!("metric {name:?} has no value"));
    }
    let value = number(value)?;
    let om = format == TextFormat::OpenMetrics;
    l.skip_blanks();
    let timestamp_ms = match l.peek() {
        None => None,
        Some(b'#') if om => None,
        Some(_) => Some(timestamp(l.word(), format)?),
    };
    l.skip_blanks();
    let exemplar = match l.peek() {
        None => None,
        Some(b'#') if om => {
            l.at += 1;
            exemplar(&mut l)?
        }
        Some(_) => {
            let rest = std::str::from_utf8(&l.s[l.at..]).unwrap_or_default();
            return Err(format!("unexpected {rest:?} after the sample"));
        }
    };
    Ok(RawSample { name, labels, value, timestamp_ms, exemplar })
}

fn timestamp(t: &str, format: TextFormat) -> Result<i64, String> {
    match format {
        TextFormat::Prometheus => t.parse::<i64>().map_err(|_| format!("invalid timestamp {t:?}")),
        TextFormat::OpenMetrics => {
            let secs: f64 = t.parse().map_err(|_| format!("invalid timestamp {t:?}"))?;
            if !secs.is_finite() {
                return Err(format!("invalid timestamp {t:?}"));
            }
            Ok((secs * 1000.0).round() as i64)
        }
    }
}

/// ` {labels} value [timestamp]` after a sample's `#`. Malformed syntax
/// fails the line, as in Prometheus; labels over the length cap only lose
/// the exemplar (`None`).
fn exemplar(l: &mut Line<'_>) -> Result<Option<Exemplar>, String> {
    l.skip_blanks();
    if l.peek() != Some(b'{') {
        return Err(format!("expected the exemplar's labels at column {}", l.at + 1));
    }
    let labels = l.labels()?;
    let value = l.word();
    if value.is_empty() {
        return Err("the exemplar has no value".into());
    }
    let value = number(value)?;
    let ts = l.word();
    let timestamp_ms = if ts.is_empty() { None } else { Some(timestamp(ts, TextFormat::OpenMetrics)?) };
    l.skip_blanks();
    if l.peek().is_some() {
        let rest = std::str::from_utf8(&l.s[l.at..]).unwrap_or_default();
        return Err(format!("unexpected {rest:?} after the exemplar"));
    }
    let chars: usize = labels.iter().map(|(k, v)| k.chars().count() + v.chars().count()).sum();
    if chars > MAX_EXEMPLAR_LABEL_CHARS {
        return Ok(None);
    }
    Ok(Some(Exemplar { labels, value, timestamp_ms }))
}
