//! Building a Kubernetes client from Alloy's `auth_type` (as in
//! `discovery.kubernetes` and `otelcol.processor.k8sattributes`).

use std::env;
use std::path::PathBuf;

use kube::config::{Config, KubeConfigOptions, Kubeconfig};
use kube::Client;

/// How the agent authenticates to the API server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthType {
    /// In-cluster: `KUBERNETES_SERVICE_HOST`/`_PORT` and the service
    /// account's token and `ca.crt` under
    /// `/var/run/secrets/kubernetes.io/serviceaccount`.
    ServiceAccount,
    /// A kubeconfig file: `path` (Alloy's `kubeconfig_file`), else
    /// `KUBECONFIG`, else `~/.kube/config`; `context` picks one other than
    /// the file's current context.
    KubeConfig { path: Option<PathBuf>, context: Option<String> },
    /// No authentication, to a plain URL (tests and local proxies such as
    /// `kubectl proxy`); `None` reads [`API_SERVER_ENV`].
    None { url: Option<String> },
}

/// The variable `auth_type = "none"` takes the API server's URL from when
/// no URL is given.
pub const API_SERVER_ENV: &str = "SOLDER_KUBERNETES_API_SERVER";

impl AuthType {
    /// Parses Alloy's spelling: `serviceAccount`, `kubeConfig` or `none`.
    pub fn parse(name: &str) -> Result<AuthType, String> {
        match name {
            "serviceAccount" => Ok(AuthType::ServiceAccount),
            "kubeConfig" => Ok(AuthType::KubeConfig { path: None, context: None }),
            "none" => Ok(AuthType::None { url: None }),
            other => Err(format!("unknown auth_type {other:?}: expected \"serviceAccount\", \"kubeConfig\" or \"none\"")),
        }
    }
}

/// A client for `auth`; errors are messages fit for a diagnostic.
pub async fn client(auth: &AuthType) -> Result<Client, String> {
    Client::try_from(config(auth).await?).map_err(|e| format!("kubernetes client: {e}"))
}

/// The connection settings `auth` stands for, for a caller that adds its
/// own (`discovery.kubernetes`'s bearer token, basic auth and TLS blocks)
/// before building the client.
pub async fn config(auth: &AuthType) -> Result<Config, String> {
    Ok(match auth {
        AuthType::ServiceAccount => Config::incluster().map_err(|e| format!("auth_type \"serviceAccount\": {e}"))?,
        AuthType::KubeConfig { path, context } => {
            let options = KubeConfigOptions { context: context.clone(), ..KubeConfigOptions::default() };
            let loaded = match path {
                None => Config::from_kubeconfig(&options).await,
                Some(p) => match Kubeconfig::read_from(p) {
                    Ok(file) => Config::from_custom_kubeconfig(file, &options).await,
                    Err(e) => Err(e),
                },
            };
            loaded.map_err(|e| format!("auth_type \"kubeConfig\": {e}"))?
        }
        AuthType::None { url } => {
            let url = match url {
                Some(u) => u.clone(),
                None => env::var(API_SERVER_ENV).map_err(|_| format!("auth_type \"none\" needs an API server URL in {API_SERVER_ENV}"))?,
            };
            let uri = url.parse().map_err(|e| format!("auth_type \"none\": API server URL {url:?}: {e}"))?;
            Config::new(uri)
        }
    })
}
