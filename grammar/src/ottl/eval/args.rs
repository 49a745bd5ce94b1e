//! [`Args`] for a call site: what a function sees of its arguments.

use super::{CArg, CallSite, Eval, Keys, Target};
use crate::ottl::context::{expect_map, MapEdit};
use crate::ottl::function::Args;
use crate::ottl::metric_edit::{MetricEdit, PointQuery};
use crate::ottl::value::Value;

/// A call site's arguments, evaluated lazily: a function that never reads
/// an argument never pays for it, and an editor's `where` has already run.
pub(super) struct SiteArgs<'a, 'c> {
    pub ev: &'a mut Eval<'c>,
    pub site: &'a CallSite,
}

impl Args for SiteArgs<'_, '_> {
    fn present(&self, i: usize) -> bool {
        !matches!(self.site.args.get(i), None | Some(CArg::Absent))
    }

    fn get(&mut self, i: usize) -> Result<Value, String> {
        match self.site.args.get(i) {
            None | Some(CArg::Absent) | Some(CArg::Func(_)) => Ok(Value::Nil),
            Some(CArg::Lit(v)) => Ok(v.clone()),
            Some(CArg::Expr(n)) => Ok(self.ev.eval(n)?.into_owned()),
            Some(CArg::Path(p)) => self.ev.read(p),
        }
    }

    fn set(&mut self, i: usize, value: Value) -> Result<(), String> {
        match self.site.args.get(i) {
            Some(CArg::Path(p)) => self.ev.write(p, value),
            _ => Err(format!("argument {i} is not a path")),
        }
    }

    fn call(&mut self, i: usize, args: Vec<Value>) -> Result<Value, String> {
        match self.site.args.get(i) {
            Some(CArg::Func(f)) => f.call(&mut ValueArgs(args)),
            _ => Err(format!("argument {i} is not a function")),
        }
    }

    /// A context path with constant keys goes to the context's own
    /// [`crate::ottl::Context::edit_map`]; `cache` and computed keys are
    /// read and written whole.
    fn edit_map(&mut self, i: usize, edit: MapEdit<'_>) -> Result<(), String> {
        if let Some(CArg::Path(p)) = self.site.args.get(i) {
            if let (Target::Ctx(id), Keys::Static(keys)) = (p.target, &p.keys) {
                return self.ev.ctx.edit_map(id, keys, edit);
            }
        }
        let mut map = expect_map(self.get(i)?)?;
        if edit.apply(&mut map) {
            self.set(i, Value::Map(map))?;
        }
        Ok(())
    }

    fn edit_metric(&mut self, edit: MetricEdit) -> Result<(), String> {
        self.ev.ctx.edit_metric(edit)
    }

    fn query_points(&mut self, query: PointQuery<'_>) -> Result<bool, String> {
        self.ev.ctx.query_points(query)
    }
}

/// The arguments of a converter called through a function argument: plain
/// values, read once each.
struct ValueArgs(Vec<Value>);

impl Args for ValueArgs {
    fn present(&self, i: usize) -> bool {
        i < self.0.len()
    }

    fn get(&mut self, i: usize) -> Result<Value, String> {
        Ok(self.0.get(i).cloned().unwrap_or_default())
    }

    fn set(&mut self, i: usize, _: Value) -> Result<(), String> {
        Err(format!("argument {i} is not a path"))
    }

    fn call(&mut self, i: usize, _: Vec<Value>) -> Result<Value, String> {
        Err(format!("argument {i} is not a function"))
    }
}
