use super::*;
use crate::harness::{build_error, Answer, Harness, Recorder};
use crate::otelcol::processor::testing::{attrs, compiled, s, Attrs, POD_IP};
use crate::otlp::proto::common::v1::any_value::Value as V;
use crate::otlp::proto::resource::v1::Resource;
use crate::otlp::proto::trace::v1::{ResourceSpans, ScopeSpans, Span};
use crate::otlp::Traces;

fn rules(body: &str) -> Result<Rules, String> {
    compiled(REGISTRATION.name, body)
}

/// One span with these attributes under a resource with these.
fn request(resource: &[(&str, V)], name: &str, kind: i32, span: &[(&str, V)]) -> ExportTraceServiceRequest {
    let span = Span { name: name.to_string(), kind, attributes: attrs(span), ..Default::default() };
    let rs = ResourceSpans {
        resource: Some(Resource { attributes: attrs(resource), ..Default::default() }),
        scope_spans: vec![ScopeSpans { spans: vec![span], ..Default::default() }],
        ..Default::default()
    };
    ExportTraceServiceRequest { resource_spans: vec![rs] }
}

fn span_attrs(req: &ExportTraceServiceRequest) -> Vec<KeyValue> {
    req.resource_spans[0].scope_spans[0].spans[0].attributes.clone()
}

/// Each action on a span: the config, the attributes before, after.
#[test]
fn actions_edit_attributes_as_the_collector_does() {
    let hash_email = "ff8d9819fc0e12bf0d24892e45987e249a28dce836a85cad60e28eaaa8c6d976";
    let hash_42 = "ed049108bc18f2c64369e8d0ea42850bdd1a7d1dd340cfde716315579702a76c";
    #[rustfmt::skip]
    let cases: Vec<(&str, Attrs, Attrs)> = vec![
        (r#"key = "env"; value = "prod"; action = "insert""#, vec![], vec![("env", s("prod"))]),
        (r#"key = "env"; value = "prod"; action = "insert""#, vec![("env", s("dev"))], vec![("env", s("dev"))]),
        (r#"key = "env"; value = "prod"; action = "update""#, vec![("env", s("dev"))], vec![("env", s("prod"))]),
        (r#"key = "env"; value = "prod"; action = "update""#, vec![], vec![]),
        (r#"key = "env"; value = 2245; action = "upsert""#, vec![], vec![("env", V::IntValue(2245))]),
        (r#"key = "env"; value = true; action = "upsert""#, vec![("env", s("dev"))], vec![("env", V::BoolValue(true))]),
        (r#"key = "copy"; from_attribute = "orig"; action = "upsert""#, vec![("orig", s("x"))], vec![("orig", s("x")), ("copy", s("x"))]),
        (r#"key = "copy"; from_attribute = "orig"; action = "upsert""#, vec![], vec![]),
        (r#"key = "secret"; action = "delete""#, vec![("secret", s("x")), ("keep", s("y"))], vec![("keep", s("y"))]),
        (r#"pattern = "^password\\."; action = "delete""#, vec![("password.a", s("x")), ("password.b", s("y")), ("user", s("u"))], vec![("user", s("u"))]),
        (r#"key = "email"; action = "hash""#, vec![("email", s("alice@example.com"))], vec![("email", s(hash_email))]),
        (r#"key = "n"; action = "hash""#, vec![("n", V::IntValue(42))], vec![("n", s(hash_42))]),
        (r#"key = "url"; pattern = "^(?P<scheme>[a-z]+)://(?P<host>[^/]+)"; action = "extract""#,
            vec![("url", s("https://example.com/a"))],
            vec![("url", s("https://example.com/a")), ("scheme", s("https")), ("host", s("example.com"))]),
        (r#"key = "url"; pattern = "^(?P<scheme>[a-z]+)://"; action = "extract""#, vec![("url", s("no scheme"))], vec![("url", s("no scheme"))]),
        (r#"key = "code"; converted_type = "int"; action = "convert""#, vec![("code", s("200"))], vec![("code", V::IntValue(200))]),
        (r#"key = "code"; converted_type = "int"; action = "convert""#, vec![("code", s("abc"))], vec![("code", s("abc"))]),
        (r#"key = "code"; converted_type = "double"; action = "convert""#, vec![("code", V::IntValue(3))], vec![("code", V::DoubleValue(3.0))]),
        (r#"key = "code"; converted_type = "string"; action = "convert""#, vec![("code", V::DoubleValue(1.5))], vec![("code", s("1.5"))]),
    ];
    for (action, before, after) in cases {
        let r = rules(&format!("action {{\n{}\n}}", action.replace("; ", "\n"))).unwrap_or_else(|e| panic!("{action}: {e}"));
        let mut req = request(&[], "op", 0, &before);
        let changed = r.traces(&mut req);
        assert_eq!(span_attrs(&req), attrs(&after), "{action}");
        assert_eq!(changed, before != after, "{action}: reports a change exactly when there was one");
    }
}

/// Which spans an include block lets the upsert at: block, request, admitted.
#[test]
fn include_matches_by_service_name_kind_attribute_resource_and_library() {
    let svc = |name: &str| vec![("service.name", s(name)), ("k8s.namespace.name", s("shop"))];
    #[rustfmt::skip]
    let cases: Vec<(&str, ExportTraceServiceRequest, bool)> = vec![
        (r#"match_type = "strict"; services = ["cart"]"#, request(&svc("cart"), "GET", 2, &[]), true),
        (r#"match_type = "strict"; services = ["cart"]"#, request(&svc("carts"), "GET", 2, &[]), false),
        (r#"match_type = "strict"; services = ["cart"]"#, request(&[], "GET", 2, &[]), false),
        (r#"match_type = "regexp"; services = ["^ca"]"#, request(&svc("carts"), "GET", 2, &[]), true),
        (r#"match_type = "regexp"; services = ["rt$"]"#, request(&svc("carts"), "GET", 2, &[]), false),
        (r#"match_type = "strict"; span_names = ["GET", "POST"]"#, request(&[], "POST", 2, &[]), true),
        (r#"match_type = "strict"; span_names = ["GET"]"#, request(&[], "GET /a", 2, &[]), false),
        (r#"match_type = "regexp"; span_names = ["^GET "]"#, request(&[], "GET /a", 2, &[]), true),
        (r#"match_type = "strict"; span_kinds = ["SPAN_KIND_SERVER"]"#, request(&[], "GET", 2, &[]), true),
        (r#"match_type = "strict"; span_kinds = ["SPAN_KIND_CLIENT"]"#, request(&[], "GET", 2, &[]), false),
        (r#"match_type = "strict"; attribute { key = "http.status_code"; value = 500 }"#, request(&[], "GET", 2, &[("http.status_code", V::IntValue(500))]), true),
        (r#"match_type = "strict"; attribute { key = "http.status_code"; value = 500 }"#, request(&[], "GET", 2, &[("http.status_code", s("500"))]), false),
        (r#"match_type = "strict"; attribute { key = "http.status_code" }"#, request(&[], "GET", 2, &[("http.status_code", V::IntValue(200))]), true),
        (r#"match_type = "strict"; attribute { key = "http.status_code" }"#, request(&[], "GET", 2, &[]), false),
        (r#"match_type = "regexp"; attribute { key = "http.status_code"; value = "^5" }"#, request(&[], "GET", 2, &[("http.status_code", V::IntValue(503))]), true),
        (r#"match_type = "strict"; resource { key = "k8s.namespace.name"; value = "shop" }"#, request(&svc("cart"), "GET", 2, &[]), true),
        (r#"match_type = "strict"; resource { key = "k8s.namespace.name"; value = "shop" }; resource { key = "absent" }"#, request(&svc("cart"), "GET", 2, &[]), false),
        (r#"match_type = "regexp"; resource { key = "k8s.namespace.name"; value = "^sh" }"#, request(&svc("cart"), "GET", 2, &[]), true),
        (r#"match_type = "strict"; services = ["cart"]; span_names = ["POST"]"#, request(&svc("cart"), "GET", 2, &[]), false),
    ];
    for (block, req, admitted) in cases {
        let r = rules(&format!("action {{\nkey = \"seen\"\nvalue = true\naction = \"upsert\"\n}}\ninclude {{\n{}\n}}", block.replace("; ", "\n")))
            .unwrap_or_else(|e| panic!("{block}: {e}"));
        let mut req = req;
        assert_eq!(r.traces(&mut req), admitted, "{block}");
        // The same block as `exclude` admits exactly the others.
        let r = rules(&format!("action {{\nkey = \"seen\"\nvalue = true\naction = \"upsert\"\n}}\nexclude {{\n{}\n}}", block.replace("; ", "\n")))
            .unwrap_or_else(|e| panic!("{block}: {e}"));
        let mut again = req.clone();
        again.resource_spans[0].scope_spans[0].spans[0].attributes.retain(|kv| kv.key != "seen");
        assert_eq!(r.traces(&mut again), !admitted, "exclude {block}");
    }
}

#[test]
fn refuses_what_the_collector_refuses_with_its_reason() {
    #[rustfmt::skip]
    let cases = [
        ("action {\nkey = \"a\"\nfrom_context = \"tenant\"\naction = \"insert\"\n}", "from_context is not supported"),
        ("action {\nkey = \"a\"\nvalue = 1\naction = \"rename\"\n}", "\"rename\" is not a valid action"),
        ("action {\nkey = \"a\"\naction = \"update\"\n}", "exactly one of value, from_attribute or from_context"),
        ("action {\naction = \"delete\"\n}", "missing required field \"key\" or \"pattern\""),
        ("action {\nkey = \"a\"\npattern = \"(x)\"\naction = \"extract\"\n}", "named subexpressions only"),
        ("action {\nkey = \"a\"\nconverted_type = \"bool\"\naction = \"convert\"\n}", "converted_type Some(\"bool\")"),
        ("include {\nmatch_type = \"glob\"\nservices = [\"a\"]\n}", "match_type \"glob\""),
        ("include {\nmatch_type = \"regexp\"\nservices = [\"(\"]\n}", "invalid regexp"),
        ("include {\nmatch_type = \"strict\"\n}", "must specify at least one of"),
        ("include {\nmatch_type = \"strict\"\nspan_kinds = [\"server\"]\n}", "not a span kind"),
    ];
    for (body, want) in cases {
        let err = rules(body).err().unwrap_or_else(|| panic!("{body}: accepted"));
        assert!(err.contains(want), "{body}: {err}");
    }
}

fn traces_with(span: &[(&str, V)]) -> Traces {
    Traces::from_message(request(&[("service.name", s("cart"))], "GET", 2, span))
}

#[tokio::test]
async fn edits_on_the_way_through_and_forwards_untouched_requests_as_they_came() {
    let rec = Recorder::new();
    let h = Harness::start(&REGISTRATION, "action {\nkey = \"password\"\naction = \"delete\"\n}\noutput { traces = [sink] }", &rec.scope("sink")).unwrap();
    h.input().0.consume_traces(traces_with(&[("password", s("x")), ("user", s("u"))])).await.unwrap();
    let clean = traces_with(&[("user", s("u"))]);
    h.input().0.consume_traces(clean.clone()).await.unwrap();
    let got = rec.traces();
    assert_eq!(got.len(), 2);
    assert_eq!(span_attrs(&got[0].decode().unwrap()), attrs(&[("user", s("u"))]));
    assert_eq!(got[1].bytes().as_ptr(), clean.bytes().as_ptr(), "an unchanged request goes on as its original bytes");
    h.stop().await;
}

/// A rewritten request is still the client's: k8sattributes after this
/// processor matches it to the sending pod.
#[tokio::test]
async fn a_rewritten_request_keeps_the_senders_address() {
    let rec = Recorder::new();
    let h = Harness::start(&REGISTRATION, "action {\nkey = \"password\"\naction = \"delete\"\n}\noutput { traces = [sink] }", &rec.scope("sink")).unwrap();
    h.input().0.consume_traces(traces_with(&[("password", s("x"))]).with_peer(POD_IP)).await.unwrap();
    h.input().0.consume_traces(traces_with(&[("user", s("u"))]).with_peer(POD_IP)).await.unwrap();
    let got = rec.traces();
    assert_eq!(span_attrs(&got[0].decode().unwrap()), vec![], "rewritten");
    assert_eq!(got.iter().map(Traces::peer).collect::<Vec<_>>(), [POD_IP, POD_IP]);
    h.stop().await;
}

#[tokio::test]
async fn a_downstream_refusal_goes_back_to_the_sender() {
    let rec = Recorder::new();
    rec.answer_next([Answer::Refuse(crate::consumer::ConsumeError::retryable("queue full"))]);
    let h = Harness::start(&REGISTRATION, "output { traces = [sink] }", &rec.scope("sink")).unwrap();
    let err = h.input().0.consume_traces(traces_with(&[])).await.unwrap_err();
    assert_eq!(err.message, "queue full");
    assert_eq!(err.kind, crate::consumer::ErrorKind::Retryable);
    h.stop().await;
}

#[test]
fn a_bad_action_is_a_build_error_naming_it() {
    let scope = Recorder::new().scope("sink");
    let err = build_error(&REGISTRATION, "action {\nkey = \"a\"\naction = \"nope\"\n}\noutput { traces = [sink] }", &scope);
    assert!(err.contains("action 0 (nope)"), "{err}");
}
