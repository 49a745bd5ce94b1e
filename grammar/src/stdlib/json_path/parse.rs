//! Parsing JSONPath expressions, in the dialect Alloy's `json_path` accepts
//! (ojg's): `$` is optional, filters are written `[?(@.k == v)]`.
//!
//! Errors say what was expected, what was found and where (a 1-based
//! character position), because the path usually sits inside an escaped
//! Alloy string where counting by eye is hard.

pub use super::filter::Filter;

/// A path: segments applied in turn to the node set, starting at the root
/// (or at the current node inside a filter).
pub type Path = Vec<Segment>;

#[derive(Debug, Clone, PartialEq)]
pub enum Segment {
    /// `.name`, `[...]`: selects among the node's children.
    Child(Vec<Selector>),
    /// `..name`, `..[...]`: selects among the node and all its descendants'
    /// children.
    Descendant(Vec<Selector>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Selector {
    Name(String),
    Wildcard,
    /// Negative counts from the end.
    Index(i64),
    Slice {
        start: Option<i64>,
        end: Option<i64>,
        step: Option<i64>,
    },
    Filter(Filter),
}

pub fn parse(src: &str) -> Result<Path, String> {
    let mut p = Parser { src: src.trim(), pos: 0, depth: 0 };
    p.eat("$");
    let mut path = Vec::new();
    if p.peek().is_some_and(is_name_char) {
        // ojg accepts a bare leading name: `key.sub` is `$.key.sub`.
        path.push(Segment::Child(vec![Selector::Name(p.name()?)]));
    }
    path.extend(p.segments()?);
    match p.peek() {
        None => Ok(path),
        Some(_) => Err(p.unexpected()),
    }
}

pub(super) fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '-'
}

/// A cursor over the path text; the filter grammar extends it in
/// `filter.rs`.
pub(super) struct Parser<'a> {
    pub src: &'a str,
    pub pos: usize,
    pub depth: usize,
}

impl Parser<'_> {
    pub(super) fn peek(&self) -> Option<char> {
        self.src[self.pos..].chars().next()
    }

    pub(super) fn eat(&mut self, token: &str) -> bool {
        let found = self.src[self.pos..].starts_with(token);
        if found {
            self.pos += token.len();
        }
        found
    }

    pub(super) fn skip_space(&mut self) {
        let rest = &self.src[self.pos..];
        self.pos += rest.len() - rest.trim_start().len();
    }

    /// `{message} at position N`, counting characters from 1.
    pub(super) fn at(&self, message: &str) -> String {
        format!("{message} at position {}", self.src[..self.pos].chars().count() + 1)
    }

    fn found(&self) -> String {
        match self.peek() {
            Some('"') => "'\"'".to_string(),
            Some(c) => format!("\"{c}\""),
            None => "end of path".to_string(),
        }
    }

    pub(super) fn expected(&self, what: &str) -> String {
        self.at(&format!("expected {what}, found {}", self.found()))
    }

    fn unexpected(&self) -> String {
        self.at(&format!("unexpected {}", self.found()))
    }

    pub(super) fn segments(&mut self) -> Result<Path, String> {
        let mut path = Vec::new();
        loop {
            if self.eat("..") {
                let selectors = match self.peek() {
                    Some('[') => self.bracket()?,
                    _ => vec![self.dotted("\"..\"")?],
                };
                path.push(Segment::Descendant(selectors));
            } else if self.eat(".") {
                path.push(Segment::Child(vec![self.dotted("\".\"")?]));
            } else if self.peek() == Some('[') {
                path.push(Segment::Child(self.bracket()?));
            } else {
                return Ok(path);
            }
        }
    }

    fn dotted(&mut self, after: &str) -> Result<Selector, String> {
        if self.eat("*") {
            return Ok(Selector::Wildcard);
        }
        match self.peek() {
            Some(c) if is_name_char(c) => Ok(Selector::Name(self.name()?)),
            _ => Err(self.expected(&format!("a name or \"*\" after {after}"))),
        }
    }

    fn name(&mut self) -> Result<String, String> {
        let rest = &self.src[self.pos..];
        let len = rest.find(|c| !is_name_char(c)).unwrap_or(rest.len());
        self.pos += len;
        Ok(rest[..len].to_string())
    }

    /// `[sel, sel, ...]`
    fn bracket(&mut self) -> Result<Vec<Selector>, String> {
        self.eat("[");
        let mut selectors = Vec::new();
        loop {
            self.skip_space();
            selectors.push(self.selector()?);
            self.skip_space();
            if self.eat("]") {
                return Ok(selectors);
            }
            if !self.eat(",") {
                return Err(self.expected("\"]\" or \",\""));
            }
        }
    }

    fn selector(&mut self) -> Result<Selector, String> {
        match self.peek() {
            Some('*') => {
                self.pos += 1;
                Ok(Selector::Wildcard)
            }
            Some('\'' | '"') => Ok(Selector::Name(self.string()?)),
            Some('?') => {
                self.pos += 1;
                Ok(Selector::Filter(self.filter()?))
            }
            Some(c) if c == '-' || c == ':' || c.is_ascii_digit() => self.index_or_slice(),
            _ => Err(self.expected("a selector (name, index, slice, \"*\" or filter)")),
        }
    }

    fn index_or_slice(&mut self) -> Result<Selector, String> {
        let start = self.integer()?;
        self.skip_space();
        if !self.eat(":") {
            return start.map(Selector::Index).ok_or_else(|| self.expected("an index"));
        }
        self.skip_space();
        let end = self.integer()?;
        self.skip_space();
        let step = if self.eat(":") {
            self.skip_space();
            self.integer()?
        } else {
            None
        };
        Ok(Selector::Slice { start, end, step })
    }

    fn integer(&mut self) -> Result<Option<i64>, String> {
        let rest = &self.src[self.pos..];
        let digits = rest.strip_prefix('-').unwrap_or(rest);
        let len = rest.len() - digits.len() + digits.find(|c: char| !c.is_ascii_digit()).unwrap_or(digits.len());
        if len == 0 {
            return Ok(None);
        }
        let n = rest[..len].parse().map_err(|_| self.at(&format!("index {} is out of range", &rest[..len])))?;
        self.pos += len;
        Ok(Some(n))
    }

    /// Filter expressions, loosest first: `||`, `&&`, `!`, comparisons.
    /// A quoted name or string: `'a'` or `"a"`, with JSON's escapes.
    pub(super) fn string(&mut self) -> Result<String, String> {
        let start = self.pos;
        let mut chars = self.src[self.pos..].char_indices();
        let quote = chars.next().map(|(_, c)| c);
        let mut out = String::new();
        while let Some((i, c)) = chars.next() {
            match c {
                c if Some(c) == quote => {
                    self.pos += i + c.len_utf8();
                    return Ok(out);
                }
                '\\' => {
                    let escaped = match chars.next().map(|(_, c)| c) {
                        Some('n') => '\n',
                        Some('t') => '\t',
                        Some('r') => '\r',
                        Some('b') => '\x08',
                        Some('f') => '\x0c',
                        Some('u') => {
                            let hex: String = chars.by_ref().take(4).map(|(_, c)| c).collect();
                            match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                                Some(c) => c,
                                None => {
                                    self.pos = start + i;
                                    return Err(self.at("invalid \\u escape"));
                                }
                            }
                        }
                        Some(c @ ('\\' | '/' | '\'' | '"')) => c,
                        _ => {
                            self.pos = start + i;
                            return Err(self.at("invalid escape"));
                        }
                    };
                    out.push(escaped);
                }
                c => out.push(c),
            }
        }
        self.pos = start;
        Err(self.at("unterminated string starting"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(n: &str) -> Selector {
        Selector::Name(n.to_string())
    }

    #[test]
    fn root_is_optional() {
        let want = vec![Segment::Child(vec![name("a")]), Segment::Child(vec![name("b")])];
        assert_eq!(parse("$.a.b"), Ok(want.clone()));
        assert_eq!(parse(".a.b"), Ok(want.clone()));
        assert_eq!(parse("a.b"), Ok(want.clone()));
        assert_eq!(parse(" $['a'][\"b\"] "), Ok(want));
        assert_eq!(parse("$"), Ok(Vec::new()));
    }

    #[test]
    fn selectors() {
        assert_eq!(
            parse("$..[1, -2, 1:, ::-1, *]"),
            Ok(vec![Segment::Descendant(vec![
                Selector::Index(1),
                Selector::Index(-2),
                Selector::Slice { start: Some(1), end: None, step: None },
                Selector::Slice { start: None, end: None, step: Some(-1) },
                Selector::Wildcard,
            ])])
        );
        assert_eq!(parse(r"$['\u00e9\n\'']"), Ok(vec![Segment::Child(vec![name("é\n'")])]));
    }

    #[test]
    fn bad_escapes() {
        assert_eq!(parse(r"$['\u12']"), Err("invalid \\u escape at position 4".to_string()));
        assert_eq!(parse(r#"$[?(@.a == "x)]"#), Err("unterminated string starting at position 12".to_string()));
    }
}
