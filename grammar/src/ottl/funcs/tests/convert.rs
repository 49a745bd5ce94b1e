use super::super::super::value::Value;
use super::super::testing::{compile, conv, list, map, s, strs};

#[test]
fn concat_documented_examples() {
    let c = |vals: Vec<Value>, d: &str| conv("Concat", vec![Value::List(vals), s(d)]);
    assert_eq!(c(vec![s("GET"), s("/api")], ": "), Ok(s("GET: /api")));
    assert_eq!(c(vec![s("metric"), Value::Int(1)], " "), Ok(s("metric 1")));
    assert_eq!(c(vec![s("HTTP method is: "), s("GET")], ""), Ok(s("HTTP method is: GET")));
    assert_eq!(c(vec![s("a"), Value::Nil, Value::Double(1.5), Value::Bool(true)], "-"), Ok(s("a-<nil>-1.5-true")));
    assert_eq!(c(vec![Value::Bytes(vec![1, 0xab])], ""), Ok(s("01ab")));
    assert_eq!(c(vec![], ","), Ok(s("")));
    // Lists and maps are their JSON text, as the Collector's code does.
    let lists = vec![list(&[Value::Int(1), Value::Int(2)]), map(&[("a", s("b"))])];
    assert_eq!(c(lists, ","), Ok(s("[1,2],{\"a\":\"b\"}")));
    assert!(conv("Concat", vec![Value::List(vec![]), Value::Nil]).is_err());
}

#[test]
fn convert_case_documented_examples() {
    let cc = |v: &str, case: &str| conv("ConvertCase", vec![s(v), s(case)]);
    assert_eq!(cc("MY_METRIC", "lower"), Ok(s("my_metric")));
    assert_eq!(cc("my_metric", "upper"), Ok(s("MY_METRIC")));
    assert_eq!(cc("myMetric", "snake"), Ok(s("my_metric")));
    assert_eq!(cc("my_metric", "camel"), Ok(s("MyMetric")));
    assert_eq!(cc("MyMetricName", "snake"), Ok(s("my_metric_name")));
    assert_eq!(cc("JSONData", "snake"), Ok(s("json_data")));
    assert_eq!(cc("http.server.duration", "snake"), Ok(s("http_server_duration")));
    // strcase capitalises the letter after a digit.
    assert_eq!(cc("k8s pod-name", "camel"), Ok(s("K8SPodName")));
    assert_eq!(compile("ConvertCase", &[None, Some(s("kebab"))]).err().unwrap().0, 1);
    assert!(conv("ConvertCase", vec![Value::Int(1), s("lower")]).is_err());
    assert!(conv("ConvertCase", vec![Value::Nil, s("lower")]).is_err());
}

#[test]
fn split_is_go_strings_split() {
    assert_eq!(conv("Split", vec![s("A|B|C"), s("|")]), Ok(strs(&["A", "B", "C"])));
    assert_eq!(conv("Split", vec![s(""), s("|")]), Ok(strs(&[""])));
    assert_eq!(conv("Split", vec![s("ab"), s("")]), Ok(strs(&["a", "b"])));
    assert!(conv("Split", vec![Value::Nil, s("|")]).is_err());
}

#[test]
fn substring_ranges() {
    let sub = |v: &str, a: i64, n: i64| conv("Substring", vec![s(v), Value::Int(a), Value::Int(n)]);
    assert_eq!(sub("123456789", 0, 3), Ok(s("123")));
    assert_eq!(sub("123456789", 5, 4), Ok(s("6789")));
    assert!(sub("123456789", 5, 5).is_err());
    assert!(sub("123456789", -1, 2).is_err());
    assert!(sub("123456789", 0, 0).is_err());
    assert_eq!(conv("Substring", vec![s("一二三"), Value::Int(0), Value::Int(4), Value::Bool(true)]), Ok(s("一")));
    assert_eq!(conv("Substring", vec![s("一二三"), Value::Int(1), Value::Int(5), Value::Bool(true)]), Ok(s("二")));
    assert!(conv("Substring", vec![Value::Int(1), Value::Int(0), Value::Int(1)]).is_err());
}

#[test]
fn len_of_strings_lists_maps() {
    assert_eq!(conv("Len", vec![s("héllo")]), Ok(Value::Int(6)), "bytes, as Go's len");
    assert_eq!(conv("Len", vec![strs(&["a", "b"])]), Ok(Value::Int(2)));
    assert_eq!(conv("Len", vec![map(&[("a", Value::Nil)])]), Ok(Value::Int(1)));
    assert!(conv("Len", vec![Value::Int(3)]).is_err());
    assert!(conv("Len", vec![Value::Nil]).is_err());
}

#[test]
fn type_tests() {
    let all = [s("x"), Value::Int(1), Value::Double(1.0), Value::Bool(false), map(&[]), list(&[]), Value::Nil];
    let fns = ["IsString", "IsInt", "IsDouble", "IsBool", "IsMap", "IsList"];
    for (fi, f) in fns.iter().enumerate() {
        for (vi, v) in all.iter().enumerate() {
            assert_eq!(conv(f, vec![v.clone()]), Ok(Value::Bool(fi == vi)), "{f}({v:?})");
        }
    }
}

#[test]
fn int_conversions() {
    let int = |v: Value| conv("Int", vec![v]);
    assert_eq!(int(Value::Double(2.9)), Ok(Value::Int(2)));
    assert_eq!(int(Value::Double(-2.9)), Ok(Value::Int(-2)));
    assert_eq!(int(s("12")), Ok(Value::Int(12)));
    assert_eq!(int(s("2.0")), Ok(Value::Nil), "the documented example: not an integer");
    assert_eq!(int(Value::Bool(true)), Ok(Value::Int(1)));
    assert_eq!(int(map(&[])), Ok(Value::Nil));
    assert_eq!(int(Value::Nil), Ok(Value::Nil));
}

#[test]
fn double_and_bool_conversions() {
    assert_eq!(conv("Double", vec![s("2.0")]), Ok(Value::Double(2.0)));
    assert_eq!(conv("Double", vec![Value::Int(3)]), Ok(Value::Double(3.0)));
    assert_eq!(conv("Double", vec![Value::Bool(true)]), Ok(Value::Double(1.0)));
    assert_eq!(conv("Double", vec![s("x")]), Ok(Value::Nil));
    assert_eq!(conv("Bool", vec![s("true")]), Ok(Value::Bool(true)));
    assert_eq!(conv("Bool", vec![s("0")]), Ok(Value::Bool(false)));
    assert_eq!(conv("Bool", vec![Value::Double(0.5)]), Ok(Value::Bool(true)));
    assert_eq!(conv("Bool", vec![s("yes")]), Ok(Value::Nil));
}

#[test]
fn string_conversions() {
    let st = |v: Value| conv("String", vec![v]);
    assert_eq!(st(s("test")), Ok(s("test")));
    assert_eq!(st(Value::Bytes(vec![1, 2, 3, 4, 5, 6, 7, 8])), Ok(s("0102030405060708")));
    assert_eq!(st(list(&[Value::Int(1), Value::Int(2), Value::Int(3)])), Ok(s("[1,2,3]")));
    assert_eq!(st(Value::Bool(false)), Ok(s("false")));
    assert_eq!(st(Value::Double(1.5)), Ok(s("1.5")));
    assert_eq!(st(Value::Double(1e21)), Ok(s("1e+21")));
    assert_eq!(st(map(&[("b", s("<x>")), ("a", Value::Nil)])), Ok(s("{\"a\":null,\"b\":\"\\u003cx\\u003e\"}")));
    assert_eq!(st(Value::Nil), Ok(Value::Nil));
}

#[test]
fn ids_from_bytes_or_hex() {
    let tid = "a389023abaa839283293ed323892389d";
    let bytes = super::super::common::unhex(tid).unwrap();
    assert_eq!(conv("TraceID", vec![s(tid)]), Ok(Value::Bytes(bytes.clone())));
    assert_eq!(conv("TraceID", vec![Value::Bytes(bytes)]), Ok(Value::Bytes(super::super::common::unhex(tid).unwrap())));
    assert_eq!(conv("SpanID", vec![s("0102030405060708")]), Ok(Value::Bytes(vec![1, 2, 3, 4, 5, 6, 7, 8])));
    assert!(conv("SpanID", vec![s("0102")]).is_err());
    assert!(conv("TraceID", vec![s("zz89023abaa839283293ed323892389d")]).is_err());
    assert!(conv("SpanID", vec![Value::Bytes(vec![0; 16])]).is_err());
}

#[test]
fn hashes() {
    assert_eq!(conv("SHA256", vec![s("name")]), Ok(s("82a3537ff0dbce7eec35d69edc3a189ee6f17d82f353a553f9aa96cb0be3ce89")));
    assert_eq!(conv("SHA1", vec![s("name")]), Ok(s("6ae999552a0d2dca14d62e2bc8b764d377b1dd6c")));
    assert_eq!(conv("MD5", vec![s("name")]), Ok(s("b068931cc450442b63f5b3d276ea4297")));
    let sha512 = conv("SHA512", vec![s("name")]).unwrap();
    assert!(sha512.as_str().unwrap().starts_with("b114f311db0e009ca2a88a9b97b1d7b362ddb27d"));
    assert_eq!(conv("FNV", vec![s("name")]), Ok(Value::Int(-4270347329889690746)));
    assert_eq!(conv("SHA256", vec![s("")]), Ok(s("")));
    assert!(conv("SHA256", vec![Value::Int(1)]).is_err());
    assert!(conv("FNV", vec![Value::Nil]).is_err());
}

#[test]
fn format_is_go_sprintf() {
    let f = |fmt: &str, vals: Vec<Value>| conv("Format", vec![s(fmt), list(&vals)]);
    assert_eq!(f("%02d", vec![Value::Int(7)]), Ok(s("07")));
    assert_eq!(f("%04d-%02d-%02d", vec![Value::Int(2024), Value::Int(3), Value::Int(9)]), Ok(s("2024-03-09")));
    assert_eq!(f("%s/%s/%04d.log", vec![s("host"), s("app"), Value::Int(12)]), Ok(s("host/app/0012.log")));
    assert_eq!(f("%v %v %v %v", vec![Value::Int(-3), Value::Double(1.5), Value::Bool(true), Value::Nil]), Ok(s("-3 1.5 true <nil>")));
    assert_eq!(f("%v %v", vec![Value::Double(1e6), Value::Double(123456.0)]), Ok(s("1e+06 123456")));
    assert_eq!(f("%.2f|%8.3f|%-6d|%+d", vec![Value::Double(1.23456), Value::Double(-2.5), Value::Int(42), Value::Int(5)]), Ok(s("1.23|  -2.500|42    |+5")));
    assert_eq!(f("%e %g %.3g", vec![Value::Double(1234.5678), Value::Double(0.00001), Value::Double(1234.5678)]), Ok(s("1.234568e+03 1e-05 1.23e+03")));
    assert_eq!(f("%x %X %#x %o %b", vec![Value::Int(255), Value::Int(255), Value::Int(255), Value::Int(8), Value::Int(5)]), Ok(s("ff FF 0xff 10 101")));
    assert_eq!(f("%q %t %c %%", vec![s("a\"b"), Value::Bool(false), Value::Int(65)]), Ok(s("\"a\\\"b\" false A %")));
    assert_eq!(f("%5s|%-5s|%.2s", vec![s("ab"), s("ab"), s("abc")]), Ok(s("   ab|ab   |ab")));
    // Go's markers instead of errors.
    assert_eq!(f("%d", vec![s("hi")]), Ok(s("%!d(string=hi)")));
    assert_eq!(f("%d %d", vec![Value::Int(1)]), Ok(s("1 %!d(MISSING)")));
    assert_eq!(f("%d", vec![Value::Int(1), Value::Int(2)]), Ok(s("1%!(EXTRA int64=2)")));
    assert!(conv("Format", vec![Value::Nil, list(&[])]).is_err());
}
