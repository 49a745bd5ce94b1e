//! The Alloy being written: blocks of attributes and nested blocks, whose
//! values are already Alloy expressions. Rendering writes them out plainly
//! and leaves layout (alignment, blank lines) to Solder's formatter, so the
//! output is exactly what `solder fmt` would print.

pub use solder_syntax::literal::quote;

/// A block: a component (`otelcol.exporter.otlp "default" { ... }`), a
/// nested block (`client { ... }`), or a settings block (`logging`).
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    pub name: String,
    pub label: Option<String>,
    pub body: Vec<Item>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// `name = expression`, the expression as Alloy source.
    Attr(String, String),
    Block(Block),
}

impl Block {
    pub fn new(name: impl Into<String>) -> Block {
        Block { name: name.into(), label: None, body: Vec::new() }
    }

    pub fn labelled(name: impl Into<String>, label: impl Into<String>) -> Block {
        Block { name: name.into(), label: Some(label.into()), body: Vec::new() }
    }

    pub fn attr(&mut self, name: &str, expr: impl Into<String>) {
        self.body.push(Item::Attr(name.to_string(), expr.into()));
    }

    /// Adds a nested block, unless it is empty and `keep_empty` is false.
    pub fn block(&mut self, block: Block, keep_empty: bool) {
        if keep_empty || !block.body.is_empty() {
            self.body.push(Item::Block(block));
        }
    }

    fn write(&self, out: &mut String, depth: usize) {
        let indent = "\t".repeat(depth);
        out.push_str(&indent);
        out.push_str(&self.name);
        if let Some(label) = &self.label {
            out.push(' ');
            out.push_str(&quote(label));
        }
        out.push_str(" {\n");
        let mut previous_was_block = false;
        for (i, item) in self.body.iter().enumerate() {
            let is_block = matches!(item, Item::Block(_));
            if i > 0 && (is_block || previous_was_block) {
                out.push('\n');
            }
            match item {
                Item::Attr(name, expr) => {
                    out.push_str(&indent);
                    out.push('\t');
                    out.push_str(name);
                    out.push_str(" = ");
                    out.push_str(expr);
                    out.push('\n');
                }
                Item::Block(b) => b.write(out, depth + 1),
            }
            previous_was_block = is_block;
        }
        out.push_str(&indent);
        out.push_str("}\n");
    }
}

/// The blocks as Alloy text, one blank line between top-level blocks.
pub fn render(blocks: &[Block]) -> String {
    let mut out = String::new();
    for (i, b) in blocks.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        b.write(&mut out, 0);
    }
    out
}

/// A list expression; long lists go one item per line.
pub fn list(items: &[String]) -> String {
    let flat = format!("[{}]", items.join(", "));
    if flat.len() <= 80 {
        return flat;
    }
    let mut out = String::from("[\n");
    for item in items {
        out.push_str(item);
        out.push_str(",\n");
    }
    out.push(']');
    out
}

/// An object expression with string keys, one field per line.
pub fn object(fields: &[(String, String)]) -> String {
    if fields.is_empty() {
        return "{}".to_string();
    }
    let mut out = String::from("{\n");
    for (k, v) in fields {
        out.push_str(&quote(k));
        out.push_str(" = ");
        out.push_str(v);
        out.push_str(",\n");
    }
    out.push('}');
    out
}

/// A component label from a collector name: invalid characters become
/// `_`, and a leading digit gets a `_` before it.
pub fn sanitize_label(s: &str) -> String {
    let mut out: String = s.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect();
    if !out.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        out.insert(0, '_');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_blocks_that_the_formatter_accepts() {
        let mut client = Block::new("client");
        client.attr("endpoint", quote("jaeger:4317"));
        client.attr("headers", object(&[("X-Scope-OrgID".into(), quote("t1"))]));
        let mut exporter = Block::labelled("otelcol.exporter.otlp", "jaeger");
        exporter.block(client, true);
        exporter.attr("timeout", quote("5s"));
        let text = render(&[exporter]);
        let formatted = solder_syntax::format_source(&text).unwrap();
        assert!(formatted.contains("otelcol.exporter.otlp \"jaeger\" {\n\tclient {\n\t\tendpoint = \"jaeger:4317\""), "{formatted}");
    }

    #[test]
    fn quotes_escape_what_alloy_needs() {
        assert_eq!(quote("a\"b\\c\nd"), r#""a\"b\\c\nd""#);
        assert_eq!(quote("\u{1}"), r#""\x01""#);
    }

    #[test]
    fn labels_become_identifiers() {
        assert_eq!(sanitize_label("jaeger-east.1"), "jaeger_east_1");
        assert_eq!(sanitize_label("2"), "_2");
        assert_eq!(sanitize_label("tempo/α"), "tempo__");
    }
}
