//! From source files to a [`Config`]: parsed, checked against the top-level
//! rules, every reference resolved to a component, and ordered so that each
//! component comes after everything it reads.
//!
//! Nothing here evaluates or builds anything: a config that fails here
//! never touches the running graph.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use solder_components::Registry;
use solder_syntax::ast::{self, Stmt};
use solder_syntax::diagnostic::attach_source;
use solder_syntax::suggest::did_you_mean;
use solder_syntax::{Diagnostic, SourceFile, Span};

use super::graph;

/// One component block of the config.
#[derive(Debug, Clone)]
pub struct Declaration {
    /// `name.label`: how other components refer to it.
    pub id: String,
    pub name: String,
    pub block: ast::Block,
    pub source: Arc<SourceFile>,
    /// IDs of the components this one reads, by longest-prefix resolution.
    pub depends_on: BTreeSet<String>,
}

/// Settings blocks that configure the agent rather than declare components.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub logging: Option<(ast::Block, Arc<SourceFile>)>,
    pub livedebugging: Option<(ast::Block, Arc<SourceFile>)>,
    pub http: Option<(ast::Block, Arc<SourceFile>)>,
}

#[derive(Debug, Clone)]
pub struct Config {
    /// Components in evaluation order: each after those it depends on.
    pub components: Vec<Declaration>,
    pub settings: Settings,
    /// The files, as they may be shown (secret literals masked).
    pub files: Vec<Arc<SourceFile>>,
}

const SETTINGS_BLOCKS: &[&str] = &["logging", "livedebugging", "http"];

/// Evaluates a settings block (settings see the standard library, not
/// component exports) and decodes it into `T`; `None` without the block.
/// The agent calls it while checking a config, so a bad block fails the
/// load before anything changes.
pub fn decode_settings<T: serde::de::DeserializeOwned>(slot: &Option<(ast::Block, Arc<SourceFile>)>) -> Result<Option<T>, Vec<Diagnostic>> {
    let Some((block, source)) = slot else { return Ok(None) };
    let scope = solder_syntax::Scope::new();
    let mut ev = solder_syntax::Evaluator::new(&source.text, &scope);
    let evaluated = solder_components::body::evaluate(&mut ev, &block.body, block.name_span()).map_err(|mut d| {
        attach_source(&mut d, source);
        d
    })?;
    solder_components::decode::decode::<T>(&evaluated).map(Some).map_err(|d| vec![d.with_source(source)])
}

/// Parses and checks a config made of one or more files.
pub fn load(files: Vec<Arc<SourceFile>>, registry: &Registry) -> Result<Config, Vec<Diagnostic>> {
    let mut diags = Vec::new();
    let mut parsed = Vec::new();
    for file in files {
        match solder_syntax::parse(&file.text) {
            // From here on the file is shown with its secrets masked.
            Ok(ast) => parsed.push((super::redact::mask(&file, &ast, registry), ast)),
            Err(mut d) => {
                attach_source(&mut d, &file);
                diags.append(&mut d);
            }
        }
    }
    if !diags.is_empty() {
        return Err(diags);
    }

    let mut settings = Settings::default();
    let mut decls: Vec<Declaration> = Vec::new();
    let mut seen: BTreeMap<String, (Span, Arc<SourceFile>)> = BTreeMap::new();
    let files: Vec<Arc<SourceFile>> = parsed.iter().map(|(f, _)| Arc::clone(f)).collect();
    for (file, ast) in parsed {
        for stmt in ast.body {
            let err = |span: Span, msg: String| Diagnostic::error(span, msg).with_source(&file);
            let block = match stmt {
                Stmt::Attribute(a) => {
                    diags.push(
                        err(a.name.span, format!("unrecognized attribute name {:?}", a.name.name))
                            .with_help("the top level of a config holds blocks only; put attributes inside a component block"),
                    );
                    continue;
                }
                Stmt::Block(b) => b,
            };
            let name = block.full_name();
            if SETTINGS_BLOCKS.contains(&name.as_str()) {
                if let Some(label) = &block.label {
                    diags.push(err(label.span, format!("block {name:?} does not take a label")));
                    continue;
                }
                let slot = match name.as_str() {
                    "logging" => &mut settings.logging,
                    "http" => &mut settings.http,
                    _ => &mut settings.livedebugging,
                };
                if slot.is_some() {
                    diags.push(err(block.name_span(), format!("block {name:?} may only be provided once")));
                }
                *slot = Some((block, Arc::clone(&file)));
                continue;
            }
            if registry.get(&name).is_none() {
                let mut candidates: Vec<&str> = SETTINGS_BLOCKS.to_vec();
                candidates.extend(registry.names());
                let d = err(block.name_span(), format!("cannot find the definition of component name {name:?}"));
                diags.push(match did_you_mean(&name, candidates) {
                    Some(s) => d.with_help(format!("did you mean {s:?}?")),
                    None => d,
                });
                continue;
            }
            let Some(label) = block.label.as_ref().filter(|l| !l.value.is_empty()) else {
                diags.push(
                    err(block.name_span(), format!("component {name:?} must have a label"))
                        .with_help(format!("give it a name, for example `{name} \"default\" {{ ... }}`")),
                );
                continue;
            };
            let id = format!("{name}.{}", label.value);
            if let Some((first, first_file)) = seen.get(&id) {
                let (line, col) = first_file.line_col(first.start);
                diags.push(
                    err(block.span.to(label.span).to(block.name_span()), format!("block {id} already declared at {}:{line}:{col}", first_file.name))
                        .with_help("component IDs (name and label) must be unique; rename one of the labels"),
                );
                continue;
            }
            seen.insert(id.clone(), (block.name_span(), Arc::clone(&file)));
            decls.push(Declaration { id, name, block, source: Arc::clone(&file), depends_on: BTreeSet::new() });
        }
    }
    if !diags.is_empty() {
        return Err(diags);
    }

    resolve_references(&mut decls, registry, &mut diags);
    if !diags.is_empty() {
        return Err(diags);
    }
    let components = graph::order(decls)?;
    Ok(Config { components, settings, files })
}

/// Fills `depends_on` for every declaration. A reference such as
/// `otelcol.connector.spanmetrics.default.input` names the component whose
/// ID is its longest prefix; a reference into the component namespace that
/// matches no ID is an error here, anything else is left to the evaluator.
fn resolve_references(decls: &mut [Declaration], registry: &Registry, diags: &mut Vec<Diagnostic>) {
    let ids: BTreeSet<String> = decls.iter().map(|d| d.id.clone()).collect();
    let mut roots: BTreeSet<String> = ids.iter().filter_map(|id| id.split('.').next()).map(String::from).collect();
    roots.extend(registry.names().filter_map(|n| n.split('.').next()).map(String::from));
    for decl in decls.iter_mut() {
        let mut deps = BTreeSet::new();
        for reference in references(&decl.block.body) {
            let root = &reference.path[0];
            if solder_syntax::stdlib::lookup(root).is_some() || !roots.contains(root) {
                continue;
            }
            match longest_prefix(&reference.path, &ids) {
                Some(id) => {
                    deps.insert(id);
                }
                None => {
                    let joined = reference.path.join(".");
                    let d = Diagnostic::error(reference.span, format!("component {joined:?} does not exist or is out of scope")).with_source(&decl.source);
                    diags.push(match nearest_component(&reference.path, ids.iter().map(String::as_str)) {
                        Some(b) => d.with_help(format!("did you mean {b:?}?")),
                        None => d,
                    });
                }
            }
        }
        decl.depends_on = deps;
    }
}

/// The component a misspelled reference most likely meant: each ID is
/// compared with the reference's prefix of as many parts, so the export
/// name (`.input`) does not count against it.
pub fn nearest_component<'a>(path: &[String], ids: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    ids.into_iter()
        .filter_map(|id| {
            let parts = id.split('.').count();
            (path.len() >= parts).then(|| (solder_syntax::suggest::distance(id, &path[..parts].join(".")), id))
        })
        .filter(|(d, _)| *d <= 3)
        .min()
        .map(|(_, id)| id)
}

fn longest_prefix(path: &[String], ids: &BTreeSet<String>) -> Option<String> {
    (1..=path.len()).rev().map(|n| path[..n].join(".")).find(|candidate| ids.contains(candidate))
}

pub struct Reference {
    pub path: Vec<String>,
    pub span: Span,
}

/// Every maximal identifier/field-access chain in a body's expressions.
pub fn references(body: &ast::Body) -> Vec<Reference> {
    let mut out = Vec::new();
    for stmt in body {
        match stmt {
            Stmt::Block(b) => out.extend(references(&b.body)),
            Stmt::Attribute(a) => {
                let mut covered: Vec<Span> = Vec::new();
                a.value.walk(&mut |e| {
                    if covered.iter().any(|s| s.start <= e.span.start && e.span.end <= s.end) {
                        return;
                    }
                    if let Some(path) = e.reference_path() {
                        covered.push(e.span);
                        out.push(Reference { path: path.iter().map(|i| i.name.clone()).collect(), span: e.span });
                    }
                });
            }
        }
    }
    out
}
