//! `otelcol.processor.k8sattributes` end to end: the real `solder` binary
//! between the OpenTelemetry Python SDK and a grpcio sink, listing and
//! watching pods from the stand-in API server, which runs in this test
//! process and speaks the real list/watch protocol. Each test asserts on
//! the resource attributes of the spans the sink received, and on the
//! delivery balance.

mod support;

// The modules live in tests/k8sattributes/, which has no main.rs, so
// Cargo does not build that folder as a test target of its own.
#[path = "k8sattributes/association.rs"]
mod association;
#[path = "k8sattributes/harness.rs"]
mod harness;
#[path = "k8sattributes/health.rs"]
mod health;
#[path = "k8sattributes/pods.rs"]
mod pods;
#[path = "k8sattributes/watch.rs"]
mod watch;
