//! Reading one collector component's options into Alloy attributes.
//!
//! An [`OptionReader`] walks a YAML mapping. Each option a converter asks
//! for is marked as read and typed on the way (a duration is checked as a
//! duration, a list as a list of strings), with environment references
//! turned into `sys.env` calls. Whatever was never asked for is reported by
//! [`OptionReader::finish`] as unsupported, so no option is dropped without
//! a word.

use solder_syntax::suggest::did_you_mean;
use solder_syntax::{Diagnostic, Span};

use super::emit::{list, object, quote, Block};
use super::env::{self, Part};
use super::yaml::{Entry, Node, Value};

pub type Diags = Vec<Diagnostic>;

/// The Alloy type an option is converted to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    String,
    Bool,
    Int,
    Float,
    /// A Go duration string; a bare integer is nanoseconds, as in Go.
    Duration,
    /// A list of strings.
    Strings,
    /// A list of durations (histogram buckets).
    Durations,
    /// A list of whole numbers (ports).
    Ints,
    /// A mapping of strings to strings.
    StringMap,
}

pub struct OptionReader<'a> {
    /// Who the options belong to, for messages: `exporter "otlp/jaeger"`.
    owner: &'a str,
    /// The path of this mapping inside the component, `tls.` or empty.
    prefix: String,
    entries: &'a [Entry],
    used: Vec<bool>,
    asked: Vec<&'static str>,
}

impl<'a> OptionReader<'a> {
    /// Reads a component's config. A config that is not a mapping is an
    /// error, and reads as empty.
    pub fn new(owner: &'a str, node: &'a Node, diags: &mut Diags) -> OptionReader<'a> {
        Self::at(owner, String::new(), node, diags)
    }

    /// Reads a mapping nested inside a component's config, such as one
    /// item of a list; `prefix` is its path, for messages.
    pub fn nested(owner: &'a str, prefix: String, node: &'a Node, diags: &mut Diags) -> OptionReader<'a> {
        Self::at(owner, prefix, node, diags)
    }

    fn at(owner: &'a str, prefix: String, node: &'a Node, diags: &mut Diags) -> OptionReader<'a> {
        let entries = node.entries().unwrap_or_else(|| {
            let what = if prefix.is_empty() { "its config".to_string() } else { format!("{:?}", prefix.trim_end_matches('.')) };
            diags.push(Diagnostic::error(node.span, format!("{owner}: {what} must be a mapping, got {}", node.kind())));
            &[]
        });
        OptionReader { owner, prefix, entries, used: vec![false; entries.len()], asked: Vec::new() }
    }

    /// Who the options belong to, for readers of nested items.
    pub fn owner(&self) -> &'a str {
        self.owner
    }

    /// The entry for `key`, marked as read.
    pub fn take(&mut self, key: &'static str) -> Option<&'a Entry> {
        self.asked.push(key);
        let i = self.entries.iter().position(|e| e.key == key)?;
        self.used[i] = true;
        Some(&self.entries[i])
    }

    /// Where `key` is written, if the mapping has it.
    pub fn key_span(&self, key: &str) -> Option<Span> {
        self.entries.iter().find(|e| e.key == key).map(|e| e.key_span)
    }

    /// Whether the mapping has `key` (without reading it).
    pub fn has(&self, key: &str) -> bool {
        self.entries.iter().any(|e| e.key == key)
    }

    /// The nested mapping under `key`, to read its options one by one.
    pub fn child(&mut self, key: &'static str, diags: &mut Diags) -> Option<OptionReader<'a>> {
        let owner = self.owner;
        let prefix = format!("{}{key}.", self.prefix);
        let entry = self.take(key)?;
        Some(OptionReader::at(owner, prefix, &entry.value, diags))
    }

    /// The option converted to an Alloy expression of type `ty`.
    pub fn expr(&mut self, key: &'static str, ty: Ty, diags: &mut Diags) -> Option<String> {
        let owner = self.owner;
        let path = format!("{}{key}", self.prefix);
        let entry = self.take(key)?;
        match value_expr(&entry.value, ty) {
            Ok(e) => e,
            Err(msg) => {
                diags.push(Diagnostic::error(entry.value.span, format!("{owner}: option {path:?} {msg}")));
                None
            }
        }
    }

    /// Copies option `key` to attribute `alloy` of `block`.
    pub fn copy_as(&mut self, block: &mut Block, key: &'static str, alloy: &str, ty: Ty, diags: &mut Diags) {
        if let Some(e) = self.expr(key, ty, diags) {
            block.attr(alloy, e);
        }
    }

    /// Copies option `key` to the attribute of the same name.
    pub fn copy(&mut self, block: &mut Block, key: &'static str, ty: Ty, diags: &mut Diags) {
        self.copy_as(block, key, key, ty, diags);
    }

    /// The option as plain text, when it is a scalar without variables:
    /// for options whose value chooses what to emit.
    pub fn literal(&mut self, key: &'static str, diags: &mut Diags) -> Option<(String, Span)> {
        let owner = self.owner;
        let path = format!("{}{key}", self.prefix);
        let entry = self.take(key)?;
        match &entry.value.value {
            Value::Scalar { text, .. } if !env::parse(text).map(|p| env::has_env(&p)).unwrap_or(true) => Some((text.clone(), entry.value.span)),
            Value::Null => None,
            _ => {
                diags.push(Diagnostic::error(entry.value.span, format!("{owner}: option {path:?} must be a plain value here")));
                None
            }
        }
    }

    /// An error about the value of option `key`, for checks a converter
    /// makes itself: `exporter "otlp": option "compression" ...`.
    pub fn invalid(&self, span: Span, key: &str, msg: &str) -> Diagnostic {
        Diagnostic::error(span, format!("{}: option {:?} {msg}", self.owner, format!("{}{key}", self.prefix)))
    }

    /// A warning about option `key`, worded as [`OptionReader::invalid`]:
    /// for an option converted as it is that does less here than there.
    pub fn caveat(&self, span: Span, key: &str, msg: &str) -> Diagnostic {
        Diagnostic::warning(span, format!("{}: option {:?} {msg}", self.owner, format!("{}{key}", self.prefix)))
    }

    /// An option Solder does without: read, and a warning says why.
    pub fn ignore(&mut self, key: &'static str, why: &str, diags: &mut Diags) {
        let owner = self.owner;
        let path = format!("{}{key}", self.prefix);
        if let Some(entry) = self.take(key) {
            diags.push(Diagnostic::warning(entry.key_span, format!("{owner}: option {path:?} is not converted: {why}")));
        }
    }

    /// An option with no Solder equivalent: an error saying why.
    pub fn unsupported(&mut self, key: &'static str, why: &str, diags: &mut Diags) {
        let owner = self.owner;
        let path = format!("{}{key}", self.prefix);
        if let Some(entry) = self.take(key) {
            diags.push(Diagnostic::error(entry.key_span, format!("{owner}: option {path:?} is not supported: {why}")));
        }
    }

    /// Options that belong one level down, under `parent`: an error with
    /// that advice (a YAML indentation slip is the usual cause).
    pub fn misplaced(&mut self, keys: &[&'static str], parent: &str, diags: &mut Diags) {
        let owner = self.owner;
        let at = self.prefix.clone();
        for key in keys {
            if let Some(entry) = self.take(key) {
                diags.push(
                    Diagnostic::error(entry.key_span, format!("{owner}: option {:?} is not supported here", format!("{at}{key}")))
                        .with_help(format!("{key} belongs under {parent}: indent it one level deeper")),
                );
            }
        }
    }

    /// Reports every option nobody read.
    pub fn finish(self, diags: &mut Diags) {
        self.finish_ref(diags);
    }

    /// As `finish`, for a reader still needed for messages afterwards.
    pub fn finish_ref(&self, diags: &mut Diags) {
        for (entry, used) in self.entries.iter().zip(&self.used) {
            if *used {
                continue;
            }
            let path = format!("{}{}", self.prefix, entry.key);
            let mut d = Diagnostic::error(entry.key_span, format!("{}: option {path:?} is not supported", self.owner));
            if let Some(near) = did_you_mean(&entry.key, self.asked.iter().copied()) {
                d = d.with_help(format!("did you mean {near:?}?"));
            } else {
                d = d.with_help("Solder has no equivalent; remove it, or convert with --bypass-errors to leave it out");
            }
            diags.push(d);
        }
    }
}

/// A YAML value as an Alloy expression of type `ty`. `Ok(None)` for null:
/// the option is left at its default.
pub fn value_expr(node: &Node, ty: Ty) -> Result<Option<String>, String> {
    let scalar = match &node.value {
        Value::Null => return Ok(None),
        Value::Scalar { text, quoted } => Some((text.as_str(), *quoted)),
        _ => None,
    };
    match ty {
        Ty::Strings | Ty::Durations | Ty::Ints => {
            let Value::Seq(items) = &node.value else {
                return Err(format!("must be a list, got {}", node.kind()));
            };
            let item_ty = match ty {
                Ty::Strings => Ty::String,
                Ty::Ints => Ty::Int,
                _ => Ty::Duration,
            };
            let exprs = items.iter().map(|n| value_expr(n, item_ty).map(|e| e.unwrap_or_else(|| quote("")))).collect::<Result<Vec<_>, _>>()?;
            Ok(Some(list(&exprs)))
        }
        Ty::StringMap => {
            let Value::Map(entries) = &node.value else {
                return Err(format!("must be a mapping, got {}", node.kind()));
            };
            let fields = entries
                .iter()
                .map(|e| value_expr(&e.value, Ty::String).map(|v| (e.key.clone(), v.unwrap_or_else(|| quote("")))))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Some(object(&fields)))
        }
        _ => {
            let Some((text, quoted)) = scalar else {
                return Err(format!("must be a single value, got {}", node.kind()));
            };
            scalar_expr(text, quoted, ty).map(Some)
        }
    }
}

fn scalar_expr(text: &str, quoted: bool, ty: Ty) -> Result<String, String> {
    let parts = env::parse(text).map_err(|e| e.0)?;
    if env::has_env(&parts) {
        let s = env::string_expr(&parts);
        return match ty {
            Ty::String | Ty::Duration => Ok(s),
            // A variable holding a number or a bool is read as JSON.
            _ if parts.len() == 1 => Ok(format!("encoding.from_json({s})")),
            _ => Err(format!("mixes text and variables in a {} value", ty_name(ty))),
        };
    }
    let literal: String = parts.iter().map(|p| if let Part::Text(t) = p { t.as_str() } else { "" }).collect();
    match ty {
        Ty::String => Ok(quote(&literal)),
        Ty::Bool => match literal.to_ascii_lowercase().as_str() {
            "true" => Ok("true".into()),
            "false" => Ok("false".into()),
            _ => Err(format!("must be true or false, got {literal:?}")),
        },
        Ty::Int => literal.parse::<i64>().map(|n| n.to_string()).map_err(|_| format!("must be a whole number, got {literal:?}")),
        Ty::Float => match literal.parse::<f64>() {
            // Printed anew: YAML allows `.5` and `1e3`, which Alloy may not.
            Ok(f) if f.is_finite() => Ok(format!("{f}")),
            _ => Err(format!("must be a number, got {literal:?}")),
        },
        Ty::Duration => duration(&literal, quoted),
        Ty::Strings | Ty::Durations | Ty::Ints | Ty::StringMap => Err(format!("must be a {}", ty_name(ty))),
    }
}

/// A Go duration, checked; an unquoted integer counts nanoseconds, as
/// Go's YAML decoding reads it.
fn duration(text: &str, quoted: bool) -> Result<String, String> {
    if !quoted {
        if let Ok(n) = text.parse::<u64>() {
            return Ok(quote(&if n == 0 { "0s".to_string() } else { format!("{n}ns") }));
        }
    }
    solder_components::types::Duration::parse(text).map(|_| quote(text)).map_err(|e| format!("is an {e}"))
}

fn ty_name(ty: Ty) -> &'static str {
    match ty {
        Ty::String => "string",
        Ty::Bool => "bool",
        Ty::Int => "whole number",
        Ty::Float => "number",
        Ty::Duration => "duration",
        Ty::Strings => "list of strings",
        Ty::Durations => "list of durations",
        Ty::Ints => "list of whole numbers",
        Ty::StringMap => "mapping of strings",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::convert::yaml;

    fn convert(yaml_src: &str, key: &'static str, ty: Ty) -> (Option<String>, Diags) {
        let node = yaml::parse(yaml_src).unwrap();
        let mut diags = Diags::new();
        let mut r = OptionReader::new("exporter \"x\"", &node, &mut diags);
        let e = r.expr(key, ty, &mut diags);
        r.finish(&mut diags);
        (e, diags)
    }

    #[test]
    fn options_are_typed() {
        assert_eq!(convert("a: 5s", "a", Ty::Duration).0.as_deref(), Some("\"5s\""));
        assert_eq!(convert("a: 1000", "a", Ty::Duration).0.as_deref(), Some("\"1000ns\""));
        assert_eq!(convert("a: True", "a", Ty::Bool).0.as_deref(), Some("true"));
        assert_eq!(convert("a: .5", "a", Ty::Float).0.as_deref(), Some("0.5"));
        assert_eq!(convert("a: [x, 'y']", "a", Ty::Strings).0.as_deref(), Some("[\"x\", \"y\"]"));
        assert_eq!(convert("a: ${env:N}", "a", Ty::Int).0.as_deref(), Some("encoding.from_json(sys.env(\"N\"))"));
        assert_eq!(convert("a: {k: v}", "a", Ty::StringMap).0.as_deref(), Some("{\n\"k\" = \"v\",\n}"));
    }

    #[test]
    fn bad_values_and_unread_options_are_errors() {
        let (_, diags) = convert("a: 5 seconds", "a", Ty::Duration);
        assert!(diags[0].message.contains("option \"a\" is an invalid duration"), "{}", diags[0].message);
        let (_, diags) = convert("a: 1\nbalancer: x", "a", Ty::Int);
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].message, "exporter \"x\": option \"balancer\" is not supported");
    }
}
