//! Reaching a protected endpoint: credentials and custom headers arrive
//! as configured and are never shown back, and TLS trusts the given CA.

use super::fixtures::{endpoint, gauges, FAST};
use super::running;
use super::sink::Sink;
use crate::harness::until;
use crate::otelcol::exporter::sending::testkit::TestCert;

#[tokio::test]
async fn auth_and_headers_are_sent_and_secrets_never_shown() {
    let (basic, basic_url) = Sink::start(vec![]).await;
    let (bearer, bearer_url) = Sink::start(vec![]).await;
    let (file, file_url) = Sink::start(vec![]).await;
    let dir = tempfile::tempdir().unwrap();
    let token_path = dir.path().join("token");
    std::fs::write(&token_path, "from-a-file\n").unwrap();
    let endpoints = [
        endpoint(&basic_url, &format!("name = \"basic\"\n basic_auth {{\n username = \"user\"\n password = \"hunter2\"\n }}\n{FAST}")),
        endpoint(&bearer_url, &format!("name = \"bearer\"\n bearer_token = \"s3cr3t-token\"\n headers = {{ \"X-Scope-OrgID\" = \"tenant-7\" }}\n{FAST}")),
        endpoint(&file_url, &format!("name = \"file\"\n bearer_token_file = {:?}\n{FAST}", token_path.display().to_string())),
    ];
    let rw = running("prometheus.remote_write.auth", &endpoints.join("\n"));
    rw.receiver().0.append(gauges("up", 1)).unwrap();
    until("every endpoint", || [&basic, &bearer, &file].iter().all(|s| !s.accepted().is_empty())).await;

    let header = |s: &Sink, name: &str| s.seen.lock().unwrap()[0].headers[name].to_str().unwrap().to_string();
    assert_eq!(header(&basic, "authorization"), "Basic dXNlcjpodW50ZXIy");
    assert_eq!(header(&bearer, "authorization"), "Bearer s3cr3t-token");
    assert_eq!(header(&bearer, "x-scope-orgid"), "tenant-7");
    assert_eq!(header(&file, "authorization"), "Bearer from-a-file");
    let shown = format!("{:?} {:?}", rw.component.debug_info(), rw.health());
    for secret in ["hunter2", "dXNlcjpodW50ZXIy", "s3cr3t-token", "tenant-7", "from-a-file"] {
        assert!(!shown.contains(secret), "{secret} shown in {shown}");
    }
    rw.stop().await;
}

#[tokio::test]
async fn sends_over_tls_trusting_the_configured_ca() {
    let cert = TestCert::new("localhost");
    let (sink, url) = Sink::start_tls(&cert).await;
    let tls = format!("enable_http2 = true\n tls_config {{\n ca_file = {:?}\n }}\n{FAST}", cert.cert_path());
    let rw = running("prometheus.remote_write.tls", &endpoint(&url, &tls));
    rw.receiver().0.append(gauges("secure", 2)).unwrap();
    until("two series over TLS", || sink.series().len() == 2).await;
    rw.stop().await;
}
