//! Against a real Prometheus server (Debian's `prometheus` 2.x, with its
//! remote-write receiver and exemplar storage): what it stores is what
//! was sent. Fails when the binary is missing: scripts/test.sh installs it.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value as Json;
use tokio::time::Instant;

use super::tests::running;
use crate::prometheus::{Batch, Bucket, Exemplar, Family, Metadata, MetricType, SampleValue, Series};

/// A running Prometheus in a temporary folder, killed when dropped.
struct Prometheus {
    child: Child,
    addr: String,
    http: reqwest::Client,
    _dir: tempfile::TempDir,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `prometheus` binary on PATH; a test that needs it never skips.
fn binary() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let found = std::env::split_paths(&path).map(|d| d.join("prometheus")).find(|p| p.is_file());
    found.unwrap_or_else(|| panic!("no prometheus on PATH: scripts/test.sh installs Debian's prometheus package"))
}

impl Prometheus {
    async fn start(binary: PathBuf) -> Prometheus {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("prometheus.yml");
        std::fs::write(&config, "global:\n  scrape_interval: 1h\n").unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let addr = format!("127.0.0.1:{port}");
        let child = Command::new(binary)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.tsdb.path={}", dir.path().join("data").display()))
            .arg(format!("--web.listen-address={addr}"))
            .args(["--web.enable-remote-write-receiver", "--enable-feature=exemplar-storage", "--log.level=warn"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let http = reqwest::Client::builder().no_proxy().build().unwrap();
        let p = Prometheus { child, addr, http, _dir: dir };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let ready = p.http.get(format!("http://{}/-/ready", p.addr)).send().await;
            if ready.is_ok_and(|r| r.status().is_success()) {
                return p;
            }
            assert!(Instant::now() < deadline, "prometheus did not get ready");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn api(&self, path: &str, query: &[(&str, String)]) -> Json {
        let response = self.http.get(format!("http://{}{path}", self.addr)).query(query).send().await.unwrap();
        let body: Json = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
        assert_eq!(body["status"], "success", "{path}: {body}");
        body["data"].clone()
    }

    /// An instant query's results: labels rendered sorted, and the value.
    async fn query(&self, promql: &str) -> Vec<(String, String)> {
        let data = self.api("/api/v1/query", &[("query", promql.to_string())]).await;
        let results = data["result"].as_array().cloned().unwrap_or_default();
        let mut out: Vec<(String, String)> = results
            .iter()
            .map(|r| {
                let labels = r["metric"].as_object().map(|m| m.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(","));
                (labels.unwrap_or_default(), r["value"][1].as_str().unwrap_or_default().to_string())
            })
            .collect();
        out.sort();
        out
    }
}

fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
    p.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn batch() -> Batch {
    let exemplar = |value: f64| Exemplar { labels: pairs(&[("trace_id", "4bf92f3577b34da6a3ce929d0e0e4736")]), value, timestamp_ms: None };
    let meta = |kind| Metadata { kind, help: "Help.".into(), unit: String::new() };
    let counter = Family {
        name: "rw_calls_total".into(),
        metadata: meta(MetricType::Counter),
        series: vec![Series { labels: pairs(&[("Zone", "a"), ("service", "api")]), value: SampleValue::Number(7.0), timestamp_ms: None, exemplars: vec![] }],
    };
    let buckets = vec![
        Bucket { upper_bound: 0.1, cumulative_count: 2 },
        Bucket { upper_bound: 1.0, cumulative_count: 5 },
        Bucket { upper_bound: f64::INFINITY, cumulative_count: 6 },
    ];
    let histogram = Family {
        name: "rw_duration_seconds".into(),
        metadata: meta(MetricType::Histogram),
        series: vec![Series {
            labels: pairs(&[("service", "api")]),
            value: SampleValue::Histogram { buckets, count: 6, sum: 3.25 },
            timestamp_ms: None,
            exemplars: vec![exemplar(0.5)],
        }],
    };
    Batch::new(vec![counter, histogram])
}

#[tokio::test]
async fn prometheus_stores_series_and_exemplars_as_sent() {
    let binary = binary();
    let prom = Prometheus::start(binary).await;
    let args = format!(
        "external_labels = {{ \"cluster\" = \"eu-1\" }}\n endpoint {{\n url = \"http://{}/api/v1/write\"\n queue_config {{\n batch_send_deadline = \"5ms\"\n }}\n }}",
        prom.addr
    );
    let rw = running("prometheus.remote_write.real", &args);
    rw.receiver().0.append(Arc::new(batch())).unwrap();

    let deadline = Instant::now() + Duration::from_secs(30);
    let calls = loop {
        let got = prom.query("rw_calls_total").await;
        if !got.is_empty() || Instant::now() > deadline {
            break got;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let want = r#"Zone="a",__name__="rw_calls_total",cluster="eu-1",service="api""#;
    assert_eq!(calls, vec![(want.to_string(), "7".to_string())], "health: {:?}", rw.health());

    let buckets = prom.query("rw_duration_seconds_bucket").await;
    let les: Vec<(String, &str)> =
        buckets.iter().map(|(l, v)| (l.split(',').find(|p| p.starts_with("le=")).unwrap_or_default().to_string(), v.as_str())).collect();
    assert_eq!(les, [(r#"le="+Inf""#.to_string(), "6"), (r#"le="0.1""#.to_string(), "2"), (r#"le="1""#.to_string(), "5")]);
    assert_eq!(prom.query("rw_duration_seconds_count").await[0].1, "6");
    assert_eq!(prom.query("rw_duration_seconds_sum").await[0].1, "3.25");

    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let range = [("query", "rw_duration_seconds_bucket".to_string()), ("start", (now - 600).to_string()), ("end", (now + 60).to_string())];
    let exemplars = prom.api("/api/v1/query_exemplars", &range).await;
    let series = exemplars.as_array().cloned().unwrap_or_default();
    assert_eq!(series.len(), 1, "{exemplars}");
    assert_eq!(series[0]["seriesLabels"]["le"], "1", "the exemplar is on the bucket that holds 0.5");
    assert_eq!(series[0]["exemplars"][0]["labels"]["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736");
    rw.stop().await;
}
