//! `ParseCSV`, against what Go's `encoding/csv` reads (the Collector's
//! reader): the README's examples, quoting in each mode, rows over several
//! lines, and the errors word for word.

use super::super::super::value::Value;
use super::super::testing::{compile, map, run_opt, s};

/// `ParseCSV(target, headers, delimiter, headerDelimiter, mode)`.
fn parse(target: &str, headers: &str, delimiter: Option<&str>, mode: Option<&str>) -> Result<Value, String> {
    let opt = |v: Option<&str>| v.map(s);
    run_opt("ParseCSV", vec![Some(s(target)), Some(s(headers)), opt(delimiter), None, opt(mode)]).0
}

fn fields(pairs: &[(&str, &str)]) -> Value {
    map(&pairs.iter().map(|(k, v)| (*k, s(v))).collect::<Vec<_>>())
}

#[test]
fn the_readmes_examples() {
    let got = parse("999-999-9999,Joe Smith,joe.smith@example.com", "phone,name,email", None, None);
    assert_eq!(got, Ok(fields(&[("phone", "999-999-9999"), ("name", "Joe Smith"), ("email", "joe.smith@example.com")])));
    // A delimiter for the row and another for the headers.
    let (out, _) = run_opt("ParseCSV", vec![Some(s("a|b")), Some(s("x,y")), Some(s("|")), Some(s(",")), None]);
    assert_eq!(out, Ok(fields(&[("x", "a"), ("y", "b")])));
}

#[test]
fn quotes_by_mode() {
    let row = r#""a,b","c""d",e"#;
    assert_eq!(parse(row, "x,y,z", None, None), Ok(fields(&[("x", "a,b"), ("y", "c\"d"), ("z", "e")])));
    assert_eq!(parse("a,b\"c,d", "x,y,z", None, Some("lazyQuotes")), Ok(fields(&[("x", "a"), ("y", "b\"c"), ("z", "d")])));
    // A quote inside quotes that closes nothing is text, and the field
    // runs on to the quote that does.
    assert_eq!(parse(r#""a"b",c"#, "x,y", None, Some("lazyQuotes")), Ok(fields(&[("x", "a\"b"), ("y", "c")])));
    assert_eq!(parse(r#""a"b,c"#, "x,y", None, Some("lazyQuotes")), Err("map csv headers: wrong number of fields: expected 2, found 1".into()));
    assert_eq!(parse(r#""a","b""#, "x,y", None, Some("ignoreQuotes")), Ok(fields(&[("x", "\"a\""), ("y", "\"b\"")])));
}

#[test]
fn a_row_over_several_lines() {
    // A quoted field keeps its line break; a bare one continues the last
    // field, as the Collector stitches Go's records together.
    assert_eq!(parse("\"a\nb\",c", "x,y", None, None), Ok(fields(&[("x", "a\nb"), ("y", "c")])));
    let got = parse("aa,b\nb,cc,d\nd,ee", "A,B,C,D,E", None, None);
    assert_eq!(got, Ok(fields(&[("A", "aa"), ("B", "b\nb"), ("C", "cc"), ("D", "d\nd"), ("E", "ee")])));
    assert_eq!(parse("a,b\r\n", "x,y", None, None), Ok(fields(&[("x", "a"), ("y", "b")])));
}

#[test]
fn errors_as_go_words_them() {
    let err = |target: &str, headers: &str| parse(target, headers, None, None).unwrap_err();
    assert_eq!(err("a\"b,c", "x,y"), "read csv line: parse error on line 1, column 2: bare \" in non-quoted-field");
    assert_eq!(err("\"abc", "x"), "read csv line: parse error on line 1, column 5: extraneous or missing \" in quoted-field");
    assert_eq!(err("\"a\"b,c", "x,y"), "read csv line: parse error on line 1, column 3: extraneous or missing \" in quoted-field");
    // A record that fails after some fields keeps them; the count is off.
    assert_eq!(err("a,b\"c,d", "x,y,z"), "map csv headers: wrong number of fields: expected 3, found 1");
    assert_eq!(err("a,b", "x,y,z"), "map csv headers: wrong number of fields: expected 3, found 2");
    assert_eq!(err("", "x"), "no csv lines found");
    assert_eq!(err("a", ""), "headers must not be an empty string");
    let load = |delimiter: &str| compile("ParseCSV", &[None, None, Some(s(delimiter))]).err().map(|e| e.1);
    assert_eq!(load("ab").as_deref(), Some("invalid arguments: delimiter must be a single character"));
    assert_eq!(load("\"").as_deref(), Some("csv: invalid field or comment delimiter"));
    assert!(compile("ParseCSV", &[None, None, None, None, Some(s("loose"))]).is_err_and(|e| e.1 == "unknown mode: loose"));
}

#[test]
fn a_repeated_header_keeps_the_last_field_in_the_first_place() {
    assert_eq!(parse("1,2,3", "a,b,a", None, None), Ok(fields(&[("a", "3"), ("b", "2")])));
}
