//! OTLP/JSON, as the HTTP receiver takes it: any body either is refused
//! with an error or becomes protobuf that the wire validator accepts. The
//! first byte picks the signal.

#![no_main]

use libfuzzer_sys::fuzz_target;
use solder_components::otelcol::receiver::otlp::json;
use solder_components::otlp::{wire, Signal};

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else { return };
    let signal = match pick % 3 {
        0 => Signal::Traces,
        1 => Signal::Metrics,
        _ => Signal::Logs,
    };
    if let Ok(protobuf) = json::to_protobuf(signal, body) {
        if let Err(e) = wire::validate(signal, &protobuf) {
            panic!("{signal:?}: transcoded JSON fails validation: {e}");
        }
    }
});
