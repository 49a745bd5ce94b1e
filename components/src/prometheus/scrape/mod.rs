//! `prometheus.scrape`: pulls Prometheus text and OpenMetrics from a set of
//! targets on an interval and forwards the samples, with `up` and the
//! `scrape_*` series, to `forward_to` receivers. Staleness markers follow
//! Prometheus: for series that vanish between scrapes, for everything when
//! a scrape fails, and for everything a removed target gave.

mod arguments;
pub mod parse;
mod scrape_loop;
pub mod series;
pub mod target;

#[cfg(test)]
mod tests;

pub use arguments::Arguments;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use solder_syntax::value::Number;
use solder_syntax::Value;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::component::{self, ArgumentError, Component, Health, HealthCell, HealthState, Options, Registration, RunFuture, Signals, Stability, Telemetry};
use crate::selfmetrics::Gauge;
use crate::sync::lock;
use scrape_loop::{Shared, Status};
use target::Target;

pub const REGISTRATION: Registration =
    Registration::of::<Scrape>("prometheus.scrape", Stability::GenerallyAvailable, Signals { takes: &[], gives: &[Telemetry::Samples] });

/// A running target and what debug info shows about it.
struct Running {
    stop: CancellationToken,
    status: Arc<Mutex<Status>>,
}

/// The targets being scraped, each with its last scrape, for debug info.
type Shown = Vec<(Target, Arc<Mutex<Status>>)>;

pub struct Scrape {
    id: String,
    shared: Arc<Shared>,
    targets: watch::Sender<(Vec<Target>, Vec<String>)>,
    running: Arc<Mutex<Shown>>,
    health: HealthCell,
    targets_gauge: Gauge,
}

impl component::Arguments for Arguments {
    fn validate(&self) -> Result<(), ArgumentError> {
        arguments::validate(self)
    }
}

impl Component for Scrape {
    type Arguments = Arguments;
    type Exports = ();

    fn build(opts: Options, args: Arguments) -> Result<Scrape, ArgumentError> {
        let settings = args.settings()?;
        let forwarded = opts.metrics.counter("prometheus_forwarded_samples_total", "Total number of samples sent to downstream components.", &[]);
        let targets_gauge = opts.metrics.gauge("prometheus_scrape_targets_gauge", "Number of targets this component is configured to scrape.", &[]);
        let shared = Arc::new(Shared { settings: Mutex::new(Arc::new(settings)), forwarded });
        let (targets, _) = watch::channel(args.targets(&opts.id));
        Ok(Scrape { id: opts.id, shared, targets, running: Arc::default(), health: HealthCell::default(), targets_gauge })
    }

    fn run(self: Arc<Self>, shutdown: CancellationToken) -> RunFuture {
        Box::pin(async move {
            let mut rx = self.targets.subscribe();
            let mut loops: HashMap<Target, Running> = HashMap::new();
            // Cancelled on shutdown: loops stop without staleness markers,
            // as Prometheus stops, so a restart leaves no gap.
            let quiet = CancellationToken::new();
            self.health.set(HealthState::Healthy, "scraping");
            loop {
                let (wanted, dropped) = rx.borrow_and_update().clone();
                self.reconcile(&mut loops, wanted, &quiet);
                if dropped.is_empty() {
                    self.health.set(HealthState::Healthy, "scraping");
                } else {
                    self.health.set(HealthState::Unhealthy, format!("targets dropped: {}", dropped.join("; ")));
                }
                tokio::select! {
                    _ = shutdown.cancelled() => break,
                    changed = rx.changed() => if changed.is_err() { break },
                }
            }
            quiet.cancel();
            self.health.set(HealthState::Exited, "stopped");
        })
    }

    /// Unchanged targets keep their loops; new ones start and removed ones
    /// stop with staleness markers. Other settings apply from each loop's
    /// next scrape.
    fn update(&self, args: Arguments) -> Result<(), ArgumentError> {
        let settings = args.settings()?;
        *lock(&self.shared.settings) = Arc::new(settings);
        self.targets.send_replace(args.targets(&self.id));
        Ok(())
    }

    fn exports(&self) {}

    fn health(&self) -> Health {
        self.health.get()
    }

    fn debug_info(&self) -> Value {
        let running = lock(&self.running).clone();
        let targets = running.iter().map(|(t, status)| {
            let s = lock(status).clone();
            let health = match (s.last_scrape, s.up) {
                (None, _) => "unknown",
                (Some(_), true) => "up",
                (Some(_), false) => "down",
            };
            Value::object([
                ("url", Value::string(&t.url)),
                ("instance", Value::string(t.instance())),
                ("labels", Value::object(t.labels.iter().map(|(k, v)| (k.clone(), Value::string(v))))),
                ("health", Value::string(health)),
                ("last_scrape", Value::string(s.last_scrape.map(crate::calendar::rfc3339).unwrap_or_default())),
                ("last_scrape_duration", Value::string(format!("{:?}", s.duration))),
                ("last_error", Value::string(s.error)),
                ("samples", Value::Number(Number::Uint(s.samples as u64))),
            ])
        });
        Value::object([("targets", Value::Array(targets.collect()))])
    }
}

impl Scrape {
    fn reconcile(&self, loops: &mut HashMap<Target, Running>, wanted: Vec<Target>, quiet: &CancellationToken) {
        loops.retain(|t, r| {
            let keep = wanted.contains(t);
            if !keep {
                r.stop.cancel();
            }
            keep
        });
        let mut shown = Vec::with_capacity(wanted.len());
        for t in wanted {
            let running = loops.entry(t.clone()).or_insert_with(|| {
                let stop = quiet.child_token();
                let status = Arc::new(Mutex::new(Status::default()));
                tokio::spawn(scrape_loop::run(t.clone(), Arc::clone(&self.shared), Arc::clone(&status), stop.clone(), quiet.clone()));
                Running { stop, status }
            });
            shown.push((t, Arc::clone(&running.status)));
        }
        self.targets_gauge.set(shown.len() as i64);
        *lock(&self.running) = shown;
    }
}
