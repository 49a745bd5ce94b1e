//! `otelcol.*` components: the OpenTelemetry Collector's pipeline pieces,
//! with Alloy's arguments.

pub mod auth;
pub mod connector;
pub mod exporter;
pub mod output;
pub mod processor;
pub mod receiver;
pub mod storage;
