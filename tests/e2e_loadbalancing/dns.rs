//! The ring followed by DNS: the agent's `dns` resolver asks a DNS server
//! started by the test (the stand-in, reached through
//! `SOLDER_DNS_NAMESERVER`) for a headless Service's name, and a rolling
//! update is the name's A records changing under load, as the cluster DNS
//! answers when a pod leaves and another joins.

use solder_components::otelcol::exporter::loadbalancing::resolver::dns::standin::DnsStandin;
use solder_components::otelcol::exporter::loadbalancing::resolver::dns::NAMESERVER_ENV;

use crate::fleet::Fleet;
use crate::kubernetes::{gateway_port, PODS};
use crate::rolling::{roll, AFTER, BEFORE};

const EXPORTER: &str = "otelcol.exporter.loadbalancing.gateway";

/// The agent: OTLP in, batched, routed by trace ID to whatever the
/// gateways' name resolves to, asked again every 200 ms.
fn agent_config(grpc: u16, port: u16) -> String {
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

otelcol.exporter.loadbalancing "gateway" {{
	resolver {{
		dns {{
			hostname = "solder-gateway.solder.svc.cluster.local"
			port     = "{port}"
			interval = "200ms"
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

#[test]
fn the_dns_resolver_follows_a_roll_of_the_records_under_load() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let before: Vec<&str> = BEFORE.iter().map(|i| PODS[*i]).collect();
    let dns = rt.block_on(DnsStandin::start(&before)).unwrap();
    let port = gateway_port();
    let addrs: Vec<String> = PODS.iter().map(|ip| format!("{ip}:{port}")).collect();
    let nameserver = dns.addr().to_string();
    let fleet = Fleet::start_with(&addrs, EXPORTER, |grpc| agent_config(grpc, port), &[(NAMESERVER_ENV, nameserver.as_str())]);
    roll(fleet, |_| {
        assert!(dns.queries() > 0, "the agent asked the test's DNS server");
        let after: Vec<&str> = AFTER.iter().map(|i| PODS[*i]).collect();
        dns.set(&after);
    });
    drop(dns);
}
