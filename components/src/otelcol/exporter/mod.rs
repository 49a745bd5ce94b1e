//! `otelcol.exporter.*`: telemetry out of the pipeline.

pub mod debug;
pub mod loadbalancing;
pub mod otlp;
pub mod otlphttp;
pub mod prometheus;
pub mod sending;
