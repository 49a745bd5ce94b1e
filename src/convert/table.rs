//! The mapping table: which collector components Solder can convert, into
//! which Alloy components, and which signals they take and give.

use std::collections::BTreeMap;

use super::components;
use super::emit::{list, Block};
use super::ids::{Kind, Signal};
use super::options::Diags;
use super::yaml::Node;

/// What a converter gets: the component's config, its label, and where
/// each signal it produces goes.
pub struct Ctx<'a> {
    /// `exporter "otlp/jaeger"`, for messages.
    pub owner: &'a str,
    pub label: &'a str,
    pub config: &'a Node,
    /// The key the component is defined under, for diagnostics about the
    /// component as a whole.
    pub key_span: solder_syntax::Span,
    /// Alloy references (`otelcol.exporter.otlp.default.input`) per signal.
    pub outputs: &'a BTreeMap<Signal, Vec<String>>,
    /// The top-level `extensions` section, for components whose `auth`
    /// names one.
    pub extensions: Option<&'a Node>,
    pub diags: &'a mut Diags,
}

impl Ctx<'_> {
    /// The `output` block: one attribute per signal that goes somewhere.
    pub fn output(&self) -> Block {
        let mut out = Block::new("output");
        for (signal, refs) in self.outputs {
            if !refs.is_empty() {
                out.attr(signal.name(), list(refs));
            }
        }
        out
    }
}

pub type ConvertFn = fn(&mut Ctx) -> Vec<Block>;

/// One collector component type Solder converts.
pub struct Entry {
    pub kind: Kind,
    pub ty: &'static str,
    /// The Alloy component it becomes; others send to its `input`.
    pub component: &'static str,
    /// Signals it takes: as an exporter or processor, or a connector's
    /// exporter side.
    pub accepts: &'static [Signal],
    /// Signals a connector produces on its receiver side.
    pub produces: &'static [Signal],
    pub convert: ConvertFn,
}

const ALL: &[Signal] = Signal::ALL;
const TRACES: &[Signal] = &[Signal::Traces];
const METRICS: &[Signal] = &[Signal::Metrics];

/// Every convertible component.
pub const TABLE: &[Entry] = &[
    Entry { kind: Kind::Receiver, ty: "otlp", component: "otelcol.receiver.otlp", accepts: &[], produces: ALL, convert: components::otlp_receiver::convert },
    Entry {
        kind: Kind::Receiver,
        ty: "prometheus",
        component: "otelcol.receiver.prometheus",
        accepts: &[],
        produces: METRICS,
        convert: components::prometheus_receiver::convert,
    },
    Entry { kind: Kind::Processor, ty: "batch", component: "otelcol.processor.batch", accepts: ALL, produces: ALL, convert: components::batch::convert },
    Entry {
        kind: Kind::Processor,
        ty: "attributes",
        component: "otelcol.processor.attributes",
        accepts: ALL,
        produces: ALL,
        convert: components::attributes::convert,
    },
    Entry { kind: Kind::Processor, ty: "span", component: "otelcol.processor.span", accepts: TRACES, produces: TRACES, convert: components::span::convert },
    Entry {
        kind: Kind::Processor,
        ty: "transform",
        component: "otelcol.processor.transform",
        accepts: ALL,
        produces: ALL,
        convert: components::ottl::transform,
    },
    Entry { kind: Kind::Processor, ty: "filter", component: "otelcol.processor.filter", accepts: ALL, produces: ALL, convert: components::ottl::filter },
    Entry {
        kind: Kind::Processor,
        ty: "resourcedetection",
        component: "otelcol.processor.resourcedetection",
        accepts: ALL,
        produces: ALL,
        convert: components::resourcedetection::convert,
    },
    Entry {
        kind: Kind::Processor,
        ty: "k8sattributes",
        component: "otelcol.processor.k8sattributes",
        accepts: ALL,
        produces: ALL,
        convert: components::k8sattributes::convert,
    },
    Entry {
        kind: Kind::Exporter,
        ty: "otlp",
        component: "otelcol.exporter.otlp",
        accepts: ALL,
        produces: &[],
        convert: components::otlp_exporter::convert_grpc,
    },
    Entry {
        kind: Kind::Exporter,
        ty: "otlphttp",
        component: "otelcol.exporter.otlphttp",
        accepts: ALL,
        produces: &[],
        convert: components::otlp_exporter::convert_http,
    },
    Entry {
        kind: Kind::Exporter,
        ty: "loadbalancing",
        component: "otelcol.exporter.loadbalancing",
        accepts: ALL,
        produces: &[],
        convert: components::loadbalancing::convert,
    },
    Entry { kind: Kind::Exporter, ty: "debug", component: "otelcol.exporter.debug", accepts: ALL, produces: &[], convert: components::debug::convert },
    Entry {
        kind: Kind::Exporter,
        ty: "logging",
        component: "otelcol.exporter.debug",
        accepts: ALL,
        produces: &[],
        convert: components::debug::convert_logging,
    },
    Entry {
        kind: Kind::Exporter,
        ty: "prometheus",
        component: "otelcol.exporter.prometheus",
        accepts: METRICS,
        produces: &[],
        convert: components::prometheus::convert_expose,
    },
    Entry {
        kind: Kind::Exporter,
        ty: "prometheusremotewrite",
        component: "otelcol.exporter.prometheus",
        accepts: METRICS,
        produces: &[],
        convert: components::prometheus::convert_remote_write,
    },
    Entry {
        kind: Kind::Connector,
        ty: "spanmetrics",
        component: "otelcol.connector.spanmetrics",
        accepts: TRACES,
        produces: METRICS,
        convert: components::spanmetrics::convert,
    },
    Entry {
        kind: Kind::Connector,
        ty: "servicegraph",
        component: "otelcol.connector.servicegraph",
        accepts: TRACES,
        produces: METRICS,
        convert: components::servicegraph::convert,
    },
];

/// Types the Collector renamed, new name first: it keeps the old names as
/// deprecated aliases, so both load there and both convert here.
const RENAMED: &[(Kind, &str, &str)] = &[
    (Kind::Exporter, "otlp_grpc", "otlp"),
    (Kind::Exporter, "otlp_http", "otlphttp"),
    (Kind::Exporter, "load_balancing", "loadbalancing"),
    (Kind::Processor, "k8s_attributes", "k8sattributes"),
    (Kind::Processor, "resource_detection", "resourcedetection"),
    (Kind::Connector, "span_metrics", "spanmetrics"),
    (Kind::Connector, "service_graph", "servicegraph"),
];

pub fn lookup(kind: Kind, ty: &str) -> Option<&'static Entry> {
    let ty = RENAMED.iter().find(|(k, new, _)| *k == kind && *new == ty).map_or(ty, |(_, _, old)| old);
    TABLE.iter().find(|e| e.kind == kind && e.ty == ty).filter(|e| runnable(e))
}

/// Components a converter emits besides its own, by collector type.
const NEEDS: &[(Kind, &str, &[&str])] =
    &[(Kind::Receiver, "prometheus", &["prometheus.scrape", "prometheus.relabel", "discovery.relabel", "discovery.kubernetes"])];

/// Whether this build has every component the entry's conversion emits:
/// a conversion Solder could not run is reported as unsupported instead.
fn runnable(e: &Entry) -> bool {
    let Some((_, _, needs)) = NEEDS.iter().find(|(k, t, _)| *k == e.kind && *t == e.ty) else { return true };
    let registry = solder_components::Registry::builtin();
    needs.iter().all(|n| registry.get(n).is_some())
}

/// Advice for components users often have that Solder does not convert.
pub fn advice(kind: Kind, ty: &str) -> &'static str {
    match (kind, ty) {
        (Kind::Exporter, "jaeger") => {
            "the jaeger exporter was removed from the Collector (v0.85); Jaeger accepts OTLP, so use the otlp exporter with Jaeger's OTLP port (4317)"
        }
        (Kind::Processor, "memory_limiter") => {
            "Solder has no memory_limiter: its pipelines push back on senders when full instead; remove it from the pipeline"
        }
        (Kind::Receiver, "prometheus") => "Solder cannot scrape Prometheus targets yet",
        _ => "Solder has no equivalent component",
    }
}
