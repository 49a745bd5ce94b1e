//! `solder tools loadgen`: sends OTLP traces at a fixed rate or flat out.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use prost::Message;
use solder_components::otlp::grpc::{export_path, BytesCodec};
use solder_components::otlp::Signal;

use solder_components::otlp::synthetic as spans;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Where to send: host:port for gRPC, a URL for HTTP.
    #[arg(long, default_value = "127.0.0.1:4317")]
    endpoint: String,
    /// `grpc` or `http` (OTLP/HTTP protobuf).
    #[arg(long, default_value = "grpc")]
    protocol: String,
    /// Spans per second in total; 0 sends as fast as the receiver takes them.
    #[arg(long, default_value_t = 0)]
    rate: u64,
    /// How long to send for, in seconds.
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Spans in each export request.
    #[arg(long, default_value_t = 500)]
    spans_per_request: usize,
    /// Concurrent senders.
    #[arg(long, default_value_t = 4)]
    connections: usize,
}

#[derive(Default)]
struct Stats {
    spans: AtomicU64,
    requests: AtomicU64,
    errors: AtomicU64,
}

pub async fn run(args: Args) -> Result<(), String> {
    // A pool of distinct requests, encoded once: generating spans must not
    // be what limits the load.
    let pool: Arc<Vec<Bytes>> = Arc::new((0..64).map(|i| Bytes::from(spans::request(i, args.spans_per_request).encode_to_vec())).collect());
    let stats = Arc::new(Stats::default());
    let deadline = Instant::now() + Duration::from_secs_f64(args.duration);
    let per_sender_rate = args.rate as f64 / args.connections as f64;
    let mut tasks = Vec::new();
    for worker in 0..args.connections {
        let (pool, stats, endpoint, protocol) = (Arc::clone(&pool), Arc::clone(&stats), args.endpoint.clone(), args.protocol.clone());
        let spans_per_request = args.spans_per_request as u64;
        tasks.push(tokio::spawn(async move {
            let mut sender = Sender::connect(&protocol, &endpoint).await?;
            let interval = (per_sender_rate > 0.0).then(|| Duration::from_secs_f64(spans_per_request as f64 / per_sender_rate));
            let mut next = Instant::now();
            let mut i = worker;
            // Each answered request's time from sending to its answer, in µs.
            let mut took: Vec<u32> = Vec::new();
            while Instant::now() < deadline {
                if let Some(step) = interval {
                    next += step;
                    tokio::time::sleep_until(next.into()).await;
                }
                let body = pool[i % pool.len()].clone();
                i += 1;
                let sent = Instant::now();
                match sender.send(body).await {
                    Ok(()) => {
                        took.push(u32::try_from(sent.elapsed().as_micros()).unwrap_or(u32::MAX));
                        stats.spans.fetch_add(spans_per_request, Ordering::Relaxed);
                        stats.requests.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(_) => {
                        stats.errors.fetch_add(1, Ordering::Relaxed);
                        tokio::time::sleep(Duration::from_millis(5)).await;
                    }
                }
            }
            Ok::<Vec<u32>, String>(took)
        }));
    }
    let started = Instant::now();
    let mut took = Vec::new();
    for t in tasks {
        took.extend(t.await.map_err(|e| e.to_string())??);
    }
    let secs = started.elapsed().as_secs_f64();
    let spans = stats.spans.load(Ordering::Relaxed);
    took.sort_unstable();
    let ms = |q: f64| quantile(&took, q) as f64 / 1000.0;
    println!(
        "{{\"spans\":{spans},\"requests\":{},\"errors\":{},\"seconds\":{secs:.3},\"spans_per_second\":{:.0},\"p50_ms\":{:.3},\"p99_ms\":{:.3},\"max_ms\":{:.3}}}",
        stats.requests.load(Ordering::Relaxed),
        stats.errors.load(Ordering::Relaxed),
        spans as f64 / secs,
        ms(0.5),
        ms(0.99),
        ms(1.0),
    );
    Ok(())
}

/// The `q` quantile of sorted values (nearest rank); 0 for none.
fn quantile(sorted: &[u32], q: f64) -> u32 {
    let Some(last) = sorted.len().checked_sub(1) else { return 0 };
    sorted[((last as f64 * q).round() as usize).min(last)]
}

enum Sender {
    Grpc(tonic::client::Grpc<tonic::transport::Channel>),
    Http(reqwest::Client, String),
}

impl Sender {
    async fn connect(protocol: &str, endpoint: &str) -> Result<Sender, String> {
        match protocol {
            "grpc" => {
                let url = if endpoint.contains("://") { endpoint.to_string() } else { format!("http://{endpoint}") };
                let channel =
                    tonic::transport::Endpoint::from_shared(url).map_err(|e| e.to_string())?.connect().await.map_err(|e| format!("connect {endpoint}: {e}"))?;
                Ok(Sender::Grpc(tonic::client::Grpc::new(channel)))
            }
            "http" => {
                let url = if endpoint.ends_with("/v1/traces") { endpoint.to_string() } else { format!("{}/v1/traces", endpoint.trim_end_matches('/')) };
                Ok(Sender::Http(reqwest::Client::new(), url))
            }
            other => Err(format!("unknown protocol {other:?}: use grpc or http")),
        }
    }

    async fn send(&mut self, body: Bytes) -> Result<(), String> {
        match self {
            Sender::Grpc(grpc) => {
                grpc.ready().await.map_err(|e| e.to_string())?;
                let path = http::uri::PathAndQuery::from_static(export_path(Signal::Traces));
                grpc.unary(tonic::Request::new(body), path, BytesCodec).await.map(|_| ()).map_err(|s| s.to_string())
            }
            Sender::Http(client, url) => {
                let r = client.post(url.as_str()).header("Content-Type", "application/x-protobuf").body(body).send().await.map_err(|e| e.to_string())?;
                if r.status().is_success() {
                    Ok(())
                } else {
                    Err(format!("HTTP {}", r.status()))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::quantile;

    #[test]
    fn quantiles_are_nearest_ranks() {
        let sorted: Vec<u32> = (1..=100).collect();
        assert_eq!(quantile(&sorted, 0.5), 51);
        assert_eq!(quantile(&sorted, 0.99), 99);
        assert_eq!(quantile(&sorted, 1.0), 100);
        assert_eq!(quantile(&[], 0.99), 0);
        assert_eq!(quantile(&[7], 0.5), 7);
    }
}
