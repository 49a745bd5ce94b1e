//! `sys`: what the agent can learn about the process it runs in.

use super::args::on_strings;
use crate::value::{Function, Value};

pub fn functions() -> Vec<Function> {
    vec![on_strings("sys.env", |[name]| Ok(Value::String(env(name))))]
}

/// An unset variable reads as "", as Go's `os.Getenv` does, so configs can
/// default it with `coalesce(sys.env("X"), "fallback")`. Names the OS could
/// never hold (empty, or containing `=` or NUL) are simply unset.
fn env(name: &str) -> String {
    if name.is_empty() || name.contains(['=', '\0']) {
        return String::new();
    }
    std::env::var_os(name).map(|v| v.to_string_lossy().into_owned()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::super::args::testing::{eval, eval_deprecated, eval_error};
    use super::*;

    #[test]
    fn reads_the_environment() {
        // PATH is set for every test run; the variable below never is.
        let path = std::env::var("PATH").unwrap_or_default();
        assert_eq!(eval(r#"sys.env("PATH")"#), Value::String(path));
        assert_eq!(eval(r#"sys.env("SOLDER_TEST_SURELY_UNSET_VARIABLE")"#), Value::string(""));
    }

    #[test]
    fn impossible_names_are_unset() {
        assert_eq!(env(""), "");
        assert_eq!(env("A=B"), "");
        assert_eq!(env("A\0B"), "");
    }

    #[test]
    fn argument_errors() {
        assert_eq!(eval_error("sys.env(1)"), "1 should be string, got number");
        assert_eq!(eval_error("sys.env()"), "sys.env: expected 1 argument, got 0");
        assert_eq!(eval_error(r#"sys.env("A", "B")"#), "sys.env: expected 1 argument, got 2");
    }

    #[test]
    fn deprecated_alias() {
        let path = std::env::var("PATH").unwrap_or_default();
        assert_eq!(eval_deprecated(r#"env("PATH")"#, "sys.env"), Value::String(path));
    }
}
