//! Arithmetic as the Collector defines it: `+ - * /` on ints and floats
//! (an int meeting a float becomes a float), division by zero an error,
//! and time arithmetic: time ± duration, time − time, duration ± duration.
//! Strings do not add; `Concat` does that.

use crate::ottl::ast::BinOp;
use crate::ottl::value::Value;

/// `l op r` for a math operator.
pub fn apply(op: BinOp, l: &Value, r: &Value) -> Result<Value, String> {
    use Value::*;
    match (l, r) {
        (Int(x), Int(y)) => int(op, *x, *y),
        (Int(x), Double(y)) => float(op, *x as f64, *y),
        (Double(x), Int(y)) => float(op, *x, *y as f64),
        (Double(x), Double(y)) => float(op, *x, *y),
        (Int(_) | Double(_), other) => Err(format!("{} must be int64 or float64", describe(other))),
        (Time(t), other) => time(op, *t, other),
        (Duration(d), other) => duration(op, *d, other),
        (other, _) => Err(format!("{} must be int64, float64, time.Time or time.Duration", describe(other))),
    }
}

/// A value as the Collector's math errors print it: strings with their
/// text, other kinds by type name.
fn describe(v: &Value) -> String {
    match v {
        Value::Str(s) => format!("{s:?} (string)"),
        other => other.type_name().to_string(),
    }
}

/// Integer math wraps on overflow rather than panicking, as Go's does.
fn int(op: BinOp, x: i64, y: i64) -> Result<Value, String> {
    let v = match op {
        BinOp::Add => x.wrapping_add(y),
        BinOp::Sub => x.wrapping_sub(y),
        BinOp::Mul => x.wrapping_mul(y),
        _ if y == 0 => return Err("attempted to divide by 0".to_string()),
        _ => x.wrapping_div(y),
    };
    Ok(Value::Int(v))
}

/// Float math; dividing by zero is an error, not an infinity, as in the
/// Collector.
fn float(op: BinOp, x: f64, y: f64) -> Result<Value, String> {
    let v = match op {
        BinOp::Add => x + y,
        BinOp::Sub => x - y,
        BinOp::Mul => x * y,
        _ if y == 0.0 => return Err("attempted to divide by 0".to_string()),
        _ => x / y,
    };
    Ok(Value::Double(v))
}

/// `time + duration`, `time - duration` and `time - time`.
fn time(op: BinOp, t: i64, other: &Value) -> Result<Value, String> {
    match (op, other) {
        (BinOp::Add, Value::Duration(d)) => Ok(Value::Time(t.saturating_add(*d))),
        (BinOp::Add, other) => Err(format!("time.Time must be added to time.Duration; found {} instead", describe(other))),
        (BinOp::Sub, Value::Time(u)) => Ok(Value::Duration(t.saturating_sub(*u))),
        (BinOp::Sub, Value::Duration(d)) => Ok(Value::Time(t.saturating_sub(*d))),
        (BinOp::Sub, other) => Err(format!("time.Time or time.Duration must be subtracted from time.Time; found {} instead", describe(other))),
        _ => Err("only addition and subtraction supported for time.Time and time.Duration".to_string()),
    }
}

/// `duration ± duration` and `duration + time`.
fn duration(op: BinOp, d: i64, other: &Value) -> Result<Value, String> {
    match (op, other) {
        (BinOp::Add, Value::Duration(e)) => Ok(Value::Duration(d.saturating_add(*e))),
        (BinOp::Add, Value::Time(t)) => Ok(Value::Time(t.saturating_add(d))),
        (BinOp::Add, other) => Err(format!("time.Duration must be added to time.Duration or time.Time; found {} instead", describe(other))),
        (BinOp::Sub, Value::Duration(e)) => Ok(Value::Duration(d.saturating_sub(*e))),
        (BinOp::Sub, other) => Err(format!("time.Duration must be subtracted from time.Duration; found {} instead", describe(other))),
        _ => Err("only addition and subtraction supported for time.Time and time.Duration".to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Value::*;

    #[test]
    fn numbers_and_times() {
        assert_eq!(apply(BinOp::Add, &Int(1), &Int(2)), Ok(Int(3)));
        assert_eq!(apply(BinOp::Div, &Int(7), &Int(2)), Ok(Int(3)));
        assert_eq!(apply(BinOp::Mul, &Int(2), &Double(1.5)), Ok(Double(3.0)));
        assert_eq!(apply(BinOp::Div, &Int(1), &Int(0)), Err("attempted to divide by 0".into()));
        assert_eq!(apply(BinOp::Sub, &Time(10), &Time(4)), Ok(Duration(6)));
        assert_eq!(apply(BinOp::Add, &Duration(1), &Time(4)), Ok(Time(5)));
        assert!(apply(BinOp::Add, &Str("a".into()), &Str("b".into())).unwrap_err().contains("must be int64, float64"));
        assert!(apply(BinOp::Mul, &Time(1), &Duration(1)).is_err());
    }
}
