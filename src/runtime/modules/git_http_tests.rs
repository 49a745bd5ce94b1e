//! `import.git` over smart HTTP, against `git http-backend` served by
//! `tests/support/git_http_server.py` on loopback behind basic auth:
//! the module is fetched, a pushed commit is seen on the next pull, and
//! missing or wrong credentials fail with the repository named.

use std::time::Duration;

use solder_syntax::value::Secret;

use super::git::{self, BasicAuth};
use super::ImportSource;

#[path = "../../../tests/support/git_http.rs"]
mod server;
use server::{run_git, GitServer, Pusher};

fn source(url: &str, revision: &str, path: &str, auth: Option<(&str, &str)>) -> ImportSource {
    ImportSource::Git {
        repository: url.into(),
        revision: revision.into(),
        path: path.into(),
        pull_frequency: Duration::from_secs(60),
        pull_timeout: Duration::from_secs(10),
        basic_auth: auth.map(|(u, p)| BasicAuth { username: u.into(), password: Secret::new(p) }),
    }
}

fn texts(src: &ImportSource) -> Result<Vec<(String, String)>, String> {
    git::fetch(src).map(|files| files.iter().map(|f| (f.name.clone(), f.text.clone())).collect())
}

#[test]
fn a_module_is_fetched_over_smart_http_and_a_pushed_commit_is_seen_on_the_next_pull() {
    let cache = tempfile::tempdir().unwrap();
    git::set_cache_dir(cache.path().to_path_buf());
    let server = GitServer::start("alloy", "s3cret");
    let pusher = Pusher::new(&server, "alloy", "s3cret");
    pusher.push(&[("modules/a.alloy", "declare \"one\" { }\n")], "one");
    run_git(&pusher.work, &["tag", "v1"]);
    run_git(&pusher.work, &["push", "-q", &pusher.push_url, "v1"]);

    let head = source(&server.url(), "HEAD", "modules", Some(("alloy", "s3cret")));
    let url = server.url();
    assert_eq!(texts(&head).unwrap(), [(format!("{url}@HEAD:modules/a.alloy"), "declare \"one\" { }\n".to_string())]);
    assert!(git::mirror_of(&url).starts_with(cache.path()), "the mirror lives in the cache directory");

    pusher.push(&[("modules/a.alloy", "declare \"two\" { }\n")], "two");
    let branch = source(&url, "main", "modules/a.alloy", Some(("alloy", "s3cret")));
    assert_eq!(texts(&branch).unwrap()[0].1, "declare \"two\" { }\n", "the branch moved");
    assert_eq!(texts(&head).unwrap()[0].1, "declare \"two\" { }\n", "HEAD follows the default branch");
    let tag = source(&url, "v1", "modules/a.alloy", Some(("alloy", "s3cret")));
    assert_eq!(texts(&tag).unwrap()[0].1, "declare \"one\" { }\n", "a tag stays where it was");
    assert!(server.log().contains("git-upload-pack"), "fetched through the server:\n{}", server.log());

    let wrong = texts(&source(&url, "main", "modules", Some(("alloy", "guess")))).unwrap_err();
    assert!(wrong.contains(&format!("failed to fetch {url:?}")), "{wrong}");
    assert!(wrong.contains("were not accepted by the remote"), "{wrong}");
    let none = texts(&source(&url, "main", "modules", None)).unwrap_err();
    assert!(none.contains("basic_auth"), "{none}");
    assert!(!format!("{branch:?}").contains("s3cret"), "the password prints as (secret): {branch:?}");
}

/// A server that accepts and never answers: the pull ends at
/// `pull_timeout`, with an error, instead of hanging the reload.
#[test]
fn a_pull_from_a_server_that_never_answers_ends_at_pull_timeout() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/silent.git", listener.local_addr().unwrap());
    let held = std::thread::spawn(move || listener.incoming().take(3).filter_map(Result::ok).collect::<Vec<_>>());
    let ImportSource::Git { repository, revision, path, pull_frequency, basic_auth, .. } = source(&url, "main", "modules", None) else { unreachable!() };
    let src = ImportSource::Git { repository, revision, path, pull_frequency, basic_auth, pull_timeout: Duration::from_millis(500) };
    let started = std::time::Instant::now();
    let err = texts(&src).unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5), "the pull took {:?}: {err}", started.elapsed());
    assert!(err.contains("failed to fetch"), "{err}");
    assert!(err.contains("timed out"), "{err}");
    drop(held);
}
