//! `convert`: explicit conversions between value kinds.

use super::args::fixed;
use crate::value::{CallError, Function, Type, Value};

pub fn functions() -> Vec<Function> {
    vec![Function::new("convert.nonsensitive", nonsensitive)]
}

/// The one way a secret becomes a string. A plain string passes through, so
/// a config keeps working when an upstream export stops being a secret.
fn nonsensitive(args: &[Value]) -> Result<Value, CallError> {
    let [value] = fixed(args)?;
    match value {
        Value::Secret(s) => Ok(Value::string(s.expose())),
        Value::String(s) => Ok(Value::string(s.as_str())),
        other => Err(CallError::arg_type(0, Type::Secret, other)),
    }
}

#[cfg(test)]
mod tests {
    use super::super::args::testing::{eval_deprecated, eval_error, eval_with_secret};
    use super::*;

    #[test]
    fn reveals_secrets() {
        assert_eq!(eval_with_secret("convert.nonsensitive(pw)"), Ok(Value::string("hunter2")));
        assert_eq!(eval_with_secret(r#"convert.nonsensitive("plain")"#), Ok(Value::string("plain")));
    }

    #[test]
    fn secrets_do_not_leak_elsewhere() {
        assert_eq!(eval_with_secret("string.to_upper(pw)"), Err("pw should be string, got secret".to_string()));
        assert_eq!(eval_with_secret(r#"string.join([pw], ",")"#), Err("string.join: element 0 should be string, got secret".to_string()));
        assert_eq!(eval_with_secret("encoding.to_base64(pw)"), Err("pw should be string, got secret".to_string()));
    }

    #[test]
    fn argument_errors() {
        assert_eq!(eval_error("convert.nonsensitive(1)"), "1 should be secret, got number");
        assert_eq!(eval_error("convert.nonsensitive()"), "convert.nonsensitive: expected 1 argument, got 0");
    }

    #[test]
    fn deprecated_alias() {
        assert_eq!(eval_deprecated(r#"nonsensitive("x")"#, "convert.nonsensitive"), Value::string("x"));
    }
}
