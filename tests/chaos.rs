//! Chaos: the real agent under the failures a node agent meets, with real
//! OTLP peers over loopback. Every scenario ends on the delivery balance of
//! docs/delivery.md: what clients were told was taken equals what reached
//! the backend plus what the agent counted as dropped. Nothing acknowledged
//! may vanish, and nothing may arrive twice.

mod support;

#[path = "chaos/crash.rs"]
mod crash;
#[path = "chaos/disk.rs"]
mod disk;
#[path = "chaos/flapping.rs"]
mod flapping;
#[path = "chaos/hostile.rs"]
mod hostile;
#[path = "chaos/overload.rs"]
mod overload;
#[path = "chaos/panic.rs"]
mod panic;
#[path = "chaos/pipeline.rs"]
mod pipeline;
#[path = "chaos/reload.rs"]
mod reload;
#[path = "chaos/rig.rs"]
mod rig;
#[path = "chaos/sigterm.rs"]
mod sigterm;
