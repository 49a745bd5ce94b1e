//! The checks on `rule` blocks, with Alloy's messages, and the pieces of
//! the engine on their own.

use super::super::cache::Cache;
use super::super::{hashmod, is_relabel_target, Action};
use super::{compile, labels};

#[test]
fn defaults_are_alloys() {
    let rules = compile("rule { target_label = \"x\" }").expect("compiles");
    let r = &rules.0[0];
    assert_eq!((r.action, r.separator.as_str(), r.replacement.as_str(), r.modulus), (Action::Replace, ";", "$1", 0));
    assert_eq!(r.regex.as_str(), "^(?:(.*))$");
    assert!(r.source_labels.is_empty());
}

#[test]
fn refuses_what_alloy_refuses() {
    let cases = [
        ("rule { action = \"nope\" }", "rule[0].action", "unrecognized action type \"nope\""),
        ("rule { target_label = \"x\" regex = \"(\" }", "rule[0].regex", "invalid regex \"(\""),
        ("rule { action = \"hashmod\" target_label = \"x\" }", "rule[0].modulus", "relabel configuration for hashmod requires non-zero modulus"),
        ("rule { action = \"replace\" }", "rule[0]", "relabel configuration for replace action requires 'target_label' value"),
        ("rule { action = \"lowercase\" }", "rule[0]", "relabel configuration for lowercase action requires 'target_label' value"),
        ("rule { action = \"keepequal\" }", "rule[0]", "relabel configuration for keepequal action requires 'target_label' value"),
        ("rule { action = \"lowercase\" target_label = \"${3}\" }", "rule[0].target_label", "\"${3}\" is invalid 'target_label' for lowercase action"),
        ("rule { target_label = \"0${3}\" }", "rule[0].target_label", "\"0${3}\" is invalid 'target_label' for replace action"),
        ("rule { target_label = \"-${3}\" }", "rule[0].target_label", "\"-${3}\" is invalid 'target_label' for replace action"),
        (
            "rule { action = \"uppercase\" target_label = \"x\" replacement = \"y\" }",
            "rule[0].replacement",
            "'replacement' can not be set for uppercase action",
        ),
        ("rule { action = \"labelmap\" replacement = \"a-b\" }", "rule[0].replacement", "\"a-b\" is invalid 'replacement' for labelmap action"),
        ("rule { action = \"hashmod\" modulus = 2 target_label = \"${1}\" }", "rule[0].target_label", "\"${1}\" is invalid 'target_label' for hashmod action"),
        ("rule { action = \"labeldrop\" source_labels = [] }", "rule[0]", "labeldrop action requires only 'regex', and no other fields"),
        ("rule { action = \"labelkeep\" separator = \",\" }", "rule[0]", "labelkeep action requires only 'regex', and no other fields"),
        (
            "rule { action = \"dropequal\" target_label = \"x\" regex = \"a\" }",
            "rule[0]",
            "dropequal action requires only 'source_labels' and 'target_label', and no other fields",
        ),
        ("rule { action = \"keep\" }\nrule { action = \"keepequal\" target_label = \"x\" modulus = 3 }", "rule[1]", "keepequal action requires only"),
    ];
    for (text, path, message) in cases {
        let err = compile(text).err().unwrap_or_else(|| panic!("{text} compiled"));
        assert_eq!(err.path, path, "{text}");
        assert!(err.message.starts_with(message), "{text}: {}", err.message);
    }
    compile("rule { target_label = \"${1}\" source_labels = [\"a\"] regex = \"some-([^-]+)-([^,]+)\" }").expect("a template target is fine for replace");
}

#[test]
fn target_templates_are_checked_as_prometheus_does() {
    let cases = [
        ("-label", false),
        ("label", true),
        ("label${1}", true),
        ("${1}label", true),
        ("${1}", true),
        ("${", false),
        ("$", false),
        ("${}", false),
        ("foo${", false),
        ("$1", true),
        ("asd$2asd", true),
        ("-foo${1}bar-", false),
        ("_${1}_", true),
        ("foo${bar}foo", true),
        ("", false),
        ("9a", false),
    ];
    for (s, valid) in cases {
        assert_eq!(is_relabel_target(s), valid, "{s:?}");
    }
}

#[test]
fn hashmod_matches_prometheus() {
    // Values from Prometheus's own tests and Python's hashlib.
    assert_eq!(hashmod("baz", 1000), 976);
    assert_eq!(hashmod("foo\nbar", 1000), 734);
    assert_eq!(hashmod("node-a", 3), 0);
}

#[test]
fn labels_stay_sorted() {
    let rules = compile("rule { source_labels = [\"m\"] target_label = \"a\" }\nrule { source_labels = [\"m\"] target_label = \"z\" }\nrule { regex = \"m\" replacement = \"b\" action = \"labelmap\" }").expect("compiles");
    let mut l = labels(&[("m", "1")]);
    assert!(rules.apply(&mut l));
    assert_eq!(l, labels(&[("a", "1"), ("b", "1"), ("m", "1"), ("z", "1")]));
    assert!(l.windows(2).all(|w| w[0].0 < w[1].0), "{l:?}");
}

#[test]
fn the_cache_is_bounded_and_keeps_what_is_used() {
    let key = |i: u32| labels(&[("k", &i.to_string())]);
    let mut c = Cache::new(4);
    for i in 0..4 {
        c.insert(key(i), None);
    }
    assert_eq!(c.len(), 4);
    assert!(c.get(&key(0)).is_some());
    for i in 4..100 {
        c.insert(key(i), None);
        assert!(c.len() <= 4, "{} entries", c.len());
        // Key 0 is used all along, so it stays.
        assert!(c.get(&key(0)).is_some(), "key 0 evicted at {i}");
    }
    assert!(c.get(&key(5)).is_none(), "an old key unused since is gone");
    c.remove(&key(0));
    assert!(c.get(&key(0)).is_none());
}
