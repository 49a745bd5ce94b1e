//! The container image: what the `Dockerfile` copies exists and is not
//! left out of the build context, the build is reproducible, and the image
//! runs its config as an unprivileged user, exposing every port it listens
//! on.

use std::collections::BTreeSet;
use std::path::Path;

use crate::configs::{listeners, port};
use crate::environment::{pod_env, solder, ROOT};

/// A Dockerfile instruction: keyword and arguments, continuations joined.
struct Instruction {
    keyword: String,
    args: String,
}

fn dockerfile() -> Vec<Instruction> {
    let text = std::fs::read_to_string(Path::new(ROOT).join("Dockerfile")).unwrap();
    let mut out = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if current.is_empty() && (trimmed.is_empty() || trimmed.starts_with('#')) {
            continue;
        }
        if let Some(head) = trimmed.strip_suffix('\\') {
            current.push_str(head);
            current.push(' ');
            continue;
        }
        current.push_str(trimmed);
        let (keyword, args) = current.split_once(char::is_whitespace).unwrap_or((&current, ""));
        out.push(Instruction { keyword: keyword.to_ascii_uppercase(), args: args.trim().to_string() });
        current.clear();
    }
    out
}

/// The instructions of the last stage: what the image is.
fn runtime_stage(all: &[Instruction]) -> &[Instruction] {
    let last_from = all.iter().rposition(|i| i.keyword == "FROM").expect("no FROM");
    &all[last_from..]
}

/// `COPY` arguments without flags: sources then destination.
fn copy_paths(i: &Instruction) -> (Vec<String>, String, Option<String>) {
    let mut from = None;
    let mut paths = Vec::new();
    for word in i.args.split_whitespace() {
        if let Some(stage) = word.strip_prefix("--from=") {
            from = Some(stage.to_string());
        } else if !word.starts_with("--") {
            paths.push(word.to_string());
        }
    }
    let dest = paths.pop().expect("COPY without a destination");
    (paths, dest, from)
}

/// Whether `.dockerignore` leaves `path` out of the build context. Its
/// patterns here are paths, `**/NAME` (at any depth) and `**/*.EXT`.
fn docker_ignored(path: &str) -> bool {
    let ignore = std::fs::read_to_string(Path::new(ROOT).join(".dockerignore")).unwrap();
    ignore.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).any(|pattern| {
        let pattern = pattern.trim_end_matches('/');
        match pattern.strip_prefix("**/") {
            Some(ext) if ext.starts_with("*.") => path.ends_with(&ext[1..]),
            Some(name) => path.split('/').any(|part| part == name),
            None => path == pattern || path.starts_with(&format!("{pattern}/")),
        }
    })
}

#[test]
fn dockerfile_copies_what_exists_and_runs_its_config_unprivileged() {
    pod_env();
    let all = dockerfile();
    for i in all.iter().filter(|i| i.keyword == "COPY" || i.keyword == "ADD") {
        let (sources, _, from) = copy_paths(i);
        if from.is_some() {
            continue;
        }
        for s in sources {
            assert!(Path::new(ROOT).join(&s).exists(), "COPY {s}: not in the repository");
            if s != "." {
                assert!(!docker_ignored(&s), "COPY {s}: excluded by .dockerignore");
            }
        }
    }
    for needed in ["Cargo.toml", "Cargo.lock", "src/main.rs", "grammar/Cargo.toml", "components/Cargo.toml", "benches/reload.rs"] {
        assert!(!docker_ignored(needed), "{needed} is excluded by .dockerignore but the build needs it");
    }
    for excluded in ["target/release/solder", ".git/HEAD", ".venv/bin/python", "tests/browser/node_modules/x"] {
        assert!(docker_ignored(excluded), "{excluded} should stay out of the build context");
    }
    let builds: Vec<&Instruction> = all.iter().filter(|i| i.keyword == "RUN" && i.args.contains("cargo build")).collect();
    assert!(builds.iter().all(|i| i.args.contains("--release") && i.args.contains("--locked")), "every cargo build is --release --locked");
    assert_eq!(builds.len(), 2, "one build of the dependencies (cached), one of Solder");

    let runtime = runtime_stage(&all);
    let user = runtime.iter().rev().find(|i| i.keyword == "USER").expect("the image sets a USER").args.clone();
    let (uid, gid) = user.split_once(':').unwrap_or((&user, ""));
    let uid: u32 = uid.parse().unwrap_or_else(|_| panic!("USER {user}: numeric, so runAsNonRoot can check it"));
    assert_ne!(uid, 0, "the image runs as root");
    assert!(gid.is_empty() || gid.parse::<u32>().is_ok_and(|g| g != 0), "USER {user}");
    assert_eq!(uid, 10001, "the manifests' runAsUser");

    let entrypoint: Vec<String> =
        serde_json::from_str(&runtime.iter().find(|i| i.keyword == "ENTRYPOINT").expect("ENTRYPOINT").args).expect("ENTRYPOINT in exec form");
    assert_eq!(entrypoint, ["/usr/bin/solder", "run", "/etc/solder/config.alloy", "--server.http.listen-addr=0.0.0.0:12345", "--storage.path=/var/lib/solder"]);
    let copies: Vec<_> = runtime.iter().filter(|i| i.keyword == "COPY").map(copy_paths).collect();
    assert!(copies.iter().any(|(s, d, f)| f.as_deref() == Some("builder") && s == &["/src/target/release/solder"] && d == "/usr/bin/solder"));
    assert!(copies.iter().any(|(_, d, _)| d == "/var/lib/solder"), "the storage directory exists, owned by the user");
    let (config, _, _) = copies.iter().find(|(_, d, _)| d == "/etc/solder/config.alloy").expect("the config is copied to /etc/solder/config.alloy");
    let config = Path::new(ROOT).join(&config[0]);

    let out = solder(&["validate", &config.display().to_string()]);
    assert!(out.status.success(), "{}: {}", config.display(), String::from_utf8_lossy(&out.stderr));
    let text = std::fs::read_to_string(&config).unwrap();
    let listeners = listeners(&text);
    for addr in &listeners {
        assert!(addr.starts_with("0.0.0.0:") || addr.starts_with("[::]:"), "{addr}: in a container, listen on every interface");
    }
    let mut want: BTreeSet<u16> = listeners.iter().map(|a| port(a)).collect();
    want.insert(12345);
    let exposed: BTreeSet<u16> = runtime
        .iter()
        .filter(|i| i.keyword == "EXPOSE")
        .flat_map(|i| i.args.split_whitespace().map(|p| p.trim_end_matches("/tcp").parse::<u16>().unwrap()))
        .collect();
    assert_eq!(exposed, want, "EXPOSE: the config's listeners and the HTTP server");
}
