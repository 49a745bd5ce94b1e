//! The component as the runtime drives it: built from config text, run on
//! its own task, fed through its `input` export, flushing to a recorder.

use super::*;
use crate::harness::{until, Harness, Recorder};

fn traces(spans: Vec<Span>) -> Traces {
    Traces::from_bytes(request(svc("shop"), spans).into()).unwrap()
}

fn total_calls(rec: &Recorder) -> Vec<i64> {
    rec.metrics().iter().map(|m| calls(&m.decode().unwrap().resource_metrics, "traces.span.metrics.calls").iter().map(|c| c.1).sum()).collect()
}

#[tokio::test]
async fn flushes_on_the_interval_and_on_shutdown_keeping_state_across_updates() {
    let (rec, rec2) = (Recorder::accepting(&[Signal::Metrics]), Recorder::accepting(&[Signal::Metrics]));
    let scope = rec.scope("sink").with("sink2", rec2.consumer());
    let output = |sink: &str| format!("output {{ metrics = [{sink}] }}");
    let args = format!("{EXPLICIT}\nmetrics_flush_interval = \"1h\"\n{}", output("sink"));
    let h = Harness::start(&REGISTRATION, &args, &scope).unwrap();
    let input = h.input();
    assert!(input.0.accepts(Signal::Traces) && !input.0.accepts(Signal::Metrics));

    input.0.consume_traces(traces(vec![server("op", MS), server("op", MS)])).await.unwrap();
    // Same shape, new output and interval: the two spans stay counted, the
    // input export stays the same handle.
    let exports = h.exports();
    h.update(&format!("{EXPLICIT}\nmetrics_flush_interval = \"50ms\"\n{}", output("sink2"))).unwrap();
    assert_eq!(h.exports(), exports);
    input.0.consume_traces(traces(vec![server("op", MS)])).await.unwrap();
    until("a flush on the interval", || !rec2.metrics().is_empty()).await;
    assert_eq!(total_calls(&rec2)[0], 3, "cumulative across the update");
    assert!(rec.metrics().is_empty(), "the old output is no longer used");

    assert_eq!(h.debug("series"), Value::int(1));
    assert_eq!(h.debug("spans_seen"), Value::int(3));

    // A new dimension reshapes series: they start over.
    h.update(&format!("{EXPLICIT}\nmetrics_flush_interval = \"1h\"\ndimension {{ name = \"x\" }}\n{}", output("sink2"))).unwrap();
    input.0.consume_traces(traces(vec![server("op", MS)])).await.unwrap();
    let before = rec2.metrics().len();
    let component = h.stop().await;
    let after = total_calls(&rec2);
    assert_eq!(after.len(), before + 1, "shutdown flushes");
    assert_eq!(after.last(), Some(&1));
    assert_eq!(component.health().state, HealthState::Exited);
}
