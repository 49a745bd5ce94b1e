//! `ParseSeverity`: the README's mappings, the placeholders, the order of
//! levels, and the errors of a bad mapping (at load) or value (when run).

use super::super::super::value::Value;
use super::super::testing::{compile, list, map, run_opt, s, strs};

fn mapping() -> Value {
    let range = |lo: i64, hi: i64| map(&[("range", map(&[("min", Value::Int(lo)), ("max", Value::Int(hi))]))]);
    map(&[
        ("info", list(&[map(&[("equals", strs(&["inf", "information"]))]), range(200, 299)])),
        ("error", list(&[map(&[("range", s("5xx"))]), map(&[("equals", strs(&["err"]))])])),
    ])
}

fn parse(value: Value, mapping: Value) -> Result<Value, String> {
    run_opt("ParseSeverity", vec![Some(value), Some(mapping)]).0
}

#[test]
fn words_and_numbers_map_to_their_level() {
    assert_eq!(parse(s("inf"), mapping()), Ok(s("info")));
    assert_eq!(parse(Value::Int(204), mapping()), Ok(s("info")));
    assert_eq!(parse(Value::Int(503), mapping()), Ok(s("error")), "the 5xx placeholder");
    assert_eq!(parse(Value::Int(299), mapping()), Ok(s("info")), "both ends of a range are in it");
    assert_eq!(parse(Value::Int(599), mapping()), Ok(s("error")));
    assert_eq!(parse(s("err"), mapping()), Ok(s("error")));
    assert_eq!(parse(s("foo"), mapping()), Err("could not map log level: no matching log level found for value 'foo'".into()));
    assert_eq!(parse(Value::Int(404), mapping()), Err("could not map log level: no matching log level found for value '404'".into()));
    let err = parse(Value::Bool(true), mapping()).unwrap_err();
    assert_eq!(err, "could not map log level: could not evaluate log level of value 'true': unsupported value type: bool");
}

#[test]
fn the_first_level_written_wins() {
    let both = map(&[("warn", list(&[map(&[("equals", strs(&["x"]))])])), ("info", list(&[map(&[("equals", strs(&["x"]))])]))]);
    assert_eq!(parse(s("x"), both), Ok(s("warn")));
}

#[test]
fn a_bad_mapping_is_refused_at_load() {
    let bad = |m: Value| compile("ParseSeverity", &[None, Some(m)]).err().map(|e| e.1).unwrap_or_default();
    assert_eq!(bad(map(&[("info", s("inf"))])), "severity mapping criteria must be []any");
    assert_eq!(bad(map(&[("info", list(&[s("inf")]))])), "severity mapping criteria items must be map[string]any");
    assert_eq!(bad(map(&[("info", list(&[map(&[("range", s("6xx"))])]))])), "invalid severity mapping criteria: unknown range placeholder: 6xx");
    let no_max = map(&[("info", list(&[map(&[("range", map(&[("min", Value::Int(1))]))])]))]);
    assert_eq!(bad(no_max), "invalid severity mapping criteria: range must have a max value");
    assert_eq!(bad(map(&[("info", list(&[map(&[("equals", list(&[Value::Int(1)]))])]))])), "invalid severity mapping criteria: equals values must be strings");
}
