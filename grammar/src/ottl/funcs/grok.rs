//! `ExtractGrokPatterns`: a regex with named, reusable pieces.
//!
//! A grok pattern is RE2 text in which `%{SYNTAX}`, `%{SYNTAX:ID}` and
//! `%{SYNTAX:ID:TYPE}` stand for the definition named `SYNTAX` (the
//! defaults in [`super::grok_patterns`], or the call's own
//! `patternDefinitions`). Each reference becomes a group around its
//! definition, named `ID` (or `SYNTAX` when there is none and
//! `namedCapturesOnly` is false); the first match's non-empty named groups
//! are the result, typed by `TYPE`. This follows the Collector's grok
//! library, including its quirks: a `.` in an ID is written `___` inside
//! the regex (so a group named `a___b` comes out as `a.b`), and a type
//! hint applies to every group of that ID.
//!
//! The regex crate refuses two groups of one name, which grok patterns
//! make all the time (`%{INT:n} or %{INT:n}`), so every named group is
//! renamed `g0`, `g1`, ... and [`Grok`] keeps the names it stands for.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use regex::{Regex, RegexBuilder};

use super::super::function::{CompileArgs, FunctionDef, Param, ParamKind::*};
use super::super::value::Value;
use super::common::{func, lit_str_list, map_put, want_str, Made};
use super::grok_expand::{expand, number_groups};
use super::grok_patterns::defaults;

pub(super) const DEFS: &[FunctionDef] = &[FunctionDef {
    name: "ExtractGrokPatterns",
    params: &[
        Param::required("target", Value),
        Param::required("pattern", MaybeLiteral),
        Param::optional("namedCapturesOnly", Bool),
        Param::optional("patternDefinitions", StrList),
    ],
    make: extract_grok_patterns,
}];

/// The regex crate's bound on a compiled pattern's size.
const REGEX_SIZE_LIMIT: usize = 16 << 20;
/// Patterns compiled at run time that a call site keeps.
const CACHED: usize = 16;

const NO_NAMED_GROUP: &str = "at least 1 named capture group must be supplied in the given regex";

/// The definitions a call may use: its own, then the defaults.
pub(super) struct Definitions(HashMap<String, String>);

impl Definitions {
    /// Reads `patternDefinitions`: `NAME=definition` each, split at the
    /// first `=`, a later one of a name replacing an earlier. Worded as the
    /// Collector words its refusals.
    pub(super) fn parse(list: &[String]) -> Result<Definitions, String> {
        let mut own = HashMap::new();
        for (i, item) in list.iter().enumerate() {
            let Some((name, definition)) = item.split_once('=') else {
                let shown = if item.len() > 20 { format!("{}...", prefix(item, 17)) } else { item.clone() };
                return Err(format!(
                    "pattern {shown:?} supplied to ExtractGrokPatterns at index {i} has incorrect format, expecting PATTERNNAME=pattern definition"
                ));
            };
            if name.contains(':') {
                return Err(format!("pattern ID {name:?} should not contain ':'"));
            }
            own.insert(name.to_owned(), definition.to_owned());
        }
        Ok(Definitions(own))
    }

    pub(super) fn lookup(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str).or_else(|| defaults().get(name).copied())
    }
}

/// The longest start of `s` of at most `max` bytes that ends on a
/// character boundary.
fn prefix(s: &str, max: usize) -> &str {
    let end = (0..=max.min(s.len())).rev().find(|&i| s.is_char_boundary(i)).unwrap_or(0);
    &s[..end]
}

/// A compiled grok pattern.
pub(super) struct Grok {
    re: Regex,
    /// The named groups in the order they open.
    fields: Vec<Field>,
}

/// One named group: where it is, the key it fills and how its text is read.
struct Field {
    index: usize,
    key: String,
    kind: Kind,
    /// The name as the regex spells it, for the invalid type's error.
    spelled: String,
}

#[derive(Clone, Copy)]
enum Kind {
    Str,
    Int,
    Float,
    Bool,
    /// A type name grok does not know: an error when the group matches.
    Unknown,
}

impl Kind {
    fn of(hint: Option<&str>) -> Kind {
        match hint {
            None | Some("string") => Kind::Str,
            Some("int" | "long") => Kind::Int,
            Some("float" | "double") => Kind::Float,
            Some("bool" | "boolean") => Kind::Bool,
            Some(_) => Kind::Unknown,
        }
    }
}

impl Grok {
    /// Expands and compiles `pattern`. Errors are the reason alone; the
    /// caller says which function's pattern it was.
    pub(super) fn compile(pattern: &str, defs: &Definitions, named_only: bool) -> Result<Grok, String> {
        let (expanded, hints) = expand(pattern, defs, named_only)?;
        let (numbered, names) = number_groups(&crate::re2::translate(&expanded))?;
        let re = RegexBuilder::new(&numbered).size_limit(REGEX_SIZE_LIMIT).build().map_err(|e| e.to_string())?;
        let mut fields = Vec::with_capacity(names.len());
        for (index, name) in re.capture_names().enumerate() {
            let Some(spelled) = name.and_then(|n| n.strip_prefix('g')).and_then(|k| k.parse::<usize>().ok()).and_then(|k| names.get(k)) else {
                continue;
            };
            let hint = hints.get(&spelled.replace('.', "___")).map(String::as_str);
            fields.push(Field { index, key: spelled.replace("___", "."), kind: Kind::of(hint), spelled: spelled.clone() });
        }
        Ok(Grok { re, fields })
    }

    /// Whether the pattern matches anywhere in `text`.
    #[cfg(test)]
    pub(super) fn matches(&self, text: &str) -> bool {
        self.re.is_match(text)
    }

    pub(super) fn has_named_groups(&self) -> bool {
        !self.fields.is_empty()
    }

    /// The first match's non-empty named groups, typed; a later group of a
    /// name overwrites an earlier one. No match is an empty map.
    pub(super) fn extract(&self, text: &str) -> Result<Value, String> {
        let mut out = Vec::new();
        let Some(caps) = self.fields.first().and_then(|_| self.re.captures(text)) else { return Ok(Value::Map(out)) };
        for f in &self.fields {
            let Some(m) = caps.get(f.index).filter(|m| !m.is_empty()) else { continue };
            let v = match f.kind {
                Kind::Str => Value::str(m.as_str()),
                Kind::Int => Value::Int(go_atoi(m.as_str())?),
                Kind::Float => Value::Double(go_parse_float(m.as_str())?),
                Kind::Bool => Value::Bool(go_parse_bool(m.as_str())?),
                Kind::Unknown => return Err(format!("invalid type for {}: type not specified", f.spelled)),
            };
            map_put(&mut out, &f.key, v);
        }
        Ok(Value::Map(out))
    }
}

/// Go's `strconv.Atoi`.
fn go_atoi(s: &str) -> Result<i64, String> {
    s.parse::<i64>().map_err(|e| {
        let why = match e.kind() {
            std::num::IntErrorKind::PosOverflow | std::num::IntErrorKind::NegOverflow => "value out of range",
            _ => "invalid syntax",
        };
        format!("strconv.Atoi: parsing {s:?}: {why}")
    })
}

/// Go's `strconv.ParseFloat(s, 64)` for decimal text, `inf`, `infinity`
/// and `nan`; a finite number too large is out of range, as in Go.
fn go_parse_float(s: &str) -> Result<f64, String> {
    let bad = |why: &str| format!("strconv.ParseFloat: parsing {s:?}: {why}");
    let f = s.parse::<f64>().map_err(|_| bad("invalid syntax"))?;
    let word = s.trim_start_matches(['+', '-']).to_ascii_lowercase();
    if f.is_infinite() && word != "inf" && word != "infinity" {
        return Err(bad("value out of range"));
    }
    Ok(f)
}

/// Go's `strconv.ParseBool`.
fn go_parse_bool(s: &str) -> Result<bool, String> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(false),
        _ => Err(format!("strconv.ParseBool: parsing {s:?}: invalid syntax")),
    }
}

/// Compiles a literal pattern at load (errors point at it); any other is
/// compiled when it runs, the last few kept.
fn extract_grok_patterns(c: &CompileArgs<'_>) -> Made {
    let named_only = matches!(c.literals.get(2), Some(Some(Value::Bool(true))));
    let defs = Definitions::parse(&lit_str_list(c, 3)).map_err(|e| (3, e))?;
    let compile = move |pattern: &str| -> Result<Grok, String> {
        let grok =
            Grok::compile(pattern, &defs, named_only).map_err(|e| format!("the regex pattern supplied to ExtractGrokPatterns is not a valid pattern: {e}"))?;
        if named_only && !grok.has_named_groups() {
            return Err(NO_NAMED_GROUP.into());
        }
        Ok(grok)
    };
    if let Some(Some(Value::Str(pattern))) = c.literals.get(1) {
        let grok = compile(pattern).map_err(|e| (1, e))?;
        return func(move |args| grok.extract(&want_str(args.get(0)?)?));
    }
    let cache: Mutex<Vec<(String, Arc<Grok>)>> = Mutex::new(Vec::new());
    func(move |args| {
        let pattern = want_str(args.get(1)?)?;
        let cached = cache.lock().ok().and_then(|kept| kept.iter().find(|(p, _)| *p == pattern).map(|(_, g)| g.clone()));
        let grok = match cached {
            Some(grok) => grok,
            None => {
                let grok = Arc::new(compile(&pattern)?);
                if let Ok(mut kept) = cache.lock() {
                    if kept.len() >= CACHED {
                        kept.remove(0);
                    }
                    kept.push((pattern, grok.clone()));
                }
                grok
            }
        };
        grok.extract(&want_str(args.get(0)?)?)
    })
}
