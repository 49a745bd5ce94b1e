//! `Format(formatString, formatArguments[])`: Go's `fmt.Sprintf` over OTTL
//! values, for the verbs telemetry formats use: `%v %s %q %d %b %o %x %X
//! %c %t %f %F %e %E %g %G %%`, with the flags `- + 0 #` and space, a width
//! and a precision. A verb given the wrong type, a missing or an extra
//! argument prints Go's `%!d(string=x)`, `%!d(MISSING)` and
//! `%!(EXTRA int64=1)` markers rather than failing, as Go does.

use super::super::function::{CompileArgs, FunctionDef, Param, ParamKind::*};
use super::super::value::Value;
use super::common::{func, want_str, Made};

pub(super) const DEFS: &[FunctionDef] =
    &[FunctionDef { name: "Format", params: &[Param::required("formatString", Value), Param::required("formatArguments", Value)], make: format }];

fn format(_: &CompileArgs<'_>) -> Made {
    func(|args| {
        let fmt = want_str(args.get(0)?)?;
        let vals = match args.get(1)? {
            Value::List(items) => items,
            other => return Err(format!("expected a list of format arguments but got {}", other.type_name())),
        };
        Ok(Value::Str(sprintf(&fmt, &vals)))
    })
}

#[derive(Default)]
struct Spec {
    minus: bool,
    plus: bool,
    zero: bool,
    space: bool,
    sharp: bool,
    width: Option<usize>,
    prec: Option<usize>,
}

/// Go's name for a value's type in error markers.
fn go_type(v: &Value) -> &'static str {
    match v {
        Value::Bytes(_) => "[]uint8",
        Value::Map(_) => "map[string]interface {}",
        Value::List(_) => "[]interface {}",
        other => other.type_name(),
    }
}

pub(super) fn sprintf(fmt: &str, vals: &[Value]) -> String {
    let mut out = String::new();
    let mut next = 0;
    let mut chars = fmt.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut spec = Spec::default();
        while let Some(&f) = chars.peek() {
            match f {
                '-' => spec.minus = true,
                '+' => spec.plus = true,
                '0' => spec.zero = true,
                ' ' => spec.space = true,
                '#' => spec.sharp = true,
                _ => break,
            }
            chars.next();
        }
        let number = |chars: &mut std::iter::Peekable<std::str::Chars<'_>>| {
            let mut n: Option<usize> = None;
            while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
                n = Some(n.unwrap_or(0).saturating_mul(10).saturating_add(d as usize));
                chars.next();
            }
            n
        };
        spec.width = number(&mut chars);
        if chars.peek() == Some(&'.') {
            chars.next();
            spec.prec = Some(number(&mut chars).unwrap_or(0));
        }
        let Some(verb) = chars.next() else {
            out.push_str("%!(NOVERB)");
            break;
        };
        if verb == '%' {
            out.push('%');
            continue;
        }
        let Some(v) = vals.get(next) else {
            out.push_str(&format!("%!{verb}(MISSING)"));
            continue;
        };
        next += 1;
        out.push_str(&one(verb, v, &spec));
    }
    if next < vals.len() {
        let extra: Vec<String> = vals[next..].iter().map(|v| format!("{}={}", go_type(v), plain(v))).collect();
        out.push_str(&format!("%!(EXTRA {})", extra.join(", ")));
    }
    out
}

/// `%v` of a value.
fn plain(v: &Value) -> String {
    match v {
        Value::Nil => "<nil>".into(),
        Value::Str(s) => s.clone(),
        Value::Double(f) => float(*f, 'g', None, false),
        Value::Bytes(b) => format!("[{}]", b.iter().map(u8::to_string).collect::<Vec<_>>().join(" ")),
        other => super::common::string_like(other).ok().flatten().unwrap_or_default(),
    }
}

fn one(verb: char, v: &Value, spec: &Spec) -> String {
    let bad = || format!("%!{verb}({}={})", go_type(v), plain(v));
    let (body, numeric) = match (verb, v) {
        ('v', Value::Nil) => ("<nil>".to_owned(), false),
        ('v', Value::Int(_) | Value::Double(_)) => return one(if matches!(v, Value::Int(_)) { 'd' } else { 'g' }, v, spec),
        ('v', _) => (plain(v), false),
        ('s', Value::Str(s)) => (truncate(s, spec.prec), false),
        ('s', Value::Bytes(b)) => (truncate(&String::from_utf8_lossy(b), spec.prec), false),
        ('q', Value::Str(s)) => (format!("{s:?}"), false),
        ('t', Value::Bool(b)) => (b.to_string(), false),
        ('d', Value::Int(n)) => (n.unsigned_abs().to_string(), true),
        ('b', Value::Int(n)) => (format!("{:b}", n.unsigned_abs()), true),
        ('o', Value::Int(n)) => (format!("{}{:o}", if spec.sharp { "0" } else { "" }, n.unsigned_abs()), true),
        ('x' | 'X', Value::Int(n)) => {
            let hex = format!("{}{:x}", if spec.sharp { "0x" } else { "" }, n.unsigned_abs());
            (if verb == 'X' { hex.to_uppercase() } else { hex }, true)
        }
        ('x' | 'X', Value::Str(_) | Value::Bytes(_)) => {
            let bytes = match v {
                Value::Str(s) => s.as_bytes(),
                Value::Bytes(b) => b.as_slice(),
                _ => &[],
            };
            let hex = super::common::hex(bytes);
            (if verb == 'X' { hex.to_uppercase() } else { hex }, false)
        }
        ('c', Value::Int(n)) => (u32::try_from(*n).ok().and_then(char::from_u32).unwrap_or('\u{fffd}').to_string(), false),
        ('f' | 'F' | 'e' | 'E' | 'g' | 'G', Value::Double(f)) => {
            let lower = verb.to_ascii_lowercase();
            let s = float(f.abs(), lower, spec.prec, spec.sharp);
            (if verb.is_ascii_uppercase() { s.to_uppercase() } else { s }, true)
        }
        _ => return bad(),
    };
    let negative = match v {
        Value::Int(n) => *n < 0 && numeric,
        Value::Double(f) => f.is_sign_negative() && numeric,
        _ => false,
    };
    let sign = if negative {
        "-"
    } else if numeric && spec.plus {
        "+"
    } else if numeric && spec.space {
        " "
    } else {
        ""
    };
    pad(sign, &body, spec, numeric)
}

fn truncate(s: &str, prec: Option<usize>) -> String {
    match prec {
        Some(p) => s.chars().take(p).collect(),
        None => s.to_owned(),
    }
}

/// Pads to the width: spaces on the left (right with `-`), or zeros
/// after the sign for numbers with `0`.
fn pad(sign: &str, body: &str, spec: &Spec, numeric: bool) -> String {
    let len = sign.chars().count() + body.chars().count();
    let fill = spec.width.unwrap_or(0).saturating_sub(len);
    if spec.minus {
        format!("{sign}{body}{}", " ".repeat(fill))
    } else if spec.zero && numeric {
        format!("{sign}{}{body}", "0".repeat(fill))
    } else {
        format!("{}{sign}{body}", " ".repeat(fill))
    }
}

/// A non-negative float as Go's `strconv.FormatFloat` writes it for `f`,
/// `e` and `g`; `None` precision is 6 for `f`/`e` and shortest for `g`.
fn float(f: f64, verb: char, prec: Option<usize>, sharp: bool) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return "Inf".into();
    }
    let exp_form = |s: String| match s.split_once('e') {
        Some((m, e)) => {
            let (sign, digits) = e.strip_prefix('-').map_or(("+", e), |d| ("-", d));
            format!("{m}e{sign}{digits:0>2}")
        }
        None => s,
    };
    match verb {
        'f' => format!("{f:.*}", prec.unwrap_or(6)),
        'e' => exp_form(format!("{f:.*e}", prec.unwrap_or(6))),
        _ => {
            // %g: %e when the exponent is < -4 or >= the precision (6 for
            // the shortest form), trailing zeros dropped unless `#`.
            let sci = match prec {
                Some(p) => format!("{f:.*e}", p.max(1) - 1),
                None => format!("{f:e}"),
            };
            let exp: i32 = sci.split_once('e').and_then(|(_, e)| e.parse().ok()).unwrap_or(0);
            let eprec = prec.map_or(6, |p| p.max(1) as i32);
            let trim = |s: String| {
                if sharp || !s.contains('.') {
                    s
                } else {
                    s.trim_end_matches('0').trim_end_matches('.').to_owned()
                }
            };
            if exp < -4 || exp >= eprec {
                let (m, e) = sci.split_once('e').unwrap_or((&sci, "0"));
                exp_form(format!("{}e{e}", trim(m.to_owned())))
            } else if prec.is_none() {
                format!("{f}")
            } else {
                let decimals = (eprec - 1 - exp).max(0) as usize;
                trim(format!("{f:.decimals$}"))
            }
        }
    }
}
