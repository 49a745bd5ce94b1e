//! The client-credentials grant against a token endpoint on loopback:
//! what is sent, how long a token is reused, and failures.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::http::HeaderMap;

use super::*;

/// A token endpoint that hands out `t1`, `t2`, ... with `expires_in`, and
/// keeps each request's form body and Authorization header.
#[derive(Default)]
struct Endpoint {
    calls: AtomicUsize,
    seen: Mutex<Vec<(String, String)>>,
}

async fn start(endpoint: Arc<Endpoint>, expires_in: serde_json::Value, status: u16) -> String {
    let app = axum::Router::new().fallback(move |headers: HeaderMap, body: String| {
        let endpoint = Arc::clone(&endpoint);
        let expires_in = expires_in.clone();
        async move {
            let n = endpoint.calls.fetch_add(1, Ordering::SeqCst) + 1;
            let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
            endpoint.seen.lock().unwrap().push((body, auth));
            let body = serde_json::json!({"access_token": format!("t{n}"), "token_type": "bearer", "expires_in": expires_in}).to_string();
            (axum::http::StatusCode::from_u16(status).unwrap(), body)
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/token")
}

fn args(token_url: &str) -> OAuth2 {
    OAuth2 {
        client_id: "agent".into(),
        client_secret: Some(Secret(solder_syntax::value::Secret::new("se/cret"))),
        client_secret_file: String::new(),
        scopes: vec!["metrics.read".into(), "metrics.write".into()],
        token_url: token_url.into(),
        endpoint_params: [("audience".to_string(), "https://metrics".to_string())].into(),
        proxy_url: String::new(),
        no_proxy: String::new(),
        proxy_from_environment: false,
        tls_config: None,
    }
}

#[tokio::test]
async fn a_token_is_fetched_with_the_clients_credentials_and_reused_until_it_expires() {
    let endpoint = Arc::new(Endpoint::default());
    let url = start(Arc::clone(&endpoint), serde_json::json!(11), 200).await;
    let source = TokenSource::new(&args(&url)).unwrap();
    assert_eq!(source.authorization().await.unwrap(), "Bearer t1", "`bearer` is spelled as Go spells it");
    assert_eq!(source.authorization().await.unwrap(), "Bearer t1", "reused while good");
    assert_eq!(endpoint.calls.load(Ordering::SeqCst), 1);
    let (form, auth) = endpoint.seen.lock().unwrap()[0].clone();
    let form: Vec<(String, String)> = form_urlencoded::parse(form.as_bytes()).into_owned().collect();
    let want = [("grant_type", "client_credentials"), ("scope", "metrics.read metrics.write"), ("audience", "https://metrics")];
    assert_eq!(form, want.map(|(k, v)| (k.to_string(), v.to_string())));
    // Go form-encodes the id and secret before basic auth: "/" is %2F.
    use base64::Engine;
    assert_eq!(auth, format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("agent:se%2Fcret")));
    // 11 s tokens are treated as expired 10 s early.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(source.authorization().await.unwrap(), "Bearer t2", "fetched again once within 10 s of expiry");
}

#[tokio::test]
async fn a_refusing_endpoint_is_a_retryable_error_with_its_answer() {
    let endpoint = Arc::new(Endpoint::default());
    let url = start(Arc::clone(&endpoint), serde_json::json!(3600), 401).await;
    let err = TokenSource::new(&args(&url)).unwrap().authorization().await.unwrap_err();
    assert!(err.retryable);
    assert!(err.message.starts_with("oauth2: the token endpoint answered 401 Unauthorized: {"), "{}", err.message);
}

#[test]
fn token_answers_are_read_as_go_reads_them() {
    let header = |json: &str| parse_token(json.as_bytes()).map(|t| (t.header, t.expires.is_some()));
    assert_eq!(header(r#"{"access_token":"a"}"#), Ok(("Bearer a".into(), false)));
    assert_eq!(header(r#"{"access_token":"a","token_type":"MAC","expires_in":"60"}"#), Ok(("MAC a".into(), true)));
    assert_eq!(header(r#"{"access_token":"a","token_type":"DPoP","expires_in":0}"#), Ok(("DPoP a".into(), false)));
    assert!(header(r#"{"access_token":""}"#).unwrap_err().contains("no access_token"));
    assert!(header("<html>").unwrap_err().contains("not valid JSON"));
}

#[test]
fn arguments_are_checked() {
    let mut a = args("http://x/token");
    assert_eq!(a.validate(), Ok(()));
    a.client_secret_file = "/s".into();
    assert!(a.validate().unwrap_err().contains("at most one of oauth2 client_secret & client_secret_file"));
    let mut a = args("ftp://x");
    assert!(a.validate().unwrap_err().contains("token_url"));
    a.token_url = "http://x".into();
    a.proxy_from_environment = true;
    a.proxy_url = "http://p".into();
    assert!(a.validate().unwrap_err().starts_with("oauth2: "));
}
