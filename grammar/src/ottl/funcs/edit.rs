//! The editors that write one value: `set` and `append`.

use super::super::function::{CompileArgs, FunctionDef, Param, ParamKind::*};
use super::super::plan::Primitive;
use super::super::value::Value;
use super::common::{described, func, Made};

pub(super) const DEFS: &[FunctionDef] = &[
    FunctionDef { name: "set", params: &[Param::required("target", Path), Param::required("value", Value)], make: set },
    FunctionDef { name: "append", params: &[Param::required("target", Path), Param::optional("value", Value), Param::optional("values", Value)], make: append },
];

/// Writes the value to the target. A nil value (an unset attribute, say)
/// changes nothing, as in the Collector without its `ottl.set.allowNil`
/// gate. The hot path: one read, one write, no copy of the value.
fn set(_: &CompileArgs<'_>) -> Made {
    described(Primitive::Set, |args| {
        let v = args.get(1)?;
        if !v.is_nil() {
            args.set(0, v)?;
        }
        Ok(Value::Nil)
    })
}

/// Appends `value` and then each of `values` to the target, which becomes
/// a list: a missing target starts empty, a scalar becomes the list's
/// first item. Item types are kept as they are, mixed or not.
fn append(_: &CompileArgs<'_>) -> Made {
    func(|args| {
        let (has_value, has_values) = (args.present(1), args.present(2));
        if !has_value && !has_values {
            return Err("at least one of the optional arguments ('value' or 'values') must be provided".into());
        }
        let mut items = match args.get(0)? {
            Value::Nil => Vec::new(),
            Value::List(items) => items,
            Value::Map(_) => return Err("unsupported type of target field: \"Map\"".into()),
            scalar => vec![scalar],
        };
        if has_value {
            items.push(args.get(1)?);
        }
        if has_values {
            match args.get(2)? {
                Value::List(more) => items.extend(more),
                other => return Err(format!("expected a list for values but got {}", other.type_name())),
            }
        }
        args.set(0, Value::List(items))?;
        Ok(Value::Nil)
    })
}
