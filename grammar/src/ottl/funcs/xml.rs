//! `ParseXML` and `ParseSimplifiedXML`: an XML string as a map, in the
//! Collector's two documented shapes.
//!
//! `ParseXML` keeps everything but comments, instructions and directives:
//! each element is a map of `tag` (its local name), `content` (every run of
//! its character data trimmed and joined with nothing between, left out
//! when empty), `attributes` (local names to values, left out when none)
//! and `children` (a list of such maps, left out when none). Only one
//! element may be given: anything after it, even a newline, is an error,
//! as in the Collector.
//!
//! `ParseSimplifiedXML` keeps only elements and their text: an element
//! with no child elements becomes its first piece of text, as written
//! (untrimmed); one with child elements becomes a map of them; a tag that
//! appears more than once among siblings becomes a list. Elements with
//! nothing in them are left out, though they still count towards making a
//! list.

use super::super::function::{FunctionDef, Param, ParamKind::*};
use super::super::value::Value;
use super::common::{func, map_put, want_str};
use super::xml_tree::{parse, Element, Extent, Node, TRAILING};

const TARGET: &[Param] = &[Param::required("target", Value)];

pub(super) const DEFS: &[FunctionDef] = &[
    FunctionDef { name: "ParseXML", params: TARGET, make: |_| func(|args| parse_xml(&want_str(args.get(0)?)?)) },
    FunctionDef { name: "ParseSimplifiedXML", params: TARGET, make: |_| func(|args| parse_simplified(&want_str(args.get(0)?)?)) },
];

fn parse_xml(text: &str) -> Result<Value, String> {
    let nodes = parse(text, Extent::FirstElement).map_err(|e| if e == TRAILING { e } else { format!("unmarshal xml: {e}") })?;
    match nodes.into_iter().next() {
        Some(Node::Element(root)) => Ok(element_map(root)),
        _ => Err("unmarshal xml: EOF".into()),
    }
}

/// One element in `ParseXML`'s shape. Recursion is bounded by the
/// reader's depth limit.
fn element_map(e: Element) -> Value {
    let mut m = vec![("tag".to_owned(), Value::Str(e.local().trim().to_owned()))];
    let content: String = e
        .children
        .iter()
        .filter_map(|n| match n {
            Node::Text { data, .. } => Some(data.trim()),
            _ => None,
        })
        .collect();
    if !content.is_empty() {
        m.push(("content".into(), Value::Str(content)));
    }
    if !e.attrs.is_empty() {
        let mut attrs = Vec::with_capacity(e.attrs.len());
        for a in &e.attrs {
            map_put(&mut attrs, super::xml_tree::local(&a.name), Value::Str(a.value.clone()));
        }
        m.push(("attributes".into(), Value::Map(attrs)));
    }
    let children: Vec<Value> = e
        .children
        .into_iter()
        .filter_map(|n| match n {
            Node::Element(child) => Some(element_map(child)),
            _ => None,
        })
        .collect();
    if !children.is_empty() {
        m.push(("children".into(), Value::List(children)));
    }
    Value::Map(m)
}

fn parse_simplified(text: &str) -> Result<Value, String> {
    let nodes = parse(text, Extent::Document).map_err(|e| format!("parse xml: {e}"))?;
    Ok(Value::Map(simplified(nodes.iter().filter_map(|n| match n {
        Node::Element(e) => Some(e),
        _ => None,
    }))))
}

/// The map of a list of sibling elements.
fn simplified<'a>(siblings: impl Iterator<Item = &'a Element> + Clone) -> Vec<(String, Value)> {
    let mut out: Vec<(String, Value)> = Vec::new();
    for child in siblings.clone() {
        // An element with nothing at all in it is left out.
        if child.children.is_empty() {
            continue;
        }
        let tag = child.local();
        let repeated = siblings.clone().filter(|s| s.local() == tag).nth(1).is_some();
        let value = match leaf(child) {
            Some(text) => Some(Value::Str(text.to_owned())),
            None => {
                let inner = simplified(child.elements());
                (!inner.is_empty()).then_some(Value::Map(inner))
            }
        };
        if repeated {
            // The list exists from the first member with anything in it,
            // even when that member turns out to hold nothing.
            if !out.iter().any(|(k, _)| k == tag) {
                out.push((tag.to_owned(), Value::List(Vec::new())));
            }
            if let (Some(v), Some((_, Value::List(items)))) = (value, out.iter_mut().find(|(k, _)| k == tag)) {
                items.push(v);
            }
        } else if let Some(v) = value {
            map_put(&mut out, tag, v);
        }
    }
    out
}

/// The text an element stands for when it has no child elements: its
/// first piece of text or CDATA, as written. `None` when it has child
/// elements or no non-empty text.
fn leaf(e: &Element) -> Option<&str> {
    if e.elements().next().is_some() {
        return None;
    }
    e.children
        .iter()
        .find_map(|n| match n {
            Node::Text { data, .. } => Some(data.as_str()),
            _ => None,
        })
        .filter(|t| !t.is_empty())
}
