//! `file`: path manipulation. Reading files is the `local.file` component's
//! job, so that the graph can watch them; nothing here touches the disk.

use super::args::string;
use crate::value::{CallError, Function, Value};

pub fn functions() -> Vec<Function> {
    vec![Function::new("file.path_join", path_join)]
}

/// Go's `filepath.Join` on Unix: the result is the same as Alloy's for the
/// same config, whatever the platform Solder runs on.
fn path_join(args: &[Value]) -> Result<Value, CallError> {
    let mut parts = Vec::with_capacity(args.len());
    for i in 0..args.len() {
        parts.push(string(args, i)?);
    }
    let Some(first) = parts.iter().position(|p| !p.is_empty()) else {
        return Ok(Value::string(""));
    };
    Ok(Value::String(clean(&parts[first..].join("/"))))
}

/// Go's `path.Clean`: the shortest equivalent path, found lexically. `..`
/// above the root stays at the root; above a relative start it is kept.
fn clean(path: &str) -> String {
    let rooted = path.starts_with('/');
    let mut kept: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." if kept.last().is_some_and(|last| *last != "..") => {
                kept.pop();
            }
            ".." if rooted => {}
            other => kept.push(other),
        }
    }
    let joined = kept.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_string(),
        (false, false) => joined,
    }
}

#[cfg(test)]
mod tests {
    use super::super::args::testing::{eval, eval_error};
    use super::*;

    fn join(parts: &[&str]) -> String {
        let args: Vec<Value> = parts.iter().map(|p| Value::string(*p)).collect();
        match path_join(&args) {
            Ok(Value::String(s)) => s,
            other => panic!("{parts:?}: {other:?}"),
        }
    }

    #[test]
    fn joins_like_go() {
        assert_eq!(join(&["a", "b", "c"]), "a/b/c");
        assert_eq!(join(&["/etc/", "alloy", "config.alloy"]), "/etc/alloy/config.alloy");
        assert_eq!(join(&["a", "", "b"]), "a/b");
        assert_eq!(join(&["", "a"]), "a");
        assert_eq!(join(&["a//b", "./c/"]), "a/b/c");
        assert_eq!(join(&["a", "../../b"]), "../b");
        assert_eq!(join(&["/", "..", "x"]), "/x");
        assert_eq!(join(&["a", ".."]), ".");
        assert_eq!(join(&["/"]), "/");
    }

    #[test]
    fn nothing_to_join_is_empty() {
        assert_eq!(join(&[]), "");
        assert_eq!(join(&["", ""]), "");
    }

    #[test]
    fn through_the_language() {
        assert_eq!(eval(r#"file.path_join("/var/log", "pods", "*.log")"#), Value::string("/var/log/pods/*.log"));
        assert_eq!(eval("file.path_join()"), Value::string(""));
        assert_eq!(eval_error(r#"file.path_join("a", 1)"#), "1 should be string, got number");
    }
}
