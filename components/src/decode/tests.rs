use serde::Deserialize;
use solder_syntax::ast::Stmt;
use solder_syntax::value::{Capsule, Value};
use solder_syntax::{Evaluator, Scope};

use super::decode;
use crate::body;
use crate::types::{Duration, Handle, Secret};

#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
struct Args {
    timeout: Duration,
    #[serde(default = "default_size")]
    send_batch_size: u32,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    client: Option<Client>,
    #[serde(default)]
    dimension: Vec<Dimension>,
    #[serde(default)]
    verbosity: Verbosity,
}

fn default_size() -> u32 {
    2000
}

#[derive(Debug, Deserialize, PartialEq)]
struct Client {
    endpoint: String,
    #[serde(default)]
    headers: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Deserialize, PartialEq)]
struct Dimension {
    name: String,
    default: Option<String>,
}

#[derive(Debug, Deserialize, PartialEq, Default)]
#[serde(rename_all = "lowercase")]
enum Verbosity {
    #[default]
    Basic,
    Normal,
    Detailed,
}

/// Decodes the body of the first block in `src`; the error, if any, as
/// `line:col: message`.
fn run<T: for<'de> Deserialize<'de>>(src: &str, scope: &Scope) -> Result<T, String> {
    let file = solder_syntax::parse(src).map_err(|d| format!("parse: {d:?}"))?;
    let Some(Stmt::Block(block)) = file.body.first() else { panic!("no block") };
    let mut ev = Evaluator::new(src, scope);
    let body = body::evaluate(&mut ev, &block.body, block.name_span()).map_err(|d| format!("eval: {}", d[0].message))?;
    decode::<T>(&body).map_err(|d| {
        let f = solder_syntax::SourceFile::new("t", src);
        let (l, c) = f.line_col(d.span.start);
        format!("{l}:{c}: {}", d.message)
    })
}

fn args(src: &str) -> Result<Args, String> {
    run::<Args>(src, &Scope::new())
}

#[test]
fn decodes_attributes_blocks_and_defaults() {
    let a = args(
        r#"c "x" {
	timeout = "1m30s"
	tags    = ["a", "b"]
	client {
		endpoint = "localhost:4317"
		headers  = { "X-Scope-OrgID" = "tenant" }
	}
	dimension { name = "http.method" }
	dimension {
		name    = "http.status_code"
		default = "200"
	}
	verbosity = "detailed"
}"#,
    )
    .unwrap();
    assert_eq!(a.timeout.0, std::time::Duration::from_secs(90));
    assert_eq!(a.send_batch_size, 2000);
    assert_eq!(a.tags, ["a", "b"]);
    let client = a.client.unwrap();
    assert_eq!(client.endpoint, "localhost:4317");
    assert_eq!(client.headers["X-Scope-OrgID"], "tenant");
    assert_eq!(a.dimension.len(), 2);
    assert_eq!(a.dimension[1].default.as_deref(), Some("200"));
    assert_eq!(a.verbosity, Verbosity::Detailed);
}

#[test]
fn alloy_wording_for_every_mistake() {
    let cases = [
        ("c \"x\" {\n}", r#"1:1: missing required attribute "timeout""#),
        ("c \"x\" {\n\ttimeout = \"1s\"\n\tbogus = 1\n}", r#"3:2: unrecognized attribute name "bogus""#),
        ("c \"x\" {\n\ttimeout = \"1s\"\n\tclinet { }\n}", r#"3:2: unrecognized block name "clinet""#),
        ("c \"x\" {\n\ttimeout = \"1s\"\n\ttimeout = \"2s\"\n}", r#"3:2: attribute "timeout" may only be provided once"#),
        ("c \"x\" {\n\ttimeout = \"1s\"\n\tclient = { endpoint = \"a\" }\n}", r#"3:11: "client" must be a block, but is used as an attribute"#),
        ("c \"x\" {\n\ttimeout { }\n}", r#"2:2: "timeout" must be an attribute, but is used as a block"#),
        ("c \"x\" {\n\ttimeout = \"1s\"\n\tsend_batch_size = \"many\"\n}", r#"3:20: "send_batch_size" should be number, got string"#),
        ("c \"x\" {\n\ttimeout = \"1s\"\n\tsend_batch_size = -1\n}", r#"3:20: "send_batch_size": -1 is out of range"#),
        ("c \"x\" {\n\ttimeout = \"1s\"\n\tsend_batch_size = 1.5\n}", r#"3:20: "send_batch_size" should be a whole number, got 1.5"#),
        ("c \"x\" {\n\ttimeout = \"soon\"\n}", r#"2:12: invalid duration "soon": expected a number and a unit, such as "200ms", "5s" or "1m30s""#),
        ("c \"x\" {\n\ttimeout = \"1s\"\n\tverbosity = \"loud\"\n}", r#"3:14: invalid value "loud", expected one of "basic", "normal", "detailed""#),
        ("c \"x\" {\n\ttimeout = \"1s\"\n\tclient { }\n\tclient { }\n}", r#"4:2: block "client" may only be provided once"#),
        ("c \"x\" {\n\ttimeout = \"1s\"\n\tclient { }\n}", r#"3:2: missing required attribute "endpoint""#),
    ];
    for (src, want) in cases {
        assert_eq!(args(src).unwrap_err(), want, "for:\n{src}");
    }
}

#[test]
fn did_you_mean_for_unknown_names() {
    let src = "c \"x\" {\n\ttimeout = \"1s\"\n\tsend_batch_sise = 1\n}";
    let file = solder_syntax::parse(src).unwrap();
    let Some(Stmt::Block(block)) = file.body.first() else { panic!() };
    let scope = Scope::new();
    let mut ev = Evaluator::new(src, &scope);
    let body = body::evaluate(&mut ev, &block.body, block.name_span()).unwrap();
    let d = decode::<Args>(&body).unwrap_err();
    assert_eq!(d.help.as_deref(), Some(r#"did you mean "send_batch_size"?"#));
}

#[test]
fn secrets_decode_without_turning_into_strings() {
    #[derive(Deserialize)]
    struct S {
        password: Secret,
        user: String,
    }
    let scope = Scope::new().with("pw", Value::Secret(solder_syntax::value::Secret::new("hunter2")));
    let s: S = run("c \"x\" {\n\tpassword = pw\n\tuser = \"me\"\n}", &scope).unwrap();
    assert_eq!((s.password.0.expose(), s.user.as_str()), ("hunter2", "me"));
    assert_eq!(format!("{:?}", s.password), "(secret)");
    // A secret where a plain string is expected is refused.
    let err = run::<S>("c \"x\" {\n\tpassword = pw\n\tuser = pw\n}", &scope).err().unwrap();
    assert_eq!(err, r#"3:9: "user" should be string, got secret"#);
}

#[test]
fn capsules_pass_through_intact() {
    #[derive(Debug, PartialEq)]
    struct Consumer(u32);
    #[derive(Deserialize)]
    struct Out {
        traces: Vec<Handle<Consumer>>,
    }
    let scope = Scope::new().with("input", Value::Capsule(Capsule::new("otelcol.Consumer", Consumer(7))));
    let out: Out = run("c \"x\" {\n\ttraces = [input, input]\n}", &scope).unwrap();
    assert_eq!(out.traces.len(), 2);
    assert_eq!(out.traces[0].get(), Some(&Consumer(7)));
    let err = run::<Out>("c \"x\" {\n\ttraces = [\"nope\"]\n}", &Scope::new()).err().unwrap();
    assert_eq!(err, r#"2:11: "traces" should be capsule, got string"#);
}

#[test]
fn go_durations() {
    let ms = |s: &str| Duration::parse(s).map(|d| d.0.as_nanos());
    assert_eq!(ms("200ms"), Ok(200_000_000));
    assert_eq!(ms("1.5h"), Ok(5_400_000_000_000));
    assert_eq!(ms("1m30s"), Ok(90_000_000_000));
    assert_eq!(ms("10us"), Ok(10_000));
    assert_eq!(ms("0"), Ok(0));
    for bad in ["", "5", "-1s", "1d", "ms", "1.2.3s"] {
        assert!(Duration::parse(bad).is_err(), "{bad} should be rejected");
    }
    assert_eq!(Duration::parse("1500ms").unwrap().to_string(), "1500ms");
    assert_eq!(Duration::parse("2m").unwrap().to_string(), "120s");
}
