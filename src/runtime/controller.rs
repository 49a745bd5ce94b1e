//! The live component graph: applies configs as diffs and re-evaluates
//! components when the exports they read change.
//!
//! Applying a config happens in two phases. The plan evaluates every
//! component in dependency order and builds the new ones (building has no
//! side effects: sockets and tasks start in `run`). Only if the whole plan
//! succeeds is the graph changed: removed components stop first (so a
//! renamed listener frees its port), changed ones update in place, new ones
//! start, and unchanged ones are not touched at all.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant, SystemTime};

use solder_components::body::{self, EvalBody};
use solder_components::component::{ComponentMetrics, Decoded};
use solder_components::{Health, HealthState, Options, Registry, Running};
use solder_syntax::diagnostic::attach_source;
use solder_syntax::{Diagnostic, Evaluator};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::flow::{Flow, Taps};
use super::loader::{Config, Declaration, Kind};
use super::modules::{argument_object, exports_object, Passive};
use super::scope::ScopeBuilder;
use super::supervise::{supervise, Fault};

/// How long a removed component gets to flush and stop.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// Every component build gets a fresh number, so "was it rebuilt?" has a
/// plain answer.
static INSTANCES: AtomicU64 = AtomicU64::new(1);

/// One running component.
pub struct Node {
    pub decl: Declaration,
    pub args: EvalBody,
    pub component: Arc<dyn Running>,
    /// Which build of this component is running.
    pub instance: u64,
    pub started: SystemTime,
    /// Set when re-evaluating or updating the component failed; the
    /// component keeps running with its previous arguments.
    error: Option<Diagnostic>,
    /// When `error` last changed.
    error_since: SystemTime,
    cancel: CancellationToken,
    task: Option<JoinHandle<()>>,
    /// Set while the component's task is recovering from a panic.
    fault: Fault,
    /// For a custom component's instance, as of the last inspection: the
    /// worst health among the components inside it, and its exports.
    rollup: Option<(Health, solder_syntax::Value)>,
}

impl Node {
    /// The component's health, overridden by an evaluation failure.
    pub fn health(&self) -> Health {
        if let Some((health, _)) = self.rollup.as_ref().filter(|(h, _)| h.state != HealthState::Healthy) {
            if self.error.is_none() {
                return health.clone();
            }
        }
        if let Some(d) = &self.error {
            return Health { state: HealthState::Unhealthy, message: d.to_string(), updated: self.error_since };
        }
        match self.fault.get() {
            Some((message, since)) => Health { state: HealthState::Unhealthy, message, updated: since },
            None => self.component.health(),
        }
    }

    /// What the component exports, as shown: a custom component's are its
    /// `export` blocks' values.
    pub fn shown_exports(&self) -> solder_syntax::Value {
        match &self.rollup {
            Some((_, exports)) => exports.clone(),
            None => self.component.exports(),
        }
    }

    /// The IDs of the components this one reads, as shown.
    pub fn references(&self) -> Vec<String> {
        let ids: BTreeSet<String> = self.decl.depends_on.iter().map(|d| super::modules::shown_id(d).to_string()).collect();
        ids.into_iter().collect()
    }

    /// Records (or clears) an evaluation or update failure; its time is
    /// the health's "updated" while it lasts.
    fn set_error(&mut self, error: Option<Diagnostic>) {
        if self.error.as_ref().map(ToString::to_string) != error.as_ref().map(ToString::to_string) {
            self.error_since = SystemTime::now();
        }
        self.error = error;
    }
}

/// What a successful apply did, for logs and the API.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ApplyReport {
    pub added: Vec<String>,
    pub updated: Vec<String>,
    pub removed: Vec<String>,
    pub unchanged: Vec<String>,
    /// Components whose in-place update failed; they keep their old arguments.
    pub update_errors: Vec<Diagnostic>,
    pub warnings: Vec<Diagnostic>,
    pub evaluation: Duration,
}

#[derive(Default)]
pub(super) struct Graph {
    nodes: BTreeMap<String, Node>,
    /// Component IDs in evaluation order.
    order: Vec<String>,
}

pub struct Controller {
    registry: Registry,
    storage: std::path::PathBuf,
    graph: Mutex<Graph>,
    /// Serializes applies and re-evaluations; never held by readers.
    apply_lock: tokio::sync::Mutex<()>,
    exports_changed: mpsc::UnboundedSender<String>,
    evaluations: Mutex<Vec<f64>>,
    /// How many times each component's arguments were decoded: once per
    /// load that changed them, never more. Kept for the tests only.
    #[cfg(test)]
    decodes: Mutex<BTreeMap<String, u64>>,
    /// Telemetry counts between components, and live debugging.
    flow: Arc<Flow>,
    /// Bumped when an import's arguments change at run time (they read
    /// an export that moved): what it imports may differ, so the agent
    /// reloads.
    imports_changed: tokio::sync::watch::Sender<u64>,
}

/// What a plan decided for each node, the warnings on the way, the taps
/// the evaluated arguments hold, and every module's scope as the last
/// node left it.
pub(super) type Plan = (Vec<Action>, Vec<Diagnostic>, Taps, ScopeBuilder);

pub(super) enum Action {
    Keep,
    Update(EvalBody, Decoded),
    New(Arc<dyn Running>, EvalBody),
    /// A custom component's arguments or exports changed: the node's
    /// value is replaced (it runs nothing).
    Replace(Arc<dyn Running>, EvalBody),
}

impl Controller {
    pub fn new(registry: Registry, storage: std::path::PathBuf) -> Arc<Controller> {
        let (tx, rx) = mpsc::unbounded_channel();
        let c = Arc::new(Controller {
            registry,
            storage,
            graph: Mutex::new(Graph::default()),
            apply_lock: tokio::sync::Mutex::new(()),
            exports_changed: tx,
            evaluations: Mutex::new(Vec::new()),
            #[cfg(test)]
            decodes: Mutex::new(BTreeMap::new()),
            flow: Arc::new(Flow::default()),
            imports_changed: tokio::sync::watch::Sender::new(0),
        });
        tokio::spawn(watch_exports(Arc::downgrade(&c), rx));
        tokio::spawn(tick_flow(Arc::downgrade(&c.flow)));
        c
    }

    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Data-flow edges with their counts and rates, and live debugging.
    pub fn flow(&self) -> &Arc<Flow> {
        &self.flow
    }

    pub(super) fn graph(&self) -> std::sync::MutexGuard<'_, Graph> {
        self.graph.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Applies a loaded config. On error the running graph is exactly as it
    /// was before the call.
    pub async fn apply(&self, cfg: Config) -> Result<ApplyReport, Vec<Diagnostic>> {
        let _serial = self.apply_lock.lock().await;
        let started = Instant::now();
        if let Some(id) = cfg.pending.first() {
            return Err(vec![Diagnostic::error(solder_syntax::Span::default(), format!("{id} was not fetched: its arguments were never evaluated"))]);
        }
        let (actions, warnings, taps, _) = {
            let g = self.graph();
            self.plan(&g, &cfg.components)?
        };
        self.flow.commit(taps);
        let evaluation = started.elapsed();
        self.record_evaluation(evaluation);
        let mut report = ApplyReport { warnings, evaluation, ..ApplyReport::default() };

        let keep: BTreeSet<&str> = cfg.components.iter().map(|d| d.id.as_str()).collect();
        let removed: Vec<Node> = {
            let mut g = self.graph();
            take_in_stop_order(&mut g, |id| !keep.contains(id))
        };
        for node in removed {
            report.removed.push(node.decl.id.clone());
            stop(node).await;
        }

        let mut g = self.graph();
        for (decl, action) in cfg.components.iter().zip(actions) {
            match action {
                Action::Keep => {
                    if let Some(node) = g.nodes.get_mut(&decl.id) {
                        node.decl = decl.clone();
                        // The import fetched, or the load would have failed.
                        if matches!(decl.kind, Kind::Import) {
                            node.set_error(None);
                        }
                    }
                    report.unchanged.push(decl.id.clone());
                }
                Action::Update(args, decoded) => {
                    if let Some(node) = g.nodes.get_mut(&decl.id) {
                        node.decl = decl.clone();
                        match node.component.update(decoded) {
                            Ok(()) => {
                                node.args = args;
                                node.set_error(None);
                            }
                            Err(e) => {
                                let d = e.at(&args).with_source(&decl.source);
                                node.set_error(Some(d.clone()));
                                report.update_errors.push(d);
                            }
                        }
                    }
                    report.updated.push(decl.id.clone());
                }
                Action::Replace(component, args) => {
                    if let Some(node) = g.nodes.get_mut(&decl.id) {
                        node.decl = decl.clone();
                        node.component = component;
                        node.args = args;
                        node.set_error(None);
                    }
                    report.updated.push(decl.id.clone());
                }
                Action::New(component, args) => {
                    let node = start(decl.clone(), args, component);
                    g.nodes.insert(decl.id.clone(), node);
                    report.added.push(decl.id.clone());
                }
            }
        }
        g.order = cfg.components.iter().map(|d| d.id.clone()).collect();
        Ok(report)
    }

    /// Checks a config as a load would: every component evaluated, decoded
    /// and built in dependency order, against an empty graph. Builds have no
    /// side effects, so nothing starts. Returns the warnings.
    pub fn check(&self, cfg: &Config) -> Result<Vec<Diagnostic>, Vec<Diagnostic>> {
        let empty = Graph::default();
        self.plan(&empty, &cfg.components).map(|(_, warnings, _, _)| warnings)
    }

    /// Evaluates and builds without touching the graph. Returns the taps
    /// the evaluated arguments hold, for the caller to commit, and every
    /// module's scope as the last node left it.
    pub(super) fn plan(&self, g: &Graph, decls: &[Declaration]) -> Result<Plan, Vec<Diagnostic>> {
        let mut scope = ScopeBuilder::default();
        let mut actions = Vec::with_capacity(decls.len());
        let mut errors = Vec::new();
        let mut warnings = Vec::new();
        let mut taps = Taps::default();
        for decl in decls {
            let running = g.nodes.get(&decl.id);
            if matches!(decl.kind, Kind::Unresolved) {
                errors.push(Diagnostic::error(decl.block.name_span(), format!("{}: its import was not fetched", decl.id)).with_source(&decl.source));
                continue;
            }
            if !matches!(decl.kind, Kind::Component) {
                match evaluate(decl, &scope, &mut warnings) {
                    Ok(mut args) => {
                        seal_import(decl, &mut args);
                        let value = passive_value(decl, &args);
                        let action = match running {
                            Some(node) if node.args == args && node.component.exports() == value => Action::Keep,
                            Some(_) => Action::Replace(Passive::running(value.clone()), args),
                            None => Action::New(Passive::running(value.clone()), args),
                        };
                        publish(&mut scope, decl, value);
                        actions.push(action);
                    }
                    Err(mut d) => errors.append(&mut d),
                }
                continue;
            }
            let args = match evaluate(decl, &scope, &mut warnings) {
                Ok(mut args) => {
                    self.flow.tap_body(&decl.id, &mut args, &|a| scope.owner(a), &mut taps);
                    args
                }
                Err(mut d) => {
                    errors.append(&mut d);
                    continue;
                }
            };
            let Some(reg) = self.registry.get(&decl.name) else { continue };
            let mut args = args;
            if let Some(schema) = self.registry.schema(&decl.name) {
                args.seal_secrets(schema);
            }
            if let Some(node) = running.filter(|node| node.args == args) {
                publish(&mut scope, decl, node.component.exports());
                actions.push(Action::Keep);
                continue;
            }
            // Decoded once, here; validation replaces a trial build of
            // changed components.
            let decoded = match self.decode(reg, &decl.id, &args) {
                Ok(decoded) => decoded,
                Err(d) => {
                    errors.push(d.with_source(&decl.source));
                    continue;
                }
            };
            let (action, exports) = match running {
                Some(node) => (Action::Update(args, decoded), node.component.exports()),
                None => match reg.build(self.options(&decl.id), decoded, &args) {
                    Ok(component) => {
                        let exports = component.exports();
                        (Action::New(component, args), exports)
                    }
                    Err(d) => {
                        errors.push(d.with_source(&decl.source));
                        continue;
                    }
                },
            };
            publish(&mut scope, decl, exports);
            actions.push(action);
        }
        if errors.is_empty() {
            Ok((actions, warnings, taps, scope))
        } else {
            Err(errors)
        }
    }

    fn options(&self, id: &str) -> Options {
        let tx = self.exports_changed.clone();
        let changed = id.to_string();
        let on_exports_changed: Arc<dyn Fn() + Send + Sync> = Arc::new(move || {
            let _ = tx.send(changed.clone());
        });
        Options { id: id.to_string(), data_path: self.storage.join(id), on_exports_changed, metrics: ComponentMetrics::new(id) }
    }

    /// Decodes and validates a component's arguments, counting the decode.
    fn decode(&self, reg: &solder_components::Registration, id: &str, args: &EvalBody) -> Result<Decoded, Diagnostic> {
        #[cfg(test)]
        {
            *self.decodes.lock().unwrap_or_else(|p| p.into_inner()).entry(id.to_string()).or_default() += 1;
        }
        #[cfg(not(test))]
        let _ = id;
        reg.decode(args)
    }

    /// How many times the arguments of component `id` have been decoded.
    #[cfg(test)]
    pub fn decodes(&self, id: &str) -> u64 {
        self.decodes.lock().unwrap_or_else(|p| p.into_inner()).get(id).copied().unwrap_or(0)
    }

    /// Re-evaluates every component that reads, directly or through others,
    /// the exports of `changed`, and updates those whose arguments moved.
    async fn reevaluate(&self, changed: BTreeSet<String>) {
        let _serial = self.apply_lock.lock().await;
        let mut g = self.graph();
        let g = &mut *g;
        let mut dirty = changed;
        let mut scope = ScopeBuilder::default();
        let mut taps = Taps::default();
        for id in g.order.clone() {
            let Some(node) = g.nodes.get_mut(&id) else { continue };
            if node.decl.depends_on.iter().any(|d| dirty.contains(d)) && matches!(node.decl.kind, Kind::Import) {
                let mut warnings = Vec::new();
                match evaluate(&node.decl, &scope, &mut warnings) {
                    Ok(mut args) => {
                        seal_import(&node.decl, &mut args);
                        if args != node.args {
                            node.args = args;
                            self.imports_changed.send_modify(|n| *n += 1);
                        }
                    }
                    Err(d) => node.set_error(d.into_iter().next()),
                }
            } else if node.decl.depends_on.iter().any(|d| dirty.contains(d)) && !matches!(node.decl.kind, Kind::Component) {
                let mut warnings = Vec::new();
                match evaluate(&node.decl, &scope, &mut warnings) {
                    Ok(args) => {
                        let value = passive_value(&node.decl, &args);
                        if args != node.args || value != node.component.exports() {
                            node.component = Passive::running(value);
                            node.args = args;
                            node.set_error(None);
                            dirty.insert(id.clone());
                        }
                    }
                    Err(d) => node.set_error(d.into_iter().next()),
                }
            } else if node.decl.depends_on.iter().any(|d| dirty.contains(d)) {
                let mut warnings = Vec::new();
                let evaluated = evaluate(&node.decl, &scope, &mut warnings).map(|mut args| {
                    self.flow.tap_body(&id, &mut args, &|a| scope.owner(a), &mut taps);
                    args
                });
                let registration = self.registry.get(&node.decl.name);
                let evaluated = evaluated.map(|mut args| {
                    if let Some(schema) = self.registry.schema(&node.decl.name) {
                        args.seal_secrets(schema);
                    }
                    args
                });
                match (evaluated, registration) {
                    (Ok(args), _) if args == node.args => {}
                    (Ok(args), Some(reg)) => {
                        let updated = self.decode(reg, &id, &args).and_then(|decoded| node.component.update(decoded).map_err(|e| e.at(&args)));
                        match updated {
                            Ok(()) => {
                                node.args = args;
                                node.set_error(None);
                                dirty.insert(id.clone());
                            }
                            Err(d) => node.set_error(Some(d.with_source(&node.decl.source))),
                        }
                    }
                    (Ok(_), None) => {}
                    (Err(d), _) => node.set_error(d.into_iter().next()),
                }
            }
            publish(&mut scope, &node.decl, node.component.exports());
        }
        self.flow.extend(taps);
    }

    fn record_evaluation(&self, took: Duration) {
        self.evaluations.lock().unwrap_or_else(|p| p.into_inner()).push(took.as_secs_f64());
    }

    /// Evaluation durations recorded since the last call, for the metric.
    pub fn drain_evaluations(&self) -> Vec<f64> {
        std::mem::take(&mut *self.evaluations.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Reads the graph under its lock, in evaluation order. A custom
    /// component's hidden exports node is left out; its instance shows
    /// the exports and the rolled-up health of what runs inside it.
    pub fn inspect<R>(&self, f: impl FnOnce(&[&Node]) -> R) -> R {
        let mut g = self.graph();
        roll_up(&mut g);
        let nodes: Vec<&Node> = g.order.iter().filter_map(|id| g.nodes.get(id)).filter(|n| !n.decl.is_exports()).collect();
        f(&nodes)
    }

    /// Changes whenever an import's arguments change at run time.
    pub fn import_changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.imports_changed.subscribe()
    }

    /// Marks the import nodes a failed load blames (a diagnostic on the
    /// import block: its module could not be fetched or read) unhealthy
    /// with that error, as Alloy shows a failed import; the rest of the
    /// graph keeps running as it was. The next successful load clears it.
    pub fn mark_failed_imports(&self, diags: &[Diagnostic]) {
        let mut g = self.graph();
        for node in g.nodes.values_mut().filter(|n| matches!(n.decl.kind, Kind::Import)) {
            let blamed = diags.iter().find(|d| d.span == node.decl.block.name_span() && d.source.as_ref().is_some_and(|s| s.name == node.decl.source.name));
            if let Some(d) = blamed {
                node.set_error(Some(d.clone()));
            }
        }
    }

    /// Stops every component and waits for them to flush.
    pub async fn shutdown(&self) {
        let _serial = self.apply_lock.lock().await;
        let nodes = take_in_stop_order(&mut self.graph(), |_| true);
        for node in nodes {
            stop(node).await;
        }
    }
}

/// Works out each custom component instance's shown health and exports:
/// the worst health of any component inside it (nested instances
/// included), and its exports node's value.
fn roll_up(g: &mut Graph) {
    let instances: Vec<String> = g.nodes.values().filter(|n| matches!(n.decl.kind, Kind::Instance(_))).map(|n| n.decl.id.clone()).collect();
    for id in instances {
        let prefix = format!("{id}/");
        let mut worst: Option<(Health, String)> = None;
        for (other, n) in g.nodes.range(prefix.clone()..).take_while(|(k, _)| k.starts_with(&prefix)) {
            if matches!(n.decl.kind, Kind::Component) {
                let h = n.health();
                if h.state != HealthState::Healthy && worst.as_ref().is_none_or(|(w, _)| rank(h.state) > rank(w.state)) {
                    worst = Some((h, other.clone()));
                }
            }
        }
        let exports = g.nodes.get(&format!("{id}{}", super::modules::EXPORTS_SUFFIX)).map(|n| n.component.exports()).unwrap_or(solder_syntax::Value::Null);
        let health = match worst {
            Some((h, from)) => Health { state: h.state, message: format!("{from}: {}", h.message), updated: h.updated },
            None => Health::new(HealthState::Healthy, ""),
        };
        if let Some(n) = g.nodes.get_mut(&id) {
            n.rollup = Some((health, exports));
        }
    }
}

/// How bad a health state is, for the roll-up.
fn rank(state: HealthState) -> u8 {
    match state {
        HealthState::Healthy => 0,
        HealthState::Unknown => 1,
        _ => 2,
    }
}

/// Takes the nodes `which` selects out of the graph, in the order they
/// must stop: the reverse of evaluation order. A component is evaluated
/// after the components whose exports it reads, and data flows the other
/// way (a receiver reads the batch processor's `input`), so this stops
/// receivers first, then processors (which flush), then exporters (which
/// drain), and nothing is sent to a component that has already stopped.
fn take_in_stop_order(g: &mut Graph, which: impl Fn(&str) -> bool) -> Vec<Node> {
    let mut order: Vec<String> = g.order.iter().rev().filter(|id| which(id)).cloned().collect();
    // Anything the order does not know (it always should) stops last.
    order.extend(g.nodes.keys().filter(|id| which(id) && !g.order.contains(id)).cloned().collect::<Vec<_>>());
    order.iter().filter_map(|id| g.nodes.remove(id)).collect()
}

/// An import's secret arguments (`basic_auth.password`, `headers`) as
/// `(secret)`, as a component's are.
fn seal_import(decl: &Declaration, args: &mut EvalBody) {
    if matches!(decl.kind, Kind::Import) {
        if let Some(schema) = super::modules::import_schema(&decl.name) {
            args.seal_secrets(&schema);
        }
    }
}

/// Puts what a node provides where its readers look: a component's exports
/// in its module, an instance's arguments in its own module as `argument`,
/// and an instance's exports in the module that declares the instance.
fn publish(scope: &mut ScopeBuilder, decl: &Declaration, value: solder_syntax::Value) {
    match &decl.kind {
        Kind::Component => scope.insert_in(&decl.module, &decl.local_id, Some(&decl.id), value),
        Kind::Instance(_) => scope.insert_in(&decl.id, "argument", None, value),
        Kind::Exports { parent_module, instance } => scope.insert_in(parent_module, instance, None, value),
        // An import exports nothing; an unresolved instance never runs.
        Kind::Import | Kind::Unresolved => {}
    }
}

/// The value an instance or exports node holds, from its evaluated body.
fn passive_value(decl: &Declaration, args: &EvalBody) -> solder_syntax::Value {
    match &decl.kind {
        Kind::Instance(spec) => argument_object(spec, args),
        Kind::Import => solder_syntax::Value::Null,
        _ => exports_object(args),
    }
}

fn evaluate(decl: &Declaration, scope: &ScopeBuilder, warnings: &mut Vec<Diagnostic>) -> Result<EvalBody, Vec<Diagnostic>> {
    let mut scope = scope.scope_of(&decl.module);
    if matches!(decl.kind, Kind::Import) {
        scope.vars.insert("module_path".into(), super::modules::module_path(&decl.source));
    }
    let mut ev = Evaluator::new(&decl.source.text, &scope);
    let result = body::evaluate(&mut ev, &decl.block.body, decl.block.name_span());
    attach_source(&mut ev.warnings, &decl.source);
    warnings.append(&mut ev.warnings);
    result.map_err(|mut d| {
        attach_source(&mut d, &decl.source);
        d
    })
}

fn start(decl: Declaration, args: EvalBody, component: Arc<dyn Running>) -> Node {
    let cancel = CancellationToken::new();
    let fault = Fault::default();
    let task = tokio::spawn(supervise(decl.id.clone(), Arc::clone(&component), cancel.clone(), fault.clone()));
    Node {
        decl,
        args,
        component,
        instance: INSTANCES.fetch_add(1, Ordering::Relaxed),
        started: SystemTime::now(),
        error: None,
        error_since: SystemTime::now(),
        cancel,
        task: Some(task),
        fault,
        rollup: None,
    }
}

/// Stops a component and waits for it to flush. Its metrics leave the
/// registry only after that, so what the flush sends or drops is counted
/// where a scrape during the stop can see it.
async fn stop(mut node: Node) {
    node.cancel.cancel();
    if let Some(task) = node.task.take() {
        if tokio::time::timeout(STOP_TIMEOUT, task).await.is_err() {
            tracing::warn!(component = %node.decl.id, "component did not stop within {STOP_TIMEOUT:?}");
        }
    }
    solder_components::selfmetrics::forget(&node.decl.id);
}

/// Snapshots the flow counters every second, for rates.
async fn tick_flow(flow: Weak<Flow>) {
    let mut every = tokio::time::interval(Duration::from_secs(1));
    loop {
        every.tick().await;
        let Some(flow) = flow.upgrade() else { return };
        flow.tick();
    }
}

/// Collects export-change notices for a moment, then re-evaluates once:
/// a burst of changes costs one pass.
async fn watch_exports(controller: Weak<Controller>, mut rx: mpsc::UnboundedReceiver<String>) {
    while let Some(first) = rx.recv().await {
        let mut changed = BTreeSet::from([first]);
        tokio::time::sleep(Duration::from_millis(20)).await;
        while let Ok(id) = rx.try_recv() {
            changed.insert(id);
        }
        let Some(c) = controller.upgrade() else { return };
        c.reevaluate(changed).await;
    }
}
