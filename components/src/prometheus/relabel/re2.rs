//! Relabel regexes as Prometheus reads them: RE2 syntax (Go's `regexp`),
//! anchored at both ends.
//!
//! The pattern is rewritten by [`solder_syntax::re2::translate`] so a rule
//! means what it means in Prometheus.

use regex::Regex;
use solder_syntax::re2::translate;

/// Compiles `pattern` anchored as `^(?:pattern)$`.
pub fn compile(pattern: &str) -> Result<Regex, String> {
    Regex::new(&format!("^(?:{})$", translate(pattern))).map_err(|e| one_line(&e.to_string()))
}

/// The crate's errors draw the pattern over several lines; the last says
/// what is wrong.
fn one_line(message: &str) -> String {
    message.lines().rev().find(|l| !l.trim().is_empty()).map(|l| l.trim().trim_start_matches("error: ").to_string()).unwrap_or_default()
}
