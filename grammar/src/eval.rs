//! Evaluating expressions to values.
//!
//! Semantics follow Alloy's VM: both sides of `&&` and `||` are evaluated,
//! `==` across types is false, `obj.missing` is an error while
//! `obj["missing"]` is null, and integer arithmetic stays integral. Errors
//! name the expression as written and point at the operand at fault.

use std::collections::BTreeMap;

use crate::ast::{BinaryOp, Expr, ExprKind, Literal, UnaryOp};
use crate::diagnostic::Diagnostic;
use crate::stdlib;
use crate::suggest::did_you_mean;
use crate::value::{Number, Type, Value};

/// The names an expression can see besides the standard library, such as
/// the exports of components. Looked up before the standard library.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub vars: BTreeMap<String, Value>,
}

impl Scope {
    pub fn new() -> Scope {
        Scope::default()
    }

    pub fn with(mut self, name: impl Into<String>, value: Value) -> Scope {
        self.vars.insert(name.into(), value);
        self
    }
}

/// Evaluates expressions from one source text against one scope,
/// collecting warnings (deprecated names) as it goes.
///
/// ```
/// use solder_syntax::{parse_expression, Evaluator, Scope, Value};
///
/// // What components export is what expressions can refer to.
/// let scope = Scope::new().with("otlp", Value::object([("port", Value::int(4317))]));
/// let src = r#"string.format("0.0.0.0:%d", otlp.port + 1)"#;
/// let expr = parse_expression(src).unwrap();
/// assert_eq!(Evaluator::new(src, &scope).eval(&expr), Ok(Value::string("0.0.0.0:4318")));
///
/// // An error points at the part of the source at fault.
/// let src = "otlp.host";
/// let expr = parse_expression(src).unwrap();
/// let error = Evaluator::new(src, &scope).eval(&expr).unwrap_err();
/// assert_eq!(&src[error.span.range()], "host");
/// assert!(error.message.contains("host"), "{}", error.message);
///
/// // Deprecated names still work, and say what replaces them.
/// let src = r#"json_decode("[1]")"#;
/// let mut evaluator = Evaluator::new(src, &scope);
/// assert_eq!(evaluator.eval(&parse_expression(src).unwrap()), Ok(Value::Array(vec![Value::int(1)])));
/// assert!(evaluator.warnings[0].message.contains("encoding.from_json"));
/// ```
pub struct Evaluator<'a> {
    src: &'a str,
    scope: &'a Scope,
    pub warnings: Vec<Diagnostic>,
}

impl<'a> Evaluator<'a> {
    pub fn new(src: &'a str, scope: &'a Scope) -> Evaluator<'a> {
        Evaluator { src, scope, warnings: Vec::new() }
    }

    /// The text the expressions' spans index: callers that keep how a
    /// value was written (a string literal's escapes) read it here.
    pub fn source(&self) -> &'a str {
        self.src
    }

    pub fn eval(&mut self, expr: &Expr) -> Result<Value, Diagnostic> {
        match &expr.kind {
            ExprKind::Literal(lit) => self.literal(expr, lit),
            ExprKind::Ident(id) => self.lookup(&id.name, expr),
            ExprKind::Paren(inner) => self.eval(inner),
            ExprKind::Array(items) => items.iter().map(|e| self.eval(e)).collect::<Result<Vec<_>, _>>().map(Value::Array),
            ExprKind::Object(fields) => {
                let mut out = BTreeMap::new();
                for f in fields {
                    out.insert(f.name.clone(), self.eval(&f.value)?);
                }
                Ok(Value::Object(out))
            }
            ExprKind::Access { value, name } => match self.eval(value)? {
                Value::Object(mut fields) => fields.remove(&name.name).ok_or_else(|| {
                    let d = Diagnostic::error(name.span, format!("field {:?} does not exist", name.name));
                    match did_you_mean(&name.name, fields.keys().map(String::as_str)) {
                        Some(s) => d.with_help(format!("did you mean {s:?}?")),
                        None => d,
                    }
                }),
                other => Err(self.type_error(value, Type::Object, &other)),
            },
            ExprKind::Index { value, index } => {
                let target = self.eval(value)?;
                let key = self.eval(index)?;
                self.index(value, target, index, key)
            }
            ExprKind::Call { func, args } => {
                let callee = self.eval(func)?;
                let Value::Function(f) = callee else {
                    return Err(self.type_error(func, Type::Function, &callee));
                };
                let values = args.iter().map(|a| self.eval(a)).collect::<Result<Vec<_>, _>>()?;
                f.call(&values).map_err(|e| self.call_error(expr, func, args, f.name(), e))
            }
            ExprKind::Unary { op, operand, .. } => {
                let v = self.eval(operand)?;
                match (op, v) {
                    (UnaryOp::Not, Value::Bool(b)) => Ok(Value::Bool(!b)),
                    (UnaryOp::Neg, Value::Number(n)) => negate(n).ok_or_else(|| Diagnostic::error(expr.span, "integer overflow")),
                    (UnaryOp::Not, v) => Err(self.type_error(operand, Type::Bool, &v)),
                    (UnaryOp::Neg, v) => Err(self.type_error(operand, Type::Number, &v)),
                }
            }
            ExprKind::Binary { op, op_span, left, right } => {
                // Both sides always: Alloy does not short-circuit.
                let l = self.eval(left)?;
                let r = self.eval(right)?;
                self.binary(*op, *op_span, left, l, right, r)
            }
        }
    }

    fn text(&self, e: &Expr) -> &str {
        self.src.get(e.span.range()).unwrap_or("value")
    }

    /// Alloy's wording for a value of the wrong type: `x should be number, got string`.
    fn type_error(&self, e: &Expr, expected: Type, got: &Value) -> Diagnostic {
        Diagnostic::error(e.span, format!("{} should be {expected}, got {}", self.text(e), got.ty()))
    }

    /// Points a failed call at the argument at fault when the function
    /// names one, reading `arg should be string, got number` like any other
    /// type error; otherwise at the whole call.
    fn call_error(&self, call: &Expr, func: &Expr, args: &[Expr], name: &str, e: crate::value::CallError) -> Diagnostic {
        let d = match e.arg.and_then(|i| args.get(i)) {
            Some(arg) if e.message.starts_with("should be") => Diagnostic::error(arg.span, format!("{} {}", self.text(arg), e.message)),
            Some(arg) => Diagnostic::error(arg.span, format!("{name}: {}", e.message)),
            None => Diagnostic::error(call.span, format!("{name}: {}", e.message)),
        };
        d.with_label(func.span, format!("in call to {name}"))
    }

    fn literal(&self, expr: &Expr, lit: &Literal) -> Result<Value, Diagnostic> {
        Ok(match lit {
            Literal::Null => Value::Null,
            Literal::Bool(b) => Value::Bool(*b),
            Literal::String(s) => Value::String(s.clone()),
            Literal::Number(text) => {
                Value::Number(Number::parse_literal(text).ok_or_else(|| Diagnostic::error(expr.span, format!("number {text} is out of range")))?)
            }
        })
    }

    fn lookup(&mut self, name: &str, expr: &Expr) -> Result<Value, Diagnostic> {
        if let Some(v) = self.scope.vars.get(name) {
            return Ok(v.clone());
        }
        if let Some(entry) = stdlib::lookup(name) {
            if let Some(replacement) = entry.deprecated_for {
                self.warnings.push(
                    Diagnostic::warning(expr.span, format!("{name} is deprecated; use {replacement} instead"))
                        .with_help(format!("replace `{name}` with `{replacement}`")),
                );
            }
            return Ok(entry.value);
        }
        let mut names: Vec<&str> = self.scope.vars.keys().map(String::as_str).collect();
        for n in stdlib::names() {
            names.push(n);
        }
        let d = Diagnostic::error(expr.span, format!("identifier {name:?} does not exist"));
        Err(match did_you_mean(name, names) {
            Some(s) => d.with_help(format!("did you mean {s:?}?")),
            None => d,
        })
    }

    fn index(&self, value_expr: &Expr, target: Value, index_expr: &Expr, key: Value) -> Result<Value, Diagnostic> {
        match target {
            Value::Array(mut items) => {
                let Value::Number(n) = key else {
                    return Err(self.type_error(index_expr, Type::Number, &key));
                };
                let len = items.len();
                match n.as_i64().and_then(|i| usize::try_from(i).ok()) {
                    Some(i) if i < len => Ok(items.swap_remove(i)),
                    _ => Err(Diagnostic::error(index_expr.span, format!("index {n} is out of range for an array of length {len}"))),
                }
            }
            Value::Object(mut fields) => match key {
                Value::String(k) => Ok(fields.remove(&k).unwrap_or(Value::Null)),
                other => Err(self.type_error(index_expr, Type::String, &other)),
            },
            other => Err(Diagnostic::error(value_expr.span, format!("{} should be array or object, got {}", self.text(value_expr), other.ty()))),
        }
    }

    fn binary(&self, op: BinaryOp, op_span: crate::Span, le: &Expr, l: Value, re: &Expr, r: Value) -> Result<Value, Diagnostic> {
        use BinaryOp::*;
        match op {
            Eq => return Ok(Value::Bool(l == r)),
            Neq => return Ok(Value::Bool(l != r)),
            And | Or => {
                let Value::Bool(a) = l else { return Err(self.type_error(le, Type::Bool, &l)) };
                let Value::Bool(b) = r else { return Err(self.type_error(re, Type::Bool, &r)) };
                return Ok(Value::Bool(if op == And { a && b } else { a || b }));
            }
            _ => {}
        }
        match (l, r) {
            (Value::Number(a), Value::Number(b)) => arith_or_compare(op, a, b).map_err(|msg| Diagnostic::error(op_span, msg)),
            (Value::String(a), Value::String(b)) => match op {
                Add => Ok(Value::String(a + &b)),
                Lt => Ok(Value::Bool(a < b)),
                Lte => Ok(Value::Bool(a <= b)),
                Gt => Ok(Value::Bool(a > b)),
                Gte => Ok(Value::Bool(a >= b)),
                // `-`, `*`, `/`, `%` and `^` are number operators: the left
                // string is the operand at fault.
                _ => Err(self.type_error(le, Type::Number, &Value::String(a))),
            },
            // `+` and comparisons take numbers or strings: the left operand
            // decides which, so a mismatch is the right operand's fault.
            (l @ (Value::Number(_) | Value::String(_)), r) if matches!(op, Add | Lt | Lte | Gt | Gte) => Err(self.type_error(re, l.ty(), &r)),
            (Value::Number(_), r) => Err(self.type_error(re, Type::Number, &r)),
            (l, _) => {
                let expected = if matches!(op, Add | Lt | Lte | Gt | Gte) { "number or string" } else { "number" };
                Err(Diagnostic::error(le.span, format!("{} should be {expected}, got {}", self.text(le), l.ty())))
            }
        }
    }
}

fn negate(n: Number) -> Option<Value> {
    Some(Value::Number(match n {
        Number::Int(i) => Number::Int(i.checked_neg()?),
        Number::Uint(u) => Number::Int(0i64.checked_sub_unsigned(u)?),
        Number::Float(f) => Number::Float(-f),
    }))
}

/// Arithmetic and ordering on two numbers, in the widest kind of the two.
fn arith_or_compare(op: BinaryOp, a: Number, b: Number) -> Result<Value, String> {
    use BinaryOp::*;
    if matches!(op, Lt | Lte | Gt | Gte) {
        let ord = a.partial_cmp(&b);
        return Ok(Value::Bool(match op {
            Lt => ord == Some(std::cmp::Ordering::Less),
            Lte => matches!(ord, Some(std::cmp::Ordering::Less | std::cmp::Ordering::Equal)),
            Gt => ord == Some(std::cmp::Ordering::Greater),
            _ => matches!(ord, Some(std::cmp::Ordering::Greater | std::cmp::Ordering::Equal)),
        }));
    }
    let overflow = || "integer overflow".to_string();
    let by_zero = || "division by zero".to_string();
    match (a, b) {
        (Number::Float(_), _) | (_, Number::Float(_)) => {
            let (x, y) = (a.as_f64(), b.as_f64());
            let v = match op {
                Add => x + y,
                Sub => x - y,
                Mul => x * y,
                Div => x / y,
                Mod => x % y,
                _ => x.powf(y),
            };
            if v.is_finite() {
                Ok(Value::float(v))
            } else if matches!(op, Div | Mod) && y == 0.0 {
                Err(by_zero())
            } else {
                Err(format!("result of {x} {} {y} is not a finite number", op.symbol()))
            }
        }
        (Number::Uint(x), Number::Uint(y)) => {
            let v = match op {
                Add => x.checked_add(y),
                // A uint result below zero becomes an int, as subtraction
                // of two literals like `1 - 2` must give -1.
                Sub => return i128_result(i128::from(x) - i128::from(y)),
                Mul => x.checked_mul(y),
                Div => x.checked_div(y).ok_or_else(by_zero).map(Some)?,
                Mod => x.checked_rem(y).ok_or_else(by_zero).map(Some)?,
                _ => u32::try_from(y).ok().and_then(|e| x.checked_pow(e)),
            };
            v.map(|v| Value::Number(Number::Uint(v))).ok_or_else(overflow)
        }
        _ => {
            let (x, y) = (int_of(a), int_of(b));
            let v = match op {
                Add => x + y,
                Sub => x - y,
                Mul => x.checked_mul(y).ok_or_else(overflow)?,
                Div if y == 0 => return Err(by_zero()),
                Div => x / y,
                Mod if y == 0 => return Err(by_zero()),
                Mod => x % y,
                _ if y < 0 => return Ok(Value::float((x as f64).powf(y as f64))),
                _ => u32::try_from(y).ok().and_then(|e| x.checked_pow(e)).ok_or_else(overflow)?,
            };
            i128_result(v)
        }
    }
}

/// Signed arithmetic is done in i128 so that int and uint mix without
/// losing range; the result must fit one of the two kinds.
fn int_of(n: Number) -> i128 {
    match n {
        Number::Int(i) => i128::from(i),
        Number::Uint(u) => i128::from(u),
        Number::Float(f) => f as i128,
    }
}

fn i128_result(v: i128) -> Result<Value, String> {
    if let Ok(i) = i64::try_from(v) {
        Ok(Value::int(i))
    } else if let Ok(u) = u64::try_from(v) {
        Ok(Value::Number(Number::Uint(u)))
    } else {
        Err("integer overflow".to_string())
    }
}

/// Evaluates a standalone expression against the standard library only.
/// Returns the value or the first error, plus any warnings.
pub fn eval_str(src: &str) -> (Result<Value, Vec<Diagnostic>>, Vec<Diagnostic>) {
    let expr = match crate::parser::parse_expression(src) {
        Ok(e) => e,
        Err(d) => return (Err(d), Vec::new()),
    };
    let scope = Scope::new();
    let mut ev = Evaluator::new(src, &scope);
    let result = ev.eval(&expr).map_err(|d| vec![d]);
    (result, ev.warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(src: &str) -> Value {
        match eval_str(src).0 {
            Ok(v) => v,
            Err(d) => panic!("{src}: {d:?}"),
        }
    }

    fn error(src: &str) -> String {
        match eval_str(src).0 {
            Ok(v) => panic!("{src} evaluated to {v}"),
            Err(d) => d[0].message.clone(),
        }
    }

    #[test]
    fn arithmetic_keeps_number_kinds() {
        assert_eq!(eval("7 / 2"), Value::int(3));
        assert_eq!(eval("7.0 / 2"), Value::float(3.5));
        assert_eq!(eval("3 == 3.0"), Value::Bool(true));
        assert_eq!(eval("-7 % 3"), Value::int(-1));
        assert_eq!(eval("1 - 2"), Value::int(-1));
        assert_eq!(eval("2 ^ 3 ^ 2"), Value::int(512));
        assert_eq!(eval("-2 ^ 2"), Value::int(4));
        assert_eq!(eval("2 ^ -1"), Value::float(0.5));
        assert_eq!(eval("1 + 2 * 3 - 4 / 2"), Value::int(5));
    }

    #[test]
    fn equality_across_types_is_false() {
        assert_eq!(eval(r#"1 == "1""#), Value::Bool(false));
        assert_eq!(eval("null != false"), Value::Bool(true));
        assert_eq!(eval("[1, {a = 2}] == [1.0, {a = 2}]"), Value::Bool(true));
    }

    #[test]
    fn access_and_index() {
        assert_eq!(eval(r#"{a = 1}["missing"]"#), Value::Null);
        assert_eq!(error("{a = 1}.missing"), r#"field "missing" does not exist"#);
        assert_eq!(eval("[10, 20][1]"), Value::int(20));
        assert!(error("[10][1]").contains("out of range"));
    }

    #[test]
    fn logic_evaluates_both_sides() {
        // Alloy does not short-circuit: the right side's error surfaces.
        assert!(error("false && nope").contains(r#"identifier "nope" does not exist"#));
        assert!(error("true || 1").contains("should be bool, got number"));
    }

    #[test]
    fn type_errors_name_the_expression() {
        assert_eq!(error(r#"1 + "a""#), r#""a" should be number, got string"#);
        assert_eq!(error("!1"), "1 should be bool, got number");
        assert_eq!(eval(r#""a" + "b""#), Value::string("ab"));
        assert_eq!(error("1 / 0"), "division by zero");
        assert_eq!(error("9223372036854775807 + 1 * 9223372036854775807 * 2"), "integer overflow");
    }
}
