//! `debug` exporter, and the deprecated `logging` exporter, →
//! `otelcol.exporter.debug`.

use solder_syntax::Diagnostic;

use crate::convert::emit::{quote, Block};
use crate::convert::options::{Diags, OptionReader, Ty};
use crate::convert::table::Ctx;

pub fn convert(ctx: &mut Ctx) -> Vec<Block> {
    let mut block = Block::labelled("otelcol.exporter.debug", ctx.label);
    let mut r = OptionReader::new(ctx.owner, ctx.config, ctx.diags);
    verbosity(&mut r, &mut block, ctx.diags);
    common(&mut r, &mut block, ctx.diags);
    r.copy(&mut block, "use_internal_logger", Ty::Bool, ctx.diags);
    r.finish(ctx.diags);
    vec![block]
}

/// The `logging` exporter was the debug exporter's first name. Its
/// `loglevel` maps to a verbosity as the Collector mapped it.
pub fn convert_logging(ctx: &mut Ctx) -> Vec<Block> {
    ctx.diags.push(
        Diagnostic::warning(
            ctx.key_span,
            format!("{}: the logging exporter is deprecated (removed in Collector v0.111); converted to otelcol.exporter.debug", ctx.owner),
        )
        .with_help("rename it to debug in the collector config too"),
    );
    let mut block = Block::labelled("otelcol.exporter.debug", ctx.label);
    let mut r = OptionReader::new(ctx.owner, ctx.config, ctx.diags);
    let had_verbosity = r.has("verbosity");
    verbosity(&mut r, &mut block, ctx.diags);
    if let Some((level, span)) = r.literal("loglevel", ctx.diags) {
        let v = match level.to_ascii_lowercase().as_str() {
            "debug" => Some("detailed"),
            "info" => Some("normal"),
            "warn" | "error" => Some("basic"),
            _ => None,
        };
        match v {
            Some(v) if !had_verbosity => block.attr("verbosity", quote(v)),
            Some(_) => {}
            None => ctx.diags.push(r.invalid(span, "loglevel", &format!("must be debug, info, warn or error, got {level:?}"))),
        }
    }
    common(&mut r, &mut block, ctx.diags);
    r.finish(ctx.diags);
    vec![block]
}

fn verbosity(r: &mut OptionReader, block: &mut Block, diags: &mut Diags) {
    if let Some((v, span)) = r.literal("verbosity", diags) {
        let v = v.to_ascii_lowercase();
        if matches!(v.as_str(), "basic" | "normal" | "detailed") {
            block.attr("verbosity", quote(&v));
        } else {
            diags.push(r.invalid(span, "verbosity", &format!("must be basic, normal or detailed, got {v:?}")));
        }
    }
}

fn common(r: &mut OptionReader, block: &mut Block, diags: &mut Diags) {
    r.copy(block, "sampling_initial", Ty::Int, diags);
    r.copy(block, "sampling_thereafter", Ty::Int, diags);
}
