//! The arguments of `discovery.kubernetes`, as Alloy spells them, the checks
//! Prometheus makes on them (in its words), and the connection they make.

use std::path::PathBuf;

use kube::Config;
use serde::Deserialize;

use crate::component::{self, ArgumentError};
use crate::kubernetes::AuthType;
use crate::prometheus::remote_write::{Authorization, BasicAuth, TlsConfig};
use crate::types::Secret;

/// Where Kubernetes mounts the namespace a pod runs in (`own_namespace`).
pub(super) const OWN_NAMESPACE_FILE: &str = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Arguments {
    /// URL of the API server. Default: in-cluster (the service account),
    /// unless `kubeconfig_file` is given.
    #[serde(default)]
    pub api_server: String,
    /// `pod`, `service`, `endpoints`, `endpointslice` or `node`. Required.
    pub role: String,
    /// A kubeconfig file to connect with; excludes `api_server`.
    #[serde(default)]
    pub kubeconfig_file: String,
    #[serde(default)]
    pub bearer_token: Option<Secret>,
    /// A file holding the bearer token, re-read as it rotates.
    #[serde(default)]
    pub bearer_token_file: String,
    /// Accepted for compatibility; the client negotiates HTTP/2 itself.
    #[serde(default = "yes")]
    pub enable_http2: bool,
    /// Accepted for compatibility; the API server does not redirect.
    #[serde(default = "yes")]
    pub follow_redirects: bool,
    /// An HTTP proxy to reach the API server through.
    #[serde(default)]
    pub proxy_url: String,
    /// Not supported yet: refused when set.
    #[serde(default)]
    pub no_proxy: String,
    /// Not supported yet: refused when true.
    #[serde(default)]
    pub proxy_from_environment: bool,
    #[serde(default)]
    pub namespaces: Option<Namespaces>,
    #[serde(default)]
    pub selectors: Vec<Selectors>,
    #[serde(default)]
    pub attach_metadata: AttachMetadata,
    #[serde(default)]
    pub basic_auth: Option<BasicAuth>,
    #[serde(default)]
    pub authorization: Option<Authorization>,
    #[serde(default)]
    pub tls_config: Option<TlsConfig>,
}

/// `namespaces { ... }`: where to look. Default: every namespace.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Namespaces {
    /// Add the namespace the agent runs in (read from its service account).
    #[serde(default)]
    pub own_namespace: bool,
    #[serde(default)]
    pub names: Vec<String>,
}

/// `selectors { ... }`: label and field selectors sent to the API server
/// for the objects of one role.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Selectors {
    pub role: String,
    #[serde(default)]
    pub label: String,
    #[serde(default)]
    pub field: String,
}

/// `attach_metadata { ... }`: labels of the node (and namespace) a target
/// runs on, for the pod, endpoints and endpointslice roles.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttachMetadata {
    #[serde(default)]
    pub node: bool,
    #[serde(default)]
    pub namespace: bool,
}

fn yes() -> bool {
    true
}

/// The roles Solder discovers.
pub(super) const ROLES: &[&str] = &["pod", "service", "endpoints", "endpointslice", "node"];

fn set(s: &Option<Secret>) -> bool {
    s.as_ref().is_some_and(|s| !s.0.expose().is_empty())
}

impl component::Arguments for Arguments {
    fn validate(&self) -> Result<(), ArgumentError> {
        let err = |path: &str, msg: String| Err(ArgumentError::new(path, msg));
        if self.role == "ingress" {
            return err("role", "role \"ingress\" is not supported yet: use pod, service, endpoints, endpointslice or node".into());
        }
        if !ROLES.contains(&self.role.as_str()) {
            return err("role", format!("invalid role {:?}, expected node, pod, service, endpoints, endpointslice or ingress", self.role));
        }
        if !self.api_server.is_empty() && !self.kubeconfig_file.is_empty() {
            return err("kubeconfig_file", "cannot use 'kubeconfig_file' and 'api_server' simultaneously".into());
        }
        let auths = [set(&self.bearer_token), !self.bearer_token_file.is_empty(), self.basic_auth.is_some(), self.authorization.is_some()];
        if auths.iter().filter(|a| **a).count() > 1 {
            return err("bearer_token", "at most one of basic_auth, authorization, oauth2, bearer_token & bearer_token_file must be configured".into());
        }
        let custom = auths.iter().any(|a| *a) || self.tls_config.is_some() || !self.proxy_url.is_empty();
        if custom && !self.kubeconfig_file.is_empty() {
            return err("kubeconfig_file", "cannot use a custom HTTP client configuration together with 'kubeconfig_file'".into());
        }
        if custom && self.api_server.is_empty() {
            return err("api_server", "to use a custom HTTP client configuration please provide the 'api_server' URL explicitly".into());
        }
        if !self.no_proxy.is_empty() || self.proxy_from_environment {
            return err("proxy_from_environment", "no_proxy and proxy_from_environment are not supported yet; use proxy_url".into());
        }
        if let Some(a) = &self.authorization {
            if !a.kind.is_empty() && !a.kind.eq_ignore_ascii_case("bearer") {
                return err("authorization.type", format!("authorization type {:?} is not supported yet: only \"Bearer\"", a.kind));
            }
        }
        if let Some(b) = &self.basic_auth {
            if set(&b.password) && !b.password_file.is_empty() {
                return err("basic_auth", "at most one of basic_auth password & password_file must be configured".into());
            }
        }
        if let Some(tls) = &self.tls_config {
            tls.validate().map_err(|e| ArgumentError::new("tls_config", e))?;
        }
        self.validate_selectors()?;
        Ok(())
    }
}

impl Arguments {
    /// Prometheus's rule: each role at most once, and only roles whose
    /// objects this role watches.
    fn validate_selectors(&self) -> Result<(), ArgumentError> {
        let mut allowed: Vec<&str> = match self.role.as_str() {
            "endpoints" => vec!["pod", "service", "endpoints"],
            "endpointslice" => vec!["pod", "service", "endpointslice"],
            other => vec![other],
        };
        if self.attach_metadata.node && self.role != "node" {
            allowed.push("node");
        }
        for (i, s) in self.selectors.iter().enumerate() {
            if self.selectors[..i].iter().any(|o| o.role == s.role) {
                return Err(ArgumentError::new("selectors", format!("duplicated selector role: {}", s.role)));
            }
            if !allowed.contains(&s.role.as_str()) {
                return Err(ArgumentError::new("selectors", format!("{} role supports only {} selectors", self.role, allowed.join(", "))));
            }
        }
        Ok(())
    }

    /// The label and field selectors for the objects of `role`.
    pub(super) fn selector(&self, role: &str) -> (Option<String>, Option<String>) {
        let nonempty = |s: &String| Some(s.clone()).filter(|s| !s.is_empty());
        match self.selectors.iter().find(|s| s.role == role) {
            Some(s) => (nonempty(&s.label), nonempty(&s.field)),
            None => (None, None),
        }
    }

    /// How to reach the API server: the URL given, else the kubeconfig
    /// file, else the pod's service account (as Alloy does).
    pub(super) fn auth(&self) -> AuthType {
        if !self.api_server.is_empty() {
            AuthType::None { url: Some(self.api_server.clone()) }
        } else if !self.kubeconfig_file.is_empty() {
            AuthType::KubeConfig { path: Some(PathBuf::from(&self.kubeconfig_file)), context: None }
        } else {
            AuthType::ServiceAccount
        }
    }

    /// Adds the HTTP client blocks to `config`.
    pub(super) fn configure(&self, config: &mut Config) -> Result<(), String> {
        let auth = &mut config.auth_info;
        if let Some(t) = self.bearer_token.as_ref().filter(|t| !t.0.expose().is_empty()) {
            auth.token = Some(t.0.expose().to_string().into());
        }
        if !self.bearer_token_file.is_empty() {
            auth.token_file = Some(self.bearer_token_file.clone());
        }
        if let Some(a) = &self.authorization {
            if let Some(c) = &a.credentials {
                auth.token = Some(c.0.expose().to_string().into());
            }
            if !a.credentials_file.is_empty() {
                auth.token_file = Some(a.credentials_file.clone());
            }
        }
        if let Some(b) = &self.basic_auth {
            auth.username = Some(b.username.clone());
            let password = match (&b.password, b.password_file.as_str()) {
                (Some(p), _) => p.0.expose().to_string(),
                (None, "") => String::new(),
                (None, file) => std::fs::read_to_string(file).map_err(|e| format!("basic_auth password_file {file:?}: {e}"))?.trim().to_string(),
            };
            auth.password = Some(password.into());
        }
        if !self.proxy_url.is_empty() {
            config.proxy_url = Some(self.proxy_url.parse().map_err(|e| format!("proxy_url {:?}: {e}", self.proxy_url))?);
        }
        if let Some(tls) = &self.tls_config {
            configure_tls(tls, config)?;
        }
        Ok(())
    }
}

/// `tls_config` as kube's client takes it.
fn configure_tls(tls: &TlsConfig, config: &mut Config) -> Result<(), String> {
    let ca = match (tls.ca_pem.as_str(), tls.ca_file.as_str()) {
        ("", "") => None,
        ("", file) => Some(std::fs::read(file).map_err(|e| format!("tls_config ca_file {file:?}: {e}"))?),
        (pem, _) => Some(pem.as_bytes().to_vec()),
    };
    if let Some(pem) = ca {
        let certs: Result<Vec<Vec<u8>>, _> = rustls_pemfile::certs(&mut pem.as_slice()).map(|c| c.map(|c| c.to_vec())).collect();
        config.root_cert = Some(certs.map_err(|e| format!("tls_config CA: {e}"))?);
    }
    config.accept_invalid_certs = tls.insecure_skip_verify;
    if !tls.server_name.is_empty() {
        config.tls_server_name = Some(tls.server_name.clone());
    }
    let auth = &mut config.auth_info;
    if !tls.cert_pem.is_empty() {
        auth.client_certificate_data = Some(base64_of(tls.cert_pem.as_bytes()));
    } else if !tls.cert_file.is_empty() {
        auth.client_certificate = Some(tls.cert_file.clone());
    }
    if let Some(k) = &tls.key_pem {
        auth.client_key_data = Some(base64_of(k.0.expose().as_bytes()).into());
    } else if !tls.key_file.is_empty() {
        auth.client_key = Some(tls.key_file.clone());
    }
    Ok(())
}

/// kubeconfig's `*-data` fields hold base64 of the PEM.
fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
