//! TEMPORARY STUB (replaced by the informers branch).
use super::{InformerHealth, OwnerRef};
use crate::selfmetrics::ComponentMetrics;
use std::collections::BTreeMap;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObjectMeta {
    pub name: String,
    pub namespace: String,
    pub uid: String,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub owners: Vec<OwnerRef>,
}
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetaKind {
    Namespace,
    Node,
    ReplicaSet,
}
#[derive(Clone, Debug, Default)]
pub struct MetaConfig {
    pub field_selector: Option<String>,
    pub label_selector: Option<String>,
    pub keep_labels: bool,
}
#[derive(Clone)]
pub struct MetaInformer;
impl MetaInformer {
    pub fn start(
        _client: kube::Client,
        _kind: MetaKind,
        _config: &MetaConfig,
        _metrics: Option<&ComponentMetrics>,
        _cancel: CancellationToken,
    ) -> MetaInformer {
        MetaInformer
    }
    pub fn get(&self, _namespace: &str, _name: &str) -> Option<Arc<ObjectMeta>> {
        None
    }
    pub fn by_uid(&self, _uid: &str) -> Option<Arc<ObjectMeta>> {
        None
    }
    pub fn health(&self) -> InformerHealth {
        InformerHealth::default()
    }
    pub fn is_empty(&self) -> bool {
        true
    }

    pub fn len(&self) -> usize {
        0
    }
}
