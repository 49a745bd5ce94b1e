//! Reading and writing inside maps and lists by a key chain, as
//! `attributes["a"]["b"][0]` does. Contexts over their own storage may use
//! these too, so indexing behaves the same everywhere.

use crate::ottl::context::Key;
use crate::ottl::value::Value;

/// The value `keys` name inside `root`: `Ok(None)` when a map key is
/// absent (OTTL reads that as nil), an error when a key does not fit the
/// value (a string key on a list) or a list index is out of range.
pub fn get_in<'v>(root: &'v Value, keys: &[Key]) -> Result<Option<&'v Value>, String> {
    let mut cur = root;
    for key in keys {
        cur = match (cur, key) {
            (Value::Map(m), Key::Str(k)) => match m.iter().find(|(mk, _)| mk == k) {
                Some((_, v)) => v,
                None => return Ok(None),
            },
            (Value::List(l), Key::Int(i)) => match usize::try_from(*i).ok().and_then(|i| l.get(i)) {
                Some(v) => v,
                None => return Err(format!("index {i} out of bounds (length {})", l.len())),
            },
            (Value::Nil, _) => return Ok(None),
            (other, key) => return Err(unsupported(other, key)),
        };
    }
    Ok(Some(cur))
}

/// Writes `value` at `keys` inside `root`, creating maps for absent map
/// keys on the way (`set(cache["a"]["b"], 1)` on an empty cache).
pub fn set_in(root: &mut Value, keys: &[Key], value: Value) -> Result<(), String> {
    let Some((last, path)) = keys.split_last() else {
        *root = value;
        return Ok(());
    };
    let mut cur = root;
    for key in path {
        cur = slot(cur, key, true)?;
    }
    match (cur, last) {
        (Value::Map(m), Key::Str(k)) => {
            match m.iter_mut().find(|(mk, _)| mk == k) {
                Some((_, v)) => *v = value,
                None => m.push((k.clone(), value)),
            }
            Ok(())
        }
        (cur, key) => {
            *slot(cur, key, false)? = value;
            Ok(())
        }
    }
}

/// The child of `cur` at `key`, for writing.
fn slot<'v>(cur: &'v mut Value, key: &Key, create: bool) -> Result<&'v mut Value, String> {
    if create && cur.is_nil() && matches!(key, Key::Str(_)) {
        *cur = Value::Map(Vec::new());
    }
    match (cur, key) {
        (Value::Map(m), Key::Str(k)) => {
            let at = match m.iter().position(|(mk, _)| mk == k) {
                Some(at) => at,
                None => {
                    m.push((k.clone(), Value::Map(Vec::new())));
                    m.len() - 1
                }
            };
            Ok(&mut m[at].1)
        }
        (Value::List(l), Key::Int(i)) => {
            let len = l.len();
            usize::try_from(*i).ok().and_then(|i| l.get_mut(i)).ok_or_else(|| format!("index {i} out of bounds (length {len})"))
        }
        (other, key) => Err(unsupported(other, key)),
    }
}

/// The Collector's wording for indexing a value that cannot be indexed so.
pub(crate) fn unsupported(value: &Value, key: &Key) -> String {
    let kind = match key {
        Key::Str(_) => "string",
        Key::Int(_) => "int",
    };
    format!("type {} does not support {kind} indexing", value.type_name())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_reads_and_writes() {
        let mut v = Value::Map(Vec::new());
        set_in(&mut v, &[Key::Str("a".into()), Key::Str("b".into())], Value::Int(1)).unwrap();
        assert_eq!(get_in(&v, &[Key::Str("a".into()), Key::Str("b".into())]).unwrap(), Some(&Value::Int(1)));
        assert_eq!(get_in(&v, &[Key::Str("x".into())]).unwrap(), None);
        assert!(get_in(&v, &[Key::Int(0)]).unwrap_err().contains("does not support int indexing"));
        set_in(&mut v, &[Key::Str("l".into())], Value::List(vec![Value::Nil])).unwrap();
        set_in(&mut v, &[Key::Str("l".into()), Key::Int(0)], Value::Bool(true)).unwrap();
        assert_eq!(get_in(&v, &[Key::Str("l".into()), Key::Int(0)]).unwrap(), Some(&Value::Bool(true)));
        assert!(set_in(&mut v, &[Key::Str("l".into()), Key::Int(3)], Value::Nil).is_err());
    }
}
