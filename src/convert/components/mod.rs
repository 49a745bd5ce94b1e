//! One converter per collector component type (see `super::table`). Each
//! reads its options with an `OptionReader`, so an option it does not know
//! is reported, never dropped.

pub mod attributes;
pub mod auth;
pub mod batch;
pub mod debug;
pub mod delivery;
pub mod filterspan;
pub mod k8sattributes;
pub mod loadbalancing;
pub mod otlp_exporter;
pub mod otlp_receiver;
pub mod ottl;
pub mod prometheus;
pub mod prometheus_receiver;
pub mod resourcedetection;
pub mod servicegraph;
pub mod span;
pub mod spanmetrics;
pub mod storage;
pub mod tls;

/// A listen address as Solder takes it. Go reads `":4317"` as every
/// interface; Solder needs the host spelled out, so the converted config
/// says `"0.0.0.0:4317"`.
pub fn listen_address(expr: String) -> String {
    match expr.strip_prefix("\":") {
        Some(rest) => format!("\"0.0.0.0:{rest}"),
        None => expr,
    }
}
