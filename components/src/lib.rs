//! Solder's components and the API they are built on.
//!
//! A component's arguments are a `#[derive(Deserialize)]` struct decoded
//! from its evaluated block body ([`decode::decode`]); argument types with
//! Alloy's own syntax (durations, secrets, capsules) are in [`types`].

pub mod body;
pub mod decode;
pub mod types;

pub use solder_syntax as syntax;
