//! One export request, whatever carried it: checked against the schema
//! without decoding, counted, handed to the output of its signal, and
//! answered.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, OnceLock, RwLock};

use bytes::Bytes;
use hyper::header::HeaderMap;
use prost::Message;

use super::admission;
use super::Arguments;
use crate::consumer::{ConsumeError, Fanout, Progress};
use crate::otelcol::auth::{AuthHandler, Unauthenticated};
use crate::otlp::{Logs, Metrics, Signal, Traces};
use crate::selfmetrics::{ComponentMetrics, Counter};
use crate::types::Handle;
use opentelemetry_proto::tonic::collector::logs::v1::{ExportLogsPartialSuccess, ExportLogsServiceResponse};
use opentelemetry_proto::tonic::collector::metrics::v1::{ExportMetricsPartialSuccess, ExportMetricsServiceResponse};
use opentelemetry_proto::tonic::collector::trace::v1::{ExportTracePartialSuccess, ExportTraceServiceResponse};

/// Requests larger than this are validated on the blocking pool.
const INLINE_VALIDATION: usize = 256 * 1024;

/// How long a request some consumers took is retried, for the consumers
/// that asked to retry, before their share is dropped: well inside an
/// SDK's 10 s export timeout and the servers' 5 s drain on shutdown.
const FANOUT_RETRY_BUDGET: std::time::Duration = std::time::Duration::from_secs(3);
const FIRST_BACKOFF: std::time::Duration = std::time::Duration::from_millis(100);

pub(super) const SIGNALS: [Signal; 3] = [Signal::Traces, Signal::Metrics, Signal::Logs];

/// The client address a request carries, from its connection's TCP peer
/// (never from a header such as `X-Forwarded-For`, which the client
/// writes). An IPv4 client of a dual-stack socket shows as `::ffff:a.b.c.d`;
/// it is carried as plain IPv4, since `otelcol.processor.k8sattributes`
/// compares it with pod IPs.
pub(super) fn client_addr(peer: SocketAddr) -> IpAddr {
    peer.ip().to_canonical()
}

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
/// transport, and `otelcol_receiver_refused_requests_total` by reason and
/// transport, for requests refused before their items could be counted.
pub(super) struct Counters {
    pub accepted: [[Counter; 2]; 3],
    pub refused: [[Counter; 2]; 3],
    /// Acknowledged, but not delivered to every consumer (see
    /// [`Shared::deliver`]).
    pub dropped: [[Counter; 2]; 3],
    pub refused_requests: [[Counter; 2]; 3],
}

/// Why a request was refused before its items could be counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Unread {
    /// Larger than the size limit, or it inflated past its bound.
    TooLarge = 0,
    /// Not valid OTLP, or a body that does not decompress.
    Malformed = 1,
    /// Missing or wrong credentials, with `auth` set.
    Unauthenticated = 2,
}

impl Unread {
    pub const ALL: [Unread; 3] = [Unread::TooLarge, Unread::Malformed, Unread::Unauthenticated];

    pub fn as_str(self) -> &'static str {
        match self {
            Unread::TooLarge => "too_large",
            Unread::Malformed => "malformed",
            Unread::Unauthenticated => "unauthenticated",
        }
    }
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
    /// ([`admission`]): the client must not send it again as it is.
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

    /// Counts a request refused before its items could be counted.
    pub fn refuse_request(&self, transport: Transport, why: Unread) {
        self.counters().refused_requests[why as usize][transport as usize].add(1);
    }

    /// Checks a request's credentials against the protocol block's `auth`,
    /// counting a refusal. No `auth`: every request passes.
    pub fn authenticate(&self, auth: Option<&Handle<AuthHandler>>, transport: Transport, headers: &HeaderMap) -> Result<(), Unauthenticated> {
        let Some(handle) = auth else { return Ok(()) };
        let refused = Unauthenticated { message: "not an otelcol.auth handler", challenge: "Basic realm=\"otelcol\"" };
        let result = handle.get().map_or(Err(refused), |handler| handler.authenticate(headers));
        if result.is_err() {
            self.refuse_request(transport, Unread::Unauthenticated);
        }
        result
    }

    /// Validates `body` as a request of `signal`, sent by `peer`, and
    /// sends it on.
    pub async fn export(&self, signal: Signal, transport: Transport, peer: Option<IpAddr>, body: Bytes) -> Result<Accepted, Refused> {
        // Validation runs at a few hundred MB/s: large requests are checked
        // on the blocking pool, off the threads that serve connections.
        let payload = if body.len() > INLINE_VALIDATION {
            tokio::task::spawn_blocking(move || Payload::parse(signal, peer, body)).await.unwrap_or_else(|e| Err(format!("validation failed: {e}")))
        } else {
            Payload::parse(signal, peer, body)
        };
        let payload = match payload {
            Ok(p) => p,
            Err(message) => {
                self.refuse_request(transport, Unread::Malformed);
                return Err(Refused::Malformed(message));
            }
        };
        let items = payload.items();
        if items == 0 {
            return Ok(Accepted::default());
        }
        if let Some(refused) = self.refuse_over_budget(signal, transport, items) {
            return Err(refused);
        }
        let settings = self.settings();
        let fanout = &settings.outputs[slot(signal)];
        let counters = self.counters();
        let (s, t) = (slot(signal), transport as usize);
        if let Err(message) = admission::check(signal, items, payload.len()) {
            counters.refused[s][t].add(items as u64);
            return Err(Refused::TooLarge(message));
        }
        if fanout.is_empty() {
            counters.refused[s][t].add(items as u64);
            let message = format!("{} has no {} output: {items} {} dropped", self.id(), signal.as_str(), signal.item_name().replace('_', " "));
            return Ok(Accepted { rejected: items as u64, message });
        }
        match self.deliver(&payload, fanout).await {
            Delivered::Everywhere => {
                counters.accepted[s][t].add(items as u64);
                Ok(Accepted::default())
            }
            Delivered::Partly(e) => {
                counters.accepted[s][t].add(items as u64);
                counters.dropped[s][t].add(items as u64);
                let what = signal.item_name().replace('_', " ");
                tracing::warn!("{}: {items} {what} taken by some consumers and dropped for others, which still refuse: {e}", self.id());
                let message = format!("{items} {what} delivered to some consumers only; the others refused: {e}");
                Ok(Accepted { rejected: 0, message })
            }
            Delivered::Nowhere(e) => {
                counters.refused[s][t].add(items as u64);
                Err(Refused::Downstream(e))
            }
        }
    }

    /// Delivers to every consumer of the fan-out, so that a client's retry
    /// can never reach a consumer that already took the data:
    ///
    /// - if no consumer took it, the first refusal (a retryable one first)
    ///   goes back to the client, which may send it again: nobody has it;
    /// - once any consumer took it, the client must not send it again, so
    ///   the consumers that asked to retry are retried here, and only they,
    ///   for up to [`FANOUT_RETRY_BUDGET`]; those still refusing then, and
    ///   those that refused for good, have their share dropped and counted.
    async fn deliver(&self, payload: &Payload, fanout: &Fanout) -> Delivered {
        let mut progress = Progress::default();
        let mut retry = payload.send(fanout, &mut progress).await;
        if progress.took == 0 {
            return match retry.or(progress.refused_for_good) {
                Some(e) => Delivered::Nowhere(e),
                None => Delivered::Everywhere,
            };
        }
        let deadline = tokio::time::Instant::now() + FANOUT_RETRY_BUDGET;
        let mut backoff = FIRST_BACKOFF;
        while retry.is_some() && tokio::time::Instant::now() + backoff <= deadline {
            tokio::time::sleep(backoff).await;
            backoff *= 2;
            retry = payload.send(fanout, &mut progress).await;
        }
        match retry.or(progress.refused_for_good) {
            Some(e) => Delivered::Partly(e),
            None => Delivered::Everywhere,
        }
    }
}

/// Where a request went.
enum Delivered {
    /// Every consumer took it.
    Everywhere,
    /// Some took it; others refused it, for good or past the retry budget.
    Partly(ConsumeError),
    /// No consumer took it.
    Nowhere(ConsumeError),
}

impl Settings {
    fn new(args: Arguments) -> Settings {
        let output = args.output.clone().unwrap_or_default();
        Settings { outputs: SIGNALS.map(|s| output.fanout(s)), args }
    }
}

impl Counters {
    fn register(metrics: &ComponentMetrics) -> Counters {
        const NAMES: [[(&str, &str); 3]; 3] = [
            [
                ("otelcol_receiver_accepted_spans_total", "Spans pushed into the pipeline."),
                ("otelcol_receiver_refused_spans_total", "Spans that could not be pushed into the pipeline."),
                ("otelcol_receiver_dropped_spans_total", "Spans acknowledged but not delivered to every consumer: some refused past the retry budget."),
            ],
            [
                ("otelcol_receiver_accepted_metric_points_total", "Metric points pushed into the pipeline."),
                ("otelcol_receiver_refused_metric_points_total", "Metric points that could not be pushed into the pipeline."),
                ("otelcol_receiver_dropped_metric_points_total", "Metric points acknowledged but not delivered to every consumer."),
            ],
            [
                ("otelcol_receiver_accepted_log_records_total", "Log records pushed into the pipeline."),
                ("otelcol_receiver_refused_log_records_total", "Log records that could not be pushed into the pipeline."),
                ("otelcol_receiver_dropped_log_records_total", "Log records acknowledged but not delivered to every consumer."),
            ],
        ];
        let series = |which: usize| {
            NAMES.map(|names| {
                let (name, help) = names[which];
                Transport::ALL.map(|t| metrics.counter(name, help, &[("transport", t.as_str())]))
            })
        };
        let refused_requests = Unread::ALL.map(|why| {
            Transport::ALL.map(|t| {
                metrics.counter(
                    "otelcol_receiver_refused_requests_total",
                    "Requests refused before their items could be counted: unauthenticated, too large once inflated, or not valid OTLP.",
                    &[("reason", why.as_str()), ("transport", t.as_str())],
                )
            })
        });
        Counters { accepted: series(0), refused: series(1), dropped: series(2), refused_requests }
    }
}

/// A validated request of one signal.
enum Payload {
    Traces(Traces),
    Metrics(Metrics),
    Logs(Logs),
}

impl Payload {
    fn parse(signal: Signal, peer: Option<IpAddr>, body: Bytes) -> Result<Payload, String> {
        let payload = match signal {
            Signal::Traces => Traces::from_bytes(body).map(|d| Payload::Traces(d.with_peer(peer))),
            Signal::Metrics => Metrics::from_bytes(body).map(|d| Payload::Metrics(d.with_peer(peer))),
            Signal::Logs => Logs::from_bytes(body).map(|d| Payload::Logs(d.with_peer(peer))),
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

    /// Its decoded (uncompressed protobuf) size in bytes.
    fn len(&self) -> usize {
        match self {
            Payload::Traces(d) => d.bytes().len(),
            Payload::Metrics(d) => d.bytes().len(),
            Payload::Logs(d) => d.bytes().len(),
        }
    }

    /// Sends to the consumers `progress` has not seen done; the first
    /// retryable refusal, if any.
    async fn send(&self, fanout: &Fanout, progress: &mut Progress) -> Option<ConsumeError> {
        match self {
            Payload::Traces(d) => fanout.traces_to_rest(d.clone(), progress).await,
            Payload::Metrics(d) => fanout.metrics_to_rest(d.clone(), progress).await,
            Payload::Logs(d) => fanout.logs_to_rest(d.clone(), progress).await,
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
