//! `loadbalancing` (and `load_balancing`) exporter →
//! `otelcol.exporter.loadbalancing`.

use solder_syntax::Diagnostic;

use super::{delivery, otlp_exporter};
use crate::convert::emit::{quote, Block};
use crate::convert::options::{OptionReader, Ty};
use crate::convert::table::Ctx;

const KEYS: &[&str] = &["traceID", "service", "resource", "metric", "streamID"];

pub fn convert(ctx: &mut Ctx) -> Vec<Block> {
    let mut block = Block::labelled("otelcol.exporter.loadbalancing", ctx.label);
    let mut r = OptionReader::new(ctx.owner, ctx.config, ctx.diags);
    let diags = &mut *ctx.diags;
    if let Some((key, span)) = r.literal("routing_key", diags) {
        if KEYS.contains(&key.as_str()) {
            block.attr("routing_key", quote(&key));
        } else {
            diags.push(r.invalid(span, "routing_key", &format!("{key:?} is not supported; Solder routes by {}", KEYS.join(", "))));
        }
    }
    r.unsupported("routing_attributes", "Solder routes by the routing_key values only", diags);
    r.copy(&mut block, "timeout", Ty::Duration, diags);
    for key in ["sending_queue", "retry_on_failure"] {
        r.ignore(
            key,
            "the queue in front of the ring is not needed: when a backend leaves the ring, Solder re-routes what it held to the new owners; queue and retry are set per backend under protocol.otlp",
            diags,
        );
    }

    let mut resolver = Block::new("resolver");
    match r.child("resolver", diags) {
        None => diags.push(Diagnostic::error(ctx.key_span, format!("{}: requires a \"resolver\"", ctx.owner))),
        Some(mut res) => {
            if let Some(mut s) = res.child("static", diags) {
                let mut b = Block::new("static");
                s.copy(&mut b, "hostnames", Ty::Strings, diags);
                s.finish(diags);
                resolver.block(b, true);
            }
            if let Some(mut d) = res.child("dns", diags) {
                let mut b = Block::new("dns");
                d.copy(&mut b, "hostname", Ty::String, diags);
                d.copy(&mut b, "port", Ty::String, diags);
                d.copy(&mut b, "interval", Ty::Duration, diags);
                d.copy(&mut b, "timeout", Ty::Duration, diags);
                d.finish(diags);
                resolver.block(b, true);
            }
            if let Some(mut k) = res.child("k8s", diags) {
                let mut b = Block::new("kubernetes");
                k.copy(&mut b, "service", Ty::String, diags);
                k.copy(&mut b, "ports", Ty::Ints, diags);
                k.copy(&mut b, "timeout", Ty::Duration, diags);
                k.copy(&mut b, "return_hostnames", Ty::Bool, diags);
                k.finish(diags);
                resolver.block(b, true);
            }
            res.unsupported("aws_cloud_map", "Solder resolves backends by a static list, DNS or Kubernetes", diags);
            res.unsupported("dnssrvnoa", "Solder resolves backends by a static list, DNS or Kubernetes", diags);
            res.finish(diags);
        }
    }
    block.block(resolver, true);

    let mut otlp = Block::new("otlp");
    let mut client = Block::new("client");
    let mut delivery = Vec::new();
    if let Some(mut protocol) = r.child("protocol", diags) {
        if let Some(mut o) = protocol.child("otlp", diags) {
            o.ignore("endpoint", "each backend's endpoint comes from the resolver", diags);
            otlp_exporter::grpc_client(&mut o, &mut client, ctx.extensions, diags);
            o.copy(&mut otlp, "timeout", Ty::Duration, diags);
            o.misplaced(otlp_exporter::TLS_KEYS, "tls", diags);
            delivery = delivery::blocks(&mut o, ctx.extensions, diags);
            o.finish(diags);
        }
        protocol.finish(diags);
    }
    otlp.block(client, true);
    for mut b in delivery {
        // The same blocks, under the names Alloy gives them here.
        b.name = if b.name == "sending_queue" { "queue".into() } else { "retry".into() };
        otlp.block(b, false);
    }
    let mut protocol = Block::new("protocol");
    protocol.block(otlp, true);
    block.block(protocol, true);
    r.finish(diags);
    vec![block]
}
