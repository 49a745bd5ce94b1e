use super::super::super::value::Value;
use super::super::testing::{compile, conv, edited, map, run, run_opt, s};

const SHA_POD: &str = "6d84a506bd7fb1f256ed60c44bd7cd7fb1c12b2f531231e13db610d418021420";

#[test]
fn replace_pattern_documented_examples() {
    let out = edited("replace_pattern", vec![s("app --password=hunter2 --v"), s("password\\=[^\\s]*(\\s?)"), s("password=***")]);
    assert_eq!(out, s("app --password=***--v"));
    let out = edited("replace_pattern", vec![s("kube_pod_status"), s("^kube_([0-9A-Za-z]+_)"), s("k8s.$1.")]);
    assert_eq!(out, s("k8s.pod_.status"));
    let (res, fake) =
        run_opt("replace_pattern", vec![Some(s("kube_pod_status")), Some(s("^kube_([0-9A-Za-z]+_)")), Some(s("$1.")), Some(s("SHA256")), Some(s("k8s.%s"))]);
    assert_eq!(res, Ok(Value::Nil));
    assert_eq!(fake.args[0], Some(s(&format!("k8s.{SHA_POD}status"))));
}

#[test]
fn replace_pattern_expansion_edges() {
    // `$1x` names a group `1x`, which does not exist: it expands to nothing,
    // as in Go. `${1}x` is group 1 then `x`; `$$` a dollar.
    let run1 = |r: &str| edited("replace_pattern", vec![s("ab"), s("(a)"), s(r)]);
    assert_eq!(run1("$1x"), s("b"));
    assert_eq!(run1("${1}x"), s("axb"));
    assert_eq!(run1("$$"), s("$b"));
    assert_eq!(run1("$name"), s("b"));
}

#[test]
fn replace_pattern_leaves_other_values() {
    let (_, fake) = run("replace_pattern", vec![s("nothing"), s("x+"), s("y")]);
    assert!(fake.sets.is_empty(), "no match, no write");
    let (out, fake) = run("replace_pattern", vec![Value::Int(5), s("5"), s("y")]);
    assert_eq!(out, Ok(Value::Nil));
    assert!(fake.sets.is_empty(), "a non-string target is left alone");
    assert!(run("replace_pattern", vec![Value::Nil, s("5"), s("y")]).0.is_ok());
    assert_eq!(compile("replace_pattern", &[None, Some(s("a(")), None]).err().unwrap().0, 1);
    let bad_format = run_opt("replace_pattern", vec![Some(s("ab")), Some(s("a")), Some(s("x")), Some(s("SHA256")), Some(s("%d-%s"))]);
    assert!(bad_format.0.is_err());
}

#[test]
fn replace_all_patterns_values_and_keys() {
    let m = map(&[("path", s("/account/1234/x")), ("/account/5678", s("k")), ("n", Value::Int(1))]);
    let out = edited("replace_all_patterns", vec![m.clone(), s("value"), s("/account/\\d{4}"), s("/account/{accountId}")]);
    assert_eq!(out, map(&[("path", s("/account/{accountId}/x")), ("/account/5678", s("k")), ("n", Value::Int(1))]));
    let out = edited("replace_all_patterns", vec![m, s("key"), s("/account/\\d{4}"), s("/account/{accountId}")]);
    assert_eq!(out, map(&[("path", s("/account/1234/x")), ("/account/{accountId}", s("k")), ("n", Value::Int(1))]));
    let keys = map(&[("kube_pod_status", s("v"))]);
    let out = edited("replace_all_patterns", vec![keys.clone(), s("key"), s("^kube_([0-9A-Za-z]+_)"), s("k8s.$1.")]);
    assert_eq!(out, map(&[("k8s.pod_.status", s("v"))]));
    let (_, fake) = run_opt(
        "replace_all_patterns",
        vec![Some(keys), Some(s("key")), Some(s("^kube_([0-9A-Za-z]+_)")), Some(s("$1.")), Some(s("SHA256")), Some(s("k8s.%s"))],
    );
    assert_eq!(fake.args[0], Some(map(&[(&format!("k8s.{SHA_POD}status"), s("v"))])));
    assert_eq!(compile("replace_all_patterns", &[None, Some(s("both")), Some(s("a")), None]).err().unwrap().0, 1);
}

#[test]
fn replace_match_globs() {
    let out = edited("replace_match", vec![s("/user/123/list/456"), s("/user/*/list/*"), s("/user/{userId}/list/{listId}")]);
    assert_eq!(out, s("/user/{userId}/list/{listId}"));
    let (_, fake) = run("replace_match", vec![s("/users/123"), s("/user/*/list/*"), s("x")]);
    assert!(fake.sets.is_empty());
    let (_, fake) =
        run_opt("replace_match", vec![Some(s("/user/1/list/2")), Some(s("/user/*/list/*")), Some(s("name")), Some(s("SHA256")), Some(s("/user/%s"))]);
    let sha_name = "82a3537ff0dbce7eec35d69edc3a189ee6f17d82f353a553f9aa96cb0be3ce89";
    assert_eq!(fake.args[0], Some(s(&format!("/user/{sha_name}"))));
    // Glob syntax beyond `*`: `?`, classes, alternatives, escapes.
    let hit = |g: &str, v: &str| !run("replace_match", vec![s(v), s(g), s("X")]).1.sets.is_empty();
    assert!(hit("GET /{a,b}?", "GET /bc"));
    assert!(!hit("GET /{a,b}?", "GET /cc"));
    assert!(hit("[!x]y", "ay"));
    assert!(!hit("[!x]y", "xy"));
    assert!(hit("[a-c]*", "b/any/thing"));
    assert!(hit("\\*", "*"));
    assert!(!hit("\\*", "a"));
}

#[test]
fn replace_all_matches_replaces_string_values() {
    let m = map(&[("a", s("/user/1/list/2")), ("b", s("/other")), ("c", Value::Int(3))]);
    let out = edited("replace_all_matches", vec![m, s("/user/*/list/*"), s("/user/{userId}/list/{listId}")]);
    assert_eq!(out, map(&[("a", s("/user/{userId}/list/{listId}")), ("b", s("/other")), ("c", Value::Int(3))]));
}

#[test]
fn is_match_converts_and_handles_nil() {
    assert_eq!(conv("IsMatch", vec![s("string"), s(".*ring")]), Ok(Value::Bool(true)));
    assert_eq!(conv("IsMatch", vec![s("/foo/bar"), s("foo")]), Ok(Value::Bool(true)), "unanchored, as MatchString");
    assert_eq!(conv("IsMatch", vec![s("bar"), s("^foo")]), Ok(Value::Bool(false)));
    assert_eq!(conv("IsMatch", vec![Value::Nil, s(".*")]), Ok(Value::Bool(false)));
    assert_eq!(conv("IsMatch", vec![Value::Int(123), s("^12")]), Ok(Value::Bool(true)));
    assert_eq!(conv("IsMatch", vec![Value::Bool(true), s("^true$")]), Ok(Value::Bool(true)));
    assert_eq!(conv("IsMatch", vec![map(&[("b", Value::Int(1))]), s("^\\{\"b\":1\\}$")]), Ok(Value::Bool(true)));
}

#[test]
fn regexes_read_as_re2() {
    use crate::re2::translate as re2;
    let m = |p: &str, v: &str| conv("IsMatch", vec![s(v), s(p)]) == Ok(Value::Bool(true));
    // RE2's Perl classes and word boundary are ASCII.
    assert!(m("^\\d+$", "123"));
    assert!(!m("^\\d+$", "١٢٣"), "Arabic-Indic digits are not \\d in RE2");
    assert!(!m("^\\w+$", "héllo"));
    assert!(m("^\\W$", "é"));
    assert!(m("^[\\d.]+$", "1.5"));
    assert!(!m("^[\\D]$", "5"));
    assert!(m("^\\s\\S$", "\tx"));
    assert!(m("\\bfoo\\b", "a foo b"));
    assert!(!m("\\bfoo\\b", "afoob"));
    assert!(m("é\\ba", "éa"), "é is not a word character in RE2, so a word starts at a");
    // \Q...\E quotes; inside a class `[`, `&&` and `~~` are characters.
    assert!(m("^\\Qa.b*\\E$", "a.b*"));
    assert!(!m("^\\Qa.b*\\E$", "axb"));
    assert!(m("^[a&&b]$", "&"));
    assert!(m("^[[]$", "["));
    assert!(m("^[]a]$", "]"));
    assert!(m("^[[:alpha:]]+$", "abc"));
    assert!(m("(?i)^HÉ$", "hé"), "case folding stays Unicode, as in RE2");
    assert_eq!(re2("a\\d"), "a[0-9]");
    // A brace that opens no repetition is a character.
    assert!(m("^%\\{a}$", "%{a}"), "escaped");
    assert!(m("^%{a}$", "%{a}"));
    assert!(m("^x{a,1}$", "x{a,1}"));
    assert!(m("^x{,2}$", "x{,2}"));
    assert!(m("^x{2}$", "xx") && !m("^x{2}$", "x{2}"));
    assert!(m("^x{1,}$", "xxx") && m("^x{1,2}$", "xx"));
}
