//! `otelcol.exporter.loadbalancing`: routes each trace (or service, or
//! metric stream) to one backend of a consistent-hash ring.

pub mod resolver;
