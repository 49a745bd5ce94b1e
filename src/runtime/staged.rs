//! Loading a config whose import blocks read component exports
//! (`import.http "m" { url = local.file.url.content }`).
//!
//! What an import defines must be known before the instances of its
//! custom components can be laid out, and what it imports depends on
//! exports that exist only once components are built. So the load is
//! staged: a pass leaves such imports pending (their instances stand in
//! the graph as unresolved nodes, enough to order it and find cycles), the
//! components they read, and what those read, are evaluated and built
//! against the running graph as an apply would, without starting, and the
//! next pass fetches with their exports. Imports that read the instances
//! of other imports take a pass each.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use solder_syntax::{Diagnostic, SourceFile};

use super::loader::{load_with, Config, Declaration, Kind, Known};
use super::Controller;

impl Controller {
    /// Parses, walks and orders a config, with the modules it imports,
    /// evaluating ahead what import arguments read (see the module doc).
    /// Nothing changes in the running graph.
    pub fn load(&self, files: Vec<Arc<SourceFile>>) -> Result<Config, Vec<Diagnostic>> {
        let mut known = Known::default();
        for _ in 0..MAX_PASSES {
            let cfg = load_with(files.clone(), self.registry(), &known)?;
            if cfg.pending.is_empty() {
                return Ok(cfg);
            }
            let ahead = evaluated_ahead(&cfg);
            if ahead.iter().all(|id| known.ids.contains(id)) {
                break;
            }
            let decls: Vec<Declaration> = cfg.components.iter().filter(|d| ahead.contains(&d.id)).cloned().collect();
            let (_, _, _, scope) = {
                let g = self.graph();
                self.plan(&g, &decls)?
            };
            known = Known { scope, ids: ahead, fetched: known.fetched.clone() };
        }
        let cfg = load_with(files, self.registry(), &known)?;
        Err(cfg
            .components
            .iter()
            .filter(|d| cfg.pending.contains(&d.id))
            .map(|d| {
                Diagnostic::error(d.block.name_span(), format!("the arguments of {} read exports that cannot be evaluated ahead of it", d.id))
                    .with_source(&d.source)
            })
            .collect())
    }
}

/// Passes a staged load may take; each resolves at least one import that
/// reads another import's custom components.
const MAX_PASSES: usize = 32;

/// The nodes a staged load evaluates ahead: everything the imports read
/// (pending or fetched, for the next pass walks from scratch), directly
/// or through others, except what depends on an import still pending.
fn evaluated_ahead(cfg: &Config) -> BTreeSet<String> {
    let by_id: BTreeMap<&str, &Declaration> = cfg.components.iter().map(|d| (d.id.as_str(), d)).collect();
    let mut ahead = BTreeSet::new();
    for import in cfg.components.iter().filter(|d| matches!(d.kind, Kind::Import) && !d.depends_on.is_empty()) {
        let mut closure = BTreeSet::new();
        let mut stack: Vec<&str> = import.depends_on.iter().map(String::as_str).collect();
        let mut blocked = false;
        while let Some(id) = stack.pop() {
            if !closure.insert(id.to_string()) {
                continue;
            }
            let Some(d) = by_id.get(id) else { continue };
            blocked |= matches!(d.kind, Kind::Unresolved) || cfg.pending.contains(&d.id);
            stack.extend(d.depends_on.iter().map(String::as_str));
        }
        if !blocked {
            ahead.extend(closure);
        }
    }
    ahead
}
