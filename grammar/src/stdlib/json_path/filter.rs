//! Filter expressions, `[?(@.price < 10 && @.isbn)]`: their syntax and
//! what they select.
//!
//! Comparisons follow RFC 9535, which ojg (Alloy's JSONPath library)
//! approximates: values of different types are unequal and never ordered,
//! so `@.price < "9"` is simply false; a query that matches nothing is
//! equal only to another that matches nothing.

use std::borrow::Cow;

use super::parse::{is_name_char, Parser, Path};
use crate::value::{Number, Value};

#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// `@.k` (relative to the node under test) or `$.k` (to the document).
    Query {
        absolute: bool,
        path: Path,
    },
    Literal(Value),
    Compare(Comparison, Box<Filter>, Box<Filter>),
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// Parentheses and `!` nest by recursion; a path is written by hand, so
/// this bound only stops hostile input from exhausting the stack.
const MAX_DEPTH: usize = 64;

/// Filter expressions, loosest first: `||`, `&&`, `!`, comparisons.
impl Parser<'_> {
    /// A filter expression after `?`; `?(...)` is simply a parenthesised one.
    pub(super) fn filter(&mut self) -> Result<Filter, String> {
        self.or()
    }

    fn or(&mut self) -> Result<Filter, String> {
        let mut left = self.and()?;
        while self.eat_op("||") {
            left = Filter::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Filter, String> {
        let mut left = self.not()?;
        while self.eat_op("&&") {
            left = Filter::And(Box::new(left), Box::new(self.not()?));
        }
        Ok(left)
    }

    fn eat_op(&mut self, op: &str) -> bool {
        self.skip_space();
        self.eat(op)
    }

    fn not(&mut self) -> Result<Filter, String> {
        self.skip_space();
        if self.src[self.pos..].starts_with('!') && !self.src[self.pos..].starts_with("!=") {
            self.pos += 1;
            return self.nested(|p| p.not()).map(|f| Filter::Not(Box::new(f)));
        }
        let left = self.operand()?;
        self.skip_space();
        const OPS: [(&str, Comparison); 6] =
            [("==", Comparison::Eq), ("!=", Comparison::Ne), ("<=", Comparison::Le), (">=", Comparison::Ge), ("<", Comparison::Lt), (">", Comparison::Gt)];
        let Some(op) = OPS.iter().find(|(token, _)| self.eat(token)).map(|(_, op)| *op) else {
            return Ok(left);
        };
        self.skip_space();
        Ok(Filter::Compare(op, Box::new(left), Box::new(self.operand()?)))
    }

    fn nested(&mut self, f: impl FnOnce(&mut Self) -> Result<Filter, String>) -> Result<Filter, String> {
        if self.depth >= MAX_DEPTH {
            return Err(self.at("filter nested too deeply"));
        }
        self.depth += 1;
        let result = f(self);
        self.depth -= 1;
        result
    }

    fn operand(&mut self) -> Result<Filter, String> {
        let rest = &self.src[self.pos..];
        match self.peek() {
            Some('(') => {
                self.pos += 1;
                let inner = self.nested(|p| p.or())?;
                if !self.eat_op(")") {
                    return Err(self.expected("\")\""));
                }
                Ok(inner)
            }
            Some(c @ ('@' | '$')) => {
                self.pos += 1;
                Ok(Filter::Query { absolute: c == '$', path: self.segments()? })
            }
            Some('\'' | '"') => Ok(Filter::Literal(Value::String(self.string()?))),
            Some(c) if c == '-' || c.is_ascii_digit() => self.number(),
            _ => {
                for (word, value) in [("true", Value::Bool(true)), ("false", Value::Bool(false)), ("null", Value::Null)] {
                    if rest.starts_with(word) && !rest[word.len()..].starts_with(is_name_char) {
                        self.pos += word.len();
                        return Ok(Filter::Literal(value));
                    }
                }
                Err(self.expected("a value (\"@\", \"$\", a string, a number, true, false or null)"))
            }
        }
    }

    /// A JSON number, keeping its kind as `encoding.from_json` does.
    fn number(&mut self) -> Result<Filter, String> {
        let rest = &self.src[self.pos..];
        let len = rest.find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '+' | '.'))).unwrap_or(rest.len());
        let text = &rest[..len];
        let number = if text.contains(['.', 'e', 'E']) {
            text.parse::<f64>().ok().filter(|f| f.is_finite()).map(Number::Float)
        } else {
            text.parse::<i64>().map(Number::Int).ok().or_else(|| text.parse::<u64>().ok().map(Number::Uint))
        };
        let number = number.ok_or_else(|| self.at(&format!("invalid number \"{text}\"")))?;
        self.pos += len;
        Ok(Filter::Literal(Value::Number(number)))
    }
}

impl Filter {
    /// Whether `node` passes the filter. A query on its own tests existence.
    pub fn test(&self, node: &Value, root: &Value) -> bool {
        match self {
            Filter::Query { .. } => self.operand(node, root).is_some(),
            Filter::Literal(v) => !matches!(v, Value::Null | Value::Bool(false)),
            Filter::Compare(op, a, b) => compare(*op, a.operand(node, root).as_deref(), b.operand(node, root).as_deref()),
            Filter::And(a, b) => a.test(node, root) && b.test(node, root),
            Filter::Or(a, b) => a.test(node, root) || b.test(node, root),
            Filter::Not(a) => !a.test(node, root),
        }
    }

    /// The value an operand stands for; `None` when a query matches nothing.
    fn operand<'v>(&'v self, node: &'v Value, root: &'v Value) -> Option<Cow<'v, Value>> {
        match self {
            Filter::Query { absolute, path } => super::select(path, root, if *absolute { root } else { node }).into_iter().next().map(Cow::Borrowed),
            Filter::Literal(v) => Some(Cow::Borrowed(v)),
            other => Some(Cow::Owned(Value::Bool(other.test(node, root)))),
        }
    }
}

fn compare(op: Comparison, a: Option<&Value>, b: Option<&Value>) -> bool {
    let less = |x: Option<&Value>, y: Option<&Value>| match (x, y) {
        (Some(Value::Number(x)), Some(Value::Number(y))) => x < y,
        (Some(Value::String(x)), Some(Value::String(y))) => x < y,
        _ => false,
    };
    match op {
        Comparison::Eq => a == b,
        Comparison::Ne => a != b,
        Comparison::Lt => less(a, b),
        Comparison::Le => less(a, b) || a == b,
        Comparison::Gt => less(b, a),
        Comparison::Ge => less(b, a) || a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse::{parse, Segment, Selector};
    use super::*;

    #[test]
    fn filter_precedence() {
        let Ok(path) = parse("$[?(@.a || @.b && !@.c == 1)]") else { panic!() };
        let [Segment::Child(selectors)] = &path[..] else { panic!("{path:?}") };
        let [Selector::Filter(Filter::Or(_, right))] = &selectors[..] else { panic!("{selectors:?}") };
        assert!(matches!(&**right, Filter::And(_, not) if matches!(&**not, Filter::Not(_))));
        assert!(parse("$[?(@.n > 18446744073709551615)]").is_ok());
        assert!(parse("$[?(@.n == -1.5e3)]").is_ok());
    }

    #[test]
    fn comparisons_follow_rfc_9535() {
        use Comparison::*;
        let (one, one_float, text) = (Value::int(1), Value::float(1.0), Value::string("1"));
        assert!(compare(Eq, Some(&one), Some(&one_float)));
        assert!(!compare(Eq, Some(&one), Some(&text)));
        assert!(compare(Ne, Some(&one), Some(&text)));
        assert!(!compare(Lt, Some(&one), Some(&text)) && !compare(Ge, Some(&one), Some(&text)));
        assert!(compare(Lt, Some(&Value::string("a")), Some(&Value::string("b"))));
        assert!(compare(Eq, None, None) && compare(Le, None, None));
        assert!(!compare(Eq, Some(&Value::Null), None));
    }

    #[test]
    fn literals_as_tests() {
        let node = Value::Null;
        assert!(Filter::Literal(Value::Bool(true)).test(&node, &node));
        assert!(!Filter::Literal(Value::Bool(false)).test(&node, &node));
        assert!(!Filter::Literal(Value::Null).test(&node, &node));
        assert!(Filter::Not(Box::new(Filter::Literal(Value::Null))).test(&node, &node));
    }
}
