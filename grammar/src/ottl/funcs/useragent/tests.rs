//! The database loads whole, and the converter gives the Collector's
//! documented results (its UserAgent tests' strings and outcomes).

use super::{database, Database, DATABASE};
use crate::ottl::value::Value;

fn parsed(ua: &str) -> Vec<(String, String)> {
    let db = database().expect("the embedded database loads");
    db.parse(ua, ua)
        .into_iter()
        .map(|(k, v)| match v {
            Value::Str(s) => (k, s),
            other => panic!("{k}: {other:?} is not a string"),
        })
        .collect()
}

fn expect(ua: &str, name: &str, version: &str, os: Option<(&str, &str)>) {
    let mut want = vec![
        ("user_agent.name".to_string(), name.to_string()),
        ("user_agent.original".to_string(), ua.to_string()),
        ("user_agent.version".to_string(), version.to_string()),
    ];
    if let Some((os_name, os_version)) = os {
        want.push(("os.name".to_string(), os_name.to_string()));
        if !os_version.is_empty() {
            want.push(("os.version".to_string(), os_version.to_string()));
        }
    }
    assert_eq!(parsed(ua), want, "{ua}");
}

#[test]
fn every_rule_of_the_embedded_database_compiles() {
    let db = Database::load(DATABASE).expect("loads");
    // Every `- regex:` line of each list is a rule.
    let (agents, os) = DATABASE.split_once("\nos_parsers:").expect("both lists");
    let rules = |text: &str| text.lines().filter(|l| l.trim_start().starts_with("- regex:")).count();
    assert_eq!(db.agents.len(), rules(agents));
    assert_eq!(db.os.len(), rules(os));
    assert!(db.agents.len() > 300 && db.os.len() > 100, "{} and {} rules", db.agents.len(), db.os.len());
}

#[test]
fn browsers_and_tools_are_named_as_the_collector_names_them() {
    let android = "Mozilla/5.0 (Linux; Android 4.1.1; SPH-L710 Build/JRO03L) AppleWebKit/535.19 (KHTML, like Gecko) Chrome/18.0.1025.166 Mobile Safari/535.19";
    expect(android, "Chrome Mobile", "18.0.1025", Some(("Android", "4.1.1")));
    let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0";
    expect(firefox, "Firefox", "126.0", Some(("Linux", "")));
    let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 13_5_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.1.1 Mobile/15E148 Safari/604.1";
    expect(iphone, "Mobile Safari", "13.1.1", Some(("iOS", "13.5.1")));
    let edge = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/91.0.4472.124 Safari/537.36 Edg/91.0.864.59";
    expect(edge, "Edge", "91.0.864", Some(("Windows", "10")));
    let opera = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/51.0.2704.106 Safari/537.36 OPR/38.0.2220.41";
    expect(opera, "Opera", "38.0.2220", Some(("Linux", "")));
    expect("curl/7.81.0", "curl", "7.81.0", Some(("Other", "")));
    expect("foobar/1.2.3 (foo; bar baz)", "Other", "", Some(("Other", "")));
    expect("OpenTelemetry Collector Contrib/0.106.1 (linux/amd64)", "Other", "", Some(("Linux", "")));
    let viafree = "ViaFree-DK/3.8.3 (com.MTGx.ViaFree.dk; build:7383; iOS 12.1.0) Alamofire/4.7.0";
    expect(viafree, "ViaFree", "3.8.3", Some(("iOS", "12.1.0")));
    let java = "ibm-cos-sdk-java/2.3.0 Linux/4.9.0-8-amd64 Java_HotSpot(TM)_64-Bit_Server_VM/9.0.4+11/9.0.4'";
    expect(java, "ibm-cos-sdk-java", "2.3.0", Some(("Linux", "4.9.0")));
}

/// `UserAgent` over a string, through a compiled statement as it runs.
fn through_statement(ua: &str) -> Value {
    use crate::ottl::{funcs, testing, ErrorMode, Statements};
    let program = Statements::compile(&testing::SPAN, funcs::table(), &[r#"set(attributes["parsed"], UserAgent(attributes["original"]))"#]).expect("compiles");
    let mut item = testing::Item::named("x").with_attribute("original", Value::str(ua));
    program.execute(&mut item, ErrorMode::Propagate, &mut Vec::new()).expect("runs");
    item.attribute("parsed").cloned().expect("a map")
}

fn field<'v>(map: &'v Value, key: &str) -> &'v str {
    let Value::Map(entries) = map else { panic!("{map:?} is not a map") };
    match entries.iter().find(|(k, _)| k == key) {
        Some((_, Value::Str(s))) => s,
        other => panic!("{key}: {other:?}"),
    }
}

/// A string past `LONGEST` bytes is read over its start (cut at a
/// character, never inside one), and `user_agent.original` is still the
/// whole of it; a token only past the cut is not seen.
#[test]
fn a_long_string_is_read_over_its_start_and_kept_whole() {
    let chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";
    let long = format!("{chrome} {}", "x".repeat(1 << 20));
    let map = through_statement(&long);
    assert_eq!((field(&map, "user_agent.name"), field(&map, "user_agent.version")), ("Chrome", "124.0.0"));
    assert_eq!(field(&map, "user_agent.original"), long, "the original is kept whole");
    // The cut falls inside a two-byte character.
    let accented = format!("curl/8.5.0 {}", "é".repeat(super::LONGEST));
    assert!(!accented.is_char_boundary(super::LONGEST));
    assert_eq!(field(&through_statement(&accented), "user_agent.name"), "curl");
    // A token that ends at the bound is read whole; one that starts past
    // it is not read at all.
    let at = |pad: usize| format!("{} curl/8.5.0", "x".repeat(pad));
    let fits = super::LONGEST - " curl/8.5.0".len();
    assert_eq!((field(&through_statement(&at(fits)), "user_agent.name"), field(&through_statement(&at(fits)), "user_agent.version")), ("curl", "8.5.0"));
    assert_eq!(field(&through_statement(&at(super::LONGEST)), "user_agent.name"), "Other");
}
