//! `string`: text functions with Go's `strings` package semantics, so a
//! config gives the same result here as under Alloy.

mod format;
mod number;

use super::args::{array, fixed, on_strings, string};
use crate::value::{CallError, Function, Value};

pub fn functions() -> Vec<Function> {
    vec![
        Function::new("string.format", format::format),
        Function::new("string.join", join),
        on_strings("string.replace", |[s, old, new]| Ok(Value::String(s.replace(old, new)))),
        on_strings("string.split", |[s, sep]| Ok(Value::Array(split(s, sep).into_iter().map(Value::string).collect()))),
        on_strings("string.to_lower", |[s]| Ok(Value::String(s.to_lowercase()))),
        on_strings("string.to_upper", |[s]| Ok(Value::String(s.to_uppercase()))),
        on_strings("string.trim", |[s, cutset]| Ok(Value::string(s.trim_matches(|c| cutset.contains(c))))),
        on_strings("string.trim_prefix", |[s, prefix]| Ok(Value::string(s.strip_prefix(prefix).unwrap_or(s)))),
        on_strings("string.trim_suffix", |[s, suffix]| Ok(Value::string(s.strip_suffix(suffix).unwrap_or(s)))),
        on_strings("string.trim_space", |[s]| Ok(Value::string(s.trim()))),
    ]
}

/// Every element must be a string; the error names the element so a long
/// list built elsewhere can be fixed without guessing.
fn join(args: &[Value]) -> Result<Value, CallError> {
    let [_, _] = fixed(args)?;
    let items = array(args, 0)?;
    let sep = string(args, 1)?;
    let mut parts = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        match item {
            Value::String(s) => parts.push(s.as_str()),
            other => return Err(CallError::arg(0, format!("element {i} should be string, got {}", other.ty()))),
        }
    }
    Ok(Value::String(parts.join(sep)))
}

/// Go's `strings.Split`: an empty separator splits into characters, and an
/// empty string splits into one empty element unless the separator is also
/// empty.
fn split<'a>(s: &'a str, sep: &str) -> Vec<&'a str> {
    if sep.is_empty() {
        return s.char_indices().map(|(i, c)| &s[i..i + c.len_utf8()]).collect();
    }
    s.split(sep).collect()
}

#[cfg(test)]
mod tests {
    use super::super::args::testing::{eval, eval_deprecated, eval_error};
    use super::*;

    fn strs(items: &[&str]) -> Value {
        Value::Array(items.iter().map(|s| Value::string(*s)).collect())
    }

    #[test]
    fn join_and_split() {
        assert_eq!(eval(r#"string.join(["a", "b", "c"], ", ")"#), Value::string("a, b, c"));
        assert_eq!(eval(r#"string.join([], "-")"#), Value::string(""));
        assert_eq!(eval(r#"string.split("a,b,,c", ",")"#), strs(&["a", "b", "", "c"]));
        assert_eq!(eval(r#"string.split("", ",")"#), strs(&[""]));
        assert_eq!(eval(r#"string.split("héllo", "")"#), strs(&["h", "é", "l", "l", "o"]));
        assert_eq!(eval(r#"string.split("", "")"#), strs(&[]));
        assert_eq!(eval(r#"string.split("abc", "abc")"#), strs(&["", ""]));
    }

    #[test]
    fn join_names_the_bad_element() {
        assert_eq!(eval_error(r#"string.join(["a", 1], ",")"#), "string.join: element 1 should be string, got number");
        assert_eq!(eval_error(r#"string.join("a", ",")"#), r#""a" should be array, got string"#);
        assert_eq!(eval_error(r#"string.join(["a"], 1)"#), "1 should be string, got number");
        assert_eq!(eval_error(r#"string.join(["a"])"#), "string.join: expected 2 arguments, got 1");
    }

    #[test]
    fn replace_and_case() {
        assert_eq!(eval(r#"string.replace("a-b-c", "-", "+")"#), Value::string("a+b+c"));
        // An empty `old` matches around every character, as in Go.
        assert_eq!(eval(r#"string.replace("abc", "", "-")"#), Value::string("-a-b-c-"));
        assert_eq!(eval(r#"string.replace("abc", "x", "y")"#), Value::string("abc"));
        assert_eq!(eval(r#"string.to_lower("HeLLo ÄÖ")"#), Value::string("hello äö"));
        assert_eq!(eval(r#"string.to_upper("HeLLo äö")"#), Value::string("HELLO ÄÖ"));
    }

    #[test]
    fn trims() {
        assert_eq!(eval(r#"string.trim("__a_b__", "_")"#), Value::string("a_b"));
        assert_eq!(eval(r#"string.trim("xyaxy", "yx")"#), Value::string("a"));
        assert_eq!(eval(r#"string.trim("abc", "")"#), Value::string("abc"));
        assert_eq!(eval(r#"string.trim_prefix("prefix-x", "prefix-")"#), Value::string("x"));
        assert_eq!(eval(r#"string.trim_prefix("x", "prefix-")"#), Value::string("x"));
        assert_eq!(eval(r#"string.trim_suffix("x.log.log", ".log")"#), Value::string("x.log"));
        assert_eq!(eval(r#"string.trim_space("\t a b \n\u00a0")"#), Value::string("a b"));
    }

    #[test]
    fn argument_errors() {
        assert_eq!(eval_error(r#"string.replace("a", "b")"#), "string.replace: expected 3 arguments, got 2");
        assert_eq!(eval_error(r#"string.split("a", 1)"#), "1 should be string, got number");
        assert_eq!(eval_error("string.to_upper(true)"), "true should be string, got bool");
        assert_eq!(eval_error("string.trim_space(null)"), "null should be string, got null");
        assert_eq!(eval_error(r#"string.trim("a")"#), "string.trim: expected 2 arguments, got 1");
    }

    #[test]
    fn deprecated_aliases() {
        let cases = [
            (r#"format("%d", 1)"#, "string.format", Value::string("1")),
            (r#"join(["a", "b"], "")"#, "string.join", Value::string("ab")),
            (r#"replace("aa", "a", "b")"#, "string.replace", Value::string("bb")),
            (r#"split("a b", " ")"#, "string.split", strs(&["a", "b"])),
            (r#"to_lower("A")"#, "string.to_lower", Value::string("a")),
            (r#"to_upper("a")"#, "string.to_upper", Value::string("A")),
            (r#"trim("-a-", "-")"#, "string.trim", Value::string("a")),
            (r#"trim_prefix("ab", "a")"#, "string.trim_prefix", Value::string("b")),
            (r#"trim_suffix("ab", "b")"#, "string.trim_suffix", Value::string("a")),
            (r#"trim_space(" a ")"#, "string.trim_space", Value::string("a")),
        ];
        for (src, replacement, want) in cases {
            assert_eq!(eval_deprecated(src, replacement), want, "{src}");
        }
    }
}
