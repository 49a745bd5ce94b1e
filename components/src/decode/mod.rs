//! Decoding a component's evaluated body into its typed `Arguments`.
//!
//! A serde `Deserializer` over [`EvalBody`]: components declare plain
//! `#[derive(Deserialize)]` structs. One rule lets the decoder tell blocks
//! from attributes without a schema of its own: **a struct is a block**.
//! An attribute never decodes into a struct and a block never decodes into
//! anything else, which gives Alloy's errors for both mistakes.
//!
//! Errors use Alloy's wording (`missing required attribute "x"`,
//! `unrecognized block name "x"`, ...) and point at the offending span.

mod body;
mod error;
pub mod schema;
mod value;

pub use error::DecodeError;
pub use schema::Schema;
pub(crate) use value::{CAPSULE, SECRET};

use serde::de::DeserializeOwned;
use solder_syntax::Diagnostic;

use crate::body::EvalBody;

/// Decodes a component's (or block's) body into `T`.
pub fn decode<T: DeserializeOwned>(body: &EvalBody) -> Result<T, Diagnostic> {
    let de = body::BodyDeserializer { body, name: "" };
    T::deserialize(de).map_err(|e| e.into_diagnostic(body.span))
}

#[cfg(test)]
mod tests;
