//! The debug UI in a real browser: Debian's Chromium, driven by Playwright
//! (tests/browser/ui.mjs), against the real agent under load from
//! `solder tools loadgen`. Screenshots land in `<target>/ui-screenshots/`.
//!
//! Without node, Chromium or playwright-core the test fails: it never
//! skips. scripts/test.sh installs all three.

mod support;
#[path = "browser/support.rs"]
mod ui_support;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::json;
use support::{free_port, Agent};
use ui_support::{pipeline, Loadgen};

/// node, the browser and the browser/ folder with playwright-core, or why not.
fn tools() -> Result<(PathBuf, PathBuf, PathBuf), String> {
    let browser_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    let node = std::env::var_os("SOLDER_NODE").map_or_else(|| PathBuf::from("node"), PathBuf::from);
    if !Command::new(&node).arg("--version").output().is_ok_and(|o| o.status.success()) {
        return Err(format!("no node at {}", node.display()));
    }
    let chromium = std::env::var_os("SOLDER_CHROMIUM").map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from);
    if !chromium.is_file() {
        return Err(format!("no Chromium at {} (Debian's chromium package)", chromium.display()));
    }
    if !browser_dir.join("node_modules/playwright-core/package.json").is_file() {
        return Err("no playwright-core in tests/browser/node_modules (npm ci in tests/browser)".into());
    }
    Ok((node, chromium, browser_dir))
}

#[test]
fn the_ui_in_chromium_lists_draws_links_and_flags_a_broken_edit() {
    let (node, chromium, browser_dir) = tools().unwrap_or_else(|why| panic!("{why}: scripts/test.sh installs it"));
    let dir = tempfile::tempdir().unwrap();
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let grpc = free_port();
    let cfg = dir.path().join("config.alloy");
    let text = pipeline(dir.path(), grpc, taken.local_addr().unwrap().port(), "livedebugging {\n\tenabled = true\n}\n");
    std::fs::write(&cfg, text).unwrap();
    let agent = Agent::start(&[&cfg.display().to_string()]);
    agent.wait_for("first load", || agent.get("/-/ready").0 == 200);
    let _load = Loadgen::start(grpc);

    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).parent().unwrap_or(Path::new("target")).join("ui-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let expected = json!({
        "local.file.token": "healthy",
        "prometheus.expose.default": "unhealthy",
        "otelcol.exporter.prometheus.default": "healthy",
        "otelcol.connector.spanmetrics.default": "healthy",
        "otelcol.exporter.otlp.down": "unhealthy",
        "otelcol.processor.batch.default": "healthy",
        "otelcol.receiver.otlp.default": "healthy",
    });
    let profile = tempfile::tempdir().unwrap();
    let mut child = Command::new(node)
        .arg(browser_dir.join("ui.mjs"))
        .current_dir(&browser_dir)
        .env("SOLDER_URL", format!("http://{}", agent.addr))
        .env("SOLDER_CONFIG", &cfg)
        .env("SOLDER_EXPECTED", expected.to_string())
        .env("SOLDER_SCREENSHOTS", &shots)
        .env("SOLDER_CHROMIUM", &chromium)
        .env("SOLDER_PROFILE", profile.path())
        .spawn()
        .unwrap();
    // The script's own waits are generous; this only stops a wedged browser.
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > Duration::from_secs(600) {
            let _ = child.kill();
            panic!("the browser script did not finish\nagent logs:\n{}", agent.logs());
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "the browser script failed ({status}); screenshots in {}\nagent logs:\n{}", shots.display(), agent.logs());
    for name in ["components.png", "graph.png", "component.png", "live.png", "graph-banner.png", "config-failed.png", "config.png"] {
        assert!(shots.join(name).is_file(), "{name} was saved");
    }
    drop(taken);
}
