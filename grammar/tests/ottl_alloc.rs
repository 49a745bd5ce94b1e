//! The evaluator's allocation budget: with a context that hands out
//! integers, conditions and `where` clauses over constant keys allocate
//! nothing per item, and neither does a `set` of an integer. A regression
//! here costs every span of every transform.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use solder_syntax::ottl::testing::{functions, SPAN};
use solder_syntax::ottl::{Conditions, Context, ErrorMode, Key, PathId, Statements, Value};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Every path reads as its id (an attribute key as its length), nil past
/// the first key; writes are counted, not stored.
struct Ints {
    writes: usize,
}

impl Context for Ints {
    fn get(&self, path: PathId, keys: &[Key]) -> Result<Value, String> {
        Ok(match keys {
            [] => Value::Int(path as i64),
            [Key::Str(k)] => Value::Int(k.len() as i64),
            _ => Value::Nil,
        })
    }

    fn set(&mut self, _: PathId, _: &[Key], _: Value) -> Result<(), String> {
        self.writes += 1;
        Ok(())
    }
}

fn allocations(f: impl FnOnce()) -> usize {
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    f();
    ALLOCATIONS.load(Ordering::Relaxed) - before
}

#[test]
fn evaluation_does_not_allocate() {
    let conditions = Conditions::compile(
        &SPAN,
        functions(),
        &[r#"kind == SPAN_KIND_CLIENT and attributes["ab"] == 2 and not (status.code < 1.5) and (1 + 2) * 3 == 9 and attributes["x"]["y"] == nil and name != "x" and false"#],
    )
    .unwrap();
    let statements = Statements::compile(
        &SPAN,
        functions(),
        &[r#"set(kind, SPAN_KIND_SERVER) where kind == 3"#, r#"set(status.code, 2) where attributes["abc"] >= 3"#, "set(start_time_unix_nano, kind * 1000)"],
    )
    .unwrap();
    let mut ctx = Ints { writes: 0 };
    let mut errors = Vec::new();
    // Warm up anything lazily initialised.
    let _ = conditions.any(&mut ctx, ErrorMode::Propagate, &mut errors);
    let n = allocations(|| {
        for _ in 0..100 {
            assert!(!conditions.any(&mut ctx, ErrorMode::Propagate, &mut errors).unwrap());
            statements.execute(&mut ctx, ErrorMode::Propagate, &mut errors).unwrap();
        }
    });
    assert_eq!(n, 0, "allocations in 100 evaluations");
    assert_eq!(ctx.writes, 300);
}

/// A rough ns/span figure for five typical statements over the map-backed
/// test span (whose reads clone): `cargo test --release --test ottl_alloc
/// -- --ignored --nocapture`. The real budget is measured by the
/// component's criterion bench over OTLP spans.
#[test]
#[ignore]
fn five_statements_per_span() {
    use solder_syntax::ottl::testing::Item;
    let statements = Statements::compile(
        &SPAN,
        functions(),
        &[
            r#"set(attributes["route"], "/users/{id}") where name == "GET /users/123""#,
            r#"set(resource.attributes["deployment.environment"], "prod")"#,
            r#"set(status.code, STATUS_CODE_ERROR) where attributes["http.status_code"] >= 500"#,
            r#"set(kind, SPAN_KIND_SERVER) where kind == SPAN_KIND_UNSPECIFIED"#,
            r#"set(attributes["slow"], true) where start_time_unix_nano > 1000 and attributes["route"] != nil"#,
        ],
    )
    .unwrap();
    let template = Item::named("GET /users/123").with_attribute("http.status_code", Value::Int(503));
    let mut items: Vec<Item> = (0..1000).map(|_| template.clone()).collect();
    let mut errors = Vec::new();
    let start = std::time::Instant::now();
    let rounds = 200;
    for _ in 0..rounds {
        for item in items.iter_mut() {
            statements.execute(item, ErrorMode::Propagate, &mut errors).unwrap();
        }
    }
    let per = start.elapsed().as_nanos() as f64 / (rounds * items.len()) as f64;
    println!("five statements: {per:.0} ns/span");
}
