//! Custom components (`declare`) and modules (`import.*`), flattened into
//! the one graph the controller runs.
//!
//! A custom component's instance does not become a nested controller.
//! Its components join the graph with global IDs prefixed by the
//! instance's (`mods.pipeline.default/otelcol.processor.batch.default`),
//! so they are kept, updated in place and reloaded by the same rules as
//! the top level's. Two extra nodes carry values across the boundary:
//! the instance node, whose body gives the inner module's `argument.X.value`,
//! and the exports node, whose `export` blocks give the parent its
//! `name.label.X` (see [`Kind`](super::loader::Kind)).
//!
//! Scoping follows Alloy's: a declare's body sees its arguments, its own
//! components, and the declares and imports of the scopes it is written
//! in; it never sees an enclosing scope's components. An imported module
//! sees only what it declares and imports itself.

mod arguments;
mod git;
mod imports;
mod passive;
mod walk;

use solder_syntax::{Span, Value};

pub use arguments::{argument_object, exports_object};
pub use git::{fetch as fetch_git, set_cache_dir as set_git_cache_dir};
pub use imports::{fetch_http, module_path, read_path, schema as import_schema, FetchCache, ImportSource};
pub use passive::Passive;
pub use walk::walk;

/// What an instance of a custom component needs to turn its body into
/// the object its module reads as `argument`.
#[derive(Debug, Clone, PartialEq)]
pub struct InstanceSpec {
    /// The custom component's name, as the declare's label gives it.
    pub declare: String,
    pub arguments: Vec<ArgumentSpec>,
}

/// One `argument "NAME" { optional, default, comment }` block.
#[derive(Debug, Clone, PartialEq)]
pub struct ArgumentSpec {
    pub name: String,
    pub optional: bool,
    /// The value of an optional argument left out; `null` without a default.
    pub default: Value,
    pub comment: Option<String>,
    pub span: Span,
}

/// The suffix that turns an instance's ID into its exports node's ID.
pub const EXPORTS_SUFFIX: &str = "/exports";

/// The ID to show for a node another one reads: an exports node stands
/// for its instance.
pub fn shown_id(id: &str) -> &str {
    id.strip_suffix(EXPORTS_SUFFIX).unwrap_or(id)
}

#[cfg(test)]
mod docs_tests;
#[cfg(test)]
mod git_http_tests;
#[cfg(test)]
mod tests;
