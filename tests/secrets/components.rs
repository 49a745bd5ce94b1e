//! One config body per component that has secret arguments, with a
//! placeholder for each: `{S:n}` a secret string (`user:password`-shaped,
//! so an htpasswd line takes it too), `{KEY}` a private key
//! (PEM), `{CERT}` its certificate (not a secret), `{PORT:n}` a free port.
//! The test fails for a component whose schema has secrets and that is not
//! here, so a new component's secrets are covered as soon as it registers.

pub const BODIES: &[(&str, &str)] = &[
    // One auth method per discovery.kubernetes, as it allows only one.
    (
        "discovery.kubernetes",
        r#"
	role         = "pod"
	api_server   = "https://127.0.0.1:9"
	bearer_token = {S:1}
	tls_config {
		cert_pem             = {CERT}
		key_pem              = {KEY}
		insecure_skip_verify = true
	}
"#,
    ),
    (
        "discovery.kubernetes",
        r#"
	role       = "node"
	api_server = "https://127.0.0.1:9"
	basic_auth {
		username = "user"
		password = {S:2}
	}
"#,
    ),
    (
        "discovery.kubernetes",
        r#"
	role       = "service"
	api_server = "https://127.0.0.1:9"
	authorization {
		type        = "Bearer"
		credentials = {S:3}
	}
"#,
    ),
    (
        "prometheus.scrape",
        r#"
	targets      = [{"__address__" = "127.0.0.1:9"}]
	forward_to   = []
	http_headers = { "X-Api-Key" = [{S:1}] }
	oauth2 {
		client_id     = "agent"
		client_secret = {S:2}
		token_url     = "http://127.0.0.1:9/token"
	}
"#,
    ),
    // One auth method per prometheus.scrape, as it allows only one; the
    // targets are closed ports, so scrapes fail and report errors, which
    // must not carry the secrets either.
    (
        "prometheus.scrape",
        r#"
	targets      = [{"__address__" = "127.0.0.1:9"}]
	forward_to   = []
	scheme       = "https"
	bearer_token = {S:1}
	tls_config {
		cert_pem             = {CERT}
		key_pem              = {KEY}
		insecure_skip_verify = true
	}
"#,
    ),
    (
        "prometheus.scrape",
        r#"
	targets    = [{"__address__" = "127.0.0.1:9"}]
	forward_to = []
	basic_auth {
		username = "user"
		password = {S:2}
	}
"#,
    ),
    (
        "prometheus.scrape",
        r#"
	targets    = [{"__address__" = "127.0.0.1:9"}]
	forward_to = []
	authorization {
		type        = "Bearer"
		credentials = {S:3}
	}
"#,
    ),
    (
        "otelcol.exporter.otlp",
        r#"
	client {
		endpoint = "127.0.0.1:9"
		headers  = { "Authorization" = {S:1} }
		tls {
			cert_pem             = {CERT}
			key_pem              = {KEY}
			insecure_skip_verify = true
		}
	}
"#,
    ),
    (
        "otelcol.exporter.loadbalancing",
        r#"
	resolver {
		static { hostnames = ["127.0.0.1:9"] }
	}
	protocol {
		otlp {
			client {
				headers = { "Authorization" = {S:1} }
				tls {
					cert_pem             = {CERT}
					key_pem              = {KEY}
					insecure_skip_verify = true
				}
			}
		}
	}
"#,
    ),
    (
        "otelcol.exporter.otlphttp",
        r#"
	client {
		endpoint = "https://127.0.0.1:9"
		headers  = { "Authorization" = {S:1} }
		tls {
			cert_pem             = {CERT}
			key_pem              = {KEY}
			insecure_skip_verify = true
		}
	}
"#,
    ),
    (
        "otelcol.receiver.otlp",
        r#"
	grpc {
		endpoint = "127.0.0.1:{PORT:1}"
		tls {
			cert_pem = {CERT}
			key_pem  = {KEY}
		}
	}
	http {
		endpoint = "127.0.0.1:{PORT:2}"
		tls {
			cert_pem = {CERT}
			key_pem  = {KEY}
		}
	}
	output { }
"#,
    ),
    (
        "prometheus.remote_write",
        r#"
	endpoint {
		url     = "http://127.0.0.1:9/api/v1/write"
		headers = { "X-Api-Key" = {S:1} }
		basic_auth {
			username = "user"
			password = {S:2}
		}
		tls_config {
			cert_pem = {CERT}
			key_pem  = {KEY}
		}
	}
	endpoint {
		url          = "http://127.0.0.1:9/api/v1/write?b"
		bearer_token = {S:3}
	}
	endpoint {
		url = "http://127.0.0.1:9/api/v1/write?c"
		authorization {
			type        = "Bearer"
			credentials = {S:4}
		}
	}
"#,
    ),
    (
        "prometheus.remote_write",
        r#"
	endpoint {
		url = "http://127.0.0.1:9/api/v1/write"
		oauth2 {
			client_id     = "agent"
			client_secret = {S:1}
			token_url     = "http://127.0.0.1:9/token"
		}
	}
"#,
    ),
    (
        "otelcol.auth.basic",
        r#"
	username = "legacy-user"
	password = {S:1}
	client_auth {
		username = "client-user"
		password = {S:2}
	}
	htpasswd {
		inline = {S:3}
	}
"#,
    ),
    (
        "otelcol.auth.bearer",
        r#"
	token = {S:1}
"#,
    ),
    (
        "otelcol.auth.headers",
        r#"
	header {
		key   = "X-Scope-OrgID"
		value = {S:1}
	}
"#,
    ),
];
