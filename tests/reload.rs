//! Hot reload of a running `solder run`, as a user or Kubernetes drives it:
//! editing the file, a ConfigMap's `..data` symlink swap, SIGHUP and
//! POST /-/reload; and what happens when the new config is broken.

mod support;

use std::path::Path;

use support::{replace_file, Agent};

/// Two `local.file` components reading two data files.
fn config(dir: &Path, b_file: &str) -> String {
    format!(
        "local.file \"a\" {{\n\tfilename = {:?}\n}}\n\nlocal.file \"b\" {{\n\tfilename = {:?}\n}}\n",
        dir.join("a.txt").display().to_string(),
        dir.join(b_file).display().to_string()
    )
}

fn setup() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in [("a.txt", "alpha"), ("b.txt", "bravo"), ("c.txt", "charlie")] {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let cfg = dir.path().join("config.alloy");
    std::fs::write(&cfg, config(dir.path(), "b.txt")).unwrap();
    (dir, cfg)
}

/// A component's `content` export; empty while it does not exist yet (the
/// HTTP server answers before the first load has finished).
fn content(agent: &Agent, id: &str) -> String {
    let (code, body) = agent.get(&format!("/api/v0/web/components/{id}"));
    if code == 404 {
        return String::new();
    }
    assert_eq!(code, 200, "GET {id}: {body}");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{id}: {e}: {body}"));
    json["exports"]["content"].as_str().unwrap_or_default().to_string()
}

#[test]
fn editing_the_file_updates_the_running_graph_without_a_restart() {
    let (dir, cfg) = setup();
    let agent = Agent::start(&[&cfg.display().to_string()]);
    agent.wait_for("first load", || agent.get("/-/ready").0 == 200);
    let pid = agent.pid();
    let a_before = agent.component("local.file.a");
    let b_before = agent.component("local.file.b");
    assert_eq!(content(&agent, "local.file.b"), "bravo");

    replace_file(&cfg, &config(dir.path(), "c.txt"));
    let took = agent.wait_for("b to read c.txt", || content(&agent, "local.file.b") == "charlie");
    eprintln!("edit visible through the API after {took:?}");

    assert_eq!(agent.pid(), pid, "same process");
    let a_after = agent.component("local.file.a");
    assert_eq!(a_after["instance"], a_before["instance"], "the unchanged component was not rebuilt");
    assert_eq!(a_after["startedTime"], a_before["startedTime"]);
    let b_after = agent.component("local.file.b");
    assert_eq!(b_after["instance"], b_before["instance"], "the changed component was updated in place");
    let status = agent.json("/api/v0/web/status");
    assert_eq!(status["lastReload"]["trigger"], "file");
    assert_eq!(status["lastReload"]["changes"]["updated"], serde_json::json!(["local.file.b"]));
    assert_eq!(status["lastReload"]["changes"]["unchanged"], serde_json::json!(["local.file.a"]));
}

#[test]
fn a_broken_edit_keeps_the_old_graph_serving_and_says_why() {
    let (dir, cfg) = setup();
    let agent = Agent::start(&[&cfg.display().to_string()]);
    agent.wait_for("first load", || agent.get("/-/ready").0 == 200);
    let before = agent.json("/api/v0/web/components");

    let broken = config(dir.path(), "c.txt").replace("filename = ", "filename = [1 2] + ");
    replace_file(&cfg, &broken);
    agent.wait_for("the failed reload", || agent.json("/api/v0/web/status")["lastReload"]["success"] == false);

    let status = agent.json("/api/v0/web/status");
    let d = &status["lastReload"]["diagnostics"][0];
    assert_eq!(d["message"], "missing ',' in expression list");
    assert_eq!((d["line"].as_u64(), d["column"].as_u64()), (Some(2), Some(16)));
    assert!(d["rendered"].as_str().unwrap().contains("config.alloy:2:16"), "{d}");
    assert_eq!(agent.json("/api/v0/web/components"), before, "the running graph is exactly as it was");
    assert_eq!(content(&agent, "local.file.b"), "bravo");
    assert_eq!(agent.get("/-/ready").0, 200, "still ready: the old config is serving");
    let (_, metrics) = agent.get("/metrics");
    assert!(metrics.contains("solder_config_last_load_successful 0\n"), "{metrics}");
    assert!(metrics.contains("solder_config_load_failures_total 1\n"), "{metrics}");
    assert!(agent.logs().contains("missing ',' in expression list"), "the rendered diagnostic is logged");

    // Fixing the file recovers.
    replace_file(&cfg, &config(dir.path(), "c.txt"));
    agent.wait_for("the fixed reload", || content(&agent, "local.file.b") == "charlie");
    let (_, metrics) = agent.get("/metrics");
    assert!(metrics.contains("solder_config_last_load_successful 1\n"), "{metrics}");
}

/// A ConfigMap volume: `config.alloy -> ..data/config.alloy`, and an update
/// swaps the `..data` symlink to a new directory in one rename.
#[test]
fn kubernetes_configmap_symlink_swap_is_caught() {
    let (dir, _) = setup();
    let mount = dir.path().join("mount");
    std::fs::create_dir_all(mount.join("..2026_11_22_01")).unwrap();
    std::fs::write(mount.join("..2026_11_22_01/config.alloy"), config(dir.path(), "b.txt")).unwrap();
    std::os::unix::fs::symlink("..2026_11_22_01", mount.join("..data")).unwrap();
    std::os::unix::fs::symlink("..data/config.alloy", mount.join("config.alloy")).unwrap();

    let agent = Agent::start(&[&mount.join("config.alloy").display().to_string()]);
    agent.wait_for("first load", || agent.get("/-/ready").0 == 200);
    assert_eq!(content(&agent, "local.file.b"), "bravo");

    std::fs::create_dir_all(mount.join("..2026_11_22_02")).unwrap();
    std::fs::write(mount.join("..2026_11_22_02/config.alloy"), config(dir.path(), "c.txt")).unwrap();
    std::os::unix::fs::symlink("..2026_11_22_02", mount.join("..data_tmp")).unwrap();
    std::fs::rename(mount.join("..data_tmp"), mount.join("..data")).unwrap();
    std::fs::remove_dir_all(mount.join("..2026_11_22_01")).unwrap();

    agent.wait_for("the swapped config", || content(&agent, "local.file.b") == "charlie");
}

/// With the watcher off, only an explicit reload picks up a change.
#[test]
fn sighup_and_post_reload() {
    let (dir, _) = setup();
    let elsewhere = dir.path().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let real = elsewhere.join("real.alloy");
    std::fs::write(&real, config(dir.path(), "b.txt")).unwrap();
    let watched = dir.path().join("watched");
    std::fs::create_dir_all(&watched).unwrap();
    std::os::unix::fs::symlink(&real, watched.join("config.alloy")).unwrap();

    let agent = Agent::start(&[&watched.join("config.alloy").display().to_string(), "--config.watch=false"]);
    agent.wait_for("first load", || agent.get("/-/ready").0 == 200);

    std::fs::write(&real, config(dir.path(), "c.txt")).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert_eq!(content(&agent, "local.file.b"), "bravo", "no watcher, no reload");
    let status = std::process::Command::new("kill").args(["-HUP", &agent.pid().to_string()]).status().unwrap();
    assert!(status.success());
    agent.wait_for("the SIGHUP reload", || content(&agent, "local.file.b") == "charlie");
    assert_eq!(agent.json("/api/v0/web/status")["lastReload"]["trigger"], "sighup");

    std::fs::write(&real, config(dir.path(), "b.txt")).unwrap();
    assert_eq!(agent.get("/-/reload").0, 405, "reload takes POST only");
    let (code, body) = agent.post("/-/reload");
    assert_eq!((code, body.as_str()), (200, "config reloaded\n"));
    assert_eq!(content(&agent, "local.file.b"), "bravo");

    std::fs::write(&real, "local.file \"a\" {\n}\n").unwrap();
    let (code, body) = agent.post("/-/reload");
    assert_eq!(code, 400);
    assert!(body.contains(r#"missing required attribute "filename""#), "{body}");
}

/// `/etc/solder/config.alloy -> /srv/configs/agent.alloy`: the target is
/// edited where it is, by a plain write and by an editor's rename over it,
/// and then the link is pointed at another file, whose later edits count.
#[test]
fn a_symlinked_config_reloads_when_its_target_changes() {
    let (dir, _) = setup();
    let srv = dir.path().join("srv/configs");
    std::fs::create_dir_all(&srv).unwrap();
    let target = srv.join("agent.alloy");
    std::fs::write(&target, config(dir.path(), "b.txt")).unwrap();
    let etc = dir.path().join("etc/solder");
    std::fs::create_dir_all(&etc).unwrap();
    std::os::unix::fs::symlink(&target, etc.join("config.alloy")).unwrap();

    let agent = Agent::start(&[&etc.join("config.alloy").display().to_string()]);
    agent.wait_for("first load", || agent.get("/-/ready").0 == 200);
    assert_eq!(content(&agent, "local.file.b"), "bravo");

    std::fs::write(&target, config(dir.path(), "c.txt")).unwrap();
    agent.wait_for("the written target", || content(&agent, "local.file.b") == "charlie");
    replace_file(&target, &config(dir.path(), "b.txt"));
    agent.wait_for("the renamed-over target", || content(&agent, "local.file.b") == "bravo");

    // A relative link, two hops: config.alloy -> current.alloy -> ../v2/agent.alloy.
    let v2 = dir.path().join("srv/v2");
    std::fs::create_dir_all(&v2).unwrap();
    std::fs::write(v2.join("agent.alloy"), config(dir.path(), "c.txt")).unwrap();
    std::os::unix::fs::symlink("../v2/agent.alloy", srv.join("current.alloy")).unwrap();
    std::os::unix::fs::symlink(srv.join("current.alloy"), etc.join("next.alloy")).unwrap();
    std::fs::rename(etc.join("next.alloy"), etc.join("config.alloy")).unwrap();
    agent.wait_for("the retargeted link", || content(&agent, "local.file.b") == "charlie");
    std::fs::write(v2.join("agent.alloy"), config(dir.path(), "b.txt")).unwrap();
    agent.wait_for("an edit at the new target", || content(&agent, "local.file.b") == "bravo");
    assert_eq!(agent.json("/api/v0/web/status")["lastReload"]["trigger"], "file");
}

/// `local.file` through a link: an edit of the target is seen by its
/// watcher, well before its one-minute poll.
#[test]
fn local_file_follows_its_link_to_the_target() {
    let (dir, _) = setup();
    let real = dir.path().join("secrets/token");
    std::fs::create_dir_all(real.parent().unwrap()).unwrap();
    std::fs::write(&real, "one").unwrap();
    let link = dir.path().join("token");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let cfg = dir.path().join("config.alloy");
    std::fs::write(&cfg, format!("local.file \"b\" {{\n\tfilename = {:?}\n}}\n", link.display().to_string())).unwrap();
    let agent = Agent::start(&[&cfg.display().to_string()]);
    agent.wait_for("first load", || content(&agent, "local.file.b") == "one");
    std::fs::write(&real, "two").unwrap();
    agent.wait_for("the edited target", || content(&agent, "local.file.b") == "two");
    replace_file(&real, "three");
    agent.wait_for("the renamed-over target", || content(&agent, "local.file.b") == "three");
}

#[test]
fn readiness_waits_for_a_good_config_and_health_names_the_unhealthy() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.alloy");
    std::fs::write(&cfg, "local.file \"x\" {\n\tfilename = 42\n}\n").unwrap();
    let agent = Agent::start(&[&cfg.display().to_string()]);
    // The HTTP server answers before the first load has finished.
    agent.wait_for("the first load", || !agent.json("/api/v0/web/status")["lastReload"].is_null());
    assert_eq!(agent.get("/-/ready"), (503, "Solder is not ready.\n".to_string()));
    let status = agent.json("/api/v0/web/status");
    assert_eq!(status["lastReload"]["diagnostics"][0]["message"], r#""filename" should be string, got number"#);

    replace_file(&cfg, "local.file \"missing\" {\n\tfilename = \"/nonexistent/file\"\n}\n");
    agent.wait_for("readiness", || agent.get("/-/ready").0 == 200);
    let (code, body) = agent.get("/-/healthy");
    assert_eq!((code, body.as_str()), (500, "unhealthy components: local.file.missing\n"));
    let c = agent.component("local.file.missing");
    assert_eq!(c["health"]["state"], "unhealthy");
    assert!(c["health"]["message"].as_str().unwrap().contains("cannot read /nonexistent/file"));
    let (_, metrics) = agent.get("/metrics");
    assert!(metrics.contains("solder_component_controller_running_components{health_type=\"unhealthy\"} 1\n"), "{metrics}");
    assert!(metrics.contains("solder_config_hash{sha256=\""), "{metrics}");
    assert!(metrics.contains("solder_build_info{version=\""), "{metrics}");
}

#[test]
fn graph_errors_reach_the_api_with_their_diagnostics() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.alloy");
    let cases = [
        (
            "local.file \"a\" {\n\tfilename = local.file.b.content\n}\nlocal.file \"b\" {\n\tfilename = local.file.a.content\n}\n",
            "cycle detected: local.file.a -> local.file.b -> local.file.a",
        ),
        ("local.fil \"a\" {\n\tfilename = \"x\"\n}\n", r#"cannot find the definition of component name "local.fil""#),
        ("local.file \"a\" {\n\tfilename = local.file.zz.content\n}\n", r#"component "local.file.zz.content" does not exist or is out of scope"#),
        ("local.file \"a\" {\n\tfilename = \"x\"\n}\nlocal.file \"a\" {\n\tfilename = \"y\"\n}\n", "block local.file.a already declared at"),
    ];
    std::fs::write(&cfg, cases[0].0).unwrap();
    let agent = Agent::start(&[&cfg.display().to_string()]);
    for (src, message) in cases {
        replace_file(&cfg, src);
        let (code, body) = agent.post("/-/reload");
        assert_eq!(code, 400, "{src}");
        assert!(body.contains(message), "{body}");
        let status = agent.json("/api/v0/web/status");
        assert!(status["lastReload"]["diagnostics"][0]["message"].as_str().unwrap().contains(message));
    }
}

#[test]
fn the_logging_block_applies_live() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.alloy");
    std::fs::write(&cfg, "logging {\n\tlevel = \"info\"\n}\n").unwrap();
    let agent = Agent::start(&[&cfg.display().to_string()]);
    agent.wait_for("first load", || agent.get("/-/ready").0 == 200);
    replace_file(&cfg, "logging {\n\tformat = \"json\"\n}\nlocal.file \"a\" {\n\tfilename = \"/nonexistent\"\n}\n");
    agent.wait_for("a JSON log line", || agent.logs().lines().any(|l| l.starts_with('{') && l.contains("\"config loaded\"")));

    replace_file(&cfg, "logging {\n\tlevel = \"loud\"\n}\n");
    agent.wait_for("the rejected level", || agent.json("/api/v0/web/status")["lastReload"]["success"] == false);
    let status = agent.json("/api/v0/web/status");
    assert!(status["lastReload"]["error"].as_str().unwrap().contains(r#"invalid value "loud""#), "{status}");
}

/// Renaming a listener's label frees its port for the new component in the
/// same reload (Alloy needs two: grafana/alloy#5448). The old component is
/// stopped before the new one starts, so the new one binds at its first
/// try: a receiver that cannot bind says so in the log and retries every
/// 5 s, and that would also end healthy, so the log must say nothing of it.
#[test]
fn renaming_a_listener_moves_its_port_in_one_reload() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.alloy");
    let port = support::free_port();
    let receiver = |label: &str| format!("otelcol.receiver.otlp {label:?} {{\n\thttp {{\n\t\tendpoint = \"127.0.0.1:{port}\"\n\t}}\n\toutput {{ }}\n}}\n");
    std::fs::write(&cfg, receiver("old")).unwrap();
    let agent = Agent::start(&[&cfg.display().to_string()]);
    agent
        .wait_for("the receiver to listen", || agent.get("/-/healthy").0 == 200 && support::request(&format!("127.0.0.1:{port}"), "GET", "/v1/traces").is_ok());

    replace_file(&cfg, &receiver("new"));
    agent.wait_for("the renamed receiver", || {
        agent.json("/api/v0/web/status")["lastReload"]["changes"]["added"] == serde_json::json!(["otelcol.receiver.otlp.new"])
    });
    agent.wait_for("the new receiver to be healthy", || agent.component("otelcol.receiver.otlp.new")["health"]["state"] == "healthy");
    let status = agent.json("/api/v0/web/status");
    assert_eq!(status["lastReload"]["changes"]["removed"], serde_json::json!(["otelcol.receiver.otlp.old"]));
    let (code, _) = support::request(&format!("127.0.0.1:{port}"), "GET", "/v1/traces").unwrap();
    assert_eq!(code, 405, "the port answers as an OTLP receiver (GET is not allowed)");
    assert_eq!(agent.get("/-/healthy").0, 200);
    let new = agent.component("otelcol.receiver.otlp.new");
    assert_eq!(new["debugInfo"]["http"]["listening"], format!("127.0.0.1:{port}").as_str(), "{new}");
    let logs = agent.logs();
    assert!(!logs.contains("cannot listen on"), "the new receiver found its port taken and got it on a retry, not in the reload:\n{logs}");
}
