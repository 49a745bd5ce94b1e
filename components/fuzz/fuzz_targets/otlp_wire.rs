//! Any bytes as an OTLP request: the receiver's wire validator must accept
//! exactly what prost decodes, and count the same items, or a payload it
//! let through could fail later, after the client was told it was accepted.
//! The first byte picks the signal.

#![no_main]

use libfuzzer_sys::fuzz_target;
use prost::Message;
use solder_components::otlp::proto::{ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest};
use solder_components::otlp::{self, wire, Signal};

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else { return };
    let (signal, decoded) = match pick % 3 {
        0 => (Signal::Traces, ExportTraceServiceRequest::decode(body).map(|r| spans(&r))),
        1 => (Signal::Metrics, ExportMetricsServiceRequest::decode(body).map(|r| points(&r))),
        _ => (Signal::Logs, ExportLogsServiceRequest::decode(body).map(|r| records(&r))),
    };
    match (wire::validate(signal, body), decoded) {
        (Ok(ours), Ok(theirs)) => assert_eq!(ours, theirs, "{signal:?}: item counts differ"),
        (Err(_), Err(_)) => {}
        (Ok(_), Err(e)) => panic!("{signal:?}: validator accepts what prost refuses: {e}"),
        (Err(e), Ok(_)) => panic!("{signal:?}: validator refuses what prost decodes: {e}"),
    }
});

fn spans(r: &ExportTraceServiceRequest) -> usize {
    r.resource_spans.iter().flat_map(|rs| &rs.scope_spans).map(|ss| ss.spans.len()).sum()
}

fn records(r: &ExportLogsServiceRequest) -> usize {
    r.resource_logs.iter().flat_map(|rl| &rl.scope_logs).map(|sl| sl.log_records.len()).sum()
}

fn points(r: &ExportMetricsServiceRequest) -> usize {
    r.resource_metrics.iter().flat_map(|rm| &rm.scope_metrics).flat_map(|sm| &sm.metrics).map(otlp::data_points).sum()
}
