//! The two exposition formats: Prometheus text 0.0.4 and OpenMetrics 1.0.
//!
//! Series are rendered once, when their value changes ([`series`]); a
//! scrape only writes the family headers and concatenates the rendered
//! series, so its cost is a copy of the output.

use std::fmt::Write;

use crate::prometheus::{Exemplar, MetricType, SampleValue, Series};

/// An exposition format, chosen per scrape from the `Accept` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `text/plain; version=0.0.4`: what every Prometheus understands.
    Text,
    /// `application/openmetrics-text; version=1.0.0`: adds exemplars.
    OpenMetrics,
}

impl Format {
    /// Picks OpenMetrics when the scraper lists it with a non-zero
    /// quality, as Prometheus does when exemplars are enabled; otherwise
    /// the text format, which every scraper accepts.
    pub fn negotiate(accept: &str) -> Format {
        let wants_om = accept.split(',').any(|range| {
            let mut parts = range.split(';').map(str::trim);
            let media = parts.next().unwrap_or("");
            if !media.eq_ignore_ascii_case("application/openmetrics-text") {
                return false;
            }
            parts.all(|p| match p.split_once('=') {
                Some(("q", q)) => q.parse::<f64>().is_ok_and(|q| q > 0.0),
                Some(("version", v)) => v == "1.0.0" || v == "0.0.1",
                _ => true,
            })
        });
        if wants_om {
            Format::OpenMetrics
        } else {
            Format::Text
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Text => "text/plain; version=0.0.4; charset=utf-8",
            Format::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
        }
    }
}

/// The name a family's metadata lines use. OpenMetrics names a counter
/// family without its `_total`, which its samples then carry.
pub fn family_name(name: &str, kind: MetricType, format: Format) -> &str {
    match (format, kind) {
        (Format::OpenMetrics, MetricType::Counter) => name.strip_suffix("_total").unwrap_or(name),
        _ => name,
    }
}

/// `# HELP`, `# TYPE` (and `# UNIT` in OpenMetrics) for one family.
pub fn header(out: &mut String, name: &str, kind: MetricType, help: &str, unit: &str, format: Format) {
    let family = family_name(name, kind, format);
    let type_word = match (kind, format) {
        (MetricType::Counter, _) => "counter",
        (MetricType::Gauge, _) => "gauge",
        (MetricType::Histogram, _) => "histogram",
        (MetricType::Summary, _) => "summary",
        (MetricType::Unknown, Format::Text) => "untyped",
        (MetricType::Unknown, Format::OpenMetrics) => "unknown",
    };
    if format == Format::Text {
        if !help.is_empty() {
            let _ = writeln!(out, "# HELP {family} {}", escape_help(help, false));
        }
        let _ = writeln!(out, "# TYPE {family} {type_word}");
        return;
    }
    let _ = writeln!(out, "# TYPE {family} {type_word}");
    // OpenMetrics only allows a unit that the family name ends with.
    if !unit.is_empty() && family.strip_suffix(unit).is_some_and(|rest| rest.ends_with('_')) {
        let _ = writeln!(out, "# UNIT {family} {unit}");
    }
    if !help.is_empty() {
        let _ = writeln!(out, "# HELP {family} {}", escape_help(help, true));
    }
}

/// Renders one series' sample lines, `labels` already holding the
/// constant labels.
pub fn series(out: &mut String, name: &str, kind: MetricType, labels: &[(String, String)], s: &Series, format: Format) {
    let om = format == Format::OpenMetrics;
    match &s.value {
        SampleValue::Number(v) => {
            let counter_om = om && kind == MetricType::Counter;
            let suffix = if counter_om && !name.ends_with("_total") { "_total" } else { "" };
            line(out, name, suffix, labels, None, *v);
            if counter_om {
                if let Some(e) = s.exemplars.iter().max_by_key(|e| e.timestamp_ms) {
                    exemplar(out, e);
                }
            }
            out.push('\n');
        }
        SampleValue::Histogram { buckets, count, sum } => {
            let mut lower = f64::NEG_INFINITY;
            let mut bound = String::new();
            let mut saw_inf = false;
            for b in buckets {
                bound.clear();
                number(&mut bound, b.upper_bound);
                saw_inf |= b.upper_bound == f64::INFINITY;
                line(out, name, "_bucket", labels, Some(("le", &bound)), b.cumulative_count as f64);
                if om {
                    let in_bucket = s.exemplars.iter().filter(|e| e.value > lower && e.value <= b.upper_bound);
                    if let Some(e) = in_bucket.max_by_key(|e| e.timestamp_ms) {
                        exemplar(out, e);
                    }
                }
                out.push('\n');
                lower = b.upper_bound;
            }
            if !saw_inf {
                line(out, name, "_bucket", labels, Some(("le", "+Inf")), *count as f64);
                out.push('\n');
            }
            line(out, name, "_sum", labels, None, *sum);
            out.push('\n');
            line(out, name, "_count", labels, None, *count as f64);
            out.push('\n');
        }
        SampleValue::Summary { quantiles, count, sum } => {
            let mut q = String::new();
            for (quantile, v) in quantiles {
                q.clear();
                number(&mut q, *quantile);
                line(out, name, "", labels, Some(("quantile", &q)), *v);
                out.push('\n');
            }
            line(out, name, "_sum", labels, None, *sum);
            out.push('\n');
            line(out, name, "_count", labels, None, *count as f64);
            out.push('\n');
        }
    }
}

/// `name{labels} value`, without the line end (an exemplar may follow).
fn line(out: &mut String, name: &str, suffix: &str, labels: &[(String, String)], extra: Option<(&str, &str)>, value: f64) {
    out.push_str(name);
    out.push_str(suffix);
    label_set(out, labels.iter().map(|(k, v)| (k.as_str(), v.as_str())).chain(extra));
    out.push(' ');
    number(out, value);
}

/// ` # {labels} value timestamp`: OpenMetrics' exemplar syntax.
fn exemplar(out: &mut String, e: &Exemplar) {
    out.push_str(" # ");
    let set = e.labels.iter().map(|(k, v)| (k.as_str(), v.as_str()));
    if e.labels.is_empty() {
        out.push_str("{}");
    } else {
        label_set(out, set);
    }
    out.push(' ');
    number(out, e.value);
    if let Some(ms) = e.timestamp_ms.filter(|ms| *ms >= 0) {
        let _ = write!(out, " {}.{:03}", ms / 1000, ms % 1000);
    }
}

fn label_set<'a>(out: &mut String, labels: impl Iterator<Item = (&'a str, &'a str)>) {
    let mut first = true;
    for (k, v) in labels {
        out.push(if first { '{' } else { ',' });
        first = false;
        out.push_str(k);
        out.push_str("=\"");
        escape_into(out, v, true);
        out.push('"');
    }
    if !first {
        out.push('}');
    }
}

/// Writes a sample value as Prometheus parses it: integers without a
/// fraction, `+Inf`, `-Inf`, `NaN`, and otherwise Rust's shortest form.
pub fn number(out: &mut String, v: f64) {
    if v.is_nan() {
        out.push_str("NaN");
    } else if v.is_infinite() {
        out.push_str(if v > 0.0 { "+Inf" } else { "-Inf" });
    } else if v.fract() == 0.0 && v.abs() < 1e15 {
        let _ = write!(out, "{}", v as i64);
    } else {
        let _ = write!(out, "{v:?}");
    }
}

fn escape_into(out: &mut String, s: &str, quote: bool) {
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '"' if quote => out.push_str("\\\""),
            c => out.push(c),
        }
    }
}

/// Help text escaped: both formats escape `\` and newlines, OpenMetrics
/// also `"`.
fn escape_help(help: &str, quote: bool) -> String {
    let mut s = String::with_capacity(help.len());
    escape_into(&mut s, help, quote);
    s
}
