//! Any valid OTLP request split as the batch processor splits one that is
//! too large: every piece holds at most its limit, no item is lost, added
//! or reordered, no piece is empty, and each piece is itself a valid
//! request. The first byte picks the signal, the second the limits.

#![no_main]

use libfuzzer_sys::fuzz_target;
use prost::Message;
use solder_components::otlp::proto::{ExportLogsServiceRequest, ExportMetricsServiceRequest, ExportTraceServiceRequest};
use solder_components::otlp::split::{split, Split};
use solder_components::otlp::Encoded;

fuzz_target!(|data: &[u8]| {
    let [pick, limits, body @ ..] = data else { return };
    let (first, max) = (usize::from(limits & 0x0f), usize::from(limits >> 4) + 1);
    let body = bytes::Bytes::copy_from_slice(body);
    match pick % 3 {
        0 => check::<ExportTraceServiceRequest>(body, first, max, |r| {
            r.resource_spans.iter().flat_map(|rs| &rs.scope_spans).flat_map(|ss| &ss.spans).map(|s| s.encode_to_vec()).collect()
        }),
        1 => check::<ExportMetricsServiceRequest>(body, first, max, |r| {
            // A metric's points, each with the metric's name: the item a split moves.
            r.resource_metrics.iter().flat_map(|rm| &rm.scope_metrics).flat_map(|sm| &sm.metrics).map(|m| m.name.clone().into_bytes()).collect()
        }),
        _ => check::<ExportLogsServiceRequest>(body, first, max, |r| {
            r.resource_logs.iter().flat_map(|rl| &rl.scope_logs).flat_map(|sl| &sl.log_records).map(|l| l.encode_to_vec()).collect()
        }),
    }
});

fn check<M: Split + Message + Default>(body: bytes::Bytes, first: usize, max: usize, items: fn(&M) -> Vec<Vec<u8>>) {
    let Ok(data) = Encoded::<M>::from_bytes(body) else { return };
    let pieces = split(&data, first, max).expect("a request the validator accepts decodes");
    let limit = |i: usize| if i == 0 && first > 0 { first.min(max) } else { max };
    let (mut total, mut again) = (0, Vec::new());
    // Pieces are cut one at a time: each is checked and dropped before the next.
    for (i, p) in pieces.enumerate() {
        assert!(p.items() > 0 || data.items() == 0, "piece {i} is empty");
        assert!(p.items() <= limit(i), "piece {i} holds {} items, over its limit {}", p.items(), limit(i));
        total += p.items();
        assert!(Encoded::<M>::from_bytes(p.bytes().clone()).is_ok(), "piece {i} is not a valid request");
        again.extend(items(&M::decode(p.bytes().clone()).expect("decodes")));
    }
    assert_eq!(total, data.items(), "items lost or added");
    let whole = items(&M::decode(data.bytes().clone()).expect("decodes"));
    if std::any::type_name::<M>().contains("Metrics") {
        // A metric split across pieces repeats its name: compare names once each, in order.
        let mut dedup = again.clone();
        dedup.dedup();
        let mut whole_dedup = whole.clone();
        whole_dedup.dedup();
        assert_eq!(dedup, whole_dedup, "metrics reordered");
    } else {
        assert_eq!(again, whole, "items reordered or changed");
    }
}
