//! Every component Solder knows, by name. Adding a component is one line
//! here.

use std::collections::BTreeMap;

use crate::component::Registration;

#[derive(Clone, Default)]
pub struct Registry {
    by_name: BTreeMap<&'static str, Registration>,
}

impl Registry {
    /// The components built into Solder.
    pub fn builtin() -> Registry {
        let mut r = Registry::default();
        r.add(crate::local::file::REGISTRATION);
        r.add(crate::otelcol::receiver::otlp::REGISTRATION);
        r.add(crate::otelcol::exporter::otlp::REGISTRATION);
        r.add(crate::otelcol::exporter::otlphttp::REGISTRATION);
        r.add(crate::otelcol::processor::batch::REGISTRATION);
        r.add(crate::otelcol::connector::servicegraph::REGISTRATION);
        r.add(crate::otelcol::connector::spanmetrics::REGISTRATION);
        r.add(crate::otelcol::exporter::debug::REGISTRATION);
        r.add(crate::otelcol::exporter::prometheus::REGISTRATION);
        r.add(crate::prometheus::expose::REGISTRATION);
        r.add(crate::prometheus::remote_write::REGISTRATION);
        r
    }

    pub fn add(&mut self, reg: Registration) {
        self.by_name.insert(reg.name, reg);
    }

    pub fn get(&self, name: &str) -> Option<&Registration> {
        self.by_name.get(name)
    }

    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.by_name.keys().copied()
    }
}
