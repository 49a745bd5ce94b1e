//! The conversion as a whole; the golden files in tests/convert cover each
//! component through the binary.

use super::*;

fn convert(yaml: &str) -> Conversion {
    otelcol(&SourceFile::new("config.yaml", yaml))
}

fn messages(c: &Conversion) -> Vec<String> {
    c.diagnostics.iter().map(|d| d.to_string()).collect()
}

const SHARED: &str = "receivers:
  otlp:
    protocols:
      grpc:
processors:
  batch:
exporters:
  otlp/jaeger:
    endpoint: ${env:JAEGER}:4317
  debug:
connectors:
  spanmetrics:
service:
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [otlp/jaeger, spanmetrics]
    metrics:
      receivers: [otlp, spanmetrics]
      exporters: [debug]
";

#[test]
fn pipelines_become_outputs() {
    let c = convert(SHARED);
    assert!(!c.has_errors(), "{:?}", messages(&c));
    let a = &c.alloy;
    assert!(a.contains("traces  = [otelcol.processor.batch.default.input]"), "{a}");
    assert!(a.contains("metrics = [otelcol.exporter.debug.default.input]"), "{a}");
    assert!(a.contains("traces = [\n\t\t\totelcol.exporter.otlp.jaeger.input,\n\t\t\totelcol.connector.spanmetrics.default.input,\n\t\t]"), "{a}");
    assert!(a.contains("endpoint = sys.env(\"JAEGER\") + \":4317\""), "{a}");
    assert!(check_output("out.alloy", a).is_empty(), "{:?}", check_output("out.alloy", a));
}

#[test]
fn conversion_is_deterministic_and_formatted() {
    let a = convert(SHARED).alloy;
    assert_eq!(a, convert(SHARED).alloy);
    assert_eq!(solder_syntax::format_source(&a).unwrap(), a);
}

#[test]
fn unsupported_things_point_at_their_yaml_line() {
    let c = convert(
        "receivers:\n  zipkin:\nexporters:\n  debug:\n    bogus: 1\nservice:\n  pipelines:\n    traces:\n      receivers: [zipkin]\n      exporters: [debug]\n",
    );
    let m = messages(&c);
    assert!(m.iter().any(|m| m == "config.yaml:2:3: unsupported receiver \"zipkin\""), "{m:?}");
    assert!(m.iter().any(|m| m == "config.yaml:5:5: exporter \"debug\": option \"bogus\" is not supported"), "{m:?}");
    assert!(c.has_errors());
}

#[test]
fn processors_in_several_groups_are_split() {
    let c = convert(
        "receivers:\n  otlp:\n    protocols:\n      http:\nprocessors:\n  batch:\nexporters:\n  debug:\n  otlp:\n    endpoint: x:4317\nservice:\n  pipelines:\n    traces:\n      receivers: [otlp]\n      processors: [batch]\n      exporters: [debug]\n    traces/2:\n      receivers: [otlp]\n      processors: [batch]\n      exporters: [otlp]\n",
    );
    assert!(!c.has_errors(), "{:?}", messages(&c));
    assert!(c.alloy.contains("otelcol.processor.batch \"default\""), "{}", c.alloy);
    assert!(c.alloy.contains("otelcol.processor.batch \"_2_default\""), "{}", c.alloy);
    assert!(c.alloy.contains("\t\t\totelcol.processor.batch.default.input,\n\t\t\totelcol.processor.batch._2_default.input,\n"), "{}", c.alloy);
}

/// Any text gives a conversion or diagnostics, never a panic: mangled
/// copies of a real config, random YAML-ish bytes, and deep nesting.
#[test]
fn arbitrary_input_never_panics() {
    let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let alphabet: Vec<char> = "ab:- \n\t[]{},'\"#&*!|>%@`$\\/.0é{}".chars().collect();
    for round in 0..2000 {
        let text: String = if round % 2 == 0 {
            let mut chars: Vec<char> = SHARED.chars().collect();
            for _ in 0..(next() % 6) {
                let at = (next() as usize) % chars.len();
                chars[at] = alphabet[(next() as usize) % alphabet.len()];
            }
            chars.into_iter().collect()
        } else {
            (0..(next() % 80)).map(|_| alphabet[(next() as usize) % alphabet.len()]).collect()
        };
        let _ = convert(&text);
    }
    for deep in ["[".repeat(20_000), "a:\n".to_string() + &" a:\n".repeat(2_000), "- ".repeat(5_000)] {
        let _ = convert(&deep);
    }
}

const AUTH: &str = "extensions:
  basicauth/server:
    htpasswd:
      inline: ${env:HTPASSWD}
  bearertokenauth/out:
    token: ${env:TOKEN}
    scheme: Token
  headers_setter:
    headers:
      - key: X-Scope-OrgID
        value: tenant-a
        action: insert
receivers:
  otlp:
    protocols:
      grpc:
        auth:
          authenticator: basicauth/server
      http:
        auth:
          authenticator: basicauth/server
exporters:
  otlp:
    endpoint: backend:4317
    auth:
      authenticator: bearertokenauth/out
  otlphttp:
    endpoint: https://archive.example
    auth:
      authenticator: headers_setter
service:
  extensions: [basicauth/server, bearertokenauth/out, headers_setter]
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [otlp, otlphttp]
";

#[test]
fn authenticator_extensions_become_auth_components() {
    let c = convert(AUTH);
    assert!(c.diagnostics.is_empty(), "{:?}", messages(&c));
    let a = &c.alloy;
    assert!(a.contains("otelcol.auth.basic \"server\" {\n\thtpasswd {\n\t\tinline = sys.env(\"HTPASSWD\")"), "{a}");
    assert!(a.contains("otelcol.auth.bearer \"out\" {\n\ttoken  = sys.env(\"TOKEN\")\n\tscheme = \"Token\""), "{a}");
    assert!(a.contains("otelcol.auth.headers \"default\""), "{a}");
    assert_eq!(a.matches("auth     = otelcol.auth.basic.server.handler").count(), 2, "both receiver blocks: {a}");
    assert!(a.contains("auth     = otelcol.auth.bearer.out.handler"), "{a}");
    assert!(a.contains("auth     = otelcol.auth.headers.default.handler"), "{a}");
    assert!(check_output("out.alloy", a).is_empty(), "{:?}", check_output("out.alloy", a));
}

#[test]
fn a_receiver_auth_that_cannot_be_converted_refuses_bypass() {
    for (why, yaml) in [
        (
            "unsupported type",
            AUTH.replace("authenticator: basicauth/server\n      http", "authenticator: oidc\n      http").replace("extensions:\n", "extensions:\n  oidc:\n"),
        ),
        ("not configured", AUTH.replace("authenticator: basicauth/server\n      http", "authenticator: basicauth/missing\n      http")),
        ("client only", AUTH.replace("authenticator: basicauth/server\n      http", "authenticator: headers_setter\n      http")),
    ] {
        let c = convert(&yaml);
        assert!(c.refuses_bypass(), "{why}: {:?}", messages(&c));
    }
    // An exporter's is an ordinary error: sending without credentials
    // opens nothing.
    let c =
        convert(&AUTH.replace("authenticator: bearertokenauth/out", "authenticator: oauth2client").replace("extensions:\n", "extensions:\n  oauth2client:\n"));
    assert!(c.has_errors() && !c.refuses_bypass(), "{:?}", messages(&c));
}

const STORAGE: &str = "extensions:
  file_storage/queue:
    directory: /var/lib/otelcol/queue
    fsync: true
    compaction:
      on_start: true
exporters:
  otlp:
    endpoint: backend:4317
    sending_queue:
      storage: file_storage/queue
receivers:
  otlp:
    protocols:
      grpc:
service:
  extensions: [file_storage/queue]
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [otlp]
";

/// The Collector's persistent queue: `file_storage` becomes
/// `otelcol.storage.file`, and the queue's `storage` its handler.
#[test]
fn a_file_storage_queue_becomes_a_persistent_sending_queue() {
    let c = convert(STORAGE);
    assert!(c.diagnostics.is_empty(), "{:?}", messages(&c));
    let a = &c.alloy;
    assert!(a.contains("otelcol.storage.file \"queue\" {\n\tdirectory = \"/var/lib/otelcol/queue\"\n\tfsync     = true"), "{a}");
    assert!(a.contains("compaction {\n\t\ton_start = true"), "{a}");
    assert!(a.contains("storage = otelcol.storage.file.queue.handler"), "{a}");
    assert!(check_output("out.alloy", a).is_empty(), "{:?}", check_output("out.alloy", a));

    let missing = convert(&STORAGE.replace("storage: file_storage/queue", "storage: file_storage/other"));
    assert!(messages(&missing).iter().any(|m| m.contains("\"file_storage/other\", which is not configured")), "{:?}", messages(&missing));
    let other = convert(&STORAGE.replace("storage: file_storage/queue", "storage: db_storage"));
    assert!(messages(&other).iter().any(|m| m.contains("only file_storage can be converted")), "{:?}", messages(&other));
}

/// The dns and k8s resolvers of the loadbalancing exporter. (Checked here
/// rather than as a golden file, whose output must also run: the resolvers
/// are built on another branch.)
#[test]
fn loadbalancing_resolvers_convert() {
    let c = convert(
        "receivers:
  otlp:
    protocols:
      grpc:
exporters:
  loadbalancing/k8s:
    resolver:
      k8s:
        service: gateway-headless.observability
        ports: [4317, 14317]
        timeout: 2s
        return_hostnames: true
  loadbalancing/dns:
    resolver:
      dns:
        hostname: gateway-headless.observability.svc.cluster.local
        port: \"4317\"
        interval: 10s
        timeout: 1s
service:
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [loadbalancing/k8s, loadbalancing/dns]
",
    );
    assert!(c.diagnostics.is_empty(), "{:?}", messages(&c));
    let a = &c.alloy;
    assert!(a.contains("kubernetes {\n\t\t\tservice          = \"gateway-headless.observability\"\n\t\t\tports            = [4317, 14317]"), "{a}");
    assert!(a.contains("return_hostnames = true"), "{a}");
    assert!(
        a.contains("dns {\n\t\t\thostname = \"gateway-headless.observability.svc.cluster.local\"\n\t\t\tport     = \"4317\"\n\t\t\tinterval = \"10s\""),
        "{a}"
    );
}
