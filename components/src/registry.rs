//! Every component Solder knows, by name. Adding a component is one line
//! in [`Registry::builtin`].

use std::collections::BTreeMap;
use std::sync::OnceLock;

use crate::component::Registration;
use crate::decode::Schema;

#[derive(Clone, Default)]
pub struct Registry {
    by_name: BTreeMap<&'static str, Entry>,
}

#[derive(Clone)]
struct Entry {
    reg: Registration,
    /// The component's argument schema, traced the first time it is
    /// asked for: tracing runs the component's whole `Deserialize` code,
    /// and a config names a handful of the components. (Tracing them all
    /// at start was expected to map in much code; measured, the agent's
    /// resident code did not change, so this saves start-up work only.)
    schema: OnceLock<Schema>,
}

/// Why a registration was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryError(pub String);

impl std::fmt::Display for RegistryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Registry {
    /// The components built into Solder. A bad registration here is a bug
    /// in Solder itself, so it stops the agent at startup, before any
    /// config is read.
    pub fn builtin() -> Registry {
        let all = [
            crate::discovery::kubernetes::REGISTRATION,
            crate::local::file::REGISTRATION,
            crate::otelcol::receiver::otlp::REGISTRATION,
            crate::otelcol::receiver::prometheus::REGISTRATION,
            crate::otelcol::exporter::otlp::REGISTRATION,
            crate::otelcol::exporter::otlphttp::REGISTRATION,
            crate::otelcol::exporter::loadbalancing::REGISTRATION,
            crate::otelcol::processor::batch::REGISTRATION,
            crate::otelcol::processor::memory_limiter::REGISTRATION,
            crate::otelcol::processor::attributes::REGISTRATION,
            crate::otelcol::processor::span::REGISTRATION,
            crate::otelcol::processor::k8sattributes::REGISTRATION,
            crate::otelcol::processor::resourcedetection::REGISTRATION,
            crate::otelcol::processor::transform::REGISTRATION,
            crate::otelcol::processor::filter::REGISTRATION,
            crate::otelcol::connector::servicegraph::REGISTRATION,
            crate::otelcol::connector::spanmetrics::REGISTRATION,
            crate::otelcol::exporter::debug::REGISTRATION,
            crate::otelcol::exporter::prometheus::REGISTRATION,
            crate::prometheus::expose::REGISTRATION,
            crate::prometheus::relabel::REGISTRATION,
            crate::prometheus::remote_write::REGISTRATION,
            crate::discovery::relabel::REGISTRATION,
            crate::prometheus::scrape::REGISTRATION,
            crate::otelcol::auth::basic::REGISTRATION,
            crate::otelcol::auth::bearer::REGISTRATION,
            crate::otelcol::auth::headers::REGISTRATION,
            crate::otelcol::storage::file::REGISTRATION,
        ];
        match Registry::from_registrations(all) {
            Ok(r) => r,
            Err(e) => panic!("built-in component registry: {e}"),
        }
    }

    /// A registry of exactly these registrations.
    pub fn from_registrations(all: impl IntoIterator<Item = Registration>) -> Result<Registry, RegistryError> {
        let mut r = Registry::default();
        for reg in all {
            r.add(reg)?;
        }
        Ok(r)
    }

    /// Adds a component kind. Refuses, as Alloy's `Register` does, a name
    /// that is not a dotted list of at least two identifiers, a name taken
    /// already, and a name that is a prefix of another (`a.b` and `a.b.c`
    /// would make `a.b.c.label` ambiguous).
    pub fn add(&mut self, reg: Registration) -> Result<(), RegistryError> {
        let name = reg.name;
        let parts: Vec<&str> = name.split('.').collect();
        if parts.len() < 2 || !parts.iter().all(|p| is_identifier(p)) {
            return Err(RegistryError(format!("{name:?} is not a valid component name: it must be two or more identifiers joined by dots")));
        }
        if self.by_name.contains_key(name) {
            return Err(RegistryError(format!("component {name:?} is registered twice")));
        }
        let prefixes = |a: &str, b: &str| a.strip_prefix(b).is_some_and(|rest| rest.starts_with('.'));
        if let Some(other) = self.by_name.keys().find(|other| prefixes(name, other) || prefixes(other, name)) {
            return Err(RegistryError(format!("component name {name:?} conflicts with {other:?}: one is a prefix of the other")));
        }
        self.by_name.insert(name, Entry { reg, schema: OnceLock::new() });
        Ok(())
    }

    /// The schema of component `name`'s arguments.
    pub fn schema(&self, name: &str) -> Option<&Schema> {
        let e = self.by_name.get(name)?;
        Some(e.schema.get_or_init(|| e.reg.schema()))
    }

    pub fn get(&self, name: &str) -> Option<&Registration> {
        self.by_name.get(name).map(|e| &e.reg)
    }

    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.by_name.keys().copied()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Registration> + '_ {
        self.by_name.values().map(|e| &e.reg)
    }
}

/// `[A-Za-z_][A-Za-z0-9_]*`, as Alloy identifiers are.
fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_') && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::component::{Signals, Stability};

    fn named(name: &'static str) -> Registration {
        Registration::of::<crate::local::file::LocalFile>(name, Stability::Experimental, Signals::NONE)
    }

    #[test]
    fn refuses_duplicates_malformed_names_and_prefixes() {
        let mut r = Registry::default();
        r.add(named("test.thing")).expect("a valid name is taken");
        let err = |r: &mut Registry, n| r.add(named(n)).expect_err(n).0;
        assert!(err(&mut r, "test.thing").contains("registered twice"));
        assert!(err(&mut r, "test.thing.more").contains("prefix"));
        assert!(err(&mut r, "test").contains("not a valid component name"));
        assert!(err(&mut r, "test.1thing").contains("not a valid component name"));
        assert!(err(&mut r, "test..thing").contains("not a valid component name"));
        assert!(err(&mut r, "test.thing-x").contains("not a valid component name"));
        r.add(named("test.thingy")).expect("a longer name that is not a dotted prefix is fine");
        assert_eq!(r.names().collect::<Vec<_>>(), ["test.thing", "test.thingy"]);
    }

    #[test]
    fn the_builtin_registry_is_valid() {
        assert!(Registry::builtin().names().count() >= 11);
    }

    /// Start-up traces no schema; the first ask traces the one asked for,
    /// and it is what tracing the registration gives.
    #[test]
    fn schemas_are_traced_when_first_asked_for() {
        let r = Registry::builtin();
        assert!(r.by_name.values().all(|e| e.schema.get().is_none()), "a schema was traced at start");
        let name = "otelcol.exporter.otlp";
        let schema = r.schema(name).expect("a built-in component has a schema");
        assert!(schema.fields.contains_key("client"), "{:?}", schema.fields.keys().collect::<Vec<_>>());
        assert_eq!(r.by_name.values().filter(|e| e.schema.get().is_some()).count(), 1);
        for reg in r.iter() {
            assert_eq!(r.schema(reg.name), Some(&reg.schema()), "{}", reg.name);
        }
        assert_eq!(r.schema("no.such"), None);
    }
}
