//! `otelcol.exporter.loadbalancing` end to end, with the real `solder`
//! binary as both tiers: an agent routing by trace ID (with the static
//! resolver, with the dns resolver against a DNS server the test runs, and
//! as shipped in examples/kubernetes, with the kubernetes resolver against
//! the API stand-in), and gateways computing the service
//! graph and span metrics, each forwarding to a grpcio sink of its own. Traces come from five
//! services instrumented with the OpenTelemetry Python SDK. The tests
//! check where every span went, against what the app was told was
//! exported: exactly once, each trace whole on the gateway the Collector's
//! ring names, and through a ring change under load, nothing lost and the
//! leaving gateway's queue re-routed.

mod support;

// The modules live in tests/e2e_loadbalancing/, which has no main.rs, so
// Cargo does not build that folder as a test target of its own.
#[path = "e2e_loadbalancing/dns.rs"]
mod dns;
#[path = "e2e_loadbalancing/fleet.rs"]
mod fleet;
#[path = "e2e_loadbalancing/graph.rs"]
mod graph;
#[path = "e2e_loadbalancing/kubernetes.rs"]
mod kubernetes;
#[path = "e2e_loadbalancing/ring.rs"]
mod ring;
#[path = "e2e_loadbalancing/rolling.rs"]
mod rolling;
#[path = "e2e_loadbalancing/whole_traces.rs"]
mod whole_traces;
