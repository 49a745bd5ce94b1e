//! What `UserAgent` costs: loading and compiling the regex database (paid
//! once, on the first call), parsing a string no result is kept for (every
//! rule tried in order until one matches), a string seen before, and a
//! long string a sender made up.
//!
//! Run: `cargo bench -p solder-syntax --bench useragent -- --warm-up-time 1 --measurement-time 3`

use criterion::{criterion_group, criterion_main, Criterion};
use solder_syntax::ottl::{funcs, testing, ErrorMode, Statements, Value};

const AGENTS: [&str; 4] = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1",
    "python-requests/2.31.0",
    "foobar/1.2.3 (foo; bar baz)",
];

fn program() -> Statements {
    Statements::compile(&testing::SPAN, funcs::table(), &[r#"set(attributes["parsed"], UserAgent(attributes["original"]))"#]).expect("compiles")
}

fn run(program: &Statements, ua: &str) {
    let mut item = testing::Item::named("x").with_attribute("original", Value::str(ua));
    program.execute(&mut item, ErrorMode::Propagate, &mut Vec::new()).expect("runs");
}

fn useragent(c: &mut Criterion) {
    let mut group = c.benchmark_group("useragent");
    // The first call loads the database; each bench process pays it once.
    let started = std::time::Instant::now();
    run(&program(), AGENTS[0]);
    eprintln!("first call (database load and compile): {:?}", started.elapsed());
    group.bench_function("parse_unseen", |b| {
        // A fresh program each round has an empty cache: every string is parsed.
        b.iter_batched(program, |p| AGENTS.iter().for_each(|ua| run(&p, ua)), criterion::BatchSize::SmallInput)
    });
    let warm = program();
    group.bench_function("seen_before", |b| b.iter(|| AGENTS.iter().for_each(|ua| run(&warm, ua))));
    // What a sender controls: a 64 KiB string no rule matches (so every
    // rule reads all of it), new each time.
    let long = "Mozilla/5.0 (Linux; Android 1; ".repeat((64 << 10) / 32);
    group.sample_size(10);
    group.bench_function("parse_64kib_string", |b| b.iter_batched(program, |p| run(&p, &long), criterion::BatchSize::SmallInput));
    group.finish();
}

criterion_group!(benches, useragent);
criterion_main!(benches);
