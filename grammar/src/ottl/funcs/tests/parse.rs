use super::super::super::value::Value;
use super::super::testing::{compile, conv, map, run_opt, s, strs};

#[test]
fn parse_json_documented_examples() {
    assert_eq!(conv("ParseJSON", vec![s("{\"attr\":true}")]), Ok(map(&[("attr", Value::Bool(true))])));
    assert_eq!(conv("ParseJSON", vec![s("[\"attr1\",\"attr2\"]")]), Ok(strs(&["attr1", "attr2"])));
    // Numbers are doubles; key order is the document's; null is nil.
    let out = conv("ParseJSON", vec![s("{\"z\":1,\"a\":{\"n\":null,\"l\":[2.5]}}")]);
    let want = map(&[("z", Value::Double(1.0)), ("a", map(&[("n", Value::Nil), ("l", Value::List(vec![Value::Double(2.5)]))]))]);
    assert_eq!(out, Ok(want));
    assert!(conv("ParseJSON", vec![s("{bad")]).is_err());
    assert!(conv("ParseJSON", vec![s("1")]).is_err());
    assert!(conv("ParseJSON", vec![Value::Nil]).is_err());
}

#[test]
fn extract_patterns_named_groups() {
    let out = conv("ExtractPatterns", vec![s("change GIT_SHA=abc123 done"), s("GIT_SHA=(?P<git.sha>\\w+)")]);
    assert_eq!(out, Ok(map(&[("git.sha", s("abc123"))])));
    let syslog = "^(?P<timestamp>\\w+ \\w+ [0-9]+:[0-9]+:[0-9]+) (?P<hostname>([A-Za-z0-9-_]+)) (?P<process>\\w+)(\\[(?P<pid>\\d+)\\])?: (?P<message>.*)$";
    let out = conv("ExtractPatterns", vec![s("Mar 10 12:00:01 host-1 sshd: hello"), s(syslog)]).unwrap();
    assert_eq!(out.map_get("hostname"), Some(&s("host-1")));
    assert_eq!(out.map_get("pid"), Some(&s("")), "an unmatched optional group is empty");
    assert_eq!(out.map_get("message"), Some(&s("hello")));
    assert_eq!(conv("ExtractPatterns", vec![s("nothing"), s("x(?P<a>y)")]), Ok(map(&[])));
    assert_eq!(compile("ExtractPatterns", &[None, Some(s("(a)"))]).err().unwrap().0, 1);
    assert!(conv("ExtractPatterns", vec![Value::Int(1), s("(?P<a>1)")]).is_err());
}

#[test]
fn url_documented_examples() {
    let out = conv("URL", vec![s("http://www.example.com")]);
    let want = map(&[("url.original", s("http://www.example.com")), ("url.scheme", s("http")), ("url.domain", s("www.example.com")), ("url.path", s(""))]);
    assert_eq!(out, Ok(want));
    let full = "http://myusername:mypassword@www.example.com:80/foo.gif?key1=val1&key2=val2#fragment";
    let out = conv("URL", vec![s(full)]).unwrap();
    for (k, v) in [
        ("url.path", s("/foo.gif")),
        ("url.fragment", s("fragment")),
        ("url.extension", s("gif")),
        ("url.password", s("mypassword")),
        ("url.original", s(full)),
        ("url.scheme", s("http")),
        ("url.port", Value::Int(80)),
        ("url.user_info", s("myusername:mypassword")),
        ("url.domain", s("www.example.com")),
        ("url.query", s("key1=val1&key2=val2")),
        ("url.username", s("myusername")),
    ] {
        assert_eq!(out.map_get(k), Some(&v), "{k}");
    }
    let Value::Map(m) = &out else { panic!() };
    assert_eq!(m.len(), 11);
    assert!(conv("URL", vec![s("http://host:port/")]).is_err());
    assert!(conv("URL", vec![s("")]).is_err());
    let out = conv("URL", vec![s("https://u:@h/a.b/c")]).unwrap();
    assert_eq!(out.map_get("url.password"), Some(&s("")), "a password that is set but empty");
    assert_eq!(out.map_get("url.extension"), Some(&s("b/c")), "after the last '.' of the path, as the Collector");
    assert!(conv("URL", vec![s("http://host/%zz")]).is_err());
    assert!(conv("URL", vec![s("http://host/%é")]).is_err(), "found by the robustness test: a bad escape before a multi-byte character");
}

#[test]
fn parse_key_value_documented_examples() {
    let kv = map(&[("k1", s("v1")), ("k2", s("v2")), ("k3", s("v3"))]);
    assert_eq!(conv("ParseKeyValue", vec![s("k1=v1 k2=v2 k3=v3")]), Ok(kv.clone()));
    assert_eq!(conv("ParseKeyValue", vec![s("k1!v1_k2!v2_k3!v3"), s("!"), s("_")]), Ok(kv));
    assert_eq!(conv("ParseKeyValue", vec![s("a=\"b c\" d=e")]), Ok(map(&[("a", s("b c")), ("d", s("e"))])));
    assert!(conv("ParseKeyValue", vec![s("novalue")]).is_err());
    assert_eq!(conv("ParseKeyValue", vec![s("  a=1   b='x=y' ")]), Ok(map(&[("a", s("1")), ("b", s("x=y"))])));
    assert!(conv("ParseKeyValue", vec![s("a=\"open")]).is_err());
    assert!(conv("ParseKeyValue", vec![s("")]).is_err());
    let (out, _) = run_opt("ParseKeyValue", vec![Some(s("a:1,b:2")), Some(s(":")), Some(s(","))]);
    assert_eq!(out, Ok(map(&[("a", s("1")), ("b", s("2"))])));
}

#[test]
fn base64_decoders() {
    assert_eq!(conv("Base64Decode", vec![s("aGVsbG8gd29ybGQ=")]), Ok(s("hello world")));
    assert_eq!(conv("Decode", vec![s("aGVsbG8gd29ybGQ="), s("base64")]), Ok(s("hello world")));
    assert_eq!(conv("Decode", vec![s("aGVsbG8gd29ybGQ"), s("base64-raw")]), Ok(s("hello world")));
    assert!(conv("Base64Decode", vec![s("!!")]).is_err());
    assert!(compile("Decode", &[None, Some(s("ebcdic"))]).is_err());
}
