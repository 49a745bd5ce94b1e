//! JSON and YAML documents to values, and values to JSON.
//!
//! Numbers keep their kind where the document says so: `1` decodes to an
//! int (a uint past `i64::MAX`), `1.0` to a float, so arithmetic on decoded
//! values behaves as it does on literals.

use super::super::args::fixed;
use crate::scanner::is_valid_identifier;
use crate::value::{CallError, Number, Value};

/// Parses JSON text passed as argument `arg`; `json_path` shares it.
pub fn parse_json(s: &str, arg: usize) -> Result<Value, CallError> {
    let json: serde_json::Value = serde_json::from_str(s).map_err(|e| CallError::arg(arg, format!("invalid JSON: {e}")))?;
    Ok(from_json(json))
}

fn from_json(json: serde_json::Value) -> Value {
    match json {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(b),
        // Without arbitrary precision every JSON number fits an f64.
        serde_json::Value::Number(n) => Value::Number(number(n.as_i64(), n.as_u64(), n.as_f64().unwrap_or(f64::NAN))),
        serde_json::Value::String(s) => Value::String(s),
        serde_json::Value::Array(items) => Value::Array(items.into_iter().map(from_json).collect()),
        serde_json::Value::Object(fields) => Value::Object(fields.into_iter().map(|(k, v)| (k, from_json(v))).collect()),
    }
}

/// The narrowest kind that holds a decoded number: int, then uint, then float.
fn number(int: Option<i64>, uint: Option<u64>, float: f64) -> Number {
    int.map(Number::Int).or(uint.map(Number::Uint)).unwrap_or(Number::Float(float))
}

/// Decodes the first YAML document in argument 0; see [`super::yaml`].
pub fn parse_yaml(s: &str) -> Result<Value, CallError> {
    super::yaml::decode(s).map_err(|e| CallError::arg(0, format!("invalid YAML: {e}")))
}

/// Compact JSON with sorted keys, so the output is stable across reloads.
/// Anything JSON cannot hold is an error naming where it sits in the value.
pub fn to_json(args: &[Value]) -> Result<Value, CallError> {
    let [value] = fixed(args)?;
    let json = to_json_value(value, &mut String::new()).map_err(|e| CallError::arg(0, e))?;
    serde_json::to_string(&json).map(Value::String).map_err(|e| CallError::arg(0, e.to_string()))
}

fn to_json_value(value: &Value, path: &mut String) -> Result<serde_json::Value, String> {
    let unsupported = |what: &str, path: &str| {
        let at = if path.is_empty() { String::new() } else { format!(" (at {path})") };
        Err(format!("cannot encode {what} as JSON{at}"))
    };
    Ok(match value {
        Value::Null => serde_json::Value::Null,
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::Number(Number::Int(i)) => serde_json::Value::from(*i),
        Value::Number(Number::Uint(u)) => serde_json::Value::from(*u),
        Value::Number(Number::Float(f)) => match serde_json::Number::from_f64(*f) {
            Some(n) => serde_json::Value::Number(n),
            None => return unsupported(&format!("the non-finite number {f}"), path),
        },
        Value::String(s) => serde_json::Value::String(s.clone()),
        Value::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                out.push(to_json_value(item, path)?);
                path.truncate(len);
            }
            serde_json::Value::Array(out)
        }
        Value::Object(fields) => {
            let mut out = serde_json::Map::new();
            for (k, v) in fields {
                let len = path.len();
                if is_valid_identifier(k) {
                    path.push_str(&format!(".{k}"));
                } else {
                    path.push_str(&format!("[{}]", crate::literal::quote(k)));
                }
                out.insert(k.clone(), to_json_value(v, path)?);
                path.truncate(len);
            }
            serde_json::Value::Object(out)
        }
        Value::Function(_) | Value::Capsule(_) | Value::Secret(_) => return unsupported(&format!("a {}", value.ty()), path),
    })
}

#[cfg(test)]
mod tests {
    use super::super::super::args::testing::{eval, eval_error, eval_with_secret};
    use super::*;

    #[test]
    fn json_numbers_keep_their_kind() {
        let v = eval(r#"encoding.from_json("[1, -2, 18446744073709551615, 1.5, 1e3, 1.0]")"#);
        let Value::Array(items) = v else { panic!("{v}") };
        let kinds: Vec<Number> = items.iter().filter_map(|v| if let Value::Number(n) = v { Some(*n) } else { None }).collect();
        assert!(matches!(kinds[..], [Number::Int(1), Number::Int(-2), Number::Uint(u64::MAX), Number::Float(_), Number::Float(_), Number::Float(_)]));
    }

    #[test]
    fn json_documents() {
        assert_eq!(eval(r#"encoding.from_json("{\"a\": {\"b\": [true, null, \"x\"]}}")"#), eval(r#"{a = {b = [true, null, "x"]}}"#));
        assert_eq!(eval(r#"encoding.from_json("\"s\"")"#), Value::string("s"));
        assert_eq!(eval(r#"encoding.from_json("{\"k\": 1}").k + 1"#), Value::int(2));
        assert_eq!(eval_error(r#"encoding.from_json("{\"a\": }")"#), "encoding.from_json: invalid JSON: expected value at line 1 column 7");
        assert_eq!(eval_error("encoding.from_json(1)"), "1 should be string, got number");
    }

    #[test]
    fn values_to_json() {
        assert_eq!(
            eval(r#"encoding.to_json({b = [1, 2.5, "x", null, true], a = {}, "c d" = 18446744073709551615})"#),
            Value::string(r#"{"a":{},"b":[1,2.5,"x",null,true],"c d":18446744073709551615}"#)
        );
        assert_eq!(eval(r#"encoding.to_json("a\"b")"#), Value::string(r#""a\"b""#));
        let round_trip = r#"encoding.from_json(encoding.to_json({a = [1, {b = "c"}]}))"#;
        assert_eq!(eval(round_trip), eval(r#"{a = [1, {b = "c"}]}"#));
    }

    #[test]
    fn unencodable_values_are_errors() {
        assert_eq!(eval_with_secret("encoding.to_json({creds = [pw]})"), Err("encoding.to_json: cannot encode a secret as JSON (at .creds[0])".to_string()));
        assert_eq!(eval_error("encoding.to_json(sys.env)"), "encoding.to_json: cannot encode a function as JSON");
        assert_eq!(eval_error(r#"encoding.to_json({"a b" = [string.join]})"#), r#"encoding.to_json: cannot encode a function as JSON (at ["a b"][0])"#);
        assert!(to_json(&[Value::float(f64::NAN)]).unwrap_err().message.contains("non-finite"));
        assert_eq!(eval_error("encoding.to_json()"), "encoding.to_json: expected 1 argument, got 0");
    }
}
