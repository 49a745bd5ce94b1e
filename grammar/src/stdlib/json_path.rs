//! `json_path(json, path)`: pick values out of a JSON document.
//!
//! Like Alloy, the result is always an array of every match, empty when
//! nothing matches, so `json_path(doc, ".key")[0]` is the usual idiom and a
//! missing key is not an error.

mod filter;
mod parse;

use self::parse::{Segment, Selector};
use super::args::strings;
use super::encoding::parse_json;
use crate::value::{CallError, Value};

pub fn json_path(args: &[Value]) -> Result<Value, CallError> {
    let [json, path] = strings(args)?;
    let doc = parse_json(json, 0)?;
    let path = parse::parse(path).map_err(|e| CallError::arg(1, format!("invalid path: {e}")))?;
    Ok(Value::Array(select(&path, &doc, &doc).into_iter().cloned().collect()))
}

/// Every node `path` reaches from `start`, in document order.
fn select<'v>(path: &[Segment], root: &'v Value, start: &'v Value) -> Vec<&'v Value> {
    let mut nodes = vec![start];
    for segment in path {
        let mut next = Vec::new();
        for node in nodes {
            match segment {
                Segment::Child(selectors) => apply(selectors, node, root, &mut next),
                Segment::Descendant(selectors) => {
                    let mut all = Vec::new();
                    descendants(node, &mut all);
                    for node in all {
                        apply(selectors, node, root, &mut next);
                    }
                }
            }
        }
        nodes = next;
    }
    nodes
}

/// The node and everything below it, parents before children.
fn descendants<'v>(node: &'v Value, out: &mut Vec<&'v Value>) {
    out.push(node);
    for child in children(node) {
        descendants(child, out);
    }
}

fn children(node: &Value) -> Box<dyn Iterator<Item = &Value> + '_> {
    match node {
        Value::Array(items) => Box::new(items.iter()),
        Value::Object(fields) => Box::new(fields.values()),
        _ => Box::new(std::iter::empty()),
    }
}

fn apply<'v>(selectors: &[Selector], node: &'v Value, root: &'v Value, out: &mut Vec<&'v Value>) {
    for selector in selectors {
        match (selector, node) {
            (Selector::Name(name), Value::Object(fields)) => out.extend(fields.get(name)),
            (Selector::Wildcard, _) => out.extend(children(node)),
            (Selector::Index(i), Value::Array(items)) => {
                let len = items.len() as i64;
                let i = if *i < 0 { len + i } else { *i };
                out.extend(usize::try_from(i).ok().and_then(|i| items.get(i)));
            }
            (Selector::Slice { start, end, step }, Value::Array(items)) => {
                out.extend(slice(items.len() as i64, *start, *end, step.unwrap_or(1)).filter_map(|i| items.get(i)));
            }
            (Selector::Filter(filter), _) => out.extend(children(node).filter(|child| filter.test(child, root))),
            _ => {}
        }
    }
}

/// The indices of `[start:end:step]` on an array of `len`, as RFC 9535
/// defines them: negative bounds count from the end, a negative step walks
/// backwards, a zero step selects nothing.
fn slice(len: i64, start: Option<i64>, end: Option<i64>, step: i64) -> impl Iterator<Item = usize> {
    let normalize = |i: i64| if i >= 0 { i } else { len + i };
    let (mut i, stop) = if step >= 0 {
        (normalize(start.unwrap_or(0)).clamp(0, len), normalize(end.unwrap_or(len)).clamp(0, len))
    } else {
        (normalize(start.unwrap_or(len - 1)).clamp(-1, len - 1), normalize(end.unwrap_or(-len - 1)).clamp(-1, len - 1))
    };
    std::iter::from_fn(move || {
        let more = if step > 0 { i < stop } else { step < 0 && i > stop };
        if !more {
            return None;
        }
        let current = i;
        i = i.checked_add(step).unwrap_or(if step > 0 { i64::MAX } else { i64::MIN });
        usize::try_from(current).ok()
    })
}

#[cfg(test)]
mod tests {
    use super::super::args::testing::{eval, eval_error};
    use super::*;

    const DOC: &str = r#"{
        "store": {
            "book": [
                {"title": "Sayings", "price": 8.95, "tags": ["old"]},
                {"title": "Sword", "price": 12.99, "isbn": "0-553"},
                {"title": "Moby", "price": 8, "isbn": "0-395"},
                {"title": "Rings", "price": 22.99}
            ],
            "bicycle": {"color": "red", "price": 19.95}
        },
        "a b": 1
    }"#;

    /// The matches of `path` on `DOC`, printed in Alloy syntax.
    fn query(path: &str) -> String {
        match json_path(&[Value::string(DOC), Value::string(path)]) {
            Ok(v) => v.to_string(),
            Err(e) => panic!("{path}: {e:?}"),
        }
    }

    fn path_error(path: &str) -> String {
        match json_path(&[Value::string(DOC), Value::string(path)]) {
            Ok(v) => panic!("{path} matched {v}"),
            Err(e) => {
                assert_eq!(e.arg, Some(1), "{path}");
                e.message
            }
        }
    }

    #[test]
    fn children_and_indices() {
        assert_eq!(query("$.store.bicycle.color"), r#"["red"]"#);
        assert_eq!(query(".store.bicycle.color"), r#"["red"]"#);
        assert_eq!(query("store.bicycle['color']"), r#"["red"]"#);
        assert_eq!(query(r#"$["a b"]"#), "[1]");
        assert_eq!(query("$.store.book[0].title"), r#"["Sayings"]"#);
        assert_eq!(query("$.store.book[-1].title"), r#"["Rings"]"#);
        assert_eq!(query("$.store.book[9].title"), "[]");
        assert_eq!(query("$.nope"), "[]");
        assert_eq!(query("$.store.book.title"), "[]");
        assert!(query("$").starts_with(r#"[{ "a b" = 1, store = {"#));
        assert_eq!(query(""), query("$"));
    }

    #[test]
    fn wildcards_unions_and_slices() {
        assert_eq!(query("$.store.bicycle.*"), r#"["red", 19.95]"#);
        assert_eq!(query("$.store.book[*].price"), "[8.95, 12.99, 8, 22.99]");
        assert_eq!(query("$.store.book[0,2].title"), r#"["Sayings", "Moby"]"#);
        assert_eq!(query("$.store.book[1:3].title"), r#"["Sword", "Moby"]"#);
        assert_eq!(query("$.store.book[-2:].title"), r#"["Moby", "Rings"]"#);
        assert_eq!(query("$.store.book[:1].title"), r#"["Sayings"]"#);
        assert_eq!(query("$.store.book[::2].title"), r#"["Sayings", "Moby"]"#);
        assert_eq!(query("$.store.book[::-1].title"), r#"["Rings", "Moby", "Sword", "Sayings"]"#);
        assert_eq!(query("$.store.book[0:4:0].title"), "[]");
        assert_eq!(query("$.store.bicycle['color','price']"), r#"["red", 19.95]"#);
    }

    #[test]
    fn recursive_descent() {
        assert_eq!(query("$..isbn"), r#"["0-553", "0-395"]"#);
        assert_eq!(query("$..price"), "[19.95, 8.95, 12.99, 8, 22.99]");
        assert_eq!(query("$..book[1].title"), r#"["Sword"]"#);
        assert_eq!(query("$..tags.*"), r#"["old"]"#);
        assert_eq!(query("$.store.bicycle..*"), r#"["red", 19.95]"#);
    }

    #[test]
    fn filters() {
        assert_eq!(query(r#"$.store.book[?(@.title == "Moby")].price"#), "[8]");
        assert_eq!(query("$.store.book[?(@.price < 10)].title"), r#"["Sayings", "Moby"]"#);
        assert_eq!(query("$.store.book[?(@.price >= 12.99)].title"), r#"["Sword", "Rings"]"#);
        assert_eq!(query("$.store.book[?(@.price <= 8)].title"), r#"["Moby"]"#);
        assert_eq!(query("$.store.book[?(@.price > 20 || @.price == 8.0)].title"), r#"["Moby", "Rings"]"#);
        assert_eq!(query("$.store.book[?(@.isbn && @.price < 10)].title"), r#"["Moby"]"#);
        assert_eq!(query("$.store.book[?(@.isbn)].title"), r#"["Sword", "Moby"]"#);
        assert_eq!(query("$.store.book[?(!@.isbn)].title"), r#"["Sayings", "Rings"]"#);
        assert_eq!(query("$.store.book[?(@.title != 'Sword')].title"), r#"["Sayings", "Moby", "Rings"]"#);
        assert_eq!(query(r#"$.store.book[?(@.title > "S" && @.title < "T")].title"#), r#"["Sayings", "Sword"]"#);
        assert_eq!(query("$.store.book[?@.price == $.store.book[2].price].title"), r#"["Moby"]"#);
        // Different types never compare.
        assert_eq!(query(r#"$.store.book[?(@.price < "9")].title"#), "[]");
        assert_eq!(query("$.store.book[?(@.missing == null)].title"), "[]");
        assert_eq!(query("$.store[?(@.color == 'red')].price"), "[19.95]");
        assert_eq!(query("$.store.book[?((@.price == 8) || (false))].title"), r#"["Moby"]"#);
    }

    #[test]
    fn slice_bounds() {
        let idx = |start, end, step| slice(5, start, end, step).collect::<Vec<_>>();
        assert_eq!(idx(None, None, 1), [0, 1, 2, 3, 4]);
        assert_eq!(idx(Some(-100), Some(100), 2), [0, 2, 4]);
        assert_eq!(idx(Some(3), Some(1), 1), Vec::<usize>::new());
        assert_eq!(idx(Some(3), Some(0), -1), [3, 2, 1]);
        assert_eq!(idx(None, None, i64::MAX), [0]);
        assert_eq!(idx(None, None, i64::MIN), [4]);
    }

    #[test]
    fn path_errors_say_what_and_where() {
        assert_eq!(path_error("$.store["), "invalid path: expected a selector (name, index, slice, \"*\" or filter), found end of path at position 9");
        assert_eq!(path_error("$.store[1"), "invalid path: expected \"]\" or \",\", found end of path at position 10");
        assert_eq!(path_error("$."), "invalid path: expected a name or \"*\" after \".\", found end of path at position 3");
        assert_eq!(path_error("$.a b"), "invalid path: unexpected \" \" at position 4");
        assert_eq!(path_error("$['abc"), "invalid path: unterminated string starting at position 3");
        assert_eq!(
            path_error("$[?(@.a == )]"),
            "invalid path: expected a value (\"@\", \"$\", a string, a number, true, false or null), found \")\" at position 12"
        );
        assert_eq!(path_error("$[?(@.a == 1]"), "invalid path: expected \")\", found \"]\" at position 13");
        assert_eq!(path_error("$[99999999999999999999]"), "invalid path: index 99999999999999999999 is out of range at position 3");
        assert_eq!(path_error("$[?(@.a == 1.2.3)]"), "invalid path: invalid number \"1.2.3\" at position 12");
        assert_eq!(path_error(r"$['a\q']"), "invalid path: invalid escape at position 5");
        assert!(path_error(&format!("$[?{}@{}]", "(".repeat(100), ")".repeat(100))).contains("nested too deeply"));
    }

    #[test]
    fn through_the_language() {
        let src =
            r#"json_path("[{\"name\": \"Department\", \"value\": \"IT\"}, {\"name\": \"Other\", \"value\": \"x\"}]", "[?(@.name == \"Department\")].value")"#;
        assert_eq!(eval(src), eval(r#"["IT"]"#));
        assert_eq!(eval(r#"json_path("{\"key\": \"value\"}", ".key")[0]"#), Value::string("value"));
        assert_eq!(eval(r#"json_path("{\"key\": \"value\"}", ".nokey")"#), Value::Array(Vec::new()));
        assert_eq!(eval(r#"json_path("{\"n\": 1}", "$.n")[0] + 1"#), Value::int(2));
        assert_eq!(eval_error(r#"json_path("{", ".key")"#), "json_path: invalid JSON: EOF while parsing an object at line 1 column 1");
        assert!(eval_error(r#"json_path("{}", "$[")"#).starts_with("json_path: invalid path: "));
        assert_eq!(eval_error(r#"json_path("{}", 1)"#), "1 should be string, got number");
        assert_eq!(eval_error(r#"json_path("{}")"#), "json_path: expected 2 arguments, got 1");
    }
}
