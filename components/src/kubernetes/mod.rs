//! Kubernetes API access shared by the components that need it
//! (`otelcol.processor.k8sattributes`, `discovery.kubernetes`, the
//! load-balancing exporter's resolver): client construction from Alloy's
//! `auth_type`, a pod informer with a slim, indexed cache, informers for the
//! metadata of namespaces, nodes and ReplicaSets, an informer for the
//! EndpointSlices of one Service, and a stand-in API server
//! to test them against. See `docs/kubernetes-client.md`.

mod cache;
mod client;
mod endpointslice;
mod idle;
mod informer;
mod keep;
mod meta;
mod pod;
pub mod standin;
mod watch_loop;

pub use cache::PodCache;
pub use client::{client, config, AuthType, API_SERVER_ENV};
pub use endpointslice::{EndpointSliceInformer, Slice, SliceEndpoint, SERVICE_NAME_LABEL};
pub(crate) use idle::idle;
pub use informer::{InformerConfig, PodInformer};
pub use keep::Keep;
pub use meta::{MetaConfig, MetaInformer, MetaKind, ObjectMeta};
pub use pod::{ContainerMeta, OwnerRef, PodMeta};
pub use watch_loop::InformerHealth;
pub(crate) use watch_loop::{Informed, SlimCache};

#[cfg(test)]
mod meta_tests;
#[cfg(test)]
mod standin_tests;
#[cfg(test)]
mod tests;
