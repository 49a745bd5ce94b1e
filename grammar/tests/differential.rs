//! The fast parser against the grammar of record.
//!
//! `parse` answers valid input from a hand-written parser and falls back to
//! pest for everything else; `parse_reference` is pest alone. These tests
//! hold the two to one verdict and one tree on every input, and hold the
//! error path to its promises: at least one diagnostic, sorted, at most one
//! per line, every span inside the source and on a character boundary.
//!
//! Inputs come from four generators, each aimed at a different seam:
//! random token soup (lexical edge cases and near-misses), structurally
//! valid configs (the fast path's whole job), valid configs with a few
//! edits (the boundary between the two paths), and arbitrary bytes and
//! Unicode (anything at all). Fixed regressions come first, so a known
//! failure reads as a plain test name.

#[path = "common/edits.rs"]
mod edits;

use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::Config;
use solder_syntax::ast::{Expr, ExprKind, File, Stmt};
use solder_syntax::parser::parse_reference;
use solder_syntax::{parse, Diagnostic, Span};

// ---------------------------------------------------------------- the property

/// Runs both parsers on `src` and panics, naming the input, if any promise
/// is broken. Shared by the fixed cases and every property.
fn check(src: &str) {
    let fast = parse(src);
    let reference = parse_reference(src);
    match (&fast, &reference) {
        (Ok(a), Ok(b)) => {
            assert!(a == b, "trees differ for {src:?}\nfast:      {a:?}\nreference: {b:?}");
            check_tree(src, a);
        }
        (Err(a), Err(b)) => {
            check_diagnostics(src, a, "parse");
            check_diagnostics(src, b, "parse_reference");
        }
        (Ok(_), Err(d)) => panic!("fast path accepts what the grammar rejects: {src:?}\n{}", messages(d)),
        (Err(d), Ok(_)) => panic!("parse rejects what the grammar accepts: {src:?}\n{}", messages(d)),
    }
}

fn messages(diags: &[Diagnostic]) -> String {
    diags.iter().map(|d| format!("  {:?} {}\n", d.span, d.message)).collect()
}

fn check_span(src: &str, span: Span, what: &str) {
    assert!(
        span.start <= span.end && span.end <= src.len() && src.is_char_boundary(span.start) && src.is_char_boundary(span.end),
        "{what} span {span:?} is not a slice of the {}-byte source {src:?}",
        src.len()
    );
}

fn check_diagnostics(src: &str, diags: &[Diagnostic], which: &str) {
    assert!(!diags.is_empty(), "{which} failed without a diagnostic for {src:?}");
    let mut previous: Option<(usize, usize)> = None;
    for d in diags {
        check_span(src, d.span, "diagnostic");
        for label in &d.labels {
            check_span(src, label.span, "label");
        }
        let line = src.as_bytes()[..d.span.start.min(src.len())].iter().filter(|&&b| b == b'\n').count();
        if let Some((start, previous_line)) = previous {
            assert!(d.span.start >= start, "{which}: diagnostics out of order for {src:?}\n{}", messages(diags));
            assert!(line != previous_line, "{which}: two diagnostics on line {} for {src:?}\n{}", line + 1, messages(diags));
        }
        previous = Some((d.span.start, line));
    }
}

/// A tree that points outside its source would make every later diagnostic
/// (checker, evaluator) panic when rendered.
fn check_tree(src: &str, file: &File) {
    for c in &file.comments {
        check_span(src, c.span, "comment");
    }
    check_body(src, &file.body);
}

fn check_body(src: &str, body: &[Stmt]) {
    for stmt in body {
        check_span(src, stmt.span(), "statement");
        match stmt {
            Stmt::Attribute(a) => {
                check_span(src, a.name.span, "attribute name");
                check_expr(src, &a.value);
            }
            Stmt::Block(b) => {
                b.name.iter().for_each(|id| check_span(src, id.span, "block name"));
                if let Some(label) = &b.label {
                    check_span(src, label.span, "label");
                }
                check_span(src, b.close, "block close");
                check_body(src, &b.body);
            }
        }
    }
}

fn check_expr(src: &str, expr: &Expr) {
    expr.walk(&mut |e| {
        check_span(src, e.span, "expression");
        match &e.kind {
            ExprKind::Ident(id) | ExprKind::Access { name: id, .. } => check_span(src, id.span, "identifier"),
            ExprKind::Object(fields) => fields.iter().for_each(|f| check_span(src, f.name_span, "field name")),
            ExprKind::Unary { op_span, .. } | ExprKind::Binary { op_span, .. } => check_span(src, *op_span, "operator"),
            _ => {}
        }
    });
}

// ---------------------------------------------------------------- fixed cases

/// Inputs that sit on a seam between the scanner, the fast path and the
/// grammar. Each was either found by the properties below or written to
/// pin down a rule the two parsers implement separately.
const REGRESSIONS: &[&str] = &[
    "",
    "\n\n",
    "// only a comment",
    "/* a\nb */",
    "\u{FEFF}a = 1",
    "a = 1 /* c\n */",
    "a /*\n*/ = 1",
    "a = 1 /*\n*/ + 2",
    "a = 1 + /*\n*/ 2",
    "a = 1.a",
    "x = a.1",
    "a = 1..5",
    "a = 1.e5",
    "a = 1e",
    "a = .5e-3",
    "a = 007",
    "a.b = 1",
    "a \"x\" = 1",
    "a = b {}",
    "a = b \"x\" {}",
    "a = b \"x\"",
    "a \"1x\" {}",
    "a \"\" {}",
    "a \"\\x61\" {}",
    "a `x` {}",
    "a = [1,\n2\n]",
    "a = [\n1,\n]",
    "a = f(\n)",
    "a = f(1,\n)",
    "a = (1\n)",
    "a = {\n}",
    "a = {b = 1,\n}",
    "a = {b\n= 1}",
    "a = {true = 1}",
    "a = {`k` = 1}",
    "a = {\"k k\" = 1, j = [],}",
    "a = true.x",
    "a = true(1)",
    "a = 1 (2)",
    "a = trueish",
    "a = null\u{663}",
    "a\u{FEFF}b = 1",
    "a = 'x'",
    "a = \"\\q\"",
    "a = \"\\",
    "a = \"\\\n\"",
    "a = \"\\xff\"",
    "a = \"\\uD800\"",
    "a = `unterminated",
    "a = /* unterminated",
    "a = `multi\r\nline`",
    "a = - -1 ^ -2",
    "a = -2 ^ 2 ^ 3",
    "a = !!b || c && d == e",
    "a = 1 | 2",
    "a = 1 & 2",
    "a = 1 ; b = 2",
    "a { b = 1 }",
    "a { b = 1 c = 2 }",
    "a {} b = 1",
    "a\n{}",
    "a.\nb {}",
    "a.true {}",
    "é.ñ \"ü\" {\n  变量 = \"ok\"\n}",
    "\u{1c5}x = 1",
    "a = b\u{a0}",
    "a = 1\r\nb = 2\r\n",
    "}",
    "a = ]",
    "a = [[[[",
    "a = 1\n\n\nb = (\n\n",
    // pest's attribute pair takes in white space and comments after the
    // value; the attribute's span must end where the value does.
    "a = a \n",
    "a = 1 // x\n",
    "b { a = 1 }",
    // An escape error's span must end on a character boundary.
    "a = \"\\é\"",
    "a = \"\\xé\"",
    "a = \"\\7é\"",
    "a \"\\é\" {}",
    // A block comment ends at the first `*/`, whatever it contains. The
    // grammar's `multiline_comment` is not atomic, so implicit white space
    // runs inside it and swallows a nested `/* */` or `//` with its `*/`.
    "a = 1 + /* a\n/* b */ 2",
    "a = 1 + /* a\n // x */ 2",
    "a = [/* a\n/* b */ 1]",
    "a = 1\n/* a\n/* b */\nb = 2",
    "/*a {\na = ({\n}).a\n} /* note */\n",
];

/// One level past the scanner's nesting limit.
const PAST_LIMIT: usize = solder_syntax::scanner::MAX_NESTING + 1;

/// Inputs built at run time: too long to write out, or nesting past the
/// limit next to other errors, where the diagnostics must still be one
/// per line and in order.
fn built_regressions() -> Vec<String> {
    let deep = "(".repeat(PAST_LIMIT);
    vec![
        format!("a = 'x' + {deep}"),
        format!("a = 'x' + 'y' + {deep}"),
        format!("a = 1 | {deep}"),
        format!("a = \"\\q\" + {deep}\nb = 'x'"),
        format!("{deep}\n'"),
        format!("a = {}", "!".repeat(PAST_LIMIT)),
        format!("a = 2{}", " ^ 2".repeat(PAST_LIMIT)),
    ]
}

/// Every fixed case runs, so one report lists every broken one.
#[test]
fn regressions() {
    let built = built_regressions();
    let inputs = REGRESSIONS.iter().copied().chain(built.iter().map(String::as_str));
    let failing: Vec<String> = inputs.filter(|src| std::panic::catch_unwind(|| check(src)).is_err()).map(|src| format!("{src:?}")).collect();
    assert!(failing.is_empty(), "{} regressions fail (messages above):\n{}", failing.len(), failing.join("\n"));
}

/// A config shaped like the ones users write, to catch a generator that
/// has silently stopped producing valid input.
#[test]
fn realistic_config_takes_the_fast_path_and_agrees() {
    let src = r#"
// Receive OTLP and batch it.
otelcol.receiver.otlp "default" {
  grpc { endpoint = "0.0.0.0:4317" }
  http {}

  output {
    traces  = [otelcol.processor.batch.default.input]
    metrics = [
      otelcol.processor.batch.default.input,
      otelcol.exporter.debug.x.input, /* trailing */
    ]
  }
}

otelcol.processor.batch "default" {
  timeout         = "200ms"
  send_batch_size = 2000 * 2 + -1 ^ 2
  labels          = { "service.name" = env("SVC"), tier = `raw\path` }
  enabled         = !false && (1 >= .5 || null == null)
}
"#;
    assert!(parse(src).is_ok(), "{:?}", parse(src).err());
    check(src);
}

// ---------------------------------------------------------------- deep nesting

/// Nesting that exceeds a 2 MiB stack (the size of test threads and tokio
/// workers, where configs are reloaded). A stack overflow aborts the process
/// instead of panicking, so each input runs in a child copy of this test
/// binary and the parent reads its exit status.
fn deep_cases() -> Vec<(String, String)> {
    let mut cases = Vec::new();
    for n in [500, 2_000, 5_000] {
        cases.push((format!("blocks_{n}"), format!("{}{}", "a {\n".repeat(n), "}\n".repeat(n))));
        cases.push((format!("arrays_{n}"), format!("a = {}1{}", "[".repeat(n), "]".repeat(n))));
        cases.push((format!("objects_{n}"), format!("a = {}1{}", "{b = ".repeat(n), "}".repeat(n))));
        cases.push((format!("parens_{n}"), format!("a = {}1{}", "(".repeat(n), ")".repeat(n))));
        cases.push((format!("nots_{n}"), format!("a = {}b", "!".repeat(n))));
        cases.push((format!("negations_{n}"), format!("a = {}1", "- ".repeat(n))));
        cases.push((format!("powers_{n}"), format!("a = 2{}", " ^ 2".repeat(n))));
    }
    // Flat to parse, but a left-leaning tree this deep is dropped (and
    // compared, walked, evaluated) recursively.
    cases.push(("long_sum_50000".into(), format!("a = 1{}", "+1".repeat(50_000))));
    cases.push(("accesses_50000".into(), format!("a = a{}", ".b".repeat(50_000))));
    cases.push(("indexes_50000".into(), format!("a = a{}", "[1]".repeat(50_000))));
    cases.push(("calls_50000".into(), format!("a = f{}", "()".repeat(50_000))));
    // A comma inside an operand must not restart the count of the chain
    // around it.
    cases.push(("sum_of_calls_50000".into(), format!("a = 1{}", " + f(1,)".repeat(50_000))));
    cases.push(("calls_with_commas_50000".into(), format!("a = f{}", "(1,)".repeat(50_000))));
    cases
}

const DEEP_CASE_VAR: &str = "SOLDER_DIFFERENTIAL_DEEP_CASE";

/// The child half of `deep_nesting_neither_overflows_nor_disagrees`; a no-op
/// unless that test started this process.
#[test]
fn deep_nesting_child() {
    let Ok(name) = std::env::var(DEEP_CASE_VAR) else { return };
    let (_, src) = deep_cases().into_iter().find(|(n, _)| *n == name).expect("known case");
    let outcome = std::thread::Builder::new().stack_size(2 << 20).spawn(move || check(&src)).unwrap().join();
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

#[test]
fn deep_nesting_neither_overflows_nor_disagrees() {
    let exe = std::env::current_exe().unwrap();
    let mut failures = Vec::new();
    for (name, _) in deep_cases() {
        let out = std::process::Command::new(&exe)
            .args(["--exact", "deep_nesting_child", "--nocapture", "--test-threads=1"])
            .env(DEEP_CASE_VAR, &name)
            .output()
            .unwrap();
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let why = stderr
                .lines()
                .find(|l| {
                    l.contains("overflowed its stack") || l.contains("panicked") || l.contains("differ") || l.contains("accepts") || l.contains("rejects")
                })
                .unwrap_or("child failed");
            failures.push(format!("{name}: {}", why.chars().take(160).collect::<String>()));
        }
    }
    assert!(failures.is_empty(), "{} deep inputs failed:\n{}", failures.len(), failures.join("\n"));
}

// ---------------------------------------------------------------- generators

/// Characters an identifier may start with (pest's `LETTER` and `_`),
/// from several scripts and general categories: Lu, Ll, Lt, Lm and Lo.
const IDENT_START: &[char] =
    &['a', 'b', 'e', 'n', 'r', 't', 'u', 'x', 'z', 'A', 'Z', '_', 'é', 'ñ', 'ß', 'Ω', 'λ', 'Ж', 'ǅ', 'ʰ', 'ª', 'ℕ', '变', 'デ', '한', 'ك', '𐐀'];
/// Characters that may follow: the above, ASCII digits and other decimal
/// digits (pest's `DECIMAL_NUMBER`): Arabic-Indic, Devanagari, fullwidth.
const IDENT_CHAR: &[char] = &['a', 'e', 'l', 's', '0', '1', '9', '_', 'é', 'Ж', '٣', '७', '１', '𝟘'];
/// Characters next to the identifier classes that are in neither: combining
/// marks, letter-like numbers, superscripts, format characters.
const NEAR_IDENT: &[char] = &['\u{301}', '\u{93e}', 'Ⅰ', '²', '½', '\u{200d}', '\u{feff}', '\u{a0}', '\u{2028}', '·'];

/// Identifiers, including Unicode letters and digits the scanner must
/// classify exactly as pest's `LETTER` and `DECIMAL_NUMBER` do, and words
/// that only start like keywords.
fn ident() -> impl Strategy<Value = String> {
    let composed = (select(IDENT_START), prop::collection::vec(select(IDENT_CHAR), 0..5)).prop_map(|(first, rest)| {
        let mut word: String = std::iter::once(first).chain(rest).collect();
        if matches!(word.as_str(), "true" | "false" | "null") {
            word.push('_');
        }
        word
    });
    prop_oneof![
        3 => composed,
        2 => select(&["a", "b", "x", "env", "otelcol", "receiver", "input", "output", "timeout", "trueish", "null_", "false2", "_"][..])
            .prop_map(String::from),
    ]
}

fn digits(range: std::ops::Range<usize>) -> impl Strategy<Value = String> {
    prop::collection::vec(select(&['0', '1', '2', '5', '9'][..]), range).prop_map(|d| d.into_iter().collect())
}

/// Every form the grammar's `number` accepts: `1`, `1.`, `1.5`, `.5`,
/// each with an optional exponent.
fn number() -> impl Strategy<Value = String> {
    let mantissa = prop_oneof![
        3 => digits(1..4),
        1 => (digits(1..3), digits(0..3)).prop_map(|(i, f)| format!("{i}.{f}")),
        1 => digits(1..3).prop_map(|f| format!(".{f}")),
    ];
    let exponent = prop_oneof![
        4 => Just(String::new()),
        1 => (select(&["e", "E", "e+", "e-", "E-"][..]), digits(1..3)).prop_map(|(e, d)| format!("{e}{d}")),
    ];
    (mantissa, exponent).prop_map(|(m, e)| m + &e)
}

/// Double-quoted strings whose escapes all decode.
fn good_string() -> impl Strategy<Value = String> {
    let piece =
        select(&["a", "b c", "ü", "😀", "\\n", "\\t", "\\\\", "\\\"", "\\x41", "\\101", "\\u00e9", "\\U0001F600", "\\xc3\\xa9", "{", "//", "/*", "`"][..]);
    prop::collection::vec(piece, 0..5).prop_map(|p| format!("\"{}\"", p.concat()))
}

fn raw_string() -> impl Strategy<Value = String> {
    select(&["``", "`x`", "`a\\nb`", "`multi\nline`", "`C:\\path`", "`\"q\"`", "`cr\r\nlf`"][..]).prop_map(String::from)
}

fn label() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => ident().prop_map(|s| format!("\"{s}\"")),
        1 => select(&["\"\"", "\"é\"", "\"b_1\"", "\"default\""][..]).prop_map(String::from),
    ]
}

/// Any single token the scanner knows, plus near-misses it must report.
fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => ident(),
        2 => select(&["true", "false", "null"][..]).prop_map(String::from),
        3 => number(),
        2 => select(&["1e", "1e+", ".", "1.5.3", "0x1F"][..]).prop_map(String::from),
        3 => good_string(),
        2 => select(&["\"\\q\"", "\"\\x4\"", "\"\\uD800\"", "\"\\400\"", "\"\\xff\"", "\"open", "\"a\\", "'s'", "\"\\z\\", "\"\\u12"][..])
            .prop_map(String::from),
        1 => raw_string(),
        1 => Just("`open".to_string()),
        8 => select(&["=", "==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "%", "^", "!", "&&", "||", "&", "|"][..]).prop_map(String::from),
        8 => select(&["{", "}", "[", "]", "(", ")", ",", ".", ",", "="][..]).prop_map(String::from),
        4 => select(&["\n", "\n\n", "\r\n"][..]).prop_map(String::from),
        2 => select(&["// c", "// c\n", "/* c */", "/* a\nb */", "/**/", "/* open", "/*/"][..]).prop_map(String::from),
        1 => select(&["#", "$", "@", ";", ":", "?", "\\", "\0", "\u{7f}"][..]).prop_map(String::from),
        1 => select(NEAR_IDENT).prop_map(String::from),
        // Just past the nesting limit, where the scanner gives up.
        1 => select(&["(", "[", "{", "!", "- ", "2 ^ "][..]).prop_map(|t| t.repeat(PAST_LIMIT)),
    ]
}

/// Token soup. Separators are sometimes empty, so neighbours fuse into
/// new tokens (`a` `1` → `a1`, `/` `*` → `/*`) as they would in a typo.
fn token_source() -> impl Strategy<Value = String> {
    let sep = select(&["", " ", " ", " ", "\n", "\t"][..]);
    let line = prop::collection::vec((token(), sep), 0..12).prop_map(|parts| parts.into_iter().map(|(t, s)| t + s).collect::<String>());
    // Most lines start like an attribute or a block, so the parser gets past
    // the first token often enough to reach the interesting failures.
    let head = prop_oneof![
        2 => ident().prop_map(|i| format!("{i} = ")),
        1 => (ident(), ident(), label()).prop_map(|(a, b, l)| format!("{a}.{b} {l} {{\n")),
        1 => Just(String::new()),
    ];
    prop::collection::vec((head, line), 1..5).prop_map(|lines| lines.into_iter().map(|(h, l)| h + &l + "\n").collect())
}

/// White space between two tokens where the grammar allows only a space
/// or a comment that stays on one line.
fn gap() -> impl Strategy<Value = &'static str> {
    prop_oneof![8 => Just(" "), 1 => Just(""), 1 => Just(" /* c */ "), 1 => Just("\t")]
}

/// White space after `=`, `,`, an operator or an opening bracket, where a
/// newline continues the expression.
fn nl_gap() -> impl Strategy<Value = &'static str> {
    prop_oneof![6 => Just(" "), 2 => Just("\n  "), 1 => Just(" // c\n  "), 1 => Just(" /* a\n b */ "), 1 => Just("\n\n")]
}

/// Valid expressions, as text.
fn expr() -> impl Strategy<Value = String> {
    let reference = prop::collection::vec(ident(), 1..4).prop_map(|parts| parts.join("."));
    let leaf = prop_oneof![
        3 => number(),
        3 => good_string(),
        1 => raw_string(),
        1 => select(&["true", "false", "null"][..]).prop_map(String::from),
        4 => reference,
    ];
    let ops = select(&["||", "&&", "==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "%", "^"][..]);
    leaf.prop_recursive(4, 40, 5, move |inner| {
        prop_oneof![
            2 => (inner.clone(), gap(), ops.clone(), nl_gap(), inner.clone()).prop_map(|(l, g, op, n, r)| format!("{l}{g}{op}{n}{r}")),
            1 => (select(&["-", "!", "- "][..]), inner.clone()).prop_map(|(op, e)| format!("{op}{e}")),
            1 => (nl_gap(), inner.clone()).prop_map(|(n, e)| format!("({n}{e})")),
            2 => list("[", "]", inner.clone()).prop_map(|(o, body, c)| format!("{o}{body}{c}")),
            2 => list("(", ")", inner.clone()).prop_map(|(o, body, c)| format!("env{o}{body}{c}")),
            2 => object(inner.clone()),
            1 => (inner.clone(), inner.clone()).prop_map(|(v, i)| format!("({v})[{i}]")),
            1 => (inner.clone(), ident()).prop_map(|(v, name)| format!("({v}).{name}")),
            1 => (inner.clone(), ident()).prop_map(|(v, name)| format!("({v}).\n{name}")),
        ]
    })
}

/// Items of an array or call: on one line with an optional trailing comma,
/// or one per line where the trailing comma is required.
fn list(open: &'static str, close: &'static str, item: BoxedStrategy<String>) -> impl Strategy<Value = (&'static str, String, &'static str)> {
    (prop::collection::vec(item, 0..4), any::<bool>(), any::<bool>()).prop_map(move |(items, multiline, trailing)| {
        let body = if multiline {
            items.iter().map(|i| format!("\n  {i},")).collect::<String>() + "\n"
        } else {
            let mut s = items.join(", ");
            if trailing && !items.is_empty() {
                s.push(',');
            }
            s
        };
        (open, body, close)
    })
}

fn object(value: BoxedStrategy<String>) -> impl Strategy<Value = String> {
    let key = prop_oneof![3 => ident(), 1 => good_string()];
    (prop::collection::vec((key, value), 0..4), any::<bool>()).prop_map(|(fields, multiline)| {
        let fields: Vec<String> = fields.into_iter().map(|(k, v)| format!("{k} = {v}")).collect();
        if multiline {
            format!("{{{}\n}}", fields.iter().map(|f| format!("\n  {f},")).collect::<String>())
        } else {
            format!("{{ {} }}", fields.join(", "))
        }
    })
}

/// A whole valid config: attributes and (nested, labelled) blocks, with
/// blank lines and comments between statements.
fn config() -> impl Strategy<Value = String> {
    let attribute = (ident(), gap(), nl_gap(), expr()).prop_map(|(n, g, nl, e)| format!("{n}{g}={nl}{e}"));
    let stmt = attribute.prop_recursive(3, 24, 4, |inner| {
        let name = prop::collection::vec(ident(), 1..4).prop_map(|p| p.join("."));
        (name, prop::option::of(label()), prop::collection::vec(inner, 0..4), any::<bool>()).prop_map(|(name, label, body, one_line)| {
            let head = match label {
                Some(l) => format!("{name} {l} {{"),
                None => format!("{name} {{"),
            };
            match body.len() {
                0 if one_line => format!("{head}}}"),
                1 if one_line && !body[0].contains('\n') => format!("{head} {} }}", body[0]),
                _ => format!("{head}\n{}\n}}", body.join("\n")),
            }
        })
    });
    let trailer = select(&["", "", "", " // note", " /* note */", "\n", "\n/* a\n b */"][..]);
    prop::collection::vec((stmt, trailer), 0..6).prop_map(|stmts| stmts.into_iter().map(|(s, t)| format!("{s}{t}\n")).collect())
}

/// A few edits that turn a valid config into a near-miss: dropped or
/// inserted characters, the inputs most likely to split the two parsers.
fn mutated_config() -> impl Strategy<Value = String> {
    let insert = select(&[",", "}", "{", "]", ")", "(", "\n", "\"", "`", "/*", "//", "=", ".", "-", "x", "1", "'", " ", "\\", "é"][..]);
    let edit = (any::<prop::sample::Index>(), 0..3u8, insert);
    (config(), prop::collection::vec(edit, 1..4)).prop_map(|(src, edits)| edits::apply(src, edits))
}

/// Bytes drawn mostly from the characters the grammar cares about.
fn byte_soup() -> impl Strategy<Value = Vec<u8>> {
    let byte = prop_oneof![
        3 => select(&b"ab_z09 \n\t\r=.,{}[]()\"`'\\/*+-!<>&|%^e#"[..]),
        1 => any::<u8>(),
    ];
    prop::collection::vec(byte, 0..160)
}

fn config_cases(cases: u32) -> Config {
    // Failures are kept as fixed cases in REGRESSIONS, not in a file that
    // proptest writes next to the test.
    Config { cases, failure_persistence: None, ..Config::default() }
}

proptest! {
    #![proptest_config(config_cases(4000))]

    #[test]
    fn token_soup(src in token_source()) {
        check(&src);
    }

    #[test]
    fn valid_configs(src in config()) {
        check(&src);
    }

    #[test]
    fn near_miss_configs(src in mutated_config()) {
        check(&src);
    }

    #[test]
    fn arbitrary_bytes(bytes in byte_soup()) {
        if let Ok(src) = std::str::from_utf8(&bytes) {
            check(src);
        }
        check(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn arbitrary_unicode(src in "(?s).{0,80}") {
        check(&src);
    }
}

/// Guards the generator: if valid configs stopped parsing, `valid_configs`
/// would only be testing the error path.
#[test]
fn generated_configs_are_valid() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = config();
    for _ in 0..300 {
        let src = strategy.new_tree(&mut runner).unwrap().current();
        if let Err(diags) = parse_reference(&src) {
            panic!("generated config does not parse: {src:?}\n{}", messages(&diags));
        }
    }
}
