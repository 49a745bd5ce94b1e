//! A gateway tier on loopback: gateway `solder` processes, each running
//! the service graph and span metrics and forwarding spans to a grpcio
//! sink of its own; one agent `solder` in front of them routing with
//! `otelcol.exporter.loadbalancing` and the static resolver; and the shop
//! app on the OpenTelemetry Python SDK sending to the agent.

use std::path::PathBuf;
use std::process::{Child, Command};

use serde_json::Value;

use crate::graph::samples;
use crate::support::peers::{read_jsonl, start_sink, Sink};
use crate::support::{self, free_port, Agent};

pub const EXPORTER: &str = "otelcol.exporter.loadbalancing.default";

/// OTLP in; every span to the service graph, span metrics and the sink.
/// Both connectors flush twice a second, and a call's other side waits up
/// to 2 s, so the graph settles soon after the last span.
fn gateway_config(grpc: &str, expose: u16, sink: u16) -> String {
    format!(
        r#"otelcol.receiver.otlp "default" {{
	grpc {{
		endpoint = "{grpc}"
	}}

	output {{
		traces = [otelcol.exporter.otlp.sink.input, otelcol.connector.servicegraph.default.input, otelcol.connector.spanmetrics.default.input]
	}}
}}

otelcol.exporter.otlp "sink" {{
	client {{
		endpoint = "127.0.0.1:{sink}"

		tls {{
			insecure = true
		}}
	}}

	retry_on_failure {{
		initial_interval = "100ms"
		max_interval     = "500ms"
	}}
}}

otelcol.connector.servicegraph "default" {{
	store {{
		max_items = 50000
		ttl       = "2s"
	}}

	store_expiration_loop  = "500ms"
	metrics_flush_interval = "500ms"

	output {{
		metrics = [otelcol.exporter.prometheus.default.input]
	}}
}}

otelcol.connector.spanmetrics "default" {{
	histogram {{
		explicit {{ }}
	}}

	metrics_flush_interval = "500ms"

	output {{
		metrics = [otelcol.exporter.prometheus.default.input]
	}}
}}

otelcol.exporter.prometheus "default" {{
	forward_to = [prometheus.expose.default.receiver]
}}

prometheus.expose "default" {{
	listen_address = "127.0.0.1:{expose}"
}}
"#
    )
}

/// OTLP in, batched (so one request mixes many traces), routed by trace ID
/// to the gateways at `hostnames`.
pub fn agent_config(grpc: u16, hostnames: &[String]) -> String {
    let hostnames = hostnames.iter().map(|h| format!("\"{h}\"")).collect::<Vec<_>>().join(", ");
    format!(
        r#"otelcol.receiver.otlp "default" {{
	grpc {{
		endpoint = "127.0.0.1:{grpc}"
	}}

	output {{
		traces = [otelcol.processor.batch.default.input]
	}}
}}

otelcol.processor.batch "default" {{
	timeout = "100ms"

	output {{
		traces = [{EXPORTER}.input]
	}}
}}

otelcol.exporter.loadbalancing "default" {{
	routing_key = "traceID"

	resolver {{
		static {{
			hostnames = [{hostnames}]
		}}
	}}

	protocol {{
		otlp {{
			client {{
				tls {{
					insecure = true
				}}
			}}

			retry {{
				initial_interval = "100ms"
				max_interval     = "500ms"
			}}
		}}
	}}
}}
"#
    )
}

/// One gateway: its config, its sink, and the process while it runs.
pub struct Gateway {
    /// Where it takes OTLP/gRPC, `ip:port`.
    pub addr: String,
    pub expose: u16,
    pub sink: Sink,
    cfg: PathBuf,
    pub process: Option<Agent>,
}

impl Gateway {
    /// The endpoint as the agent's resolver spells it.
    pub fn endpoint(&self) -> String {
        self.addr.clone()
    }

    pub fn start(&mut self) {
        assert!(self.process.is_none(), "gateway {} is already running", self.addr);
        let process = Agent::start(&[&self.cfg.display().to_string()]);
        process.wait_for("the gateway's pipeline", || std::net::TcpStream::connect(self.endpoint()).is_ok());
        self.process = Some(process);
    }

    /// SIGTERM, and waits for it to exit: the gateway stops taking data and
    /// hands what it took to its sink first.
    pub fn stop(&mut self) {
        let process = self.process.take().expect("the gateway is running");
        drop(process);
    }

    /// The spans its sink received.
    pub fn spans(&self) -> Vec<Value> {
        read_jsonl(&self.sink.record)
    }

    /// Its prometheus.expose page (service graph and span metrics).
    pub fn scrape(&self) -> String {
        support::request(&format!("127.0.0.1:{}", self.expose), "GET", "/metrics").map(|(_, body)| body).unwrap_or_default()
    }

    pub fn process(&self) -> &Agent {
        self.process.as_ref().expect("the gateway is running")
    }
}

pub struct Fleet {
    pub gateways: Vec<Gateway>,
    /// The agent's loadbalancing exporter's component ID.
    pub exporter: String,
    pub agent: Agent,
    pub agent_cfg: PathBuf,
    pub grpc: u16,
    pub python: PathBuf,
    pub dir: tempfile::TempDir,
}

impl Fleet {
    /// Gateways on loopback `ports`, all running, and an agent with the
    /// static resolver whose ring holds those at the indexes in `ring`.
    pub fn start(ports: &[u16], ring: &[usize]) -> Fleet {
        let addrs: Vec<String> = ports.iter().map(|p| format!("127.0.0.1:{p}")).collect();
        let hostnames: Vec<String> = ring.iter().map(|i| addrs[*i].clone()).collect();
        Fleet::start_with(&addrs, EXPORTER, |grpc| agent_config(grpc, &hostnames), &[])
    }

    /// Gateways at `addrs` (`ip:port`), all running, and an agent running
    /// the config `agent` makes for its OTLP/gRPC port, with `env`; the
    /// config's loadbalancing exporter is `exporter`.
    pub fn start_with(addrs: &[String], exporter: &str, agent: impl FnOnce(u16) -> String, env: &[(&str, &str)]) -> Fleet {
        let python = support::python();
        let dir = tempfile::tempdir().unwrap();
        let mut gateways = Vec::new();
        for (i, addr) in addrs.iter().enumerate() {
            let sink = start_sink(&python, dir.path(), 0);
            let expose = free_port();
            let cfg = dir.path().join(format!("gateway-{i}.alloy"));
            std::fs::write(&cfg, gateway_config(addr, expose, sink.port)).unwrap();
            let mut g = Gateway { addr: addr.clone(), expose, sink, cfg, process: None };
            g.start();
            gateways.push(g);
        }
        let grpc = free_port();
        let agent_cfg = dir.path().join("agent.alloy");
        std::fs::write(&agent_cfg, agent(grpc)).unwrap();
        let agent = Agent::start_with_env(&[&agent_cfg.display().to_string()], env);
        agent.wait_for("the agent's pipeline", || std::net::TcpStream::connect(("127.0.0.1", grpc)).is_ok());
        Fleet { gateways, exporter: exporter.to_string(), agent, agent_cfg, grpc, python, dir }
    }

    /// Rewrites the agent's config so its ring holds the gateways at
    /// `ring`, and waits until the reloaded config runs.
    pub fn set_ring(&self, ring: &[usize]) {
        let hostnames: Vec<String> = ring.iter().map(|i| self.gateways[*i].endpoint()).collect();
        let text = agent_config(self.grpc, &hostnames);
        support::replace_file(&self.agent_cfg, &text);
        self.agent.wait_for("the new ring's config to run", || self.agent.json("/api/v0/web/status")["running"]["files"][0]["text"] == text.as_str());
        let status = self.agent.json("/api/v0/web/status");
        assert_eq!(status["lastReload"]["success"], true, "{status}");
        assert_eq!(status["lastReload"]["changes"]["updated"], serde_json::json!([self.exporter]), "only the exporter changes: {status}");
    }

    /// Starts the shop app: `traces` traces at `rate` per second (0: flat out).
    pub fn app(&self, name: &str, traces: usize, rate: f64) -> App {
        let record = self.dir.path().join(format!("{name}.jsonl"));
        let child = Command::new(&self.python)
            .arg(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e_loadbalancing/shop_app.py"))
            .args([&format!("127.0.0.1:{}", self.grpc), &record.display().to_string(), &traces.to_string(), &rate.to_string()])
            .spawn()
            .unwrap();
        App { child, record }
    }

    /// Every span any gateway's sink has, with the index of the gateway.
    pub fn delivered(&self) -> Vec<(usize, Value)> {
        self.gateways.iter().enumerate().flat_map(|(i, g)| g.spans().into_iter().map(move |s| (i, s))).collect()
    }

    /// Waits until the sinks together hold at least `n` spans.
    pub fn wait_for_spans(&self, n: usize) {
        self.agent.wait_up_to(&format!("{n} spans at the sinks"), std::time::Duration::from_secs(60), || self.delivered().len() >= n);
    }

    /// The exporter's debug info.
    pub fn exporter_info(&self) -> Value {
        self.agent.component(&self.exporter)["debugInfo"].clone()
    }

    /// The endpoints the exporter routes to now.
    pub fn ring(&self) -> Vec<String> {
        self.exporter_info()["backends"].as_object().map(|b| b.keys().cloned().collect()).unwrap_or_default()
    }

    /// Every running gateway's service graph and span metrics page.
    pub fn scrapes(&self) -> Vec<String> {
        self.gateways.iter().filter(|g| g.process.is_some()).map(Gateway::scrape).collect()
    }
}

pub struct App {
    child: Child,
    pub record: PathBuf,
}

impl App {
    pub fn running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    /// Waits for the app to finish; every span the agent acknowledged.
    /// Fails if any export failed: a test here expects every span taken.
    pub fn finish(mut self, agent: &Agent) -> Vec<Value> {
        let status = self.child.wait().unwrap();
        let failed = read_jsonl(&self.record.with_extension("jsonl.failed"));
        assert!(status.success(), "the shop app failed ({status}): {failed:?}\nagent logs:\n{}", agent.logs());
        read_jsonl(&self.record)
    }
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The sum of the samples of `name` whose labels include all of `with`.
pub fn metric(text: &str, name: &str, with: &[(&str, &str)]) -> f64 {
    samples(text)
        .into_iter()
        .filter(|(n, labels, _)| n == name && with.iter().all(|(k, v)| labels.get(*k).map(String::as_str) == Some(*v)))
        .map(|(_, _, v)| v)
        .sum()
}
