//! The arguments: what is refused, in Alloy's words, the `wal` block's
//! defaults, and an empty endpoint list, which is allowed.

use solder_syntax::{Scope, Value};

use super::built;
use super::fixtures::gauges;
use crate::harness::build_error;
use crate::prometheus::remote_write::REGISTRATION;

#[test]
fn bad_arguments_are_refused_in_alloys_words() {
    let url = "url = \"http://localhost:9009/api/v1/push\"";
    let cases = [
        ("endpoint {\n name = \"x\"\n }", "missing required attribute \"url\""),
        ("wal {\n truncate_frequency = \"0s\"\n }", "truncate_frequency must not be 0"),
        ("wal {\n min_keepalive_time = \"8h\"\n }", "min_keepalive_time must be smaller than max_keepalive_time"),
        ("wal {\n max_size = \"1KiB\"\n }", "max_size must be at least 64KiB"),
        ("wal {\n max_segment_age = \"1h\"\n }", "unrecognized attribute name \"max_segment_age\""),
        (&format!("endpoint {{\n {url}\n sigv4 {{\n region = \"x\"\n }}\n }}"), "unrecognized block name \"sigv4\""),
        (&format!("endpoint {{\n {url}\n round_robin_dns = true\n }}"), "unrecognized attribute name \"round_robin_dns\""),
        (
            &format!("endpoint {{\n {url}\n bearer_token = \"t\"\n basic_auth {{\n username = \"u\"\n }}\n }}"),
            "at most one of basic_auth, authorization, oauth2, bearer_token & bearer_token_file must be configured",
        ),
        (
            &format!("endpoint {{\n {url}\n basic_auth {{\n password = \"p\"\n password_file = \"/f\"\n }}\n }}"),
            "at most one of basic_auth password & password_file must be configured",
        ),
        (&format!("endpoint {{\n {url}\n authorization {{\n type = \"Basic\"\n }}\n }}"), "authorization type cannot be set to \"basic\""),
        (&format!("endpoint {{\n {url}\n headers = {{ \"Content-Type\" = \"x\" }}\n }}"), "\"Content-Type\" is a reserved header. It must not be changed"),
        (&format!("endpoint {{\n {url}\n send_native_histograms = true\n }}"), "send_native_histograms = true is not supported"),
        (&format!("endpoint {{\n {url}\n protobuf_message = \"io.prometheus.write.v2.Request\"\n }}"), "is not supported: Solder sends Remote-Write 1.0"),
        (&format!("endpoint {{\n {url}\n queue_config {{\n capacity = 0\n }}\n }}"), "queue_config: capacity must be greater than 0"),
        (&format!("endpoint {{\n {url}\n queue_config {{\n min_backoff = \"10s\"\n }}\n }}"), "min_backoff must not be greater than max_backoff"),
        (&format!("endpoint {{\n {url}\n tls_config {{\n min_version = \"TLS10\"\n }}\n }}"), "TLS 1.0 and 1.1 are insecure"),
        (&format!("endpoint {{\n {url}\n tls_config {{\n cert_file = \"/c\"\n }}\n }}"), "exactly one of key_pem or key_file must be configured"),
        (&format!("endpoint {{\n {url}\n no_proxy = \"x\"\n }}"), "if no_proxy is configured, proxy_url must also be configured"),
        ("endpoint {\n url = \"localhost:9009\"\n }", "must start with http:// or https://"),
        (&format!("endpoint {{\n {url}\n }}\nendpoint {{\n {url}\n }}"), "duplicate remote write endpoint"),
        (&format!("external_labels = {{ \"__x\" = \"y\" }}\nendpoint {{\n {url}\n }}"), "\"__x\" is not a valid label name"),
    ];
    for (inner, want) in cases {
        let got = build_error(&REGISTRATION, inner, &Scope::new());
        assert!(got.contains(want), "{inner}\n  got:  {got}\n  want: {want}");
    }
}

#[test]
fn the_wal_block_defaults_to_alloys_values() {
    use crate::component::Arguments as _;
    let args: crate::prometheus::remote_write::Arguments = crate::harness::evaluate("prometheus.remote_write", "", &Scope::new())
        .and_then(|body| crate::decode::decode(&body))
        .unwrap_or_else(|d| panic!("{}", d.message));
    let wal = &args.wal;
    let secs = |d: crate::types::Duration| d.0.as_secs();
    assert_eq!((secs(wal.truncate_frequency), secs(wal.min_keepalive_time), secs(wal.max_keepalive_time)), (7200, 300, 28800));
    assert_eq!(wal.max_size.0, 1 << 30);
    assert!(args.validate().is_ok());
}

#[tokio::test]
async fn no_endpoints_accepts_and_discards() {
    let rw = built("prometheus.remote_write.none", "");
    rw.receiver().0.append(gauges("up", 3)).unwrap();
    assert_eq!(rw.debug("endpoints"), Value::Array(vec![]));
}
