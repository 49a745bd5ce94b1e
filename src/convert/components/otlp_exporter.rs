//! `otlp` exporter → `otelcol.exporter.otlp`, `otlphttp` exporter →
//! `otelcol.exporter.otlphttp`.

use solder_syntax::Diagnostic;

use super::auth::{self, Side};
use super::{delivery, tls};
use crate::convert::emit::{quote, Block};
use crate::convert::options::{Diags, OptionReader, Ty};
use crate::convert::table::Ctx;

/// Options of `tls` that configs sometimes put beside it.
pub const TLS_KEYS: &[&str] = &["insecure", "insecure_skip_verify", "ca_file", "cert_file", "key_file", "server_name_override"];
const BUFFERS: &str = "Solder sizes its buffers and connection pools itself";

pub fn convert_grpc(ctx: &mut Ctx) -> Vec<Block> {
    let mut block = Block::labelled("otelcol.exporter.otlp", ctx.label);
    let mut r = OptionReader::new(ctx.owner, ctx.config, ctx.diags);
    let diags = &mut *ctx.diags;
    let mut client = Block::new("client");
    endpoint(&mut r, &mut client, ctx.owner, ctx.key_span, diags);
    grpc_client(&mut r, &mut client, ctx.extensions, diags);
    r.copy(&mut block, "timeout", Ty::Duration, diags);
    r.misplaced(TLS_KEYS, "tls", diags);
    block.block(client, true);
    for b in delivery::blocks(&mut r, ctx.extensions, diags) {
        block.block(b, false);
    }
    r.finish(diags);
    vec![block]
}

/// The gRPC client's options besides `endpoint`: also the client of every
/// backend of the `loadbalancing` exporter.
pub fn grpc_client(r: &mut OptionReader, client: &mut Block, extensions: Option<&crate::convert::yaml::Node>, diags: &mut Diags) {
    compression(r, client, &["gzip", "zstd", "none"], diags);
    r.copy(client, "headers", Ty::StringMap, diags);
    r.copy(client, "authority", Ty::String, diags);
    if let Some(t) = r.child("tls", diags) {
        client.block(tls::client(t, diags), false);
    }
    if let Some(mut k) = r.child("keepalive", diags) {
        let mut keepalive = Block::new("keepalive");
        k.copy_as(&mut keepalive, "time", "ping_wait", Ty::Duration, diags);
        k.copy_as(&mut keepalive, "timeout", "ping_response_timeout", Ty::Duration, diags);
        k.copy_as(&mut keepalive, "permit_without_stream", "ping_without_stream", Ty::Bool, diags);
        k.finish(diags);
        client.block(keepalive, false);
    }
    r.ignore("balancer_name", "Solder keeps one HTTP/2 connection per endpoint", diags);
    r.ignore("read_buffer_size", BUFFERS, diags);
    r.ignore("write_buffer_size", BUFFERS, diags);
    r.ignore("wait_for_ready", "Solder's sending queue waits for the connection instead", diags);
    if let Some(a) = r.child("auth", diags) {
        if let Some(handler) = auth::handler(a, extensions, Side::Client, diags) {
            client.attr("auth", handler);
        }
    }
}

pub fn convert_http(ctx: &mut Ctx) -> Vec<Block> {
    let mut block = Block::labelled("otelcol.exporter.otlphttp", ctx.label);
    let mut r = OptionReader::new(ctx.owner, ctx.config, ctx.diags);
    let diags = &mut *ctx.diags;
    let mut client = Block::new("client");
    endpoint(&mut r, &mut client, ctx.owner, ctx.key_span, diags);
    r.copy(&mut client, "timeout", Ty::Duration, diags);
    compression(&mut r, &mut client, &["gzip", "zstd", "deflate", "zlib", "none"], diags);
    r.copy(&mut client, "headers", Ty::StringMap, diags);
    r.copy(&mut client, "idle_conn_timeout", Ty::Duration, diags);
    r.copy(&mut client, "disable_keep_alives", Ty::Bool, diags);
    r.copy(&mut client, "proxy_url", Ty::String, diags);
    if let Some(t) = r.child("tls", diags) {
        client.block(tls::client(t, diags), false);
    }
    for key in [
        "read_buffer_size",
        "write_buffer_size",
        "max_idle_conns",
        "max_idle_conns_per_host",
        "max_conns_per_host",
        "http2_read_idle_timeout",
        "http2_ping_timeout",
    ] {
        r.ignore(key, BUFFERS, diags);
    }
    if let Some(a) = r.child("auth", diags) {
        if let Some(handler) = auth::handler(a, ctx.extensions, Side::Client, diags) {
            client.attr("auth", handler);
        }
    }
    r.unsupported("cookies", "Solder's HTTP client keeps no cookies", diags);
    r.unsupported("compression_params", "Solder compresses at the default level", diags);
    for key in ["traces_endpoint", "metrics_endpoint", "logs_endpoint"] {
        r.copy(&mut block, key, Ty::String, diags);
    }
    r.misplaced(TLS_KEYS, "tls", diags);
    if let Some((encoding, span)) = r.literal("encoding", diags) {
        if encoding == "proto" {
            block.attr("encoding", quote("proto"));
        } else {
            diags.push(r.invalid(span, "encoding", &format!("{encoding:?} is not supported: Solder forwards OTLP as protobuf only")));
        }
    }
    block.block(client, true);
    for b in delivery::blocks(&mut r, ctx.extensions, diags) {
        block.block(b, false);
    }
    r.finish(diags);
    vec![block]
}

/// `endpoint`, which both exporters require.
fn endpoint(r: &mut OptionReader, client: &mut Block, owner: &str, key_span: solder_syntax::Span, diags: &mut Diags) {
    let present = r.has("endpoint");
    match r.expr("endpoint", Ty::String, diags) {
        Some(e) => client.attr("endpoint", e),
        None => {
            if !present {
                diags.push(Diagnostic::error(key_span, format!("{owner}: requires a non-empty \"endpoint\"")));
            }
            client.attr("endpoint", quote(""));
        }
    }
}

/// `compression`, checked against what the Solder exporter can send.
fn compression(r: &mut OptionReader, client: &mut Block, allowed: &[&str], diags: &mut Diags) {
    let Some((c, span)) = r.literal("compression", diags) else {
        return;
    };
    let c = if c.is_empty() { "none".to_string() } else { c };
    if allowed.contains(&c.as_str()) {
        client.attr("compression", quote(&c));
    } else {
        diags.push(r.invalid(span, "compression", &format!("{c:?} is not supported; Solder sends {}", allowed.join(", "))));
    }
}
