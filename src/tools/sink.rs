//! `solder tools sink`: receives OTLP and counts it, for load tests.
//!
//! It is the real `otelcol.receiver.otlp`, built from a config snippet with
//! its output wired to a counting consumer, so the sink speaks exactly what
//! the receiver speaks.
//!
//! SIGUSR1 toggles refusing: every request is answered `UNAVAILABLE` and
//! not counted, as an overloaded backend answers. A test that takes the
//! sink down refuses first, so no request is in flight with an outcome the
//! sender cannot know when the socket closes.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use solder_components::body;
use solder_components::consumer::{ConsumeError, ConsumeFuture, Consumer, ConsumerHandle};
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
    refusing: AtomicBool,
}

struct Counter(Arc<Counts>);

impl Counter {
    fn take(&self, count: &AtomicU64, items: usize) -> ConsumeFuture<'_> {
        let taken = if self.0.refusing.load(Ordering::Relaxed) {
            Err(ConsumeError::retryable("the sink is refusing (SIGUSR1)"))
        } else {
            count.fetch_add(items as u64, Ordering::Relaxed);
            Ok(())
        };
        Box::pin(std::future::ready(taken))
    }
}

impl Consumer for Counter {
    fn consume_traces(&self, data: Traces) -> ConsumeFuture<'_> {
        self.take(&self.0.spans, data.items())
    }

    fn consume_metrics(&self, data: Metrics) -> ConsumeFuture<'_> {
        self.take(&self.0.points, data.items())
    }

    fn consume_logs(&self, data: Logs) -> ConsumeFuture<'_> {
        self.take(&self.0.records, data.items())
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
    let mut toggle = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::user_defined1()).map_err(|e| format!("SIGUSR1: {e}"))?;
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => break,
            _ = toggle.recv() => {
                counts.refusing.fetch_xor(true, Ordering::Relaxed);
            }
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
    // The last line is final: the receiver has answered every request it
    // took, so load tests can read what was delivered after stopping it.
    println!(
        "{{\"spans\":{},\"metric_points\":{},\"log_records\":{},\"final\":true}}",
        counts.spans.load(Ordering::Relaxed),
        counts.points.load(Ordering::Relaxed),
        counts.records.load(Ordering::Relaxed)
    );
    Ok(())
}
