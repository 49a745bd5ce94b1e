//! Checker and evaluator tests against the map-backed test context.

use super::testing::{functions, Item, RESOURCE, SPAN};
use super::*;

fn compile(src: &str) -> Statements {
    Statements::compile(&SPAN, functions(), &[src]).unwrap_or_else(|e| panic!("{src}: {e:?}"))
}

fn error(src: &str) -> OttlError {
    match Statements::compile(&SPAN, functions(), &[src]) {
        Ok(_) => panic!("{src}: compiled"),
        Err(e) => e,
    }
}

fn run(srcs: &[&str], item: &mut Item) -> Vec<RunError> {
    let stmts = Statements::compile(&SPAN, functions(), srcs).unwrap_or_else(|e| panic!("{e:?}"));
    let mut errors = Vec::new();
    stmts.execute(item, ErrorMode::Ignore, &mut errors).unwrap();
    errors
}

fn holds(cond: &str, item: &mut Item) -> bool {
    let c = Conditions::compile(&SPAN, functions(), &[cond]).unwrap_or_else(|e| panic!("{cond}: {e:?}"));
    c.any(item, ErrorMode::Propagate, &mut Vec::new()).unwrap()
}

#[test]
fn set_with_where_clause() {
    let mut item = Item::named("GET /users/123");
    let errors = run(
        &[
            r#"set(attributes["route"], "/users/{id}") where HasPrefix(name, "GET /users/")"#,
            r#"set(attributes["skipped"], true) where name == "other""#,
            r#"set(attributes["joined"], Concat([attributes["route"], kind, "x"], "|"))"#,
            r#"set(span.attributes["first"], Split(name, " ")[0])"#,
            r#"set(resource.attributes["n"], 2 * (3 + 4) - 10 / 4)"#,
        ],
        &mut item,
    );
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(item.attribute("route"), Some(&Value::str("/users/{id}")));
    assert_eq!(item.attribute("skipped"), None);
    assert_eq!(item.attribute("joined"), Some(&Value::str("/users/{id}|0|x")));
    assert_eq!(item.attribute("first"), Some(&Value::str("GET")));
    assert_eq!(item.values[2].map_get("n"), Some(&Value::Int(12)));
}

#[test]
fn cache_is_per_item_and_nested() {
    let mut item = Item::named("a");
    let srcs = [
        r#"set(cache["x"]["y"], Upper(name))"#,
        r#"set(attributes["from_cache"], cache["x"]["y"])"#,
        r#"set(attributes["missing"], cache["nope"])"#,
        r#"set(attributes["dyn"], cache[Concat(["x"], "")]["y"])"#,
    ];
    assert!(run(&srcs, &mut item).is_empty());
    assert_eq!(item.attribute("from_cache"), Some(&Value::str("A")));
    // `set` of nil does nothing, as in the Collector.
    assert_eq!(item.attribute("missing"), None);
    assert_eq!(item.attribute("dyn"), Some(&Value::str("A")));
    let stmts = compile(r#"set(attributes["seen"], cache["x"]) where cache["x"] != nil"#);
    let mut other = Item::named("b");
    stmts.execute(&mut other, ErrorMode::Propagate, &mut Vec::new()).unwrap();
    assert_eq!(other.attribute("seen"), None, "the cache starts empty for every item");
}

#[test]
fn comparisons_and_booleans() {
    let mut item = Item::named("n").with_attribute("i", Value::Int(3)).with_attribute("f", Value::Double(3.0));
    assert!(holds(r#"attributes["i"] == attributes["f"]"#, &mut item));
    assert!(holds(r#"attributes["i"] < 3.5 and attributes["i"] >= 3"#, &mut item));
    assert!(holds(r#"attributes["none"] == nil"#, &mut item));
    assert!(!holds(r#"attributes["i"] == nil"#, &mut item));
    assert!(!holds(r#"attributes["i"] == "3""#, &mut item), "different kinds are unequal, not an error");
    assert!(holds(r#"attributes["i"] != "3""#, &mut item));
    assert!(holds("kind == SPAN_KIND_UNSPECIFIED", &mut item));
    assert!(holds("not (kind == SPAN_KIND_SERVER) or false", &mut item));
    assert!(holds(r#"name < "o""#, &mut item));
    assert!(holds(r#"[1, "a"] == [1, "a"]"#, &mut item));
    assert!(holds(r#"{"a": 1} == {"a": 1.0}"#, &mut item));
    assert!(!holds("false and Upper(1)", &mut item), "and short-circuits");
}

#[test]
fn run_errors_follow_the_error_mode() {
    let stmts =
        Statements::compile(&SPAN, functions(), &[r#"set(attributes["x"], name + "s")"#, r#"set(attributes["y"], 1 / 0)"#, r#"set(attributes["z"], 1)"#])
            .unwrap();
    let mut item = Item::named("a");
    let mut errors = Vec::new();
    stmts.execute(&mut item, ErrorMode::Ignore, &mut errors).unwrap();
    assert_eq!(errors.len(), 2);
    assert_eq!(
        errors[0].to_string(),
        r#"failed to execute statement: set(attributes["x"], name + "s"), "a" (string) must be int64, float64, time.Time or time.Duration"#
    );
    assert_eq!(errors[1].index, 1);
    assert!(errors[1].message.ends_with("attempted to divide by 0"));
    assert_eq!(item.attribute("z"), Some(&Value::Int(1)), "ignore goes on with the next statement");
    let mut errors = Vec::new();
    stmts.execute(&mut Item::named("a"), ErrorMode::Silent, &mut errors).unwrap();
    assert!(errors.is_empty());
    let e = stmts.execute(&mut Item::named("a"), ErrorMode::Propagate, &mut errors).unwrap_err();
    assert_eq!(e.index, 0);
    let conds = Conditions::compile(&SPAN, functions(), &["Upper(name)", "name == \"a\""]).unwrap();
    let mut errors = Vec::new();
    assert!(conds.any(&mut Item::named("a"), ErrorMode::Ignore, &mut errors).unwrap());
    assert!(errors[0].message.starts_with("failed to eval condition: Upper(name), "), "{errors:?}");
    assert!(conds.any(&mut Item::named("a"), ErrorMode::Propagate, &mut errors).is_err());
}

#[test]
fn function_arguments() {
    let mut item = Item::named("abc");
    assert!(run(&["apply(name, Upper)", r#"apply(attributes["k"], Upper, suffix = "!") where true"#], &mut item.clone()).len() == 1);
    let errors = run(&["apply(name, Upper)", r#"apply(name, function = Upper, suffix = "!")"#], &mut item);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(item.values[0], Value::str("ABC!"));
}

#[test]
fn checker_errors() {
    let cases: &[(&str, &str, &str)] = &[
        (r#"fet(name, "x")"#, r#"undefined function "fet""#, "fet"),
        (
            r#"set(atributes["k"], "x")"#,
            r#"segment "atributes" from path "atributes" is not a valid path nor a valid OTTL keyword for the Span context"#,
            "atributes",
        ),
        (r#"set(status.cod, 1)"#, r#"segment "cod" from path "status.cod" is not a valid path nor a valid OTTL keyword for the Span context"#, "cod"),
        (r#"Concat(["a"], "-")"#, "editor names must start with a lowercase letter but got 'Concat'", "Concat"),
        (r#"set(name, concat(["a"], "-"))"#, "converter names must start with an uppercase letter but got 'concat'", "concat"),
        (r#"set(name)"#, "incorrect number of arguments. Expected: 2 Received: 1", ")"),
        (r#"set(name, "a", "b")"#, "incorrect number of arguments. Expected: 2 Received: 3", "\"b\""),
        (r#"set(name, Concat(["a"], delimeter = "-"))"#, r#"no parameter named "delimeter" for function "Concat""#, "delimeter"),
        (r#"set(name, Concat(["a"], name))"#, "invalid argument at position 1: expected a string literal", "name"),
        (r#"set("name", "x")"#, "invalid argument at position 0: must be a path", "\"name\""),
        (r#"set(trace_id.string, "x")"#, r#"invalid argument at position 0: the "trace_id.string" path cannot be set"#, "trace_id.string"),
        (r#"set(name, "x") where kind == SPAN_KIND_SERVR"#, "enum symbol, SPAN_KIND_SERVR, not found", "SPAN_KIND_SERVR"),
        (r#"set(name["k"], "x")"#, r#"the "name" path of the Span context cannot be indexed"#, "\"k\""),
        (r#"set(name, "x") where name"#, "expected a boolean expression", "name"),
        (r#"set(name, "x") where HasPrefix(name, "")"#, "invalid argument at position 1: the prefix must not be empty", "\"\""),
        (r#"set(name, Upper(name, "x"))"#, "incorrect number of arguments. Expected: 1 Received: 2", "\"x\""),
        (r#"apply(name, Uper)"#, r#"undefined function "Uper""#, "Uper"),
        (r#"set(name, "a") where 1 == 2 == 3"#, "comparisons do not chain", "1 == 2"),
        (r#"set(name, cache.x)"#, r#"segment "x" from path "cache.x" is not a valid path: `cache` takes keys, as in cache["key"]"#, "x"),
    ];
    for (src, message, under) in cases {
        let e = error(src);
        assert_eq!(&e.message, message, "{src}");
        assert_eq!(&src[e.span.clone()], *under, "{src}: span");
    }
    assert_eq!(error(r#"fet(name, "x")"#).help.as_deref(), Some("did you mean `set`?"));
    assert_eq!(error(r#"set(atributes["k"], "x")"#).help.as_deref(), Some("did you mean `attributes`?"));
    assert_eq!(error(r#"set(resource.atributes["k"], "x")"#).help.as_deref(), Some("did you mean `resource.attributes`?"));
    assert_eq!(error("set(name, \"x\") where kind == SPAN_KIND_SERVR").help.as_deref(), Some("did you mean `SPAN_KIND_SERVER`?"));
    let second = Statements::compile(&SPAN, functions(), &["set(name, \"a\")", "set(nam, \"b\")"]).err().unwrap();
    assert_eq!((second.index, second.span), (1, 4..7));
}

#[test]
fn context_prefixes_resolve() {
    compile(r#"set(span.name, "x") where span.kind == 1"#);
    compile(r#"set(scope.name, "x")"#);
    compile(r#"set(instrumentation_scope.name, "x")"#);
    compile(r#"set(span.cache["k"], 1)"#);
    let r = Statements::compile(&RESOURCE, functions(), &[r#"set(resource.attributes["a"], "b")"#, r#"set(attributes["c"], "d")"#]);
    assert!(r.is_ok());
    let e = Statements::compile(&RESOURCE, functions(), &[r#"set(name, "b")"#]).err().unwrap();
    assert_eq!(e.message, r#"segment "name" from path "name" is not a valid path nor a valid OTTL keyword for the Resource context"#);
}

#[test]
fn infers_the_most_specific_context() {
    let candidates = [&RESOURCE, &SPAN];
    let s = infer_context(&[r#"set(resource.attributes["a"], "b")"#], &candidates).unwrap();
    assert_eq!(s.name, "resource");
    let s = infer_context(&[r#"set(resource.attributes["a"], "b")"#, r#"set(span.name, "x") where span.kind == 1"#], &candidates).unwrap();
    assert_eq!(s.name, "span");
    let e = infer_context(&[r#"set(name, "b")"#], &candidates).unwrap_err();
    assert_eq!(e.message, "unable to infer a valid context from the statements");
    assert_eq!(infer_context(&["set(x"], &candidates).unwrap_err().index, 0);
}

#[test]
fn statements_are_shareable() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Statements>();
    assert_send_sync::<Conditions>();
}

/// A context that can run only some paths asks which ones a program uses:
/// editors' targets are written, everything else (conditions, values,
/// computed keys) only read.
#[test]
fn path_uses_mark_editor_targets_as_written() {
    let stmts = Statements::compile(
        &SPAN,
        functions(),
        &[r#"set(attributes["route"], name) where kind == 2"#, r#"set(resource.attributes["x"], Concat(["a", attributes["k"]], ""))"#],
    )
    .unwrap();
    let id = |n: &str| SPAN.path(n).unwrap();
    let mut uses: Vec<(PathId, bool)> = stmts.path_uses().iter().map(|u| (u.path, u.written)).collect();
    uses.sort();
    uses.dedup();
    let mut want = vec![(id("attributes"), true), (id("name"), false), (id("kind"), false), (id("resource.attributes"), true), (id("attributes"), false)];
    want.sort();
    assert_eq!(uses, want);
}
