//! Controller behaviour: diffs, in-place updates, failed reloads, graph
//! errors and export propagation. Uses a small test component that counts
//! its updates and records when it stops.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde::Deserialize;
use solder_components::component::{self, ArgumentError, HealthCell, RunFuture, Signals, Stability};
use solder_components::harness::until;
use solder_components::{Component, Health, HealthState, Options, Registration, Registry};
use solder_syntax::{Diagnostic, SourceFile, Value};
use tokio_util::sync::CancellationToken;

use super::{load, Controller};

/// Every `CounterArgs` ever decoded, whatever decoded it.
static DECODED: AtomicUsize = AtomicUsize::new(0);

#[derive(Clone, PartialEq, Debug)]
struct CounterArgs {
    value: i64,
}

/// Decodes as a plain struct would, counting every decode.
impl<'de> Deserialize<'de> for CounterArgs {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<CounterArgs, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Plain {
            value: i64,
        }
        let Plain { value } = Plain::deserialize(d)?;
        // Tracing the schema (when a registry is made) is not a decode.
        if !solder_components::decode::schema::tracing() {
            DECODED.fetch_add(1, Ordering::SeqCst);
        }
        Ok(CounterArgs { value })
    }
}

impl component::Arguments for CounterArgs {
    fn validate(&self) -> Result<(), ArgumentError> {
        if self.value < 0 {
            return Err(ArgumentError::new("value", "value must not be negative"));
        }
        Ok(())
    }
}

struct CounterExports(i64);

impl component::Exports for CounterExports {
    const NAMES: &'static [&'static str] = &["value"];

    fn to_value(&self) -> Value {
        Value::object([("value", Value::int(self.0))])
    }
}

/// `test.counter`: exports `value` (its argument) and counts updates.
struct Counter {
    id: String,
    args: Mutex<CounterArgs>,
    updates: AtomicUsize,
    stopped: Arc<AtomicUsize>,
    health: HealthCell,
}

static STOPPED: std::sync::LazyLock<Arc<AtomicUsize>> = std::sync::LazyLock::new(|| Arc::new(AtomicUsize::new(0)));

/// IDs of stopped counters, in the order they stopped.
static STOP_ORDER: Mutex<Vec<String>> = Mutex::new(Vec::new());

impl Component for Counter {
    type Arguments = CounterArgs;
    type Exports = CounterExports;

    fn build(opts: Options, args: CounterArgs) -> Result<Counter, ArgumentError> {
        Ok(Counter { id: opts.id, args: Mutex::new(args), updates: AtomicUsize::new(0), stopped: STOPPED.clone(), health: HealthCell::default() })
    }

    fn run(self: Arc<Self>, shutdown: CancellationToken) -> RunFuture {
        Box::pin(async move {
            self.health.set(HealthState::Healthy, "counting");
            shutdown.cancelled().await;
            self.stopped.fetch_add(1, Ordering::SeqCst);
            STOP_ORDER.lock().unwrap().push(self.id.clone());
        })
    }

    fn update(&self, args: CounterArgs) -> Result<(), ArgumentError> {
        *self.args.lock().unwrap() = args;
        self.updates.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    fn exports(&self) -> CounterExports {
        CounterExports(self.args.lock().unwrap().value)
    }

    fn health(&self) -> Health {
        self.health.get()
    }

    fn debug_info(&self) -> Value {
        Value::object([("updates", Value::int(self.updates.load(Ordering::SeqCst) as i64))])
    }
}

fn registry() -> Registry {
    let mut r = Registry::builtin();
    r.add(Registration::of::<Counter>("test.counter", Stability::Experimental, Signals::NONE)).unwrap();
    r
}

fn config(src: &str) -> Result<super::Config, Vec<Diagnostic>> {
    load(vec![SourceFile::new("main.alloy", src)], &registry())
}

fn messages(diags: &[Diagnostic]) -> Vec<String> {
    diags.iter().map(|d| d.to_string()).collect()
}

/// (id, instance, args.value, update count) of every component.
fn snapshot(c: &Controller) -> Vec<(String, u64, String, String)> {
    c.inspect(|nodes| nodes.iter().map(|n| (n.decl.id.clone(), n.instance, n.component.exports().to_string(), n.component.debug_info().to_string())).collect())
}

#[tokio::test]
async fn unchanged_components_are_untouched_and_changed_ones_update_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let c = Controller::new(registry(), dir.path().into());
    let first = c.apply(config("test.counter \"a\" {\n\tvalue = 1\n}\ntest.counter \"b\" {\n\tvalue = test.counter.a.value + 1\n}\n").unwrap()).await.unwrap();
    assert_eq!(first.added, ["test.counter.a", "test.counter.b"]);
    let before = snapshot(&c);
    assert_eq!(before[1].2, "{ value = 2 }");

    // Edit only b: a keeps its instance and sees no update; b updates in place.
    let second =
        c.apply(config("test.counter \"a\" {\n\tvalue = 1\n}\ntest.counter \"b\" {\n\tvalue = test.counter.a.value + 10\n}\n").unwrap()).await.unwrap();
    assert_eq!(second.unchanged, ["test.counter.a"]);
    assert_eq!(second.updated, ["test.counter.b"]);
    let after = snapshot(&c);
    assert_eq!(after[0], before[0], "a was not touched");
    assert_eq!(after[1].1, before[1].1, "b kept its instance");
    assert_eq!(after[1].2, "{ value = 11 }");
    assert_eq!(after[1].3, "{ updates = 1 }");
    c.shutdown().await;
}

#[tokio::test]
async fn an_invalid_update_leaves_the_graph_exactly_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let c = Controller::new(registry(), dir.path().into());
    c.apply(config("test.counter \"a\" {\n\tvalue = 1\n}\n").unwrap()).await.unwrap();
    let before = snapshot(&c);
    // Evaluation fails (type error), then validation fails (negative value),
    // pointing at the value it is about.
    let err = c.apply(config("test.counter \"a\" {\n\tvalue = \"one\"\n}\ntest.counter \"n\" {\n\tvalue = 1\n}\n").unwrap()).await.unwrap_err();
    assert_eq!(messages(&err), [r#"main.alloy:2:10: "value" should be number, got string"#]);
    let err = c.apply(config("test.counter \"a\" {\n\tvalue = -1\n}\n").unwrap()).await.unwrap_err();
    assert_eq!(messages(&err), ["main.alloy:2:10: value must not be negative"]);
    assert_eq!(snapshot(&c), before);
    c.shutdown().await;
}

#[tokio::test]
async fn removed_components_are_stopped_and_renamed_ones_rebuilt_in_one_apply() {
    let dir = tempfile::tempdir().unwrap();
    let c = Controller::new(registry(), dir.path().into());
    c.apply(config("test.counter \"old\" {\n\tvalue = 1\n}\n").unwrap()).await.unwrap();
    let stopped_before = STOPPED.load(Ordering::SeqCst);
    let r = c.apply(config("test.counter \"new\" {\n\tvalue = 1\n}\n").unwrap()).await.unwrap();
    assert_eq!((r.removed.as_slice(), r.added.as_slice()), (&["test.counter.old".to_string()][..], &["test.counter.new".to_string()][..]));
    // The old one's task ran to completion before apply returned.
    assert!(STOPPED.load(Ordering::SeqCst) > stopped_before);
    c.shutdown().await;
}

#[test]
fn graph_errors_name_what_is_wrong() {
    let cycle = config("test.counter \"a\" {\n\tvalue = test.counter.b.value\n}\ntest.counter \"b\" {\n\tvalue = test.counter.a.value\n}\n").unwrap_err();
    assert_eq!(messages(&cycle), ["main.alloy:1:1: cycle detected: test.counter.a -> test.counter.b -> test.counter.a"]);

    let unknown = config("test.countr \"a\" {\n\tvalue = 1\n}\n").unwrap_err();
    assert_eq!(messages(&unknown), [r#"main.alloy:1:1: cannot find the definition of component name "test.countr""#]);
    assert_eq!(unknown[0].help.as_deref(), Some(r#"did you mean "test.counter"?"#));

    let dangling = config("test.counter \"a\" {\n\tvalue = test.counter.z.value\n}\n").unwrap_err();
    assert_eq!(messages(&dangling), [r#"main.alloy:2:10: component "test.counter.z.value" does not exist or is out of scope"#]);

    let duplicate = config("test.counter \"a\" {\n\tvalue = 1\n}\ntest.counter \"a\" {\n\tvalue = 2\n}\n").unwrap_err();
    assert_eq!(messages(&duplicate), ["main.alloy:4:1: block test.counter.a already declared at main.alloy:1:1"]);

    let unlabelled = config("test.counter {\n\tvalue = 1\n}\n").unwrap_err();
    assert_eq!(messages(&unlabelled), [r#"main.alloy:1:1: component "test.counter" must have a label"#]);

    let top_attr = config("value = 1\n").unwrap_err();
    assert_eq!(messages(&top_attr), [r#"main.alloy:1:1: unrecognized attribute name "value""#]);
}

#[test]
fn a_directory_of_files_is_one_config() {
    let files = vec![
        SourceFile::new("a.alloy", "test.counter \"a\" {\n\tvalue = test.counter.b.value\n}\n"),
        SourceFile::new("b.alloy", "test.counter \"b\" {\n\tvalue = 3\n}\n"),
    ];
    let cfg = load(files, &registry()).unwrap();
    let order: Vec<&str> = cfg.components.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(order, ["test.counter.b", "test.counter.a"], "dependencies come first, across files");
}

#[tokio::test]
async fn changed_exports_reach_the_components_that_read_them() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("value.txt");
    std::fs::write(&file, "5").unwrap();
    let c = Controller::new(registry(), dir.path().join("data"));
    let src = format!(
        "local.file \"v\" {{\n\tfilename = {:?}\n\tpoll_frequency = \"20ms\"\n\tdetector = \"poll\"\n}}\ntest.counter \"a\" {{\n\tvalue = encoding.from_json(local.file.v.content)\n}}\n",
        file.display().to_string()
    );
    c.apply(config(&src).unwrap()).await.unwrap();
    assert_eq!(snapshot(&c)[1].2, "{ value = 5 }");
    std::fs::write(&file, "6").unwrap();
    let mut seen = String::new();
    for _ in 0..200 {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        seen = snapshot(&c)[1].2.clone();
        if seen == "{ value = 6 }" {
            break;
        }
    }
    assert_eq!(seen, "{ value = 6 }");
    c.shutdown().await;
}

#[tokio::test]
async fn health_reports_the_running_state() {
    let dir = tempfile::tempdir().unwrap();
    let c = Controller::new(registry(), dir.path().into());
    c.apply(config("local.file \"missing\" {\n\tfilename = \"/nonexistent/x\"\n}\n").unwrap()).await.unwrap();
    let health = c.inspect(|n| n[0].health());
    assert_eq!(health.state, HealthState::Unhealthy);
    assert!(health.message.contains("cannot read /nonexistent/x"), "{}", health.message);
    c.shutdown().await;
}

const PIPELINE: &str = "otelcol.processor.batch \"a\" {\n\toutput {\n\t\ttraces = [otelcol.exporter.debug.d.input]\n\t}\n}\n\
                        otelcol.exporter.debug \"d\" {\n\tsampling_thereafter = 0\n}\n";

/// The consumer handle in a component's evaluated `output` block.
fn output_handle(c: &Controller, id: &str) -> Option<solder_components::consumer::ConsumerHandle> {
    c.inspect(|nodes| {
        let node = nodes.iter().find(|n| n.decl.id == id)?;
        node.args.items.iter().find_map(|item| match item {
            solder_components::body::Item::Block { name, body, .. } if name == "output" => body.items.iter().find_map(|i| match i {
                solder_components::body::Item::Attribute { value: Value::Array(list), .. } => match list.first() {
                    Some(Value::Capsule(cap)) => cap.downcast::<solder_components::consumer::ConsumerHandle>().cloned(),
                    _ => None,
                },
                _ => None,
            }),
            _ => None,
        })
    })
}

#[tokio::test]
async fn taps_count_each_edge_keep_reloads_unchanged_and_vanish_with_failed_plans() {
    let dir = tempfile::tempdir().unwrap();
    let c = Controller::new(registry(), dir.path().into());
    c.apply(config(PIPELINE).unwrap()).await.unwrap();
    let edges = |c: &Controller| c.flow().edges().into_iter().map(|e| (e.from, e.to)).collect::<Vec<_>>();
    let expected = vec![("otelcol.processor.batch.a".to_string(), "otelcol.exporter.debug.d".to_string())];
    assert_eq!(edges(&c), expected);

    // The tap is cached: evaluating the same arguments again changes nothing.
    let again = c.apply(config(PIPELINE).unwrap()).await.unwrap();
    assert_eq!(again.unchanged, ["otelcol.exporter.debug.d", "otelcol.processor.batch.a"]);
    assert!(again.updated.is_empty() && again.added.is_empty());

    // A plan that fails after making a tap for a new edge leaves no trace.
    let broken = format!("{PIPELINE}otelcol.processor.batch \"b\" {{\n\toutput {{\n\t\ttraces = [otelcol.exporter.debug.d.input]\n\t}}\n}}\ntest.counter \"x\" {{\n\tvalue = -1\n}}\n");
    assert!(c.apply(config(&broken).unwrap()).await.is_err());
    assert_eq!(edges(&c), expected);

    // What crosses the tap is counted on its edge.
    let handle = output_handle(&c, "otelcol.processor.batch.a").unwrap();
    let traces = solder_components::otlp::Traces::from_message(solder_components::otlp::synthetic::request(0, 7));
    handle.0.consume_traces(traces).await.unwrap();
    let totals = c.flow().edges()[0].totals;
    assert_eq!(totals.accepted[super::flow::Kind::Spans as usize], 7);
    c.shutdown().await;
}

/// Decodes of `CounterArgs` during `f`. Tests run in parallel, so the
/// counter is only read by tests that hold this lock.
async fn decodes_during<F: std::future::Future<Output = ()>>(f: F) -> usize {
    static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let _one_at_a_time = SERIAL.lock().await;
    let before = DECODED.load(Ordering::SeqCst);
    f.await;
    DECODED.load(Ordering::SeqCst) - before
}

#[tokio::test]
async fn arguments_are_decoded_once_per_load_that_changes_them() {
    let dir = tempfile::tempdir().unwrap();
    let c = Controller::new(registry(), dir.path().into());
    let two = "test.counter \"a\" {\n\tvalue = 1\n}\ntest.counter \"b\" {\n\tvalue = test.counter.a.value + 1\n}\n";
    let n = decodes_during(async {
        c.apply(config(two).unwrap()).await.unwrap();
    })
    .await;
    assert_eq!(n, 2, "one decode per new component");
    let n = decodes_during(async {
        c.apply(config(two).unwrap()).await.unwrap();
    })
    .await;
    assert_eq!(n, 0, "an unchanged config decodes nothing");
    let b_changed = two.replace("+ 1", "+ 5");
    let n = decodes_during(async {
        c.apply(config(&b_changed).unwrap()).await.unwrap();
    })
    .await;
    assert_eq!(n, 1, "only the changed component is decoded, once, and no trial build decodes it again");
    assert_eq!((c.decodes("test.counter.a"), c.decodes("test.counter.b")), (1, 2));
    c.shutdown().await;
}

#[tokio::test]
async fn a_changed_export_decodes_each_reader_once() {
    let dir = tempfile::tempdir().unwrap();
    let c = Controller::new(registry(), dir.path().into());
    let file = dir.path().join("value.txt");
    std::fs::write(&file, "1").unwrap();
    let src = format!(
        "local.file \"v\" {{\n\tfilename = {:?}\n\tdetector = \"poll\"\n\tpoll_frequency = \"10ms\"\n}}\ntest.counter \"r\" {{\n\tvalue = encoding.from_json(local.file.v.content)\n}}\n",
        file.display().to_string()
    );
    c.apply(config(&src).unwrap()).await.unwrap();
    assert_eq!(c.decodes("test.counter.r"), 1);
    std::fs::write(&file, "7").unwrap();
    until("the reader to see the new export", || snapshot(&c).iter().any(|n| n.0 == "test.counter.r" && n.2 == "{ value = 7 }")).await;
    assert_eq!(c.decodes("test.counter.r"), 2, "re-evaluation decoded the reader once");
    assert_eq!(c.decodes("local.file.v"), 1, "the file component itself was not decoded again");
    c.shutdown().await;
}

/// Every built-in component in the seed pipeline, loaded from a real
/// config: each is decoded exactly once on the first load and not at all
/// on a reload that changes nothing.
#[tokio::test]
async fn every_builtin_component_in_a_real_config_is_decoded_once() {
    let src = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/default.alloy")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let c = Controller::new(registry(), dir.path().into());
    let free = |src: &str| src.replace("0.0.0.0:4317", "127.0.0.1:0").replace("0.0.0.0:4318", "127.0.0.1:0").replace("0.0.0.0:9464", "127.0.0.1:0");
    let cfg = || load(vec![SourceFile::new("default.alloy", free(&src))], &registry()).unwrap();
    let ids: Vec<String> = cfg().components.iter().map(|d| d.id.clone()).collect();
    assert!(ids.len() >= 4, "{ids:?}");
    c.apply(cfg()).await.unwrap();
    c.apply(cfg()).await.unwrap();
    for id in &ids {
        assert_eq!(c.decodes(id), 1, "{id}");
    }
    c.shutdown().await;
}

/// `test.panicky`: its first run panics; later runs stay up. The fault
/// hook for supervision.
struct Panicky {
    runs: Arc<AtomicUsize>,
}

#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct NoArgs {}

impl component::Arguments for NoArgs {}

static PANICKY_RUNS: std::sync::LazyLock<Arc<AtomicUsize>> = std::sync::LazyLock::new(|| Arc::new(AtomicUsize::new(0)));

impl Component for Panicky {
    type Arguments = NoArgs;
    type Exports = ();

    fn build(_opts: Options, _args: NoArgs) -> Result<Panicky, ArgumentError> {
        Ok(Panicky { runs: Arc::clone(&PANICKY_RUNS) })
    }

    fn run(self: Arc<Self>, shutdown: CancellationToken) -> RunFuture {
        Box::pin(async move {
            if self.runs.fetch_add(1, Ordering::SeqCst) == 0 {
                panic!("boom in the first run");
            }
            shutdown.cancelled().await;
        })
    }

    fn update(&self, _args: NoArgs) -> Result<(), ArgumentError> {
        Ok(())
    }

    fn exports(&self) {}

    fn health(&self) -> Health {
        Health::new(HealthState::Healthy, format!("run {}", self.runs.load(Ordering::SeqCst)))
    }
}

#[tokio::test]
async fn a_panicking_component_turns_unhealthy_and_is_restarted() {
    let mut r = registry();
    r.add(Registration::of::<Panicky>("test.panicky", Stability::Experimental, Signals::NONE)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let c = Controller::new(r.clone(), dir.path().into());
    let cfg = load(vec![SourceFile::new("main.alloy", "test.panicky \"p\" { }\n")], &r).unwrap();
    c.apply(cfg).await.unwrap();
    let health = || c.inspect(|nodes| nodes[0].health());
    until("the panic to make it unhealthy", || health().state == HealthState::Unhealthy).await;
    assert!(health().message.contains("panicked: boom in the first run"), "{:?}", health());
    until("the restart", || PANICKY_RUNS.load(Ordering::SeqCst) >= 2).await;
    assert!(health().message.starts_with("restarted after it panicked: boom"), "the fault shows until the restarted run is steady: {:?}", health());
    c.shutdown().await;
    assert_eq!(PANICKY_RUNS.load(Ordering::SeqCst), 2, "stopping does not restart it");
}

/// Components stop in data-flow order: a reader of another's exports
/// (a receiver reading a processor's `input`) stops before what it reads,
/// so nothing is sent to a component that already stopped. IDs are chosen
/// so that ID order is the wrong one.
#[tokio::test]
async fn shutdown_stops_readers_before_what_they_read() {
    let dir = tempfile::tempdir().unwrap();
    let c = Controller::new(registry(), dir.path().into());
    let src = "test.counter \"ord_a\" {\n\tvalue = 1\n}\ntest.counter \"ord_m\" {\n\tvalue = test.counter.ord_a.value\n}\ntest.counter \"ord_z\" {\n\tvalue = test.counter.ord_m.value\n}\n";
    c.apply(config(src).unwrap()).await.unwrap();
    c.shutdown().await;
    let order: Vec<String> = STOP_ORDER.lock().unwrap().iter().filter(|id| id.contains(".ord_")).cloned().collect();
    assert_eq!(order, ["test.counter.ord_z", "test.counter.ord_m", "test.counter.ord_a"]);
}
