//! The `prometheus` exporter → `otelcol.exporter.prometheus` feeding a
//! `prometheus.expose` on the same endpoint; the `prometheusremotewrite`
//! exporter → `otelcol.exporter.prometheus` feeding `prometheus.remote_write`.

use solder_syntax::Diagnostic;

use crate::convert::emit::{list, quote, Block};
use crate::convert::options::{Diags, OptionReader, Ty};
use crate::convert::table::Ctx;
use crate::convert::yaml::Node;

pub fn convert_expose(ctx: &mut Ctx) -> Vec<Block> {
    let label = ctx.label;
    let mut r = OptionReader::new(ctx.owner, ctx.config, ctx.diags);
    let (owner, diags) = (ctx.owner, &mut *ctx.diags);
    let exporter = translation(&mut r, &format!("prometheus.expose.{label}.receiver"), label, diags);
    let mut expose = Block::labelled("prometheus.expose", label);
    match r.expr("endpoint", Ty::String, diags) {
        Some(e) => expose.attr("listen_address", super::listen_address(e)),
        None => {
            diags.push(Diagnostic::error(ctx.key_span, format!("{owner}: requires a non-empty \"endpoint\" to serve metrics on")));
            expose.attr("listen_address", quote(""));
        }
    }
    r.copy(&mut expose, "namespace", Ty::String, diags);
    r.copy(&mut expose, "const_labels", Ty::StringMap, diags);
    r.copy(&mut expose, "metric_expiration", Ty::Duration, diags);
    r.ignore(
        "enable_open_metrics",
        "prometheus.expose always serves OpenMetrics, exemplars included, to scrapers that ask for it, and the text format to others",
        diags,
    );
    r.ignore("send_timestamps", "prometheus.expose serves samples without timestamps; the scrape time is the sample time", diags);
    r.unsupported("tls", "prometheus.expose serves plain HTTP", diags);
    r.finish(diags);
    vec![exporter, expose]
}

pub fn convert_remote_write(ctx: &mut Ctx) -> Vec<Block> {
    let label = ctx.label;
    let mut r = OptionReader::new(ctx.owner, ctx.config, ctx.diags);
    let (owner, diags) = (ctx.owner, &mut *ctx.diags);
    let mut exporter = translation(&mut r, &format!("prometheus.remote_write.{label}.receiver"), label, diags);
    if let Some(mut t) = r.child("target_info", diags) {
        t.copy_as(&mut exporter, "enabled", "include_target_info", Ty::Bool, diags);
        t.finish(diags);
    }
    let mut remote_write = Block::labelled("prometheus.remote_write", label);
    let mut endpoint = Block::new("endpoint");
    match r.expr("endpoint", Ty::String, diags) {
        Some(e) => endpoint.attr("url", e),
        None => {
            diags.push(Diagnostic::error(ctx.key_span, format!("{owner}: requires a non-empty \"endpoint\"")));
            endpoint.attr("url", quote(""));
        }
    }
    r.copy(&mut endpoint, "headers", Ty::StringMap, diags);
    r.copy_as(&mut endpoint, "timeout", "remote_timeout", Ty::Duration, diags);
    r.copy(&mut endpoint, "proxy_url", Ty::String, diags);
    if let Some(e) = r.expr("send_metadata", Ty::Bool, diags) {
        let mut metadata = Block::new("metadata_config");
        metadata.attr("send", e);
        endpoint.block(metadata, true);
    }
    if let Some(t) = r.child("tls", diags) {
        endpoint.block(tls_config(t, diags), false);
    }
    if let Some((c, span)) = r.literal("compression", diags) {
        if c != "snappy" {
            diags.push(r.invalid(span, "compression", &format!("{c:?} is not supported: remote write requests are snappy-compressed")));
        }
    }
    r.copy(&mut remote_write, "external_labels", Ty::StringMap, diags);
    if let Some(a) = r.child("auth", diags) {
        credentials(a, ctx.extensions, &mut endpoint, diags);
    }
    remote_write.block(endpoint, true);
    for key in ["remote_write_queue", "retry_on_failure", "max_batch_size_bytes"] {
        r.ignore(key, "prometheus.remote_write queues, batches and retries with its own settings (its endpoint's queue_config)", diags);
    }
    r.unsupported("namespace", "prometheus.remote_write does not prefix metric names", diags);
    r.unsupported("wal", "prometheus.remote_write keeps its queue in memory", diags);
    r.unsupported("export_created_metric", "Solder does not send _created series", diags);
    r.finish(diags);
    vec![exporter, remote_write]
}

/// `otelcol.exporter.prometheus`, with the options both exporters share.
fn translation(r: &mut OptionReader, receiver: &str, label: &str, diags: &mut Diags) -> Block {
    let mut exporter = Block::labelled("otelcol.exporter.prometheus", label);
    exporter.attr("forward_to", list(&[receiver.to_string()]));
    r.copy(&mut exporter, "add_metric_suffixes", Ty::Bool, diags);
    if let Some(mut c) = r.child("resource_to_telemetry_conversion", diags) {
        c.copy_as(&mut exporter, "enabled", "resource_to_telemetry_conversion", Ty::Bool, diags);
        c.finish(diags);
    }
    exporter
}

/// The collector's client `tls` as a remote write endpoint's `tls_config`,
/// whose versions are spelled `TLS12`/`TLS13`.
fn tls_config(mut t: OptionReader, diags: &mut Diags) -> Block {
    let mut tls = Block::new("tls_config");
    for key in ["ca_file", "ca_pem", "cert_file", "cert_pem", "key_file", "key_pem"] {
        t.copy(&mut tls, key, Ty::String, diags);
    }
    t.copy(&mut tls, "insecure_skip_verify", Ty::Bool, diags);
    t.copy_as(&mut tls, "server_name_override", "server_name", Ty::String, diags);
    if let Some((v, span)) = t.literal("min_version", diags) {
        match v.as_str() {
            "1.2" => tls.attr("min_version", quote("TLS12")),
            "1.3" => tls.attr("min_version", quote("TLS13")),
            _ => diags.push(t.invalid(span, "min_version", &format!("must be \"1.2\" or \"1.3\", got {v:?}"))),
        }
    }
    t.ignore("insecure", "the URL's scheme decides whether remote write uses TLS", diags);
    t.finish(diags);
    tls
}

/// `auth: {authenticator: basicauth/x}`: the credentials of a `basicauth`
/// or `bearertokenauth` extension, as the endpoint's `basic_auth` block or
/// `bearer_token`. Other authenticators cannot be converted.
fn credentials(mut auth: OptionReader, extensions: Option<&Node>, endpoint: &mut Block, diags: &mut Diags) {
    let found = auth.literal("authenticator", diags);
    auth.finish_ref(diags);
    let Some((name, span)) = found else { return };
    let Some(ext) = extensions.and_then(|e| e.entries()).and_then(|entries| entries.iter().find(|e| e.key == name)) else {
        diags.push(auth.invalid(span, "authenticator", &format!("names extension {name:?}, which is not configured")));
        return;
    };
    let owner = format!("extension {name:?}");
    let mut x = OptionReader::nested(&owner, String::new(), &ext.value, diags);
    match name.split('/').next().unwrap_or_default() {
        "basicauth" => {
            if let Some(mut c) = x.child("client_auth", diags) {
                let mut basic = Block::new("basic_auth");
                c.copy(&mut basic, "username", Ty::String, diags);
                c.copy(&mut basic, "password", Ty::String, diags);
                c.finish(diags);
                endpoint.block(basic, true);
            }
            x.unsupported("htpasswd", "it checks incoming requests; remote write only sends", diags);
        }
        "bearertokenauth" => {
            x.copy_as(endpoint, "token", "bearer_token", Ty::String, diags);
            if let Some((scheme, span)) = x.literal("scheme", diags) {
                if scheme != "Bearer" {
                    diags.push(x.invalid(span, "scheme", &format!("{scheme:?} is not supported: prometheus.remote_write sends Bearer tokens")));
                }
            }
            x.unsupported("filename", "set bearer_token_file on the converted endpoint by hand", diags);
        }
        _ => {
            let msg = format!("{name:?} is not supported: only basicauth and bearertokenauth credentials can be converted");
            diags.push(auth.invalid(span, "authenticator", &msg));
            return;
        }
    }
    x.finish(diags);
}
