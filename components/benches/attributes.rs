//! Cost per span of `otelcol.processor.attributes` with an upsert and a
//! delete on a 100-span request: decode, both actions on every span, and
//! the re-encode, which is what a request costs the pipeline.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use solder_components::otelcol::output::Output;
use solder_components::otelcol::processor::attributes::{ActionArgs, Arguments, Rules};
use solder_components::otelcol::processor::attrvalue::ConfigValue;
use solder_components::otelcol::processor::rewrite::{rewrite, Rewrite};
use solder_components::otlp::proto::common::v1::any_value::Value as V;
use solder_components::otlp::proto::common::v1::{AnyValue, KeyValue};
use solder_components::otlp::proto::trace::v1::{ResourceSpans, ScopeSpans, Span};
use solder_components::otlp::proto::ExportTraceServiceRequest;
use solder_components::otlp::Encoded;

const SPANS: usize = 100;

fn kv(k: &str, v: &str) -> KeyValue {
    KeyValue { key: k.to_string(), value: Some(AnyValue { value: Some(V::StringValue(v.to_string())) }), ..Default::default() }
}

fn payload() -> Encoded<ExportTraceServiceRequest> {
    let spans = (0..SPANS)
        .map(|i| Span {
            name: format!("GET /item/{i}"),
            span_id: vec![1; 8],
            trace_id: vec![2; 16],
            attributes: vec![kv("http.method", "GET"), kv("http.route", "/item/{id}"), kv("db.statement", "SELECT * FROM items WHERE id = ?")],
            ..Default::default()
        })
        .collect();
    let scope = ScopeSpans { spans, ..Default::default() };
    Encoded::from_message(ExportTraceServiceRequest { resource_spans: vec![ResourceSpans { scope_spans: vec![scope], ..Default::default() }] })
}

fn action(key: &str, action: &str, value: Option<&str>) -> ActionArgs {
    ActionArgs {
        key: key.to_string(),
        value: value.map(|v| ConfigValue(V::StringValue(v.to_string()))),
        pattern: None,
        from_attribute: None,
        from_context: None,
        converted_type: None,
        action: action.to_string(),
    }
}

fn upsert_and_delete(c: &mut Criterion) {
    let args = Arguments {
        action: vec![action("environment", "upsert", Some("production")), action("db.statement", "delete", None)],
        include: None,
        exclude: None,
        output: Output::default(),
    };
    let rules = <Rules as Rewrite>::compile(&args).expect("valid actions");
    let data = payload();
    let mut group = c.benchmark_group("attributes");
    group.throughput(Throughput::Elements(SPANS as u64));
    group.bench_function("upsert_and_delete_100_spans", |b| {
        b.iter(|| rewrite(data.clone(), |r| rules.traces(r)).expect("decodes"));
    });
    group.finish();
}

criterion_group!(benches, upsert_and_delete);
criterion_main!(benches);
