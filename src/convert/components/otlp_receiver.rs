//! `otlp` receiver → `otelcol.receiver.otlp`.

use solder_syntax::Diagnostic;

use super::auth::{self, Side};
use super::{listen_address, tls};
use crate::convert::emit::{quote, Block};
use crate::convert::options::{Diags, OptionReader, Ty};
use crate::convert::table::Ctx;
use crate::convert::yaml::Node;

/// The Collector listens on localhost unless told otherwise (since v0.104);
/// the converted config keeps that, as Alloy's converter does.
const GRPC_ENDPOINT: &str = "localhost:4317";
const HTTP_ENDPOINT: &str = "localhost:4318";
const BUFFERS: &str = "Solder sizes its socket buffers itself";
/// What `include_metadata: true` does in Solder: the client's address
/// travels either way (as the Collector's `client.Info.Addr` does), the
/// request headers not yet.
const HEADERS_NOT_CARRIED: &str =
    "is converted, but Solder's pipelines carry only the client's address (always, as the Collector does), not its request headers yet";

pub fn convert(ctx: &mut Ctx) -> Vec<Block> {
    let mut block = Block::labelled("otelcol.receiver.otlp", ctx.label);
    let mut r = OptionReader::new(ctx.owner, ctx.config, ctx.diags);
    let mut servers = 0;
    if let Some(mut protocols) = r.child("protocols", ctx.diags) {
        if let Some(g) = protocols.child("grpc", ctx.diags) {
            block.block(grpc(g, ctx.extensions, ctx.diags), true);
            servers += 1;
        }
        if let Some(h) = protocols.child("http", ctx.diags) {
            block.block(http(h, ctx.extensions, ctx.diags), true);
            servers += 1;
        }
        protocols.finish(ctx.diags);
    }
    r.misplaced(&["grpc", "http"], "protocols", ctx.diags);
    r.finish(ctx.diags);
    if servers == 0 {
        ctx.diags.push(
            Diagnostic::error(ctx.key_span, format!("{}: must specify at least one protocol when using the OTLP receiver", ctx.owner))
                .with_help("add protocols: {grpc: {}} or protocols: {http: {}}"),
        );
    }
    block.block(ctx.output(), true);
    vec![block]
}

fn grpc(mut r: OptionReader, extensions: Option<&Node>, diags: &mut Diags) -> Block {
    let mut b = Block::new("grpc");
    let endpoint = r.expr("endpoint", Ty::String, diags).map_or_else(|| quote(GRPC_ENDPOINT), listen_address);
    b.attr("endpoint", endpoint);
    if let Some((mib, span)) = r.literal("max_recv_msg_size_mib", diags) {
        match mib.parse::<u64>() {
            Ok(n) => b.attr("max_recv_msg_size", quote(&format!("{n}MiB"))),
            Err(_) => diags.push(r.invalid(span, "max_recv_msg_size_mib", &format!("must be a whole number of MiB, got {mib:?}"))),
        }
    }
    r.copy(&mut b, "max_concurrent_streams", Ty::Int, diags);
    if let Some((transport, span)) = r.literal("transport", diags) {
        if transport != "tcp" {
            diags.push(r.invalid(span, "transport", &format!("{transport:?} is not supported: Solder listens on TCP only")));
        }
    }
    r.ignore("read_buffer_size", BUFFERS, diags);
    r.ignore("write_buffer_size", BUFFERS, diags);
    r.unsupported("keepalive", "Solder uses the HTTP/2 server's keepalive defaults", diags);
    include_metadata(&mut r, &mut b, diags);
    if let Some(a) = r.child("auth", diags) {
        if let Some(handler) = auth::handler(a, extensions, Side::Server, diags) {
            b.attr("auth", handler);
        }
    }
    if let Some(t) = r.child("tls", diags) {
        b.block(tls::server(t, diags), true);
    }
    r.finish(diags);
    b
}

fn http(mut r: OptionReader, extensions: Option<&Node>, diags: &mut Diags) -> Block {
    let mut b = Block::new("http");
    let endpoint = r.expr("endpoint", Ty::String, diags).map_or_else(|| quote(HTTP_ENDPOINT), listen_address);
    b.attr("endpoint", endpoint);
    r.copy(&mut b, "max_request_body_size", Ty::Int, diags);
    r.copy(&mut b, "compression_algorithms", Ty::Strings, diags);
    r.copy(&mut b, "traces_url_path", Ty::String, diags);
    r.copy(&mut b, "metrics_url_path", Ty::String, diags);
    r.copy(&mut b, "logs_url_path", Ty::String, diags);
    for key in ["read_timeout", "read_header_timeout", "write_timeout", "idle_timeout"] {
        r.ignore(key, "Solder's HTTP server uses its own timeouts", diags);
    }
    if let Some(mut c) = r.child("cors", diags) {
        let mut cors = Block::new("cors");
        c.copy(&mut cors, "allowed_origins", Ty::Strings, diags);
        c.copy(&mut cors, "allowed_headers", Ty::Strings, diags);
        c.copy(&mut cors, "max_age", Ty::Int, diags);
        c.finish(diags);
        b.block(cors, true);
    }
    r.unsupported("response_headers", "Solder's OTLP/HTTP server sets no custom response headers", diags);
    include_metadata(&mut r, &mut b, diags);
    if let Some(a) = r.child("auth", diags) {
        if let Some(handler) = auth::handler(a, extensions, Side::Server, diags) {
            b.attr("auth", handler);
        }
    }
    if let Some(t) = r.child("tls", diags) {
        b.block(tls::server(t, diags), true);
    }
    r.finish(diags);
    b
}

/// `include_metadata` as it is, with a warning when it is on: whatever
/// downstream expects of the headers is not there.
fn include_metadata(r: &mut OptionReader, b: &mut Block, diags: &mut Diags) {
    let span = r.key_span("include_metadata");
    let Some(on) = r.expr("include_metadata", Ty::Bool, diags) else { return };
    if let (Some(span), false) = (span, on == "false") {
        diags.push(r.caveat(span, "include_metadata", HEADERS_NOT_CARRIED));
    }
    b.attr("include_metadata", on);
}
