//! The filter processor as a user configures it: what it drops, what it
//! counts, and what it forwards untouched.

use super::*;
use crate::component::Options;
use crate::harness::{evaluate, Harness, Recorder};
use crate::otelcol::processor::rewrite::process;
use crate::otelcol::processor::testing::{attrs, compiled, s, Attrs};
use crate::otlp::proto::trace::v1::{ResourceSpans, ScopeSpans, Span};
use crate::otlp::Traces;

fn rules(body: &str) -> Result<Rules, String> {
    compiled(REGISTRATION.name, body)
}

fn spans(list: &[(&str, Attrs)]) -> Traces {
    let spans = list.iter().map(|(name, a)| Span { name: name.to_string(), attributes: attrs(a), ..Default::default() }).collect();
    let rs = ResourceSpans { scope_spans: vec![ScopeSpans { spans, ..Default::default() }], ..Default::default() };
    Traces::from_message(ExportTraceServiceRequest { resource_spans: vec![rs] })
}

fn names(t: &Traces) -> Vec<String> {
    let req = t.decode().unwrap();
    req.resource_spans.iter().flat_map(|r| &r.scope_spans).flat_map(|s| &s.spans).map(|s| s.name.clone()).collect()
}

/// The value of this component's series of `metric` in the exposition.
fn counted(metric: &str, id: &str) -> Option<u64> {
    let text = crate::selfmetrics::render();
    let line = text.lines().find(|l| l.starts_with(metric) && l.contains(&format!("component_id=\"{id}\"")))?;
    line.rsplit(' ').next()?.parse().ok()
}

#[test]
fn error_mode_defaults_to_propagate_and_is_checked() {
    assert_eq!(rules("").unwrap().mode, ErrorMode::Propagate);
    assert_eq!(rules("error_mode = \"silent\"").unwrap().mode, ErrorMode::Silent);
    let err = rules("error_mode = \"Ignore\"").err().unwrap_or_default();
    assert!(err.contains("unknown error mode Ignore"), "{err}");
}

#[test]
fn only_lists_that_are_written_are_compiled() {
    let r = rules("traces {\nspan = [`name == \"x\"`]\n}\nlogs { }").unwrap();
    assert!(r.span.is_some() && r.spanevent.is_none() && r.log_record.is_none() && r.metric.is_none());
}

#[tokio::test]
async fn with_no_conditions_requests_go_on_as_their_bytes() {
    let rec = Recorder::new();
    let h = Harness::start(&REGISTRATION, "metrics { }\noutput { traces = [sink] }", &rec.scope("sink")).unwrap();
    let t = spans(&[("GET /healthz", vec![])]);
    h.input().0.consume_traces(t.clone()).await.unwrap();
    assert_eq!(rec.traces()[0].bytes().as_ptr(), t.bytes().as_ptr());
    h.stop().await;
}

// What follows runs real OTTL: it needs the language core, the function
// table and the OTLP contexts (issue 20's other parts) merged.

#[test]
fn a_bad_condition_points_at_its_bad_token() {
    let ev = evaluate(REGISTRATION.name, "traces {\nspan = [`name == \"a\"`, `atributes[\"k\"] == \"v\"`]\n}\noutput {}", &Default::default()).unwrap();
    let Err(d) = REGISTRATION.decode(&ev) else { panic!("accepted") };
    let src = format!("{} \"test\" {{\ntraces {{\nspan = [`name == \"a\"`, `atributes[\"k\"] == \"v\"`]\n}}\noutput {{}}\n}}\n", REGISTRATION.name);
    assert_eq!(&src[d.span.start..d.span.end], "atributes", "{}", d.message);
}

/// Health checks are dropped and counted; a request left empty goes no
/// further; the rest go on. Sent = delivered + filtered.
#[tokio::test]
async fn drops_and_counts_what_a_condition_matches() {
    let rec = Recorder::new();
    let id = "otelcol.processor.filter.drops_and_counts";
    let body = "error_mode = \"ignore\"\ntraces {\nspan = [`attributes[\"http.route\"] == \"/healthz\"`, `name == \"ping\"`]\n}\noutput { traces = [sink] }";
    let h = Harness::start_with(&REGISTRATION, Options::standalone(id), body, &rec.scope("sink")).unwrap();
    let health = || ("GET /healthz", vec![("http.route", s("/healthz"))]);
    h.input().0.consume_traces(spans(&[("GET /users/1", vec![("http.route", s("/users/{id}"))]), health(), ("ping", vec![])])).await.unwrap();
    h.input().0.consume_traces(spans(&[health(), health()])).await.unwrap();
    let got = rec.traces();
    assert_eq!(got.len(), 1, "an emptied request is not forwarded");
    assert_eq!(names(&got[0]), ["GET /users/1"]);
    assert_eq!(got[0].items(), 1, "the request's count is what it holds");
    assert_eq!(counted(SPANS.trim_end_matches("_total"), id), Some(4), "5 sent = 1 delivered + 4 filtered");
    h.stop().await;
}

/// A `span` list runs on the request's bytes; with a `spanevent` list
/// beside it that needs the request decoded, it is decoded. Both drop
/// the same spans.
#[tokio::test]
async fn spans_filtered_on_the_wire_are_those_decoding_filters() {
    let span = "span = [`attributes[\"http.route\"] == \"/healthz\"`]";
    let wire = rules(&format!("traces {{\n{span}\n}}")).unwrap();
    let decoded = rules(&format!("traces {{\n{span}\nspanevent = [`resource.dropped_attributes_count > 0`]\n}}")).unwrap();
    assert!(wire.spans_on_wire && !decoded.spans_on_wire);
    let health = || ("GET /healthz", vec![("http.route", s("/healthz"))]);
    let t = spans(&[health(), ("GET /users/1", vec![("http.route", s("/users/{id}"))]), health()]);
    let run = |r: &Rules| process(r, t.clone(), |req| r.try_traces(req)).unwrap().unwrap();
    let (a, b) = (run(&wire), run(&decoded));
    assert_eq!(names(&a), names(&b));
    assert_eq!((a.items(), b.items()), (1, 1));
    assert_eq!(wire.filtered().0, 2);
}

/// A `span` list and a `spanevent` list run on the request's bytes
/// together: the health checks go, then the exception events of the
/// spans left, as decoding runs the two. Both ways leave the same
/// request; only spans are counted as filtered.
#[tokio::test]
async fn span_and_spanevent_lists_run_on_the_wire_together() {
    use crate::otlp::proto::trace::v1::span::Event;
    let (span, event) = ("span = [`attributes[\"http.route\"] == \"/healthz\"`]", "`name == \"exception\" and span.name != \"POST /orders\"`");
    let wire = rules(&format!("traces {{\n{span}\nspanevent = [{event}]\n}}")).unwrap();
    // The same lists, the event one made to need the request decoded.
    let decoded = rules(&format!("traces {{\n{span}\nspanevent = [{event}, `resource.dropped_attributes_count > 0`]\n}}")).unwrap();
    assert!(wire.spans_on_wire && !decoded.spans_on_wire);
    let health = || ("GET /healthz", vec![("http.route", s("/healthz"))]);
    let mut req = (*spans(&[health(), ("GET /users/1", vec![("http.route", s("/users/{id}"))]), health(), ("POST /orders", vec![])]).decode().unwrap()).clone();
    for span in req.resource_spans.iter_mut().flat_map(|r| &mut r.scope_spans).flat_map(|s| &mut s.spans) {
        span.events = ["exception", "retry", "exception"].iter().map(|name| Event { name: name.to_string(), ..Default::default() }).collect();
    }
    let t = Traces::from_message(req);
    let Some(Ok(WireEdit::Changed { removed: 2, .. })) = wire.on_wire(Signal::Traces, t.bytes()) else { panic!("both lists run on the bytes") };
    let run = |r: &Rules| process(r, t.clone(), |req| r.try_traces(req)).unwrap().unwrap();
    let (a, b) = (run(&wire), run(&decoded));
    let left = a.decode().unwrap();
    assert_eq!(left, b.decode().unwrap());
    let events: Vec<Vec<String>> =
        left.resource_spans.iter().flat_map(|r| &r.scope_spans).flat_map(|s| &s.spans).map(|s| s.events.iter().map(|e| e.name.clone()).collect()).collect();
    assert_eq!(events, [vec!["retry"], vec!["exception", "retry", "exception"]], "the users span loses its exceptions, the orders span keeps them");
    assert_eq!((a.items(), b.items()), (2, 2));
    assert_eq!(wire.filtered().0, 2 + 2, "the health checks, twice (on_wire and the run); events are not counted");
}

fn logs(list: &[(i32, &str)]) -> crate::otlp::Logs {
    use crate::otlp::proto::common::v1::AnyValue;
    use crate::otlp::proto::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
    let log_records = list
        .iter()
        .map(|(severity, body)| LogRecord { severity_number: *severity, body: Some(AnyValue { value: Some(s(body)) }), ..Default::default() })
        .collect();
    let rl = ResourceLogs { scope_logs: vec![ScopeLogs { log_records, ..Default::default() }], ..Default::default() };
    crate::otlp::Logs::from_message(ExportLogsServiceRequest { resource_logs: vec![rl] })
}

/// A `log_record` list runs on the request's bytes, unless it reads what
/// the wire log context does not serve; both ways drop the same records,
/// count them, and forward the count of what is left. Sent = delivered +
/// filtered.
#[tokio::test]
async fn log_records_filtered_on_the_wire_are_those_decoding_filters() {
    let rec = Recorder::new();
    let id = "otelcol.processor.filter.logs_on_wire";
    let list = "`severity_number < SEVERITY_NUMBER_INFO`, `IsMatch(body, \"^GET /health\")`";
    let body = format!("logs {{\nlog_record = [{list}]\n}}\noutput {{ logs = [sink] }}");
    let h = Harness::start_with(&REGISTRATION, Options::standalone(id), &body, &rec.scope("sink")).unwrap();
    let sent = || logs(&[(5, "cache miss"), (9, "GET /health 200"), (9, "order 7 paid"), (17, "payment failed")]);
    h.input().0.consume_logs(sent()).await.unwrap();
    h.input().0.consume_logs(logs(&[(1, "trace"), (9, "GET /health 200")])).await.unwrap();
    let got = rec.logs();
    assert_eq!(got.len(), 1, "an emptied request is not forwarded");
    let left = got[0].decode().unwrap();
    let bodies: Vec<_> = left.resource_logs[0].scope_logs[0].log_records.iter().map(|r| format!("{:?}", r.body)).collect();
    assert!(bodies.len() == 2 && bodies[0].contains("order 7 paid") && bodies[1].contains("payment failed"), "{bodies:?}");
    assert_eq!(got[0].items(), 2, "the request's count is what it holds");
    assert_eq!(counted(LOGS.trim_end_matches("_total"), id), Some(4), "6 sent = 2 delivered + 4 filtered");
    h.stop().await;

    let wire = rules(&format!("logs {{\nlog_record = [{list}]\n}}")).unwrap();
    let decoded = rules("logs {\nlog_record = [`resource.dropped_attributes_count > 0`, `severity_number < SEVERITY_NUMBER_INFO`]\n}").unwrap();
    assert!(wire.logs_on_wire.is_some() && decoded.logs_on_wire.is_none());
    let on_wire = process(&wire, sent(), |req| wire.try_logs(req)).unwrap().unwrap();
    let by_decoding = process(&decoded, sent(), |req| decoded.try_logs(req)).unwrap().unwrap();
    assert_eq!(by_decoding.items(), 3);
    assert_eq!(on_wire.items(), 2);
}

fn gauges(list: &[(&str, usize)]) -> crate::otlp::Metrics {
    use crate::otlp::proto::metrics::v1::{metric::Data, Gauge, Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics};
    let gauge = |points| Some(Data::Gauge(Gauge { data_points: vec![NumberDataPoint::default(); points] }));
    let metrics = list.iter().map(|(name, points)| Metric { name: name.to_string(), data: gauge(*points), ..Default::default() }).collect();
    let rm = ResourceMetrics { scope_metrics: vec![ScopeMetrics { metrics, ..Default::default() }], ..Default::default() };
    crate::otlp::Metrics::from_message(ExportMetricsServiceRequest { resource_metrics: vec![rm] })
}

/// Three gauges of 1, 3 and 5 points: the `go_` ones go, in every
/// filter below.
fn go_and_http() -> crate::otlp::Metrics {
    gauges(&[("go_goroutines", 1), ("http.server.active_requests", 3), ("go_gc_duration_seconds", 5)])
}

/// Runs a processor of `lists` (a `metrics` block's body) over
/// [`go_and_http`], then over `then` (2 points, all dropped): one request
/// goes on, the HTTP gauge alone; 8 points are counted as filtered, so
/// sent = delivered + filtered. Then runs `wire` (these lists, on the
/// wire) and `decoded` (the same beside a list that has the request
/// decoded) over the first request: the same request left, and its count.
async fn drops_the_go_metrics(id: &str, lists: &str, then: crate::otlp::Metrics, decoded: &str) -> (Rules, Rules) {
    let rec = Recorder::new();
    let body = format!("metrics {{\n{lists}\n}}\noutput {{ metrics = [sink] }}");
    let h = Harness::start_with(&REGISTRATION, Options::standalone(id), &body, &rec.scope("sink")).unwrap();
    h.input().0.consume_metrics(go_and_http()).await.unwrap();
    h.input().0.consume_metrics(then).await.unwrap();
    let got = rec.metrics();
    assert_eq!(got.len(), 1, "an emptied request is not forwarded");
    let left = got[0].decode().unwrap();
    assert_eq!(left.resource_metrics[0].scope_metrics[0].metrics.iter().map(|m| m.name.as_str()).collect::<Vec<_>>(), ["http.server.active_requests"]);
    assert_eq!(got[0].items(), 3, "the request's count is of the points it holds");
    assert_eq!(counted(DATAPOINTS.trim_end_matches("_total"), id), Some(8), "11 points sent = 3 delivered + 8 filtered");
    h.stop().await;

    let wire = rules(&format!("metrics {{\n{lists}\n}}")).unwrap();
    let decoded = rules(&format!("metrics {{\n{lists}\n{decoded}\n}}")).unwrap();
    let run = |r: &Rules| process(r, go_and_http(), |req| r.try_metrics(req)).unwrap().unwrap();
    let (a, b) = (run(&wire), run(&decoded));
    assert_eq!(a.decode().unwrap(), b.decode().unwrap());
    assert_eq!((a.items(), b.items()), (3, 3));
    (wire, decoded)
}

/// A `datapoint` list of plain comparisons alone runs on the request's
/// bytes as a plan; with a `metric` list beside it that needs the request
/// decoded, it is decoded. Both drop the same points and the metrics left
/// without any, and count the points.
#[tokio::test]
async fn datapoints_filtered_on_the_wire_are_those_decoding_filters() {
    let list = "datapoint = [`metric.name == \"go_goroutines\"`, `metric.name == \"go_gc_duration_seconds\" and attributes[\"absent\"] == nil`]";
    let id = "otelcol.processor.filter.points_on_wire";
    let (wire, decoded) = drops_the_go_metrics(id, list, gauges(&[("go_goroutines", 2)]), "metric = [`resource.dropped_attributes_count > 0`]").await;
    assert!(!decoded.metrics_on_wire && decoded.on_wire(Signal::Metrics, go_and_http().bytes()).is_none());
    let plan = wire.point_plan.as_ref().expect("a plan");
    assert!(matches!(wire::filter_points(plan, go_and_http().bytes()), Ok(Outcome::Changed { dropped: 6, .. })), "the plan runs on these bytes");
}

/// A `metric` list and a `datapoint` list of plain comparisons run on
/// the request's bytes together: the metrics first, then the points of
/// those left, as decoding runs them. Both ways drop the same, and the
/// points of both are counted.
#[tokio::test]
async fn metric_and_datapoint_lists_run_on_the_wire_together() {
    let (by_metric, by_point) = ("metric = [`IsMatch(name, \"^go_gc\")`]", "datapoint = [`metric.name == \"go_goroutines\"`]");
    let id = "otelcol.processor.filter.both_on_wire";
    let (wire, _) = drops_the_go_metrics(id, &format!("{by_metric}\n{by_point}"), gauges(&[("go_goroutines", 2)]), "").await;
    assert!(wire.metrics_on_wire);
    let Some(Ok(WireEdit::Changed { removed: 6, .. })) = wire.on_wire(Signal::Metrics, go_and_http().bytes()) else { panic!("both lists run on the bytes") };
    // The same lists, the metric one made to need the request decoded.
    let decoded = rules(&format!("metrics {{\nmetric = [`IsMatch(name, \"^go_gc\") or resource.dropped_attributes_count > 0`]\n{by_point}\n}}")).unwrap();
    assert!(!decoded.metrics_on_wire);
    let run = |r: &Rules| process(r, go_and_http(), |req| r.try_metrics(req)).unwrap().unwrap();
    assert_eq!(run(&wire).decode().unwrap(), run(&decoded).decode().unwrap());
}

/// A `metric` list alone runs on the request's bytes; with a `datapoint`
/// list beside it the request is decoded. Both drop the same metrics, and
/// what is counted (and taken from the request's count) is their data
/// points.
#[tokio::test]
async fn metrics_filtered_on_the_wire_are_those_decoding_filters() {
    let id = "otelcol.processor.filter.metrics_on_wire";
    let (wire, decoded) = drops_the_go_metrics(id, "metric = [`IsMatch(name, \"^go_\")`]", gauges(&[("go_threads", 2)]), "datapoint = [`false`]").await;
    assert!(wire.metrics_on_wire && !decoded.metrics_on_wire);
}
