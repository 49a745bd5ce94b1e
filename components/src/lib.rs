//! Solder's components and the API they are built on.
//!
//! The component API arrives with the runtime; until then this crate only
//! re-exports the language so that the layering (syntax → components → binary)
//! is fixed from the first commit.

pub use solder_syntax as syntax;
