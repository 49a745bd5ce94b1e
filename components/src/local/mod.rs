//! `local.*` components: things on this machine.

pub mod file;
