//! What every check here starts from: the repository it reads, the
//! environment the pods' downward API gives the agents, the Kubernetes API
//! they read pods from, and the `solder` binary under test.

use std::process::Command;
use std::sync::{Once, OnceLock};

use solder_components::kubernetes::standin::KubeStandin;
use solder_components::kubernetes::API_SERVER_ENV;

pub(crate) const ROOT: &str = env!("CARGO_MANIFEST_DIR");
/// What the downward API gives the pods; the configs read them.
const POD_ENV: &[(&str, &str)] = &[("K8S_NODE_NAME", "node-1"), ("POD_NAME", "solder-x7k2p"), ("POD_NAMESPACE", "solder"), ("HOST_IP", "10.0.0.7")];

/// Sets the pod's environment for every agent this test binary starts.
/// Every test calls it first, so nothing is spawned while it writes. The
/// agents' configs reach the API as the docs say to run them outside a
/// cluster: `auth_type` "none", to the URL in SOLDER_KUBERNETES_API_SERVER,
/// here the stand-in's.
pub(crate) fn pod_env() {
    static SET: Once = Once::new();
    SET.call_once(|| {
        let url = kube_api().url();
        for (k, v) in POD_ENV.iter().copied().chain([("SOLDER_KUBERNETES_AUTH_TYPE", "none"), (API_SERVER_ENV, url.as_str())]) {
            std::env::set_var(k, v);
        }
    });
}

/// The API server every agent of this test binary reads: a stand-in that
/// serves pods and records each request. It runs on a runtime of its own
/// for as long as the binary does.
pub(crate) fn kube_api() -> &'static KubeStandin {
    static API: OnceLock<(tokio::runtime::Runtime, KubeStandin)> = OnceLock::new();
    &API.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        let api = runtime.block_on(KubeStandin::start()).unwrap();
        (runtime, api)
    })
    .1
}

pub(crate) fn solder(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_solder")).args(args).output().unwrap()
}
