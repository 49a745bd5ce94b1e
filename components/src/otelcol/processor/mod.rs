//! `otelcol.processor.*`: telemetry transformed on its way.

pub mod attributes;
pub mod attrvalue;
pub mod batch;
pub mod filter;
pub mod filterspan;
pub mod k8sattributes;
pub mod memory_limiter;
mod ottl_args;
pub mod resourcedetection;
pub mod resources;
pub mod rewrite;
pub mod span;
#[cfg(test)]
mod testing;
pub mod transform;
