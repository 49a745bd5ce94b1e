//! The example configs, run as a user would run them.

mod support;

#[test]
fn local_file_example_runs() {
    let root = env!("CARGO_MANIFEST_DIR");
    let agent = support::Agent::start(&[&format!("{root}/examples/local-file.alloy")]);
    agent.wait_for("readiness", || agent.get("/-/ready").0 == 200);
    let c = agent.component("local.file.readme");
    assert_eq!(c["health"]["state"], "healthy", "{c}");
    let readme = std::fs::read_to_string(format!("{root}/README.md")).unwrap();
    assert_eq!(c["exports"]["content"], readme.as_str());
}
