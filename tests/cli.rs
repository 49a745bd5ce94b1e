//! The CLI as a user runs it: the real binary, real files, exit codes.

mod support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn solder(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_solder")).args(args).output().expect("run solder")
}

fn data(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cli").join(name).display().to_string()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn validate_accepts_a_valid_config_silently() {
    let out = solder(&["validate", &data("valid.alloy")]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stderr(&out), "");
}

#[test]
fn validate_reports_every_error_with_file_line_and_column() {
    let out = solder(&["validate", &data("invalid.alloy")]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("string literal not terminated"), "{err}");
    assert!(err.contains("invalid.alloy:3:14"), "{err}");
    assert!(err.contains(r#"attribute names may only consist of a single identifier with no ".""#), "{err}");
    assert!(err.contains("invalid.alloy:6:1"), "{err}");
    assert!(err.contains("missing ',' in expression list"), "{err}");
    assert!(err.contains("invalid.alloy:7:8"), "{err}");
}

/// An error next to a secret written as a literal: the excerpt points at
/// the error, and shows the secret masked.
#[test]
fn validate_masks_secret_literals_in_excerpts() {
    let out = solder(&["validate", &data("secret_next_to_error.alloy")]);
    let err = stderr(&out);
    assert!(!out.status.success());
    assert!(err.contains("pasword"), "the error is reported:\n{err}");
    assert!(err.contains("secret_next_to_error.alloy:8:4"), "at the right place:\n{err}");
    assert!(!err.contains("hunter2-in-the-excerpt"), "the excerpt shows the secret:\n{err}");
    assert!(err.contains(&format!("password = \"{}\"", "*".repeat("hunter2-in-the-excerpt".len()))), "{err}");
    assert!(err.contains("pasword  = \"typo\""), "only secrets are masked:\n{err}");
}

#[test]
fn validate_checks_every_file_it_is_given() {
    let out = solder(&["validate", &data("valid.alloy"), &data("invalid.alloy"), &data("dangling.alloy")]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("string literal not terminated"), "{err}");
    assert!(err.contains(r#"component "otelcol.processor.batch.defualt.input" does not exist or is out of scope"#), "{err}");
    assert!(err.contains(r#"did you mean "otelcol.processor.batch.default"?"#), "{err}");
}

#[test]
fn validate_reads_a_directory_as_one_config() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(data("valid.alloy"), dir.path().join("a.alloy")).unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not a config").unwrap();
    let out = solder(&["validate", &dir.path().display().to_string()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn validate_explains_unreadable_input() {
    let out = solder(&["validate", "/nonexistent/config.alloy"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("cannot read /nonexistent/config.alloy"), "{}", stderr(&out));

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("latin1.alloy");
    std::fs::write(&bad, b"a = \"caf\xe9\"\n").unwrap();
    let out = solder(&["validate", &bad.display().to_string()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("is not valid UTF-8 (invalid byte at offset 8)"), "{}", stderr(&out));
}

/// Arbitrary bytes must give exit 0 or 1 and a message, never a panic.
#[test]
fn validate_never_panics() {
    let dir = tempfile::tempdir().unwrap();
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let alphabet = b"ab.=\"`{}[](),+-*/%^!<>|&\n\t 019e\\'#/*";
    let mut paths: Vec<PathBuf> = Vec::new();
    for i in 0..40 {
        let mut bytes = Vec::new();
        for _ in 0..(i * 7 % 120 + 1) {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            bytes.push(alphabet[(seed % alphabet.len() as u64) as usize]);
        }
        let p = dir.path().join(format!("f{i}.alloy"));
        std::fs::write(&p, bytes).unwrap();
        paths.push(p);
    }
    let args: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    let mut cmd = vec!["validate"];
    cmd.extend(args.iter().map(String::as_str));
    let out = solder(&cmd);
    assert!(matches!(out.status.code(), Some(0 | 1)), "exit {:?}: {}", out.status, stderr(&out));
    assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
}

#[test]
fn fmt_prints_the_canonical_form() {
    let out = solder(&["fmt", &data("unformatted.alloy")]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("\ttimeout         = \"200ms\" // how long to wait\n"), "{text}");
    assert!(text.contains("\tsend_batch_size = 2000    // how many spans\n"), "{text}");
    // Formatting the output again changes nothing.
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("once.alloy");
    std::fs::write(&p, &text).unwrap();
    let again = solder(&["fmt", &p.display().to_string()]);
    assert_eq!(String::from_utf8(again.stdout).unwrap(), text);
}

#[test]
fn fmt_w_rewrites_the_file_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("c.alloy");
    std::fs::copy(data("unformatted.alloy"), &p).unwrap();
    let out = solder(&["fmt", "-w", &p.display().to_string()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
    let rewritten = std::fs::read_to_string(&p).unwrap();
    assert!(rewritten.starts_with("otelcol.processor.batch \"default\" {\n\ttimeout "), "{rewritten}");
}

#[test]
fn fmt_reads_stdin() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_solder")).args(["fmt", "-"]).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(b"a=1\nbb=[1,2]\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "a  = 1\nbb = [1, 2]\n");
}

#[test]
fn fmt_refuses_invalid_input_and_leaves_the_file_alone() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bad.alloy");
    std::fs::copy(data("invalid.alloy"), &p).unwrap();
    let before = std::fs::read(&p).unwrap();
    let out = solder(&["fmt", "-w", &p.display().to_string()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("string literal not terminated"));
    assert_eq!(std::fs::read(&p).unwrap(), before);
}

/// Every example config and the embedded default config pass `validate`,
/// the same checks `solder run` makes before starting anything.
#[test]
fn examples_and_default_config_validate() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(&examples).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|e| e == "alloy")).collect();
    assert!(!files.is_empty(), "no examples in {}", examples.display());
    files.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/default.alloy"));
    for file in files {
        let out = solder(&["validate", &file.display().to_string()]);
        assert_eq!(out.status.code(), Some(0), "{}:\n{}", file.display(), stderr(&out));
    }
}

/// A bad OTTL statement is a config error at the file's line and column
/// of its bad token, inside an escaped string, with the caret under it.
#[test]
fn validate_points_at_the_bad_token_of_an_ottl_statement() {
    let out = solder(&["validate", &data("ottl_bad_statement.alloy")]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    let text = std::fs::read_to_string(data("ottl_bad_statement.alloy")).unwrap();
    let (line, col) = text.lines().enumerate().find_map(|(i, l)| l.find("nmae").map(|c| (i + 1, c + 1))).unwrap();
    assert!(err.contains(&format!("ottl_bad_statement.alloy:{line}:{col}")), "{err}");
    let underline = err.lines().find(|l| l.trim_start().starts_with('·')).unwrap_or_default();
    assert_eq!(underline.matches('─').count(), 4, "the caret spans `nmae` only:\n{err}");
}

#[test]
fn validate_checks_component_arguments_like_run_does() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bad-args.alloy");
    std::fs::write(&p, "otelcol.processor.batch \"default\" {\n\ttimeout = \"soon\"\n\toutput { }\n}\n").unwrap();
    let out = solder(&["validate", &p.display().to_string()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains(r#"invalid duration "soon""#), "{}", stderr(&out));
    assert!(stderr(&out).contains("bad-args.alloy:2:12"), "{}", stderr(&out));
}

/// With no config, `solder run` runs the embedded default pipeline: OTLP in
/// on 4317/4318, batch, out to Jaeger and the debug exporter, span metrics
/// served on 9464.
#[test]
fn no_path_runs_the_embedded_default_config() {
    let agent = support::Agent::start(&[]);
    agent.wait_for("the first load", || agent.get("/-/ready").0 == 200);
    let ids: Vec<String> = agent.json("/api/v0/web/components").as_array().unwrap().iter().map(|c| c["localID"].as_str().unwrap().to_string()).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        [
            "otelcol.connector.spanmetrics.default",
            "otelcol.exporter.debug.default",
            "otelcol.exporter.otlp.jaeger",
            "otelcol.exporter.prometheus.default",
            "otelcol.processor.batch.default",
            "otelcol.receiver.otlp.default",
            "prometheus.expose.default",
        ]
    );
    let status = agent.json("/api/v0/web/status");
    assert_eq!(status["running"]["files"][0]["name"], "<default config>");
}

/// Alloy's command line runs unchanged: `otelcol.storage.file` needs
/// `--stability.level=public-preview` in Alloy, and Solder takes the flag
/// (and refuses a level Alloy does not have).
#[test]
fn run_takes_alloys_stability_level_flag() {
    let agent = support::Agent::start(&[&data("persistent_queue.alloy"), "--stability.level=public-preview"]);
    // The exporter is listed as soon as it is built; its queue opens on the
    // storage once it starts, so wait for that, not for the listing.
    let backend = "/api/v0/web/components/otelcol.exporter.otlp.backend";
    agent.wait_for("the persistent queue's exporter on its storage", || {
        agent.get(backend).0 == 200 && !agent.component("otelcol.exporter.otlp.backend")["debugInfo"]["queue_storage"].is_null()
    });
    let info = agent.component("otelcol.exporter.otlp.backend");
    assert!(info["debugInfo"]["queue_storage"].as_str().is_some_and(|d| d.ends_with("otelcol.storage.file.queue/otelcol.exporter.otlp.backend")), "{info}");

    let out = solder(&["run", &data("persistent_queue.alloy"), "--stability.level=beta"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("public-preview"), "the levels are named: {}", stderr(&out));
}

/// `validate` builds every component to check it, and a build has no side
/// effects: a persistent queue's directory is not created, nor its lock
/// taken (which would fail validation while the agent runs).
#[test]
fn validate_creates_no_storage_directory() {
    let dir = tempfile::tempdir().unwrap();
    let queue = dir.path().join("queue");
    let config = dir.path().join("c.alloy");
    let text = std::fs::read_to_string(data("persistent_queue.alloy")).unwrap();
    let text =
        text.replace("otelcol.storage.file \"queue\" { }", &format!("otelcol.storage.file \"queue\" {{\n\tdirectory = {:?}\n}}", queue.display().to_string()));
    std::fs::write(&config, text).unwrap();
    let out = solder(&["validate", &config.display().to_string()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!queue.exists(), "validate created {}", queue.display());
}

/// Started with a soft open-files limit of 256 (a shell's 1024 is as
/// short of the servers' 4096 connections), the agent raises it to the
/// hard limit, as Go does for Alloy.
#[test]
fn run_raises_the_soft_open_files_limit_to_the_hard_one() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("empty.alloy");
    std::fs::write(&config, "").unwrap();
    let addr = format!("127.0.0.1:{}", support::free_port());
    let mut child = Command::new("prlimit")
        .args(["--nofile=256:4096", env!("CARGO_BIN_EXE_solder"), "run", &config.display().to_string()])
        .args(["--server.http.listen-addr", &addr, "--storage.path", &dir.path().join("data").display().to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("prlimit (util-linux) runs the agent");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while support::request(&addr, "GET", "/-/ready").is_err() {
        assert!(std::time::Instant::now() < deadline, "the agent did not start");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", child.id())).unwrap();
    let _ = child.kill();
    let _ = child.wait();
    let open_files = limits.lines().find(|l| l.starts_with("Max open files")).expect("a Max open files line");
    let numbers: Vec<&str> = open_files.split_whitespace().filter(|w| w.parse::<u64>().is_ok()).collect();
    assert_eq!(numbers, ["4096", "4096"], "{open_files}");
}
