//! The typed syntax tree of one OTTL statement or condition.
//!
//! Every node carries a [`Span`] of byte offsets into the statement's own
//! text (not the `.alloy` file): the component that embeds the statement
//! shifts them by the string literal's position, so a caret lands under
//! the right character of the config file.

use crate::span::Span;

/// `editor(args) where condition`.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub editor: Call,
    pub condition: Option<Expr>,
    pub span: Span,
}

/// A function invocation: an editor at the head of a statement, or a
/// converter inside an expression, with optional `[key]` indexing after it.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub name: String,
    pub name_span: Span,
    pub args: Vec<Arg>,
    pub keys: Vec<Expr>,
    pub span: Span,
}

/// One argument, positional or `name = value`.
#[derive(Debug, Clone, PartialEq)]
pub struct Arg {
    pub name: Option<(String, Span)>,
    pub value: Expr,
    pub span: Span,
}

/// `a.b["k"].c`: dotted segments, each with optional keys. Only the last
/// segment may carry keys in any context the checker knows.
#[derive(Debug, Clone, PartialEq)]
pub struct Path {
    pub segments: Vec<Segment>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    pub name: String,
    pub span: Span,
    pub keys: Vec<Expr>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
}

impl BinOp {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Or => "or",
            BinOp::And => "and",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
        }
    }

    pub fn is_comparison(self) -> bool {
        matches!(self, BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge)
    }

    pub fn is_math(self) -> bool {
        matches!(self, BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Nil,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Bytes(Vec<u8>),
    List(Vec<Expr>),
    /// `{"k": v}`: keys are string literals, kept with their spans.
    Map(Vec<(String, Span, Expr)>),
    Path(Path),
    Call(Call),
    /// An upper-case word without `(`: an enum symbol, or a converter's
    /// name passed as an argument.
    Symbol(String),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Paren(Box<Expr>),
}

impl Expr {
    /// Whether the expression is boolean by its shape, as the Collector's
    /// grammar requires of `where` clauses and conditions: a comparison,
    /// `and`/`or`/`not`, `true`/`false`, or a converter.
    pub fn is_boolean_shaped(&self) -> bool {
        match &self.kind {
            ExprKind::Bool(_) | ExprKind::Not(_) | ExprKind::Call(_) => true,
            ExprKind::Binary(op, ..) => !op.is_math(),
            ExprKind::Paren(inner) => inner.is_boolean_shaped(),
            _ => false,
        }
    }
}

/// The canonical text of an expression: every binary operation in
/// parentheses, strings re-escaped. Parsing it again gives the same tree,
/// which is what the round-trip tests and the fuzz target check.
impl std::fmt::Display for Expr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.kind {
            ExprKind::Nil => f.write_str("nil"),
            ExprKind::Bool(b) => write!(f, "{b}"),
            ExprKind::Int(i) => write!(f, "{i}"),
            ExprKind::Float(x) => {
                // OTTL's float needs a `.` before any exponent: `1.0e-13`.
                let s = format!("{x:?}");
                match s.split_once('e') {
                    Some((m, e)) if !m.contains('.') => write!(f, "{m}.0e{e}"),
                    _ => f.write_str(&s),
                }
            }
            ExprKind::Str(s) => write_str_lit(f, s),
            ExprKind::Bytes(b) => {
                f.write_str("0x")?;
                b.iter().try_for_each(|x| write!(f, "{x:02x}"))
            }
            ExprKind::List(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
            ExprKind::Map(items) => {
                f.write_str("{")?;
                for (i, (k, _, v)) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write_str_lit(f, k)?;
                    write!(f, ": {v}")?;
                }
                f.write_str("}")
            }
            ExprKind::Path(p) => {
                for (i, s) in p.segments.iter().enumerate() {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    f.write_str(&s.name)?;
                    s.keys.iter().try_for_each(|k| write!(f, "[{k}]"))?;
                }
                Ok(())
            }
            ExprKind::Call(c) => write!(f, "{c}"),
            ExprKind::Symbol(s) => f.write_str(s),
            ExprKind::Binary(op, l, r) => write!(f, "({l} {} {r})", op.symbol()),
            ExprKind::Not(e) => write!(f, "(not {e})"),
            ExprKind::Paren(e) => write!(f, "{e}"),
        }
    }
}

impl std::fmt::Display for Call {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}(", self.name)?;
        for (i, a) in self.args.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            if let Some((n, _)) = &a.name {
                write!(f, "{n} = ")?;
            }
            write!(f, "{}", a.value)?;
        }
        f.write_str(")")?;
        self.keys.iter().try_for_each(|k| write!(f, "[{k}]"))
    }
}

impl std::fmt::Display for Statement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.editor)?;
        match &self.condition {
            Some(c) => write!(f, " where {c}"),
            None => Ok(()),
        }
    }
}

fn write_str_lit(f: &mut std::fmt::Formatter<'_>, s: &str) -> std::fmt::Result {
    f.write_str("\"")?;
    for c in s.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\t' => f.write_str("\\t")?,
            '\r' => f.write_str("\\r")?,
            c if (c as u32) < 0x20 || c as u32 == 0x7f => write!(f, "\\x{:02x}", c as u32)?,
            c => write!(f, "{c}")?,
        }
    }
    f.write_str("\"")
}
