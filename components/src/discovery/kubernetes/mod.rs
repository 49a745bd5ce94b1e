//! `discovery.kubernetes`: scrape targets from the Kubernetes API, with the
//! `__meta_kubernetes_*` labels of Prometheus's Kubernetes discovery.
//!
//! Each role lists and watches what it reads (the `endpoints` roles also
//! services and pods) through the shared informer loop, with the
//! `selectors` sent to the API server and one watch per namespace when
//! `namespaces` names some. Targets are built again from the caches when
//! they change, at most once per [`DEBOUNCE`], and only once every
//! informer has listed, so a half-listed cluster never drops targets
//! downstream.

mod args;
mod cluster;
mod endpoints;
mod endpointslice;
mod labels;
mod pod;
mod service;
mod store;
#[cfg(test)]
mod tests;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use kube::Client;
use solder_syntax::value::Number;
use solder_syntax::Value;
use tokio::sync::Notify;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

pub use args::{Arguments, AttachMetadata, Namespaces, Selectors};
pub use labels::Target;

use crate::component::{ArgumentError, Component, Exports, Health, HealthCell, HealthState, Options, Registration, RunFuture, Signals, Stability};
use crate::kubernetes::{config, idle, InformerHealth};
use crate::sync::lock;
use cluster::Cluster;
use store::Changes;

pub const REGISTRATION: Registration = Registration::of::<KubernetesDiscovery>("discovery.kubernetes", Stability::GenerallyAvailable, Signals::NONE);

/// Targets are rebuilt at most this often while the cluster changes.
pub const DEBOUNCE: Duration = Duration::from_secs(1);
/// How often health follows the informers.
const POLL: Duration = Duration::from_millis(250);
/// How long a failed client construction waits before it is tried again.
const CLIENT_RETRY: Duration = Duration::from_secs(5);

/// `targets`: Alloy's `list(map(string))`.
#[derive(Clone, Default)]
pub struct TargetsExports {
    pub targets: Arc<Vec<Target>>,
}

impl Exports for TargetsExports {
    const NAMES: &'static [&'static str] = &["targets"];

    fn to_value(&self) -> Value {
        let targets = self.targets.iter().map(|t| Value::object(t.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))))).collect();
        Value::object([("targets", Value::Array(targets))])
    }
}

pub struct KubernetesDiscovery {
    args: Mutex<Arguments>,
    /// An update changed the arguments: the informers start again.
    restart: Notify,
    targets: Mutex<Arc<Vec<Target>>>,
    /// Each informer's state, for debug info.
    informers: Mutex<Vec<(&'static str, InformerHealth)>>,
    on_exports_changed: Arc<dyn Fn() + Send + Sync>,
    health: HealthCell,
}

impl Component for KubernetesDiscovery {
    type Arguments = Arguments;
    type Exports = TargetsExports;

    fn build(opts: Options, args: Arguments) -> Result<KubernetesDiscovery, ArgumentError> {
        Ok(KubernetesDiscovery {
            args: Mutex::new(args),
            restart: Notify::new(),
            targets: Mutex::default(),
            informers: Mutex::default(),
            on_exports_changed: opts.on_exports_changed,
            health: HealthCell::default(),
        })
    }

    fn run(self: Arc<Self>, shutdown: CancellationToken) -> RunFuture {
        Box::pin(async move {
            while !shutdown.is_cancelled() {
                self.run_informers(&shutdown).await;
            }
            self.health.set(HealthState::Exited, "stopped");
        })
    }

    /// Any change restarts the informers: every argument is about what
    /// they watch or how they connect. The old targets stay exported
    /// until the new informers have listed.
    fn update(&self, args: Arguments) -> Result<(), ArgumentError> {
        let mut old = lock(&self.args);
        if *old != args {
            *old = args;
            self.restart.notify_one();
        }
        Ok(())
    }

    fn exports(&self) -> TargetsExports {
        TargetsExports { targets: lock(&self.targets).clone() }
    }

    fn health(&self) -> Health {
        self.health.get()
    }

    fn debug_info(&self) -> Value {
        let informers = lock(&self.informers).iter().map(|(name, h)| Value::object([("kind", Value::from(*name)), ("state", h.debug_value())])).collect();
        Value::object([("targets", Value::Number(Number::Uint(lock(&self.targets).len() as u64))), ("informers", Value::Array(informers))])
    }
}

impl KubernetesDiscovery {
    /// Runs one generation of informers, until shutdown or an update.
    async fn run_informers(&self, shutdown: &CancellationToken) {
        let args = lock(&self.args).clone();
        let client = match connect(&args).await {
            Ok(c) => c,
            Err((e, retry)) => {
                self.health.set(HealthState::Unhealthy, e);
                idle(shutdown, &self.restart, retry.then_some(CLIENT_RETRY)).await;
                return;
            }
        };
        let namespaces = match namespaces(&args) {
            Ok(n) => n,
            Err(e) => {
                self.health.set(HealthState::Unhealthy, e);
                idle(shutdown, &self.restart, None).await;
                return;
            }
        };
        let generation = shutdown.child_token();
        let changes = Arc::new(Changes::default());
        let cluster = Cluster::start(&client, &args, &namespaces, &changes, &generation);
        let mut built: Option<(u64, Instant)> = None;
        loop {
            // Targets first, so health never says more than what is
            // exported.
            let states = cluster.health();
            let synced = states.iter().all(|(_, h)| h.synced);
            let count = changes.count();
            let due = match built {
                None => true,
                Some((seen, at)) => seen != count && at.elapsed() >= DEBOUNCE,
            };
            if synced && due {
                self.publish(cluster.targets());
                built = Some((count, Instant::now()));
            }
            self.follow(&cluster.role, states);
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = self.restart.notified() => break,
                _ = changes.wake.notified() => {}
                _ = tokio::time::sleep(POLL) => {}
            }
        }
        generation.cancel();
    }

    /// Exports `targets` and tells the controller, when they differ.
    fn publish(&self, targets: Vec<Target>) {
        let mut current = lock(&self.targets);
        if **current == targets {
            return;
        }
        *current = Arc::new(targets);
        drop(current);
        (self.on_exports_changed)();
    }

    /// Health from the informers' states.
    fn follow(&self, role: &str, states: Vec<(&'static str, InformerHealth)>) {
        let synced = states.iter().all(|(_, h)| h.synced);
        let targets = lock(&self.targets).len();
        if let Some((name, h)) = states.iter().find(|(_, h)| h.failing) {
            let err = h.last_error.clone().unwrap_or_default();
            self.health.set(HealthState::Unhealthy, format!("the {name} watch is failing: {err}; {targets} targets exported"));
        } else if !synced {
            let mut waiting: Vec<&str> = states.iter().filter(|(_, h)| !h.synced).map(|(n, _)| *n).collect();
            waiting.dedup();
            self.health.set(HealthState::Unhealthy, format!("waiting for the first list of {}", waiting.join(", ")));
        } else {
            self.health.set(HealthState::Healthy, format!("{targets} targets for role {role:?}"));
        }
        *lock(&self.informers) = states;
    }
}

/// A client as the arguments say; an error says whether trying again
/// may help (an in-cluster config appears, a kubeconfig is written).
async fn connect(args: &Arguments) -> Result<Client, (String, bool)> {
    let mut config = config(&args.auth()).await.map_err(|e| (format!("cannot reach the Kubernetes API: {e}"), true))?;
    args.configure(&mut config).map_err(|e| (e, true))?;
    Client::try_from(config).map_err(|e| (format!("kubernetes client: {e}"), true))
}

/// The namespaces to watch; empty for all.
fn namespaces(args: &Arguments) -> Result<Vec<String>, String> {
    let Some(ns) = &args.namespaces else { return Ok(Vec::new()) };
    let mut names = ns.names.clone();
    if ns.own_namespace {
        let own =
            std::fs::read_to_string(args::OWN_NAMESPACE_FILE).map_err(|e| format!("namespaces: own_namespace: reading {}: {e}", args::OWN_NAMESPACE_FILE))?;
        names.push(own.trim().to_string());
    }
    names.sort();
    names.dedup();
    Ok(names)
}
