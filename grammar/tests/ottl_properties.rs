//! The OTTL fuzz target's promises, checked in CI with proptest over
//! statements built from OTTL's own tokens (the fuzzer, on nightly, tries
//! arbitrary bytes).

use proptest::prelude::*;

#[path = "../fuzz/src/lib.rs"]
#[allow(dead_code)]
mod promises;

const TOKENS: &[&str] = &[
    "set",
    "Concat",
    "Split",
    "Upper",
    "HasPrefix",
    "apply",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ",",
    ":",
    ".",
    "=",
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "+",
    "-",
    "*",
    "/",
    "and",
    "or",
    "not",
    "where",
    "true",
    "false",
    "nil",
    "name",
    "attributes",
    "resource",
    "cache",
    "kind",
    "status",
    "code",
    "span",
    "SPAN_KIND_SERVER",
    "\"k\"",
    "\"a\\\"b\"",
    "\"\\u00e9\"",
    "\"\\q\"",
    "\"",
    "0",
    "-1",
    "2.5",
    "1e3",
    ".5",
    "0xff",
    "0xf",
    "99999999999999999999",
    " ",
    "é",
    "\\",
    "'",
    "&&",
];

fn statement() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(TOKENS), 0..24).prop_map(|t| t.join(" "))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn no_panics_and_stable_canonical_text(src in statement()) {
        promises::check_ottl(&src);
    }

    #[test]
    fn well_formed_statements_round_trip(key in "[a-z.]{1,8}", n in any::<i64>(), s in "\\PC{0,8}") {
        let src = format!("set(attributes[{key:?}], Concat([{n}, {s:?}], \"-\")) where name != {s:?} and kind >= {n}");
        promises::check_ottl(&src);
    }
}

#[test]
fn known_tricky_inputs() {
    for src in [
        "",
        "set(",
        "set(\"\\",
        "\"\\u",
        "not not not",
        "set(a, [1, {\"k\": [2]}])[0]",
        "set(name, \"é\\q\")",
        "Concat()[0][\"x\"]",
        "set(cache, {})",
        "fet(na,0000.0000000000001,801)",
        "set(name, 1.5e999)",
        "set(name, 1e3)",
    ] {
        promises::check_ottl(src);
    }
}
