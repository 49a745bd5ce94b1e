//! Collector YAML read into a tree that remembers where every key and value
//! was written, so each diagnostic of the conversion points at its line.
//!
//! yaml-rust2's marked event parser gives each event a line and a column;
//! they are turned into byte offsets of the source here. Anchors and aliases
//! are resolved by copying the anchored node. Scalars keep their text and
//! whether they were quoted: a YAML document has no types of its own until
//! an option gives it one, so typing is left to the option readers.

use std::collections::HashMap;

use solder_syntax::{Diagnostic, Span};
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// One YAML value and where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `~`, `null`, or nothing at all (`key:` with no value).
    Null,
    /// A scalar's text; `quoted` when it was written in quotes or as a
    /// block scalar, which makes it a string whatever it looks like.
    Scalar {
        text: String,
        quoted: bool,
    },
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

/// A mapping entry: the key's text and span, and the value.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: String,
    pub key_span: Span,
    pub value: Node,
}

impl Node {
    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    /// The entries of a mapping; a null node is an empty mapping, as in the
    /// Collector (`debug:` with nothing under it).
    pub fn entries(&self) -> Option<&[Entry]> {
        match &self.value {
            Value::Map(entries) => Some(entries),
            Value::Null => Some(&[]),
            _ => None,
        }
    }

    /// The value under `key`, if this is a mapping that has it.
    #[cfg(test)]
    pub fn get(&self, key: &str) -> Option<&Entry> {
        self.entries()?.iter().find(|e| e.key == key)
    }

    /// What kind of value this is, for messages.
    pub fn kind(&self) -> &'static str {
        match &self.value {
            Value::Null => "null",
            Value::Scalar { .. } => "a scalar",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
}

/// Parses one YAML document. An empty document is a null node.
pub fn parse(src: &str) -> Result<Node, Diagnostic> {
    let offsets = LineOffsets::new(src);
    let mut builder = TreeBuilder { src, offsets: &offsets, stack: Vec::new(), anchors: HashMap::new(), nodes: 0, root: None, documents: 0, error: None };
    // Events are pulled one at a time rather than through `Parser::load`,
    // which recurses once per nesting level: deep input would overflow the
    // stack before the builder's depth limit could stop it.
    let mut parser = Parser::new_from_str(src);
    while builder.error.is_none() {
        match parser.next_token() {
            Ok((Event::StreamEnd, _)) => break,
            Ok((ev, mark)) => builder.on_event(ev, mark),
            Err(e) => {
                let at = offsets.offset(e.marker());
                return Err(Diagnostic::error(Span::at(at), format!("invalid YAML: {}", e.info())));
            }
        }
    }
    if let Some(d) = builder.error {
        return Err(d);
    }
    Ok(builder.root.unwrap_or(Node { value: Value::Null, span: Span::at(0) }))
}

/// Byte offsets of line starts, to turn a marker's line and column into a
/// byte offset (the marker's own index counts characters).
struct LineOffsets<'a> {
    src: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineOffsets<'a> {
    fn new(src: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(src.match_indices('\n').map(|(i, _)| i + 1));
        LineOffsets { src, starts }
    }

    fn offset(&self, m: &Marker) -> usize {
        let line = m.line().max(1) - 1;
        let Some(&start) = self.starts.get(line) else {
            return self.src.len();
        };
        let rest = &self.src[start..];
        let col = rest.char_indices().nth(m.col()).map_or(rest.len(), |(i, _)| i);
        (start + col).min(self.src.len())
    }
}

/// How deep mappings and lists may nest. Collector configs need a handful
/// of levels; the limit keeps hostile input from exhausting the stack.
const MAX_DEPTH: usize = 64;

/// How many nodes the document may expand to once aliases are copied in:
/// far beyond any real config, and a stop to alias bombs.
const MAX_NODES: usize = 200_000;

enum Open {
    Seq { items: Vec<Node>, start: usize, anchor: usize },
    Map { entries: Vec<Entry>, pending_key: Option<(String, Span)>, start: usize, anchor: usize },
}

struct TreeBuilder<'a> {
    src: &'a str,
    offsets: &'a LineOffsets<'a>,
    stack: Vec<Open>,
    /// Anchored nodes, with how many nodes each holds.
    anchors: HashMap<usize, (Node, usize)>,
    /// Nodes built so far, aliases counted at their full size.
    nodes: usize,
    root: Option<Node>,
    documents: usize,
    error: Option<Diagnostic>,
}

impl TreeBuilder<'_> {
    /// Hands a finished node to whatever is open: a sequence, a mapping
    /// (as its key or value), or the document.
    fn push(&mut self, node: Node, anchor: usize) {
        if anchor != 0 {
            self.anchors.insert(anchor, (node.clone(), size(&node)));
        }
        match self.stack.last_mut() {
            Some(Open::Seq { items, .. }) => items.push(node),
            Some(Open::Map { entries, pending_key, .. }) => match pending_key.take() {
                Some((key, key_span)) => entries.push(Entry { key, key_span, value: node }),
                None => match node.value {
                    Value::Scalar { text, .. } => *pending_key = Some((text, node.span)),
                    Value::Null => *pending_key = Some((String::new(), node.span)),
                    _ => {
                        if self.error.is_none() {
                            self.error = Some(Diagnostic::error(node.span, "mapping keys must be plain values, not lists or mappings"));
                        }
                        *pending_key = Some((String::new(), node.span));
                    }
                },
            },
            None => self.root = Some(node),
        }
    }

    /// The span of a scalar written at `start`: up to its closing quote, or
    /// for a plain scalar the rest of its line without a comment.
    fn scalar_span(&self, start: usize, style: TScalarStyle) -> Span {
        let rest = &self.src[start..];
        let line = rest.split('\n').next().unwrap_or("");
        let len = match style {
            TScalarStyle::SingleQuoted | TScalarStyle::DoubleQuoted => {
                let quote = if style == TScalarStyle::SingleQuoted { '\'' } else { '"' };
                let mut escaped = false;
                line.char_indices()
                    .skip(1)
                    .find(|&(_, c)| {
                        let end = c == quote && !escaped;
                        escaped = quote == '"' && c == '\\' && !escaped;
                        end
                    })
                    .map_or(line.len(), |(i, c)| i + c.len_utf8())
            }
            TScalarStyle::Plain => {
                let cut = line.find(" #").unwrap_or(line.len());
                let in_flow = self.stack.iter().any(|o| matches!(o, Open::Seq { .. })) && (line.contains(']') || line.contains(','));
                let cut = if in_flow { line[..cut].find([',', ']', '}']).unwrap_or(cut) } else { cut };
                line[..cut].trim_end().len()
            }
            _ => line.trim_end().len(),
        };
        Span::new(start, start + len.max(1).min(rest.len()))
    }
}

impl MarkedEventReceiver for TreeBuilder<'_> {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        let at = self.offsets.offset(&mark);
        if matches!(ev, Event::SequenceStart(..) | Event::MappingStart(..)) && self.stack.len() >= MAX_DEPTH {
            self.error = Some(Diagnostic::error(Span::at(at), format!("YAML nested deeper than {MAX_DEPTH} levels")));
            return;
        }
        match ev {
            Event::DocumentStart => {
                self.documents += 1;
                if self.documents > 1 && self.error.is_none() {
                    self.error = Some(Diagnostic::error(Span::at(at), "a collector config is one YAML document; this is a second one"));
                }
            }
            Event::Scalar(text, style, anchor, _tag) => {
                let plain = style == TScalarStyle::Plain;
                let value =
                    if plain && matches!(text.as_str(), "" | "~" | "null" | "Null" | "NULL") { Value::Null } else { Value::Scalar { text, quoted: !plain } };
                let span = match &value {
                    // A one-line plain scalar is exactly its text.
                    Value::Scalar { text, .. } if plain && self.src[at..].starts_with(text.as_str()) => Span::new(at, at + text.len()),
                    _ => self.scalar_span(at, style),
                };
                self.push(Node { value, span }, anchor);
            }
            Event::SequenceStart(anchor, _) => self.stack.push(Open::Seq { items: Vec::new(), start: at, anchor }),
            Event::MappingStart(anchor, _) => self.stack.push(Open::Map { entries: Vec::new(), pending_key: None, start: at, anchor }),
            Event::SequenceEnd | Event::MappingEnd => {
                let (node, anchor) = match self.stack.pop() {
                    Some(Open::Seq { items, start, anchor }) => (Node { value: Value::Seq(items), span: Span::new(start, start + 1) }, anchor),
                    Some(Open::Map { entries, start, anchor, .. }) => (Node { value: Value::Map(entries), span: Span::new(start, start + 1) }, anchor),
                    None => return,
                };
                self.push(node, anchor);
            }
            Event::Alias(id) => {
                let copied = self.anchors.get(&id).map_or(0, |(_, n)| *n);
                self.nodes += copied;
                if self.nodes > MAX_NODES {
                    self.error = Some(Diagnostic::error(Span::at(at), format!("YAML aliases expand to more than {MAX_NODES} values")));
                    return;
                }
                let node = match self.anchors.get(&id) {
                    Some((n, _)) => Node { value: n.value.clone(), span: Span::new(at, at + 1) },
                    None => Node { value: Value::Null, span: Span::at(at) },
                };
                self.push(node, 0);
            }
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => {}
        }
    }
}

/// How many nodes a tree holds (at most `MAX_DEPTH` deep).
fn size(node: &Node) -> usize {
    1 + match &node.value {
        Value::Seq(items) => items.iter().map(size).sum(),
        Value::Map(entries) => entries.iter().map(|e| 1 + size(&e.value)).sum(),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scalar(n: &Node) -> &str {
        match &n.value {
            Value::Scalar { text, .. } => text,
            other => panic!("not a scalar: {other:?}"),
        }
    }

    #[test]
    fn keys_and_values_keep_their_byte_spans() {
        let src = "receivers:\n  otlp:\n    protocols:\n      grpc:\n        endpoint: \"0.0.0.0:4317\" # here\n";
        let root = parse(src).unwrap();
        let otlp = &root.get("receivers").unwrap().value.get("otlp").unwrap();
        assert_eq!(&src[otlp.key_span.range()], "otlp");
        let grpc = otlp.value.get("protocols").unwrap().value.get("grpc").unwrap();
        let endpoint = grpc.value.get("endpoint").unwrap();
        assert_eq!(&src[endpoint.key_span.range()], "endpoint");
        assert_eq!(&src[endpoint.value.span.range()], "\"0.0.0.0:4317\"");
        assert_eq!(scalar(&endpoint.value), "0.0.0.0:4317");
    }

    #[test]
    fn spans_count_bytes_after_multibyte_characters() {
        let src = "a: \"çé\"\nb: x\n";
        let root = parse(src).unwrap();
        let b = root.get("b").unwrap();
        assert_eq!(&src[b.key_span.range()], "b");
        assert_eq!(&src[b.value.span.range()], "x");
    }

    #[test]
    fn flow_sequences_nulls_and_quotes() {
        let root = parse("r: [otlp, 'otlp/2']\nempty:\nq: \"true\"\n").unwrap();
        let Value::Seq(items) = &root.get("r").unwrap().value.value else { panic!() };
        assert_eq!(items.len(), 2);
        assert_eq!(scalar(&items[1]), "otlp/2");
        assert!(root.get("empty").unwrap().value.is_null());
        assert_eq!(root.get("q").unwrap().value.value, Value::Scalar { text: "true".into(), quoted: true });
    }

    #[test]
    fn aliases_copy_the_anchored_node() {
        let root = parse("a: &tls\n  insecure: true\nb: *tls\n").unwrap();
        assert_eq!(root.get("a").unwrap().value.value, root.get("b").unwrap().value.value);
    }

    #[test]
    fn alias_bombs_and_deep_nesting_are_refused() {
        let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..8 {
            bomb.push_str(&format!("a{i}: &a{i} [{}]\n", vec![format!("*a{}", i - 1); 10].join(", ")));
        }
        assert!(parse(&bomb).unwrap_err().message.contains("aliases expand to more than"));
        assert!(parse(&"- ".repeat(10_000)).unwrap_err().message.contains("nested deeper than 64 levels"));
    }

    #[test]
    fn syntax_errors_point_at_their_line() {
        let src = "a:\n  b: [1, 2\nc: d\n";
        let err = parse(src).unwrap_err();
        assert!(err.message.starts_with("invalid YAML"), "{}", err.message);
        assert!(err.span.start > 3, "{:?}", err.span);
    }
}
