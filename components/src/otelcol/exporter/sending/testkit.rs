//! What the exporters' tests share besides [`crate::harness`]: payloads
//! as the sending queue holds them, and certificates for TLS.

use std::sync::Arc;

use tokio_rustls::rustls;

use super::Payload;

/// `spans` spans, as a queued payload.
pub fn traces(spans: usize) -> Payload {
    Payload::Traces(crate::harness::traces(spans))
}

/// A self-signed certificate for `name`, written to a temporary folder.
pub struct TestCert {
    pub cert_pem: String,
    pub key_pem: String,
    dir: tempfile::TempDir,
}

impl TestCert {
    pub fn new(name: &str) -> TestCert {
        let ck = rcgen::generate_simple_self_signed(vec![name.to_string()]).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (cert_pem, key_pem) = (ck.cert.pem(), ck.key_pair.serialize_pem());
        std::fs::write(dir.path().join("cert.pem"), &cert_pem).unwrap();
        std::fs::write(dir.path().join("key.pem"), &key_pem).unwrap();
        TestCert { cert_pem, key_pem, dir }
    }

    pub fn cert_path(&self) -> String {
        self.dir.path().join("cert.pem").display().to_string()
    }

    pub fn key_path(&self) -> String {
        self.dir.path().join("key.pem").display().to_string()
    }

    /// A server configuration presenting this certificate; with
    /// `client_ca`, clients must present a certificate it signed.
    pub fn server_config(&self, alpn: &[&[u8]], client_ca: Option<&TestCert>) -> Arc<rustls::ServerConfig> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let certs = rustls_pemfile::certs(&mut self.cert_pem.as_bytes()).collect::<Result<Vec<_>, _>>().unwrap();
        let key = rustls_pemfile::private_key(&mut self.key_pem.as_bytes()).unwrap().unwrap();
        let builder = rustls::ServerConfig::builder_with_provider(Arc::clone(&provider)).with_safe_default_protocol_versions().unwrap();
        let builder = match client_ca {
            None => builder.with_no_client_auth(),
            Some(ca) => {
                let mut roots = rustls::RootCertStore::empty();
                for c in rustls_pemfile::certs(&mut ca.cert_pem.as_bytes()) {
                    roots.add(c.unwrap()).unwrap();
                }
                let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider).build().unwrap();
                builder.with_client_cert_verifier(verifier)
            }
        };
        let mut config = builder.with_single_cert(certs, key).unwrap();
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        Arc::new(config)
    }
}
