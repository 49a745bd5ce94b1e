//! The client `tls` block, turned into a rustls configuration.
//!
//! Both protocols get their TLS from here, so that `ca_file`,
//! `insecure_skip_verify`, `server_name` and the version bounds mean the
//! same thing over gRPC and HTTP. Without a CA, the system's trust store
//! is read from the files Go reads on Linux (`SSL_CERT_FILE`, then the
//! distributions' bundles), which is what the Collector trusts.

use std::io::BufReader;
use std::sync::Arc;

use serde::Deserialize;
use tokio_rustls::rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use tokio_rustls::rustls::client::WebPkiServerVerifier;
use tokio_rustls::rustls::crypto::{self, CryptoProvider};
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use tokio_rustls::rustls::{self, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme, SupportedProtocolVersion};

use super::ArgumentError;
use crate::types::Secret;

/// `tls { ... }` inside `client`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tls {
    /// gRPC only: send in plaintext (h2c). Default false. HTTP uses TLS
    /// exactly when the URL is `https://`.
    #[serde(default)]
    pub insecure: bool,
    /// Accept any server certificate. Default false.
    #[serde(default)]
    pub insecure_skip_verify: bool,
    /// CA certificates (PEM) to trust instead of the system's.
    #[serde(default)]
    pub ca_file: String,
    #[serde(default)]
    pub ca_pem: String,
    /// Client certificate and key (PEM), for mutual TLS.
    #[serde(default)]
    pub cert_file: String,
    #[serde(default)]
    pub cert_pem: String,
    #[serde(default)]
    pub key_file: String,
    #[serde(default)]
    pub key_pem: Option<Secret>,
    /// Trust the system's CAs as well as `ca_file`/`ca_pem`. Default false.
    #[serde(default)]
    pub include_system_ca_certs_pool: bool,
    /// The name the server's certificate must have, when it is not the
    /// endpoint's host.
    #[serde(default)]
    pub server_name: String,
    /// Lowest TLS version: `"1.2"` (default) or `"1.3"`.
    #[serde(default)]
    pub min_version: String,
    /// Highest TLS version: `"1.3"` (default) or `"1.2"`.
    #[serde(default)]
    pub max_version: String,
}

/// Where Go looks for the system's CA bundle on Linux, in order.
const SYSTEM_BUNDLES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/pki/tls/cacert.pem",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/etc/ssl/cert.pem",
];

fn invalid(message: impl Into<String>) -> ArgumentError {
    ArgumentError::new("client", format!("tls: {}", message.into()))
}

impl Tls {
    /// The rustls configuration for these settings, offering `alpn`.
    pub fn client_config(&self, alpn: &[&[u8]]) -> Result<Arc<ClientConfig>, ArgumentError> {
        let provider = Arc::new(crypto::ring::default_provider());
        let builder =
            ClientConfig::builder_with_provider(Arc::clone(&provider)).with_protocol_versions(&self.versions()?).map_err(|e| invalid(e.to_string()))?;
        let verifier: Arc<dyn ServerCertVerifier> = if self.insecure_skip_verify {
            Arc::new(SkipVerification(provider))
        } else {
            let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(self.roots()?), provider)
                .build()
                .map_err(|e| invalid(format!("cannot verify servers: {e}")))?;
            match self.server_name() {
                Some(name) => Arc::new(NameOverride { inner: webpki, name }),
                None => webpki,
            }
        };
        let builder = builder.dangerous().with_custom_certificate_verifier(verifier);
        let mut config = match self.identity()? {
            Some((certs, key)) => builder.with_client_auth_cert(certs, key).map_err(|e| invalid(format!("client certificate: {e}")))?,
            None => builder.with_no_client_auth(),
        };
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        Ok(Arc::new(config))
    }

    /// `server_name`, if set and valid.
    pub fn server_name(&self) -> Option<ServerName<'static>> {
        if self.server_name.is_empty() {
            return None;
        }
        ServerName::try_from(self.server_name.clone()).ok()
    }

    fn versions(&self) -> Result<Vec<&'static SupportedProtocolVersion>, ArgumentError> {
        let parse = |v: &str, default: u8, field: &str| match v {
            "" => Ok(default),
            "1.2" => Ok(12),
            "1.3" => Ok(13),
            "1.0" | "1.1" => Err(invalid(format!("{field} {v:?} is not supported: TLS 1.0 and 1.1 are insecure"))),
            _ => Err(invalid(format!("{field} {v:?} is not a TLS version; use \"1.2\" or \"1.3\""))),
        };
        let (min, max) = (parse(&self.min_version, 12, "min_version")?, parse(&self.max_version, 13, "max_version")?);
        if min > max {
            return Err(invalid("min_version is above max_version"));
        }
        if !self.server_name.is_empty() && self.server_name().is_none() {
            return Err(invalid(format!("server_name {:?} is not a valid DNS name or IP address", self.server_name)));
        }
        let all: [(u8, &'static SupportedProtocolVersion); 2] = [(12, &rustls::version::TLS12), (13, &rustls::version::TLS13)];
        Ok(all.into_iter().filter(|(v, _)| (min..=max).contains(v)).map(|(_, p)| p).collect())
    }

    fn roots(&self) -> Result<RootCertStore, ArgumentError> {
        let mut store = RootCertStore::empty();
        let custom = !self.ca_file.is_empty() || !self.ca_pem.is_empty();
        if !custom || self.include_system_ca_certs_pool {
            store.add_parsable_certificates(system_roots()?);
        }
        for (what, pem) in [("ca_file", self.read("ca_file", &self.ca_file)?), ("ca_pem", self.ca_pem.clone().into_bytes())] {
            if pem.is_empty() {
                continue;
            }
            let certs = parse_certs(&pem).map_err(|e| invalid(format!("{what}: {e}")))?;
            for cert in certs {
                store.add(cert).map_err(|e| invalid(format!("{what}: {e}")))?;
            }
        }
        Ok(store)
    }

    fn identity(&self) -> Result<Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>, ArgumentError> {
        let key_pem = self.key_pem.as_ref().map(|s| s.0.expose()).unwrap_or_default();
        let cert = pick(("cert_file", self.read("cert_file", &self.cert_file)?), ("cert_pem", self.cert_pem.as_bytes().to_vec()))?;
        let key = pick(("key_file", self.read("key_file", &self.key_file)?), ("key_pem", key_pem.as_bytes().to_vec()))?;
        let (cert, key) = match (cert, key) {
            (None, None) => return Ok(None),
            (Some(c), Some(k)) => (c, k),
            _ => return Err(invalid("for auth via TLS, provide both certificate and key, or neither")),
        };
        let certs = parse_certs(&cert).map_err(|e| invalid(format!("client certificate: {e}")))?;
        let key = rustls_pemfile::private_key(&mut BufReader::new(key.as_slice()))
            .map_err(|e| invalid(format!("client key: {e}")))?
            .ok_or_else(|| invalid("client key: no private key found in the PEM data"))?;
        Ok(Some((certs, key)))
    }

    fn read(&self, field: &str, path: &str) -> Result<Vec<u8>, ArgumentError> {
        if path.is_empty() {
            return Ok(Vec::new());
        }
        std::fs::read(path).map_err(|e| invalid(format!("{field}: cannot read {path}: {e}")))
    }
}

/// One of two alternative sources, or neither; both is a mistake.
fn pick(a: (&str, Vec<u8>), b: (&str, Vec<u8>)) -> Result<Option<Vec<u8>>, ArgumentError> {
    match (a.1.is_empty(), b.1.is_empty()) {
        (true, true) => Ok(None),
        (false, true) => Ok(Some(a.1)),
        (true, false) => Ok(Some(b.1)),
        (false, false) => Err(invalid(format!("at most one of {} and {} may be set", a.0, b.0))),
    }
}

fn parse_certs(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs = rustls_pemfile::certs(&mut BufReader::new(pem)).collect::<Result<Vec<_>, _>>().map_err(|e| e.to_string())?;
    if certs.is_empty() {
        return Err("no PEM certificates found".to_string());
    }
    Ok(certs)
}

fn system_roots() -> Result<Vec<CertificateDer<'static>>, ArgumentError> {
    let from_env = std::env::var("SSL_CERT_FILE").ok().filter(|p| !p.is_empty());
    let candidates = from_env.iter().map(String::as_str).chain(SYSTEM_BUNDLES.iter().copied());
    for path in candidates {
        if let Ok(pem) = std::fs::read(path) {
            if let Ok(certs) = parse_certs(&pem) {
                return Ok(certs);
            }
        }
    }
    Err(invalid("no system CA certificates found (looked for SSL_CERT_FILE and the usual bundles); set ca_file"))
}

/// `insecure_skip_verify`: any certificate is accepted, but the handshake
/// signatures are still checked, so the peer holds the key it presented.
#[derive(Debug)]
struct SkipVerification(Arc<CryptoProvider>);

impl ServerCertVerifier for SkipVerification {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(&self, message: &[u8], cert: &CertificateDer<'_>, dss: &DigitallySignedStruct) -> Result<HandshakeSignatureValid, rustls::Error> {
        crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(&self, message: &[u8], cert: &CertificateDer<'_>, dss: &DigitallySignedStruct) -> Result<HandshakeSignatureValid, rustls::Error> {
        crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// `server_name`: verifies the certificate against the configured name
/// rather than the host connected to.
#[derive(Debug)]
struct NameOverride {
    inner: Arc<WebPkiServerVerifier>,
    name: ServerName<'static>,
}

impl ServerCertVerifier for NameOverride {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.inner.verify_server_cert(end_entity, intermediates, &self.name, ocsp, now)
    }

    fn verify_tls12_signature(&self, message: &[u8], cert: &CertificateDer<'_>, dss: &DigitallySignedStruct) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(&self, message: &[u8], cert: &CertificateDer<'_>, dss: &DigitallySignedStruct) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::otelcol::exporter::sending::testkit::TestCert;

    #[test]
    fn loads_ca_and_client_identity() {
        let ca = TestCert::new("localhost");
        let client = TestCert::new("client");
        let tls = Tls { ca_file: ca.cert_path(), cert_file: client.cert_path(), key_file: client.key_path(), ..Tls::default() };
        let config = tls.client_config(&[b"h2"]).unwrap();
        assert!(config.client_auth_cert_resolver.has_certs());
        assert_eq!(config.alpn_protocols, vec![b"h2".to_vec()]);
    }

    #[test]
    fn explains_what_is_wrong() {
        let ca = TestCert::new("localhost");
        let err = |tls: Tls| tls.client_config(&[]).err().map(|e| e.message).unwrap_or_default();
        assert!(err(Tls { ca_file: "/nonexistent/ca.pem".into(), ..Tls::default() }).contains("cannot read /nonexistent/ca.pem"));
        assert!(err(Tls { ca_file: ca.key_path(), ..Tls::default() }).contains("no PEM certificates found"));
        assert!(err(Tls { ca_file: ca.cert_path(), cert_file: ca.cert_path(), ..Tls::default() }).contains("both certificate and key"));
        assert!(err(Tls { ca_file: ca.cert_path(), cert_file: ca.cert_path(), cert_pem: "x".into(), ..Tls::default() })
            .contains("at most one of cert_file and cert_pem"));
        assert!(err(Tls { ca_file: ca.cert_path(), min_version: "1.0".into(), ..Tls::default() }).contains("not supported"));
        assert!(err(Tls { ca_file: ca.cert_path(), min_version: "1.3".into(), max_version: "1.2".into(), ..Tls::default() })
            .contains("min_version is above max_version"));
        assert!(err(Tls { ca_file: ca.cert_path(), server_name: "bad name!".into(), ..Tls::default() }).contains("server_name"));
    }
}
