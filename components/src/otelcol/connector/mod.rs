//! `otelcol.connector.*`: components that turn one signal into another.

pub mod servicegraph;
pub mod spanmetrics;
