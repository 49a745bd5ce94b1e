//! Prometheus's relabel cases (the documented examples and the cases of
//! its `relabel_test.go`, restated) and more for the corners of RE2 and
//! Go's template expansion. Each case is input labels, `rule` blocks and
//! the labels that come out, or `None` if the set is dropped.

use super::{compile, labels};

type Case = (&'static str, &'static [(&'static str, &'static str)], &'static str, Option<&'static [(&'static str, &'static str)]>);

const ABC: &[(&str, &str)] = &[("a", "foo"), ("b", "bar"), ("c", "baz")];
const PORTS: &[(&str, &str)] = &[("__tmp_port", "1234"), ("__port1", "1234"), ("__port2", "5678")];

const CASES: &[Case] = &[
    (
        "replace with ${1} in the replacement",
        ABC,
        r#"rule { source_labels = ["a"] regex = "f(.*)" target_label = "d" replacement = "ch${1}-ch${1}" }"#,
        Some(&[("a", "foo"), ("b", "bar"), ("c", "baz"), ("d", "choo-choo")]),
    ),
    (
        "rules see what earlier rules wrote",
        ABC,
        r#"rule { source_labels = ["a", "b"] regex = "f(.*);(.*)r" target_label = "a" replacement = "b${1}${2}m" }
           rule { source_labels = ["c", "a"] regex = "(b).*b(.*)ba(.*)" target_label = "d" replacement = "$1$2$2$3" }"#,
        Some(&[("a", "boobam"), ("b", "bar"), ("c", "baz"), ("d", "boooom")]),
    ),
    (
        "drop stops the rules that follow",
        &[("a", "foo")],
        r#"rule { source_labels = ["a"] regex = ".*o.*" action = "drop" }
           rule { source_labels = ["a"] regex = "f(.*)" target_label = "d" replacement = "ch$1-ch$1" }"#,
        None,
    ),
    ("drop on a match", &[("a", "foo"), ("b", "bar")], r#"rule { source_labels = ["a"] regex = ".*o.*" action = "drop" }"#, None),
    ("a group in the middle", &[("a", "abc")], r#"rule { source_labels = ["a"] regex = ".*(b).*" target_label = "d" }"#, Some(&[("a", "abc"), ("d", "b")])),
    ("drop without a match keeps", &[("a", "foo")], r#"rule { source_labels = ["a"] regex = "no-match" action = "drop" }"#, Some(&[("a", "foo")])),
    (
        "the regex is anchored: f|o does not match foo",
        &[("a", "foo")],
        r#"rule { source_labels = ["a"] regex = "f|o" action = "drop" }"#,
        Some(&[("a", "foo")]),
    ),
    ("keep without a match drops", &[("a", "foo")], r#"rule { source_labels = ["a"] regex = "no-match" action = "keep" }"#, None),
    ("keep on a match", &[("a", "foo")], r#"rule { source_labels = ["a"] regex = "f.*" action = "keep" }"#, Some(&[("a", "foo")])),
    (
        "no match, no replacement",
        &[("a", "boo")],
        r#"rule { source_labels = ["a"] regex = "f" target_label = "b" replacement = "bar" }"#,
        Some(&[("a", "boo")]),
    ),
    (
        "hashmod as Prometheus shards",
        ABC,
        r#"rule { source_labels = ["c"] target_label = "d" action = "hashmod" modulus = 1000 }"#,
        Some(&[("a", "foo"), ("b", "bar"), ("c", "baz"), ("d", "976")]),
    ),
    (
        "hashmod of a value with a newline",
        &[("a", "foo\nbar")],
        r#"rule { source_labels = ["a"] target_label = "b" action = "hashmod" modulus = 1000 }"#,
        Some(&[("a", "foo\nbar"), ("b", "734")]),
    ),
    (
        "hashmod of an address into 8 shards",
        &[("__address__", "10.0.0.1:9100")],
        r#"rule { source_labels = ["__address__"] target_label = "__tmp_hash" action = "hashmod" modulus = 8 }"#,
        Some(&[("__address__", "10.0.0.1:9100"), ("__tmp_hash", "5")]),
    ),
    (
        "hashmod of no source labels hashes the empty string",
        &[("a", "x")],
        r#"rule { target_label = "s" action = "hashmod" modulus = 5 }"#,
        Some(&[("a", "x"), ("s", "3")]),
    ),
    (
        "labelmap copies under new names",
        &[("a", "foo"), ("b1", "bar"), ("b2", "baz")],
        r#"rule { regex = "(b.*)" replacement = "bar_${1}" action = "labelmap" }"#,
        Some(&[("a", "foo"), ("b1", "bar"), ("b2", "baz"), ("bar_b1", "bar"), ("bar_b2", "baz")]),
    ),
    (
        "labelmap of __meta_ labels",
        &[("a", "foo"), ("__meta_my_bar", "aaa"), ("__meta_my_baz", "bbb"), ("__meta_other", "ccc")],
        r#"rule { regex = "__meta_(my.*)" replacement = "${1}" action = "labelmap" }"#,
        Some(&[("a", "foo"), ("__meta_my_bar", "aaa"), ("__meta_my_baz", "bbb"), ("__meta_other", "ccc"), ("my_bar", "aaa"), ("my_baz", "bbb")]),
    ),
    (
        "labelmap with the default replacement",
        &[("__meta_kubernetes_pod_label_app", "api")],
        r#"rule { regex = "__meta_kubernetes_pod_label_(.+)" action = "labelmap" }"#,
        Some(&[("__meta_kubernetes_pod_label_app", "api"), ("app", "api")]),
    ),
    (
        "the target label is a template",
        &[("a", "some-name-value")],
        r#"rule { source_labels = ["a"] regex = "some-([^-]+)-([^,]+)" replacement = "${2}" target_label = "${1}" }"#,
        Some(&[("a", "some-name-value"), ("name", "value")]),
    ),
    (
        "an empty replacement removes the target (here: never set)",
        &[("a", "some-name-value")],
        r#"rule { source_labels = ["a"] regex = "some-([^-]+)-([^,]+)" replacement = "${3}" target_label = "${1}" }"#,
        Some(&[("a", "some-name-value")]),
    ),
    (
        "a target that expands to no valid name is skipped",
        &[("a", "some-name-0")],
        r#"rule { source_labels = ["a"] regex = "some-([^-]+)-([^,]+)" replacement = "${1}" target_label = "${3}" }
           rule { source_labels = ["a"] regex = "some-([^-]+)(-[^,]+)" replacement = "${1}" target_label = "${3}" }
           rule { source_labels = ["a"] regex = "some-([^-]+)-([^,]+)" replacement = "x" target_label = "${2}" }"#,
        Some(&[("a", "some-name-0")]),
    ),
    (
        "values pulled out of one tag list",
        &[("__meta_sd_tags", "path:/secret,job:some-job,label:foo=bar")],
        r#"rule { source_labels = ["__meta_sd_tags"] regex = "(?:.+,|^)path:(/[^,]+).*" replacement = "${1}" target_label = "__metrics_path__" }
           rule { source_labels = ["__meta_sd_tags"] regex = "(?:.+,|^)job:([^,]+).*" replacement = "${1}" target_label = "job" }
           rule { source_labels = ["__meta_sd_tags"] regex = "(?:.+,|^)label:([^=]+)=([^,]+).*" replacement = "${2}" target_label = "${1}" }"#,
        Some(&[("__meta_sd_tags", "path:/secret,job:some-job,label:foo=bar"), ("__metrics_path__", "/secret"), ("job", "some-job"), ("foo", "bar")]),
    ),
    (
        "a dropped label can be written again (prometheus#12283)",
        &[("__meta_kubernetes_pod_container_port_name", "foo"), ("__meta_kubernetes_pod_annotation_XXX_metrics_port", "9091")],
        r#"rule { regex = "^__meta_kubernetes_pod_container_port_name$" action = "labeldrop" }
           rule { source_labels = ["__meta_kubernetes_pod_annotation_XXX_metrics_port"] regex = "(.+)" replacement = "metrics" target_label = "__meta_kubernetes_pod_container_port_name" }
           rule { source_labels = ["__meta_kubernetes_pod_container_port_name"] regex = "^metrics$" action = "keep" }"#,
        Some(&[("__meta_kubernetes_pod_annotation_XXX_metrics_port", "9091"), ("__meta_kubernetes_pod_container_port_name", "metrics")]),
    ),
    ("labelkeep", &[("a", "foo"), ("b1", "bar"), ("b2", "baz")], r#"rule { regex = "(b.*)" action = "labelkeep" }"#, Some(&[("b1", "bar"), ("b2", "baz")])),
    ("labeldrop", &[("a", "foo"), ("b1", "bar"), ("b2", "baz")], r#"rule { regex = "(b.*)" action = "labeldrop" }"#, Some(&[("a", "foo")])),
    (
        "uppercase and lowercase",
        &[("foo", "bAr123Foo")],
        r#"rule { source_labels = ["foo"] action = "uppercase" target_label = "foo_uppercase" }
           rule { source_labels = ["foo"] action = "lowercase" target_label = "foo_lowercase" }"#,
        Some(&[("foo", "bAr123Foo"), ("foo_lowercase", "bar123foo"), ("foo_uppercase", "BAR123FOO")]),
    ),
    ("keepequal keeps an equal target", PORTS, r#"rule { source_labels = ["__tmp_port"] action = "keepequal" target_label = "__port1" }"#, Some(PORTS)),
    ("dropequal drops an equal target", PORTS, r#"rule { source_labels = ["__tmp_port"] action = "dropequal" target_label = "__port1" }"#, None),
    ("dropequal keeps an unequal target", PORTS, r#"rule { source_labels = ["__tmp_port"] action = "dropequal" target_label = "__port2" }"#, Some(PORTS)),
    ("keepequal drops an unequal target", PORTS, r#"rule { source_labels = ["__tmp_port"] action = "keepequal" target_label = "__port2" }"#, None),
    (
        "keepequal: a missing target equals an empty value",
        &[("a", "x")],
        r#"rule { source_labels = ["nope"] action = "keepequal" target_label = "missing" }"#,
        Some(&[("a", "x")]),
    ),
    (
        "Alloy's example: join with a separator",
        &[("__address__", "localhost"), ("instance", "development"), ("app", "frontend")],
        r#"rule { source_labels = ["__address__", "instance"] separator = "/" target_label = "host" }"#,
        Some(&[("__address__", "localhost"), ("instance", "development"), ("app", "frontend"), ("host", "localhost/development")]),
    ),
    (
        "a missing source label reads as empty and the default regex matches it",
        &[("a", "x")],
        r#"rule { source_labels = ["nope"] target_label = "b" replacement = "set" }"#,
        Some(&[("a", "x"), ("b", "set")]),
    ),
    (
        "replace with an empty result removes the target",
        &[("a", "x"), ("b", "y")],
        r#"rule { source_labels = ["nope"] target_label = "b" }"#,
        Some(&[("a", "x")]),
    ),
    (
        "lowercase of an empty value removes the target",
        &[("a", "x"), ("t", "y")],
        r#"rule { source_labels = ["nope"] action = "lowercase" target_label = "t" }"#,
        Some(&[("a", "x")]),
    ),
    (
        "$1x is the group named 1x, as in Go: empty",
        &[("a", "foo")],
        r#"rule { source_labels = ["a"] regex = "(f)oo" target_label = "b" replacement = "$1x" }"#,
        Some(&[("a", "foo")]),
    ),
    (
        "${1}x is group 1 then x",
        &[("a", "foo")],
        r#"rule { source_labels = ["a"] regex = "(f)oo" target_label = "b" replacement = "${1}x" }"#,
        Some(&[("a", "foo"), ("b", "fx")]),
    ),
    (
        "named groups, $$ and a bare $",
        &[("a", "foo")],
        r#"rule { source_labels = ["a"] regex = "(?P<first>f)(?<rest>o+)" target_label = "b" replacement = "$first-${rest}-$$-$-" }"#,
        Some(&[("a", "foo"), ("b", "f-oo-$-$-")]),
    ),
    (
        "a leading zero is a name, not a number",
        &[("a", "foo")],
        r#"rule { source_labels = ["a"] regex = "(f)oo" target_label = "b" replacement = "<$01>" }"#,
        Some(&[("a", "foo"), ("b", "<>")]),
    ),
    ("\\w is ASCII, as in RE2", &[("a", "é")], r#"rule { source_labels = ["a"] regex = "\\w+" action = "keep" }"#, None),
    ("\\d is ASCII, as in RE2", &[("a", "٣")], r#"rule { source_labels = ["a"] regex = "\\d" action = "keep" }"#, None),
    ("\\w in a class is ASCII", &[("a", "x_é")], r#"rule { source_labels = ["a"] regex = "[\\w]+" action = "keep" }"#, None),
    ("\\W in a class", &[("a", "é-")], r#"rule { source_labels = ["a"] regex = "[\\W]+" action = "keep" }"#, Some(&[("a", "é-")])),
    ("&& in a class is two ampersands", &[("a", "&")], r#"rule { source_labels = ["a"] regex = "[a&&b]" action = "keep" }"#, Some(&[("a", "&")])),
    ("[ in a class is a bracket", &[("a", "[")], r#"rule { source_labels = ["a"] regex = "[[x]" action = "keep" }"#, Some(&[("a", "[")])),
    ("\\Q...\\E quotes", &[("a", "a.b*")], r#"rule { source_labels = ["a"] regex = "\\Qa.b*\\E" action = "keep" }"#, Some(&[("a", "a.b*")])),
    ("\\b is an ASCII word boundary", &[("a", "éa")], r#"rule { source_labels = ["a"] regex = ".\\ba" action = "keep" }"#, Some(&[("a", "éa")])),
    ("(?i) folds case", &[("a", "FOO")], r#"rule { source_labels = ["a"] regex = "(?i)foo" action = "keep" }"#, Some(&[("a", "FOO")])),
    (
        "sharding as Prometheus's docs do it: hashmod into __tmp_hash, then keep one shard",
        &[("__address__", "10.0.0.1:9100")],
        r#"rule { source_labels = ["__address__"] target_label = "__tmp_hash" action = "hashmod" modulus = 8 }
           rule { source_labels = ["__tmp_hash"] regex = "^5$" action = "keep" }
           rule { regex = "__tmp_.*" action = "labeldrop" }"#,
        Some(&[("__address__", "10.0.0.1:9100")]),
    ),
    (
        "another shard is dropped",
        &[("__address__", "10.0.0.1:9100")],
        r#"rule { source_labels = ["__address__"] target_label = "__tmp_hash" action = "hashmod" modulus = 8 }
           rule { source_labels = ["__tmp_hash"] regex = "4" action = "keep" }"#,
        None,
    ),
    (
        "metric_relabel_configs dropping by name",
        &[("__name__", "go_goroutines"), ("job", "node")],
        r#"rule { source_labels = ["__name__"] regex = "go_.*" action = "drop" }"#,
        None,
    ),
    ("no rules keep everything", ABC, "", Some(ABC)),
];

#[test]
fn prometheus_relabel_cases() {
    let mut failed = Vec::new();
    for (name, input, rules, want) in CASES {
        let rules = compile(rules).unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut got = labels(input);
        let kept = rules.apply(&mut got);
        let got = kept.then_some(got);
        let want = want.map(labels);
        if got != want {
            failed.push(format!("{name}: got {got:?}, want {want:?}"));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}
