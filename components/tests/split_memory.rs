//! Splitting streams its pieces: a payload whose pieces, all cut at once,
//! would take hundreds of MiB (each piece carries a copy of a large
//! resource) is cut and sent one piece at a time. Measured with a counting
//! allocator, which is why this is a test binary of its own: nothing else
//! allocates while it measures.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use prost::Message;
use solder_components::consumer::{ConsumeFuture, Consumer, ConsumerHandle};
use solder_components::harness::{until, Harness};
use solder_components::otelcol::processor::batch::REGISTRATION;
use solder_components::otlp::proto::common::v1::{any_value, AnyValue, KeyValue};
use solder_components::otlp::proto::resource::v1::Resource;
use solder_components::otlp::proto::trace::v1::{ResourceSpans, ScopeSpans, Span};
use solder_components::otlp::proto::ExportTraceServiceRequest;
use solder_components::otlp::split::split;
use solder_components::otlp::{Signal, Traces};
use solder_syntax::{Scope, Value};

/// The system allocator, keeping count of the bytes allocated now and the
/// most since the last [`reset_peak`].
struct Counting;

static NOW: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = NOW.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        unsafe { System.dealloc(p, layout) };
        NOW.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Starts a measurement: returns the bytes allocated now.
fn reset_peak() -> usize {
    let now = NOW.load(Ordering::Relaxed);
    PEAK.store(now, Ordering::Relaxed);
    now
}

/// The tests take turns: each measures the whole process.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

const MIB: usize = 1 << 20;

/// `spans` spans under one resource with a 1 MiB attribute.
fn heavy(spans: usize) -> Traces {
    let blob = KeyValue { key: "blob".into(), value: Some(AnyValue { value: Some(any_value::Value::StringValue("a".repeat(MIB))) }), ..Default::default() };
    let spans = (0..spans).map(|i| Span { name: format!("s{i}"), span_id: vec![1; 8], trace_id: vec![2; 16], ..Default::default() }).collect();
    let req = ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource { attributes: vec![blob], ..Default::default() }),
            scope_spans: vec![ScopeSpans { spans, ..Default::default() }],
            ..Default::default()
        }],
    };
    Traces::from_bytes(req.encode_to_vec().into()).unwrap()
}

/// 400 pieces of a 1 MiB envelope would take over 800 MiB all at once
/// (bytes and decoded view each); cut one at a time, a few MiB.
#[test]
fn pieces_are_cut_one_at_a_time() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let data = heavy(4000);
    let base = reset_peak();
    let (mut pieces, mut items) = (0, 0);
    for piece in split(&data, 10, 10).unwrap() {
        pieces += 1;
        items += piece.items();
    }
    let peak = PEAK.load(Ordering::Relaxed) - base;
    assert_eq!((pieces, items), (400, 4000));
    assert!(peak < 16 * MIB, "splitting took {} MiB at its peak", peak / MIB);
}

/// Takes traces, notes the items, and lets the payload go.
#[derive(Clone, Default)]
struct Counter(Arc<Mutex<Vec<usize>>>);

impl Consumer for Counter {
    fn consume_traces(&self, data: Traces) -> ConsumeFuture<'_> {
        self.0.lock().unwrap().push(data.items());
        Box::pin(std::future::ready(Ok(())))
    }

    fn accepts(&self, signal: Signal) -> bool {
        signal == Signal::Traces
    }
}

/// The batch processor sends such a payload piece by piece: every span
/// arrives, in batches of `send_batch_max_size`, and the processor never
/// holds more than a few pieces' worth.
#[test]
fn the_batch_processor_sends_a_split_payload_piece_by_piece() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(piece_by_piece());
}

async fn piece_by_piece() {
    let sink = Counter::default();
    let scope = Scope::new().with("sink", Value::Capsule(ConsumerHandle::new(sink.clone()).capsule()));
    let args = "send_batch_size = 10\nsend_batch_max_size = 10\ntimeout = \"0s\"\noutput {\n traces = [sink]\n}";
    let p = Harness::start(&REGISTRATION, args, &scope).unwrap();
    let data = heavy(4000);
    let base = reset_peak();
    p.input().0.consume_traces(data).await.unwrap();
    until("every span to arrive", || sink.0.lock().unwrap().iter().sum::<usize>() == 4000).await;
    let peak = PEAK.load(Ordering::Relaxed).saturating_sub(base);
    let sizes = sink.0.lock().unwrap().clone();
    assert_eq!((sizes.len(), sizes.iter().all(|n| *n == 10)), (400, true));
    assert!(peak < 32 * MIB, "the processor took {} MiB at its peak", peak / MIB);
}
