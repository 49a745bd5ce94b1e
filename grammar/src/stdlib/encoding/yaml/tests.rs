//! `encoding.from_yaml` against what yaml.v3 gives Alloy, case by case.

use super::super::super::args::testing::{eval, eval_error};
use super::*;

/// What a plain scalar decodes to, kind included: `Int(1)`, `Float(1.0)`,
/// `String("x")`, `Bool(true)` or `Null`.
fn kind(text: &str) -> String {
    match decode(text) {
        Ok(Value::Number(n)) => format!("{n:?}"),
        Ok(Value::String(s)) => format!("String({s:?})"),
        Ok(Value::Bool(b)) => format!("Bool({b})"),
        Ok(Value::Null) => "Null".to_string(),
        Ok(other) => format!("{other}"),
        Err(e) => format!("error: {e}"),
    }
}

fn yaml(src: &str) -> String {
    match decode(src) {
        Ok(v) => v.to_string(),
        Err(e) => format!("error: {e}"),
    }
}

#[test]
fn numbers_keep_their_kind() {
    for (text, want) in [
        ("12", "Int(12)"),
        ("-12", "Int(-12)"),
        ("+12", "Int(12)"),
        ("1_000", "Int(1000)"),
        ("0x1F", "Int(31)"),
        ("-0x1F", "Int(-31)"),
        ("0o17", "Int(15)"),
        ("017", "Int(15)"),
        ("0b101", "Int(5)"),
        ("0", "Int(0)"),
        ("9223372036854775807", "Int(9223372036854775807)"),
        ("-9223372036854775808", "Int(-9223372036854775808)"),
        ("9223372036854775808", "Uint(9223372036854775808)"),
        ("18446744073709551615", "Uint(18446744073709551615)"),
        // Past u64, and past i64 below zero, Go falls back to a float.
        ("18446744073709551616", "Float(1.8446744073709552e19)"),
        ("-9223372036854775809", "Float(-9.223372036854776e18)"),
        ("1.5", "Float(1.5)"),
        ("1.0", "Float(1.0)"),
        ("1.", "Float(1.0)"),
        (".5", "Float(0.5)"),
        ("-.5", "Float(-0.5)"),
        ("1e3", "Float(1000.0)"),
        ("1E-2", "Float(0.01)"),
        // A leading zero reads as octal, which 9 is not; Go then reads
        // it as a float.
        ("09", "Float(9.0)"),
        // Too large for a float: Go keeps the text.
        ("1e400", "String(\"1e400\")"),
        ("1.2.3", "String(\"1.2.3\")"),
        ("0x", "String(\"0x\")"),
        ("12abc", "String(\"12abc\")"),
        ("2001-12-14", "String(\"2001-12-14\")"),
        ("'12'", "String(\"12\")"),
        ("\"1.5\"", "String(\"1.5\")"),
    ] {
        assert_eq!(kind(text), want, "{text}");
    }
}

#[test]
fn nulls_and_bools_are_yaml_1_2() {
    for (text, want) in [
        ("~", "Null"),
        ("null", "Null"),
        ("Null", "Null"),
        ("NULL", "Null"),
        ("", "Null"),
        ("# only a comment", "Null"),
        ("---\n", "Null"),
        ("true", "Bool(true)"),
        ("True", "Bool(true)"),
        ("FALSE", "Bool(false)"),
        // YAML 1.1's other booleans are strings in yaml.v3.
        ("yes", "String(\"yes\")"),
        ("no", "String(\"no\")"),
        ("on", "String(\"on\")"),
        ("off", "String(\"off\")"),
        ("nil", "String(\"nil\")"),
        ("'true'", "String(\"true\")"),
        ("'null'", "String(\"null\")"),
    ] {
        assert_eq!(kind(text), want, "{text:?}");
    }
}

#[test]
fn infinities_and_nan_are_errors() {
    assert_eq!(yaml("x: .inf"), "error: line 1: .inf is not a finite number, which Alloy numbers must be");
    assert_eq!(yaml("- -.Inf"), "error: line 1: -.Inf is not a finite number, which Alloy numbers must be");
    assert_eq!(yaml(".nan"), "error: line 1: .nan is not a finite number, which Alloy numbers must be");
    assert_eq!(yaml("'.inf'"), "\".inf\"");
}

#[test]
fn collections() {
    assert_eq!(yaml("a: 1\nb:\n  - x\n  - {c: [2.5, true, ~]}\n"), r#"{ a = 1, b = ["x", { c = [2.5, true, null] }] }"#);
    assert_eq!(yaml("[]"), "[]");
    assert_eq!(yaml("{}"), "{}");
    assert_eq!(yaml("a:\nb: |\n  two\n  lines\n"), "{ a = null, b = \"two\\nlines\\n\" }");
    assert_eq!(yaml("- >\n  folded\n  text\n"), "[\"folded text\\n\"]");
}

#[test]
fn keys_that_are_not_strings_are_spelled_as_alloy() {
    assert_eq!(
        yaml("1: one\ntrue: t\n~: n\n1.5: f\n0x10: hex\n? [1, 2]\n: pair\n? {a: 1}\n: map\n"),
        r#"{ "1" = "one", "1.5" = "f", "16" = "hex", "[1, 2]" = "pair", "null" = "n", "true" = "t", "{ a = 1 }" = "map" }"#
    );
}

#[test]
fn repeated_keys_are_errors() {
    assert_eq!(yaml("a: 1\nb: 2\na: 3\n"), r#"error: line 3: mapping key "a" already defined at line 1"#);
    // Written the same, quoted or not, as yaml.v3 compares them.
    assert_eq!(yaml("1: a\n'1': b\n"), r#"error: line 2: mapping key "1" already defined at line 1"#);
    assert_eq!(yaml("a: {x: 1, x: 2}"), r#"error: line 1: mapping key "x" already defined at line 1"#);
}

#[test]
fn anchors_and_aliases() {
    assert_eq!(yaml("a: &v [1, 2]\nb: *v\nc: &s text\nd: *s\n"), r#"{ a = [1, 2], b = [1, 2], c = "text", d = "text" }"#);
    // An anchor may be redefined; an alias names the latest.
    assert_eq!(yaml("- &x 1\n- *x\n- &x 2\n- *x\n"), "[1, 1, 2, 2]");
    assert_eq!(yaml("&a [*a]"), "error: line 1: an alias refers to the value that contains it");
    assert!(yaml("a: *missing").starts_with("error: line 1 column 4: while parsing node, found unknown anchor"), "{}", yaml("a: *missing"));
}

#[test]
fn merge_keys() {
    let src = "base: &b {x: 1, y: 1}\nother: &o {y: 2, z: 2}\n\
               one:\n  <<: *b\n  y: 9\n\
               many:\n  <<: [*b, *o]\n  w: 0\n\
               inline:\n  <<: {k: v}\n";
    assert_eq!(
        yaml(src),
        "{ base = { x = 1, y = 1 }, inline = { k = \"v\" }, many = { w = 0, x = 1, y = 1, z = 2 }, one = { x = 1, y = 9 }, other = { y = 2, z = 2 } }"
    );
    // The mapping's own key wins even when written before the merge.
    assert_eq!(yaml("b: &b {x: 1}\nd: {x: 2, <<: *b}"), "{ b = { x = 1 }, d = { x = 2 } }");
    // Quoted, `<<` is an ordinary key; tagged `!!merge`, it merges.
    assert_eq!(yaml("'<<': {x: 1}"), r#"{ "<<" = { x = 1 } }"#);
    assert_eq!(yaml("!!merge <<: {x: 1}"), "{ x = 1 }");
    assert_eq!(yaml("<<: 1"), "error: map merge requires map or sequence of maps as the value");
    assert_eq!(yaml("<<: [{a: 1}, 2]"), "error: map merge requires map or sequence of maps as the value");
}

#[test]
fn tags() {
    assert_eq!(kind("!!str 12"), "String(\"12\")");
    assert_eq!(kind("!!int '12'"), "Int(12)");
    assert_eq!(kind("!!float 1"), "Float(1.0)");
    assert_eq!(kind("!!bool \"true\""), "Bool(true)");
    assert_eq!(kind("!!null ''"), "Null");
    assert_eq!(kind("!!int 1.5"), "error: line 1: cannot decode !!float `1.5` as a !!int");
    assert_eq!(kind("!!bool yes"), "error: line 1: cannot decode !!str `yes` as a !!bool");
    assert_eq!(kind("!!binary aGVsbG8="), "String(\"hello\")");
    assert_eq!(kind("!!binary |\n  aGVs\n  bG8=\n"), "String(\"hello\")");
    assert_eq!(kind("!!binary '%%%'"), "error: line 1: !!binary value contains invalid base64 data");
    // Tags yaml.v3 does not know leave the text a string; `!` alone
    // is no tag at all.
    assert_eq!(kind("!custom 5"), "String(\"5\")");
    assert_eq!(kind("! 5"), "Int(5)");
    assert_eq!(kind("! '5'"), "String(\"5\")");
    assert_eq!(yaml("!custom {a: 1}"), "{ a = 1 }");
}

#[test]
fn only_the_first_document_is_read() {
    assert_eq!(yaml("a: 1\n---\nb: 2\n"), "{ a = 1 }");
    assert_eq!(yaml("--- 1\n--- 2\n"), "1");
    assert_eq!(yaml("a: 1\n...\n--- [unclosed\n"), "{ a = 1 }");
    assert_eq!(yaml("--- [unclosed\n--- 2\n"), "error: line 2 column 1: while parsing a flow sequence, expected ',' or ']'");
}

#[test]
fn limits() {
    let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
    assert!(decode(&deep(MAX_DEPTH)).is_ok());
    assert_eq!(yaml(&deep(MAX_DEPTH + 1)), "error: line 1: nesting deeper than 128 levels");
    // Aliases cannot build past the depth limit either.
    let chain = format!("a: &a {}\nb: {}*a{}", deep(100), "[".repeat(30), "]".repeat(30));
    assert_eq!(yaml(&chain), "error: line 2: nesting deeper than 128 levels");
    // Nine levels of ten aliases each would be a billion values.
    let mut laughs = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for (name, prev) in ["b", "c", "d", "e", "f", "g", "h", "i", "j"].iter().zip(["a", "b", "c", "d", "e", "f", "g", "h", "i"]) {
        laughs.push_str(&format!("{name}: &{name} [{}]\n", vec![format!("*{prev}"); 10].join(", ")));
    }
    assert_eq!(yaml(&laughs), "error: document contains excessive aliasing");
}

#[test]
fn through_the_stdlib() {
    assert_eq!(eval(r#"encoding.from_yaml("a: 1\nb: [x]").a + 1"#), Value::int(2));
    assert_eq!(eval(r#"encoding.from_yaml("")"#), Value::Null);
    assert_eq!(
        eval_error(r#"encoding.from_yaml("a: [1")"#),
        "encoding.from_yaml: invalid YAML: line 2 column 1: while parsing a flow sequence, expected ',' or ']'"
    );
    assert_eq!(eval_error("encoding.from_yaml(1)"), "1 should be string, got number");
}
