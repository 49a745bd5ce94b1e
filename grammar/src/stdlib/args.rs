//! Argument checks shared by every standard library function.
//!
//! Each function validates its own arguments and reports the first problem
//! as a [`CallError`], so the evaluator can point at the argument at fault.
//! Keeping the checks here keeps the wording identical across functions.

use crate::value::{CallError, Function, Type, Value};

/// `1 argument`, `2 arguments`: arity errors read as plain English.
fn count(n: usize) -> String {
    if n == 1 {
        "1 argument".to_string()
    } else {
        format!("{n} arguments")
    }
}

/// Exactly `N` arguments, as an array so callers can destructure them.
pub fn fixed<const N: usize>(args: &[Value]) -> Result<&[Value; N], CallError> {
    args.try_into().map_err(|_| CallError::new(format!("expected {}, got {}", count(N), args.len())))
}

/// At least `n` arguments, for variadic functions with required leading ones.
pub fn at_least(args: &[Value], n: usize) -> Result<(), CallError> {
    if args.len() < n {
        return Err(CallError::new(format!("expected at least {}, got {}", count(n), args.len())));
    }
    Ok(())
}

/// Argument `index` as a string. A secret is a type error here: only
/// `convert.nonsensitive` may turn a secret into a string.
pub fn string(args: &[Value], index: usize) -> Result<&str, CallError> {
    match args.get(index) {
        Some(Value::String(s)) => Ok(s),
        Some(other) => Err(CallError::arg_type(index, Type::String, other)),
        None => Err(CallError::new(format!("missing argument {}", index + 1))),
    }
}

/// Exactly `N` arguments, all strings.
pub fn strings<const N: usize>(args: &[Value]) -> Result<[&str; N], CallError> {
    let fixed = fixed::<N>(args)?;
    let mut out = [""; N];
    for (i, slot) in out.iter_mut().enumerate() {
        *slot = string(fixed, i)?;
    }
    Ok(out)
}

/// Argument `index` as an array.
pub fn array(args: &[Value], index: usize) -> Result<&[Value], CallError> {
    match args.get(index) {
        Some(Value::Array(items)) => Ok(items),
        Some(other) => Err(CallError::arg_type(index, Type::Array, other)),
        None => Err(CallError::new(format!("missing argument {}", index + 1))),
    }
}

/// A function of exactly `N` string arguments; most of the library is one.
pub fn on_strings<const N: usize>(name: &str, f: impl Fn([&str; N]) -> Result<Value, CallError> + Send + Sync + 'static) -> Function {
    Function::new(name, move |args| f(strings(args)?))
}

/// Helpers for the evaluate-through-the-language tests of every module.
#[cfg(test)]
pub mod testing {
    use crate::eval::{eval_str, Evaluator, Scope};
    use crate::value::{Secret, Value};
    use crate::Severity;

    /// The value of `src`, which must evaluate without warnings.
    pub fn eval(src: &str) -> Value {
        let (result, warnings) = eval_str(src);
        assert!(warnings.is_empty(), "{src}: unexpected warnings {warnings:?}");
        result.unwrap_or_else(|d| panic!("{src}: {d:?}"))
    }

    /// The message of the error `src` evaluates to.
    pub fn eval_error(src: &str) -> String {
        match eval_str(src).0 {
            Ok(v) => panic!("{src} evaluated to {v}"),
            Err(d) => d[0].message.clone(),
        }
    }

    /// Evaluates `src` with `pw` bound to a secret, for the tests that
    /// check secrets never turn into text; errors come back as messages.
    pub fn eval_with_secret(src: &str) -> Result<Value, String> {
        let scope = Scope::new().with("pw", Value::Secret(Secret::new("hunter2")));
        let expr = crate::parse_expression(src).map_err(|d| d[0].message.clone())?;
        Evaluator::new(src, &scope).eval(&expr).map_err(|d| d.message)
    }

    /// Evaluates a deprecated alias: it must work and warn exactly once,
    /// naming `replacement`.
    pub fn eval_deprecated(src: &str, replacement: &str) -> Value {
        let (result, warnings) = eval_str(src);
        assert_eq!(warnings.len(), 1, "{src}: {warnings:?}");
        assert_eq!(warnings[0].severity, Severity::Warning);
        assert!(warnings[0].message.contains(replacement), "{src}: {}", warnings[0].message);
        result.unwrap_or_else(|d| panic!("{src}: {d:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arity_errors_use_singular_and_plural() {
        let one = [Value::Null];
        assert_eq!(fixed::<2>(&one).unwrap_err().message, "expected 2 arguments, got 1");
        assert_eq!(fixed::<1>(&[]).unwrap_err().message, "expected 1 argument, got 0");
        assert_eq!(at_least(&[], 1).unwrap_err().message, "expected at least 1 argument, got 0");
        assert!(at_least(&one, 1).is_ok());
    }

    #[test]
    fn type_errors_name_the_argument() {
        let args = [Value::string("a"), Value::int(1)];
        let e = strings::<2>(&args).unwrap_err();
        assert_eq!(e, CallError::arg(1, "should be string, got number"));
        assert_eq!(array(&args, 0).unwrap_err(), CallError::arg(0, "should be array, got string"));
        assert!(string(&args, 5).is_err());
        assert!(array(&args, 5).is_err());
    }

    #[test]
    fn secrets_are_not_strings() {
        let args = [Value::Secret(crate::value::Secret::new("pw"))];
        assert_eq!(string(&args, 0).unwrap_err().message, "should be string, got secret");
    }
}
