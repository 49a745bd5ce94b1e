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
