//! What every check here starts from: the repository it reads, the
//! environment the pods' downward API gives the agents, and the `solder`
//! binary under test.

use std::process::Command;
use std::sync::Once;

pub(crate) const ROOT: &str = env!("CARGO_MANIFEST_DIR");
/// What the downward API gives the pods; the configs read them.
const POD_ENV: &[(&str, &str)] = &[("K8S_NODE_NAME", "node-1"), ("POD_NAME", "solder-x7k2p"), ("POD_NAMESPACE", "solder"), ("HOST_IP", "10.0.0.7")];

/// Sets the pod's environment for every agent this test binary starts.
/// Every test calls it first, so nothing is spawned while it writes.
pub(crate) fn pod_env() {
    static SET: Once = Once::new();
    SET.call_once(|| {
        for (k, v) in POD_ENV {
            std::env::set_var(k, v);
        }
    });
}

pub(crate) fn solder(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_solder")).args(args).output().unwrap()
}
