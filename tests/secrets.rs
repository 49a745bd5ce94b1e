//! No secret leaves the agent. Every component with secret arguments runs
//! with a unique secret in each of them, from each of the three sources
//! (a literal, `sys.env`, a `local.file` marked `is_secret`; a plain one
//! shows its content, in Solder as in Alloy), and none of those secrets
//! may appear in any UI page, API answer, `/metrics`, the log, a live
//! debugging stream, or `solder validate`'s report on a broken variant of
//! the same config.

mod support;

#[path = "secrets/components.rs"]
mod components;

use std::collections::BTreeSet;
use std::io::Read;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use support::{free_port, Agent};

#[derive(Clone, Copy, Debug)]
enum Source {
    Literal,
    Env,
    File,
}

/// A config that uses every body of [`components::BODIES`] once per
/// source, and the secrets it holds.
struct Generated {
    config: String,
    env: Vec<(String, String)>,
    secrets: Vec<String>,
}

fn generate(dir: &Path) -> Generated {
    let mut g = Generated { config: String::new(), env: Vec::new(), secrets: Vec::new() };
    for source in [Source::Literal, Source::Env, Source::File] {
        let (cert, key) = key_pair(dir, &format!("{source:?}"));
        for (i, (name, body)) in components::BODIES.iter().enumerate() {
            // A component whose auth methods exclude each other has a body
            // per method, so labels carry the body's index.
            let label = format!("{}{i}", format!("{source:?}").to_lowercase());
            let mut text = body.replace("{CERT}", &alloy_string(&cert));
            for n in 1..=4 {
                text = text.replace(&format!("{{PORT:{n}}}"), &free_port().to_string());
            }
            let mut slots: Vec<(String, String)> =
                (1..=4).map(|n| (format!("{{S:{n}}}"), format!("user{n}:s3cret-{label}-{}-{n}", name.replace('.', "-")))).collect();
            slots.push(("{KEY}".to_string(), key.clone()));
            for (slot, secret) in slots {
                if !text.contains(&slot) {
                    continue;
                }
                let n = g.secrets.len();
                let expr = match source {
                    Source::Literal => alloy_string(&secret),
                    Source::Env => {
                        g.env.push((format!("SOLDER_TEST_SECRET_{n}"), secret.clone()));
                        format!("sys.env(\"SOLDER_TEST_SECRET_{n}\")")
                    }
                    Source::File => {
                        let path = dir.join(format!("secret-{n}"));
                        std::fs::write(&path, &secret).expect("secret file");
                        g.config.push_str(&format!("local.file \"s{n}\" {{\n\tfilename  = {:?}\n\tis_secret = true\n}}\n\n", path.display().to_string()));
                        format!("local.file.s{n}.content")
                    }
                };
                text = text.replace(&slot, &expr);
                g.secrets.push(if slot == "{KEY}" { key_body(&secret) } else { secret });
            }
            g.config.push_str(&format!("{name} \"{label}\" {{{text}}}\n\n"));
        }
    }
    g.secrets.sort();
    g.secrets.dedup();
    g
}

#[test]
fn every_secret_argument_of_every_component_is_covered() {
    let registry = solder_components::Registry::builtin();
    for name in registry.names() {
        let secrets: Vec<&str> = registry.schema(name).map(|s| s.secrets().collect()).unwrap_or_default();
        if secrets.is_empty() {
            continue;
        }
        let bodies: Vec<&str> = components::BODIES.iter().filter(|(n, _)| *n == name).map(|(_, b)| *b).collect();
        if bodies.is_empty() {
            panic!("{name} has secret arguments {secrets:?}: give it a body in tests/secrets/components.rs")
        }
        let body = bodies.concat();
        for path in secrets {
            let leaf = path.rsplit('.').next().unwrap_or(path);
            assert!(body.contains(&format!("{leaf} ")) || body.contains(&format!("{leaf}=")), "{name}: the body does not set the secret {path}");
        }
    }
}

#[test]
fn no_secret_leaves_the_agent() {
    let dir = tempfile::tempdir().expect("tempdir");
    let g = generate(dir.path());
    let config = dir.path().join("config.alloy");
    std::fs::write(&config, &g.config).expect("config");
    let env: Vec<(&str, &str)> = g.env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let agent = Agent::start_with_env(&[&config.display().to_string()], &env);
    agent.wait_for("the config to load", || agent.json("/api/v0/web/components").as_array().is_some_and(|c| !c.is_empty()) || agent.logs().contains("ERROR"));
    let components = agent.json("/api/v0/web/components");
    let ids: Vec<String> = components.as_array().expect("components").iter().filter_map(|c| c["localID"].as_str().map(str::to_string)).collect();
    assert!(ids.len() >= components::BODIES.len() * 3, "not every component loaded: {ids:?}\nstatus: {}", agent.get("/api/v0/web/status").1);

    let mut seen: Vec<(String, String)> = Vec::new();
    for path in ["/", "/components", "/graph", "/config", "/metrics", "/-/healthy", "/api/v0/web/components", "/api/v0/web/status", "/api/v0/web/graph"] {
        seen.push((path.to_string(), agent.get(path).1));
    }
    for id in &ids {
        for path in [format!("/component/{id}"), format!("/component/{id}/live"), format!("/api/v0/web/components/{id}")] {
            let body = agent.get(&path).1;
            seen.push((path, body));
        }
        seen.push((format!("live debugging of {id}"), stream(&agent.addr, &format!("/api/v0/web/debug/{id}"))));
    }
    // The secret arguments are there, and hidden, not missing.
    let (_, config_page) = &seen[3];
    assert!(config_page.contains("shown as <code>****</code>"), "the config page does not say it masked secrets");
    seen.push(("the log".into(), agent.logs()));

    // A broken variant: an unknown attribute beside every secret, so every
    // excerpt of the report shows a secret's line.
    let broken = g.config.replace("\t\tkey_pem", "\t\tbogus_attribute = 1\n\t\tkey_pem");
    let broken_path = dir.path().join("broken.alloy");
    std::fs::write(&broken_path, &broken).expect("broken config");
    let out = Command::new(env!("CARGO_BIN_EXE_solder"))
        .args(["validate", &broken_path.display().to_string()])
        .envs(env.iter().copied())
        .output()
        .expect("solder validate");
    assert!(!out.status.success(), "the broken variant validated");
    let report = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(report.contains("bogus_attribute"), "validate did not report the errors:\n{report}");
    seen.push(("solder validate".into(), report));

    let leaks: BTreeSet<String> =
        seen.iter().flat_map(|(place, text)| g.secrets.iter().filter(|s| text.contains(s.as_str())).map(move |s| format!("{place}: {s}"))).collect();
    assert!(leaks.is_empty(), "secrets leaked:\n{}", leaks.into_iter().collect::<Vec<_>>().join("\n"));
}

/// An Alloy string literal of `s`.
fn alloy_string(s: &str) -> String {
    format!("{s:?}")
}

/// A fresh private key and self-signed certificate, as PEM.
fn key_pair(dir: &Path, name: &str) -> (String, String) {
    let (cert, key) = support::self_signed(dir, name);
    (std::fs::read_to_string(cert).expect("cert"), std::fs::read_to_string(key).expect("key"))
}

/// The part of a PEM key that is its own: the base64 past the PKCS#8
/// header, which every P-256 key shares.
fn key_body(pem: &str) -> String {
    let base64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    base64.get(48..88).unwrap_or(&base64).to_string()
}

/// What a server-sent events stream says in its first half second.
fn stream(addr: &str, path: &str) -> String {
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_millis(100))).expect("timeout");
    std::io::Write::write_all(&mut s, format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n\r\n").as_bytes()).expect("request");
    let (start, mut raw, mut buf) = (Instant::now(), Vec::new(), [0u8; 8192]);
    while start.elapsed() < Duration::from_millis(500) {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
            Err(_) => {}
        }
    }
    String::from_utf8_lossy(&raw).into_owned()
}
