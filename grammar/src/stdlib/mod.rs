//! The standard library: the names every expression can see.
//!
//! Namespaces (`sys`, `string`, `encoding`, ...) are objects of functions,
//! as in Alloy, so `string.to_upper` is an ordinary field access. The
//! deprecated top-level aliases still resolve, and the evaluator warns with
//! the replacement's name.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use crate::value::{CallError, Function, Value};

mod args;
mod array;
mod constants;
mod convert;
mod encoding;
mod file;
mod json_path;
mod string;
mod sys;

/// One name in the standard library.
#[derive(Clone)]
pub struct Entry {
    pub value: Value,
    /// For a deprecated alias, the name to use instead.
    pub deprecated_for: Option<&'static str>,
}

/// Deprecated top-level names and what replaced them, as Alloy lists them.
const DEPRECATED: &[(&str, &str, &str)] = &[
    ("env", "sys", "env"),
    ("nonsensitive", "convert", "nonsensitive"),
    ("concat", "array", "concat"),
    ("json_decode", "encoding", "from_json"),
    ("yaml_decode", "encoding", "from_yaml"),
    ("base64_decode", "encoding", "from_base64"),
    ("format", "string", "format"),
    ("join", "string", "join"),
    ("replace", "string", "replace"),
    ("split", "string", "split"),
    ("to_lower", "string", "to_lower"),
    ("to_upper", "string", "to_upper"),
    ("trim", "string", "trim"),
    ("trim_prefix", "string", "trim_prefix"),
    ("trim_suffix", "string", "trim_suffix"),
    ("trim_space", "string", "trim_space"),
];

static LIBRARY: LazyLock<BTreeMap<String, Entry>> = LazyLock::new(build);

fn build() -> BTreeMap<String, Entry> {
    let mut lib: BTreeMap<String, Entry> = BTreeMap::new();
    let mut add = |name: &str, value: Value| {
        lib.insert(name.to_string(), Entry { value, deprecated_for: None });
    };
    add("sys", namespace(sys::functions()));
    add("convert", namespace(convert::functions()));
    add("string", namespace(string::functions()));
    add("encoding", namespace(encoding::functions()));
    add("array", namespace(array::functions()));
    add("file", namespace(file::functions()));
    add("constants", constants::object());
    add("coalesce", Value::Function(Function::new("coalesce", coalesce)));
    add("json_path", Value::Function(Function::new("json_path", json_path::json_path)));
    for (alias, ns, name) in DEPRECATED {
        let value = match lib.get(*ns).map(|e| &e.value) {
            Some(Value::Object(fields)) => fields.get(*name).cloned(),
            _ => None,
        };
        if let Some(value) = value {
            let replacement: &'static str = Box::leak(format!("{ns}.{name}").into_boxed_str());
            lib.insert(alias.to_string(), Entry { value, deprecated_for: Some(replacement) });
        }
    }
    lib
}

fn namespace(functions: Vec<Function>) -> Value {
    Value::Object(functions.into_iter().map(|f| (short_name(f.name()).to_string(), Value::Function(f))).collect())
}

/// `string.format` is registered under its full name; the namespace object
/// holds it under `format`.
fn short_name(full: &str) -> &str {
    full.rsplit('.').next().unwrap_or(full)
}

/// The entry for a top-level name.
pub fn lookup(name: &str) -> Option<Entry> {
    LIBRARY.get(name).cloned()
}

/// Every top-level name, for "did you mean".
pub fn names() -> impl Iterator<Item = &'static str> {
    LIBRARY.keys().map(String::as_str)
}

/// The first argument that is not a zero value (null, `false`, `0`, `""`,
/// `[]` or `{}`, as Alloy's Go implementation judges it), or the last
/// argument when all of them are.
fn coalesce(args: &[Value]) -> Result<Value, CallError> {
    let empty = |v: &Value| match v {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == 0.0,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    };
    Ok(args.iter().find(|v| !empty(v)).or(args.last()).cloned().unwrap_or(Value::Null))
}
