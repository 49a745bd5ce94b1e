//! Any bytes through `prometheus.scrape`'s text parser: it never panics,
//! and every sample it accepts, written back in the text format with its
//! label values escaped, parses to the same name, labels and value. The
//! first byte picks the format (odd: OpenMetrics).

#![no_main]

use libfuzzer_sys::fuzz_target;
use solder_components::prometheus::scrape::parse::{parse, TextFormat};

fn escape(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

fuzz_target!(|data: &[u8]| {
    let [pick, body @ ..] = data else { return };
    let Ok(body) = std::str::from_utf8(body) else { return };
    let format = if pick % 2 == 1 { TextFormat::OpenMetrics } else { TextFormat::Prometheus };
    let Ok(parsed) = parse(body, format) else { return };
    for s in parsed.samples {
        let labels: Vec<String> = s.labels.iter().map(|(k, v)| format!("{k}=\"{}\"", escape(v))).collect();
        let line = format!("{}{{{}}} {:?}\n", s.name, labels.join(","), s.value);
        let again = parse(&line, TextFormat::Prometheus).unwrap_or_else(|e| panic!("{line:?}: {e}"));
        assert_eq!(again.samples.len(), 1, "{line:?}");
        let back = &again.samples[0];
        assert_eq!((&back.name, &back.labels), (&s.name, &s.labels), "{line:?}");
        assert!(back.value == s.value || (back.value.is_nan() && s.value.is_nan()), "{line:?}");
    }
});
