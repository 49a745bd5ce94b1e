use super::*;

fn canon(src: &str) -> String {
    parse_statement(src).unwrap_or_else(|e| panic!("{src}: {e:?}")).to_string()
}

fn cond(src: &str) -> String {
    parse_condition(src).unwrap_or_else(|e| panic!("{src}: {e:?}")).to_string()
}

#[test]
fn statements_round_trip() {
    let cases = [
        r#"set(attributes["http.route"], "/users/{id}") where name == "GET /users""#,
        r#"set(name, Concat([attributes["a"], "b"], "-"))"#,
        r#"set(attributes["x"], Split(name, ",")[0])"#,
        r#"replace_pattern(name, "[0-9]+", "{id}", function = SHA256)"#,
        r#"set(attributes["m"], {"k": [1, 2.5, true, nil, 0xdeadbeef], "n": {}})"#,
        r#"set(attributes[attributes["key"]], resource.attributes["a"]["b"][0])"#,
        r#"keep_keys(attributes, ["a", "b"]) where kind == SPAN_KIND_SERVER"#,
        r#"set(attributes["esc"], "tab\tquote\"back\\slash\nnl")"#,
        "set(attributes[\"n\"], -1) where start_time_unix_nano > -2.5e3",
        "delete_key(attributes, \"k\") where not (IsMatch(name, \"a\") or true)",
    ];
    for src in cases {
        let once = canon(src);
        assert_eq!(canon(&once), once, "{src}");
    }
}

#[test]
fn precedence_follows_the_collector() {
    assert_eq!(cond("1 + 2 * 3 == 7"), "((1 + (2 * 3)) == 7)");
    assert_eq!(cond("(1 + 2) * 3 == 9"), "(((1 + 2) * 3) == 9)");
    assert_eq!(cond("10 - 4 - 3 == 3"), "(((10 - 4) - 3) == 3)");
    assert_eq!(cond("a == 1 or b == 2 and c == 3"), "((a == 1) or ((b == 2) and (c == 3)))");
    assert_eq!(cond("not a == 1 and b == 2"), "((not (a == 1)) and (b == 2))");
    assert_eq!(cond("not (a == 1 and b == 2)"), "(not ((a == 1) and (b == 2)))");
    assert_eq!(cond("x * -1 < 0"), "((x * -1) < 0)");
    assert_eq!(cond("1-2 == -1"), "((1 - 2) == -1)");
    assert_eq!(cond("a / b / c > 1"), "(((a / b) / c) > 1)");
}

#[test]
fn literals_and_shapes() {
    let e = parse_condition(r#"attributes["a"][0] == "x\u00e9\x41\101\xc3\xa9""#).unwrap();
    let ExprKind::Binary(BinOp::Eq, l, r) = e.kind else { panic!() };
    assert_eq!(r.kind, ExprKind::Str("xéAAé".into()));
    let ExprKind::Path(p) = l.kind else { panic!() };
    assert_eq!(p.segments[0].keys.len(), 2);
    assert_eq!(parse_condition("0x0aFF == nil").unwrap().to_string(), "(0x0aff == nil)");
    let s = parse_statement("f(a, key = 1)").unwrap();
    assert_eq!(s.editor.args[1].name.as_ref().map(|n| n.0.as_str()), Some("key"));
    // Keywords are not paths, but a path may start with one.
    assert_eq!(cond("notes == nothing"), "(notes == nothing)");
    assert_eq!(cond("android or true"), "(android or true)");
}

#[test]
fn spans_point_into_the_statement() {
    let src = r#"set(attributes["k"], Concat(["a"], "-"))"#;
    let s = parse_statement(src).unwrap();
    let arg = &s.editor.args[1].value;
    assert_eq!(&src[arg.span.range()], r#"Concat(["a"], "-")"#);
    let ExprKind::Call(c) = &arg.kind else { panic!() };
    assert_eq!(&src[c.name_span.range()], "Concat");
}

#[test]
fn syntax_errors_name_the_token() {
    let e = parse_statement("set(name, \"x\" where name == \"a\"").unwrap_err();
    assert_eq!(e.message, "expected `)`, `,` or an operator, got keyword `where`");
    assert_eq!(e.span, 14..19);
    let e = parse_statement("set(name, \"x\") wher name == \"a\"").unwrap_err();
    assert_eq!(e.message, "expected `[`, `where` or end of statement, got identifier \"wher\"");
    let e = parse_statement("set(name, \"open)").unwrap_err();
    assert_eq!(e.message, "string literal not terminated");
    assert_eq!(e.span, 10..16);
    let e = parse_condition("name == \"a\" && kind == 1").unwrap_err();
    assert_eq!(e.help.as_deref(), Some("OTTL writes boolean operators as `and` and `or`"));
    let e = parse_statement(r#"set(name, "bad \q escape")"#).unwrap_err();
    assert_eq!(e.message, "unknown escape sequence");
    assert_eq!(e.span, 15..17);
    assert!(parse_statement("set(name, 0xabc)").unwrap_err().message.contains("odd length"));
    assert!(parse_statement("set(name, 99999999999999999999)").unwrap_err().message.contains("out of range"));
    assert!(parse_statement("set(name, 1.0e999)").unwrap_err().message.contains("out of range"));
    // Found by the fuzzer: tiny floats print with an exponent, which must
    // still read back as an OTTL float.
    assert_eq!(canon("f(0.0000000000001)"), "f(1.0e-13)");
    let deep = format!("set(name, {}1{})", "(".repeat(100), ")".repeat(100));
    assert_eq!(parse_statement(&deep).unwrap_err().message, "statement nested too deeply");
}
