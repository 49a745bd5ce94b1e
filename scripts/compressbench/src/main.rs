//! Compression of real OTLP trace payloads, by backend and level, for the
//! default recorded in `docs/compression.md`.
//!
//! Usage: `compressbench [--runs N] [--millis N]`
//!
//! Payloads come from the agent's own load generator
//! (`components/src/otlp/synthetic.rs`): one request of 100 spans, as an SDK
//! sends, and one batch of 8,192 spans, as `otelcol.processor.batch` hands
//! the exporter by default. Each codec runs on each payload for `--millis`
//! of CPU time per round; the figure is the median of `--runs` rounds, in
//! MB of uncompressed payload per CPU-second of the measuring thread (not
//! wall time, so other processes on the machine cost us less accuracy).
//! deflate is timed as the raw stream: gzip adds a 18-byte frame and a
//! CRC-32, the same for every backend.

#[allow(dead_code)]
#[path = "../../../components/src/otlp/synthetic.rs"]
mod synthetic;

use std::io::{Read, Write};

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message;

/// One codec: a name, a level, and its two directions.
struct Codec {
    name: &'static str,
    level: i32,
    compress: fn(&[u8], i32) -> Vec<u8>,
    decompress: fn(&[u8], usize) -> Vec<u8>,
}

fn miniz_compress(data: &[u8], level: i32) -> Vec<u8> {
    miniz_oxide::deflate::compress_to_vec(data, level as u8)
}

fn miniz_decompress(data: &[u8], size: usize) -> Vec<u8> {
    miniz_oxide::inflate::decompress_to_vec_with_limit(data, size).unwrap_or_default()
}

fn zlib_rs_compress(data: &[u8], level: i32) -> Vec<u8> {
    let mut e = flate2::write::DeflateEncoder::new(Vec::with_capacity(data.len() / 4), flate2::Compression::new(level as u32));
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn zlib_rs_decompress(data: &[u8], size: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(size);
    flate2::read::DeflateDecoder::new(data).read_to_end(&mut out).unwrap();
    out
}

fn libdeflate_compress(data: &[u8], level: i32) -> Vec<u8> {
    let level = libdeflater::CompressionLvl::new(level).expect("levels 1 to 12");
    let mut c = libdeflater::Compressor::new(level);
    let mut out = vec![0; c.deflate_compress_bound(data.len())];
    let n = c.deflate_compress(data, &mut out).expect("the bound is room enough");
    out.truncate(n);
    out
}

fn libdeflate_decompress(data: &[u8], size: usize) -> Vec<u8> {
    let mut out = vec![0; size];
    let n = libdeflater::Decompressor::new().deflate_decompress(data, &mut out).expect("its own stream");
    out.truncate(n);
    out
}

fn zstd_compress(data: &[u8], level: i32) -> Vec<u8> {
    zstd::bulk::compress(data, level).unwrap()
}

fn zstd_decompress(data: &[u8], size: usize) -> Vec<u8> {
    zstd::bulk::decompress(data, size).unwrap()
}

fn snappy_compress(data: &[u8], _: i32) -> Vec<u8> {
    snap::raw::Encoder::new().compress_vec(data).unwrap()
}

fn snappy_decompress(data: &[u8], _: usize) -> Vec<u8> {
    snap::raw::Decoder::new().decompress_vec(data).unwrap()
}

fn codecs() -> Vec<Codec> {
    let mut out = Vec::new();
    for level in [1, 3, 6, 9] {
        out.push(Codec { name: "deflate/miniz_oxide", level, compress: miniz_compress, decompress: miniz_decompress });
        out.push(Codec { name: "deflate/zlib-rs", level, compress: zlib_rs_compress, decompress: zlib_rs_decompress });
        out.push(Codec { name: "deflate/libdeflate", level, compress: libdeflate_compress, decompress: libdeflate_decompress });
    }
    for level in [1, 3] {
        out.push(Codec { name: "zstd", level, compress: zstd_compress, decompress: zstd_decompress });
    }
    out.push(Codec { name: "snappy", level: 0, compress: snappy_compress, decompress: snappy_decompress });
    out
}

/// CPU time of the calling thread, in seconds.
fn thread_cpu() -> f64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes into the timespec it is given.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

/// MB of `bytes`-sized input handled per CPU-second by `f`, over at least
/// `millis` of CPU.
fn rate(bytes: usize, millis: u64, mut f: impl FnMut() -> usize) -> f64 {
    let start = thread_cpu();
    let mut rounds = 0u64;
    let mut sink = 0usize;
    while thread_cpu() - start < millis as f64 / 1000.0 {
        sink = sink.wrapping_add(f());
        rounds += 1;
    }
    std::hint::black_box(sink);
    (rounds as f64 * bytes as f64 / 1e6) / (thread_cpu() - start)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn batch(spans: usize) -> ExportTraceServiceRequest {
    let mut out = ExportTraceServiceRequest::default();
    for seed in 0..spans.div_ceil(100) as u64 {
        out.resource_spans.extend(synthetic::request(seed, 100).resource_spans);
    }
    out
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let flag = |name: &str, default: u64| {
        args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok()).unwrap_or(default)
    };
    let runs = flag("--runs", 3) as usize;
    let millis = flag("--millis", 300);
    let payloads = [("request, 100 spans", synthetic::request(7, 100).encode_to_vec()), ("batch, 8,200 spans", batch(8192).encode_to_vec())];
    for (label, payload) in &payloads {
        println!("\n{label}: {} bytes; median of {runs} runs, MB of payload per CPU-second", payload.len());
        println!("| codec | level | ratio | compress MB/s | decompress MB/s |");
        println!("|---|---|---|---|---|");
        for codec in codecs() {
            let packed = (codec.compress)(payload, codec.level);
            assert_eq!((codec.decompress)(&packed, payload.len()), *payload, "{} round trip", codec.name);
            let c = median((0..runs).map(|_| rate(payload.len(), millis, || (codec.compress)(payload, codec.level).len())).collect());
            let d = median((0..runs).map(|_| rate(payload.len(), millis, || (codec.decompress)(&packed, payload.len()).len())).collect());
            let level = if codec.name == "snappy" { "-".to_string() } else { codec.level.to_string() };
            println!("| {} | {level} | {:.2} | {c:.0} | {d:.0} |", codec.name, payload.len() as f64 / packed.len() as f64);
        }
    }
}
