use super::super::super::value::Value;
use super::super::testing::{compile, edited, list, map, run, run_opt, s, strs};

#[test]
fn set_writes_and_skips_nil() {
    let (out, fake) = run("set", vec![Value::Nil, s("/foo")]);
    assert_eq!(out, Ok(Value::Nil));
    assert_eq!(fake.sets, vec![(0, s("/foo"))]);
    let (_, fake) = run("set", vec![s("old"), Value::Nil]);
    assert!(fake.sets.is_empty(), "a nil value changes nothing");
}

#[test]
fn append_builds_lists() {
    assert_eq!(edited("append", vec![Value::Nil, s("prod")]), strs(&["prod"]));
    let (out, fake) = run_opt("append", vec![Some(strs(&["a"])), None, Some(strs(&["staging", "staging:east"]))]);
    assert!(out.is_ok());
    assert_eq!(fake.args[0], Some(strs(&["a", "staging", "staging:east"])));
    // A scalar target becomes the first item; types are kept.
    assert_eq!(edited("append", vec![Value::Int(1), s("x")]), list(&[Value::Int(1), s("x")]));
    assert!(run_opt("append", vec![Some(Value::Nil), None, None]).0.is_err());
    assert!(run("append", vec![map(&[]), s("x")]).0.is_err());
}

fn attrs() -> Value {
    map(&[
        ("http.method", s("GET")),
        ("http.request.header.authorization", s("secret")),
        ("db.password", s("p")),
        ("Password2", s("q")),
        ("service.version", s("1.0")),
    ])
}

#[test]
fn delete_key_removes_one_key() {
    let out = edited("delete_key", vec![attrs(), s("http.request.header.authorization")]);
    assert!(out.map_get("http.request.header.authorization").is_none());
    assert_eq!(out.map_get("http.method"), Some(&s("GET")));
    let (_, fake) = run("delete_key", vec![attrs(), s("absent")]);
    assert!(fake.sets.is_empty());
    assert_eq!(run("delete_key", vec![Value::Nil, s("k")]).0, Err("expected pcommon.Map but got nil".into()));
}

#[test]
fn matching_keys_editors() {
    let out = edited("delete_matching_keys", vec![attrs(), s("(?i).*password.*")]);
    assert_eq!(out, map(&[("http.method", s("GET")), ("http.request.header.authorization", s("secret")), ("service.version", s("1.0"))]));
    let out = edited("keep_matching_keys", vec![attrs(), s("(?i).*version.*")]);
    assert_eq!(out, map(&[("service.version", s("1.0"))]));
    let err = compile("delete_matching_keys", &[None, Some(s("(unclosed"))]).err().unwrap();
    assert_eq!(err.0, 1);
    assert!(err.1.contains("not a valid pattern"), "{}", err.1);
}

#[test]
fn keep_keys_keeps_listed() {
    assert_eq!(edited("keep_keys", vec![attrs(), strs(&["http.method"])]), map(&[("http.method", s("GET"))]));
    assert_eq!(edited("keep_keys", vec![attrs(), strs(&[])]), map(&[]));
}

#[test]
fn limit_keeps_priority_keys() {
    let out = edited("limit", vec![attrs(), Value::Int(2), strs(&["service.version"])]);
    assert_eq!(out, map(&[("http.method", s("GET")), ("service.version", s("1.0"))]));
    let (_, fake) = run("limit", vec![attrs(), Value::Int(100), strs(&[])]);
    assert!(fake.sets.is_empty(), "under the limit nothing changes");
    assert!(run("limit", vec![Value::Nil, Value::Int(1), strs(&[])]).0.is_ok(), "nil is skipped");
    assert!(compile("limit", &[None, Some(Value::Int(-1)), Some(strs(&[]))]).is_err());
    assert!(compile("limit", &[None, Some(Value::Int(1)), Some(strs(&["a", "b"]))]).is_err());
}

#[test]
fn truncate_all_cuts_strings_only() {
    let m = map(&[("a", s("hello")), ("n", Value::Int(123456)), ("u", s("一二三"))]);
    let out = edited("truncate_all", vec![m.clone(), Value::Int(4)]);
    assert_eq!(out, map(&[("a", s("hell")), ("n", Value::Int(123456)), ("u", s("一"))]));
    let (out, fake) = run_opt("truncate_all", vec![Some(m), Some(Value::Int(4)), None, Some(s(".."))]);
    assert!(out.is_ok());
    assert_eq!(fake.args[0].as_ref().unwrap().map_get("a"), Some(&s("he..")));
    assert!(compile("truncate_all", &[None, Some(Value::Int(-1))]).is_err());
    assert!(compile("truncate_all", &[None, Some(Value::Int(2)), None, Some(s("(...)"))]).is_err());
}

#[test]
fn merge_maps_strategies() {
    let target = map(&[("a", s("1")), ("b", s("2"))]);
    let source = map(&[("b", s("B")), ("c", s("C"))]);
    let merge = |strategy: &str| edited("merge_maps", vec![target.clone(), source.clone(), s(strategy)]);
    assert_eq!(merge("insert"), map(&[("a", s("1")), ("b", s("2")), ("c", s("C"))]));
    assert_eq!(merge("update"), map(&[("a", s("1")), ("b", s("B"))]));
    assert_eq!(merge("upsert"), map(&[("a", s("1")), ("b", s("B")), ("c", s("C"))]));
    assert_eq!(compile("merge_maps", &[None, None, Some(s("merge"))]).err().unwrap().0, 2);
    assert!(run("merge_maps", vec![target, Value::Nil, s("upsert")]).0.is_err());
}

fn nested() -> Value {
    map(&[("name", s("test")), ("address", map(&[("street", s("first")), ("house", Value::Int(1234))])), ("occupants", strs(&["user 1", "user 2"]))])
}

#[test]
fn flatten_documented_examples() {
    let flat = map(&[
        ("name", s("test")),
        ("address.street", s("first")),
        ("address.house", Value::Int(1234)),
        ("occupants.0", s("user 1")),
        ("occupants.1", s("user 2")),
    ]);
    assert_eq!(edited("flatten", vec![nested()]), flat);
    let out = edited("flatten", vec![nested(), s("app")]);
    assert_eq!(out.map_get("app.address.street"), Some(&s("first")));
    assert_eq!(out.map_get("app.occupants.1"), Some(&s("user 2")));

    let deep = map(&[("0", map(&[("1", map(&[("2", map(&[("3", map(&[("4", s("value"))]))]))]))]))]);
    let (out, fake) = run_opt("flatten", vec![Some(deep.clone()), None, Some(Value::Int(2))]);
    assert!(out.is_ok());
    assert_eq!(fake.args[0], Some(map(&[("0.1.2", map(&[("3", map(&[("4", s("value"))]))]))])));
    let (_, fake) = run_opt("flatten", vec![Some(deep.clone()), None, Some(Value::Int(0))]);
    assert_eq!(fake.args[0], Some(deep), "depth 0 flattens nothing");
    assert!(compile("flatten", &[None, None, Some(Value::Int(-1))]).is_err());
    assert!(run("flatten", vec![s("x")]).0.is_err());
}

#[test]
fn flatten_resolve_conflicts() {
    let input = map(&[
        ("address", map(&[("street", map(&[("number", s("first"))])), ("house", s("1234"))])),
        ("address.street", map(&[("number", strs(&["second", "third"]))])),
        ("address.street.number", s("fourth")),
        ("occupants", strs(&["user 1", "user 2"])),
    ]);
    let (out, fake) = run_opt("flatten", vec![Some(input), None, None, Some(Value::Bool(true))]);
    assert!(out.is_ok());
    let want = map(&[
        ("address.street.number", s("first")),
        ("address.house", s("1234")),
        ("address.street.number.0", s("second")),
        ("address.street.number.1", s("third")),
        ("address.street.number.2", s("fourth")),
        ("occupants", s("user 1")),
        ("occupants.0", s("user 2")),
    ]);
    assert_eq!(fake.args[0], Some(want));
}
