//! One test over the whole component registry, as Alloy's `all_test.go`:
//! every registered component has its reference page, the page documents
//! exactly the arguments and exports the component's types declare, its
//! examples load, some config in the repository uses it, and the README
//! lists it. Adding a component without any of these fails here.

#[path = "conformance/docs.rs"]
mod docs;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use solder_components::{Registration, Registry};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every problem with one component, so one run lists them all.
fn problems(reg: &Registration, readme: &docs::ComponentTable, users: &[(PathBuf, String)]) -> Vec<String> {
    let mut out = Vec::new();
    let page_path = root().join("docs/components").join(format!("{}.md", reg.name));
    match std::fs::read_to_string(&page_path) {
        Ok(text) => out.extend(page_problems(reg, &docs::Page::parse(&text))),
        Err(_) => out.push(format!("has no reference page: {} is missing", page_path.display())),
    }
    out.extend(usage_problems(reg, readme, users));
    out
}

/// What the reference page gets wrong about the component.
fn page_problems(reg: &Registration, page: &docs::Page) -> Vec<String> {
    let mut out = Vec::new();

    let schema = reg.schema();
    let declared: BTreeSet<String> = schema.attributes().map(String::from).collect();
    let documented = page.attributes();
    for a in declared.difference(&documented) {
        out.push(format!("argument `{a}` is not documented in docs/components/{}.md", reg.name));
    }
    for a in documented.difference(&declared) {
        out.push(format!("docs/components/{}.md documents argument `{a}`, which the component does not have", reg.name));
    }
    let blocks: BTreeSet<String> = schema.blocks().map(String::from).collect();
    let documented_blocks = page.blocks();
    for b in blocks.difference(&documented_blocks) {
        out.push(format!("block `{b}` is not documented (a `### {}` section under ## Blocks)", b.replace('.', " > ")));
    }
    for b in documented_blocks.difference(&blocks) {
        out.push(format!("docs/components/{}.md documents block `{b}`, which the component does not have", reg.name));
    }

    let exports: BTreeSet<String> = reg.exports.iter().map(|s| s.to_string()).collect();
    if exports != page.exports() {
        out.push(format!("exports are {exports:?} but the page's ## Exports table lists {:?}", page.exports()));
    }

    let examples: Vec<&String> = page.examples.iter().filter(|e| e.contains(&format!("{} \"", reg.name))).collect();
    if examples.is_empty() {
        out.push(format!("docs/components/{}.md has no ```alloy example that uses it", reg.name));
    } else if !examples.iter().any(|e| validates(e).is_ok()) {
        let why = examples.iter().filter_map(|e| validates(e).err()).next().unwrap_or_default();
        out.push(format!("no example in docs/components/{}.md passes `solder validate`:\n{why}", reg.name));
    }

    out
}

/// Whether a config uses the component and the README lists it rightly.
fn usage_problems(reg: &Registration, readme: &docs::ComponentTable, users: &[(PathBuf, String)]) -> Vec<String> {
    let mut out = Vec::new();
    if !users.iter().any(|(_, text)| text.contains(&format!("{} \"", reg.name))) {
        out.push("no config in examples/ or tests/ loads it".into());
    }

    match readme.rows.iter().find(|r| r.name == reg.name) {
        None => out.push("is not in the README's component table".into()),
        Some(row) if row.stability != reg.stability.as_str() => {
            out.push(format!("the README says its stability is {:?}; it is registered as {:?}", row.stability, reg.stability.as_str()))
        }
        Some(row) => {
            let list = |s: &[solder_components::component::Telemetry]| s.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(", ");
            if (row.takes.as_str(), row.gives.as_str()) != (list(reg.signals.takes).as_str(), list(reg.signals.gives).as_str()) {
                out.push(format!(
                    "the README says it takes {:?} and gives {:?}; it declares {:?} and {:?}",
                    row.takes,
                    row.gives,
                    list(reg.signals.takes),
                    list(reg.signals.gives)
                ));
            }
        }
    }
    out
}

/// Runs `solder validate` on an example, as a user who copied it would.
fn validates(example: &str) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let file = dir.path().join("example.alloy");
    std::fs::write(&file, example).map_err(|e| e.to_string())?;
    let out = Command::new(env!("CARGO_BIN_EXE_solder")).arg("validate").arg(&file).output().map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
    }
}

/// The text of every config in examples/ and tests/ (`.alloy` files, and
/// the configs the integration tests write inline).
fn configs_in_repo() -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    for dir in ["examples", "tests"] {
        walk(&root().join(dir), &mut out);
    }
    out.retain(|(p, _)| !p.starts_with(root().join("tests/conformance")) && p != &root().join("tests/conformance.rs"));
    out
}

fn walk(dir: &Path, out: &mut Vec<(PathBuf, String)>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() && !p.ends_with("node_modules") {
            walk(&p, out);
        } else if p.extension().is_some_and(|x| x == "alloy" || x == "rs" || x == "yaml") {
            if let Ok(text) = std::fs::read_to_string(&p) {
                out.push((p, text));
            }
        }
    }
}

#[test]
fn every_registered_component_is_documented_tested_and_listed() {
    let registry = Registry::builtin();
    let readme_text = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let readme = docs::ComponentTable::parse(&readme_text);
    let users = configs_in_repo();
    let mut failures = Vec::new();
    for reg in registry.iter() {
        for p in problems(reg, &readme, &users) {
            failures.push(format!("{}: {p}", reg.name));
        }
    }
    let registered: BTreeSet<&str> = registry.names().collect();
    for row in &readme.rows {
        if !registered.contains(row.name.as_str()) {
            failures.push(format!("the README lists {}, which is not a registered component", row.name));
        }
    }
    let pages = std::fs::read_dir(root().join("docs/components")).expect("docs/components");
    for page in pages.flatten() {
        let name = page.file_name().to_string_lossy().trim_end_matches(".md").to_string();
        if !registered.contains(name.as_str()) {
            failures.push(format!("docs/components/{name}.md documents a component that is not registered"));
        }
    }
    assert!(failures.is_empty(), "{} problem(s):\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn every_registered_component_declares_its_contract() {
    for reg in Registry::builtin().iter() {
        assert!(!reg.schema().fields.is_empty(), "{}: the schema of its arguments is empty", reg.name);
        let takes_or_gives = !reg.signals.takes.is_empty() || !reg.signals.gives.is_empty();
        // `otelcol.auth.*` and `otelcol.storage.*` export a handler, not a
        // consumer: no telemetry flows through them.
        let handler = reg.name.starts_with("otelcol.auth.") || reg.name.starts_with("otelcol.storage.");
        let pipeline = (reg.name.starts_with("otelcol.") && !handler) || reg.name.starts_with("prometheus.");
        assert_eq!(takes_or_gives, pipeline, "{}: pipeline components declare the signals they take and give; others none", reg.name);
    }
}

/// The runtime reaches components only through the contract (the
/// registry, `Running`, exports) and the shared telemetry interfaces; a
/// `use` of a component module from `src/` is a layering bug.
#[test]
fn the_runtime_imports_no_component_internals() {
    let mut sources = Vec::new();
    walk(&root().join("src"), &mut sources);
    let components: Vec<String> = Registry::builtin().names().map(|n| format!("solder_components::{}", n.split('.').next().unwrap_or(n))).collect();
    let mut offenders = Vec::new();
    for (path, text) in sources.iter().filter(|(p, _)| p.extension().is_some_and(|x| x == "rs")) {
        for (i, line) in text.lines().enumerate() {
            let namespace_import = components.iter().any(|c| line.contains(&format!("{c}::")) && !line.contains("solder_components::prometheus::{"));
            if namespace_import && (line.contains("otelcol::") || line.contains("local::") || line.contains("expose") || line.contains("remote_write")) {
                offenders.push(format!("{}:{}: {}", path.display(), i + 1, line.trim()));
            }
        }
    }
    assert!(offenders.is_empty(), "the runtime imports component internals:\n{}", offenders.join("\n"));
}
