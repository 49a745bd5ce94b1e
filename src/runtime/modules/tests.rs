//! Runs every case of `tests/modules/` (see its README): each folder's
//! `main.alloy` is loaded and applied, and the outcome compared with the
//! case's `expect.txt`.

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use solder_components::Registry;
use solder_syntax::SourceFile;

use crate::runtime::{load, Controller};

const CASES: &str = "tests/modules";

/// What a case expects, parsed from `expect.txt`.
#[derive(Default, Debug)]
struct Expect {
    components: BTreeSet<String>,
    exports: Vec<(String, String)>,
    reads: Vec<(String, String)>,
    flows: Vec<(String, String)>,
    errors: Vec<String>,
}

fn expectations(dir: &Path) -> Expect {
    let text = std::fs::read_to_string(dir.join("expect.txt")).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let mut e = Expect::default();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let (kind, rest) = line.split_once(' ').unwrap_or((line, ""));
        match kind {
            "component" => {
                e.components.insert(rest.to_string());
            }
            "exports" => {
                let (id, value) = rest.split_once(" = ").unwrap_or_else(|| panic!("bad line {line:?}"));
                e.exports.push((id.to_string(), value.to_string()));
            }
            "reads" => {
                let (a, b) = rest.split_once(" -> ").unwrap_or_else(|| panic!("bad line {line:?}"));
                e.reads.push((a.to_string(), b.to_string()));
            }
            "flow" => {
                let (a, b) = rest.split_once(" -> ").unwrap_or_else(|| panic!("bad line {line:?}"));
                e.flows.push((a.to_string(), b.to_string()));
            }
            "error" => e.errors.push(rest.to_string()),
            other => panic!("{}: unknown expectation {other:?}", dir.display()),
        }
    }
    e
}

/// A diagnostic as `FILE:LINE:COL: MESSAGE`, with only the file's own name.
fn error_line(d: &solder_syntax::Diagnostic) -> String {
    let Some(src) = &d.source else { return d.message.clone() };
    let (line, col) = src.line_col(d.span.start);
    let file = Path::new(&src.name).file_name().map(|f| f.to_string_lossy().to_string()).unwrap_or_default();
    format!("{file}:{line}:{col}: {}", d.message)
}

async fn run_case(dir: &Path, http: &str) -> Result<(), String> {
    let mut text = std::fs::read_to_string(dir.join("main.alloy")).map_err(|e| e.to_string())?;
    let _repo;
    if text.contains("${GIT}") {
        let (tmp, bare) = git_repo(&dir.join("repo"));
        text = text.replace("${GIT}", &bare.display().to_string());
        _repo = tmp;
    }
    let case = dir.file_name().map(|f| f.to_string_lossy().to_string()).unwrap_or_default();
    text = text.replace("${HTTP}", &format!("{http}/{case}"));
    let expect = expectations(dir);
    let main = SourceFile::new(dir.join("main.alloy").display().to_string(), text);
    let storage = tempfile::tempdir().map_err(|e| e.to_string())?;
    let controller = Controller::new(Registry::builtin(), storage.path().into());
    let applied = match controller.load(vec![main]) {
        Ok(cfg) => controller.apply(cfg).await.map(|_| ()),
        Err(d) => Err(d),
    };
    let errors: Vec<String> = match &applied {
        Ok(()) => Vec::new(),
        Err(d) => d.iter().map(error_line).collect(),
    };
    if errors != expect.errors {
        return Err(format!("errors:\n  got      {errors:?}\n  expected {:?}", expect.errors));
    }
    if applied.is_err() {
        return Ok(());
    }
    let (ids, exports, reads) = controller.inspect(|nodes| {
        let ids: BTreeSet<String> = nodes.iter().map(|n| n.decl.id.clone()).collect();
        let exports: Vec<(String, String)> = nodes.iter().map(|n| (n.decl.id.clone(), n.shown_exports().to_string())).collect();
        let reads: Vec<(String, String)> = nodes.iter().flat_map(|n| n.references().into_iter().map(|r| (n.decl.id.clone(), r))).collect();
        (ids, exports, reads)
    });
    let flows: Vec<(String, String)> = controller.flow().edges().into_iter().map(|e| (e.from, e.to)).collect();
    controller.shutdown().await;
    for edge in &expect.flows {
        if !flows.contains(edge) {
            return Err(format!("no telemetry edge {} -> {}; edges: {flows:?}", edge.0, edge.1));
        }
    }
    if ids != expect.components {
        return Err(format!("components:\n  got      {ids:?}\n  expected {:?}", expect.components));
    }
    for (id, value) in &expect.exports {
        let got = exports.iter().find(|(i, _)| i == id).map(|(_, v)| v.clone());
        if got.as_deref() != Some(value.as_str()) {
            return Err(format!("exports of {id}: got {got:?}, expected {value}"));
        }
    }
    for edge in &expect.reads {
        if !reads.contains(edge) {
            return Err(format!("{} does not read {}; reads: {reads:?}", edge.0, edge.1));
        }
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn every_module_case_loads_as_its_expectations_say() {
    let http = serve_cases();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(CASES).unwrap().filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.is_dir()).collect();
    dirs.sort();
    assert!(dirs.len() >= 10, "the cases are missing");
    let mut failures = Vec::new();
    for dir in &dirs {
        if let Err(why) = run_case(dir, &http).await {
            failures.push(format!("{}: {why}", dir.display()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// An instance's health is the worst of what runs inside it, named.
#[tokio::test]
async fn an_instance_is_as_healthy_as_the_worst_component_inside_it() {
    let src = "declare \"reader\" {\n\targument \"path\" { }\n\tlocal.file \"f\" {\n\t\tfilename = argument.path.value\n\t}\n}\n\
               reader \"bad\" {\n\tpath = \"/nonexistent/module-file\"\n}\nreader \"good\" {\n\tpath = \"Cargo.toml\"\n}\n";
    let storage = tempfile::tempdir().unwrap();
    let c = Controller::new(Registry::builtin(), storage.path().into());
    c.apply(load(vec![SourceFile::new("main.alloy", src)], c.registry()).unwrap()).await.unwrap();
    let health = |id: &str| c.inspect(|nodes| nodes.iter().find(|n| n.decl.id == id).map(|n| n.health()).unwrap());
    let bad = health("reader.bad");
    assert_eq!(bad.state, solder_components::HealthState::Unhealthy);
    assert!(bad.message.starts_with("reader.bad/local.file.f: "), "{}", bad.message);
    assert_eq!(health("reader.good").state, solder_components::HealthState::Healthy);
    c.shutdown().await;
}

/// A custom component that reads its own exports is a cycle, named by
/// the instance, not by its hidden parts.
#[test]
fn a_cycle_through_an_instance_names_the_instance() {
    let src = "declare \"echo\" {\n\targument \"x\" { }\n\texport \"y\" {\n\t\tvalue = argument.x.value\n\t}\n}\necho \"loop\" {\n\tx = echo.loop.y\n}\n";
    let err = load(vec![SourceFile::new("main.alloy", src)], &Registry::builtin()).unwrap_err();
    let messages: Vec<String> = err.iter().map(|d| d.message.clone()).collect();
    assert_eq!(messages, ["cycle detected: echo.loop -> echo.loop"], "{messages:?}");
}

/// When a component inside a module changes its exports at run time,
/// what reads them is re-evaluated across module boundaries: the
/// instance's exports, then another instance's arguments and exports.
#[tokio::test]
async fn changed_exports_cross_module_boundaries() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data.txt");
    std::fs::write(&data, "quiet").unwrap();
    let src = format!(
        "declare \"reader\" {{\n\targument \"path\" {{ }}\n\tlocal.file \"f\" {{\n\t\tfilename = argument.path.value\n\t\tdetector = \"poll\"\n\t\tpoll_frequency = \"20ms\"\n\t}}\n\texport \"content\" {{\n\t\tvalue = local.file.f.content\n\t}}\n}}\n\
         declare \"shout\" {{\n\targument \"text\" {{ }}\n\texport \"text\" {{\n\t\tvalue = string.to_upper(argument.text.value)\n\t}}\n}}\n\
         reader \"r\" {{\n\tpath = {:?}\n}}\nshout \"s\" {{\n\ttext = reader.r.content\n}}\n",
        data.display().to_string()
    );
    let c = Controller::new(Registry::builtin(), dir.path().join("storage"));
    c.apply(load(vec![SourceFile::new("main.alloy", src)], c.registry()).unwrap()).await.unwrap();
    let shouted = || c.inspect(|nodes| nodes.iter().find(|n| n.decl.id == "shout.s").map(|n| n.shown_exports().to_string()).unwrap());
    assert_eq!(shouted(), r#"{ text = "QUIET" }"#);
    std::fs::write(&data, "loud").unwrap();
    solder_components::harness::until("the new content to reach shout.s", || shouted() == r#"{ text = "LOUD" }"#).await;
    c.shutdown().await;
}

/// Serves `tests/modules/` over HTTP to requests that carry the header
/// `X-Module-Key: let-me-in`; returns the base URL.
fn serve_cases() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).is_ok_and(|n| n == 1) {
                head.push(byte[0]);
            }
            let head = String::from_utf8_lossy(&head).to_string();
            let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
            let allowed = head.lines().any(|l| l.to_ascii_lowercase().starts_with("x-module-key: let-me-in"));
            let file = Path::new(CASES).join(path.trim_start_matches('/'));
            let (status, body) = match (allowed, std::fs::read_to_string(&file)) {
                (false, _) => ("403 Forbidden", String::new()),
                (true, Ok(body)) if !path.contains("..") => ("200 OK", body),
                _ => ("404 Not Found", String::new()),
            };
            let _ = write!(stream, "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
        }
    });
    format!("http://{addr}")
}

/// A bare repository whose `main` branch holds the files of `content`;
/// returns the temporary directory that owns it and its path.
pub fn git_repo(content: &Path) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("work");
    copy_dir(content, &work);
    let git = |dir: &Path, args: &[&str]| {
        let out = Command::new("git")
            .args(["-c", "user.name=test", "-c", "user.email=test@example.com", "-c", "init.defaultBranch=main"])
            .args(args)
            .current_dir(dir)
            .output()
            .expect("the git command line, to make the test repository");
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    git(&work, &["init", "-q"]);
    git(&work, &["add", "."]);
    git(&work, &["commit", "-q", "-m", "modules"]);
    let bare = tmp.path().join("modules.git");
    git(tmp.path(), &["clone", "-q", "--bare", "work", "modules.git"]);
    (tmp, bare)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let dest = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &dest);
        } else {
            std::fs::copy(&path, &dest).unwrap();
        }
    }
}

/// `import.string` takes a secret as well as a string: a module read from
/// a secret file loads, its text is shown masked, and the import's
/// `content` argument prints as `(secret)`.
#[tokio::test]
async fn a_module_from_a_secret_loads_and_is_shown_masked() {
    let dir = tempfile::tempdir().unwrap();
    let module = dir.path().join("square.alloy");
    std::fs::write(&module, "declare \"square\" {\n\targument \"x\" { }\n\texport \"y\" {\n\t\tvalue = argument.x.value * argument.x.value\n\t}\n}\n").unwrap();
    let src = format!(
        "local.file \"m\" {{\n\tfilename  = {:?}\n\tis_secret = true\n}}\nimport.string \"math\" {{\n\tcontent = local.file.m.content\n}}\nmath.square \"four\" {{\n\tx = 2\n}}\n",
        module.display().to_string()
    );
    let c = Controller::new(Registry::builtin(), dir.path().join("storage"));
    let cfg = c.load(vec![SourceFile::new("main.alloy", src)]).unwrap();
    let shown: Vec<String> = cfg.module_files.iter().map(|f| f.shown().to_string()).collect();
    assert_eq!(shown.len(), 1);
    assert!(!shown[0].contains("square") && shown[0].contains("****"), "{shown:?}");
    c.apply(cfg).await.unwrap();
    let (exports, content) = c.inspect(|nodes| {
        let find = |id: &str| nodes.iter().find(|n| n.decl.id == id).unwrap();
        (find("math.square.four").shown_exports().to_string(), format!("{:?}", find("import.string.math").args))
    });
    assert_eq!(exports, "{ y = 4 }");
    assert!(content.contains("(secret)") && !content.contains("square"), "{content}");
    c.shutdown().await;
}

/// A staged load walks every import once per pass; what it fetched over
/// the network in one pass is not fetched again in the next.
#[tokio::test(flavor = "multi_thread")]
async fn a_staged_load_fetches_each_remote_module_once() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let requests = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&requests);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).is_ok_and(|n| n == 1) {
                head.push(byte[0]);
            }
            counted.fetch_add(1, Ordering::SeqCst);
            let body = "declare \"hello\" { }\n";
            let _ = write!(stream, "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let module = dir.path().join("m.alloy");
    std::fs::write(&module, "declare \"other\" { }\n").unwrap();
    let src = format!(
        "import.http \"remote\" {{\n\turl = \"http://{addr}/m.alloy\"\n}}\nlocal.file \"f\" {{\n\tfilename = {:?}\n}}\nimport.string \"inline\" {{\n\tcontent = local.file.f.content\n}}\nremote.hello \"a\" {{ }}\ninline.other \"b\" {{ }}\n",
        module.display().to_string()
    );
    let c = Controller::new(Registry::builtin(), dir.path().join("storage"));
    let cfg = c.load(vec![SourceFile::new("main.alloy", src)]).unwrap();
    assert!(cfg.components.iter().any(|d| d.id == "inline.other.b"));
    assert_eq!(requests.load(Ordering::SeqCst), 1, "two passes, one fetch");
    c.shutdown().await;
}
