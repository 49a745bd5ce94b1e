//! The `service` section: pipelines, and the extensions and telemetry
//! settings that have no component of their own.

use solder_syntax::{Diagnostic, Span};

use super::emit::{quote, Block};
use super::ids::{ComponentId, Signal};
use super::options::Diags;
use super::yaml::{Node, Value};

/// A component named in a pipeline, and where.
#[derive(Debug, Clone)]
pub struct Ref {
    pub id: ComponentId,
    pub span: Span,
}

/// One `service.pipelines` entry, such as `traces/2`.
#[derive(Debug, Clone)]
pub struct Pipeline {
    pub name: String,
    pub signal: Signal,
    /// The part after `/`: pipelines of one group share processor
    /// instances, as in Alloy's converter.
    pub group: String,
    pub receivers: Vec<Ref>,
    pub processors: Vec<Ref>,
    pub exporters: Vec<Ref>,
}

pub struct Service<'a> {
    pub pipelines: Vec<Pipeline>,
    /// The `logging` block `service.telemetry.logs` converts to.
    pub logging: Option<Block>,
    pub extensions: Option<&'a Node>,
}

/// Reads `service`. Problems are reported; what could be read is returned.
pub fn read<'a>(service: Option<&'a Node>, service_span: Span, diags: &mut Diags) -> Service<'a> {
    let mut out = Service { pipelines: Vec::new(), logging: None, extensions: None };
    let Some(node) = service else {
        diags.push(Diagnostic::error(service_span, "the config has no service section, so no pipeline: nothing would run"));
        return out;
    };
    let Some(entries) = node.entries() else {
        diags.push(Diagnostic::error(node.span, format!("service must be a mapping, got {}", node.kind())));
        return out;
    };
    let mut saw_pipelines = false;
    for e in entries {
        match e.key.as_str() {
            "pipelines" => {
                saw_pipelines = true;
                out.pipelines = pipelines(&e.value, diags);
            }
            "extensions" => out.extensions = Some(&e.value),
            "telemetry" => out.logging = telemetry(&e.value, diags),
            other => {
                diags.push(Diagnostic::error(e.key_span, format!("service: unknown key {other:?}")).with_help("expected pipelines, extensions or telemetry"))
            }
        }
    }
    if !saw_pipelines {
        diags.push(Diagnostic::error(node.span, "service must have at least one pipeline"));
    }
    out
}

fn pipelines(node: &Node, diags: &mut Diags) -> Vec<Pipeline> {
    let Some(entries) = node.entries() else {
        diags.push(Diagnostic::error(node.span, format!("service.pipelines must be a mapping, got {}", node.kind())));
        return Vec::new();
    };
    let mut out = Vec::new();
    for e in entries {
        let (ty, group) = e.key.split_once('/').unwrap_or((&e.key, ""));
        let Some(signal) = Signal::parse(ty) else {
            let help = if matches!(ty, "receivers" | "processors" | "exporters") {
                "this list belongs inside a pipeline: indent it under traces, metrics or logs"
            } else {
                "a pipeline is traces, metrics or logs, optionally followed by /name (traces/2)"
            };
            diags.push(Diagnostic::error(e.key_span, format!("service::pipelines: unknown pipeline type {ty:?} in {:?}", e.key)).with_help(help));
            continue;
        };
        let owner = format!("service::pipelines::{}", e.key);
        let mut p = Pipeline { name: e.key.clone(), signal, group: group.to_string(), receivers: Vec::new(), processors: Vec::new(), exporters: Vec::new() };
        for f in e.value.entries().unwrap_or_default() {
            let list = match f.key.as_str() {
                "receivers" => &mut p.receivers,
                "processors" => &mut p.processors,
                "exporters" => &mut p.exporters,
                other => {
                    diags.push(
                        Diagnostic::error(f.key_span, format!("{owner}: unknown key {other:?}")).with_help("expected receivers, processors or exporters"),
                    );
                    continue;
                }
            };
            *list = refs(&owner, &f.value, f.key != "processors", diags);
        }
        if e.value.entries().is_none() {
            diags.push(Diagnostic::error(e.value.span, format!("{owner} must be a mapping, got {}", e.value.kind())));
        }
        if p.receivers.is_empty() {
            diags.push(Diagnostic::error(e.key_span, format!("{owner}: must have at least one receiver")));
        }
        if p.exporters.is_empty() {
            diags.push(Diagnostic::error(e.key_span, format!("{owner}: must have at least one exporter")));
        }
        let mut seen: Vec<Ref> = Vec::new();
        for r in std::mem::take(&mut p.processors) {
            if seen.iter().any(|s| s.id == r.id) {
                diags.push(Diagnostic::error(r.span, format!("{owner}: references processor {:?} multiple times", r.id.to_string())));
            } else {
                seen.push(r);
            }
        }
        p.processors = seen;
        out.push(p);
    }
    out
}

/// The IDs of a pipeline list; repeats are dropped when `dedup` (a
/// receiver or exporter listed twice is one), and kept for processors, where
/// a repeat is an error.
fn refs(owner: &str, node: &Node, dedup: bool, diags: &mut Diags) -> Vec<Ref> {
    let items = match &node.value {
        Value::Seq(items) => items.as_slice(),
        Value::Null => &[],
        _ => {
            diags.push(Diagnostic::error(node.span, format!("{owner}: expected a list of component IDs, got {}", node.kind())));
            &[]
        }
    };
    let mut out = Vec::new();
    for item in items {
        let Value::Scalar { text, .. } = &item.value else {
            diags.push(Diagnostic::error(item.span, format!("{owner}: expected a component ID, got {}", item.kind())));
            continue;
        };
        match ComponentId::parse(text) {
            Ok(id) if !dedup || !out.iter().any(|r: &Ref| r.id == id) => out.push(Ref { id, span: item.span }),
            Ok(_) => {}
            Err(e) => diags.push(Diagnostic::error(item.span, format!("{owner}: {e}"))),
        }
    }
    out
}

/// `service.telemetry`: the log level and encoding become the `logging`
/// block; everything else is the agent's own business and is reported.
fn telemetry(node: &Node, diags: &mut Diags) -> Option<Block> {
    let mut logging = Block::new("logging");
    for e in node.entries().unwrap_or_default() {
        if e.key != "logs" {
            diags.push(Diagnostic::warning(
                e.key_span,
                format!("service.telemetry.{} is not converted: Solder serves its own metrics on /metrics of --server.http.listen-addr", e.key),
            ));
            continue;
        }
        for l in e.value.entries().unwrap_or_default() {
            let text = match &l.value.value {
                Value::Scalar { text, .. } => text.to_ascii_lowercase(),
                _ => String::new(),
            };
            match (l.key.as_str(), text.as_str()) {
                ("level", "debug" | "info" | "warn" | "error") => logging.attr("level", quote(&text)),
                ("level", "dpanic" | "panic" | "fatal") => logging.attr("level", quote("error")),
                ("encoding", "json") => logging.attr("format", quote("json")),
                ("encoding", "console") => logging.attr("format", quote("logfmt")),
                ("level" | "encoding", _) => diags.push(Diagnostic::error(l.value.span, format!("service.telemetry.logs.{}: unknown value {text:?}", l.key))),
                (other, _) => diags.push(Diagnostic::warning(
                    l.key_span,
                    format!("service.telemetry.logs.{other} is not converted: Solder logs to stderr, configured by the logging block"),
                )),
            }
        }
    }
    (!logging.body.is_empty()).then_some(logging)
}
