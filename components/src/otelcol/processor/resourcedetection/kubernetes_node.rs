//! The `kubernetes_node` detector: the node named by `node_from_env_var`
//! (the downward API's `spec.nodeName`), read once from the Kubernetes API
//! for its `k8s.node.name` and `k8s.node.uid`.

use k8s_openapi::api::core::v1::Node;
use serde::Deserialize;

use super::system::Toggle;
use crate::component::ArgumentError;
use crate::kubernetes::{client, AuthType, API_SERVER_ENV};

/// `kubernetes_node { ... }`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KubernetesNode {
    /// How to reach the API server: `"none"`, `"serviceAccount"`,
    /// `"kubeConfig"` or `"tls"`. Default `"none"`.
    #[serde(default = "none")]
    pub auth_type: String,
    /// The kubeconfig context to use with `"kubeConfig"`. Default `""`.
    #[serde(default)]
    pub context: String,
    /// The environment variable holding the node's name. Default
    /// `"K8S_NODE_NAME"`.
    #[serde(default = "node_variable")]
    pub node_from_env_var: String,
    /// Which attributes are added.
    #[serde(default)]
    pub resource_attributes: NodeAttributes,
}

impl Default for KubernetesNode {
    fn default() -> KubernetesNode {
        KubernetesNode { auth_type: none(), context: String::new(), node_from_env_var: node_variable(), resource_attributes: NodeAttributes::default() }
    }
}

fn none() -> String {
    "none".to_string()
}

fn node_variable() -> String {
    "K8S_NODE_NAME".to_string()
}

/// `resource_attributes { k8s.node.name { enabled = bool } ... }`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeAttributes {
    #[serde(rename = "k8s.node.name", default = "on")]
    pub k8s_node_name: Toggle,
    #[serde(rename = "k8s.node.uid", default = "on")]
    pub k8s_node_uid: Toggle,
}

impl Default for NodeAttributes {
    fn default() -> NodeAttributes {
        NodeAttributes { k8s_node_name: on(), k8s_node_uid: on() }
    }
}

fn on() -> Toggle {
    Toggle { enabled: true }
}

impl KubernetesNode {
    pub fn validate(&self) -> Result<(), ArgumentError> {
        if !["none", "serviceAccount", "kubeConfig", "tls"].contains(&self.auth_type.as_str()) {
            return Err(ArgumentError::new("kubernetes_node.auth_type", format!("unknown auth_type {:?}", self.auth_type))
                .with_help("auth_type must be one of none, serviceAccount, kubeConfig, tls"));
        }
        if self.node_from_env_var.is_empty() {
            return Err(ArgumentError::new("kubernetes_node.node_from_env_var", "node_from_env_var must not be empty"));
        }
        Ok(())
    }
}

/// Reads the node from the API server. Runs on the detection thread, so
/// it brings its own single-threaded runtime for the client. `var` reads
/// the environment (tests pass their own).
pub fn detect(node: &KubernetesNode, var: &dyn Fn(&str) -> Option<String>) -> Result<Vec<(String, String)>, String> {
    let name = var(&node.node_from_env_var)
        .filter(|n| !n.is_empty())
        .ok_or_else(|| format!("kubernetes_node: {} is not set; give the pod its node name with the downward API (spec.nodeName)", node.node_from_env_var))?;
    let auth = match AuthType::parse(&node.auth_type).map_err(|e| format!("kubernetes_node: {e}"))? {
        AuthType::None { .. } => AuthType::None { url: var(API_SERVER_ENV) },
        AuthType::KubeConfig { path, .. } => AuthType::KubeConfig { path, context: Some(node.context.clone()).filter(|c| !c.is_empty()) },
        other => other,
    };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| format!("kubernetes_node: {e}"))?;
    let found = runtime.block_on(async {
        let api: kube::Api<Node> = kube::Api::all(client(&auth).await?);
        api.get(&name).await.map_err(|e| format!("kubernetes_node: cannot read node {name:?}: {e}"))
    })?;
    let mut out = Vec::new();
    if node.resource_attributes.k8s_node_name.enabled {
        out.push(("k8s.node.name".to_string(), name.clone()));
    }
    if node.resource_attributes.k8s_node_uid.enabled {
        let uid = found.metadata.uid.ok_or_else(|| format!("kubernetes_node: node {name:?} has no uid"))?;
        out.push(("k8s.node.uid".to_string(), uid));
    }
    Ok(out)
}
