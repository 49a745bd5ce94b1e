//! Evaluated arguments printed back in Alloy syntax. Values print with the
//! language's own printer, so secrets are `(secret)` and capsules show
//! their type, exactly as everywhere else.

use solder_components::body::{EvalBody, Item};
use solder_syntax::Value;

/// A component's evaluated body as Alloy text.
pub fn body(b: &EvalBody) -> String {
    let mut out = String::new();
    write_body(&mut out, b, 0);
    out
}

fn write_body(out: &mut String, b: &EvalBody, depth: usize) {
    let indent = "\t".repeat(depth);
    let width = b.items.iter().filter(|i| matches!(i, Item::Attribute { .. })).map(|i| i.name().len()).max().unwrap_or(0);
    for item in &b.items {
        match item {
            Item::Attribute { name, value, .. } => out.push_str(&format!("{indent}{name:width$} = {value}\n")),
            Item::Block { name, label, body, .. } => {
                match label {
                    Some(l) => out.push_str(&format!("{indent}{name} {l:?} {{\n")),
                    None => out.push_str(&format!("{indent}{name} {{\n")),
                }
                write_body(out, body, depth + 1);
                out.push_str(&format!("{indent}}}\n"));
            }
        }
    }
}

/// An export or debug value: objects one field per line, the rest inline.
pub fn value(v: &Value) -> String {
    match v {
        Value::Object(fields) if !fields.is_empty() => {
            let keys: Vec<String> = fields.keys().map(|k| key(k)).collect();
            let width = keys.iter().map(String::len).max().unwrap_or(0);
            keys.iter().zip(fields.values()).map(|(k, v)| format!("{k:width$} = {v}\n")).collect()
        }
        Value::Null => String::new(),
        other => format!("{other}\n"),
    }
}

/// A field name as written: bare if it is an identifier, quoted otherwise.
fn key(k: &str) -> String {
    let ident = k.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_') && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ident {
        k.to_string()
    } else {
        format!("{k:?}")
    }
}
