//! The pipeline every scenario runs: the seed's shape (receiver, batch,
//! an OTLP exporter and span metrics on a second branch), with retries
//! quick enough for a test and a small byte-bounded queue so that a down
//! backend fills it within seconds.

use std::path::PathBuf;

use crate::rig::{write_config, Backend};
use crate::support::{free_port, Agent};

/// Where the agent listens.
pub struct Endpoints {
    /// OTLP gRPC.
    pub grpc: String,
    /// OTLP/HTTP.
    pub http: String,
    /// Span metrics, exposed for scraping.
    pub metrics: String,
}

impl Endpoints {
    fn free() -> Endpoints {
        let local = || format!("127.0.0.1:{}", free_port());
        Endpoints { grpc: local(), http: local(), metrics: local() }
    }
}

pub struct Pipeline {
    pub agent: Agent,
    pub at: Endpoints,
    pub config: PathBuf,
    _dir: tempfile::TempDir,
}

pub const BATCH: &[&str] = &["otelcol.processor.batch.default"];

pub fn config(at: &Endpoints, backend: &Backend, extra: &str) -> String {
    format!(
        r#"
otelcol.receiver.otlp "default" {{
	grpc {{ endpoint = "{grpc}" }}
	http {{ endpoint = "{http}" }}
	output {{ traces = [otelcol.processor.batch.default.input] }}
}}

otelcol.processor.batch "default" {{
	timeout = "100ms"
	output {{ traces = [otelcol.exporter.otlp.backend.input, otelcol.connector.spanmetrics.default.input] }}
}}

otelcol.exporter.otlp "backend" {{
	client {{
		endpoint = "{backend}"
		tls {{ insecure = true }}
	}}
	sending_queue {{
		sizer      = "bytes"
		queue_size = 4194304
	}}
	retry_on_failure {{
		initial_interval = "50ms"
		max_interval     = "500ms"
	}}
}}

otelcol.connector.spanmetrics "default" {{
	histogram {{
		explicit {{ }}
	}}
	metrics_flush_interval = "500ms"
	output {{ metrics = [otelcol.exporter.prometheus.default.input] }}
}}

otelcol.exporter.prometheus "default" {{
	forward_to = [prometheus.expose.default.receiver]
}}

prometheus.expose "default" {{
	listen_address = "{metrics}"
}}
{extra}"#,
        grpc = at.grpc,
        http = at.http,
        metrics = at.metrics,
        backend = backend.endpoint()
    )
}

impl Pipeline {
    pub fn start(backend: &Backend) -> Pipeline {
        Pipeline::launch(backend, &[])
    }

    /// As [`Pipeline::start`], with environment variables for the agent.
    pub fn start_with_env(backend: &Backend, env: &[(&str, &str)]) -> Pipeline {
        Pipeline::launch(backend, env)
    }

    fn launch(backend: &Backend, env: &[(&str, &str)]) -> Pipeline {
        let dir = tempfile::tempdir().expect("tempdir");
        let at = Endpoints::free();
        let config = write_config(dir.path(), &config(&at, backend, ""));
        let agent = Agent::start_with_env(&[&config.display().to_string()], env);
        // Healthy, not only started: a listener that lost its port to
        // another process's outgoing connection retries, unhealthy.
        // The HTTP server answers before the first load: an empty list is
        // not a healthy one.
        let ready = || agent.json("/api/v0/web/components").as_array().is_some_and(|c| !c.is_empty() && c.iter().all(|c| c["health"]["state"] == "healthy"));
        agent.wait_for("every component to be healthy", ready);
        Pipeline { agent, at, config, _dir: dir }
    }

    /// The spans span metrics counted: the sum of `traces_span_metrics_calls_total`.
    pub fn calls(&self) -> u64 {
        let (code, body) = crate::support::request(&self.at.metrics, "GET", "/metrics").unwrap_or((0, String::new()));
        assert_eq!(code, 200, "scrape of span metrics: {body}");
        crate::rig::sum_of(&body, "traces_span_metrics_calls_total")
    }
}
