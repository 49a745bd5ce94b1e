//! The component as the runtime drives it: built from config text, run on
//! its own task, fed through its `input` export, flushing to a recorder.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::*;

fn options() -> Options {
    Options { id: "otelcol.connector.spanmetrics.t".into(), data_path: std::env::temp_dir(), on_exports_changed: Arc::new(|| {}) }
}

fn input(component: &Arc<dyn Component>) -> ConsumerHandle {
    let Value::Object(exports) = component.exports() else { panic!("exports are an object") };
    let Some(Value::Capsule(c)) = exports.get("input") else { panic!("no input capsule") };
    c.downcast::<ConsumerHandle>().unwrap().clone()
}

fn traces(spans: Vec<Span>) -> Traces {
    Traces::from_bytes(request(svc("shop"), spans).into()).unwrap()
}

fn total_calls(rec: &Recorder) -> Vec<i64> {
    lock(&rec.metrics).iter().map(|m| calls(&m.decode().unwrap().resource_metrics, "traces.span.metrics.calls").iter().map(|c| c.1).sum()).collect()
}

#[tokio::test]
async fn flushes_on_the_interval_and_on_shutdown_keeping_state_across_updates() {
    let rec = Arc::new(Recorder::default());
    let args = format!("{EXPLICIT}\nmetrics_flush_interval = \"1h\"");
    let component = build(options(), &body(&args, &sink(&rec))).unwrap();
    let input = input(&component);
    assert!(input.0.accepts(Signal::Traces) && !input.0.accepts(Signal::Metrics));
    let stop = CancellationToken::new();
    let task = tokio::spawn(Arc::clone(&component).run(stop.clone()));

    input.0.consume_traces(traces(vec![server("op", MS), server("op", MS)])).await.unwrap();
    // Same shape, new output and interval: the two spans stay counted, the
    // input export stays the same handle.
    let exports = component.exports();
    let rec2 = Arc::new(Recorder::default());
    component.update(&body(&format!("{EXPLICIT}\nmetrics_flush_interval = \"50ms\""), &sink(&rec2))).unwrap();
    assert_eq!(component.exports(), exports);
    input.0.consume_traces(traces(vec![server("op", MS)])).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while lock(&rec2.metrics).is_empty() {
        assert!(tokio::time::Instant::now() < deadline, "no flush on the interval");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(total_calls(&rec2)[0], 3, "cumulative across the update");
    assert!(lock(&rec.metrics).is_empty(), "the old output is no longer used");

    let Value::Object(info) = component.debug_info() else { panic!() };
    assert_eq!(info.get("series"), Some(&Value::int(1)));
    assert_eq!(info.get("spans_seen"), Some(&Value::int(3)));

    // A new dimension reshapes series: they start over.
    component.update(&body(&format!("{EXPLICIT}\nmetrics_flush_interval = \"1h\"\ndimension {{ name = \"x\" }}"), &sink(&rec2))).unwrap();
    input.0.consume_traces(traces(vec![server("op", MS)])).await.unwrap();
    let before = lock(&rec2.metrics).len();
    stop.cancel();
    task.await.unwrap();
    let after = total_calls(&rec2);
    assert_eq!(after.len(), before + 1, "shutdown flushes");
    assert_eq!(after.last(), Some(&1));
    assert_eq!(component.health().state, HealthState::Exited);
}
