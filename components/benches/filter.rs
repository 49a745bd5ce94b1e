//! Cost per span of `otelcol.processor.filter` dropping health checks
//! (`attributes["http.route"] == "/health"`, a fifth of the spans), on
//! the 100-span request of the transform bench's generator, through what
//! the processor does with a request: a `span` list alone runs on the
//! wire bytes, its comparisons answered from a plan's notes
//! (`health_on_wire`) or, with a function in them, through the evaluator
//! (`health_regex_on_wire`, `IsMatch` for the same spans);
//! `health_decoded` forces the path filters took before (decode, filter,
//! encode again), as a list beside a `spanevent` one still does.
//!
//! `cargo bench -p solder-components --bench filter`

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use solder_components::otelcol::output::Output;
use solder_components::otelcol::processor::filter::{Arguments, Rules, TraceConditions};
use solder_components::otelcol::processor::rewrite::{process, try_rewrite, Rewrite};
use solder_components::otlp::{synthetic, Encoded};

const SPANS: usize = 100;

const HEALTH: &str = r#"attributes["http.route"] == "/health""#;
const HEALTH_REGEX: &str = r#"IsMatch(attributes["http.route"], "^/health$")"#;

fn rules(span: &[&str]) -> Rules {
    let args = Arguments {
        error_mode: "ignore".into(),
        traces: Some(TraceConditions { span: span.iter().map(|s| s.to_string()).collect(), spanevent: vec![] }),
        metrics: None,
        logs: None,
        output: Output::default(),
        compiled: Default::default(),
    };
    <Rules as Rewrite>::compile(&args).expect("valid conditions")
}

fn filter(c: &mut Criterion) {
    let data = Encoded::from_message(synthetic::request(7, SPANS));
    let health = rules(&[HEALTH]);
    let mut group = c.benchmark_group("filter");
    group.throughput(Throughput::Elements(SPANS as u64));
    group.bench_function("health_on_wire_100_spans", |b| b.iter(|| process(&health, data.clone(), |r| health.try_traces(r)).expect("runs")));
    let regex = rules(&[HEALTH_REGEX]);
    group.bench_function("health_regex_on_wire_100_spans", |b| b.iter(|| process(&regex, data.clone(), |r| regex.try_traces(r)).expect("runs")));
    group.bench_function("health_decoded_100_spans", |b| b.iter(|| try_rewrite(data.clone(), |r| health.try_traces(r)).expect("runs")));
    group.finish();
}

criterion_group!(benches, filter);
criterion_main!(benches);
