//! One target's scrape loop: fetch at the target's phase of each
//! interval, parse, forward, and report `up` and the `scrape_*` series;
//! staleness markers for series that vanish, and for all of them when the
//! target goes away.

use std::io::Read;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio_util::sync::CancellationToken;

use super::parse::{self, TextFormat};
use super::series::{self, IdentitySet, SeriesRules};
use super::target::Target;
use crate::otelcol::exporter::sending::error_chain;
use crate::prometheus::client::ClientAuth;
use crate::prometheus::{Batch, Family, ReceiverHandle};
use crate::selfmetrics::Counter;
use crate::sync::lock;

/// What every loop of a component shares; an update swaps it and the
/// next scrape of each loop uses the new one.
pub struct Settings {
    pub http: reqwest::Client,
    pub auth: ClientAuth,
    /// `http_headers`.
    pub headers: hyper::http::HeaderMap,
    pub accept: String,
    pub fallback: TextFormat,
    pub compression: bool,
    pub body_size_limit: u64,
    pub rules: SeriesRules,
    pub extra_metrics: bool,
    pub receivers: Vec<ReceiverHandle>,
}

/// The last scrape of a target, for debug info.
#[derive(Debug, Clone, Default)]
pub struct Status {
    pub last_scrape: Option<SystemTime>,
    pub duration: Duration,
    pub error: String,
    pub up: bool,
    pub samples: usize,
}

/// What a loop reports to the component.
pub struct Shared {
    pub settings: Mutex<Arc<Settings>>,
    pub forwarded: Counter,
}

pub fn unix_ms(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// How long until the next instant whose place in the interval is the
/// target's offset: the same wall-clock phase across restarts.
fn first_wait(target: &Target) -> Duration {
    let interval = target.interval.as_nanos().max(1);
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    let offset = target.offset().as_nanos();
    let wait = (offset + interval - now % interval) % interval;
    Duration::from_nanos(wait as u64)
}

/// The previous scrape's series, which the next scrape compares with.
struct Previous {
    batch: Arc<Batch>,
    identities: Vec<Option<u64>>,
}

/// Runs until `stop`, then marks every series the target last gave stale,
/// unless `quiet` was cancelled too (the component is shutting down).
pub async fn run(target: Target, shared: Arc<Shared>, status: Arc<Mutex<Status>>, stop: CancellationToken, quiet: CancellationToken) {
    let start = tokio::time::Instant::now() + first_wait(&target);
    let mut ticker = tokio::time::interval_at(start, target.interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut previous: Option<Previous> = None;
    loop {
        tokio::select! {
            _ = stop.cancelled() => break,
            _ = ticker.tick() => previous = scrape(&target, &shared, &status, previous).await,
        }
    }
    if quiet.is_cancelled() {
        return;
    }
    if let Some(prev) = previous {
        let now = unix_ms(SystemTime::now());
        let mut families = series::stale_markers(&prev.batch, &prev.identities, &IdentitySet::default(), now);
        let settings = Arc::clone(&lock(&shared.settings));
        families.extend(report_families(&target, &settings, f64::NAN, None, now).into_iter().map(|mut f| {
            for s in &mut f.series {
                s.value = crate::prometheus::SampleValue::Number(crate::prometheus::stale_nan());
            }
            f
        }));
        forward(&shared, &settings, Batch { families, discovered: Some(Arc::clone(&target.discovered)) });
    }
}

/// The numbers one scrape reports about itself.
struct Report {
    duration: f64,
    samples: usize,
    post_relabel: usize,
    added: usize,
    body_size: f64,
}

async fn scrape(target: &Target, shared: &Shared, status: &Mutex<Status>, previous: Option<Previous>) -> Option<Previous> {
    let settings = Arc::clone(&lock(&shared.settings));
    let started = SystemTime::now();
    let clock = Instant::now();
    let now = unix_ms(started);
    let result = match fetch(target, &settings).await {
        Ok((body, format)) => {
            let size = body.len() as f64;
            parse::parse(&body, format)
                .map_err(|e| (format!("failed to parse the response: {e}"), size))
                .and_then(|exposition| series::build(exposition, target, &settings.rules, now).map_err(|e| (e, size)).map(|s| (s, size)))
        }
        Err((e, size)) => Err((e, size)),
    };
    let duration = clock.elapsed();
    let (mut families, identities, report, error) = match result {
        Ok((scraped, size)) => {
            let current: IdentitySet = scraped.identities.iter().flatten().copied().collect();
            let mut families = scraped.families;
            let added = match &previous {
                Some(p) => {
                    let before: IdentitySet = p.identities.iter().flatten().copied().collect();
                    families.extend(series::stale_markers(&p.batch, &p.identities, &current, now));
                    current.difference(&before).count()
                }
                None => current.len(),
            };
            let post = scraped.identities.len();
            let report = Report { duration: duration.as_secs_f64(), samples: scraped.samples, post_relabel: post, added, body_size: size };
            (families, scraped.identities, report, String::new())
        }
        Err((error, size)) => {
            let families = match &previous {
                Some(p) => series::stale_markers(&p.batch, &p.identities, &IdentitySet::default(), now),
                None => Vec::new(),
            };
            let report = Report { duration: duration.as_secs_f64(), samples: 0, post_relabel: 0, added: 0, body_size: size };
            (families, Vec::new(), report, error)
        }
    };
    let up = if error.is_empty() { 1.0 } else { 0.0 };
    families.extend(report_families(target, &settings, up, Some(&report), now));
    let batch = Arc::new(Batch { families, discovered: Some(Arc::clone(&target.discovered)) });
    forward_arc(shared, &settings, Arc::clone(&batch));
    *lock(status) = Status { last_scrape: Some(started), duration, error: error.clone(), up: error.is_empty(), samples: report.post_relabel };
    if !error.is_empty() {
        tracing::debug!(target = %target.url, %error, "scrape failed");
    }
    Some(Previous { batch, identities })
}

/// `up` and the `scrape_*` series; with `report` missing (the target went
/// away) only their names and labels matter.
fn report_families(target: &Target, settings: &Settings, up: f64, report: Option<&Report>, now: i64) -> Vec<Family> {
    let r = report.unwrap_or(&Report { duration: 0.0, samples: 0, post_relabel: 0, added: 0, body_size: 0.0 });
    let mut out = vec![
        series::report("up", "Whether the target could be scraped (1) or not (0).", up, target, now),
        series::report("scrape_duration_seconds", "Duration of the scrape.", r.duration, target, now),
        series::report("scrape_samples_scraped", "Samples the target exposed.", r.samples as f64, target, now),
        series::report("scrape_samples_post_metric_relabeling", "Samples kept after metric relabelling.", r.post_relabel as f64, target, now),
        series::report("scrape_series_added", "Approximate number of new series in this scrape.", r.added as f64, target, now),
    ];
    if settings.extra_metrics {
        let body = if up == 1.0 { r.body_size } else { 0.0 };
        out.push(series::report("scrape_timeout_seconds", "The configured scrape timeout.", target.timeout.as_secs_f64(), target, now));
        out.push(series::report("scrape_sample_limit", "The configured sample limit.", settings.rules.limits.sample_limit as f64, target, now));
        out.push(series::report("scrape_body_size_bytes", "Uncompressed size of the last successful response.", body, target, now));
    }
    out
}

fn forward(shared: &Shared, settings: &Settings, batch: Batch) {
    forward_arc(shared, settings, Arc::new(batch));
}

fn forward_arc(shared: &Shared, settings: &Settings, batch: Arc<Batch>) {
    let n = batch.series_count() as u64;
    for r in &settings.receivers {
        if let Err(e) = r.0.append(Arc::clone(&batch)) {
            tracing::warn!(error = %e, "prometheus.scrape: a receiver refused samples");
        }
    }
    shared.forwarded.add(n);
}

/// GETs the target; the error's number is the body size to report
/// (-1 when `body_size_limit` was passed, as Prometheus reports).
async fn fetch(target: &Target, s: &Settings) -> Result<(String, TextFormat), (String, f64)> {
    use hyper::http::header::{ACCEPT, ACCEPT_ENCODING, CONTENT_ENCODING, CONTENT_TYPE};
    let request = s
        .http
        .get(&target.url)
        .headers(s.headers.clone())
        .timeout(target.timeout)
        .header(ACCEPT, &s.accept)
        .header(ACCEPT_ENCODING, if s.compression { "gzip" } else { "identity" })
        .header("X-Prometheus-Scrape-Timeout-Seconds", format!("{}", target.timeout.as_secs_f64()));
    let request = s.auth.apply(request).await.map_err(|e| (e.message, 0.0))?;
    let mut response = request.send().await.map_err(|e| (error_chain(&e), 0.0))?;
    if response.status() != reqwest::StatusCode::OK {
        return Err((format!("server returned HTTP status {}", response.status()), 0.0));
    }
    let header = |name| response.headers().get(name).and_then(|v: &hyper::http::HeaderValue| v.to_str().ok()).unwrap_or_default().to_ascii_lowercase();
    let format = match header(CONTENT_TYPE) {
        t if t.starts_with("application/openmetrics-text") => TextFormat::OpenMetrics,
        t if t.starts_with("text/plain") => TextFormat::Prometheus,
        _ => s.fallback,
    };
    let gzip = header(CONTENT_ENCODING) == "gzip";
    let limit = if s.body_size_limit == 0 { u64::MAX } else { s.body_size_limit };
    let too_big = || (format!("body size limit exceeded: the response is larger than {limit} bytes"), -1.0);
    let mut raw = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| (error_chain(&e), 0.0))? {
        raw.extend_from_slice(&chunk);
        if !gzip && raw.len() as u64 > limit {
            return Err(too_big());
        }
    }
    let body = if gzip {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(raw.as_slice())
            .take(limit.saturating_add(1))
            .read_to_end(&mut out)
            .map_err(|e| (format!("cannot decompress the response: {e}"), 0.0))?;
        if out.len() as u64 > limit {
            return Err(too_big());
        }
        out
    } else {
        raw
    };
    let body = String::from_utf8(body).map_err(|_| ("the response is not UTF-8".to_string(), 0.0))?;
    Ok((body, format))
}
