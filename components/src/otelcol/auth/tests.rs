//! The three auth kinds, decoded from config text as users write them,
//! checked through the handler receivers and exporters use.

use hyper::http::header::{HeaderMap, HeaderValue, AUTHORIZATION};
use solder_syntax::{Scope, Value};

use super::{basic, bearer, headers, AuthHandler};
use crate::component::Registration;
use crate::harness::{build_error, Harness};

fn handler(h: &Harness) -> AuthHandler {
    let Value::Object(exports) = h.exports() else { panic!("exports are not an object") };
    let Some(Value::Capsule(c)) = exports.get("handler") else { panic!("no handler capsule") };
    c.downcast::<AuthHandler>().cloned().expect("handler holds an AuthHandler")
}

fn build(reg: &Registration, args: &str) -> (Harness, AuthHandler) {
    let h = Harness::build(reg, args, &Scope::new()).unwrap_or_else(|d| panic!("{}", d.message));
    let a = handler(&h);
    (h, a)
}

fn sent(a: &AuthHandler, start: &[(&'static str, &'static str)]) -> HeaderMap {
    let mut m = HeaderMap::new();
    for (k, v) in start {
        m.insert(*k, HeaderValue::from_static(v));
    }
    a.apply(&mut m);
    m
}

fn with(name: &'static str, value: &str) -> HeaderMap {
    let mut m = HeaderMap::new();
    m.insert(name, HeaderValue::from_str(value).unwrap());
    m
}

fn basic_header(user: &str, password: &str) -> HeaderMap {
    use base64::Engine;
    with("authorization", &format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))))
}

#[test]
fn basic_client_auth_sends_credentials_and_checks_nothing() {
    let (_h, a) = build(
        &basic::REGISTRATION,
        r#"client_auth {
username = "user"
password = "pass"
}"#,
    );
    // base64("user:pass")
    assert_eq!(sent(&a, &[])[AUTHORIZATION], "Basic dXNlcjpwYXNz");
    assert!(sent(&a, &[])[AUTHORIZATION].is_sensitive());
    assert!(a.check_server().is_err());
    assert!(a.authenticate(&basic_header("user", "pass")).is_err(), "a handler with no server side refuses everything");
}

#[test]
fn basic_htpasswd_accepts_only_listed_users() {
    // {SHA} of "secret", as `htpasswd -s` writes it.
    let (_h, a) = build(&basic::REGISTRATION, "htpasswd { inline = \"alice:wonder\\nbob:{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=\" }");
    assert!(a.authenticate(&basic_header("alice", "wonder")).is_ok());
    assert!(a.authenticate(&basic_header("bob", "secret")).is_ok());
    assert!(a.authenticate(&basic_header("alice", "wonder!")).is_err());
    assert!(a.authenticate(&basic_header("alice", "secret")).is_err());
    assert!(a.authenticate(&basic_header("carol", "wonder")).is_err());
    assert!(a.authenticate(&HeaderMap::new()).is_err());
    assert!(a.authenticate(&with("authorization", "Bearer wonder")).is_err());
    let refused = a.authenticate(&HeaderMap::new()).unwrap_err();
    assert!(refused.challenge.starts_with("Basic"));
    assert!(a.check_client().is_err());
}

#[test]
fn basic_htpasswd_file_and_inline_merge_with_inline_winning() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("htpasswd");
    std::fs::write(&file, "alice:old\ndave:file\n").unwrap();
    let args = format!("htpasswd {{\n file = {:?}\n inline = \"alice:new\"\n}}", file.display().to_string());
    let (_h, a) = build(&basic::REGISTRATION, &args);
    assert!(a.authenticate(&basic_header("alice", "new")).is_ok());
    assert!(a.authenticate(&basic_header("alice", "old")).is_err());
    assert!(a.authenticate(&basic_header("dave", "file")).is_ok());
}

#[test]
fn basic_deprecated_attributes_work_on_both_sides() {
    let (_h, a) = build(
        &basic::REGISTRATION,
        r#"username = "user"
password = "pass""#,
    );
    assert_eq!(sent(&a, &[])[AUTHORIZATION], "Basic dXNlcjpwYXNz");
    assert!(a.authenticate(&basic_header("user", "pass")).is_ok());
    assert!(a.authenticate(&basic_header("user", "nope")).is_err());
}

#[test]
fn basic_refuses_what_cannot_work() {
    let s = Scope::new();
    assert!(build_error(&basic::REGISTRATION, "", &s).contains("nothing to authenticate with"));
    assert!(build_error(&basic::REGISTRATION, r#"username = "u""#, &s).contains("together"));
    assert!(build_error(&basic::REGISTRATION, r#"htpasswd { inline = "u:$2y$05$abc" }"#, &s).contains("bcrypt"));
    assert!(build_error(&basic::REGISTRATION, r#"htpasswd { file = "/nonexistent/htpasswd" }"#, &s).contains("cannot read"));
}

#[test]
fn bearer_sends_and_checks_scheme_and_token() {
    let (_h, a) = build(&bearer::REGISTRATION, r#"token = "t0k""#);
    assert_eq!(sent(&a, &[])[AUTHORIZATION], "Bearer t0k");
    assert!(a.authenticate(&with("authorization", "Bearer t0k")).is_ok());
    assert!(a.authenticate(&with("authorization", "Bearer t0kk")).is_err());
    assert!(a.authenticate(&with("authorization", "t0k")).is_err());
    assert!(a.authenticate(&HeaderMap::new()).is_err());

    let (_h, a) = build(
        &bearer::REGISTRATION,
        r#"token = "t0k"
scheme = ""
header = "x-api-key""#,
    );
    assert_eq!(sent(&a, &[])["x-api-key"], "t0k");
    assert!(sent(&a, &[]).get(AUTHORIZATION).is_none());
    assert!(a.authenticate(&with("x-api-key", "t0k")).is_ok());
}

#[test]
fn headers_apply_each_action() {
    let (_h, a) = build(
        &headers::REGISTRATION,
        r#"header {
key = "x-ins"
value = "new"
action = "insert"
}
header {
key = "x-upd"
value = "new"
action = "update"
}
header {
key = "x-ups"
value = "new"
}
header {
key = "x-del"
action = "delete"
}"#,
    );
    let empty = sent(&a, &[]);
    assert_eq!(empty["x-ins"], "new");
    assert!(empty.get("x-upd").is_none(), "update sets only a header already there");
    assert_eq!(empty["x-ups"], "new");
    let full = sent(&a, &[("x-ins", "old"), ("x-upd", "old"), ("x-ups", "old"), ("x-del", "old")]);
    assert_eq!(full["x-ins"], "old", "insert keeps a header already there");
    assert_eq!(full["x-upd"], "new");
    assert_eq!(full["x-ups"], "new");
    assert!(full.get("x-del").is_none());
    assert!(a.check_server().is_err());
}

#[test]
fn headers_refuse_from_context_and_missing_values() {
    let s = Scope::new();
    assert!(build_error(
        &headers::REGISTRATION,
        r#"header {
key = "x-tenant"
from_context = "tenant"
}"#,
        &s
    )
    .contains("from_context is not supported"));
    assert!(build_error(&headers::REGISTRATION, r#"header { key = "x-tenant" }"#, &s).contains("value"));
}

#[test]
fn an_update_changes_the_credentials_behind_an_existing_handler() {
    let (h, a) = build(&bearer::REGISTRATION, r#"token = "one""#);
    h.update(r#"token = "two""#).unwrap();
    assert_eq!(sent(&a, &[])[AUTHORIZATION], "Bearer two");
    assert!(a.authenticate(&with("authorization", "Bearer one")).is_err());
}
