//! One export request, whatever carried it: checked against the schema
//! without decoding, counted, handed to the output of its signal, and
//! answered.

use std::sync::{Arc, OnceLock, RwLock};

use bytes::Bytes;
use hyper::header::HeaderMap;
use prost::Message;

use super::Arguments;
use crate::consumer::{ConsumeError, Fanout};
use crate::otelcol::auth::{AuthHandler, Unauthenticated};
use crate::otlp::{Logs, Metrics, Signal, Traces};
use crate::selfmetrics::{ComponentMetrics, Counter};
use crate::types::Handle;
use opentelemetry_proto::tonic::collector::logs::v1::{ExportLogsPartialSuccess, ExportLogsServiceResponse};
use opentelemetry_proto::tonic::collector::metrics::v1::{ExportMetricsPartialSuccess, ExportMetricsServiceResponse};
use opentelemetry_proto::tonic::collector::trace::v1::{ExportTracePartialSuccess, ExportTraceServiceResponse};

/// Requests larger than this are validated on the blocking pool.
const INLINE_VALIDATION: usize = 256 * 1024;

/// The most memory one request may take once decoded, as estimated from
/// its item count. A request's bytes say little about its cost: an 11 KB
/// gzip body can inflate to millions of two-byte empty spans, each of which
/// takes a few hundred bytes once decoded (by the batch processor when it
/// splits, or the debug exporter). Such a request is refused before it is
/// acknowledged. 64 MiB admits about 254,000 spans in one request, far more
/// than SDKs (512) or collectors (8,192) send.
pub const MAX_DECODED_BYTES: usize = 64 << 20;

/// What one item of `signal` takes once decoded, at least.
fn decoded_item_bytes(signal: Signal) -> usize {
    use crate::otlp::proto::{logs::v1::LogRecord, metrics::v1::NumberDataPoint, trace::v1::Span};
    match signal {
        Signal::Traces => std::mem::size_of::<Span>(),
        Signal::Metrics => std::mem::size_of::<NumberDataPoint>(),
        Signal::Logs => std::mem::size_of::<LogRecord>(),
    }
}

pub(super) const SIGNALS: [Signal; 3] = [Signal::Traces, Signal::Metrics, Signal::Logs];

/// Where a signal's entries sit in per-signal arrays (the order of [`SIGNALS`]).
pub(super) fn slot(signal: Signal) -> usize {
    match signal {
        Signal::Traces => 0,
        Signal::Metrics => 1,
        Signal::Logs => 2,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Transport {
    Grpc = 0,
    Http = 1,
}

impl Transport {
    pub const ALL: [Transport; 2] = [Transport::Grpc, Transport::Http];

    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Grpc => "grpc",
            Transport::Http => "http",
        }
    }
}

/// The arguments in force and the consumers of each signal, replaced whole
/// on update. Requests read it once, so an update never sees half of one.
pub(super) struct Settings {
    pub args: Arguments,
    outputs: [Fanout; 3],
}

/// What the servers and the component share.
pub(super) struct Shared {
    metrics: ComponentMetrics,
    settings: RwLock<Arc<Settings>>,
    counters: OnceLock<Counters>,
}

/// `otelcol_receiver_{accepted,refused}_<items>_total`, by signal and
/// transport.
pub(super) struct Counters {
    pub accepted: [[Counter; 2]; 3],
    pub refused: [[Counter; 2]; 3],
    /// `otelcol_receiver_refused_requests_total{reason="unauthenticated"}`,
    /// by transport: requests refused before their items were read, so
    /// they count requests, not items.
    pub unauthenticated: [Counter; 2],
}

/// The data was taken. `rejected` items were dropped all the same (the
/// signal has no output), which the client hears as a partial success.
#[derive(Debug, Default, PartialEq)]
pub(super) struct Accepted {
    pub rejected: u64,
    pub message: String,
}

#[derive(Debug)]
pub(super) enum Refused {
    /// Not a valid request: the client must not send it again.
    Malformed(String),
    /// Valid, but it would cost more memory than one request may
    /// ([`MAX_DECODED_BYTES`]): the client must not send it again as it is.
    TooLarge(String),
    /// The pipeline refused it, retryably or not.
    Downstream(ConsumeError),
}

impl Shared {
    pub fn new(metrics: ComponentMetrics, args: Arguments) -> Shared {
        Shared { metrics, settings: RwLock::new(Arc::new(Settings::new(args))), counters: OnceLock::new() }
    }

    /// The component's ID, for messages.
    pub fn id(&self) -> &str {
        self.metrics.component_id()
    }

    pub fn settings(&self) -> Arc<Settings> {
        Arc::clone(&self.settings.read().unwrap_or_else(|p| p.into_inner()))
    }

    pub fn replace(&self, args: Arguments) {
        *self.settings.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(Settings::new(args));
    }

    /// The self-metrics, registered on first use (when the servers start:
    /// building a component must not leave series behind).
    pub fn counters(&self) -> &Counters {
        self.counters.get_or_init(|| Counters::register(&self.metrics))
    }

    pub fn counters_if_started(&self) -> Option<&Counters> {
        self.counters.get()
    }

    /// Checks a request's credentials against the protocol block's `auth`,
    /// counting a refusal. No `auth`: every request passes.
    pub fn authenticate(&self, auth: Option<&Handle<AuthHandler>>, transport: Transport, headers: &HeaderMap) -> Result<(), Unauthenticated> {
        let Some(handle) = auth else { return Ok(()) };
        let refused = Unauthenticated { message: "not an otelcol.auth handler", challenge: "Basic realm=\"otelcol\"" };
        let result = handle.get().map_or(Err(refused), |handler| handler.authenticate(headers));
        if result.is_err() {
            self.counters().unauthenticated[transport as usize].add(1);
        }
        result
    }

    /// Validates `body` as a request of `signal` and sends it on.
    pub async fn export(&self, signal: Signal, transport: Transport, body: Bytes) -> Result<Accepted, Refused> {
        // Validation runs at a few hundred MB/s: large requests are checked
        // on the blocking pool, off the threads that serve connections.
        let payload = if body.len() > INLINE_VALIDATION {
            tokio::task::spawn_blocking(move || Payload::parse(signal, body)).await.unwrap_or_else(|e| Err(format!("validation failed: {e}")))
        } else {
            Payload::parse(signal, body)
        };
        let payload = payload.map_err(Refused::Malformed)?;
        let items = payload.items();
        if items == 0 {
            return Ok(Accepted::default());
        }
        let settings = self.settings();
        let fanout = &settings.outputs[slot(signal)];
        let counters = self.counters();
        let (s, t) = (slot(signal), transport as usize);
        let decoded = items.saturating_mul(decoded_item_bytes(signal));
        if decoded > MAX_DECODED_BYTES {
            counters.refused[s][t].add(items as u64);
            let what = signal.item_name().replace('_', " ");
            return Err(Refused::TooLarge(format!(
                "{items} {what} in one request would take about {} MiB once decoded; the limit is {} MiB: send them in smaller requests",
                decoded >> 20,
                MAX_DECODED_BYTES >> 20
            )));
        }
        if fanout.is_empty() {
            counters.refused[s][t].add(items as u64);
            let message = format!("{} has no {} output: {items} {} dropped", self.id(), signal.as_str(), signal.item_name().replace('_', " "));
            return Ok(Accepted { rejected: items as u64, message });
        }
        match payload.send(fanout).await {
            Ok(()) => {
                counters.accepted[s][t].add(items as u64);
                Ok(Accepted::default())
            }
            Err(e) => {
                counters.refused[s][t].add(items as u64);
                Err(Refused::Downstream(e))
            }
        }
    }
}

impl Settings {
    fn new(args: Arguments) -> Settings {
        let output = args.output.clone().unwrap_or_default();
        Settings { outputs: SIGNALS.map(|s| output.fanout(s)), args }
    }
}

impl Counters {
    fn register(metrics: &ComponentMetrics) -> Counters {
        const NAMES: [[(&str, &str); 2]; 3] = [
            [
                ("otelcol_receiver_accepted_spans_total", "Spans pushed into the pipeline."),
                ("otelcol_receiver_refused_spans_total", "Spans that could not be pushed into the pipeline."),
            ],
            [
                ("otelcol_receiver_accepted_metric_points_total", "Metric points pushed into the pipeline."),
                ("otelcol_receiver_refused_metric_points_total", "Metric points that could not be pushed into the pipeline."),
            ],
            [
                ("otelcol_receiver_accepted_log_records_total", "Log records pushed into the pipeline."),
                ("otelcol_receiver_refused_log_records_total", "Log records that could not be pushed into the pipeline."),
            ],
        ];
        let series = |which: usize| {
            NAMES.map(|names| {
                let (name, help) = names[which];
                Transport::ALL.map(|t| metrics.counter(name, help, &[("transport", t.as_str())]))
            })
        };
        let unauthenticated = Transport::ALL.map(|t| {
            metrics.counter(
                "otelcol_receiver_refused_requests_total",
                "Requests refused before their items were read, by reason.",
                &[("reason", "unauthenticated"), ("transport", t.as_str())],
            )
        });
        Counters { accepted: series(0), refused: series(1), unauthenticated }
    }
}

/// A validated request of one signal.
enum Payload {
    Traces(Traces),
    Metrics(Metrics),
    Logs(Logs),
}

impl Payload {
    fn parse(signal: Signal, body: Bytes) -> Result<Payload, String> {
        let payload = match signal {
            Signal::Traces => Traces::from_bytes(body).map(Payload::Traces),
            Signal::Metrics => Metrics::from_bytes(body).map(Payload::Metrics),
            Signal::Logs => Logs::from_bytes(body).map(Payload::Logs),
        };
        payload.map_err(|e| e.to_string())
    }

    fn items(&self) -> usize {
        match self {
            Payload::Traces(d) => d.items(),
            Payload::Metrics(d) => d.items(),
            Payload::Logs(d) => d.items(),
        }
    }

    async fn send(self, fanout: &Fanout) -> Result<(), ConsumeError> {
        match self {
            Payload::Traces(d) => fanout.traces(d).await,
            Payload::Metrics(d) => fanout.metrics(d).await,
            Payload::Logs(d) => fanout.logs(d).await,
        }
    }
}

impl Accepted {
    /// The `Export<Signal>ServiceResponse`, encoded: empty on full success.
    pub fn to_protobuf(&self, signal: Signal) -> Bytes {
        if *self == Accepted::default() {
            return Bytes::new();
        }
        let (rejected, error_message) = (i64::try_from(self.rejected).unwrap_or(i64::MAX), self.message.clone());
        let encoded = match signal {
            Signal::Traces => {
                ExportTraceServiceResponse { partial_success: Some(ExportTracePartialSuccess { rejected_spans: rejected, error_message }) }.encode_to_vec()
            }
            Signal::Metrics => {
                ExportMetricsServiceResponse { partial_success: Some(ExportMetricsPartialSuccess { rejected_data_points: rejected, error_message }) }
                    .encode_to_vec()
            }
            Signal::Logs => {
                ExportLogsServiceResponse { partial_success: Some(ExportLogsPartialSuccess { rejected_log_records: rejected, error_message }) }.encode_to_vec()
            }
        };
        Bytes::from(encoded)
    }

    /// The same response in OTLP/JSON (64-bit integers as strings).
    pub fn to_json(&self, signal: Signal) -> Bytes {
        if *self == Accepted::default() {
            return Bytes::from_static(b"{}");
        }
        let field = match signal {
            Signal::Traces => "rejectedSpans",
            Signal::Metrics => "rejectedDataPoints",
            Signal::Logs => "rejectedLogRecords",
        };
        let body = serde_json::json!({ "partialSuccess": { field: self.rejected.to_string(), "errorMessage": self.message } });
        Bytes::from(body.to_string())
    }
}
