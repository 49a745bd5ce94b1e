//! Shipping Solder: the container image (`Dockerfile`) and the Kubernetes
//! manifests in `examples/kubernetes`, checked without a cluster or a
//! Docker engine. The manifests pass the Kubernetes OpenAPI schemas, the
//! configs they carry pass `solder validate`, the workloads mount those
//! configs as directories and declare the ports they listen on, the
//! agents may read only what their configs read from the API, and a
//! running agent follows a ConfigMap update made exactly as the kubelet
//! makes it.

mod support;

// A test crate's root looks for its modules beside it, in tests/, so each
// one here names its file in tests/kubernetes/. That folder has no main.rs,
// so Cargo does not build it as a test target of its own.
#[path = "kubernetes/api_access.rs"]
mod api_access;
#[path = "kubernetes/configmap_reload.rs"]
mod configmap_reload;
#[path = "kubernetes/configs.rs"]
mod configs;
#[path = "kubernetes/dockerfile.rs"]
mod dockerfile;
#[path = "kubernetes/environment.rs"]
mod environment;
#[path = "kubernetes/gateway_tier.rs"]
mod gateway_tier;
#[path = "kubernetes/kustomizations.rs"]
mod kustomizations;
#[path = "kubernetes/manifests.rs"]
mod manifests;
#[path = "kubernetes/workloads.rs"]
mod workloads;
