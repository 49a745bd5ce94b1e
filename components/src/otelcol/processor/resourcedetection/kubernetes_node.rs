//! The `kubernetes_node` detector's block. Its arguments are accepted and
//! checked so that Alloy configurations load, but the detector itself
//! needs the Kubernetes API and is refused by `detectors` until Solder has
//! a client for it.

use serde::Deserialize;

use super::system::Toggle;
use crate::component::ArgumentError;

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
