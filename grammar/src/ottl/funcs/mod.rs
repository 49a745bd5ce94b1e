//! The OTTL function library: the Collector's editors and converters, with
//! its parameter names (so named arguments work) and its documented
//! behaviour for each (types accepted, nil, errors). `docs/ottl-functions.md`
//! lists them, and what is left out.
//!
//! Each family lives in its own file; [`table`] is the one list the
//! checker resolves names against. Literal arguments (regexes, modes, glob
//! patterns, formats) are prepared by each function's factory at load, so
//! a bad regex is a load error pointing at that argument, and running a
//! statement never compiles anything. The one exception is
//! `ExtractGrokPatterns`, which also takes a pattern that is not a literal
//! (as the Collector does) and compiles that one when it runs.

mod collections;
mod common;
mod community;
mod csv;
mod edit;
mod format;
mod grok;
mod grok_expand;
mod grok_patterns;
mod hash;
mod json;
mod luhn;
mod maps;
mod metrics;
mod murmur;
mod parse;
mod patterns;
mod semconv;
mod severity;
mod strings;
mod strptime;
mod time;
mod types;
mod useragent;
mod uuid;
mod xml;
mod xml_dom;
mod xml_edit;
mod xml_path;
mod xml_tree;
mod xxh;
mod zone;

pub use maps::truncated;
pub use patterns::replaced;

#[cfg(test)]
mod testing;
#[cfg(test)]
mod tests;

use std::sync::OnceLock;

use super::function::FunctionDef;

/// Every editor and converter, family by family. Built once.
pub fn table() -> &'static [FunctionDef] {
    static TABLE: OnceLock<Vec<FunctionDef>> = OnceLock::new();
    TABLE.get_or_init(|| {
        [
            edit::DEFS,
            maps::DEFS,
            patterns::DEFS,
            collections::DEFS,
            strings::DEFS,
            format::DEFS,
            types::DEFS,
            hash::DEFS,
            murmur::DEFS,
            xxh::DEFS,
            luhn::DEFS,
            uuid::DEFS,
            community::DEFS,
            time::DEFS,
            parse::DEFS,
            grok::DEFS,
            csv::DEFS,
            xml::DEFS,
            xml_edit::DEFS,
            severity::DEFS,
            semconv::DEFS,
            metrics::DEFS,
            useragent::DEFS,
        ]
        .concat()
    })
}
