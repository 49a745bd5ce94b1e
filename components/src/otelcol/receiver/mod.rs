//! `otelcol.receiver.*`: telemetry into the pipeline.

pub mod otlp;
pub mod prometheus;
