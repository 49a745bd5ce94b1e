//! The Alloy configs the image and the ConfigMaps carry: what they listen
//! on and which environment variables they read, so the image and the
//! workloads can be checked against them, and that each one passes
//! `solder validate` as written.

use std::path::PathBuf;

use solder_syntax::ast::{Block, Stmt};
use solder_syntax::{Evaluator, Scope};

use crate::environment::{pod_env, solder};
use crate::manifests::{documents, str_of};

/// Every address a config listens on: the OTLP receivers' servers (with
/// their defaults) and `prometheus.expose`.
pub(crate) fn listeners(config: &str) -> Vec<String> {
    let file = solder_syntax::parse(config).unwrap_or_else(|d| panic!("{d:?}"));
    let scope = Scope::new();
    let mut eval = Evaluator::new(config, &scope);
    let mut string_attr = |b: &Block, name: &str| {
        b.body.iter().find_map(|s| match s {
            Stmt::Attribute(a) if a.name.name == name => Some(eval.eval(&a.value).unwrap().as_str().unwrap().to_string()),
            _ => None,
        })
    };
    let mut out = Vec::new();
    for stmt in &file.body {
        let Stmt::Block(b) = stmt else { continue };
        match b.full_name().as_str() {
            "otelcol.receiver.otlp" => {
                for s in &b.body {
                    let Stmt::Block(server) = s else { continue };
                    let default = match server.full_name().as_str() {
                        "grpc" => "0.0.0.0:4317",
                        "http" => "0.0.0.0:4318",
                        _ => continue,
                    };
                    out.push(string_attr(server, "endpoint").unwrap_or_else(|| default.to_string()));
                }
            }
            "prometheus.expose" => out.push(string_attr(b, "listen_address").expect("listen_address")),
            _ => {}
        }
    }
    out
}

pub(crate) fn port(addr: &str) -> u16 {
    addr.rsplit_once(':').unwrap().1.parse().unwrap()
}

/// The environment variables a config reads, and whether each has a
/// fallback (`coalesce(sys.env("X"), ...)`).
pub(crate) fn env_reads(config: &str) -> Vec<(String, bool)> {
    config
        .match_indices("sys.env(\"")
        .map(|(at, m)| {
            let rest = &config[at + m.len()..];
            let name = rest[..rest.find('"').unwrap()].to_string();
            let fallback = config[..at].ends_with("coalesce(");
            (name, fallback)
        })
        .collect()
}

/// The Alloy configs the ConfigMaps carry: (file, ConfigMap name, text).
pub(crate) fn configmap_configs() -> Vec<(PathBuf, String, String)> {
    let mut out = Vec::new();
    for (file, doc) in documents() {
        if str_of(&doc, &["kind"]) != "ConfigMap" {
            continue;
        }
        let Some(data) = doc["data"].as_hash() else { continue };
        for (key, value) in data {
            if key.as_str().is_some_and(|k| k.ends_with(".alloy")) {
                out.push((file.clone(), str_of(&doc, &["metadata", "name"]).to_string(), value.as_str().unwrap().to_string()));
            }
        }
    }
    assert_eq!(out.len(), 3, "the agent's, the gateway's and the agent's in front of the gateway");
    out
}

#[test]
fn configmap_configs_pass_solder_validate() {
    pod_env();
    let dir = tempfile::tempdir().unwrap();
    for (i, (file, name, text)) in configmap_configs().into_iter().enumerate() {
        let path = dir.path().join(format!("{i}-{name}.alloy"));
        std::fs::write(&path, &text).unwrap();
        let out = solder(&["validate", &path.display().to_string()]);
        assert!(out.status.success(), "{} ({name}): {}", file.display(), String::from_utf8_lossy(&out.stderr));
        let fmt = solder(&["fmt", &path.display().to_string()]);
        assert_eq!(String::from_utf8_lossy(&fmt.stdout), text, "{} ({name}) is in canonical form (solder fmt)", file.display());
    }
}
