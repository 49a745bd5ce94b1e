//! `array`: functions over lists of values.

use super::args::array;
use crate::value::{CallError, Function, Value};

pub fn functions() -> Vec<Function> {
    vec![Function::new("array.concat", concat)]
}

/// Joins any number of arrays, so lists built in different places (static
/// targets plus discovered ones) can feed one argument. No arrays give `[]`.
fn concat(args: &[Value]) -> Result<Value, CallError> {
    let mut out = Vec::new();
    for i in 0..args.len() {
        out.extend_from_slice(array(args, i)?);
    }
    Ok(Value::Array(out))
}

#[cfg(test)]
mod tests {
    use super::super::args::testing::{eval, eval_deprecated, eval_error};
    use super::*;

    #[test]
    fn concatenates_in_order() {
        assert_eq!(eval(r#"array.concat([1, 2], [], ["a", [3]])"#), eval(r#"[1, 2, "a", [3]]"#));
        assert_eq!(eval("array.concat()"), Value::Array(Vec::new()));
        assert_eq!(eval("array.concat([{a = 1}])"), eval("[{a = 1}]"));
    }

    #[test]
    fn every_argument_must_be_an_array() {
        assert_eq!(eval_error("array.concat([1], 2)"), "2 should be array, got number");
        assert_eq!(eval_error(r#"array.concat("a")"#), r#""a" should be array, got string"#);
    }

    #[test]
    fn deprecated_alias() {
        assert_eq!(eval_deprecated("concat([1], [2])", "array.concat"), eval("[1, 2]"));
    }
}
