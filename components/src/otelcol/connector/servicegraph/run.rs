//! The run task: expires edges, forgets stale series and flushes metrics,
//! each on its own period, and flushes once more on shutdown.

use std::sync::Arc;
use std::time::SystemTime;

use tokio::time::{sleep_until, Instant};
use tokio_util::sync::CancellationToken;

use super::{lock, Loops, Shared};
use crate::component::{HealthCell, HealthState};
use crate::consumer::ConsumeError;
use crate::otlp::{Metrics, Signal};

/// When each periodic job is next due. A zero flush interval means "after
/// every payload", which the input does, so the task never flushes then.
struct Deadlines {
    expire: Instant,
    clean: Instant,
    flush: Option<Instant>,
}

impl Deadlines {
    fn from(now: Instant, loops: Loops) -> Deadlines {
        Deadlines { expire: now + loops.expiration, clean: now + loops.cache, flush: (!loops.flush.is_zero()).then(|| now + loops.flush) }
    }

    fn next(&self) -> Instant {
        let first = self.expire.min(self.clean);
        self.flush.map_or(first, |f| first.min(f))
    }
}

pub(super) async fn run(shared: Arc<Shared>, health: HealthCell, shutdown: CancellationToken) {
    health.set(HealthState::Healthy, "pairing spans");
    let mut loops = *lock(&shared.loops);
    let mut due = Deadlines::from(Instant::now(), loops);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = shared.changed.notified() => {
                loops = *lock(&shared.loops);
                due = Deadlines::from(Instant::now(), loops);
                continue;
            }
            _ = sleep_until(due.next()) => {}
        }
        let now = Instant::now();
        if now >= due.expire {
            lock(&shared.graph).expire(now);
            due.expire = now + loops.expiration;
        }
        if now >= due.clean {
            lock(&shared.graph).series.clean(now);
            due.clean = now + loops.cache;
        }
        if due.flush.is_some_and(|f| now >= f) {
            report(&health, flush(&shared).await);
            due.flush = Some(now + loops.flush);
        }
    }
    report(&health, flush(&shared).await);
    health.set(HealthState::Exited, "stopped");
}

fn report(health: &HealthCell, result: Result<(), ConsumeError>) {
    match result {
        Ok(()) => health.set(HealthState::Healthy, "pairing spans"),
        Err(e) => {
            tracing::warn!(error = %e, "otelcol.connector.servicegraph: cannot send metrics");
            health.set(HealthState::Unhealthy, format!("cannot send metrics: {e}"));
        }
    }
}

/// Sends the cumulative metrics downstream. A refused flush loses nothing:
/// the next one carries the same totals.
pub(super) async fn flush(shared: &Shared) -> Result<(), ConsumeError> {
    let Some(req) = lock(&shared.graph).series.render(SystemTime::now()) else { return Ok(()) };
    let fanout = lock(&shared.output).fanout(Signal::Metrics);
    fanout.metrics(Metrics::from_message(req)).await
}
