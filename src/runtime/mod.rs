//! The runtime: loading configs, the live component graph, and reloads.

pub mod controller;
pub mod flow;
pub mod graph;
pub mod live;
pub mod loader;
pub mod modules;
pub(crate) mod redact;
pub mod scope;
mod staged;
mod supervise;

pub use controller::{ApplyReport, Controller};
pub use loader::load;
#[cfg(test)]
pub use loader::Config;

#[cfg(test)]
mod tests;
