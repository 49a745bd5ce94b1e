//! The Alloy configs the image and the ConfigMaps carry: what they listen
//! on and which environment variables they read, so the image and the
//! workloads can be checked against them, and that each one passes
//! `solder validate` as written.

use std::path::{Component, Path, PathBuf};

use solder_components::otelcol::exporter::sending::queue::PERSISTENT_UNSIZED_BYTES;
use solder_syntax::ast::{Block, Expr, Stmt};
use solder_syntax::{Evaluator, Scope, Value};

use crate::environment::{pod_env, solder};
use crate::manifests::{documents, str_of};

/// Where the workloads mount `--storage.path`.
pub(crate) const STORAGE_PATH: &str = "/var/lib/solder";

/// A block's attribute, by name.
pub(crate) fn attribute<'a>(b: &'a Block, name: &str) -> Option<&'a Expr> {
    b.body.iter().find_map(|s| match s {
        Stmt::Attribute(a) if a.name.name == name => Some(&a.value),
        _ => None,
    })
}

/// The blocks of a block's body.
pub(crate) fn blocks(b: &Block) -> impl Iterator<Item = &Block> {
    b.body.iter().filter_map(|s| match s {
        Stmt::Block(inner) => Some(inner),
        Stmt::Attribute(_) => None,
    })
}

/// Every address a config listens on: the OTLP receivers' servers (with
/// their defaults) and `prometheus.expose`.
pub(crate) fn listeners(config: &str) -> Vec<String> {
    let file = solder_syntax::parse(config).unwrap_or_else(|d| panic!("{d:?}"));
    let scope = Scope::new();
    let mut eval = Evaluator::new(config, &scope);
    let mut string_attr = |b: &Block, name: &str| attribute(b, name).map(|v| eval.eval(v).unwrap().as_str().unwrap().to_string());
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

/// What each persistent sending queue of a config (a `sending_queue` with
/// `storage`) may hold on disk, in bytes: its `queue_size` when it is
/// sized in bytes, else the bound the queue puts on a persistent queue
/// counted in requests or items.
pub(crate) fn persistent_queue_bounds(config: &str) -> Vec<u64> {
    let file = solder_syntax::parse(config).unwrap_or_else(|d| panic!("{d:?}"));
    let scope = Scope::new();
    let mut eval = Evaluator::new(config, &scope);
    let mut out = Vec::new();
    for stmt in &file.body {
        let Stmt::Block(component) = stmt else { continue };
        for queue in blocks(component).filter(|b| b.full_name() == "sending_queue" && attribute(b, "storage").is_some()) {
            let sizer = attribute(queue, "sizer").map(|v| eval.eval(v).unwrap().as_str().unwrap().to_string());
            let size = attribute(queue, "queue_size").map_or(1000, |v| match eval.eval(v).unwrap() {
                Value::Number(n) => n.as_u64().unwrap(),
                other => panic!("queue_size is {other:?}"),
            });
            out.push(if sizer.as_deref() == Some("bytes") { size } else { PERSISTENT_UNSIZED_BYTES });
        }
    }
    out
}

/// The `sizer` of `protocol > otlp > queue` in a config's
/// `otelcol.exporter.loadbalancing`: `None` without that exporter,
/// `Some(None)` when the queue leaves it to its default.
fn loadbalancing_queue_sizer(config: &str) -> Option<Option<String>> {
    let file = solder_syntax::parse(config).unwrap_or_else(|d| panic!("{d:?}"));
    let scope = Scope::new();
    let mut eval = Evaluator::new(config, &scope);
    let exporter = file.body.iter().find_map(|s| match s {
        Stmt::Block(b) if b.full_name() == "otelcol.exporter.loadbalancing" => Some(b),
        _ => None,
    })?;
    let queue = blocks(exporter)
        .filter(|b| b.full_name() == "protocol")
        .flat_map(blocks)
        .filter(|b| b.full_name() == "otlp")
        .flat_map(blocks)
        .find(|b| b.full_name() == "queue");
    Some(queue.and_then(|q| attribute(q, "sizer")).map(|v| eval.eval(v).unwrap().as_str().unwrap().to_string()))
}

/// The `directory` of each `otelcol.storage.file` in a config, `None`
/// where it is left to its default under `--storage.path`.
fn storage_directories(config: &str) -> Vec<Option<String>> {
    let file = solder_syntax::parse(config).unwrap_or_else(|d| panic!("{d:?}"));
    let scope = Scope::new();
    let mut eval = Evaluator::new(config, &scope);
    let mut out = Vec::new();
    for stmt in &file.body {
        match stmt {
            Stmt::Block(b) if b.full_name() == "otelcol.storage.file" => {
                out.push(attribute(b, "directory").map(|v| eval.eval(v).unwrap().as_str().unwrap().to_string()));
            }
            _ => {}
        }
    }
    out
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

/// The pods' root filesystems are read-only: a queue anywhere but the
/// storage volume cannot be written, and one in another volume would be
/// outside what the volume's sizeLimit was sized for. Every shipped config
/// whose exporter can keep its queue on disk does, so that the check is
/// never vacuous. The agents in front of the gateway tier cannot: the
/// loadbalancing exporter's per-gateway queues are in memory only, so
/// theirs must at least be bounded by bytes.
#[test]
fn configmap_configs_keep_their_queues_on_the_storage_volume() {
    pod_env();
    for (file, name, text) in configmap_configs() {
        if let Some(sizer) = loadbalancing_queue_sizer(&text) {
            assert_eq!(sizer.as_deref(), Some("bytes"), "{} ({name}): each gateway's queue is bounded by bytes", file.display());
            continue;
        }
        assert!(!persistent_queue_bounds(&text).is_empty(), "{} ({name}): the exporter's queue is persistent", file.display());
        let directories = storage_directories(&text);
        assert!(!directories.is_empty(), "{} ({name}) has an otelcol.storage.file", file.display());
        for dir in directories.into_iter().flatten() {
            let path = Path::new(&dir);
            let inside = path.starts_with(STORAGE_PATH) && !path.components().any(|c| c == Component::ParentDir);
            assert!(inside, "{} ({name}): otelcol.storage.file writes to {dir}, outside the storage volume at {STORAGE_PATH}", file.display());
        }
    }
}
