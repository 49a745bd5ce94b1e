//! The `prometheus` receiver → per scrape job a `prometheus.scrape`
//! (with `discovery.kubernetes` for its `kubernetes_sd_configs`,
//! `discovery.relabel` for its `relabel_configs` and `prometheus.relabel`
//! for its `metric_relabel_configs`), all feeding one
//! `otelcol.receiver.prometheus`.

use solder_syntax::Diagnostic;

use crate::convert::emit::{list, object, quote, sanitize_label, Block};
use crate::convert::options::{value_expr, Diags, OptionReader, Ty};
use crate::convert::table::Ctx;
use crate::convert::yaml::{Node, Value};

pub fn convert(ctx: &mut Ctx) -> Vec<Block> {
    let label = ctx.label;
    let receiver_ref = format!("otelcol.receiver.prometheus.{label}.receiver");
    let mut r = OptionReader::new(ctx.owner, ctx.config, ctx.diags);
    let (owner, diags) = (ctx.owner, &mut *ctx.diags);
    let mut blocks = Vec::new();
    let extra_metrics = r.expr("report_extra_scrape_metrics", Ty::Bool, diags);
    if let Some((v, span)) = r.literal("trim_metric_suffixes", diags) {
        if v != "false" {
            diags.push(r.invalid(span, "trim_metric_suffixes", "is not supported: otelcol.receiver.prometheus keeps metric names as scraped, as Alloy does"));
        }
    }
    for key in ["use_start_time_metric", "start_time_metric_regex"] {
        r.unsupported(key, "otelcol.receiver.prometheus sets start times from the first point and resets", diags);
    }
    r.unsupported("target_allocator", "Solder has no target allocator client; scrape with discovery.kubernetes instead", diags);
    r.unsupported("api_server", "Solder serves no Prometheus API from the receiver", diags);
    match r.child("config", diags) {
        Some(mut config) => {
            let global = Global::read(&mut config, diags);
            match config.take("scrape_configs").map(|e| &e.value) {
                Some(Node { value: Value::Seq(jobs), .. }) => {
                    for (i, job) in jobs.iter().enumerate() {
                        let mut j = OptionReader::nested(owner, format!("config.scrape_configs[{i}]."), job, diags);
                        blocks.extend(scrape_job(&mut j, label, &global, extra_metrics.as_deref(), &receiver_ref, diags));
                        j.finish(diags);
                    }
                }
                Some(other) => {
                    diags.push(Diagnostic::error(other.span, format!("{owner}: option \"config.scrape_configs\" must be a list, got {}", other.kind())))
                }
                None => diags.push(Diagnostic::error(ctx.key_span, format!("{owner}: has no config.scrape_configs: there is nothing to scrape"))),
            }
            config.unsupported("rule_files", "Solder evaluates no recording or alerting rules", diags);
            config.unsupported("scrape_config_files", "list the scrape configs inline", diags);
            config.finish(diags);
        }
        None => diags.push(Diagnostic::error(ctx.key_span, format!("{owner}: requires \"config\" with its scrape_configs"))),
    }
    r.finish(diags);
    let mut receiver = Block::labelled("otelcol.receiver.prometheus", label);
    receiver.block(ctx.output(), true);
    blocks.push(receiver);
    blocks
}

/// `config.global`: defaults for every job.
struct Global {
    scrape_interval: Option<String>,
    scrape_timeout: Option<String>,
}

impl Global {
    fn read(config: &mut OptionReader, diags: &mut Diags) -> Global {
        let Some(mut g) = config.child("global", diags) else { return Global { scrape_interval: None, scrape_timeout: None } };
        let out = Global { scrape_interval: g.expr("scrape_interval", Ty::Duration, diags), scrape_timeout: g.expr("scrape_timeout", Ty::Duration, diags) };
        g.ignore("evaluation_interval", "Solder evaluates no rules", diags);
        g.unsupported("external_labels", "add them with prometheus.relabel or on the exporter", diags);
        g.finish(diags);
        out
    }
}

/// One scrape job's components, the scrape last but one and the metric
/// relabelling (if any) last.
fn scrape_job(j: &mut OptionReader, receiver_label: &str, global: &Global, extra_metrics: Option<&str>, receiver: &str, diags: &mut Diags) -> Vec<Block> {
    let job_name = j.expr("job_name", Ty::String, diags);
    let raw_name = job_name.as_deref().map(|q| q.trim_matches('"').to_string()).unwrap_or_else(|| "job".into());
    let name = if receiver_label == "default" { sanitize_label(&raw_name) } else { sanitize_label(&format!("{receiver_label}_{raw_name}")) };
    let mut blocks = Vec::new();

    let mut sources = Vec::new();
    if let Some(entry) = j.take("kubernetes_sd_configs") {
        let items = seq(&entry.value);
        for (i, sd) in items.iter().enumerate() {
            let sd_label = if items.len() == 1 { name.clone() } else { format!("{name}_{i}") };
            let mut s = OptionReader::nested(j.owner(), format!("kubernetes_sd_configs[{i}]."), sd, diags);
            blocks.push(kubernetes(&mut s, &sd_label, diags));
            s.finish(diags);
            sources.push(format!("discovery.kubernetes.{sd_label}.targets"));
        }
    }
    if let Some(entry) = j.take("static_configs") {
        let targets = static_targets(&entry.value, diags);
        if !targets.is_empty() {
            sources.push(list(&targets));
        }
    }
    let mut targets = match sources.len() {
        0 => "[]".to_string(),
        1 => sources.remove(0),
        // One source per line, as Alloy's converter writes the call.
        _ => format!("array.concat(\n{},\n)", sources.join(",\n")),
    };
    if let Some(entry) = j.take("relabel_configs") {
        let mut relabel = Block::labelled("discovery.relabel", name.clone());
        relabel.attr("targets", targets);
        for b in rules(&entry.value, j.owner(), "relabel_configs", diags) {
            relabel.block(b, true);
        }
        blocks.push(relabel);
        targets = format!("discovery.relabel.{name}.output");
    }

    let metric_relabel = j.take("metric_relabel_configs").map(|entry| {
        let mut relabel = Block::labelled("prometheus.relabel", name.clone());
        relabel.attr("forward_to", list(&[receiver.to_string()]));
        for b in rules(&entry.value, j.owner(), "metric_relabel_configs", diags) {
            relabel.block(b, true);
        }
        relabel
    });

    let mut scrape = Block::labelled("prometheus.scrape", name.clone());
    scrape.attr("targets", targets);
    let forward = if metric_relabel.is_some() { format!("prometheus.relabel.{name}.receiver") } else { receiver.to_string() };
    scrape.attr("forward_to", list(&[forward]));
    if let Some(e) = job_name {
        scrape.attr("job_name", e);
    }
    let interval = j.expr("scrape_interval", Ty::Duration, diags).or_else(|| global.scrape_interval.clone());
    if let Some(e) = &interval {
        scrape.attr("scrape_interval", e.clone());
    }
    match j.expr("scrape_timeout", Ty::Duration, diags).or_else(|| global.scrape_timeout.clone()) {
        Some(e) => scrape.attr("scrape_timeout", e),
        // Prometheus caps an unset timeout at the interval; Alloy's 10 s
        // default does not, and refuses a shorter interval.
        None => {
            if let Some(e) = interval.filter(|e| shorter_than_default_timeout(e)) {
                scrape.attr("scrape_timeout", e);
            }
        }
    }
    for key in ["metrics_path", "scheme", "proxy_url", "no_proxy"] {
        j.copy(&mut scrape, key, Ty::String, diags);
    }
    for key in
        ["honor_labels", "honor_timestamps", "track_timestamps_staleness", "follow_redirects", "enable_http2", "enable_compression", "proxy_from_environment"]
    {
        j.copy(&mut scrape, key, Ty::Bool, diags);
    }
    for key in ["sample_limit", "label_limit", "label_name_length_limit", "label_value_length_limit", "target_limit"] {
        j.copy(&mut scrape, key, Ty::Int, diags);
    }
    j.copy(&mut scrape, "scrape_protocols", Ty::Strings, diags);
    if let Some(entry) = j.take("params") {
        if let Some(e) = params(&entry.value, diags) {
            scrape.attr("params", e);
        }
    }
    if let Some(e) = extra_metrics {
        scrape.attr("extra_metrics", e);
    }
    http_client(j, &mut scrape, diags);
    oauth2(j, &mut scrape, diags);
    blocks.push(scrape);
    blocks.extend(metric_relabel);
    blocks
}

fn seq(node: &Node) -> &[Node] {
    match &node.value {
        Value::Seq(items) => items,
        _ => &[],
    }
}

/// `static_configs` as target objects: each address with the group's
/// labels.
fn static_targets(node: &Node, diags: &mut Diags) -> Vec<String> {
    let mut out = Vec::new();
    for group in seq(node) {
        let Some(entries) = group.entries() else { continue };
        let mut labels: Vec<(String, String)> = Vec::new();
        if let Some(l) = entries.iter().find(|e| e.key == "labels") {
            for e in l.value.entries().unwrap_or_default() {
                if let Ok(Some(v)) = value_expr(&e.value, Ty::String) {
                    labels.push((e.key.clone(), v));
                }
            }
        }
        for e in entries.iter().filter(|e| e.key != "targets" && e.key != "labels") {
            diags.push(Diagnostic::error(e.key_span, format!("static_configs: option {:?} is not supported", e.key)));
        }
        let Some(t) = entries.iter().find(|e| e.key == "targets") else { continue };
        for address in seq(&t.value) {
            match value_expr(address, Ty::String) {
                Ok(Some(a)) => {
                    let mut fields = vec![("__address__".to_string(), a)];
                    fields.extend(labels.iter().cloned());
                    out.push(object(&fields));
                }
                Ok(None) => {}
                Err(msg) => diags.push(Diagnostic::error(address.span, format!("static_configs: a target {msg}"))),
            }
        }
    }
    out
}

/// `relabel_configs` items as Alloy `rule` blocks; actions are lowercase
/// in Alloy.
fn rules(node: &Node, owner: &str, what: &str, diags: &mut Diags) -> Vec<Block> {
    let mut out = Vec::new();
    for (i, item) in seq(node).iter().enumerate() {
        let mut r = OptionReader::nested(owner, format!("{what}[{i}]."), item, diags);
        let mut rule = Block::new("rule");
        r.copy(&mut rule, "source_labels", Ty::Strings, diags);
        r.copy(&mut rule, "separator", Ty::String, diags);
        r.copy(&mut rule, "regex", Ty::String, diags);
        r.copy(&mut rule, "modulus", Ty::Int, diags);
        r.copy(&mut rule, "target_label", Ty::String, diags);
        r.copy(&mut rule, "replacement", Ty::String, diags);
        if let Some((action, _)) = r.literal("action", diags) {
            rule.attr("action", quote(&action.to_lowercase()));
        }
        r.finish(diags);
        out.push(rule);
    }
    out
}

/// `params: {name: [values]}` as Alloy's `map(list(string))`.
fn params(node: &Node, diags: &mut Diags) -> Option<String> {
    let mut fields = Vec::new();
    for e in node.entries().unwrap_or_default() {
        match value_expr(&e.value, Ty::Strings) {
            Ok(Some(v)) => fields.push((e.key.clone(), v)),
            Ok(None) => {}
            Err(msg) => diags.push(Diagnostic::error(e.value.span, format!("params: {:?} {msg}", e.key))),
        }
    }
    Some(object(&fields))
}

/// `discovery.kubernetes` from one `kubernetes_sd_configs` item.
fn kubernetes(s: &mut OptionReader, label: &str, diags: &mut Diags) -> Block {
    let mut k = Block::labelled("discovery.kubernetes", label);
    s.copy(&mut k, "role", Ty::String, diags);
    s.copy(&mut k, "api_server", Ty::String, diags);
    s.copy(&mut k, "kubeconfig_file", Ty::String, diags);
    if let Some(mut n) = s.child("namespaces", diags) {
        let mut ns = Block::new("namespaces");
        n.copy(&mut ns, "own_namespace", Ty::Bool, diags);
        n.copy(&mut ns, "names", Ty::Strings, diags);
        n.finish(diags);
        k.block(ns, true);
    }
    if let Some(entry) = s.take("selectors") {
        for (i, item) in seq(&entry.value).iter().enumerate() {
            let mut sel = OptionReader::nested(s.owner(), format!("kubernetes_sd_configs.selectors[{i}]."), item, diags);
            let mut b = Block::new("selectors");
            for key in ["role", "label", "field"] {
                sel.copy(&mut b, key, Ty::String, diags);
            }
            sel.finish(diags);
            k.block(b, true);
        }
    }
    if let Some(mut a) = s.child("attach_metadata", diags) {
        let mut b = Block::new("attach_metadata");
        a.copy(&mut b, "node", Ty::Bool, diags);
        a.finish(diags);
        k.block(b, true);
    }
    http_client(s, &mut k, diags);
    k
}

/// The HTTP client options Prometheus configs share: auth and TLS.
fn http_client(r: &mut OptionReader, block: &mut Block, diags: &mut Diags) {
    r.copy(block, "bearer_token", Ty::String, diags);
    r.copy(block, "bearer_token_file", Ty::String, diags);
    if let Some(mut b) = r.child("basic_auth", diags) {
        let mut basic = Block::new("basic_auth");
        for key in ["username", "password", "password_file"] {
            b.copy(&mut basic, key, Ty::String, diags);
        }
        b.finish(diags);
        block.block(basic, true);
    }
    if let Some(mut a) = r.child("authorization", diags) {
        let mut auth = Block::new("authorization");
        for key in ["type", "credentials", "credentials_file"] {
            a.copy(&mut auth, key, Ty::String, diags);
        }
        a.finish(diags);
        block.block(auth, true);
    }
    if let Some(mut t) = r.child("tls_config", diags) {
        let mut tls = Block::new("tls_config");
        for key in ["ca_file", "cert_file", "key_file", "server_name", "min_version"] {
            t.copy(&mut tls, key, Ty::String, diags);
        }
        for (key, alloy) in [("ca", "ca_pem"), ("cert", "cert_pem"), ("key", "key_pem")] {
            t.copy_as(&mut tls, key, alloy, Ty::String, diags);
        }
        t.copy(&mut tls, "insecure_skip_verify", Ty::Bool, diags);
        t.finish(diags);
        block.block(tls, true);
    }
}

/// A scrape's `oauth2` block (discovery's clients have none in Solder).
fn oauth2(r: &mut OptionReader, block: &mut Block, diags: &mut Diags) {
    let Some(mut o) = r.child("oauth2", diags) else { return };
    let mut b = Block::new("oauth2");
    for key in ["client_id", "client_secret", "client_secret_file", "token_url", "proxy_url", "no_proxy"] {
        o.copy(&mut b, key, Ty::String, diags);
    }
    o.copy(&mut b, "scopes", Ty::Strings, diags);
    o.copy(&mut b, "endpoint_params", Ty::StringMap, diags);
    o.copy(&mut b, "proxy_from_environment", Ty::Bool, diags);
    o.finish(diags);
    block.block(b, true);
}

/// Whether a quoted duration is under Prometheus's default timeout (10 s).
fn shorter_than_default_timeout(quoted: &str) -> bool {
    solder_components::types::Duration::parse(quoted.trim_matches('"')).is_ok_and(|d| d.0 < std::time::Duration::from_secs(10))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::convert::emit::render;
    use crate::convert::ids::Signal;
    use crate::convert::yaml;

    /// The receiver's config converted alone, as formatted Alloy, with the
    /// messages.
    fn convert_config(config: &str) -> (String, Vec<String>) {
        let node = yaml::parse(config).unwrap();
        let outputs = BTreeMap::from([(Signal::Metrics, vec!["otelcol.processor.batch.default.input".to_string()])]);
        let mut diags = Vec::new();
        let mut ctx = Ctx {
            owner: "receiver \"prometheus\"",
            label: "default",
            config: &node,
            key_span: node.span,
            outputs: &outputs,
            extensions: None,
            diags: &mut diags,
        };
        let blocks = convert(&mut ctx);
        let text = solder_syntax::format_source(&render(&blocks)).unwrap();
        // Layout aside: the formatter's alignment is not what is tested.
        (text.split_whitespace().collect::<Vec<_>>().join(" "), diags.iter().map(|d| d.to_string()).collect())
    }

    #[test]
    fn static_targets_with_labels_feed_the_receiver() {
        let (a, d) = convert_config(
            "config:\n  global:\n    scrape_interval: 15s\n  scrape_configs:\n    - job_name: otel-collector\n      static_configs:\n        - targets: ['0.0.0.0:8888', 'b:9100']\n          labels: {env: prod}\n",
        );
        assert!(d.is_empty(), "{d:?}");
        assert!(a.contains("prometheus.scrape \"otel_collector\" {"), "{a}");
        assert!(a.contains("\"__address__\" = \"0.0.0.0:8888\", \"env\" = \"prod\","), "{a}");
        assert!(a.contains("\"__address__\" = \"b:9100\""), "{a}");
        assert!(a.contains("forward_to = [otelcol.receiver.prometheus.default.receiver]"), "{a}");
        assert!(a.contains("job_name = \"otel-collector\""), "{a}");
        assert!(a.contains("scrape_interval = \"15s\""), "the global interval applies: {a}");
        assert!(a.contains("otelcol.receiver.prometheus \"default\" { output { metrics = [otelcol.processor.batch.default.input]"), "{a}");
    }

    #[test]
    fn kubernetes_discovery_relabelling_and_metric_relabelling_chain() {
        let (a, d) = convert_config(
            "config:
  scrape_configs:
    - job_name: pods
      scrape_interval: 30s
      scrape_timeout: 5s
      metrics_path: /m
      scheme: https
      honor_labels: true
      sample_limit: 1000
      params: {module: [http_2xx]}
      bearer_token_file: /var/run/token
      tls_config: {ca_file: /ca.pem, insecure_skip_verify: true}
      kubernetes_sd_configs:
        - role: pod
          namespaces: {names: [default]}
          selectors: [{role: pod, field: spec.nodeName=node-1}]
      relabel_configs:
        - source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_scrape]
          regex: 'true'
          action: Keep
        - source_labels: [__address__]
          modulus: 4
          target_label: __tmp_hash
          action: hashmod
      metric_relabel_configs:
        - source_labels: [__name__]
          regex: go_.*
          action: drop
",
        );
        assert!(d.is_empty(), "{d:?}");
        let order: Vec<usize> = [
            "discovery.kubernetes \"pods\"",
            "discovery.relabel \"pods\"",
            "prometheus.scrape \"pods\"",
            "prometheus.relabel \"pods\"",
            "otelcol.receiver.prometheus",
        ]
        .iter()
        .map(|b| a.find(b).unwrap_or_else(|| panic!("no {b} in {a}")))
        .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{a}");
        assert!(a.contains("role = \"pod\""), "{a}");
        assert!(a.contains("namespaces { names = [\"default\"]"), "{a}");
        assert!(a.contains("selectors { role = \"pod\" field = \"spec.nodeName=node-1\""), "{a}");
        assert!(a.contains("targets = discovery.kubernetes.pods.targets"), "{a}");
        assert!(a.contains("action = \"keep\""), "actions are lowercased: {a}");
        assert!(a.contains("modulus = 4"), "{a}");
        assert!(a.contains("targets = discovery.relabel.pods.output"), "{a}");
        assert!(a.contains("forward_to = [prometheus.relabel.pods.receiver]"), "{a}");
        assert!(a.contains("params = { \"module\" = [\"http_2xx\"],"), "{a}");
        assert!(a.contains("bearer_token_file = \"/var/run/token\""), "{a}");
        assert!(a.contains("tls_config { ca_file = \"/ca.pem\" insecure_skip_verify = true"), "{a}");
        assert!(a.contains("prometheus.relabel \"pods\" { forward_to = [otelcol.receiver.prometheus.default.receiver]"), "{a}");
        for want in ["scrape_timeout = \"5s\"", "metrics_path = \"/m\"", "scheme = \"https\"", "honor_labels = true", "sample_limit = 1000"] {
            assert!(a.contains(want), "{want} in {a}");
        }
    }

    #[test]
    fn a_scrapes_oauth2_block_converts() {
        let (a, d) = convert_config(
            "config:\n  scrape_configs:\n    - job_name: j\n      static_configs: [{targets: [a:1]}]\n      oauth2:\n        client_id: agent\n        client_secret: s3cret\n        token_url: https://idp/token\n        scopes: [read]\n        endpoint_params: {audience: metrics}\n",
        );
        assert!(d.is_empty(), "{d:?}");
        assert!(a.contains("oauth2 { client_id = \"agent\" client_secret = \"s3cret\" token_url = \"https://idp/token\" scopes = [\"read\"] endpoint_params = { \"audience\" = \"metrics\", } }"), "{a}");
    }

    #[test]
    fn static_and_discovered_targets_are_concatenated() {
        let (a, d) = convert_config(
            "config:\n  scrape_configs:\n    - job_name: j\n      kubernetes_sd_configs: [{role: node}]\n      static_configs: [{targets: [a:1]}]\n",
        );
        assert!(d.is_empty(), "{d:?}");
        assert!(a.contains("targets = array.concat( discovery.kubernetes.j.targets, [{ \"__address__\" = \"a:1\", }], )"), "{a}");
    }

    #[test]
    fn what_has_no_equivalent_is_reported_at_its_line() {
        let (_, d) = convert_config(
            "trim_metric_suffixes: true\ntarget_allocator: {endpoint: x}\nconfig:\n  scrape_configs:\n    - job_name: j\n      file_sd_configs: [{files: [a.json]}]\n      relabel_configs: [{action: replace, bogus: 1}]\n",
        );
        let all = d.join("\n");
        assert!(all.contains("\"trim_metric_suffixes\" is not supported"), "{all}");
        assert!(all.contains("\"target_allocator\" is not supported"), "{all}");
        assert!(all.contains("\"config.scrape_configs[0].file_sd_configs\" is not supported"), "{all}");
        assert!(all.contains("\"relabel_configs[0].bogus\" is not supported"), "{all}");
    }
}
