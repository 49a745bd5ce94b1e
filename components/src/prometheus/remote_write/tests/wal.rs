//! The WAL: what `append` acknowledged is sent after a crash or a stop,
//! once; a restart resumes where sending stopped; segments go once sent,
//! or once too old (counted); the size bound refuses; damage is skipped.
//!
//! A crash is the on-disk state at one moment: writes go straight to the
//! files, so a copy of the data path taken while the component runs is
//! what `kill -9` would leave, and a component dropped without running its
//! shutdown is one that never got to flush.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use solder_syntax::Value;

use super::built_in;
use super::fixtures::{endpoint, gauges, stat, FAST};
use super::sink::Sink;
use crate::component::{HealthState, Running};
use crate::harness::{until, Harness};
use crate::selfmetrics;

/// A data path that outlives the components run on it.
fn data() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn start_in(id: &str, args: &str, dir: &Path) -> Harness {
    let mut h = built_in(id, args, dir);
    h.run();
    h
}

/// A field of the WAL's debug info.
fn wal_stat(c: &Arc<dyn Running>, field: &str) -> u64 {
    let Value::Object(info) = c.debug_info() else { panic!("debug info is not an object") };
    let Some(Value::Object(wal)) = info.get("wal") else { panic!("no wal in {info:?}") };
    match wal.get(field) {
        Some(Value::Number(n)) => n.as_u64().unwrap_or(0),
        other => panic!("wal.{field} is {other:?}: {wal:?}"),
    }
}

/// Each endpoint's saved position, as `seq offset`.
fn positions(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir.join("wal/positions")) else { return Vec::new() };
    let mut out: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "position"))
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .map(|t| t.lines().next().unwrap_or_default().to_string())
        .collect();
    out.sort();
    out
}

fn segment_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(dir.join("wal")).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|x| x == "seg")).collect();
    files.sort();
    files
}

/// What `kill -9` would leave now: a copy of the data path.
fn crash_copy(from: &Path) -> tempfile::TempDir {
    let to = data();
    let copy = |from: &Path, to: &Path| {
        std::fs::create_dir_all(to).unwrap();
        for e in std::fs::read_dir(from).into_iter().flatten() {
            let path = e.unwrap().path();
            if path.is_file() {
                std::fs::copy(&path, to.join(path.file_name().unwrap())).unwrap();
            }
        }
    };
    copy(&from.join("wal"), &to.path().join("wal"));
    copy(&from.join("wal/positions"), &to.path().join("wal/positions"));
    to
}

/// A metric line of `id`'s, by name and fragments of its labels.
fn metric(id: &str, name: &str, labels: &[&str]) -> Option<u64> {
    let prefix = format!("{name}{{component_id=\"{id}\"");
    let line = selfmetrics::render().lines().find(|l| l.starts_with(&prefix) && labels.iter().all(|f| l.contains(f)))?.to_string();
    line.rsplit(' ').next()?.parse().ok()
}

fn series_names(sink: &Sink) -> Vec<String> {
    let mut names: Vec<String> = sink.series().into_iter().map(|(labels, _)| labels).collect();
    names.sort();
    names
}

const MAIN: &str = "name = \"main\"";

/// Acknowledged, never sent, then a crash: the next start sends it all,
/// once.
#[tokio::test]
async fn what_was_acknowledged_before_a_crash_is_sent_after_it_once() {
    let dir = data();
    let dead = endpoint("http://127.0.0.1:9/push", MAIN);
    let before = built_in("prometheus.remote_write.crash1", &dead, dir.path());
    for name in ["a", "b", "c"] {
        before.receiver().0.append(gauges(name, 4)).unwrap();
    }
    drop(before);

    let (sink, url) = Sink::start(vec![]).await;
    let after = start_in("prometheus.remote_write.crash2", &endpoint(&url, &format!("{MAIN}\n{FAST}")), dir.path());
    until("the twelve samples from before the crash", || sink.series().len() >= 12).await;
    let names = series_names(&sink);
    let mut once = names.clone();
    once.dedup();
    assert_eq!((names.len(), once.len()), (12, 12), "each sent once: {names:?}");
    assert_eq!(stat(&after.component, 0, "samples_replayed"), 12);
    assert_eq!(metric("prometheus.remote_write.crash2", "prometheus_remote_write_wal_samples_replayed_total", &["remote_name=\"main\""]), Some(12));
    after.stop().await;
}

/// Sent, then more arrives that cannot be sent, then a crash: the next
/// start sends only what was not sent.
#[tokio::test]
async fn a_restart_resumes_from_the_saved_position() {
    let dir = data();
    let (sink, url) = Sink::start(vec![]).await;
    let args = endpoint(&url, &format!("{MAIN}\n{FAST}"));
    let first = start_in("prometheus.remote_write.resume1", &args, dir.path());
    until("placed at the WAL's start, and saved at once", || positions(dir.path()) == ["1 0"]).await;
    first.receiver().0.append(gauges("sent", 5)).unwrap();
    until("the first batch", || sink.series().len() == 5).await;
    until("its position saved", || positions(dir.path()) == ["2 0"]).await;
    sink.script.lock().unwrap().extend((0..100_000).map(|_| (503, vec![])));
    first.receiver().0.append(gauges("unsent", 3)).unwrap();
    until("a retry", || stat(&first.component, 0, "retries") > 0).await;
    let crashed = crash_copy(dir.path());
    first.stop().await;

    sink.script.lock().unwrap().clear();
    let second = start_in("prometheus.remote_write.resume2", &args, crashed.path());
    until("the unsent batch", || sink.series().len() >= 8).await;
    let names = series_names(&sink);
    assert_eq!(names.iter().filter(|n| n.contains("\"sent\"")).count(), 5, "what was sent before is not sent again");
    assert_eq!(names.iter().filter(|n| n.contains("\"unsent\"")).count(), 3);
    assert_eq!(stat(&second.component, 0, "samples_replayed"), 3);
    second.stop().await;
}

/// A stop that cannot send keeps what it held for the next start.
#[tokio::test]
async fn a_stop_keeps_what_it_could_not_send_for_the_next_start() {
    let dir = data();
    let failures = (0..100_000).map(|_| (500, vec![])).collect();
    let (sink, url) = Sink::start(failures).await;
    let args = endpoint(&url, &format!("{MAIN}\n{FAST}"));
    let first = start_in("prometheus.remote_write.stop1", &args, dir.path());
    first.receiver().0.append(gauges("kept", 4)).unwrap();
    until("a retry", || stat(&first.component, 0, "retries") > 0).await;
    let stopped = first.stop().await;
    assert_eq!((stat(&stopped, 0, "samples_failed"), stat(&stopped, 0, "samples_unsent")), (0, 4));

    sink.script.lock().unwrap().clear();
    let second = start_in("prometheus.remote_write.stop2", &args, dir.path());
    until("the kept samples", || sink.series().len() >= 4).await;
    until("counted", || stat(&second.component, 0, "samples_sent") == 4).await;
    assert_eq!(sink.series().len(), 4);
    second.stop().await;
}

fn small_wal(truncate: &str, max_keepalive: &str) -> String {
    format!("wal {{\n truncate_frequency = \"{truncate}\"\n min_keepalive_time = \"0s\"\n max_keepalive_time = \"{max_keepalive}\"\n max_size = \"64KiB\"\n }}")
}

/// Appends `n` batches of `size` gauges, each family its own.
fn fill(rw: &Harness, prefix: &str, n: usize, size: usize) {
    for i in 0..n {
        rw.receiver().0.append(gauges(&format!("{prefix}{i}"), size)).unwrap();
    }
}

#[tokio::test]
async fn segments_every_endpoint_has_sent_are_removed() {
    let dir = data();
    let (sink, url) = Sink::start(vec![]).await;
    let args = format!("{}\n{}", endpoint(&url, &format!("{MAIN}\n{FAST}")), small_wal("20ms", "1h"));
    let rw = start_in("prometheus.remote_write.sent", &args, dir.path());
    fill(&rw, "g", 60, 20);
    until("everything sent", || stat(&rw.component, 0, "samples_sent") == 1200).await;
    assert_eq!(sink.series().len(), 1200);
    until("the sent segments removed", || segment_files(dir.path()).len() == 1).await;
    assert_eq!(wal_stat(&rw.component, "segments"), 1);
    assert!(metric("prometheus.remote_write.sent", "prometheus_tsdb_wal_truncations_total", &[]).is_some_and(|n| n > 0));
    rw.stop().await;
    let again = start_in("prometheus.remote_write.sent2", &args, dir.path());
    assert_eq!(stat(&again.component, 0, "samples_replayed"), 0, "nothing sent comes back");
    again.stop().await;
}

/// Past `max_keepalive_time`, what a dead endpoint has not read is
/// dropped and counted, and the balance holds.
#[tokio::test]
async fn segments_past_max_keepalive_time_are_removed_and_counted() {
    let dir = data();
    let queue = "queue_config {\n capacity = 10\n min_backoff = \"5ms\"\n max_backoff = \"20ms\"\n batch_send_deadline = \"5ms\"\n }";
    let args = format!("{}\n{}", endpoint("http://127.0.0.1:9/push", &format!("{MAIN}\n{queue}")), small_wal("20ms", "300ms"));
    let rw = start_in("prometheus.remote_write.expired", &args, dir.path());
    fill(&rw, "old", 60, 20);
    until("expired samples counted", || stat(&rw.component, 0, "samples_wal_expired") > 0).await;
    until("the expired segments removed", || segment_files(dir.path()).len() <= 2).await;
    let c = &rw.component;
    let (expired, unsent, dropped) = (stat(c, 0, "samples_wal_expired"), stat(c, 0, "samples_unsent"), stat(c, 0, "samples_dropped"));
    assert_eq!(expired + unsent, 1200, "every sample is unsent or counted as expired: {expired} + {unsent}");
    assert_eq!(dropped, expired);
    let counted = metric("prometheus.remote_write.expired", "prometheus_remote_storage_samples_dropped_total", &["reason=\"wal_expired\""]);
    assert_eq!(counted, Some(expired));
    rw.stop().await;
}

/// A dead endpoint cannot fill the disk: past `max_size` appends are
/// refused, with the reason, and counted.
#[tokio::test]
async fn past_max_size_new_samples_are_refused() {
    let dir = data();
    let args = format!("{}\nwal {{\n max_size = \"64KiB\"\n }}", endpoint("http://127.0.0.1:9/push", MAIN));
    let rw = built_in("prometheus.remote_write.full_wal", &args, dir.path());
    let mut refused = None;
    for i in 0..10_000 {
        if let Err(e) = rw.receiver().0.append(gauges(&format!("g{i}"), 20)) {
            refused = Some(e);
            break;
        }
    }
    let refused = refused.expect("appends are refused before 10000 batches");
    assert!(refused.contains("is full") && refused.contains("max_size 64KiB") && refused.contains("refused 20 samples"), "{refused}");
    assert!(wal_stat(&rw.component, "bytes") < (64 << 10) + 4096, "the bound holds, give or take a record");
    assert_eq!(metric("prometheus.remote_write.full_wal", "prometheus_remote_write_wal_samples_refused_total", &["reason=\"max_size\""]), Some(20));
}

/// A flipped byte and a torn tail cost their records; the rest is sent.
#[tokio::test]
async fn damage_found_at_open_is_skipped_and_counted() {
    let dir = data();
    let before = built_in("prometheus.remote_write.damage1", &endpoint("http://127.0.0.1:9/push", MAIN), dir.path());
    for name in ["one", "two", "three", "four"] {
        before.receiver().0.append(gauges(name, 3)).unwrap();
    }
    drop(before);
    let files = segment_files(dir.path());
    assert_eq!(files.len(), 1);
    let mut bytes = std::fs::read(&files[0]).unwrap();
    let third = bytes.len() / 3;
    bytes[third] ^= 0x20;
    bytes.truncate(bytes.len() - 5);
    std::fs::write(&files[0], &bytes).unwrap();

    let (sink, url) = Sink::start(vec![]).await;
    let after = start_in("prometheus.remote_write.damage2", &endpoint(&url, &format!("{MAIN}\n{FAST}")), dir.path());
    until("the intact batches", || sink.series().len() >= 6).await;
    let families: Vec<String> = series_names(&sink).iter().map(|n| n.split('"').nth(1).unwrap_or_default().to_string()).collect();
    assert_eq!(families.iter().filter(|f| *f == "four").count(), 0, "the torn tail is not sent");
    assert_eq!(families.len(), 6, "two of the four batches survive: {families:?}");
    assert_eq!(metric("prometheus.remote_write.damage2", "prometheus_tsdb_wal_corruptions_total", &[]), Some(2));
    after.stop().await;
}

/// Removing an endpoint forgets its position, so the WAL truncates
/// without it, and counts what it had not sent.
#[tokio::test]
async fn a_removed_endpoint_no_longer_holds_the_wal() {
    let dir = data();
    let (sink, url) = Sink::start(vec![]).await;
    let live = endpoint(&url, &format!("name = \"live\"\n{FAST}"));
    let dead = endpoint("http://127.0.0.1:9/push", "name = \"dead\"\nqueue_config {\n capacity = 10\n }");
    let wal = small_wal("20ms", "1h");
    let rw = start_in("prometheus.remote_write.removed", &format!("{live}\n{dead}\n{wal}"), dir.path());
    fill(&rw, "g", 60, 20);
    until("the live endpoint sent everything", || stat(&rw.component, 0, "samples_sent") == 1200).await;
    assert_eq!(positions(dir.path()).len(), 2);
    assert!(segment_files(dir.path()).len() > 3, "the dead endpoint holds them");
    rw.update(&format!("{live}\n{wal}")).unwrap_or_else(|d| panic!("{}", d.message));
    assert_eq!(positions(dir.path()).len(), 1, "the removed endpoint's position is gone");
    until("the segments removed", || segment_files(dir.path()).len() == 1).await;
    let dropped =
        metric("prometheus.remote_write.removed", "prometheus_remote_storage_samples_dropped_total", &["remote_name=\"dead\"", "reason=\"endpoint_removed\""]);
    assert_eq!(dropped, Some(1200), "what the removed endpoint had not sent is counted");
    assert_eq!(sink.series().len(), 1200);
    rw.stop().await;
}

/// A WAL that cannot be opened refuses samples, says why, and never
/// panics.
#[tokio::test]
async fn a_wal_that_cannot_open_refuses_and_says_why() {
    let dir = data();
    let not_a_dir = dir.path().join("file");
    std::fs::write(&not_a_dir, "").unwrap();
    let mut rw = built_in("prometheus.remote_write.noopen", &endpoint("http://127.0.0.1:9/push", MAIN), &not_a_dir);
    let err = rw.receiver().0.append(gauges("up", 1)).unwrap_err();
    assert!(err.contains("cannot open the WAL in"), "{err}");
    rw.run();
    until("unhealthy", || rw.health().state == HealthState::Unhealthy).await;
    assert!(rw.health().message.contains("WAL: cannot open"), "{}", rw.health().message);
    rw.stop().await;
}
