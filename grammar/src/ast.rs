//! The syntax tree of an Alloy file.
//!
//! Every node carries the byte span it was parsed from, so that any later
//! stage (checker, evaluator, component decoder, formatter) can point a
//! diagnostic at the exact characters the user wrote.

use crate::span::Span;

/// A parsed file: its statements and every comment, in source order.
///
/// Comments are kept apart from the tree; the formatter weaves them back in
/// by position, the way gofmt does.
#[derive(Debug, Clone, PartialEq)]
pub struct File {
    pub body: Body,
    pub comments: Vec<Comment>,
}

pub type Body = Vec<Stmt>;

#[derive(Debug, Clone, PartialEq)]
pub enum Stmt {
    Attribute(Attribute),
    Block(Block),
}

impl Stmt {
    pub fn span(&self) -> Span {
        match self {
            Stmt::Attribute(a) => a.span,
            Stmt::Block(b) => b.span,
        }
    }
}

/// `name = value`.
#[derive(Debug, Clone, PartialEq)]
pub struct Attribute {
    pub name: Ident,
    pub value: Expr,
    pub span: Span,
}

/// `name.parts "label" { body }`.
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    /// The dotted name, one identifier per part.
    pub name: Vec<Ident>,
    pub label: Option<Label>,
    pub body: Body,
    pub span: Span,
    /// The span of the closing `}`, where comments at the end of the body go.
    pub close: Span,
}

impl Block {
    /// The name as written, parts joined by dots: `otelcol.receiver.otlp`.
    pub fn full_name(&self) -> String {
        let mut out = String::new();
        for (i, part) in self.name.iter().enumerate() {
            if i > 0 {
                out.push('.');
            }
            out.push_str(&part.name);
        }
        out
    }

    /// The span that covers the dotted name, without the label.
    pub fn name_span(&self) -> Span {
        match (self.name.first(), self.name.last()) {
            (Some(first), Some(last)) => first.span.to(last.span),
            _ => self.span,
        }
    }
}

/// A block label; `value` is the decoded string without quotes.
#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    pub value: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Comment {
    /// The comment's full text including its `//` or `/* */` markers.
    pub text: String,
    pub span: Span,
}

impl Comment {
    pub fn is_block(&self) -> bool {
        self.text.starts_with("/*")
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Literal(Literal),
    Ident(Ident),
    Array(Vec<Expr>),
    Object(Vec<Field>),
    /// `value.name`
    Access {
        value: Box<Expr>,
        name: Ident,
    },
    /// `value[index]`
    Index {
        value: Box<Expr>,
        index: Box<Expr>,
    },
    /// `func(args...)`
    Call {
        func: Box<Expr>,
        args: Vec<Expr>,
    },
    Unary {
        op: UnaryOp,
        op_span: Span,
        operand: Box<Expr>,
    },
    Binary {
        op: BinaryOp,
        op_span: Span,
        left: Box<Expr>,
        right: Box<Expr>,
    },
    Paren(Box<Expr>),
}

impl Expr {
    /// The dotted path of a plain reference such as `a.b.c`, or `None` for
    /// anything that is not identifiers joined by field access.
    ///
    /// The runtime uses this to find which component an expression names.
    pub fn reference_path(&self) -> Option<Vec<&Ident>> {
        match &self.kind {
            ExprKind::Ident(id) => Some(vec![id]),
            ExprKind::Access { value, name } => {
                let mut path = value.reference_path()?;
                path.push(name);
                Some(path)
            }
            _ => None,
        }
    }

    /// Calls `visit` on this expression and every expression inside it,
    /// parents before children.
    pub fn walk<'a>(&'a self, visit: &mut dyn FnMut(&'a Expr)) {
        visit(self);
        match &self.kind {
            ExprKind::Literal(_) | ExprKind::Ident(_) => {}
            ExprKind::Array(items) => items.iter().for_each(|e| e.walk(visit)),
            ExprKind::Object(fields) => fields.iter().for_each(|f| f.value.walk(visit)),
            ExprKind::Access { value, .. } => value.walk(visit),
            ExprKind::Index { value, index } => {
                value.walk(visit);
                index.walk(visit);
            }
            ExprKind::Call { func, args } => {
                func.walk(visit);
                args.iter().for_each(|e| e.walk(visit));
            }
            ExprKind::Unary { operand, .. } => operand.walk(visit),
            ExprKind::Binary { left, right, .. } => {
                left.walk(visit);
                right.walk(visit);
            }
            ExprKind::Paren(inner) => inner.walk(visit),
        }
    }
}

/// An object field. `quoted` records whether the key was written as a string,
/// which the formatter must keep.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: String,
    pub name_span: Span,
    pub quoted: bool,
    pub value: Expr,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Null,
    Bool(bool),
    /// The number's text; it is classified and converted at evaluation, where
    /// an out-of-range literal can be reported like any other value error.
    Number(String),
    /// A decoded string (escapes applied). The original text is at the span.
    String(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    Not,
    Neg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    Or,
    And,
    Eq,
    Neq,
    Lt,
    Lte,
    Gt,
    Gte,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Pow,
}

impl BinaryOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Or => "||",
            BinaryOp::And => "&&",
            BinaryOp::Eq => "==",
            BinaryOp::Neq => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Lte => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Gte => ">=",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Mod => "%",
            BinaryOp::Pow => "^",
        }
    }
}

impl UnaryOp {
    pub fn symbol(self) -> &'static str {
        match self {
            UnaryOp::Not => "!",
            UnaryOp::Neg => "-",
        }
    }
}
