//! The formatter's promises, checked on generated configs rather than on
//! the hand-written goldens of `fmt.rs`: for every input that parses,
//! formatting does not panic, the output parses to the same tree (spans
//! aside) with the same comments, and formatting the output again changes
//! nothing.
//!
//! The generator aims at what the formatter decides, not at what the
//! parser accepts: white space of every legal kind between tokens (spaces,
//! tabs, line breaks where an expression may continue, CRLF, blank lines),
//! comments in every place a token boundary allows, attributes of mixed
//! name widths (alignment), one-line and multi-line lists with and without
//! trailing commas, nested blocks, raw strings that span lines, and a few
//! random edits of all that, kept when they still parse.

#[path = "common/edits.rs"]
mod edits;

use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::Config;
use solder_syntax::format::{comment_texts, format, same_tree};

/// Checks every promise on `src`, if it parses; returns what broke.
fn check(src: &str) -> Result<(), String> {
    let Ok(file) = solder_syntax::parse(src) else { return Ok(()) };
    let once = std::panic::catch_unwind(|| format(&file, src)).map_err(|_| "the formatter panicked".to_string())?;
    let again = solder_syntax::parse(&once).map_err(|d| format!("the output does not parse: {:?}\n--- output ---\n{once}", d[0].message))?;
    if !same_tree(&file.body, &again.body) {
        return Err(format!("the output is a different tree\n--- output ---\n{once}"));
    }
    if comment_texts(&file) != comment_texts(&again) {
        return Err(format!("comments changed: {:?} became {:?}\n--- output ---\n{once}", comment_texts(&file), comment_texts(&again)));
    }
    let twice = format(&again, &once);
    if twice != once {
        return Err(format!("formatting the output changed it\n--- once ---\n{once}--- twice ---\n{twice}"));
    }
    Ok(())
}

// ---------------------------------------------------------------- white space

/// Between two tokens on one line: spaces, tabs, nothing (next to
/// punctuation only), or a block comment that stays on the line.
fn gap() -> impl Strategy<Value = &'static str> {
    prop_oneof![8 => Just(" "), 2 => Just(""), 1 => Just("   "), 1 => Just("\t"), 1 => Just(" /* c */ "), 1 => Just("/*x*/")]
}

/// Where an expression may continue on the next line: after `=`, `,`, an
/// operator or an opening bracket.
fn nl_gap() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        6 => Just(" "),
        2 => Just("\n\t"),
        1 => Just("\n\n  "),
        1 => Just(" // c\n"),
        1 => Just("\r\n"),
        1 => Just(" /* a\n   b */ "),
        1 => Just("\t/* d */\n"),
    ]
}

/// What ends a statement: a line break, maybe blank lines, maybe a
/// comment on the line or on lines of its own.
fn terminator() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        6 => Just("\n"),
        2 => Just("\n\n"),
        1 => Just("\n\n\n\n"),
        1 => Just("\r\n"),
        2 => Just(" // note\n"),
        1 => Just("\t\t// note ünïcode\n"),
        1 => Just(" /* note */\n"),
        1 => Just("\n// own line\n"),
        1 => Just("\n\n/* block\n   comment */\n"),
        1 => Just("\n  \t\n"),
    ]
}

// ---------------------------------------------------------------- tokens

/// Names of mixed widths and scripts, so alignment has work to do; wide
/// and combining-free Unicode letters count as one character each.
fn ident() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => select(&["a", "b", "id", "name", "timeout", "endpoint", "send_batch_size", "x1", "_", "é", "变量", "ǅx", "Жук"][..]).prop_map(String::from),
        1 => "[a-z_][a-z0-9_]{0,12}".prop_filter("not a keyword", |s| !matches!(s.as_str(), "true" | "false" | "null")),
    ]
}

fn number() -> impl Strategy<Value = String> {
    select(&["0", "1", "42", "007", "1.5", "1.", ".5", "1e3", "2.5E-3", "18446744073709551615", "3.14159"][..]).prop_map(String::from)
}

fn string() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => select(&["\"\"", "\"x\"", "\"0.0.0.0:4317\"", "\"a b\"", "\"tab\\there\"", "\"q\\\"q\"", "\"\\u00e9\"", "\"é😀\"", "\"// not a comment\"", "\"/* nor this */\""][..]).prop_map(String::from),
        1 => select(&["``", "`raw`", "`C:\\path`", "`two\nlines`", "`ends  \n  with space  `", "`cr\r\nlf`"][..]).prop_map(String::from),
    ]
}

fn label() -> impl Strategy<Value = String> {
    select(&["\"default\"", "\"é\"", "\"x_1\"", "\"变量\""][..]).prop_map(String::from)
}

// ---------------------------------------------------------------- expressions

fn expr() -> impl Strategy<Value = String> {
    let reference = prop::collection::vec(ident(), 1..4).prop_map(|parts| parts.join("."));
    let leaf = prop_oneof![3 => number(), 3 => string(), 1 => select(&["true", "false", "null"][..]).prop_map(String::from), 3 => reference];
    let ops = select(&["||", "&&", "==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "%", "^"][..]);
    leaf.prop_recursive(3, 24, 4, move |inner| {
        prop_oneof![
            3 => (inner.clone(), gap(), ops.clone(), nl_gap(), inner.clone()).prop_map(|(l, g, op, n, r)| {
                // An operator glued to a following `-`/`!` still reads as
                // two tokens; glued to `/` it could start a comment.
                let g = if g.is_empty() || op == "/" { " " } else { g };
                format!("{l}{g}{op}{n}{r}")
            }),
            1 => (select(&["-", "!", "- ", "!!"][..]), inner.clone()).prop_map(|(op, e)| format!("{op}{e}")),
            2 => (nl_gap(), inner.clone(), gap()).prop_map(|(n, e, g)| format!("({n}{e}{g})")),
            3 => list(inner.clone()).prop_map(|body| format!("[{body}]")),
            2 => (prop::collection::vec(ident(), 1..3), list(inner.clone())).prop_map(|(f, body)| format!("{}({body})", f.join("."))),
            3 => object(inner.clone()),
            1 => (inner.clone(), inner.clone()).prop_map(|(v, i)| format!("({v})[{i}]")),
            1 => (inner.clone(), ident()).prop_map(|(v, name)| format!("({v}).{name}")),
        ]
    })
}

/// Items of an array or a call: on one line (trailing comma optional) or
/// one per line (trailing comma required), with comments and blank lines
/// between them.
fn list(item: BoxedStrategy<String>) -> impl Strategy<Value = String> {
    let after_item = select(&["", "", " // c", " /* c */", "\n", "\n// between", " // c\n// next line"][..]);
    (prop::collection::vec((item, after_item), 0..4), any::<bool>(), any::<bool>(), gap()).prop_map(|(items, multiline, trailing, g)| {
        if multiline {
            let body: String = items.iter().map(|(i, after)| format!("\n\t{i},{after}")).collect();
            format!("{body}\n")
        } else {
            let mut s = items.iter().map(|(i, _)| i.as_str()).collect::<Vec<_>>().join(&format!(",{g}"));
            if trailing && !items.is_empty() {
                s.push(',');
            }
            s
        }
    })
}

fn object(value: BoxedStrategy<String>) -> impl Strategy<Value = String> {
    let key = prop_oneof![3 => ident(), 1 => string().prop_filter("keys are double-quoted", |s| s.starts_with('"'))];
    let after = select(&["", "", " // c", "\n"][..]);
    (prop::collection::vec((key, gap(), value, after), 0..4), any::<bool>()).prop_map(|(fields, multiline)| {
        if multiline {
            let body: String = fields.iter().map(|(k, g, v, after)| format!("\n\t{k}{g}={g}{v},{after}")).collect();
            format!("{{{body}\n}}")
        } else {
            let body: Vec<String> = fields.iter().map(|(k, g, v, _)| format!("{k}{g}={g}{v}")).collect();
            format!("{{ {} }}", body.join(", "))
        }
    })
}

// ---------------------------------------------------------------- configs

/// Attributes and nested, labelled blocks, each ended by a terminator.
fn config() -> impl Strategy<Value = String> {
    let attribute = (ident(), gap(), nl_gap(), expr()).prop_map(|(n, g, nl, e)| {
        let g = if g == "/*x*/" { " " } else { g };
        format!("{n}{g}={nl}{e}")
    });
    let stmt = attribute.prop_recursive(2, 16, 4, |inner| {
        let name = prop::collection::vec(ident(), 1..4).prop_map(|p| p.join("."));
        let body = prop::collection::vec((inner, terminator()), 0..5);
        (name, prop::option::of(label()), body, any::<bool>(), select(&["", " // open", " /* open */"][..])).prop_map(|(name, label, body, one_line, open)| {
            let head = match label {
                Some(l) => format!("{name} {l} {{"),
                None => format!("{name} {{"),
            };
            match body.len() {
                0 if one_line => format!("{head}}}"),
                1 if one_line && !body[0].0.contains('\n') => format!("{head} {} }}", body[0].0),
                _ => format!("{head}{open}\n{}}}", body.iter().map(|(s, t)| format!("{s}{t}")).collect::<String>()),
            }
        })
    });
    let leading = select(&["", "", "", "\n", "// header\n\n", "/* header */\n", "\u{feff}"][..]);
    (leading, prop::collection::vec((stmt, terminator()), 0..6))
        .prop_map(|(lead, stmts)| format!("{lead}{}", stmts.into_iter().map(|(s, t)| format!("{s}{t}")).collect::<String>()))
}

/// A generated config with a few characters dropped, inserted or cut off.
/// Most edits break the syntax and are skipped by `check`; the ones that
/// parse are shapes no generator above writes on purpose.
fn edited_config() -> impl Strategy<Value = String> {
    let insert = select(&[",", "\n", " ", "\t", "// e\n", "/* e */", "(", ")", "[", "]", "{", "}", "=", "-", "!", "1", "x", "\r\n"][..]);
    let edit = (any::<prop::sample::Index>(), 0..3u8, insert);
    (config(), prop::collection::vec(edit, 1..3)).prop_map(|(src, edits)| edits::apply(src, edits))
}

/// `n` cases, or `PROPTEST_CASES` of them for a longer run.
fn cases(n: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(n);
    // A failure is worth a golden pair in tests/fmt, not a file that
    // proptest writes next to this test.
    Config { cases, failure_persistence: None, ..Config::default() }
}

proptest! {
    #![proptest_config(cases(600))]

    #[test]
    fn generated_configs_format_faithfully(src in config()) {
        if let Err(e) = check(&src) {
            prop_assert!(false, "{e}\n--- input ---\n{src}");
        }
    }
}

proptest! {
    #![proptest_config(cases(400))]

    #[test]
    fn edited_configs_format_faithfully(src in edited_config()) {
        if let Err(e) = check(&src) {
            prop_assert!(false, "{e}\n--- input ---\n{src}");
        }
    }
}

/// Guards the generator: if its configs stopped parsing, the properties
/// would pass without formatting anything. Also guards its variety: the
/// outputs must include the layouts the formatter has rules for.
#[test]
fn generated_configs_parse_and_vary() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = config();
    let (mut multiline_lists, mut comments, mut blocks, mut blank_lines, mut aligned, mut edited_parsing) = (0, 0, 0, 0, 0, 0);
    for _ in 0..300 {
        let src = strategy.new_tree(&mut runner).expect("a config").current();
        let file = solder_syntax::parse(&src).unwrap_or_else(|d| panic!("generated config does not parse: {src:?}\n{:?}", d[0].message));
        let out = format(&file, &src);
        multiline_lists += usize::from(out.contains(",\n"));
        comments += usize::from(!file.comments.is_empty());
        blocks += usize::from(out.contains("{\n"));
        blank_lines += usize::from(out.contains("\n\n"));
        aligned += usize::from(out.lines().any(|l| l.contains("  =") || l.contains("\t=")));
    }
    let edited = edited_config();
    for _ in 0..300 {
        let src = edited.new_tree(&mut runner).expect("a config").current();
        edited_parsing += usize::from(solder_syntax::parse(&src).is_ok());
    }
    for (what, count) in [
        ("multi-line lists", multiline_lists),
        ("comments", comments),
        ("blocks", blocks),
        ("blank lines", blank_lines),
        ("aligned attributes", aligned),
        ("edited configs that parse", edited_parsing),
    ] {
        assert!(count >= 30, "only {count} of 300 generated configs have {what}");
    }
}
