//! Arbitrary text never panics a function that parses it: it gives a
//! value or an error.

use proptest::prelude::*;

use super::super::super::value::Value;
use super::super::testing::{compile, run_opt, s};

/// Text biased towards the characters the parsers care about.
fn text() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[%a-zA-Z0-9 :/.,\\-+@?#=\"'\\\\\\[\\]{}*!^&~é٣]{0,24}").unwrap()
}

proptest! {
    #[test]
    fn parsers_do_not_panic(a in text(), b in text()) {
        for (name, args) in [
            ("Time", vec![Some(s(&a)), Some(s(&b))]),
            ("URL", vec![Some(s(&a))]),
            ("ParseKeyValue", vec![Some(s(&a))]),
            ("ParseJSON", vec![Some(s(&a))]),
            ("Duration", vec![Some(s(&a))]),
            ("Format", vec![Some(s(&a)), Some(Value::List(vec![s(&b), Value::Int(3), Value::Double(-0.5)]))]),
            ("Substring", vec![Some(s(&a)), Some(Value::Int(1)), Some(Value::Int(2)), Some(Value::Bool(true))]),
            ("ConvertCase", vec![Some(s(&a)), Some(s("snake"))]),
            ("ConvertCase", vec![Some(s(&a)), Some(s("camel"))]),
            ("ParseInt", vec![Some(s(&a)), Some(Value::Int(0))]),
            ("IsMatch", vec![Some(s(&b)), Some(s(&a))]),
            ("replace_match", vec![Some(s(&b)), Some(s(&a)), Some(s("x"))]),
            ("FormatTime", vec![Some(Value::Time(1_700_000_000_000_000_000)), Some(s(&a))]),
        ] {
            // A bad literal is a load error; everything else runs.
            if compile(name, &args).is_ok() {
                let _ = run_opt(name, args);
            }
        }
    }
}
