//! AnyValue conversion and indexed reads and writes of attribute maps.

use solder_syntax::ottl::{Key, Value};

use super::{k, kv, sv};
use crate::otlp::proto::common::v1::any_value::Value as V;
use crate::otlp::proto::common::v1::{AnyValue, ArrayValue, KeyValue, KeyValueList};
use crate::ottl::value::{from_value, map_get, map_set, to_value};

fn nested() -> Vec<KeyValue> {
    let list = V::ArrayValue(ArrayValue { values: vec![AnyValue { value: Some(V::IntValue(7)) }, AnyValue { value: Some(sv("b")) }] });
    let inner = V::KvlistValue(KeyValueList { values: vec![kv("list", list), kv("s", sv("t"))] });
    vec![kv("a", inner), kv("n", V::IntValue(1)), kv("bytes", V::BytesValue(vec![1, 2]))]
}

#[test]
fn any_values_round_trip_through_ottl_values() {
    let attrs = nested();
    let v = to_value(attrs[0].value.as_ref().and_then(|a| a.value.as_ref()));
    assert_eq!(v, Value::Map(vec![("list".into(), Value::List(vec![Value::Int(7), Value::str("b")])), ("s".into(), Value::str("t"))]));
    assert_eq!(from_value(v), attrs[0].value.as_ref().and_then(|a| a.value.clone()));
    assert_eq!(to_value(Some(&V::BytesValue(vec![1, 2]))), Value::Bytes(vec![1, 2]));
    assert_eq!(to_value(Some(&V::DoubleValue(1.5))), Value::Double(1.5));
    assert_eq!(to_value(Some(&V::BoolValue(true))), Value::Bool(true));
    assert_eq!(to_value(None), Value::Nil);
    // Values with no AnyValue form are stored empty, as pdata's SetValue leaves them.
    assert_eq!(from_value(Value::Time(5)), None);
    assert_eq!(from_value(Value::Nil), None);
}

#[test]
fn nested_keys_read_through_maps_and_lists() {
    let attrs = nested();
    assert_eq!(map_get(&attrs, &[k("a"), k("list"), Key::Int(1)]), Ok(Value::str("b")));
    assert_eq!(map_get(&attrs, &[k("a"), k("s")]), Ok(Value::str("t")));
    assert_eq!(map_get(&attrs, &[k("missing")]), Ok(Value::Nil));
    assert_eq!(map_get(&attrs, &[k("a"), k("missing"), k("deeper")]), Ok(Value::Nil));
    assert_eq!(map_get(&attrs, &[k("a"), k("list"), Key::Int(2)]), Err("index 2 out of bounds".into()));
    assert_eq!(map_get(&attrs, &[k("a"), k("list"), Key::Int(-1)]), Err("index -1 out of bounds".into()));
    assert_eq!(map_get(&attrs, &[k("n"), k("x")]), Err("type Int does not support string indexing".into()));
    assert!(map_get(&attrs, &[Key::Int(0)]).unwrap_err().contains("invalid key type"));
    assert!(map_get(&attrs, &[k("a"), Key::Int(0)]).unwrap_err().contains("string index in map"));
    assert!(map_get(&attrs, &[k("a"), k("list"), k("x")]).unwrap_err().contains("integer index in slice"));
    let Ok(Value::Map(whole)) = map_get(&attrs, &[]) else { panic!("whole map") };
    assert_eq!(whole.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(), ["a", "n", "bytes"]);
}

#[test]
fn writes_update_in_place_and_append_new_keys() {
    let mut attrs = nested();
    map_set(&mut attrs, &[k("n")], Value::str("one")).unwrap();
    map_set(&mut attrs, &[k("new")], Value::Int(3)).unwrap();
    let keys: Vec<_> = attrs.iter().map(|kv| kv.key.as_str()).collect();
    assert_eq!(keys, ["a", "n", "bytes", "new"]);
    assert_eq!(map_get(&attrs, &[k("n")]), Ok(Value::str("one")));
    map_set(&mut attrs, &[k("a"), k("list"), Key::Int(0)], Value::Double(2.5)).unwrap();
    assert_eq!(map_get(&attrs, &[k("a"), k("list"), Key::Int(0)]), Ok(Value::Double(2.5)));
}

#[test]
fn writes_create_missing_maps_and_lists() {
    let mut attrs = Vec::new();
    map_set(&mut attrs, &[k("x"), k("y"), k("z")], Value::Bool(true)).unwrap();
    assert_eq!(map_get(&attrs, &[k("x"), k("y"), k("z")]), Ok(Value::Bool(true)));
    map_set(&mut attrs, &[k("l"), Key::Int(2)], Value::Int(9)).unwrap();
    assert_eq!(map_get(&attrs, &[k("l")]), Ok(Value::List(vec![Value::Nil, Value::Nil, Value::Int(9)])));
}

#[test]
fn writes_refuse_what_the_collector_refuses() {
    let mut attrs = nested();
    assert_eq!(map_set(&mut attrs, &[k("a"), k("list"), Key::Int(5)], Value::Int(1)), Err("index 5 out of bounds".into()));
    assert_eq!(map_set(&mut attrs, &[k("n"), k("x")], Value::Int(1)), Err("type Int does not support string indexing".into()));
    assert!(map_set(&mut attrs, &[Key::Int(0)], Value::Int(1)).unwrap_err().contains("cannot set map value"));
    assert_eq!(map_set(&mut attrs, &[], Value::str("x")), Err("unsupported type provided for setting a pcommon.Map: string".into()));
    assert_eq!(attrs, nested(), "failed writes change nothing");
}

#[test]
fn nil_empties_a_value_and_whole_map_writes_replace() {
    let mut attrs = nested();
    map_set(&mut attrs, &[k("n")], Value::Nil).unwrap();
    assert_eq!(map_get(&attrs, &[k("n")]), Ok(Value::Nil));
    assert!(attrs.iter().any(|kv| kv.key == "n"), "the key stays, with an empty value");
    map_set(&mut attrs, &[], Value::Map(vec![("only".into(), Value::Int(1))])).unwrap();
    assert_eq!(attrs, vec![kv("only", V::IntValue(1))]);
    map_set(&mut attrs, &[], Value::Nil).unwrap();
    assert!(attrs.is_empty());
}
