//! String converters: `Concat`, `ConvertCase` (and `ToLowerCase`,
//! `ToUpperCase`, `ToSnakeCase`, `ToCamelCase`), `Split`, `Substring`,
//! `Len`, `HasPrefix`/`HasSuffix`, `TrimPrefix`/`TrimSuffix` and `Trim`.
//!
//! Case conversion follows the Go `strcase` library the Collector uses, byte
//! by byte over ASCII letters and digits, so `ConvertCase("myHTTPServer",
//! "snake")` gives the same `my_http_server` a Collector gives.

use super::super::function::{CompileArgs, FunctionDef, Param, ParamKind::*};
use super::super::value::Value;
use super::common::{func, lit_str, opt_bool, string_like, want_int, want_str, Made};

pub(super) const DEFS: &[FunctionDef] = &[
    FunctionDef { name: "Concat", params: &[Param::required("values", Value), Param::required("delimiter", Value)], make: concat },
    FunctionDef { name: "ConvertCase", params: &[Param::required("target", Value), Param::required("toCase", Str)], make: convert_case },
    FunctionDef { name: "Split", params: &[Param::required("target", Value), Param::required("delimiter", Value)], make: split },
    FunctionDef {
        name: "Substring",
        params: &[Param::required("target", Value), Param::required("start", Value), Param::required("length", Value), Param::optional("utf8_safe", Value)],
        make: substring,
    },
    FunctionDef { name: "Len", params: &[Param::required("target", Value)], make: len },
    FunctionDef { name: "ToLowerCase", params: TARGET, make: |_| recase(Case::Lower) },
    FunctionDef { name: "ToUpperCase", params: TARGET, make: |_| recase(Case::Upper) },
    FunctionDef { name: "ToSnakeCase", params: TARGET, make: |_| recase(Case::Snake) },
    FunctionDef { name: "ToCamelCase", params: TARGET, make: |_| recase(Case::Camel) },
    FunctionDef { name: "HasPrefix", params: &[Param::required("value", Value), Param::required("prefix", Value)], make: |_| affix(Affix::HasPrefix) },
    FunctionDef { name: "HasSuffix", params: &[Param::required("value", Value), Param::required("suffix", Value)], make: |_| affix(Affix::HasSuffix) },
    FunctionDef { name: "TrimPrefix", params: &[Param::required("value", Value), Param::required("prefix", Value)], make: |_| affix(Affix::TrimPrefix) },
    FunctionDef { name: "TrimSuffix", params: &[Param::required("value", Value), Param::required("suffix", Value)], make: |_| affix(Affix::TrimSuffix) },
    FunctionDef { name: "Trim", params: &[Param::required("target", Value), Param::optional("replacement", Value)], make: trim },
];

const TARGET: &[Param] = &[Param::required("target", Value)];

/// Joins the values' text with the delimiter; a nil item is `<nil>`, as
/// the Collector writes it. Builds the one result string and nothing else
/// for string items.
fn concat(_: &CompileArgs<'_>) -> Made {
    func(|args| {
        let delimiter = want_str(args.get(1)?)?;
        let items = match args.get(0)? {
            Value::List(items) => items,
            other => return Err(format!("expected a list of values but got {}", other.type_name())),
        };
        let mut out = String::new();
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                out.push_str(&delimiter);
            }
            match item {
                Value::Str(s) => out.push_str(s),
                other => match string_like(other)? {
                    Some(s) => out.push_str(&s),
                    None => out.push_str("<nil>"),
                },
            }
        }
        Ok(Value::Str(out))
    })
}

#[derive(Clone, Copy)]
enum Case {
    Lower,
    Upper,
    Snake,
    Camel,
}

fn convert_case(c: &CompileArgs<'_>) -> Made {
    let case = match lit_str(c, 1).unwrap_or("") {
        "lower" => Case::Lower,
        "upper" => Case::Upper,
        "snake" => Case::Snake,
        "camel" => Case::Camel,
        other => return Err((1, format!("invalid case: {other}, allowed cases are: lower, upper, snake, camel"))),
    };
    recase(case)
}

fn recase(case: Case) -> Made {
    func(move |args| {
        let s = want_str(args.get(0)?)?;
        Ok(Value::Str(match case {
            Case::Lower => s.to_lowercase(),
            Case::Upper => s.to_uppercase(),
            Case::Snake => to_snake(&s),
            Case::Camel => to_camel(&s),
        }))
    })
}

/// `strcase.ToSnake`: a `_` where letter case or digit-ness changes, and
/// for space, `-`, `.`; an acronym stays one word (`JSONData` →
/// `json_data`).
pub(super) fn to_snake(s: &str) -> String {
    let s = s.trim().as_bytes();
    let mut out = Vec::with_capacity(s.len() + 2);
    let class = |b: u8| (b.is_ascii_uppercase(), b.is_ascii_lowercase(), b.is_ascii_digit());
    for (i, &orig) in s.iter().enumerate() {
        let (is_cap, is_low, _) = class(orig);
        let v = orig.to_ascii_lowercase();
        let is_num = v.is_ascii_digit();
        if let Some(&next) = s.get(i + 1) {
            let (next_cap, next_low, next_num) = class(next);
            if (is_cap && (next_low || next_num)) || (is_low && (next_cap || next_num)) || (is_num && (next_cap || next_low)) {
                if is_cap && next_low && i > 0 && s[i - 1].is_ascii_uppercase() {
                    out.push(b'_');
                }
                out.push(v);
                if is_low || is_num || next_num {
                    out.push(b'_');
                }
                continue;
            }
        }
        out.push(if matches!(v, b' ' | b'_' | b'-' | b'.') { b'_' } else { v });
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `strcase.ToCamel`: words joined with each first letter upper-case (a
/// letter after a digit too), runs of capitals lowered after the first.
pub(super) fn to_camel(s: &str) -> String {
    let s = s.trim().as_bytes();
    let mut out = Vec::with_capacity(s.len());
    let mut cap_next = true;
    let mut prev_cap = false;
    for &orig in s {
        let is_cap = orig.is_ascii_uppercase();
        let is_low = orig.is_ascii_lowercase();
        let mut v = orig;
        if cap_next {
            v = v.to_ascii_uppercase();
        } else if prev_cap && is_cap {
            v = v.to_ascii_lowercase();
        }
        prev_cap = is_cap;
        if is_cap || is_low {
            out.push(v);
            cap_next = false;
        } else if v.is_ascii_digit() {
            out.push(v);
            cap_next = true;
        } else {
            cap_next = matches!(v, b'_' | b' ' | b'-' | b'.');
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Go's `strings.Split`: an empty delimiter splits into characters.
fn split(_: &CompileArgs<'_>) -> Made {
    func(|args| {
        let s = want_str(args.get(0)?)?;
        let delimiter = want_str(args.get(1)?)?;
        let parts: Vec<Value> = if delimiter.is_empty() {
            s.chars().map(|c| Value::Str(c.to_string())).collect()
        } else {
            s.split(delimiter.as_str()).map(|p| Value::Str(p.to_owned())).collect()
        };
        Ok(Value::List(parts))
    })
}

/// `length` bytes from byte offset `start`. With `utf8_safe` the range
/// shrinks to character boundaries; without it a cut inside a character
/// becomes U+FFFD (the Collector would return the raw bytes).
fn substring(_: &CompileArgs<'_>) -> Made {
    func(|args| {
        let s = want_str(args.get(0)?)?;
        let start = want_int(args.get(1)?)?;
        let length = want_int(args.get(2)?)?;
        let safe = opt_bool(args, 3, false)?;
        if start < 0 {
            return Err(format!("invalid start for substring function, {start} cannot be negative"));
        }
        if length <= 0 {
            return Err(format!("invalid length for substring function, {length} cannot be negative or zero"));
        }
        let end = start.saturating_add(length);
        if end > s.len() as i64 {
            return Err(format!("invalid range for substring function, {end} cannot be greater than the length of target string({})", s.len()));
        }
        let (mut from, mut to) = (start as usize, end as usize);
        if safe {
            while !s.is_char_boundary(from) {
                from += 1;
            }
            while to > from && !s.is_char_boundary(to) {
                to -= 1;
            }
        }
        Ok(Value::Str(String::from_utf8_lossy(&s.as_bytes()[from..to.max(from)]).into_owned()))
    })
}

/// A string's length in bytes (as Go's `len`), a list's or map's in items.
fn len(_: &CompileArgs<'_>) -> Made {
    func(|args| match args.get(0)? {
        Value::Str(s) => Ok(Value::Int(s.len() as i64)),
        Value::List(items) => Ok(Value::Int(items.len() as i64)),
        Value::Map(m) => Ok(Value::Int(m.len() as i64)),
        other => Err(format!("unsupported type: {}", other.type_name())),
    })
}

#[derive(Clone, Copy)]
enum Affix {
    HasPrefix,
    HasSuffix,
    TrimPrefix,
    TrimSuffix,
}

/// Prefix and suffix tests and trims; a non-string value is an error.
fn affix(kind: Affix) -> Made {
    func(move |args| {
        let s = want_str(args.get(0)?)?;
        let a = want_str(args.get(1)?)?;
        Ok(match kind {
            Affix::HasPrefix => Value::Bool(s.starts_with(&a)),
            Affix::HasSuffix => Value::Bool(s.ends_with(&a)),
            Affix::TrimPrefix => Value::Str(s.strip_prefix(a.as_str()).map_or_else(|| s.clone(), str::to_owned)),
            Affix::TrimSuffix => Value::Str(s.strip_suffix(a.as_str()).map_or_else(|| s.clone(), str::to_owned)),
        })
    })
}

/// Go's `strings.Trim`: `replacement` is a set of characters removed from
/// both ends (a space by default), not a prefix and suffix.
fn trim(_: &CompileArgs<'_>) -> Made {
    func(|args| {
        let s = want_str(args.get(0)?)?;
        let cutset = if args.present(1) { want_str(args.get(1)?)? } else { " ".to_owned() };
        Ok(Value::str(s.trim_matches(|c| cutset.contains(c))))
    })
}
