//! The XML converters that return XML text: `GetXML`, `InsertXML`,
//! `RemoveXML`, `ConvertAttributesToElementsXML` and
//! `ConvertTextToElementsXML` (also under their older names,
//! `ElementizeAttributesXML` and `ElementizeValuesXML`). Each parses the text into the Collector's
//! `xmlquery` tree ([`Dom`]), selects with an XPath compiled at load
//! ([`XPath`]; a bad or unsupported one is a load error on that argument),
//! edits the tree as the Collector's code does, and prints it back.

use super::super::function::{CompileArgs, FunctionDef, Param, ParamKind::*};
use super::super::value::Value;
use super::common::{func, lit_str, want_str, Made};
use super::xml_dom::{blank, Dom, Id, Kind, DOC};
use super::xml_path::{Hit, XPath};
use super::xml_tree::local;

/// The parameters of the two conversions, which they share with their
/// older names.
const TO_ELEMENTS: &[Param] = &[Param::required("target", Value), Param::optional("xpath", Str)];
const TEXT_TO_ELEMENTS: &[Param] = &[Param::required("target", Value), Param::optional("xpath", Str), Param::optional("elementName", Str)];

pub(super) const DEFS: &[FunctionDef] = &[
    FunctionDef { name: "GetXML", params: &[Param::required("target", Value), Param::required("xpath", Str)], make: get_xml },
    FunctionDef {
        name: "InsertXML",
        params: &[Param::required("target", Value), Param::required("xpath", Str), Param::required("value", Value)],
        make: insert_xml,
    },
    FunctionDef { name: "RemoveXML", params: &[Param::required("target", Value), Param::required("xpath", Str)], make: remove_xml },
    FunctionDef { name: "ConvertAttributesToElementsXML", params: TO_ELEMENTS, make: attributes_to_elements },
    FunctionDef { name: "ConvertTextToElementsXML", params: TEXT_TO_ELEMENTS, make: text_to_elements },
    // The names these two had before the Collector renamed them; its code
    // for them was the same.
    FunctionDef { name: "ElementizeAttributesXML", params: TO_ELEMENTS, make: attributes_to_elements },
    FunctionDef { name: "ElementizeValuesXML", params: TEXT_TO_ELEMENTS, make: text_to_elements },
];

/// The XPath literal at parameter 1, `default` when left out or empty.
fn xpath(c: &CompileArgs<'_>, default: Option<&str>) -> Result<XPath, (usize, String)> {
    let text = match (lit_str(c, 1).filter(|s| !s.is_empty()), default) {
        (Some(t), _) => t,
        (None, Some(d)) => d,
        (None, None) => return Err((1, "the xpath must be a string literal".into())),
    };
    XPath::compile(text).map_err(|e| (1, format!("invalid xpath: {e}")))
}

/// `GetXML`: the selected elements and text, attribute values and CDATA
/// as text, side by side. Selected elements are moved, not copied, as in
/// the Collector, so an element inside another selected one ends its
/// outer one's printed children.
fn get_xml(c: &CompileArgs<'_>) -> Made {
    let path = xpath(c, None)?;
    func(move |args| {
        let mut dom = Dom::parse(&want_str(args.get(0)?)?)?;
        let result = dom.push(blank(Kind::Document, String::new()));
        for hit in path.select(&dom) {
            let moved = match hit {
                Hit::Node(n) => match dom.nodes[n].kind {
                    Kind::Element | Kind::Text => n,
                    Kind::CData => dom.push(blank(Kind::Text, dom.nodes[n].data.clone())),
                    _ => continue,
                },
                Hit::Attr { value, .. } => dom.push(blank(Kind::Text, value)),
            };
            dom.add_child(result, moved);
        }
        Ok(Value::Str(dom.output(result)?))
    })
}

/// `InsertXML`: the top-level nodes of `value` appended to each selected
/// element (or to the document for `/`).
fn insert_xml(c: &CompileArgs<'_>) -> Made {
    let path = xpath(c, None)?;
    func(move |args| {
        let mut dom = Dom::parse(&want_str(args.get(0)?)?)?;
        let sub = Dom::parse(&want_str(args.get(2)?)?)?;
        // The sub-document's nodes join the target's arena.
        let offset = dom.nodes.len();
        let shift = |id: Option<Id>| id.map(|i| i + offset);
        let sub_first = shift(sub.nodes[DOC].first);
        dom.nodes.extend(sub.nodes.into_iter().map(|mut n| {
            (n.parent, n.first, n.last, n.prev, n.next) = (shift(n.parent), shift(n.first), shift(n.last), shift(n.prev), shift(n.next));
            n
        }));
        let mut errors = Vec::new();
        for hit in path.select(&dom) {
            match hit {
                Hit::Node(n) if matches!(dom.nodes[n].kind, Kind::Element | Kind::Document) => {
                    // As in the Collector, each target takes the nodes from
                    // the sub-document's first one on, following their
                    // links as the previous target left them.
                    let (mut next, mut left) = (sub_first, dom.nodes.len());
                    while let Some(x) = next.filter(|_| left > 0) {
                        left -= 1;
                        next = dom.nodes[x].next;
                        dom.add_child(n, x);
                    }
                }
                Hit::Node(n) => errors.push(format!("InsertXML XPath selected non-element: {:?}", dom.nodes[n].data)),
                Hit::Attr { name, .. } => errors.push(format!("InsertXML XPath selected non-element: {:?}", local(&name))),
            }
        }
        if !errors.is_empty() {
            return Err(errors.join("\n"));
        }
        Ok(Value::Str(dom.output(DOC)?))
    })
}

/// `RemoveXML`: selected elements, comments and CDATA removed, text
/// emptied, and unprefixed attributes of the selected name removed.
fn remove_xml(c: &CompileArgs<'_>) -> Made {
    let path = xpath(c, None)?;
    func(move |args| {
        let text = want_str(args.get(0)?)?;
        if text.is_empty() {
            return Ok(Value::Str(text));
        }
        let mut dom = Dom::parse(&text)?;
        for hit in path.select(&dom) {
            match hit {
                Hit::Node(n) => match dom.nodes[n].kind {
                    Kind::Element | Kind::Comment | Kind::CData => dom.remove(n),
                    Kind::Text => dom.nodes[n].data.clear(),
                    _ => {}
                },
                Hit::Attr { element, name, .. } => dom.remove_attr(element, local(&name)),
            }
        }
        Ok(Value::Str(dom.output(DOC)?))
    })
}

/// `ConvertAttributesToElementsXML`: each selected attribute (all of
/// them by default) becomes a last child element of its element, named
/// by its local name; only an unprefixed attribute is then removed, as
/// the Collector's code does.
fn attributes_to_elements(c: &CompileArgs<'_>) -> Made {
    let path = xpath(c, Some("//@*"))?;
    func(move |args| {
        let mut dom = Dom::parse(&want_str(args.get(0)?)?)?;
        for hit in path.select(&dom) {
            let Hit::Attr { element, name, value } = hit else { continue };
            let text = dom.push(blank(Kind::Text, value));
            let mut child = blank(Kind::Element, local(&name).to_owned());
            child.first = Some(text);
            let child = dom.push(child);
            dom.add_child(element, child);
            dom.remove_attr(element, local(&name));
        }
        Ok(Value::Str(dom.output(DOC)?))
    })
}

/// `ConvertTextToElementsXML`: within each selected element (the whole
/// document by default), text that shares its parent with other text or
/// elements is wrapped in an element named `elementName` (`value`).
fn text_to_elements(c: &CompileArgs<'_>) -> Made {
    let path = xpath(c, Some("/"))?;
    let name = lit_str(c, 2).filter(|s| !s.is_empty()).unwrap_or("value").to_owned();
    func(move |args| {
        let mut dom = Dom::parse(&want_str(args.get(0)?)?)?;
        for hit in path.select(&dom) {
            if let Hit::Node(n) = hit {
                wrap_text(&mut dom, n, &name);
            }
        }
        Ok(Value::Str(dom.output(DOC)?))
    })
}

/// Recursion is bounded by the document's depth limit.
fn wrap_text(dom: &mut Dom, parent: Id, name: &str) {
    if !matches!(dom.nodes[parent].kind, Kind::Element | Kind::Document) {
        return;
    }
    let kids: Vec<Id> = dom.children(parent).collect();
    let (mut values, mut elements) = (0, 0);
    for &k in &kids {
        match dom.nodes[k].kind {
            Kind::Element => {
                wrap_text(dom, k, name);
                elements += 1;
            }
            Kind::Text => values += 1,
            _ => {}
        }
    }
    if values == 0 || elements + values <= 1 {
        return;
    }
    for k in kids {
        if dom.nodes[k].kind != Kind::Text {
            continue;
        }
        let text = dom.push(blank(Kind::Text, dom.nodes[k].data.clone()));
        let node = &mut dom.nodes[k];
        node.kind = Kind::Element;
        node.data = name.to_owned();
        node.first = Some(text);
        node.last = Some(text);
    }
}
