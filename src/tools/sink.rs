//! `solder tools sink`: receives OTLP and counts it, for load tests.
//!
//! It is the real `otelcol.receiver.otlp`, built from a config snippet with
//! its output wired to a counting consumer, so the sink speaks exactly what
//! the receiver speaks.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use solder_components::body;
use solder_components::consumer::{ConsumeFuture, Consumer, ConsumerHandle};
use solder_components::otlp::{Logs, Metrics, Signal, Traces};
use solder_components::{Options, Registry};
use solder_syntax::ast::Stmt;
use solder_syntax::{Evaluator, Scope, Value};
use tokio_util::sync::CancellationToken;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Where to accept OTLP gRPC.
    #[arg(long, default_value = "127.0.0.1:4317")]
    grpc: String,
}

#[derive(Default)]
struct Counts {
    spans: AtomicU64,
    points: AtomicU64,
    records: AtomicU64,
}

struct Counter(Arc<Counts>);

impl Consumer for Counter {
    fn consume_traces(&self, data: Traces) -> ConsumeFuture<'_> {
        self.0.spans.fetch_add(data.items() as u64, Ordering::Relaxed);
        Box::pin(async { Ok(()) })
    }

    fn consume_metrics(&self, data: Metrics) -> ConsumeFuture<'_> {
        self.0.points.fetch_add(data.items() as u64, Ordering::Relaxed);
        Box::pin(async { Ok(()) })
    }

    fn consume_logs(&self, data: Logs) -> ConsumeFuture<'_> {
        self.0.records.fetch_add(data.items() as u64, Ordering::Relaxed);
        Box::pin(async { Ok(()) })
    }

    fn accepts(&self, _signal: Signal) -> bool {
        true
    }
}

pub async fn run(args: Args) -> Result<(), String> {
    let counts = Arc::new(Counts::default());
    let handle = ConsumerHandle::new(Counter(Arc::clone(&counts)));
    let src = format!(
        "otelcol.receiver.otlp \"sink\" {{\n\tgrpc {{\n\t\tendpoint = {:?}\n\t}}\n\toutput {{\n\t\ttraces = [sink]\n\t\tmetrics = [sink]\n\t\tlogs = [sink]\n\t}}\n}}\n",
        args.grpc
    );
    let file = solder_syntax::parse(&src).map_err(|d| format!("{d:?}"))?;
    let Some(Stmt::Block(block)) = file.body.first() else { return Err("no block".into()) };
    let scope = Scope::new().with("sink", Value::Capsule(handle.capsule()));
    let mut ev = Evaluator::new(&src, &scope);
    let args_body = body::evaluate(&mut ev, &block.body, block.name_span()).map_err(|d| format!("{d:?}"))?;
    let registry = Registry::builtin();
    let reg = registry.get("otelcol.receiver.otlp").ok_or("otelcol.receiver.otlp is not built in")?;
    let component = reg.build_body(Options::standalone("sink"), &args_body).map_err(|d| d.message)?;
    let stop = CancellationToken::new();
    let task = tokio::spawn(Arc::clone(&component).run(stop.clone()));
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => break,
            _ = tick.tick() => println!(
                "{{\"spans\":{},\"metric_points\":{},\"log_records\":{}}}",
                counts.spans.load(Ordering::Relaxed),
                counts.points.load(Ordering::Relaxed),
                counts.records.load(Ordering::Relaxed)
            ),
        }
    }
    stop.cancel();
    let _ = task.await;
    Ok(())
}
