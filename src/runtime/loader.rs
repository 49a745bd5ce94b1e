//! From source files to a [`Config`]: parsed, checked against the top-level
//! rules, every reference resolved to a component, and ordered so that each
//! component comes after everything it reads.
//!
//! Nothing here evaluates or builds anything: a config that fails here
//! never touches the running graph.

use std::collections::BTreeSet;
use std::sync::Arc;

use solder_components::Registry;
use solder_syntax::ast::{self, Stmt};
use solder_syntax::diagnostic::attach_source;
use solder_syntax::{Diagnostic, SourceFile, Span};

use super::graph;

/// One node of the flattened graph: a component block, or one of the two
/// halves of a custom component's instance (see [`Kind`]).
#[derive(Debug, Clone)]
pub struct Declaration {
    /// The global ID: the module path, `/`, then the local ID
    /// (`mods.pipeline.default/otelcol.processor.batch.default`); for a
    /// top-level component just `name.label`.
    pub id: String,
    /// `name.label`: how other components of the same module refer to it.
    pub local_id: String,
    /// The module whose scope the body is evaluated in: `""` for the top
    /// level, else the global ID of the custom component instance.
    pub module: String,
    pub name: String,
    pub block: ast::Block,
    pub source: Arc<SourceFile>,
    /// Global IDs of the nodes this one reads.
    pub depends_on: BTreeSet<String>,
    pub kind: Kind,
}

/// What a node of the graph is.
#[derive(Debug, Clone)]
pub enum Kind {
    /// A built-in component.
    Component,
    /// A custom component's instance: its body (evaluated in the parent
    /// module) gives the arguments that the instance's inner module reads
    /// as `argument.NAME.value`.
    Instance(Arc<crate::runtime::modules::InstanceSpec>),
    /// A custom component's `export` blocks, evaluated inside its module
    /// once its components are; the result is what the parent module reads
    /// as `name.label.EXPORT`. Its ID is the instance's plus `/exports`,
    /// and it is not shown as a component.
    Exports {
        /// The module the instance is declared in.
        parent_module: String,
        /// The instance's local ID in that module.
        instance: String,
    },
    /// An `import.*` block of a scope (the top level, or a custom
    /// component's body): listed as a component, as Alloy lists it, with
    /// its arguments and the health of its last fetch. It runs nothing and
    /// exports nothing; the custom components it defines depend on it, and
    /// it depends on the components its arguments read.
    Import,
    /// An instance of a custom component whose import waits for the
    /// exports its arguments read (see [`Config::pending`]). It stands in
    /// the graph only so the order and any cycle are known; a config that
    /// holds one is never applied.
    Unresolved,
}

impl Declaration {
    /// Whether this node is the hidden exports half of a custom component.
    pub fn is_exports(&self) -> bool {
        matches!(self.kind, Kind::Exports { .. })
    }
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
    /// Every imported module file, as it may be shown.
    pub module_files: Vec<Arc<SourceFile>>,
    /// Where the imported modules come from, to watch them.
    pub imports: Vec<super::modules::ImportSource>,
    /// Import nodes not fetched yet: their arguments read exports that
    /// [`Known`] does not hold. A staged load evaluates what they read and
    /// walks again; a config with pending imports never runs.
    pub pending: Vec<String>,
}

/// Exports evaluated ahead of a load, for the import blocks that read
/// them: each module's scope, and the global IDs of the nodes in it.
#[derive(Default, Clone)]
pub struct Known {
    pub scope: super::scope::ScopeBuilder,
    pub ids: BTreeSet<String>,
    /// Modules fetched over the network by earlier passes of the same
    /// load: a pass walks every import again, and should not fetch again.
    pub fetched: super::modules::FetchCache,
}

pub(crate) const SETTINGS_BLOCKS: &[&str] = &["logging", "livedebugging", "http"];

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

/// Parses and checks a config made of one or more files, with the modules
/// it imports, into the flat graph of components that will run. Without a
/// controller nothing can be evaluated ahead, so an import whose arguments
/// read component exports is an error here; the agent loads through
/// [`Controller::load`](super::Controller::load).
pub fn load(files: Vec<Arc<SourceFile>>, registry: &Registry) -> Result<Config, Vec<Diagnostic>> {
    let cfg = load_with(files, registry, &Known::default())?;
    match cfg.components.iter().find(|d| cfg.pending.contains(&d.id)) {
        None => Ok(cfg),
        Some(d) => Err(vec![Diagnostic::error(
            d.block.name_span(),
            format!("{}: its arguments read component exports, which only a running graph can evaluate", d.id),
        )
        .with_source(&d.source)]),
    }
}

/// One pass of a load: imports whose arguments read exports not in
/// `known` are left pending.
pub fn load_with(files: Vec<Arc<SourceFile>>, registry: &Registry, known: &Known) -> Result<Config, Vec<Diagnostic>> {
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
    let files: Vec<Arc<SourceFile>> = parsed.iter().map(|(f, _)| Arc::clone(f)).collect();
    let walked = super::modules::walk(parsed, registry, known)?;
    let components = graph::order(walked.decls)?;
    Ok(Config { components, settings: walked.settings, files, module_files: walked.module_files, imports: walked.imports, pending: walked.pending })
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
