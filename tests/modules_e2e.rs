//! Modules in a running agent, end to end: a receiver in the main config
//! sends to a custom component imported from a module file, whose exporter
//! sends to the OTLP sink; spans from the OpenTelemetry Python SDK reach
//! the sink. Editing the module reloads only its components; breaking it
//! keeps the last good graph running and names the module file, line and
//! column. A module reached through a symlink reloads when its target is
//! edited.

mod support;

use std::path::Path;

use serde_json::{json, Value};
use support::peers::{read_jsonl, run_seed_app, start_sink};
use support::{free_port, replace_file, Agent};

const BATCH: &str = "mods.pipeline.default/otelcol.processor.batch.default";
const EXPORTER: &str = "mods.pipeline.default/otelcol.exporter.otlp.sink";

fn main_config(grpc: u16) -> String {
    format!(
        r#"import.file "mods" {{
	filename = file.path_join(module_path, "modules", "pipeline.alloy")
}}

otelcol.receiver.otlp "default" {{
	grpc {{
		endpoint = "127.0.0.1:{grpc}"
	}}
	output {{
		traces = [mods.pipeline.default.input]
	}}
}}

mods.pipeline "default" {{
	endpoint = sys.env("SINK_ENDPOINT")
}}
"#
    )
}

/// The module: batch → OTLP exporter, its endpoint an argument.
fn module(timeout: &str) -> String {
    format!(
        r#"declare "pipeline" {{
	argument "endpoint" {{
		comment = "Where the exporter sends."
	}}

	otelcol.processor.batch "default" {{
		timeout = "{timeout}"
		output {{
			traces = [otelcol.exporter.otlp.sink.input]
		}}
	}}

	otelcol.exporter.otlp "sink" {{
		client {{
			endpoint = argument.endpoint.value
			tls {{
				insecure = true
			}}
		}}
	}}

	export "input" {{
		value = otelcol.processor.batch.default.input
	}}
}}
"#
    )
}

fn instances(agent: &Agent) -> Vec<(String, Value)> {
    let list = agent.json("/api/v0/web/components");
    list.as_array().unwrap().iter().map(|c| (c["id"].as_str().unwrap().to_string(), c["instance"].clone())).collect()
}

fn send_spans(python: &Path, grpc: u16, dir: &Path, round: u32) {
    let record = dir.join(format!("app-{round}.jsonl"));
    let status = run_seed_app(python, "grpc", &format!("http://127.0.0.1:{grpc}"), &record, 10);
    assert!(status.success(), "the seed app failed");
}

#[test]
fn a_pipeline_from_a_module_carries_spans_reloads_alone_and_survives_a_broken_edit() {
    let python = support::python();
    let dir = tempfile::tempdir().unwrap();
    let sink = start_sink(&python, dir.path(), 0);
    let grpc = free_port();
    std::fs::create_dir(dir.path().join("modules")).unwrap();
    let module_file = dir.path().join("modules/pipeline.alloy");
    std::fs::write(&module_file, module("100ms")).unwrap();
    let main = dir.path().join("main.alloy");
    std::fs::write(&main, main_config(grpc)).unwrap();
    let endpoint = format!("127.0.0.1:{}", sink.port);
    let agent = Agent::start_with_env(&[&main.display().to_string()], &[("SINK_ENDPOINT", &endpoint)]);
    agent.wait_for("readiness", || agent.get("/-/ready").0 == 200);

    let before = instances(&agent);
    let ids: Vec<&str> = before.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, ["import.file.mods", "mods.pipeline.default", EXPORTER, BATCH, "otelcol.receiver.otlp.default"], "Alloy's module-path IDs");
    let batch = agent.component(BATCH);
    assert_eq!(batch["localID"], "otelcol.processor.batch.default");
    assert_eq!(batch["moduleID"], "mods.pipeline.default");
    assert_eq!(agent.component("mods.pipeline.default")["health"]["state"], "healthy");

    send_spans(&python, grpc, dir.path(), 1);
    agent.wait_for("30 spans at the sink", || read_jsonl(&sink.record).len() == 30);
    let receiver = agent.component("otelcol.receiver.otlp.default");
    assert_eq!(receiver["dataFlowEdgesTo"], json!([BATCH]), "the receiver sends into the module's batch processor");
    assert_eq!(agent.component(BATCH)["dataFlowEdgesTo"], json!([EXPORTER]));
    // The top level's graph draws the instance as one node that the
    // receiver sends to; the module's graph opens it.
    let top = agent.json("/api/v0/web/graph?module=");
    let nodes: Vec<&str> = top["nodes"].as_array().unwrap().iter().map(|n| n["id"].as_str().unwrap()).collect();
    assert_eq!(nodes.len(), 3, "{nodes:?}");
    for id in ["import.file.mods", "mods.pipeline.default", "otelcol.receiver.otlp.default"] {
        assert!(nodes.contains(&id), "{nodes:?}");
    }
    let flows = |g: &Value| -> Vec<(String, String)> {
        g["edges"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["type"] == "dataFlow")
            .map(|e| (e["from"].as_str().unwrap().into(), e["to"].as_str().unwrap().into()))
            .collect()
    };
    assert_eq!(flows(&top), [("otelcol.receiver.otlp.default".to_string(), "mods.pipeline.default".to_string())]);
    let inside = agent.json("/api/v0/web/graph?module=mods.pipeline.default");
    let nodes: Vec<&str> = inside["nodes"].as_array().unwrap().iter().map(|n| n["id"].as_str().unwrap()).collect();
    assert_eq!(nodes.len(), 2, "{nodes:?}");
    assert_eq!(flows(&inside), [(BATCH.to_string(), EXPORTER.to_string())]);
    let (code, page) = agent.get("/graph?module=mods.pipeline.default");
    assert_eq!(code, 200);
    assert!(page.contains("Module <a") && page.contains(BATCH), "the module's graph page draws its components");
    let (code, page) = agent.get(&format!("/component/{}", BATCH.replace('/', "%2F")));
    assert_eq!(code, 200, "{page}");
    assert!(page.contains("<h1>mods.pipeline.default/otelcol.processor.batch.default</h1>"), "{page}");
    let (code, page) = agent.get("/component/mods.pipeline.default");
    assert_eq!(code, 200);
    assert!(page.contains("Module graph"), "an instance's page opens its module graph");

    // An edit of the module reloads it alone, in place.
    replace_file(&module_file, &module("200ms"));
    agent.wait_for("the module reload", || agent.json("/api/v0/web/status")["lastReload"]["trigger"] == "module");
    let status = agent.json("/api/v0/web/status");
    assert_eq!(status["lastReload"]["success"], true, "{status}");
    assert_eq!(status["lastReload"]["changes"]["updated"], json!([BATCH]), "{status}");
    assert_eq!(status["lastReload"]["changes"]["added"], json!([]));
    assert_eq!(status["lastReload"]["changes"]["removed"], json!([]));
    assert_eq!(instances(&agent), before, "every component kept its build: the batch processor was updated in place");
    assert_eq!(agent.component(BATCH)["arguments"]["timeout"], "200ms");
    send_spans(&python, grpc, dir.path(), 2);
    agent.wait_for("60 spans at the sink", || read_jsonl(&sink.record).len() == 60);

    // A broken module keeps the last good graph and says where it broke.
    let broken = module("200ms").replace("traces = [otelcol.exporter.otlp.sink.input]", "traces = [otelcol.exporter.otlp.sink.input");
    replace_file(&module_file, &broken);
    agent.wait_for("the failed reload", || agent.json("/api/v0/web/status")["lastReload"]["success"] == false);
    let status = agent.json("/api/v0/web/status");
    let d = &status["lastReload"]["diagnostics"][0];
    assert_eq!(d["message"], "missing ',' in expression list", "{d}");
    assert!(d["file"].as_str().unwrap().ends_with("modules/pipeline.alloy"), "{d}");
    assert_eq!((d["line"].as_u64(), d["column"].as_u64()), (Some(9), Some(46)), "{d}");
    assert!(status["banner"].as_str().unwrap().contains("pipeline.alloy:9:46"), "{status}");
    assert_eq!(instances(&agent), before, "the last good graph still runs");
    send_spans(&python, grpc, dir.path(), 3);
    agent.wait_for("90 spans at the sink", || read_jsonl(&sink.record).len() == 90);

    // Repairing it is seen too.
    replace_file(&module_file, &module("300ms"));
    agent.wait_for("the repaired module", || agent.component(BATCH)["arguments"]["timeout"] == "300ms");
    assert_eq!(agent.json("/api/v0/web/status")["lastReload"]["success"], true);
}

#[cfg(unix)]
#[test]
fn a_module_behind_a_symlink_reloads_when_its_target_is_edited() {
    let dir = tempfile::tempdir().unwrap();
    let shared = dir.path().join("shared");
    let conf = dir.path().join("conf");
    std::fs::create_dir_all(&shared).unwrap();
    std::fs::create_dir_all(&conf).unwrap();
    let module = |text: &str| format!("declare \"greeting\" {{\n\texport \"text\" {{\n\t\tvalue = \"{text}\"\n\t}}\n}}\n");
    let target = shared.join("greeting.alloy");
    std::fs::write(&target, module("v1")).unwrap();
    std::os::unix::fs::symlink(&target, conf.join("greeting.alloy")).unwrap();
    let main = conf.join("main.alloy");
    std::fs::write(&main, "import.file \"mods\" {\n\tfilename = file.path_join(module_path, \"greeting.alloy\")\n}\n\nmods.greeting \"hello\" { }\n").unwrap();
    let agent = Agent::start(&[&main.display().to_string()]);
    agent.wait_for("readiness", || agent.get("/-/ready").0 == 200);
    let text = || agent.component("mods.greeting.hello")["exports"]["text"].as_str().unwrap_or_default().to_string();
    assert_eq!(text(), "v1");

    // A plain write of the target, in a directory nothing else watches.
    std::fs::write(&target, module("v2")).unwrap();
    agent.wait_for("the edit of the link's target", || text() == "v2");
    // And a rename over it, as editors save.
    replace_file(&target, &module("v3"));
    agent.wait_for("the target replaced by a rename", || text() == "v3");
    assert_eq!(agent.json("/api/v0/web/status")["lastReload"]["trigger"], "module");
}

/// A declare whose export is `text`, as a module file.
fn greeting(text: &str) -> String {
    format!("declare \"greeting\" {{\n\texport \"text\" {{\n\t\tvalue = \"{text}\"\n\t}}\n}}\n")
}

/// Serves the file at `path` to GET requests carrying `X-Token: t0ken`
/// (others get 403), whatever it holds at the time (404 while it is
/// missing).
fn serve_file(path: std::path::PathBuf) -> u16 {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).is_ok_and(|n| n == 1) {
                head.push(byte[0]);
            }
            let allowed = String::from_utf8_lossy(&head).lines().any(|l| l.eq_ignore_ascii_case("x-token: t0ken"));
            let (status, body) = match (allowed, std::fs::read_to_string(&path)) {
                (false, _) => ("403 Forbidden", String::new()),
                (true, Ok(body)) => ("200 OK", body),
                (true, Err(_)) => ("404 Not Found", String::new()),
            };
            let _ = write!(stream, "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
        }
    });
    port
}

#[test]
fn an_http_module_is_polled_and_its_change_reloads() {
    let dir = tempfile::tempdir().unwrap();
    let served = dir.path().join("served.alloy");
    std::fs::write(&served, greeting("v1")).unwrap();
    let port = serve_file(served.clone());
    let main = dir.path().join("main.alloy");
    let config = format!(
        "import.http \"remote\" {{\n\turl            = \"http://127.0.0.1:{port}/greeting.alloy\"\n\theaders        = {{ \"X-Token\" = \"t0ken\" }}\n\tpoll_frequency = \"200ms\"\n}}\n\nremote.greeting \"hello\" {{ }}\n"
    );
    std::fs::write(&main, config).unwrap();
    let agent = Agent::start(&[&main.display().to_string()]);
    agent.wait_for("readiness", || agent.get("/-/ready").0 == 200);
    let text = || agent.component("remote.greeting.hello")["exports"]["text"].as_str().unwrap_or_default().to_string();
    assert_eq!(text(), "v1");
    std::fs::write(&served, greeting("v2")).unwrap();
    agent.wait_for("the polled change", || text() == "v2");
    assert_eq!(agent.json("/api/v0/web/status")["lastReload"]["trigger"], "module");
}

/// Runs git (the command line, to make commits for the test) in `dir`.
fn git(dir: &Path, args: &[&str]) {
    let out = std::process::Command::new("git")
        .args(["-c", "user.name=test", "-c", "user.email=test@example.com", "-c", "init.defaultBranch=main"])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the git command line");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn a_git_module_is_pulled_and_a_new_commit_reloads() {
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("work");
    std::fs::create_dir_all(work.join("modules")).unwrap();
    std::fs::write(work.join("modules/greeting.alloy"), greeting("v1")).unwrap();
    git(&work, &["init", "-q"]);
    git(&work, &["add", "."]);
    git(&work, &["commit", "-q", "-m", "v1"]);
    git(dir.path(), &["clone", "-q", "--bare", "work", "shared.git"]);
    git(&work, &["remote", "add", "origin", "../shared.git"]);

    let main = dir.path().join("main.alloy");
    let config = format!(
        "import.git \"shared\" {{\n\trepository     = {:?}\n\trevision       = \"main\"\n\tpath           = \"modules/greeting.alloy\"\n\tpull_frequency = \"200ms\"\n}}\n\nshared.greeting \"hello\" {{ }}\n",
        dir.path().join("shared.git").display().to_string()
    );
    std::fs::write(&main, config).unwrap();
    let agent = Agent::start(&[&main.display().to_string()]);
    agent.wait_for("readiness", || agent.get("/-/ready").0 == 200);
    let text = || agent.component("shared.greeting.hello")["exports"]["text"].as_str().unwrap_or_default().to_string();
    assert_eq!(text(), "v1");

    std::fs::write(work.join("modules/greeting.alloy"), greeting("v2")).unwrap();
    git(&work, &["commit", "-q", "-am", "v2"]);
    git(&work, &["push", "-q", "origin", "main"]);
    agent.wait_for("the pulled commit", || text() == "v2");
    assert_eq!(agent.json("/api/v0/web/status")["lastReload"]["trigger"], "module");
}

/// `solder validate` follows imports: a component argument that is wrong
/// inside a module file is reported at the module file's line and column.
#[test]
fn validate_follows_imports_into_module_files() {
    let dir = tempfile::tempdir().unwrap();
    let module_file = dir.path().join("pipeline.alloy");
    std::fs::write(&module_file, module("soon")).unwrap();
    let main = dir.path().join("main.alloy");
    std::fs::write(&main, main_config(free_port())).unwrap();
    std::fs::create_dir(dir.path().join("modules")).unwrap();
    std::fs::rename(&module_file, dir.path().join("modules/pipeline.alloy")).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_solder")).arg("validate").arg(&main).env("SINK_ENDPOINT", "127.0.0.1:4317").output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(r#"invalid duration "soon""#), "{stderr}");
    assert!(stderr.contains("modules/pipeline.alloy:7:13"), "{stderr}");

    std::fs::write(dir.path().join("modules/pipeline.alloy"), module("1s")).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_solder")).arg("validate").arg(&main).env("SINK_ENDPOINT", "127.0.0.1:4317").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
}

/// `detector = "poll"` reads the module again every `poll_frequency`.
#[test]
fn a_polled_module_file_reloads_on_the_next_poll() {
    let dir = tempfile::tempdir().unwrap();
    let module_file = dir.path().join("greeting.alloy");
    std::fs::write(&module_file, greeting("v1")).unwrap();
    let main = dir.path().join("main.alloy");
    let config = "import.file \"mods\" {\n\tfilename       = file.path_join(module_path, \"greeting.alloy\")\n\tdetector       = \"poll\"\n\tpoll_frequency = \"100ms\"\n}\n\nmods.greeting \"hello\" { }\n";
    std::fs::write(&main, config).unwrap();
    let agent = Agent::start(&[&main.display().to_string(), "--config.watch=true"]);
    agent.wait_for("readiness", || agent.get("/-/ready").0 == 200);
    let text = || agent.component("mods.greeting.hello")["exports"]["text"].as_str().unwrap_or_default().to_string();
    assert_eq!(text(), "v1");
    std::fs::write(&module_file, greeting("v2")).unwrap();
    agent.wait_for("the polled file", || text() == "v2");
    assert_eq!(agent.json("/api/v0/web/status")["lastReload"]["trigger"], "module");
}

/// `import.git` over smart HTTP: the agent clones from `git http-backend`
/// behind basic auth, a commit pushed over HTTP is picked up on the next
/// pull, and the password shows nowhere: not in the import's arguments in
/// the API, not on the config page.
#[test]
fn a_git_module_over_smart_http_with_basic_auth_picks_up_a_pushed_commit() {
    use support::git_http::{GitServer, Pusher};
    const PASSWORD: &str = "hunter2-git";
    let server = GitServer::start("alloy", PASSWORD);
    let pusher = Pusher::new(&server, "alloy", PASSWORD);
    pusher.push(&[("modules/greeting.alloy", &greeting("v1"))], "v1");

    let dir = tempfile::tempdir().unwrap();
    let main = dir.path().join("main.alloy");
    let config = format!(
        "import.git \"shared\" {{\n\trepository     = \"{}\"\n\tpath           = \"modules\"\n\tpull_frequency = \"200ms\"\n\tbasic_auth {{\n\t\tusername = \"alloy\"\n\t\tpassword = \"{PASSWORD}\"\n\t}}\n}}\n\nshared.greeting \"hello\" {{ }}\n",
        server.url()
    );
    std::fs::write(&main, config).unwrap();
    let agent = Agent::start(&[&main.display().to_string()]);
    agent.wait_for("readiness", || agent.get("/-/ready").0 == 200);
    let text = || agent.component("shared.greeting.hello")["exports"]["text"].as_str().unwrap_or_default().to_string();
    assert_eq!(text(), "v1");
    assert!(server.log().contains("git-upload-pack"), "fetched over smart HTTP:\n{}", server.log());

    let import = agent.component("import.git.shared");
    assert_eq!(import["name"], "import.git");
    assert_eq!(import["health"]["state"], "healthy", "{import}");
    assert_eq!(import["arguments"]["repository"], server.url());
    assert_eq!(import["arguments"]["basic_auth"][0]["password"], "(secret)", "{import}");
    for path in ["/api/v0/web/components", "/api/v0/web/status", "/config", "/component/import.git.shared"] {
        let (_, body) = agent.get(path);
        assert!(!body.contains(PASSWORD), "{path} shows the password");
    }

    pusher.push(&[("modules/greeting.alloy", &greeting("v2"))], "v2");
    agent.wait_for("the pushed commit", || text() == "v2");
    assert_eq!(agent.json("/api/v0/web/status")["lastReload"]["trigger"], "module");
}

/// An import's arguments may read other components' exports: the module
/// text is `local.file.module.content`, and editing that file reloads the
/// module. The import is listed as a component that reads the file.
#[test]
fn an_import_that_reads_a_components_exports_reloads_when_they_change() {
    let dir = tempfile::tempdir().unwrap();
    let module_file = dir.path().join("greeting.alloy");
    std::fs::write(&module_file, greeting("v1")).unwrap();
    let main = dir.path().join("main.alloy");
    let config = format!(
        "local.file \"module\" {{\n\tfilename       = {:?}\n\tdetector       = \"poll\"\n\tpoll_frequency = \"100ms\"\n}}\n\nimport.string \"mods\" {{\n\tcontent = local.file.module.content\n}}\n\nmods.greeting \"hello\" {{ }}\n",
        module_file.display().to_string()
    );
    std::fs::write(&main, config).unwrap();
    let agent = Agent::start(&[&main.display().to_string()]);
    agent.wait_for("readiness", || agent.get("/-/ready").0 == 200);
    let text = || agent.component("mods.greeting.hello")["exports"]["text"].as_str().unwrap_or_default().to_string();
    assert_eq!(text(), "v1");
    let import = agent.component("import.string.mods");
    assert_eq!(import["referencesTo"], json!(["local.file.module"]), "{import}");
    assert_eq!(agent.component("mods.greeting.hello")["referencesTo"], json!(["import.string.mods"]));

    std::fs::write(&module_file, greeting("v2")).unwrap();
    agent.wait_for("the module read from the new content", || text() == "v2");
    assert_eq!(agent.json("/api/v0/web/status")["lastReload"]["trigger"], "module");
}

/// Import blocks are listed as Alloy lists them: ID `import.http.remote`,
/// health, arguments; a fetch that fails marks the import unhealthy with
/// the error while the last good graph keeps running, and recovering
/// clears it.
#[test]
fn an_import_is_listed_with_its_health_and_a_failed_fetch_shows_on_it() {
    let dir = tempfile::tempdir().unwrap();
    let served = dir.path().join("served.alloy");
    std::fs::write(&served, greeting("v1")).unwrap();
    let port = serve_file(served.clone());
    let main = dir.path().join("main.alloy");
    let config = format!(
        "import.http \"remote\" {{\n\turl            = \"http://127.0.0.1:{port}/greeting.alloy\"\n\theaders        = {{ \"X-Token\" = \"t0ken\" }}\n\tpoll_frequency = \"200ms\"\n}}\n\nremote.greeting \"hello\" {{ }}\n"
    );
    std::fs::write(&main, config).unwrap();
    let agent = Agent::start(&[&main.display().to_string()]);
    agent.wait_for("readiness", || agent.get("/-/ready").0 == 200);
    let ids: Vec<String> = instances(&agent).into_iter().map(|(id, _)| id).collect();
    assert!(ids.contains(&"import.http.remote".to_string()), "{ids:?}");
    let import = agent.component("import.http.remote");
    assert_eq!(
        (import["name"].as_str(), import["label"].as_str(), import["localID"].as_str()),
        (Some("import.http"), Some("remote"), Some("import.http.remote"))
    );
    assert_eq!(import["health"]["state"], "healthy", "{import}");
    assert_eq!(import["arguments"]["url"], format!("http://127.0.0.1:{port}/greeting.alloy"));
    assert_eq!(import["arguments"]["headers"]["X-Token"], "(secret)", "headers are secrets, as in Alloy: {import}");
    let (code, page) = agent.get("/component/import.http.remote");
    assert_eq!(code, 200, "the import has a page of its own: {page}");

    std::fs::remove_file(&served).unwrap();
    agent.wait_for("the failed fetch on the import", || agent.component("import.http.remote")["health"]["state"] == "unhealthy");
    let message = agent.component("import.http.remote")["health"]["message"].as_str().unwrap().to_string();
    assert!(message.contains("failed to fetch module") && message.contains("404"), "{message}");
    assert_eq!(agent.component("remote.greeting.hello")["exports"]["text"], "v1", "the last good graph runs on");

    std::fs::write(&served, greeting("v2")).unwrap();
    agent.wait_for("the recovered import", || agent.component("remote.greeting.hello")["exports"]["text"] == "v2");
    assert_eq!(agent.component("import.http.remote")["health"]["state"], "healthy");
}

/// `solder validate` evaluates what import arguments read, as a load
/// does, and reports a cycle through an import's arguments.
#[test]
fn validate_evaluates_import_arguments_and_reports_their_cycles() {
    let dir = tempfile::tempdir().unwrap();
    let module_file = dir.path().join("greeting.alloy");
    std::fs::write(&module_file, greeting("v1")).unwrap();
    let validate = |config: &str| {
        let main = dir.path().join("main.alloy");
        std::fs::write(&main, config).unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_solder")).arg("validate").arg(&main).output().unwrap();
        (out.status.code(), String::from_utf8_lossy(&out.stderr).to_string())
    };
    let good = format!(
        "local.file \"module\" {{\n\tfilename = {:?}\n}}\n\nimport.string \"mods\" {{\n\tcontent = local.file.module.content\n}}\n\nmods.greeting \"hello\" {{ }}\n",
        module_file.display().to_string()
    );
    let (code, stderr) = validate(&good);
    assert_eq!(code, Some(0), "{stderr}");
    let cycle = "import.string \"m\" {\n\tcontent = local.file.f.content\n}\n\nlocal.file \"f\" {\n\tfilename = m.path.p.file\n}\n\nm.path \"p\" { }\n";
    let (code, stderr) = validate(cycle);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("cycle detected: import.string.m -> local.file.f -> m.path.p -> import.string.m"), "{stderr}");
}

/// The same over HTTPS: the agent verifies the server's certificate
/// (trusted here through `SSL_CERT_FILE`, as a system's store would be)
/// with rustls, and refuses it when it is not trusted.
#[test]
fn a_git_module_over_https_is_fetched_with_a_verified_certificate() {
    use support::git_http::{GitServer, Pusher};
    let (server, cert) = GitServer::start_tls("alloy", "pw");
    Pusher::new(&server, "alloy", "pw").push(&[("modules/greeting.alloy", &greeting("tls"))], "tls");
    let dir = tempfile::tempdir().unwrap();
    let main = dir.path().join("main.alloy");
    let config = format!(
        "import.git \"shared\" {{\n\trepository = \"{}\"\n\tpath       = \"modules\"\n\tbasic_auth {{\n\t\tusername = \"alloy\"\n\t\tpassword = \"pw\"\n\t}}\n}}\n\nshared.greeting \"hello\" {{ }}\n",
        server.url()
    );
    std::fs::write(&main, config).unwrap();
    assert!(server.url().starts_with("https://"));

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_solder")).arg("validate").arg(&main).env("SSL_CERT_FILE", "/nonexistent").output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "an untrusted certificate is refused: {stderr}");
    assert!(stderr.contains("failed to fetch"), "{stderr}");

    let agent = Agent::start_with_env(&[&main.display().to_string()], &[("SSL_CERT_FILE", &cert.display().to_string())]);
    agent.wait_for("readiness", || agent.get("/-/ready").0 == 200);
    assert_eq!(agent.component("shared.greeting.hello")["exports"]["text"], "tls");
}
