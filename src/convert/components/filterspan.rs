//! The `include` and `exclude` options shared by the `attributes` and
//! `span` processors → `include` / `exclude` blocks.

use solder_syntax::Diagnostic;

use crate::convert::emit::Block;
use crate::convert::options::{value_expr, Diags, OptionReader, Ty};
use crate::convert::yaml::{Node, Value};

/// Both blocks, if the YAML has them.
pub fn include_exclude(r: &mut OptionReader, owner: &str, diags: &mut Diags) -> Vec<Block> {
    let mut out = Vec::new();
    for key in ["include", "exclude"] {
        if let Some(mut m) = r.child(key, diags) {
            let mut b = Block::new(key);
            m.copy(&mut b, "match_type", Ty::String, diags);
            for list in ["services", "span_names", "span_kinds", "log_bodies", "log_severity_texts", "metric_names"] {
                m.copy(&mut b, list, Ty::Strings, diags);
            }
            for (yaml, alloy) in [("attributes", "attribute"), ("resources", "resource")] {
                if let Some(e) = m.take(yaml) {
                    for (i, item) in items(owner, &format!("{key}.{yaml}"), &e.value, diags).iter().enumerate() {
                        let mut a = Block::new(alloy);
                        let mut ir = OptionReader::nested(owner, format!("{key}.{yaml}[{i}]."), item, diags);
                        ir.copy(&mut a, "key", Ty::String, diags);
                        if let Some(v) = any_value(&mut ir, "value", diags) {
                            a.attr("value", v);
                        }
                        ir.finish(diags);
                        b.block(a, true);
                    }
                }
            }
            if let Some(e) = m.take("libraries") {
                for (i, item) in items(owner, &format!("{key}.libraries"), &e.value, diags).iter().enumerate() {
                    let mut l = Block::new("library");
                    let mut ir = OptionReader::nested(owner, format!("{key}.libraries[{i}]."), item, diags);
                    ir.copy(&mut l, "name", Ty::String, diags);
                    ir.copy(&mut l, "version", Ty::String, diags);
                    ir.finish(diags);
                    b.block(l, true);
                }
            }
            if let Some(mut re) = m.child("regexp", diags) {
                let mut rb = Block::new("regexp");
                re.copy_as(&mut rb, "cacheenabled", "cache_enabled", Ty::Bool, diags);
                re.copy_as(&mut rb, "cachemaxnumentries", "cache_max_num_entries", Ty::Int, diags);
                re.finish(diags);
                b.block(rb, true);
            }
            m.unsupported("log_severity_number", "Solder's include/exclude has no log_severity block yet", diags);
            m.finish(diags);
            out.push(b);
        }
    }
    out
}

/// The items of a list option; anything else is reported.
pub fn items<'a>(owner: &str, path: &str, node: &'a Node, diags: &mut Diags) -> &'a [Node] {
    match &node.value {
        Value::Seq(items) => items,
        Value::Null => &[],
        _ => {
            diags.push(Diagnostic::error(node.span, format!("{owner}: option {path:?} must be a list of mappings, got {}", node.kind())));
            &[]
        }
    }
}

/// A `value` that takes any type, typed as the YAML wrote it: unquoted
/// `true`/`false` a bool, an unquoted number a number, anything else a
/// string.
pub fn any_value(r: &mut OptionReader, key: &'static str, diags: &mut Diags) -> Option<String> {
    let entry = r.take(key)?;
    let ty = match &entry.value.value {
        Value::Scalar { text, quoted: false } if text == "true" || text == "false" => Ty::Bool,
        Value::Scalar { text, quoted: false } if text.parse::<i64>().is_ok() => Ty::Int,
        Value::Scalar { text, quoted: false } if text.parse::<f64>().is_ok_and(f64::is_finite) => Ty::Float,
        _ => Ty::String,
    };
    match value_expr(&entry.value, ty) {
        Ok(v) => v,
        Err(e) => {
            diags.push(r.invalid(entry.value.span, key, &e));
            None
        }
    }
}
