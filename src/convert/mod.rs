//! Translation of OpenTelemetry Collector YAML into Alloy, for
//! `solder convert --source-format=otelcol` and
//! `solder run --config.format=otelcol`.
//!
//! The stages, each in its own file:
//! 1. `yaml`: the YAML read into a tree that keeps every key's span;
//! 2. `service`: the pipelines, telemetry and extensions of `service`;
//! 3. `wiring`: pipelines turned into each component's outputs;
//! 4. `table` and `components`: each component's options converted, with
//!    `options` reporting what is unsupported and `env` turning variable
//!    references into `sys.env` calls;
//! 5. `emit`: the blocks written out and formatted by Solder's formatter.
//!
//! Output follows Alloy's converter: labels come from component IDs
//! (`otlp` → `"default"`, `otlp/jaeger` → `"jaeger"`), receivers come
//! first, then processors, exporters and connectors. Every diagnostic
//! points into the YAML.

mod components;
mod emit;
mod env;
mod ids;
mod options;
mod redact;
mod service;
mod table;
mod wiring;
mod yaml;

use std::sync::Arc;

use solder_syntax::diagnostic::attach_source;
use solder_syntax::{Diagnostic, SourceFile, Span};

use emit::Block;
use ids::{ComponentId, Kind};
use options::Diags;
use table::Ctx;
use wiring::Def;
use yaml::Node;

/// The converted config and everything worth saying about it, sorted by
/// position in the YAML. The text is best effort when there are errors:
/// unsupported components and options are left out of it.
pub struct Conversion {
    pub alloy: String,
    pub diagnostics: Vec<Diagnostic>,
}

impl Conversion {
    pub fn has_errors(&self) -> bool {
        solder_syntax::diagnostic::has_errors(&self.diagnostics)
    }

    /// Whether an error must stop the conversion even when errors are
    /// bypassed: a receiver's `auth` that could not be converted.
    pub fn refuses_bypass(&self) -> bool {
        self.diagnostics.iter().any(|d| d.is_error() && d.help.as_deref() == Some(components::auth::NO_BYPASS))
    }
}

/// Converts a collector config.
pub fn otelcol(src: &Arc<SourceFile>) -> Conversion {
    let mut diags = Diags::new();
    let blocks = translate(&src.text, &mut diags);
    let text = emit::render(&blocks);
    let shown = redact::mask(src);
    attach_source(&mut diags, &shown);
    let alloy = match solder_syntax::format_source(&text) {
        Ok(formatted) => formatted,
        Err(errors) => {
            // A converter wrote something that is not Alloy: a bug here, but
            // the user still gets the text and where it breaks.
            let out = SourceFile::new(format!("{} (converted)", src.name), text.clone());
            diags.extend(errors.into_iter().map(|d| d.with_source(&out)));
            text
        }
    };
    diags.sort_by_key(|d| (d.source.as_ref().map(|s| !Arc::ptr_eq(s, &shown)), d.span.start));
    diags.dedup();
    Conversion { alloy, diagnostics: diags }
}

fn translate(src: &str, diags: &mut Diags) -> Vec<Block> {
    let root = match yaml::parse(src) {
        Ok(root) => root,
        Err(d) => {
            diags.push(d);
            return Vec::new();
        }
    };
    let Some(sections) = root.entries() else {
        diags.push(Diagnostic::error(root.span, format!("a collector config is a mapping of sections, got {}", root.kind())));
        return Vec::new();
    };
    let mut defs: Vec<Def> = Vec::new();
    let mut service_node = None;
    let mut extensions = None;
    for section in sections {
        let kind = match section.key.as_str() {
            "receivers" => Kind::Receiver,
            "processors" => Kind::Processor,
            "exporters" => Kind::Exporter,
            "connectors" => Kind::Connector,
            "service" => {
                service_node = Some(&section.value);
                continue;
            }
            "extensions" => {
                extensions = Some(&section.value);
                continue;
            }
            other => {
                diags.push(
                    Diagnostic::error(section.key_span, format!("unknown top-level key {other:?}"))
                        .with_help("a collector config has receivers, processors, exporters, connectors, extensions and service"),
                );
                continue;
            }
        };
        read_section(kind, &section.value, &mut defs, diags);
    }
    let service = service::read(service_node, Span::at(src.len()), diags);
    let wiring = wiring::wire(&defs, &service.pipelines, diags);
    report_defs(&defs, &wiring.used, diags);

    let mut blocks: Vec<Block> = service.logging.into_iter().collect();
    for inst in &wiring.instances {
        let def = &defs[inst.def];
        let Some(entry) = def.entry else { continue };
        let owner = format!("{} {:?}", def.kind.noun(), def.id.to_string());
        let mut ctx = Ctx { owner: &owner, label: &inst.label, config: def.config, key_span: def.key_span, outputs: &inst.outputs, extensions, diags };
        blocks.extend((entry.convert)(&mut ctx));
    }
    // Authenticators become components only where an `auth` names them:
    // one used by prometheusremotewrite alone has its credentials copied.
    let rendered = emit::render(&blocks);
    let used = |reference: &str| rendered.contains(reference);
    report_extensions(extensions, service.extensions, &used, diags);
    let mut handlers = components::auth::extensions(extensions, &used, diags);
    handlers.extend(components::storage::extensions(extensions, &used, diags));
    let at = blocks.iter().take_while(|b| b.name == "logging").count();
    blocks.splice(at..at, handlers);
    blocks
}

fn read_section<'a>(kind: Kind, node: &'a Node, defs: &mut Vec<Def<'a>>, diags: &mut Diags) {
    let Some(entries) = node.entries() else {
        diags.push(Diagnostic::error(node.span, format!("{} must be a mapping of component IDs to configs, got {}", kind.section(), node.kind())));
        return;
    };
    for e in entries {
        match ComponentId::parse(&e.key) {
            Ok(id) if defs.iter().any(|d| d.kind == kind && d.id == id) => {
                diags.push(Diagnostic::error(e.key_span, format!("{} {:?} is defined twice", kind.noun(), e.key)));
            }
            Ok(id) => {
                let entry = table::lookup(kind, &id.ty);
                defs.push(Def { kind, id, key_span: e.key_span, config: &e.value, entry });
            }
            Err(msg) => diags.push(Diagnostic::error(e.key_span, format!("{}: {msg}", kind.section()))),
        }
    }
}

/// Unused components are left out with a warning, as the Collector ignores
/// them; used ones Solder cannot convert are errors.
fn report_defs(defs: &[Def], used: &[bool], diags: &mut Diags) {
    for (d, used) in defs.iter().zip(used) {
        let id = d.id.to_string();
        if !used {
            diags.push(Diagnostic::warning(
                d.key_span,
                format!("{} {id:?} is not used in any pipeline; it is not converted, as the Collector ignores it too", d.kind.noun()),
            ));
        } else if d.entry.is_none() {
            diags.push(
                Diagnostic::error(d.key_span, format!("unsupported {} {id:?}", d.kind.noun()))
                    .with_span_label(format!("no Solder component converts {} {:?}", d.kind.noun(), d.id.ty))
                    .with_help(table::advice(d.kind, &d.id.ty)),
            );
        }
    }
}

/// Extensions that did not become a component (an authenticator no
/// `auth` names, or any other) are named in a warning, with what Solder
/// offers instead.
fn report_extensions(defined: Option<&Node>, enabled: Option<&Node>, used: &dyn Fn(&str) -> bool, diags: &mut Diags) {
    let converted = |key: &str| components::auth::reference(key).or_else(|| components::storage::reference(key)).is_some_and(|r| used(&r));
    for e in defined.and_then(Node::entries).unwrap_or_default().iter().filter(|e| !converted(&e.key)) {
        let instead = match e.key.split('/').next().unwrap_or_default() {
            "basicauth" | "bearertokenauth" => "its credentials are copied into the prometheusremotewrite exporters that use it, and it becomes an otelcol.auth component where a receiver's or exporter's auth names it",
            "health_check" => "Solder serves /-/healthy and /-/ready on --server.http.listen-addr",
            "zpages" | "pprof" => "Solder's /api/v0/web endpoints and /metrics show what the agent is doing",
            "file_storage" => "it becomes an otelcol.storage.file component where an exporter's sending_queue.storage names it",
            _ => "Solder has no extensions",
        };
        diags.push(Diagnostic::warning(e.key_span, format!("extension {:?} is not converted: {instead}", e.key)));
    }
    if let Some(node) = enabled.filter(|n| !n.is_null() && defined.is_none()) {
        diags.push(Diagnostic::warning(node.span, "service.extensions is not converted: Solder has no extensions"));
    }
}

/// Checks the converted text as `solder run` would load it, without
/// building anything: that it parses, names only known components and
/// refers only to what exists. Problems point into the converted text.
pub fn check_output(name: &str, alloy: &str) -> Vec<Diagnostic> {
    let file = SourceFile::new(name, alloy);
    match crate::runtime::load(vec![file], &solder_components::Registry::builtin()) {
        Ok(_) => Vec::new(),
        Err(diags) => diags,
    }
}

#[cfg(test)]
mod tests;
