//! A target as Prometheus reads one: the label map from `targets` plus
//! the component's defaults give its URL, its interval and timeout, and
//! the labels its series carry.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use crate::prometheus::remote_write::config::fnv1a;

/// Everything a scrape loop needs about one target. Two targets with equal
/// `Target`s are the same target: an update keeps its loop running.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Target {
    /// The full URL, query included.
    pub url: String,
    /// The labels every series of the target gets (`job`, `instance` and
    /// the target's labels not starting with `__`), sorted by name.
    pub labels: Vec<(String, String)>,
    pub interval: Duration,
    pub timeout: Duration,
    /// The labels `targets` gave, with `__scheme__` and `__metrics_path__`
    /// filled in from the defaults as Prometheus does before relabelling:
    /// the target's discovered labels.
    pub discovered: Arc<BTreeMap<String, String>>,
}

/// The component's defaults for what a target's labels may override.
pub struct Defaults<'a> {
    pub job: &'a str,
    pub scheme: &'a str,
    pub metrics_path: &'a str,
    pub params: &'a BTreeMap<String, Vec<String>>,
    pub interval: Duration,
    pub timeout: Duration,
}

impl Target {
    /// Resolves one entry of `targets`, as Prometheus' `PopulateLabels`
    /// does without relabelling rules.
    pub fn resolve(given: &BTreeMap<String, String>, d: &Defaults) -> Result<Target, String> {
        let address = given.get("__address__").filter(|a| !a.is_empty()).ok_or("no address")?;
        if address.contains('/') {
            return Err(format!("{address:?} is not a valid hostname"));
        }
        let get = |k: &str, default: &str| given.get(k).filter(|v| !v.is_empty()).cloned().unwrap_or_else(|| default.to_string());
        let scheme = get("__scheme__", d.scheme);
        let mut path = get("__metrics_path__", d.metrics_path);
        if !path.starts_with('/') {
            path.insert(0, '/');
        }
        let interval = duration(given.get("__scrape_interval__"), d.interval, "interval")?;
        let timeout = duration(given.get("__scrape_timeout__"), d.timeout, "timeout")?;
        if interval.is_zero() {
            return Err("scrape interval cannot be 0".into());
        }
        if timeout.is_zero() {
            return Err("scrape timeout cannot be 0".into());
        }
        if timeout > interval {
            return Err(format!("scrape timeout cannot be greater than scrape interval ({timeout:?} > {interval:?})"));
        }
        // `params` first, each overridden by a `__param_<name>` label.
        let mut query: BTreeMap<&str, Vec<&str>> = d.params.iter().map(|(k, v)| (k.as_str(), v.iter().map(String::as_str).collect())).collect();
        for (k, v) in given {
            if let Some(name) = k.strip_prefix("__param_") {
                let values = query.entry(name).or_default();
                match values.first_mut() {
                    Some(first) => *first = v,
                    None => values.push(v),
                }
            }
        }
        let mut url = format!("{scheme}://{address}{path}");
        let mut sep = '?';
        for (k, values) in &query {
            for v in values {
                url.push(sep);
                url.push_str(&encode(k));
                url.push('=');
                url.push_str(&encode(v));
                sep = '&';
            }
        }
        let mut labels: BTreeMap<String, String> =
            given.iter().filter(|(k, v)| !k.starts_with("__") && !v.is_empty()).map(|(k, v)| (k.clone(), v.clone())).collect();
        labels.entry("job".into()).or_insert_with(|| d.job.to_string());
        labels.entry("instance".into()).or_insert_with(|| address.clone());
        let mut discovered = given.clone();
        discovered.insert("__scheme__".into(), scheme);
        discovered.insert("__metrics_path__".into(), path);
        Ok(Target { url, labels: labels.into_iter().collect(), interval, timeout, discovered: Arc::new(discovered) })
    }

    /// Where in each interval this target is scraped: a stable hash of its
    /// labels and URL, so that targets spread over the interval and a
    /// restart keeps each one's phase, as Prometheus' offset does.
    pub fn offset(&self) -> Duration {
        let mut key = self.url.clone();
        for (k, v) in &self.labels {
            key.push('\u{ff}');
            key.push_str(k);
            key.push('\u{fe}');
            key.push_str(v);
        }
        let nanos = self.interval.as_nanos().max(1);
        Duration::from_nanos((u128::from(fnv1a(&key)) % nanos) as u64)
    }

    /// The `instance` label, for debug info and logs.
    pub fn instance(&self) -> &str {
        self.labels.iter().find(|(k, _)| k == "instance").map(|(_, v)| v.as_str()).unwrap_or_default()
    }
}

fn duration(label: Option<&String>, default: Duration, what: &str) -> Result<Duration, String> {
    match label.filter(|v| !v.is_empty()) {
        None => Ok(default),
        Some(v) => crate::types::Duration::parse(v).map(|d| d.0).map_err(|e| format!("error parsing scrape {what}: {e}")),
    }
}

/// Percent-encodes a query key or value as Go's `url.Values.Encode`.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
