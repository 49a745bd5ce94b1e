//! Snapshot tests of rendered diagnostics: each `tests/snapshots/NAME.alloy`
//! is parsed and evaluated, every diagnostic rendered as the CLI renders it
//! (plain style), and the text compared with `NAME.txt`.
//!
//! Run with `UPDATE_SNAPSHOTS=1` to write the `.txt` files after a
//! deliberate change, then review the diff.

use std::path::Path;

use solder_syntax::ast::{Body, Stmt};
use solder_syntax::diagnostic::attach_source;
use solder_syntax::render::{render_all, Style};
use solder_syntax::{Diagnostic, Evaluator, Scope, SourceFile};

fn diagnose(name: &str, src: &str) -> String {
    fn walk(body: &Body, ev: &mut Evaluator<'_>, out: &mut Vec<Diagnostic>) {
        for stmt in body {
            match stmt {
                Stmt::Block(b) => walk(&b.body, ev, out),
                Stmt::Attribute(a) => {
                    if let Err(d) = ev.eval(&a.value) {
                        out.push(d);
                    }
                }
            }
        }
    }
    let file = SourceFile::new(name, src);
    let mut diags = match solder_syntax::parse(src) {
        Err(d) => d,
        Ok(ast) => {
            let scope = Scope::new();
            let mut ev = Evaluator::new(src, &scope);
            let mut out = Vec::new();
            walk(&ast.body, &mut ev, &mut out);
            out.append(&mut ev.warnings);
            out
        }
    };
    attach_source(&mut diags, &file);
    render_all(&diags, Style::Plain)
}

#[test]
fn rendered_diagnostics_match_snapshots() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    let update = std::env::var_os("UPDATE_SNAPSHOTS").is_some();
    let mut inputs: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|e| e == "alloy")).collect();
    inputs.sort();
    assert!(!inputs.is_empty(), "no snapshot inputs in {}", dir.display());
    let mut failures = Vec::new();
    for input in inputs {
        let name = input.file_name().unwrap().to_string_lossy().to_string();
        let src = std::fs::read_to_string(&input).unwrap();
        let got = diagnose(&name, &src);
        assert!(!got.trim().is_empty(), "{name}: a snapshot input must produce at least one diagnostic");
        let expected_path = input.with_extension("txt");
        if update {
            std::fs::write(&expected_path, &got).unwrap();
            continue;
        }
        match std::fs::read_to_string(&expected_path) {
            Ok(want) if want == got => {}
            Ok(want) => failures.push(format!("{name}: rendered output differs\n--- expected\n{want}\n--- got\n{got}")),
            Err(_) => failures.push(format!("{name}: missing {}; run with UPDATE_SNAPSHOTS=1", expected_path.display())),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
