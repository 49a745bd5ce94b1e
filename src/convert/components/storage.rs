//! The Collector's `file_storage` extension as `otelcol.storage.file`, and
//! `sending_queue.storage: file_storage/x` as a reference to its
//! `handler`: the persistent sending queue.

use crate::convert::emit::Block;
use crate::convert::ids::ComponentId;
use crate::convert::options::{Diags, OptionReader, Ty};
use crate::convert::yaml::Node;

/// The handler reference a storage extension converts to.
pub fn reference(extension_key: &str) -> Option<String> {
    let id = ComponentId::parse(extension_key).ok()?;
    (id.ty == "file_storage").then(|| format!("otelcol.storage.file.{}.handler", id.label()))
}

/// `storage: <extension>` as the converted component's handler, or why
/// it cannot be.
pub fn handler(name: &str, extensions: Option<&Node>) -> Result<String, String> {
    let defined = extensions.and_then(Node::entries).is_some_and(|entries| entries.iter().any(|e| e.key == name));
    match reference(name) {
        Some(r) if defined => Ok(r),
        Some(_) => Err(format!("names extension {name:?}, which is not configured")),
        None => Err(format!("names {name:?}; only file_storage can be converted (to otelcol.storage.file)")),
    }
}

/// Each `file_storage` extension a queue's `storage` names, as its
/// component.
pub fn extensions(defined: Option<&Node>, used: &dyn Fn(&str) -> bool, diags: &mut Diags) -> Vec<Block> {
    let mut out = Vec::new();
    for e in defined.and_then(Node::entries).unwrap_or_default() {
        let Ok(id) = ComponentId::parse(&e.key) else { continue };
        if reference(&e.key).is_none_or(|r| !used(&r)) {
            continue;
        }
        let owner = format!("extension {:?}", e.key);
        let mut block = Block::labelled("otelcol.storage.file", id.label());
        let mut x = OptionReader::new(&owner, &e.value, diags);
        x.copy(&mut block, "directory", Ty::String, diags);
        x.copy(&mut block, "timeout", Ty::Duration, diags);
        x.copy(&mut block, "fsync", Ty::Bool, diags);
        x.copy(&mut block, "create_directory", Ty::Bool, diags);
        x.copy(&mut block, "directory_permissions", Ty::String, diags);
        if let Some(mut c) = x.child("compaction", diags) {
            let mut compaction = Block::new("compaction");
            for key in ["on_start", "on_rebound", "cleanup_on_start"] {
                c.copy(&mut compaction, key, Ty::Bool, diags);
            }
            c.copy(&mut compaction, "directory", Ty::String, diags);
            for key in ["max_transaction_size", "rebound_needed_threshold_mib", "rebound_trigger_threshold_mib"] {
                c.copy(&mut compaction, key, Ty::Int, diags);
            }
            c.copy(&mut compaction, "check_interval", Ty::Duration, diags);
            c.finish(diags);
            block.block(compaction, false);
        }
        x.finish(diags);
        out.push(block);
    }
    out
}
