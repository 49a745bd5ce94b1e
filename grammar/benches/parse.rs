//! Parser and evaluator throughput on a large generated config.
//!
//! Generated configs (one pipeline per tenant, per host) reach megabytes,
//! and every reload parses and evaluates all of it. The fast path exists
//! for that case, so it is measured on a config of that size; the pest
//! grammar of record runs on a slice of it, small enough to finish, so the
//! two can be compared on the same text. Figures are bytes of source per
//! second.
//!
//! Run: `cargo bench -p solder-syntax --bench parse -- --warm-up-time 1 --measurement-time 5`

use std::fmt::Write as _;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput};
use solder_syntax::ast::{Body, Stmt};
use solder_syntax::eval::{Evaluator, Scope};
use solder_syntax::value::Value;
use solder_syntax::{parse, parser::parse_reference, scanner};

/// About 6 MB: the size of a large generated config.
const LARGE_COMPONENTS: usize = 3_000;
/// About 200 KB: what pest parses in well under a second.
const SMALL_COMPONENTS: usize = 100;

/// A config of `n` pipelines, each a receiver, a processor and exporters
/// wired together, written the way people and generators write them:
/// comments, nested blocks and objects, multi-line lists with trailing
/// commas, arithmetic, string escapes, calls into the standard library.
fn config(n: usize) -> String {
    let mut out = String::with_capacity(n * 2_100);
    out.push_str("// Generated: one pipeline per tenant.\n\n");
    for i in 0..n {
        // Writing into a String cannot fail.
        let _ = write!(
            out,
            r#"/*
 * Tenant {i}: receive, batch, export.
 */
otelcol.receiver.otlp "r{i}" {{
  grpc {{
    endpoint              = "0.0.0.0:" + string.format("%d", 4317 + {i} % 100)
    max_recv_msg_size     = "4MiB"
    read_buffer_size      = 512 * 1024
    include_metadata      = true
  }}

  http {{
    endpoint = "0.0.0.0:4318"
    cors {{
      allowed_origins = ["https://*.example.com", "http://localhost:3000"]
      max_age         = 7200
    }}
  }}

  output {{
    metrics = [otelcol.processor.batch.default.input]
    logs    = [otelcol.processor.batch.default.input]
    traces  = [
      otelcol.processor.batch.default.input,
      otelcol.exporter.debug.default.input, // sampled below
    ]
  }}
}}

otelcol.processor.batch "b{i}" {{
  timeout             = "200ms"
  send_batch_size     = 2000 + {i} % 7 * 100
  send_batch_max_size = (2000 + {i} % 7 * 100) * 2
  metadata_keys       = ["tenant", "service.name"]
  metadata_cardinality_limit = 1000 /* per tenant */

  output {{
    traces  = [otelcol.exporter.otlp.default.input]
    metrics = [otelcol.exporter.otlp.default.input]
    logs    = [otelcol.exporter.otlp.default.input]
  }}
}}

otelcol.exporter.otlp "e{i}" {{
  client {{
    endpoint = coalesce(env("OTLP_ENDPOINT_{i}"), "tempo-{i}.svc.cluster.local:4317")
    headers  = {{
      "X-Scope-OrgID" = "tenant-{i}",
      "user-agent"    = "solder/1.0 (\"bench\")\tid=\u00e9\x41",
    }}
    tls {{
      insecure             = {i} % 2 == 0 && !false
      insecure_skip_verify = false
      ca_file              = `/etc/ssl/certs/ca-{i}.pem`
    }}
  }}

  sending_queue {{
    enabled       = true
    num_consumers = 10
    queue_size    = 5000 - {i} % 13 * 10
  }}

  retry_on_failure {{
    enabled          = true
    initial_interval = "5s"
    max_interval     = "30s"
    multiplier       = 1.5e0
  }}
}}

prometheus.scrape "s{i}" {{
  targets = [
    {{"__address__" = "10.{a}.{b}.1:9100", "job" = "node"}},
    {{"__address__" = "10.{a}.{b}.2:9100", "job" = "node", "env" = "prod"}},
  ]
  forward_to      = [prometheus.remote_write.default.receiver]
  scrape_interval = "15s"
  scrape_timeout  = "10s"
  honor_labels    = {i} >= 10 || {i} < 5
}}

"#,
            a = i / 256 % 256,
            b = i % 256,
        );
    }
    out
}

/// The names the generated config refers to, standing in for the exports
/// of running components.
fn scope() -> Scope {
    let input = |name: &str| Value::object([("input", Value::from(name)), ("receiver", Value::from(name))]);
    Scope::new()
        .with(
            "otelcol",
            Value::object([
                ("processor", Value::object([("batch", Value::object([("default", input("batch"))]))])),
                ("exporter", Value::object([("otlp", Value::object([("default", input("otlp"))])), ("debug", Value::object([("default", input("debug"))]))])),
            ]),
        )
        .with("prometheus", Value::object([("remote_write", Value::object([("default", input("remote_write"))]))]))
}

/// Evaluates every attribute in the body, as a reload does before it
/// decodes component arguments. Returns how many failed.
fn evaluate(ev: &mut Evaluator<'_>, body: &Body) -> usize {
    let mut failed = 0;
    for stmt in body {
        match stmt {
            Stmt::Attribute(a) => failed += usize::from(ev.eval(&a.value).is_err()),
            Stmt::Block(b) => failed += evaluate(ev, &b.body),
        }
    }
    failed
}

fn parsing(c: &mut Criterion) {
    let large = config(LARGE_COMPONENTS);
    let small = config(SMALL_COMPONENTS);
    assert!(parse(&large).is_ok(), "the generated config must take the fast path");
    assert!(parse_reference(&small).is_ok(), "the generated config must be valid");

    let mut group = c.benchmark_group("parse");
    // Each iteration takes tens of milliseconds or more: a few flat samples
    // are steadier than criterion's default ramp of a hundred.
    group.sampling_mode(SamplingMode::Flat).sample_size(10);

    group.throughput(Throughput::Bytes(large.len() as u64));
    group.bench_with_input(BenchmarkId::new("scan", large.len()), &large, |b, src| b.iter(|| scanner::scan(src)));
    group.bench_with_input(BenchmarkId::new("fast", large.len()), &large, |b, src| b.iter(|| parse(src)));

    group.throughput(Throughput::Bytes(small.len() as u64));
    group.bench_with_input(BenchmarkId::new("fast", small.len()), &small, |b, src| b.iter(|| parse(src)));
    group.bench_with_input(BenchmarkId::new("reference", small.len()), &small, |b, src| b.iter(|| parse_reference(src)));
    group.finish();
}

// ---------------------------------------------------------------- evaluation
//
// Evaluation of every attribute value of the large config, after parsing,
// against a scope that stands in for component exports. Add further
// evaluation benchmarks (decoding into component arguments, a full reload)
// to this group.

fn evaluation(c: &mut Criterion) {
    let large = config(LARGE_COMPONENTS);
    let file = parse(&large).expect("the generated config parses");
    let scope = scope();
    let failed = evaluate(&mut Evaluator::new(&large, &scope), &file.body);
    if failed > 0 {
        // Still measured, but error paths build diagnostics: say so.
        eprintln!("warning: {failed} attribute values of the benchmark config fail to evaluate");
    }

    let mut group = c.benchmark_group("evaluate");
    group.sampling_mode(SamplingMode::Flat).sample_size(10);
    group.throughput(Throughput::Bytes(large.len() as u64));
    group.bench_with_input(BenchmarkId::new("attributes", large.len()), &file, |b, file| b.iter(|| evaluate(&mut Evaluator::new(&large, &scope), &file.body)));
    group.finish();
}

criterion_group!(benches, parsing, evaluation);
criterion_main!(benches);
