//! `auth` in the `grpc` and `http` blocks: a request without valid
//! credentials is refused before it is read, with UNAUTHENTICATED or 401,
//! and counted; one with them is delivered.

use base64::Engine;
use solder_syntax::{Scope, Value};
use tonic::Code;

use super::grpc::{channel, export};
use super::{received, traces, Receiver, TO_SINK};
use crate::harness::{build_error, Harness};
use crate::otelcol::auth::{basic, bearer, headers};
use crate::otlp::grpc::export_path;
use crate::otlp::Signal;

fn creds(reg: &crate::component::Registration, args: &str) -> Value {
    Harness::build(reg, args, &Scope::new()).unwrap().exports()
}

fn refused_requests(id: &str, transport: &str) -> String {
    format!("otelcol_receiver_refused_requests_total{{component_id=\"otelcol.receiver.otlp.{id}\",reason=\"unauthenticated\",transport=\"{transport}\"}}")
}

#[tokio::test]
async fn http_basic_auth_refuses_with_401_and_counts() {
    let config = format!("http {{\n endpoint = \"127.0.0.1:0\"\n auth = creds.handler\n}}\n{TO_SINK}");
    let h = Receiver::start_with("http_auth", &config, &[("creds", creds(&basic::REGISTRATION, "htpasswd { inline = \"alice:wonder\" }"))]).await;
    let url = format!("http://{}/v1/traces", h.addr("http").unwrap());
    let post = |auth: Option<&str>| {
        let mut req = reqwest::Client::new().post(&url).header("content-type", "application/x-protobuf").body(traces());
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        req.send()
    };
    let basic = |u: &str, p: &str| format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}")));

    for wrong in [None, Some(basic("alice", "nope")), Some("Bearer wonder".to_string())] {
        let r = post(wrong.as_deref()).await.unwrap();
        assert_eq!(r.status(), 401);
        assert_eq!(r.headers()["www-authenticate"], "Basic realm=\"otelcol\"");
    }
    assert!(received(&h.sink).is_empty());
    let text = crate::selfmetrics::render();
    assert!(text.contains(&format!("{} 3\n", refused_requests("http_auth", "http"))), "{text}");

    let r = post(Some(&basic("alice", "wonder"))).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(received(&h.sink).len(), 1);
    assert_eq!(h.count("traces", "accepted"), 2);
}

#[tokio::test]
async fn grpc_bearer_auth_refuses_with_unauthenticated_and_counts() {
    let config = format!("grpc {{\n endpoint = \"127.0.0.1:0\"\n auth = creds.handler\n}}\n{TO_SINK}");
    let h = Receiver::start_with("grpc_auth", &config, &[("creds", creds(&bearer::REGISTRATION, "token = \"t0k\""))]).await;
    let ch = channel(&h).await;
    let err = export(&ch, export_path(Signal::Traces), traces(), None).await.unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);
    assert!(received(&h.sink).is_empty());
    let text = crate::selfmetrics::render();
    assert!(text.contains(&format!("{} 1\n", refused_requests("grpc_auth", "grpc"))), "{text}");

    let mut client = tonic::client::Grpc::new(ch.clone());
    client.ready().await.unwrap();
    let mut request = tonic::Request::new(traces());
    request.metadata_mut().insert("authorization", "Bearer t0k".parse().unwrap());
    let path = hyper::http::uri::PathAndQuery::from_static(export_path(Signal::Traces));
    client.unary(request, path, crate::otlp::grpc::BytesCodec).await.unwrap();
    assert_eq!(received(&h.sink).len(), 1);
}

#[test]
fn a_handler_that_cannot_check_requests_is_a_config_error() {
    let scope = Scope::new().with("creds", creds(&headers::REGISTRATION, "header {\n key = \"x\"\n value = \"y\"\n}")).with("sink", Value::Null);
    let err = build_error(&super::super::REGISTRATION, "http {\n auth = creds.handler\n}\noutput { }", &scope);
    assert!(err.contains("cannot check incoming requests"), "{err}");
}
