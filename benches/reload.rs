//! Reload latency: from writing the config file to the new graph being
//! live, for a 50-component config, through the real binary.
//!
//! `cargo bench --bench reload` prints min / median / p90 / max over 40
//! edits. Each edit changes the last component of a 50-long dependency
//! chain, so the measurement covers the watcher, the debounce, parsing,
//! evaluating all 50 components and the in-place update.

#[path = "../tests/support/mod.rs"]
mod support;

use std::path::Path;
use std::time::Instant;

const COMPONENTS: usize = 50;

fn config(dir: &Path, last_file: &str) -> String {
    let mut out = String::new();
    for i in 0..COMPONENTS {
        let file = if i == COMPONENTS - 1 { last_file.to_string() } else { format!("f{i}.txt") };
        let filename = dir.join(file).display().to_string();
        // Every component reads its predecessor, so a load evaluates a chain.
        let secret = if i == 0 { "false".to_string() } else { format!("local.file.f{}.content == \"never\"", i - 1) };
        out.push_str(&format!("local.file \"f{i}\" {{\n\tfilename       = {filename:?}\n\tis_secret      = {secret}\n\tpoll_frequency = \"1m\"\n}}\n\n"));
    }
    out
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..COMPONENTS {
        std::fs::write(dir.path().join(format!("f{i}.txt")), format!("file {i}")).unwrap();
    }
    std::fs::write(dir.path().join("x.txt"), "x").unwrap();
    std::fs::write(dir.path().join("y.txt"), "y").unwrap();
    let cfg = dir.path().join("config.alloy");
    std::fs::write(&cfg, config(dir.path(), "x.txt")).unwrap();

    let agent = support::Agent::start(&[&cfg.display().to_string()]);
    agent.wait_for("first load", || agent.get("/-/ready").0 == 200);
    let last = format!("local.file.f{}", COMPONENTS - 1);
    let mut samples = Vec::new();
    for round in 0..40 {
        let (file, want) = if round % 2 == 0 { ("y.txt", "y") } else { ("x.txt", "x") };
        let text = config(dir.path(), file);
        let start = Instant::now();
        support::replace_file(&cfg, &text);
        agent.wait_for("the edit", || agent.component(&last)["exports"]["content"] == want);
        samples.push(start.elapsed());
    }
    if std::env::var_os("RELOAD_BENCH_LOGS").is_some() {
        eprintln!("{}", agent.logs());
    }
    samples.sort();
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
    println!(
        "reload latency, {COMPONENTS} components, {} edits: min {:.1} ms, median {:.1} ms, p90 {:.1} ms, max {:.1} ms (includes the watcher's {} ms debounce)",
        samples.len(),
        ms(samples[0]),
        ms(samples[samples.len() / 2]),
        ms(samples[samples.len() * 9 / 10]),
        ms(samples[samples.len() - 1]),
        100
    );
}
