//! An agent run inside a test, on a config given as text.

use std::sync::Arc;

use solder_components::Registry;

use super::{logging::LogHandle, Agent, ConfigSource};
use crate::runtime::Controller;

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

/// An agent whose config is `config`, keeping its data in `dir`.
pub fn agent(config: String, dir: &std::path::Path) -> Arc<Agent> {
    let text: &'static str = Box::leak(config.into_boxed_str());
    let controller = Controller::new(Registry::builtin(), dir.to_path_buf());
    Agent::new(controller, ConfigSource::Embedded { name: "test.alloy", text }, LogHandle::detached())
}
