//! Regex and glob functions: `replace_pattern`, `replace_all_patterns`,
//! `replace_match`, `replace_all_matches` and `IsMatch`.
//!
//! Regexes are RE2 syntax (the `regex` crate accepts the same language as
//! Go's `regexp`), compiled once per load. Replacement strings expand
//! `$1`, `${1}`, `$name` and `$$` as Go's `Regexp.Expand` does, including
//! `$1x` naming a group `1x` (which expands to nothing). Globs follow the
//! Collector's glob library: `*` matches any run of characters, `/`
//! included, `?` one character, `[a-z]`/`[!a-z]` a class, `{a,b}` either.

use regex::Regex;

use super::super::function::{Args, CompileArgs, FunctionDef, Param, ParamKind::*};
use super::super::plan::Primitive;
use super::super::value::Value;
use super::common::{described, func, lit_regex, lit_str, map_put, string_like, want_map, want_str, Made};

/// The optional trailing parameters every replace function shares.
const FUNCTION: Param = Param::optional("function", Function);
const FORMAT: Param = Param::optional("replacementFormat", Value);

pub(super) const DEFS: &[FunctionDef] = &[
    FunctionDef {
        name: "replace_pattern",
        params: &[Param::required("target", Path), Param::required("regex", Str), Param::required("replacement", Value), FUNCTION, FORMAT],
        make: replace_pattern,
    },
    FunctionDef {
        name: "replace_all_patterns",
        params: &[
            Param::required("target", Path),
            Param::required("mode", Str),
            Param::required("regex", Str),
            Param::required("replacement", Value),
            FUNCTION,
            FORMAT,
        ],
        make: replace_all_patterns,
    },
    FunctionDef {
        name: "replace_match",
        params: &[Param::required("target", Path), Param::required("pattern", Str), Param::required("replacement", Value), FUNCTION, FORMAT],
        make: replace_match,
    },
    FunctionDef {
        name: "replace_all_matches",
        params: &[Param::required("target", Path), Param::required("pattern", Str), Param::required("replacement", Value), FUNCTION, FORMAT],
        make: replace_all_matches,
    },
    FunctionDef { name: "IsMatch", params: &[Param::required("target", Value), Param::required("pattern", Str)], make: is_match },
];

/// Where a replace function finds its optional `function` and
/// `replacementFormat` arguments.
#[derive(Clone, Copy)]
struct Extras {
    function: usize,
    format: usize,
}

impl Extras {
    /// Runs the named converter over one replacement, then the format.
    fn apply(self, args: &mut dyn Args, replacement: String) -> Result<String, String> {
        let hashed = match args.call(self.function, vec![Value::Str(replacement)])? {
            Value::Str(s) => s,
            _ => return Err("the replacement value must be a string".into()),
        };
        self.format(args, hashed)
    }

    /// `replacementFormat`: one `%s` and no other verb, as Go's
    /// `Sprintf` with a single argument fills it.
    fn format(self, args: &mut dyn Args, value: String) -> Result<String, String> {
        if !args.present(self.format) {
            return Ok(value);
        }
        let fmt = want_str(args.get(self.format)?)?;
        let bad = fmt.match_indices('%').any(|(i, _)| fmt.as_bytes().get(i + 1) != Some(&b's'));
        if bad || !fmt.contains("%s") {
            return Err("replacementFormat must be format string containing a single %s and no other format specifiers".into());
        }
        let mut parts = fmt.split("%s");
        let mut out = parts.next().unwrap_or("").to_owned();
        for (i, part) in parts.enumerate() {
            out.push_str(if i == 0 { &value } else { "%!s(MISSING)" });
            out.push_str(part);
        }
        Ok(out)
    }
}

/// Replaces every match in `s`: a plain expansion, or with a `function`
/// each expanded match hashed (and formatted) first. With a function the
/// Collector then replaces each match's text wherever it occurs, which is
/// kept here.
fn replace_in(re: &Regex, s: &str, replacement: &str, extras: Extras, args: &mut dyn Args) -> Result<Option<String>, String> {
    if !re.is_match(s) {
        return Ok(None);
    }
    if !args.present(extras.function) {
        return Ok(replaced(re, s, replacement));
    }
    let mut updated = s.to_owned();
    for caps in re.captures_iter(s) {
        let whole = caps.get(0).map_or("", |m| m.as_str());
        let mut expanded = String::new();
        caps.expand(replacement, &mut expanded);
        let value = extras.apply(args, expanded)?;
        updated = updated.replace(whole, &value);
    }
    Ok(Some(updated))
}

/// Every match of `re` in `s` replaced by the expansion of `replacement`,
/// if there is one.
pub fn replaced(re: &Regex, s: &str, replacement: &str) -> Option<String> {
    re.is_match(s).then(|| re.replace_all(s, replacement).into_owned())
}

fn replace_pattern(c: &CompileArgs<'_>) -> Made {
    let re = lit_regex(c, 1, "replace_pattern")?;
    let extras = Extras { function: 3, format: 4 };
    let primitive = Primitive::ReplacePattern { regex: re.clone() };
    described(primitive, move |args| {
        let Value::Str(s) = args.get(0)? else { return Ok(Value::Nil) };
        let replacement = want_str(args.get(2)?)?;
        if let Some(updated) = replace_in(&re, &s, &replacement, extras, args)? {
            args.set(0, Value::Str(updated))?;
        }
        Ok(Value::Nil)
    })
}

fn replace_all_patterns(c: &CompileArgs<'_>) -> Made {
    let by_key = match lit_str(c, 1).unwrap_or("") {
        "key" => true,
        "value" => false,
        other => return Err((1, format!("invalid mode {other}, must be either 'key' or 'value'"))),
    };
    let re = lit_regex(c, 2, "replace_all_patterns")?;
    let extras = Extras { function: 4, format: 5 };
    func(move |args| {
        let m = want_map(args.get(0)?)?;
        let replacement = want_str(args.get(3)?)?;
        let mut out: Vec<(String, Value)> = Vec::with_capacity(m.len());
        for (k, v) in m {
            if by_key {
                let key = replace_in(&re, &k, &replacement, extras, args)?.unwrap_or(k);
                map_put(&mut out, &key, v);
            } else {
                let v = match v {
                    Value::Str(s) => Value::Str(replace_in(&re, &s, &replacement, extras, args)?.unwrap_or(s)),
                    other => other,
                };
                out.push((k, v));
            }
        }
        args.set(0, Value::Map(out))?;
        Ok(Value::Nil)
    })
}

/// The replacement for a glob match, through the optional function.
fn glob_replacement(args: &mut dyn Args, replacement: String, extras: Extras) -> Result<String, String> {
    if args.present(extras.function) {
        extras.apply(args, replacement)
    } else {
        Ok(replacement)
    }
}

fn replace_match(c: &CompileArgs<'_>) -> Made {
    let glob = lit_glob(c, 1)?;
    let extras = Extras { function: 3, format: 4 };
    described(Primitive::ReplaceMatch { glob: glob.clone() }, move |args| {
        let Value::Str(s) = args.get(0)? else { return Ok(Value::Nil) };
        if glob.is_match(&s) {
            let replacement = want_str(args.get(2)?)?;
            let v = glob_replacement(args, replacement, extras)?;
            args.set(0, Value::Str(v))?;
        }
        Ok(Value::Nil)
    })
}

fn replace_all_matches(c: &CompileArgs<'_>) -> Made {
    let glob = lit_glob(c, 1)?;
    let extras = Extras { function: 3, format: 4 };
    func(move |args| {
        let mut m = want_map(args.get(0)?)?;
        let replacement = want_str(args.get(2)?)?;
        let mut changed = false;
        for (_, v) in m.iter_mut() {
            if matches!(v, Value::Str(s) if glob.is_match(s)) {
                *v = Value::Str(glob_replacement(args, replacement.clone(), extras)?);
                changed = true;
            }
        }
        if changed {
            args.set(0, Value::Map(m))?;
        }
        Ok(Value::Nil)
    })
}

/// True when the target's text matches anywhere (Go's `MatchString`); a
/// nil target never matches. Non-strings are matched as their
/// `StringLikeGetter` text.
fn is_match(c: &CompileArgs<'_>) -> Made {
    let re = lit_regex(c, 1, "IsMatch")?;
    func(move |args| {
        let v = args.get(0)?;
        let hit = match &v {
            Value::Str(s) => re.is_match(s),
            other => string_like(other)?.is_some_and(|s| re.is_match(&s)),
        };
        Ok(Value::Bool(hit))
    })
}

fn lit_glob(c: &CompileArgs<'_>, i: usize) -> Result<Regex, (usize, String)> {
    let pattern = lit_str(c, i).ok_or((i, "the pattern must be a string literal".to_owned()))?;
    glob_to_regex(pattern).map_err(|e| (i, format!("invalid glob pattern {pattern:?}: {e}")))
}

/// Translates a glob to an anchored regex.
pub(super) fn glob_to_regex(glob: &str) -> Result<Regex, String> {
    let mut re = String::from("(?s)^");
    let mut chars = glob.chars().peekable();
    let mut braces = 0usize;
    while let Some(c) = chars.next() {
        match c {
            '*' => re.push_str(".*"),
            '?' => re.push('.'),
            '\\' => match chars.next() {
                Some(e) => re.push_str(&regex::escape(e.encode_utf8(&mut [0; 4]))),
                None => return Err("trailing backslash".into()),
            },
            '[' => {
                re.push('[');
                if chars.peek() == Some(&'!') {
                    chars.next();
                    re.push('^');
                }
                loop {
                    match chars.next() {
                        Some(']') => break,
                        Some('-') => re.push('-'),
                        Some(c) => re.push_str(&regex::escape(c.encode_utf8(&mut [0; 4]))),
                        None => return Err("unclosed character class".into()),
                    }
                }
                re.push(']');
            }
            '{' => {
                braces += 1;
                re.push_str("(?:");
            }
            ',' if braces > 0 => re.push('|'),
            '}' if braces > 0 => {
                braces -= 1;
                re.push(')');
            }
            c => re.push_str(&regex::escape(c.encode_utf8(&mut [0; 4]))),
        }
    }
    if braces > 0 {
        return Err("unclosed '{'".into());
    }
    re.push('$');
    Regex::new(&re).map_err(|e| e.to_string())
}
