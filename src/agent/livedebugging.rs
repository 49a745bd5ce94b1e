//! The `livedebugging` block: whether the UI may stream the telemetry
//! passing through components. Off without the block; applied on every
//! reload, so removing the block ends open streams.

use serde::Deserialize;
use solder_syntax::Diagnostic;

use crate::runtime::loader::{decode_settings, Settings};

/// Alloy's `livedebugging` block.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LiveDebuggingArgs {
    /// Allow live debugging streams. Default false.
    #[serde(default)]
    pub enabled: bool,
}

/// Decodes the config's `livedebugging` block (disabled without one), so a
/// bad block fails the load before anything changes.
pub fn parse(settings: &Settings) -> Result<LiveDebuggingArgs, Vec<Diagnostic>> {
    Ok(decode_settings(&settings.livedebugging)?.unwrap_or_default())
}
