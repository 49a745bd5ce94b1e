//! OTLP requests as text, in the OpenTelemetry Collector's debug exporter
//! formats, so that output can be compared line for line with the
//! Collector's and Alloy's. The debug exporter writes it; live debugging
//! in the UI shows it.

mod detailed;
pub(crate) mod go;
mod normal;

pub use normal::summary;

use serde::Deserialize;

use crate::otlp::proto::{ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest};

/// How much to write per batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verbosity {
    #[default]
    Basic,
    Normal,
    Detailed,
}

/// A batch of traces as the debug exporter writes it.
pub fn render_traces(req: &ExportTraceServiceRequest, verbosity: Verbosity) -> String {
    let mut out = normal::traces_summary(req);
    match verbosity {
        Verbosity::Basic => {}
        Verbosity::Normal => out.push_str(&normal::traces(req)),
        Verbosity::Detailed => out.push_str(&detailed::traces(req)),
    }
    out
}

/// A batch of metrics as the debug exporter writes it.
pub fn render_metrics(req: &ExportMetricsServiceRequest, verbosity: Verbosity) -> String {
    let mut out = normal::metrics_summary(req);
    match verbosity {
        Verbosity::Basic => {}
        Verbosity::Normal => out.push_str(&normal::metrics(req)),
        Verbosity::Detailed => out.push_str(&detailed::metrics(req)),
    }
    out
}

/// A batch of logs as the debug exporter writes it.
pub fn render_logs(req: &ExportLogsServiceRequest, verbosity: Verbosity) -> String {
    let mut out = normal::logs_summary(req);
    match verbosity {
        Verbosity::Basic => {}
        Verbosity::Normal => out.push_str(&normal::logs(req)),
        Verbosity::Detailed => out.push_str(&detailed::logs(req)),
    }
    out
}
