//! A map-backed span-like context and a tiny function table, for tests,
//! doc examples and benchmarks of the language alone. The real contexts
//! (over OTLP types) live in `solder-components`; the real function
//! library in `ottl::funcs`.

use super::context::{Context, Key, PathId, PathSpec, Schema};
use super::eval::{get_in, set_in};
use super::function::{Args, CompileArgs, Function, FunctionDef, Param, ParamKind};
use super::value::Value;

const fn path(name: &'static str, keyed: bool, settable: bool) -> PathSpec {
    PathSpec { name, keyed, settable }
}

/// A span-like context: the paths [`Item`] stores, in [`PathId`] order.
pub static SPAN: Schema = Schema {
    name: "span",
    paths: &[
        path("name", false, true),
        path("attributes", true, true),
        path("resource.attributes", true, true),
        path("kind", false, true),
        path("status.code", false, true),
        path("status.message", false, true),
        path("trace_id.string", false, false),
        path("start_time_unix_nano", false, true),
        path("instrumentation_scope.name", false, true),
    ],
    enums: &[
        ("SPAN_KIND_UNSPECIFIED", 0),
        ("SPAN_KIND_INTERNAL", 1),
        ("SPAN_KIND_SERVER", 2),
        ("SPAN_KIND_CLIENT", 3),
        ("SPAN_KIND_PRODUCER", 4),
        ("SPAN_KIND_CONSUMER", 5),
        ("STATUS_CODE_UNSET", 0),
        ("STATUS_CODE_OK", 1),
        ("STATUS_CODE_ERROR", 2),
    ],
};

/// A resource-like context, for context inference.
pub static RESOURCE: Schema = Schema { name: "resource", paths: &[path("attributes", true, true)], enums: &[] };

/// One span: every path of [`SPAN`] as a value.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub values: Vec<Value>,
}

impl Item {
    /// A span with this name, empty attribute maps and zero elsewhere.
    pub fn named(name: &str) -> Item {
        let mut values = vec![Value::Nil; SPAN.paths.len()];
        values[0] = Value::str(name);
        values[1] = Value::Map(Vec::new());
        values[2] = Value::Map(Vec::new());
        values[3] = Value::Int(0);
        values[4] = Value::Int(0);
        values[5] = Value::str("");
        values[6] = Value::str("0102030405060708090a0b0c0d0e0f10");
        values[7] = Value::Int(0);
        values[8] = Value::str("");
        Item { values }
    }

    pub fn with_attribute(mut self, key: &str, value: Value) -> Item {
        let _ = set_in(&mut self.values[1], &[Key::Str(key.to_string())], value);
        self
    }

    pub fn attribute(&self, key: &str) -> Option<&Value> {
        self.values[1].map_get(key)
    }
}

impl Context for Item {
    fn get(&self, path: PathId, keys: &[Key]) -> Result<Value, String> {
        let root = self.values.get(path as usize).ok_or("no such path")?;
        Ok(get_in(root, keys)?.cloned().unwrap_or_default())
    }

    fn set(&mut self, path: PathId, keys: &[Key], value: Value) -> Result<(), String> {
        let root = self.values.get_mut(path as usize).ok_or("no such path")?;
        if keys.is_empty() && !matches!((&*root, &value), (Value::Map(_), Value::Map(_))) && std::mem::discriminant(&*root) != std::mem::discriminant(&value) {
            return Err(format!("expected {}, got {}", root.type_name(), value.type_name()));
        }
        set_in(root, keys, value)
    }
}

/// `set(target, value)`; a nil value leaves the target alone, as the
/// Collector's `set` does.
struct Set;
impl Function for Set {
    fn call(&self, args: &mut dyn Args) -> Result<Value, String> {
        let v = args.get(1)?;
        if !v.is_nil() {
            args.set(0, v)?;
        }
        Ok(Value::Nil)
    }
}

/// `Concat(values, delimiter)`: joins strings and numbers.
struct Concat(String);
impl Function for Concat {
    fn call(&self, args: &mut dyn Args) -> Result<Value, String> {
        let Value::List(items) = args.get(0)? else { return Err("Concat needs a list".into()) };
        let mut out = String::new();
        for (i, v) in items.iter().enumerate() {
            if i > 0 {
                out.push_str(&self.0);
            }
            match v {
                Value::Str(s) => out.push_str(s),
                Value::Int(n) => out.push_str(&n.to_string()),
                Value::Nil => {}
                other => out.push_str(other.type_name()),
            }
        }
        Ok(Value::Str(out))
    }
}

/// `Split(target, delimiter)`.
struct Split(String);
impl Function for Split {
    fn call(&self, args: &mut dyn Args) -> Result<Value, String> {
        match args.get(0)? {
            Value::Str(s) => Ok(Value::List(s.split(self.0.as_str()).map(Value::str).collect())),
            Value::Nil => Ok(Value::Nil),
            other => Err(format!("expected string but got {}", other.type_name())),
        }
    }
}

/// `HasPrefix(target, prefix)`: refuses an empty prefix at load.
struct HasPrefix(String);
impl Function for HasPrefix {
    fn call(&self, args: &mut dyn Args) -> Result<Value, String> {
        Ok(Value::Bool(args.get(0)?.as_str().is_some_and(|s| s.starts_with(&self.0))))
    }
}

/// `Upper(target)`.
struct Upper;
impl Function for Upper {
    fn call(&self, args: &mut dyn Args) -> Result<Value, String> {
        match args.get(0)? {
            Value::Str(s) => Ok(Value::Str(s.to_uppercase())),
            other => Err(format!("expected string but got {}", other.type_name())),
        }
    }
}

/// `apply(target, function, [suffix])`: sets target to `function(target)`,
/// with `suffix` appended when given (a Function parameter and an optional one).
struct Apply;
impl Function for Apply {
    fn call(&self, args: &mut dyn Args) -> Result<Value, String> {
        let v = args.get(0)?;
        let mut out = args.call(1, vec![v])?;
        if args.present(2) {
            if let (Value::Str(s), Value::Str(suffix)) = (&mut out, args.get(2)?) {
                s.push_str(&suffix);
            }
        }
        args.set(0, out)?;
        Ok(Value::Nil)
    }
}

/// The string literal a factory received at `i` (empty when absent).
fn str_literal(c: &CompileArgs<'_>, i: usize) -> String {
    c.literals.get(i).and_then(|v| v.as_ref()).and_then(Value::as_str).unwrap_or_default().to_string()
}

/// The table, in the shape `ottl::funcs::table()` has.
static FUNCTIONS: &[FunctionDef] = &[
    FunctionDef { name: "set", params: &[Param::required("target", ParamKind::Path), Param::required("value", ParamKind::Value)], make: |_| Ok(Box::new(Set)) },
    FunctionDef {
        name: "apply",
        params: &[Param::required("target", ParamKind::Path), Param::required("function", ParamKind::Function), Param::optional("suffix", ParamKind::Value)],
        make: |_| Ok(Box::new(Apply)),
    },
    FunctionDef {
        name: "Concat",
        params: &[Param::required("vals", ParamKind::Value), Param::required("delimiter", ParamKind::Str)],
        make: |c| Ok(Box::new(Concat(str_literal(c, 1)))),
    },
    FunctionDef {
        name: "Split",
        params: &[Param::required("target", ParamKind::Value), Param::required("delimiter", ParamKind::Str)],
        make: |c| Ok(Box::new(Split(str_literal(c, 1)))),
    },
    FunctionDef {
        name: "HasPrefix",
        params: &[Param::required("target", ParamKind::Value), Param::required("prefix", ParamKind::Str)],
        make: |c| {
            let p = str_literal(c, 1);
            if p.is_empty() {
                return Err((1, "the prefix must not be empty".to_string()));
            }
            Ok(Box::new(HasPrefix(p)))
        },
    },
    FunctionDef { name: "Upper", params: &[Param::required("target", ParamKind::Value)], make: |_| Ok(Box::new(Upper)) },
];

/// The test function table: editors `set` and `apply`; converters
/// `Concat`, `Split`, `HasPrefix` and `Upper`.
pub fn functions() -> &'static [FunctionDef] {
    FUNCTIONS
}
