//! The import blocks' reference pages (`docs/config-blocks/import.*.md`)
//! against what the code decodes, by the rules and the page reader the
//! component conformance test uses: every argument and block documented,
//! nothing documented that is not decoded, and examples that parse.

use std::collections::BTreeSet;
use std::path::Path;

#[allow(dead_code)]
#[path = "../../../tests/conformance/docs.rs"]
mod docs;

#[test]
fn every_import_block_page_documents_exactly_what_it_decodes() {
    let mut failures = Vec::new();
    for kind in super::imports::KINDS {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("docs/config-blocks/{kind}.md"));
        let Ok(text) = std::fs::read_to_string(&path) else {
            failures.push(format!("{kind}: {} is missing", path.display()));
            continue;
        };
        let page = docs::Page::parse(&text);
        let schema = super::import_schema(kind).unwrap();
        let decoded: BTreeSet<String> = schema.attributes().map(String::from).collect();
        let blocks: BTreeSet<String> = schema.blocks().map(String::from).collect();
        for a in decoded.symmetric_difference(&page.attributes()) {
            failures.push(format!("{kind}: argument `{a}` is decoded but not documented, or documented but not decoded"));
        }
        for b in blocks.symmetric_difference(&page.blocks()) {
            failures.push(format!("{kind}: block `{b}` is decoded but not documented, or documented but not decoded"));
        }
        if !page.examples.iter().any(|e| e.contains(&format!("{kind} \""))) {
            failures.push(format!("{kind}: no ```alloy example uses it"));
        }
        for e in &page.examples {
            if let Err(d) = solder_syntax::parse(e) {
                failures.push(format!("{kind}: an example does not parse: {}", d[0].message));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The secrets the API and the config page hide.
#[test]
fn import_secrets_are_typed_as_secrets() {
    let git = super::import_schema("import.git").unwrap();
    let secrets: Vec<&str> = git.secrets().collect();
    assert_eq!(secrets, ["basic_auth.password", "ssh_key.key", "ssh_key.passphrase"]);
    assert!(super::import_schema("import.http").unwrap().is_secret("headers"));
}
