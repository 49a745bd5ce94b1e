//! CORS over real HTTP: what a browser's preflight and actual requests get.

use reqwest::StatusCode;

use super::{traces, Receiver, TO_SINK};

const CORS: &str = "cors {\n  allowed_origins = [\"https://shop.example.com\", \"https://*.apps.example.com\"]\n  allowed_headers = [\"X-Tenant\"]\n  exposed_headers = [\"Retry-After\"]\n  max_age = 600\n }";

async fn receiver(cors: &str) -> Receiver {
    Receiver::start("otelcol.receiver.otlp.cors", &format!("http {{\n endpoint = \"127.0.0.1:0\"\n {cors}\n}}\n{TO_SINK}")).await
}

fn url(h: &Receiver) -> String {
    format!("http://{}/v1/traces", h.addr("http").expect("http listener"))
}

async fn preflight(h: &Receiver, origin: &str, method: &str, headers: &str) -> reqwest::Response {
    let mut req = reqwest::Client::new().request(reqwest::Method::OPTIONS, url(h)).header("origin", origin).header("access-control-request-method", method);
    if !headers.is_empty() {
        req = req.header("access-control-request-headers", headers);
    }
    req.send().await.expect("answered")
}

fn header<'a>(r: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    r.headers().get(name).and_then(|v| v.to_str().ok())
}

#[tokio::test]
async fn a_preflight_from_an_allowed_origin_is_answered_with_what_it_may_send() {
    let h = receiver(CORS).await;
    let r = preflight(&h, "https://shop.example.com", "POST", "content-type, x-tenant").await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(header(&r, "access-control-allow-origin"), Some("https://shop.example.com"));
    assert_eq!(header(&r, "access-control-allow-methods"), Some("POST"));
    assert_eq!(header(&r, "access-control-allow-headers"), Some("content-type, x-tenant"));
    assert_eq!(header(&r, "access-control-max-age"), Some("600"));
    let r = preflight(&h, "https://checkout.apps.example.com", "POST", "").await;
    assert_eq!(header(&r, "access-control-allow-origin"), Some("https://checkout.apps.example.com"), "a wildcard origin");
}

#[tokio::test]
async fn a_preflight_that_is_not_allowed_gets_no_cors_headers() {
    let h = receiver(CORS).await;
    for (origin, method, headers) in [
        ("https://evil.example.net", "POST", ""),
        ("https://apps.example.com", "POST", ""),
        ("https://shop.example.com", "PUT", ""),
        ("https://shop.example.com", "POST", "x-secret"),
    ] {
        let r = preflight(&h, origin, method, headers).await;
        assert_eq!(r.status(), StatusCode::NO_CONTENT, "{origin} {method} {headers}");
        assert_eq!(header(&r, "access-control-allow-origin"), None, "{origin} {method} {headers}");
    }
}

#[tokio::test]
async fn an_actual_request_from_an_allowed_origin_is_delivered_and_readable() {
    let h = receiver(CORS).await;
    let body = traces();
    let send = |origin: &'static str| {
        reqwest::Client::new().post(url(&h)).header("content-type", "application/x-protobuf").header("origin", origin).body(body.clone()).send()
    };
    let r = send("https://shop.example.com").await.expect("answered");
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(header(&r, "access-control-allow-origin"), Some("https://shop.example.com"));
    assert_eq!(header(&r, "access-control-expose-headers"), Some("Retry-After"));
    assert_eq!(header(&r, "vary"), Some("Origin"));
    let r = send("https://evil.example.net").await.expect("answered");
    assert_eq!(r.status(), StatusCode::OK, "CORS is the browser's to enforce; the server still answers");
    assert_eq!(header(&r, "access-control-allow-origin"), None);
    assert_eq!(h.count("traces", "accepted"), 4, "both requests' two spans");
}

#[tokio::test]
async fn every_origin_is_star_and_without_cors_options_is_refused() {
    let h = receiver("cors {\n  allowed_origins = [\"*\"]\n }").await;
    let r = preflight(&h, "https://anywhere.example", "POST", "content-type").await;
    assert_eq!(header(&r, "access-control-allow-origin"), Some("*"));
    assert_eq!(header(&r, "access-control-allow-headers"), Some("content-type"), "content-type is always allowed");
    let h = receiver("").await;
    let r = preflight(&h, "https://shop.example.com", "POST", "").await;
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[test]
fn an_origin_pattern_with_two_wildcards_is_refused() {
    let err =
        Receiver::build("otelcol.receiver.otlp.cors", &format!("http {{\n cors {{\n  allowed_origins = [\"https://*.*.example.com\"]\n }}\n}}\n{TO_SINK}"))
            .err()
            .unwrap_or_default();
    assert!(err.contains("more than one \"*\""), "{err}");
}
