//! A stand-in for the evaluator in unit tests: arguments are values in
//! parameter order, writes to a path argument are recorded (and read back
//! by later `get`s), and a function argument names a converter that is run
//! from [`super::table`].

use super::super::function::{Args, CompileArgs, Function, ParamKind};
use super::super::metric_edit::MetricEdit;
use super::super::value::Value;
use super::table;

pub(super) struct FakeArgs {
    /// `None` for an optional argument left out.
    pub args: Vec<Option<Value>>,
    /// Every `set`, in order.
    pub sets: Vec<(usize, Value)>,
    /// Every metric edit handed to the context, in order.
    pub edits: Vec<MetricEdit>,
}

impl Args for FakeArgs {
    fn present(&self, i: usize) -> bool {
        matches!(self.args.get(i), Some(Some(_)))
    }
    fn get(&mut self, i: usize) -> Result<Value, String> {
        Ok(self.args.get(i).cloned().flatten().unwrap_or_default())
    }
    fn set(&mut self, i: usize, value: Value) -> Result<(), String> {
        self.sets.push((i, value.clone()));
        self.args[i] = Some(value);
        Ok(())
    }
    fn call(&mut self, i: usize, args: Vec<Value>) -> Result<Value, String> {
        let Some(Some(Value::Str(name))) = self.args.get(i) else { return Err("no function argument".into()) };
        let name = name.clone();
        let f = compile(&name, &args.iter().cloned().map(Some).collect::<Vec<_>>()).map_err(|e| e.1)?;
        f.call(&mut FakeArgs { args: args.into_iter().map(Some).collect(), sets: Vec::new(), edits: Vec::new() })
    }
    fn edit_metric(&mut self, edit: MetricEdit) -> Result<(), String> {
        self.edits.push(edit);
        Ok(())
    }
}

/// Compiles `name` as the checker would: literal parameters get their
/// value, the rest `None`.
pub(super) fn compile(name: &str, args: &[Option<Value>]) -> Result<Box<dyn Function>, (usize, String)> {
    let def = table().iter().find(|d| d.name == name).unwrap_or_else(|| panic!("no function {name}"));
    let literals: Vec<Option<Value>> = def
        .params
        .iter()
        .enumerate()
        .map(|(i, p)| match p.kind {
            ParamKind::Value | ParamKind::Path | ParamKind::Context(_) => None,
            _ => args.get(i).cloned().flatten(),
        })
        .collect();
    (def.make)(&CompileArgs { literals: &literals })
}

/// Runs `name` once; returns its result and the arguments after it ran
/// (so `args[0]` is an editor's target as written).
pub(super) fn run_opt(name: &str, args: Vec<Option<Value>>) -> (Result<Value, String>, FakeArgs) {
    let f = compile(name, &args).unwrap_or_else(|e| panic!("{name} did not compile: {e:?}"));
    let mut fake = FakeArgs { args, sets: Vec::new(), edits: Vec::new() };
    let out = f.call(&mut fake);
    (out, fake)
}

/// [`run_opt`] with every argument given.
pub(super) fn run(name: &str, args: Vec<Value>) -> (Result<Value, String>, FakeArgs) {
    run_opt(name, args.into_iter().map(Some).collect())
}

/// A converter's result.
pub(super) fn conv(name: &str, args: Vec<Value>) -> Result<Value, String> {
    run(name, args).0
}

/// An editor's target after it ran, which must succeed.
pub(super) fn edited(name: &str, args: Vec<Value>) -> Value {
    let (out, fake) = run(name, args);
    out.unwrap_or_else(|e| panic!("{name} failed: {e}"));
    fake.args[0].clone().unwrap_or_default()
}

pub(super) fn s(v: &str) -> Value {
    Value::str(v)
}

/// A map from pairs.
pub(super) fn map(pairs: &[(&str, Value)]) -> Value {
    Value::Map(pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect())
}

pub(super) fn list(items: &[Value]) -> Value {
    Value::List(items.to_vec())
}

pub(super) fn strs(items: &[&str]) -> Value {
    Value::List(items.iter().map(|x| s(x)).collect())
}
