//! The manifests in `examples/kubernetes` as YAML documents, and the
//! Kubernetes OpenAPI schemas they must pass, checked by kubernetes-validate
//! so that no cluster is needed.

use std::path::{Path, PathBuf};
use std::process::Command;

use yaml_rust2::{Yaml, YamlLoader};

use crate::environment::{pod_env, ROOT};

/// The Kubernetes version the manifests are checked against: the oldest
/// still commonly run whose schemas kubernetes-validate carries.
const KUBERNETES_VERSION: &str = "1.30.0";

/// Every manifest under examples/kubernetes (kustomization files aside).
pub(crate) fn manifest_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|e| e == "yaml" || e == "yml") && p.file_name().unwrap() != "kustomization.yaml" {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(&Path::new(ROOT).join("examples/kubernetes"), &mut out);
    out.sort();
    assert!(out.len() >= 9, "{out:?}");
    out
}

/// Every document of every manifest, with the file it came from.
pub(crate) fn documents() -> Vec<(PathBuf, Yaml)> {
    manifest_files()
        .into_iter()
        .flat_map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            let docs = YamlLoader::load_from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            docs.into_iter().filter(|d| !d.is_null()).map(move |d| (p.clone(), d))
        })
        .collect()
}

pub(crate) fn str_of<'a>(y: &'a Yaml, path: &[&str]) -> &'a str {
    path.iter().fold(y, |y, k| &y[*k]).as_str().unwrap_or("")
}

pub(crate) fn list(y: &Yaml) -> &[Yaml] {
    y.as_vec().map(Vec::as_slice).unwrap_or(&[])
}

/// The kubernetes-validate command scripts/test.sh installs into `.venv`
/// (or `SOLDER_KUBERNETES_VALIDATE`). A test that needs it fails when it is
/// missing: it never skips.
pub(crate) fn validator() -> PathBuf {
    let candidate = std::env::var_os("SOLDER_KUBERNETES_VALIDATE").map(PathBuf::from).unwrap_or_else(|| Path::new(ROOT).join(".venv/bin/kubernetes-validate"));
    let works = Command::new(&candidate).arg("--version").output().is_ok_and(|o| o.status.success());
    assert!(works, "kubernetes-validate is missing at {}: scripts/test.sh installs it into .venv", candidate.display());
    candidate
}

pub(crate) fn validate_manifests(validator: &Path, files: &[PathBuf]) -> std::process::Output {
    Command::new(validator).args(["--strict", "--quiet", "--kubernetes-version", KUBERNETES_VERSION]).args(files).output().unwrap()
}

#[test]
fn manifests_pass_the_kubernetes_schemas_and_a_broken_one_does_not() {
    pod_env();
    let validator = validator();
    let files = manifest_files();
    let out = validate_manifests(&validator, &files);
    let report = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{report}");
    assert!(!report.contains("Couldn't find schema"), "every document has a schema: {report}");

    let broken = Path::new(ROOT).join("tests/kubernetes/broken-daemonset.yaml");
    let out = validate_manifests(&validator, &[broken]);
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "the validator passed a broken manifest: {report}");
    assert!(report.contains("containerPort: '4317' is not of type 'integer'"), "{report}");
}
