use std::net::SocketAddr;
use std::path::Path;

use rcgen::{BasicConstraints, CertificateParams, CertifiedKey, IsCa, KeyPair};
use reqwest::StatusCode;
use tonic::transport::{Certificate, Channel, ClientTlsConfig};

use super::grpc::export;
use super::{traces, Receiver, TO_SINK};
use crate::component::HealthState;
use crate::otlp::grpc::export_path;
use crate::otlp::Signal;

/// A self-signed certificate for `localhost`, written to `dir`.
fn server_cert(dir: &Path) -> (String, String, String) {
    let CertifiedKey { cert, key_pair } = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let (cert_file, key_file) = (dir.join("server.pem"), dir.join("server.key"));
    std::fs::write(&cert_file, cert.pem()).unwrap();
    std::fs::write(&key_file, key_pair.serialize_pem()).unwrap();
    (cert_file.display().to_string(), key_file.display().to_string(), cert.pem())
}

fn https_client(ca_pem: &str, addr: SocketAddr) -> reqwest::ClientBuilder {
    reqwest::Client::builder().add_root_certificate(reqwest::Certificate::from_pem(ca_pem.as_bytes()).unwrap()).resolve("localhost", addr)
}

#[tokio::test]
async fn grpc_and_http_over_tls_with_certificate_files() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key, ca) = server_cert(dir.path());
    let tls = format!("tls {{\n cert_file = {cert:?}\n key_file = {key:?}\n }}");
    let h =
        Receiver::start("tls_files", &format!("grpc {{\n endpoint = \"127.0.0.1:0\"\n {tls}\n}}\nhttp {{\n endpoint = \"127.0.0.1:0\"\n {tls}\n}}\n{TO_SINK}"))
            .await;
    assert!(h.health().message.contains("(TLS)"), "{:?}", h.health());

    let (grpc, http) = (h.addr("grpc").unwrap(), h.addr("http").unwrap());
    let tls_config = ClientTlsConfig::new().ca_certificate(Certificate::from_pem(&ca)).domain_name("localhost");
    let ch = Channel::from_shared(format!("https://{grpc}")).unwrap().tls_config(tls_config).unwrap().connect().await.unwrap();
    export(&ch, export_path(Signal::Traces), traces(), None).await.unwrap();

    let client = https_client(&ca, http).build().unwrap();
    let r = client
        .post(format!("https://localhost:{}/v1/traces", http.port()))
        .header("content-type", "application/x-protobuf")
        .body(traces())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(h.sink.received().len(), 2);

    // Plain HTTP to a TLS port gets nowhere.
    let plain = reqwest::Client::new().post(format!("http://{http}/v1/traces")).header("content-type", "application/x-protobuf").body(traces()).send().await;
    assert!(plain.is_err());
}

#[tokio::test]
async fn client_certificates_are_required_when_a_client_ca_is_set() {
    let dir = tempfile::tempdir().unwrap();
    let (_, _, server_pem) = server_cert(dir.path());
    let server_key = std::fs::read_to_string(dir.path().join("server.key")).unwrap();

    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_key = KeyPair::generate().unwrap();
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let client_key = KeyPair::generate().unwrap();
    let client_cert = CertificateParams::new(vec!["client".into()]).unwrap().signed_by(&client_key, &ca, &ca_key).unwrap();
    let ca_file = dir.path().join("clients.pem");
    std::fs::write(&ca_file, ca.pem()).unwrap();

    // Inline PEM this time, the key as a plain string.
    let tls = format!("tls {{\n cert_pem = {server_pem:?}\n key_pem = {server_key:?}\n client_ca_file = {:?}\n }}", ca_file.display().to_string());
    let h = Receiver::start("tls_mutual", &format!("http {{\n endpoint = \"127.0.0.1:0\"\n {tls}\n}}\n{TO_SINK}")).await;
    let http = h.addr("http").unwrap();
    let url = format!("https://localhost:{}/v1/traces", http.port());

    let anonymous = https_client(&server_pem, http).build().unwrap();
    assert!(anonymous.post(&url).header("content-type", "application/x-protobuf").body(traces()).send().await.is_err());

    let identity = reqwest::Identity::from_pem(format!("{}{}", client_cert.pem(), client_key.serialize_pem()).as_bytes()).unwrap();
    let known = https_client(&server_pem, http).identity(identity).build().unwrap();
    let r = known.post(&url).header("content-type", "application/x-protobuf").body(traces()).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn unreadable_certificates_make_the_receiver_unhealthy() {
    let mut h = Receiver::build(
        "tls_missing",
        &format!("http {{\n endpoint = \"127.0.0.1:0\"\n tls {{\n cert_file = \"/nonexistent/c.pem\"\n key_file = \"/nonexistent/k.pem\"\n }}\n}}\n{TO_SINK}"),
    )
    .unwrap();
    h.harness.run();
    h.wait_for_health(HealthState::Unhealthy).await;
    let message = h.health().message;
    assert!(message.starts_with("OTLP/HTTP: tls: cannot read /nonexistent/c.pem: "), "{message}");
}

/// The DER of the certificate a new TLS connection to `addr` is shown.
async fn presented(ca: &[&str], addr: SocketAddr) -> Option<Vec<u8>> {
    let mut client = https_client(ca[0], addr).tls_info(true);
    for pem in &ca[1..] {
        client = client.add_root_certificate(reqwest::Certificate::from_pem(pem.as_bytes()).unwrap());
    }
    let r = client.build().unwrap().get(format!("https://localhost:{}/", addr.port())).send().await.ok()?;
    r.extensions().get::<reqwest::tls::TlsInfo>()?.peer_certificate().map(<[u8]>::to_vec)
}

/// Rotated files reach new connections without a reload; files that do
/// not make an identity leave the one before in use, and say so in the
/// health until they are mended.
#[tokio::test]
async fn certificate_files_are_reread_when_they_change() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key, pem_a) = server_cert(dir.path());
    let der = |pem: &str| rustls_pemfile::certs(&mut pem.as_bytes()).next().unwrap().unwrap().to_vec();
    let tls = format!("tls {{\n cert_file = {cert:?}\n key_file = {key:?}\n }}");
    let h = Receiver::start("tls_rotation", &format!("http {{\n endpoint = \"127.0.0.1:0\"\n {tls}\n}}\n{TO_SINK}")).await;
    let http = h.addr("http").unwrap();
    let rotated = tempfile::tempdir().unwrap();
    let (_, _, pem_b) = server_cert(rotated.path());
    assert_eq!(presented(&[&pem_a, &pem_b], http).await, Some(der(&pem_a)));

    for name in ["server.pem", "server.key"] {
        std::fs::copy(rotated.path().join(name), dir.path().join(name)).unwrap();
    }
    crate::harness::eventually("the rotated certificate", || async { presented(&[&pem_a, &pem_b], http).await == Some(der(&pem_b)) }).await;
    assert_eq!(h.health().state, HealthState::Healthy);

    std::fs::write(&key, "not a key").unwrap();
    crate::harness::eventually("the broken key to show", || async {
        presented(&[&pem_a, &pem_b], http).await == Some(der(&pem_b)) && h.health().state == HealthState::Unhealthy
    })
    .await;
    let message = h.health().message;
    assert!(
        message.starts_with(&format!("OTLP/HTTP: tls: {key} holds no PEM private key")) && message.ends_with("still serving the certificate read before"),
        "{message}"
    );

    std::fs::copy(rotated.path().join("server.key"), &key).unwrap();
    crate::harness::eventually("the mended key to clear the problem", || async {
        presented(&[&pem_a, &pem_b], http).await.is_some() && h.health().state == HealthState::Healthy
    })
    .await;
}
