//! `otelcol.processor.*`: telemetry transformed on its way.

pub mod batch;
pub mod memory_limiter;
pub mod resourcedetection;
