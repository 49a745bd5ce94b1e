//! `discovery.relabel`: rewrites the label sets of targets with `rule`
//! blocks and exports those kept as `output`. Nothing is removed but what
//! the rules remove: `__meta_*` and other `__` labels stay, as in Alloy.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use serde::Deserialize;
use solder_syntax::value::{Capsule, Number};
use solder_syntax::Value;
use tokio_util::sync::CancellationToken;

use crate::component::{self, ArgumentError, Component, Health, HealthCell, HealthState, Options, Registration, RunFuture, Signals, Stability};
use crate::prometheus::relabel::{RuleArgs, Rules};
use crate::sync::lock;

pub const REGISTRATION: Registration = Registration::of::<DiscoveryRelabel>("discovery.relabel", Stability::GenerallyAvailable, Signals::NONE);

/// A target: its label set.
pub type Target = BTreeMap<String, String>;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Arguments {
    /// The targets to relabel. Required.
    pub targets: Vec<Target>,
    /// The rules, applied to each target in the order written.
    #[serde(default)]
    pub rule: Vec<RuleArgs>,
}

impl component::Arguments for Arguments {
    fn validate(&self) -> Result<(), ArgumentError> {
        Rules::compile(&self.rule).map(|_| ())
    }
}

/// `output`: the targets kept, relabelled; `rules`: the compiled rules.
#[derive(Clone)]
pub struct Exports {
    pub output: Arc<Vec<Target>>,
    pub rules: Capsule,
}

impl component::Exports for Exports {
    const NAMES: &'static [&'static str] = &["output", "rules"];

    fn to_value(&self) -> Value {
        let target = |t: &Target| Value::Object(t.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect());
        Value::object([("output", Value::Array(self.output.iter().map(target).collect())), ("rules", Value::Capsule(self.rules.clone()))])
    }
}

pub struct DiscoveryRelabel {
    exports: Mutex<Exports>,
    /// How many targets the last arguments gave and how many were kept.
    counts: Mutex<(usize, usize)>,
    health: HealthCell,
    on_exports_changed: Arc<dyn Fn() + Send + Sync>,
}

impl DiscoveryRelabel {
    fn relabel(args: &Arguments) -> Result<Exports, ArgumentError> {
        let rules = Arc::new(Rules::compile(&args.rule)?);
        let output = args.targets.iter().filter_map(|t| relabel_target(&rules, t)).collect();
        Ok(Exports { output: Arc::new(output), rules: rules.capsule() })
    }
}

/// One target through the rules; `None` if they drop it.
pub fn relabel_target(rules: &Rules, target: &Target) -> Option<Target> {
    let mut labels: Vec<(String, String)> = target.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    rules.apply(&mut labels).then(|| labels.into_iter().collect())
}

impl Component for DiscoveryRelabel {
    type Arguments = Arguments;
    type Exports = Exports;

    fn build(opts: Options, args: Arguments) -> Result<DiscoveryRelabel, ArgumentError> {
        let exports = DiscoveryRelabel::relabel(&args)?;
        Ok(DiscoveryRelabel {
            counts: Mutex::new((args.targets.len(), exports.output.len())),
            exports: Mutex::new(exports),
            health: HealthCell::default(),
            on_exports_changed: opts.on_exports_changed,
        })
    }

    fn run(self: Arc<Self>, shutdown: CancellationToken) -> RunFuture {
        Box::pin(async move {
            self.health.set(HealthState::Healthy, "relabelled");
            shutdown.cancelled().await;
            self.health.set(HealthState::Exited, "stopped");
        })
    }

    /// New targets or rules give a new `output` at once.
    fn update(&self, args: Arguments) -> Result<(), ArgumentError> {
        let exports = DiscoveryRelabel::relabel(&args)?;
        *lock(&self.counts) = (args.targets.len(), exports.output.len());
        *lock(&self.exports) = exports;
        (self.on_exports_changed)();
        Ok(())
    }

    fn exports(&self) -> Exports {
        lock(&self.exports).clone()
    }

    fn health(&self) -> Health {
        self.health.get()
    }

    fn debug_info(&self) -> Value {
        let (given, kept) = *lock(&self.counts);
        let n = |v: usize| Value::Number(Number::Uint(v as u64));
        Value::object([("targets_given", n(given)), ("targets_kept", n(kept))])
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;

    use solder_syntax::Scope;

    use super::*;
    use crate::harness::{build_error, counting_export_changes, Harness};

    const TARGETS: &str = r#"targets = [
  { "__meta_foo" = "foo", "__address__" = "localhost", "instance" = "one", "app" = "backend" },
  { "__meta_bar" = "bar", "__address__" = "localhost", "instance" = "two", "app" = "database" },
]"#;

    fn output(h: &Harness) -> Vec<Value> {
        let Value::Object(e) = h.exports() else { panic!("exports are not an object") };
        match e.get("output") {
            Some(Value::Array(a)) => a.clone(),
            other => panic!("output is {other:?}"),
        }
    }

    fn target(pairs: &[(&str, &str)]) -> Value {
        Value::Object(pairs.iter().map(|(k, v)| (k.to_string(), Value::string(*v))).collect())
    }

    #[tokio::test]
    async fn relabels_targets_and_keeps_meta_labels() {
        let args = format!(
            "{TARGETS}\nrule {{\n source_labels = [\"__address__\", \"instance\"]\n separator = \"/\"\n target_label = \"destination\"\n}}\nrule {{\n source_labels = [\"app\"]\n regex = \"backend\"\n action = \"keep\"\n}}"
        );
        let h = Harness::start(&REGISTRATION, &args, &Scope::new()).expect("builds");
        assert_eq!(
            output(&h),
            [target(&[("__address__", "localhost"), ("__meta_foo", "foo"), ("app", "backend"), ("destination", "localhost/one"), ("instance", "one")])]
        );
        assert_eq!((h.debug_count("targets_given"), h.debug_count("targets_kept")), (2, 1));
        let Value::Object(e) = h.exports() else { panic!() };
        let Some(Value::Capsule(rules)) = e.get("rules") else { panic!("no rules capsule") };
        assert_eq!(rules.type_name(), "RelabelRules");
        assert_eq!(rules.downcast::<Arc<Rules>>().map(|r| r.0.len()), Some(2));
    }

    #[tokio::test]
    async fn no_rules_pass_targets_through_and_updates_tell_the_graph() {
        let (opts, changed) = counting_export_changes("discovery.relabel.update");
        let h = Harness::start_with(&REGISTRATION, opts, TARGETS, &Scope::new()).expect("builds");
        assert_eq!(output(&h).len(), 2);
        h.update(&format!("{TARGETS}\nrule {{\n regex = \"__meta_.*\"\n action = \"labeldrop\"\n}}")).expect("updates");
        assert_eq!(changed.load(Ordering::Relaxed), 1);
        assert_eq!(output(&h)[1], target(&[("__address__", "localhost"), ("app", "database"), ("instance", "two")]));
    }

    #[test]
    fn bad_rules_are_refused_with_alloys_words() {
        let err = build_error(&REGISTRATION, &format!("{TARGETS}\nrule {{\n action = \"hashmod\"\n target_label = \"x\"\n}}"), &Scope::new());
        assert_eq!(err, "relabel configuration for hashmod requires non-zero modulus");
        let err = build_error(&REGISTRATION, "rule {\n action = \"keep\"\n}", &Scope::new());
        assert!(err.contains("targets"), "{err}");
    }
}
