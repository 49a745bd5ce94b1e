//! The values an Alloy expression evaluates to.
//!
//! Mirrors Alloy's value model: numbers keep their kind (int, uint, float)
//! so that `7 / 2 == 3` while `7.0 / 2 == 3.5`; equality across types is
//! false rather than an error; secrets never print their contents.

use std::any::Any;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use crate::literal;
use crate::scanner::is_valid_identifier;

#[derive(Clone)]
pub enum Value {
    Null,
    Bool(bool),
    Number(Number),
    String(String),
    Array(Vec<Value>),
    /// Keys are sorted, as Alloy prints them.
    Object(BTreeMap<String, Value>),
    Function(Function),
    Capsule(Capsule),
    Secret(Secret),
}

/// The three number kinds. Arithmetic picks the widest kind of its operands:
/// float if either is a float, else int if either is signed, else uint.
#[derive(Debug, Clone, Copy)]
pub enum Number {
    Int(i64),
    Uint(u64),
    Float(f64),
}

/// The type names users see in errors: `should be number, got string`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Type {
    Null,
    Bool,
    Number,
    String,
    Array,
    Object,
    Function,
    Capsule,
    Secret,
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Type::Null => "null",
            Type::Bool => "bool",
            Type::Number => "number",
            Type::String => "string",
            Type::Array => "array",
            Type::Object => "object",
            Type::Function => "function",
            Type::Capsule => "capsule",
            Type::Secret => "secret",
        })
    }
}

/// Why a function call failed. `arg` names the argument at fault, so the
/// diagnostic can underline it instead of the whole call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallError {
    pub arg: Option<usize>,
    pub message: String,
}

impl CallError {
    pub fn new(message: impl Into<String>) -> CallError {
        CallError { arg: None, message: message.into() }
    }

    pub fn arg(index: usize, message: impl Into<String>) -> CallError {
        CallError { arg: Some(index), message: message.into() }
    }

    /// The usual type mismatch of one argument.
    pub fn arg_type(index: usize, expected: Type, got: &Value) -> CallError {
        CallError::arg(index, format!("should be {expected}, got {}", got.ty()))
    }
}

type NativeFn = dyn Fn(&[Value]) -> Result<Value, CallError> + Send + Sync;

/// A callable value: a standard library function, or one a component exports.
#[derive(Clone)]
pub struct Function {
    name: Arc<str>,
    f: Arc<NativeFn>,
}

impl Function {
    pub fn new(name: &str, f: impl Fn(&[Value]) -> Result<Value, CallError> + Send + Sync + 'static) -> Function {
        Function { name: Arc::from(name), f: Arc::new(f) }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn call(&self, args: &[Value]) -> Result<Value, CallError> {
        (self.f)(args)
    }
}

/// An opaque Rust value passed between components, such as a handle to a
/// component's traces input. Equal only to itself.
#[derive(Clone)]
pub struct Capsule {
    type_name: &'static str,
    inner: Arc<dyn Any + Send + Sync>,
}

impl Capsule {
    pub fn new<T: Any + Send + Sync>(type_name: &'static str, value: T) -> Capsule {
        Capsule { type_name, inner: Arc::new(value) }
    }

    pub fn type_name(&self) -> &'static str {
        self.type_name
    }

    pub fn downcast<T: Any + Send + Sync>(&self) -> Option<&T> {
        self.inner.downcast_ref()
    }
}

/// A sensitive string. It converts to nothing but itself, except through
/// `convert.nonsensitive`, and prints as `(secret)` everywhere.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Arc<str>);

impl Secret {
    pub fn new(s: impl Into<Arc<str>>) -> Secret {
        Secret(s.into())
    }

    /// The secret's contents. Named loudly so that every use stands out in
    /// review: only code that hands the secret to its destination may call it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(secret)")
    }
}

impl Value {
    pub fn ty(&self) -> Type {
        match self {
            Value::Null => Type::Null,
            Value::Bool(_) => Type::Bool,
            Value::Number(_) => Type::Number,
            Value::String(_) => Type::String,
            Value::Array(_) => Type::Array,
            Value::Object(_) => Type::Object,
            Value::Function(_) => Type::Function,
            Value::Capsule(_) => Type::Capsule,
            Value::Secret(_) => Type::Secret,
        }
    }

    pub fn int(i: i64) -> Value {
        Value::Number(Number::Int(i))
    }

    pub fn float(f: f64) -> Value {
        Value::Number(Number::Float(f))
    }

    pub fn string(s: impl Into<String>) -> Value {
        Value::String(s.into())
    }

    pub fn object<K: Into<String>>(fields: impl IntoIterator<Item = (K, Value)>) -> Value {
        Value::Object(fields.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }
}

impl Number {
    /// Parses a number literal as the grammar accepts it: a float if it has
    /// a `.` or an exponent, else an int, or a uint when too large for int.
    ///
    /// ```
    /// use solder_syntax::value::Number;
    ///
    /// assert!(matches!(Number::parse_literal("42"), Some(Number::Int(42))));
    /// assert!(matches!(Number::parse_literal("18446744073709551615"), Some(Number::Uint(u64::MAX))));
    /// assert!(matches!(Number::parse_literal("1e3"), Some(Number::Float(f)) if f == 1000.0));
    /// assert!(matches!(Number::parse_literal(".5"), Some(Number::Float(f)) if f == 0.5));
    /// // Past u64, and past f64.
    /// assert!(Number::parse_literal("18446744073709551616").is_none());
    /// assert!(Number::parse_literal("1e999").is_none());
    /// ```
    pub fn parse_literal(text: &str) -> Option<Number> {
        if text.contains(['.', 'e', 'E']) {
            text.parse::<f64>().ok().filter(|f| f.is_finite()).map(Number::Float)
        } else if let Ok(i) = text.parse::<i64>() {
            Some(Number::Int(i))
        } else {
            text.parse::<u64>().ok().map(Number::Uint)
        }
    }

    pub fn as_f64(self) -> f64 {
        match self {
            Number::Int(i) => i as f64,
            Number::Uint(u) => u as f64,
            Number::Float(f) => f,
        }
    }

    /// The value as an i64 when it is a whole number that fits.
    pub fn as_i64(self) -> Option<i64> {
        match self {
            Number::Int(i) => Some(i),
            Number::Uint(u) => i64::try_from(u).ok(),
            Number::Float(f) if f.fract() == 0.0 && f >= i64::MIN as f64 && f < i64::MAX as f64 => Some(f as i64),
            Number::Float(_) => None,
        }
    }

    /// The value as a u64 when it is a whole non-negative number that fits.
    pub fn as_u64(self) -> Option<u64> {
        match self {
            Number::Int(i) => u64::try_from(i).ok(),
            Number::Uint(u) => Some(u),
            Number::Float(f) if f.fract() == 0.0 && f >= 0.0 && f < u64::MAX as f64 => Some(f as u64),
            Number::Float(_) => None,
        }
    }
}

impl PartialEq for Number {
    /// Compares by value across kinds, so `3 == 3.0`.
    fn eq(&self, other: &Number) -> bool {
        match (*self, *other) {
            (Number::Int(a), Number::Int(b)) => a == b,
            (Number::Uint(a), Number::Uint(b)) => a == b,
            (Number::Int(a), Number::Uint(b)) | (Number::Uint(b), Number::Int(a)) => u64::try_from(a) == Ok(b),
            (a, b) => a.as_f64() == b.as_f64(),
        }
    }
}

impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Number) -> Option<std::cmp::Ordering> {
        match (*self, *other) {
            (Number::Int(a), Number::Int(b)) => a.partial_cmp(&b),
            (Number::Uint(a), Number::Uint(b)) => a.partial_cmp(&b),
            (Number::Int(a), Number::Uint(b)) => i128::from(a).partial_cmp(&i128::from(b)),
            (Number::Uint(a), Number::Int(b)) => i128::from(a).partial_cmp(&i128::from(b)),
            (a, b) => a.as_f64().partial_cmp(&b.as_f64()),
        }
    }
}

impl PartialEq for Value {
    /// Alloy's `==`: values of different types are unequal, never an error.
    /// Functions are never equal; capsules only to the same capsule.
    fn eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Null, Value::Null) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Number(a), Value::Number(b)) => a == b,
            (Value::String(a), Value::String(b)) => a == b,
            (Value::Array(a), Value::Array(b)) => a == b,
            (Value::Object(a), Value::Object(b)) => a == b,
            (Value::Capsule(a), Value::Capsule(b)) => Arc::ptr_eq(&a.inner, &b.inner),
            (Value::Secret(a), Value::Secret(b)) => a == b,
            _ => false,
        }
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Number::Int(i) => write!(f, "{i}"),
            Number::Uint(u) => write!(f, "{u}"),
            Number::Float(x) => write!(f, "{x}"),
        }
    }
}

/// Values print in Alloy syntax, so what the UI and errors show can be
/// pasted back into a config. Secrets print as `(secret)`.
///
/// ```
/// use solder_syntax::value::{Secret, Value};
///
/// let v = Value::object([
///     ("name", Value::string("a \"b\"")),
///     ("ports", Value::Array(vec![Value::int(1), Value::float(2.5)])),
///     ("key", Value::Secret(Secret::new("hunter2"))),
///     ("not an identifier", Value::Null),
/// ]);
/// assert_eq!(v.to_string(), r#"{ key = (secret), name = "a \"b\"", "not an identifier" = null, ports = [1, 2.5] }"#);
/// ```
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Number(n) => write!(f, "{n}"),
            Value::String(s) => f.write_str(&literal::quote(s)),
            Value::Array(items) => {
                f.write_str("[")?;
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{v}")?;
                }
                f.write_str("]")
            }
            Value::Object(fields) if fields.is_empty() => f.write_str("{}"),
            Value::Object(fields) => {
                f.write_str("{ ")?;
                for (i, (k, v)) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    if is_valid_identifier(k) {
                        write!(f, "{k} = {v}")?;
                    } else {
                        write!(f, "{} = {v}", literal::quote(k))?;
                    }
                }
                f.write_str(" }")
            }
            Value::Function(func) => write!(f, "function({})", func.name),
            Value::Capsule(c) => write!(f, "capsule({})", literal::quote(c.type_name)),
            Value::Secret(_) => f.write_str("(secret)"),
        }
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(s)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Value {
        Value::int(i)
    }
}

impl From<f64> for Value {
    fn from(f: f64) -> Value {
        Value::float(f)
    }
}

impl From<Vec<Value>> for Value {
    fn from(items: Vec<Value>) -> Value {
        Value::Array(items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_compare_across_kinds() {
        assert_eq!(Value::int(3), Value::float(3.0));
        assert_eq!(Value::Number(Number::Uint(3)), Value::int(3));
        assert_ne!(Value::int(-1), Value::Number(Number::Uint(u64::MAX)));
        assert!(Number::Int(-1) < Number::Uint(0));
    }

    #[test]
    fn different_types_are_unequal() {
        assert_ne!(Value::int(1), Value::string("1"));
        assert_ne!(Value::Null, Value::Bool(false));
    }

    #[test]
    fn secrets_never_print() {
        let v = Value::Secret(Secret::new("hunter2"));
        assert_eq!(v.to_string(), "(secret)");
        assert_eq!(format!("{v:?}"), "(secret)");
        let nested = Value::object([("password", v)]);
        assert!(!nested.to_string().contains("hunter2"));
    }

    #[test]
    fn objects_print_in_alloy_syntax() {
        let v = Value::object([("b", Value::int(1)), ("a.b", Value::Array(vec![Value::Null, Value::from("x")]))]);
        assert_eq!(v.to_string(), r#"{ "a.b" = [null, "x"], b = 1 }"#);
    }

    #[test]
    fn literals_keep_their_kind() {
        assert!(matches!(Number::parse_literal("7"), Some(Number::Int(7))));
        assert!(matches!(Number::parse_literal("1."), Some(Number::Float(_))));
        assert!(matches!(Number::parse_literal(".5"), Some(Number::Float(_))));
        assert!(matches!(Number::parse_literal("18446744073709551615"), Some(Number::Uint(u64::MAX))));
        assert!(Number::parse_literal("18446744073709551616").is_none());
    }
}
