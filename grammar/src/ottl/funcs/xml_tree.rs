//! XML text read into a tree the way the Collector's XML functions see it.
//! They all stand on Go's `encoding/xml` decoder, so this reader keeps its
//! rules rather than a general parser's: one text node per run of
//! character data between two pieces of markup (entities decoded, `\r\n`
//! read as `\n`), a CDATA section its own text node, the five predefined
//! entities and character references and no others, attribute values
//! taken as written (no whitespace normalisation), duplicate attributes
//! allowed, and an element's name kept with its prefix so callers can take
//! the local part as Go does.
//!
//! Nesting is bounded by [`MAX_DEPTH`]: the tree is built without
//! recursion, but every function that walks a [`Value`](super::super::value::Value)
//! recurses, so a hostile document is refused here with a clear error.

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

/// The deepest element nesting a document may have. The Collector allows
/// 10,000; Solder allows as deep as `ParseJSON` does (serde_json's limit),
/// since the maps built from a document are walked recursively.
pub(super) const MAX_DEPTH: usize = 128;

/// A node of the document, in document order.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Node {
    Element(Element),
    /// Character data; `cdata` when it was a `<![CDATA[...]]>` section.
    Text {
        data: String,
        cdata: bool,
    },
    Comment(String),
    /// A processing instruction (the XML declaration included): its
    /// target and the text after it.
    Instruction {
        target: String,
        content: String,
    },
    /// `<!DOCTYPE ...>` and other `<!...>` markup, as written inside.
    Directive(String),
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Element {
    /// The name as written, prefix included.
    pub name: String,
    pub attrs: Vec<Attr>,
    pub children: Vec<Node>,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Attr {
    /// The name as written, prefix included.
    pub name: String,
    pub value: String,
}

/// The part of a qualified name after its prefix.
pub(super) fn local(name: &str) -> &str {
    name.split_once(':').map_or(name, |(_, l)| l)
}

impl Element {
    pub(super) fn local(&self) -> &str {
        local(&self.name)
    }

    pub(super) fn elements(&self) -> impl Iterator<Item = &Element> + Clone {
        self.children.iter().filter_map(|n| match n {
            Node::Element(e) => Some(e),
            _ => None,
        })
    }
}

/// The error for text after the first element, which the Collector words
/// without its usual `unmarshal xml:` prefix.
pub(super) const TRAILING: &str = "trailing bytes after parsing xml";

/// How much of the text to read.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Extent {
    /// The first element, which must end the text (Go's `Decoder.Decode`
    /// followed by `ParseXML`'s check for trailing bytes); what comes
    /// before it is skipped.
    FirstElement,
    /// Every node to the end of the text, at least one of them an element,
    /// and every element prefix declared (the Collector's `xmlquery`).
    Document,
}

/// Reads `text`. The nodes are the document's top-level nodes.
pub(super) fn parse(text: &str, extent: Extent) -> Result<Vec<Node>, String> {
    let mut tree = Builder { extent, top: Vec::new(), open: Vec::new(), run: None };
    // quick-xml reads `<!DOCTYPE` but no other `<!...>` declaration, which
    // Go passes over as a directive: the reader stops there, the
    // directive is read here, and a new reader takes up after it.
    let mut base = 0;
    'segments: loop {
        let mut reader = Reader::from_str(&text[base..]);
        let config = reader.config_mut();
        // End tags are matched against the builder's own stack, which
        // outlives each reader.
        config.check_end_names = false;
        config.allow_unmatched_ends = true;
        config.expand_empty_elements = false;
        config.trim_text(false);
        loop {
            let before = base + reader.buffer_position() as usize;
            let event = match reader.read_event() {
                Ok(event) => event,
                Err(e) => {
                    let at = base + reader.error_position() as usize;
                    match text.get(at..).and_then(directive) {
                        Some((inner, len)) => {
                            tree.flush()?;
                            tree.add(Node::Directive(inner.to_owned()));
                            base = at + len;
                            continue 'segments;
                        }
                        None => return Err(format!("XML syntax error at byte {at}: {e}")),
                    }
                }
            };
            if let Event::Eof = event {
                break 'segments;
            }
            if let Event::DocType(_) = event {
                // Go keeps a directive as written between `<!` and `>`.
                let raw = text.get(before..base + reader.buffer_position() as usize).unwrap_or_default();
                let inner = raw.trim_start().strip_prefix("<!").and_then(|r| r.strip_suffix('>')).unwrap_or(raw);
                tree.flush()?;
                tree.add(Node::Directive(inner.to_owned()));
                continue;
            }
            if let Flow::Done = tree.event(event)? {
                if base + reader.buffer_position() as usize != text.len() {
                    return Err(TRAILING.into());
                }
                return Ok(tree.top.into_iter().filter(|n| matches!(n, Node::Element(_))).collect());
            }
        }
    }
    tree.flush()?;
    if !tree.open.is_empty() {
        return Err("XML syntax error: unexpected EOF".into());
    }
    if !tree.top.iter().any(|n| matches!(n, Node::Element(_))) {
        return Err(match extent {
            Extent::FirstElement => "EOF".into(),
            Extent::Document => "invalid XML document: no element".into(),
        });
    }
    Ok(tree.top)
}

/// A `<!...>` declaration other than a comment or CDATA at the start of
/// `text`, read as Go reads one (to the `>` that balances its `<`, quoted
/// text skipped): what is inside, and the length of the whole. As in Go,
/// `<!-` and `<![` open only a comment and a CDATA section: anything else
/// after them is not a directive but an error.
fn directive(text: &str) -> Option<(&str, usize)> {
    let rest = text.strip_prefix("<!")?;
    if rest.starts_with('-') || rest.starts_with('[') {
        return None;
    }
    let (mut depth, mut quote) = (1usize, None);
    for (i, c) in rest.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '<') => depth += 1,
            (None, '>') => {
                depth -= 1;
                if depth == 0 {
                    return Some((&rest[..i], i + 3));
                }
            }
            _ => {}
        }
    }
    None
}

enum Flow {
    More,
    /// The first element ended and only it was wanted.
    Done,
}

/// The tree so far.
struct Builder {
    extent: Extent,
    top: Vec<Node>,
    /// Open elements, innermost last, with the prefixes each declares.
    open: Vec<(Element, Vec<String>)>,
    /// Character data since the last markup: Go reports it as one token.
    run: Option<String>,
}

impl Builder {
    fn event(&mut self, event: Event<'_>) -> Result<Flow, String> {
        match event {
            Event::Text(t) => self.run.get_or_insert_with(String::new).push_str(&t.xml10_content()),
            Event::GeneralRef(r) => self.run.get_or_insert_with(String::new).push(named_or_numeric(&r)?),
            Event::Start(s) => {
                self.flush()?;
                let opened = self.start(&s)?;
                self.open.push(opened);
            }
            Event::Empty(s) => {
                self.flush()?;
                let (element, _) = self.start(&s)?;
                return Ok(self.close(element));
            }
            Event::End(e) => {
                self.flush()?;
                let Some((element, _)) = self.open.pop() else {
                    return Err(format!("XML syntax error: unexpected end element </{}>", e.name().as_ref()));
                };
                if element.name != e.name().as_ref() {
                    return Err(format!("XML syntax error: element <{}> closed by </{}>", element.name, e.name().as_ref()));
                }
                return Ok(self.close(element));
            }
            Event::CData(c) => {
                self.flush()?;
                let data = c.xml10_content().into_owned();
                check_chars(&data)?;
                self.add(Node::Text { data, cdata: true });
            }
            Event::Comment(c) => {
                self.flush()?;
                self.add(Node::Comment(c.to_string()));
            }
            Event::Decl(d) => {
                self.flush()?;
                let inner: &str = &d;
                let content = inner.strip_prefix("xml").unwrap_or(inner).trim_start().to_owned();
                self.add(Node::Instruction { target: "xml".into(), content });
            }
            Event::PI(p) => {
                self.flush()?;
                let target = p.target().to_owned();
                self.add(Node::Instruction { target, content: p.content().trim_start().to_owned() });
            }
            Event::DocType(_) => {}
            Event::Eof => {}
        }
        Ok(Flow::More)
    }

    /// Ends the current run of character data.
    fn flush(&mut self) -> Result<(), String> {
        if let Some(data) = self.run.take() {
            check_chars(&data)?;
            if data.contains("]]>") {
                return Err("XML syntax error: unescaped ]]> not in CDATA section".into());
            }
            self.add(Node::Text { data, cdata: false });
        }
        Ok(())
    }

    /// An element opening: checked for depth and, for a whole document,
    /// for an undeclared prefix.
    fn start(&self, s: &BytesStart<'_>) -> Result<(Element, Vec<String>), String> {
        if self.open.len() >= MAX_DEPTH {
            return Err(format!("XML nested deeper than {MAX_DEPTH} elements"));
        }
        let opened = start(s)?;
        if self.extent == Extent::Document {
            check_prefix(&opened.0, &opened.1, &self.open)?;
        }
        Ok(opened)
    }

    fn close(&mut self, element: Element) -> Flow {
        let outermost = self.open.is_empty();
        self.add(Node::Element(element));
        if outermost && self.extent == Extent::FirstElement {
            Flow::Done
        } else {
            Flow::More
        }
    }

    /// Appends a node to the innermost open element, or to the document.
    fn add(&mut self, node: Node) {
        match self.open.last_mut() {
            Some((parent, _)) => parent.children.push(node),
            None => self.top.push(node),
        }
    }
}

/// An element's name and attributes, and the prefixes it declares.
fn start(s: &BytesStart<'_>) -> Result<(Element, Vec<String>), String> {
    let name = s.name().as_ref().to_owned();
    let mut attrs = Vec::new();
    let mut declared = Vec::new();
    let mut raw = s.attributes();
    raw.with_checks(false);
    for attr in raw {
        let attr = attr.map_err(|e| format!("XML syntax error: {e}"))?;
        let key = attr.key.as_ref().to_owned();
        let value = attr_value(&attr.value)?;
        if let Some(prefix) = key.strip_prefix("xmlns:") {
            declared.push(prefix.to_owned());
        }
        attrs.push(Attr { name: key, value });
    }
    Ok((Element { name, attrs, children: Vec::new() }, declared))
}

/// An element's prefix must be declared on it or above it.
fn check_prefix(element: &Element, declared: &[String], open: &[(Element, Vec<String>)]) -> Result<(), String> {
    let Some((prefix, _)) = element.name.split_once(':') else { return Ok(()) };
    let known = prefix == "xml" || declared.iter().chain(open.iter().flat_map(|(_, d)| d)).any(|d| d == prefix);
    if known {
        Ok(())
    } else {
        Err(format!("invalid XML document, namespace {prefix} is missing"))
    }
}

/// An attribute value as Go reads it: references decoded, line ends
/// normalised, `<` refused, whitespace otherwise kept.
fn attr_value(raw: &str) -> Result<String, String> {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(i) = rest.find(['&', '<', '\r']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if tail.starts_with('<') {
            return Err("XML syntax error: unescaped < inside quoted string".into());
        }
        if let Some(after) = tail.strip_prefix('\r') {
            out.push('\n');
            rest = after.strip_prefix('\n').unwrap_or(after);
            continue;
        }
        let Some(end) = tail.find(';') else { return Err("XML syntax error: invalid character entity (no semicolon)".into()) };
        out.push(named_or_numeric(&tail[1..end])?);
        rest = &tail[end + 1..];
    }
    out.push_str(rest);
    check_chars(&out)?;
    Ok(out)
}

/// The five predefined entities and character references; Go's strict
/// decoder knows no others.
fn named_or_numeric(name: &str) -> Result<char, String> {
    let bad = || format!("XML syntax error: invalid character entity &{name};");
    Ok(match name {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "apos" => '\'',
        "quot" => '"',
        _ => {
            let number = name.strip_prefix('#').ok_or_else(bad)?;
            let code = match number.strip_prefix('x') {
                Some(hex) => u32::from_str_radix(hex, 16),
                None => number.parse::<u32>(),
            }
            .map_err(|_| bad())?;
            let c = char::from_u32(code).ok_or_else(bad)?;
            if !legal(c) {
                return Err(bad());
            }
            c
        }
    })
}

/// XML 1.0's `Char` production, which Go's decoder enforces.
fn legal(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
}

fn check_chars(s: &str) -> Result<(), String> {
    match s.chars().find(|&c| !legal(c)) {
        Some(c) => Err(format!("XML syntax error: illegal character code U+{:04X}", c as u32)),
        None => Ok(()),
    }
}
