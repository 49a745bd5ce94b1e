//! The Collector's authenticator extensions as `otelcol.auth.*`
//! components (`basicauth` → `otelcol.auth.basic`, `bearertokenauth` →
//! `otelcol.auth.bearer`, `headers_setter` → `otelcol.auth.headers`), and
//! `auth: {authenticator: ...}` on receivers and exporters as a reference
//! to the converted component's `handler`.
//!
//! A receiver's `auth` that cannot be converted is an error that no
//! bypass flag skips ([`NO_BYPASS`]): leaving it out would run the
//! receiver open to anyone.

use solder_syntax::Diagnostic;

use crate::convert::emit::Block;
use crate::convert::ids::ComponentId;
use crate::convert::options::{Diags, OptionReader, Ty};
use crate::convert::yaml::{Node, Value};

/// The help of errors that `--bypass-errors` and
/// `--config.bypass-conversion-errors` do not bypass.
pub const NO_BYPASS: &str = "no flag bypasses this error: converting the receiver without its auth would accept data from anyone";

/// Which end of a connection the `auth` is on.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// A receiver: the handler checks incoming requests.
    Server,
    /// An exporter: the handler adds credentials.
    Client,
}

/// The Alloy component an extension type becomes.
fn component(ty: &str) -> Option<&'static str> {
    match ty {
        "basicauth" => Some("otelcol.auth.basic"),
        "bearertokenauth" => Some("otelcol.auth.bearer"),
        "headers_setter" => Some("otelcol.auth.headers"),
        _ => None,
    }
}

/// The handler reference an authenticator extension converts to, if its
/// type converts.
pub fn reference(extension_key: &str) -> Option<String> {
    let id = ComponentId::parse(extension_key).ok()?;
    Some(format!("{}.{}.handler", component(&id.ty)?, id.label()))
}

/// Each authenticator extension whose handler `used` says is referenced,
/// as its component.
pub fn extensions(defined: Option<&Node>, used: &dyn Fn(&str) -> bool, diags: &mut Diags) -> Vec<Block> {
    let mut out = Vec::new();
    for e in defined.and_then(Node::entries).unwrap_or_default() {
        let Ok(id) = ComponentId::parse(&e.key) else { continue };
        let Some(name) = component(&id.ty) else { continue };
        if reference(&e.key).is_none_or(|r| !used(&r)) {
            continue;
        }
        let owner = format!("extension {:?}", e.key);
        let mut block = Block::labelled(name, id.label());
        let mut x = OptionReader::new(&owner, &e.value, diags);
        match id.ty.as_str() {
            "basicauth" => {
                if let Some(mut c) = x.child("client_auth", diags) {
                    let mut client = Block::new("client_auth");
                    c.copy(&mut client, "username", Ty::String, diags);
                    c.copy(&mut client, "password", Ty::String, diags);
                    c.finish(diags);
                    block.block(client, true);
                }
                if let Some(mut h) = x.child("htpasswd", diags) {
                    let mut htpasswd = Block::new("htpasswd");
                    h.copy(&mut htpasswd, "file", Ty::String, diags);
                    h.copy(&mut htpasswd, "inline", Ty::String, diags);
                    h.finish(diags);
                    block.block(htpasswd, true);
                }
            }
            "bearertokenauth" => {
                x.copy(&mut block, "token", Ty::String, diags);
                x.copy(&mut block, "scheme", Ty::String, diags);
                x.copy(&mut block, "header", Ty::String, diags);
                x.unsupported("filename", "otelcol.auth.bearer takes the token itself; read the file with local.file", diags);
                x.unsupported("tokens", "otelcol.auth.bearer takes one token", diags);
            }
            _ => {
                if let Some(entry) = x.take("headers") {
                    headers(&owner, &entry.value, &mut block, diags);
                }
            }
        }
        x.finish(diags);
        out.push(block);
    }
    out
}

/// `headers: [{key, value, action}]` as `header` blocks.
fn headers(owner: &str, node: &Node, block: &mut Block, diags: &mut Diags) {
    let Value::Seq(items) = &node.value else {
        diags.push(Diagnostic::error(node.span, format!("{owner}: \"headers\" must be a list, got {}", node.kind())));
        return;
    };
    for (i, item) in items.iter().enumerate() {
        let mut h = OptionReader::nested(owner, format!("headers[{i}]."), item, diags);
        let mut header = Block::new("header");
        h.copy(&mut header, "key", Ty::String, diags);
        h.copy(&mut header, "value", Ty::String, diags);
        h.copy(&mut header, "action", Ty::String, diags);
        h.unsupported("from_context", "Solder's pipelines do not carry client metadata", diags);
        h.unsupported("default_value", "it goes with from_context, which Solder does not support", diags);
        h.finish(diags);
        block.block(header, true);
    }
}

/// `auth: {authenticator: name}` as the converted component's handler
/// reference, or `None` with an error (unbypassable on the server side).
pub fn handler(mut auth: OptionReader, extensions: Option<&Node>, side: Side, diags: &mut Diags) -> Option<String> {
    let found = auth.literal("authenticator", diags);
    let mut local = Diags::new();
    auth.finish_ref(&mut local);
    let reference = match found {
        None => {
            local.push(Diagnostic::error(auth.key_span("authenticator").unwrap_or_default(), "auth: missing \"authenticator\""));
            None
        }
        Some((name, span)) => resolve(&name, extensions, side).map_err(|m| local.push(auth.invalid(span, "authenticator", &m))).ok(),
    };
    if side == Side::Server {
        for d in &mut local {
            if d.is_error() {
                d.help = Some(NO_BYPASS.to_string());
            }
        }
    }
    diags.append(&mut local);
    reference
}

fn resolve(name: &str, extensions: Option<&Node>, side: Side) -> Result<String, String> {
    let ext = extensions.and_then(Node::entries).and_then(|entries| entries.iter().find(|e| e.key == name));
    let Some(ext) = ext else { return Err(format!("names extension {name:?}, which is not configured")) };
    let id = ComponentId::parse(name)?;
    let Some(reference) = reference(name) else {
        return Err(format!("{name:?} is not supported: only basicauth, bearertokenauth and headers_setter can be converted"));
    };
    let has = |key: &str| ext.value.entries().is_some_and(|e| e.iter().any(|e| e.key == key));
    match (side, id.ty.as_str()) {
        (Side::Server, "headers_setter") => return Err(format!("{name:?} sets headers on outgoing requests; it cannot check incoming ones")),
        (Side::Server, "basicauth") if !has("htpasswd") => return Err(format!("{name:?} has no htpasswd, so it cannot check incoming requests")),
        (Side::Client, "basicauth") if !has("client_auth") => return Err(format!("{name:?} has no client_auth, so it has nothing to send")),
        _ => {}
    }
    Ok(reference)
}
