//! One converter per collector component type (see `super::table`). Each
//! reads its options with an `OptionReader`, so an option it does not know
//! is reported, never dropped.

pub mod batch;
pub mod debug;
pub mod delivery;
pub mod otlp_exporter;
pub mod otlp_receiver;
pub mod prometheus;
pub mod servicegraph;
pub mod spanmetrics;
pub mod tls;
