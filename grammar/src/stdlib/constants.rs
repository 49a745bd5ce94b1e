//! `constants`: facts about the build and the host, fixed for the process.

use crate::value::Value;

/// An object rather than functions, as in Alloy: `constants.os`.
pub fn object() -> Value {
    Value::object([
        ("hostname", Value::String(gethostname::gethostname().to_string_lossy().into_owned())),
        ("os", Value::string(go_os(std::env::consts::OS))),
        ("arch", Value::string(go_arch(std::env::consts::ARCH))),
        ("version", Value::String(format!("v{}", env!("CARGO_PKG_VERSION")))),
    ])
}

/// Go's `GOOS` spelling, so configs that branch on `constants.os` behave as
/// they do under Alloy. Rust and Go agree on every name but macOS.
fn go_os(rust: &str) -> &str {
    match rust {
        "macos" => "darwin",
        other => other,
    }
}

/// Go's `GOARCH` spelling of a Rust target architecture.
fn go_arch(rust: &str) -> &str {
    let little = cfg!(target_endian = "little");
    match rust {
        "x86_64" => "amd64",
        "x86" => "386",
        "aarch64" => "arm64",
        "powerpc64" if little => "ppc64le",
        "powerpc64" => "ppc64",
        "powerpc" => "ppc",
        "mips" if little => "mipsle",
        "mips64" if little => "mips64le",
        "loongarch64" => "loong64",
        "wasm32" => "wasm",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::super::args::testing::{eval, eval_error};
    use super::*;

    #[test]
    fn names_follow_go() {
        assert_eq!(go_os("macos"), "darwin");
        assert_eq!(go_os("linux"), "linux");
        assert_eq!(go_os("windows"), "windows");
        assert_eq!(go_arch("x86_64"), "amd64");
        assert_eq!(go_arch("aarch64"), "arm64");
        assert_eq!(go_arch("x86"), "386");
        assert_eq!(go_arch("arm"), "arm");
        assert_eq!(go_arch("riscv64"), "riscv64");
    }

    #[test]
    fn through_the_language() {
        assert_eq!(eval("constants.version"), Value::String(format!("v{}", env!("CARGO_PKG_VERSION"))));
        assert_eq!(eval("constants.os"), Value::string(go_os(std::env::consts::OS)));
        assert_eq!(eval("constants.arch"), Value::string(go_arch(std::env::consts::ARCH)));
        assert!(matches!(eval("constants.hostname"), Value::String(h) if !h.is_empty()));
        assert_eq!(eval_error("constants.nope"), r#"field "nope" does not exist"#);
        assert!(eval_error("constants()").contains("should be function, got object"));
    }
}
