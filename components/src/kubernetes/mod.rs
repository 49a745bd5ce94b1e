//! Kubernetes API access shared by the components that need it
//! (`otelcol.processor.k8sattributes`, `discovery.kubernetes`, the
//! load-balancing exporter's resolver): client construction from Alloy's
//! `auth_type`, a pod informer with a slim, indexed cache, and a stand-in
//! API server to test them against. See `docs/kubernetes-client.md`.

mod cache;
mod client;
mod informer;
mod meta;
mod pod;
pub mod standin;

pub use cache::PodCache;
pub use client::{client, AuthType, API_SERVER_ENV};
pub use informer::{InformerConfig, InformerHealth, PodInformer};
pub use meta::{MetaConfig, MetaInformer, MetaKind, ObjectMeta};
pub use pod::{ContainerMeta, OwnerRef, PodMeta};

#[cfg(test)]
mod tests;
