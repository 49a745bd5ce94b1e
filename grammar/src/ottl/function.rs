//! The function table's interface: how an editor or converter declares its
//! parameters, so the checker can refuse a wrong call before anything
//! runs, and how it reads and writes its arguments when it does run.

use super::context::{expect_map, MapEdit};
use super::metric_edit::{MetricEdit, PointQuery};
use super::value::Value;

/// How an argument must be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    /// Any expression, evaluated when the function runs (the Collector's
    /// `Getter`, `StringGetter`, `PMapGetter`, ...; the type is checked
    /// when the value is known).
    Value,
    /// Any expression, as [`ParamKind::Value`]; when it is a literal the
    /// factory also gets its value, to prepare it once at load (the
    /// Collector's `GetLiteralValue`: `ExtractGrokPatterns` compiles a
    /// literal pattern at load and any other at run time).
    MaybeLiteral,
    /// A path the function writes (the Collector's `GetSetter`).
    Path,
    /// A string literal, known at load time, such as a regex pattern.
    Str,
    /// An int literal known at load time.
    Int,
    /// A list of string literals known at load time (`keep_keys`).
    StrList,
    /// A `true` or `false` literal (`extract_sum_metric`'s monotonicity).
    Bool,
    /// A number literal, int or float (`scale_metric`'s factor).
    Float,
    /// A list of number literals (`convert_exponential_histogram_to_histogram`'s
    /// bounds).
    FloatList,
    /// A map literal, nested lists and maps of literals included
    /// (`ParseSeverity`'s mapping).
    MapLit,
    /// An enum symbol of the context or function, such as `SPAN_KIND_SERVER`
    /// or `upper`-like words some functions take.
    Enum,
    /// The name of a converter (`replace_pattern(..., SHA256)`).
    Function,
    /// A path of the context that the function reads or writes on its own
    /// (`set_semconv_span_name` reads the span's kind and attributes):
    /// never written in a call, filled in by the checker, and what keeps
    /// the function out of contexts that lack the path. These come after
    /// every parameter a call may give.
    Context(&'static str),
}

/// One parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Param {
    /// The name named arguments use: `replace_pattern(target, regex=...)`.
    pub name: &'static str,
    pub kind: ParamKind,
    /// Whether it may be left out (the Collector's `Optional[...]`).
    pub optional: bool,
}

impl Param {
    pub const fn required(name: &'static str, kind: ParamKind) -> Param {
        Param { name, kind, optional: false }
    }

    pub const fn optional(name: &'static str, kind: ParamKind) -> Param {
        Param { name, kind, optional: true }
    }
}

/// The arguments as the checker knows them at load time, in parameter
/// order. Literal parameters ([`ParamKind::Str`], [`ParamKind::Int`],
/// [`ParamKind::StrList`], [`ParamKind::Enum`], [`ParamKind::Function`]
/// as its name, and a [`ParamKind::MaybeLiteral`] written as a literal)
/// have their value here; the others are `None`, as is an
/// optional argument that was left out.
pub struct CompileArgs<'a> {
    pub literals: &'a [Option<Value>],
}

/// What a function reads and writes when it runs. Indices are parameter
/// positions.
pub trait Args {
    /// Whether an optional argument was given.
    fn present(&self, i: usize) -> bool;
    /// The argument's value: an expression evaluated now, a path read, or
    /// a literal. A left-out optional argument is [`Value::Nil`].
    fn get(&mut self, i: usize) -> Result<Value, String>;
    /// Writes a [`ParamKind::Path`] argument.
    fn set(&mut self, i: usize, value: Value) -> Result<(), String>;
    /// Calls the converter a [`ParamKind::Function`] argument names.
    fn call(&mut self, i: usize, args: Vec<Value>) -> Result<Value, String>;
    /// Edits the map a [`ParamKind::Path`] argument names, in place where
    /// the context can (see [`crate::ottl::Context::edit_map`]).
    fn edit_map(&mut self, i: usize, edit: MapEdit<'_>) -> Result<(), String> {
        let mut map = expect_map(self.get(i)?)?;
        if edit.apply(&mut map) {
            self.set(i, Value::Map(map))?;
        }
        Ok(())
    }
    /// Hands a metric function's change to the context
    /// ([`crate::ottl::Context::edit_metric`]).
    fn edit_metric(&mut self, edit: MetricEdit) -> Result<(), String> {
        Err(format!("{} has no metric to change here", edit.function()))
    }
    /// Asks the context about the metric's data points
    /// ([`crate::ottl::Context::query_points`]).
    fn query_points(&mut self, query: PointQuery<'_>) -> Result<bool, String> {
        Err(format!("no data points to look for {:?} in here", query.key()))
    }
}

/// A function compiled for one call site: regexes and other literals are
/// prepared once, per load.
pub trait Function: Send + Sync {
    /// Runs the function. Editors return [`Value::Nil`].
    fn call(&self, args: &mut dyn Args) -> Result<Value, String>;

    /// What the function does, for the few editors a context may run
    /// itself without the evaluator ([`crate::ottl::plan`]); `None` for
    /// the rest.
    fn primitive(&self) -> Option<&crate::ottl::plan::Primitive> {
        None
    }
}

/// Prepares a call site from its literal arguments. An error names the
/// parameter index it is about, so the diagnostic points at that argument.
pub type Factory = fn(&CompileArgs<'_>) -> Result<Box<dyn Function>, (usize, String)>;

/// One entry in the function table.
#[derive(Clone, Copy)]
pub struct FunctionDef {
    /// `set`, `Concat`, ...: editors start lower-case, converters upper-case.
    pub name: &'static str,
    pub params: &'static [Param],
    pub make: Factory,
}

impl FunctionDef {
    pub fn is_editor(&self) -> bool {
        self.name.starts_with(|c: char| c.is_ascii_lowercase())
    }
}

impl std::fmt::Debug for FunctionDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FunctionDef").field("name", &self.name).field("params", &self.params).finish()
    }
}
