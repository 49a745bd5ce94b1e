//! The `tls` block of a server: certificates in, a rustls acceptor out.

use std::io::BufReader;
use std::sync::Arc;

use serde::Deserialize;
use tokio_rustls::rustls::crypto::{ring, CryptoProvider};
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::server::WebPkiClientVerifier;
use tokio_rustls::rustls::sign::CertifiedKey;
use tokio_rustls::rustls::{version, RootCertStore, ServerConfig, SupportedProtocolVersion};
use tokio_rustls::TlsAcceptor;

use super::certs::{CertProblem, ReloadingCert};
use crate::types::Secret;

/// `tls { }`: serve the protocol over TLS. A certificate and its key are
/// required, each from a file or inline PEM.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsArguments {
    /// Path of the PEM certificate chain, leaf first.
    #[serde(default)]
    pub cert_file: Option<String>,
    /// Path of the PEM private key (PKCS#8, PKCS#1 or SEC1).
    #[serde(default)]
    pub key_file: Option<String>,
    /// The certificate chain as PEM text, instead of `cert_file`.
    #[serde(default)]
    pub cert_pem: Option<String>,
    /// The private key as PEM text, instead of `key_file`. May be a secret.
    #[serde(default)]
    pub key_pem: Option<Secret>,
    /// Path of a PEM bundle of CAs: when set, clients must present a
    /// certificate signed by one of them (mutual TLS).
    #[serde(default)]
    pub client_ca_file: Option<String>,
    /// Oldest TLS version accepted: `"1.2"` (default) or `"1.3"`.
    #[serde(default = "default_min_version")]
    pub min_version: String,
    /// Newest TLS version accepted: `"1.3"` (default) or `"1.2"`.
    #[serde(default = "default_max_version")]
    pub max_version: String,
}

fn default_min_version() -> String {
    "1.2".into()
}

fn default_max_version() -> String {
    "1.3".into()
}

impl TlsArguments {
    /// Checks what can be checked without reading files, so that a
    /// mistake is a config error rather than a server that never starts.
    pub fn check(&self) -> Result<(), String> {
        match (&self.cert_file, &self.cert_pem) {
            (Some(_), Some(_)) => return Err("tls: at most one of cert_file and cert_pem may be set".into()),
            (None, None) => return Err("tls: a certificate is required: set cert_file or cert_pem".into()),
            _ => {}
        }
        match (&self.key_file, &self.key_pem) {
            (Some(_), Some(_)) => return Err("tls: at most one of key_file and key_pem may be set".into()),
            (None, None) => return Err("tls: a private key is required: set key_file or key_pem".into()),
            _ => {}
        }
        self.versions().map(|_| ())
    }

    fn versions(&self) -> Result<Vec<&'static SupportedProtocolVersion>, String> {
        let parse = |name: &str, v: &str| match v.trim_start_matches("TLS").trim() {
            "1.2" => Ok(12),
            "1.3" => Ok(13),
            "1.0" | "1.1" => Err(format!("tls: {name} {v:?} is not supported: the oldest version Solder speaks is \"1.2\"")),
            _ => Err(format!("tls: invalid {name} {v:?}: expected \"1.2\" or \"1.3\"")),
        };
        let (min, max) = (parse("min_version", &self.min_version)?, parse("max_version", &self.max_version)?);
        if min > max {
            return Err(format!("tls: min_version {:?} is newer than max_version {:?}", self.min_version, self.max_version));
        }
        Ok([(12, &version::TLS12), (13, &version::TLS13)].into_iter().filter(|(v, _)| (min..=max).contains(v)).map(|(_, p)| p).collect())
    }

    /// Reads the certificates and builds the acceptor. Servers offer HTTP/2
    /// and HTTP/1.1 by ALPN; gRPC clients pick the former. Certificate and
    /// key files are re-read when they change (see [`ReloadingCert`]).
    pub fn load(&self) -> Result<Tls, String> {
        let provider = Arc::new(ring::default_provider());
        let resolver = ReloadingCert::new(self.clone(), Arc::clone(&provider))?;
        let problem = resolver.problem();
        let builder = ServerConfig::builder_with_provider(Arc::clone(&provider)).with_protocol_versions(&self.versions()?).map_err(|e| format!("tls: {e}"))?;
        let builder = match &self.client_ca_file {
            None => builder.with_no_client_auth(),
            Some(path) => builder.with_client_cert_verifier(client_verifier(path, provider)?),
        };
        let mut config = builder.with_cert_resolver(Arc::new(resolver));
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(Tls { acceptor: TlsAcceptor::from(Arc::new(config)), problem })
    }

    /// Whether a certificate or key comes from a file, which may change.
    pub(super) fn has_files(&self) -> bool {
        self.cert_file.is_some() || self.key_file.is_some()
    }

    /// The certificate and key as they are now, as PEM.
    pub(super) fn read_pem(&self) -> Result<(Vec<u8>, Vec<u8>), String> {
        let cert = match (&self.cert_file, &self.cert_pem) {
            (Some(path), _) => read(path)?,
            (_, Some(pem)) => pem.as_bytes().to_vec(),
            (None, None) => return Err("tls: a certificate is required: set cert_file or cert_pem".into()),
        };
        let key = match (&self.key_file, &self.key_pem) {
            (Some(path), _) => read(path)?,
            (_, Some(pem)) => pem.0.expose().as_bytes().to_vec(),
            (None, None) => return Err("tls: a private key is required: set key_file or key_pem".into()),
        };
        Ok((cert, key))
    }

    /// The server identity in `cert` and `key` (PEM, as [`Self::read_pem`]
    /// gives them).
    pub(super) fn identity(&self, (cert, key): &(Vec<u8>, Vec<u8>), provider: &CryptoProvider) -> Result<Arc<CertifiedKey>, String> {
        let certs = certs(cert, self.cert_file.as_deref().unwrap_or("cert_pem"))?;
        let key = private_key(key, self.key_file.as_deref().unwrap_or("key_pem"))?;
        CertifiedKey::from_der(certs, key, provider).map(Arc::new).map_err(|e| format!("tls: certificate and key do not make a server identity: {e}"))
    }
}

/// A server's TLS: the acceptor, and where a failed certificate reload
/// shows.
#[derive(Clone)]
pub struct Tls {
    pub acceptor: TlsAcceptor,
    pub problem: CertProblem,
}

fn client_verifier(path: &str, provider: Arc<CryptoProvider>) -> Result<Arc<dyn tokio_rustls::rustls::server::danger::ClientCertVerifier>, String> {
    let mut roots = RootCertStore::empty();
    for cert in certs(&read(path)?, path)? {
        roots.add(cert).map_err(|e| format!("tls: client CA in {path}: {e}"))?;
    }
    WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider).build().map_err(|e| format!("tls: client_ca_file {path}: {e}"))
}

fn read(path: &str) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("tls: cannot read {path}: {e}"))
}

fn certs(pem: &[u8], source: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs: Vec<_> = rustls_pemfile::certs(&mut BufReader::new(pem)).collect::<Result<_, _>>().map_err(|e| format!("tls: {source}: {e}"))?;
    if certs.is_empty() {
        return Err(format!("tls: {source} holds no PEM certificate"));
    }
    Ok(certs)
}

fn private_key(pem: &[u8], source: &str) -> Result<PrivateKeyDer<'static>, String> {
    rustls_pemfile::private_key(&mut BufReader::new(pem))
        .map_err(|e| format!("tls: {source}: {e}"))?
        .ok_or_else(|| format!("tls: {source} holds no PEM private key"))
}
