//! `string.format`: the subset of Go's `fmt.Sprintf` that Alloy configs use.
//!
//! Alloy hands the arguments straight to `fmt.Sprintf`, so configs depend
//! on Go's output, mistakes included: a mismatched verb prints
//! `%!d(string=foo)` rather than failing the config. We keep those forms,
//! naming Alloy's types (`number`) instead of Go's (`int64`). Arrays and
//! objects print in Alloy syntax, not Go's `[a b]` and `map[k:v]`, so the
//! output can be pasted back into a config. Secrets are the exception to
//! all of this: formatting one is an error, never text.

use super::super::args::{at_least, string};
use super::number::{float, integer, whole};
use crate::value::{CallError, Number, Type, Value};

/// Go refuses widths and precisions beyond this rather than allocate them.
const MAX_WIDTH: usize = 1_000_000;

/// The flags, width and precision of one `%` directive.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Spec {
    pub minus: bool,
    pub plus: bool,
    pub zero: bool,
    pub space: bool,
    pub sharp: bool,
    pub width: Option<usize>,
    pub precision: Option<usize>,
}

impl Spec {
    /// Pads `s` to the width, counting characters as Go counts runes.
    pub fn pad(&self, s: &str) -> String {
        let len = s.chars().count();
        let fill = self.width.unwrap_or(0).saturating_sub(len);
        if fill == 0 {
            return s.to_string();
        }
        if self.minus {
            format!("{s}{}", " ".repeat(fill))
        } else {
            let c = if self.zero { "0" } else { " " };
            format!("{}{s}", c.repeat(fill))
        }
    }
}

pub fn format(args: &[Value]) -> Result<Value, CallError> {
    at_least(args, 1)?;
    let template = string(args, 0)?;
    let values = &args[1..];
    let mut out = String::with_capacity(template.len());
    let mut next = 0;
    let mut rest = template;
    while let Some(pos) = rest.find('%') {
        out.push_str(&rest[..pos]);
        let spec;
        (spec, rest) = parse_spec(&rest[pos + 1..], &mut out);
        let Some(verb) = rest.chars().next() else {
            out.push_str("%!(NOVERB)");
            break;
        };
        rest = &rest[verb.len_utf8()..];
        if verb == '%' {
            out.push('%');
            continue;
        }
        let Some(value) = values.get(next) else {
            out.push_str(&format!("%!{verb}(MISSING)"));
            continue;
        };
        refuse_secret(next + 1, verb, value)?;
        next += 1;
        out.push_str(&render(&spec, verb, value));
    }
    out.push_str(rest);
    if next < values.len() {
        let mut extra = Vec::new();
        for (i, value) in values.iter().enumerate().skip(next) {
            refuse_secret(i + 1, 's', value)?;
            extra.push(typed(value));
        }
        out.push_str(&format!("%!(EXTRA {})", extra.join(", ")));
    }
    Ok(Value::String(out))
}

/// Reads flags, width and precision after a `%`. Out-of-range numbers are
/// reported inline, as Go does, and then ignored.
fn parse_spec<'a>(mut rest: &'a str, out: &mut String) -> (Spec, &'a str) {
    let mut spec = Spec::default();
    while let Some(c) = rest.chars().next() {
        match c {
            '-' => spec.minus = true,
            '+' => spec.plus = true,
            '0' => spec.zero = true,
            ' ' => spec.space = true,
            '#' => spec.sharp = true,
            _ => break,
        }
        rest = &rest[1..];
    }
    // Zero padding only ever goes on the left.
    spec.zero &= !spec.minus;
    let width;
    (width, rest) = parse_number(rest);
    spec.width = checked(width, "%!(BADWIDTH)", out);
    if let Some(after_dot) = rest.strip_prefix('.') {
        let precision;
        (precision, rest) = parse_number(after_dot);
        spec.precision = checked(Some(precision.unwrap_or(0)), "%!(BADPREC)", out);
    }
    (spec, rest)
}

fn parse_number(s: &str) -> (Option<usize>, &str) {
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    if end == 0 {
        return (None, s);
    }
    let n = s[..end].bytes().fold(0usize, |n, d| n.saturating_mul(10).saturating_add(usize::from(d - b'0')));
    (Some(n), &s[end..])
}

fn checked(n: Option<usize>, complaint: &str, out: &mut String) -> Option<usize> {
    match n {
        Some(n) if n > MAX_WIDTH => {
            out.push_str(complaint);
            None
        }
        n => n,
    }
}

/// A secret argument fails the call, naming the type the verb wanted, so a
/// secret can never become text by way of a format string.
fn refuse_secret(index: usize, verb: char, value: &Value) -> Result<(), CallError> {
    if !matches!(value, Value::Secret(_)) {
        return Ok(());
    }
    let expected = match verb {
        'd' | 'b' | 'o' | 'x' | 'X' | 'c' | 'e' | 'E' | 'f' | 'F' | 'g' | 'G' => Type::Number,
        't' => Type::Bool,
        _ => Type::String,
    };
    Err(CallError::arg_type(index, expected, value))
}

/// One formatted argument, or Go's `%!verb(type=value)` when the verb does
/// not apply to the value.
fn render(spec: &Spec, verb: char, value: &Value) -> String {
    let formatted = match (verb, value) {
        ('v', Value::Null) => Some(spec.pad("<nil>")),
        ('T', _) => Some(spec.pad(&value.ty().to_string())),
        ('v' | 't', Value::Bool(b)) => Some(spec.pad(if *b { "true" } else { "false" })),
        // `%+v` and `%#v` mean something else to Go; on numbers they are plain `%v`.
        ('v', Value::Number(Number::Float(f))) => Some(float(&Spec { plus: false, sharp: false, ..*spec }, 'g', *f)),
        ('v', Value::Number(n)) => whole(*n).map(|i| integer(&Spec { plus: false, sharp: false, ..*spec }, 'd', i)),
        ('d' | 'b' | 'o' | 'x' | 'X' | 'c' | 'q', Value::Number(n)) => whole(*n).map(|i| integer(spec, verb, i)),
        ('e' | 'E' | 'f' | 'F' | 'g' | 'G', Value::Number(n)) => Some(float(spec, verb, n.as_f64())),
        ('v' | 's' | 'q' | 'x' | 'X', Value::String(s)) => Some(text(spec, verb, s)),
        ('v' | 's', Value::Array(_) | Value::Object(_) | Value::Function(_) | Value::Capsule(_)) => Some(spec.pad(&value.to_string())),
        _ => None,
    };
    formatted.unwrap_or_else(|| match value {
        Value::Null => format!("%!{verb}(<nil>)"),
        _ => format!("%!{verb}({})", typed(value)),
    })
}

/// `type=value`, as Go names a value it could not format.
fn typed(value: &Value) -> String {
    match value {
        Value::Null => "<nil>".to_string(),
        _ => format!("{}={}", value.ty(), render(&Spec::default(), 'v', value)),
    }
}

/// Strings under `%s`, `%q` and `%x`; the precision cuts the input first,
/// in characters, or in bytes for `%x`.
fn text(spec: &Spec, verb: char, s: &str) -> String {
    if let 'x' | 'X' = verb {
        let bytes = &s.as_bytes()[..spec.precision.unwrap_or(usize::MAX).min(s.len())];
        let hex: String = bytes.iter().map(|b| if verb == 'x' { format!("{b:02x}") } else { format!("{b:02X}") }).collect();
        let prefix = if !spec.sharp {
            ""
        } else if verb == 'x' {
            "0x"
        } else {
            "0X"
        };
        return spec.pad(&format!("{prefix}{hex}"));
    }
    let s = match spec.precision {
        Some(p) => s.char_indices().nth(p).map_or(s, |(i, _)| &s[..i]),
        None => s,
    };
    if verb == 'q' {
        spec.pad(&quote(s, '"'))
    } else {
        spec.pad(s)
    }
}

/// Go's `strconv.Quote` (with `"`) and `QuoteRune` (with `'`).
pub(super) fn quote(s: &str, delimiter: char) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push(delimiter);
    for c in s.chars() {
        match c {
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x0b' => out.push_str("\\v"),
            '\\' => out.push_str("\\\\"),
            c if c == delimiter => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x80 && (c.is_control()) => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if c == ' ' || !(c.is_control() || c.is_whitespace() || invisible(c)) => out.push(c),
            c if (c as u32) <= 0xffff => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push(delimiter);
    out
}

/// The common format characters (Unicode category Cf) that Go escapes
/// because they print as nothing; std has no category table to ask.
fn invisible(c: char) -> bool {
    matches!(c, '\u{ad}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2064}' | '\u{feff}')
}

#[cfg(test)]
mod tests {
    use super::super::super::args::testing::{eval, eval_error, eval_with_secret};
    use super::*;

    fn fmt(src: &str) -> String {
        match eval(src) {
            Value::String(s) => s,
            other => panic!("{src}: {other}"),
        }
    }

    #[test]
    fn verbs() {
        assert_eq!(fmt(r#"string.format("%05.1f", 3.14159)"#), "003.1");
        assert_eq!(fmt(r#"string.format("%s-%d-%t", "a", 42, true)"#), "a-42-true");
        assert_eq!(fmt(r#"string.format("%v %v %v %v", "s", 1, 2.5, false)"#), "s 1 2.5 false");
        assert_eq!(fmt(r#"string.format("%v|%v", [1, "a"], {k = null})"#), r#"[1, "a"]|{ k = null }"#);
        assert_eq!(fmt(r#"string.format("%v %s", null, [])"#), "<nil> []");
        assert_eq!(fmt(r#"string.format("%q", "a\"b\n")"#), r#""a\"b\n""#);
        assert_eq!(fmt(r#"string.format("%x %X %#x %.1x", "hi", 255, 255, "é")"#), "6869 FF 0xff c3");
        assert_eq!(fmt(r#"string.format("%T %T %T", 1, "a", null)"#), "number string null");
        assert_eq!(fmt(r#"string.format("%o %b %c", 8, 5, 65)"#), "10 101 A");
        assert_eq!(fmt(r#"string.format("%e %g", 1000000.0, 1000000.0)"#), "1.000000e+06 1e+06");
        assert_eq!(fmt(r#"string.format("100%%")"#), "100%");
        assert_eq!(fmt(r#"string.format("%d", 6.0 / 2)"#), "3");
        assert_eq!(fmt(r#"string.format("%.2f", 1)"#), "1.00");
        assert_eq!(fmt(r#"string.format("%d", 18446744073709551615)"#), "18446744073709551615");
    }

    #[test]
    fn width_precision_and_flags() {
        assert_eq!(fmt(r#"string.format("[%5.2f]", 3.14159)"#), "[ 3.14]");
        assert_eq!(fmt(r#"string.format("[%-10s]", "left")"#), "[left      ]");
        assert_eq!(fmt(r#"string.format("[%08.3f]", -3.14159)"#), "[-003.142]");
        assert_eq!(fmt(r#"string.format("[%.3s]", "abcdef")"#), "[abc]");
        assert_eq!(fmt(r#"string.format("[%5s|%-5d|%05d]", "héé", 7, -7)"#), "[  héé|7    |-0007]");
        assert_eq!(fmt(r#"string.format("[% d|%+d|%+v]", 5, 5, 5)"#), "[ 5|+5|5]");
        assert_eq!(fmt(r#"string.format("[%-05d]", 5)"#), "[5    ]");
        assert_eq!(fmt(r#"string.format("[%05s]", "ab")"#), "[000ab]");
        assert_eq!(fmt(r#"string.format("[%.2v]", 3.14159)"#), "[3.1]");
        assert_eq!(fmt(r#"string.format("[%6t]", true)"#), "[  true]");
    }

    #[test]
    fn mismatches_print_as_go_does() {
        assert_eq!(fmt(r#"string.format("%d", "foo")"#), "%!d(string=foo)");
        assert_eq!(fmt(r#"string.format("%s %s", "a")"#), "a %!s(MISSING)");
        assert_eq!(fmt(r#"string.format("a", 1)"#), "a%!(EXTRA number=1)");
        assert_eq!(fmt(r#"string.format("%d", 1, "x", null)"#), "1%!(EXTRA string=x, <nil>)");
        assert_eq!(fmt(r#"string.format("%d %t", 2.5, 1)"#), "%!d(number=2.5) %!t(number=1)");
        assert_eq!(fmt(r#"string.format("%s %d", true, null)"#), "%!s(bool=true) %!d(<nil>)");
        assert_eq!(fmt(r#"string.format("%z", [1])"#), "%!z(array=[1])");
        assert_eq!(fmt(r#"string.format("50%")"#), "50%!(NOVERB)");
        assert_eq!(fmt(r#"string.format("%9999999d", 1)"#), "%!(BADWIDTH)1");
        assert_eq!(fmt(r#"string.format("%.9999999d", 1)"#), "%!(BADPREC)1");
        assert_eq!(fmt(r#"string.format("plain")"#), "plain");
    }

    #[test]
    fn argument_errors() {
        assert_eq!(eval_error("string.format()"), "string.format: expected at least 1 argument, got 0");
        assert_eq!(eval_error("string.format(1)"), "1 should be string, got number");
    }

    #[test]
    fn secrets_are_refused() {
        let run = eval_with_secret;
        assert_eq!(run(r#"string.format("%s", pw)"#), Err("pw should be string, got secret".to_string()));
        assert_eq!(run(r#"string.format("%d", pw)"#), Err("pw should be number, got secret".to_string()));
        assert_eq!(run(r#"string.format("x", pw)"#), Err("pw should be string, got secret".to_string()));
        assert_eq!(run("string.format(pw)"), Err("pw should be string, got secret".to_string()));
        // Nested inside a value, a secret prints as Alloy prints it: hidden.
        assert_eq!(run(r#"string.format("%v", [pw])"#), Ok(Value::string("[(secret)]")));
    }

    #[test]
    fn quoting_matches_go() {
        assert_eq!(quote("tab\there\u{7f}", '"'), r#""tab\there\x7f""#);
        assert_eq!(quote("é\u{a0}\u{200b}\u{1F600}", '"'), "\"é\\u00a0\\u200b\u{1F600}\"");
        assert_eq!(quote("'", '\''), r"'\''");
    }
}
