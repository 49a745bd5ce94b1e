//! Solder's components and the API they are built on.
//!
//! A component's arguments are a `#[derive(Deserialize)]` struct decoded
//! from its evaluated block body ([`decode::decode`]); argument types with
//! Alloy's own syntax (durations, secrets, capsules) are in [`types`].
//! Component modules are laid out like their names: `local.file` is
//! [`local::file`].

pub mod body;
pub mod calendar;
pub mod component;
pub mod consumer;
pub mod decode;
pub mod local;
pub mod otelcol;
pub mod otlp;
pub mod prometheus;
pub mod registry;
pub mod selfmetrics;
pub mod sync;
pub mod types;

pub use component::{Component, Health, HealthState, Options, Registration};
pub use registry::Registry;
pub use solder_syntax as syntax;
