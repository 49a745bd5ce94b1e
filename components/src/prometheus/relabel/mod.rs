//! The relabel engine Prometheus's `relabel_configs` and Alloy's `rule`
//! blocks describe, shared by every component that relabels, and the
//! `prometheus.relabel` component built on it.
//!
//! [`Rules::compile`] checks `rule` blocks as Alloy does;
//! [`Rules::apply`] rewrites a sorted label set with Prometheus's
//! semantics for every action: regexes are RE2 and fully anchored,
//! replacements expand as Go's `regexp.Expand`, and `hashmod` shards as
//! Prometheus does.

mod apply;
mod cache;
mod component;
mod expand;
mod re2;
mod rule;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use solder_syntax::value::Capsule;

pub use apply::{hashmod, Labels};
pub use component::{Arguments, Exports, PrometheusRelabel, REGISTRATION};
pub use rule::{is_label_name, is_metric_name, is_relabel_target, Action, Rule, RuleArgs, Rules};

/// The capsule type of `rules` exports, as Alloy calls it.
pub const RULES_CAPSULE: &str = "RelabelRules";

impl Rules {
    /// The `rules` export: a capsule holding `Arc<Rules>`.
    pub fn capsule(self: &Arc<Rules>) -> Capsule {
        Capsule::new(RULES_CAPSULE, Arc::clone(self))
    }
}
