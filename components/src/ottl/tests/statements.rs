//! Real statements and conditions, compiled by the language core with the
//! whole function table, run by the drivers over OTLP requests: the three
//! layers meeting as the processors use them.

use solder_syntax::ottl::{funcs, Conditions, ErrorMode, Statements, Value};

use super::{kv, sv};
use crate::otlp::proto::common::v1::any_value::Value as V;
use crate::otlp::proto::resource::v1::Resource;
use crate::otlp::proto::trace::v1::{ResourceSpans, ScopeSpans, Span};
use crate::otlp::proto::ExportTraceServiceRequest;
use crate::ottl::value::to_value;
use crate::ottl::*;

fn request(names: &[&str]) -> ExportTraceServiceRequest {
    let spans = names
        .iter()
        .map(|n| Span { name: n.to_string(), trace_id: vec![1; 16], span_id: vec![2; 8], attributes: vec![kv("http.route", sv(n))], ..Default::default() })
        .collect();
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource { attributes: vec![kv("service.name", sv("shop"))], ..Default::default() }),
            scope_spans: vec![ScopeSpans { spans, ..Default::default() }],
            ..Default::default()
        }],
    }
}

fn spans(req: &ExportTraceServiceRequest) -> Vec<&Span> {
    req.resource_spans.iter().flat_map(|r| &r.scope_spans).flat_map(|s| &s.spans).collect()
}

fn attribute(span: &Span, key: &str) -> Option<Value> {
    span.attributes.iter().find(|a| a.key == key).map(|a| to_value(a.value.as_ref().and_then(|v| v.value.as_ref())))
}

#[test]
fn statements_rename_spans_and_set_resource_attributes() {
    let groups = [
        Group {
            schema: &RESOURCE,
            statements: Statements::compile(&RESOURCE, funcs::table(), &[r#"set(attributes["deployment.environment"], "prod")"#]).unwrap(),
        },
        Group {
            schema: &SPAN,
            statements: Statements::compile(
                &SPAN,
                funcs::table(),
                &[
                    r#"replace_pattern(name, "/users/[0-9]+", "/users/{id}")"#,
                    r#"set(attributes["service"], resource.attributes["service.name"])"#,
                    r#"set(status.code, STATUS_CODE_ERROR) where IsMatch(name, "^POST")"#,
                    r#"set(attributes["route.hash"], SHA256(attributes["http.route"])) where Len(name) > 20"#,
                ],
            )
            .unwrap(),
        },
    ];
    let mut req = request(&["GET /users/123", "GET /users/456", "POST /orders/checkout/now"]);
    let mut errors = Vec::new();
    transform_traces(&groups, &mut req, ErrorMode::Propagate, &mut errors).unwrap();
    assert!(errors.is_empty(), "{errors:?}");
    let s = spans(&req);
    assert_eq!(s[0].name, "GET /users/{id}");
    assert_eq!(s[1].name, "GET /users/{id}");
    assert_eq!(attribute(s[0], "service"), Some(Value::str("shop")));
    assert_eq!(s[2].status.as_ref().map(|st| st.code), Some(2));
    assert_eq!(s[0].status.as_ref().map(|st| st.code).unwrap_or(0), 0);
    assert!(matches!(attribute(s[2], "route.hash"), Some(Value::Str(h)) if h.len() == 64));
    assert_eq!(attribute(s[0], "route.hash"), None);
    let resource = req.resource_spans[0].resource.as_ref().unwrap();
    assert!(resource
        .attributes
        .iter()
        .any(|a| a.key == "deployment.environment" && a.value.as_ref().and_then(|v| v.value.as_ref()) == Some(&V::StringValue("prod".into()))));
}

#[test]
fn a_condition_drops_health_checks_and_counts_them() {
    let span = Conditions::compile(&SPAN, funcs::table(), &[r#"attributes["http.route"] == "/healthz""#, r#"IsMatch(name, "^GET /ready")"#]).unwrap();
    let none = Conditions::compile(&SPANEVENT, funcs::table(), &[]).unwrap();
    let mut req = request(&["/healthz", "GET /users/1", "GET /ready", "/healthz"]);
    let filtered = filter_traces(&span, &none, &mut req, ErrorMode::Propagate, &mut Vec::new()).unwrap();
    assert_eq!(filtered.spans, 3);
    let names: Vec<&str> = spans(&req).iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["GET /users/1"]);
}

#[test]
fn an_error_is_skipped_in_ignore_mode_and_refuses_in_propagate_mode() {
    // Int() of a string that is no number is an error at run time.
    let statements = Statements::compile(&SPAN, funcs::table(), &[r#"set(attributes["n"], Int(name) + 1)"#, r#"set(attributes["after"], true)"#]).unwrap();
    let groups = [Group { schema: &SPAN, statements }];
    let mut req = request(&["not a number"]);
    let mut errors = Vec::new();
    transform_traces(&groups, &mut req, ErrorMode::Ignore, &mut errors).unwrap();
    assert_eq!(attribute(spans(&req)[0], "after"), Some(Value::Bool(true)), "the next statement still ran");
    let mut req = request(&["not a number"]);
    let outcome = transform_traces(&groups, &mut req, ErrorMode::Propagate, &mut Vec::new());
    assert!(outcome.is_err(), "{outcome:?}");
}
