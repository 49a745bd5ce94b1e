//! The counts a summary prints (resources, metrics), read from a request's
//! wire bytes without decoding it: the debug exporter's `basic` line costs
//! a scan of a few top-level keys, not a prost decode of every span.

use super::wire::WireError;
use super::wire_spans::{each, Body};
use super::Signal;

/// What the one-line summary of a batch says besides its item count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    /// `resource_spans`, `resource_metrics` or `resource_logs` entries.
    pub resources: usize,
    /// Metrics (0 for traces and logs, which have no such level).
    pub metrics: usize,
}

/// Counts the resource entries of a request of `signal` and, for metrics,
/// its metrics. Only the levels above the items are read, so a malformed
/// span or record deeper down does not stop the count.
pub fn counts(signal: Signal, bytes: &[u8]) -> Result<Counts, WireError> {
    let request = Body::request(bytes);
    let mut out = Counts::default();
    // Field 1 of every export request is its repeated resource entry.
    let message = match signal {
        Signal::Traces => "ExportTraceServiceRequest",
        Signal::Metrics => "ExportMetricsServiceRequest",
        Signal::Logs => "ExportLogsServiceRequest",
    };
    each(request, message, 1, |resource| {
        out.resources += 1;
        if signal == Signal::Metrics {
            // ResourceMetrics.scope_metrics = 2; ScopeMetrics.metrics = 2.
            each(resource, "ResourceMetrics", 2, |scope| {
                each(scope, "ScopeMetrics", 2, |_| {
                    out.metrics += 1;
                    Ok(())
                })
            })?;
        }
        Ok(())
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use prost::Message;

    use super::*;
    use crate::otlp::proto::metrics::v1::{metric::Data, Gauge, Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics};
    use crate::otlp::proto::ExportMetricsServiceRequest;

    #[test]
    fn counts_match_the_decoded_request() {
        let traces = crate::otlp::synthetic::request(3, 40).encode_to_vec();
        let two = [traces.clone(), traces].concat();
        assert_eq!(counts(Signal::Traces, &two), Ok(Counts { resources: 2, metrics: 0 }));

        let metric = |points: usize| Metric {
            name: "m".into(),
            data: Some(Data::Gauge(Gauge { data_points: vec![NumberDataPoint::default(); points] })),
            ..Metric::default()
        };
        let scope = |n: usize| ScopeMetrics { metrics: (0..n).map(|_| metric(2)).collect(), ..ScopeMetrics::default() };
        let req = ExportMetricsServiceRequest {
            resource_metrics: vec![
                ResourceMetrics { scope_metrics: vec![scope(2), scope(3)], ..ResourceMetrics::default() },
                ResourceMetrics { scope_metrics: vec![scope(1)], ..ResourceMetrics::default() },
            ],
        };
        assert_eq!(counts(Signal::Metrics, &req.encode_to_vec()), Ok(Counts { resources: 2, metrics: 6 }));
        assert_eq!(counts(Signal::Logs, &[]), Ok(Counts::default()));
    }

    #[test]
    fn a_truncated_request_is_an_error() {
        let bytes = crate::otlp::synthetic::request(3, 4).encode_to_vec();
        assert!(counts(Signal::Traces, &bytes[..bytes.len() - 3]).is_err());
    }
}
