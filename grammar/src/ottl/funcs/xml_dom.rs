//! The document that the Collector's XML editing functions work on: the
//! `xmlquery` node tree, with its links (parent, first and last child,
//! previous and next sibling) kept the same way, so that moving a node
//! with [`Dom::add_child`] or [`Dom::remove`] leaves exactly the links
//! `xmlquery` leaves, aliasing included, and [`Dom::output`] prints what
//! its `OutputXML(false)` prints: elements always with an end tag,
//! whitespace kept, text and attribute values escaped as Go's
//! `html.EscapeString` escapes them.

use super::xml_tree::{parse, Extent, Node, MAX_DEPTH};

/// A node's place in [`Dom::nodes`].
pub(super) type Id = usize;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Document,
    /// A processing instruction or the XML declaration.
    Declaration,
    Element,
    Text,
    CData,
    Comment,
    /// `<!DOCTYPE ...>` and other `<!...>` markup.
    Notation,
}

#[derive(Debug, Clone)]
pub(super) struct DomNode {
    pub kind: Kind,
    /// An element's local name, a declaration's target, or the text.
    pub data: String,
    pub prefix: String,
    /// Attributes as written (`prefix:local`) with their values.
    pub attrs: Vec<(String, String)>,
    pub parent: Option<Id>,
    pub first: Option<Id>,
    pub last: Option<Id>,
    pub prev: Option<Id>,
    pub next: Option<Id>,
}

pub(super) struct Dom {
    pub nodes: Vec<DomNode>,
}

/// The document node.
pub(super) const DOC: Id = 0;

impl Dom {
    /// Parses `text` as the Collector's XML editors do: the declaration
    /// stays only when the text starts with `<?xml`, and whatever comes
    /// before the first element or instruction is dropped, as `xmlquery`'s
    /// tree drops it.
    pub(super) fn parse(text: &str) -> Result<Dom, String> {
        let top = parse(text, Extent::Document).map_err(|e| format!("parse xml: {e}"))?;
        let mut dom = Dom { nodes: vec![blank(Kind::Document, String::new())] };
        let (mut started, mut seen_element) = (false, false);
        for node in top {
            match &node {
                Node::Instruction { .. } if seen_element => return Err(UNSUPPORTED_INSTRUCTION.into()),
                Node::Element(_) => seen_element = true,
                _ => {}
            }
            if !started {
                match &node {
                    Node::Instruction { .. } => started = true,
                    Node::Element(_) => {
                        started = true;
                        // xmlquery adds a declaration before a first element
                        // that has none.
                        let mut decl = blank(Kind::Declaration, "xml".into());
                        decl.attrs.push(("version".into(), "1.0".into()));
                        let id = dom.push(decl);
                        dom.add_child(DOC, id);
                    }
                    _ => continue,
                }
            }
            dom.graft(DOC, node)?;
        }
        if !text.starts_with("<?xml") {
            if let Some(first) = dom.nodes[DOC].first {
                dom.remove(first);
            }
        }
        Ok(dom)
    }

    /// Adds `node` and everything in it as the last child of `parent`.
    /// Recursion is bounded by the reader's depth limit.
    fn graft(&mut self, parent: Id, node: Node) -> Result<(), String> {
        let id = match node {
            Node::Element(e) => {
                let (prefix, name) = match e.name.split_once(':') {
                    Some((p, l)) => (p.to_owned(), l.to_owned()),
                    None => (String::new(), e.name.clone()),
                };
                let mut n = blank(Kind::Element, name);
                n.prefix = prefix;
                n.attrs = e.attrs.into_iter().map(|a| (a.name, a.value)).collect();
                let id = self.push(n);
                self.add_child(parent, id);
                for child in e.children {
                    if let Node::Instruction { .. } = child {
                        return Err(UNSUPPORTED_INSTRUCTION.into());
                    }
                    self.graft(id, child)?;
                }
                return Ok(());
            }
            Node::Text { data, cdata } => self.push(blank(if cdata { Kind::CData } else { Kind::Text }, data)),
            Node::Comment(c) => self.push(blank(Kind::Comment, c)),
            Node::Directive(d) => self.push(blank(Kind::Notation, d)),
            Node::Instruction { target, content } => {
                let mut n = blank(Kind::Declaration, target);
                // xmlquery keeps an instruction's `name=value` words as
                // attributes, quotes trimmed, and nothing else of it.
                for word in content.split(' ').map(str::trim) {
                    if let Some(i) = word.find('=').filter(|&i| i > 0) {
                        n.attrs.push((word[..i].to_owned(), word[i + 1..].trim_matches(['"', '\'']).to_owned()));
                    }
                }
                self.push(n)
            }
        };
        self.add_child(parent, id);
        Ok(())
    }

    pub(super) fn push(&mut self, node: DomNode) -> Id {
        self.nodes.push(node);
        self.nodes.len() - 1
    }

    /// `xmlquery.AddChild`: `n` becomes the last child of `parent`. Its
    /// old parent's links are left as they were, as in `xmlquery`.
    pub(super) fn add_child(&mut self, parent: Id, n: Id) {
        self.nodes[n].parent = Some(parent);
        self.nodes[n].next = None;
        match self.nodes[parent].first.and(self.nodes[parent].last) {
            None => {
                self.nodes[parent].first = Some(n);
                self.nodes[n].prev = None;
            }
            Some(last) => {
                self.nodes[last].next = Some(n);
                self.nodes[n].prev = Some(last);
            }
        }
        self.nodes[parent].last = Some(n);
    }

    /// `xmlquery.RemoveFromTree`: unlinks `n` from its parent.
    pub(super) fn remove(&mut self, n: Id) {
        let Some(parent) = self.nodes[n].parent else { return };
        let (prev, next) = (self.nodes[n].prev, self.nodes[n].next);
        match prev {
            None => self.nodes[parent].first = next,
            Some(p) => self.nodes[p].next = next,
        }
        match next {
            None => self.nodes[parent].last = prev,
            Some(x) => self.nodes[x].prev = prev,
        }
        let node = &mut self.nodes[n];
        node.parent = None;
        node.prev = None;
        node.next = None;
    }

    /// `Node.RemoveAttr(name)` for an unprefixed name: the first
    /// attribute with no prefix and that name goes.
    pub(super) fn remove_attr(&mut self, n: Id, name: &str) {
        if let Some(i) = self.nodes[n].attrs.iter().position(|(k, _)| k == name) {
            self.nodes[n].attrs.remove(i);
        }
    }

    /// The children of `n`, following the links as they are.
    pub(super) fn children(&self, n: Id) -> Children<'_> {
        Children { dom: self, next: self.nodes[n].first, left: self.nodes.len() }
    }

    /// `OutputXML(false)` of `n`: its children, printed.
    pub(super) fn output(&self, n: Id) -> Result<String, String> {
        let mut out = String::new();
        for child in self.children(n) {
            self.write(&mut out, child, 0)?;
        }
        Ok(out)
    }

    /// Prints one node. Each list of children is cut at the number of
    /// nodes and the nesting at twice a document's limit (a document and
    /// one inserted into it), so links that alias one another (as
    /// `xmlquery`'s can after a move) cannot make the walk endless; the
    /// text is bounded by [`MAX_OUTPUT`].
    fn write(&self, out: &mut String, n: Id, depth: usize) -> Result<(), String> {
        if out.len() > MAX_OUTPUT {
            return Err(format!("XML output over {MAX_OUTPUT} bytes"));
        }
        if depth > 2 * MAX_DEPTH + 2 {
            return Err(format!("XML nested deeper than {} elements", 2 * MAX_DEPTH));
        }
        let node = &self.nodes[n];
        let leaf = match node.kind {
            Kind::Text => {
                escape(out, &node.data);
                return Ok(());
            }
            Kind::CData => format!("<![CDATA[{}]]>", node.data),
            Kind::Comment => format!("<!--{}-->", node.data),
            Kind::Notation => format!("<!{}>", node.data),
            _ => String::new(),
        };
        if !leaf.is_empty() {
            out.push_str(&leaf);
            return Ok(());
        }
        match node.kind {
            Kind::Declaration => out.push_str(&format!("<?{}", node.data)),
            _ => {
                out.push('<');
                out.push_str(&qualified(node));
            }
        }
        for (k, v) in &node.attrs {
            out.push_str(&format!(" {k}=\""));
            escape(out, v);
            out.push('"');
        }
        out.push_str(if node.kind == Kind::Declaration { "?>" } else { ">" });
        for child in self.children(n) {
            self.write(out, child, depth + 1)?;
        }
        if node.kind != Kind::Declaration {
            out.push_str(&format!("</{}>", qualified(node)));
        }
        Ok(())
    }
}

/// The longest text the XML editors return. `InsertXML` prints the
/// inserted nodes under every selected element, so its output can be the
/// product of its inputs' sizes.
pub(super) const MAX_OUTPUT: usize = 16 << 20;

/// An element's name with its prefix.
fn qualified(node: &DomNode) -> String {
    if node.prefix.is_empty() {
        node.data.clone()
    } else {
        format!("{}:{}", node.prefix, node.data)
    }
}

const UNSUPPORTED_INSTRUCTION: &str =
    "a processing instruction after the first element is not supported: the Collector's XML tree misplaces the nodes after one";

pub(super) fn blank(kind: Kind, data: String) -> DomNode {
    DomNode { kind, data, prefix: String::new(), attrs: Vec::new(), parent: None, first: None, last: None, prev: None, next: None }
}

/// Go's `html.EscapeString`.
fn escape(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '\'' => out.push_str("&#39;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&#34;"),
            c => out.push(c),
        }
    }
}

/// Children by their `next` links, never more than there are nodes.
pub(super) struct Children<'a> {
    dom: &'a Dom,
    next: Option<Id>,
    left: usize,
}

impl Iterator for Children<'_> {
    type Item = Id;
    fn next(&mut self) -> Option<Id> {
        let n = self.next?;
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        self.next = self.dom.nodes[n].next;
        Some(n)
    }
}
