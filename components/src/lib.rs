//! Solder's components and the API they are built on.
//!
//! A component implements [`Component`] with typed [`Arguments`] (a
//! `#[derive(Deserialize)]` struct, decoded once by the runtime from its
//! evaluated block body) and [`Exports`], and registers with
//! [`Registration::of`]; argument types with Alloy's own syntax
//! (durations, secrets, capsules) are in [`types`].
//! Component modules are laid out like their names: `local.file` is
//! [`local::file`].

mod argument_error;
pub mod body;
pub mod bytesize;
pub mod calendar;
pub mod component;
pub mod consumer;
pub mod credentials;
pub mod decode;
pub mod discovery;
pub mod durable;
pub mod fault;
pub mod filewatch;
pub mod harness;
pub mod kubernetes;
pub mod local;
pub mod memory;
pub mod otelcol;
pub mod otlp;
pub mod ottl;
pub mod prometheus;
pub mod registration;
pub mod registry;
pub mod selfmetrics;
pub mod serve;
pub mod sync;
pub mod types;

pub use component::{ArgumentError, Arguments, Component, Exports, Health, HealthState, Options, Registration, Running};
pub use registry::Registry;
pub use solder_syntax as syntax;
