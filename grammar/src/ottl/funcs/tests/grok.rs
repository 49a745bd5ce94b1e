//! `ExtractGrokPatterns`: the Collector's documented examples, its grok
//! library's rules (names, types, empty groups, definitions), the load
//! errors, patterns only known at run time, and hostile definitions.

use std::time::{Duration, Instant};

use proptest::prelude::*;

use super::super::super::function::{CompileArgs, Function};
use super::super::super::value::Value;
use super::super::table;
use super::super::testing::{compile, conv, map, run_opt, s, strs, FakeArgs};

const F: &str = "ExtractGrokPatterns";

/// Runs the converter with a literal pattern.
fn grok(target: &str, pattern: &str, named_only: bool, defs: &[&str]) -> Result<Value, String> {
    run_opt(F, vec![Some(s(target)), Some(s(pattern)), Some(Value::Bool(named_only)), Some(strs(defs))]).0
}

/// The load error, if any, and the argument it points at.
fn load_error(pattern: &str, named_only: bool, defs: &[&str]) -> Option<(usize, String)> {
    compile(F, &[None, Some(s(pattern)), Some(Value::Bool(named_only)), Some(strs(defs))]).err()
}

/// Compiled as when the pattern is not a literal (a path, say).
fn dynamic(named_only: bool) -> Box<dyn Function> {
    let def = table().iter().find(|d| d.name == F).unwrap_or_else(|| panic!("no {F}"));
    let literals = [None, None, Some(Value::Bool(named_only)), None];
    (def.make)(&CompileArgs { literals: &literals }).unwrap_or_else(|e| panic!("{e:?}"))
}

fn run_dynamic(f: &dyn Function, target: Value, pattern: &str) -> Result<Value, String> {
    f.call(&mut FakeArgs { args: vec![Some(target), Some(s(pattern))], sets: Vec::new(), edits: Vec::new() })
}

#[test]
fn the_readme_passwd_example() {
    let line = "smith:pass123:1001:1000:J Smith,1234,(234)567-8910,(234)567-1098,email:/home/smith:/bin/sh";
    let out = grok(line, "%{USERNAME:user.name}:%{PASSWORD:user.password}:%{USERINFO}", true, &["PASSWORD=%{WORD}", "USERINFO=%{GREEDYDATA}"]);
    assert_eq!(out, Ok(map(&[("user.name", s("smith")), ("user.password", s("pass123"))])));
}

#[test]
fn the_readme_postgres_example() {
    let pattern = "%{DATESTAMP:timestamp} %{TZ:event.timezone} %{DATA:user.name} %{GREEDYDATA:postgresql.log.connection_id} %{POSINT:process.pid:int}";
    // DATESTAMP is a US or EU date, so an ISO date matches from its third
    // digit, as in the Collector's own test.
    let want = map(&[
        ("timestamp", s("24-06-18 12:34:56")),
        ("event.timezone", s("UTC")),
        ("user.name", s("johndoe")),
        ("postgresql.log.connection_id", s("12345")),
        ("process.pid", Value::Int(67890)),
    ]);
    assert_eq!(grok("2024-06-18 12:34:56 UTC johndoe 12345 67890", pattern, true, &[]), Ok(want.clone()));
    // The same through a definition.
    let logline = format!("LOGLINE={pattern}");
    assert_eq!(grok("2024-06-18 12:34:56 UTC johndoe 12345 67890", "%{LOGLINE}", true, &[&logline]), Ok(want));
}

#[test]
fn the_collectors_uri_test_without_named_only() {
    let out = grok("http://user:password@example.com:80/path?query=string", "%{URI}", false, &[]).unwrap_or_else(|e| panic!("{e}"));
    for (k, v) in [
        ("URIPROTO", "http"),
        ("USER", "user"),
        ("URIHOST", "example.com:80"),
        ("IPORHOST", "example.com"),
        ("POSINT", "80"),
        ("URIPATH", "/path"),
        ("URIQUERY", "query=string"),
    ] {
        assert_eq!(out.map_get(k), Some(&s(v)), "{k}");
    }
    // Only named references count when asked: URI names none.
    assert_eq!(load_error("%{URI}", true, &[]).map(|e| e.1), Some("at least 1 named capture group must be supplied in the given regex".into()));
}

#[test]
fn plain_regex_named_groups_count() {
    assert_eq!(grok("change GIT_SHA=abc123 done", "GIT_SHA=(?P<git.sha>\\w+)", true, &[]), Ok(map(&[("git.sha", s("abc123"))])));
    assert_eq!(grok("a=b c=d", "^a=(?P<a>\\w+)\\s+c=(?<c>\\w+)$", false, &[]), Ok(map(&[("a", s("b")), ("c", s("d"))])));
    assert_eq!(grok("a=b c=d", "^a=(?P<a>\\w+)$", false, &[]), Ok(map(&[])), "no match is an empty map");
    assert_eq!(grok("foobar", "(.*)", false, &[]), Ok(map(&[])), "no named group at all is fine without namedCapturesOnly");
}

#[test]
fn empty_and_unmatched_groups_are_left_out_and_later_groups_win() {
    let out = grok("sshd: hi", "%{WORD:prog}(?:\\[%{POSINT:pid}\\])?: (?P<msg>x?)", true, &[]);
    assert_eq!(out, Ok(map(&[("prog", s("sshd"))])));
    let out = grok("1 2", "%{INT:n} %{INT:n}", true, &[]);
    assert_eq!(out, Ok(map(&[("n", s("2"))])), "one name twice: the later group's value");
    let out = grok("1 ", "%{INT:n} (?P<n>\\d*)", true, &[]);
    assert_eq!(out, Ok(map(&[("n", s("1"))])), "an empty later group does not overwrite");
}

#[test]
fn without_named_only_every_reference_captures_under_its_syntax() {
    let out = grok("12 ab", "%{INT} %{WORD:w}", false, &[]);
    assert_eq!(out, Ok(map(&[("INT", s("12")), ("w", s("ab"))])));
    let out = grok("12 ab", "%{INT} %{WORD:w}", true, &[]);
    assert_eq!(out, Ok(map(&[("w", s("ab"))])));
}

#[test]
fn types_convert_as_go_strconv_does() {
    let typed = |text: &str, ty: &str| grok(text, &format!("^%{{NOTSPACE:v:{ty}}}$"), true, &[]).map(|m| m.map_get("v").cloned());
    assert_eq!(typed("42", "int"), Ok(Some(Value::Int(42))));
    assert_eq!(typed("+7", "long"), Ok(Some(Value::Int(7))));
    assert_eq!(typed("-1.5", "float"), Ok(Some(Value::Double(-1.5))));
    assert_eq!(typed("1e3", "double"), Ok(Some(Value::Double(1000.0))));
    assert_eq!(typed("T", "bool"), Ok(Some(Value::Bool(true))));
    assert_eq!(typed("0", "boolean"), Ok(Some(Value::Bool(false))));
    assert_eq!(typed("x", "string"), Ok(Some(s("x"))));
    assert_eq!(typed("4.5", "int"), Err("strconv.Atoi: parsing \"4.5\": invalid syntax".into()));
    assert_eq!(typed("99999999999999999999", "int"), Err("strconv.Atoi: parsing \"99999999999999999999\": value out of range".into()));
    assert_eq!(typed("1e400", "float"), Err("strconv.ParseFloat: parsing \"1e400\": value out of range".into()));
    assert_eq!(typed("-Inf", "float"), Ok(Some(Value::Double(f64::NEG_INFINITY))));
    assert_eq!(typed("abc", "float"), Err("strconv.ParseFloat: parsing \"abc\": invalid syntax".into()));
    assert_eq!(typed("yes", "bool"), Err("strconv.ParseBool: parsing \"yes\": invalid syntax".into()));
    assert_eq!(typed("a", "date"), Err("invalid type for v: type not specified".into()));
    // An unknown type only fails when its group matches.
    assert_eq!(grok("x", "x(?:%{INT:n:date})?", true, &[]), Ok(map(&[])));
    // The error spells the name as the regex does.
    assert_eq!(grok("x", "%{WORD:a.b:date}", true, &[]), Err("invalid type for a___b: type not specified".into()));
}

#[test]
fn a_type_hint_covers_every_group_of_its_id() {
    let out = grok("1 2", "%{INT:n:int} %{INT:n}", true, &[]);
    assert_eq!(out, Ok(map(&[("n", Value::Int(2))])));
    // The deepest hint wins, as the Collector expands a level at a time.
    let out = grok("3", "%{INT:n:float}|%{DEEP}", true, &["DEEP=%{INT:n:int}"]);
    assert_eq!(out, Ok(map(&[("n", Value::Int(3))])));
}

#[test]
fn dotted_ids_come_back_dotted() {
    assert_eq!(grok("ab", "(?P<x___y>ab)", true, &[]), Ok(map(&[("x.y", s("ab"))])), "the Collector decodes ___ in any name");
    assert_eq!(grok("ab", "%{WORD:a.b.c}", true, &[]), Ok(map(&[("a.b.c", s("ab"))])));
}

#[test]
fn definitions_are_checked_at_load() {
    let short = load_error("%{WORD:w}", false, &["NOEQUALS"]);
    assert_eq!(
        short,
        Some((3, "pattern \"NOEQUALS\" supplied to ExtractGrokPatterns at index 0 has incorrect format, expecting PATTERNNAME=pattern definition".into()))
    );
    let long = load_error("%{WORD:w}", false, &["A=x", "THIS_IS_A_LONG_PATTERN_WITHOUT_EQUALS"]);
    assert_eq!(
        long,
        Some((
            3,
            "pattern \"THIS_IS_A_LONG_PA...\" supplied to ExtractGrokPatterns at index 1 has incorrect format, expecting PATTERNNAME=pattern definition".into()
        ))
    );
    assert_eq!(load_error("%{URI}", false, &["PAT:TERN=invalid"]), Some((3, "pattern ID \"PAT:TERN\" should not contain ':'".into())));
    // Split at the first '='; a custom definition overrides a default.
    assert_eq!(grok("a=b", "%{EQ:e}", true, &["EQ=a=b"]), Ok(map(&[("e", s("a=b"))])));
    assert_eq!(grok("word 5", "%{WORD:w}", true, &["WORD=\\d"]), Ok(map(&[("w", s("5"))])));
}

#[test]
fn bad_patterns_are_load_errors_on_the_pattern() {
    let unknown = load_error("%{NOPE:x}", false, &[]);
    assert_eq!(
        unknown,
        Some((1, "the regex pattern supplied to ExtractGrokPatterns is not a valid pattern: pattern definition \"NOPE\" unknown: parsing failed".into()))
    );
    let (at, msg) = load_error("(", false, &[]).unwrap_or_default();
    assert_eq!(at, 1);
    assert!(msg.starts_with("the regex pattern supplied to ExtractGrokPatterns is not a valid pattern: "), "{msg}");
    assert!(load_error("%{WORD:a+b}", false, &[]).is_some_and(|e| e.1.contains("invalid named capture")), "Go refuses + in a group name");
    assert_eq!(load_error("(\\w+)", true, &[]), Some((1, "at least 1 named capture group must be supplied in the given regex".into())));
    // Not references: left as regex text.
    assert_eq!(grok("%{a b}", "(?P<t>%\\{a b\\})", true, &[]), Ok(map(&[("t", s("%{a b}"))])));
    assert_eq!(load_error("x%{A:b:c:d}", false, &[]), None, "%{{A:b:c:d}} is a literal, not a reference");
}

#[test]
fn the_target_must_be_a_string() {
    assert!(conv(F, vec![Value::Int(123), s("(?P<line>.*)")]).is_err());
    assert!(conv(F, vec![Value::Nil, s("%{URI}")]).is_err());
}

#[test]
fn a_pattern_known_only_at_run_time_is_compiled_then() {
    let f = dynamic(true);
    assert_eq!(run_dynamic(&*f, s("id 42"), "id %{INT:id:int}"), Ok(map(&[("id", Value::Int(42))])));
    assert_eq!(run_dynamic(&*f, s("id 43"), "id %{INT:id:int}"), Ok(map(&[("id", Value::Int(43))])), "again, from the cache");
    let err = run_dynamic(&*f, s("x"), "%{NOPE}").unwrap_err();
    assert_eq!(err, "the regex pattern supplied to ExtractGrokPatterns is not a valid pattern: pattern definition \"NOPE\" unknown: parsing failed");
    assert_eq!(run_dynamic(&*f, s("x"), "(x)"), Err("at least 1 named capture group must be supplied in the given regex".into()));
    assert!(run_dynamic(&*f, Value::Nil, "(?P<a>x)").is_err());
    // More patterns than the cache keeps still all work.
    for n in 0..40 {
        let out = run_dynamic(&*f, s(&format!("v{n}")), &format!("v(?P<n{n}>\\d+)"));
        assert_eq!(out, Ok(map(&[(&format!("n{n}"), s(&n.to_string()))])));
    }
    let f = dynamic(false);
    assert_eq!(run_dynamic(&*f, s("x"), "(x)"), Ok(map(&[])));
}

/// Through the checker: a literal pattern is compiled at load, and a bad
/// one is a load error on it; a pattern read from a path is compiled as
/// the statement runs.
#[test]
fn a_literal_pattern_is_compiled_at_load_and_a_path_at_run_time() {
    use crate::ottl::{testing, ErrorMode, Statements};
    let load = |src: &str| Statements::compile(&testing::SPAN, table(), &[src]).map(|_| ()).map_err(|e| format!("{e:?}"));
    let err = load(r#"set(attributes["m"], ExtractGrokPatterns(name, "%{NOPE:x}"))"#).unwrap_err();
    assert!(err.contains("invalid argument at position 1: the regex pattern supplied to ExtractGrokPatterns is not a valid pattern"), "{err}");
    let src = r#"set(attributes["m"], ExtractGrokPatterns(name, attributes["p"], true))"#;
    let program = Statements::compile(&testing::SPAN, table(), &[src]).unwrap_or_else(|e| panic!("{e:?}"));
    let mut item = testing::Item::named("id 7").with_attribute("p", s("id %{INT:id:int}"));
    assert!(program.execute(&mut item, ErrorMode::Propagate, &mut Vec::new()).is_ok());
    assert_eq!(item.attribute("m"), Some(&map(&[("id", Value::Int(7))])));
    let mut item = testing::Item::named("x").with_attribute("p", s("%{NOPE:x}"));
    assert!(program.execute(&mut item, ErrorMode::Propagate, &mut Vec::new()).is_err());
}

/// Definitions that refer to themselves, or double at every level, are
/// refused at once rather than hanging or filling memory.
#[test]
fn hostile_definitions_are_refused_quickly() {
    let started = Instant::now();
    let own = load_error("%{A:a}", false, &["A=x%{A}"]).map(|e| e.1).unwrap_or_default();
    assert!(own.contains("pattern definition \"A\" refers to itself (A -> A)"), "{own}");
    let cycle = load_error("%{A:a}", false, &["A=%{B}", "B=(%{C})", "C=%{A}"]).map(|e| e.1).unwrap_or_default();
    assert!(cycle.contains("refers to itself (A -> B -> C -> A)"), "{cycle}");
    let mut doubling: Vec<String> = (0..40).map(|i| format!("D{i}=%{{D{}}}%{{D{}}}", i + 1, i + 1)).collect();
    doubling.push("D40=x".into());
    let doubling: Vec<&str> = doubling.iter().map(String::as_str).collect();
    let big = load_error("%{D0:d}", true, &doubling).map(|e| e.1).unwrap_or_default();
    assert!(big.contains("longer than 1048576 bytes"), "{big}");
    // Under the text bound but past the compiled size bound.
    let wide = load_error("%{W:w}", true, &["W=(?:\\w{1000}){1000}"]).map(|e| e.1).unwrap_or_default();
    assert!(wide.contains("size limit"), "{wide}");
    let deep: Vec<String> = (0..1200).map(|i| format!("N{i}=%{{N{}}}", i + 1)).collect();
    let deep: Vec<&str> = deep.iter().map(String::as_str).collect();
    let too_deep = load_error("%{N0:n}", true, &deep).map(|e| e.1).unwrap_or_default();
    assert!(too_deep.contains("more than 1000 deep"), "{too_deep}");
    assert!(started.elapsed() < Duration::from_secs(10), "took {:?}", started.elapsed());
}

fn text() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[%{}:a-zA-Z0-9 ._+()?<>P\\[\\]\\\\*|-]{0,30}").unwrap_or_else(|e| panic!("{e}"))
}

proptest! {
    #[test]
    fn arbitrary_patterns_and_targets_do_not_panic(target in text(), pattern in text(), defn in text(), named_only in any::<bool>()) {
        let names = ["%{WORD:w}", "%{IP:ip}", "%{DATESTAMP:d:int}", "%{X:x:float}", "%{NUMBER:n:bool}"];
        for p in [pattern.clone(), format!("{pattern}{}", names[target.len() % names.len()])] {
            let args = vec![Some(s(&target)), Some(s(&p)), Some(Value::Bool(named_only)), Some(strs(&[&defn, "X=%{INT}"]))];
            if compile(F, &args).is_ok() {
                let _ = run_opt(F, args);
            }
            let _ = run_dynamic(&*dynamic(named_only), s(&target), &p);
        }
    }
}
