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

/// The longest expanded pattern compiled, in bytes: past it a pattern
/// (say, definitions that double at every level) is refused before the
/// regex crate sees it.
pub(super) const MAX_EXPANDED: usize = 1 << 20;
/// The regex crate's bound on a compiled pattern's size.
const REGEX_SIZE_LIMIT: usize = 16 << 20;
/// How deep references may nest, as the Collector's 1000 rounds.
const MAX_DEPTH: usize = 1000;
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

    fn lookup(&self, name: &str) -> Option<&str> {
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
        let mut expander = Expander { defs, named_only, out: String::with_capacity(pattern.len()), hints: HashMap::new(), path: Vec::new() };
        expander.expand(pattern)?;
        let (numbered, names) = number_groups(&crate::re2::translate(&expander.out))?;
        let re = RegexBuilder::new(&numbered).size_limit(REGEX_SIZE_LIMIT).build().map_err(|e| e.to_string())?;
        let mut fields = Vec::with_capacity(names.len());
        for (index, name) in re.capture_names().enumerate() {
            let Some(spelled) = name.and_then(|n| n.strip_prefix('g')).and_then(|k| k.parse::<usize>().ok()).and_then(|k| names.get(k)) else {
                continue;
            };
            let hint = expander.hints.get(&spelled.replace('.', "___")).map(|(_, ty)| ty.as_str());
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

/// Writes a pattern with its references replaced, depth first.
struct Expander<'a> {
    defs: &'a Definitions,
    named_only: bool,
    out: String,
    /// Type hints by ID as the regex spells it, with the depth each was
    /// written at: the Collector expands a level at a time, left to right,
    /// so the deepest, then rightmost, hint of an ID wins.
    hints: HashMap<String, (usize, String)>,
    /// The definitions being expanded, outermost first.
    path: Vec<String>,
}

impl Expander<'_> {
    fn expand(&mut self, text: &str) -> Result<(), String> {
        let mut rest = text;
        while let Some((at, reference)) = next_reference(rest) {
            self.push(&rest[..at])?;
            rest = &rest[at + reference.len + 3..];
            let defs = self.defs;
            let Some(definition) = defs.lookup(reference.syntax) else {
                return Err(format!("pattern definition {:?} unknown: parsing failed", reference.syntax));
            };
            let depth = self.path.len();
            let id = reference.id.map(|id| id.replace('.', "___"));
            if let (Some(id), Some(ty)) = (&id, reference.ty) {
                if self.hints.get(id).is_none_or(|(d, _)| *d <= depth) {
                    self.hints.insert(id.clone(), (depth, ty.to_owned()));
                }
            }
            if self.path.iter().any(|p| p == reference.syntax) {
                return Err(format!("pattern definition {:?} refers to itself ({} -> {})", reference.syntax, self.path.join(" -> "), reference.syntax));
            }
            if depth >= MAX_DEPTH {
                return Err(format!("pattern definitions refer to one another more than {MAX_DEPTH} deep"));
            }
            match (&id, self.named_only) {
                (None, true) => self.push("(?:")?,
                _ => {
                    let name = id.as_deref().unwrap_or(reference.syntax);
                    self.push("(?P<")?;
                    self.push(name)?;
                    self.push(">")?;
                }
            }
            self.path.push(reference.syntax.to_owned());
            self.expand(definition)?;
            self.path.pop();
            self.push(")")?;
        }
        self.push(rest)
    }

    fn push(&mut self, s: &str) -> Result<(), String> {
        if self.out.len() + s.len() > MAX_EXPANDED {
            return Err(format!("the expanded grok pattern is longer than {MAX_EXPANDED} bytes"));
        }
        self.out.push_str(s);
        Ok(())
    }
}

/// A `%{SYNTAX:ID:TYPE}` reference; `len` is the inside's length.
struct Reference<'a> {
    syntax: &'a str,
    id: Option<&'a str>,
    ty: Option<&'a str>,
    len: usize,
}

/// The first reference in `s` and where it starts. A reference is what
/// the Collector's `%{(\w+(?::[\w+.]+(?::\w+)?)?)}` matches; anything else
/// (`%{a b}`, `%{A:b:c:d}`) is left as regex text.
fn next_reference(s: &str) -> Option<(usize, Reference<'_>)> {
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let id_char = |c: u8| word(c) || c == b'+' || c == b'.';
    let bytes = s.as_bytes();
    let run = |from: usize, ok: &dyn Fn(u8) -> bool| bytes[from..].iter().take_while(|&&c| ok(c)).count();
    let mut from = 0;
    while let Some(found) = s[from..].find("%{") {
        let at = from + found;
        from = at + 1;
        let start = at + 2;
        let syntax_end = start + run(start, &word);
        if syntax_end == start {
            continue;
        }
        let mut end = syntax_end;
        let mut id = None;
        let mut ty = None;
        if bytes.get(end) == Some(&b':') {
            let id_end = end + 1 + run(end + 1, &id_char);
            if id_end == end + 1 {
                continue;
            }
            id = Some(&s[end + 1..id_end]);
            end = id_end;
            if bytes.get(end) == Some(&b':') {
                let ty_end = end + 1 + run(end + 1, &word);
                if ty_end == end + 1 {
                    continue;
                }
                ty = Some(&s[end + 1..ty_end]);
                end = ty_end;
            }
        }
        if bytes.get(end) == Some(&b'}') {
            return Some((at, Reference { syntax: &s[start..syntax_end], id, ty, len: end - start }));
        }
    }
    None
}

/// Renames the named groups of `re` (already in the crate's syntax) `g0`,
/// `g1`, ... in the order they open, and returns the names they had. A
/// name must be ASCII letters, digits, `_` or `.`, else the pattern is
/// refused as Go refuses it.
fn number_groups(re: &str) -> Result<(String, Vec<String>), String> {
    let mut out = String::with_capacity(re.len());
    let mut names = Vec::new();
    let mut chars = re.char_indices().peekable();
    let mut class = false;
    while let Some((i, c)) = chars.next() {
        out.push(c);
        match c {
            '\\' => {
                if let Some((_, e)) = chars.next() {
                    out.push(e);
                }
            }
            '[' if !class => {
                class = true;
                // `[^]...]` and `[]...]`: the `]` is a member.
                if let Some((_, '^')) = chars.peek() {
                    out.push('^');
                    chars.next();
                }
                if let Some((_, ']')) = chars.peek() {
                    out.push(']');
                    chars.next();
                }
            }
            '[' if matches!(chars.peek(), Some((_, ':'))) => {
                for (_, p) in chars.by_ref() {
                    out.push(p);
                    if p == ']' {
                        break;
                    }
                }
            }
            ']' if class => class = false,
            '(' if !class => {
                let after = &re[i + 1..];
                let Some(open) = ["?P<", "?<"].into_iter().find(|o| after.starts_with(o) && !after.starts_with("?<=") && !after.starts_with("?<!")) else {
                    continue;
                };
                let name_at = i + 1 + open.len();
                let Some(len) = re[name_at..].find('>') else { continue };
                let name = &re[name_at..name_at + len];
                if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.') {
                    return Err(format!("error parsing regexp: invalid named capture: `{}`", &re[i..=name_at + len]));
                }
                out.push_str(&format!("?P<g{}>", names.len()));
                names.push(name.to_owned());
                while chars.peek().is_some_and(|(j, _)| *j <= name_at + len) {
                    chars.next();
                }
            }
            _ => {}
        }
    }
    Ok((out, names))
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
