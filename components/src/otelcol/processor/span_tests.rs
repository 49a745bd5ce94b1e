use super::*;
use crate::harness::{build_error, Harness, Recorder};
use crate::otelcol::processor::testing::{attrs, compiled, s, Attrs, POD_IP};
use crate::otlp::proto::trace::v1::{ResourceSpans, ScopeSpans};
use crate::otlp::Traces;

fn rules(body: &str) -> Result<Rules, String> {
    compiled(REGISTRATION.name, body)
}

fn request(name: &str, span: &[(&str, V)]) -> ExportTraceServiceRequest {
    let span = ProtoSpan { name: name.to_string(), attributes: attrs(span), ..Default::default() };
    let rs = ResourceSpans { scope_spans: vec![ScopeSpans { spans: vec![span], ..Default::default() }], ..Default::default() };
    ExportTraceServiceRequest { resource_spans: vec![rs] }
}

fn only(req: &ExportTraceServiceRequest) -> &ProtoSpan {
    &req.resource_spans[0].scope_spans[0].spans[0]
}

/// Renaming: the config, the span before (name, attributes), the name and
/// attributes after.
#[test]
fn renames_as_the_collectors_span_processor_does() {
    let from = r#"name { from_attributes = ["db.svc", "operation", "id"]; separator = "::" }"#;
    let to = r#"name { to_attributes { rules = ["^/api/v1/document/(?P<documentId>.*)/update$"] } }"#;
    let two = r#"name { to_attributes { rules = ["^/(?P<a>[a-z]+)/", "/(?P<b>[0-9]+)$"]; break_after_match = BREAK } }"#;
    let db = [("db.svc", s("location")), ("operation", s("get")), ("id", V::IntValue(1234))];
    #[rustfmt::skip]
    let cases: Vec<(String, &str, Attrs, &str, Attrs)> = vec![
        (from.into(), "serviceA", db.to_vec(), "location::get::1234", db.to_vec()),
        (from.into(), "serviceA", db[..2].to_vec(), "serviceA", db[..2].to_vec()),
        (to.into(), "/api/v1/document/12345678/update", vec![], "/api/v1/document/{documentId}/update", vec![("documentId", s("12345678"))]),
        (to.into(), "/api/v2/other", vec![], "/api/v2/other", vec![]),
        (two.replace("BREAK", "false"), "/shop/42", vec![], "/{a}/{b}", vec![("a", s("shop")), ("b", s("42"))]),
        (two.replace("BREAK", "true"), "/shop/42", vec![], "/{a}/42", vec![("a", s("shop"))]),
        (to.replace("] }", "]; keep_original_name = true }"), "/api/v1/document/9/update", vec![], "/api/v1/document/9/update", vec![("documentId", s("9"))]),
    ];
    for (config, name, before, want_name, want_attrs) in cases {
        let r = rules(&config.replace("; ", "\n")).unwrap_or_else(|e| panic!("{config}: {e}"));
        let mut req = request(name, &before);
        let changed = r.traces(&mut req);
        assert_eq!((only(&req).name.as_str(), &only(&req).attributes), (want_name, &attrs(&want_attrs)), "{config} on {name}");
        assert_eq!(changed, name != want_name || before != want_attrs, "{config} on {name}");
    }
}

#[test]
fn sets_status_for_the_spans_include_admits() {
    let r = rules("status {\ncode = \"Error\"\ndescription = \"boom\"\n}\ninclude {\nmatch_type = \"regexp\"\nspan_names = [\"^db\"]\n}").unwrap();
    let mut hit = request("db query", &[]);
    assert!(r.traces(&mut hit));
    assert_eq!(only(&hit).status, Some(Status { code: StatusCode::Error as i32, message: "boom".into() }));
    let mut miss = request("http get", &[]);
    assert!(!r.traces(&mut miss));
    assert_eq!(only(&miss).status, None);
}

#[test]
fn refuses_a_description_without_error_and_unnamed_groups() {
    let scope = Recorder::new().scope("sink");
    let out = "output { traces = [sink] }";
    assert!(
        build_error(&REGISTRATION, &format!("status {{\ncode = \"Ok\"\ndescription = \"x\"\n}}\n{out}"), &scope).contains("only be set when code is \"Error\"")
    );
    assert!(build_error(&REGISTRATION, &format!("status {{\ncode = \"Fine\"\n}}\n{out}"), &scope).contains("\"Fine\" is not one of"));
    assert!(build_error(&REGISTRATION, &format!("name {{\nto_attributes {{\nrules = [\"^(.*)$\"]\n}}\n}}\n{out}"), &scope).contains("named subexpressions"));
}

#[tokio::test]
async fn renames_on_the_way_through() {
    let rec = Recorder::new();
    let h = Harness::start(&REGISTRATION, "name {\nfrom_attributes = [\"op\"]\n}\noutput { traces = [sink] }", &rec.scope("sink")).unwrap();
    h.input().0.consume_traces(Traces::from_message(request("x", &[("op", s("checkout"))])).with_peer(POD_IP)).await.unwrap();
    let got = rec.traces();
    assert_eq!(only(&got[0].decode().unwrap()).name, "checkout");
    assert_eq!(got[0].peer(), POD_IP, "a renamed span is still from the client that sent it");
    let err = h.input().0.consume_metrics(crate::harness::metrics(1)).await.unwrap_err();
    assert!(err.message.contains("does not accept metrics"), "{}", err.message);
    h.stop().await;
}
