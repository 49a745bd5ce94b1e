//! OTTL's comparison semantics, as the Collector defines them: ints and
//! floats compare across types, strings and bytes lexically, `nil` equals
//! only `nil`, maps and lists only by (deep) equality. Comparing values of
//! different kinds is not an error: every operator but `!=` is false.

use std::cmp::Ordering;

use crate::ottl::ast::BinOp;
use crate::ottl::value::Value;

/// `a op b` for a comparison operator. Never an error: comparisons run in
/// `where` clauses and filters, where a surprising kind must read as
/// "no match", not stop the pipeline.
pub fn compare(a: &Value, b: &Value, op: BinOp) -> bool {
    use Value::*;
    let ord = match (a, b) {
        (Nil, Nil) => Some(Ordering::Equal),
        (Bool(x), Bool(y)) => Some(x.cmp(y)),
        (Int(x), Int(y)) => Some(x.cmp(y)),
        (Int(x), Double(y)) => (*x as f64).partial_cmp(y),
        (Double(x), Int(y)) => x.partial_cmp(&(*y as f64)),
        (Double(x), Double(y)) => x.partial_cmp(y),
        (Str(x), Str(y)) => Some(x.as_str().cmp(y.as_str())),
        (Bytes(x), Bytes(y)) => Some(x.as_slice().cmp(y.as_slice())),
        (Time(x), Time(y)) | (Duration(x), Duration(y)) => Some(x.cmp(y)),
        (Map(_), Map(_)) | (List(_), List(_)) => {
            let eq = deep_eq(a, b);
            return match op {
                BinOp::Eq => eq,
                BinOp::Ne => !eq,
                _ => false,
            };
        }
        _ => None,
    };
    ordered(ord, op)
}

/// Whether `op` holds of two values so ordered (`None`: they do not
/// compare).
#[inline]
pub fn ordered(ord: Option<Ordering>, op: BinOp) -> bool {
    match ord {
        // Kinds that do not compare (or a NaN): only `!=` holds.
        None => op == BinOp::Ne,
        Some(o) => match op {
            BinOp::Eq => o == Ordering::Equal,
            BinOp::Ne => o != Ordering::Equal,
            BinOp::Lt => o == Ordering::Less,
            BinOp::Le => o != Ordering::Greater,
            BinOp::Gt => o == Ordering::Greater,
            BinOp::Ge => o != Ordering::Less,
            _ => false,
        },
    }
}

/// Structural equality where map entry order does not matter, as for
/// OTLP attribute maps.
pub fn deep_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Map(x), Value::Map(y)) => x.len() == y.len() && x.iter().all(|(k, v)| y.iter().any(|(k2, v2)| k == k2 && deep_eq(v, v2))),
        (Value::List(x), Value::List(y)) => x.len() == y.len() && x.iter().zip(y).all(|(v, w)| deep_eq(v, w)),
        _ => compare(a, b, BinOp::Eq),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Value::*;

    #[test]
    fn collector_semantics() {
        assert!(compare(&Int(1), &Double(1.0), BinOp::Eq));
        assert!(compare(&Int(1), &Double(1.5), BinOp::Lt));
        assert!(compare(&Nil, &Nil, BinOp::Eq));
        assert!(compare(&Nil, &Nil, BinOp::Ge));
        assert!(!compare(&Nil, &Int(0), BinOp::Eq));
        assert!(compare(&Nil, &Int(0), BinOp::Ne));
        assert!(!compare(&Str("1".into()), &Int(1), BinOp::Eq));
        assert!(compare(&Str("1".into()), &Int(1), BinOp::Ne));
        assert!(!compare(&Str("a".into()), &Int(1), BinOp::Lt));
        assert!(compare(&Str("a".into()), &Str("b".into()), BinOp::Lt));
        assert!(compare(&Bool(false), &Bool(true), BinOp::Lt));
        let m1 = Map(vec![("a".into(), Int(1)), ("b".into(), Int(2))]);
        let m2 = Map(vec![("b".into(), Double(2.0)), ("a".into(), Int(1))]);
        assert!(compare(&m1, &m2, BinOp::Eq));
        assert!(!compare(&m1, &m2, BinOp::Lt));
        assert!(compare(&List(vec![Int(1)]), &List(vec![Int(2)]), BinOp::Ne));
    }
}
