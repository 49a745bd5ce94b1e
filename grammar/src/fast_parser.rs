//! The fast path: a recursive-descent parser over the scanner's tokens.
//!
//! `alloy.pest` is the grammar of record, and it alone reports errors. It
//! runs at about 6 MB/s, which is too slow to reload large generated
//! configs, so valid input is parsed here instead, at the scanner's pace.
//! This parser only ever answers "here is the tree" or "no": on "no" the
//! caller falls back to pest for the diagnostics. A differential property
//! test (`tests/differential.rs`) holds the two to the same verdict and the
//! same tree on every input.

use crate::ast::*;
use crate::literal;
use crate::scanner::{Tok, Token};
use crate::span::Span;

/// The parser rejected the input; pest will say why.
pub(crate) struct Reject;

type Parsed<T> = Result<T, Reject>;

/// Parses a token stream (the scanner keeps comments apart) into statements.
pub(crate) fn parse(src: &str, tokens: &[Token]) -> Parsed<Body> {
    let mut p = FastParser { src, tokens, pos: 0 };
    let body = p.body(false)?;
    if p.pos != tokens.len() {
        return Err(Reject);
    }
    Ok(body)
}

/// Nesting deeper than this is left to pest, whose own call limit and
/// stack guard already handle pathological input.
const MAX_DEPTH: usize = 200;

struct FastParser<'a> {
    src: &'a str,
    tokens: &'a [Token],
    pos: usize,
}

impl<'a> FastParser<'a> {
    fn peek(&self) -> Option<&'a Token> {
        self.tokens.get(self.pos)
    }

    fn text(&self, t: &Token) -> &'a str {
        &self.src[t.span.range()]
    }

    /// Whether the next token is the punctuation `p`. Compares bytes, not
    /// strings: this runs several times per token.
    fn at(&self, p: &str) -> bool {
        let Some(t) = self.peek() else { return false };
        let p = p.as_bytes();
        let b = self.src.as_bytes();
        t.tok == Tok::Punct && t.span.len() == p.len() && b[t.span.start] == p[0] && (p.len() == 1 || b[t.span.start + 1] == p[1])
    }

    fn expect(&mut self, p: &str) -> Parsed<Span> {
        match self.peek() {
            Some(t) if self.at(p) => {
                self.pos += 1;
                Ok(t.span)
            }
            _ => Err(Reject),
        }
    }

    fn ident(&mut self) -> Parsed<Ident> {
        match self.peek() {
            Some(t) if t.tok == Tok::Ident => {
                self.pos += 1;
                Ok(Ident { name: self.text(t).to_string(), span: t.span })
            }
            _ => Err(Reject),
        }
    }

    /// Statements up to EOF, or up to (not including) `}` inside a block.
    fn body(&mut self, in_block: bool) -> Parsed<Body> {
        let mut body = Vec::new();
        loop {
            while self.peek().is_some_and(|t| t.tok == Tok::Terminator) {
                self.pos += 1;
            }
            match self.peek() {
                None => return if in_block { Err(Reject) } else { Ok(body) },
                Some(_) if in_block && self.at("}") => return Ok(body),
                Some(_) => {}
            }
            body.push(self.stmt()?);
            match self.peek() {
                None => {}
                Some(t) if t.tok == Tok::Terminator => self.pos += 1,
                Some(_) if in_block && self.at("}") => {}
                Some(_) => return Err(Reject),
            }
        }
    }

    fn stmt(&mut self) -> Parsed<Stmt> {
        let first = self.ident()?;
        let start = first.span.start;
        let mut name = vec![first];
        while self.at(".") {
            self.pos += 1;
            name.push(self.ident()?);
        }
        let label = match self.peek() {
            Some(t) if t.tok == Tok::String && self.text(t).starts_with('"') => {
                self.pos += 1;
                let value = crate::parser::label_text(self.text(t)).to_string();
                if !value.is_empty() && !crate::scanner::is_valid_identifier(&value) {
                    return Err(Reject);
                }
                Some(Label { value, span: t.span })
            }
            _ => None,
        };
        if self.at("=") {
            if name.len() != 1 || label.is_some() {
                return Err(Reject);
            }
            self.pos += 1;
            let value = self.expr(0)?;
            let span = Span::new(start, value.span.end);
            let name = name.pop().ok_or(Reject)?;
            return Ok(Stmt::Attribute(Attribute { name, value, span }));
        }
        self.expect("{")?;
        let body = self.body(true)?;
        let close = self.expect("}")?;
        Ok(Stmt::Block(Block { name, label, body, span: Span::new(start, close.end), close }))
    }

    fn expr(&mut self, depth: usize) -> Parsed<Expr> {
        if depth > MAX_DEPTH {
            return Err(Reject);
        }
        self.binary(1, depth)
    }

    /// Left-associative levels 1 (`||`) to 5 (`* / %`), by precedence
    /// climbing; `^` is below, in `pow`.
    fn binary(&mut self, min_prec: u8, depth: usize) -> Parsed<Expr> {
        let mut left = self.pow(depth)?;
        while let Some((op, prec, op_span)) = self.peek_binary() {
            if prec < min_prec {
                break;
            }
            self.pos += 1;
            let right = self.binary(prec + 1, depth)?;
            left = Expr { span: left.span.to(right.span), kind: ExprKind::Binary { op, op_span, left: Box::new(left), right: Box::new(right) } };
        }
        Ok(left)
    }

    fn peek_binary(&self) -> Option<(BinaryOp, u8, Span)> {
        let t = self.peek().filter(|t| t.tok == Tok::Punct)?;
        let (op, prec) = match self.text(t) {
            "||" => (BinaryOp::Or, 1),
            "&&" => (BinaryOp::And, 2),
            "==" => (BinaryOp::Eq, 3),
            "!=" => (BinaryOp::Neq, 3),
            "<" => (BinaryOp::Lt, 3),
            "<=" => (BinaryOp::Lte, 3),
            ">" => (BinaryOp::Gt, 3),
            ">=" => (BinaryOp::Gte, 3),
            "+" => (BinaryOp::Add, 4),
            "-" => (BinaryOp::Sub, 4),
            "*" => (BinaryOp::Mul, 5),
            "/" => (BinaryOp::Div, 5),
            "%" => (BinaryOp::Mod, 5),
            _ => return None,
        };
        Some((op, prec, t.span))
    }

    /// `unary [ "^" pow ]`: right-associative, and looser than unary.
    fn pow(&mut self, depth: usize) -> Parsed<Expr> {
        let left = self.unary(depth)?;
        if !self.at("^") {
            return Ok(left);
        }
        let op_span = self.expect("^")?;
        let right = self.pow(depth + 1)?;
        Ok(Expr { span: left.span.to(right.span), kind: ExprKind::Binary { op: BinaryOp::Pow, op_span, left: Box::new(left), right: Box::new(right) } })
    }

    fn unary(&mut self, depth: usize) -> Parsed<Expr> {
        if depth > MAX_DEPTH {
            return Err(Reject);
        }
        let op = if self.at("!") {
            UnaryOp::Not
        } else if self.at("-") {
            UnaryOp::Neg
        } else {
            return self.postfix(depth);
        };
        let op_span = self.peek().ok_or(Reject)?.span;
        self.pos += 1;
        let operand = self.unary(depth + 1)?;
        Ok(Expr { span: op_span.to(operand.span), kind: ExprKind::Unary { op, op_span, operand: Box::new(operand) } })
    }

    fn postfix(&mut self, depth: usize) -> Parsed<Expr> {
        let mut value = self.primary(depth)?;
        loop {
            if self.at(".") {
                self.pos += 1;
                let name = self.ident()?;
                let span = value.span.to(name.span);
                value = Expr { span, kind: ExprKind::Access { value: Box::new(value), name } };
            } else if self.at("[") {
                self.pos += 1;
                let index = self.expr(depth + 1)?;
                let close = self.expect("]")?;
                let span = value.span.to(close);
                value = Expr { span, kind: ExprKind::Index { value: Box::new(value), index: Box::new(index) } };
            } else if self.at("(") {
                self.pos += 1;
                let (args, close) = self.list(")", depth)?;
                let span = value.span.to(close);
                value = Expr { span, kind: ExprKind::Call { func: Box::new(value), args } };
            } else if self.at("{") || self.peek().is_some_and(|t| t.tok == Tok::String) {
                // A block used as a value, or two values in a row: pest words it.
                return Err(Reject);
            } else {
                return Ok(value);
            }
        }
    }

    fn primary(&mut self, depth: usize) -> Parsed<Expr> {
        let t = self.peek().ok_or(Reject)?;
        let text = self.text(t);
        let kind = match t.tok {
            Tok::Ident => ExprKind::Ident(self.ident()?),
            Tok::Keyword => {
                self.pos += 1;
                ExprKind::Literal(match text {
                    "true" => Literal::Bool(true),
                    "false" => Literal::Bool(false),
                    _ => Literal::Null,
                })
            }
            Tok::Number => {
                self.pos += 1;
                ExprKind::Literal(Literal::Number(text.to_string()))
            }
            Tok::String => {
                self.pos += 1;
                ExprKind::Literal(Literal::String(literal::unquote(text).map_err(|_| Reject)?))
            }
            Tok::Punct if text == "(" => {
                self.pos += 1;
                let inner = self.expr(depth + 1)?;
                let close = self.expect(")")?;
                return Ok(Expr { span: t.span.to(close), kind: ExprKind::Paren(Box::new(inner)) });
            }
            Tok::Punct if text == "[" => {
                self.pos += 1;
                let (items, close) = self.list("]", depth)?;
                return Ok(Expr { span: t.span.to(close), kind: ExprKind::Array(items) });
            }
            Tok::Punct if text == "{" => {
                self.pos += 1;
                let (fields, close) = self.fields(depth)?;
                return Ok(Expr { span: t.span.to(close), kind: ExprKind::Object(fields) });
            }
            _ => return Err(Reject),
        };
        Ok(Expr { kind, span: t.span })
    }

    /// `[ expr { "," expr } [ "," ] ] close`, returning the closer's span.
    fn list(&mut self, close: &str, depth: usize) -> Parsed<(Vec<Expr>, Span)> {
        let mut items = Vec::new();
        while !self.at(close) {
            items.push(self.expr(depth + 1)?);
            if !self.at(close) {
                self.expect(",")?;
            }
        }
        Ok((items, self.expect(close)?))
    }

    fn fields(&mut self, depth: usize) -> Parsed<(Vec<Field>, Span)> {
        let mut fields = Vec::new();
        while !self.at("}") {
            let key = self.peek().ok_or(Reject)?;
            let key_text = self.text(key);
            let (name, quoted) = match key.tok {
                Tok::Ident => (key_text.to_string(), false),
                // A raw-string key is a quoted key, as Alloy reads it: the
                // printer writes it back double-quoted.
                Tok::String => (literal::unquote(key_text).map_err(|_| Reject)?, true),
                _ => return Err(Reject),
            };
            self.pos += 1;
            self.expect("=")?;
            let value = self.expr(depth + 1)?;
            fields.push(Field { name, name_span: key.span, quoted, value });
            if !self.at("}") {
                self.expect(",")?;
            }
        }
        Ok((fields, self.expect("}")?))
    }
}
