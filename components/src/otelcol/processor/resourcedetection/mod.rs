//! `otelcol.processor.resourcedetection`: adds what the agent can learn
//! about where it runs (the host's name, the operating system,
//! `OTEL_RESOURCE_ATTRIBUTES`) to the resource of every batch passing
//! through, so that telemetry from SDKs that do not describe their host
//! still says where it came from.
//!
//! Detection runs when the component starts (and again on an update that
//! changes the detectors), bounded by `timeout`, and not when it is built:
//! `solder validate` and reload plans build components, and must not call
//! the Kubernetes API. Data waits for the first attempt; a failed one (the
//! API server down at start-up) makes the component unhealthy and is tried
//! again every 5 s, while data passes on without the attributes, rather
//! than the config failing to load until someone edits it. Passing data
//! costs rewriting each payload's resources (the rest is copied as bytes),
//! or nothing when there is nothing to add.

mod env;
mod kubernetes_node;
mod merge;
mod system;
#[cfg(test)]
mod tests;

use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use tokio::sync::{watch, Notify};

use serde::Deserialize;
use solder_syntax::value::Number;
use solder_syntax::Value;
use tokio_util::sync::CancellationToken;

use crate::component::{
    self, ArgumentError, Component, Health, HealthCell, HealthState, InputExports, Options, Registration, RunFuture, Signals, Stability, Telemetry,
};
use crate::consumer::{ConsumeFuture, Consumer, ConsumerHandle, Fanout};
use crate::otelcol::output::Output;
use crate::otlp::{Logs, Metrics, Signal, Traces};
use crate::sync::lock;
use crate::types::Duration;

pub use kubernetes_node::KubernetesNode;
pub use merge::Detected;
pub use system::System;

const ALL: &[Telemetry] = &[Telemetry::Traces, Telemetry::Metrics, Telemetry::Logs];

pub const REGISTRATION: Registration =
    Registration::of::<ResourceDetection>("otelcol.processor.resourcedetection", Stability::GenerallyAvailable, Signals { takes: ALL, gives: ALL });

/// Every detector name Alloy accepts; only some are implemented here.
const KNOWN: &[&str] = &[
    "env",
    "ec2",
    "ecs",
    "eks",
    "elasticbeanstalk",
    "lambda",
    "akamai",
    "azure",
    "aks",
    "consul",
    "digitalocean",
    "docker",
    "gcp",
    "heroku",
    "hetzner",
    "system",
    "openshift",
    "kubernetes_node",
    "kubeadm",
    "dynatrace",
    "openstacknova",
    "oraclecloud",
    "scaleway",
    "upcloud",
    "vultr",
];

/// The detectors Solder runs.
const IMPLEMENTED: &[&str] = &["env", "system", "kubernetes_node"];

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Arguments {
    /// The detectors to run, in order; where two detect the same
    /// attribute, the first wins. Default `["env"]`.
    #[serde(default = "default_detectors")]
    pub detectors: Vec<String>,
    /// Whether detected attributes replace ones the resource already has.
    /// Default `true`.
    #[serde(default = "yes", rename = "override")]
    pub override_existing: bool,
    /// How long all detectors together may take. Default `"5s"`.
    #[serde(default = "five_seconds")]
    pub timeout: Duration,
    /// The `system` detector's settings.
    #[serde(default)]
    pub system: System,
    /// The `kubernetes_node` detector's settings.
    #[serde(default)]
    pub kubernetes_node: KubernetesNode,
    /// Where enriched data goes.
    pub output: Output,
}

fn default_detectors() -> Vec<String> {
    vec!["env".to_string()]
}

fn yes() -> bool {
    true
}

fn five_seconds() -> Duration {
    Duration(std::time::Duration::from_secs(5))
}

impl component::Arguments for Arguments {
    fn validate(&self) -> Result<(), ArgumentError> {
        if self.detectors.is_empty() {
            return Err(ArgumentError::new("detectors", "at least one detector must be specified"));
        }
        for d in &self.detectors {
            if !KNOWN.contains(&d.as_str()) {
                return Err(ArgumentError::new("detectors", format!("invalid detector: {d}")));
            }
            if !IMPLEMENTED.contains(&d.as_str()) {
                return Err(ArgumentError::new("detectors", format!("detector {d} is not supported yet"))
                    .with_help(format!("Solder runs these detectors: {}", IMPLEMENTED.join(", "))));
            }
        }
        self.system.validate()?;
        self.kubernetes_node.validate()?;
        self.output.check().map_err(|m| ArgumentError::new("output", m))
    }
}

pub struct ResourceDetection {
    shared: Arc<Shared>,
    exports: InputExports,
    health: HealthCell,
}

/// How long a failed detection waits before it is tried again.
const RETRY: StdDuration = StdDuration::from_secs(5);

struct Shared {
    /// The detectors' arguments the current attributes came from, so an
    /// update that only changes the output does not detect again.
    args: Mutex<Arguments>,
    detected: Mutex<Arc<Detected>>,
    /// The first detection attempt has ended; data waits for it.
    ready: watch::Sender<bool>,
    /// An update changed the detectors.
    redetect: Notify,
    /// Each signal's fan-out, made when the output changes, not per payload.
    outputs: Mutex<Arc<[Fanout; 3]>>,
}

impl Component for ResourceDetection {
    type Arguments = Arguments;
    type Exports = InputExports;

    fn build(_opts: Options, args: Arguments) -> Result<ResourceDetection, ArgumentError> {
        let (ready, _) = watch::channel(false);
        let shared = Arc::new(Shared {
            outputs: Mutex::new(fanouts(&args.output)),
            args: Mutex::new(args),
            detected: Mutex::new(Arc::default()),
            ready,
            redetect: Notify::new(),
        });
        let input = ConsumerHandle::new(Input(Arc::clone(&shared))).capsule();
        Ok(ResourceDetection { shared, exports: InputExports { input }, health: HealthCell::default() })
    }

    fn run(self: Arc<Self>, shutdown: CancellationToken) -> RunFuture {
        Box::pin(async move {
            loop {
                let args = lock(&self.shared.args).clone();
                let found = tokio::task::spawn_blocking(move || detect(&args)).await;
                let retry = match found {
                    Ok(Ok(detected)) => {
                        let n = detected.len();
                        *lock(&self.shared.detected) = Arc::new(detected);
                        self.health.set(HealthState::Healthy, format!("{n} resource attributes detected"));
                        None
                    }
                    Ok(Err(e)) => {
                        self.health.set(HealthState::Unhealthy, format!("detection failed, retrying every 5s: {}", e.message));
                        Some(RETRY)
                    }
                    Err(e) => {
                        self.health.set(HealthState::Unhealthy, format!("detection failed, retrying every 5s: {e}"));
                        Some(RETRY)
                    }
                };
                self.shared.ready.send_replace(true);
                let again = async {
                    match retry {
                        Some(d) => tokio::time::sleep(d).await,
                        None => std::future::pending().await,
                    }
                };
                tokio::select! {
                    _ = shutdown.cancelled() => break,
                    _ = self.shared.redetect.notified() => {}
                    _ = again => {}
                }
            }
            self.health.set(HealthState::Exited, "stopped");
        })
    }

    fn update(&self, args: Arguments) -> Result<(), ArgumentError> {
        let same_detection = {
            let old = lock(&self.shared.args);
            old.detectors == args.detectors
                && old.override_existing == args.override_existing
                && old.system == args.system
                && old.kubernetes_node == args.kubernetes_node
        };
        *lock(&self.shared.outputs) = fanouts(&args.output);
        *lock(&self.shared.args) = args;
        if !same_detection {
            self.shared.redetect.notify_one();
        }
        Ok(())
    }

    fn exports(&self) -> InputExports {
        self.exports.clone()
    }

    fn health(&self) -> Health {
        self.health.get()
    }

    fn debug_info(&self) -> Value {
        let detected = Arc::clone(&lock(&self.shared.detected));
        let attributes = detected.pairs().map(|(k, v)| (k.to_string(), Value::String(v.to_string()))).collect();
        Value::object([("attributes", Value::Object(attributes)), ("count", Value::Number(Number::Uint(detected.len() as u64)))])
    }
}

/// Runs the detectors on a thread of their own, so that a slow one (a
/// hung name lookup) costs at most `timeout`.
fn detect(args: &Arguments) -> Result<Detected, ArgumentError> {
    let (tx, rx) = std::sync::mpsc::channel();
    let (detectors, system, node, override_existing) = (args.detectors.clone(), args.system.clone(), args.kubernetes_node.clone(), args.override_existing);
    std::thread::Builder::new()
        .name("resourcedetection".into())
        .spawn(move || {
            let found = merge::run(&detectors, &system, &node, &|name| std::env::var(name).ok());
            let _ = tx.send(found.map(|d| d.with_override(override_existing)));
        })
        .map_err(|e| ArgumentError::whole(format!("cannot start resource detection: {e}")))?;
    let timeout = args.timeout.0;
    match rx.recv_timeout(timeout) {
        Ok(found) => found.map_err(ArgumentError::whole),
        Err(_) => Err(ArgumentError::new("timeout", format!("resource detection did not finish within {timeout:?}"))),
    }
}

/// What the `input` capsule holds.
struct Input(Arc<Shared>);

macro_rules! enriched {
    ($method:ident, $fan:ident, $t:ty, $slot:expr) => {
        fn $method(&self, data: $t) -> ConsumeFuture<'_> {
            let shared = Arc::clone(&self.0);
            Box::pin(async move {
                // The sender lives in `shared`, so the wait ends.
                if !*shared.ready.borrow() {
                    let _ = shared.ready.subscribe().wait_for(|r| *r).await;
                }
                let detected = Arc::clone(&lock(&shared.detected));
                let outputs = Arc::clone(&lock(&shared.outputs));
                let data = detected.apply(data)?;
                outputs[$slot].$fan(data).await
            })
        }
    };
}

impl Consumer for Input {
    enriched!(consume_traces, traces, Traces, 0);
    enriched!(consume_metrics, metrics, Metrics, 1);
    enriched!(consume_logs, logs, Logs, 2);

    fn accepts(&self, _signal: Signal) -> bool {
        true
    }
}

fn fanouts(output: &Output) -> Arc<[Fanout; 3]> {
    Arc::new([Signal::Traces, Signal::Metrics, Signal::Logs].map(|s| output.fanout(s)))
}
