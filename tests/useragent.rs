//! `UserAgent` against a real port of the same specification: the ua-parser
//! project's Python parser (ua-parser 1.0.2, which scripts/test.sh
//! installs), reading the very regexes.yaml Solder embeds, over a corpus of
//! strings a service sees (useragent/agents.txt). Each result must be the
//! map the Collector's converter builds from the parts the port finds.

mod support;

use std::path::Path;
use std::process::Command;

use solder_syntax::ottl::{funcs, testing, ErrorMode, Statements, Value};

/// The parts joined as uap-go's `ToVersionString` joins them.
fn version(parts: &[serde_json::Value]) -> String {
    let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_string();
    let mut out = parts.first().map(text).unwrap_or_default();
    for part in parts.iter().skip(1).map(text).filter(|p| !p.is_empty()) {
        out.push('.');
        out.push_str(&part);
    }
    out
}

/// The Collector's map for what the port found (`null`: no rule matched).
fn expected(ua: &str, agent: &serde_json::Value, os: &serde_json::Value) -> Vec<(String, String)> {
    let family = |found: &serde_json::Value| found.get(0).and_then(|f| f.as_str()).unwrap_or("Other").to_string();
    let parts = |found: &serde_json::Value| found.as_array().map(|a| a[1..].to_vec()).unwrap_or_default();
    let mut out = vec![
        ("os.name".to_string(), family(os)),
        ("user_agent.name".to_string(), family(agent)),
        ("user_agent.original".to_string(), ua.to_string()),
        ("user_agent.version".to_string(), version(&parts(agent))),
    ];
    let os_version = version(&parts(os));
    if !os_version.is_empty() {
        out.push(("os.version".to_string(), os_version));
    }
    out.sort();
    out
}

fn solder(ua: &str) -> Vec<(String, String)> {
    let program = Statements::compile(&testing::SPAN, funcs::table(), &[r#"set(attributes["parsed"], UserAgent(attributes["original"]))"#]).expect("compiles");
    let mut item = testing::Item::named("x").with_attribute("original", Value::str(ua));
    program.execute(&mut item, ErrorMode::Propagate, &mut Vec::new()).expect("runs");
    let Some(Value::Map(map)) = item.attribute("parsed") else { panic!("{ua}: UserAgent gave no map") };
    let mut out: Vec<(String, String)> = map
        .iter()
        .map(|(k, v)| match v {
            Value::Str(s) => (k.clone(), s.clone()),
            other => panic!("{ua}: {k} is {other:?}"),
        })
        .collect();
    out.sort();
    out
}

#[test]
fn user_agent_gives_what_the_python_port_finds_with_the_same_database() {
    let python = support::python();
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (script, regexes, agents) =
        (here.join("tests/useragent/oracle.py"), here.join("grammar/src/ottl/funcs/useragent/regexes.yaml"), here.join("tests/useragent/agents.txt"));
    let out = Command::new(python).arg(script).arg(&regexes).arg(&agents).output().expect("python runs");
    assert!(out.status.success(), "the ua-parser port failed (scripts/test.sh installs ua-parser 1.0.2 and PyYAML): {}", String::from_utf8_lossy(&out.stderr));
    let mut checked = 0;
    let mut differ = Vec::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let row: serde_json::Value = serde_json::from_str(line).expect("one JSON object a line");
        let ua = row["ua"].as_str().expect("ua");
        let (want, got) = (expected(ua, &row["agent"], &row["os"]), solder(ua));
        if want != got {
            differ.push(format!("{ua}\n  port:   {want:?}\n  solder: {got:?}"));
        }
        checked += 1;
    }
    let corpus = std::fs::read_to_string(&agents).expect("corpus");
    assert_eq!(checked, corpus.lines().filter(|l| !l.is_empty() && !l.starts_with('#')).count(), "every string was parsed by the port");
    assert!(differ.is_empty(), "{} of {checked} differ:\n{}", differ.len(), differ.join("\n"));
}
