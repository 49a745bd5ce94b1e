use super::super::super::value::Value;
use super::super::testing::{compile, conv, edited, list, map, run, run_opt, s, strs};

#[test]
fn delete_index_ranges() {
    let tags = strs(&["a", "b", "c", "d"]);
    assert_eq!(edited("delete_index", vec![tags.clone(), Value::Int(0)]), strs(&["b", "c", "d"]));
    assert_eq!(edited("delete_index", vec![tags.clone(), Value::Int(3)]), strs(&["a", "b", "c"]));
    assert_eq!(edited("delete_index", vec![tags.clone(), Value::Int(0), Value::Int(3)]), strs(&["d"]));
    let (_, fake) = run("delete_index", vec![tags.clone(), Value::Int(1), Value::Int(1)]);
    assert!(fake.sets.is_empty(), "start == end changes nothing");
    assert!(run("delete_index", vec![tags.clone(), Value::Int(4)]).0.is_err());
    assert!(run("delete_index", vec![tags, Value::Int(2), Value::Int(1)]).0.is_err());
    assert!(run("delete_index", vec![s("x"), Value::Int(0)]).0.is_err());
}

#[test]
fn stringify_all_converts_values() {
    let m = map(&[
        ("s", s("x")),
        ("i", Value::Int(42)),
        ("d", Value::Double(2.5)),
        ("b", Value::Bool(true)),
        ("y", Value::Bytes(vec![1, 2])),
        ("m", map(&[("k", Value::Int(1))])),
        ("l", list(&[s("a")])),
        ("n", Value::Nil),
    ]);
    let want =
        map(&[("s", s("x")), ("i", s("42")), ("d", s("2.5")), ("b", s("true")), ("y", s("AQI=")), ("m", s("{\"k\":1}")), ("l", s("[\"a\"]")), ("n", s(""))]);
    assert_eq!(edited("stringify_all", vec![m]), want);
}

#[test]
fn keys_values_and_emptiness() {
    let m = map(&[("k1", s("v1")), ("k2", Value::Int(5))]);
    assert_eq!(conv("Keys", vec![m.clone()]), Ok(strs(&["k1", "k2"])));
    assert_eq!(conv("Values", vec![m]), Ok(list(&[s("v1"), Value::Int(5)])));
    assert!(conv("Keys", vec![s("x")]).is_err());
    for (v, empty) in [(Value::Nil, true), (s(""), true), (Value::Int(0), true), (map(&[]), true), (s("a"), false), (Value::Bool(true), false)] {
        assert_eq!(conv("IsEmpty", vec![v.clone()]), Ok(Value::Bool(empty)), "{v:?}");
    }
}

#[test]
fn coalesce_contains_index() {
    assert_eq!(conv("Coalesce", vec![list(&[Value::Nil, s("unknown"), s("x")])]), Ok(s("unknown")));
    assert_eq!(conv("Coalesce", vec![list(&[Value::Nil])]), Ok(Value::Nil));
    assert_eq!(conv("ContainsValue", vec![strs(&["GET", "PUT"]), s("GET")]), Ok(Value::Bool(true)));
    assert_eq!(conv("ContainsValue", vec![list(&[Value::Int(1), Value::Int(3)]), Value::Double(3.0)]), Ok(Value::Bool(true)));
    assert_eq!(conv("ContainsValue", vec![list(&[Value::Double(4.4)]), Value::Double(2.2)]), Ok(Value::Bool(false)));
    assert_eq!(conv("Index", vec![s("hello world"), s("world")]), Ok(Value::Int(6)));
    assert_eq!(conv("Index", vec![strs(&["a", "error"]), s("error")]), Ok(Value::Int(1)));
    assert_eq!(conv("Index", vec![strs(&["a"]), s("z")]), Ok(Value::Int(-1)));
}

#[test]
fn to_key_value_string_documented_examples() {
    let m = map(&[("k1", s("v1")), ("k2", s("v2")), ("k3", s("v3"))]);
    assert_eq!(conv("ToKeyValueString", vec![m.clone()]), Ok(s("k1=v1 k2=v2 k3=v3")));
    let (out, _) = run_opt("ToKeyValueString", vec![Some(m), Some(s(":")), Some(s(",")), Some(Value::Bool(true))]);
    assert_eq!(out, Ok(s("k1:v1,k2:v2,k3:v3")));
    let nested = map(&[("k1", s("v1")), ("k2", map(&[("k3", s("v3")), ("k4", strs(&["v4", "v5"]))]))]);
    assert_eq!(conv("ToKeyValueString", vec![nested]), Ok(s("k1=v1 k2={\\\"k3\\\":\\\"v3\\\",\\\"k4\\\":[\\\"v4\\\",\\\"v5\\\"]}")));
    let quoted = map(&[("k1", s("v1")), ("k2", s("v=2")), ("k3", s("\"v=3\""))]);
    assert_eq!(conv("ToKeyValueString", vec![quoted]), Ok(s("k1=v1 k2=\"v=2\" k3=\"\\\"v=3\\\"\"")));
    assert!(compile("ToKeyValueString", &[None, Some(s("=")), Some(s("="))]).is_err());
}

#[test]
fn string_affixes_trim_and_case_shorthands() {
    assert_eq!(conv("HasPrefix", vec![s("ingest_service"), s("ingest_")]), Ok(Value::Bool(true)));
    assert_eq!(conv("HasSuffix", vec![s("ingest_service"), s("_service")]), Ok(Value::Bool(true)));
    assert_eq!(conv("TrimPrefix", vec![s("ingest_service"), s("ingest_")]), Ok(s("service")));
    assert_eq!(conv("TrimSuffix", vec![s("ingest_service"), s("_service")]), Ok(s("ingest")));
    assert_eq!(conv("TrimSuffix", vec![s("ingest"), s("_service")]), Ok(s("ingest")));
    assert!(conv("HasPrefix", vec![Value::Int(1), s("1")]).is_err());
    assert_eq!(conv("Trim", vec![s(" this is a test "), s(" ")]), Ok(s("this is a test")));
    assert_eq!(conv("Trim", vec![s("!!this is a test!!"), s("!!")]), Ok(s("this is a test")));
    assert_eq!(run_opt("Trim", vec![Some(s("  x ")), None]).0, Ok(s("x")));
    assert_eq!(conv("ToSnakeCase", vec![s("MyMetricName")]), Ok(s("my_metric_name")));
    assert_eq!(conv("ToCamelCase", vec![s("my_metric_name")]), Ok(s("MyMetricName")));
    assert_eq!(conv("ToLowerCase", vec![s("MyMetricName")]), Ok(s("mymetricname")));
    assert_eq!(conv("ToUpperCase", vec![s("MyMetricName")]), Ok(s("MYMETRICNAME")));
}

#[test]
fn parse_int_log_cidr_base64() {
    let pi = |t: &str, b: i64| conv("ParseInt", vec![s(t), Value::Int(b)]);
    assert_eq!(pi("12345", 10), Ok(Value::Int(12345)));
    assert_eq!(pi("0xAA", 0), Ok(Value::Int(170)));
    assert_eq!(pi("AA", 16), Ok(Value::Int(170)));
    assert_eq!(pi("-20", 8), Ok(Value::Int(-16)));
    assert_eq!(pi("0b1111_0000", 0), Ok(Value::Int(240)));
    assert_eq!(pi("-0o123", 0), Ok(Value::Int(-83)));
    assert_eq!(pi("-0xFF", 0), Ok(Value::Int(-255)));
    assert!(pi("notANumber", 10).is_err());
    assert!(pi("1", -1).is_err());
    assert_eq!(conv("Log", vec![Value::Int(1)]), Ok(Value::Double(0.0)));
    assert!(conv("Log", vec![Value::Bool(false)]).is_err());
    let nets = strs(&["192.168.0.0/16", "10.0.0.0/8"]);
    assert_eq!(conv("IsInCIDR", vec![s("10.1.2.3"), nets.clone()]), Ok(Value::Bool(true)));
    assert_eq!(conv("IsInCIDR", vec![s("172.16.0.1"), nets]), Ok(Value::Bool(false)));
    assert_eq!(conv("IsInCIDR", vec![s("2001:db8::1"), strs(&["2001:db8::/32"])]), Ok(Value::Bool(true)));
    assert!(conv("IsInCIDR", vec![s("10.0.0.1"), strs(&["10.0.0.0/33"])]).is_err());
    assert_eq!(conv("Base64Encode", vec![s("test string")]), Ok(s("dGVzdCBzdHJpbmc=")));
    assert_eq!(conv("Base64Encode", vec![s("test string"), s("base64-raw")]), Ok(s("dGVzdCBzdHJpbmc")));
    assert!(compile("Base64Encode", &[None, Some(s("hex"))]).is_err());
}

#[test]
fn format_and_truncate_time() {
    const SEC: i64 = 1_000_000_000;
    let t = Value::Time(1351807721 * SEC + 123_456_789); // 2012-11-01T22:08:41.123456789Z, a Thursday
    let f = |fmt: &str| conv("FormatTime", vec![t.clone(), s(fmt)]);
    assert_eq!(f("%Y-%m-%d %H:%M:%S"), Ok(s("2012-11-01 22:08:41")));
    assert_eq!(f("%A %h %e %Y"), Ok(s("Thursday Nov  1 2012")));
    assert_eq!(f("%b %d %Y %I:%M %p"), Ok(s("Nov 01 2012 10:08 PM")));
    assert_eq!(f("%T.%L %z"), Ok(s("22:08:41.123 +0000")));
    assert_eq!(f("%c"), Ok(s("Thu Nov  1 22:08:41 2012")));
    assert!(conv("FormatTime", vec![Value::Int(1), s("%Y")]).is_err());
    let day = Value::Duration(86_400 * SEC);
    assert_eq!(conv("TruncateTime", vec![t.clone(), Value::Duration(SEC)]), Ok(Value::Time(1351807721 * SEC)));
    assert_eq!(conv("TruncateTime", vec![t, day]), Ok(Value::Time(1351728000 * SEC)));
}

#[test]
fn hex_of_binary_forms() {
    assert_eq!(conv("Hex", vec![Value::Double(1.1)]), Ok(s("3ff199999999999a")));
    assert_eq!(conv("Hex", vec![s("1")]), Ok(s("31")));
    assert_eq!(conv("Hex", vec![Value::Bool(true)]), Ok(s("01")));
    assert_eq!(conv("Hex", vec![Value::Int(12)]), Ok(s("000000000000000c")));
    assert_eq!(conv("Hex", vec![Value::Bytes(vec![2])]), Ok(s("02")));
    assert_eq!(conv("Hex", vec![Value::Nil]), Ok(Value::Nil));
    assert!(conv("Hex", vec![map(&[])]).is_err());
}

#[test]
fn slice_to_map_documented_examples() {
    let things = list(&[map(&[("name", s("foo")), ("value", Value::Int(2))]), map(&[("name", s("bar")), ("value", Value::Int(5))])]);
    let by_name = run_opt("SliceToMap", vec![Some(things.clone()), Some(strs(&["name"]))]).0;
    let want = map(&[("foo", map(&[("name", s("foo")), ("value", Value::Int(2))])), ("bar", map(&[("name", s("bar")), ("value", Value::Int(5))]))]);
    assert_eq!(by_name, Ok(want));
    let by_index = conv("SliceToMap", vec![things.clone()]).unwrap();
    assert_eq!(by_index.map_get("1").and_then(|v| v.map_get("name")), Some(&s("bar")));
    let values = run_opt("SliceToMap", vec![Some(things.clone()), Some(strs(&["name"])), Some(strs(&["value"]))]).0;
    assert_eq!(values, Ok(map(&[("foo", Value::Int(2)), ("bar", Value::Int(5))])));
    assert!(run_opt("SliceToMap", vec![Some(things), Some(strs(&["value"]))]).0.is_err(), "a key must be a string");
    assert!(conv("SliceToMap", vec![list(&[s("x")])]).is_err());
}

#[test]
fn sort_by_type() {
    let ints = list(&[Value::Int(3), Value::Int(1), Value::Int(2)]);
    assert_eq!(conv("Sort", vec![ints.clone()]), Ok(list(&[Value::Int(1), Value::Int(2), Value::Int(3)])));
    assert_eq!(conv("Sort", vec![ints, s("desc")]), Ok(list(&[Value::Int(3), Value::Int(2), Value::Int(1)])));
    let mixed_nums = list(&[Value::Double(2.5), Value::Int(1), Value::Int(3)]);
    assert_eq!(conv("Sort", vec![mixed_nums]), Ok(list(&[Value::Int(1), Value::Double(2.5), Value::Int(3)])));
    assert_eq!(conv("Sort", vec![strs(&["b", "a", "c"])]), Ok(strs(&["a", "b", "c"])));
    let mixed = list(&[s("b"), Value::Int(10), Value::Bool(true), Value::Int(9)]);
    assert_eq!(conv("Sort", vec![mixed]), Ok(list(&[Value::Int(10), Value::Int(9), s("b"), Value::Bool(true)])), "as text");
    assert!(conv("Sort", vec![list(&[map(&[])])]).is_err());
    assert!(compile("Sort", &[None, Some(s("up"))]).is_err());
}
